// `vfio-wizard vm export|create` through main(), on fixture roots, with libvirt's test driver
// standing in for libvirtd (a host description written from the fixture's devices).
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FOUR_FUNCTION_NVIDIA } from '../../src/demo/synthetic-hosts.js';
import type { RootSpec } from '../../src/demo/root-spec.js';
import type { CommandContext } from '../../src/commands/context.js';
import { createRecordingRunner, type ScriptEntry } from '../../src/run/recording-runner.js';
import { runVmCreate, type VmFlags } from '../../src/vm/vm-cli.js';
import { cli, tool, validateXml, vmFixture, type VmFixture } from './support.js';
import { exportVm } from '../../src/vm/export.js';
import { ovmfForSpec } from '../../src/vm/ovmf.js';
import { systemRoot } from '../../src/host/root.js';
import { vmFlagsFor } from '../../src/vm/vm-flags.js';
import { defaultVmSpec, type VmSpec } from '../../src/vm/vm-spec.js';

const CARD = ['0000:01:00.0', '0000:01:00.1', '0000:01:00.2', '0000:01:00.3'];
const hostdevCount = (xml: string) => (xml.match(/<hostdev mode=.subsystem. type=.pci. managed=.yes.>/g) ?? []).length;

let fx: VmFixture;
beforeAll(() => {
  fx = vmFixture(FOUR_FUNCTION_NVIDIA);
});
afterAll(() => fx.cleanup());

