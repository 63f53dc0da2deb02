// The machine `vfio-wizard --demo` runs against: a Debian 12 desktop with a Raptor Lake CPU
// (UHD 770 iGPU drives the host display), a 4-function Turing RTX 2070 for the guest, an NVMe
// holding / and the ESP, an I226-V NIC carrying the default route, and a FuriosaAI Warboy NPU.
// The firmware exposes VT-d (ACPI DMAR) but the kernel has not enabled it: Debian's kernel needs
// intel_iommu=on, so the wizard has a real plan to show. Device IDs and pci.ids names are those of
// the real parts (the chipset lines as lspci printed them in corpus philt-raptorlake-…); the group
// layout after enabling follows that corpus machine: each CPU/PCH root port isolated, the GPU's
// four functions together, the NPU and NVMe each alone.
import type { DeviceSpec, RootSpec } from './root-spec.js';

export const SAMPLE_KERNEL = '6.1.0-13-amd64';
const ROOT_UUID = '3f1c2a7e-5b8d-4e0f-9a61-2c7d9e4b1a05';
const EFI_UUID = '6A3E-91C4';

/** IOMMU groups the devices get once the kernel enables VT-d (null while it is off). */
export const SAMPLE_GROUPS_AFTER_ENABLING: Record<string, number> = {
  '0000:00:00.0': 0,
  '0000:00:01.0': 1,
  '0000:00:02.0': 2,
  '0000:00:06.0': 3,
  '0000:00:14.0': 4,
  '0000:00:14.2': 4,
  '0000:00:16.0': 5,
  '0000:00:17.0': 6,
  '0000:00:1c.0': 7,
  '0000:00:1c.3': 8,
  '0000:00:1f.0': 9,
  '0000:00:1f.3': 9,
  '0000:00:1f.4': 9,
  '0000:00:1f.5': 9,
  '0000:01:00.0': 10,
  '0000:01:00.1': 10,
  '0000:01:00.2': 10,
  '0000:01:00.3': 10,
  '0000:02:00.0': 11,
  '0000:03:00.0': 12,
  '0000:04:00.0': 13,
};

const dev = (
  address: string,
  vendor: string,
  device: string,
  cls: string,
  driver: string | null,
  extra: Partial<DeviceSpec> = {},
): DeviceSpec => ({ address, vendor, device, class: cls, driver, iommuGroup: null, ...extra });

