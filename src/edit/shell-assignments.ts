// A lexer for the small part of POSIX sh that /etc/default/grub and its grub.d drop-ins use:
// `KEY=word` and `export KEY[=word]` statements (several per line, `;`-separated or not),
// full-line and trailing comments, blank lines. A word is a concatenation of unquoted text,
// 'single-quoted' text and "double-quoted" text; inside unquoted and double-quoted text `$VAR`,
// `${VAR}`, `${VAR…}`, `$(…)` and backticks are recognised as expansions. Every value character
// keeps the byte span it came from, so an editor can change a value without touching any other
// byte. Anything else (if/fi, functions, `. file`, commands) is an `other` statement: recorded,
// never interpreted — callers refuse to edit such a file rather than guess what it does.

export type QuoteStyle = 'none' | 'single' | 'double';

export type Atom =
  /** one character of the value; [start, end) covers its escape backslash too */
  | { kind: 'char'; ch: string; start: number; end: number }
  /** a line continuation (backslash-newline): no value character */
  | { kind: 'continuation'; start: number; end: number }
  /** `$NAME` or `${NAME}` */
  | { kind: 'var'; name: string; start: number; end: number }
  /** an expansion whose value this lexer does not compute */
  | { kind: 'computed'; what: 'command' | 'backtick' | 'parameter-operation' | 'special-parameter' | 'tilde'; text: string; start: number; end: number };

export interface WordSegment {
  quote: QuoteStyle;
  /** the segment with its quotes */
  start: number;
  end: number;
  /** inside the quotes */
  contentStart: number;
  contentEnd: number;
  atoms: Atom[];
}

export interface Assignment {
  kind: 'assignment';
  name: string;
  exported: boolean;
  /** 1-based line of the name */
  line: number;
  nameStart: number;
  /** the value word: [valueStart, valueEnd) — empty for `KEY=` */
  valueStart: number;
  valueEnd: number;
  segments: WordSegment[];
}

export interface OtherStatement {
  kind: 'other';
  line: number;
  start: number;
  end: number;
  text: string;
}

export type Statement = Assignment | OtherStatement | { kind: 'export'; names: string[]; line: number };

export type LexResult =
  | { ok: true; statements: Statement[] }
  | { ok: false; reason: string; line: number };

class ShellSyntaxError extends Error {
  constructor(message: string, readonly offset: number) {
    super(message);
  }
}

const NAME_START = /[A-Za-z_]/;
const NAME_CHAR = /[A-Za-z0-9_]/;
const isBlank = (ch: string | undefined): boolean => ch === ' ' || ch === '\t';
// Characters that end an unquoted word (besides blanks and newline).
const WORD_END = new Set([';', '&', '|', '<', '>', '(', ')']);

export function lexShellAssignments(text: string): LexResult {
  const lineAt = (offset: number): number => text.slice(0, offset).split('\n').length;
  const statements: Statement[] = [];
  let p = 0;
  try {
    while (p < text.length) {
      const ch = text[p]!;
      if (isBlank(ch) || ch === '\n' || ch === ';') {
        p++;
        continue;
      }
      if (ch === '#') {
        p = endOfLine(text, p);
        continue;
      }
      const statementStart = p;
      const parsed = tryAssignments(text, p, lineAt);
      if (parsed) {
        statements.push(...parsed.statements);
        p = parsed.end;
        continue;
      }
      // Not modelled: skip to the end of the line (quote-aware, so the next line is a real one).
      const end = skipOther(text, statementStart);
      statements.push({ kind: 'other', line: lineAt(statementStart), start: statementStart, end, text: text.slice(statementStart, end) });
      p = end;
    }
  } catch (error) {
    if (error instanceof ShellSyntaxError) {
      return { ok: false, reason: error.message, line: lineAt(error.offset) };
    }
    throw error;
  }
  return { ok: true, statements };
}

