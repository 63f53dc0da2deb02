// Argument parsing, mode choice (tui | plain | json) and exit codes. This file and the
// command modules it registers never import react or ink: the UI is a lazily loaded chunk.
import { Command, CommanderError, Option } from 'commander';
import { ExitCode, saysWhatChanged, UserError } from './exit-codes.js';
import { commands } from './commands/index.js';
import { outputMode, type GlobalOptions } from './commands/context.js';

import { VERSION } from './version.js';
import { terminalSafe } from './terminal-safe.js';

export { VERSION };

export interface MainIo {
  stdout: NodeJS.WriteStream | { write(s: string): unknown; isTTY?: boolean };
  stderr: { write(s: string): unknown };
  stdinIsTTY: boolean;
  env: NodeJS.ProcessEnv;
}

/** A stream whose text writes go through terminalSafe (the terminal UI writes to process.stdout itself). */
const safe = (stream: NodeJS.WriteStream): MainIo['stdout'] => ({
  write: (s: string | Uint8Array) => stream.write(typeof s === 'string' ? terminalSafe(s, stream.isTTY === true) : s),
  get isTTY() {
    return stream.isTTY;
  },
});

const defaultIo = (): MainIo => ({
  stdout: safe(process.stdout),
  stderr: safe(process.stderr),
  stdinIsTTY: Boolean(process.stdin.isTTY),
  env: process.env,
});

export function buildProgram(io: MainIo, setExit: (code: number) => void): Command {
  const program = new Command('vfio-wizard')
    .description(
      'Take this machine to PCI passthrough with VFIO: readiness checks, kernel command line, vfio binding ' +
        'and VM creation. Nothing changes before you have seen the diff and the exact commands.',
    )
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  vfio-wizard                          the interactive wizard (in a terminal)\n' +
        '  vfio-wizard --demo                   the wizard on a bundled sample workstation\n' +
        '  vfio-wizard check                    readiness, layer by layer (exit 3 when one fails)\n' +
        '  vfio-wizard plan --step cmdline      the kernel parameters this host needs, as a diff\n' +
        '  sudo vfio-wizard apply --step cmdline\n' +
        '  vfio-wizard rollback --root /mnt     undo from a rescue system with the disk at /mnt\n',
    )
    .version(VERSION, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .addOption(new Option('--root <dir>', 'work on a system mounted at DIR (fixtures, images, rescue)').default('/'))
    .option('--json', 'machine-readable output on stdout (never starts the terminal UI)')
    .option('--plain', 'plain text output even in a terminal')
    .option('--no-color', 'no colours (NO_COLOR is honoured too)')
    .option('--demo', 'walk every screen on a bundled sample workstation; nothing is run')
    .addOption(new Option('--commands <mode>', 'with --root: run the steps\' commands inside DIR (chroot) or only list them (skip) — the wizard, apply and rollback').choices(['chroot', 'skip']).default('chroot'))
    .showSuggestionAfterError(true)
    .configureOutput({
      writeOut: (s) => void io.stdout.write(s),
      writeErr: (s) => void io.stderr.write(s),
      // commander's "error: unknown option '--x'" in our own form, with where to look
      outputError: (s, write) => write(`vfio-wizard: ${s.replace(/^error: /, '').trimEnd()}\n  vfio-wizard --help lists the commands and options. Nothing was changed.\n`),
    })
    // each command's --help lists --root, --json and the other options that work everywhere
    .configureHelp({ showGlobalOptions: true })
    .exitOverride();

  const globals = (): GlobalOptions => {
    const o = program.opts<{ root: string; json?: boolean; plain?: boolean; color: boolean; demo?: boolean; commands: 'chroot' | 'skip' }>();
    return { root: o.root, json: Boolean(o.json), plain: Boolean(o.plain), color: o.color, demo: Boolean(o.demo), commands: o.commands };
  };

  for (const register of commands) register(program, { io, globals, setExit });

  // --demo is the wizard on a sample workstation: silently scanning this machine instead (scan
  // --demo) or ignoring --root would show the wrong system
  program.hook('preAction', (_program, action) => {
    if (!program.opts<{ demo?: boolean }>().demo) return;
    if (program.getOptionValueSource('root') === 'cli') {
      throw new UserError('--demo and --root cannot be used together', ExitCode.usage, '--demo works on a bundled sample workstation, --root on a system mounted at DIR: choose one.');
    }
    if (action !== program) {
      throw new UserError(
        `--demo is for the wizard itself; ${action.name()} works on this machine or on --root DIR`,
        ExitCode.usage,
        'vfio-wizard --demo walks every screen on the sample workstation; vfio-wizard --demo --json prints its facts and checks.',
      );
    }
  });

  // without it commander says "too many arguments" for a mistyped command
  program.allowExcessArguments(true);
  program.action(async () => {
    if (program.args.length > 0) {
      io.stderr.write(`vfio-wizard: unknown command '${program.args[0]}'. The commands are: ${program.commands.map((c) => c.name()).join(', ')} (vfio-wizard --help).\n`);
      setExit(ExitCode.usage);
      return;
    }
    const g = globals();
    // The terminal UI's chunk starts loading beside the wizard's own, so its files are read while
    // the host is scanned. Marked handled here: runWizard awaits it, unless it failed before.
    const ui = outputMode(g, io) === 'tui' ? import('../components/tui.js') : undefined;
    ui?.catch(() => undefined);
    const { runWizard } = await import('./commands/wizard.js');
    setExit(await runWizard({ io, globals: g, setExit, ui }));
  });
  return program;
}

export async function main(argv: string[], io: MainIo = defaultIo()): Promise<number> {
  let exit: number = ExitCode.ok;
  const program = buildProgram(io, (c) => {
    exit = c;
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') {
        return ExitCode.ok;
      }
      return ExitCode.usage;
    }
    if (err instanceof UserError) {
      // --json: a document on stdout too, so a script reading it learns why there is no result
      if (program.opts<{ json?: boolean }>().json) {
        io.stdout.write(`${JSON.stringify({ schemaVersion: 1, error: { message: err.message, remedy: err.remedy ?? null, exitCode: err.exitCode } }, null, 2)}\n`);
      }
      io.stderr.write(`vfio-wizard: ${err.message}\n`);
      if (err.remedy) io.stderr.write(`  ${err.remedy}\n`);
      // an error that says what did change (an interrupted step undone first) gets no "nothing"
      if (!saysWhatChanged(`${err.message} ${err.remedy ?? ''}`)) io.stderr.write('  Nothing was changed.\n');
      return err.exitCode;
    }
    io.stderr.write(`vfio-wizard: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    io.stderr.write('  Nothing was changed by this error. Please report it with the output above.\n');
    return ExitCode.failed;
  }
  return exit;
}
