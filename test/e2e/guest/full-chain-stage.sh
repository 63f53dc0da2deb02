#!/bin/sh
# The whole chain, stage by stage, as init (PID 1) of an installed Debian system in a QEMU guest.
# E2E_STAGE (from the kernel command line) says which boot this is:
#   1: the wizard applies the kernel command line and the isolation of VGA + HDA, inside the system
#      (the real update-grub and update-initramfs run here)
#   2: after the reboot: record what the kernel did, `vfio-wizard verify`, then `rollback --all`
#   3: after the second reboot: record that everything is back (command line, drivers, the
#      generated GRUB menu and the initramfs contents as they were before stage 1's apply)
# Results go to /e2e/out-N on the disk, which the host reads back with debugfs.
[ "$$" = 1 ] || { echo "refusing to run: this is the init of a throw-away guest" >&2; exit 97; }
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C
mount -t proc proc /proc 2>/dev/null
mount -t sysfs sysfs /sys 2>/dev/null
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -o remount,rw /
mount -t tmpfs tmpfs /run; mount -t tmpfs tmpfs /tmp
/lib/systemd/systemd-udevd --daemon >/dev/null 2>&1
udevadm trigger --action=add; udevadm settle --timeout=120
out=/e2e/out-$E2E_STAGE; rm -rf "$out"; mkdir -p "$out"
wizard() { node /opt/vfio-wizard/bin/vfio-wizard.js "$@"; }
find_dev() { for p in /sys/bus/pci/devices/*; do [ "$(cat "$p/vendor"):$(cat "$p/device")" = "$1" ] && { echo "${p##*/}"; return; }; done; }
drv() { d=$(readlink "/sys/bus/pci/devices/$1/driver" 2>/dev/null); echo "${d##*/}"; }
vga=$(find_dev 0x1234:0x1111); hda=$(find_dev 0x8086:0x293e); nic=$(find_dev 0x8086:0x10d3)
cat /proc/cmdline > "$out/cmdline"
echo "vga=$(drv "$vga") hda=$(drv "$hda") nic=$(drv "$nic")" > "$out/drivers"
ls /sys/kernel/iommu_groups 2>/dev/null | wc -l > "$out/groups"
ls /dev/vfio > "$out/dev-vfio" 2>&1
# seconds each part took, for the test's log (TCG is slow; this shows where the time goes)
t() { s=$(date +%s); "$@"; echo "$(( $(date +%s) - s ))s $*" >> "$out/timing"; }
case "$E2E_STAGE" in
  1)
    # an installed system has its generated GRUB menu and an initramfs built with its own
    # settings (here MODULES=dep, see disk.ts): make both as the system would, and keep them as
    # they are before the wizard, to compare after the rollback
    t update-grub > "$out/update-grub-baseline" 2>&1
    t update-initramfs -u > "$out/update-initramfs-baseline" 2>&1
    cp /boot/grub/grub.cfg "$out/grub.cfg.before"
    lsinitramfs "/boot/initrd.img-$(uname -r)" | sort > "$out/initrd.before"
    t wizard apply --step cmdline --param intel_iommu=on --yes > "$out/apply-cmdline" 2>&1; echo $? > "$out/apply-cmdline.rc"
    t wizard apply --step isolate --device "$vga,$hda" --allow-boot-gpu --allow-no-host-gpu --yes > "$out/apply-isolate" 2>&1
    echo $? > "$out/apply-isolate.rc"
    lsinitramfs "/boot/initrd.img-$(uname -r)" | sort > "$out/initrd.applied"
    ;;
  2)
    t wizard verify > "$out/verify" 2>&1; echo $? > "$out/verify.rc"
    t wizard rollback --all --yes > "$out/rollback" 2>&1; echo $? > "$out/rollback.rc"
    ;;
  3)
    cp /boot/grub/grub.cfg "$out/grub.cfg.after"
    lsinitramfs "/boot/initrd.img-$(uname -r)" | sort > "$out/initrd.after"
    ;;
esac
sync
echo "E2E-STAGE-END $E2E_STAGE" > /dev/ttyS0
echo o > /proc/sysrq-trigger
sleep 30
