// Inference rules of captureToSpec on small hand-written captures, and the fixtures CLI end to end.
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { captureToSpec, cmdlineFromDmesg, groupsFromDmesg, releaseFromCmdline } from '../../src/corpus/capture-to-spec.js';
import { parseCapture } from '../../src/corpus/parse-lspci.js';
import type { RootSpec } from '../../src/demo/root-spec.js';

const project = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const spec = (text: string, extras = {}) => captureToSpec(parseCapture(text, 'inline.txt'), extras);
const d = (s: RootSpec, addr: string) => s.devices.find((x) => x.address === addr)!;

const HOST_INTEL = '00:00.0 Host bridge [0600]: Intel Corporation Device [8086:191f] (rev 07)';
const HOST_AMD = '00:00.0 Host bridge [0600]: Advanced Micro Devices, Inc. [AMD] Starship/Matisse Root Complex [1022:1480]';

describe('captureToSpec', () => {
  it('CPU vendor from the bus-00 host bridge; Intel + groups → DMAR and dmar0; AMD + groups → IVRS, one ivhd per IOMMU function', () => {
    const intel = spec(`IOMMU Group 0:\n\t${HOST_INTEL}\n`);
    expect(intel).toMatchObject({ cpu: { vendor: 'GenuineIntel' }, acpiTables: ['DMAR'], iommuUnits: ['dmar0'] });
    const amd = spec(
      `IOMMU Group 0:\n\t${HOST_AMD}\n\t00:00.2 IOMMU [0806]: Advanced Micro Devices, Inc. [AMD] Starship/Matisse IOMMU [1022:1481]\n\t40:00.2 IOMMU [0806]: Advanced Micro Devices, Inc. [AMD] Starship/Matisse IOMMU [1022:1481]\n`,
    );
    expect(amd).toMatchObject({ cpu: { vendor: 'AuthenticAMD' }, acpiTables: ['IVRS'], iommuUnits: ['ivhd0', 'ivhd1'] });
  });

  it('without groups nothing is claimed about the IOMMU (Intel) and no CPU without a host bridge', () => {
    const s = spec(`${HOST_INTEL}\n`);
    expect(s.acpiTables).toBeUndefined();
    expect(s.iommuUnits).toBeUndefined();
    expect(spec('01:00.0 VGA compatible controller [0300]: NVIDIA Corporation Device [10de:1401]\n').cpu).toBeUndefined();
  });

  it('an AMD-Vi line on an Intel machine does not make it AMD; DMAR lines do make it Intel', () => {
    const dm = '[    0.1] ACPI: DMAR 0x00 0000B8 (v01 INTEL  BDW)\n[    0.3] AMD-Vi: AMD IOMMUv2 functionality not available on this system\n';
    const s = spec('01:00.0 VGA compatible controller [0300]: NVIDIA Corporation Device [10de:1401]\n', { dmesg: dm });
    expect(s.cpu?.vendor).toBe('GenuineIntel');
    expect(s.acpiTables).toEqual(['DMAR']);
  });

  it('fills missing groups and the command line from dmesg; the kernel release from BOOT_IMAGE', () => {
    const dm = [
      'sudo dmesg | grep -i iommu',
      '[    0.077143] Kernel command line: BOOT_IMAGE=/boot/vmlinuz-5.4.0-47-generic root=UUID=x ro quiet amd_iommu=on',
      '[    0.817210] pci 0000:00:01.0: Adding to iommu group 0',
      '[    0.818027] pci 0000:24:00.0: Adding to iommu group 23',
    ].join('\n');
    expect(groupsFromDmesg(dm).get('0000:24:00.0')).toBe(23);
    expect(cmdlineFromDmesg(dm)).toMatch(/^BOOT_IMAGE=/);
    const s = spec(`${HOST_AMD}\n24:00.0 VGA compatible controller [0300]: NVIDIA Corporation GK208B [GeForce GT 710] [10de:128b] (rev a1)\n`, { dmesg: dm });
    expect(d(s, '0000:24:00.0').iommuGroup).toBe(23);
    expect(d(s, '0000:00:00.0').iommuGroup).toBeNull();
    expect(s.kernelRelease).toBe('5.4.0-47-generic');
    // only the kernel-log lines are kept, not the pasted command
    expect(s.dmesg?.startsWith('[')).toBe(true);
    expect(releaseFromCmdline('BOOT_IMAGE=/boot/vmlinuz-5.9-x86_64 root=UUID=x')).toBeNull();
  });

  it('merges captures of one machine by address; a conflicting ID is reported, not mixed', () => {
    const nnk = parseCapture('24:00.0 VGA compatible controller [0300]: NVIDIA Corporation Device [10de:128b]\n\tKernel driver in use: vfio-pci\n', 'a.txt');
    const groups = parseCapture(
      'IOMMU Group 23:\n\t24:00.0 VGA compatible controller [0300]: NVIDIA Corporation Device [10de:128b]\nIOMMU Group 5:\n\t25:00.0 VGA compatible controller [0300]: NVIDIA Corporation Device [10de:1401]\n',
      'b.txt',
    );
    const other = parseCapture('25:00.0 VGA compatible controller [0300]: Advanced Micro Devices, Inc. [AMD/ATI] Device [1002:67df]\n', 'c.txt');
    const s = captureToSpec([nnk, groups, other]);
    expect(d(s, '0000:24:00.0')).toMatchObject({ driver: 'vfio-pci', iommuGroup: 23 });
    expect(d(s, '0000:25:00.0')).toMatchObject({ vendor: '10de', device: '1401', iommuGroup: 5 });
    expect(s.source).toContain('0000:25:00.0: c.txt says 1002:67df');
  });

  it('parents only from group evidence: one bridge on the highest lower bus of the group, otherwise none', () => {
    const s = spec(
      [
        'IOMMU Group 9:',
        '\t15:00.2 PCI bridge [0604]: Advanced Micro Devices, Inc. [AMD] Device [1022:43c6] (rev 01)',
        '\t16:00.0 PCI bridge [0604]: Advanced Micro Devices, Inc. [AMD] Device [1022:43c7] (rev 01)',
        '\t16:01.0 PCI bridge [0604]: Advanced Micro Devices, Inc. [AMD] Device [1022:43c7] (rev 01)',
        '\t18:00.0 Ethernet controller [0200]: Realtek Semiconductor Co., Ltd. RTL8111/8168/8411 PCI Express Gigabit Ethernet Controller [10ec:8168] (rev 15)',
        'IOMMU Group 10:',
        '\t2d:00.0 VGA compatible controller [0300]: NVIDIA Corporation GA104 [GeForce RTX 3060] [10de:2487] (rev a1)',
      ].join('\n'),
    );
    expect(d(s, '0000:16:01.0').parents).toEqual(['0000:15:00.2']);
    // two candidate bridges on bus 16: which one leads to bus 18 is not in the capture
    expect(d(s, '0000:18:00.0').parents).toEqual([]);
    expect(d(s, '0000:2d:00.0').parents).toEqual([]);
    expect(s.source).toMatch(/parent bridge unknown for 3 device/);
  });

  it('boot VGA: bus-00 VGA first; else the only VGA of a whole listing; never for excerpts or several off-bus-00 GPUs', () => {
    const igpu = spec(`${HOST_INTEL}\n00:02.0 VGA compatible controller [0300]: Intel Corporation HD Graphics 530 [8086:1912]\n01:00.0 VGA compatible controller [0300]: NVIDIA Corporation Device [10de:1401]\n`);
    expect(igpu.devices.filter((x) => x.bootVga).map((x) => x.address)).toEqual(['0000:00:02.0']);
    const only = spec(`${HOST_INTEL}\n00:02.0 Display controller [0380]: Intel Corporation HD Graphics 530 [8086:1912]\n01:00.0 VGA compatible controller [0300]: NVIDIA Corporation Device [10de:2184]\n`);
    expect(only.devices.filter((x) => x.bootVga).map((x) => x.address)).toEqual(['0000:01:00.0']);
    const excerpt = spec('Group 15:\t[10de:21c4] [R] 09:00.0  VGA compatible controller                TU116 [GeForce GTX 1660 SUPER]\n');
    expect(excerpt.devices.some((x) => x.bootVga)).toBe(false);
    const two = spec(`${HOST_AMD}\n10:00.0 VGA compatible controller [0300]: AMD Device [1002:67df]\n38:00.0 VGA compatible controller [0300]: AMD Device [1002:15dd]\n`);
    expect(two.devices.some((x) => x.bootVga)).toBe(false);
  });

  it('an unknown class is written as ff0000 and said so in the source', () => {
    const s = spec('05:00.0 Frobnicator: Device 1234:5678\n');
    expect(d(s, '0000:05:00.0').class).toBe('ff0000');
    expect(s.source).toContain('class unknown, written as ff0000: 0000:05:00.0');
  });
});

