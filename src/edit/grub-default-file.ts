// Editing GRUB_CMDLINE_LINUX(_DEFAULT) in /etc/default/grub, a shell file that grub-mkconfig
// sources. The edit touches only the bytes inside the value of the last assignment of the key
// (the one sh keeps), in that value's own quoting style; comments, commented-out duplicates and
// earlier assignments stay as they are. A file whose meaning cannot be known without running it
// (shell code beyond assignments, a computed value, a syntax error) is refused, never rewritten.
//
// Self-references are allowed: in `GRUB_CMDLINE_LINUX_DEFAULT="$GRUB_CMDLINE_LINUX_DEFAULT quiet"`
// the variable's earlier value is known (it was assigned above, or is empty), so the effective
// line is known and new tokens can be appended after the reference. Command substitutions
// (`$(…)`, backticks) in the edited value are refused; in other keys (GRUB_DISTRIBUTOR) they are
// harmless and left alone.

import {
  type CmdlineEditOp,
  type CmdlineEditPlan,
  type ParamConflict,
  applyCmdlineOps,
  planAddParams,
  planRemoveParams,
} from './cmdline-tokens.js';
import {
  type Assignment,
  type ShellEnv,
  type Statement,
  type ValueChar,
  type WordSegment,
  evaluateStatements,
  evaluateWord,
  lexShellAssignments,
  shDoubleQuote,
} from './shell-assignments.js';

export type GrubCmdlineKey = 'GRUB_CMDLINE_LINUX_DEFAULT' | 'GRUB_CMDLINE_LINUX';

export interface GrubEditRequest {
  key: GrubCmdlineKey;
  add: readonly string[];
  /** tokens to take out (rollback by arguments); removed before `add` is applied */
  remove?: readonly string[];
  /** replace a same-name token with another value — only with the user's consent */
  replaceConflicts: boolean;
}

export interface GrubEditSuccess {
  ok: true;
  text: string;
  changed: boolean;
  added: string[];
  removed: string[];
  alreadyPresent: string[];
  conflicts: ParamConflict[];
  /** the key's effective value before and after (what sh computes) */
  before: string;
  after: string;
  /** the bytes that differ: text[start, oldEnd) became newText[start, newEnd); null when unchanged */
  change: { start: number; oldEnd: number; newEnd: number } | null;
  /** true when the key had no assignment and a new line was appended */
  appendedLine: boolean;
}

export type GrubEditResult = GrubEditSuccess | { ok: false; reason: string };

type Parsed = { ok: true; statements: Statement[] } | { ok: false; reason: string };

function parseGrubFile(text: string): Parsed {
  const lexed = lexShellAssignments(text);
  if (!lexed.ok) {
    return { ok: false, reason: `line ${lexed.line}: ${lexed.reason}, so sh itself cannot read this file. Fix the file first (check with: sh -n /etc/default/grub); nothing was changed.` };
  }
  const other = lexed.statements.find((s) => s.kind === 'other');
  if (other && other.kind === 'other') {
    return {
      ok: false,
      reason: `line ${other.line} (${JSON.stringify(other.text.slice(0, 60))}) is shell code, not a plain assignment; this editor cannot tell what it does to the kernel command line, so it will not rewrite the file. Add the parameters by hand, or use a drop-in; nothing was changed.`,
    };
  }
  return { ok: true, statements: lexed.statements };
}

export type GrubVarResult =
  | { ok: true; value: string | null }
  | { ok: false; reason: string };

/** The value sh gives `key` after sourcing `text` (null = never assigned), when it can be known. */
export function readGrubVar(text: string, key: string, env: ShellEnv = new Map()): GrubVarResult {
  const parsed = parseGrubFile(text);
  if (!parsed.ok) return parsed;
  if (!parsed.statements.some((s) => s.kind === 'assignment' && s.name === key)) {
    return { ok: true, value: env.get(key) ?? null };
  }
  const result = evaluateStatements(parsed.statements, env);
  const value = result.get(key);
  if (value === null || value === undefined) {
    const last = lastAssignment(parsed.statements, key)!;
    const why = evaluateWord(last.segments, evaluateStatements(parsed.statements.slice(0, parsed.statements.indexOf(last)), env));
    return { ok: false, reason: `${key} on line ${last.line} cannot be read: ${why.ok ? 'unknown' : why.reason}` };
  }
  return { ok: true, value };
}

