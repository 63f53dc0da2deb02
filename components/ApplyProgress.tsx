// A step's commands running: what the engine did so far (one line per file and command); the
// live output pane sits right below the screen (App mounts it once: its <Static> history must
// not unmount). Ctrl+C once stops the running command (SIGTERM to its process group), twice
// kills it (SIGKILL); the engine then rolls the step back and the result screen says so.
import type { CancelStage } from '../src/run/cancellation.js';
import { Lines, plain, type Line } from './Lines.js';
import { truncate } from './text-layout.js';

export interface ProgressProps {
  title: string;
  log: readonly string[];
  cancelStage: CancelStage;
  columns: number;
  height: number;
}

export function progressHeader(title: string, stage: CancelStage, columns: number): Line[] {
  const stop =
    stage === 'running'
      ? 'Ctrl+C stops the running command; twice kills it'
      : stage === 'terminating'
        ? 'Stopping (SIGTERM sent)… Ctrl+C again kills it (SIGKILL)'
        : 'Killing (SIGKILL sent)…';
  return [plain(truncate(title, columns), { bold: true }), plain(truncate(stop, columns), { color: stage === 'running' ? undefined : 'yellow', dim: stage === 'running' })];
}

export function ApplyProgress({ title, log, cancelStage, columns, height }: ProgressProps) {
  const header = progressHeader(title, cancelStage, columns);
  const room = Math.max(1, height - header.length);
  const shown = log.slice(Math.max(0, log.length - room)).map((l) => plain(truncate(`  ${l}`, columns)));
  return <Lines lines={[...header, ...shown]} />;
}