describe('npm run fixtures (the CLI)', () => {
  const out = mkdtempSync(path.join(os.tmpdir(), 'vfio-fixtures-cli-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('writes one spec per corpus machine and materializes the roots', async () => {
    const r = await execa('node', ['--import', 'tsx', 'scripts/corpus-to-fixtures.ts', '--specs', path.join(out, 'specs'), '--roots', path.join(out, 'roots')], {
      cwd: project,
    });
    expect(r.stdout).toMatch(/^yyu-x570-gt710-rx570: 49 devices, lspci-nnk\+iommu-groups/m);
    const specs = readdirSync(path.join(out, 'specs'));
    expect(specs).toHaveLength(19);
    const z170 = JSON.parse(readFileSync(path.join(out, 'specs', 'z170-itx-hd530-gtx960-groups.json'), 'utf8')) as RootSpec;
    expect(z170.devices.find((x) => x.address === '0000:01:00.0')?.iommuGroup).toBe(1);
    expect(existsSync(path.join(out, 'roots', 'z170-itx-hd530-gtx960-groups', 'sys/kernel/iommu_groups/1/devices/0000:01:00.0'))).toBe(true);
  });

  it('refuses a corpus directory that does not exist, and prints usage without an output option', async () => {
    const bad = await execa('node', ['--import', 'tsx', 'scripts/corpus-to-fixtures.ts', path.join(out, 'nope'), '--specs', path.join(out, 'x')], {
      cwd: project,
      reject: false,
    });
    expect(bad.exitCode).not.toBe(0);
    expect(bad.stderr).toMatch(/no such directory/);
    const usage = await execa('node', ['--import', 'tsx', 'scripts/corpus-to-fixtures.ts'], { cwd: project, reject: false });
    expect(usage.exitCode).toBe(2);
    expect(usage.stdout).toMatch(/usage: npm run fixtures/);
  });
});
