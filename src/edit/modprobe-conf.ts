// modprobe.d: reading what is configured and writing what vfio needs, the way kmod reads it.
//
// kmod's rules that matter here (checked against the real modprobe in test/edit/modprobe-kmod.test.ts):
// - only *.conf files count; a name in /etc/modprobe.d hides the same name in /run, /usr/local/lib,
//   /lib and /usr/lib; the surviving files are read in order of their base name;
// - a line ending in "\" continues on the next; "#" starts a comment only at the start of a line;
// - module names treat "-" and "_" alike;
// - `options` lines for one module accumulate (two files setting vfio-pci ids= both apply, and the
//   kernel keeps the last ids=, which is why another file's ids= is reported as a conflict);
// - for `softdep`, the FIRST line for a module wins and later ones are ignored. So a softdep that
//   another file already declares for nouveau must be extended in that file: a second line in ours
//   would be silently dropped.
//
// Pure: callers pass the files' paths and contents.
import { normaliseModuleName } from '../isolate/host-drivers.js';

export const MODPROBE_DIRS = ['/etc/modprobe.d', '/run/modprobe.d', '/usr/local/lib/modprobe.d', '/lib/modprobe.d', '/usr/lib/modprobe.d'];
export const VFIO_MODPROBE_FILE = '/etc/modprobe.d/vfio.conf';
/** the name used instead when a package ships its own vfio.conf (see chooseModprobeFile) */
export const OWN_MODPROBE_FILE = '/etc/modprobe.d/vfio-wizard.conf';

export type ModprobeCommand = 'alias' | 'blacklist' | 'options' | 'install' | 'remove' | 'softdep' | 'weakdep' | 'include' | 'config';

export interface ModprobeStatement {
  command: ModprobeCommand | string;
  /** normalised module name (or alias pattern for `alias`) */
  module: string;
  /** the words after the module, as kmod splits them */
  args: string[];
  /** index of the first and last physical line (0-based) */
  firstLine: number;
  lastLine: number;
}

export interface ParsedModprobeFile {
  statements: ModprobeStatement[];
  /** physical lines, without their "\n" */
  lines: string[];
  /** true when the text ended with "\n" (kept as is on edit) */
  finalNewline: boolean;
}

const KNOWN: ReadonlySet<string> = new Set(['alias', 'blacklist', 'options', 'install', 'remove', 'softdep', 'weakdep', 'include', 'config']);

export function parseModprobeFile(text: string): ParsedModprobeFile {
  const finalNewline = text.endsWith('\n');
  const lines = (finalNewline ? text.slice(0, -1) : text).split('\n');
  if (text === '') lines.length = 0;
  const statements: ModprobeStatement[] = [];
  for (let i = 0; i < lines.length; i++) {
    const first = i;
    let logical = lines[i]!;
    while (logical.endsWith('\\') && i + 1 < lines.length) {
      logical = `${logical.slice(0, -1)} ${lines[++i]!}`;
    }
    const trimmed = logical.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const words = trimmed.split(/\s+/);
    const command = words[0]!;
    const raw = words[1] ?? '';
    statements.push({
      command,
      module: command === 'alias' ? raw : normaliseModuleName(raw),
      args: words.slice(2),
      firstLine: first,
      lastLine: i,
    });
  }
  return { statements, lines, finalNewline };
}

/** Statements whose command kmod does not know: libkmod ignores them with an error. */
export function unknownCommands(parsed: ParsedModprobeFile): ModprobeStatement[] {
  return parsed.statements.filter((s) => !KNOWN.has(s.command));
}

/** The config files kmod reads, in the order it reads them (see the file comment). */
export function kmodConfigOrder(paths: readonly string[]): string[] {
  const winner = new Map<string, string>();
  for (const dir of MODPROBE_DIRS) {
    for (const p of paths) {
      if (!p.startsWith(`${dir}/`)) continue;
      const base = p.slice(dir.length + 1);
      if (base.includes('/') || !base.endsWith('.conf') || base.startsWith('.')) continue;
      if (!winner.has(base)) winner.set(base, p);
    }
  }
  return [...winner.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).map((b) => winner.get(b)!);
}

