// kmod as the oracle for the modprobe.d we generate: the real modprobe reads our files from a temp
// dir (-C) against Debian's real module tree (-d/-S, from the e2e harness's cached kernel) and says
// what it would load, in which order, with which options. stderr must stay empty: libkmod reports a
// bad line there and still exits 0.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HostFacts } from '../../src/host/types.js';
import { planModprobeEdits, VFIO_MODPROBE_FILE } from '../../src/edit/modprobe-conf.js';
import { planIsolate, type IsolateOptions } from '../../src/isolate/plan-isolate.js';
import { expandSelection } from '../../src/isolate/selection.js';
import type { FileChange } from '../../src/plan/types.js';
import { ensureKernel, type GuestKernel } from '../e2e/harness/guest.js';
import { scanFixtureHosts, type ScannedHosts } from '../isolate/hosts.js';
import { corpusBody } from './corpus.js';

let k: GuestKernel;
let hosts: ScannedHosts;
const dirs: string[] = [];

beforeAll(() => {
  const probe = spawnSync('modprobe', ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new Error('modprobe (kmod) is not installed: these tests need the real kmod. Install it with "apt-get install kmod".');
  }
  k = ensureKernel();
  hosts = scanFixtureHosts();
}, 300_000);
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  hosts?.cleanup();
});

/** Write system-path → contents into a fresh -C directory (base names only: one modprobe.d). */
function confDir(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vfio-kmod-'));
  dirs.push(dir);
  for (const [p, text] of Object.entries(files)) writeFileSync(path.join(dir, path.basename(p)), text);
  return dir;
}

function modprobe(dir: string, ...args: string[]): { stdout: string; stderr: string; status: number | null } {
  const r = spawnSync('modprobe', ['-C', dir, '-d', k.kroot, '-S', k.kver, ...args], { encoding: 'utf8', maxBuffer: 512 * 1024 * 1024 });
  if (r.error) throw new Error(`modprobe could not run: ${r.error.message}`);
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

/** The lines of `modprobe -c` our files add: the kernel tree's own config and /proc/cmdline options are subtracted. */
function ourConfig(dir: string): string[] {
  const empty = confDir({});
  const base = new Set(modprobe(empty, '-c').stdout.split('\n'));
  const r = modprobe(dir, '-c');
  expect(r.stderr).toBe('');
  return r.stdout.split('\n').filter((l) => l !== '' && !base.has(l));
}

/** What `modprobe -n -v MODULE` would do, one entry per insmod/install line: the module file's base name or the install command. */
function loadOrder(dir: string, module: string): string[] {
  const r = modprobe(dir, '-n', '-v', module);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return r.stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => (l.startsWith('insmod ') ? path.basename(l.split(' ')[1]!).replace(/\.ko.*$/, '').replace(/-/g, '_') + (l.split(' ').slice(2).join(' ').trim() ? ` ${l.split(' ').slice(2).join(' ').trim()}` : '') : l.trim()));
}

const opts: IsolateOptions = { blacklist: [], bindBy: 'auto', driverctl: false, mkinitcpioDropinDir: false };

function ourModprobeFile(facts: HostFacts, device: string, files: Record<string, string | null> = {}, o: Partial<IsolateOptions> = {}): Record<string, string> {
  const sel = expandSelection(facts, [device]);
  if (!sel.ok) throw new Error(sel.error.message);
  const r = planIsolate(facts, sel.devices, files, { ...opts, ...o });
  if (!r.ok) throw new Error(r.reason);
  const out: Record<string, string> = {};
  for (const c of r.plan.changes) if (c.kind === 'file' && c.path.startsWith('/etc/modprobe.d/')) out[c.path] = (c as FileChange).after!;
  return out;
}

