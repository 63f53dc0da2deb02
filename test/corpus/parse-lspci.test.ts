// Unit tests of the capture parser, one per format, with lines copied from the corpus files
// (named in each test) or written in the same shape. Expected values are read off the lines.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { classFromName, normaliseAddress, parseCapture } from '../../src/corpus/parse-lspci.js';

const CORPUS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../shared/corpus/lspci-iommu');
const corpus = (f: string) => parseCapture(readFileSync(path.join(CORPUS, f), 'utf8'), f);

describe('lspci -nn lines', () => {
  it('takes address, class code, name, IDs and revision; the ID is the last [hex:hex] on the line', () => {
    // philt-raptorlake: a name with its own bracket ("S4LV008[Pascal]") before the ID
    const p = parseCapture(
      '02:00.0 Non-Volatile memory controller [0108]: Samsung Electronics Co Ltd NVMe SSD Controller S4LV008[Pascal] [144d:a80c]\n' +
        '00:17.0 SATA controller [0106]: Intel Corporation 9 Series Chipset Family SATA Controller [AHCI Mode] [8086:8c82] (rev 31)\n',
      'inline',
    );
    expect(p.format).toBe('lspci-nn');
    expect(p.devices).toHaveLength(2);
    expect(p.devices[0]).toMatchObject({
      address: '0000:02:00.0',
      vendor: '144d',
      device: 'a80c',
      class: '010800',
      className: 'Non-Volatile memory controller',
      name: 'Samsung Electronics Co Ltd NVMe SSD Controller S4LV008[Pascal]',
      revision: null,
      iommuGroup: null,
    });
    expect(p.devices[1]).toMatchObject({ vendor: '8086', device: '8c82', class: '010600', revision: '31' });
    // no -k lines: the capture says nothing about drivers
    expect(p.devices[0]!.driver).toBeUndefined();
    expect(p.hasKernelInfo).toBe(false);
  });

  it('uses the prog-if from lspci -v output for the class', () => {
    const p = parseCapture('00:14.0 USB controller [0c03]: Intel Corporation Device [8086:a12f] (rev 31) (prog-if 30 [XHCI])\n', 'x');
    expect(p.devices[0]).toMatchObject({ class: '0c0330', revision: '31', name: 'Intel Corporation Device' });
  });

  it('keeps a full domain and lower-cases addresses', () => {
    expect(normaliseAddress('0000:C4:00.0')).toBe('0000:c4:00.0');
    expect(normaliseAddress('2d:00.1')).toBe('0000:2d:00.1');
  });
});

describe('lspci -nnk', () => {
  it('attaches Subsystem / Kernel driver / Kernel modules to the device above, also when unindented', () => {
    // dell-xps15-9570: 8-space indentation and one unindented "Kernel driver in use" line
    const text = [
      '3b:00.0 Network controller [0280]: Qualcomm Atheros QCA6174 802.11ac Wireless Network Adapter [168c:003e] (rev 32)',
      '        Subsystem: Bigfoot Networks, Inc. QCA6174 802.11ac Wireless Network Adapter [1a56:1535]',
      'Kernel driver in use: ath10k_pci',
      '        Kernel modules: ath10k_pci',
      '00:08.0 System peripheral [0880]: Intel Corporation Xeon E3-1200 v5/v6 / E3-1500 v5 / 6th/7th Gen Core Processor Gaussian Mixture Model [8086:1911]',
      '        Subsystem: Dell Xeon E3-1200 v5/v6 / E3-1500 v5 / 6th/7th Gen Core Processor Gaussian Mixture Model [1028:087c]',
      '00:02.0 VGA compatible controller [0300]: Intel Corporation UHD Graphics 630 (Mobile) [8086:3e9b]',
      '        DeviceName:  Onboard IGD',
      '        Kernel driver in use: i915',
    ].join('\n');
    const p = parseCapture(text, 'inline');
    expect(p.format).toBe('lspci-nnk');
    expect(p.warnings).toEqual([]);
    expect(p.devices[0]).toMatchObject({
      subsystemVendor: '1a56',
      subsystemDevice: '1535',
      driver: 'ath10k_pci',
      modules: ['ath10k_pci'],
    });
    // -k output without a driver line: no driver bound
    expect(p.devices[1]!.driver).toBeNull();
    expect(p.devices[2]!.driver).toBe('i915');
  });

  it('strips the Debian installer prefix "lspci -knn: " (epyc7302p)', () => {
    const text =
      'lspci -knn: 41:00.0 RAID bus controller [0104]: Broadcom / LSI MegaRAID Tri-Mode SAS3408 [1000:0017] (rev 01)\n' +
      'lspci -knn: \tSubsystem: Broadcom / LSI Device [1000:9440]\n' +
      'lspci -knn: \tKernel driver in use: megaraid_sas\n';
    const p = parseCapture(text, 'inline');
    expect(p.devices).toEqual([
      expect.objectContaining({ address: '0000:41:00.0', vendor: '1000', device: '0017', class: '010400', driver: 'megaraid_sas', subsystemDevice: '9440' }),
    ]);
  });
});