/**
 * Our file's path: /etc/modprobe.d/vfio.conf (the name the seeds and most guides use; an existing one
 * is edited in place, keeping its lines). If a package ships a vfio.conf in another modprobe.d
 * directory and /etc has none, writing /etc/modprobe.d/vfio.conf would hide that file from kmod,
 * so a name of our own is used instead.
 */
export function chooseModprobeFile(paths: readonly string[]): string {
  if (paths.includes(VFIO_MODPROBE_FILE)) return VFIO_MODPROBE_FILE;
  const shipped = MODPROBE_DIRS.slice(1).some((d) => paths.includes(`${d}/vfio.conf`));
  return shipped ? OWN_MODPROBE_FILE : VFIO_MODPROBE_FILE;
}

export interface SoftdepFound {
  path: string;
  statement: ModprobeStatement;
  pre: string[];
  post: string[];
}

function softdepLists(args: string[]): { pre: string[]; post: string[] } {
  const pre: string[] = [];
  const post: string[] = [];
  let into: string[] | null = null;
  for (const a of args) {
    if (a === 'pre:') into = pre;
    else if (a === 'post:') into = post;
    else if (into) into.push(normaliseModuleName(a));
  }
  return { pre, post };
}

/** The softdep kmod uses for each module: the first one in read order. */
export function effectiveSoftdeps(files: Record<string, string | null>): Map<string, SoftdepFound> {
  const out = new Map<string, SoftdepFound>();
  for (const path of kmodConfigOrder(Object.keys(files))) {
    const text = files[path];
    if (text == null) continue;
    for (const s of parseModprobeFile(text).statements) {
      if (s.command !== 'softdep' || out.has(s.module)) continue;
      out.set(s.module, { path, statement: s, ...softdepLists(s.args) });
    }
  }
  return out;
}

export interface VfioIdsFound {
  path: string;
  ids: string[];
}

/** Every `options vfio-pci ids=` in the configuration, file by file. */
export function vfioPciIdsConfigured(files: Record<string, string | null>): VfioIdsFound[] {
  const out: VfioIdsFound[] = [];
  for (const path of kmodConfigOrder(Object.keys(files))) {
    const text = files[path];
    if (text == null) continue;
    for (const s of parseModprobeFile(text).statements) {
      if (s.command !== 'options' || s.module !== 'vfio_pci') continue;
      for (const a of s.args) if (a.startsWith('ids=')) out.push({ path, ids: splitIds(a.slice(4)) });
    }
  }
  return out;
}

const splitIds = (v: string) => v.replace(/^"|"$/g, '').split(',').map((x) => x.trim().toLowerCase()).filter((x) => x !== '');

export interface ModprobeWant {
  /** vendor:device IDs for `options vfio-pci ids=` (empty: bind by address, no ids line) */
  ids: string[];
  /** modules that must load after vfio-pci */
  softdeps: string[];
  /** modules to blacklist (explicit user choice only) */
  blacklist: string[];
  /** extra whole lines our file must hold (the by-address `install vfio-pci …` line) */
  extraLines?: string[];
}

export interface ModprobeEdit {
  /** new contents per path that changes (null entries never appear: nothing is deleted) */
  changes: Record<string, string>;
  /** human-readable notes: what was merged, what conflicts */
  notes: string[];
  /** another file's ids= that the kernel would combine with ours (the later one wins) */
  conflicts: string[];
}

const HEADER = '# Written by vfio-wizard: bind devices to vfio-pci and load it before the host drivers.';

function render(lines: string[], finalNewline: boolean): string {
  if (lines.length === 0) return '';
  return `${lines.join('\n')}${finalNewline ? '\n' : ''}`;
}

/**
 * The edits that make kmod load vfio-pci before every module in `want.softdeps`, pass our ids, and
 * blacklist what was asked. Our lines go to `ownPath`; a softdep another file declares first is
 * extended in place (only that line changes). Running it again on its own output changes nothing.
 */
