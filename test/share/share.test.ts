// Sharing a device, over fixture roots: what the scan reads (mdev parents and types, mdevs,
// mdevctl definitions, NVIDIA's VF interface), the one-line verdicts, and the plans — SR-IOV
// through 0 and its udev rule, mdevs with and without mdevctl, a vGPU type on a VF — with the
// limits each one refuses.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { materializeRoot } from '../../src/demo/materialize.js';
import { A100_VF_HOST, GVTG_HOST, SRIOV_NICS_HOST, T4_FULL, T4_IN_USE, VGPU_T4_HOST } from '../../src/demo/synthetic-hosts.js';
import type { RootSpec } from '../../src/demo/root-spec.js';
import { systemRoot } from '../../src/host/root.js';
import { scanHost } from '../../src/host/scan.js';
import type { HostFacts } from '../../src/host/types.js';
import { shareReport, shareVerdict } from '../../src/share/capability.js';
import { editSriovRules, planMdev, planSriov, planVgpuType, SRIOV_RULES_FILE } from '../../src/share/plan-share.js';
import { parseCreatableVgpuTypes, parseMdevctlJson, parseNvidiaSmiMig, readShareFacts, type ShareFacts } from '../../src/share/share-facts.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const hosts = new Map<string, { facts: HostFacts; share: ShareFacts }>();
beforeAll(() => {
  for (const spec of [VGPU_T4_HOST, GVTG_HOST, SRIOV_NICS_HOST, A100_VF_HOST] as RootSpec[]) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vw-share-'));
    dirs.push(dir);
    materializeRoot(spec, dir);
    const root = systemRoot(dir);
    const facts = scanHost(root);
    hosts.set(spec.id, { facts, share: readShareFacts(root, facts) });
  }
});
const host = (spec: RootSpec) => hosts.get(spec.id)!;

describe('reading what can be shared', () => {
  it('T4s on the vGPU driver: parents, types with what is available, the mdevs, mdevctl and its definition', () => {
    const { share } = host(VGPU_T4_HOST);
    expect(share.parents.map((p) => [p.name, p.pci])).toEqual([['0000:3b:00.0', true], ['0000:5e:00.0', true]]);
    expect(share.parents[0]!.types.map((t) => [t.id, t.name, t.availableInstances, t.instances])).toEqual([
      ['nvidia-222', 'GRID T4-1B', 15, [T4_IN_USE]],
      ['nvidia-223', 'GRID T4-2B', 0, []],
      ['nvidia-230', 'GRID T4-16Q', 0, []],
    ]);
    expect(share.parents[0]!.types[0]!.description).toContain('framebuffer=1024M');
    expect(share.mdevs).toEqual([
      { uuid: T4_IN_USE, parent: '0000:3b:00.0', type: 'nvidia-222', iommuGroup: null, driver: null },
      { uuid: T4_FULL, parent: '0000:5e:00.0', type: 'nvidia-230', iommuGroup: null, driver: null },
    ]);
    expect(share.mdevctl).toEqual({ installed: true, defined: [{ uuid: T4_IN_USE, parent: '0000:3b:00.0', type: 'nvidia-222', start: 'auto' }] });
  });

  it('the A100 VFs: NVIDIA\'s creatable types and current type; the SR-IOV NICs: counts and VFs', () => {
    expect(host(A100_VF_HOST).share.nvidiaVfs).toEqual([
      { address: '0000:3b:00.4', creatable: [{ id: 699, name: 'NVIDIA A100-4C' }, { id: 700, name: 'NVIDIA A100-5C' }, { id: 701, name: 'NVIDIA A100-8C' }], current: 0 },
      { address: '0000:3b:00.5', creatable: [], current: 699 },
    ]);
    const pf = host(SRIOV_NICS_HOST).facts.devices.find((d) => d.address === '0000:06:00.0')!;
    expect(pf.sriov).toEqual({ totalVfs: 7, numVfs: 4, virtfns: ['0000:06:10.0', '0000:06:10.4', '0000:06:11.0', '0000:06:11.4'] });
    expect(host(SRIOV_NICS_HOST).share).toMatchObject({ parents: [], mdevs: [], nvidiaVfs: [], mdevctl: { installed: false } });
  });

  it('parses NVIDIA\'s and mdevctl\'s own formats, and nvidia-smi\'s MIG query', () => {
    expect(parseCreatableVgpuTypes('ID    : vGPU Name\n557   : NVIDIA A40-1Q\n558   : NVIDIA A40-2Q\n\n')).toEqual([{ id: 557, name: 'NVIDIA A40-1Q' }, { id: 558, name: 'NVIDIA A40-2Q' }]);
    expect(parseMdevctlJson('[{"0000:00:02.0":[{"0b4b6dab-6c2f-4ba2-9e1b-6ee1e9a25b4a":{"mdev_type":"i915-GVTg_V5_4","start":"manual","attrs":[]}}]}]')).toEqual([
      { uuid: '0b4b6dab-6c2f-4ba2-9e1b-6ee1e9a25b4a', parent: '0000:00:02.0', type: 'i915-GVTg_V5_4', start: 'manual' },
    ]);
    expect(parseMdevctlJson('')).toEqual([]);
    expect(parseMdevctlJson('not json')).toEqual([]);
    expect(parseNvidiaSmiMig('00000000:3B:00.0, Enabled\n00000000:AF:00.0, [N/A]\n')).toEqual([
      { address: '0000:3b:00.0', enabled: true },
      { address: '0000:af:00.0', enabled: false },
    ]);
  });
});