const SAMPLE_DEVICES: DeviceSpec[] = [
  dev('0000:00:00.0', '8086', 'a700', '060000', null, { revision: '01' }),
  dev('0000:00:01.0', '8086', 'a70d', '060400', 'pcieport', { revision: '01' }),
  dev('0000:00:02.0', '8086', 'a780', '030000', 'i915', {
    revision: '04',
    bootVga: true,
    subsystemVendor: '1043',
    subsystemDevice: '8882',
    resources: [['0x0000006000000000', '0x0000006000ffffff', '0x0000000000140204']],
  }),
  dev('0000:00:06.0', '8086', 'a74d', '060400', 'pcieport', { revision: '01' }),
  dev('0000:00:14.0', '8086', '7a60', '0c0330', 'xhci_hcd', { revision: '11' }),
  dev('0000:00:14.2', '8086', '7a27', '050000', null, { revision: '11' }),
  dev('0000:00:16.0', '8086', '7a68', '078000', 'mei_me', { revision: '11' }),
  dev('0000:00:17.0', '8086', '7a62', '010601', 'ahci', { revision: '11' }),
  dev('0000:00:1c.0', '8086', '7a38', '060400', 'pcieport', { revision: '11' }),
  dev('0000:00:1c.3', '8086', '7a3b', '060400', 'pcieport', { revision: '11' }),
  dev('0000:00:1f.0', '8086', '7a04', '060100', null, { revision: '11' }),
  dev('0000:00:1f.3', '8086', '7a50', '040300', 'snd_hda_intel', { revision: '11' }),
  dev('0000:00:1f.4', '8086', '7a23', '0c0500', 'i801_smbus', { revision: '11' }),
  dev('0000:00:1f.5', '8086', '7a24', '0c8000', 'intel-spi', { revision: '11' }),
  // Turing: VGA, HDMI audio, USB 3.1 and USB-C UCSI functions, behind the CPU's PEG port
  dev('0000:01:00.0', '10de', '1f02', '030000', 'nouveau', {
    revision: 'a1',
    parents: ['0000:00:01.0'],
    subsystemVendor: '1043',
    subsystemDevice: '86f1',
    resetMethod: 'bus',
    resources: [
      ['0x0000000081000000', '0x0000000081ffffff', '0x0000000000040200'],
      ['0x0000006010000000', '0x000000601fffffff', '0x000000000014220c'],
      ['0x0000006020000000', '0x0000006021ffffff', '0x000000000014220c'],
    ],
  }),
  dev('0000:01:00.1', '10de', '10f9', '040300', 'snd_hda_intel', { revision: 'a1', parents: ['0000:00:01.0'] }),
  dev('0000:01:00.2', '10de', '1ada', '0c0330', 'xhci_hcd', { revision: 'a1', parents: ['0000:00:01.0'] }),
  dev('0000:01:00.3', '10de', '1adb', '0c8000', 'nvidia-gpu', { revision: 'a1', parents: ['0000:00:01.0'] }),
  dev('0000:02:00.0', '144d', 'a80a', '010802', 'nvme', {
    parents: ['0000:00:06.0'],
    subsystemVendor: '144d',
    subsystemDevice: 'a801',
    block: ['nvme0n1'],
  }),
  // NPU without a vendor driver loaded on the host: nothing claims it
  dev('0000:03:00.0', '1ed2', '0000', '120000', null, { revision: '01', parents: ['0000:00:1c.0'] }),
  dev('0000:04:00.0', '8086', '125c', '020000', 'igc', {
    revision: '04',
    parents: ['0000:00:1c.3'],
    subsystemVendor: '1043',
    subsystemDevice: '87d2',
    net: ['enp4s0'],
  }),
];

const PCI_IDS_EXCERPT = `# pci.ids excerpt for the vfio-wizard demo machine (format of https://pci-ids.ucw.cz/)
# Syntax: vendor  vendor_name / <tab>device  device_name
10de  NVIDIA Corporation
\t10f9  TU106 High Definition Audio Controller
\t1ada  TU106 USB 3.1 Host Controller
\t1adb  TU106 USB Type-C UCSI Controller
\t1f02  TU106 [GeForce RTX 2070]
144d  Samsung Electronics Co Ltd
\ta80a  NVMe SSD Controller PM9A1/PM9A3/980PRO
1ed2  FuriosaAI, Inc.
\t0000  Warboy
8086  Intel Corporation
\t125c  Ethernet Controller I226-V
\t7a04  Raptor Lake LPC/eSPI Controller
\t7a23  Raptor Lake-S PCH SMBus Controller
\t7a24  Raptor Lake SPI (flash) Controller
\t7a27  Raptor Lake-S PCH Shared SRAM
\t7a38  Raptor Lake PCI Express Root Port #1
\t7a3b  Raptor Lake PCI Express Root Port #4
\t7a50  Raptor Lake High Definition Audio Controller
\t7a60  Raptor Lake USB 3.2 Gen 2x2 (20 Gb/s) XHCI Host Controller
\t7a62  Raptor Lake SATA AHCI Controller
\t7a68  Raptor Lake CSME HECI #1
\ta70d  Raptor Lake PCI Express 5.0 Graphics Port (PEG010)
\ta74d  Raptor Lake PCIe 4.0 Graphics Port
\ta780  Raptor Lake-S GT1 [UHD Graphics 770]
`;

