// The isolation plan per generator and binding mode, on scanned fixture hosts; applying the plan's
// file changes and planning again must give an empty plan (idempotent).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HostFacts } from '../../src/host/types.js';
import { planIsolate, type IsolateOptions } from '../../src/isolate/plan-isolate.js';
import { expandSelection } from '../../src/isolate/selection.js';
import type { Change, CommandChange, FileChange } from '../../src/plan/types.js';
import { corpusBody } from '../edit/corpus.js';
import { scanFixtureHosts, type ScannedHosts } from './hosts.js';

let hosts: ScannedHosts;
beforeAll(() => {
  hosts = scanFixtureHosts();
});
afterAll(() => hosts?.cleanup());

const opts: IsolateOptions = { blacklist: [], bindBy: 'auto', driverctl: false, mkinitcpioDropinDir: false };

function plan(facts: HostFacts, device: string, files: Record<string, string | null> = {}, o: Partial<IsolateOptions> = {}) {
  const sel = expandSelection(facts, [device]);
  if (!sel.ok) throw new Error(sel.error.message);
  const r = planIsolate(facts, sel.devices, files, { ...opts, ...o });
  if (!r.ok) throw new Error(`${r.reason} — ${r.remedy}`);
  return { ...r, selected: sel.devices };
}
const fileChanges = (cs: Change[]) => cs.filter((c): c is FileChange => c.kind === 'file');
const commands = (cs: Change[]) => cs.filter((c): c is CommandChange => c.kind === 'command').map((c) => c.argv.join(' '));
function applied(files: Record<string, string | null>, cs: Change[]): Record<string, string | null> {
  const out = { ...files };
  for (const c of fileChanges(cs)) out[c.path] = c.after;
  return out;
}

describe('initramfs-tools, vfio-pci a module (four-function TU116, Debian 6.1)', () => {
  it('modprobe file, modules file, rebuild of every kernel, then the listing', () => {
    const f = hosts.get('synthetic-nvidia-4-functions');
    const files = { '/etc/initramfs-tools/modules': corpusBody('initramfs/initramfs-tools-modules-hyphenated-two-lines.txt') };
    const r = plan(f, '01:00.0', files);
    expect(r.bindBy).toBe('id');
    expect(r.vfioPciIdsForCmdline).toBeNull();
    expect(fileChanges(r.plan.changes).map((c) => c.path)).toEqual(['/etc/modprobe.d/vfio.conf', '/etc/initramfs-tools/modules']);
    expect(fileChanges(r.plan.changes)[1]!.after).toBe(`${files['/etc/initramfs-tools/modules']}vfio\nvfio_virqfd\n`);
    expect(commands(r.plan.changes)).toEqual(['update-initramfs -u -k all', 'lsinitramfs /boot/initrd.img-6.1.0-13-amd64']);
    const rebuild = r.plan.changes.find((c): c is CommandChange => c.kind === 'command')!;
    expect(rebuild.regenerates).toBe('initramfs');
    expect(r.plan.needsReboot).toBe(true);
    expect(r.verification?.expect).toEqual({ vfioPciModule: true, files: ['/etc/modprobe.d/vfio.conf'] });
    const again = plan(f, '01:00.0', applied(files, r.plan.changes));
    expect(again.plan.changes).toEqual([]);
  });
});

describe('dracut (NPU on CentOS 8, kernel 4.18)', () => {
  it('a drop-in with force_drivers incl. vfio_virqfd and install_items; lsinitrd --kver; a note that no host driver is known', () => {
    const f = hosts.get('synthetic-npu-centos8-warboy');
    const files = { '/etc/dracut.conf': '# dracut configuration\n' };
    const r = plan(f, '01:00.0', files);
    expect(r.softdeps).toEqual([]);
    const dropin = fileChanges(r.plan.changes).find((c) => c.path === '/etc/dracut.conf.d/10-vfio.conf')!;
    expect(dropin.after).toMatch(/^force_drivers\+=" vfio vfio_iommu_type1 vfio_pci vfio_virqfd "$/m);
    expect(dropin.after).toMatch(/^install_items\+=" \/etc\/modprobe\.d\/vfio\.conf "$/m);
    expect(fileChanges(r.plan.changes).find((c) => c.path === '/etc/modprobe.d/vfio.conf')!.after).toMatch(/^options vfio-pci ids=1ed2:0000$/m);
    expect(commands(r.plan.changes)).toEqual(['dracut --regenerate-all --force', 'lsinitrd --kver 4.18.0-348.7.1.el8_5.x86_64']);
    expect(r.plan.notes.join(' ')).toMatch(/0000:01:00\.0: no host driver is known/);
    expect(plan(f, '01:00.0', applied(files, r.plan.changes)).plan.changes).toEqual([]);
  });
});

describe('vfio-pci built in (Ubuntu 22.04)', () => {
  it('by ID: the IDs go to the kernel command line step; no initramfs module list', () => {
    const f = hosts.get('synthetic-secure-boot-on');
    const r = plan(f, '01:00.0');
    expect(r.vfioPciIdsForCmdline).toEqual(['10de:21c4', '10de:1aeb', '10de:1aec', '10de:1aed']);
    expect(fileChanges(r.plan.changes).map((c) => c.path)).toEqual(['/etc/modprobe.d/vfio.conf']);
    expect(r.verification?.expect.vfioPciModule).toBe(false);
    expect(r.plan.notes.join(' ')).toMatch(/built into this kernel/);
  });
});

