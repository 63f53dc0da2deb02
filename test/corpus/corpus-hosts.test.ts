// Every corpus machine as a fixture root: parse → RootSpec → materialize in a temp dir → scanHost.
// The expected groups, IDs, classes, drivers and flags below are read off the capture lines (quoted
// in the comments), not taken from the parser's output, so a parser, inference, materializer or
// scanner bug shows up as a failure here.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runChecks } from '../../src/checks/index.js';
import { DEFAULT_CORPUS_DIR, loadCorpusSpecs, type CorpusHost } from '../../scripts/corpus-to-fixtures.js';
import { materializeRoot } from '../../src/demo/materialize.js';
import { systemRoot } from '../../src/host/root.js';
import { scanHost } from '../../src/host/scan.js';
import type { HostFacts, PciDevice } from '../../src/host/types.js';

let tmp = '';
let hosts: CorpusHost[] = [];
const scanned = new Map<string, HostFacts>();

beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'vfio-corpus-'));
  hosts = loadCorpusSpecs(DEFAULT_CORPUS_DIR);
  for (const h of hosts) {
    const dir = path.join(tmp, h.spec.id);
    materializeRoot(h.spec, dir);
    scanned.set(h.spec.id, scanHost(systemRoot(dir)));
  }
});
afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

function host(id: string): HostFacts {
  const f = scanned.get(id);
  if (!f) throw new Error(`no corpus host ${id}`);
  return f;
}
function dev(f: HostFacts, bdf: string): PciDevice {
  const d = f.devices.find((x) => x.address === `0000:${bdf}`);
  if (!d) throw new Error(`${bdf} not in the scan`);
  return d;
}
/** the members of a group, short addresses, sorted */
function group(f: HostFacts, id: number): string[] {
  const g = f.iommuGroups.find((x) => x.id === id);
  return (g?.devices ?? []).map((a) => a.replace(/^0000:/, '')).sort();
}
const ids = (d: PciDevice) => `${d.vendor}:${d.device}`;

describe('the corpus becomes test hosts', () => {
  it('every lspci-iommu capture is in exactly one host; yyu lspci -nnk + group listing are one machine', () => {
    const files = readdirSync(path.join(DEFAULT_CORPUS_DIR, 'lspci-iommu')).filter((f) => f.endsWith('.txt'));
    const used = hosts.flatMap((h) => h.machine.captures.map((c) => path.basename(c)));
    expect(used.sort()).toEqual(files.sort());
    expect(hosts).toHaveLength(files.length - 1);
    const yyu = hosts.find((h) => h.spec.id === 'yyu-x570-gt710-rx570')!;
    expect(yyu.machine.captures).toHaveLength(2);
  });

  it('every device of every spec is in its scan with the same IDs and class', () => {
    for (const h of hosts) {
      const f = host(h.spec.id);
      expect(f.devices.map((d) => d.address).sort(), h.spec.id).toEqual(h.spec.devices.map((d) => d.address).sort());
      for (const s of h.spec.devices) {
        const d = f.devices.find((x) => x.address === s.address)!;
        expect([d.vendor, d.device, d.class], `${h.spec.id} ${s.address}`).toEqual([s.vendor, s.device, s.class]);
      }
    }
  });
});

describe('z170-itx (Intel Skylake, GTX 960 shares group 1 with the CPU root port)', () => {
  const id = 'z170-itx-hd530-gtx960-groups';
  it('group 1 = "00:01.0 PCI bridge [0604] … [8086:1901]" + GTX 960 "[10de:1401]" + its audio "[10de:0fba]"', () => {
    const f = host(id);
    expect(group(f, 1)).toEqual(['00:01.0', '01:00.0', '01:00.1']);
    expect(dev(f, '00:01.0')).toMatchObject({ class: '060400', isBridge: true, vendor: '8086', device: '1901' });
    expect(dev(f, '01:00.0')).toMatchObject({ class: '030000', vendor: '10de', device: '1401', revision: 'a1', bootVga: false, isBridge: false });
    expect(dev(f, '01:00.1')).toMatchObject({ class: '040300', device: '0fba' });
    // the group holding the bridge is the evidence for the parent chain
    expect(dev(f, '01:00.0').parents).toEqual(['0000:00:01.0']);
  });
  it('HD 530 "00:02.0 VGA … [8086:1912]" is alone in group 2 and is the boot VGA; Intel, DMAR, 14 groups', () => {
    const f = host(id);
    expect(group(f, 2)).toEqual(['00:02.0']);
    expect(dev(f, '00:02.0').bootVga).toBe(true);
    expect(f.devices.filter((d) => d.bootVga)).toHaveLength(1);
    expect(f.cpu.vendor).toBe('intel');
    expect(f.iommu).toMatchObject({ firmware: true, firmwareTables: ['DMAR'], enabled: true, groupCount: 14 });
    expect(group(f, 10)).toEqual(['00:1f.0', '00:1f.2', '00:1f.3', '00:1f.4']);
    expect(f.devices).toHaveLength(20);
  });
});

