// `vfio-wizard vm export|create`: the options and help; the work lives in src/vm/vm-cli.ts and is
// loaded only when one of them runs.
import type { Command } from 'commander';
import type { CommandContext } from './context.js';

const collect = (v: string, prev: string[]) => [...prev, v];

function vmOptions(cmd: Command): Command {
  return cmd
    .option('--device <addr[,addr…]>', 'the devices to pass (a function 01:00.0 takes its whole slot; repeatable)', collect, [])
    .option('--mdev <uuid[,uuid…]>', 'mediated devices to give the VM (made with apply --step mdev; repeatable)', collect, [])
    .requiredOption('--name <name>', 'the domain name (letters, digits, _ . + -; at most 64)')
    .option('--memory <size>', 'memory: MiB (8192) or with a unit (8G); default min(8 GiB, half the host RAM)')
    .option('--vcpus <n>', 'virtual CPUs; default min(4, host threads − 1)')
    .option('--disk <size|path|none>', 'a new qcow2 of SIZE GiB in the pool (default 40), an existing image PATH, or none')
    .option('--pool <name>', 'storage pool for a new disk', 'default')
    .option('--iso <path>', 'install from this ISO (default: --import, boot the disk)')
    .option('--os-variant <id>', 'osinfo short id (osinfo-query os), default generic')
    .option('--network <net>', 'network=NAME (libvirt NAT, default network=default), bridge=BR, or none')
    .option('--display <kind>', 'none, vnc or spice (default none when a GPU is passed, else vnc)')
    .option('--secure-boot', 'UEFI with Secure Boot and Microsoft keys enrolled')
    .option('--loader <path>', 'this OVMF code file instead of letting libvirt choose')
    .option('--nvram-template <path>', 'with --loader: the OVMF variable store template')
    .option('--kvm-hidden', 'hide KVM from the guest (old NVIDIA drivers, "code 43")')
    .option('--hyperv-vendor-id <id>', 'Hyper-V vendor_id (≤ 12 characters) for old NVIDIA drivers in Windows guests')
    .option('--connect <uri>', 'libvirt URI', 'qemu:///system');
}

export function registerVm(program: Command, ctx: CommandContext): void {
  const vm = program.command('vm').description('create the virtual machine with the passed-through devices, or export it (libvirt XML, virt-install, Vagrantfile, QEMU)');
  vmOptions(vm.command('export').description('print the VM as libvirt XML, a virt-install command, a Vagrantfile or a QEMU command line; needs no root and no libvirt'))
    .option('--format <fmt>', 'xml, virt-install, vagrant or qemu', 'xml')
    .option('--output <file>', 'write to FILE instead of stdout')
    .option('--box <box>', 'with --format vagrant: the Vagrant box (default generic/debian12)')
    .action(async (flags) => (await import('../vm/vm-cli.js')).runVmExport(ctx, flags));
  vmOptions(vm.command('create').description('preflight, show the virt-install command and the domain XML, then (with --yes) create it with live output'))
    .option('--yes', 'create it (without --yes only the preflight, the command and the XML are shown)')
    .action(async (flags) => (await import('../vm/vm-cli.js')).runVmCreate(ctx, flags));
}