export function planModprobeEdits(files: Record<string, string | null>, want: ModprobeWant, ownPath: string = VFIO_MODPROBE_FILE): ModprobeEdit {
  const notes: string[] = [];
  const conflicts: string[] = [];
  const texts = new Map<string, { lines: string[]; finalNewline: boolean; touched: boolean }>();
  const load = (p: string) => {
    let t = texts.get(p);
    if (!t) {
      const parsed = parseModprobeFile(files[p] ?? '');
      t = { lines: [...parsed.lines], finalNewline: files[p] == null ? true : parsed.finalNewline, touched: false };
      texts.set(p, t);
    }
    return t;
  };
  const own = load(ownPath);
  const appendOwn = (line: string) => {
    if (own.lines.length === 0) own.lines.push(HEADER);
    if (!own.finalNewline) own.finalNewline = true;
    own.lines.push(line);
    own.touched = true;
  };

  // softdeps: kmod's first line per module wins, so extend it wherever it is
  const first = effectiveSoftdeps({ ...files, [ownPath]: files[ownPath] ?? '' });
  for (const raw of want.softdeps) {
    const mod = normaliseModuleName(raw);
    if (mod === 'vfio_pci') continue;
    const found = first.get(mod);
    if (!found) {
      appendOwn(`softdep ${mod} pre: vfio-pci`);
      continue;
    }
    if (found.pre.includes('vfio_pci')) continue;
    const t = load(found.path);
    const s = found.statement;
    // rewrite only this statement, keeping what it listed; vfio-pci goes first in pre:
    const post = found.post.length ? ` post: ${found.post.join(' ')}` : '';
    const replacement = `softdep ${mod} pre: vfio-pci${found.pre.length ? ` ${found.pre.join(' ')}` : ''}${post}`;
    t.lines.splice(s.firstLine, s.lastLine - s.firstLine + 1, replacement, ...Array.from({ length: s.lastLine - s.firstLine }, () => ''));
    t.touched = true;
    if (found.path !== ownPath) notes.push(`${found.path} already declares a softdep for ${mod}; kmod uses only the first one, so vfio-pci was added to that line.`);
  }

  // options vfio-pci ids=: merge into our own line; report ids set elsewhere
  if (want.ids.length > 0) {
    const wanted = want.ids.map((i) => i.toLowerCase());
    for (const other of vfioPciIdsConfigured(files).filter((f) => f.path !== ownPath)) {
      conflicts.push(`${other.path} also sets vfio-pci ids=${other.ids.join(',')}; the kernel keeps only the last ids= it is given, so one list is lost. Merge them into ${ownPath} and remove that line.`);
    }
    const parsedOwn = parseModprobeFile(render(own.lines, own.finalNewline));
    const idsLine = parsedOwn.statements.find((s) => s.command === 'options' && s.module === 'vfio_pci' && s.args.some((a) => a.startsWith('ids=')));
    if (idsLine) {
      const current = splitIds(idsLine.args.find((a) => a.startsWith('ids='))!.slice(4));
      const missing = wanted.filter((i) => !current.includes(i));
      if (missing.length > 0) {
        const args = idsLine.args.map((a) => (a.startsWith('ids=') ? `ids=${[...current, ...missing].join(',')}` : a));
        own.lines.splice(idsLine.firstLine, idsLine.lastLine - idsLine.firstLine + 1, `options vfio-pci ${args.join(' ')}`, ...Array.from({ length: idsLine.lastLine - idsLine.firstLine }, () => ''));
        own.touched = true;
        notes.push(`added ${missing.join(',')} to the existing vfio-pci ids= in ${ownPath}`);
      }
    } else {
      appendOwn(`options vfio-pci ids=${wanted.join(',')}`);
    }
  }

  const ownParsed = () => parseModprobeFile(render(own.lines, own.finalNewline));
  for (const raw of want.blacklist) {
    const mod = normaliseModuleName(raw);
    if (!ownParsed().statements.some((s) => s.command === 'blacklist' && s.module === mod)) appendOwn(`blacklist ${mod}`);
  }
  for (const line of want.extraLines ?? []) {
    if (!own.lines.includes(line)) appendOwn(line);
  }

  const changes: Record<string, string> = {};
  for (const [p, t] of texts) {
    if (!t.touched) continue;
    const text = render(t.lines, t.finalNewline);
    if (text !== (files[p] ?? '')) changes[p] = text;
  }
  return { changes, notes, conflicts };
}
