// planCmdline per boot loader, on the corpus's real boot files: which file is edited, with which
// bytes, which regeneration runs, and what is refused or left to the user.
import { describe, expect, it } from 'vitest';
import { planCmdline, verifyGrubCfg } from '../../src/steps/cmdline.js';
import { parseGrubbyInfo, verifyCmdline } from '../../src/steps/cmdline-verify.js';
import { systemRoot } from '../../src/host/root.js';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { firstMenuEntry, planCmdlineTrial, trialEntry } from '../../src/steps/cmdline-trial.js';
import { CMDLINE_TOOLS, type CmdlineFiles, type CmdlineTool } from '../../src/steps/cmdline-files.js';
import type { BootloaderId, HostFacts } from '../../src/host/types.js';
import type { Change } from '../../src/plan/types.js';
import { corpusBody } from '../edit/corpus.js';
import { makeFacts } from '../support/facts.js';

function files(over: Partial<CmdlineFiles> & { tools?: CmdlineTool[] } = {}): CmdlineFiles {
  const bins = Object.fromEntries(CMDLINE_TOOLS.map((t) => [t, (over.tools ?? []).includes(t) ? `/usr/sbin/${t}` : null])) as CmdlineFiles['bins'];
  return {
    etcDefaultGrub: null,
    grubDropins: [],
    kernelCmdline: null,
    loaderEntries: [],
    kernelstubConfig: null,
    refindLinuxConf: null,
    grubCfgs: [],
    installedKernels: ['6.1.0-13-amd64'],
    kernelImages: {},
    machineId: null,
    ...over,
    bins,
  };
}

const intelOff = (loader: BootloaderId, distro: Partial<HostFacts['distro']> = {}) =>
  makeFacts({ iommu: { enabled: false, firmware: true }, kernel: { cmdline: 'root=/dev/sda1 ro quiet', release: '6.1.0-13-amd64' }, boot: { bootloader: { id: loader, evidence: ['test'] } }, distro });

const fileChange = (changes: Change[], path: string) => changes.find((c) => c.kind === 'file' && c.path === path) as Extract<Change, { kind: 'file' }> | undefined;
const argvs = (changes: Change[]) => changes.flatMap((c) => (c.kind === 'command' ? [c.argv] : []));

