// A host description for libvirt's test driver (test:///ABS/PATH.xml) built from scanned facts:
// test:///default has no PCI node devices, so virt-install's --host-device lookups need these.
// Used by the tests and by `--demo`-style dry runs; pure.
import type { HostFacts } from '../host/types.js';
import { xmlEscape } from './domain-xml.js';
import { addressParts, mdevNodeDeviceName, nodeDeviceName } from './vm-spec.js';

export interface TestHostOptions {
  /** a directory pool named "default" at this path, so `--disk pool=default,size=N` works */
  poolPath?: string;
  memoryKiB?: number;
  /** mediated devices that exist (UUID, parent, type), as mdev node devices */
  mdevs?: { uuid: string; parent: string; type: string | null }[];
}

export function testHostXml(facts: Pick<HostFacts, 'devices'>, o: TestHostOptions = {}): string {
  const e = xmlEscape;
  const hx = (n: number, w: number) => `0x${n.toString(16).padStart(w, '0')}`;
  const L = ['<?xml version="1.0"?>', '<node>', '  <cpu><mhz>3000</mhz><model>i686</model><active>8</active><nodes>1</nodes><sockets>1</sockets><cores>4</cores><threads>2</threads></cpu>'];
  L.push(`  <memory>${o.memoryKiB ?? 16777216}</memory>`);
  for (const d of facts.devices) {
    const p = addressParts(d.address);
    L.push('  <device>', `    <name>${nodeDeviceName(d.address)}</name>`, `    <path>/sys/bus/pci/devices/${e(d.address)}</path>`, '    <parent>computer</parent>');
    if (d.driver) L.push(`    <driver><name>${e(d.driver)}</name></driver>`);
    L.push("    <capability type='pci'>", `      <class>0x${d.class}</class>`);
    L.push(`      <domain>${p.domain}</domain><bus>${p.bus}</bus><slot>${p.slot}</slot><function>${p.fn}</function>`);
    L.push(`      <product id='0x${d.device}'>${e(d.deviceName ?? '')}</product>`, `      <vendor id='0x${d.vendor}'>${e(d.vendorName ?? '')}</vendor>`);
    if (d.iommuGroup !== null) {
      L.push(`      <iommuGroup number='${d.iommuGroup}'>`);
      for (const m of facts.devices.filter((x) => x.iommuGroup === d.iommuGroup)) {
        const q = addressParts(m.address);
        L.push(`        <address domain='${hx(q.domain, 4)}' bus='${hx(q.bus, 2)}' slot='${hx(q.slot, 2)}' function='${hx(q.fn, 1)}'/>`);
      }
      L.push('      </iommuGroup>');
    }
    L.push('    </capability>', '  </device>');
  }
  for (const m of o.mdevs ?? []) {
    const parentNode = facts.devices.some((d) => d.address === m.parent) ? nodeDeviceName(m.parent) : 'computer';
    L.push('  <device>', `    <name>${mdevNodeDeviceName(m)}</name>`, `    <parent>${parentNode}</parent>`, "    <capability type='mdev'>");
    if (m.type) L.push(`      <type id='${e(m.type)}'/>`);
    L.push(`      <uuid>${e(m.uuid)}</uuid>`, '    </capability>', '  </device>');
  }
  // libvirt's NAT network, as a stock install defines it
  L.push("  <network>", '    <name>default</name>', "    <bridge name='virbr0'/>", "    <forward mode='nat'/>", "    <ip address='192.168.122.1' netmask='255.255.255.0'/>", '  </network>');
  if (o.poolPath) {
    L.push("  <pool type='dir'>", '    <name>default</name>', `    <target><path>${e(o.poolPath)}</path></target>`, '  </pool>');
  }
  L.push('</node>');
  return `${L.join('\n')}\n`;
}