describe('verdicts', () => {
  it('says what can be shared, with the command, and why the others cannot — in one line each', () => {
    const t4 = host(VGPU_T4_HOST);
    const partial = shareVerdict(t4.facts, t4.share, '0000:3b:00.0')!;
    expect(partial.options.map((o) => o.kind)).toEqual(['mdev']);
    expect(partial.options[0]!.summary).toContain('nvidia-222 (GRID T4-1B): 15 available, 1 in use');
    expect(partial.options[0]!.how).toBe('vfio-wizard apply --step mdev --device 0000:3b:00.0 --type TYPE [--count N]');
    expect(shareVerdict(t4.facts, t4.share, '0000:5e:00.0')!.notes).toContain('No instance of any type can be created now: the device is already carved up, or in use whole.');
    const bmc = shareVerdict(t4.facts, t4.share, '0000:03:00.0')!;
    expect(bmc.options).toEqual([]);
    expect(bmc.notes.at(-1)).toBe('Pass the whole device instead (the isolation step).');

    const nics = host(SRIOV_NICS_HOST);
    const consumer = shareVerdict(nics.facts, nics.share, '0000:01:00.0')!;
    expect(consumer.reason).toMatch(/^Consumer NVIDIA GPUs cannot be shared: vGPU needs a supported data-centre or workstation card, NVIDIA's vGPU host driver and a licence; MIG needs/);
    expect(shareVerdict(nics.facts, nics.share, '0000:00:02.0')!.reason).toMatch(/GVT-g works only up to 10th-gen Core/);
    expect(shareVerdict(nics.facts, nics.share, '0000:02:00.0')!.options[0]!.summary).toMatch(/^SR-IOV — 0 of 63 virtual functions enabled/);
    expect(shareVerdict(nics.facts, nics.share, '0000:00:1f.6')!.reason).toBe('This NIC has no SR-IOV capability.');
    expect(shareVerdict(nics.facts, nics.share, '0000:7f:00.0')).toBeNull();

    const gvt = host(GVTG_HOST);
    expect(shareVerdict(gvt.facts, gvt.share, '0000:00:02.0')!.notes[0]).toMatch(/^mdevctl is not installed: mdevs are created through sysfs and are gone after a reboot/);

    const a100 = host(A100_VF_HOST);
    expect(shareVerdict(a100.facts, a100.share, '0000:3b:00.0')!.notes[0]).toMatch(/^NVIDIA vGPU on Ampere and later runs on these VFs/);
    expect(shareVerdict(a100.facts, { ...a100.share, mig: [{ address: '0000:3b:00.0', enabled: true }] }, '0000:3b:00.0')!.notes).toContainEqual(expect.stringMatching(/^MIG mode is on/));
    expect(shareVerdict(a100.facts, a100.share, '0000:3b:00.4')!.options[0]!.summary).toContain('creatable: 699 NVIDIA A100-4C, 700 NVIDIA A100-5C, 701 NVIDIA A100-8C');
  });

  it('the report lists the shareable devices first, then the GPUs that are not', () => {
    const nics = host(SRIOV_NICS_HOST);
    expect(shareReport(nics.facts, nics.share).map((v) => [v.device, v.options.length > 0])).toEqual([
      ['0000:02:00.0', true],
      ['0000:06:00.0', true],
      ['0000:06:00.1', true],
      ['0000:00:02.0', false],
      ['0000:01:00.0', false],
    ]);
  });
});

describe('SR-IOV plans', () => {
  const nics = () => host(SRIOV_NICS_HOST).facts;

  it('0 → 4 on the X550: one sysfs write and a udev rule that sets it again when the driver binds', () => {
    const r = planSriov(nics(), '0000:02:00.0', 4, null);
    expect(r.kind).toBe('plan');
    if (r.kind !== 'plan') return;
    expect(r.plan.changes).toEqual([
      expect.objectContaining({ kind: 'file', action: 'create', path: SRIOV_RULES_FILE, after: expect.stringContaining('ACTION=="add|bind", SUBSYSTEM=="pci", KERNEL=="0000:02:00.0", DRIVER=="?*", ATTR{sriov_numvfs}="4"') }),
      expect.objectContaining({ kind: 'sysfs', path: '/sys/bus/pci/devices/0000:02:00.0/sriov_numvfs', value: '4', previous: '0' }),
    ]);
  });

  it('4 → 2 on the I350 goes through 0 (the kernel refuses a direct change); undo comes back the same way', () => {
    const r = planSriov(nics(), '0000:06:00.0', 2, null);
    if (r.kind !== 'plan') throw new Error(r.kind);
    const sysfs = r.plan.changes.filter((c) => c.kind === 'sysfs');
    expect(sysfs.map((c) => c.kind === 'sysfs' && [c.value, c.previous])).toEqual([['0', '4'], ['2', '0']]);
  });

  it('refuses what cannot be: a VF, more than the device has, a non-SR-IOV device, a missing one; nothing to do is said', () => {
    expect(planSriov(nics(), '0000:06:10.0', 1, null)).toMatchObject({ kind: 'refuse', reason: '0000:06:10.0 is itself a virtual function (of 0000:06:00.0)' });
    expect(planSriov(nics(), '0000:06:00.0', 8, null)).toMatchObject({ kind: 'refuse', reason: '8 virtual functions: 0000:06:00.0 supports 0 to 7' });
    expect(planSriov(nics(), '0000:00:1f.6', 1, null)).toMatchObject({ kind: 'refuse', reason: expect.stringMatching(/has no SR-IOV capability/) });
    expect(planSriov(nics(), '0000:7f:00.0', 1, null)).toMatchObject({ kind: 'refuse', reason: 'no PCI device 0000:7f:00.0 on this host' });
    const rules = editSriovRules(null, '0000:06:00.0', 4);
    expect(planSriov(nics(), '0000:06:00.0', 4, rules)).toMatchObject({ kind: 'nothing' });
  });

  it('the rules file keeps every other line; a device set to 0 loses its line; an empty file of ours goes away (property)', () => {
    const pf = fc.constantFrom('0000:02:00.0', '0000:06:00.0', '0000:06:00.1', '0000:af:00.1');
    fc.assert(
      fc.property(fc.array(fc.tuple(pf, fc.integer({ min: 0, max: 63 })), { maxLength: 8 }), fc.array(fc.constantFrom('# a comment of the admin', 'SUBSYSTEM=="net", ACTION=="add", NAME="lan0"'), { maxLength: 2 }), (ops, foreign) => {
        let text: string | null = foreign.length ? `${foreign.join('\n')}\n` : null;
        const want = new Map<string, number>();
        for (const [dev, n] of ops) {
          text = editSriovRules(text, dev, n);
          want.set(dev, n);
        }
        const lines = (text ?? '').split('\n');
        for (const f of foreign) expect(lines).toContain(f);
        for (const [dev, n] of want) {
          const mine = lines.filter((l) => l.includes(`KERNEL=="${dev}"`));
          expect(mine).toEqual(n > 0 ? [`ACTION=="add|bind", SUBSYSTEM=="pci", KERNEL=="${dev}", DRIVER=="?*", ATTR{sriov_numvfs}="${n}"`] : []);
        }
        if (foreign.length === 0 && [...want.values()].every((n) => n === 0)) expect(text).toBeNull();
      }),
      { numRuns: 1000 },
    );
  });
});

describe('mdev and vGPU-type plans', () => {
  const U1 = '11111111-2222-4333-8444-555555555555';
  const U2 = '66666666-7777-4888-9999-aaaaaaaaaaaa';

  it('with mdevctl: define --auto then start per instance, each undone (stop, undefine)', () => {
    const r = planMdev(host(VGPU_T4_HOST).share, '0000:3b:00.0', 'nvidia-222', { mdevctl: true, uuids: [U1, U2] });
    if (r.kind !== 'plan') throw new Error(r.kind);
    expect(r.plan.changes.map((c) => c.kind === 'command' && [c.argv.join(' '), c.undo?.argv.join(' ')])).toEqual([
      [`mdevctl define --auto --uuid ${U1} --parent 0000:3b:00.0 --type nvidia-222`, `mdevctl undefine --uuid ${U1}`],
      [`mdevctl start --uuid ${U1}`, `mdevctl stop --uuid ${U1}`],
      [`mdevctl define --auto --uuid ${U2} --parent 0000:3b:00.0 --type nvidia-222`, `mdevctl undefine --uuid ${U2}`],
      [`mdevctl start --uuid ${U2}`, `mdevctl stop --uuid ${U2}`],
    ]);
  });

  it('without mdevctl: a sysfs create per instance, undone by its remove, and the plan says it will not survive a reboot', () => {
    const r = planMdev(host(GVTG_HOST).share, '0000:00:02.0', 'i915-GVTg_V5_4', { mdevctl: false, uuids: [U1] });
    if (r.kind !== 'plan') throw new Error(r.kind);
    expect(r.plan.changes).toEqual([
      expect.objectContaining({ kind: 'sysfs', path: '/sys/class/mdev_bus/0000:00:02.0/mdev_supported_types/i915-GVTg_V5_4/create', value: U1, undo: [{ path: `/sys/bus/mdev/devices/${U1}/remove`, value: '1' }] }),
    ]);
    expect(r.plan.notes.join(' ')).toMatch(/gone after a reboot/);
  });

  it('refuses an unknown parent or type and more instances than are available', () => {
    const share = host(VGPU_T4_HOST).share;
    expect(planMdev(share, '0000:5e:00.0', 'nvidia-222', { mdevctl: true, uuids: [U1] })).toMatchObject({ kind: 'refuse', reason: 'nvidia-222 on 0000:5e:00.0 has 0 instances available, 1 asked for' });
    expect(planMdev(share, '0000:3b:00.0', 'nvidia-999', { mdevctl: true, uuids: [U1] })).toMatchObject({ kind: 'refuse', remedy: expect.stringContaining('nvidia-222 (GRID T4-1B)') });
    expect(planMdev(share, 'mtty', 'mtty-1', { mdevctl: true, uuids: [U1] })).toMatchObject({ kind: 'refuse', remedy: 'Parents here: 0000:3b:00.0, 0000:5e:00.0.' });
  });

  it('a vGPU type on a VF: one sysfs write back to 0 on undo; a VF that has one, or an unknown type, is refused', () => {
    const share = host(A100_VF_HOST).share;
    const r = planVgpuType(share, '0000:3b:00.4', 700);
    if (r.kind !== 'plan') throw new Error(r.kind);
    expect(r.plan.changes).toEqual([expect.objectContaining({ kind: 'sysfs', path: '/sys/bus/pci/devices/0000:3b:00.4/nvidia/current_vgpu_type', value: '700', previous: '0' })]);
    expect(r.plan.notes.join('\n')).toMatch(/holds until the next reboot/);
    expect(planVgpuType(share, '0000:3b:00.5', 700)).toMatchObject({ kind: 'refuse', reason: '0000:3b:00.5 has vGPU type 699 already' });
    expect(planVgpuType(share, '0000:3b:00.5', 699)).toMatchObject({ kind: 'nothing' });
    expect(planVgpuType(share, '0000:3b:00.4', 5)).toMatchObject({ kind: 'refuse', remedy: expect.stringContaining('699 (NVIDIA A100-4C)') });
    expect(planVgpuType(share, '0000:3b:00.0', 699)).toMatchObject({ kind: 'refuse', reason: expect.stringMatching(/has no NVIDIA vGPU interface/) });
  });
});
