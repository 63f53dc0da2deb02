// The GRUB drop-in: on Debian-family systems grub-mkconfig sources /etc/default/grub and then every
// /etc/default/grub.d/*.cfg in glob order, so a drop-in that appends to the variable leaves the
// user's file untouched and is undone by deleting one file. It must be read last: an earlier
// drop-in's tokens survive (we append to them), a later one that assigns the variable outright
// (Ubuntu cloud images ship 50-cloudimg-settings.cfg doing exactly that) would drop ours.
//
// Pure: the caller passes file names and contents; nothing here reads the disk.

import type { DistroFacts } from '../host/types.js';
import { planAddParams, tokenizeCmdline, type ParamConflict } from './cmdline-tokens.js';
import { evaluateGrubFiles, readGrubVar, type GrubCmdlineKey } from './grub-default-file.js';
import { lexShellAssignments, shDoubleQuote } from './shell-assignments.js';

export const GRUB_DROPIN_DIR = '/etc/default/grub.d';
const OWN_NAME = /^(?:99|z+)-vfio-wizard\.cfg$/;
const CANDIDATES = ['99-vfio-wizard.cfg', ...Array.from({ length: 8 }, (_, i) => `${'z'.repeat(i + 2)}-vfio-wizard.cfg`)];

export function isOwnDropin(name: string): boolean {
  return OWN_NAME.test(name);
}

/** The names grub-mkconfig's `for x in grub.d/*.cfg` visits. */
export function sourcedDropins(names: readonly string[]): string[] {
  return names.filter((n) => n.endsWith('.cfg') && !n.startsWith('.')).sort(byteOrder);
}

// /bin/sh on Debian is dash, whose glob sorts by bytes; with bash as /bin/sh the locale's
// collation applies, which (for en_US and C.UTF-8 alike) ranks letters after digits and mostly
// ignores punctuation and case. The chosen name must come last under both.
function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
function collationKey(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, '');
}

/** A drop-in name that sorts after every other *.cfg in grub.d (our own earlier files excepted). */
export function grubDropinName(existing: readonly string[]): { ok: true; name: string } | { ok: false; reason: string } {
  const others = sourcedDropins(existing).filter((n) => !isOwnDropin(n));
  const current = sourcedDropins(existing).filter(isOwnDropin);
  const sortsLast = (candidate: string): boolean =>
    others.every((o) => byteOrder(candidate, o) > 0 && collationKey(candidate) > collationKey(o));
  const reuse = current.find(sortsLast);
  if (reuse) return { ok: true, name: reuse };
  const name = CANDIDATES.find(sortsLast);
  if (name) return { ok: true, name };
  return { ok: false, reason: `no file name sorts after every file in ${GRUB_DROPIN_DIR} (${others.join(', ')}); edit /etc/default/grub instead` };
}

const HEADER = [
  '# Written by vfio-wizard: kernel parameters for PCI passthrough (VFIO).',
  '# update-grub reads this after /etc/default/grub. To undo: delete this file, run update-grub.',
];

export function renderGrubDropin(key: GrubCmdlineKey, tokens: readonly string[]): string {
  const appended = tokens.map((t) => ` ${t}`).join('');
  // `${KEY}` keeps whatever the files before this one set; the braces keep the name from running
  // into the first token.
  const quoted = shDoubleQuote(appended).slice(1, -1);
  return `${HEADER.join('\n')}\n${key}="\${${key}}${quoted}"\n`;
}

/** The tokens one of our drop-ins appends, or null when the file is not in the shape we write. */
export function readOwnDropinTokens(text: string, key: GrubCmdlineKey): string[] | null {
  const lexed = lexShellAssignments(text);
  if (!lexed.ok || lexed.statements.length !== 1) return null;
  const statement = lexed.statements[0]!;
  if (statement.kind !== 'assignment' || statement.name !== key) return null;
  const first = statement.segments[0]?.atoms[0];
  if (!first || first.kind !== 'var' || first.name !== key) return null;
  const value = readGrubVar(text, key, new Map([[key, '']]));
  if (!value.ok || value.value === null) return null;
  return tokenizeCmdline(value.value).tokens.map((t) => t.text);
}

/** Debian's grub packages (Debian, Ubuntu, Mint, Pop!_OS, Proxmox, Kali …) read grub.d/*.cfg; upstream GRUB does not. */
export function readsGrubDropins(distro: Pick<DistroFacts, 'id' | 'idLike'>): boolean {
  const ids = [distro.id ?? '', ...distro.idLike].map((s) => s.toLowerCase());
  return ids.some((id) => id === 'debian' || id === 'ubuntu');
}

export interface GrubPlacementInput {
  distro: Pick<DistroFacts, 'id' | 'idLike'>;
  key: GrubCmdlineKey;
  /** /etc/default/grub */
  mainText: string;
  /** every file in /etc/default/grub.d (names as listed; contents of the *.cfg ones) */
  dropins: readonly { name: string; text: string }[];
  add: readonly string[];
  replaceConflicts: boolean;
}

