// Kernel command line tokens, read the way the kernel's own parser (lib/cmdline.c next_arg)
// reads them: tokens are separated by whitespace, a double quote protects whitespace until the
// next double quote (`param="a b"`), and a bare `--` ends the kernel's parameters — everything
// after it belongs to init and is never touched.
//
// Editing is expressed as a list of small operations on the original string so that callers that
// hold the line inside another syntax (a shell-quoted GRUB value, a BLS `options` line) can map
// each operation back to their own bytes and change nothing else.

export interface CmdlineToken {
  /** the token exactly as written, quotes included */
  text: string;
  start: number;
  end: number;
  /** the name as written (quotes removed), before the first `=` */
  name: string;
  /** the value after the first `=` (kernel-style: one pair of surrounding quotes removed); undefined for a flag */
  value: string | undefined;
}

export interface TokenizedCmdline {
  /** kernel parameters, in order */
  tokens: CmdlineToken[];
  /** the `--` token when present; tokens after it are init's and are not in `tokens` */
  separator: CmdlineToken | null;
}

// The kernel's isspace(): space, \t, \n, \v, \f, \r.
const isSpace = (ch: string): boolean => ch === ' ' || (ch >= '\t' && ch <= '\r');

export function tokenizeCmdline(line: string): TokenizedCmdline {
  const tokens: CmdlineToken[] = [];
  let i = 0;
  while (i < line.length) {
    while (i < line.length && isSpace(line[i]!)) i++;
    if (i >= line.length) break;
    const start = i;
    let inQuote = false;
    while (i < line.length && (inQuote || !isSpace(line[i]!))) {
      if (line[i] === '"') inQuote = !inQuote;
      i++;
    }
    const token = describeToken(line.slice(start, i), start);
    if (token.text === '--') return { tokens, separator: token };
    tokens.push(token);
  }
  return { tokens, separator: null };
}

function describeToken(text: string, start: number): CmdlineToken {
  const eq = text.indexOf('=');
  const rawName = eq === -1 ? text : text.slice(0, eq);
  const name = rawName.replaceAll('"', '');
  let value: string | undefined;
  if (eq !== -1) {
    value = text.slice(eq + 1);
    // The kernel strips one leading quote of the value and a matching trailing one.
    if (value.startsWith('"')) value = value.slice(1, value.endsWith('"') && value.length > 1 ? -1 : undefined);
  }
  return { text, start, end: start + text.length, name, value };
}

/** Parameter names compare with `-` and `_` equal (the kernel's parameq); values compare exactly. */
export function normalizeParamName(name: string): string {
  return name.replaceAll('-', '_');
}

export function sameParamName(a: string, b: string): boolean {
  return normalizeParamName(a) === normalizeParamName(b);
}

export function parseParam(param: string): CmdlineToken {
  const trimmed = param.trim();
  if (trimmed === '' || tokenizeCmdline(trimmed).tokens.length !== 1) {
    throw new Error(`not a single kernel parameter: ${JSON.stringify(param)}`);
  }
  return describeToken(trimmed, 0);
}

// `vfio-pci.ids` is a module_param_string: only its last occurrence counts, and it holds a
// comma-separated list. Adding IDs therefore merges into the existing list (order kept, IDs
// compared case-insensitively) instead of adding a second token that would silently replace it.
const LIST_PARAMS = new Set(['vfio_pci.ids']);
const isListParam = (name: string): boolean => LIST_PARAMS.has(normalizeParamName(name));
const splitList = (value: string | undefined): string[] =>
  (value ?? '').split(',').filter((item) => item !== '');
const sameListItem = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();

function tokenEquals(token: CmdlineToken, param: CmdlineToken): boolean {
  return sameParamName(token.name, param.name) && token.value === param.value;
}

export function hasParam(line: string, param: string): boolean {
  const wanted = parseParam(param);
  const { tokens } = tokenizeCmdline(line);
  if (isListParam(wanted.name)) {
    const last = [...tokens].reverse().find((t) => sameParamName(t.name, wanted.name));
    const have = splitList(last?.value);
    return splitList(wanted.value).every((id) => have.some((h) => sameListItem(h, id)));
  }
  return tokens.some((t) => tokenEquals(t, wanted));
}

export type CmdlineEditOp =
  | { kind: 'insert'; at: number; text: string }
  | { kind: 'replace'; start: number; end: number; text: string }
  | { kind: 'delete'; start: number; end: number };