describe('bind by ID: the four-function TU116 card (nouveau on the host)', () => {
  it('modprobe -c holds exactly our softdeps and options, and nothing on stderr', () => {
    const files = ourModprobeFile(hosts.get('synthetic-nvidia-4-functions'), '01:00.0');
    expect(Object.keys(files)).toEqual([VFIO_MODPROBE_FILE]);
    const lines = ourConfig(confDir(files));
    expect(lines.sort()).toEqual(
      [
        'options vfio_pci ids=10de:21c4,10de:1aeb,10de:1aec,10de:1aed',
        ...['nouveau', 'nvidia', 'nvidia_drm', 'nvidia_modeset', 'nvidiafb', 'snd_hda_intel', 'xhci_pci', 'xhci_hcd', 'i2c_nvidia_gpu'].map((m) => `softdep ${m} pre: vfio-pci`),
      ].sort(),
    );
  });

  // Debian's kernel has no i2c_nvidia_gpu (CONFIG_I2C_NVIDIA_GPU is not set), so its softdep is only checked with -c above
  it('vfio-pci is insmod\'ed with our ids before nouveau, snd_hda_intel and xhci_pci', () => {
    const dir = confDir(ourModprobeFile(hosts.get('synthetic-nvidia-4-functions'), '01:00.0'));
    for (const host of ['nouveau', 'snd_hda_intel', 'xhci_pci']) {
      const order = loadOrder(dir, host);
      const vfio = order.findIndex((l) => l.startsWith('vfio_pci '));
      const own = order.findIndex((l) => l === host || l.startsWith(`${host} `));
      expect(vfio, `${host}: ${order.join(' | ')}`).toBeGreaterThanOrEqual(0);
      expect(own).toBeGreaterThan(vfio);
      expect(order[vfio]).toBe('vfio_pci ids=10de:21c4,10de:1aeb,10de:1aec,10de:1aed');
    }
    expect(loadOrder(dir, 'vfio-pci').at(-1)).toBe('vfio_pci ids=10de:21c4,10de:1aeb,10de:1aec,10de:1aed');
  });

  it('negative control: without the softdeps nouveau loads with no vfio-pci before it', () => {
    const noSoftdep = confDir({ 'vfio.conf': 'options vfio-pci ids=10de:21c4\n' });
    const order = loadOrder(noSoftdep, 'nouveau');
    expect(order.some((l) => l.startsWith('vfio_pci'))).toBe(false);
    expect(order.at(-1)).toBe('nouveau');
  });

  it('negative control: a malformed line makes kmod complain on stderr (the oracle can fail)', () => {
    const bad = confDir({ 'vfio.conf': 'softdep nouveau pre: vfio-pci\noption vfio-pci ids=10de:21c4\n' });
    const r = modprobe(bad, '-c');
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/ignoring bad line starting with 'option'/);
  });

  it('a blacklist line only stops alias loading, as kmod implements it', () => {
    const files = ourModprobeFile(hosts.get('synthetic-nvidia-4-functions'), '01:00.0', {}, { blacklist: ['nouveau'] });
    const dir = confDir(files);
    expect(ourConfig(dir)).toContain('blacklist nouveau');
    // by name it still loads; by the card's modalias with -b it does not
    expect(loadOrder(dir, 'nouveau').at(-1)).toBe('nouveau');
    const alias = 'pci:v000010DEd000021C4sv00001458sd00004015bc03sc00i00';
    expect(modprobe(dir, '-R', alias).stdout.trim()).toBe('nouveau');
    const byAlias = modprobe(dir, '-b', '-n', '-v', alias);
    expect(byAlias.stderr).toBe('');
    expect(byAlias.stdout).not.toMatch(/nouveau\.ko/);
  });
});

