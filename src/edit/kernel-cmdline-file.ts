// /etc/kernel/cmdline: the full kernel command line (root= included) that kernel-install and
// proxmox-boot-tool copy into every boot entry they write. One line; everything around it
// (the final newline, or its absence) is kept byte for byte.

import { addParams, removeParams, tokenizeCmdline } from './cmdline-tokens.js';
import type { CmdlineEditRequest, CmdlineFileEditResult } from './cmdline-edit-result.js';

/** The span of the one line holding the command line (an empty file gives an empty line at 0). */
function findLine(text: string): { start: number; end: number } | { error: string } {
  const spans: { start: number; end: number }[] = [];
  let start = 0;
  for (;;) {
    const nl = text.indexOf('\n', start);
    const end = nl === -1 ? text.length : nl;
    if (text.slice(start, end).trim() !== '') spans.push({ start, end });
    if (nl === -1) break;
    start = nl + 1;
  }
  if (spans.length > 1) {
    return { error: 'the file has more than one non-empty line, and the tools that read it differ on what that means; join it into one line, then retry; nothing was changed.' };
  }
  return spans[0] ?? { start: 0, end: 0 };
}

export function readKernelCmdlineFile(text: string): string | null {
  const span = findLine(text);
  return 'error' in span ? null : text.slice(span.start, span.end);
}

export function editKernelCmdlineFile(text: string, request: CmdlineEditRequest): CmdlineFileEditResult {
  const span = findLine(text);
  if ('error' in span) return { ok: false, reason: `/etc/kernel/cmdline: ${span.error}` };
  const line = text.slice(span.start, span.end);
  const removal = removeParams(line, request.remove ?? []);
  const result = addParams(removal.line, request.add, { replaceConflicts: request.replaceConflicts });
  const next = text.slice(0, span.start) + result.line + text.slice(span.end);
  return {
    ok: true,
    text: next,
    changed: next !== text,
    added: result.added,
    removed: removal.removed,
    alreadyPresent: result.alreadyPresent,
    conflicts: result.conflicts,
    cmdline: tokenizeCmdline(result.line).tokens.map((t) => t.text).join(' '),
  };
}