describe('b450m-mortar (AMD Raven Ridge, chipset group 9 mixes USB/SATA/NIC/bridges)', () => {
  const id = 'b450m-mortar-ravenridge-rx580-groups';
  it('group 9 = 15:00.0 USB [0c03], 15:00.1 SATA [0106], 15:00.2 + 16:0x.0 bridges, 18:00.0 Realtek [10ec:8168]', () => {
    const f = host(id);
    expect(group(f, 9)).toEqual(['15:00.0', '15:00.1', '15:00.2', '16:00.0', '16:01.0', '16:04.0', '18:00.0']);
    expect(dev(f, '15:00.0').class).toBe('0c0300');
    expect(dev(f, '15:00.1').class).toBe('010600');
    expect(dev(f, '18:00.0')).toMatchObject({ class: '020000', vendor: '10ec', device: '8168', revision: '15' });
    expect(group(f, 9).filter((a) => dev(f, a).isBridge)).toEqual(['15:00.2', '16:00.0', '16:01.0', '16:04.0']);
  });
  it('APU audio 38:00.1 shares group 12 with PSP 38:00.2 [1080] and USB 38:00.3/.4; SATA 39:00.0 sits with bridge 00:08.2 in group 4', () => {
    const f = host(id);
    expect(group(f, 12)).toEqual(['38:00.1', '38:00.2', '38:00.3', '38:00.4', '38:00.6']);
    expect(dev(f, '38:00.2').class).toBe('108000');
    expect(group(f, 4)).toEqual(['00:08.0', '00:08.2', '39:00.0']);
    expect(dev(f, '39:00.0').parents).toEqual(['0000:00:08.2']);
    expect(dev(f, '16:00.0').parents).toEqual(['0000:15:00.2']);
  });
  it('RX 580 "10:00.0 … [1002:67df]" alone in group 8; two VGA devices off bus 00 → no boot VGA claimed; AMD/IVRS', () => {
    const f = host(id);
    expect(group(f, 8)).toEqual(['10:00.0']);
    expect(dev(f, '38:00.0')).toMatchObject({ class: '030000', vendor: '1002', device: '15dd' });
    expect(f.devices.filter((d) => d.bootVga)).toEqual([]);
    expect(f.cpu.vendor).toBe('amd');
    expect(f.iommu).toMatchObject({ firmwareTables: ['IVRS'], enabled: true, groupCount: 13 });
  });
});

describe('ryzen7950x (every function split, "(N)" prefixes)', () => {
  const id = 'ryzen7950x-raphael-rtx3060-split-groups';
  it('RTX 3060 "(12) 01:00.0 … [10de:2504]" and its audio "(13) 01:00.1 … [10de:228e]" are in different groups', () => {
    const f = host(id);
    expect(group(f, 12)).toEqual(['01:00.0']);
    expect(group(f, 13)).toEqual(['01:00.1']);
    expect(ids(dev(f, '01:00.0'))).toBe('10de:2504');
    expect(group(f, 38)).toEqual(['15:00.0']);
    expect(dev(f, '15:00.0')).toMatchObject({ vendor: '1002', device: '164e', class: '030000', revision: 'c1' });
  });
  it('45 groups; only group 10 (SMBus+LPC) and 11 (data fabric 00:18.0-7) hold more than one function', () => {
    const f = host(id);
    expect(f.iommu.groupCount).toBe(45);
    expect(f.iommuGroups.filter((g) => g.devices.length > 1).map((g) => g.id)).toEqual([10, 11]);
    expect(group(f, 11)).toHaveLength(8);
    expect(f.devices).toHaveLength(53);
    // two VGA devices, neither on bus 00: the capture does not say which one the firmware used
    expect(f.devices.filter((d) => d.bootVga)).toEqual([]);
  });
});

