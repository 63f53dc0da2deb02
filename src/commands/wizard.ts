// The default action: the wizard. It scans the host (or, with --demo, a bundled sample
// workstation materialised into a fresh temporary directory), runs the readiness checks and
// shows them: the Ink UI in a terminal, plain text otherwise, JSON with --json.
//
// Exit codes: the interactive wizard returns 0 when quit (130 on Ctrl+C, 143/129 on
// SIGTERM/SIGHUP). The plain overview returns 0 even when a check fails — it is an overview;
// `vfio-wizard check` is the command whose exit status (3) reports failing checks.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runChecks } from '../checks/index.js';
import { runVirtHostValidate } from '../checks/run-virt-host-validate.js';
import type { Check, CheckStatus } from '../checks/types.js';
import { ExitCode, UserError } from '../exit-codes.js';
import { errnoCode } from '../apply/fs-errors.js';
import { systemRoot } from '../host/root.js';
import { scanHost } from '../host/scan.js';
import { readShareFacts } from '../share/share-facts.js';
import { migState } from '../share/mig-state.js';
import { buildGroups, deviceLine, flagExplanations, groupTitle, noGroupsNote } from '../iommu-view.js';
import { blockingChecks, DEMO_BANNER, type WizardSession } from '../wizard.js';
import { outputMode, type GlobalOptions } from './context.js';
import { shellJoin } from '../plan/shell-quote.js';
import { effectiveUid } from '../apply/engine-types.js';
import { readStatus } from '../apply/status.js';
import { createEventHub, type CommandEvent } from '../run/events.js';
import type { LazyStepServices } from '../wizard-step.js';
import type { MainIo } from '../cli.js';

export interface WizardContext {
  io: MainIo;
  globals: GlobalOptions;
  setExit: (code: number) => void;
  /** the terminal UI's chunk, when the caller started loading it already */
  ui?: Promise<typeof import('../../components/tui.js')>;
}

const SIGNAL_CODES: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };

/**
 * Demo roots made by this process, removed when the wizard ends — also when a signal ends it
 * (a closed terminal sends SIGHUP), where 'exit' handlers do not run. While the Ink UI is up
 * it owns the exit (it restores the terminal first), so the signal handler only removes the
 * roots; otherwise it also exits with 128+n, as the default handler would have.
 */
class DemoRoots {
  private readonly dirs: string[] = [];
  private readonly handlers = new Map<NodeJS.Signals | 'exit', () => void>();
  uiOwnsExit = false;
  private disposed = false;

  async create(): Promise<WizardSession> {
    // the sample and its writer are loaded only for the demo
    const [{ materializeRoot }, { SAMPLE_WORKSTATION }] = await Promise.all([import('../demo/materialize.js'), import('../demo/sample-workstation.js')]);
    // quit while the sample was loading: the wizard is gone, and nothing would remove the root
    if (this.disposed) throw new Error('the wizard has ended');
    if (this.handlers.size === 0) this.listen();
    const base = os.tmpdir();
    let dir: string | null = null;
    try {
      dir = mkdtempSync(path.join(base, 'vfio-wizard-demo-'));
      this.dirs.push(dir);
      materializeRoot(SAMPLE_WORKSTATION, dir);
      return scanSession(dir, true);
    } catch (err) {
      // only this attempt's half-written root: a demo already on the screen keeps its own
      if (dir !== null) {
        try {
          rmSync(dir, { recursive: true, force: true });
          this.dirs.splice(this.dirs.indexOf(dir), 1);
        } catch {
          /* left in the list: removed when the wizard ends */
        }
      }
      throw demoRootError(err, base);
    }
  }

  private listen(): void {
    // A terminal that goes away may just end stdin: the loop drains and the process exits
    // with no signal at all, so 'exit' is a cleanup point too (rmSync works there).
    this.handlers.set('exit', this.onExit);
    process.on('exit', this.onExit);
    for (const [signal, code] of Object.entries(SIGNAL_CODES) as [NodeJS.Signals, number][]) {
      const handler = () => {
        this.removeDirs();
        if (!this.uiOwnsExit) process.exit(code);
      };
      this.handlers.set(signal, handler);
      process.on(signal, handler);
    }
  }

