// The wizard's root: one reducer (src/wizard.ts) holds all state; every key is dispatched to it
// raw, so back-to-back keys are applied to the latest state (Ink 6.8's input handler can be
// stale, the reducer cannot). Screens are pure functions of that state and the terminal size.
import { useCallback, useEffect, useReducer } from 'react';
import { Box, Text, useInput, useStdin, type Key } from 'ink';
import {
  initWizard,
  nextScreen,
  previousScreen,
  STEP_TITLES,
  STEPS,
  wizardReducer,
  type WizardSession,
  type WizardState,
} from '../src/wizard.js';
import { useServices } from './services.js';
import { useTerminalSize } from './terminal-size.js';
import { Banner } from './Banner.js';
import { KeyHelp, keyHelpLines, type KeyHint } from './KeyHelp.js';
import { Welcome } from './Welcome.js';
import { Readiness } from './Readiness.js';
import { DeviceBrowser } from './DeviceBrowser.js';
import { NotReady } from './NotReady.js';
import { truncate } from './text-layout.js';

/** Smallest terminal the screens are laid out for; below it the wizard asks for more room. */
export const MIN_COLUMNS = 40;
export const MIN_ROWS = 12;

export function keyHints(state: WizardState): KeyHint[] {
  if (state.confirmQuit !== null) return [['y', 'quit anyway'], ['n', 'stay']];
  const hints: KeyHint[] = [];
  const demo: KeyHint[] = state.demoAvailable ? [['d', 'demo']] : [];
  switch (state.screen) {
    case 'welcome':
      hints.push(['⏎', 'start'], ...demo);
      break;
    case 'readiness':
      hints.push(['↑↓', 'move'], ['⏎/→', state.readiness.expanded === null ? 'details' : 'close']);
      if (state.readiness.detailMax > 0 && state.readiness.expanded !== null) hints.push(['PgUp/PgDn', 'scroll']);
      break;
    case 'devices':
      hints.push(['↑↓', 'move'], ['f', state.devices.filter === 'gpu' ? 'show everything' : 'GPUs only']);
      break;
    case 'notReady':
      hints.push(...demo, ['v', 'devices anyway']);
      break;
  }
  if (nextScreen(state) !== null && state.screen !== 'welcome') hints.push(['n', 'next']);
  if (previousScreen(state) !== null) hints.push(['b', 'back']);
  hints.push(['q', 'quit']);
  return hints;
}

function header(state: WizardState): string {
  const step = STEPS.indexOf(state.screen as (typeof STEPS)[number]);
  const where = step >= 0 ? `${step + 1}/${STEPS.length} ${STEP_TITLES[state.screen]}` : STEP_TITLES[state.screen];
  return `vfio-wizard · ${where}`;
}

/** Ink's Key, narrowed to what the reducer reads. */
const keyPress = (input: string, k: Key) => ({
  input,
  upArrow: k.upArrow,
  downArrow: k.downArrow,
  leftArrow: k.leftArrow,
  rightArrow: k.rightArrow,
  pageUp: k.pageUp,
  pageDown: k.pageDown,
  home: k.home,
  end: k.end,
  return: k.return,
  escape: k.escape,
  ctrl: k.ctrl,
  tab: k.tab,
  backspace: k.backspace,
  delete: k.delete,
});

export interface AppProps {
  session: WizardSession;
  /** the single exit owner (startTui): called once with the exit code */
  onExit: (code: number) => void;
}

export function App({ session, onExit }: AppProps) {
  const services = useServices();
  const [state, dispatch] = useReducer(wizardReducer, session, (s) =>
    initWizard(s, { demoAvailable: services.loadDemo !== undefined }),
  );
  const { isRawModeSupported } = useStdin();
  // Stable handler: it reads nothing from the render, so a stale subscription is harmless.
  const onKey = useCallback((input: string, key: Key) => dispatch({ type: 'key', key: keyPress(input, key) }), []);
  useInput(onKey, { isActive: Boolean(isRawModeSupported) });
  const onOverflow = useCallback((max: number) => dispatch({ type: 'detailsOverflow', max }), []);

  const { loadDemo } = services;
  const loading = state.demo.state === 'loading';
  useEffect(() => {
    if (!loading || !loadDemo) return;
    let live = true;
    loadDemo().then(
      (demo) => live && dispatch({ type: 'demoLoaded', session: demo }),
      (err: unknown) => live && dispatch({ type: 'demoFailed', message: err instanceof Error ? err.message : String(err) }),
    );
    return () => {
      live = false;
    };
  }, [loading, loadDemo]);

  useEffect(() => {
    if (state.exit !== null) onExit(state.exit);
  }, [state.exit, onExit]);

  const { columns, rows } = useTerminalSize();
  if (columns < MIN_COLUMNS || rows < MIN_ROWS) {
    return (
      <Text wrap="truncate-end">
        {truncate(`Terminal too small (${columns}x${rows}); vfio-wizard needs ${MIN_COLUMNS}x${MIN_ROWS}. q quits.`, columns)}
      </Text>
    );
  }
  const hints = keyHints(state);
  const helpHeight = keyHelpLines(hints, columns).length;
  const demo = state.session.demo;
  // Keep the frame strictly shorter than the terminal: at full height Ink clears the screen on every frame.
  const asking = state.confirmQuit !== null ? 1 : 0;
  const height = rows - 1 - (demo ? 1 : 0) - 1 - asking - helpHeight;
  const screenProps = { state, columns, height };
  return (
    <Box flexDirection="column" width={columns}>
      {demo ? <Banner columns={columns} /> : null}
      <Text bold color="cyan" wrap="truncate-end">
        {truncate(header(state), columns)}
      </Text>
      <Box flexDirection="column" height={height}>
        {state.screen === 'welcome' ? <Welcome {...screenProps} /> : null}
        {state.screen === 'readiness' ? <Readiness {...screenProps} onOverflow={onOverflow} /> : null}
        {state.screen === 'devices' ? <DeviceBrowser {...screenProps} /> : null}
        {state.screen === 'notReady' ? <NotReady {...screenProps} /> : null}
      </Box>
      {asking ? (
        <Text color="yellow" bold wrap="truncate-end">
          {truncate(`${state.pending ?? 'Work'} is in progress. Quit anyway?`, columns)}
        </Text>
      ) : null}
      <KeyHelp hints={hints} columns={columns} />
    </Box>
  );
}