describe('planCmdline by loader', () => {
  it('Proxmox ZFS: /etc/kernel/cmdline already has intel_iommu=on → nothing to do (corpus file)', () => {
    const text = corpusBody('bootloader/proxmox-etc-kernel-cmdline-zfs-isolcpus.txt');
    const r = planCmdline(intelOff('proxmox-boot-tool'), files({ kernelCmdline: text, tools: ['proxmox-boot-tool'] }));
    expect(r.kind).toBe('nothing');
  });

  it('Proxmox: edits /etc/kernel/cmdline in place, then proxmox-boot-tool refresh (corpus btrfs file without its intel_iommu=on)', () => {
    const real = corpusBody('bootloader/proxmox-etc-kernel-cmdline-btrfs-root-uuid.txt');
    expect(planCmdline(intelOff('proxmox-boot-tool'), files({ kernelCmdline: real, tools: ['proxmox-boot-tool'] })).kind).toBe('nothing');
    const text = real.replace(' intel_iommu=on', '');
    const r = planCmdline(intelOff('proxmox-boot-tool'), files({ kernelCmdline: text, tools: ['proxmox-boot-tool'] }));
    if (r.kind !== 'plan') throw new Error(`expected a plan, got ${r.kind}`);
    const f = fileChange(r.plan.changes, '/etc/kernel/cmdline')!;
    expect(f.before).toBe(text);
    expect(f.after).toBe(text.replace(/\n$/, ' intel_iommu=on\n'));
    expect(argvs(r.plan.changes)).toEqual([['proxmox-boot-tool', 'refresh']]);
  });

  it('systemd-boot with hand-written entries: the options line of each entry (corpus Arch entry)', () => {
    const text = corpusBody('bootloader/systemd-boot-entry-arch-zen-amd-ucode-rw-and-ro.txt');
    const r = planCmdline(intelOff('systemd-boot'), files({ loaderEntries: [{ path: '/boot/loader/entries/arch.conf', text }], tools: ['bootctl'] }));
    if (r.kind !== 'plan') throw new Error(`expected a plan, got ${r.kind}: ${'reason' in r ? r.reason : ''}`);
    const f = fileChange(r.plan.changes, '/boot/loader/entries/arch.conf')!;
    // only the options line changes
    const changed = f.after!.split('\n').filter((l, i) => l !== text.split('\n')[i]);
    expect(changed).toHaveLength(1);
    expect(changed[0]).toMatch(/^options .* intel_iommu=on$/);
    expect(argvs(r.plan.changes)).toEqual([]);
    expect(r.trialBoot).toEqual(['vfio-wizard', 'apply', '--step', 'cmdline-trial']);
  });

  it('systemd-boot with kernel-install: /etc/kernel/cmdline, then kernel-install for the running kernel first', () => {
    const r = planCmdline(intelOff('systemd-boot'), files({ kernelCmdline: 'root=UUID=x rw\n', installedKernels: ['6.0.0-1', '6.1.0-13-amd64'], tools: ['kernel-install'] }));
    if (r.kind !== 'plan') throw new Error(r.kind);
    expect(fileChange(r.plan.changes, '/etc/kernel/cmdline')!.after).toBe('root=UUID=x rw intel_iommu=on\n');
    expect(argvs(r.plan.changes)).toEqual([
      ['kernel-install', 'add', '6.1.0-13-amd64', '/usr/lib/modules/6.1.0-13-amd64/vmlinuz'],
      ['kernel-install', 'add', '6.0.0-1', '/usr/lib/modules/6.0.0-1/vmlinuz'],
    ]);
  });

  it('Fedora/RHEL BLS: grubby for every entry, with its exact undo; nothing when every entry has it (corpus Rocky entry)', () => {
    const rocky = corpusBody('bootloader/rocky94-bls-entry-trailing-space-no-rhgb.txt').split('\n').slice(1).join('\n'); // line 1 is the pasted prompt
    const r = planCmdline(intelOff('grub-bls'), files({ loaderEntries: [{ path: '/boot/loader/entries/r.conf', text: rocky }], tools: ['grubby'] }));
    if (r.kind !== 'plan') throw new Error(r.kind);
    const [cmd] = r.plan.changes;
    expect(cmd).toMatchObject({ kind: 'command', argv: ['grubby', '--update-kernel=ALL', '--args=intel_iommu=on'], undo: { argv: ['grubby', '--update-kernel=ALL', '--remove-args=intel_iommu=on'] } });
    const done = rocky.replace(/^options (.*)$/m, 'options $1 intel_iommu=on');
    expect(planCmdline(intelOff('grub-bls'), files({ loaderEntries: [{ path: '/boot/loader/entries/r.conf', text: done }], tools: ['grubby'] })).kind).toBe('nothing');
    expect(planCmdline(intelOff('grub-bls'), files({ loaderEntries: [{ path: '/e.conf', text: rocky }] })).kind).toBe('refuse');
  });

  it('Pop!_OS: kernelstub -a with kernelstub -d as undo (corpus configuration JSON)', () => {
    const json = corpusBody('bootloader/popos-kernelstub-configuration-json.txt');
    const r = planCmdline(intelOff('kernelstub'), files({ kernelstubConfig: json, tools: ['kernelstub'] }));
    if (r.kind !== 'plan') throw new Error(r.kind);
    expect(r.plan.changes).toEqual([
      expect.objectContaining({ kind: 'command', argv: ['kernelstub', '-a', 'intel_iommu=on'], undo: expect.objectContaining({ argv: ['kernelstub', '-d', 'intel_iommu=on'] }) }),
    ]);
  });

  it('rEFInd: a new first line in refind_linux.conf, the original kept as the fallback', () => {
    const conf = '"Boot with standard options"  "root=UUID=abc rw quiet"\n';
    const r = planCmdline(intelOff('refind'), files({ refindLinuxConf: conf }));
    if (r.kind !== 'plan') throw new Error(r.kind);
    const after = fileChange(r.plan.changes, '/boot/refind_linux.conf')!.after!;
    expect(after.split('\n').filter(Boolean)).toHaveLength(2);
    expect(after).toContain(conf.trim());
    expect(after.split('\n')[0]).toContain('intel_iommu=on');
  });

  it('rpm-ostree, NixOS and unknown loaders: exact instructions, no file change', () => {
    const ostree = planCmdline(intelOff('rpm-ostree'), files());
    expect(ostree).toMatchObject({ kind: 'manual' });
    expect(ostree.kind === 'manual' && ostree.instructions.join('\n')).toMatch(/rpm-ostree kargs --append-if-missing=intel_iommu=on/);
    const nix = planCmdline(intelOff('nixos'), files());
    expect(nix.kind === 'manual' && nix.instructions.join('\n')).toMatch(/boot\.kernelParams = \[ "intel_iommu=on" \];/);
    const unknown = planCmdline(intelOff('unknown'), files());
    expect(unknown.kind === 'manual' && unknown.instructions.join('\n')).toMatch(/intel_iommu=on/);
  });

  it('RHEL-family GRUB on UEFI: a full config on the ESP is regenerated there, Fedora’s ESP stub never', () => {
    const grub = 'GRUB_TIMEOUT=5\nGRUB_CMDLINE_LINUX="rd.lvm.lv=rhel/root rhgb quiet"\n';
    const rhel = { id: 'centos', idLike: ['rhel', 'fedora'] };
    const full = { path: '/boot/efi/EFI/centos/grub.cfg', text: "menuentry 'CentOS' {\n linux /vmlinuz root=/dev/x\n}\n" };
    const stub = { path: '/boot/efi/EFI/fedora/grub.cfg', text: 'search --no-floppy --fs-uuid --set=dev abc\nset prefix=($dev)/grub2\nconfigfile $prefix/grub.cfg\n' };
    const uefi = (f: HostFacts) => ({ ...f, boot: { ...f.boot, uefi: true } });
    const onEsp = planCmdline(uefi(intelOff('grub', rhel)), files({ etcDefaultGrub: grub, grubCfgs: [full], tools: ['grub2-mkconfig'] }));
    const withStub = planCmdline(uefi(intelOff('grub', rhel)), files({ etcDefaultGrub: grub, grubCfgs: [stub], tools: ['grub2-mkconfig'] }));
    if (onEsp.kind !== 'plan' || withStub.kind !== 'plan') throw new Error('expected plans');
    expect(argvs(onEsp.plan.changes)).toEqual([['grub2-mkconfig', '-o', '/boot/efi/EFI/centos/grub.cfg']]);
    expect(argvs(withStub.plan.changes)).toEqual([['grub2-mkconfig', '-o', '/boot/grub2/grub.cfg']]);
  });

  it('AMD host with amd_iommu=off: removed only with consent, nothing added', () => {
    const facts = makeFacts({ cpu: { vendor: 'amd', flag: 'svm' }, iommu: { enabled: false }, kernel: { cmdline: 'root=/dev/sda1 amd_iommu=off quiet' }, boot: { bootloader: { id: 'systemd-boot', evidence: [] } } });
    const entry = { path: '/boot/loader/entries/a.conf', text: 'title A\nlinux /vmlinuz\noptions root=/dev/sda1 amd_iommu=off quiet\n' };
    // not "nothing to do": the entry still turns the IOMMU off, and the step says so
    expect(planCmdline(facts, files({ loaderEntries: [entry] }))).toMatchObject({ kind: 'refuse', reason: expect.stringMatching(/^blocked by a conflict: amd_iommu=off turns the AMD IOMMU off.*\(in \/boot\/loader\/entries\/a\.conf\)/) });
    const r = planCmdline(facts, files({ loaderEntries: [entry] }), { replaceConflicts: true });
    if (r.kind !== 'plan') throw new Error(r.kind);
    expect(r.replaced).toEqual(['amd_iommu=off']);
    expect(fileChange(r.plan.changes, entry.path)!.after).toBe('title A\nlinux /vmlinuz\noptions root=/dev/sda1 quiet\n');
    expect(r.tokens).toEqual([]);
    expect(JSON.stringify(r.plan)).not.toContain('amd_iommu=on');
  });
});

