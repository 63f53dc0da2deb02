// The sharing steps through the CLI on fixture roots: `share` (plain, JSON, a single device),
// `plan`/`apply`/`rollback` for sriov, mdev and vgpu-type, bad input with its exit codes, and the
// read-back that catches a sysfs write which "worked" and created nothing (a fixture root has no
// kernel behind it: the VF count is written, no VF appears, and the step is rolled back by itself).
// VMs with mediated devices: every export format, virt-xml-validate, and virt-install against
// libvirt's test driver resolving the mdev node device.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { A100_VF_HOST, GVTG_HOST, SRIOV_NICS_HOST, T4_IN_USE, VGPU_T4_HOST } from '../../src/demo/synthetic-hosts.js';
import { ExitCode } from '../../src/exit-codes.js';
import { SRIOV_RULES_FILE } from '../../src/share/plan-share.js';
import { cli, tool, validateXml, vmFixture, type VmFixture } from '../vm/support.js';

const fixtures: VmFixture[] = [];
let t4: VmFixture;
let nics: VmFixture;
let gvt: VmFixture;
let a100: VmFixture;
beforeAll(() => {
  for (const [spec, set] of [
    [VGPU_T4_HOST, (f: VmFixture) => (t4 = f)],
    [SRIOV_NICS_HOST, (f: VmFixture) => (nics = f)],
    [GVTG_HOST, (f: VmFixture) => (gvt = f)],
    [A100_VF_HOST, (f: VmFixture) => (a100 = f)],
  ] as const) {
    const f = vmFixture(spec);
    fixtures.push(f);
    set(f);
  }
});
afterAll(() => {
  for (const f of fixtures) f.cleanup();
});

describe('vfio-wizard share', () => {
  it('lists what can be shared and how, then what cannot and why; --json carries the same; one device with --device', async () => {
    const r = await cli(t4.dir, ['share']);
    expect(r.exit).toBe(0);
    expect(r.stdout).toContain('can share: mediated devices — 3 types: nvidia-222 (GRID T4-1B): 15 available, 1 in use');
    expect(r.stdout).toContain(`Mediated devices that exist:\n  ${T4_IN_USE}  nvidia-222 on 0000:3b:00.0`);
    expect(r.stdout).toContain('Defined in mdevctl:');
    const j = JSON.parse((await cli(t4.dir, ['--json', 'share'])).stdout);
    expect(j.schemaVersion).toBe(1);
    expect(j.devices.map((d: { device: string }) => d.device)).toEqual(['0000:3b:00.0', '0000:5e:00.0', '0000:03:00.0']);
    expect(j.mdevs).toHaveLength(2);
    const one = await cli(nics.dir, ['share', '--device', '01:00.0']);
    expect(one.stdout).toMatch(/^0000:01:00\.0 .*\n {2}cannot share: Consumer NVIDIA GPUs cannot be shared/);
    const none = await cli(nics.dir, ['share', '--device', '7f:00.0']);
    expect(none.exit).toBe(ExitCode.badInput);
    expect(none.stderr).toContain('no device or mdev parent 7f:00.0 on this host');
  });
});

describe('the sriov step', () => {
  it('plan shows the udev rule and the sysfs write; bad values are usage errors; nothing is written', async () => {
    const p = await cli(nics.dir, ['plan', '--step', 'sriov', '--device', '02:00.0', '--vfs', '4']);
    expect(p.exit).toBe(0);
    expect(p.stdout).toContain(`+ACTION=="add|bind", SUBSYSTEM=="pci", KERNEL=="0000:02:00.0", DRIVER=="?*", ATTR{sriov_numvfs}="4"`);
    expect(p.stdout).toContain('write "4" to /sys/bus/pci/devices/0000:02:00.0/sriov_numvfs');
    for (const [args, code, text] of [
      [['--vfs', 'four'], ExitCode.usage, '--vfs four: not a whole number'],
      [[], ExitCode.usage, '--step sriov needs --vfs N'],
      [['--vfs', '2', '--device', '06:00.0'], ExitCode.usage, 'takes exactly one --device'],
      [['--vfs', '99'], ExitCode.cannotApply, 'supports 0 to 63'],
    ] as const) {
      const r = await cli(nics.dir, ['plan', '--step', 'sriov', '--device', '02:00.0', ...args]);
      expect(r.exit, `${args.join(' ')}: ${r.stderr}`).toBe(code);
      expect(`${r.stdout}${r.stderr}`).toContain(text);
    }
    expect(existsSync(path.join(nics.dir, SRIOV_RULES_FILE))).toBe(false);
  });

  it('apply: the count is written but no VF appears (no kernel here) — the read-back fails and the step is rolled back by itself', async () => {
    const numvfs = path.join(nics.dir, 'sys/bus/pci/devices/0000:02:00.0/sriov_numvfs');
    const r = await cli(nics.dir, ['apply', '--step', 'sriov', '--device', '02:00.0', '--vfs', '4', '--yes']);
    expect(r.exit).toBe(ExitCode.failed);
    expect(r.stdout).toContain('check after applying failed: 0000:02:00.0 shows 4 in sriov_numvfs and 0 virtual functions, not 4');
    expect(readFileSync(numvfs, 'utf8').trim()).toBe('0');
    expect(existsSync(path.join(nics.dir, SRIOV_RULES_FILE))).toBe(false);
  });
});

