import { shellJoin, shellQuote } from '../plan/shell-quote.js';
import type { CommandEntry, Journal, JournalEntry, StepRecord } from './journal.js';
import { CHROOT_SCRIPT } from './engine-types.js';

// restore.sh: the rescue path for a machine that no longer boots, or a chroot without Node.
// POSIX sh and coreutils only (cp, mv, rm, chmod, chown, sha256sum, stat, cut, dirname, mkdir,
// rmdir, sync, chroot). It mirrors `vfio-wizard rollback`: reverse order, checksum before touching
// a file, refuse a file that changed after we wrote it (its bytes, or with our bytes its mode or
// owner) unless FORCE=1. It is regenerated at every
// journal record, so it always matches journal.json.

const q = shellQuote;

/** Written by restore.sh next to the journal after a clean restore: one step id per line. */
export const RESTORED_MARKER = 'restored-by-script';
/** Written by restore.sh next to the journal: the commands it listed instead of running, one per line. */
export const NOT_RUN_FILE = 'commands-not-run';
const octal = (mode: number) => (mode & 0o7777).toString(8).padStart(4, '0');
/** mode and owner as `stat -c '%a %u %g'` prints them: "644 0 0" */
const metaOf = (m: { mode: number; uid: number; gid: number }) => `${(m.mode & 0o7777).toString(8)} ${m.uid} ${m.gid}`;