describe('vm export', () => {
  it('the flags the wizard prints for a VM (vmFlagsFor) describe that same VM to the CLI', async () => {
    const base = defaultVmSpec(fx.facts, { memTotalKiB: 16 * 1024 * 1024, threads: 8 }, CARD, 'gpu-vm');
    const variants: VmSpec[] = [
      base,
      { ...base, name: 'w11', memoryMiB: 12288, vcpus: 6, disk: { kind: 'new', sizeGiB: 80, pool: 'fast' }, install: { kind: 'iso', path: '/isos/win11 x64.iso' }, osVariant: 'win11', display: 'spice', kvmHidden: true, hypervVendorId: 'whatever', firmware: { secureBoot: true, loader: null } },
      { ...base, disk: { kind: 'existing', path: '/img/d.qcow2' }, network: { kind: 'bridge', bridge: 'br0' }, connect: fx.uri, firmware: { secureBoot: false, loader: { code: '/usr/share/OVMF/OVMF_CODE_4M.fd', vars: '/usr/share/OVMF/OVMF_VARS_4M.fd' } } },
      { ...base, disk: { kind: 'none' }, install: { kind: 'iso', path: '/i.iso' }, network: { kind: 'none' }, display: 'vnc' },
    ];
    for (const spec of variants) {
      for (const format of ['xml', 'qemu'] as const) {
        const r = await cli(fx.dir, ['vm', 'export', ...vmFlagsFor(spec), '--format', format]);
        expect(r.stderr, vmFlagsFor(spec).join(' ')).toBe('');
        expect(r.stdout).toBe(exportVm(spec, format, { ovmf: ovmfForSpec(systemRoot(fx.dir), spec) }));
      }
    }
  });

  it('prints a libvirt domain with every function of the slot, valid against the schema', async () => {
    const r = await cli(fx.dir, ['vm', 'export', '--device', '01:00.0', '--name', 'gpu-vm', '--memory', '6G', '--vcpus', '3']);
    expect(r.stderr).toBe('');
    expect(r.exit).toBe(0);
    expect(hostdevCount(r.stdout)).toBe(4);
    expect(r.stdout).toContain("<memory unit='MiB'>6144</memory>");
    expect(r.stdout).toContain("<vcpu placement='static'>3</vcpu>");
    expect(validateXml(r.stdout).status).toBe(0);
  });

  it('writes each format to --output and says where; --json reports it', async () => {
    for (const format of ['xml', 'virt-install', 'vagrant', 'qemu']) {
      const out = path.join(fx.dir, `export.${format}`);
      const r = await cli(fx.dir, ['vm', 'export', '--device', '0000:01:00', '--name', 'gpu-vm', '--format', format, '--output', out]);
      expect(r.exit).toBe(0);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain(`wrote ${format} for gpu-vm (${CARD.join(', ')}) to ${out}`);
      const text = readFileSync(out, 'utf8');
      for (const a of CARD) {
        const [, bus, rest] = /^0000:(\w\w):(.*)$/.exec(a)!;
        const [slot, fn] = rest!.split('.');
        if (format === 'xml') expect(text).toContain(`bus='0x${bus}' slot='0x${slot}' function='0x${fn}'`);
        if (format === 'virt-install') expect(text).toContain(`--host-device pci_0000_${bus}_${slot}_${fn}`);
        if (format === 'vagrant') expect(text).toContain(`:bus => '0x${bus}', :slot => '0x${slot}', :function => '0x${fn}'`);
        if (format === 'qemu') expect(text).toContain(`vfio-pci,host=${a}`);
      }
    }
    const j = await cli(fx.dir, ['--json', 'vm', 'export', '--device', '01:00.0', '--name', 'gpu-vm', '--format', 'qemu']);
    expect(JSON.parse(j.stdout)).toMatchObject({ schemaVersion: 1, format: 'qemu', devices: CARD, text: expect.stringContaining('qemu-system-x86_64') });
  });

  it('the exported virt-install script runs as written (sh, against the test driver); the QEMU script parses (sh -n)', async () => {
    const iso = path.join(fx.dir, "my install's.iso");
    writeFileSync(iso, '');
    const script = path.join(fx.dir, 'create.sh');
    const r = await cli(fx.dir, ['vm', 'export', '--device', '01:00.0', '--name', 'gpu-vm', '--connect', fx.uri, '--iso', iso, '--format', 'virt-install', '--output', script]);
    expect(r.exit).toBe(0);
    const ran = tool(['sh', script]);
    // with an install ISO virt-install leaves the domain running the installer
    expect(ran.output).toMatch(/Creating domain\.\.\.[\s\S]*Installation may be in progress/);
    expect(ran.status).toBe(0);
    const q = path.join(fx.dir, 'qemu.sh');
    expect((await cli(fx.dir, ['vm', 'export', '--device', '01:00.0', '--name', 'gpu-vm', '--iso', iso, '--format', 'qemu', '--output', q])).exit).toBe(0);
    expect(tool(['sh', '-n', q]).status).toBe(0);
  });

  it.each([
    [['--device', '01:0.0'], 2, /not a PCI address/],
    [['--device', '07:00.0'], 5, /no PCI device 07:00.0 on this system/],
    [['--device', '00:01.0'], 5, /bridge or root port/],
    [['--device', '01:00.0', '--name', 'bad name'], 2, /--name "bad name"/],
    [['--device', '01:00.0', '--memory', '100'], 2, /At least 256 MiB/],
    [['--device', '01:00.0', '--vcpus', 'four'], 2, /--vcpus four/],
    [['--device', '01:00.0', '--format', 'ovf'], 2, /--format ovf: unknown/],
    [['--device', '01:00.0', '--network', 'wifi'], 2, /--network wifi/],
  ])('%j → exit %i', async (args, code, message) => {
    const withName = args.includes('--name') ? args : [...args, '--name', 'vm'];
    const r = await cli(fx.dir, ['vm', 'export', ...withName]);
    expect(r.stderr).toMatch(message);
    expect(r.exit).toBe(code);
  });

  it('--name is required (a usage error)', async () => {
    const r = await cli(fx.dir, ['vm', 'export', '--device', '01:00.0']);
    expect(r.exit).toBe(2);
    expect(r.stderr).toMatch(/--name/);
  });
});