describe('x670e-itx (ls-iommu tabular format with USB lines)', () => {
  const id = 'x670e-itx-rtx3080-thunderbolt-lsiommu-format';
  it('group 12 = RTX 3080 "[10de:2206] 01:00.0 VGA compatible controller" + "[10de:1aef] 01:00.1 Audio device"', () => {
    const f = host(id);
    expect(group(f, 12)).toEqual(['01:00.0', '01:00.1']);
    expect(dev(f, '01:00.0').class).toBe('030000');
    expect(dev(f, '01:00.1').class).toBe('040300');
  });
  it('group 15 holds the Thunderbolt bridges, the NHI, the JMB58x SATA and the TB4 USB controller (14 functions)', () => {
    const f = host(id);
    expect(group(f, 15)).toEqual([
      '04:00.0', '05:00.0', '06:00.0', '06:01.0', '06:02.0', '06:03.0', '07:00.0', '08:00.0', '09:01.0', '09:02.0', '09:04.0', '0a:00.0', '0b:00.0', '33:00.0',
    ]);
    expect(dev(f, '0a:00.0')).toMatchObject({ vendor: '197b', device: '0585', class: '010600' });
    expect(dev(f, '33:00.0')).toMatchObject({ vendor: '8086', device: '1138', class: '0c0300' });
  });
  it('"67:00.0 SATA controller" after the USB lines still belongs to group 18; USB devices are not PCI functions', () => {
    const f = host(id);
    expect(group(f, 18)).toHaveLength(10);
    expect(group(f, 18)).toContain('67:00.0');
    expect(f.devices).toHaveLength(62);
    expect(f.iommu.groupCount).toBe(27);
    expect(f.devices.some((d) => d.vendor === '1d6b')).toBe(false);
  });
});

describe('yyu X570 (lspci -nnk drivers + group listing + AMD-Vi dmesg)', () => {
  const id = 'yyu-x570-gt710-rx570';
  it('GT 710 "24:00.0 … [10de:128b]" with its audio "[10de:0e0f]" in group 23, both "Kernel driver in use: vfio-pci"', () => {
    const f = host(id);
    expect(group(f, 23)).toEqual(['24:00.0', '24:00.1']);
    expect(dev(f, '24:00.0')).toMatchObject({ class: '030000', driver: 'vfio-pci', subsystemVendor: '3842', subsystemDevice: '2717' });
    expect(dev(f, '24:00.1')).toMatchObject({ class: '040300', driver: 'vfio-pci' });
  });
  it('RX 570 "2d:00.0 … [1002:67df]" on amdgpu with audio on snd_hda_intel in group 27; no driver line → null', () => {
    const f = host(id);
    expect(group(f, 27)).toEqual(['2d:00.0', '2d:00.1']);
    expect(dev(f, '2d:00.0').driver).toBe('amdgpu');
    expect(dev(f, '2d:00.1').driver).toBe('snd_hda_intel');
    expect(dev(f, '00:14.3').driver).toBeNull();
    expect(dev(f, '00:00.2')).toMatchObject({ class: '080600', iommuGroup: null });
  });
  it('group 20 = chipset bridge 21:08.0 + 2a:00.0/.1/.3; kernel and command line come from the dmesg', () => {
    const f = host(id);
    expect(group(f, 20)).toEqual(['21:08.0', '2a:00.0', '2a:00.1', '2a:00.3']);
    expect(dev(f, '2a:00.1').parents).toEqual(['0000:21:08.0']);
    expect(f.kernel.release).toBe('5.4.0-47-generic');
    expect(f.kernel.cmdline).toContain('vfio-pci.ids=10de:128b,10de:0e0f');
    expect(f.iommu).toMatchObject({ firmwareTables: ['IVRS'], enabled: true, groupCount: 32, kernelLogSource: '/var/log/dmesg' });
    expect(f.devices).toHaveLength(49);
    expect(f.cpu.vendor).toBe('amd');
  });
});

