// A one-time trial boot with the new kernel parameters, for loaders that can boot an entry once:
// GRUB (grub-reboot) and systemd-boot (bootctl set-oneshot). The default entry stays exactly as it
// is, so a machine that misbehaves with the parameters boots normally again on the next reset.
// Once the trial boot has worked, the permanent `cmdline` step makes them stick; rolling back
// this step removes the trial entry.
import type { HostFacts } from '../host/types.js';
import type { Change, Plan } from '../plan/types.js';
import { addParams } from '../edit/cmdline-tokens.js';
import { editLoaderEntry } from '../edit/loader-entry.js';
import type { CmdlineFiles } from './cmdline-files.js';
import { chosenTokens, grubRegeneration, type CmdlineChoices } from './cmdline.js';
import { decideCmdlineParams } from './cmdline-params.js';
import { TRIAL_STEP_ID } from './step-ids.js';

export const GRUB_TRIAL_SCRIPT = '/etc/grub.d/42_vfio-wizard-trial';
export const TRIAL_ENTRY_ID = 'vfio-wizard-trial';

export type TrialVerify = { kind: 'grub-trial'; path: string } | { kind: 'loader-entry'; path: string };

export type TrialResult =
  | { kind: 'plan'; plan: Plan; tokens: string[]; entryTitle: string; verify: TrialVerify; explanation: string[] }
  | { kind: 'refuse'; reason: string }
  | { kind: 'nothing'; reason: string };

