// The command runner's contract. Every command the program runs goes through a Runner:
// argv arrays only (never a shell string), stdin ignored, output streamed line by line.

export interface RunOptions {
  /** shown in the UI and logs instead of argv[0] ("update-grub", "virt-host-validate") */
  name?: string;
  /** kill the command after this many ms (SIGTERM, then SIGKILL) */
  timeoutMs?: number;
  /** abort = SIGTERM to the process group; SIGKILL follows after `killGraceMs` */
  signal?: AbortSignal;
  /** abort = SIGKILL to the process group at once (the "second Ctrl+C"; see createCancellation) */
  forceSignal?: AbortSignal;
  /** ms between SIGTERM (cancel or timeout) and SIGKILL (default 5000) */
  killGraceMs?: number;
  /** extra environment; LC_ALL=C is set unless `parsed: false` */
  env?: Record<string, string>;
  /** output will be parsed: force LC_ALL=C (default true) */
  parsed?: boolean;
  cwd?: string;
  /**
   * called for every output line, in arrival order: CR-collapsed and display-safe (ANSI stripped,
   * tabs expanded, other control characters and invalid UTF-8 shown as U+FFFD). `skipped` is set
   * only on the line a flood-tail run puts in place of lines too fast to draw: how many it stands for.
   */
  onLine?: (line: string, stream: 'stdout' | 'stderr', skipped?: number) => void;
  /**
   * called when the unfinished last line changes (a progress bar redrawn with "\r", a "doing X…"
   * waiting for its "done"): its current visible state, display-safe; '' once it is finished.
   * The finished line still comes through onLine.
   */
  onPartial?: (text: string, stream: 'stdout' | 'stderr') => void;
  /**
   * Nothing parses this command's output; it is only shown (a step's update-grub, dracut,
   * virt-install). A runner made for a screen that draws a tail may then let the command write
   * straight to a file and skip lines under a flood (RunnerConfig.floodTail).
   */
  displayOnly?: boolean;
  /** called once the command runs, with its pid — also its process group (the lock records it) */
  onSpawn?: (pid: number) => void;
}

export interface RunResult {
  argv: string[];
  name: string;
  /** null when the command was killed by a signal or never started */
  exitCode: number | null;
  signal: string | null;
  /** the command could not be started (ENOENT, EACCES) */
  spawnError: string | null;
  timedOut: boolean;
  canceled: boolean;
  durationMs: number;
  /** the last lines of output (bounded) */
  tail: string[];
  /** the full output, stdout and stderr interleaved (bounded; the log file has everything) */
  output: string;
  /** stdout alone, for parsers (bounded like `output`) */
  stdout: string;
  /** `output` or `stdout` hit the size cap and lost their end (the log file is complete) */
  truncated: boolean;
  /** path of the log file with the whole transcript, null when not logging */
  logPath: string | null;
  ok: boolean;
}

export interface Runner {
  run(argv: string[], opts?: RunOptions): Promise<RunResult>;
}