/**
 * Sources files in order (main file, then grub.d/*.cfg in glob order, as grub-mkconfig does) and
 * returns the variables, or the first file that cannot be understood.
 */
export function evaluateGrubFiles(files: readonly { name: string; text: string }[]): { ok: true; env: ShellEnv } | { ok: false; reason: string; file: string } {
  let env: ShellEnv = new Map();
  for (const file of files) {
    const parsed = parseGrubFile(file.text);
    if (!parsed.ok) return { ok: false, reason: parsed.reason, file: file.name };
    env = evaluateStatements(parsed.statements, env);
  }
  return { ok: true, env };
}

function lastAssignment(statements: readonly Statement[], key: string): Assignment | undefined {
  return statements.filter((s): s is Assignment => s.kind === 'assignment' && s.name === key).at(-1);
}

export function editGrubDefault(text: string, request: GrubEditRequest): GrubEditResult {
  let current = text;
  const removed: string[] = [];
  let conflicts: ParamConflict[] = [];
  let added: string[] = [];
  let alreadyPresent: string[] = [];
  let before: string | null = null;
  let appendedLine = false;

  // Separators that come from a referenced variable cannot be removed with a token.
  type Step = (value: string, fixed: (index: number) => boolean) => CmdlineEditPlan;
  const steps: Step[] = [];
  if (request.remove && request.remove.length > 0) {
    const toRemove = request.remove;
    steps.push((value, fixed) => {
      const plan = planRemoveParams(value, toRemove, fixed);
      removed.push(...plan.removed);
      return { ops: plan.ops, added: [], alreadyPresent: [], conflicts: [] };
    });
  }
  steps.push((value, fixed) => {
    const plan = planAddParams(value, request.add, { replaceConflicts: request.replaceConflicts, fixed });
    added = plan.added;
    alreadyPresent = plan.alreadyPresent;
    conflicts = plan.conflicts;
    return plan;
  });

  for (const step of steps) {
    const result = editOnce(current, request.key, step);
    if (!result.ok) return result;
    before ??= result.before;
    current = result.text;
    appendedLine ||= result.appendedLine;
  }
  const after = readGrubVar(current, request.key);
  if (!after.ok) return after;
  return {
    ok: true,
    text: current,
    changed: current !== text,
    added,
    removed,
    alreadyPresent,
    conflicts,
    before: before ?? '',
    after: after.value ?? '',
    change: diffSpan(text, current),
    appendedLine,
  };
}