describe('the mdev step', () => {
  it('with mdevctl: the commands, journaled, listed under --commands skip, and rolled back', async () => {
    const uuid = '0f1e2d3c-4b5a-4968-8776-655443322110';
    const p = await cli(t4.dir, ['--json', 'plan', '--step', 'mdev', '--device', '3b:00.0', '--type', 'nvidia-222', '--uuid', uuid]);
    const plan = JSON.parse(p.stdout);
    expect(plan.plan.changes.map((c: { argv: string[] }) => c.argv.join(' '))).toEqual([`mdevctl define --auto --uuid ${uuid} --parent 0000:3b:00.0 --type nvidia-222`, `mdevctl start --uuid ${uuid}`]);
    const a = await cli(t4.dir, ['apply', '--step', 'mdev', '--device', '3b:00.0', '--type', 'nvidia-222', '--uuid', uuid, '--yes', '--commands', 'skip']);
    expect(a.exit, a.stderr).toBe(0);
    expect(a.stdout).toContain(`mdevctl start --uuid ${uuid}`);
    const rb = await cli(t4.dir, ['--json', 'rollback', '--step', 'mdev', '--yes', '--commands', 'skip']);
    expect(rb.exit, rb.stderr).toBe(0);
    // the undo, newest first: stop the running mdev, then forget its definition — listed, not run
    const undo = [['mdevctl', 'stop', '--uuid', uuid], ['mdevctl', 'undefine', '--uuid', uuid]];
    expect(JSON.parse(rb.stdout)).toMatchObject({ status: 'rolled-back', pendingCommands: undo });
    // and status keeps them as still to run by hand
    const st = JSON.parse((await cli(t4.dir, ['--json', 'status'])).stdout);
    expect(st.pending.commands).toEqual(undo);
  });

  it('without mdevctl: a sysfs create that makes no mdev here is caught by the read-back and undone; bad input refused', async () => {
    const r = await cli(gvt.dir, ['apply', '--step', 'mdev', '--device', '00:02.0', '--type', 'i915-GVTg_V5_4', '--yes']);
    expect(r.exit).toBe(ExitCode.failed);
    expect(r.stdout).toMatch(/check after applying failed: the kernel has no mdev [0-9a-f-]{36} of type i915-GVTg_V5_4/);
    expect(r.stdout).toMatch(/no longer exists: nothing to undo there/);
    for (const [args, code, text] of [
      [['--type', 'i915-GVTg_V5_4', '--uuid', 'nope'], ExitCode.usage, '--uuid nope: not a UUID'],
      [['--type', 'i915-GVTg_V5_4', '--count', '3'], ExitCode.cannotApply, 'has 2 instances available, 3 asked for'],
      [['--type', 'i915-GVTg_V9'], ExitCode.cannotApply, 'has no mdev type i915-GVTg_V9'],
      [[], ExitCode.usage, '--step mdev needs --type TYPE'],
    ] as const) {
      const x = await cli(gvt.dir, ['plan', '--step', 'mdev', '--device', '00:02.0', ...args]);
      expect(x.exit, `${args.join(' ')}: ${x.stdout}${x.stderr}`).toBe(code);
      expect(`${x.stdout}${x.stderr}`).toContain(text);
    }
  });
});

