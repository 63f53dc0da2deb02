// Boot mode (UEFI or legacy/CSM) and Secure Boot: neither blocks vfio, but both decide what
// else works — OVMF guests and GPU option ROMs on one side, unsigned kernel modules on the other.
import type { HostFacts } from '../host/types.js';
import type { Check } from './types.js';

const UEFI_WHY =
  'Passthrough works with legacy (CSM) boot, but a UEFI host posts GPUs through their UEFI GOP ROM, which ' +
  'is what OVMF (UEFI) guests expect; with CSM some cards come up in legacy mode and show a black screen in the guest.';

export function checkUefi(facts: HostFacts): Check {
  const base = { id: 'uefi' as const, title: 'UEFI boot', why: UEFI_WHY };
  if (facts.boot.uefi) {
    return { ...base, status: 'pass', summary: 'booted in UEFI mode', evidence: ['/sys/firmware/efi exists'], remedy: null };
  }
  if (facts.boot.uefi === null) {
    return {
      ...base,
      status: 'unknown',
      summary: 'the boot mode is unknown: this root has no /sys/firmware (a system at rest, not running)',
      evidence: ['/sys/firmware absent'],
      remedy: 'Run the check on the running system to see how it booted.',
    };
  }
  return {
    ...base,
    status: 'warn',
    summary: 'booted in legacy (BIOS/CSM) mode',
    evidence: ['/sys/firmware/efi absent'],
    remedy:
      'Passthrough can work as is. If the guest shows no picture, the GPU may need a UEFI GOP ROM and a UEFI host. ' +
      'Do not simply switch the firmware to UEFI-only: this installed system boots through a legacy boot loader ' +
      'and would no longer start until a UEFI boot loader is installed (for example after converting the disk to GPT with an EFI system partition).',
  };
}

/** Drivers built outside the kernel tree: with Secure Boot on they load only when signed by an enrolled key. */
const OUT_OF_TREE = ['nvidia', 'nvidia_drm', 'nvidia_modeset', 'nvidia_uvm', 'nvidia_vgpu_vfio', 'vendor_reset'];

const SB_WHY =
  'Secure Boot does not block vfio-pci (an in-tree, signed module). It blocks unsigned out-of-tree modules — ' +
  'the NVIDIA driver, vendor-reset (AMD reset bug), kernels with the ACS override patch — which then fail to ' +
  'load with "Key was rejected by service".';

export function checkSecureBoot(facts: HostFacts): Check {
  const base = { id: 'secure-boot' as const, title: 'Secure Boot', why: SB_WHY };
  const { boot } = facts;
  if (boot.uefi === null) {
    return {
      ...base,
      status: 'unknown',
      summary: 'unknown: this root has no /sys/firmware, so neither the boot mode nor the SecureBoot variable can be read',
      evidence: ['/sys/firmware absent'],
      remedy: 'Run the check on the running system.',
    };
  }
  if (!boot.uefi) {
    return {
      ...base,
      status: 'pass',
      summary: 'not applicable: legacy boot has no Secure Boot',
      evidence: ['/sys/firmware/efi absent'],
      remedy: null,
    };
  }
  if (boot.secureBoot === null) {
    return {
      ...base,
      status: 'unknown',
      summary: 'the SecureBoot EFI variable could not be read',
      evidence: ['/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c: unreadable'],
      remedy: 'Check with `mokutil --sb-state`. Only out-of-tree modules (NVIDIA, vendor-reset) are affected.',
    };
  }
  const evidence = [`SecureBoot efivar: ${boot.secureBoot ? 'enabled (1)' : 'disabled (0)'}`];
  if (!boot.secureBoot) {
    return { ...base, status: 'pass', summary: 'off: any kernel module can load', evidence, remedy: null };
  }
  const inUse = new Set<string>();
  for (const d of facts.devices) if (d.driver && OUT_OF_TREE.includes(d.driver.replace(/-/g, '_'))) inUse.add(d.driver);
  for (const m of facts.kernel.loadedModules ?? []) if (OUT_OF_TREE.includes(m)) inUse.add(m);
  if (inUse.size === 0) {
    return {
      ...base,
      status: 'pass',
      summary: 'on: vfio-pci is signed and unaffected; no out-of-tree module is in use',
      evidence: [...evidence, 'no out-of-tree module (nvidia, vendor_reset) in use'],
      remedy: null,
    };
  }
  const list = [...inUse].sort();
  return {
    ...base,
    status: 'warn',
    summary: `on, and out-of-tree modules are in use (${list.join(', ')}): each must stay signed with an enrolled key`,
    evidence: [...evidence, `out-of-tree modules in use: ${list.join(', ')}`],
    remedy:
      'Nothing to do while they load. Modules you add later (vendor-reset through DKMS, a new NVIDIA driver) must be ' +
      'signed with a Machine Owner Key: enroll the DKMS signing key with `mokutil --import` (Debian: /var/lib/dkms/mok.pub, ' +
      'Ubuntu: /var/lib/shim-signed/mok/MOK.der) and confirm it in the MOK manager on the next boot. Otherwise they ' +
      'fail with "Key was rejected by service".',
  };
}
