#!/bin/bash
# Builds the guest tier's base initramfs (uncompressed newc cpio): busybox for the basics, the
# host's real kmod/lspci/dash with their libraries, only the kernel modules the scenarios load
# (closure computed by modprobe against the extracted kernel), and an /init that either runs
# /e2e/test.sh directly or switches into the host's own userspace shared read-only over 9p
# (so the host's node and the project checkout run unchanged under the guest kernel).
# Usage: build-initramfs.sh KROOT KVER OUT.cpio
set -euo pipefail
kroot=$(realpath "$1"); kver=$2; out=$(realpath -m "$3")
mods="kvm kvm_amd vfio vfio_iommu_type1 vfio-pci mdev e1000e snd-hda-intel bochs nvme 9p 9pnet_virtio virtio_pci overlay"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
mkdir -p "$work"/usr/{bin,sbin,lib/x86_64-linux-gnu,lib64,share/misc} "$work"/{etc/modprobe.d,proc,sys,dev,tmp,run,root,mnt,e2e}
for d in bin sbin lib lib64; do ln -s "usr/$d" "$work/$d"; done
install -m755 /usr/bin/busybox "$work/usr/bin/busybox"
with_libs() {
  local bin lib
  for bin; do
    install -D -m755 "$bin" "$work$bin"
    for lib in $(ldd "$bin" | grep -o '/[^ ]*'); do [ -e "$work$lib" ] || install -D -m755 "$lib" "$work$lib"; done
  done
}
with_libs /usr/bin/kmod /usr/bin/lspci /usr/bin/dash
# /bin/sh is dash, not busybox: busybox sh prefers its own applets, and busybox modprobe ignores softdep.
ln -s dash "$work/usr/bin/sh"
for t in modprobe insmod rmmod lsmod modinfo depmod; do ln -s ../bin/kmod "$work/usr/sbin/$t"; done
cp /usr/share/misc/pci.ids "$work/usr/share/misc/"
for applet in $(/usr/bin/busybox --list-full); do
  [ -e "$work/$applet" ] || [ -L "$work/$applet" ] || ln -s /usr/bin/busybox "$work/$applet"
done
empty=$(mktemp -d)
files=$(modprobe -C "$empty" -d "$kroot" -S "$kver" --show-depends -a $mods | awk '$1 == "insmod" { print $2 }' | sort -u)
rmdir "$empty"
for f in $files; do install -D -m644 "$f" "$work/usr/lib/modules/$kver/${f#"$kroot"/lib/modules/$kver/}"; done
cp "$kroot/lib/modules/$kver"/modules.{order,builtin,builtin.modinfo} "$work/usr/lib/modules/$kver/"
depmod -b "$work" "$kver"
cat > "$work/init" <<'INIT'
#!/bin/sh
export PATH=/usr/local/bin:/usr/sbin:/usr/bin E2E_GUEST=1
mount -t proc proc /proc; mount -t sysfs sysfs /sys; mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp; mount -t tmpfs tmpfs /run
mkdir -p /dev/pts; mount -t devpts devpts /dev/pts
modprobe -q -a kvm_amd 2>/dev/null  # TCG's "max" CPU has svm: a real /dev/kvm for the readiness checks
echo "E2E-BEGIN"
rc=0
if grep -qw E2E_ROOTFS=1 /proc/cmdline; then
  modprobe -a virtio_pci 9pnet_virtio 9p overlay
  mkdir -p /lower /ovl /newroot
  mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=512000,cache=loose rootfs /lower
  mount -t tmpfs tmpfs /ovl; mkdir -p /ovl/up /ovl/wk
  mount -t overlay -o lowerdir=/lower,upperdir=/ovl/up,workdir=/ovl/wk overlay /newroot
  for m in proc sys dev; do mount --rbind /$m /newroot/$m; done
  mount -t tmpfs tmpfs /newroot/tmp; mount -t tmpfs tmpfs /newroot/run
  k=$(uname -r); mkdir -p /newroot/usr/lib/modules/$k; mount --bind /usr/lib/modules/$k /newroot/usr/lib/modules/$k
  mkdir -p /newroot/e2e-share; mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 share /newroot/e2e-share
  cp -a /e2e/. /newroot/tmp/
  dmesg > /newroot/tmp/guest-dmesg.txt
  chroot /newroot /bin/sh /tmp/test.sh; rc=$?
  umount /newroot/e2e-share
else
  /bin/sh /e2e/test.sh; rc=$?
fi
echo "E2E-END rc=$rc"
sync
poweroff -f
INIT
chmod 755 "$work/init"
(cd "$work" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) > "$out"