const PRELUDE = `set -u
CHROOT_SCRIPT=${q(CHROOT_SCRIPT)}
ROOT=\${1:-\${ROOT:-/}}
FORCE=\${FORCE:-0}
NO_COMMANDS=\${NO_COMMANDS:-0}
HERE=$(cd "$(dirname "$0")" && pwd) || exit 1
status=0

# Another vfio-wizard at work on this system: the lock names a live process of this boot (its start
# time matching, so not a reused pid), or the command it started still running in its process
# group. Undoing now would race it. Prints the pid or group; status 1 when nobody holds the lock.
# (read, not cat: the shell's own builtins, whatever PATH holds)
lock_holder() {
  [ -f "$1" ] || return 1
  IFS= read -r c < "$1" 2>/dev/null || [ -n "$c" ] || return 1
  case $c in *'"pid":'*) ;; *) return 1 ;; esac
  p=\${c#*'"pid":'}; p=\${p%%[!0-9]*}
  [ -n "$p" ] || return 1
  case $c in *'"bootId":"'*)
    b=\${c#*'"bootId":"'}; b=\${b%%'"'*}
    now=; read -r now < /proc/sys/kernel/random/boot_id 2>/dev/null
    # written under another boot (or by the installed system, seen from a rescue one): stale
    [ -z "$now" ] || [ "$b" = "$now" ] || return 1 ;;
  esac
  if kill -0 "$p" 2>/dev/null && ! pid_reused "$p" "$c"; then echo "pid $p"; return 0; fi
  case $c in *'"child":{"pgid":'*)
    g=\${c#*'"child":{"pgid":'}; g=\${g%%[!0-9]*}
    if [ -n "$g" ] && [ "$g" -gt 1 ] && kill -s 0 -- "-$g" 2>/dev/null; then echo "process group $g"; return 0; fi ;;
  esac
  return 1
}
# pid_reused PID LOCK_TEXT: the process now has another start time than the lock's holder had
pid_reused() {
  case $2 in *'"startTicks":"'*) ;; *) return 1 ;; esac
  t=\${2#*'"startTicks":"'}; t=\${t%%'"'*}
  [ -r "/proc/$1/stat" ] || return 1
  read -r st < "/proc/$1/stat" || return 1
  set -- \${st##*') '}
  [ $# -ge 20 ] || return 1
  shift 19
  [ "$1" != "$t" ]
}
LOCK="$HERE/../../lock"
if holder=$(lock_holder "$LOCK"); then
  echo "restore.sh: vfio-wizard is at work on this system ($holder holds $LOCK); undoing now would race it." >&2
  echo "  Wait for it to finish, or stop it, then run restore.sh again. Nothing was changed." >&2
  exit 6
fi
skipped=0
# a command listed instead of run: collected here, and kept next to the journal (with the marker, after
# a clean run) so that vfio-wizard status shows it as still to run
rm -f "$HERE/${NOT_RUN_FILE}.new"
# one line per command, each argument ended by the unit separator (\\037): an argument with spaces stays whole
not_run() { skipped=1; { printf '%s\\037' "$@"; printf '\\n'; } >> "$HERE/${NOT_RUN_FILE}.new"; }

at() { if [ "$ROOT" = / ]; then printf '%s\\n' "$1"; else printf '%s%s\\n' "\${ROOT%/}" "$1"; fi; }
sum() { sha256sum < "$1" | cut -d ' ' -f 1; }
# a symbolic link is never followed: like a directory, it is "other" (as vfio-wizard rollback sees it)
now_of() { if [ -L "$1" ]; then echo other; elif [ -f "$1" ]; then sum "$1"; elif [ -e "$1" ]; then echo other; else echo missing; fi; }
meta_of() { stat -c '%a %u %g' -- "$1" 2>/dev/null; }
# the exit status: 4 when a file changed after vfio-wizard wrote it (FORCE=1 is the answer), else 1
# on any failure, 0 when all went well — the same whatever order the problems came in
failed() { [ "$status" = 4 ] || status=1; }
drift() {
  if [ -n "$2" ]; then orig="Original: $HERE/$2"; else orig='It did not exist before vfio-wizard created it.'; fi
  echo "DRIFT: $1 changed after vfio-wizard wrote it; left as it is. $orig" >&2
  echo "       Compare it with the current file, or run again with FORCE=1 to overwrite." >&2
  status=4
}
keep_now() { cp -p "$1" "$HERE/$2.now.$$" && echo "  the current version is kept as $HERE/$2.now.$$"; }
# meta_drift SYSPATH HOSTPATH OURS_META ORIG_META: with our bytes in place, a mode or owner changed
# since (and not back to the original's) is someone's change too. Status 0: it drifted (reported).
# Without a working stat the bytes alone decide, as they did before this check existed.
meta_drift() {
  m=$(meta_of "$2")
  [ -n "$m" ] && [ -n "$3" ] && [ "$m" != "$3" ] && [ "$m" != "$4" ] || return 1
  [ "$FORCE" = 1 ] && return 1
  echo "DRIFT: $1 holds what vfio-wizard wrote, but its mode and owner are now $m (vfio-wizard wrote $3); left as it is." >&2
  echo "       Run again with FORCE=1 to restore it with the original's mode and owner." >&2
  status=4
  return 0
}

# restore SYSPATH ORIGINAL_SHA OURS_SHA BACKUP MODE UID GID OURS_META ORIG_META
restore() {
  t=$(at "$1"); now=$(now_of "$t")
  if [ "$now" = "$2" ]; then chown "$6:$7" "$t" && chmod "$5" "$t"; echo "unchanged: $1"; return; fi
  if [ "$now" = "$3" ] && meta_drift "$1" "$t" "$8" "$9"; then return; fi
  if [ "$now" != "$3" ]; then
    if [ "$FORCE" != 1 ]; then drift "$1" "$4"; return; fi
    if [ "$now" != missing ]; then keep_now "$t" "$4" || { failed; return; }; fi
  fi
  b="$HERE/$4"
  if [ "$(sum "$b")" != "$2" ]; then echo "FAILED: $b does not match its checksum; $1 left as it is" >&2; failed; return; fi
  d=$(dirname "$t"); tmp="$d/.vfio-wizard-restore.$$"
  if mkdir -p "$d" && cp "$b" "$tmp" && chown "$6:$7" "$tmp" && chmod "$5" "$tmp" && mv -f "$tmp" "$t"; then
    echo "restored: $1"
  else
    rm -f "$tmp"; echo "FAILED: could not restore $1" >&2; failed
  fi
}

# remove SYSPATH OURS_SHA BACKUP_PREFIX OURS_META — a file vfio-wizard created
remove() {
  t=$(at "$1"); now=$(now_of "$t")
  if [ "$now" = missing ]; then echo "unchanged: $1 (absent)"; return; fi
  if [ "$now" = "$2" ] && meta_drift "$1" "$t" "$4" ""; then return; fi
  if [ "$now" != "$2" ]; then
    if [ "$FORCE" != 1 ]; then drift "$1" ""; return; fi
    keep_now "$t" "$3" || { failed; return; }
  fi
  if rm -f "$t"; then echo "removed: $1"; else echo "FAILED: could not remove $1" >&2; failed; fi
}

# The first pass, before anything is touched: every file as vfio-wizard left it (or FORCE=1), every
# backup intact. One problem and the script stops with nothing changed — never half a step undone
# and the boot files rebuilt from that mix.
# check_restore SYSPATH ORIGINAL_SHA OURS_SHA BACKUP OURS_META ORIG_META
check_restore() {
  t=$(at "$1"); now=$(now_of "$t")
  [ "$now" = "$2" ] && return
  if [ "$now" = "$3" ]; then meta_drift "$1" "$t" "$5" "$6"
  elif [ "$FORCE" != 1 ]; then drift "$1" "$4"; fi
  if [ "$(sum "$HERE/$4" 2>/dev/null)" != "$2" ]; then echo "FAILED: $HERE/$4 (the backup of $1) does not match its checksum" >&2; failed; fi
}
# check_remove SYSPATH OURS_SHA OURS_META
check_remove() {
  t=$(at "$1"); now=$(now_of "$t")
  if [ "$now" = "$2" ]; then meta_drift "$1" "$t" "$3" ""
  elif [ "$now" != missing ] && [ "$FORCE" != 1 ]; then drift "$1" ""; fi
}

# cleanup SYSPATH — temp files a killed vfio-wizard left next to the file
cleanup() {
  t=$(at "$1")
  for f in "$(dirname "$t")/.$(basename "$t").vfio-wizard-tmp."*; do
    if [ -f "$f" ]; then rm -f "$f" && echo "removed leftover temp file: $f"; fi
  done
}

removedir() { rmdir "$(at "$1")" 2>/dev/null && echo "removed directory: $1"; return 0; }

# relabel SYSPATH LABEL — the SELinux label the file had before (a restored file is a new inode).
# Only on the running system: under another ROOT the image relabels itself at its next boot.
relabel() {
  if [ "$ROOT" != / ]; then echo "label left to the next boot's relabelling: $1 ($2)"; return; fi
  if ! command -v chcon >/dev/null 2>&1; then echo "FAILED: chcon is not available to give $1 its label $2 back" >&2; failed; return; fi
  chcon "$2" "$1" && echo "relabelled: $1" || { echo "FAILED: chcon $2 $1" >&2; failed; }
}

sysfs() {
  if [ "$ROOT" != / ]; then echo "skipped (live setting, only meaningful on the running system): $1"; return; fi
  # the object is gone already (an mdev removed, a device unplugged): nothing left to undo
  if [ ! -e "$1" ] && [ ! -d "\${1%/*}" ]; then echo "gone already, nothing to undo: $1"; return; fi
  printf '%s' "$2" > "$1" && echo "restored: $1" || { echo "FAILED: could not write $1" >&2; failed; }
}

run_cmd() {
  if [ "$NO_COMMANDS" = 1 ]; then echo "not run (NO_COMMANDS=1): $*"; not_run "$@"; return; fi
  echo "running: $*"
  if [ "$ROOT" = / ]; then "$@"
  elif command -v unshare >/dev/null && command -v mountpoint >/dev/null; then
    # /proc, /sys and /dev inside the root, in a private mount namespace that ends with the command
    unshare --mount --propagation private -- sh -c "$CHROOT_SCRIPT" vfio-wizard-chroot "$ROOT" "$@"
  else chroot "$ROOT" "$@"; fi || { echo "FAILED: $*" >&2; failed; }
}
# A command about the running host's own services (libvirt): it means nothing inside a mounted
# disk, so under another ROOT it is printed for the host to run once it is up again.
run_host_cmd() {
  if [ "$NO_COMMANDS" = 1 ]; then echo "not run (NO_COMMANDS=1): $*"; not_run "$@"; return; fi
  if [ "$ROOT" != / ]; then echo "not run (it is about the running host, not $ROOT): $*"; not_run "$@"; return; fi
  echo "running: $*"
  "$@" || { echo "FAILED: $*" >&2; failed; }
}
# The same, for an undo whose failure is expected at times (virsh destroy of a stopped domain).
run_host_cmd_may_fail() {
  if [ "$NO_COMMANDS" = 1 ] || [ "$ROOT" != / ]; then run_host_cmd "$@"; return; fi
  echo "running: $*"
  "$@" || echo "(failed, which is expected when there was nothing to undo: $*)"
}
`;