describe('vm create through the test driver', () => {
  const base = () => ['vm', 'create', '--device', '01:00.0', '--name', 'gpu-vm', '--disk', '20', '--connect', fx.uri];

  it('without --yes: preflight, the argv and the domain virt-install prints — and nothing created', async () => {
    const r = await cli(fx.dir, base());
    expect(r.exit).toBe(0);
    expect(r.stdout).toMatch(/ok {3}group 12 is viable/);
    expect(r.stdout).toMatch(/ok {3}pool default has 100\.0 GiB free/);
    expect(r.stdout).toMatch(/ok {3}UEFI firmware: libvirt will pick \/usr\/share\/OVMF\/OVMF_CODE_4M\.fd/);
    expect(r.stdout).toContain(`virt-install --connect ${fx.uri} --name gpu-vm`);
    expect(r.stdout).toContain('<os firmware="efi">');
    expect(hostdevCount(r.stdout)).toBe(4);
    expect(r.stdout).toContain('Nothing was created. Re-run with --yes to create it.');
  });

  it('with --yes: virt-install runs with live, prefixed output, and the result says how to connect', async () => {
    const r = await cli(fx.dir, [...base(), '--yes']);
    expect(r.stderr).toBe('');
    expect(r.exit).toBe(0);
    expect(r.stdout).toMatch(/^virt-install: \$ virt-install --connect /m);
    expect(r.stdout).toMatch(/^virt-install: Allocating 'gpu-vm\.qcow2'/m);
    expect(r.stdout).toMatch(/^virt-install: Domain creation completed\./m);
    expect(r.stdout).toContain('gpu-vm is defined and started. Connect with:');
    expect(r.stdout).toContain(`virsh -c ${fx.uri} console gpu-vm`);
    // the run's log, with virt-install's whole output, is named last
    const log = /^Log of the commands: (.+)$/m.exec(r.stdout)?.[1];
    expect(log).toMatch(new RegExp(`^${fx.dir}/var/log/vfio-wizard/.+\\.log$`));
    expect(readFileSync(log as string, 'utf8')).toMatch(/start virt-install[\s\S]*Domain creation completed\./);
  });

  it('--json --yes: command events as JSON lines, then the result', async () => {
    const r = await cli(fx.dir, ['--json', ...base(), '--yes']);
    expect(r.exit).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines[0]).toMatchObject({ type: 'command-start', name: 'virt-install' });
    expect(lines.some((l) => l.type === 'command-line' && l.line === 'Domain creation completed.')).toBe(true);
    expect(lines.at(-2)).toMatchObject({ type: 'command-end', status: 'ok', exitCode: 0 });
    // the test driver keeps no domain after virt-install exits: no domstate to confirm, nothing to undo
    expect(lines.at(-1)).toMatchObject({ type: 'vm-create', status: 'created', devices: CARD, undo: [null] });
    // journaled: `rollback --step vm` finds the run
    expect(lines.at(-1)).toMatchObject({ runId: expect.stringMatching(/\d/), logPath: expect.stringMatching(/\/var\/log\/vfio-wizard\/.+\.log$/) });
  });

  it('a missing ISO is refused before anything runs (exit 5)', async () => {
    const r = await cli(fx.dir, [...base(), '--iso', '/nowhere/install.iso', '--yes']);
    expect(r.exit).toBe(5);
    expect(r.stderr).toContain('--iso /nowhere/install.iso: no such file');
    expect(r.stdout).toBe('');
  });

  it('a taken name fails the preflight (exit 3) and nothing runs', async () => {
    const hostXml = fx.uri.slice('test://'.length);
    const taken = path.join(fx.dir, 'with-domain.xml');
    writeFileSync(taken, readFileSync(hostXml, 'utf8').replace('</node>', "  <domain type='test'><name>gpu-vm</name><memory>1048576</memory><os><type>hvm</type></os></domain>\n</node>"));
    const r = await cli(fx.dir, ['vm', 'create', '--device', '01:00.0', '--name', 'gpu-vm', '--connect', `test://${taken}`, '--yes']);
    expect(r.exit).toBe(3);
    expect(r.stdout).toMatch(/FAIL a domain named gpu-vm already exists/);
    expect(r.stdout).toContain('Nothing was created.');
    expect(r.stdout).not.toContain('virt-install:');
  });

  it('an IOMMU group shared with a NIC still on its driver fails the preflight, naming it', async () => {
    const shared: RootSpec = {
      ...FOUR_FUNCTION_NVIDIA,
      id: 'shared-group',
      devices: [...FOUR_FUNCTION_NVIDIA.devices, { address: '0000:02:00.0', vendor: '8086', device: '15b8', class: '020000', driver: 'e1000e', iommuGroup: 12 }],
    };
    const f2 = vmFixture(shared);
    try {
      const r = await cli(f2.dir, ['vm', 'create', '--device', '01:00.0', '--name', 'gpu-vm', '--connect', f2.uri, '--yes']);
      expect(r.exit).toBe(3);
      expect(r.stdout).toContain('FAIL group 12 is not viable: 0000:02:00.0 (e1000e) shares it');
    } finally {
      f2.cleanup();
    }
  });

  it('no OVMF under the root fails the preflight with the package to install', async () => {
    const f3 = vmFixture(FOUR_FUNCTION_NVIDIA, { ovmf: false });
    try {
      const r = await cli(f3.dir, ['vm', 'create', '--device', '01:00.0', '--name', 'gpu-vm', '--connect', f3.uri]);
      expect(r.exit).toBe(3);
      expect(r.stdout).toMatch(/FAIL no OVMF .* found\n\s+Install OVMF: Debian\/Ubuntu apt install ovmf/);
    } finally {
      f3.cleanup();
    }
  });

  it('network, bridge and OS variant are checked before virt-install would stop on them', async () => {
    const ok = await cli(fx.dir, [...base(), '--os-variant', 'debian11']);
    expect(ok.exit).toBe(0);
    expect(ok.stdout).toMatch(/ok {3}network default is active/);
    expect(ok.stdout).toMatch(/ok {3}OS variant debian11/);
    const typo = await cli(fx.dir, [...base(), '--os-variant', 'debian99']);
    expect(typo.exit).toBe(3);
    expect(typo.stdout).toMatch(/FAIL libosinfo does not know the OS variant debian99\n\s+Did you mean debian\d+/);
    const net = await cli(fx.dir, [...base(), '--network', 'network=isolated']);
    expect(net.exit).toBe(3);
    expect(net.stdout).toContain('FAIL libvirt network isolated not found');
    const br = await cli(fx.dir, [...base(), '--network', 'bridge=br0']);
    expect(br.exit).toBe(3);
    expect(br.stdout).toContain('FAIL no bridge br0 on this host (it has none)');
    const withBridge = vmFixture({ ...FOUR_FUNCTION_NVIDIA, files: { ...(FOUR_FUNCTION_NVIDIA.files ?? {}), 'sys/class/net/br0/bridge/forward_delay': '1500\n', 'sys/class/net/eth0/address': '00:11:22:33:44:55\n' } });
    try {
      const r = await cli(withBridge.dir, ['vm', 'create', '--device', '01:00.0', '--name', 'gpu-vm', '--connect', withBridge.uri, '--network', 'bridge=br0']);
      expect(r.stdout).toMatch(/ok {3}bridge br0 exists/);
      expect(r.stdout).toContain('--network bridge=br0,model=virtio');
      expect(r.exit).toBe(0);
    } finally {
      withBridge.cleanup();
    }
  });

  it('when virt-install --print-xml refuses (a device libvirt does not list), nothing runs (exit 1)', async () => {
    const hostXml = fx.uri.slice('test://'.length);
    const partial = path.join(fx.dir, 'without-01-00-3.xml');
    writeFileSync(partial, readFileSync(hostXml, 'utf8').replace(/  <device>\n    <name>pci_0000_01_00_3<\/name>[\s\S]*?<\/device>\n/, ''));
    const r = await cli(fx.dir, ['vm', 'create', '--device', '01:00.0', '--name', 'gpu-vm', '--connect', `test://${partial}`, '--yes']);
    expect(r.exit).toBe(1);
    expect(r.stdout).toMatch(/ERROR .*--hostdev pci_0000_01_00_3: Unknown hostdev address/);
    // named and described like every other failed command, on lines of its own
    expect(r.stdout).toMatch(/^virt-install failed with exit code 1\.\n {2}command: virt-install .*--print-xml\n/m);
    expect(r.stdout).toMatch(/\nNothing was created\.\n$/);
    expect(r.stdout).not.toContain('Domain creation completed');
  });

  it('an unreachable libvirt fails the preflight with how to start it', async () => {
    const r = await cli(fx.dir, ['vm', 'create', '--device', '01:00.0', '--name', 'gpu-vm', '--connect', 'test:///nonexistent/host.xml']);
    expect(r.exit).toBe(3);
    expect(r.stdout).toMatch(/FAIL libvirt is not reachable at test:\/\/\/nonexistent\/host\.xml/);
  });
});

