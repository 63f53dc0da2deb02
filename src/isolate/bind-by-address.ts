// Binding by PCI address, for when the guest card has the same vendor:device IDs as a card the host
// keeps (seed 003: two RTX 2080 Ti): `options vfio-pci ids=` would take both, so each chosen function
// gets driver_override=vfio-pci before any host driver can claim it.
//
// Two ways, chosen by what the system has:
// 1. driverctl, when installed: `driverctl --noprobe set-override ADDR vfio-pci` saves the override
//    in /etc/driverctl.d and applies it from udev at every boot (and its dracut module inside the
//    initramfs). --noprobe: the live rebind is a separate, deliberate step.
// 2. Otherwise the approach the Arch Wiki documents: a small POSIX sh script that writes
//    driver_override, run by modprobe itself through an `install vfio-pci …` line in our modprobe
//    file. The softdeps already make every host driver (nouveau, nvidia, snd_hda_intel, xhci_pci…)
//    load vfio-pci first, so the script runs before any of them, wherever the load happens: in the
//    initramfs (the script and modprobe file are copied into it — an initramfs-tools hook, dracut
//    install_items or mkinitcpio FILES) or after the switch to the real root. This avoids an
//    init-top script, whose place relative to udev's coldplug is not guaranteed.
//    When vfio-pci is built into the kernel it is never "loaded", so its install line would never
//    run; the script then hangs off the host drivers' own install lines instead, and asks the
//    already registered vfio-pci to probe the devices (drivers_probe).
// The script checks the vendor:device at each address before touching it: if the cards were moved
// or replaced, a different device now at that address is left alone.
//
// Pure: generates file contents and commands; nothing is written here.
import type { CommandChange } from '../plan/types.js';
import type { ModuleState, PciDevice } from '../host/types.js';
import { normaliseModuleName } from './host-drivers.js';

export const OVERRIDE_SCRIPT = '/usr/local/sbin/vfio-wizard-override';
export const INITRAMFS_TOOLS_HOOK = '/etc/initramfs-tools/hooks/vfio-wizard-override';

/** The script that sets driver_override for each chosen function (mode 0755). */
export function overrideScript(devices: readonly Pick<PciDevice, 'address' | 'vendor' | 'device'>[]): string {
  const entries = devices.map((d) => `${d.address}=0x${d.vendor}:0x${d.device}`).join(' ');
  return `#!/bin/sh
# Written by vfio-wizard: hand these PCI functions to vfio-pci by address (their vendor:device IDs
# are shared with a card the host keeps, so "options vfio-pci ids=" cannot be used).
# modprobe runs this from our modprobe.d file before vfio-pci (or a host driver) loads.
# To undo: remove the "install … vfio-wizard-override" line(s) from /etc/modprobe.d and delete this file.
# VFIO_WIZARD_SYSFS lets the project's tests run this against a fixture tree; it is unset at boot.
sysfs=\${VFIO_WIZARD_SYSFS:-/sys}
for entry in ${entries}; do
\tdev=\${entry%%=*}
\twant=\${entry#*=}
\tsys=$sysfs/bus/pci/devices/$dev
\t[ -e "$sys/driver_override" ] || continue
\t# a different card at this address now: leave it alone
\t[ "$(cat "$sys/vendor"):$(cat "$sys/device")" = "$want" ] || continue
\techo vfio-pci > "$sys/driver_override"
\tif [ -e "$sys/driver" ]; then
\t\tdrv=$(readlink "$sys/driver")
\t\t[ "\${drv##*/}" = vfio-pci ] || echo "$dev" > "$sys/driver/unbind"
\tfi
\t# binds now if vfio-pci is built in or already loaded; otherwise vfio-pci binds it when it loads
\techo "$dev" > "$sysfs/bus/pci/drivers_probe" 2>/dev/null
done
exit 0
`;
}

/** The modprobe.d `install` lines that run the script (see the file comment). */
export function overrideInstallLines(vfioPci: ModuleState, hostModules: readonly string[]): string[] {
  if (vfioPci !== 'builtin') return [`install vfio-pci ${OVERRIDE_SCRIPT}; /sbin/modprobe --ignore-install vfio-pci`];
  return [...new Set(hostModules.map(normaliseModuleName))].map((m) => `install ${m} ${OVERRIDE_SCRIPT}; /sbin/modprobe --ignore-install ${m}`);
}

/** initramfs-tools hook that copies the script into the image (mode 0755). */
export function initramfsToolsHook(): string {
  return `#!/bin/sh
# Written by vfio-wizard: copy ${OVERRIDE_SCRIPT} into the initramfs, where modprobe runs it.
# To undo: delete this file and run update-initramfs -u -k all.
PREREQ=""
prereqs()
{
\techo "$PREREQ"
}
case "$1" in
prereqs)
\tprereqs
\texit 0
\t;;
esac
. /usr/share/initramfs-tools/hook-functions
copy_file script ${OVERRIDE_SCRIPT}
rc=$?
# 1 means "already in the image"; 2 means the script is missing, which must stop the build
[ "$rc" -le 1 ] || exit "$rc"
exit 0
`;
}

/** driverctl commands, one per function, each undone by unset-override. */
export function driverctlCommands(addresses: readonly string[]): CommandChange[] {
  return addresses.map((a) => ({
    kind: 'command',
    argv: ['driverctl', '--noprobe', 'set-override', a, 'vfio-pci'],
    why: `bind ${a} to vfio-pci by address at every boot (its IDs match a device the host keeps)`,
    phase: 'files',
    undo: { argv: ['driverctl', '--noprobe', 'unset-override', a], why: `forget the vfio-pci override for ${a}` },
  }));
}
