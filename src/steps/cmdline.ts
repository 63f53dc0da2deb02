// The kernel command line step, pure: facts + the files read under the root + the user's
// choices → a Plan that edits the command line where this machine keeps it, with that system's
// own regeneration command — or, where files must not be edited (rpm-ostree, NixOS, unknown
// loaders), the exact instructions to do it by hand. Rules in DOMAIN.md.
import type { BootloaderId, HostFacts } from '../host/types.js';
import type { Change, CommandChange, Plan } from '../plan/types.js';
import { addParams, hasParam, normalizeParamName, parseParam, removeParams, sameParamName, tokenizeCmdline } from '../edit/cmdline-tokens.js';
import { editGrubDefault, evaluateGrubFiles, type GrubCmdlineKey } from '../edit/grub-default-file.js';
import { GRUB_DROPIN_DIR, isOwnDropin, planGrubCmdline, readsGrubDropins } from '../edit/grub-dropin.js';
import { editKernelCmdlineFile, readKernelCmdlineFile } from '../edit/kernel-cmdline-file.js';
import { editLoaderEntry, readLoaderEntryOptions } from '../edit/loader-entry.js';
import { editRefindLinuxConf, readRefindEntries } from '../edit/refind-linux-conf.js';
import { readKernelstubOptions } from '../edit/kernelstub-config.js';
import { decideCmdlineParams, iommuOffReason, type CmdlineDecision, type CmdlineInputs, type ParamRemoval } from './cmdline-params.js';
import type { CmdlineFiles } from './cmdline-files.js';

export const CMDLINE_STEP_ID = 'cmdline';
const TRIAL_COMMAND = ['vfio-wizard', 'apply', '--step', 'cmdline-trial'];


export interface CmdlineChoices extends CmdlineInputs {
  /** --param NAME[=VALUE]: add even when not decided */
  add?: string[];
  /** --no-param NAME: do not add this one (by name, - and _ equal) */
  skip?: string[];
  /** the user consented to replacing/removing conflicting tokens (intel_iommu=off …) */
  replaceConflicts?: boolean;
  /** --loader ID: override detection */
  loader?: BootloaderId;
}

/** How to check, after regeneration, that the parameters reached the boot configuration. */
export type CmdlineVerify =
  | { kind: 'grub-cfg'; path: string }
  | { kind: 'files'; paths: string[] }
  /** the loader entries as they are after regeneration (kernel-install may write new ones), recovery ones skipped */
  | { kind: 'loader-entries' }
  | { kind: 'grubby' }
  | { kind: 'kernelstub'; path: string };

export type CmdlineStepResult =
  | {
      kind: 'plan';
      loader: BootloaderId;
      loaderEvidence: string[];
      decision: CmdlineDecision;
      /** the tokens the plan adds (after --param/--no-param) */
      tokens: string[];
      /** conflicting tokens the plan replaces or removes (with consent) */
      replaced: string[];
      plan: Plan;
      verify: CmdlineVerify;
      /** how to take the parameters out for one boot if the machine misbehaves */
      escapeHatch: string;
      /** the command that boots the parameters once first (a separate entry), where the loader can */
      trialBoot: string[] | null;
    }
  | { kind: 'nothing'; loader: BootloaderId; decision: CmdlineDecision; reason: string }
  | { kind: 'manual'; loader: BootloaderId; decision: CmdlineDecision; tokens: string[]; instructions: string[] }
  | { kind: 'refuse'; loader: BootloaderId; decision: CmdlineDecision; reason: string };

/** The tokens to add: decided ones still selected, minus --no-param, plus --param. */
export function chosenTokens(decision: CmdlineDecision, choices: CmdlineChoices): string[] {
  const skipped = (t: string) => (choices.skip ?? []).some((s) => sameParamName(parseParam(t).name, s.split('=')[0]!));
  const out: string[] = [];
  for (const p of decision.params) if (p.selected && !skipped(p.token)) out.push(p.token);
  for (const t of choices.add ?? []) {
    parseParam(t);
    if (!out.includes(t)) out.push(t);
  }
  return out;
}

const ESCAPE_GRUB =
  'If the machine misbehaves after the reboot: in the GRUB menu (hold Shift or press Esc while booting) highlight the entry, press e, delete the new parameters from the line starting with "linux", and press Ctrl+X to boot once without them. Then run `vfio-wizard rollback --step cmdline`.';
const ESCAPE_SDBOOT =
  'If the machine misbehaves after the reboot: in the systemd-boot menu highlight the entry, press e, delete the new parameters and press Enter to boot once without them. Then run `vfio-wizard rollback --step cmdline`.';

