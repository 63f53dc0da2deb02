// What apply and rollback share: an explicit y/N question on a terminal (refused, not asked,
// without one), and Ctrl+C turned into an abort of the running step instead of a dead process.
import { createInterface } from 'node:readline/promises';
import { ExitCode } from '../exit-codes.js';
import type { CommandContext } from './context.js';

async function askYes(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

/**
 * true when the user confirmed (or passed --yes); otherwise the exit code is set, the reason is
 * printed, and nothing may be changed: 2 without a terminal to ask on, 1 when the answer was no.
 */
export async function confirmed(ctx: CommandContext, o: { yes: boolean; json: boolean; action: string; question: string; hint: string }): Promise<boolean> {
  if (o.yes) return true;
  const err = (s: string) => void ctx.io.stderr.write(s);
  const interactive = !o.json && ctx.io.stdinIsTTY && Boolean(ctx.io.stdout.isTTY);
  if (!interactive) {
    err(`vfio-wizard: ${o.action} needs confirmation and there is no terminal to ask on.\n  ${o.hint} Nothing was changed.\n`);
    ctx.setExit(ExitCode.usage);
    return false;
  }
  if (await askYes(o.question)) return true;
  err(`Not done: ${o.action}. Nothing was changed.\n`);
  ctx.setExit(ExitCode.failed);
  return false;
}

/** Runs `work` with Ctrl+C (and every further one) aborting its signal; the engine then rolls back. */
export async function interruptible<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const onSigint = () => controller.abort();
  process.on('SIGINT', onSigint);
  try {
    return await work(controller.signal);
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
}