function endOfLine(text: string, p: number): number {
  const nl = text.indexOf('\n', p);
  return nl === -1 ? text.length : nl;
}

/** One simple command made only of assignments (optionally `export`), up to `;`, `#` or newline. */
function tryAssignments(text: string, start: number, lineAt: (o: number) => number): { statements: Statement[]; end: number } | null {
  let p = start;
  let exported = false;
  if (text.startsWith('export', p) && isBlank(text[p + 6])) {
    exported = true;
    p += 6;
    while (isBlank(text[p])) p++;
  }
  const statements: Statement[] = [];
  const bareExports: string[] = [];
  for (;;) {
    const nameStart = p;
    if (!NAME_START.test(text[p] ?? '')) break;
    while (NAME_CHAR.test(text[p] ?? '')) p++;
    const name = text.slice(nameStart, p);
    if (text[p] === '=') {
      p++;
      const word = lexWord(text, p);
      statements.push({ kind: 'assignment', name, exported, line: lineAt(nameStart), nameStart, valueStart: p, valueEnd: word.end, segments: word.segments });
      p = word.end;
    } else if (exported && (isBlank(text[p]) || text[p] === '\n' || text[p] === ';' || p === text.length)) {
      bareExports.push(name);
    } else {
      return null;
    }
    while (isBlank(text[p])) p++;
    const next = text[p];
    if (next === undefined || next === '\n' || next === ';' || next === '#') {
      if (bareExports.length > 0) statements.push({ kind: 'export', names: bareExports, line: lineAt(start) });
      return statements.length > 0 ? { statements, end: p } : null;
    }
  }
  return null;
}

function skipOther(text: string, start: number): number {
  let p = start;
  while (p < text.length && text[p] !== '\n') {
    const ch = text[p]!;
    if (ch === '\\') p += 2;
    else if (ch === "'") p = closeSingle(text, p) + 1;
    else if (ch === '"') p = lexDouble(text, p).end;
    else if (ch === '`') p = closeBacktick(text, p) + 1;
    else if (ch === '$' && text[p + 1] === '(') p = closeParen(text, p + 2) + 1;
    else if (ch === '#' && (p === start || isBlank(text[p - 1]))) return endOfLine(text, p);
    else p++;
  }
  return Math.min(p, text.length);
}

function lexWord(text: string, start: number): { segments: WordSegment[]; end: number } {
  const segments: WordSegment[] = [];
  let p = start;
  let unquoted: WordSegment | null = null;
  const flush = (): void => {
    if (unquoted) {
      unquoted.end = unquoted.contentEnd = p;
      segments.push(unquoted);
      unquoted = null;
    }
  };
  const pushUnquoted = (atom: Atom): void => {
    unquoted ??= { quote: 'none', start: atom.start, end: atom.end, contentStart: atom.start, contentEnd: atom.end, atoms: [] };
    unquoted.atoms.push(atom);
  };
  while (p < text.length) {
    const ch = text[p]!;
    if (isBlank(ch) || ch === '\n' || WORD_END.has(ch)) break;
    if (ch === "'") {
      flush();
      const close = closeSingle(text, p);
      const atoms: Atom[] = [];
      for (let i = p + 1; i < close; i++) atoms.push({ kind: 'char', ch: text[i]!, start: i, end: i + 1 });
      segments.push({ quote: 'single', start: p, end: close + 1, contentStart: p + 1, contentEnd: close, atoms });
      p = close + 1;
    } else if (ch === '"') {
      flush();
      const segment = lexDouble(text, p);
      segments.push(segment);
      p = segment.end;
    } else if (ch === '\\') {
      if (p + 1 >= text.length) {
        pushUnquoted({ kind: 'char', ch: '\\', start: p, end: p + 1 });
        p++;
      } else if (text[p + 1] === '\n') {
        pushUnquoted({ kind: 'continuation', start: p, end: p + 2 });
        p += 2;
      } else {
        pushUnquoted({ kind: 'char', ch: text[p + 1]!, start: p, end: p + 2 });
        p += 2;
      }
    } else if (ch === '$' || ch === '`') {
      const atom = lexExpansion(text, p);
      pushUnquoted(atom);
      p = atom.end;
    } else if (ch === '~' && (p === start || text[p - 1] === ':')) {
      // Tilde expansion happens at the start of an assignment value and after ':'.
      let end = p + 1;
      while (end < text.length && /[A-Za-z0-9_.-]/.test(text[end]!)) end++;
      pushUnquoted({ kind: 'computed', what: 'tilde', text: text.slice(p, end), start: p, end });
      p = end;
    } else {
      pushUnquoted({ kind: 'char', ch, start: p, end: p + 1 });
      p++;
    }
  }
  flush();
  return { segments, end: p };
}