/**
 * GRUB_CMDLINE_LINUX_DEFAULT reaches the normal entries only (GRUB_CMDLINE_LINUX reaches the
 * recovery entries too), so recovery entries stay bootable exactly as they were.
 */
const GRUB_KEY: GrubCmdlineKey = 'GRUB_CMDLINE_LINUX_DEFAULT';

function fileModify(path: string, before: string, after: string, why: string): Change {
  return { kind: 'file', action: 'modify', path, before, after, why };
}

/** Where GRUB's generated config lives and which command regenerates it. */
export function grubRegeneration(facts: HostFacts, files: CmdlineFiles): { argv: string[]; cfg: string } | { error: string } {
  const family = [facts.distro.id ?? '', ...facts.distro.idLike];
  if (files.bins['update-grub'] && family.some((f) => f === 'debian' || f === 'ubuntu')) {
    return { argv: ['update-grub'], cfg: '/boot/grub/grub.cfg' };
  }
  if (files.bins['grub2-mkconfig']) {
    // RHEL/CentOS 7–8 on UEFI keep the real config on the ESP; Fedora ≥ 34 (and RHEL 9) put a
    // small stub there that loads /boot/grub2/grub.cfg — that stub must never be overwritten.
    const esp = files.grubCfgs.find((c) => c.path.startsWith('/boot/efi/EFI/'));
    const espIsFull = esp !== undefined && /^\s*(menuentry|blscfg)\b/m.test(esp.text) && !/^\s*configfile\b/m.test(esp.text);
    // boot mode unknown (an offline disk): a full config on the ESP is the one the firmware's GRUB reads
    const cfg = facts.boot.uefi !== false && espIsFull ? esp.path : '/boot/grub2/grub.cfg';
    return { argv: ['grub2-mkconfig', '-o', cfg], cfg };
  }
  if (files.bins['grub-mkconfig']) return { argv: ['grub-mkconfig', '-o', '/boot/grub/grub.cfg'], cfg: '/boot/grub/grub.cfg' };
  return { error: 'neither update-grub, grub-mkconfig nor grub2-mkconfig was found, so the GRUB configuration cannot be regenerated' };
}

function command(argv: string[], why: string, phase: CommandChange['phase'], extra: Partial<CommandChange> = {}): CommandChange {
  return { kind: 'command', argv, why, phase, ...extra };
}

/** Tokens to take out with consent: conflicts whose name the plan does not add itself. */
function removals(decision: CmdlineDecision, tokens: string[], consent: boolean): string[] {
  if (!consent) return [];
  return decision.conflicts
    .map((c) => c.token)
    .filter((t) => !tokens.some((a) => sameParamName(parseParam(a).name, parseParam(t).name)));
}

/**
 * Tokens of a configured command line (what the boot configuration will pass, not /proc/cmdline)
 * that work against the plan: the same name as a token being added with another value
 * (intel_iommu=off against intel_iommu=on), or one that turns the IOMMU off. vfio-pci.ids is a
 * list the editors merge into, never a conflict.
 */
export function configConflicts(facts: HostFacts, line: string, where: string, adding: readonly string[]): ParamRemoval[] {
  const wanted = adding.map((a) => parseParam(a));
  const out: ParamRemoval[] = [];
  for (const t of tokenizeCmdline(line).tokens) {
    const same = normalizeParamName(t.name) === 'vfio_pci.ids' ? undefined : wanted.find((w) => sameParamName(w.name, t.name));
    if (same) {
      const have = (t.value ?? '').split(',');
      if (!(same.value ?? '').split(',').every((v) => have.includes(v))) out.push({ token: t.text, reason: `${t.text} in ${where} works against ${same.text}` });
      continue;
    }
    const off = iommuOffReason(t, facts.cpu.vendor);
    if (off) out.push({ token: t.text, reason: `${off} (in ${where})` });
  }
  return out;
}

const uniq = (xs: readonly string[]): string[] => [...new Set(xs)];

/**
 * A fallback, rescue or recovery boot entry (Arch's *-fallback.conf, Fedora's *-0-rescue-*.conf):
 * left as it was, so the machine still boots the old way when the new parameters misbehave.
 */
export function isRecoveryEntry(entry: { path: string; text: string }): boolean {
  const title = /^title\s+(.*)$/m.exec(entry.text)?.[1] ?? '';
  return /fallback|rescue|recovery/i.test(entry.path.slice(entry.path.lastIndexOf('/') + 1)) || /fallback|rescue|recovery/i.test(title);
}