describe('bind by address: the second of two identical RTX 2080 Ti (seed 003)', () => {
  it('vfio-pci as a module: its install line runs our override script before nouveau and snd_hda_intel, and there is no ids=', () => {
    const base = hosts.get('synthetic-two-identical-gpus');
    const facts: HostFacts = { ...base, kernel: { ...base.kernel, vfioPci: 'module' } };
    const dir = confDir(ourModprobeFile(facts, 'af:00.0'));
    const cfg = ourConfig(dir);
    expect(cfg).toContain('install vfio_pci /usr/local/sbin/vfio-wizard-override; /sbin/modprobe --ignore-install vfio-pci');
    expect(cfg.some((l) => l.includes('ids='))).toBe(false);
    for (const host of ['nouveau', 'snd_hda_intel']) {
      const order = loadOrder(dir, host);
      const install = order.findIndex((l) => l.startsWith('install /usr/local/sbin/vfio-wizard-override'));
      expect(install, order.join(' | ')).toBeGreaterThanOrEqual(0);
      expect(order.findIndex((l) => l === host)).toBeGreaterThan(install);
    }
  });

  it('vfio-pci built in: the host drivers\' own install lines run the script first', () => {
    const dir = confDir(ourModprobeFile(hosts.get('synthetic-two-identical-gpus'), 'af:00.0'));
    const order = loadOrder(dir, 'nouveau');
    expect(order.at(-1)).toBe('install /usr/local/sbin/vfio-wizard-override; /sbin/modprobe --ignore-install nouveau');
  });
});

describe('existing configuration', () => {
  it('another file\'s earlier softdep for nouveau wins in kmod, so vfio-pci is added to that line', () => {
    const other = '/etc/modprobe.d/00-local.conf';
    const files = { [other]: '# keep the HDA codec first\nsoftdep nouveau pre: snd-hda-intel\n' };
    // the reason: with our line alone in vfio.conf, kmod ignores it
    const naive = confDir({ ...files, 'vfio.conf': 'softdep nouveau pre: vfio-pci\n' });
    expect(loadOrder(naive, 'nouveau').some((l) => l.startsWith('vfio_pci'))).toBe(false);
    const edit = planModprobeEdits(files, { ids: ['10de:21c4'], softdeps: ['nouveau'], blacklist: [] });
    expect(edit.changes[other]).toBe('# keep the HDA codec first\nsoftdep nouveau pre: vfio-pci snd_hda_intel\n');
    const dir = confDir({ ...files, ...edit.changes });
    const order = loadOrder(dir, 'nouveau');
    const vfio = order.findIndex((l) => l.startsWith('vfio_pci'));
    expect(vfio).toBeGreaterThanOrEqual(0);
    expect(order.indexOf('nouveau')).toBeGreaterThan(vfio);
  });

  it('the corpus modprobe files stay valid for kmod after our edit (each as vfio.conf and as a neighbour)', () => {
    const corpus = [
      'modprobe/fedora-laptop-vfio-ids-split-options-lines.txt',
      'modprobe/mint20-i350-igb-max-vfs.txt',
      'modprobe/ozzyhelix-vfio-ids-gpu-usb-cards-many-softdeps-typo.txt',
      'modprobe/proxmox-vfio-ids-i226-nic-disable-vga.txt',
      'modprobe/ubuntu1804-01-vfio-pci-softdeps-nouveau-nvidiafb-hda.txt',
      'modprobe/vvorth-kvm-amd-npt-off.txt',
    ];
    for (const c of corpus) {
      for (const where of [VFIO_MODPROBE_FILE, '/etc/modprobe.d/01-user.conf']) {
        const files = { [where]: corpusBody(c) };
        const edit = planModprobeEdits(files, { ids: ['10de:21c4', '10de:1aeb'], softdeps: ['nouveau', 'snd_hda_intel'], blacklist: [] });
        const merged = { ...files, ...edit.changes };
        const dir = confDir(merged);
        const r = modprobe(dir, '-c');
        expect(r.stderr, `${c} as ${where}`).toBe('');
        const order = loadOrder(dir, 'nouveau');
        const vfio = order.findIndex((l) => l.startsWith('vfio_pci'));
        expect(vfio, `${c} as ${where}: ${order.join(' | ')}`).toBeGreaterThanOrEqual(0);
        expect(order.indexOf('nouveau')).toBeGreaterThan(vfio);
      }
    }
  });
});