describe('numeric and name-only lspci', () => {
  it('reads lspci -nD (furiosa): class without brackets, no name', () => {
    const p = parseCapture('0000:01:00.0 1200: 1ed2:0000 (rev 01)\n', 'inline');
    expect(p.format).toBe('lspci-n');
    expect(p.devices[0]).toMatchObject({ address: '0000:01:00.0', vendor: '1ed2', device: '0000', class: '120000', name: null, revision: '01' });
  });

  it('reads plain lspci: class from its name, IDs only from "Device vvvv:dddd"', () => {
    const p = parseCapture(
      '05:00.0 Processing accelerators: Device 1ed2:0000 (rev 01)\n06:00.0 Processing accelerators: FuriosaAI, Inc. Warboy (rev 01)\n',
      'inline',
    );
    expect(p.format).toBe('lspci');
    expect(p.devices[0]).toMatchObject({ vendor: '1ed2', device: '0000', class: '120000', revision: '01' });
    expect(p.devices[1]).toMatchObject({ vendor: null, device: null, class: '120000', name: 'FuriosaAI, Inc. Warboy' });
  });

  it('maps only unambiguous class names', () => {
    expect(classFromName('Network controller')).toBe('028000');
    expect(classFromName('Serial bus controller')).toBe('0c8000');
    expect(classFromName('3D controller')).toBe('030200');
    expect(classFromName('Frobnicator')).toBeNull();
    const p = parseCapture('05:00.0 Frobnicator: Device 1234:5678\n', 'inline');
    expect(p.devices[0]!.class).toBeNull();
    expect(p.warnings.map((w) => w.reason)).toEqual([expect.stringContaining('class unknown')]);
  });
});