describe('trx40 (group listing in hash order, 3 GPUs, 4 root complexes)', () => {
  const id = 'trx40-threadripper3960x-quadro-rx580-gtx1080-unsorted-groups';
  it('GTX 1080 "21:00.0 [10de:1b80]" + audio in group 26, Quadro 2000 "01:00.0 [10de:0dd8]" in 12, RX 580 "4c:00.0" in 59', () => {
    const f = host(id);
    expect(group(f, 26)).toEqual(['21:00.0', '21:00.1']);
    expect(ids(dev(f, '21:00.0'))).toBe('10de:1b80');
    expect(group(f, 12)).toEqual(['01:00.0', '01:00.1']);
    expect(ids(dev(f, '01:00.0'))).toBe('10de:0dd8');
    expect(group(f, 59)).toEqual(['4c:00.0', '4c:00.1']);
  });
  it('73 groups (0-72) whatever the listing order; group 50 = bridge 42:08.0 + 47:00.0/.1/.3', () => {
    const f = host(id);
    expect(f.iommu.groupCount).toBe(73);
    expect(f.iommuGroups.map((g) => g.id)).toEqual(Array.from({ length: 73 }, (_, i) => i));
    expect(group(f, 50)).toEqual(['42:08.0', '47:00.0', '47:00.1', '47:00.3']);
    expect(f.devices).toHaveLength(89);
    expect(f.devices.filter((d) => d.bootVga)).toEqual([]);
  });
});

describe('dell xps 15 9570 (Optimus laptop, lspci -nnk, no groups)', () => {
  const id = 'dell-xps15-9570-uhd630-gtx1050ti-3d-controller-lspci-nnk';
  it('GTX 1050 Ti Mobile is "3D controller [0302]" [10de:1c8c] on nvidia; UHD 630 [8086:3e9b] on i915 is boot VGA', () => {
    const f = host(id);
    expect(dev(f, '01:00.0')).toMatchObject({ class: '030200', vendor: '10de', device: '1c8c', driver: 'nvidia', bootVga: false });
    expect(dev(f, '00:02.0')).toMatchObject({ class: '030000', driver: 'i915', bootVga: true });
    // the unindented "Kernel driver in use: ath10k_pci" line still belongs to 3b:00.0
    expect(dev(f, '3b:00.0').driver).toBe('ath10k_pci');
    expect(dev(f, '00:08.0').driver).toBeNull();
  });
  it('no group listing: IOMMU state not shown, firmware unknown, no groups', () => {
    const f = host(id);
    // the capture has no groups, so the fixture has no iommu_groups directory: unknown, not "off"
    expect(f.iommu).toMatchObject({ firmware: null, enabled: false, groupCount: 0, groupsReadable: false });
    expect(runChecks(f).find((c) => c.id === 'iommu-kernel')?.status).toBe('unknown');
    expect(f.devices.every((d) => d.iommuGroup === null)).toBe(true);
    expect(f.cpu.vendor).toBe('intel');
    expect(f.devices).toHaveLength(29);
  });
});

describe('epyc 7302p (installer-prefixed lspci -knn, 4 IOMMUs, no groups)', () => {
  const id = 'epyc7302p-supermicro-h12ssw-lspci-knn-installer-prefixed';
  it('all 93 functions; ASPEED "c4:00.0 VGA … [1a03:2000]" is the only VGA → boot VGA, no driver line → null', () => {
    const f = host(id);
    expect(f.devices).toHaveLength(93);
    expect(dev(f, 'c4:00.0')).toMatchObject({ class: '030000', bootVga: true, driver: null });
    expect(dev(f, 'c6:00.1')).toMatchObject({ vendor: '14e4', device: '16d8', class: '020000', driver: 'bnxt_en' });
    expect(dev(f, '41:00.0')).toMatchObject({ class: '010400', driver: 'megaraid_sas' });
  });
  it('four "IOMMU [0806]" functions → IVRS in firmware; no groups captured; installer cmdline', () => {
    const f = host(id);
    expect(f.devices.filter((d) => d.class.startsWith('0806')).map((d) => d.address)).toEqual([
      '0000:00:00.2', '0000:40:00.2', '0000:80:00.2', '0000:c0:00.2',
    ]);
    expect(f.iommu).toMatchObject({ firmware: true, firmwareTables: ['IVRS'], enabled: false, groupCount: 0 });
    expect(f.cpu.vendor).toBe('amd');
    expect(f.kernel.cmdline).toBe('BOOT_IMAGE=(loop)/linux priority=low vga=788 ---');
  });
});

