// Pop!_OS /etc/kernelstub/configuration: JSON whose `user.kernel_options` array is the command
// line kernelstub writes into the systemd-boot entry. The wizard changes it with `kernelstub -a`
// / `-d`; this module reads it back to verify, and can plan the same edit for a dry run.
// kernelstub writes the file with json.dump(indent=2); when the file is in that canonical form
// an edit keeps every untouched byte, otherwise the result is re-serialised with the detected
// indentation (said in `reformatted`).

import { type ParamConflict, addParams, removeParams } from './cmdline-tokens.js';
import type { CmdlineEditRequest } from './cmdline-edit-result.js';

export type KernelstubRead = { ok: true; options: string[] } | { ok: false; reason: string };

function parse(text: string): { ok: true; config: Record<string, unknown>; options: string[] } | { ok: false; reason: string } {
  let config: unknown;
  try {
    config = JSON.parse(text);
  } catch (error) {
    return { ok: false, reason: `the kernelstub configuration is not valid JSON (${(error as Error).message}); nothing was changed` };
  }
  const user = (config as { user?: { kernel_options?: unknown } } | null)?.user;
  const options = user?.kernel_options;
  if (!Array.isArray(options) || !options.every((o): o is string => typeof o === 'string')) {
    return { ok: false, reason: 'the kernelstub configuration has no user.kernel_options list; run `kernelstub -a <param>` once so kernelstub creates it; nothing was changed' };
  }
  return { ok: true, config: config as Record<string, unknown>, options };
}

export function readKernelstubOptions(text: string): KernelstubRead {
  const parsed = parse(text);
  return parsed.ok ? { ok: true, options: parsed.options } : parsed;
}

function detectIndent(text: string): string | number {
  const match = /\n([ \t]+)\S/.exec(text);
  return match ? match[1]! : 2;
}

export type KernelstubEditResult =
  | { ok: true; text: string; changed: boolean; reformatted: boolean; options: string[]; added: string[]; removed: string[]; alreadyPresent: string[]; conflicts: ParamConflict[] }
  | { ok: false; reason: string };

export function editKernelstubConfig(text: string, request: CmdlineEditRequest): KernelstubEditResult {
  const parsed = parse(text);
  if (!parsed.ok) return parsed;
  // kernelstub joins the list with spaces into the entry's options line; edit that line, then split.
  const joined = parsed.options.join(' ');
  const removal = removeParams(joined, request.remove ?? []);
  const result = addParams(removal.line, request.add, { replaceConflicts: request.replaceConflicts });
  const base = { changed: false, added: result.added, removed: removal.removed, alreadyPresent: result.alreadyPresent, conflicts: result.conflicts };
  if (result.line === joined) return { ok: true, text, reformatted: false, options: parsed.options, ...base };
  const options = result.line.split(/\s+/).filter((t) => t !== '');
  const user = parsed.config.user as Record<string, unknown>;
  user.kernel_options = options;
  const indent = detectIndent(text);
  const canonical = JSON.stringify(JSON.parse(text), null, indent);
  const trailing = text.slice(text.trimEnd().length);
  const next = JSON.stringify(parsed.config, null, indent) + trailing;
  return { ok: true, text: next, reformatted: canonical + trailing !== text, options, ...base, changed: true };
}
