// The virt-install argv for a VmSpec. Pure. Options are those of virt-install 2.x–4.x alike (seed
// 000's CentOS 8 host has an old one): --os-variant rather than 4.x's --osinfo alias,
// --boot firmware=efi rather than --boot uefi (the latter needs domain capabilities that libvirt's
// test driver and older hosts lack; both ask libvirt to pick OVMF from the firmware descriptors).
import { mdevNodeDeviceName, newVolumeName, nodeDeviceName, type VmSpec } from './vm-spec.js';

export interface VirtInstallOptions {
  /** print the domain XML instead of creating it */
  printXml?: boolean;
  /** go through every check, create nothing */
  dryRun?: boolean;
}

/**
 * libvirt's test driver (test:///…) has no machine-type list, so `--machine q35` is refused there;
 * the same q35 is set through virt-install's XPath edit instead. Only for test URIs.
 */
const isTestDriver = (uri: string) => uri.startsWith('test:');

export function virtInstallArgv(spec: VmSpec, o: VirtInstallOptions = {}): string[] {
  const a: string[] = ['virt-install', '--connect', spec.connect, '--name', spec.name, '--memory', String(spec.memoryMiB), '--vcpus', String(spec.vcpus), '--cpu', 'host-passthrough'];
  if (isTestDriver(spec.connect)) a.push('--xml', './os/type/@machine=q35');
  else a.push('--machine', 'q35');

  const fw = spec.firmware;
  if (fw.loader) {
    const parts = [`loader=${fw.loader.code}`, 'loader.readonly=yes', 'loader.type=pflash'];
    if (fw.secureBoot) parts.push('loader.secure=yes');
    if (fw.loader.vars) parts.push(`nvram.template=${fw.loader.vars}`);
    a.push('--boot', parts.join(','));
  } else if (fw.secureBoot) {
    a.push('--boot', 'firmware=efi,firmware.feature0.name=secure-boot,firmware.feature0.enabled=yes,firmware.feature1.name=enrolled-keys,firmware.feature1.enabled=yes');
  } else {
    a.push('--boot', 'firmware=efi');
  }
  // Secure Boot firmware only runs with SMM on q35.
  if (fw.secureBoot) a.push('--features', 'smm.state=on');

  a.push('--os-variant', spec.osVariant);
  switch (spec.disk.kind) {
    case 'new':
      a.push('--disk', `pool=${spec.disk.pool},size=${spec.disk.sizeGiB},format=qcow2,bus=virtio`);
      break;
    case 'existing':
      a.push('--disk', `path=${spec.disk.path},bus=virtio`);
      break;
    case 'none':
      a.push('--disk', 'none');
      break;
  }
  if (spec.install.kind === 'iso') a.push('--cdrom', spec.install.path);
  else a.push('--import');
  switch (spec.network.kind) {
    case 'nat':
      a.push('--network', `network=${spec.network.network},model=virtio`);
      break;
    case 'bridge':
      a.push('--network', `bridge=${spec.network.bridge},model=virtio`);
      break;
    case 'none':
      a.push('--network', 'none');
      break;
  }
  a.push('--graphics', spec.display);
  for (const d of spec.devices) a.push('--host-device', nodeDeviceName(d));
  for (const m of spec.mdevs) a.push('--host-device', mdevNodeDeviceName(m));
  if (spec.kvmHidden) a.push('--features', 'kvm.hidden.state=on');
  // virt-install has no --features key for vendor_id; its XPath edit writes the same element.
  if (spec.hypervVendorId !== null) a.push('--xml', './features/hyperv/vendor_id/@state=on', '--xml', `./features/hyperv/vendor_id/@value=${spec.hypervVendorId}`);
  a.push('--noautoconsole');
  if (o.printXml) a.push('--print-xml');
  if (o.dryRun) a.push('--dry-run');
  return a;
}

/** The volume path virt-install will create, for display: "default/NAME.qcow2". */
export const createdVolume = (spec: VmSpec): { pool: string; volume: string } | null =>
  spec.disk.kind === 'new' ? { pool: spec.disk.pool, volume: newVolumeName(spec) } : null;
