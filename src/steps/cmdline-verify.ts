// After the regeneration ran: read what the boot loader will really use and confirm that every
// new parameter reached it. This is what lets the step say "done" instead of hoping.
import { readFileSync } from 'node:fs';
import type { SystemRoot } from '../host/root.js';
import { hasParam } from '../edit/cmdline-tokens.js';
import { readLoaderEntryOptions } from '../edit/loader-entry.js';
import { readKernelCmdlineFile } from '../edit/kernel-cmdline-file.js';
import { readRefindEntries } from '../edit/refind-linux-conf.js';
import { readKernelstubOptions } from '../edit/kernelstub-config.js';
import type { Runner } from '../run/types.js';
import { hostArgv } from '../apply/engine-types.js';
import { grubCfgKernelLines, isRecoveryEntry, verifyGrubCfg, type CmdlineCheck, type CmdlineVerify } from './cmdline.js';
import { readCmdlineFiles } from './cmdline-files.js';
import type { TrialVerify } from './cmdline-trial.js';

function readOrNull(p: string): string | null {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return null;
  }
}

/** The command line a file of this kind holds (null when it holds none we can read). */
function cmdlineOf(systemPath: string, text: string): string[] {
  if (systemPath === '/etc/kernel/cmdline') return [readKernelCmdlineFile(text) ?? ''];
  if (systemPath.endsWith('refind_linux.conf')) return (readRefindEntries(text) ?? []).slice(0, 1).map((e) => e.options);
  return [readLoaderEntryOptions(text)];
}

export async function verifyCmdline(
  verify: CmdlineVerify,
  tokens: string[],
  root: SystemRoot,
  runner: Runner,
): Promise<CmdlineCheck & { summary: string }> {
  const missingAll = (where: string) => ({ ok: false, details: [{ where, missing: tokens }] });
  let check: CmdlineCheck;
  switch (verify.kind) {
    case 'grub-cfg': {
      const text = readOrNull(root.at(verify.path));
      check = text === null ? missingAll(`${verify.path} (not readable)`) : verifyGrubCfg(text, tokens);
      break;
    }
    case 'files': {
      const details = verify.paths.map((p) => {
        const text = readOrNull(root.at(p));
        const lines = text === null ? [] : cmdlineOf(p, text);
        return { where: p, missing: tokens.filter((t) => !lines.some((l) => hasParam(l, t))) };
      });
      check = { ok: details.length > 0 && details.every((d) => d.missing.length === 0), details };
      break;
    }
    case 'loader-entries': {
      // listed now, after kernel-install ran: it may have written entries that did not exist before
      const entries = readCmdlineFiles(root).loaderEntries.filter((e) => !isRecoveryEntry(e));
      const details = entries.map((e) => {
        const line = readLoaderEntryOptions(e.text);
        return { where: e.path, missing: tokens.filter((t) => !hasParam(line, t)) };
      });
      check = { ok: details.length > 0 && details.every((d) => d.missing.length === 0), details };
      break;
    }
    case 'kernelstub': {
      const text = readOrNull(root.at(verify.path));
      const opts = text === null ? null : readKernelstubOptions(text);
      const line = opts?.ok ? opts.options.join(' ') : '';
      check = { ok: opts?.ok === true && tokens.every((t) => hasParam(line, t)), details: [{ where: verify.path, missing: tokens.filter((t) => !hasParam(line, t)) }] };
      break;
    }
    case 'grubby': {
      const r = await runner.run(hostArgv(root, ['grubby', '--info=ALL']), { name: 'grubby --info=ALL', timeoutMs: 60_000 });
      const details = parseGrubbyInfo(r.stdout)
        .filter((e) => !/rescue|recovery/i.test(`${e.title} ${e.kernel}`))
        .map((e) => ({ where: `BLS entry ${e.index} (${e.title || e.kernel})`, missing: tokens.filter((t) => !hasParam(e.args, t)) }));
      check = { ok: r.ok && details.length > 0 && details.every((d) => d.missing.length === 0), details };
      break;
    }
  }
  const missing = check.details.filter((d) => d.missing.length > 0);
  const summary = check.ok
    ? `every new parameter is in the generated boot configuration (${check.details.length} entr${check.details.length === 1 ? 'y' : 'ies'} checked)`
    : check.details.length === 0
      ? 'no boot entry was found in the generated configuration'
      : `missing from ${missing.map((d) => `${d.where}: ${d.missing.join(' ')}`).join('; ')}`;
  return { ...check, summary };
}

/** `grubby --info=ALL`: one block per entry, each starting with index=N, values optionally quoted. */
export function parseGrubbyInfo(text: string): { index: string; title: string; kernel: string; args: string }[] {
  return text
    .split(/^(?=index=)/m)
    .filter((b) => /^index=/.test(b))
    .map((block) => {
      const get = (key: string) => {
        const m = new RegExp(`^${key}=(.*)$`, 'm').exec(block);
        return m ? m[1]!.trim().replace(/^"(.*)"$/, '$1') : '';
      };
      return { index: get('index'), title: get('title'), kernel: get('kernel'), args: get('args') };
    });
}

/** After a trial plan ran: the trial entry exists and carries every parameter. */
export function verifyTrial(verify: TrialVerify, tokens: string[], root: SystemRoot): { ok: boolean; summary: string } {
  const text = readOrNull(root.at(verify.path));
  if (text === null) return { ok: false, summary: `${verify.path} is not readable` };
  const line =
    verify.kind === 'loader-entry'
      ? readLoaderEntryOptions(text)
      : (grubCfgKernelLines(text).find((l) => l.entry.startsWith('vfio-wizard trial:'))?.args ?? null);
  if (line === null) return { ok: false, summary: `no trial entry in ${verify.path}` };
  const missing = tokens.filter((t) => !hasParam(line, t));
  return missing.length === 0
    ? { ok: true, summary: `the trial entry in ${verify.path} carries ${tokens.join(' ')}` }
    : { ok: false, summary: `the trial entry in ${verify.path} lacks ${missing.join(' ')}` };
}
