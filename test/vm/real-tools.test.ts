// The generated VM definitions against the real tools: virt-install and libvirt's test driver (with
// a host description written from a fixture root's devices), virt-xml-validate (libvirt's RelaxNG
// schema), vagrant validate with vagrant-libvirt, and QEMU's own option parsing.
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TWO_IDENTICAL_GPUS } from '../../src/demo/synthetic-hosts.js';
import { domainXml } from '../../src/vm/domain-xml.js';
import { qemuArgv } from '../../src/vm/qemu-args.js';
import { vagrantfile } from '../../src/vm/vagrantfile.js';
import { virtInstallArgv } from '../../src/vm/virt-install-args.js';
import { defaultVmSpec, type VmSpec } from '../../src/vm/vm-spec.js';
import { tool, validateXml, vmFixture, type VmFixture } from './support.js';

const hostdevAddresses = (xml: string): string[] =>
  [...xml.matchAll(/<hostdev mode=["']subsystem["'] type=["']pci["'] managed=["']yes["']>\s*<source>\s*<address domain=["'](\w+)["'] bus=["'](\w+)["'] slot=["'](\w+)["'] function=["'](\w+)["']\/>/g)].map(
    (m) => `${Number(m[1]).toString(16).padStart(4, '0')}:${Number(m[2]).toString(16).padStart(2, '0')}:${Number(m[3]).toString(16).padStart(2, '0')}.${Number(m[4])}`,
  );

const GUEST_CARD = ['0000:af:00.0', '0000:af:00.1', '0000:af:00.2', '0000:af:00.3'];

/** Variants that exercise every branch of the builders (virt-install checks that media exist: they do, in tmp). */
function variants(base: VmSpec): [string, VmSpec][] {
  const awkwardIso = path.join(tmp, "Win & Linux's <x>.iso");
  const iso = path.join(tmp, 'win10.iso');
  const img = path.join(tmp, 'old.img');
  for (const f of [awkwardIso, iso, img]) writeFileSync(f, '');
  return [
    ['defaults', base],
    ['secure boot, VNC, ISO with awkward characters', { ...base, firmware: { secureBoot: true, loader: null }, display: 'vnc', install: { kind: 'iso', path: awkwardIso } }],
    ['explicit loader, bridge, SPICE, existing image', { ...base, firmware: { secureBoot: false, loader: { code: '/usr/share/OVMF/OVMF_CODE_4M.fd', vars: '/usr/share/OVMF/OVMF_VARS_4M.fd' } }, network: { kind: 'bridge', bridge: 'br0' }, display: 'spice', disk: { kind: 'existing', path: img } }],
    ['guest-driver quirks, no disk, ISO, no network', { ...base, kvmHidden: true, hypervVendorId: 'whatever1234', disk: { kind: 'none' }, install: { kind: 'iso', path: iso }, network: { kind: 'none' }, osVariant: 'win10' }],
    // two --features options at once (smm for Secure Boot, kvm hidden + Hyper-V vendor_id for the driver)
    ['secure boot with the guest-driver quirks', { ...base, firmware: { secureBoot: true, loader: null }, kvmHidden: true, hypervVendorId: 'whatever1234' }],
  ];
}

let fx: VmFixture;
let base: VmSpec;
let tmp: string;
beforeAll(() => {
  fx = vmFixture(TWO_IDENTICAL_GPUS);
  base = { ...defaultVmSpec(fx.facts, { memTotalKiB: 32 * 1024 * 1024, threads: 16 }, GUEST_CARD, 'gpu-instance-0'), connect: fx.uri };
  tmp = mkdtempSync(path.join(os.tmpdir(), 'vm-tools-'));
});
afterAll(() => {
  fx.cleanup();
  rmSync(tmp, { recursive: true, force: true });
});

describe('virt-install against libvirt test driver with the fixture host', () => {
  it.each([0, 1, 2, 3, 4])('variant %i: --print-xml gives q35, UEFI and a managed hostdev per function; the XML validates', (i) => {
    const [, spec] = variants(base)[i]!;
    const r = tool(virtInstallArgv(spec, { printXml: true }));
    expect(r.stderr).not.toMatch(/ERROR/);
    expect(r.status).toBe(0);
    // with an install ISO virt-install prints two domains: the install boot and the final one
    const docs = r.stdout.split(/(?<=<\/domain>)\s*/).filter((d) => d.trim() !== '');
    expect(docs).toHaveLength(spec.install.kind === 'iso' ? 2 : 1);
    for (const xml of docs) {
      expect(hostdevAddresses(xml)).toEqual(GUEST_CARD);
      expect(xml).toMatch(/<type arch="\w+" machine="q35">hvm<\/type>/);
      if (spec.firmware.loader) expect(xml).toContain(`<loader readonly="yes" type="pflash">${spec.firmware.loader.code}</loader>`);
      else expect(xml).toContain('<os firmware="efi">');
      if (spec.firmware.secureBoot) {
        expect(xml).toMatch(/<feature enabled="yes" name="secure-boot"\/>/);
        // OVMF's Secure Boot builds need SMM, or the guest does not start
        expect(xml).toMatch(/<smm state="on"\/>/);
      }
      if (spec.kvmHidden) expect(xml).toMatch(/<kvm>\s*<hidden state="on"\/>/);
      if (spec.hypervVendorId) expect(xml).toContain(`<vendor_id state="on" value="${spec.hypervVendorId}"/>`);
      expect(xml).toContain('<cpu mode="host-passthrough"/>');
      const v = validateXml(xml);
      expect(v.output).toMatch(/validates/);
      expect(v.status).toBe(0);
    }
  });

  it('--dry-run completes against the same host', () => {
    const r = tool(virtInstallArgv(base, { dryRun: true }));
    expect(r.output).toMatch(/Dry run completed successfully/);
    expect(r.status).toBe(0);
  });

  it('negative control: a function the host does not have is refused by virt-install', () => {
    const r = tool(virtInstallArgv({ ...base, devices: ['0000:05:00.0'] }, { printXml: true }));
    expect(r.status).not.toBe(0);
    expect(r.output).toMatch(/ERROR .*Unknown hostdev address string format 'pci_0000_05_00_0'/);
  });

  it('the test host description carries the scanned IOMMU groups (virsh nodedev-dumpxml)', () => {
    const r = tool(['virsh', '-c', fx.uri, 'nodedev-dumpxml', 'pci_0000_af_00_1']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/<iommuGroup number='61'>/);
    expect((r.stdout.match(/<address domain='0x0000' bus='0xaf'/g) ?? []).length).toBe(4);
  });
});

describe('domain XML export against libvirt schema (virt-xml-validate)', () => {
  it.each([0, 1, 2, 3])('variant %i validates, with a hostdev per function and the quirks asked for', (i) => {
    const [, spec] = variants({ ...base, connect: 'qemu:///system' })[i]!;
    const xml = domainXml(spec);
    const v = validateXml(xml);
    expect(v.output).toMatch(/validates/);
    expect(v.status).toBe(0);
    expect(hostdevAddresses(xml)).toEqual(GUEST_CARD);
    expect(xml).toContain("<address domain='0x0000' bus='0xaf' slot='0x00' function='0x3'/>");
  });

  it('escapes file names: the ISO path reads back exactly (xmllint --xpath)', () => {
    const [, spec] = variants(base)[1]!;
    const f = path.join(tmp, 'iso.xml');
    writeFileSync(f, domainXml(spec));
    const r = tool(['xmllint', '--xpath', "string(//disk[@device='cdrom']/source/@file)", f]);
    expect(r.stdout.trim()).toBe(path.join(tmp, "Win & Linux's <x>.iso"));
  });

  it("negative control: the same XML with managed='maybe' is rejected (exit 3)", () => {
    const broken = domainXml(base).replace("managed='yes'", "managed='maybe'");
    const v = validateXml(broken);
    expect(v.status).toBe(3);
    expect(v.output).toMatch(/fail|Relax-NG|managed/i);
  });
});

describe('Vagrantfile with vagrant-libvirt (vagrant validate)', () => {
  const validate = (content: string) => {
    const dir = mkdtempSync(path.join(tmp, 'vagrant-'));
    writeFileSync(path.join(dir, 'Vagrantfile'), content);
    return tool(['vagrant', 'validate'], { cwd: dir, env: { ...process.env, VAGRANT_HOME: path.join(dir, '.vagrant.d'), VAGRANT_CHECKPOINT_DISABLE: '1', VAGRANT_DEFAULT_PROVIDER: 'libvirt' } });
  };

  it('seed 003 shape: 0x-prefixed libvirt.pci per function, kvm_hidden, memory, cpus — and vagrant validates it', () => {
    const spec = { ...base, kvmHidden: true, memoryMiB: 8192, vcpus: 4, connect: 'qemu:///system' };
    const text = vagrantfile(spec);
    for (const fn of ['0', '1', '2', '3']) expect(text).toContain(`libvirt.pci :domain => '0x0000', :bus => '0xaf', :slot => '0x00', :function => '0x${fn}'`);
    expect(text).toContain('libvirt.kvm_hidden = true');
    expect(text).toContain('libvirt.memory = 8192');
    expect(text).toContain('libvirt.cpus = 4');
    const r = validate(text);
    expect(r.output).toMatch(/Vagrantfile validated successfully/);
    expect(r.status).toBe(0);
  }, 60_000);

  it.each([1, 2, 3])('variant %i validates too', (i) => {
    let spec = variants({ ...base, connect: 'qemu:///system' })[i]![1];
    // vagrant-libvirt asks libvirt whether a bridge exists; the test driver's host has eth1
    if (spec.network.kind === 'bridge') spec = { ...spec, connect: 'test:///default', network: { kind: 'bridge', bridge: 'eth1' } };
    const r = validate(vagrantfile(spec));
    expect(r.output).toMatch(/validated successfully/);
    expect(r.status).toBe(0);
  }, 60_000);

  it('negative controls: an unknown provider setting and a pci line without :function are rejected', () => {
    const text = vagrantfile(base);
    const unknown = validate(text.replace('libvirt.cpus =', 'libvirt.no_such_setting = 1\n      libvirt.cpus ='));
    expect(unknown.status).not.toBe(0);
    expect(unknown.output).toMatch(/shouldn't exist: no_such_setting/);
    const noFn = validate(text.replace(", :function => '0x3'", ''));
    expect(noFn.status).not.toBe(0);
    expect(noFn.output).toMatch(/Bus AND slot AND function must be specified/);
  }, 60_000);
});

describe('QEMU command line (qemu-system-x86_64, TCG)', () => {
  let code: string;
  let vars: string;
  beforeAll(() => {
    code = '/usr/share/OVMF/OVMF_CODE_4M.fd';
    vars = path.join(tmp, 'VARS.fd');
    mkdirSync(tmp, { recursive: true });
    copyFileSync('/usr/share/OVMF/OVMF_VARS_4M.fd', vars);
  });
  const argv = (spec: VmSpec) =>
    qemuArgv({ ...spec, memoryMiB: 256, vcpus: 1, disk: { kind: 'none' } }, { accel: 'tcg', ovmf: { code, vars, secureBoot: false, enrolledKeys: false, descriptor: null }, varsCopy: vars });

  it('everything parses up to the first vfio-pci device, which fails on the missing host device', () => {
    const a = argv({ ...base, kvmHidden: true, hypervVendorId: 'abc' });
    const r = tool([...a, '-S']);
    expect(r.status).not.toBe(0);
    // QEMU names the option it failed on: the first passed function, multifunction, in its root port
    expect(r.stderr).toContain('-device vfio-pci,host=0000:af:00.0,bus=vfio-rp0,addr=00.0,multifunction=on: vfio');
    expect(r.stderr).toContain('0000:af:00.0');
  });

  it('positive control: the same line without the vfio-pci devices starts paused and quits from the monitor', () => {
    const a = argv(base);
    const kept: string[] = [];
    for (let i = 0; i < a.length; i++) {
      if (a[i] === '-device' && a[i + 1]!.startsWith('vfio-pci,')) i++;
      else if (a[i] === '-serial') i++;
      else kept.push(a[i]!);
    }
    const r = tool([...kept, '-S', '-serial', 'none', '-monitor', 'stdio'], { input: 'quit\n' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('negative control: a misspelt option fails earlier, with a different message', () => {
    const a = argv(base);
    const r = tool(['qemu-system-x86_64', '-devcie', 'x', ...a.slice(1), '-S']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/-devcie: invalid option/);
    expect(r.stderr).not.toMatch(/vfio/);
  });

  it('the KVM line differs only in accel and the CPU model', () => {
    const kvm = qemuArgv(base);
    expect(kvm).toContain('q35,accel=kvm');
    expect(kvm[kvm.indexOf('-cpu') + 1]).toBe('host');
    expect(kvm.filter((w) => w.startsWith('vfio-pci,host='))).toHaveLength(4);
  });
});
