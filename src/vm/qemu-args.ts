// A plain qemu-system-x86_64 command line for the same VM, without libvirt. Pure. The functions of
// one slot go into one PCIe root port at their own function numbers (function 0 with
// multifunction=on), so a GPU and its audio/USB functions appear to the guest as one card, as on
// the host.
import { addressParts, type VmSpec } from './vm-spec.js';
import type { OvmfPair } from './ovmf.js';

export interface QemuOptions {
  /** kvm for real use; tcg (with -cpu max, as "host" needs KVM) lets tests parse the line without KVM */
  accel?: 'kvm' | 'tcg';
  /** explicit OVMF files (QEMU has no autoselection); default: Debian's 4M pair */
  ovmf?: OvmfPair | null;
  /** the writable copy of the variable store (default ./NAME_VARS.fd) */
  varsCopy?: string;
  /** a new disk's image file (default ./NAME.qcow2) */
  newDiskPath?: string;
}

const slotOf = (a: string) => a.slice(0, a.lastIndexOf('.'));

export function qemuArgv(spec: VmSpec, o: QemuOptions = {}): string[] {
  const accel = o.accel ?? 'kvm';
  const code = o.ovmf?.code ?? spec.firmware.loader?.code ?? '/usr/share/OVMF/OVMF_CODE_4M.fd';
  const varsCopy = o.varsCopy ?? `./${spec.name}_VARS.fd`;
  const cpu = [accel === 'kvm' ? 'host' : 'max'];
  if (spec.kvmHidden) cpu.push('kvm=off');
  if (spec.hypervVendorId !== null) cpu.push(`hv_vendor_id=${spec.hypervVendorId}`);
  const a = ['qemu-system-x86_64', '-name', spec.name, '-machine', `q35,accel=${accel}${spec.firmware.secureBoot ? ',smm=on' : ''}`, '-cpu', cpu.join(','), '-m', String(spec.memoryMiB), '-smp', String(spec.vcpus)];
  if (spec.firmware.secureBoot) a.push('-global', 'driver=cfi.pflash01,property=secure,value=on');
  a.push('-drive', `if=pflash,format=raw,unit=0,readonly=on,file=${code}`, '-drive', `if=pflash,format=raw,unit=1,file=${varsCopy}`);
  if (spec.disk.kind === 'new') a.push('-drive', `file=${o.newDiskPath ?? `./${spec.name}.qcow2`},if=virtio,format=qcow2`);
  if (spec.disk.kind === 'existing') a.push('-drive', `file=${spec.disk.path},if=virtio`);
  if (spec.install.kind === 'iso') a.push('-drive', `file=${spec.install.path},media=cdrom,readonly=on`, '-boot', 'order=d,menu=on');
  if (spec.network.kind === 'nat') a.push('-nic', 'user,model=virtio-net-pci');
  else if (spec.network.kind === 'bridge') a.push('-nic', `bridge,br=${spec.network.bridge},model=virtio-net-pci`);
  else a.push('-nic', 'none');
  const slots = [...new Set(spec.devices.map(slotOf))];
  slots.forEach((slot, i) => {
    const port = `vfio-rp${i}`;
    a.push('-device', `pcie-root-port,id=${port},chassis=${i + 1},slot=${i + 1},bus=pcie.0`);
    const fns = spec.devices.filter((d) => slotOf(d) === slot);
    for (const d of fns) {
      const fn = addressParts(d).fn;
      const multi = fn === 0 && fns.length > 1 ? ',multifunction=on' : '';
      a.push('-device', `vfio-pci,host=${d},bus=${port},addr=00.${fn}${multi}`);
    }
  });
  for (const m of spec.mdevs) a.push('-device', `vfio-pci,sysfsdev=/sys/bus/mdev/devices/${m.uuid}`);
  if (spec.display === 'none') a.push('-display', 'none', '-vga', 'none', '-serial', 'mon:stdio');
  else if (spec.display === 'vnc') a.push('-display', 'vnc=127.0.0.1:0', '-vga', 'virtio');
  else a.push('-vga', 'qxl', '-spice', 'addr=127.0.0.1,port=5930,disable-ticketing=on');
  return a;
}

/** The shell lines to run before the command: the writable UEFI variable store, and a new disk. */
export function qemuPrelude(spec: VmSpec, o: QemuOptions = {}): string[][] {
  const vars = o.ovmf?.vars ?? spec.firmware.loader?.vars ?? '/usr/share/OVMF/OVMF_VARS_4M.fd';
  const out: string[][] = [['cp', vars, o.varsCopy ?? `./${spec.name}_VARS.fd`]];
  if (spec.disk.kind === 'new') out.push(['qemu-img', 'create', '-f', 'qcow2', o.newDiskPath ?? `./${spec.name}.qcow2`, `${spec.disk.sizeGiB}G`]);
  return out;
}
