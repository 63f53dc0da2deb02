// After a rollback: prove the step is really gone from what the machine boots, instead of trusting
// that restoring the files was enough. For the kernel command line: none of the tokens the step
// added (as its journal record says) is left in the configuration the boot loader reads, nor — once
// the regeneration ran — in the generated menu or entries.
import { hasParam } from '../edit/cmdline-tokens.js';
import type { SystemRoot } from '../host/root.js';
import { scanHost } from '../host/scan.js';
import type { StepExpectation } from '../plan/types.js';
import type { BootloaderId } from '../host/types.js';
import { LOADER_IDS } from './loader-ids.js';
import { readCmdlineFiles } from './cmdline-files.js';
import { configuredLines, editedLoader, grubCfgKernelLines, isRecoveryEntry } from './cmdline.js';
import { readLoaderEntryOptions } from '../edit/loader-entry.js';

export interface UndoCheck {
  stepId: string;
  ok: boolean;
  summary: string;
}

/** Lines the boot loader will really use once regenerated: generated GRUB menus, loader entries. */
function generatedLines(files: ReturnType<typeof readCmdlineFiles>): { line: string; where: string }[] {
  const out: { line: string; where: string }[] = [];
  // a trial entry is the trial step's own, rolled back with that step
  for (const cfg of files.grubCfgs) {
    for (const l of grubCfgKernelLines(cfg.text)) if (!l.entry.startsWith('vfio-wizard trial:')) out.push({ line: l.args, where: `${cfg.path} entry "${l.entry}"` });
  }
  for (const e of files.loaderEntries) if (!isRecoveryEntry(e) && !/vfio-wizard-trial/.test(e.path)) out.push({ line: readLoaderEntryOptions(e.text), where: e.path });
  return out;
}

/**
 * The check for one rolled-back step; null when the step has none (or its journal predates the
 * record of what it added). `regenerated` is false under --commands skip: the generated files are
 * then still the old ones and only the configuration is checked.
 */
export function checkUndone(root: SystemRoot, step: { id: string; expect?: StepExpectation | null }, regenerated: boolean): UndoCheck | null {
  if (step.id !== 'cmdline' || !step.expect?.cmdlineAdded?.length) return null;
  const added = step.expect.cmdlineAdded;
  const files = readCmdlineFiles(root);
  // the loader the step edited (--loader may have overridden detection), not a fresh guess
  const recorded = step.expect.loader as BootloaderId | undefined;
  const loader = editedLoader(recorded && LOADER_IDS.includes(recorded) ? recorded : scanHost(root).boot.bootloader.id, files);
  const lines = [...configuredLines(loader, files), ...(regenerated ? generatedLines(files) : [])];
  const left = lines.flatMap((l) => added.filter((t) => hasParam(l.line, t)).map((t) => `${t} in ${l.where}`));
  if (left.length > 0) {
    return { stepId: step.id, ok: false, summary: `still there after the rollback: ${left.join('; ')} — something else sets it (a hand edit, another tool); nothing more was changed` };
  }
  return {
    stepId: step.id,
    ok: true,
    summary: `${added.join(' ')} ${added.length === 1 ? 'is' : 'are'} gone from ${regenerated ? 'the boot configuration and the generated boot menu' : 'the boot configuration (the menu is regenerated once the listed commands run)'}`,
  };
}
