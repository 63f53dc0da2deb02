// A complete libvirt domain for `vm export --format xml` (for `virsh define`). Pure. It says what
// virt-install would produce for the same spec, in the shape the libvirt docs use: q35, UEFI by
// firmware autoselection (or an explicit pflash loader), host-passthrough CPU, one
// <hostdev managed='yes'> per passed function.
import { addressParts, newVolumeName, type VmSpec } from './vm-spec.js';

export function xmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

const hex = (n: number, width: number) => `0x${n.toString(16).padStart(width, '0')}`;

export interface DomainXmlOptions {
  /** where a new disk's volume lives (default: libvirt's default pool directory) */
  newDiskDir?: string;
}

export function domainXml(spec: VmSpec, o: DomainXmlOptions = {}): string {
  const e = xmlEscape;
  const L: string[] = [];
  const fw = spec.firmware;
  L.push(`<domain type='kvm'>`);
  L.push(`  <name>${e(spec.name)}</name>`);
  L.push(`  <memory unit='MiB'>${spec.memoryMiB}</memory>`);
  L.push(`  <currentMemory unit='MiB'>${spec.memoryMiB}</currentMemory>`);
  L.push(`  <vcpu placement='static'>${spec.vcpus}</vcpu>`);
  L.push(fw.loader ? `  <os>` : `  <os firmware='efi'>`);
  L.push(`    <type arch='x86_64' machine='q35'>hvm</type>`);
  if (fw.loader) {
    L.push(`    <loader readonly='yes' type='pflash'${fw.secureBoot ? ` secure='yes'` : ''}>${e(fw.loader.code)}</loader>`);
    if (fw.loader.vars) L.push(`    <nvram template='${e(fw.loader.vars)}'/>`);
  } else if (fw.secureBoot) {
    L.push(`    <firmware>`, `      <feature enabled='yes' name='secure-boot'/>`, `      <feature enabled='yes' name='enrolled-keys'/>`, `    </firmware>`);
  }
  L.push(spec.install.kind === 'iso' ? `    <boot dev='cdrom'/>` : `    <boot dev='hd'/>`);
  L.push(`  </os>`);
  L.push(`  <features>`, `    <acpi/>`, `    <apic/>`);
  if (spec.hypervVendorId !== null) L.push(`    <hyperv>`, `      <vendor_id state='on' value='${e(spec.hypervVendorId)}'/>`, `    </hyperv>`);
  if (spec.kvmHidden) L.push(`    <kvm>`, `      <hidden state='on'/>`, `    </kvm>`);
  if (fw.secureBoot) L.push(`    <smm state='on'/>`);
  L.push(`  </features>`);
  L.push(`  <cpu mode='host-passthrough' check='none'/>`);
  L.push(`  <clock offset='${/^win/i.test(spec.osVariant) ? 'localtime' : 'utc'}'/>`);
  L.push(`  <on_poweroff>destroy</on_poweroff>`, `  <on_reboot>restart</on_reboot>`, `  <on_crash>destroy</on_crash>`);
  L.push(`  <devices>`);
  if (spec.disk.kind !== 'none') {
    const file = spec.disk.kind === 'new' ? `${o.newDiskDir ?? '/var/lib/libvirt/images'}/${newVolumeName(spec)}` : spec.disk.path;
    if (spec.disk.kind === 'new') L.push(`    <!-- create it first: qemu-img create -f qcow2 ${e(file).replace(/--/g, '- -')} ${spec.disk.sizeGiB}G -->`);
    L.push(`    <disk type='file' device='disk'>`);
    L.push(`      <driver name='qemu' type='${spec.disk.kind === 'new' || /\.qcow2$/i.test(spec.disk.path) ? 'qcow2' : 'raw'}'/>`);
    L.push(`      <source file='${e(file)}'/>`, `      <target dev='vda' bus='virtio'/>`, `    </disk>`);
  }
  if (spec.install.kind === 'iso') {
    L.push(`    <disk type='file' device='cdrom'>`, `      <driver name='qemu' type='raw'/>`, `      <source file='${e(spec.install.path)}'/>`, `      <target dev='sda' bus='sata'/>`, `      <readonly/>`, `    </disk>`);
  }
  if (spec.network.kind === 'nat') L.push(`    <interface type='network'>`, `      <source network='${e(spec.network.network)}'/>`, `      <model type='virtio'/>`, `    </interface>`);
  if (spec.network.kind === 'bridge') L.push(`    <interface type='bridge'>`, `      <source bridge='${e(spec.network.bridge)}'/>`, `      <model type='virtio'/>`, `    </interface>`);
  L.push(`    <serial type='pty'>`, `      <target port='0'/>`, `    </serial>`, `    <console type='pty'>`, `      <target type='serial' port='0'/>`, `    </console>`);
  if (spec.display === 'none') {
    L.push(`    <video>`, `      <model type='none'/>`, `    </video>`);
  } else {
    L.push(`    <graphics type='${spec.display}' autoport='yes' listen='127.0.0.1'>`, `      <listen type='address' address='127.0.0.1'/>`, `    </graphics>`);
    L.push(`    <video>`, `      <model type='virtio'/>`, `    </video>`);
  }
  for (const d of spec.devices) {
    const p = addressParts(d);
    L.push(`    <hostdev mode='subsystem' type='pci' managed='yes'>`);
    L.push(`      <source>`, `        <address domain='${hex(p.domain, 4)}' bus='${hex(p.bus, 2)}' slot='${hex(p.slot, 2)}' function='${hex(p.fn, 1)}'/>`, `      </source>`);
    L.push(`    </hostdev>`);
  }
  // a mediated device is the VM's own slice of a parent the host keeps; display off: the guest
  // driver (vGPU, GVT-g) brings its own output
  for (const m of spec.mdevs) {
    L.push(`    <hostdev mode='subsystem' type='mdev' model='vfio-pci' display='off'>`, `      <source>`, `        <address uuid='${m.uuid}'/>`, `      </source>`, `    </hostdev>`);
  }
  L.push(`    <memballoon model='none'/>`);
  L.push(`  </devices>`);
  L.push(`</domain>`);
  return `${L.join('\n')}\n`;
}
