// Selection, group viability and guards on the corpus machines and the synthetic hosts, scanned
// from fixture roots. Expectations are read off the captures (quoted), not off our output.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { candidateDrivers, driverModule, normaliseModuleName, softdepModules } from '../../src/isolate/host-drivers.js';
import { expandSelection, groupViability, guards, identicalIds, parseDeviceArgument, selectedIds, selectionReport, unmetBlockers, withGroupMembers } from '../../src/isolate/selection.js';
import type { HostFacts } from '../../src/host/types.js';
import { makeDevice, makeFacts } from '../support/facts.js';
import { scanFixtureHosts, type ScannedHosts } from './hosts.js';

let hosts: ScannedHosts;
beforeAll(() => {
  hosts = scanFixtureHosts();
});
afterAll(() => hosts?.cleanup());

function expand(f: HostFacts, ...args: string[]): string[] {
  const r = expandSelection(f, args);
  if (!r.ok) throw new Error(`expected a selection, got ${r.error.kind}: ${r.error.message}`);
  return r.devices;
}
const ids = (b: { id: string }[]) => b.map((x) => x.id).sort();

describe('parsing --device', () => {
  it('accepts functions and slots with or without the domain, in any case', () => {
    expect(parseDeviceArgument('01:00.0')).toEqual({ kind: 'function', address: '0000:01:00.0' });
    expect(parseDeviceArgument('0000:AF:00.3')).toEqual({ kind: 'function', address: '0000:af:00.3' });
    expect(parseDeviceArgument('10000:01:00.1')).toEqual({ kind: 'function', address: '10000:01:00.1' });
    expect(parseDeviceArgument('3b:00')).toEqual({ kind: 'slot', slot: '0000:3b:00' });
    for (const bad of ['01:00.8', '1:00.0', '01:20.0', 'gpu', '0000:01', '01:00.0.0']) expect(parseDeviceArgument(bad)).toBeNull();
  });

  it('malformed → usage, unknown → badInput, empty → usage; nothing is selected', () => {
    const f = hosts.get('synthetic-nvidia-4-functions');
    const bad = expandSelection(f, ['01:00.9']);
    expect(bad.ok === false && bad.error.kind).toBe('usage');
    const missing = expandSelection(f, ['0000:99:00.0']);
    expect(missing.ok === false && missing.error.kind).toBe('badInput');
    const none = expandSelection(f, [' , ']);
    expect(none.ok === false && none.error.kind).toBe('usage');
  });

  it('a bridge or root port is refused, never selected', () => {
    const f = hosts.get('synthetic-two-identical-gpus');
    const r = expandSelection(f, ['3a:00.0']); // "0000:3a:00.0 8086:2030 060400 pcieport"
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.kind).toBe('badInput');
      expect(r.error.message).toMatch(/bridge or root port/);
      expect(r.error.remedy).toMatch(/Nothing was changed/);
    }
  });
});