describe('furiosa warboy (numeric lspci -nD, unnamed device)', () => {
  it('"0000:01:00.0 1200: 1ed2:0000 (rev 01)" → an accelerator shown as "Device 1ed2:0000"; nothing else is known', () => {
    const f = host('furiosa-warboy-centos8-lspci-nD-numeric');
    expect(f.devices).toHaveLength(1);
    expect(dev(f, '01:00.0')).toMatchObject({ class: '120000', revision: '01', name: 'Device 1ed2:0000', bootVga: false, iommuGroup: null });
    expect(f.cpu.vendor).toBe('other');
    expect(f.pciIdsSource).toBeNull();
  });
});

describe('mint 20 I350 SR-IOV VFs (lspci -nnk -d 8086:1520)', () => {
  it('eight VFs at 06:10.0/.1/.4/.5 and 06:11.0/.1/.4/.5, subsystem 8086:00a2, "Kernel modules: igbvf" but no driver', () => {
    const f = host('mint20-i350-sriov-vfs-lspci-nnk');
    expect(f.devices.map((d) => d.address.slice(5)).sort()).toEqual([
      '06:10.0', '06:10.1', '06:10.4', '06:10.5', '06:11.0', '06:11.1', '06:11.4', '06:11.5',
    ]);
    for (const d of f.devices) {
      expect(d).toMatchObject({ vendor: '8086', device: '1520', class: '020000', subsystemVendor: '8086', subsystemDevice: '00a2', driver: null });
    }
  });
});

describe('skylake HD 530 as Display controller + 4-function GTX 1660', () => {
  const id = 'skylake-hd530-display-controller-gtx1660-4func-issue-excerpt';
  it('group 2 = root port 00:01.0 + TU116 VGA/audio/USB/UCSI "[10de:2184/1aeb/1aec/1aed]"', () => {
    const f = host(id);
    expect(group(f, 2)).toEqual(['00:01.0', '01:00.0', '01:00.1', '01:00.2', '01:00.3']);
    expect(['01:00.0', '01:00.1', '01:00.2', '01:00.3'].map((a) => [ids(dev(f, a)), dev(f, a).class])).toEqual([
      ['10de:2184', '030000'],
      ['10de:1aeb', '040300'],
      ['10de:1aec', '0c0300'],
      ['10de:1aed', '0c8000'],
    ]);
  });
  it('iGPU "00:02.0 Display controller [0380]" is alone in group 0 and not boot VGA; the GTX 1660 is', () => {
    const f = host(id);
    expect(group(f, 0)).toEqual(['00:02.0']);
    expect(dev(f, '00:02.0')).toMatchObject({ class: '038000', bootVga: false });
    expect(dev(f, '01:00.0').bootVga).toBe(true);
  });
});

describe('vvorth Zen 1 (three pasted snapshots, the newest above "#old")', () => {
  const id = 'vvorth-zen1-300series-gtx750-chipset-group-3-snapshots';
  it('GTX 750 "05:00.0 [10de:1381]" is stuck in chipset group 12 with USB, SATA, bridges and the Realtek NIC', () => {
    const f = host(id);
    expect(group(f, 12)).toEqual(['01:00.0', '01:00.1', '01:00.2', '02:00.0', '02:01.0', '02:04.0', '03:00.0', '05:00.0', '05:00.1']);
    expect(ids(dev(f, '05:00.0'))).toBe('10de:1381');
    expect(dev(f, '03:00.0').class).toBe('020000');
  });
  it('the newest run: GTX 1060 6GB "06:00.0 [10de:1c03]" alone with its audio in group 13, 20 groups, 37 functions', () => {
    const f = host(id);
    expect(group(f, 13)).toEqual(['06:00.0', '06:00.1']);
    expect(ids(dev(f, '06:00.0'))).toBe('10de:1c03');
    expect(f.iommu.groupCount).toBe(20);
    expect(f.devices).toHaveLength(37);
    // the oldest run had a GTX 1050 Ti at 09:00.0: it must not leak into the host
    expect(f.devices.some((d) => d.address === '0000:09:00.0')).toBe(false);
  });
});

