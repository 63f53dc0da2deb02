import { ExitCode, UserError } from '../exit-codes.js';
import type { StepExpectation } from '../plan/types.js';
import type { SystemRoot } from '../host/root.js';
import { shellJoin } from '../plan/shell-quote.js';
import { listRunIds, loadRun, saveJournal, type StepRecord } from './journal.js';
import { acquireLock, currentBootId, lockHolder } from './lock.js';

export const STATUS_JSON_SCHEMA = 'vfio-wizard.status/1';

export interface StepStatus {
  runId: string;
  id: string;
  title: string;
  state: StepRecord['state'];
  startedAt: string;
  finishedAt: string | null;
  needsReboot: boolean;
  /** the step is applied and needs a reboot that has not happened yet (as far as can be told) */
  rebootPending: boolean;
  verification: StepRecord['verification'];
  /** commands listed but not run (--commands skip) */
  pendingCommands: string[][];
  files: string[];
  /** logs of the commands the step ran (host paths under the root), oldest first */
  logs: string[];
  /** what the step's after-reboot check looks for, as journaled at apply */
  expect: StepExpectation | null;
  error: string | null;
}

export interface RunStatus {
  runId: string;
  createdAt: string;
  /** set when the journal cannot be read; the run is listed anyway */
  corrupt: string | null;
  steps: StepStatus[];
}

export interface Status {
  schema: typeof STATUS_JSON_SCHEMA;
  root: string;
  runs: RunStatus[];
  pending: { reboot: string[]; verification: string[]; commands: string[][]; interrupted: string[] };
  /** another vfio-wizard holding the lock now: its steps in "applying" are at work, not interrupted */
  inProgress: { pid: number; command: string; startedAt: string } | null;
}

function stepStatus(root: SystemRoot, runId: string, s: StepRecord, bootNow: string | null): StepStatus {
  // a reboot is known to have happened only on the live system, when the boot id changed
  const rebooted = root.live && s.bootId !== null && bootNow !== null && s.bootId !== bootNow;
  return {
    runId,
    id: s.id,
    title: s.title,
    state: s.state,
    startedAt: s.startedAt,
    finishedAt: s.finishedAt,
    needsReboot: s.needsReboot,
    rebootPending: s.state === 'applied' && s.needsReboot && !rebooted,
    verification: s.verification,
    expect: s.expect ?? null,
    pendingCommands:
      s.state === 'applied'
        ? s.entries.flatMap((e) => (e.kind === 'command' && e.state === 'pending' ? [e.argv] : []))
        : s.state === 'rolled-back'
          ? (s.unrunCommands ?? []) // listed by a rollback under --commands skip, never run
          : [],
    files: s.entries.flatMap((e) => (e.kind === 'file' ? [e.target] : [])),
    logs: [...new Set(s.entries.flatMap((e) => (e.kind === 'command' && typeof e.logPath === 'string' ? [root.at(e.logPath)] : [])))],
    error: s.error,
  };
}

/** Every run under <root>/var/lib/vfio-wizard, oldest first, and what is still pending. */
export function readStatus(root: SystemRoot): Status {
  const bootNow = currentBootId();
  const runs: RunStatus[] = listRunIds(root).map((runId) => {
    try {
      const run = loadRun(root, runId);
      return {
        runId,
        createdAt: run.journal.createdAt,
        corrupt: null,
        steps: run.journal.steps.map((s) => stepStatus(root, runId, s, bootNow)),
      };
    } catch (err) {
      if (err instanceof UserError) return { runId, createdAt: '', corrupt: err.message, steps: [] };
      throw err;
    }
  });
  const steps = runs.flatMap((r) => r.steps);
  return {
    schema: STATUS_JSON_SCHEMA,
    root: root.dir,
    runs,
    pending: {
      reboot: steps.filter((s) => s.rebootPending).map((s) => s.id),
      verification: steps.filter((s) => s.state === 'applied' && s.verification === 'pending').map((s) => s.id),
      // once each: the steps of one rollback share its regeneration
      commands: [...new Map(steps.flatMap((s) => s.pendingCommands).map((c) => [shellJoin(c), c] as const)).values()],
      interrupted: steps.filter((s) => s.state === 'applying' || s.state === 'rolling-back' || s.state === 'rollback-blocked').map((s) => s.id),
    },
    inProgress: lockHolder(root),
  };
}

