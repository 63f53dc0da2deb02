// /boot/refind_linux.conf: one boot option per line, `"Title" "kernel options"`; rEFInd boots
// the first line by default and offers the others in the entry's submenu. The wizard puts a line
// with the VFIO parameters FIRST (so the default boot gets them) and keeps the original line
// right below it, untouched, as the fallback. Running again updates our line only.

import { addParams, removeParams } from './cmdline-tokens.js';
import type { CmdlineEditRequest, CmdlineFileEditResult } from './cmdline-edit-result.js';

export const REFIND_VFIO_TITLE = 'Boot with VFIO (vfio-wizard)';

interface RefindLine {
  start: number;
  end: number;
  title: string;
  options: string;
}

const LINE = /^[ \t]*"([^"]*)"[ \t]+"([^"]*)"[ \t]*$/;

function readLines(text: string): RefindLine[] | { error: string } {
  const out: RefindLine[] = [];
  let start = 0;
  for (const raw of text.split('\n')) {
    const end = start + raw.length;
    const trimmed = raw.trim();
    if (trimmed !== '' && !trimmed.startsWith('#')) {
      const match = LINE.exec(raw);
      if (!match) return { error: `refind_linux.conf line ${JSON.stringify(raw)} is not in the "title" "options" form; nothing was changed` };
      out.push({ start, end, title: match[1]!, options: match[2]! });
    }
    start = end + 1;
  }
  return out;
}

export function readRefindEntries(text: string): { title: string; options: string }[] | null {
  const lines = readLines(text);
  return 'error' in lines ? null : lines.map(({ title, options }) => ({ title, options }));
}

export function editRefindLinuxConf(text: string, request: CmdlineEditRequest): CmdlineFileEditResult {
  const lines = readLines(text);
  if ('error' in lines) return { ok: false, reason: lines.error };
  const ours = lines.find((l) => l.title === REFIND_VFIO_TITLE);
  const fallback = lines.find((l) => l.title !== REFIND_VFIO_TITLE);
  if (!ours && !fallback) {
    return { ok: false, reason: 'refind_linux.conf has no boot line to start from (rEFInd then takes options from elsewhere); add the parameters in rEFInd\'s own configuration; nothing was changed' };
  }
  const baseOptions = ours ? ours.options : fallback!.options;
  const removal = removeParams(baseOptions, request.remove ?? []);
  const result = addParams(removal.line, request.add, { replaceConflicts: request.replaceConflicts });
  if (result.line.includes('"')) {
    return { ok: false, reason: 'a parameter contains a double quote, which refind_linux.conf cannot hold; nothing was changed' };
  }
  let next = text;
  if (ours) {
    if (result.line !== ours.options) {
      next = `${text.slice(0, ours.start)}"${REFIND_VFIO_TITLE}" "${result.line}"${text.slice(ours.end)}`;
    }
  } else if (result.line !== baseOptions) {
    const indent = /^[ \t]*/.exec(text.slice(fallback!.start, fallback!.end))![0];
    next = `${text.slice(0, fallback!.start)}${indent}"${REFIND_VFIO_TITLE}" "${result.line}"\n${text.slice(fallback!.start)}`;
  }
  return {
    ok: true,
    text: next,
    changed: next !== text,
    added: result.added,
    removed: removal.removed,
    alreadyPresent: result.alreadyPresent,
    conflicts: result.conflicts,
    cmdline: result.line,
  };
}