describe('the vgpu-type step', () => {
  it('sets the type on the VF, reads it back, and rollback sets 0 again', async () => {
    const file = path.join(a100.dir, 'sys/bus/pci/devices/0000:3b:00.4/nvidia/current_vgpu_type');
    const r = await cli(a100.dir, ['apply', '--step', 'vgpu-type', '--device', '3b:00.4', '--type', '700', '--yes']);
    expect(r.exit, r.stderr).toBe(0);
    expect(r.stdout).toContain('verified: 0000:3b:00.4 has vGPU type 700');
    expect(readFileSync(file, 'utf8').trim()).toBe('700');
    const rb = await cli(a100.dir, ['rollback', '--step', 'vgpu-type', '--yes']);
    expect(rb.exit, rb.stderr).toBe(0);
    expect(readFileSync(file, 'utf8').trim()).toBe('0');
    const bad = await cli(a100.dir, ['plan', '--step', 'vgpu-type', '--device', '3b:00.4', '--type', 'A100-4C']);
    expect(bad.exit).toBe(ExitCode.usage);
  });
});

describe('a VM with a mediated device', () => {
  it('every export carries it; the XML validates; virt-install on the test driver resolves the mdev node device', async () => {
    const base = ['vm', 'export', '--mdev', T4_IN_USE, '--name', 'vgpu-vm', '--connect', t4.uri];
    const xml = await cli(t4.dir, base);
    expect(xml.exit, xml.stderr).toBe(0);
    expect(xml.stdout).toContain(`<hostdev mode='subsystem' type='mdev' model='vfio-pci' display='off'>`);
    expect(xml.stdout).toContain(`<address uuid='${T4_IN_USE}'/>`);
    expect(validateXml(xml.stdout).status).toBe(0);
    const vi = await cli(t4.dir, [...base, '--format', 'virt-install']);
    const node = `mdev_${T4_IN_USE.replace(/-/g, '_')}_0000_3b_00_0`;
    expect(vi.stdout).toContain(`--host-device ${node}`);
    const printed = tool(['virt-install', '--connect', t4.uri, '--name', 'vgpu-vm', '--memory', '1024', '--disk', 'none', '--import', '--osinfo', 'generic', '--host-device', node, '--print-xml']);
    expect(printed.status, printed.output).toBe(0);
    expect(printed.stdout).toMatch(/<hostdev mode="subsystem" type="mdev"[^>]*model="vfio-pci"/);
    expect(printed.stdout).toContain(`<address uuid="${T4_IN_USE}"/>`);
    expect((await cli(t4.dir, [...base, '--format', 'qemu'])).stdout).toContain(`vfio-pci,sysfsdev=/sys/bus/mdev/devices/${T4_IN_USE}`);
    const vagrant = (await cli(t4.dir, [...base, '--format', 'vagrant'])).stdout;
    expect(vagrant).toContain(`libvirt.qemuargs :value => 'vfio-pci,sysfsdev=/sys/bus/mdev/devices/${T4_IN_USE}'`);
    const vdir = path.join(t4.dir, 'vagrant');
    tool(['mkdir', '-p', vdir]);
    writeFileSync(path.join(vdir, 'Vagrantfile'), vagrant);
    const valid = tool(['vagrant', 'validate'], { cwd: vdir, env: { ...process.env, VAGRANT_DEFAULT_PROVIDER: 'libvirt', VAGRANT_HOME: path.join(vdir, '.vagrant.d') } });
    expect(valid.status, valid.output).toBe(0);
  }, 60_000);

  it('an mdev that does not exist is bad input (5); a malformed one a usage error (2)', async () => {
    const missing = await cli(t4.dir, ['vm', 'export', '--mdev', '00000000-0000-4000-8000-000000000000', '--name', 'x']);
    expect(missing.exit).toBe(ExitCode.badInput);
    expect(missing.stderr).toContain('no mediated device 00000000-0000-4000-8000-000000000000 on this host');
    const bad = await cli(t4.dir, ['vm', 'export', '--mdev', 'gpu-slice', '--name', 'x']);
    expect(bad.exit).toBe(ExitCode.usage);
  });
});
