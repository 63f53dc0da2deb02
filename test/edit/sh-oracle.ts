// Tier-3 oracle for the GRUB editors: the real /bin/sh (dash on Debian, as grub-mkconfig uses)
// sources /etc/default/grub and then grub.d/*.cfg in glob order, exactly as update-grub does, and
// prints the command line variables. Many cases share one sh process so thousands stay fast.
//
// The corpus files run commands when sourced (`$(sed … /etc/system-release)`, backquoted
// `lsb_release`). PATH holds only stubs for those two, so the result never depends on this
// machine's files, and any other external command fails loudly on stderr.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const SH = '/bin/sh';

export function requireSh(): void {
  if (!fs.existsSync(SH)) throw new Error(`${SH} is missing: the GRUB editor tests need a POSIX sh as their oracle`);
}

export interface ShCase {
  main: string;
  dropins?: { name: string; text: string }[];
}

export interface ShOutcome {
  ok: boolean;
  /** undefined when the variable is unset */
  linuxDefault: string | undefined;
  linux: string | undefined;
  stderr: string;
}

const RS = '\u001e';
const US = '\u001f';
const UNSET = '\u0001unset';

function writeStubs(dir: string): string {
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin);
  for (const name of ['sed', 'lsb_release']) {
    fs.writeFileSync(path.join(bin, name), '#!/bin/sh\necho Stubbed\n', { mode: 0o755 });
  }
  return bin;
}

export function sourceWithSh(cases: readonly ShCase[]): ShOutcome[] {
  requireSh();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vfio-wizard-sh-'));
  try {
    const bin = writeStubs(dir);
    cases.forEach((c, index) => {
      const caseDir = path.join(dir, `c${index}`);
      fs.mkdirSync(caseDir);
      fs.writeFileSync(path.join(caseDir, 'grub'), c.main);
      if (c.dropins) {
        fs.mkdirSync(path.join(caseDir, 'grub.d'));
        for (const d of c.dropins) fs.writeFileSync(path.join(caseDir, 'grub.d', d.name), d.text);
      }
    });
    // Each case in its own subshell: a file that breaks sh (syntax error) only ends its subshell.
    const script = [
      'i=0',
      `while [ "$i" -lt ${cases.length} ]; do`,
      '  ( cd "c$i" || exit 1',
      '    . ./grub',
      '    for x in grub.d/*.cfg; do if [ -e "$x" ]; then . "./$x"; fi; done',
      `    printf 'ok${US}%s${US}%s${RS}' "\${GRUB_CMDLINE_LINUX_DEFAULT-${UNSET}}" "\${GRUB_CMDLINE_LINUX-${UNSET}}"`,
      `  ) 2>"err$i" || printf 'failed${RS}'`,
      '  i=$((i + 1))',
      'done',
    ].join('\n');
    const run = spawnSync(SH, ['-c', script], { cwd: dir, env: { PATH: bin, LC_ALL: 'C' }, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
    if (run.error) throw run.error;
    if (run.status !== 0) throw new Error(`sh oracle failed: ${run.stderr}`);
    const records = run.stdout.split(RS).slice(0, -1);
    if (records.length !== cases.length) throw new Error(`sh oracle printed ${records.length} records for ${cases.length} cases`);
    return records.map((record, index) => {
      const stderr = fs.readFileSync(path.join(dir, `err${index}`), 'utf8');
      const [status, def, lin] = record.split(US);
      const value = (v: string | undefined): string | undefined => (v === UNSET ? undefined : v);
      return { ok: status === 'ok' && stderr === '', linuxDefault: value(def), linux: value(lin), stderr };
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** `sh -n`: does sh itself consider the text syntactically valid? */
export function shSyntaxOk(text: string): boolean {
  requireSh();
  const run = spawnSync(SH, ['-n'], { input: text, encoding: 'utf8' });
  if (run.error) throw run.error;
  return run.status === 0;
}

/** The order in which sh's `for x in grub.d/*.cfg` visits files with these names. */
export function shGlobOrder(names: readonly string[]): string[] {
  requireSh();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vfio-wizard-glob-'));
  try {
    for (const name of names) fs.writeFileSync(path.join(dir, name), '');
    const run = spawnSync(SH, ['-c', 'for x in *.cfg; do [ -e "$x" ] && printf "%s\\n" "$x"; done'], { cwd: dir, env: { LC_ALL: 'C.UTF-8' }, encoding: 'utf8' });
    if (run.error) throw run.error;
    return run.stdout.split('\n').filter((l) => l !== '');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