/**
 * The first pass's line for a file entry: its check before anything is touched (empty when the
 * entry touched nothing). Only for the newest entry of each file (`seen`): an older step's entry
 * for the same file is checked when its turn comes, against what the newer undo left.
 */
function checkLine(e: JournalEntry, seen: Set<string>): string[] {
  if (e.kind !== 'file' || (e.state !== 'backed-up' && e.state !== 'done') || seen.has(e.target)) return [];
  seen.add(e.target);
  const oursSha = e.ours?.exists ? e.ours.sha256 : 'missing';
  const oursMeta = q(e.ours?.exists ? metaOf(e.ours) : '');
  if (e.original?.exists) return [`check_restore ${q(e.target)} ${e.original.sha256} ${oursSha} ${q(e.original.backup)} ${oursMeta} ${q(metaOf(e.original))}`];
  return [`check_remove ${q(e.target)} ${oursSha} ${oursMeta}`];
}

/** The lines undoing one entry (empty when the entry never touched anything). */
function undoLines(e: JournalEntry): string[] {
  if (e.kind === 'file') {
    const lines: string[] = e.state === 'undone' ? [] : [`cleanup ${q(e.target)}`];
    if (e.state === 'backed-up' || e.state === 'done') {
      const oursSha = e.ours?.exists ? e.ours.sha256 : 'missing';
      const oursMeta = q(e.ours?.exists ? metaOf(e.ours) : '');
      if (e.original?.exists) {
        const o = e.original;
        lines.push(`restore ${q(e.target)} ${o.sha256} ${oursSha} ${q(o.backup)} ${octal(o.mode)} ${o.uid} ${o.gid} ${oursMeta} ${q(metaOf(o))}`);
        if (o.selinux) lines.push(`relabel ${q(e.target)} ${q(o.selinux)}`);
      } else {
        lines.push(`remove ${q(e.target)} ${oursSha} ${q(`backups/${e.seq}`)} ${oursMeta}`);
      }
    }
    if (e.state !== 'undone') for (const d of [...e.createdDirs].reverse()) lines.push(`removedir ${q(d)}`);
    return lines;
  }
  if (e.kind === 'sysfs') {
    if (e.state === 'undone') return [];
    // a write announced (intent) may have happened: reversing it is harmless when it did not
    if (e.undo) return e.undo.map((w) => `sysfs ${q(w.path)} ${q(w.value)}`);
    return e.previous !== null ? [`sysfs ${q(e.path)} ${q(e.previous)}`] : [];
  }
  if (!mayHaveRun(e) || !e.undo) return [];
  if (e.runsOn !== 'host') return [`run_cmd ${shellJoin(e.undo.argv)}`];
  return [`${e.undo.mayFail ? 'run_host_cmd_may_fail' : 'run_host_cmd'} ${shellJoin(e.undo.argv)}`];
}

