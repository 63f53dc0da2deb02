// Writes a fixture root (a directory laid out like "/") from a RootSpec. By default the PCI tree
// follows the kernel's real sysfs layout — devices live under sys/devices/pci<dom>:<bus>/<bridge
// chain>/<addr> and sys/bus/pci/devices, driver, iommu_group, virtfnN and physfn are relative
// symlinks — so the scanner is exercised on the same shapes it meets on a live machine.
// `layout: 'plain'` writes sys/bus/pci/devices/<addr> as ordinary directories instead (as some
// hand-made fixtures and copied trees do); links inside them still point into the tree.
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { normaliseClass } from '../host/pci-class.js';
import type { DeviceSpec, RootSpec } from './root-spec.js';

const EFI_GLOBAL_GUID = '8be4df61-93ca-11d2-aa0d-00e098032b8c';
/** Lines in a device's sysfs `resource` file on x86 (6 BARs, ROM, 6 bridge/IOV windows). */
const RESOURCE_LINES = 13;

/** "01:00.0" → "0000:01:00.0"; addresses are kept lower-case like the kernel prints them. */
export function fullAddress(address: string): string {
  const a = address.trim().toLowerCase();
  return /^[0-9a-f]{4,}:/.test(a) && a.split(':').length === 3 ? a : `0000:${a}`;
}

const hex4 = (s: string): string => s.trim().toLowerCase().replace(/^0x/, '').padStart(4, '0');

function write(file: string, contents: string | Uint8Array): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, contents);
}

function link(target: string, at: string): void {
  mkdirSync(path.dirname(at), { recursive: true });
  symlinkSync(path.relative(path.dirname(at), target), at);
}

interface Placed {
  spec: DeviceSpec;
  addr: string;
  cls: string;
  /** absolute directory holding the device's attribute files */
  dir: string;
}

/** The sysfs directory of a device: its bridge chain under the PCI root bus of the topmost element. */
function deviceDir(sys: string, addr: string, parents: string[]): string {
  const top = parents[0] ?? addr;
  const [domain, bus] = top.split(':') as [string, string];
  return path.join(sys, 'devices', `pci${domain}:${bus}`, ...parents, addr);
}

function configSpace(d: Placed): Uint8Array {
  const b = Buffer.alloc(256);
  const le16 = (off: number, hex: string | undefined) => b.writeUInt16LE(parseInt(hex4(hex ?? '0'), 16), off);
  le16(0x00, d.spec.vendor);
  le16(0x02, d.spec.device);
  b[0x08] = parseInt((d.spec.revision ?? '00').replace(/^0x/i, ''), 16) & 0xff;
  b[0x09] = parseInt(d.cls.slice(4, 6), 16);
  b[0x0a] = parseInt(d.cls.slice(2, 4), 16);
  b[0x0b] = parseInt(d.cls.slice(0, 2), 16);
  const bridge = d.cls.startsWith('0604');
  b[0x0e] = bridge ? 0x01 : 0x00;
  if (!bridge) {
    le16(0x2c, d.spec.subsystemVendor);
    le16(0x2e, d.spec.subsystemDevice);
  }
  return b;
}

function resourceFile(spec: DeviceSpec): string {
  const lines = (spec.resources ?? []).map(([s, e, f]) => `${s} ${e} ${f}`);
  const zero = '0x0000000000000000 0x0000000000000000 0x0000000000000000';
  while (lines.length < RESOURCE_LINES) lines.push(zero);
  return `${lines.join('\n')}\n`;
}

/** uevent as the kernel prints it for a PCI device (class without leading zeros, upper-case hex). */
function ueventFile(d: Placed): string {
  const up = (s: string | undefined) => hex4(s ?? '0').toUpperCase();
  const lines: string[] = [];
  if (d.spec.driver) lines.push(`DRIVER=${d.spec.driver}`);
  lines.push(`PCI_CLASS=${parseInt(d.cls, 16).toString(16).toUpperCase()}`);
  lines.push(`PCI_ID=${up(d.spec.vendor)}:${up(d.spec.device)}`);
  lines.push(`PCI_SUBSYS_ID=${up(d.spec.subsystemVendor)}:${up(d.spec.subsystemDevice)}`);
  lines.push(`PCI_SLOT_NAME=${d.addr}`);
  const c = d.cls.toUpperCase();
  lines.push(
    `MODALIAS=pci:v0000${up(d.spec.vendor)}d0000${up(d.spec.device)}sv0000${up(d.spec.subsystemVendor)}` +
      `sd0000${up(d.spec.subsystemDevice)}bc${c.slice(0, 2)}sc${c.slice(2, 4)}i${c.slice(4, 6)}`,
  );
  return `${lines.join('\n')}\n`;
}