/** Debian 12's /etc/default/grub as the installer writes it. */
export const DEBIAN12_DEFAULT_GRUB = `# If you change this file, run 'update-grub' afterwards to update
# /boot/grub/grub.cfg.
# For full documentation of the options in this file, see:
#   info -f grub -n 'Simple configuration'

GRUB_DEFAULT=0
GRUB_TIMEOUT=5
GRUB_DISTRIBUTOR=\`lsb_release -i -s 2> /dev/null || echo Debian\`
GRUB_CMDLINE_LINUX_DEFAULT="quiet"
GRUB_CMDLINE_LINUX=""

# If your computer has multiple operating systems installed, then you
# probably want to run os-prober. However, if your computer is a host
# for guest OSes installed via LVM or raw disk devices, running
# os-prober can cause damage to those guest OSes as it mounts
# filesystems to look for things.
#GRUB_DISABLE_OS_PROBER=false

# Uncomment to enable BadRAM filtering, modify to suit your needs
# This works with Linux (no patch required) and with any kernel that obtains
# the memory map information from GRUB (GNU Mach, kernel of FreeBSD ...)
#GRUB_BADRAM="0x01234567,0xfefefefe,0x89abcdef,0xefefefef"

# Uncomment to disable graphical terminal
#GRUB_TERMINAL=console

# The resolution used on graphical terminal
# note that you can use only modes which your graphic card supports via VBE
# you can see them in real GRUB with the command \`vbeinfo'
#GRUB_GFXMODE=640x480

# Uncomment if you don't want GRUB to pass "root=UUID=xxx" parameter to Linux
#GRUB_DISABLE_LINUX_UUID=true

# Uncomment to disable generation of recovery mode menu entries
#GRUB_DISABLE_RECOVERY="true"

# Uncomment to get a beep at grub start
#GRUB_INIT_TUNE="480 440 1"
`;

export const DEBIAN12_OS_RELEASE = `PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
HOME_URL="https://www.debian.org/"
SUPPORT_URL="https://www.debian.org/support"
BUG_REPORT_URL="https://bugs.debian.org/"
`;

/** Debian's initramfs-tools default /etc/initramfs-tools/modules (no modules listed). */
export const INITRAMFS_TOOLS_MODULES = `# List of modules that you want to include in your initramfs.
# They will be loaded at boot time in the order below.
#
# Syntax:  module_name [args ...]
#
# You must run update-initramfs(8) to effect this change.
#
# Examples:
#
# raid1
# sd_mod
`;

const CMDLINE = `BOOT_IMAGE=/boot/vmlinuz-${SAMPLE_KERNEL} root=UUID=${ROOT_UUID} ro quiet`;

/** what a Debian 6.1 kernel logs about VT-d when intel_iommu=on is absent: the DMAR table is
 * parsed and interrupt remapping is enabled, but no DMA remapping units and no groups */
const DMESG = `[    0.000000] Linux version ${SAMPLE_KERNEL} (debian-kernel@lists.debian.org) (gcc-12 (Debian 12.2.0-14) 12.2.0, GNU ld (GNU Binutils for Debian) 2.40) #1 SMP PREEMPT_DYNAMIC Debian 6.1.55-1 (2023-09-29)
[    0.000000] Command line: ${CMDLINE}
[    0.008731] ACPI: DMAR 0x0000000047A1B000 000088 (v02 INTEL  EDK2     00000002      01000013)
[    0.008765] ACPI: Reserving DMAR table memory at [mem 0x47a1b000-0x47a1b087]
[    0.061234] Kernel command line: ${CMDLINE}
[    0.120416] DMAR: Host address width 39
[    0.120417] DMAR: DRHD base: 0x000000fed90000 flags: 0x0
[    0.120422] DMAR: dmar0: reg_base_addr fed90000 ver 4:0 cap 1c0000c40660462 ecap 29a00f0505e
[    0.120424] DMAR: DRHD base: 0x000000fed91000 flags: 0x1
[    0.120428] DMAR: dmar1: reg_base_addr fed91000 ver 5:0 cap d2008c40660462 ecap f050da
[    0.120430] DMAR-IR: IOAPIC id 2 under DRHD base  0xfed91000 IOMMU 1
[    0.120431] DMAR-IR: HPET id 0 under DRHD base 0xfed91000
[    0.120432] DMAR-IR: Queued invalidation will be enabled to support x2apic and Intr-remapping.
[    0.122095] DMAR-IR: Enabled IRQ remapping in x2apic mode
`;