// A command that failed is not undone or regenerated: the tools involved (update-initramfs,
// grub-mkconfig, dracut, virsh) leave their output untouched when they fail. One interrupted
// mid-run (state intent) may have done anything, so it counts as run.
export const mayHaveRun = (e: CommandEntry) => e.state === 'intent' || e.state === 'done';

/**
 * A regeneration to repeat after restoring the files: one that may have run, and one that was only
 * listed (--commands skip) — the user was told to run it, so its output may hold our changes.
 */
export const regenerationToRepeat = (e: CommandEntry) => e.regenerates !== null && (mayHaveRun(e) || e.state === 'pending');

/**
 * The boot regenerations undoing these steps needs (each kind once, the newest step's command),
 * initramfs before the boot loader: rebuilt from the restored files, after all of them.
 */
export function regenerationsFor(steps: readonly StepRecord[]): string[][] {
  const regen = new Map<string, string[]>();
  for (const step of steps) {
    for (const r of step.pendingRegenerations ?? []) if (!regen.has(r.kind)) regen.set(r.kind, r.argv);
    for (const e of step.entries) {
      if (e.kind === 'command' && e.regenerates && regenerationToRepeat(e) && !regen.has(e.regenerates)) regen.set(e.regenerates, e.argv);
    }
  }
  return (['initramfs', 'bootloader'] as const).flatMap((k) => (regen.has(k) ? [regen.get(k) as string[]] : []));
}