/** The kernel-install image argument of a kernel: what is really there (Debian keeps it in /boot). */
const kernelImage = (files: CmdlineFiles, k: string): string => files.kernelImages[k] ?? `/usr/lib/modules/${k}/vmlinuz`;

/** The command lines this loader's configuration passes, with where each comes from (for conflicts). */
export function configuredLines(loader: BootloaderId, files: CmdlineFiles): { line: string; where: string }[] {
  switch (loader) {
    case 'grub': {
      if (files.etcDefaultGrub === null) return [];
      const chain = evaluateGrubFiles([
        { name: '/etc/default/grub', text: files.etcDefaultGrub },
        ...files.grubDropins.filter((d) => d.name.endsWith('.cfg') && !isOwnDropin(d.name)).map((d) => ({ name: `${GRUB_DROPIN_DIR}/${d.name}`, text: d.text })),
      ]);
      if (!chain.ok) return [];
      return (['GRUB_CMDLINE_LINUX', GRUB_KEY] as const).map((k) => ({ line: chain.env.get(k) ?? '', where: k }));
    }
    case 'systemd-boot':
    case 'proxmox-boot-tool':
      if (files.kernelCmdline !== null) return [{ line: readKernelCmdlineFile(files.kernelCmdline) ?? '', where: '/etc/kernel/cmdline' }];
      return files.loaderEntries.map((e) => ({ line: readLoaderEntryOptions(e.text), where: e.path }));
    case 'grub-bls':
      return files.loaderEntries.map((e) => ({ line: readLoaderEntryOptions(e.text), where: e.path }));
    case 'kernelstub': {
      const k = files.kernelstubConfig === null ? null : readKernelstubOptions(files.kernelstubConfig);
      return k?.ok ? [{ line: k.options.join(' '), where: '/etc/kernelstub/configuration' }] : [];
    }
    case 'refind': {
      const first = files.refindLinuxConf === null ? undefined : readRefindEntries(files.refindLinuxConf)?.[0];
      return first ? [{ line: first.options, where: '/boot/refind_linux.conf' }] : [];
    }
    default:
      return [];
  }
}

/** Which configuration the step edits for a loader: Proxmox without /etc/kernel/cmdline boots GRUB. */
export function editedLoader(loader: BootloaderId, files: CmdlineFiles): BootloaderId {
  return loader === 'proxmox-boot-tool' && files.kernelCmdline === null && files.etcDefaultGrub !== null ? 'grub' : loader;
}

