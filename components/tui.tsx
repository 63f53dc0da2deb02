// The Ink entry point, loaded only through dynamic imports (src/cli.ts starts it loading when the
// terminal UI will be shown; src/commands/wizard.ts starts it). This is the one owner of exit:
// the App (or the first frame, while the session loads) reports an exit code, startTui unmounts
// Ink exactly once (so the terminal never stays in raw mode) and resolves with that code — or
// rejects with the error when the session could not be loaded.
import { render } from 'ink';
import { backgroundBusy, backgroundIdle } from '../src/run/background-work.js';
import type { WizardSession } from '../src/wizard.js';
import { App, type TypedKey } from './App.js';
import { ServicesProvider, type WizardServices } from './services.js';
import { Startup, type SessionLoad } from './Startup.js';

export interface TuiProps extends WizardServices {
  /** the session to show at once; or `loading`: the first frame comes first, then the session */
  session?: WizardSession;
  /** how to get the session after the first frame (runWizard: scan the host, or write the demo's sample) */
  loading?: SessionLoad;
  /** streams for tests; default to the process's own */
  stdout?: NodeJS.WriteStream;
  stdin?: NodeJS.ReadStream;
  stderr?: NodeJS.WriteStream;
}

/** Signals that end the wizard from outside, with the conventional 128+n exit codes. */
const SIGNAL_EXIT: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };

export function startTui(props: TuiProps): Promise<number> {
  const { session, loading, stdout, stdin, stderr, ...services } = props;
  if (!session && !loading) throw new Error('startTui needs a session or a way to load one');
  return new Promise<number>((resolve, reject) => {
    let done = false;
    const handlers = new Map<NodeJS.Signals, () => void>();
    // Declared before render so an exit reported during the first commit finds it.
    let unmount: (() => void) | null = null;
    let pendingCode: number | null = null;
    const finish = (code: number) => {
      if (done) return;
      if (unmount === null) {
        pendingCode = code;
        return;
      }
      done = true;
      unmount();
      if (backgroundBusy()) (stderr ?? process.stderr).write('vfio-wizard: the running step is being stopped and rolled back before exiting…\n');
      // Work the App started may still be ending — a canceled step rolling back, its regeneration
      // running — and must not be killed halfway: until it is done the listeners stay (doing
      // nothing now), because without one of ours Ink's exit hook re-raises the signal and the
      // process dies at once (a hung-up terminal left the step applying and the lock held). They
      // go after the signal's dispatch at the earliest, and the exit code comes once all is done.
      void backgroundIdle().then(() =>
        setImmediate(() => {
          for (const [signal, handler] of handlers) process.off(signal, handler);
          resolve(code);
        }),
      );
    };
    // the session could not be loaded: no App ran, nothing of ours is in the background
    const fail = (err: unknown) => {
      if (done || unmount === null) return;
      done = true;
      unmount();
      for (const [signal, handler] of handlers) process.off(signal, handler);
      reject(err);
    };
    for (const [signal, code] of Object.entries(SIGNAL_EXIT) as [NodeJS.Signals, number][]) {
      const handler = () => finish(code);
      handlers.set(signal, handler);
      process.on(signal, handler);
    }
    // the services (and the engine they load after the first frame) begin with the App
    const app = (s: WizardSession, typedAhead?: readonly TypedKey[]) => (
      <ServicesProvider services={services}>
        <App session={s} onExit={finish} typedAhead={typedAhead} />
      </ServicesProvider>
    );
    let instance: ReturnType<typeof render>;
    try {
      instance = render(
        session ? (
          app(session)
        ) : (
          <Startup loading={loading!} onExit={finish} onFailed={fail}>
            {app}
          </Startup>
        ),
        {
          stdout: stdout ?? process.stdout,
          stdin: stdin ?? process.stdin,
          stderr: stderr ?? process.stderr,
          exitOnCtrlC: false,
          patchConsole: false,
        },
      );
    } catch (err) {
      for (const [signal, handler] of handlers) process.off(signal, handler);
      reject(err);
      return;
    }
    unmount = () => instance.unmount();
    if (pendingCode !== null) finish(pendingCode);
  });
}