  private readonly onExit = () => this.removeDirs();

  private removeDirs(): void {
    for (const dir of this.dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  }

  dispose(): void {
    this.disposed = true;
    this.removeDirs();
    for (const [event, handler] of this.handlers) process.off(event, handler);
    this.handlers.clear();
  }
}

/** Why the demo's sample could not be written under the temporary directory, as the CLI reports it. */
function demoRootError(err: unknown, base: string): unknown {
  const code = errnoCode(err);
  const remedy = 'Point TMPDIR at a writable directory with a few MB free (e.g. TMPDIR=/var/tmp vfio-wizard --demo). Nothing was changed.';
  if (code === 'ENOSPC' || code === 'EDQUOT') return new UserError(`no space left in ${base} for the demo's sample workstation`, ExitCode.noSpace, remedy);
  if (code === 'EROFS') return new UserError(`the file system holding ${base} is read-only: the demo's sample workstation cannot be written there`, ExitCode.readOnly, remedy);
  if (code === 'EACCES') return new UserError(`the demo's sample workstation cannot be written in ${base} (EACCES)`, ExitCode.badInput, remedy);
  // refused even to root: immutable, as exit 10 means everywhere else
  if (code === 'EPERM') return new UserError(`${base} refuses the demo's sample workstation (EPERM)`, ExitCode.readOnly, `lsattr -d ${base} shows an "i" when it is immutable (chattr -i removes it). ${remedy}`);
  if (code === 'ENOENT' || code === 'ENOTDIR') return new UserError(`the temporary directory ${base} does not exist`, ExitCode.badInput, remedy);
  return err;
}

function scanSession(rootDir: string, demo: boolean): WizardSession {
  const root = systemRoot(rootDir);
  const facts = scanHost(root);
  return { facts, checks: runChecks(facts), demo, rootDir, share: readShareFacts(root, facts), hostValidate: !demo && root.live && facts.virt.virtHostValidate !== null };
}

const SYMBOL: Record<CheckStatus, string> = { pass: '✔', warn: '!', fail: '✘', unknown: '?' };

function checklistText(checks: readonly Check[]): string[] {
  const out: string[] = [];
  for (const c of checks) {
    out.push(`  ${SYMBOL[c.status]} ${c.title} — ${c.summary}`);
    if (c.status !== 'pass' && c.remedy) out.push(`      Fix: ${c.remedy}`);
  }
  return out;
}

/** The plain-text overview: the checklist, the devices by IOMMU group, and what to do next. */
export function plainOverview(session: WizardSession): string {
  const { facts, checks, demo } = session;
  const out: string[] = [];
  if (demo) out.push(DEMO_BANNER, '');
  const host = [facts.distro.prettyName ?? facts.distro.id, facts.kernel.release && `kernel ${facts.kernel.release}`, facts.cpu.model]
    .filter(Boolean)
    .join(' · ');
  out.push(`vfio-wizard — ${demo ? 'sample workstation' : 'this host'}: ${host || 'unknown'}`, '');
  out.push('Host readiness');
  out.push(...checklistText(checks), '');
  out.push('Devices by IOMMU group');
  const note = noGroupsNote(facts);
  if (note !== null) out.push(`  ${note}`);
  for (const group of buildGroups(facts)) {
    out.push(`  ${groupTitle(group)}`);
    for (const row of group.devices) {
      out.push(`    ${deviceLine(row)}`);
      // Bridges are tagged; explaining each one would drown the lines that matter.
      if (!row.flags.bridge) for (const e of flagExplanations(row, group)) out.push(`      ${e}`);
    }
  }
  if (facts.devices.length === 0) out.push('  (no PCI devices found)');
  out.push('');
  const blocking = blockingChecks(checks);
  if (blocking.length > 0) {
    out.push('This machine cannot do PCI passthrough:');
    for (const c of blocking) out.push(`  ✘ ${c.title}: ${c.summary}`, ...(c.remedy ? [`      Fix: ${c.remedy}`] : []));
    if (!demo) out.push('To walk the whole wizard on a bundled sample workstation instead, run: vfio-wizard --demo');
    out.push('');
  }
  out.push('Nothing was changed. Run vfio-wizard in a terminal for the interactive wizard,');
  out.push('or see `vfio-wizard check` for the checklist with an exit status.');
  return `${out.join('\n')}\n`;
}

export async function runWizard(ctx: WizardContext): Promise<number> {
  const { io, globals } = ctx;
  const mode = outputMode(globals, io);
  const demos = new DemoRoots();
  try {
    if (mode === 'tui') return await runTui(ctx, demos);
    const session = globals.demo ? await demos.create() : scanSession(globals.root, false);
    if (mode === 'json') {
      io.stdout.write(`${JSON.stringify({ demo: session.demo, facts: session.facts, checks: session.checks }, null, 2)}\n`);
      return ExitCode.ok;
    }
    // plain: libvirt's own host check, as the terminal UI runs it on the readiness screen
    if (session.hostValidate) {
      const { createRunner } = await import('../run/runner.js');
      io.stdout.write("Running libvirt's host check (virt-host-validate qemu):\n");
      const vhv = await runVirtHostValidate(session.facts, createRunner({ logDir: null }), { onLine: (line) => void io.stdout.write(`virt-host-validate: ${line}\n`) });
      io.stdout.write('\n');
      io.stdout.write(plainOverview({ ...session, checks: runChecks(session.facts, { virtHostValidate: vhv }) }));
      return ExitCode.ok;
    }
    io.stdout.write(plainOverview(session));
    return ExitCode.ok;
  } finally {
    demos.dispose();
  }
}

/**
 * The terminal UI. Its first frame comes before the host is scanned (or the demo's sample is
 * written): on a big server or in the demo the wizard is on the screen at once.
 */
async function runTui(ctx: WizardContext, demos: DemoRoots): Promise<number> {
  const { globals } = ctx;
  // Only here and in cli.ts's default action (which starts loading it early, in this same
  // mode) does src/ reach into the UI chunk: --help, --version and the plain and JSON paths
  // never load react or ink.
  const { startTui } = await (ctx.ui ?? import('../../components/tui.js'));
  demos.uiOwnsExit = true;
  const load = async (signal: AbortSignal): Promise<WizardSession> => {
    const session = globals.demo ? await demos.create() : scanSession(globals.root, false);
    // MIG mode comes from nvidia-smi (running system only, when installed), as `share` asks it;
    // only the terminal UI shows the share screens. Quitting meanwhile stops nvidia-smi.
    if (!session.demo && session.share) session.share = { ...session.share, mig: await migState(systemRoot(globals.root), signal) };
    return session;
  };
  // The change path's engine (steps, apply, rollback, the runner, the VM exporters) is loaded
  // once the wizard's first screen is drawn: no first screen needs it, and it is half the code.
  const hub = createEventHub<CommandEvent>();
  const config = {
    rootDir: globals.root,
    commands: globals.commands ?? 'chroot',
    // never a password prompt: the wizard says how to re-run it as root and changes nothing
    rerunHint: `sudo ${shellJoin(['vfio-wizard', ...process.argv.slice(2)])}`,
    hub,
  } as const;
  const lazySteps: LazyStepServices<WizardSession> = {
    isRoot: effectiveUid({}) === 0,
    rerunHint: config.rerunHint,
    status: (s) => readStatus(systemRoot(s.rootDir ?? config.rootDir)),
    load: async () => (await import('./wizard-services.js')).createWizardServices(config),
  };
  return startTui({
    loading: { title: globals.demo ? 'Preparing the sample workstation…' : 'Scanning this host…', demo: Boolean(globals.demo), load },
    lazySteps,
    commandFeed: hub,
    ...(globals.demo ? {} : { loadDemo: () => demos.create() }),
  });
}
