#!/bin/sh
# Guest scenario 5 (sharing a device): runs inside the QEMU guest only. A real mdev parent — the
# kernel's sample mtty driver, built for this kernel — gets mediated devices from the wizard, with
# mdevctl (persistent) and, once mdevctl is hidden, through sysfs; QEMU (TCG, inside this guest)
# opens one with vfio-pci,sysfsdev= as `vm export --format qemu` writes it; rollback removes them.
# QEMU's emulated NVMe controller with SR-IOV gets virtual functions and loses them again.
# Between the wizard's steps plain shell records what the kernel says.
[ "${E2E_GUEST:-}" = 1 ] || { echo "refusing to run outside the e2e guest" >&2; exit 97; }
project=$(cat /tmp/project-dir)
out=/e2e-share
wizard() { node "$project/bin/vfio-wizard.js" "$@"; }
mdevs() { ls /sys/bus/mdev/devices 2>/dev/null | sort | tr '\n' ' '; }

modprobe -a vfio vfio_iommu_type1 mdev || echo "modprobe failed" >> "$out/errors.txt"
insmod /tmp/mtty.ko 2> "$out/insmod.err"; echo $? > "$out/insmod.rc"
ls /sys/class/mdev_bus > "$out/mdev-bus.txt" 2>&1
ls /sys/class/mdev_bus/mtty/mdev_supported_types > "$out/mtty-types.txt" 2>&1
wizard share --json > "$out/share-before.json" 2> "$out/share-before.err"

# with mdevctl (from the host's packages): define --auto + start
wizard apply --step mdev --device mtty --type mtty-2 --yes --json > "$out/mdev-apply.json" 2> "$out/mdev-apply.err"
echo $? > "$out/mdev-apply.rc"
mdevs > "$out/mdevs-after-apply.txt"
uuid=$(ls /sys/bus/mdev/devices | head -n 1)
echo "$uuid" > "$out/uuid.txt"
basename "$(readlink "/sys/bus/mdev/devices/$uuid/mdev_type")" > "$out/mdev-type.txt" 2>&1
ls /etc/mdevctl.d/mtty > "$out/mdevctl-defined.txt" 2>&1
mdevctl list --dumpjson > "$out/mdevctl-list.json" 2>&1
# the VM side: the wizard's QEMU export for this mdev, and QEMU itself opening the mdev through vfio
wizard vm export --mdev "$uuid" --name mtty-vm --disk none --iso /tmp/none.iso --format qemu > "$out/vm-qemu.sh" 2> "$out/vm-qemu.err"
echo $? > "$out/vm-export.rc"
timeout 120 qemu-system-x86_64 -M q35 -accel tcg -m 64 -nodefaults -display none -S -monitor stdio \
  -device "vfio-pci,sysfsdev=/sys/bus/mdev/devices/$uuid" > "$out/qemu.txt" 2>&1 <<'EOF'
info pci
quit
EOF
echo $? > "$out/qemu.rc"
wizard rollback --step mdev --yes > "$out/mdev-rollback.out" 2>&1
echo $? > "$out/mdev-rollback.rc"
mdevs > "$out/mdevs-after-rollback.txt"
ls /etc/mdevctl.d/mtty > "$out/mdevctl-after-rollback.txt" 2>&1

# without mdevctl: the sysfs path (until the next reboot), two instances
for m in /usr/sbin/mdevctl /usr/bin/mdevctl /sbin/mdevctl /bin/mdevctl; do [ -e "$m" ] && rm -f "$m"; done
wizard apply --step mdev --device mtty --type mtty-1 --count 2 --yes > "$out/sysfs-apply.out" 2>&1
echo $? > "$out/sysfs-apply.rc"
mdevs > "$out/mdevs-sysfs.txt"
wizard rollback --step mdev --yes > "$out/sysfs-rollback.out" 2>&1
echo $? > "$out/sysfs-rollback.rc"
mdevs > "$out/mdevs-sysfs-after.txt"
# negative control: more instances than the parent has
wizard apply --step mdev --device mtty --type mtty-2 --count 99 --yes > "$out/too-many.out" 2>&1
echo $? > "$out/too-many.rc"

# SR-IOV on QEMU's NVMe controller
modprobe nvme
pf=""
for p in /sys/bus/pci/devices/*; do
  [ "$(cat "$p/vendor"):$(cat "$p/device")" = 0x1b36:0x0010 ] && pf=${p##*/}
done
echo "$pf" > "$out/pf.txt"
cat "/sys/bus/pci/devices/$pf/sriov_totalvfs" > "$out/totalvfs.txt" 2>&1
wizard apply --step sriov --device "$pf" --vfs 2 --yes --json > "$out/sriov-apply.json" 2> "$out/sriov-apply.err"
echo $? > "$out/sriov-apply.rc"
cat "/sys/bus/pci/devices/$pf/sriov_numvfs" > "$out/numvfs-after-apply.txt"
for v in /sys/bus/pci/devices/$pf/virtfn*; do [ -e "$v" ] && basename "$(readlink "$v")"; done > "$out/vfs.txt"
for v in $(cat "$out/vfs.txt"); do basename "$(readlink "/sys/bus/pci/devices/$v/iommu_group")"; done > "$out/vf-groups.txt"
cat /etc/udev/rules.d/70-vfio-wizard-sriov.rules > "$out/udev-rule.txt" 2>&1
# the rule at work, as at boot: the VFs gone, the real udevd replays "add" for the PF (what
# systemd-udev-trigger does at boot, after nvme bound in the initramfs) and the count comes back
echo 0 > "/sys/bus/pci/devices/$pf/sriov_numvfs"
cat "/sys/bus/pci/devices/$pf/sriov_numvfs" > "$out/numvfs-before-replay.txt"
# the guest's root is a chroot into the overlay: systemd's tools refuse work there unless told
export SYSTEMD_IGNORE_CHROOT=1
udevd=/lib/systemd/systemd-udevd
[ -x "$udevd" ] || udevd=/usr/lib/systemd/systemd-udevd
"$udevd" --daemon > "$out/udevd.out" 2>&1
udevadm settle --timeout=30 >> "$out/udevd.out" 2>&1
udevadm trigger --action=add --sysname-match="$pf" >> "$out/udevd.out" 2>&1
udevadm settle --timeout=30 >> "$out/udevd.out" 2>&1
cat "/sys/bus/pci/devices/$pf/sriov_numvfs" > "$out/numvfs-after-replay.txt"
udevadm control --exit >> "$out/udevd.out" 2>&1
wizard rollback --step sriov --yes > "$out/sriov-rollback.out" 2>&1
echo $? > "$out/sriov-rollback.rc"
cat "/sys/bus/pci/devices/$pf/sriov_numvfs" > "$out/numvfs-after-rollback.txt"
ls /etc/udev/rules.d/70-vfio-wizard-sriov.rules > "$out/udev-after-rollback.txt" 2>&1
wizard plan --step sriov --device "$pf" --vfs 3 > "$out/sriov-too-many.out" 2>&1
echo $? > "$out/sriov-too-many.rc"
exit 0