function diffSpan(a: string, b: string): GrubEditSuccess['change'] {
  if (a === b) return null;
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let tail = 0;
  while (tail < a.length - start && tail < b.length - start && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  return { start, oldEnd: a.length - tail, newEnd: b.length - tail };
}

type OnceResult = { ok: true; text: string; before: string; appendedLine: boolean } | { ok: false; reason: string };

function editOnce(text: string, key: GrubCmdlineKey, planFor: (value: string, fixed: (index: number) => boolean) => CmdlineEditPlan): OnceResult {
  const parsed = parseGrubFile(text);
  if (!parsed.ok) return parsed;
  const target = lastAssignment(parsed.statements, key);

  if (!target) {
    const plan = planFor('', () => false);
    const value = applyCmdlineOps('', plan.ops);
    if (value === '') return { ok: true, text, before: '', appendedLine: false };
    const separator = text === '' || text.endsWith('\n') ? '' : '\n';
    const next = `${text}${separator}${key}=${shDoubleQuote(value)}\n`;
    return verify(text, next, key, value, '', true);
  }

  const envBefore = evaluateStatements(parsed.statements.slice(0, parsed.statements.indexOf(target)));
  const word = evaluateWord(target.segments, envBefore);
  if (!word.ok) {
    return { ok: false, reason: `${key} on line ${target.line} cannot be edited safely: ${word.reason}. Edit it by hand or replace the computed part with plain text; nothing was changed.` };
  }
  const plan = planFor(word.value, (index) => word.chars[index]?.expansion != null);
  if (plan.ops.length === 0) return { ok: true, text, before: word.value, appendedLine: false };
  const ops = plan.ops.map((op) => moveOutOfExpansion(op, word.chars));
  const expected = applyCmdlineOps(word.value, ops);

  const edits = mapOps(target, word.chars, ops);
  if (!edits.ok) return { ok: false, reason: `${key} on line ${target.line} cannot be edited safely: ${edits.reason}; nothing was changed.` };
  let next = text;
  for (const edit of [...edits.edits].sort((a, b) => b.start - a.start || b.end - a.end)) {
    next = next.slice(0, edit.start) + edit.text + next.slice(edit.end);
  }
  return verify(text, next, key, expected, word.value, false);
}

// The edit is checked by reading the result back: the key must hold exactly the planned line and
// every other variable must be unchanged. This catches any quoting mistake before it can reach
// a boot loader.
function verify(original: string, next: string, key: string, expected: string, before: string, appendedLine: boolean): OnceResult {
  const a = parseGrubFile(original);
  const b = parseGrubFile(next);
  if (!a.ok || !b.ok) return { ok: false, reason: `internal check failed: the edited ${key} could not be read back; nothing was changed.` };
  const envA = evaluateStatements(a.statements);
  const envB = evaluateStatements(b.statements);
  const value = envB.get(key);
  const othersSame = [...new Set([...envA.keys(), ...envB.keys()])].every((name) => name === key || envA.get(name) === envB.get(name));
  if (value !== expected || !othersSame) {
    return { ok: false, reason: `internal check failed: editing ${key} would not give the planned value when sh reads the file; nothing was changed.` };
  }
  return { ok: true, text: next, before, appendedLine };
}

interface SourceEdit {
  start: number;
  end: number;
  text: string;
}

const PLAIN_UNQUOTED = /^[A-Za-z0-9_.,:=/+@%^-]*$/;

function encodeFor(quote: WordSegment['quote'], text: string): string | null {
  if (quote === 'double') return text.replace(/["\\$`]/g, (c) => `\\${c}`);
  if (quote === 'single') return text.replaceAll("'", `'\\''`);
  return PLAIN_UNQUOTED.test(text) && !text.startsWith('~') ? text : null;
}

// A value that is one unquoted run of plain characters (`GRUB_CMDLINE_LINUX_DEFAULT=quiet`) may be
// wrapped in double quotes when a space must be added; anything else unquoted gets a quoted
// segment spliced in (`$X" new"`), which sh concatenates.
function isPlainUnquotedWord(target: Assignment): boolean {
  if (target.segments.length === 0) return true;
  if (target.segments.length > 1) return false;
  const segment = target.segments[0]!;
  return segment.quote === 'none' && segment.atoms.every((a) => a.kind === 'char' && a.end - a.start === 1 && PLAIN_UNQUOTED.test(a.ch));
}

type MappedEdits = { ok: true; edits: SourceEdit[] } | { ok: false; reason: string };

function mapOps(target: Assignment, chars: ValueChar[], ops: readonly CmdlineEditOp[]): MappedEdits {
  const value = chars.map((c) => c.ch).join('');
  const edits: SourceEdit[] = [];
  let needsWrap = false;
  for (const op of ops) {
    const mapped = op.kind === 'insert' ? mapInsert(target, chars, op.at) : mapRange(chars, op.start, op.end);
    if (!mapped.ok) return mapped;
    const wanted = op.kind === 'delete' ? '' : op.text;
    let encoded = encodeFor(mapped.quote, wanted);
    if (encoded === null) {
      if (isPlainUnquotedWord(target)) {
        needsWrap = true;
        break;
      }
      encoded = shDoubleQuote(wanted);
    }
    if (/^[A-Za-z0-9_]/.test(encoded) && endsUnbracedVar(target, mapped.start)) {
      // `$NAME` directly before would swallow the text into the name; an empty "" ends it.
      encoded = `""${encoded}`;
    }
    edits.push({ start: mapped.start, end: mapped.end, text: encoded });
  }
  if (needsWrap) {
    return { ok: true, edits: [{ start: target.valueStart, end: target.valueEnd, text: shDoubleQuote(applyCmdlineOps(value, ops)) }] };
  }
  return { ok: true, edits: dropEmptiedSegments(target, edits, applyCmdlineOps(value, ops) === '') };
}

// A quoted part that removals leave empty goes entirely (usually one an earlier addition
// created), so rollback by arguments gives back the original bytes. When the whole value
// becomes empty the first quoted part stays, so `KEY=$X""` keeps the quotes new text went into.
function dropEmptiedSegments(target: Assignment, edits: SourceEdit[], valueEmpties: boolean): SourceEdit[] {
  if (target.segments.length < 2) return edits;
  const firstQuoted = target.segments.find((seg) => seg.quote !== 'none');
  let out = edits;
  for (const segment of target.segments) {
    if (valueEmpties && segment === firstQuoted) continue;
    if (segment.quote === 'none' || segment.contentStart === segment.contentEnd) continue;
    const inside = out.filter((e) => e.text === '' && e.start >= segment.contentStart && e.end <= segment.contentEnd).sort((a, b) => a.start - b.start);
    let cursor = segment.contentStart;
    for (const e of inside) if (e.start === cursor) cursor = e.end;
    if (cursor !== segment.contentEnd) continue;
    out = [...out.filter((e) => !inside.includes(e)), { start: segment.start, end: segment.end, text: '' }];
  }
  return out;
}

// New tokens go right after the last token; when that token ends inside a referenced value
// followed by whitespace of the same value (`EXTRA="a b "`), nothing can be inserted there.
// Inserting " new" before a whitespace run is the same command line as "new " after it, so
// the insertion moves past the reference.
function moveOutOfExpansion(op: CmdlineEditOp, chars: ValueChar[]): CmdlineEditOp {
  if (op.kind !== 'insert' || !op.text.startsWith(' ')) return op;
  const expansion = chars[op.at - 1]?.expansion;
  if (!expansion || chars[op.at]?.expansion !== expansion) return op;
  let end = op.at;
  while (chars[end]?.expansion === expansion) {
    if (!/\s/.test(chars[end]!.ch)) return op;
    end++;
  }
  return { kind: 'insert', at: end, text: `${op.text.slice(1)} ` };
}

function endsUnbracedVar(target: Assignment, offset: number): boolean {
  return target.segments.some((seg) => seg.atoms.some((a) => a.kind === 'var' && a.end === offset && a.end - a.start === a.name.length + 1));
}

type MappedPosition = { ok: true; start: number; end: number; quote: WordSegment['quote'] } | { ok: false; reason: string };

function mapRange(chars: ValueChar[], start: number, end: number): MappedPosition {
  const span = chars.slice(start, end);
  const first = span[0];
  const last = span[span.length - 1];
  if (!first || !last) return { ok: false, reason: 'an empty range was planned' };
  const fromExpansion = span.find((c) => c.expansion);
  if (fromExpansion) {
    return { ok: false, reason: `the token to change comes from ${fromExpansion.expansion!.name === '' ? 'an expansion' : `$${fromExpansion.expansion!.name}`}, defined elsewhere` };
  }
  if (span.some((c) => c.segment !== first.segment)) {
    return { ok: false, reason: `the token ${JSON.stringify(span.map((c) => c.ch).join(''))} is split across several quoted parts` };
  }
  return { ok: true, start: first.start, end: last.end, quote: first.segment.quote };
}

function mapInsert(target: Assignment, chars: ValueChar[], at: number): MappedPosition {
  const before = chars[at - 1];
  const after = chars[at];
  if (before?.expansion && before.expansion === after?.expansion) {
    return { ok: false, reason: `new parameters belong before the \`--\` that comes from $${before.expansion.name}, inside a value defined elsewhere` };
  }
  if (before) {
    const position = before.expansion ? before.expansion.end : before.end;
    return { ok: true, start: position, end: position, quote: before.segment.quote };
  }
  if (after) {
    const position = after.expansion ? after.expansion.start : after.start;
    return { ok: true, start: position, end: position, quote: after.segment.quote };
  }
  // Empty value: inside the first pair of quotes if there is one, else at the end of the word.
  const quoted = target.segments.find((s) => s.quote !== 'none');
  if (quoted) return { ok: true, start: quoted.contentStart, end: quoted.contentStart, quote: quoted.quote };
  return { ok: true, start: target.valueEnd, end: target.valueEnd, quote: 'none' };
}