describe('IOMMU group listings', () => {
  it('header lines in every spelling set the group of the lines below', () => {
    for (const header of ['IOMMU group 1', 'IOMMU Group 1:', 'IOMMU GROUP 1', '  IOMMU Group 1:']) {
      const p = parseCapture(
        `${header}\n  00:01.0 PCI bridge [0604]: Intel Corporation Device [8086:1901] (rev 07)\n\t01:00.0 VGA compatible controller [0300]: NVIDIA Corporation GM206 [GeForce GTX 960] [10de:1401] (rev a1)\n`,
        header,
      );
      expect(p.format).toBe('iommu-groups');
      expect(p.devices.map((d) => [d.address, d.iommuGroup])).toEqual([
        ['0000:00:01.0', 1],
        ['0000:01:00.0', 1],
      ]);
    }
  });

  it('reads "(N)" prefixed lines (ryzen7950x)', () => {
    const p = parseCapture(
      'IOMMU GROUP 12\n (12) 01:00.0 VGA compatible controller [0300]: NVIDIA Corporation GA106 [GeForce RTX 3060 Lite Hash Rate] [10de:2504] (rev a1)\n',
      'x',
    );
    expect(p.format).toBe('iommu-groups-numbered');
    expect(p.devices[0]).toMatchObject({ address: '0000:01:00.0', iommuGroup: 12, vendor: '10de', device: '2504' });
  });

  it('reads the one-line "IOMMU Group N <lspci line>" form (vvorth)', () => {
    const p = parseCapture('IOMMU Group 13 06:00.1 Audio device [0403]: NVIDIA Corporation GP106 High Definition Audio Controller [10de:10f1] (rev a1)\n', 'x');
    expect(p.format).toBe('iommu-groups-inline');
    expect(p.devices[0]).toMatchObject({ address: '0000:06:00.1', iommuGroup: 13, class: '040300' });
  });

  it('reads ls-iommu -grk: full address, no colon after the class, driver lines below (b450 excerpt)', () => {
    const p = parseCapture(
      'IOMMU Group  12: 0000:01:00.1 SATA controller [0106] Advanced Micro Devices, Inc. [AMD] 400 Series Chipset SATA Controller [1022:43c8] (rev 01)\n' +
        '        Subsystem: ASMedia Technology Inc. 400 Series Chipset SATA Controller [1b21:1062]\n' +
        '        Kernel driver in use: ahci\n',
      'x',
    );
    expect(p.format).toBe('ls-iommu-grk');
    expect(p.devices[0]).toMatchObject({
      address: '0000:01:00.1',
      iommuGroup: 12,
      class: '010600',
      vendor: '1022',
      device: '43c8',
      name: 'Advanced Micro Devices, Inc. [AMD] 400 Series Chipset SATA Controller',
      driver: 'ahci',
      subsystemVendor: '1b21',
    });
  });

  it('reads the tabular format: continuation lines keep the group, USB device lines are skipped (x670e)', () => {
    const text = [
      'Group 12:       [10de:2206] [R] 01:00.0  VGA compatible controller                GA102 [GeForce RTX 3080]',
      '                [10de:1aef]     01:00.1  Audio device                             GA102 High Definition Audio Controller',
      'USB:            [1d6b:0002]              Bus 001 Device 001                       Linux Foundation 2.0 root hub',
      '                [197b:0585] [R] 0a:00.0  SATA controller                          JMB58x AHCI SATA controller',
      'Group 15:\t[10de:21c4] [R] 09:00.0  VGA compatible controller                TU116 [GeForce GTX 1660 SUPER]',
    ].join('\n');
    const p = parseCapture(text, 'x');
    expect(p.format).toBe('iommu-table');
    expect(p.devices.map((d) => [d.address, d.iommuGroup, d.class, d.resettable])).toEqual([
      ['0000:01:00.0', 12, '030000', true],
      ['0000:01:00.1', 12, '040300', false],
      ['0000:0a:00.0', 12, '010600', true],
      ['0000:09:00.0', 15, '030000', true],
    ]);
    expect(p.devices[0]!.name).toBe('GA102 [GeForce RTX 3080]');
    expect(p.warnings).toEqual([expect.objectContaining({ line: 3, reason: 'USB device line (not a PCI function)' })]);
  });
});

