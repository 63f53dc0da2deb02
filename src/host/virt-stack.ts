// The virtualization stack installed under the root: QEMU, libvirt's virsh, virt-install,
// virt-host-validate and the OVMF (edk2) UEFI firmware code images guests boot from.
import type { VirtStackFacts } from './types.js';
import type { SystemRoot } from './root.js';
import type { SysReader } from './sysfs-read.js';

const BIN_DIRS = ['/usr/bin', '/usr/sbin', '/bin', '/sbin', '/usr/local/bin', '/usr/libexec'];
const OVMF_CODE = /(?:^OVMF_CODE.*|^edk2-x86_64(?:-secure)?-code)\.(?:fd|qcow2)$/i;

function findBinary(root: SystemRoot, r: SysReader, names: string[]): string | null {
  for (const name of names) {
    for (const d of BIN_DIRS) {
      const p = `${d}/${name}`;
      if (r.exists(root.at(p))) return p;
    }
  }
  return null;
}

function findOvmf(root: SystemRoot, r: SysReader): string[] {
  const found: string[] = [];
  const walk = (dir: string, depth: number) => {
    for (const name of r.list(root.at(dir)) ?? []) {
      const p = `${dir}/${name}`;
      if (OVMF_CODE.test(name)) found.push(p);
      else if (depth > 0 && r.isDir(root.at(p))) walk(p, depth - 1);
    }
  };
  for (const name of r.list(root.at('/usr/share')) ?? []) {
    if (name === 'OVMF' || name === 'qemu' || name.startsWith('edk2')) walk(`/usr/share/${name}`, 2);
  }
  return found.sort();
}

export function scanVirtStack(root: SystemRoot, r: SysReader): VirtStackFacts {
  return {
    qemu: findBinary(root, r, ['qemu-system-x86_64', 'qemu-kvm']),
    virsh: findBinary(root, r, ['virsh']),
    virtInstall: findBinary(root, r, ['virt-install']),
    virtHostValidate: findBinary(root, r, ['virt-host-validate']),
    ovmf: findOvmf(root, r),
  };
}