function closeSingle(text: string, open: number): number {
  const close = text.indexOf("'", open + 1);
  if (close === -1) throw new ShellSyntaxError('unterminated single quote', open);
  return close;
}

// Inside double quotes a backslash escapes only $ ` " \ and newline; elsewhere it is literal.
function lexDouble(text: string, open: number): WordSegment {
  const atoms: Atom[] = [];
  let p = open + 1;
  while (p < text.length && text[p] !== '"') {
    const ch = text[p]!;
    if (ch === '\\' && p + 1 < text.length && '$`"\\\n'.includes(text[p + 1]!)) {
      if (text[p + 1] === '\n') atoms.push({ kind: 'continuation', start: p, end: p + 2 });
      else atoms.push({ kind: 'char', ch: text[p + 1]!, start: p, end: p + 2 });
      p += 2;
    } else if (ch === '$' || ch === '`') {
      const atom = lexExpansion(text, p);
      atoms.push(atom);
      p = atom.end;
    } else {
      atoms.push({ kind: 'char', ch, start: p, end: p + 1 });
      p++;
    }
  }
  if (p >= text.length) throw new ShellSyntaxError('unterminated double quote', open);
  return { quote: 'double', start: open, end: p + 1, contentStart: open + 1, contentEnd: p, atoms };
}

function lexExpansion(text: string, p: number): Atom {
  if (text[p] === '`') {
    const close = closeBacktick(text, p);
    return { kind: 'computed', what: 'backtick', text: text.slice(p, close + 1), start: p, end: close + 1 };
  }
  const next = text[p + 1];
  if (next === '(') {
    const close = closeParen(text, p + 2);
    return { kind: 'computed', what: 'command', text: text.slice(p, close + 1), start: p, end: close + 1 };
  }
  if (next === '{') {
    const close = closeBrace(text, p + 2);
    const inner = text.slice(p + 2, close);
    if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(inner)) return { kind: 'var', name: inner, start: p, end: close + 1 };
    return { kind: 'computed', what: 'parameter-operation', text: text.slice(p, close + 1), start: p, end: close + 1 };
  }
  if (next !== undefined && NAME_START.test(next)) {
    let end = p + 1;
    while (end < text.length && NAME_CHAR.test(text[end]!)) end++;
    return { kind: 'var', name: text.slice(p + 1, end), start: p, end };
  }
  if (next !== undefined && /[0-9@*#?$!-]/.test(next)) {
    return { kind: 'computed', what: 'special-parameter', text: text.slice(p, p + 2), start: p, end: p + 2 };
  }
  // A lone `$` is a literal dollar sign.
  return { kind: 'char', ch: '$', start: p, end: p + 1 };
}

function closeBacktick(text: string, open: number): number {
  let p = open + 1;
  while (p < text.length && text[p] !== '`') p += text[p] === '\\' ? 2 : 1;
  if (p >= text.length) throw new ShellSyntaxError('unterminated backquote (`)', open);
  return p;
}

