// `vfio-wizard scan`: read the host (or --root DIR) and print what was found. --json prints the
// HostFacts object (docs/json.md); otherwise a plain summary. Read-only; never loads the UI.
import { systemRoot } from '../host/root.js';
import { scanHost } from '../host/scan.js';
import { largeBarFlag } from '../host/bar-text.js';
import type { HostFacts, PciDevice } from '../host/types.js';
import { ExitCode } from '../exit-codes.js';
import type { CommandContext } from './context.js';

const yesNo = (v: boolean | null, yes = 'yes', no = 'no') => (v === null ? 'unknown' : v ? yes : no);

function deviceFlags(d: PciDevice): string[] {
  const f: string[] = [];
  if (d.bootVga) f.push('boot VGA');
  if (d.hostCritical.length > 0) f.push(`host needs it: ${d.hostCritical.join(', ')}`);
  if (d.largeBar) f.push(largeBarFlag(d));
  if (d.sriov) f.push(`SR-IOV ${d.sriov.numVfs ?? '?'}/${d.sriov.totalVfs ?? '?'} VFs`);
  if (d.physfn) f.push(`VF of ${d.physfn}`);
  if (d.mdevSupportedTypes) f.push('mdev types');
  if (d.netInterfaces.length > 0) f.push(`net ${d.netInterfaces.join(' ')}`);
  if (d.blockDevices.length > 0) f.push(`disk ${d.blockDevices.join(' ')}`);
  return f;
}

function deviceLine(d: PciDevice): string {
  const flags = deviceFlags(d);
  return (
    `    ${d.address} ${d.className ?? d.class} [${d.class.slice(0, 4)}]: ${d.name} [${d.vendor}:${d.device}]` +
    ` — driver ${d.driver ?? 'none'}${flags.length > 0 ? ` (${flags.join('; ')})` : ''}`
  );
}

export function formatScan(f: HostFacts): string {
  const out: string[] = [];
  const c = f.cpu;
  out.push(`Root:        ${f.root}`);
  out.push(
    `CPU:         ${c.vendor}${c.model ? ` (${c.model})` : ''}; virtualization ${c.flag ?? (c.virtualization === null ? 'unknown' : 'not available')}; ` +
      `/dev/kvm ${c.kvmDevice ? 'present' : 'absent'}; kvm module ${yesNo(c.kvmModuleLoaded, 'loaded', 'not loaded')}`,
  );
  const i = f.iommu;
  out.push(
    `IOMMU:       firmware ${i.firmware === null ? 'unknown' : i.firmware ? `yes (${i.firmwareTables.join(', ')})` : 'no DMAR/IVRS table'}; ` +
      `kernel ${i.enabled ? `enabled (${i.units.length} units, ${i.groupsReadable ? `${i.groupCount} groups` : 'groups unreadable'})` : i.groupsReadable ? 'not enabled' : 'unknown (iommu_groups unreadable)'}; ` +
      `interrupt remapping ${yesNo(i.interruptRemapping)}`,
  );
  const b = f.boot;
  out.push(`Boot:        ${b.uefi === null ? 'unknown (no /sys/firmware under this root)' : b.uefi ? 'UEFI' : 'legacy BIOS'}; Secure Boot ${b.uefi ? yesNo(b.secureBoot, 'on', 'off') : b.uefi === null ? 'unknown' : 'n/a'}`);
  const k = f.kernel;
  out.push(
    `Kernel:      ${k.release ?? 'unknown'}; vfio-pci ${k.vfioPci}, vfio ${k.vfio}, vfio_iommu_type1 ${k.vfioIommuType1}`,
  );
  out.push(`Cmdline:     ${k.cmdline ?? 'unknown'}`);
  out.push(`Distro:      ${f.distro.prettyName ?? f.distro.id ?? 'unknown'}`);
  out.push(`Boot loader: ${b.bootloader.id} (${b.bootloader.evidence.join('; ')})`);
  out.push(`Initramfs:   ${b.initramfs.id} (${b.initramfs.evidence.join('; ')})`);
  const v = f.virt;
  out.push(
    `Virt stack:  qemu ${v.qemu ?? 'missing'}; virsh ${v.virsh ?? 'missing'}; virt-install ${v.virtInstall ?? 'missing'}; ` +
      `OVMF ${v.ovmf.length > 0 ? v.ovmf[0] : 'missing'}`,
  );
  out.push('');
  out.push(`PCI devices (${f.devices.length}):`);
  const byAddr = new Map(f.devices.map((d) => [d.address, d]));
  for (const g of f.iommuGroups) {
    out.push(`  IOMMU group ${g.id}:`);
    for (const a of g.devices) {
      const d = byAddr.get(a);
      out.push(d ? deviceLine(d) : `    ${a} (unreadable)`);
    }
  }
  const ungrouped = f.devices.filter((d) => d.iommuGroup === null);
  if (ungrouped.length > 0) {
    out.push(
      f.iommuGroups.length > 0
        ? '  No IOMMU group:'
        : !f.iommu.groupsReadable
          ? '  No IOMMU groups (/sys/kernel/iommu_groups could not be read):'
          : f.iommu.enabled
            ? '  No IOMMU groups (the kernel lists none):'
            : '  No IOMMU groups (the IOMMU is off):',
    );
    for (const d of ungrouped) out.push(deviceLine(d));
  }
  if (f.notes.length > 0) {
    out.push('');
    out.push('Notes:');
    for (const n of f.notes) out.push(`  - ${n}`);
  }
  return `${out.join('\n')}\n`;
}

export function runScan(ctx: CommandContext): void {
  const g = ctx.globals();
  const facts = scanHost(systemRoot(g.root));
  ctx.io.stdout.write(g.json ? `${JSON.stringify(facts, null, 2)}\n` : formatScan(facts));
  ctx.setExit(ExitCode.ok);
}
