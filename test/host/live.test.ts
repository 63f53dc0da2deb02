// The scanner on this machine's real / (live sysfs with symlinks, virtio devices, no IOMMU here)
// against lspci reading the same sysfs. Read-only: nothing under / is written.
import { describe, expect, it } from 'vitest';
import { systemRoot } from '../../src/host/root.js';
import { scanHost } from '../../src/host/scan.js';
import { diffAgainstLspci, parseLspciVmm, runLspci } from './lspci.js';

describe('scan of the live system', () => {
  it('finds the same PCI functions, IDs, classes, revisions, drivers, groups and names as lspci', () => {
    const facts = scanHost(systemRoot('/'));
    const records = parseLspciVmm(runLspci(['-vmm', '-nn', '-k', '-D']));
    expect(records.size).toBeGreaterThan(0);
    expect(diffAgainstLspci(facts, records, { names: facts.pciIdsSource !== null })).toEqual([]);
  });

  it('agrees with the kernel on the IOMMU, boot mode and kernel release', async () => {
    const { existsSync, readFileSync, readdirSync } = await import('node:fs');
    const facts = scanHost(systemRoot('/'));
    const groups = existsSync('/sys/kernel/iommu_groups') ? readdirSync('/sys/kernel/iommu_groups').length : 0;
    expect(facts.iommu.groupCount).toBe(groups);
    expect(facts.iommu.enabled).toBe(groups > 0 || (existsSync('/sys/class/iommu') && readdirSync('/sys/class/iommu').length > 0));
    expect(facts.boot.uefi).toBe(existsSync('/sys/firmware/efi'));
    expect(facts.kernel.release).toBe(readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim());
    expect(facts.root).toBe('/');
    // /dev/kmsg records are turned into dmesg's own line format: every kept line is one dmesg prints
    if (facts.iommu.kernelLogSource === '/dev/kmsg') {
      const { execFileSync } = await import('node:child_process');
      const dmesg = new Set(execFileSync('dmesg', { encoding: 'utf8' }).split('\n').map((l) => l.trimEnd()));
      expect(facts.iommu.kernelLogLines.filter((l) => !dmesg.has(l))).toEqual([]);
    }
    // the root filesystem's controller is found and marked, whatever bus it is on
    const rootDev = facts.devices.filter((d) => d.hostCritical.includes('root-fs'));
    if (facts.hostCritical.rootBlockDevice !== null && !facts.hostCritical.rootBlockDevice.startsWith('dm-')) {
      expect(rootDev.length).toBeGreaterThan(0);
      expect(rootDev[0]!.blockDevices.length).toBeGreaterThan(0);
    }
  });
});
