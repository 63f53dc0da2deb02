// Runs the engine in a child process, so tests can SIGKILL it at a write point or send it SIGINT
// mid-command. Input: one JSON argument. Output: the result as JSON on stdout; exit code = the
// engine's exit code.
import { applyPlans } from '../../../src/apply/apply.js';
import { rollback } from '../../../src/apply/rollback.js';
import { UserError } from '../../../src/exit-codes.js';
import { systemRoot } from '../../../src/host/root.js';
import type { Plan } from '../../../src/plan/types.js';
import { createRecordingRunner } from '../../../src/run/recording-runner.js';
import { createRunner } from '../../../src/run/runner.js';

interface ChildSpec {
  op: 'apply' | 'rollback-all';
  root: string;
  plans: Plan[];
  commands: 'chroot' | 'skip';
  realRunner: boolean;
}

const spec = JSON.parse(process.argv[2] ?? '{}') as ChildSpec;
const controller = new AbortController();
// what the CLI does: the first Ctrl+C cancels the running command, the engine then rolls back
process.on('SIGINT', () => controller.abort());
const runner = spec.realRunner ? createRunner({ logDir: null, killGraceMs: 1000, lingerMs: 200 }) : createRecordingRunner();
const opts = { root: systemRoot(spec.root), runner, commands: spec.commands, signal: controller.signal };
try {
  const result = spec.op === 'apply' ? await applyPlans(spec.plans, opts) : await rollback({ all: true }, opts);
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exitCode = result.exitCode;
} catch (err) {
  if (err instanceof UserError) {
    process.stdout.write(`${JSON.stringify({ error: err.message, remedy: err.remedy, exitCode: err.exitCode })}\n`);
    process.exitCode = err.exitCode;
  } else {
    process.stderr.write(String(err instanceof Error ? err.stack : err));
    process.exitCode = 99;
  }
}