const MOUNTINFO = `22 28 0:21 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw
23 28 0:22 / /proc rw,nosuid,nodev,noexec,relatime shared:13 - proc proc rw
28 1 259:0 / / rw,relatime shared:1 - ext4 /dev/nvme0n1 rw,errors=remount-ro
45 28 259:0 / /boot/efi rw,relatime shared:29 - vfat /dev/nvme0n1 rw,fmask=0077,dmask=0077,codepage=437,iocharset=ascii,shortname=mixed,utf8,errors=remount-ro
`;

const ROUTE = `Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT
enp4s0\t00000000\t0101A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0
enp4s0\t0001A8C0\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0
`;

const GRUB_CFG = `#
# DO NOT EDIT THIS FILE
#
# It is automatically generated by grub-mkconfig using templates
# from /etc/grub.d and settings from /etc/default/grub
#
menuentry 'Debian GNU/Linux' --class debian --class gnu-linux --class gnu --class os $menuentry_id_option 'gnulinux-simple-${ROOT_UUID}' {
	insmod ext2
	search --no-floppy --fs-uuid --set=root ${ROOT_UUID}
	echo	'Loading Linux ${SAMPLE_KERNEL} ...'
	linux	/boot/vmlinuz-${SAMPLE_KERNEL} root=UUID=${ROOT_UUID} ro  quiet
	echo	'Loading initial ramdisk ...'
	initrd	/boot/initrd.img-${SAMPLE_KERNEL}
}
`;

const KMOD = (p: string) => `kernel/${p}.ko`;

/** modules.dep lines for a Debian 6.1 kernel: vfio-pci is a module (vfio_virqfd still separate before 6.2). */
export const DEBIAN_61_MODULES_DEP = [
  `${KMOD('drivers/vfio/pci/vfio-pci')}: ${KMOD('drivers/vfio/pci/vfio-pci-core')} ${KMOD('drivers/vfio/vfio_virqfd')} ${KMOD('virt/lib/irqbypass')} ${KMOD('drivers/vfio/vfio')}`,
  `${KMOD('drivers/vfio/pci/vfio-pci-core')}: ${KMOD('drivers/vfio/vfio_virqfd')} ${KMOD('virt/lib/irqbypass')} ${KMOD('drivers/vfio/vfio')}`,
  `${KMOD('drivers/vfio/vfio_virqfd')}:`,
  `${KMOD('drivers/vfio/vfio_iommu_type1')}: ${KMOD('drivers/vfio/vfio')}`,
  `${KMOD('drivers/vfio/vfio')}:`,
  `${KMOD('virt/lib/irqbypass')}:`,
  `${KMOD('arch/x86/kvm/kvm-intel')}: ${KMOD('arch/x86/kvm/kvm')}`,
  `${KMOD('arch/x86/kvm/kvm')}: ${KMOD('virt/lib/irqbypass')}`,
  `${KMOD('drivers/gpu/drm/i915/i915')}:`,
  `${KMOD('drivers/gpu/drm/nouveau/nouveau')}:`,
  `${KMOD('sound/pci/hda/snd-hda-intel')}:`,
  `${KMOD('drivers/usb/host/xhci-pci')}:`,
  `${KMOD('drivers/i2c/busses/i2c-nvidia-gpu')}:`,
  `${KMOD('drivers/nvme/host/nvme')}:`,
  `${KMOD('drivers/net/ethernet/intel/igc/igc')}:`,
];

const stub = (what: string) => `#!/bin/sh\n# ${what} (placeholder in the demo root: present so detection finds it; never run)\nexit 0\n`;