describe('expanded selection on corpus machines', () => {
  it('GTX 1660 SUPER: one function picked → all four (VGA, audio, USB, UCSI), group 15 is viable', () => {
    // "09:00.0 … [10de:21c4]", "09:00.1 [10de:1aeb]", "09:00.2 [10de:1aec]", "09:00.3 [10de:1aed]" in group 15
    const f = hosts.get('gtx1660super-4func-gpupm-table-issue');
    const sel = expand(f, '09:00.2');
    expect(sel).toEqual(['0000:09:00.0', '0000:09:00.1', '0000:09:00.2', '0000:09:00.3']);
    const v = groupViability(f, sel);
    expect(v).toHaveLength(1);
    expect(v[0]).toMatchObject({ group: 15, viable: true, others: [] });
    expect(selectedIds(f, sel)).toEqual(['10de:21c4', '10de:1aeb', '10de:1aec', '10de:1aed']);
    const mods = softdepModules(f.devices.filter((d) => sel.includes(d.address))).map((c) => c.module);
    expect(mods).toEqual(expect.arrayContaining(['nouveau', 'nvidia', 'nvidia_drm', 'nvidia_modeset', 'nvidiafb', 'snd_hda_intel', 'xhci_pci', 'xhci_hcd', 'i2c_nvidia_gpu']));
    // the card's own USB-C controller is not a "your ports go away" case
    expect(guards(f, sel).warnings.map((w) => w.id)).not.toContain('usb-controller');
  });

  it('Zen 1 chipset group: the GTX 750 shares group 12 with the chipset USB, SATA and NIC → blocked, with the ACS and slot explanation', () => {
    // group 12: 01:00.0 USB [1022:43bb], 01:00.1 SATA [1022:43b7], 03:00.0 RTL8111 [10ec:8168], 05:00.0/.1 GTX 750
    const f = hosts.get('vvorth-zen1-300series-gtx750-chipset-group-3-snapshots');
    const sel = expand(f, '05:00.0');
    expect(sel).toEqual(['0000:05:00.0', '0000:05:00.1']);
    const [v] = groupViability(f, sel);
    expect(v!.viable).toBe(false);
    expect(v!.others.map((o) => o.address)).toEqual(['0000:01:00.0', '0000:01:00.1', '0000:03:00.0']);
    const text = v!.explanation.join(' ');
    expect(text).toMatch(/ACS/);
    expect(text).toMatch(/CPU-attached slot/);
    expect(text).toMatch(/pcie_acs_override/);
    expect(text).toMatch(/never applies it/);
    const g = guards(f, sel);
    const block = g.blockers.find((b) => b.id === 'group-not-viable');
    expect(block?.override).toBe('--pass-whole-group');
    // passing the group deliberately: the other endpoints join, bridges never do
    const report = selectionReport(f, ['05:00.0'], { passWholeGroup: true });
    if (!report.ok) throw new Error('report');
    expect(report.report.blockers.map((b) => b.id)).not.toContain('group-not-viable');
    expect(unmetBlockers(g.blockers, [])).toEqual(g.blockers);
    expect(unmetBlockers(g.blockers, ['--pass-whole-group']).map((b) => b.id)).not.toContain('group-not-viable');
    const whole = withGroupMembers(f, sel);
    expect(whole).toEqual(['0000:01:00.0', '0000:01:00.1', '0000:03:00.0', '0000:05:00.0', '0000:05:00.1']);
    expect(guards(f, whole).blockers.find((b) => b.id === 'group-not-viable')).toBeUndefined();
    // the GTX 1060 in its own group 13 is fine
    expect(groupViability(f, expand(f, '06:00'))[0]!.viable).toBe(true);
  });

  it('B450 chipset: the USB function brings its SATA sibling (same slot, same chip)', () => {
    // "01:00.0 USB controller [1022:43d0]" and "01:00.1 SATA controller [1022:43c8]", group 12
    const f = hosts.get('b450-chipset-group12-lsiommu-grk-issue-excerpt');
    expect(expand(f, '01:00.0')).toEqual(['0000:01:00.0', '0000:01:00.1']);
    expect(guards(f, expand(f, '01:00.0')).warnings.map((w) => w.id)).toContain('usb-controller');
  });

  it('SR-IOV: eight I350 VFs share 8086:1520, so picking some means binding by address', () => {
    const f = hosts.get('mint20-i350-sriov-vfs-lspci-nnk');
    const sel = expand(f, '06:10.0');
    // an lspci-only capture has no physfn links, so the VFs of slot 06:10 count as one slot
    expect(sel).toEqual(['0000:06:10.0', '0000:06:10.1', '0000:06:10.4', '0000:06:10.5']);
    const same = identicalIds(f, sel);
    expect(same).toHaveLength(1);
    expect(same[0]!.id).toBe('8086:1520');
    expect(same[0]!.others.length).toBe(8 - sel.length);
    expect(guards(f, sel).warnings.map((w) => w.id)).toContain('identical-ids');
  });

  it('FuriosaAI Warboy NPU: one function, no known host driver, groups unknown → a warning, not a blocker', () => {
    const f = hosts.get('furiosa-warboy-centos8-lspci-nD-numeric');
    const sel = expand(f, '0000:01:00.0');
    expect(sel).toEqual(['0000:01:00.0']);
    const g = guards(f, sel);
    expect(g.blockers).toEqual([]);
    expect(g.warnings.map((w) => w.id)).toContain('group-unknown');
    expect(candidateDrivers(f.devices.find((d) => d.address === '0000:01:00.0')!)).toEqual([]);
  });

  it('Xilinx Alveo U200: both accelerator functions of the slot', () => {
    const f = hosts.get('z390-xilinx-au200-lspci-nn-grep');
    expect(expand(f, '01:00.1')).toEqual(['0000:01:00.0', '0000:01:00.1']);
  });

  it('Dell XPS 15 (Optimus laptop): the 3D-controller dGPU can go, the iGPU keeps the host display', () => {
    // "00:02.0 VGA … [8086:3e9b] Kernel driver in use: i915", "01:00.0 3D controller [10de:1c8c] Kernel driver in use: nvidia"
    const f = hosts.get('dell-xps15-9570-uhd630-gtx1050ti-3d-controller-lspci-nnk');
    const sel = expand(f, '01:00.0');
    expect(sel).toEqual(['0000:01:00.0']);
    const g = guards(f, sel);
    expect(ids(g.blockers)).toEqual([]);
    expect(candidateDrivers(f.devices.find((d) => d.address === '0000:01:00.0')!)[0]).toMatchObject({ module: 'nvidia' });
    // the iGPU is the boot GPU and the only other display: both guards fire
    expect(ids(guards(f, expand(f, '00:02.0')).blockers)).toEqual(['boot-gpu']);
    expect(ids(guards(f, [...expand(f, '00:02.0'), ...sel]).blockers)).toEqual(['boot-gpu', 'last-host-gpu']);
  });

  it('RTX 4090 that boots the console and no other GPU: boot-gpu and last-host-gpu', () => {
    const f = hosts.get('philt-raptorlake-rtx4090-annotated-groups');
    const g = guards(f, expand(f, '01:00'));
    expect(ids(g.blockers)).toEqual(['boot-gpu', 'last-host-gpu']);
    expect(g.blockers.map((b) => b.override).sort()).toEqual(['--allow-boot-gpu', '--allow-no-host-gpu']);
  });

  it('every corpus GPU: the selection never holds a bridge and every function of the slot that is not a bridge', () => {
    for (const id of hosts.ids()) {
      const f = hosts.get(id);
      for (const gpu of f.devices.filter((d) => d.class.startsWith('03') && !d.isBridge)) {
        const sel = expand(f, gpu.address);
        const slot = gpu.address.slice(0, -2);
        const expected = f.devices.filter((d) => d.address.startsWith(`${slot}.`) && !d.isBridge && d.physfn === null).map((d) => d.address);
        expect(new Set(sel), `${id} ${gpu.address}`).toEqual(new Set(expected));
        for (const a of sel) expect(f.devices.find((d) => d.address === a)!.isBridge).toBe(false);
      }
    }
  });
});

