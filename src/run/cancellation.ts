// The "Ctrl+C once stops politely, twice stops now" rule, as two AbortSignals a Runner reads:
// the first request aborts `signal` (SIGTERM to the process group), the second aborts
// `forceSignal` (SIGKILL). Screens and the plain renderer share it, so the rule lives in one place.

export type CancelStage = 'running' | 'terminating' | 'killing';

export interface Cancellation {
  readonly signal: AbortSignal;
  readonly forceSignal: AbortSignal;
  readonly stage: CancelStage;
  /** first call: SIGTERM; later calls: SIGKILL. Returns the stage reached. */
  request(): CancelStage;
}

export function createCancellation(): Cancellation {
  const term = new AbortController();
  const kill = new AbortController();
  let stage: CancelStage = 'running';
  return {
    signal: term.signal,
    forceSignal: kill.signal,
    get stage() {
      return stage;
    },
    request() {
      if (stage === 'running') {
        stage = 'terminating';
        term.abort(new Error('canceled by the user'));
      } else {
        stage = 'killing';
        kill.abort(new Error('force-killed by the user'));
      }
      return stage;
    },
  };
}