describe('identical GPUs (seed 003)', () => {
  it('auto → by address: override script (0755), initramfs-tools hook, install lines; no ids= anywhere', () => {
    const f = hosts.get('synthetic-two-identical-gpus');
    const r = plan(f, 'af:00.0');
    expect(r.bindBy).toBe('address');
    const fc = fileChanges(r.plan.changes);
    expect(fc.map((c) => [c.path, c.mode])).toEqual([
      ['/etc/modprobe.d/vfio.conf', undefined],
      ['/usr/local/sbin/vfio-wizard-override', 0o755],
      ['/etc/initramfs-tools/hooks/vfio-wizard-override', 0o755],
    ]);
    expect(fc[0]!.after).not.toMatch(/ids=/);
    expect(fc[1]!.after).toMatch(/0000:af:00\.0=0x10de:0x1e07/);
    expect(fc[1]!.after).not.toMatch(/3b:00/);
    expect(r.verification?.expect.files).toEqual(['/etc/modprobe.d/vfio.conf', '/usr/local/sbin/vfio-wizard-override']);
    expect(plan(f, 'af:00.0', applied({}, r.plan.changes)).plan.changes).toEqual([]);
  });

  it('with driverctl: one persistent override per function, each undone by unset-override', () => {
    const r = plan(hosts.get('synthetic-two-identical-gpus'), 'af:00.0', {}, { driverctl: true });
    const dc = r.plan.changes.filter((c): c is CommandChange => c.kind === 'command' && c.argv[0] === 'driverctl');
    expect(dc.map((c) => c.argv.join(' '))).toEqual(['0', '1', '2', '3'].map((n) => `driverctl --noprobe set-override 0000:af:00.${n} vfio-pci`));
    expect(dc[0]!.undo?.argv).toEqual(['driverctl', '--noprobe', 'unset-override', '0000:af:00.0']);
    expect(fileChanges(r.plan.changes).some((c) => c.path === '/usr/local/sbin/vfio-wizard-override')).toBe(false);
  });

  it('--bind-by id is refused: it would take the host card too', () => {
    const f = hosts.get('synthetic-two-identical-gpus');
    const sel = expandSelection(f, ['af:00']);
    if (!sel.ok) throw new Error('selection');
    const r = planIsolate(f, sel.devices, {}, { ...opts, bindBy: 'id' });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.reason).toMatch(/0000:3b:00\.0/);
      expect(r.remedy).toMatch(/Nothing was changed/);
    }
  });
});

describe('mkinitcpio and unknown generators', () => {
  it('mkinitcpio with a preset: MODULES edited, mkinitcpio -P, lsinitcpio of the preset\'s image; missing modconf is a conflict', () => {
    const base = hosts.get('synthetic-nvidia-4-functions');
    const f: HostFacts = { ...base, boot: { ...base.boot, initramfs: { id: 'mkinitcpio', evidence: [] } }, kernel: { ...base.kernel, version: { major: 6, minor: 8 } } };
    const files = {
      '/etc/mkinitcpio.conf': 'MODULES=(nouveau)\nHOOKS=(base udev autodetect block filesystems)\n',
      '/etc/mkinitcpio.d/linux.preset': "PRESETS=('default' 'fallback')\ndefault_image=\"/boot/initramfs-linux.img\"\n",
    };
    const r = plan(f, '01:00.0', files);
    expect(fileChanges(r.plan.changes).find((c) => c.path === '/etc/mkinitcpio.conf')!.after).toBe('MODULES=(vfio vfio_iommu_type1 vfio_pci nouveau)\nHOOKS=(base udev autodetect block filesystems)\n');
    expect(commands(r.plan.changes)).toEqual(['mkinitcpio -P', 'lsinitcpio /boot/initramfs-linux.img']);
    expect(r.conflicts.join(' ')).toMatch(/modconf/);
  });

  it('no generator recognised: modules-load.d and a note; no rebuild', () => {
    const base = hosts.get('synthetic-nvidia-4-functions');
    const f: HostFacts = { ...base, boot: { ...base.boot, initramfs: { id: 'unknown', evidence: [] } } };
    const r = plan(f, '01:00.0');
    expect(fileChanges(r.plan.changes).map((c) => c.path)).toEqual(['/etc/modprobe.d/vfio.conf', '/etc/modules-load.d/vfio.conf']);
    expect(commands(r.plan.changes)).toEqual([]);
    expect(r.plan.notes.join(' ')).toMatch(/No initramfs generator/);
  });

  it('a blacklist of a driver a host device uses is noted', () => {
    const f = hosts.get('synthetic-two-identical-gpus');
    const r = plan(f, 'af:00.0', {}, { blacklist: ['nvidia'] });
    expect(r.plan.notes.join(' ')).toMatch(/blacklist nvidia: 0000:3b:00\.0/);
  });
});