describe('chipset functions and bridges in a group', () => {
  it('one onboard function picked is that function alone: the onboard audio never takes the onboard NIC of its slot', () => {
    const f = hosts.get('synthetic-nvidia-4-functions');
    expect(expand(f, '00:1f.3')).toEqual(['0000:00:1f.3']);
    // named as a slot, the user asked for every function of it
    expect(expand(f, '00:1f')).toEqual(['0000:00:1f.3', '0000:00:1f.6']);
    // a card behind a root port is still taken whole
    expect(expand(f, '01:00.2')).toEqual(['0000:01:00.0', '0000:01:00.1', '0000:01:00.2', '0000:01:00.3']);
  });

  it('a bridge on pcieport or on no driver does not block; an ISA bridge on lpc_ich does, and passing the whole group cannot take it', () => {
    const gpu = makeDevice({ address: '0000:00:1f.3', class: '040300', driver: 'snd_hda_intel', iommuGroup: 10 });
    const base = (lpcDriver: string | null) =>
      makeFacts({ devices: [makeDevice({ address: '0000:00:1f.0', class: '060100', driver: lpcDriver, iommuGroup: 10 }), gpu] });
    expect(groupViability(base(null), ['0000:00:1f.3'])[0]!.viable).toBe(true);
    const withPort = makeFacts({ devices: [makeDevice({ address: '0000:00:1f.0', class: '060400', driver: 'pcieport', iommuGroup: 10 }), gpu] });
    expect(groupViability(withPort, ['0000:00:1f.3'])[0]!.viable).toBe(true);
    const lpc = base('lpc_ich');
    const v = groupViability(lpc, ['0000:00:1f.3'])[0]!;
    expect(v.viable).toBe(false);
    expect(v.others.map((o) => o.address)).toEqual(['0000:00:1f.0']);
    expect(v.explanation.join(' ')).toMatch(/0000:00:1f\.0 .*driver lpc_ich.*never handed to a VM/);
    // --pass-whole-group never binds a bridge
    expect(withGroupMembers(lpc, ['0000:00:1f.3'])).toEqual(['0000:00:1f.3']);
    expect(ids(guards(lpc, ['0000:00:1f.3']).blockers)).toEqual(['group-not-viable']);
  });
});