describe('conflicts in the configuration, wherever the loader keeps it', () => {
  const grubFile = 'GRUB_DEFAULT=0\nGRUB_CMDLINE_LINUX_DEFAULT="quiet"\nGRUB_CMDLINE_LINUX="intel_iommu=off console=ttyS0"\n';
  const debian = { id: 'debian', idLike: [] };
  const blocked = expect.objectContaining({ kind: 'refuse', reason: expect.stringMatching(/^blocked by a conflict: intel_iommu=off in .* works against intel_iommu=on.*--replace-conflicts/) });

  it('GRUB: intel_iommu=off in GRUB_CMDLINE_LINUX blocks without consent (never "already set"); with consent it leaves that variable and intel_iommu=on goes in', () => {
    const f = files({ etcDefaultGrub: grubFile, tools: ['update-grub'] });
    const no = planCmdline(intelOff('grub', debian), f);
    expect(no).toEqual(blocked);
    // the conflict joins the decision, so the wizard's consent row shows it
    expect(no.decision.conflicts.map((c) => c.token)).toEqual(['intel_iommu=off']);
    const yes = planCmdline(intelOff('grub', debian), f, { replaceConflicts: true });
    if (yes.kind !== 'plan') throw new Error(`${yes.kind}: ${'reason' in yes ? yes.reason : ''}`);
    expect(fileChange(yes.plan.changes, '/etc/default/grub')!.after).toBe('GRUB_DEFAULT=0\nGRUB_CMDLINE_LINUX_DEFAULT="quiet intel_iommu=on"\nGRUB_CMDLINE_LINUX="console=ttyS0"\n');
    expect(yes.replaced).toEqual(['intel_iommu=off']);
    expect(yes.tokens).toEqual(['intel_iommu=on']);
  });

  it('GRUB: a conflict set by a drop-in of another package is refused with the file to edit by hand', () => {
    const f = files({ etcDefaultGrub: 'GRUB_CMDLINE_LINUX_DEFAULT="quiet"\n', grubDropins: [{ name: '50-cloudimg.cfg', text: 'GRUB_CMDLINE_LINUX_DEFAULT="$GRUB_CMDLINE_LINUX_DEFAULT iommu=off"\n' }], tools: ['update-grub'] });
    const r = planCmdline(intelOff('grub', debian), f, { replaceConflicts: true });
    expect(r).toMatchObject({ kind: 'refuse', reason: expect.stringContaining('iommu=off would still be on the command line: it is set by a drop-in in /etc/default/grub.d') });
  });

  it('/etc/kernel/cmdline, loader entries, kernelstub and BLS: blocked without consent, replaced with it (and grubby’s undo puts it back)', () => {
    const kc = files({ kernelCmdline: 'root=UUID=x rw intel_iommu=off\n', tools: ['kernel-install'] });
    expect(planCmdline(intelOff('systemd-boot'), kc)).toEqual(blocked);
    const kcYes = planCmdline(intelOff('systemd-boot'), kc, { replaceConflicts: true });
    if (kcYes.kind !== 'plan') throw new Error(kcYes.kind);
    expect(fileChange(kcYes.plan.changes, '/etc/kernel/cmdline')!.after).toBe('root=UUID=x rw intel_iommu=on\n');

    const stub = files({ kernelstubConfig: JSON.stringify({ user: { kernel_options: ['quiet', 'intel_iommu=off'] } }), tools: ['kernelstub'] });
    const stubNo = planCmdline(intelOff('kernelstub'), stub);
    if (stubNo.kind === 'plan') throw new Error('a plan without consent');
    expect(stubNo).toEqual(blocked);
    const stubYes = planCmdline(intelOff('kernelstub'), stub, { replaceConflicts: true });
    if (stubYes.kind !== 'plan') throw new Error(`${stubYes.kind}: ${'reason' in stubYes ? stubYes.reason : ''}`);
    expect(argvs(stubYes.plan.changes)).toEqual([['kernelstub', '-d', 'intel_iommu=off'], ['kernelstub', '-a', 'intel_iommu=on']]);

    const bls = files({ loaderEntries: [{ path: '/boot/loader/entries/x.conf', text: 'title X\nlinux /vmlinuz\noptions root=/dev/sda1 intel_iommu=off\n' }], tools: ['grubby'] });
    expect(planCmdline(intelOff('grub-bls'), bls)).toEqual(blocked);
    const blsYes = planCmdline(intelOff('grub-bls'), bls, { replaceConflicts: true });
    if (blsYes.kind !== 'plan') throw new Error(blsYes.kind);
    expect(blsYes.plan.changes[0]).toMatchObject({
      argv: ['grubby', '--update-kernel=ALL', '--args=intel_iommu=on', '--remove-args=intel_iommu=off'],
      undo: { argv: ['grubby', '--update-kernel=ALL', '--remove-args=intel_iommu=on', '--args=intel_iommu=off'] },
    });
  });
});