describe('vm create on qemu:///system (scripted runner: no libvirtd here)', () => {
  const probes: ScriptEntry[] = [
    { match: /^virsh -c qemu:\/\/\/system uri$/, lines: ['qemu:///system'] },
    { match: /^virsh -c qemu:\/\/\/system dominfo /, exitCode: 1, lines: [{ line: "error: failed to get domain 'gpu-vm'", stream: 'stderr' }] },
    { match: /^virsh -c qemu:\/\/\/system net-info default$/, lines: ['Name:           default', 'Active:         yes'] },
    { match: /^virsh -c qemu:\/\/\/system pool-info default$/, lines: ['Available:      80.00 GiB'] },
    { match: /^virsh -c qemu:\/\/\/system vol-info /, exitCode: 1 },
    { match: /--print-xml$/, lines: ["<domain type='kvm'/>"] },
  ];
  const ctxFor = (json = false) => {
    let stdout = '';
    let exit = 0;
    const ctx: CommandContext = {
      io: { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: () => true }, stdinIsTTY: false, env: {} },
      globals: () => ({ root: fx.dir, json, plain: true, color: false, demo: false }),
      setExit: (c) => void (exit = c),
    };
    return { ctx, out: () => stdout, exit: () => exit };
  };
  const flags: VmFlags = { device: ['01:00.0'], name: 'gpu-vm', pool: 'default', yes: true };

  it('as a user: preflight and XML shown, then "needs root" (77) before anything is created', async () => {
    const runner = createRecordingRunner(probes);
    const { ctx } = ctxFor();
    await expect(runVmCreate(ctx, flags, { runner, uid: 1000 })).rejects.toMatchObject({ exitCode: 77, message: 'creating a VM on qemu:///system needs root' });
    expect(runner.commandLines().filter((l) => l.startsWith('virt-install') && !l.endsWith('--print-xml'))).toEqual([]);
  });

  it('as root: virt-install, then virsh domstate; a failing confirmation undoes the creation, newest first', async () => {
    const runner = createRecordingRunner([...probes, { match: /^virsh -c qemu:\/\/\/system domstate gpu-vm$/, exitCode: 1 }]);
    const { ctx, out, exit } = ctxFor();
    await runVmCreate(ctx, flags, { runner, uid: 0 });
    const after = runner.commandLines().slice(runner.commandLines().findIndex((l) => l.endsWith('--print-xml')) + 1);
    expect(after).toEqual([
      expect.stringMatching(/^virt-install --connect qemu:\/\/\/system --name gpu-vm .*--machine q35 --boot firmware=efi .*--disk pool=default,size=40,format=qcow2,bus=virtio .*--noautoconsole$/),
      'virsh -c qemu:///system domstate gpu-vm',
      'virsh -c qemu:///system undefine gpu-vm --nvram --storage vda',
    ]);
    expect(exit()).toBe(1);
    expect(out()).toContain('Creating gpu-vm failed. Step vm failed: virsh -c qemu:///system domstate gpu-vm exited with status 1');
    expect(out()).toContain('It was rolled back automatically');
  });

  const hostdev = (a: string) => {
    const [, bus, slot, fn] = /^0000:(\w\w):(\w\w)\.(\d)$/.exec(a)!;
    return `<hostdev mode='subsystem' type='pci' managed='yes'><source><address domain='0x0000' bus='0x${bus}' slot='0x${slot}' function='0x${fn}'/></source></hostdev>`;
  };
  const dumpxml = (addresses: string[]): ScriptEntry => ({ match: /^virsh -c qemu:\/\/\/system dumpxml gpu-vm$/, lines: ['<domain type="kvm">', '<devices>', ...addresses.map(hostdev), '</devices>', '</domain>'] });

  it('as root, all well: created, read back (every function a hostdev of the domain), with the connect hints', async () => {
    const runner = createRecordingRunner([...probes, dumpxml(CARD)]);
    const { ctx, out, exit } = ctxFor();
    await runVmCreate(ctx, flags, { runner, uid: 0 });
    expect(exit()).toBe(0);
    expect(out()).toContain('verified: libvirt holds gpu-vm with all 4 devices passed through');
    expect(out()).toContain('gpu-vm is defined and started.');
    expect(out()).toContain('To remove it: vfio-wizard rollback --step vm');
    expect(runner.commandLines().slice(-2)).toEqual(['virsh -c qemu:///system domstate gpu-vm', 'virsh -c qemu:///system dumpxml gpu-vm']);
  });

  it('as root, a domain defined without one of the functions is found by the read-back and removed again', async () => {
    const runner = createRecordingRunner([...probes, dumpxml(CARD.slice(0, 3))]);
    const { ctx, out, exit } = ctxFor();
    await runVmCreate(ctx, flags, { runner, uid: 0 });
    expect(exit()).toBe(1);
    expect(out()).toContain('check failed: gpu-vm was defined without 0000:01:00.3');
    // newest first; destroy may fail harmlessly when the domain is not running
    expect(runner.commandLines().slice(-2)).toEqual(['virsh -c qemu:///system destroy gpu-vm', 'virsh -c qemu:///system undefine gpu-vm --nvram --storage vda']);
  });
});