describe('other corpus machines', () => {
  it('manjaro z97: GTX 970 + audio share group 1 with 00:01.0; DMAR units and xapic IRQ remapping from the dmesg', () => {
    const f = host('manjaro-z97-haswell-hd4600-gtx970-groups');
    expect(group(f, 1)).toEqual(['00:01.0', '01:00.0', '01:00.1']);
    expect(ids(dev(f, '01:00.0'))).toBe('10de:13c2');
    expect(dev(f, '00:02.0')).toMatchObject({ device: '0412', bootVga: true });
    expect(f.iommu).toMatchObject({ firmwareTables: ['DMAR'], units: ['dmar0', 'dmar1'], interruptRemapping: true, groupCount: 11 });
    expect(f.iommu.interruptRemappingEvidence).toContain('Enabled IRQ remapping in xapic mode');
    expect(f.kernel.cmdline).toContain('intel_iommu=on');
  });
  it('philt raptor lake: groups moved around by hand; RTX 4090 "[10de:2684]" + audio in group 16', () => {
    const f = host('philt-raptorlake-rtx4090-annotated-groups');
    expect(group(f, 16)).toEqual(['01:00.0', '01:00.1']);
    expect(group(f, 21)).toEqual(['08:00.0']);
    expect(f.iommu.groupCount).toBe(22);
    expect(dev(f, '01:00.0').bootVga).toBe(true);
  });
  it('x570: RTX 3060 "2d:00.0 [10de:2487]" + audio in group 27, no bridge in its group → parent not invented', () => {
    const f = host('x570-ryzen-rtx3060-groups');
    expect(group(f, 27)).toEqual(['2d:00.0', '2d:00.1']);
    expect(dev(f, '2d:00.0').parents).toEqual([]);
    expect(group(f, 20)).toEqual(['21:08.0', '2a:00.0', '2a:00.1', '2a:00.3']);
  });
  it('cezanne: RX 580 and RTX 3060 fully split (groups 11-14), 37 groups', () => {
    const f = host('cezanne-apu-400series-rx580-rtx3060-groups');
    expect([11, 12, 13, 14].map((g) => group(f, g))).toEqual([['10:00.0'], ['10:00.1'], ['12:00.0'], ['12:00.1']]);
    expect(f.iommu.groupCount).toBe(37);
  });
  it('gtx1660super (GPU-Passthrough-Manager table): the 4 TU116 functions in group 15; an excerpt claims no boot VGA', () => {
    const f = host('gtx1660super-4func-gpupm-table-issue');
    expect(group(f, 15)).toEqual(['09:00.0', '09:00.1', '09:00.2', '09:00.3']);
    expect(dev(f, '09:00.3')).toMatchObject({ device: '1aed', class: '0c8000' });
    expect(dev(f, '09:00.0').bootVga).toBe(false);
  });
  it('b450 ls-iommu -grk excerpt: 5 functions in group 12 with their drivers', () => {
    const f = host('b450-chipset-group12-lsiommu-grk-issue-excerpt');
    expect(group(f, 12)).toEqual(['01:00.0', '01:00.1', '01:00.2', '02:00.0', '02:01.0']);
    expect(dev(f, '01:00.0')).toMatchObject({ driver: 'xhci_hcd', subsystemVendor: '1b21', subsystemDevice: '1142' });
    expect(dev(f, '02:01.0')).toMatchObject({ driver: 'pcieport', isBridge: true });
  });
  it('z390 xilinx (grep\'d lspci -nn): two "Processing accelerators [1200]" PFs; kernel from /proc/cmdline', () => {
    const f = host('z390-xilinx-au200-lspci-nn-grep');
    expect(f.devices.map((d) => [d.address, ids(d), d.class])).toEqual([
      ['0000:01:00.0', '10ee:5000', '120000'],
      ['0000:01:00.1', '10ee:5001', '120000'],
    ]);
    expect(f.kernel.release).toBe('5.15.0-acso');
    expect(f.kernel.cmdline).toContain('pcie_acs_override=downstream,multifunction');
  });
});
