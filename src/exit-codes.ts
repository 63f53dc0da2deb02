// Distinct, documented exit codes (docs/cli.md). Scripts rely on them; never renumber.
export const ExitCode = {
  ok: 0,
  /** a step failed (it was rolled back or left safe) */
  failed: 1,
  /** bad usage: unknown flag, malformed argument */
  usage: 2,
  /** a readiness check failed / a precondition is not met */
  checkFailed: 3,
  /** rollback failed or needs a manual decision */
  rollbackBlocked: 4,
  /** bad input about the system: missing --root directory, unknown device address */
  badInput: 5,
  /** another instance holds the lock */
  locked: 6,
  /** the disk is full */
  noSpace: 7,
  /** the journal under var/lib/vfio-wizard is corrupt or truncated (restore.sh may still help) */
  journalCorrupt: 8,
  /** the step cannot be done safely here: a file it cannot understand, an unknown boot loader (instructions are printed) */
  cannotApply: 9,
  /** the file system to write is mounted read-only */
  readOnly: 10,
  /** a guard blocks the selection (boot GPU, host disk, default-route NIC, shared group) and its override flag was not given */
  needsOverride: 11,
  /** must run as root */
  needsRoot: 77,
  /** the terminal went away (SIGHUP) while a step ran; the step was rolled back */
  hangup: 129,
  interrupted: 130,
  terminated: 143,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/**
 * Whether an error's words already say what happened to the system ("Nothing was changed", or the
 * one change made, as when an interrupted step was undone first): then no "Nothing was changed."
 * is added where it is shown (the CLI's stderr, the wizard's result screen).
 */
export const saysWhatChanged = (text: string): boolean => /nothing was changed|the only change made/i.test(text);

/** An error that carries its exit code and a remedy; printed without a stack trace. */
export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCodeValue,
    readonly remedy?: string,
  ) {
    super(message);
    this.name = 'UserError';
  }
}
