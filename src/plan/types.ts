// The plan: a list of typed changes a step wants. Steps produce plans; nothing else produces
// changes, and only src/apply/ carries them out. Paths are system paths ("/etc/default/grub"),
// resolved under --root by the engine, never by the step.

export type FileAction = 'create' | 'modify' | 'delete';

export interface FileChange {
  kind: 'file';
  action: FileAction;
  /** absolute system path */
  path: string;
  /** the content the step saw when planning (null for create) */
  before: string | null;
  /** the content to write (null for delete) */
  after: string | null;
  /** permission bits to set; default: keep the original's, 0o644 for a new file */
  mode?: number;
  uid?: number;
  gid?: number;
  why: string;
}

export interface SysfsChange {
  kind: 'sysfs';
  /** absolute system path under /sys */
  path: string;
  value: string;
  /** the value the step saw; the engine re-reads it at apply time and journals what it found */
  previous: string | null;
  why: string;
  /**
   * Writes that reverse this one, in order, for action attributes whose old value means nothing
   * (unbind, drivers_probe, driver_override followed by a re-probe). Without it, rollback
   * writes `previous` back.
   */
  undo?: { path: string; value: string }[];
}

/** Where a command sits in the apply order (files → initramfs → bootloader → live → other). */
export type CommandPhase = 'files' | 'initramfs' | 'bootloader' | 'live' | 'other';
export type Regeneration = 'initramfs' | 'bootloader';

export interface CommandChange {
  kind: 'command';
  argv: string[];
  why: string;
  phase: CommandPhase;
  /**
   * the command that reverses this one, when it has a direct inverse. mayFail: its failure is
   * expected at times and harmless (`virsh destroy` of a domain that is not running), so rollback
   * reports it without counting it as a problem.
   */
  undo?: { argv: string[]; why: string; mayFail?: boolean } | null;
  /**
   * root (default): the command works on the system under --root and runs inside it (chroot when
   * the root is not "/"). host: it works on the running host's services (libvirt), so it runs as is
   * whatever --root says; restore.sh leaves it to the running host when undoing under another root.
   */
  runsOn?: 'root' | 'host';
  /** stop the command (SIGTERM, then SIGKILL) after this many ms; default COMMAND_TIMEOUT_MS (30 min) */
  timeoutMs?: number;
  /** this command regenerates boot artefacts from files: rollback re-runs it after restoring them */
  regenerates?: Regeneration;
}

export type Change = FileChange | SysfsChange | CommandChange;

export interface Plan {
  /** stable id of the wizard step ("cmdline", "isolate"): lowercase, digits, dashes */
  stepId: string;
  title: string;
  changes: Change[];
  needsReboot: boolean;
  notes: string[];
  /** what the step's after-reboot check looks for, kept in the journal with the step */
  expect?: StepExpectation;
}

/**
 * What a step set out to do, as its after-reboot check needs it: the exact tokens the command line
 * step added or removed, the functions isolation binds. Journaled, so `verify` checks what was done
 * and not what the host would need now.
 */
export interface StepExpectation {
  /** kernel parameters added to the boot configuration */
  cmdlineAdded?: string[];
  /** conflicting parameters taken out (with the user's consent) */
  cmdlineRemoved?: string[];
  /** full PCI addresses bound to vfio-pci */
  devices?: string[];
  /** the boot loader whose configuration the command line step edited (as detected or given with --loader) */
  loader?: string;
}