describe('runs, prompts and markers', () => {
  it('takes the last complete run: a run cut with "..." or without IDs does not win (furiosa)', () => {
    const p = corpus('furiosa-warboy-centos8-lspci-nD-numeric.txt');
    expect(p.header).toMatch(/^# source:/);
    expect(p.runs.map((r) => [r.label, r.devices.length, r.elided])).toEqual([
      ['lspci -nD | grep 1ed2', 1, false],
      ['lspci', 1, true],
      ['lspci | grep Furiosa', 1, false],
    ]);
    expect(p.chosenRun).toBe(0);
    expect(p.filtered).toBe(true);
    expect(p.devices).toEqual([expect.objectContaining({ address: '0000:01:00.0', vendor: '1ed2', device: '0000', class: '120000' })]);
  });

  it('with "#old" markers the snapshot above them is the current one (vvorth)', () => {
    const p = corpus('vvorth-zen1-300series-gtx750-chipset-group-3-snapshots.txt');
    expect(p.runs).toHaveLength(3);
    expect(p.runs.map((r) => r.markedOld)).toEqual([false, true, true]);
    expect(p.chosenRun).toBe(0);
    expect(p.choice).toMatch(/#old/);
    // newest: GTX 1060 6GB at 06:00.0 in group 13; oldest: GTX 1050 Ti at 09:00.0 in group 11
    expect(p.devices.find((d) => d.address === '0000:06:00.0')).toMatchObject({ device: '1c03', iommuGroup: 13 });
    expect(p.runs[2]!.devices.find((d) => d.address === '0000:09:00.0')).toMatchObject({ device: '1c82', iommuGroup: 11 });
    expect(p.warnings).toEqual([]);
  });

  it('a repeated address without a prompt starts another run; the caller can pick a run', () => {
    const line = (g: number) => `IOMMU Group ${g} 01:00.0 VGA compatible controller [0300]: NVIDIA Corporation Device [10de:1381] (rev a2)`;
    const p = parseCapture(`${line(10)}\n${line(12)}\n`, 'x');
    expect(p.runs).toHaveLength(2);
    expect(p.devices[0]!.iommuGroup).toBe(12);
    expect(parseCapture(`${line(10)}\n${line(12)}\n`, 'x', { run: 0 }).devices[0]!.iommuGroup).toBe(10);
    expect(() => parseCapture(`${line(10)}\n`, 'x', { run: 3 })).toThrow(RangeError);
  });

  it('skips a pasted multi-line command and annotations with a warning for each line', () => {
    const yyu = corpus('yyu-x570-gt710-rx570-iommu-groups.txt');
    expect(yyu.warnings.map((w) => w.reason)).toEqual(Array(5).fill('command echo'));
    const philt = corpus('philt-raptorlake-rtx4090-annotated-groups.txt');
    expect(philt.warnings.map((w) => w.text)).toEqual(['## PASSTHROUGH! PASSTHROUGH!', '## Do not passthrough']);
  });

  it('finds nothing in text that holds no PCI line (negative control)', () => {
    const p = parseCapture('hello\nIOMMU is great\n[    0.1] DMAR: IOMMU enabled\n', 'x');
    expect(p.devices).toEqual([]);
    expect(p.chosenRun).toBe(-1);
    expect(p.format).toBe('unknown');
    expect(p.warnings).toHaveLength(3);
  });
});

describe('every corpus capture', () => {
  // format, device count and skipped lines, read off each file
  const expected: Record<string, [string, number, number]> = {
    'b450-chipset-group12-lsiommu-grk-issue-excerpt.txt': ['ls-iommu-grk', 5, 0],
    'b450m-mortar-ravenridge-rx580-groups.txt': ['iommu-groups', 33, 0],
    'cezanne-apu-400series-rx580-rtx3060-groups.txt': ['iommu-groups', 45, 0],
    'dell-xps15-9570-uhd630-gtx1050ti-3d-controller-lspci-nnk.txt': ['lspci-nnk', 29, 0],
    'epyc7302p-supermicro-h12ssw-lspci-knn-installer-prefixed.txt': ['lspci-nnk', 93, 0],
    'furiosa-warboy-centos8-lspci-nD-numeric.txt': ['lspci-n', 1, 0],
    'gtx1660super-4func-gpupm-table-issue.txt': ['iommu-table', 4, 0],
    'manjaro-z97-haswell-hd4600-gtx970-groups.txt': ['iommu-groups', 15, 0],
    'mint20-i350-sriov-vfs-lspci-nnk.txt': ['lspci-nnk', 8, 0],
    'philt-raptorlake-rtx4090-annotated-groups.txt': ['iommu-groups', 27, 2],
    'ryzen7950x-raphael-rtx3060-split-groups.txt': ['iommu-groups-numbered', 53, 0],
    'skylake-hd530-display-controller-gtx1660-4func-issue-excerpt.txt': ['iommu-groups', 7, 0],
    'trx40-threadripper3960x-quadro-rx580-gtx1080-unsorted-groups.txt': ['iommu-groups', 89, 0],
    'vvorth-zen1-300series-gtx750-chipset-group-3-snapshots.txt': ['iommu-groups-inline', 37, 0],
    'x570-ryzen-rtx3060-groups.txt': ['iommu-groups', 46, 0],
    'x670e-itx-rtx3080-thunderbolt-lsiommu-format.txt': ['iommu-table', 62, 15],
    'yyu-x570-gt710-rx570-iommu-groups.txt': ['iommu-groups', 47, 5],
    'yyu-x570-gt710-rx570-lspci-nnk.txt': ['lspci-nnk', 49, 0],
    'z170-itx-hd530-gtx960-groups.txt': ['iommu-groups', 20, 0],
    'z390-xilinx-au200-lspci-nn-grep.txt': ['lspci-nn', 2, 0],
  };
  for (const [file, [format, count, skipped]] of Object.entries(expected)) {
    it(`${file}: ${format}, ${count} devices, every device with IDs and a class`, () => {
      const p = corpus(file);
      expect(p.format).toBe(format);
      expect(p.devices).toHaveLength(count);
      expect(p.warnings).toHaveLength(skipped);
      for (const d of p.devices) {
        expect(d.vendor).toMatch(/^[0-9a-f]{4}$/);
        expect(d.device).toMatch(/^[0-9a-f]{4}$/);
        expect(d.class).toMatch(/^[0-9a-f]{6}$/);
        expect(d.address).toMatch(/^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/);
      }
      expect(new Set(p.devices.map((d) => d.address)).size).toBe(count);
    });
  }
});