export function restoreScript(j: Journal): string {
  const out = [
    '#!/bin/sh',
    `# Undo vfio-wizard run ${j.runId} without Node: POSIX sh and coreutils only.`,
    '#   sh restore.sh [ROOT]   ROOT is / (default) or where the disk is mounted, e.g. /mnt',
    '#   FORCE=1        also overwrite files changed after vfio-wizard wrote them (the current',
    '#                  version is kept next to the backups first)',
    '#   NO_COMMANDS=1  print the undo / regeneration commands instead of running them',
    '# Exit status: 0 done, 1 something failed, 4 a file drifted (left alone), 6 vfio-wizard is at work.',
    '# Generated from journal.json at every journal record; do not edit.',
    PRELUDE,
  ];
  const seen = new Set<string>();
  const checks = [...j.steps]
    .reverse()
    .filter((step) => step.state !== 'rolled-back')
    .flatMap((step) => [...step.entries].reverse().flatMap((e) => checkLine(e, seen)));
  if (checks.length > 0) {
    out.push(
      '# first: check every file and backup; nothing is touched when one is off',
      ...checks,
      `if [ "$status" != 0 ]; then rm -f "$HERE/${NOT_RUN_FILE}.new"; echo "restore.sh: nothing was changed (see above)" >&2; exit "$status"; fi`,
    );
  }
  const undoing = [...j.steps].reverse().filter((step) => step.state !== 'rolled-back');
  for (const step of undoing) {
    out.push(`# step ${step.id}: ${step.title.replace(/\n/g, ' ')} (${step.state})`);
    for (const e of [...step.entries].reverse()) out.push(...undoLines(e));
  }
  // the boot artefacts are rebuilt from the restored files: initramfs first, then the boot loader;
  // not from a half-restored set of files: then the user decides (the problem is printed above)
  for (const argv of regenerationsFor(undoing)) {
    out.push(
      '# regenerate from the restored files',
      `if [ "$status" = 0 ]; then run_cmd ${shellJoin(argv)}; else echo "not run, as not every file was restored: ${shellJoin(argv).replace(/["$`\\]/g, '\\$&')}" >&2; fi`,
    );
  }
  const covered = j.steps.filter((st) => st.state !== 'rolled-back').map((st) => q(st.id));
  out.push(
    'sync',
    // tells vfio-wizard (status, rollback, the next apply) that these steps were undone by hand
    // (the commands it only listed are in NOT_RUN_FILE: status shows them as still to run)
    `if [ "$status" = 0 ]; then if [ "$skipped" = 1 ]; then mv -f "$HERE/${NOT_RUN_FILE}.new" "$HERE/${NOT_RUN_FILE}"; else rm -f "$HERE/${NOT_RUN_FILE}"; fi; printf '%s\\n' ${covered.length > 0 ? covered.join(' ') : "''"} > "$HERE/${RESTORED_MARKER}"; sync; else rm -f "$HERE/${NOT_RUN_FILE}.new"; fi`,
    'if [ "$status" != 0 ]; then echo "restore.sh: finished with problems (see above)" >&2',
    `elif [ "$skipped" = 1 ]; then echo "restore.sh: done, but the commands listed as not run are still to do (also in $HERE/${NOT_RUN_FILE})"`,
    'else echo "restore.sh: done"; fi',
    'exit "$status"',
    '',
  );
  return out.join('\n');
}

export function restoreReadme(j: Journal): string {
  return `vfio-wizard run ${j.runId}
=========================

journal.json   what this run changed, step by step (format ${j.format}, version ${j.version}; see docs/journal.md)
backups/       N.orig = a file's bytes before the change, N.ours = what vfio-wizard wrote
restore.sh     undoes the run without Node (POSIX sh + coreutils)

To undo, preferably:   vfio-wizard rollback --all            (or --root /mnt from a live system)
Without Node:          sh ${'restore.sh'} /                  (the running system)
From a rescue system:  mount the disk at /mnt (and /mnt/boot if separate), then
                       sh /mnt/var/lib/vfio-wizard/runs/${j.runId}/restore.sh /mnt

With several runs under runs/, undo the newest run first (their names sort by time).

restore.sh checks every file's checksum first. A file that changed after vfio-wizard wrote it is
left alone (DRIFT) unless you run it with FORCE=1; the current version is then kept next to the
backups. NO_COMMANDS=1 prints the initramfs / boot loader commands instead of running them (with a
ROOT other than / they run through chroot, with /proc, /sys and /dev mounted for them when unshare
is available — otherwise bind-mount those into the root first).
Exit status: 0 done, 1 something failed, 4 a file was left alone because it drifted, 6 another
vfio-wizard is at work on this system (nothing was changed).
`;
}