/** The first top-level `menuentry … { … }` block of a generated grub.cfg (GRUB_DEFAULT=0's entry). */
export function firstMenuEntry(cfg: string): { text: string; title: string } | null {
  const lines = cfg.split('\n');
  const start = lines.findIndex((l) => /^menuentry\s/.test(l));
  if (start < 0) return null;
  let depth = 0;
  for (let i = start; i < lines.length; i++) {
    for (const ch of lines[i]!) {
      if (ch === '{') depth++;
      else if (ch === '}') depth--;
    }
    if (depth === 0) {
      const text = lines.slice(start, i + 1).join('\n');
      const title = /^menuentry\s+(['"])(.*?)\1/.exec(lines[start]!)?.[2] ?? 'default entry';
      return { text, title };
    }
  }
  return null;
}

/** The trial copy of an entry: its own title and id, and the parameters on its `linux` line. */
export function trialEntry(entry: string, title: string, tokens: string[]): string {
  const lines = entry.split('\n');
  lines[0] = lines[0]!
    .replace(/^menuentry\s+(['"]).*?\1/, `menuentry 'vfio-wizard trial: ${title.replace(/'/g, '')}'`)
    .replace(/\$menuentry_id_option\s+'[^']*'/, `$menuentry_id_option '${TRIAL_ENTRY_ID}'`);
  return lines
    .map((l) => {
      const m = /^(\s*linux(?:efi|16)?\s+\S+)(.*)$/.exec(l);
      if (!m) return l;
      return `${m[1]} ${addParams(m[2]!.trim(), tokens, { replaceConflicts: true }).line}`.trimEnd();
    })
    .join('\n');
}

export function grubTrialScript(entry: string): string {
  return [
    '#!/bin/sh',
    '# Written by vfio-wizard: a boot entry used once, to try the VFIO kernel parameters.',
    '# The default entry is unchanged. Remove with: vfio-wizard rollback --step cmdline-trial',
    "cat <<'VFIO_WIZARD_TRIAL'",
    entry,
    'VFIO_WIZARD_TRIAL',
    '',
  ].join('\n');
}

export function planCmdlineTrial(facts: HostFacts, files: CmdlineFiles, choices: CmdlineChoices = {}): TrialResult {
  const decision = decideCmdlineParams(facts, choices);
  const tokens = chosenTokens(decision, choices);
  if (tokens.length === 0) return { kind: 'nothing', reason: 'this host needs no kernel parameters for passthrough, so there is nothing to try' };
  const loader = choices.loader ?? facts.boot.bootloader.id;
  const mkPlan = (changes: Change[], notes: string[]): Plan => ({
    stepId: TRIAL_STEP_ID,
    title: 'Trial boot with the new kernel parameters (once)',
    changes,
    needsReboot: true,
    notes,
  });

  if (loader === 'grub') {
    const grub2 = files.bins['grub2-reboot'] !== null && files.bins['grub-reboot'] === null;
    const reboot = grub2 ? 'grub2-reboot' : 'grub-reboot';
    const editenv = grub2 ? 'grub2-editenv' : 'grub-editenv';
    if (files.bins[reboot] === null) return { kind: 'refuse', reason: `${reboot} was not found, so GRUB cannot be told to boot an entry once; nothing was changed` };
    // the same configuration the command line step regenerates (on RHEL 7–8 UEFI: the one on the ESP)
    const regen = grubRegeneration(facts, files);
    if ('error' in regen) return { kind: 'refuse', reason: `${regen.error}; nothing was changed` };
    const cfg = files.grubCfgs.find((c) => c.path === regen.cfg);
    if (!cfg) return { kind: 'refuse', reason: `${regen.cfg} does not exist yet: run ${regen.argv.join(' ')} once, then try again; nothing was changed` };
    const first = firstMenuEntry(cfg.text);
    if (!first) return { kind: 'refuse', reason: `${regen.cfg} has no menu entry to copy; nothing was changed` };
    const entry = trialEntry(first.text, first.title, tokens);
    return {
      kind: 'plan',
      tokens,
      entryTitle: `vfio-wizard trial: ${first.title}`,
      verify: { kind: 'grub-trial', path: regen.cfg },
      explanation: [
        `A copy of "${first.title}" with ${tokens.join(' ')} is added to the GRUB menu and booted once (${reboot}).`,
        'The default entry is not changed: if the trial boot misbehaves, reset the machine and it boots as before.',
        'When the trial boot works, make it permanent with `vfio-wizard apply --step cmdline`, then remove the trial entry with `vfio-wizard rollback --step cmdline-trial`.',
      ],
      plan: mkPlan(
        [
          { kind: 'file', action: 'create', path: GRUB_TRIAL_SCRIPT, before: null, after: grubTrialScript(entry), mode: 0o755, why: 'a generator script that adds the trial entry to the GRUB menu' },
          { kind: 'command', argv: regen.argv, why: `regenerate ${regen.cfg} with the trial entry`, phase: 'bootloader', regenerates: 'bootloader' },
          {
            kind: 'command',
            argv: [reboot, TRIAL_ENTRY_ID],
            why: 'boot the trial entry once, at the next reboot only',
            phase: 'bootloader',
            undo: { argv: [editenv, '-', 'unset', 'next_entry'], why: 'forget the one-time boot if it has not happened yet' },
          },
        ],
        ['GRUB copies its default entry as it is now; a kernel update before the trial boot makes the copy stale — run this step again then.'],
      ),
    };
  }

  if (loader === 'systemd-boot') {
    if (files.bins.bootctl === null) return { kind: 'refuse', reason: 'bootctl was not found; nothing was changed' };
    const source = files.loaderEntries.find((e) => !/vfio-wizard-trial/.test(e.path) && !/fallback|rescue|recovery/i.test(e.path));
    if (!source) return { kind: 'refuse', reason: 'no loader entry to copy was found; nothing was changed' };
    const edit = editLoaderEntry(source.text, { add: tokens, replaceConflicts: true });
    if (!edit.ok) return { kind: 'refuse', reason: `${source.path}: ${edit.reason}` };
    const dir = source.path.slice(0, source.path.lastIndexOf('/'));
    const path = `${dir}/${TRIAL_ENTRY_ID}.conf`;
    const name = `${TRIAL_ENTRY_ID}.conf`;
    const text = edit.text.replace(/^title\s+(.*)$/m, (_m, t: string) => `title vfio-wizard trial: ${t}`);
    return {
      kind: 'plan',
      tokens,
      entryTitle: name,
      verify: { kind: 'loader-entry', path },
      explanation: [
        `A copy of ${source.path} with ${tokens.join(' ')} is booted once (bootctl set-oneshot); the default entry is not changed.`,
        'When the trial boot works, make it permanent with `vfio-wizard apply --step cmdline`, then `vfio-wizard rollback --step cmdline-trial`.',
      ],
      plan: mkPlan(
        [
          { kind: 'file', action: 'create', path, before: null, after: text, mode: 0o644, why: 'the trial boot entry' },
          { kind: 'command', argv: ['bootctl', 'set-oneshot', name], why: 'boot the trial entry once, at the next reboot only', phase: 'bootloader', undo: { argv: ['bootctl', 'set-oneshot', ''], why: 'forget the one-time boot' } },
        ],
        [],
      ),
    };
  }

  return { kind: 'refuse', reason: `a one-time trial boot is offered for GRUB and systemd-boot; this system uses ${loader}. Apply the permanent step instead; the boot menu's edit key can still remove the parameters for one boot` };
}