describe('identical GPUs (seed 003) and the four-function synthetic host', () => {
  it('the guest RTX 2080 Ti shares all four IDs with the host card → by address; no GPU guard fires', () => {
    const f = hosts.get('synthetic-two-identical-gpus');
    const sel = expand(f, 'af:00.0');
    expect(sel).toEqual(['0000:af:00.0', '0000:af:00.1', '0000:af:00.2', '0000:af:00.3']);
    expect(identicalIds(f, sel).map((i) => i.id)).toEqual(['10de:1e07', '10de:10f7', '10de:1ad6', '10de:1ad7']);
    const g = guards(f, sel);
    expect(g.blockers).toEqual([]);
    expect(g.warnings.find((w) => w.id === 'identical-ids')?.message).toMatch(/by address/);
  });

  it('the host card (boot VGA) is blocked; both cards together leave no GPU for the host', () => {
    const f = hosts.get('synthetic-two-identical-gpus');
    expect(ids(guards(f, expand(f, '3b:00.0')).blockers)).toEqual(['boot-gpu']);
    expect(ids(guards(f, expand(f, '3b:00', 'af:00')).blockers)).toEqual(['boot-gpu', 'last-host-gpu']);
  });

  it('the guard for the last host GPU counts only GPUs that have a host driver', () => {
    const base = hosts.get('synthetic-nvidia-4-functions');
    const igpuUnbound: HostFacts = { ...base, devices: base.devices.map((d) => (d.address === '0000:00:02.0' ? { ...d, driver: 'vfio-pci' } : d)) };
    expect(ids(guards(base, expand(base, '01:00.0')).blockers)).toEqual([]);
    expect(ids(guards(igpuUnbound, expand(igpuUnbound, '01:00.0')).blockers)).toEqual(['last-host-gpu']);
  });
});

