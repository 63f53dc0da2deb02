#!/bin/sh
# Guest scenario 3 (live bind and rollback): runs inside the QEMU guest only. The wizard moves the
# emulated e1000e NIC to vfio-pci on the running kernel, then rolls it back; between the steps
# plain shell records what the kernel says (driver links, /dev/vfio).
[ "${E2E_GUEST:-}" = 1 ] || { echo "refusing to run outside the e2e guest" >&2; exit 97; }
project=$(cat /tmp/project-dir)
out=/e2e-share
wizard() { node "$project/bin/vfio-wizard.js" "$@"; }
drv() { d=$(readlink "/sys/bus/pci/devices/$1/driver" 2>/dev/null); echo "${d##*/}"; }
nic=""
for p in /sys/bus/pci/devices/*; do
  [ "$(cat "$p/vendor"):$(cat "$p/device")" = 0x8086:0x10d3 ] && nic=${p##*/}
done
[ -n "$nic" ] || { echo "no e1000e in this guest" > "$out/error.txt"; exit 1; }
modprobe e1000e
echo "$nic" > "$out/nic.txt"
drv "$nic" > "$out/driver-before.txt"
basename "$(readlink "/sys/bus/pci/devices/$nic/iommu_group")" > "$out/group.txt"
wizard apply --step live-bind --device "$nic" --yes --json > "$out/apply.json" 2> "$out/apply.err"
echo $? > "$out/apply.rc"
drv "$nic" > "$out/driver-bound.txt"
ls /dev/vfio > "$out/dev-vfio-bound.txt" 2>&1
wizard status --json > "$out/status.json"
wizard rollback --step live-bind --yes > "$out/rollback.out" 2>&1
echo $? > "$out/rollback.rc"
drv "$nic" > "$out/driver-after.txt"
cat "/sys/bus/pci/devices/$nic/driver_override" > "$out/override-after.txt"
# negative control: a device that does not exist is refused with exit 5 and changes nothing
wizard apply --step live-bind --device 0000:7f:1f.7 --yes > "$out/missing.out" 2>&1
echo $? > "$out/missing.rc"
exit 0