function writeSystemFiles(spec: RootSpec, dir: string): void {
  const at = (p: string) => path.join(dir, p);
  if (spec.cpu) {
    const threads = spec.cpu.threads ?? 2;
    // no flags in the spec (a capture that never recorded them): no flags line, so they are unknown
    const flags = spec.cpu.flags === undefined ? null : spec.cpu.flags.join(' ');
    const blocks: string[] = [];
    for (let i = 0; i < threads; i++) {
      blocks.push(
        `processor\t: ${i}\nvendor_id\t: ${spec.cpu.vendor}\nmodel name\t: ${spec.cpu.model ?? 'Synthetic CPU'}\n${flags === null ? '' : `flags\t\t: ${flags}\n`}`,
      );
    }
    write(at('proc/cpuinfo'), `${blocks.join('\n')}\n`);
  }
  if (spec.kvmDevice) write(at('dev/kvm'), '');
  // a fixture is a running system: its sysfs has /sys/firmware whatever it booted with
  mkdirSync(at('sys/firmware'), { recursive: true });
  for (const t of spec.acpiTables ?? []) write(at(`sys/firmware/acpi/tables/${t}`), t);
  if (spec.acpiTables) mkdirSync(at('sys/firmware/acpi/tables'), { recursive: true });
  for (const u of spec.iommuUnits ?? []) mkdirSync(at(`sys/class/iommu/${u}`), { recursive: true });
  if (spec.iommuUnits) mkdirSync(at('sys/class/iommu'), { recursive: true });
  if (spec.uefi) {
    mkdirSync(at('sys/firmware/efi/efivars'), { recursive: true });
    if (spec.secureBoot !== undefined && spec.secureBoot !== null) {
      // efivarfs: 4 attribute bytes (NV|BS|RT = 0x06) then the value byte
      write(
        at(`sys/firmware/efi/efivars/SecureBoot-${EFI_GLOBAL_GUID}`),
        Uint8Array.from([0x06, 0, 0, 0, spec.secureBoot ? 1 : 0]),
      );
    }
  }
  if (spec.kernelRelease !== undefined) write(at('proc/sys/kernel/osrelease'), `${spec.kernelRelease}\n`);
  if (spec.cmdline !== undefined) write(at('proc/cmdline'), `${spec.cmdline}\n`);
  if (spec.dmesg !== undefined) write(at('var/log/dmesg'), spec.dmesg);
  if (spec.osRelease !== undefined) write(at('etc/os-release'), spec.osRelease);
  if (spec.loadedModules) {
    write(
      at('proc/modules'),
      spec.loadedModules.map((m) => `${m} 16384 0 - Live 0x0000000000000000\n`).join(''),
    );
  }
  if (spec.kernelRelease && (spec.modulesBuiltin || spec.modulesDep)) {
    const mod = at(`lib/modules/${spec.kernelRelease}`);
    if (spec.modulesBuiltin) write(path.join(mod, 'modules.builtin'), spec.modulesBuiltin.map((l) => `${l}\n`).join(''));
    if (spec.modulesDep) write(path.join(mod, 'modules.dep'), spec.modulesDep.map((l) => `${l}\n`).join(''));
  }
}