export type GrubPlacement =
  /** write `content` to grub.d/`name` (null content: the drop-in is no longer needed) and delete `remove` */
  | {
      kind: 'dropin';
      name: string;
      content: string | null;
      remove: string[];
      unchanged: boolean;
      added: string[];
      alreadyPresent: string[];
      conflicts: ParamConflict[];
    }
  /** edit /etc/default/grub itself with editGrubDefault */
  | { kind: 'direct'; reason: string }
  | { kind: 'refuse'; reason: string };

export function planGrubCmdline(input: GrubPlacementInput): GrubPlacement {
  if (!readsGrubDropins(input.distro)) {
    return { kind: 'direct', reason: 'this distribution\'s grub-mkconfig does not read /etc/default/grub.d, so /etc/default/grub is edited' };
  }
  const sourced = sourcedDropins(input.dropins.map((d) => d.name));
  const own = sourced.filter(isOwnDropin);
  const others = sourced.filter((n) => !isOwnDropin(n));
  const textOf = (name: string): string => input.dropins.find((d) => d.name === name)?.text ?? '';

  const chain = evaluateGrubFiles([{ name: '/etc/default/grub', text: input.mainText }, ...others.map((n) => ({ name: `${GRUB_DROPIN_DIR}/${n}`, text: textOf(n) }))]);
  if (!chain.ok) return { kind: 'refuse', reason: `${chain.file}: ${chain.reason}` };
  const base = chain.env.get(input.key);
  if (base === null) return { kind: 'refuse', reason: `${input.key} is computed when the files run, so its value cannot be known; nothing was changed` };

  const ownTokens: string[] = [];
  for (const name of own) {
    const tokens = readOwnDropinTokens(textOf(name), input.key);
    if (tokens === null) {
      return { kind: 'refuse', reason: `${GRUB_DROPIN_DIR}/${name} was changed by hand and is no longer in the form vfio-wizard writes; move it away or restore it, then retry; nothing was changed` };
    }
    ownTokens.push(...tokens);
  }

  const plan = planAddParams(base ?? '', [...ownTokens, ...input.add], { replaceConflicts: input.replaceConflicts });
  // a `--` in the value hands what follows to init: appended parameters would land there, unseen
  // by the kernel, so they must go in before it — in place (found by the generated drop-in test)
  if (plan.added.length > 0 && tokenizeCmdline(base ?? '').separator !== null) {
    if (others.some((n) => hasAssignment(textOf(n), input.key))) {
      return { kind: 'refuse', reason: `${input.key} holds "--" (init's arguments follow it) and is set by a drop-in in ${GRUB_DROPIN_DIR}: the parameters must go before "--" in that file; edit it by hand; nothing was changed` };
    }
    return { kind: 'direct', reason: `${input.key} holds "--" (init's arguments follow it): the parameters go in before it, which a drop-in that only appends cannot do` };
  }
  const needsInPlace = plan.ops.some((op) => op.kind !== 'insert');
  if (needsInPlace) {
    if (others.some((n) => hasAssignment(textOf(n), input.key))) {
      return { kind: 'refuse', reason: `a token that must change in place (${describeInPlace(plan.conflicts, plan.added)}) is set by a drop-in in ${GRUB_DROPIN_DIR}; edit that file by hand; nothing was changed` };
    }
    return { kind: 'direct', reason: `an existing token must change in place (${describeInPlace(plan.conflicts, plan.added)}), which a drop-in that only appends cannot do` };
  }

  const named = grubDropinName(input.dropins.map((d) => d.name));
  if (!named.ok) return { kind: 'direct', reason: named.reason };
  const content = plan.added.length > 0 ? renderGrubDropin(input.key, plan.added) : null;
  const remove = own.filter((n) => n !== named.name);
  const existing = own.includes(named.name) ? textOf(named.name) : null;
  const wanted = input.add;
  return {
    kind: 'dropin',
    name: named.name,
    content,
    remove: content === null && existing !== null ? [...remove, named.name] : remove,
    unchanged: remove.length === 0 && existing === content,
    added: plan.added.filter((t) => !ownTokens.includes(t)),
    alreadyPresent: wanted.filter((t) => plan.alreadyPresent.includes(t) || (ownTokens.includes(t) && plan.added.includes(t))),
    conflicts: plan.conflicts,
  };
}

function hasAssignment(text: string, key: string): boolean {
  const lexed = lexShellAssignments(text);
  return lexed.ok && lexed.statements.some((s) => s.kind === 'assignment' && s.name === key);
}

function describeInPlace(conflicts: ParamConflict[], added: string[]): string {
  const parts = conflicts.map((c) => `${c.existing.join(', ')} → ${c.wanted}`);
  return parts.length > 0 ? parts.join('; ') : added.join(' ');
}
