#!/bin/sh
# Guest scenario 2 (isolation at boot): runs inside the QEMU guest only. The wizard's isolate plan
# for the emulated VGA + HDA is applied to the guest's own root (commands listed, not run), then
# the guest does what udev's coldplug does at boot — load the driver of every PCI device by its
# modalias, honouring modprobe.d — and plain shell records which driver took each device.
# NEGATIVE=1 removes the wizard's softdep lines first: then the native drivers must win.
[ "${E2E_GUEST:-}" = 1 ] || { echo "refusing to run outside the e2e guest" >&2; exit 97; }
project=$(cat /tmp/project-dir)
out=/e2e-share
find_dev() { for p in /sys/bus/pci/devices/*; do [ "$(cat "$p/vendor"):$(cat "$p/device")" = "$1" ] && { echo "${p##*/}"; return; }; done; }
drv() { d=$(readlink "/sys/bus/pci/devices/$1/driver" 2>/dev/null); echo "${d##*/}"; }
vga=$(find_dev 0x1234:0x1111); hda=$(find_dev 0x8086:0x293e); nic=$(find_dev 0x8086:0x10d3)
echo "$vga $hda $nic" > "$out/devices.txt"
# the emulated VGA is the boot GPU and the only GPU: both guards must be overridden explicitly
node "$project/bin/vfio-wizard.js" apply --step isolate --device "$vga,$hda" --yes --commands skip --json \
  > "$out/apply-blocked.json" 2> "$out/apply-blocked.err"
echo $? > "$out/apply-blocked.rc"
node "$project/bin/vfio-wizard.js" apply --step isolate --device "$vga,$hda" --allow-boot-gpu --allow-no-host-gpu \
  --yes --commands skip --json > "$out/apply.json" 2> "$out/apply.err"
echo $? > "$out/apply.rc"
cp /etc/modprobe.d/vfio.conf "$out/vfio.conf" 2>/dev/null
if [ "${NEGATIVE:-0}" = 1 ]; then sed -i '/^softdep/d' /etc/modprobe.d/vfio.conf; fi
for p in /sys/bus/pci/devices/*; do modprobe -b -q "$(cat "$p/modalias")"; done
echo "vga=$(drv "$vga") hda=$(drv "$hda") nic=$(drv "$nic")" > "$out/drivers.txt"
exit 0