export function planCmdline(facts: HostFacts, files: CmdlineFiles, choices: CmdlineChoices = {}): CmdlineStepResult {
  let decision = decideCmdlineParams(facts, choices);
  const loader = choices.loader ?? facts.boot.bootloader.id;
  // Proxmox on GRUB (ext4/xfs root, or Secure Boot) keeps its command line in /etc/default/grub
  const edits = editedLoader(loader, files);
  const proxmoxGrub = edits !== loader;
  const loaderEvidence = choices.loader ? [`--loader ${choices.loader} (detection said ${facts.boot.bootloader.id})`] : facts.boot.bootloader.evidence;
  const tokens = chosenTokens(decision, choices);
  const consent = Boolean(choices.replaceConflicts);
  const remove = removals(decision, tokens, consent);
  const inConfig = configuredLines(edits, files).flatMap((l) => configConflicts(facts, l.line, l.where, tokens));
  if (tokens.length === 0 && remove.length === 0 && inConfig.length === 0) {
    return { kind: 'nothing', loader, decision, reason: 'this host needs no kernel parameters for passthrough' };
  }
  const base = { loader, loaderEvidence, decision };
  const editReq = { add: tokens, remove, replaceConflicts: consent };
  /**
   * Conflicts found in the configuration join the decision (the wizard's consent row and --json
   * show them); without consent the step stops and says so — never "already set" when it is not.
   */
  const conflictsFound = (found: ParamRemoval[]): CmdlineStepResult | null => {
    if (found.length === 0) return null;
    const tokensFound = new Set(found.map((c) => c.token));
    decision = { ...decision, conflicts: [...decision.conflicts.filter((c) => !tokensFound.has(c.token)), ...found] };
    base.decision = decision;
    if (consent) return null;
    return {
      kind: 'refuse',
      ...base,
      reason: `blocked by a conflict: ${found.map((c) => c.reason).join('; ')}. Nothing was changed. With your consent (--replace-conflicts, or the consent row in the wizard) the plan takes out ${uniq(found.map((c) => c.token)).join(' ')}; the diff shows it before anything is written`,
    };
  };
  const mkPlan = (changes: Change[], notes: string[] = []): Plan => ({
    stepId: CMDLINE_STEP_ID,
    title: 'Kernel command line',
    changes,
    needsReboot: true,
    notes,
  });
  const nothingNew = (why: string): CmdlineStepResult => ({ kind: 'nothing', loader, decision, reason: why });
  const manual = (instructions: string[]): CmdlineStepResult => ({ kind: 'manual', loader, decision, tokens, instructions });

  switch (edits) {
    case 'grub': {
      if (files.etcDefaultGrub === null) return { kind: 'refuse', ...base, reason: '/etc/default/grub does not exist, so there is nothing safe to edit; nothing was changed' };
      const regen = grubRegeneration(facts, files);
      if ('error' in regen) return { kind: 'refuse', ...base, reason: `${regen.error}; nothing was changed` };
      const key = GRUB_KEY;
      // GRUB puts GRUB_CMDLINE_LINUX before GRUB_CMDLINE_LINUX_DEFAULT on every normal entry: a
      // token already in the former is on the command line and must not be added again.
      const chain = evaluateGrubFiles([
        { name: '/etc/default/grub', text: files.etcDefaultGrub },
        ...files.grubDropins.filter((d) => d.name.endsWith('.cfg') && !isOwnDropin(d.name)).map((d) => ({ name: `${GRUB_DROPIN_DIR}/${d.name}`, text: d.text })),
      ]);
      if (!chain.ok) return { kind: 'refuse', ...base, reason: `${chain.file}: ${chain.reason}` };
      const always = chain.env.get('GRUB_CMDLINE_LINUX') ?? '';
      const inLinux = configConflicts(facts, always, 'GRUB_CMDLINE_LINUX', tokens);
      const inDefault = configConflicts(facts, chain.env.get(key) ?? '', key, tokens);
      const blocked = conflictsFound([...inLinux, ...inDefault]);
      if (blocked) return blocked;
      const removeDefault = uniq([...remove, ...inDefault.map((c) => c.token)]);
      const wanted = tokens.filter((t) => !hasParam(always, t));
      if (wanted.length === 0 && removeDefault.length === 0 && inLinux.length === 0) return nothingNew(`GRUB_CMDLINE_LINUX already has ${tokens.join(' ')}`);
      const changes: Change[] = [];
      let added: string[] = [];
      let replaced: string[] = removeDefault;
      const placement = readsGrubDropins(facts.distro) && removeDefault.length === 0 && inLinux.length === 0
        ? planGrubCmdline({ distro: facts.distro, key, mainText: files.etcDefaultGrub, dropins: files.grubDropins, add: wanted, replaceConflicts: consent })
        : ({ kind: 'direct', reason: removeDefault.length || inLinux.length ? 'tokens must be removed from /etc/default/grub itself' : 'this distribution reads only /etc/default/grub' } as const);
      if (placement.kind === 'refuse') return { kind: 'refuse', ...base, reason: placement.reason };
      if (placement.kind === 'dropin') {
        if (placement.unchanged) return nothingNew(`every parameter is already set (${placement.alreadyPresent.join(' ')})`);
        const p = `${GRUB_DROPIN_DIR}/${placement.name}`;
        const existing = files.grubDropins.find((d) => d.name === placement.name);
        if (placement.content !== null) {
          changes.push(
            existing
              ? fileModify(p, existing.text, placement.content, 'the wizard’s own drop-in, read after every other file, appends the parameters')
              : { kind: 'file', action: 'create', path: p, before: null, after: placement.content, mode: 0o644, why: 'a drop-in read after /etc/default/grub and every other drop-in appends the parameters; /etc/default/grub stays as it is' },
          );
        }
        for (const name of placement.remove) {
          const old = files.grubDropins.find((d) => d.name === name);
          if (old) changes.push({ kind: 'file', action: 'delete', path: `${GRUB_DROPIN_DIR}/${name}`, before: old.text, after: null, why: 'an older drop-in of the wizard, replaced by the one above' });
        }
        added = placement.added;
      } else {
        // a conflicting token in GRUB_CMDLINE_LINUX comes out of that variable (consented above)
        let text = files.etcDefaultGrub;
        const why: string[] = [];
        if (inLinux.length > 0) {
          const out = editGrubDefault(text, { key: 'GRUB_CMDLINE_LINUX', add: [], remove: inLinux.map((c) => c.token), replaceConflicts: false });
          if (!out.ok) return { kind: 'refuse', ...base, reason: out.reason };
          text = out.text;
          if (out.removed.length) why.push(`removes ${out.removed.join(' ')} from GRUB_CMDLINE_LINUX`);
        }
        const edit = editGrubDefault(text, { key, add: wanted, remove: removeDefault, replaceConflicts: consent });
        if (!edit.ok) return { kind: 'refuse', ...base, reason: edit.reason };
        if (text === files.etcDefaultGrub && !edit.changed) return nothingNew(`every parameter is already in ${key} (${edit.alreadyPresent.join(' ')})`);
        // what sh will compute from the edited file with every drop-in: a conflict set elsewhere stays
        const after = evaluateGrubFiles([
          { name: '/etc/default/grub', text: edit.text },
          ...files.grubDropins.filter((d) => d.name.endsWith('.cfg') && !isOwnDropin(d.name)).map((d) => ({ name: `${GRUB_DROPIN_DIR}/${d.name}`, text: d.text })),
        ]);
        const left = after.ok ? configConflicts(facts, `${after.env.get('GRUB_CMDLINE_LINUX') ?? ''} ${after.env.get(key) ?? ''}`, 'the resulting command line', tokens) : [];
        if (left.length > 0) {
          return { kind: 'refuse', ...base, reason: `${uniq(left.map((c) => c.token)).join(' ')} would still be on the command line: it is set by a drop-in in ${GRUB_DROPIN_DIR} or computed in /etc/default/grub; edit that by hand; nothing was changed` };
        }
        if (edit.added.length || edit.removed.length) why.push(`${edit.added.length ? `adds ${edit.added.join(' ')} to ${key}` : ''}${edit.removed.length ? `${edit.added.length ? ' and ' : ''}removes ${edit.removed.join(' ')}` : ''}`);
        changes.push(fileModify('/etc/default/grub', files.etcDefaultGrub, edit.text, why.join('; ') || `replaces a conflicting token in ${key}`));
        added = edit.added;
        replaced = uniq([...inLinux.map((c) => c.token), ...removeDefault, ...edit.conflicts.filter((c) => c.replaced).flatMap((c) => c.existing)]);
      }
      changes.push(command(regen.argv, `regenerate ${regen.cfg} so the boot menu carries the new parameters`, 'bootloader', { regenerates: 'bootloader' }));
      if (proxmoxGrub && files.bins['proxmox-boot-tool']) {
        changes.push(command(['proxmox-boot-tool', 'refresh'], 'copy the kernels and the new GRUB configuration to every ESP proxmox-boot-tool keeps in sync', 'bootloader', { regenerates: 'bootloader' }));
      }
      return {
        kind: 'plan', ...base, tokens: added, replaced, plan: mkPlan(changes), verify: { kind: 'grub-cfg', path: regen.cfg },
        escapeHatch: ESCAPE_GRUB,
        // a trial needs GRUB's boot-once command (and not on Proxmox, whose ESPs carry their own copy)
        trialBoot: !proxmoxGrub && (files.bins['grub-reboot'] || files.bins['grub2-reboot']) ? TRIAL_COMMAND : null,
      };
    }
    case 'grub-bls': {
      if (!files.bins.grubby) return { kind: 'refuse', ...base, reason: 'this system boots BLS entries but grubby was not found; nothing was changed' };
      // grubby rewrites every entry: a token counts as present only when every entry has it
      const entryLines = files.loaderEntries.map((e) => readLoaderEntryOptions(e.text));
      const found = files.loaderEntries.flatMap((e, i) => configConflicts(facts, entryLines[i]!, e.path, tokens));
      const blocked = conflictsFound(found);
      if (blocked) return blocked;
      const present = tokens.filter((t) => entryLines.length > 0 && entryLines.every((line) => hasParam(line, t)));
      const add = tokens.filter((t) => !present.includes(t));
      // grubby replaces a same-name argument itself; the others are removed (consented above)
      const rm = uniq([...remove, ...found.map((c) => c.token)]);
      if (add.length === 0 && rm.length === 0) return nothingNew(`every BLS entry already has ${tokens.join(' ')}`);
      const argv = ['grubby', '--update-kernel=ALL'];
      if (add.length) argv.push(`--args=${add.join(' ')}`);
      if (rm.length) argv.push(`--remove-args=${rm.join(' ')}`);
      const undo = ['grubby', '--update-kernel=ALL'];
      if (add.length) undo.push(`--remove-args=${add.join(' ')}`);
      if (rm.length) undo.push(`--args=${rm.join(' ')}`);
      return {
        kind: 'plan', ...base, tokens: add, replaced: rm,
        plan: mkPlan(
          [command(argv, 'grubby edits the options of every boot entry (BLS) at once', 'bootloader', { undo: { argv: undo, why: 'take the parameters out of every entry again' } })],
          ['grubby --update-kernel=ALL also updates the rescue entry: that is how kernels installed later inherit the parameters on this family. To boot once without them, edit the entry in the GRUB menu (e) and delete them from the linux line.'],
        ),
        verify: { kind: 'grubby' },
        escapeHatch: ESCAPE_GRUB,
        trialBoot: null,
      };
    }
    case 'systemd-boot':
    case 'proxmox-boot-tool': {
      if (files.kernelCmdline !== null) {
        const found = configConflicts(facts, readKernelCmdlineFile(files.kernelCmdline) ?? '', '/etc/kernel/cmdline', tokens);
        const blocked = conflictsFound(found);
        if (blocked) return blocked;
        const rm = uniq([...remove, ...found.map((c) => c.token)]);
        const edit = editKernelCmdlineFile(files.kernelCmdline, { ...editReq, remove: rm });
        if (!edit.ok) return { kind: 'refuse', ...base, reason: edit.reason };
        if (!edit.changed) return nothingNew(`/etc/kernel/cmdline already has ${tokens.join(' ')}`);
        const changes: Change[] = [fileModify('/etc/kernel/cmdline', files.kernelCmdline, edit.text, `adds ${edit.added.join(' ')}${edit.removed.length ? ` and removes ${edit.removed.join(' ')}` : ''}`)];
        if (loader === 'proxmox-boot-tool') {
          changes.push(command(['proxmox-boot-tool', 'refresh'], 'copy the kernels and the new command line to every ESP', 'bootloader', { regenerates: 'bootloader' }));
        } else {
          if (!files.bins['kernel-install']) return { kind: 'refuse', ...base, reason: '/etc/kernel/cmdline exists but kernel-install was not found to regenerate the entries; nothing was changed' };
          const kernels = files.installedKernels.filter((k) => k === facts.kernel.release).concat(files.installedKernels.filter((k) => k !== facts.kernel.release));
          for (const k of kernels) {
            changes.push(command(['kernel-install', 'add', k, kernelImage(files, k)], `regenerate the boot entry of kernel ${k} with the new command line`, 'bootloader', { regenerates: 'bootloader' }));
          }
        }
        return {
          kind: 'plan', ...base, tokens: edit.added, replaced: rm, plan: mkPlan(changes),
          // Proxmox writes the entries to ESPs it mounts only while refreshing: /etc/kernel/cmdline
          // (which the refresh copied, exit 0) and whatever entries are visible are what can be read
          verify: loader === 'proxmox-boot-tool' ? { kind: 'files', paths: ['/etc/kernel/cmdline', ...files.loaderEntries.filter((e) => !isRecoveryEntry(e)).map((e) => e.path)] } : { kind: 'loader-entries' },
          escapeHatch: ESCAPE_SDBOOT,
          trialBoot: loader === 'systemd-boot' && files.bins.bootctl ? TRIAL_COMMAND : null,
        };
      }
      if (loader === 'proxmox-boot-tool') return { kind: 'refuse', ...base, reason: 'proxmox-boot-tool is in use but neither /etc/kernel/cmdline nor /etc/default/grub exists; nothing was changed' };
      const changes: Change[] = [];
      const edited: string[] = [];
      let added: string[] = [];
      const entries = files.loaderEntries.filter((e) => !isRecoveryEntry(e));
      const found = entries.flatMap((e) => configConflicts(facts, readLoaderEntryOptions(e.text), e.path, tokens));
      const blocked = conflictsFound(found);
      if (blocked) return blocked;
      const rm = uniq([...remove, ...found.map((c) => c.token)]);
      for (const e of entries) {
        const edit = editLoaderEntry(e.text, { ...editReq, remove: rm });
        if (!edit.ok) return { kind: 'refuse', ...base, reason: `${e.path}: ${edit.reason}` };
        if (!edit.changed) continue;
        changes.push(fileModify(e.path, e.text, edit.text, `adds ${edit.added.join(' ')} to the options line`));
        edited.push(e.path);
        added = [...new Set([...added, ...edit.added])];
      }
      if (entries.length === 0) return { kind: 'refuse', ...base, reason: files.loaderEntries.length ? 'systemd-boot has only fallback or rescue entries, which stay as they are; nothing was changed' : 'systemd-boot is in use but no loader entries were found; nothing was changed' };
      if (changes.length === 0) return nothingNew(`every loader entry already has ${tokens.join(' ')}`);
      const notes: string[] = [];
      const skipped = files.loaderEntries.filter(isRecoveryEntry).map((e) => e.path);
      if (skipped.length) notes.push(`Left as they were, to boot the old way if needed: ${skipped.join(', ')}.`);
      // entries kernel-install generated (<machine-id>-<version>.conf) are rewritten at the next
      // kernel update from /etc/kernel/cmdline — or, without it, from the running command line:
      // the file makes the parameters survive that, and rollback deletes it with the entry edits
      const generated = files.machineId !== null && files.bins['kernel-install'] !== null && entries.some((e) => e.path.slice(e.path.lastIndexOf('/') + 1).startsWith(`${files.machineId}-`));
      if (generated) {
        const running = entries.find((e) => facts.kernel.release && e.path.includes(facts.kernel.release)) ?? entries[0]!;
        const change = changes.find((c) => c.kind === 'file' && c.path === running.path) as Extract<Change, { kind: 'file' }> | undefined;
        const line = readLoaderEntryOptions(change?.after ?? running.text);
        const full = tokenizeCmdline(line).tokens.filter((t) => !/^(initrd|systemd\.machine_id)$/.test(t.name)).map((t) => t.text).join(' ');
        changes.push({ kind: 'file', action: 'create', path: '/etc/kernel/cmdline', before: null, after: `${full}\n`, mode: 0o644, why: 'kernel-install generated these entries: the next kernel update writes its entry from this file, so the parameters stay (the full command line of the running kernel’s entry)' });
        notes.push('The entries were generated by kernel-install: /etc/kernel/cmdline now holds the full command line, so kernel updates keep the parameters.');
      }
      return {
        kind: 'plan', ...base, tokens: added, replaced: rm, plan: mkPlan(changes, notes), verify: { kind: 'files', paths: edited },
        escapeHatch: ESCAPE_SDBOOT,
        trialBoot: loader === 'systemd-boot' && files.bins.bootctl ? TRIAL_COMMAND : null,
      };
    }
    case 'kernelstub': {
      if (files.kernelstubConfig === null || !files.bins.kernelstub) return { kind: 'refuse', ...base, reason: 'kernelstub is expected (Pop!_OS) but its configuration or the kernelstub command is missing; nothing was changed' };
      const current = readKernelstubOptions(files.kernelstubConfig);
      if (!current.ok) return { kind: 'refuse', ...base, reason: current.reason };
      const line = current.options.join(' ');
      const found = configConflicts(facts, line, '/etc/kernelstub/configuration', tokens);
      const blocked = conflictsFound(found);
      if (blocked) return blocked;
      // a same-name token with another value comes out first, so the new one is added, not skipped
      const rm = uniq([...remove, ...found.map((c) => c.token)]).filter((t) => removeParams(line, [t]).removed.length > 0);
      const rest = removeParams(line, rm).line;
      const add = tokens.filter((t) => addParams(rest, [t], { replaceConflicts: false }).added.length > 0);
      if (add.length === 0 && rm.length === 0) return nothingNew(`kernelstub already passes ${tokens.join(' ')}`);
      const changes: Change[] = [];
      if (rm.length) changes.push(command(['kernelstub', '-d', rm.join(' ')], 'remove the conflicting parameters', 'bootloader', { undo: { argv: ['kernelstub', '-a', rm.join(' ')], why: 'put them back' } }));
      if (add.length) changes.push(command(['kernelstub', '-a', add.join(' ')], 'kernelstub adds the parameters and rewrites the boot entry', 'bootloader', { undo: { argv: ['kernelstub', '-d', add.join(' ')], why: 'take the parameters out again' } }));
      return {
        kind: 'plan', ...base, tokens: add, replaced: rm, plan: mkPlan(changes), verify: { kind: 'kernelstub', path: '/etc/kernelstub/configuration' },
        escapeHatch: ESCAPE_SDBOOT,
        trialBoot: null,
      };
    }
    case 'refind': {
      if (files.refindLinuxConf === null) return { kind: 'refuse', ...base, reason: '/boot/refind_linux.conf does not exist; nothing was changed' };
      const found = configConflicts(facts, readRefindEntries(files.refindLinuxConf)?.[0]?.options ?? '', '/boot/refind_linux.conf', tokens);
      const blocked = conflictsFound(found);
      if (blocked) return blocked;
      const rm = uniq([...remove, ...found.map((c) => c.token)]);
      const edit = editRefindLinuxConf(files.refindLinuxConf, { ...editReq, remove: rm });
      if (!edit.ok) return { kind: 'refuse', ...base, reason: edit.reason };
      if (!edit.changed) return nothingNew(`refind_linux.conf already has ${tokens.join(' ')}`);
      return {
        kind: 'plan', ...base, tokens: edit.added, replaced: rm,
        plan: mkPlan([fileModify('/boot/refind_linux.conf', files.refindLinuxConf, edit.text, 'a new first line with the parameters; the original line stays below it as the fallback entry')]),
        verify: { kind: 'files', paths: ['/boot/refind_linux.conf'] },
        escapeHatch: 'If the machine misbehaves after the reboot, pick the original entry in the rEFInd menu (F2 or Insert shows the other options), then run `vfio-wizard rollback --step cmdline`.',
        trialBoot: null,
      };
    }
    case 'rpm-ostree':
      return manual([
        'This is an image-based system (rpm-ostree): its files are not edited. Run:',
        `  rpm-ostree kargs ${tokens.map((t) => `--append-if-missing=${t}`).join(' ')}${remove.map((t) => ` --delete-if-present=${t}`).join('')}`,
        'then reboot into the new deployment (`rpm-ostree rollback` undoes it).',
      ]);
    case 'nixos':
      return manual([
        'NixOS builds its boot configuration from configuration.nix: add to it',
        `  boot.kernelParams = [ ${tokens.map((t) => JSON.stringify(t)).join(' ')} ];`,
        ...(remove.length ? [`and take ${remove.map((t) => JSON.stringify(t)).join(' ')} out of boot.kernelParams wherever it is set.`] : []),
        'then run `nixos-rebuild boot` and reboot (the previous generation stays in the boot menu).',
      ]);
    default:
      return manual([
        choices.loader || loader !== 'unknown'
          ? `The wizard does not edit the command line for ${loader} (${loaderEvidence.join('; ') || 'no evidence'}), so nothing is edited.`
          : `The boot loader of this system could not be recognised (${loaderEvidence.join('; ') || 'no evidence'}), so nothing is edited.`,
        'Add these parameters to the kernel command line by hand, in the file your boot loader reads:',
        `  ${tokens.join(' ')}`,
        ...(remove.length ? [`and remove: ${remove.join(' ')}`] : []),
        'or tell the wizard which loader it is with --loader ID (grub, grub-bls, systemd-boot, kernelstub, proxmox-boot-tool, refind).',
      ]);
  }
}