export function renderStatusText(st: Status): string {
  if (st.runs.length === 0) return `No vfio-wizard runs under ${st.root === '/' ? '' : st.root}/var/lib/vfio-wizard: nothing was applied.\n`;
  const out: string[] = [];
  for (const r of st.runs) {
    out.push(`run ${r.runId}${r.corrupt ? `  CORRUPT: ${r.corrupt}` : ''}`);
    if (!r.corrupt && r.steps.length === 0) out.push('  (no step recorded: nothing was changed)');
    for (const s of r.steps) {
      const flags = [s.rebootPending ? 'reboot pending' : '', s.state === 'applied' && s.verification !== 'none' ? `verification ${s.verification}` : '']
        .filter(Boolean)
        .join(', ');
      out.push(`  ${s.id.padEnd(12)} ${s.state.padEnd(16)} ${s.title}${flags ? `  [${flags}]` : ''}`);
      for (const f of s.files) out.push(`      ${f}`);
      for (const l of s.logs) out.push(`      log: ${l}`);
      if (s.error) out.push(`      error: ${s.error}`);
    }
  }
  const p = st.pending;
  out.push('');
  if (st.inProgress) {
    out.push(`In progress: vfio-wizard ${st.inProgress.command} (pid ${st.inProgress.pid}, since ${st.inProgress.startedAt}) is working${p.interrupted.length > 0 ? ` on ${p.interrupted.join(', ')}` : ''}; wait for it to finish.`);
  } else if (p.interrupted.length > 0) {
    out.push(`Interrupted or blocked: ${p.interrupted.join(', ')} — run \`vfio-wizard rollback --step ID\` (the next apply also undoes interrupted steps first).`);
  }
  if (p.reboot.length > 0) out.push(`Reboot pending for: ${p.reboot.join(', ')}.`);
  if (p.verification.length > 0) out.push(`Not yet verified: ${p.verification.join(', ')}.`);
  if (p.commands.length > 0) {
    out.push(`Commands still to run: ${p.commands.map(shellJoin).join('; ')}.`, '  `vfio-wizard finish` runs them and records it; once you ran them yourself, `vfio-wizard finish --by-hand` records that.');
  }
  const corrupt = st.runs.filter((r) => r.corrupt);
  if (corrupt.length > 0) {
    // what such a run still holds is unknown: never "nothing pending"
    out.push(`Unreadable journal${corrupt.length === 1 ? '' : 's'}: ${corrupt.map((r) => r.runId).join(', ')} — what ${corrupt.length === 1 ? 'that run' : 'those runs'} changed is unknown here; its README.txt and restore.sh can still undo it.`);
  } else if (p.interrupted.length + p.reboot.length + p.verification.length + p.commands.length === 0) {
    out.push('Nothing pending.');
  }
  return `${out.join('\n')}\n`;
}

/** Record the outcome of a step's verification (after the reboot) in its journal. */
export function markVerification(root: SystemRoot, runId: string, stepId: string, outcome: 'passed' | 'failed'): void {
  const lock = acquireLock(root, 'verify');
  try {
    const run = loadRun(root, runId);
    const step = run.journal.steps.find((s) => s.id === stepId);
    if (!step) throw new UserError(`run ${runId} has no step ${stepId}`, ExitCode.badInput, 'vfio-wizard status lists the steps.');
    step.verification = outcome;
    saveJournal(run);
  } finally {
    lock.release();
  }
}
