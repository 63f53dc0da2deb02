// The first frame: drawn before the host is scanned (or the demo's sample written), so the
// wizard is on the screen at once, then the wizard itself once its session is there. q, Ctrl+C
// and signals end it meanwhile — between the steps of loading: the scan itself is synchronous
// (tens of ms on a workstation, about 250 ms on a 1,024-function server), and what runs after
// it (nvidia-smi for MIG) is stopped. Other keys are kept and handed to the wizard, as a terminal
// keeps what is typed ahead. A scan that fails ends the UI and is reported by the caller.
import { Box, Text, useInput, useStdin, type Key } from 'ink';
import { useCallback, useRef, useState, type ReactNode } from 'react';
import type { WizardSession } from '../src/wizard.js';
import type { TypedKey } from './App.js';
import { Banner } from './Banner.js';
import { useAfterFirstFrame } from './hooks/useAfterFirstFrame.js';
import { useTerminalSize } from './terminal-size.js';
import { truncate } from './text-layout.js';

export interface SessionLoad {
  /** what the first frame says while it runs, e.g. "Scanning this host…" */
  title: string;
  /** the demo (its banner is on the first frame too) */
  demo: boolean;
  /** `signal` is aborted when the wizard is quit before the session is there: stop what runs for it */
  load: (signal: AbortSignal) => Promise<WizardSession>;
}

export function Startup({
  loading,
  onExit,
  onFailed,
  children,
}: {
  loading: SessionLoad;
  onExit: (code: number) => void;
  onFailed: (err: unknown) => void;
  children: (session: WizardSession, typedAhead: readonly TypedKey[]) => ReactNode;
}) {
  const [session, setSession] = useState<WizardSession | null>(null);
  // quit (unmounted) before the session came: the load's signal is aborted, nothing keeps running for it
  useAfterFirstFrame(loading.load, setSession, onFailed);
  // the handler reads nothing from the render (Ink 6.8 can drop keys with closure-based handlers)
  const exit = useRef(onExit);
  exit.current = onExit;
  const typed = useRef<TypedKey[]>([]);
  const onKey = useCallback((input: string, key: Key) => {
    if (key.ctrl && input === 'c') exit.current(130);
    else if (input === 'q' || input === 'Q') exit.current(0);
    else typed.current.push({ input, key });
  }, []);
  const { isRawModeSupported } = useStdin();
  useInput(onKey, { isActive: session === null && Boolean(isRawModeSupported) });
  const { columns } = useTerminalSize();
  if (session !== null) return <>{children(session, typed.current)}</>;
  return (
    <Box flexDirection="column" width={columns}>
      {loading.demo ? <Banner columns={columns} /> : null}
      <Text bold color="cyan" wrap="truncate-end">
        {truncate(`vfio-wizard · ${loading.title}`, columns)}
      </Text>
      <Text dimColor wrap="truncate-end">
        q quit
      </Text>
    </Box>
  );
}