export const SAMPLE_WORKSTATION: RootSpec = {
  id: 'sample-workstation',
  source:
    'synthetic: the --demo machine. Debian 12 desktop, Raptor Lake + Z790-class PCH (chipset IDs as in corpus philt-raptorlake-rtx4090-annotated-groups), UHD 770 boot VGA, RTX 2070 (TU106, 4 functions), Samsung PM9A1 NVMe with / and the ESP, I226-V with the default route, FuriosaAI Warboy NPU; DMAR present, intel_iommu=on not set yet',
  cpu: {
    vendor: 'GenuineIntel',
    model: '13th Gen Intel(R) Core(TM) i7-13700K',
    threads: 24,
    flags: ['fpu', 'vme', 'de', 'pse', 'tsc', 'msr', 'pae', 'mce', 'cx8', 'apic', 'sep', 'mtrr', 'pge', 'mca', 'cmov', 'pat', 'pse36', 'clflush', 'mmx', 'fxsr', 'sse', 'sse2', 'ht', 'syscall', 'nx', 'lm', 'constant_tsc', 'pni', 'vmx', 'ssse3', 'sse4_1', 'sse4_2', 'x2apic', 'aes', 'avx', 'avx2', 'ept', 'vpid'],
  },
  kvmDevice: true,
  acpiTables: ['APIC', 'DMAR', 'DSDT', 'FACP', 'FPDT', 'HPET', 'MCFG', 'SSDT1'],
  iommuUnits: [],
  uefi: true,
  secureBoot: false,
  kernelRelease: SAMPLE_KERNEL,
  cmdline: CMDLINE,
  dmesg: DMESG,
  osRelease: DEBIAN12_OS_RELEASE,
  modulesBuiltin: ['kernel/drivers/tty/serial/8250/8250.ko', 'kernel/drivers/input/serio/i8042.ko'],
  modulesDep: DEBIAN_61_MODULES_DEP,
  loadedModules: ['kvm_intel', 'kvm', 'irqbypass', 'i915', 'nouveau', 'snd_hda_intel', 'xhci_pci', 'i2c_nvidia_gpu', 'nvme', 'igc', 'mei_me', 'ahci'],
  devices: SAMPLE_DEVICES,
  layout: 'symlinks',
  pciConfig: true,
  files: {
    'etc/default/grub': DEBIAN12_DEFAULT_GRUB,
    'boot/grub/grub.cfg': GRUB_CFG,
    [`boot/vmlinuz-${SAMPLE_KERNEL}`]: '',
    [`boot/initrd.img-${SAMPLE_KERNEL}`]: '',
    [`boot/config-${SAMPLE_KERNEL}`]:
      'CONFIG_VFIO=m\nCONFIG_VFIO_IOMMU_TYPE1=m\nCONFIG_VFIO_VIRQFD=m\nCONFIG_VFIO_PCI=m\nCONFIG_INTEL_IOMMU=y\n# CONFIG_INTEL_IOMMU_DEFAULT_ON is not set\nCONFIG_IRQ_REMAP=y\n',
    'etc/initramfs-tools/initramfs.conf': 'MODULES=most\nBUSYBOX=auto\nCOMPRESS=zstd\n',
    'etc/initramfs-tools/modules': INITRAMFS_TOOLS_MODULES,
    'etc/modprobe.d/.keep': '',
    'usr/sbin/update-initramfs': stub('update-initramfs'),
    'usr/sbin/update-grub': stub('update-grub'),
    'usr/sbin/grub-mkconfig': stub('grub-mkconfig'),
    'usr/bin/qemu-system-x86_64': stub('qemu-system-x86_64'),
    'usr/bin/virsh': stub('virsh'),
    'usr/bin/virt-install': stub('virt-install'),
    'usr/bin/virt-host-validate': stub('virt-host-validate'),
    'usr/share/OVMF/OVMF_CODE_4M.fd': '',
    'usr/share/OVMF/OVMF_VARS_4M.fd': '',
    'usr/share/misc/pci.ids': PCI_IDS_EXCERPT,
    'proc/self/mountinfo': MOUNTINFO,
    'proc/net/route': ROUTE,
    'etc/fstab': `UUID=${ROOT_UUID} /         ext4 errors=remount-ro 0 1\nUUID=${EFI_UUID}  /boot/efi vfat umask=0077        0 1\n`,
  },
};
