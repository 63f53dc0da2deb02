// A VmSpec as `vm export` / `vm create` flags. Pure.
import { DEFAULT_URI, type VmSpec } from './vm-spec.js';

/**
 * The flags that describe `spec` to `vm export` / `vm create` (only those that differ from what
 * the flags default to), so a VM shaped in the wizard can be saved or created from a shell.
 * specFromFlags(vmFlagsFor(spec)) gives the same spec back (test/vm/cli.test.ts).
 */
export function vmFlagsFor(spec: VmSpec): string[] {
  const f = [...(spec.devices.length > 0 ? ['--device', spec.devices.join(',')] : []), ...(spec.mdevs.length > 0 ? ['--mdev', spec.mdevs.map((m) => m.uuid).join(',')] : [])];
  f.push('--name', spec.name, '--memory', `${spec.memoryMiB}`, '--vcpus', `${spec.vcpus}`);
  if (spec.disk.kind === 'new') f.push('--disk', `${spec.disk.sizeGiB}`, ...(spec.disk.pool !== 'default' ? ['--pool', spec.disk.pool] : []));
  else f.push('--disk', spec.disk.kind === 'existing' ? spec.disk.path : 'none');
  if (spec.install.kind === 'iso') f.push('--iso', spec.install.path);
  if (spec.osVariant !== 'generic') f.push('--os-variant', spec.osVariant);
  const net = spec.network.kind === 'none' ? 'none' : spec.network.kind === 'bridge' ? `bridge=${spec.network.bridge}` : `network=${spec.network.network}`;
  if (net !== 'network=default') f.push('--network', net);
  f.push('--display', spec.display);
  if (spec.firmware.secureBoot) f.push('--secure-boot');
  if (spec.firmware.loader) f.push('--loader', spec.firmware.loader.code, ...(spec.firmware.loader.vars ? ['--nvram-template', spec.firmware.loader.vars] : []));
  if (spec.kvmHidden) f.push('--kvm-hidden');
  if (spec.hypervVendorId) f.push('--hyperv-vendor-id', spec.hypervVendorId);
  if (spec.connect !== DEFAULT_URI) f.push('--connect', spec.connect);
  return f;
}