describe('guards for the host disk and network', () => {
  it('the controller with / and the NIC with the default route block, each with its own flag', () => {
    const f = makeFacts();
    const disk = guards(f, ['0000:00:17.0']);
    expect(disk.blockers.map((b) => [b.id, b.override])).toEqual([['host-storage', '--allow-host-storage']]);
    expect(disk.blockers[0]!.message).toMatch(/root-fs/);
    const nic = guards(f, ['0000:00:1f.6']);
    expect(nic.blockers.map((b) => [b.id, b.override])).toEqual([['default-route-nic', '--allow-default-route-nic']]);
    expect(nic.blockers[0]!.message).toMatch(/eno1/);
  });

  it('an NVMe controller the host does not boot from only warns', () => {
    const f = makeFacts({ devices: [...makeFacts().devices, makeDevice({ address: '0000:02:00.0', class: '010802', vendor: '144d', device: 'a808', driver: 'nvme', iommuGroup: 9, blockDevices: ['nvme0n1'] })] });
    const g = guards(f, ['0000:02:00.0']);
    expect(g.blockers).toEqual([]);
    expect(g.warnings.find((w) => w.id === 'nvme')?.message).toMatch(/nvme0n1/);
    // the mount information was readable here: no "cannot vouch" warning
    expect(g.warnings.map((w) => w.id)).not.toContain('host-disk-unknown');
  });

  it('when the scan could not tell which disk or interface the host uses, a storage or network pick says the guard cannot vouch for it', () => {
    const base = makeFacts();
    const unknown = { ...base, hostCritical: { rootBlockDevice: null, bootBlockDevice: null, espBlockDevice: null, defaultRouteInterface: null }, devices: base.devices.map((d) => ({ ...d, hostCritical: [] })) };
    const disk = guards(unknown, ['0000:00:17.0']);
    expect(disk.blockers).toEqual([]);
    expect(disk.warnings.find((w) => w.id === 'host-disk-unknown')?.message).toMatch(/could not be read.*0000:00:17\.0.*lsblk/);
    const nic = guards(unknown, ['0000:00:1f.6']);
    expect(nic.warnings.find((w) => w.id === 'default-route-unknown')?.message).toMatch(/ip route/);
    // a GPU pick is not about disks or routes
    expect(guards(unknown, ['0000:01:00.0']).warnings.map((w) => w.id).filter((i) => i.endsWith('-unknown'))).toEqual([]);
  });
});

describe('SR-IOV virtual functions are units of their own', () => {
  const pf = makeDevice({ address: '0000:06:00.0', class: '020000', vendor: '8086', device: '1521', driver: 'igb', iommuGroup: 20, sriov: { totalVfs: 7, numVfs: 2, virtfns: ['0000:06:10.0', '0000:06:10.4'] } });
  const vf0 = makeDevice({ address: '0000:06:10.0', class: '020000', vendor: '8086', device: '1520', driver: 'igbvf', iommuGroup: 30, physfn: '0000:06:00.0' });
  const vf1 = makeDevice({ address: '0000:06:10.4', class: '020000', vendor: '8086', device: '1520', driver: 'igbvf', iommuGroup: 31, physfn: '0000:06:00.0' });
  const f = makeFacts({ devices: [...makeFacts().devices, pf, vf0, vf1] });

  it('a VF function selects only itself; its twin VF has the same ID', () => {
    expect(expand(f, '06:10.0')).toEqual(['0000:06:10.0']);
    expect(identicalIds(f, ['0000:06:10.0'])).toEqual([{ id: '8086:1520', selected: ['0000:06:10.0'], others: ['0000:06:10.4'] }]);
  });
  it('the PF warns that its VFs go away', () => {
    expect(guards(f, expand(f, '06:00.0')).warnings.map((w) => w.id)).toContain('sriov-pf');
  });
});

describe('host driver candidates', () => {
  it('maps PCI driver names to module names, with kmod\'s dash/underscore equivalence', () => {
    expect(normaliseModuleName('vfio-pci')).toBe('vfio_pci');
    expect(driverModule('xhci_hcd')).toBe('xhci_pci');
    expect(driverModule('nvidia-gpu')).toBe('i2c_nvidia_gpu');
    expect(driverModule('pcieport')).toBeNull();
    expect(driverModule('snd_hda_intel')).toBe('snd_hda_intel');
  });
  it('AMD and Intel GPUs get their vendor\'s drivers; a function bound to vfio-pci adds no softdep of its own', () => {
    const amd = makeDevice({ address: '0000:2d:00.0', class: '030000', vendor: '1002', device: '67df', driver: 'amdgpu' });
    expect(candidateDrivers(amd).map((c) => c.module)).toEqual(['amdgpu', 'radeon']);
    const intel = makeDevice({ address: '0000:03:00.0', class: '030000', vendor: '8086', device: '56a0', driver: 'vfio-pci' });
    expect(candidateDrivers(intel).map((c) => c.module)).toEqual(['i915', 'xe']);
    const nic = makeDevice({ address: '0000:05:00.0', class: '020000', vendor: '8086', device: '125c', driver: 'igc' });
    expect(candidateDrivers(nic).map((c) => c.module)).toEqual(['igc']);
  });
});