export interface ParamConflict {
  /** the parameter that was asked for */
  wanted: string;
  /** the existing tokens with the same name and another value */
  existing: string[];
  /** true when the existing tokens were replaced (the caller consented) */
  replaced: boolean;
}

export interface CmdlineEditPlan {
  ops: CmdlineEditOp[];
  /** what was really added (for a merged list parameter: only the new part, e.g. `vfio-pci.ids=10de:1b81`) */
  added: string[];
  alreadyPresent: string[];
  conflicts: ParamConflict[];
}

export interface AddParamsOptions {
  /** replace an existing token of the same name and another value (only with the user's consent) */
  replaceConflicts: boolean;
  /** characters a removal must not take as its separator (e.g. ones a shell variable supplies) */
  fixed?: (index: number) => boolean;
}

/**
 * Plans adding `params` to `line`: new tokens go after the last kernel parameter (before `--`),
 * nothing is duplicated, existing tokens keep their order and spacing. A same-name token with
 * another value is a conflict: reported, and replaced in place only with `replaceConflicts`
 * (the last occurrence is replaced, earlier ones of that name are removed, so the result has it
 * once). Planning twice on the result yields no operations.
 */
export function planAddParams(line: string, params: readonly string[], options: AddParamsOptions): CmdlineEditPlan {
  const { tokens, separator } = tokenizeCmdline(line);
  // The working line: original tokens (possibly rewritten) followed by appended ones.
  const entries: { origin: CmdlineToken | null; text: string }[] = tokens.map((t) => ({ origin: t, text: t.text }));
  const added: string[] = [];
  const alreadyPresent: string[] = [];
  const conflicts: ParamConflict[] = [];

  for (const param of params) {
    const wanted = parseParam(param);
    const view = entries.map((e) => describeToken(e.text, 0));
    const sameName = view.flatMap((t, index) => (sameParamName(t.name, wanted.name) ? [index] : []));
    const lastIndex = sameName[sameName.length - 1];

    if (isListParam(wanted.name) && wanted.value !== undefined && lastIndex !== undefined) {
      const holder = view[lastIndex]!;
      const have = splitList(holder.value);
      const missing = splitList(wanted.value).filter((id, index, list) =>
        !have.some((h) => sameListItem(h, id)) && list.findIndex((x) => sameListItem(x, id)) === index);
      if (missing.length === 0) {
        alreadyPresent.push(param);
        continue;
      }
      entries[lastIndex]!.text = `${holder.text.slice(0, holder.text.indexOf('=') + 1)}${[...have, ...missing].join(',')}`;
      added.push(`${wanted.name}=${missing.join(',')}`);
      continue;
    }
    if (sameName.some((index) => view[index]!.value === wanted.value)) {
      alreadyPresent.push(param);
      continue;
    }
    if (lastIndex !== undefined) {
      conflicts.push({ wanted: param, existing: sameName.map((index) => view[index]!.text), replaced: options.replaceConflicts });
      if (!options.replaceConflicts) continue;
      entries[lastIndex]!.text = wanted.text;
      for (const index of sameName.slice(0, -1).reverse()) entries.splice(index, 1);
      added.push(wanted.text);
      continue;
    }
    entries.push({ origin: null, text: wanted.text });
    added.push(wanted.text);
  }

  const ops: CmdlineEditOp[] = [];
  const kept = new Set(entries.map((e) => e.origin));
  ops.push(...deleteOps(line, tokens.filter((t) => !kept.has(t)), options.fixed));
  for (const entry of entries) {
    if (entry.origin && entry.text !== entry.origin.text) {
      ops.push({ kind: 'replace', start: entry.origin.start, end: entry.origin.end, text: entry.text });
    }
  }
  const appended = entries.filter((e) => e.origin === null).map((e) => e.text);
  const survivors = tokens.filter((t) => kept.has(t));
  if (appended.length > 0) ops.push(insertOp(line, survivors, separator, appended));
  return { ops: settleOps(ops), added, alreadyPresent, conflicts };
}

function opStart(op: CmdlineEditOp): number {
  return op.kind === 'insert' ? op.at : op.start;
}

function insertOp(line: string, tokens: CmdlineToken[], separator: CmdlineToken | null, appended: string[]): CmdlineEditOp {
  const last = tokens[tokens.length - 1];
  if (last) return { kind: 'insert', at: last.end, text: ` ${appended.join(' ')}` };
  if (separator) return { kind: 'insert', at: separator.start, text: `${appended.join(' ')} ` };
  return { kind: 'insert', at: line.length, text: appended.join(' ') };
}

