// systemd-boot / Boot Loader Specification entries (loader/entries/*.conf): `key value` lines.
// The kernel command line is the concatenation of every `options` line, so a token may live on
// any of them; new tokens go at the end of the last one. Every other byte is kept.

import { type CmdlineEditOp, planAddParams, planRemoveParams } from './cmdline-tokens.js';
import type { CmdlineEditRequest, CmdlineFileEditResult } from './cmdline-edit-result.js';

interface OptionsLine {
  /** the value after `options` and its separating whitespace */
  valueStart: number;
  valueEnd: number;
}

function findOptionsLines(text: string): OptionsLine[] {
  const lines: OptionsLine[] = [];
  const pattern = /^[ \t]*options(?:[ \t]+|(?=\n|$))([^\n]*)$/gm;
  for (const match of text.matchAll(pattern)) {
    const valueEnd = match.index + match[0].length;
    lines.push({ valueStart: valueEnd - match[1]!.length, valueEnd });
  }
  return lines;
}

// The joined command line and, for each of its characters, the file offset it came from.
function joinOptions(text: string, lines: OptionsLine[]): { cmdline: string; offsets: number[]; lineOf: number[] } {
  let cmdline = '';
  const offsets: number[] = [];
  const lineOf: number[] = [];
  lines.forEach((line, index) => {
    if (index > 0) {
      cmdline += ' ';
      offsets.push(-1);
      lineOf.push(-1);
    }
    for (let p = line.valueStart; p < line.valueEnd; p++) {
      cmdline += text[p];
      offsets.push(p);
      lineOf.push(index);
    }
  });
  return { cmdline, offsets, lineOf };
}

export function readLoaderEntryOptions(text: string): string {
  return joinOptions(text, findOptionsLines(text)).cmdline;
}

export function editLoaderEntry(text: string, request: CmdlineEditRequest): CmdlineFileEditResult {
  let current = text;
  const removed: string[] = [];
  if (request.remove && request.remove.length > 0) {
    const joined = joinOptions(current, findOptionsLines(current));
    const plan = planRemoveParams(joined.cmdline, request.remove);
    const next = applyMapped(current, plan.ops, joined, findOptionsLines(current));
    if (typeof next !== 'string') return next;
    current = next;
    removed.push(...plan.removed);
  }
  const lines = findOptionsLines(current);
  const joined = joinOptions(current, lines);
  const plan = planAddParams(joined.cmdline, request.add, { replaceConflicts: request.replaceConflicts });
  let next: string;
  if (lines.length === 0 && plan.ops.length > 0) {
    const separator = current === '' || current.endsWith('\n') ? '' : '\n';
    next = `${current}${separator}options ${plan.added.join(' ')}\n`;
  } else {
    const mapped = applyMapped(current, plan.ops, joined, lines);
    if (typeof mapped !== 'string') return mapped;
    next = mapped;
  }
  return {
    ok: true,
    text: next,
    changed: next !== text,
    added: plan.added,
    removed,
    alreadyPresent: plan.alreadyPresent,
    conflicts: plan.conflicts,
    cmdline: readLoaderEntryOptions(next),
  };
}

function applyMapped(text: string, ops: readonly CmdlineEditOp[], joined: { offsets: number[]; lineOf: number[] }, lines: OptionsLine[]): string | { ok: false; reason: string } {
  const edits: { start: number; end: number; text: string }[] = [];
  for (const op of ops) {
    if (op.kind === 'insert' && joined.offsets.length === 0) {
      // Only empty `options` lines: write after the last one's keyword.
      const at = lines[lines.length - 1]!.valueEnd;
      edits.push({ start: at, end: at, text: /[ \t]$/.test(text.slice(0, at)) ? op.text : ` ${op.text}` });
      continue;
    }
    if (op.kind === 'insert') {
      // Inserts follow a token (or precede `--`), so the neighbouring character names the line.
      const anchor = op.at > 0 ? joined.offsets[op.at - 1]! + 1 : joined.offsets[op.at]!;
      edits.push({ start: anchor, end: anchor, text: op.text });
      continue;
    }
    let start = op.start;
    let end = op.end;
    // A deletion may take the joining space between two options lines; keep that line break.
    if (joined.lineOf[start] === -1) start++;
    if (joined.lineOf[end - 1] === -1) end--;
    if (joined.lineOf[start] !== joined.lineOf[end - 1]) {
      return { ok: false, reason: 'a token to change spans two options lines; nothing was changed.' };
    }
    edits.push({ start: joined.offsets[start]!, end: joined.offsets[end - 1]! + 1, text: op.kind === 'replace' ? op.text : '' });
  }
  let out = text;
  for (const edit of edits.sort((a, b) => b.start - a.start)) out = out.slice(0, edit.start) + edit.text + out.slice(edit.end);
  return out;
}