/** The `)` closing a `$(`; quotes, nested `$(`, `${` and backticks inside are skipped. */
function closeParen(text: string, from: number): number {
  let depth = 1;
  let p = from;
  while (p < text.length) {
    const ch = text[p]!;
    if (ch === '\\') p += 2;
    else if (ch === "'") p = closeSingle(text, p) + 1;
    else if (ch === '"') p = lexDouble(text, p).end;
    else if (ch === '`') p = closeBacktick(text, p) + 1;
    else if (ch === '$' && text[p + 1] === '{') p = closeBrace(text, p + 2) + 1;
    else if (ch === '(') {
      depth++;
      p++;
    } else if (ch === ')') {
      if (--depth === 0) return p;
      p++;
    } else p++;
  }
  throw new ShellSyntaxError('unterminated $( command substitution', from - 2);
}

function closeBrace(text: string, from: number): number {
  let p = from;
  while (p < text.length) {
    const ch = text[p]!;
    if (ch === '\\') p += 2;
    else if (ch === "'") p = closeSingle(text, p) + 1;
    else if (ch === '"') p = lexDouble(text, p).end;
    else if (ch === '`') p = closeBacktick(text, p) + 1;
    else if (ch === '$' && text[p + 1] === '(') p = closeParen(text, p + 2) + 1;
    else if (ch === '$' && text[p + 1] === '{') p = closeBrace(text, p + 2) + 1;
    else if (ch === '}') return p;
    else p++;
  }
  throw new ShellSyntaxError('unterminated ${ parameter expansion', from - 2);
}

/** Where a value character came from: its span and the segment (quoting context) holding it. */
export interface ValueChar {
  ch: string;
  start: number;
  end: number;
  segment: WordSegment;
  /** set when the character comes from expanding a variable: the `$VAR` atom */
  expansion: Extract<Atom, { kind: 'var' }> | null;
}

export type WordValue =
  | { ok: true; value: string; chars: ValueChar[] }
  | { ok: false; reason: string };

/** What sh knows when it reaches a statement: variables assigned earlier (null = not computable). */
export type ShellEnv = Map<string, string | null>;

/**
 * The value sh gives the word, if it can be known without running anything. Variables come from
 * `env`; a variable never assigned is empty when its name starts with GRUB_ (grub-mkconfig does
 * not set those before sourcing the files) and unknown otherwise.
 */
export function evaluateWord(segments: readonly WordSegment[], env: ShellEnv): WordValue {
  const chars: ValueChar[] = [];
  for (const segment of segments) {
    for (const atom of segment.atoms) {
      if (atom.kind === 'char') chars.push({ ch: atom.ch, start: atom.start, end: atom.end, segment, expansion: null });
      else if (atom.kind === 'var') {
        const value = env.has(atom.name) ? env.get(atom.name)! : atom.name.startsWith('GRUB_') ? '' : null;
        if (value === null) return { ok: false, reason: `it uses $${atom.name}, whose value is not known before the system runs the file` };
        for (const ch of value) chars.push({ ch, start: atom.start, end: atom.end, segment, expansion: atom });
      } else if (atom.kind === 'computed') {
        return { ok: false, reason: `its value is computed when the file runs (${atom.text})` };
      }
    }
  }
  return { ok: true, value: chars.map((c) => c.ch).join(''), chars };
}

/** Runs the assignments in order, as `.` would, and returns the resulting variables. */
export function evaluateStatements(statements: readonly Statement[], env: ShellEnv = new Map()): ShellEnv {
  const out: ShellEnv = new Map(env);
  for (const statement of statements) {
    if (statement.kind !== 'assignment') continue;
    const value = evaluateWord(statement.segments, out);
    out.set(statement.name, value.ok ? value.value : null);
  }
  return out;
}

/** Quotes `value` for sh in double quotes. */
export function shDoubleQuote(value: string): string {
  return `"${value.replace(/["\\$`]/g, (c) => `\\${c}`)}"`;
}