describe('Proxmox, recovery entries, generated entries', () => {
  it('Proxmox on GRUB (no /etc/kernel/cmdline): /etc/default/grub, update-grub, then proxmox-boot-tool refresh; checked in grub.cfg', () => {
    const grub = 'GRUB_DEFAULT=0\nGRUB_CMDLINE_LINUX_DEFAULT="quiet"\nGRUB_CMDLINE_LINUX=""\n';
    const r = planCmdline(intelOff('proxmox-boot-tool', { id: 'debian', idLike: [] }), files({ etcDefaultGrub: grub, tools: ['update-grub', 'proxmox-boot-tool'] }));
    if (r.kind !== 'plan') throw new Error(`${r.kind}: ${'reason' in r ? r.reason : ''}`);
    expect(r.loader).toBe('proxmox-boot-tool');
    expect(argvs(r.plan.changes)).toEqual([['update-grub'], ['proxmox-boot-tool', 'refresh']]);
    expect(r.verify).toEqual({ kind: 'grub-cfg', path: '/boot/grub/grub.cfg' });
    expect(planCmdline(intelOff('proxmox-boot-tool'), files({ tools: ['proxmox-boot-tool'] }))).toMatchObject({ kind: 'refuse', reason: expect.stringContaining('neither /etc/kernel/cmdline nor /etc/default/grub') });
  });

  it('Proxmox on systemd-boot: checked in /etc/kernel/cmdline (the ESPs are mounted only while refreshing), which passes on a root that has only that file', async () => {
    const r = planCmdline(intelOff('proxmox-boot-tool'), files({ kernelCmdline: 'root=ZFS=rpool/ROOT/pve-1 boot=zfs\n', tools: ['proxmox-boot-tool'] }));
    if (r.kind !== 'plan') throw new Error(r.kind);
    expect(r.verify).toEqual({ kind: 'files', paths: ['/etc/kernel/cmdline'] });
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vw-pve-'));
    try {
      mkdirSync(path.join(dir, 'etc/kernel'), { recursive: true });
      writeFileSync(path.join(dir, 'etc/kernel/cmdline'), fileChange(r.plan.changes, '/etc/kernel/cmdline')!.after!);
      const noRunner = { run: () => Promise.reject(new Error('no command expected')) } as never;
      expect(await verifyCmdline(r.verify, r.tokens, systemRoot(dir), noRunner)).toMatchObject({ ok: true });
      writeFileSync(path.join(dir, 'etc/kernel/cmdline'), 'root=ZFS=rpool/ROOT/pve-1 boot=zfs\n');
      expect(await verifyCmdline(r.verify, r.tokens, systemRoot(dir), noRunner)).toMatchObject({ ok: false, summary: 'missing from /etc/kernel/cmdline: intel_iommu=on' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('systemd-boot: the fallback entry stays as it was and the plan says so', () => {
    const entry = (name: string, title: string) => ({ path: `/boot/loader/entries/${name}`, text: `title ${title}\nlinux /vmlinuz-linux\ninitrd /initramfs-linux${name.includes('fallback') ? '-fallback' : ''}.img\noptions root=/dev/sda2 rw\n` });
    const r = planCmdline(intelOff('systemd-boot'), files({ loaderEntries: [entry('arch.conf', 'Arch Linux'), entry('arch-fallback.conf', 'Arch Linux (fallback initramfs)')] }));
    if (r.kind !== 'plan') throw new Error(r.kind);
    expect(r.plan.changes.map((c) => (c.kind === 'file' ? c.path : ''))).toEqual(['/boot/loader/entries/arch.conf']);
    expect(r.plan.notes.join(' ')).toContain('Left as they were, to boot the old way if needed: /boot/loader/entries/arch-fallback.conf');
  });

  it('entries kernel-install generated (<machine-id>-<version>.conf) get /etc/kernel/cmdline too, so a kernel update keeps the parameters', () => {
    const mid = '4f1c2a7e5b8d4e0f9a612c7d9e4b1a05';
    const e = { path: `/efi/loader/entries/${mid}-6.1.0-13-amd64.conf`, text: `title Debian\nversion 6.1.0-13-amd64\nmachine-id ${mid}\noptions root=UUID=x ro quiet systemd.machine_id=${mid}\nlinux /${mid}/6.1.0-13-amd64/linux\n` };
    const r = planCmdline(intelOff('systemd-boot'), files({ loaderEntries: [e], machineId: mid, tools: ['kernel-install'] }));
    if (r.kind !== 'plan') throw new Error(r.kind);
    expect(fileChange(r.plan.changes, e.path)!.after).toContain(`options root=UUID=x ro quiet systemd.machine_id=${mid} intel_iommu=on\n`);
    expect(fileChange(r.plan.changes, '/etc/kernel/cmdline')).toMatchObject({ action: 'create', before: null, after: 'root=UUID=x ro quiet intel_iommu=on\n' });
    // hand-written entries (no machine-id prefix) get no such file
    const hand = planCmdline(intelOff('systemd-boot'), files({ loaderEntries: [{ ...e, path: '/efi/loader/entries/debian.conf' }], machineId: mid, tools: ['kernel-install'] }));
    if (hand.kind !== 'plan') throw new Error(hand.kind);
    expect(fileChange(hand.plan.changes, '/etc/kernel/cmdline')).toBeUndefined();
  });

  it('kernel-install gets the image that is really there (Debian: /boot/vmlinuz-<version>)', () => {
    const r = planCmdline(intelOff('systemd-boot'), files({ kernelCmdline: 'root=UUID=x rw\n', kernelImages: { '6.1.0-13-amd64': '/boot/vmlinuz-6.1.0-13-amd64' }, tools: ['kernel-install'] }));
    if (r.kind !== 'plan') throw new Error(r.kind);
    expect(argvs(r.plan.changes)).toEqual([['kernel-install', 'add', '6.1.0-13-amd64', '/boot/vmlinuz-6.1.0-13-amd64']]);
    expect(r.verify).toEqual({ kind: 'loader-entries' });
  });

  it('grubby --info=ALL is read per entry; the rescue entry is not checked', async () => {
    const info = 'index=0\nkernel="/boot/vmlinuz-5.14.0-427.el9.x86_64"\nargs="ro crashkernel=1G-4G:192M rhgb quiet intel_iommu=on"\nroot="/dev/mapper/rl-root"\ninitrd="/boot/initramfs-5.14.0-427.el9.x86_64.img"\ntitle="Rocky Linux (5.14.0-427.el9.x86_64) 9.4 (Blue Onyx)"\nid="abc-5.14.0-427.el9.x86_64"\nindex=1\nkernel="/boot/vmlinuz-0-rescue-abc"\nargs="ro crashkernel=1G-4G:192M"\nroot="/dev/mapper/rl-root"\ninitrd="/boot/initramfs-0-rescue-abc.img"\ntitle="Rocky Linux (0-rescue-abc) 9.4 (Blue Onyx)"\nid="abc-0-rescue"\n';
    const parsed = parseGrubbyInfo(info);
    expect(parsed.map((p) => [p.index, p.args])).toEqual([['0', 'ro crashkernel=1G-4G:192M rhgb quiet intel_iommu=on'], ['1', 'ro crashkernel=1G-4G:192M']]);
    const runnerPrinting = (stdout: string) => ({ run: async () => ({ ok: true, exitCode: 0, signal: null, stdout, stderr: '', spawnError: null }) }) as never;
    const ok = await verifyCmdline({ kind: 'grubby' }, ['intel_iommu=on'], systemRoot('/'), runnerPrinting(info));
    expect(ok).toMatchObject({ ok: true, details: [{ where: 'BLS entry 0 (Rocky Linux (5.14.0-427.el9.x86_64) 9.4 (Blue Onyx))', missing: [] }] });
    const bad = await verifyCmdline({ kind: 'grubby' }, ['intel_iommu=on'], systemRoot('/'), runnerPrinting(info.replace(' intel_iommu=on', '')));
    expect(bad.ok).toBe(false);
  });
});

describe('verifyGrubCfg', () => {
  const cfg = "menuentry 'Debian' {\n\tlinux /vmlinuz root=/dev/vda ro quiet intel_iommu=on\n}\nmenuentry 'Debian (recovery mode)' {\n\tlinux /vmlinuz root=/dev/vda ro single\n}\n";
  it('checks every normal entry and skips recovery entries', () => {
    expect(verifyGrubCfg(cfg, ['intel_iommu=on']).ok).toBe(true);
    expect(verifyGrubCfg(cfg, ['iommu=pt']).ok).toBe(false);
    expect(verifyGrubCfg('', ['intel_iommu=on']).ok).toBe(false);
  });
  it('a dual-boot machine: the other system os-prober found keeps its own command line and is not checked', () => {
    const dual = `### BEGIN /etc/grub.d/10_linux ###\n${cfg}### END /etc/grub.d/10_linux ###\n### BEGIN /etc/grub.d/30_os-prober ###\nmenuentry 'Ubuntu 22.04 LTS (on /dev/sdb2)' --class ubuntu {\n\tlinux /boot/vmlinuz-5.15 root=UUID=abc ro quiet splash\n}\n### END /etc/grub.d/30_os-prober ###\n### BEGIN /etc/grub.d/40_custom ###\n### END /etc/grub.d/40_custom ###\n`;
    const r = verifyGrubCfg(dual, ['intel_iommu=on']);
    expect(r.ok).toBe(true);
    expect(r.details.map((d) => d.where)).toEqual(['grub.cfg entry "Debian"']);
    // an entry of our own after the os-prober section is checked again
    expect(verifyGrubCfg(`${dual}menuentry 'Debian 2' {\n\tlinux /vmlinuz root=/dev/vda\n}\n`, ['intel_iommu=on']).ok).toBe(false);
  });
});

describe('trial boot', () => {
  const cfg = "set default=0\nmenuentry 'Debian GNU/Linux' --class debian $menuentry_id_option 'gnulinux-simple-x' {\n\tload_video\n\tlinux\t/boot/vmlinuz root=/dev/vda ro quiet\n\tinitrd\t/boot/initrd.img\n}\nsubmenu 'Advanced' {\n}\n";
  it('copies the first entry with its own title and id and the parameters on the linux line', () => {
    const first = firstMenuEntry(cfg)!;
    expect(first.title).toBe('Debian GNU/Linux');
    const t = trialEntry(first.text, first.title, ['intel_iommu=on']);
    expect(t.split('\n')[0]).toBe("menuentry 'vfio-wizard trial: Debian GNU/Linux' --class debian $menuentry_id_option 'vfio-wizard-trial' {");
    expect(t).toContain('\tlinux\t/boot/vmlinuz root=/dev/vda ro quiet intel_iommu=on');
    expect(t.endsWith('}')).toBe(true);
  });
  it('RHEL 7–8 on UEFI: the trial entry goes into the full config on the ESP, the one GRUB reads (grub2-reboot)', () => {
    const rhel = { id: 'centos', idLike: ['rhel', 'fedora'] };
    const full = { path: '/boot/efi/EFI/centos/grub.cfg', text: "menuentry 'CentOS Linux' --class centos {\n\tlinux16 /vmlinuz root=/dev/x ro\n}\n" };
    const uefi = (f: HostFacts) => ({ ...f, boot: { ...f.boot, uefi: true } });
    const r = planCmdlineTrial(uefi(intelOff('grub', rhel)), files({ etcDefaultGrub: 'GRUB_CMDLINE_LINUX="quiet"\n', grubCfgs: [full], tools: ['grub2-mkconfig', 'grub2-reboot'] }));
    if (r.kind !== 'plan') throw new Error(`${r.kind}: ${'reason' in r ? r.reason : ''}`);
    expect(argvs(r.plan.changes)).toEqual([['grub2-mkconfig', '-o', '/boot/efi/EFI/centos/grub.cfg'], ['grub2-reboot', 'vfio-wizard-trial']]);
    expect(r.verify).toEqual({ kind: 'grub-trial', path: '/boot/efi/EFI/centos/grub.cfg' });
    // no regeneration tool at all: refused with the reason, nothing planned
    expect(planCmdlineTrial(intelOff('grub', rhel), files({ etcDefaultGrub: 'GRUB_CMDLINE_LINUX="quiet"\n', grubCfgs: [full], tools: ['grub2-reboot'] }))).toMatchObject({
      kind: 'refuse',
      reason: expect.stringMatching(/neither update-grub, grub-mkconfig nor grub2-mkconfig was found/),
    });
  });

  it('systemd-boot: a copied entry and bootctl set-oneshot; other loaders are refused with a reason', () => {
    const entry = { path: '/boot/loader/entries/arch.conf', text: 'title Arch\nlinux /vmlinuz\noptions root=/dev/sda1 rw\n' };
    const r = planCmdlineTrial(intelOff('systemd-boot'), files({ loaderEntries: [entry], tools: ['bootctl'] }));
    if (r.kind !== 'plan') throw new Error(r.kind);
    expect(fileChange(r.plan.changes, '/boot/loader/entries/vfio-wizard-trial.conf')!.after).toBe('title vfio-wizard trial: Arch\nlinux /vmlinuz\noptions root=/dev/sda1 rw intel_iommu=on\n');
    expect(argvs(r.plan.changes)).toEqual([['bootctl', 'set-oneshot', 'vfio-wizard-trial.conf']]);
    expect(planCmdlineTrial(intelOff('kernelstub'), files()).kind).toBe('refuse');
  });
});