/** Write the fixture root described by `spec` into `dir` (created if needed; should be empty). */
export function materializeRoot(spec: RootSpec, dir: string): void {
  mkdirSync(dir, { recursive: true });
  const sys = path.join(dir, 'sys');
  const plain = spec.layout === 'plain';
  mkdirSync(path.join(sys, 'bus/pci/devices'), { recursive: true });
  if (!spec.unknown?.includes('iommuGroups')) mkdirSync(path.join(sys, 'kernel/iommu_groups'), { recursive: true });

  const placed: Placed[] = spec.devices.map((d) => {
    const addr = fullAddress(d.address);
    const cls = normaliseClass(d.class) ?? 'ff0000';
    const dir = plain
      ? path.join(sys, 'bus/pci/devices', addr)
      : deviceDir(sys, addr, (d.parents ?? []).map(fullAddress));
    return { spec: d, addr, cls, dir };
  });
  const byAddr = new Map(placed.map((p) => [p.addr, p]));
  if (byAddr.size !== placed.length) {
    const seen = new Set<string>();
    const dup = placed.find((p) => (seen.has(p.addr) ? true : (seen.add(p.addr), false)));
    throw new Error(`RootSpec ${spec.id}: device ${dup?.addr} is listed twice; each PCI address must be unique`);
  }

  // block devices get distinct major:minor numbers so sys/dev/block can point at them
  let nextSdMinor = 0;
  let nextNvmeMinor = 0;

  for (const d of placed) {
    const s = d.spec;
    const f = (name: string, contents: string | Uint8Array) => write(path.join(d.dir, name), contents);
    f('vendor', `0x${hex4(s.vendor)}\n`);
    f('device', `0x${hex4(s.device)}\n`);
    f('class', `0x${d.cls}\n`);
    f('subsystem_vendor', `0x${hex4(s.subsystemVendor ?? '0000')}\n`);
    f('subsystem_device', `0x${hex4(s.subsystemDevice ?? '0000')}\n`);
    f('revision', `0x${(s.revision ?? '00').replace(/^0x/i, '').toLowerCase().padStart(2, '0')}\n`);
    f('resource', resourceFile(s));
    f('uevent', ueventFile(d));
    f('irq', '0\n');
    // the kernel creates boot_vga only for VGA-class devices
    if (d.cls.startsWith('0300')) f('boot_vga', s.bootVga ? '1\n' : '0\n');
    if (s.resetMethod !== undefined) f('reset_method', `${s.resetMethod}\n`);
    if (spec.pciConfig) f('config', configSpace(d));
    if (s.driver) {
      const drv = path.join(sys, 'bus/pci/drivers', s.driver);
      mkdirSync(drv, { recursive: true });
      link(drv, path.join(d.dir, 'driver'));
      if (!plain) link(d.dir, path.join(drv, d.addr));
    }
    if (s.iommuGroup !== undefined && s.iommuGroup !== null) {
      const g = path.join(sys, 'kernel/iommu_groups', String(s.iommuGroup));
      mkdirSync(path.join(g, 'devices'), { recursive: true });
      link(g, path.join(d.dir, 'iommu_group'));
      link(d.dir, path.join(g, 'devices', d.addr));
    }
    if (s.sriovTotalVfs !== undefined) {
      f('sriov_totalvfs', `${s.sriovTotalVfs}\n`);
      f('sriov_numvfs', `${s.sriovNumVfs ?? 0}\n`);
      const vfs = placed
        .filter((v) => v.spec.physfn !== undefined && fullAddress(v.spec.physfn) === d.addr)
        .sort((a, b) => (a.addr < b.addr ? -1 : 1));
      vfs.forEach((vf, i) => link(vf.dir, path.join(d.dir, `virtfn${i}`)));
    }
    if (s.physfn !== undefined) {
      const pf = byAddr.get(fullAddress(s.physfn));
      if (pf) link(pf.dir, path.join(d.dir, 'physfn'));
    }
    for (const t of s.mdevTypes ?? []) {
      const td = path.join(d.dir, 'mdev_supported_types', t.id);
      write(path.join(td, 'name'), `${t.name}\n`);
      write(path.join(td, 'description'), `${t.description ?? ''}\n`);
      write(path.join(td, 'available_instances'), `${t.availableInstances}\n`);
      write(path.join(td, 'device_api'), `${t.deviceApi ?? 'vfio-pci'}\n`);
      mkdirSync(path.join(td, 'devices'), { recursive: true });
      // an instance: <parent>/<uuid> with its mdev_type, listed by the type and by the mdev bus
      for (const uuid of t.instances ?? []) {
        const md = path.join(d.dir, uuid);
        mkdirSync(md, { recursive: true });
        link(td, path.join(md, 'mdev_type'));
        link(md, path.join(td, 'devices', uuid));
        mkdirSync(path.join(sys, 'bus/mdev/devices'), { recursive: true });
        link(md, path.join(sys, 'bus/mdev/devices', uuid));
      }
    }
    if (s.mdevTypes && s.mdevTypes.length > 0) {
      mkdirSync(path.join(sys, 'class/mdev_bus'), { recursive: true });
      link(d.dir, path.join(sys, 'class/mdev_bus', d.addr));
    }
    if (s.nvidiaVgpu) {
      const rows = s.nvidiaVgpu.creatable.map((c) => `${String(c.id).padEnd(5)} : ${c.name}\n`).join('');
      f('nvidia/creatable_vgpu_types', `ID    : vGPU Name\n${rows}`);
      f('nvidia/current_vgpu_type', `${s.nvidiaVgpu.current}\n`);
    }
    for (const ifname of s.net ?? []) {
      const nd = path.join(d.dir, 'net', ifname);
      write(path.join(nd, 'address'), '52:54:00:00:00:00\n');
      link(nd, path.join(sys, 'class/net', ifname));
      link(d.dir, path.join(nd, 'device'));
    }
    for (const name of s.block ?? []) {
      const nvme = /^(nvme\d+)n\d+$/.exec(name);
      const bd = nvme ? path.join(d.dir, 'nvme', nvme[1]!, name) : path.join(d.dir, 'block', name);
      const devno = nvme ? `259:${nextNvmeMinor++}` : `8:${16 * nextSdMinor++}`;
      write(path.join(bd, 'dev'), `${devno}\n`);
      link(bd, path.join(sys, 'dev/block', devno));
      link(bd, path.join(sys, 'class/block', name));
    }
    if (!plain) link(d.dir, path.join(sys, 'bus/pci/devices', d.addr));
  }

  writeSystemFiles(spec, dir);
  for (const [rel, contents] of Object.entries(spec.files ?? {})) write(path.join(dir, rel), contents);
}