// Removed tokens take one separating whitespace character each — the one before them, or the one
// after when the one before is the line start or already taken by a neighbour — so the spacing
// that remains is what it was before the tokens were added.
function deleteOps(line: string, doomed: Iterable<CmdlineToken>, fixed: (index: number) => boolean = () => false): CmdlineEditOp[] {
  const ops: CmdlineEditOp[] = [];
  let claimedUpTo = 0;
  for (const token of [...doomed].sort((a, b) => a.start - b.start)) {
    let start = token.start;
    let end = token.end;
    if (start > claimedUpTo && isSpace(line[start - 1]!) && !fixed(start - 1)) start--;
    else if (end < line.length && isSpace(line[end]!) && !fixed(end)) end++;
    ops.push({ kind: 'delete', start, end });
    claimedUpTo = end;
  }
  return ops;
}

// Sorted by position (an insert before a replacement at the same place); never overlapping.
function settleOps(ops: CmdlineEditOp[]): CmdlineEditOp[] {
  return [...ops].sort((a, b) => opStart(a) - opStart(b) || (a.kind === 'insert' ? 0 : 1) - (b.kind === 'insert' ? 0 : 1));
}

/** Applies non-overlapping operations (as planned here) from the end, so offsets stay valid. */
export function applyCmdlineOps(line: string, ops: readonly CmdlineEditOp[]): string {
  let out = line;
  for (const op of [...settleOps([...ops])].reverse()) {
    if (op.kind === 'insert') out = out.slice(0, op.at) + op.text + out.slice(op.at);
    else out = out.slice(0, op.start) + (op.kind === 'replace' ? op.text : '') + out.slice(op.end);
  }
  return out;
}

export interface AddParamsResult {
  line: string;
  added: string[];
  alreadyPresent: string[];
  conflicts: ParamConflict[];
}

export function addParams(line: string, params: readonly string[], options: AddParamsOptions): AddParamsResult {
  const plan = planAddParams(line, params, options);
  return { line: applyCmdlineOps(line, plan.ops), added: plan.added, alreadyPresent: plan.alreadyPresent, conflicts: plan.conflicts };
}

export interface RemovePlan {
  ops: CmdlineEditOp[];
  removed: string[];
  absent: string[];
}

/**
 * Plans removing `params` (rollback by arguments): every token equal to one of them goes; for a
 * list parameter only the named IDs leave the list, and the token goes when its list empties.
 * Rollback by restoring the original bytes is preferred; this is for lines edited since.
 */
export function planRemoveParams(line: string, params: readonly string[], fixed?: (index: number) => boolean): RemovePlan {
  const { tokens } = tokenizeCmdline(line);
  const deletions = new Set<CmdlineToken>();
  const replacements = new Map<CmdlineToken, string>();
  const removed: string[] = [];
  const absent: string[] = [];
  for (const param of params) {
    const wanted = parseParam(param);
    let hit = false;
    for (const token of tokens) {
      if (deletions.has(token)) continue;
      const now = replacements.has(token) ? describeToken(replacements.get(token)!, 0) : token;
      if (!sameParamName(now.name, wanted.name)) continue;
      if (isListParam(wanted.name) && wanted.value !== undefined) {
        const drop = splitList(wanted.value);
        const items = splitList(now.value);
        const kept = items.filter((id) => !drop.some((d) => sameListItem(d, id)));
        if (kept.length === items.length) continue;
        hit = true;
        if (kept.length === 0) deletions.add(token);
        else replacements.set(token, `${now.text.slice(0, now.text.indexOf('=') + 1)}${kept.join(',')}`);
      } else if (now.value === wanted.value) {
        hit = true;
        deletions.add(token);
      }
    }
    (hit ? removed : absent).push(param);
  }
  const ops: CmdlineEditOp[] = [];
  for (const [token, text] of replacements) {
    if (!deletions.has(token)) ops.push({ kind: 'replace', start: token.start, end: token.end, text });
  }
  ops.push(...deleteOps(line, deletions, fixed));
  return { ops: settleOps(ops), removed, absent };
}

export function removeParams(line: string, params: readonly string[]): { line: string; removed: string[]; absent: string[] } {
  const plan = planRemoveParams(line, params);
  return { line: applyCmdlineOps(line, plan.ops), removed: plan.removed, absent: plan.absent };
}