export interface CmdlineCheck {
  ok: boolean;
  /** per checked entry/file: what is missing */
  details: { where: string; missing: string[] }[];
}

/**
 * The `linux` lines of this system's own non-recovery menu entries in a generated grub.cfg. Entries
 * os-prober found for other systems on other disks (its `### BEGIN /etc/grub.d/30_os-prober ###`
 * section) are not ours and never carry our parameters.
 */
export function grubCfgKernelLines(cfg: string): { entry: string; args: string }[] {
  const out: { entry: string; args: string }[] = [];
  let entry = '';
  let section = '';
  for (const raw of cfg.split('\n')) {
    const line = raw.trim();
    const sec = /^### (BEGIN|END) (\S+) ###$/.exec(line);
    if (sec) section = sec[1] === 'BEGIN' ? sec[2]! : '';
    if (/os-prober/.test(section)) continue;
    const m = /^menuentry\s+(['"])(.*?)\1/.exec(line);
    if (m) entry = m[2]!;
    const l = /^linux(?:efi|16)?\s+\S+\s*(.*)$/.exec(line);
    if (l && !/recovery mode|rescue/i.test(entry)) out.push({ entry, args: l[1]! });
  }
  return out;
}

/** After regeneration: every non-recovery kernel line of the config carries every token. */
export function verifyGrubCfg(cfg: string, tokens: string[]): CmdlineCheck {
  const lines = grubCfgKernelLines(cfg);
  const details = lines.map((l) => ({
    where: `grub.cfg entry "${l.entry}"`,
    missing: tokens.filter((t) => !addParams(l.args, [t], { replaceConflicts: false }).alreadyPresent.length),
  }));
  return { ok: lines.length > 0 && details.every((d) => d.missing.length === 0), details };
}
