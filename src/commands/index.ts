// Every subcommand's name, options and help, in the order `--help` lists them. The work of each
// lives in its own module, imported only when that command runs: `--help`, `--version` and
// `scan --json` load none of the engine, the runner or execa.
import { Option, type Command } from 'commander';
import type { CommandContext, RegisterCommand } from './context.js';
import { LOADER_IDS } from '../steps/loader-ids.js';
import { registerVm } from './vm.js';

const collect = (v: string, prev: string[]) => [...prev, v];
// --commands chroot|skip is a global option (src/cli.ts): apply, rollback and the wizard read it there,
// so it works in any position on the command line.

function stepOptions(cmd: Command): Command {
  // commander reads "--no-x" as the negation of "--x"; --no-param is a list of its own here.
  const noParam = new Option('--no-param <name>', 'do not add this parameter even if the host needs it (repeatable)').argParser(collect).default([]);
  noParam.negate = false;
  noParam.attributeName = () => 'noParam';
  return cmd
    .option('--step <id>', 'the step: cmdline, cmdline-trial (boot the parameters once), isolate, live-bind, sriov, mdev, vgpu-type (default: the next pending one)')
    .option('--device <addr[,addr…]>', 'isolate, live-bind: the devices (cmdline: the cards whose IDs go into vfio-pci.ids when vfio-pci is built in) (a function 01:00.0 or a whole slot 01:00; repeatable); sriov, vgpu-type: the function; mdev: the parent (a function, or a name such as mtty)', collect, [])
    .option('--vfs <n>', 'sriov: how many virtual functions (0 removes them)')
    .option('--type <id>', 'mdev: the mdev type (vfio-wizard share lists them); vgpu-type: the vGPU type number')
    .option('--count <n>', 'mdev: how many instances (default 1)')
    .option('--uuid <uuid[,uuid…]>', 'mdev: the UUIDs to use (default: new random ones; repeatable)', collect, [])
    .option('--bind-by <how>', 'isolate: auto (default), id or address')
    .option('--blacklist <module>', 'isolate: also blacklist this driver — only when the host never needs it (repeatable)', collect, [])
    .option('--allow-boot-gpu', 'pass the boot GPU anyway (the console loses its display)')
    .option('--allow-no-host-gpu', 'pass the last GPU with a host driver anyway (the host is left headless)')
    .option('--allow-host-storage', 'pass the controller holding /, /boot or the ESP anyway')
    .option('--allow-default-route-nic', 'pass the NIC carrying the default route anyway')
    .option('--pass-whole-group', 'also pass the other devices of a shared IOMMU group (see the explanation first)')
    .option('--param <name[=value]>', 'add this kernel parameter too (repeatable)', collect, [])
    .addOption(noParam)
    .option('--loader <id>', `use this boot loader instead of the detected one (${LOADER_IDS.join(', ')})`)
    .option('--replace-conflicts', 'replace or remove conflicting parameters such as intel_iommu=off (your consent)');
}

const registerAll: RegisterCommand = (program: Command, ctx: CommandContext) => {
  program
    .command('scan')
    .description('read this machine (or --root DIR) and print CPU, IOMMU, boot, kernel and PCI facts; changes nothing')
    .action(async () => (await import('./scan.js')).runScan(ctx));
  program
    .command('check')
    .description('readiness checks layer by layer (CPU, IOMMU, boot, vfio, virtualization stack, GPUs); exit 3 if one fails')
    .action(async () => (await import('./check.js')).runCheck(ctx));
  stepOptions(program.command('plan').description('show what a step would change — diffs and exact commands — without changing anything')).action(
    async (flags) => (await import('./plan-apply.js')).runPlan(ctx, flags),
  );
  stepOptions(program.command('apply').description('apply a step: review, confirm, journal every change, regenerate, verify'))
    .option('--yes', 'apply without asking (needed without a terminal)')
    .option('--dry-run', 'walk the whole apply path with a recording runner; write nothing, run nothing')
    .action(async (flags) => (await import('./plan-apply.js')).runApply(ctx, flags));
  program
    .command('share')
    .description('which devices can be shared instead of passed whole (mdev types, SR-IOV, NVIDIA vGPU on VFs, MIG), and why others cannot; read-only')
    .option('--device <addr|parent>', 'only this device')
    .action(async (flags) => (await import('./share.js')).runShare(ctx, flags));
  program
    .command('status')
    .description('list the runs and steps vfio-wizard applied, their state, and what is pending (read-only)')
    .action(async () => (await import('./status.js')).runStatus(ctx));
  program
    .command('verify')
    .description('after the reboot a step asked for: check that it took effect (IOMMU, /proc/cmdline, drivers) and record it')
    .option('--step <id>', 'check this step only')
    .action(async (flags) => (await import('./verify.js')).runVerify(ctx, flags));
  program
    .command('rollback')
    .description('undo applied steps (newest first): restore files, owners and modes, re-run the boot regeneration')
    .option('--step <id>', 'roll back this step only (the most recent run that applied it)')
    .option('--all', 'roll back every applied step of every run')
    .option('--yes', 'do not ask for confirmation (needed without a terminal)')
    .option('--force', 'also overwrite files that changed after vfio-wizard wrote them (the current versions are kept next to the backups)')
    .action(async (flags) => (await import('./rollback.js')).runRollback(ctx, flags));
  program
    .command('finish')
    .description('run the commands that apply, rollback or restore.sh only listed (--commands skip) and status shows as still to run, then record them')
    .option('--yes', 'do not ask for confirmation (needed without a terminal)')
    .option('--by-hand', 'run nothing: record that you ran them yourself')
    .action(async (flags) => (await import('./finish.js')).runFinish(ctx, flags));
};

export const commands: RegisterCommand[] = [registerAll, registerVm];
