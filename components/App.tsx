// The wizard's root: one reducer (src/wizard.ts) holds all state; every key is dispatched to it
// raw, so back-to-back keys are applied to the latest state (Ink 6.8's input handler can be
// stale, the reducer cannot). Screens are pure functions of that state and the terminal size.
import { useCallback, useEffect, useReducer, useRef } from 'react';
import { Box, Text, useInput, useStdin, type Key } from 'ink';
import {
  busy,
  currentFlow,
  hasApplied,
  initWizard,
  nextScreen,
  previousScreen,
  STEP_TITLES,
  STEPS,
  trialOffered,
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
import { interruptedWarning, undoableAfter, undoableSteps } from '../src/wizard-step.js';
import { Lines } from './Lines.js';
import { para } from './diff-lines.js';
import { cmdlineView } from '../src/wizard-cmdline.js';
import { isolateView } from '../src/wizard-isolate.js';
import { openShare } from '../src/wizard-share.js';
import { ChangeStep } from './ChangeStep.js';
import { CmdlineStep, TrialStep } from './CmdlineStep.js';
import { IsolateStep, TryNowStep } from './IsolateStep.js';
import { VmStep } from './VmStep.js';
import { ShareStep } from './ShareStep.js';
import { ConfirmAction } from './ConfirmAction.js';
import { Summary } from './Summary.js';
import { UndoPanel } from './UndoPanel.js';
import { Verify } from './Verify.js';
import { OutputPane } from './OutputPane.js';
import { findResume, useStepRunner } from './hooks/useStepRunner.js';

/** Smallest terminal the screens are laid out for; below it the wizard asks for more room. */
export const MIN_COLUMNS = 40;
export const MIN_ROWS = 12;

/** Keys of the change path's overlays and phases; null when the plain screen hints apply. */
function changeHints(state: WizardState): KeyHint[] | null {
  if (state.confirm) {
    return state.canApply ? [['y', 'confirm'], ['←→', 'choose'], ['⏎', 'press'], ['n/Esc', 'cancel']] : [['⏎/Esc', 'back']];
  }
  const u = state.undo;
  if (u) {
    if (u.phase === 'running') return [['Ctrl+C', 'stop'], ['v', 'all output'], ['q', 'quit']];
    const hints: KeyHint[] = [];
    if (u.scrollMax > 0) hints.push(['PgUp/PgDn', 'scroll']);
    if (u.result?.status === 'blocked') hints.push(['f', 'force (asks again)']);
    hints.push(['⏎', 'close'], ['q', 'quit']);
    return hints;
  }
  const flow = currentFlow(state);
  if (!flow) return null;
  const hints: KeyHint[] = [];
  switch (flow.phase) {
    case 'decide': {
      if (flow.stepId === 'vm') {
        const vm = state.vm;
        if (vm.editing) return [['↑↓/Tab', 'field'], ['type', 'edit'], ['←→', 'choose'], ['⏎', 'check'], ['Esc', 'stop editing'], ['Ctrl+C', 'quit']];
        if (vm.exportFormat !== null) {
          hints.push(['PgUp/PgDn', 'scroll'], ['x', 'next format'], ['Esc', 'close']);
          break;
        }
        if (vm.form) hints.push(['e', 'edit'], ['x', 'export']);
        if (flow.outcome?.kind === 'plan') hints.push(['⏎', 'review']);
        break;
      }
      if (flow.stepId === 'sriov' || flow.stepId === 'mdev' || flow.stepId === 'vgpu-type') {
        if (flow.stepId !== 'sriov') hints.push(['↑↓', 'type']);
        if (flow.stepId !== 'vgpu-type') hints.push(['←→', 'count']);
        if (flow.outcome?.kind === 'plan') hints.push(['⏎', 'review']);
        break;
      }
      if (flow.stepId === 'isolate') {
        const n = flow.outcome ? isolateView(flow.outcome).blockers.length : 0;
        if (n > 0) hints.push(['↑↓', 'move'], ['space', 'override/change']);
        else if (flow.outcome) hints.push(['m', 'bind by']);
        if (state.selection.length > 0) hints.push(['t', 'try it now']);
        if (flow.outcome?.kind === 'plan' && (flow.outcome.blockers?.length ?? 0) === 0) hints.push(['⏎', 'review']);
        break;
      }
      const view = flow.outcome && flow.stepId === 'cmdline' ? cmdlineView(flow.outcome) : null;
      if (view && view.params.length > 0) hints.push(['↑↓', 'move'], ['space', 'toggle']);
      if (view && view.conflicts.length > 0) hints.push(['c', 'consent']);
      if (flow.stepId === 'cmdline') hints.push(['l', 'loader']);
      if (flow.stepId === 'cmdline' && trialOffered(flow)) hints.push(['t', 'trial boot once']);
      if (flow.outcome?.kind === 'plan' && (flow.outcome.blockers?.length ?? 0) === 0) hints.push(['⏎', 'review']);
      break;
    }
    case 'review':
      if (flow.scrollMax > 0) hints.push(['PgUp/PgDn', 'scroll']);
      hints.push(['⏎', state.canApply ? 'apply…' : 'how to apply'], ['Esc', 'back']);
      return [...hints, ['q', 'quit']];
    case 'applying':
      return [['Ctrl+C', flow.cancelStage === 'running' ? 'stop' : 'kill'], ['v', 'all output'], ['q', 'quit']];
    case 'done':
    case 'failed':
      if (flow.scrollMax > 0) hints.push(['PgUp/PgDn', 'scroll']);
      if (undoableAfter(flow)) hints.push(['u', 'undo this step']);
      hints.push(['r', 'decide again']);
      break;
  }
  // u works on every decide screen whose step the journal holds as applied (or half done)
  if (flow.phase === 'decide' && hasApplied(state, flow.stepId)) hints.push(['u', 'undo this step']);
  return [...hints, ...navHints(state)];
}

function navHints(state: WizardState): KeyHint[] {
  const hints: KeyHint[] = [];
  if (nextScreen(state) !== null && state.screen !== 'welcome') hints.push(['n', 'next']);
  if (previousScreen(state) !== null) hints.push(['b', 'back']);
  hints.push(['q', 'quit']);
  return hints;
}

export function keyHints(state: WizardState): KeyHint[] {
  if (state.confirmQuit !== null) return [['y', 'quit anyway'], ['n', 'stay']];
  const change = changeHints(state);
  if (change) return change;
  const hints: KeyHint[] = [];
  const demo: KeyHint[] = state.demoAvailable ? [['d', 'demo']] : [];
  switch (state.screen) {
    case 'welcome':
      hints.push(['⏎', 'start'], ...demo);
      break;
    case 'readiness':
      hints.push(['↑↓', 'move'], ['⏎/→', state.readiness.expanded === null ? 'details' : 'close']);
      if (state.readiness.detailMax > 0 && state.readiness.expanded !== null) hints.push(['PgUp/PgDn', 'scroll']);
      if (state.session.hostValidate && state.hostCheck.phase !== 'running') hints.push(['r', 'libvirt check again']);
      break;
    case 'devices':
      hints.push(['↑↓', 'move'], ['space', 'choose card'], ['⏎', 'bind chosen']);
      if (state.devices.cursor !== null && openShare(state.session.facts, state.session.share, state.devices.cursor)) hints.push(['s', 'share']);
      hints.push(['f', state.devices.filter === 'gpu' ? 'show everything' : 'GPUs only']);
      break;
    case 'notReady':
      hints.push(...demo, ['v', 'devices anyway']);
      break;
    case 'summary': {
      const n = undoableSteps(state.summary.status).length;
      if (n > 1) hints.push(['↑↓', 'move']);
      if (n > 0) hints.push(['u', 'undo this step'], ['a', 'undo everything']);
      hints.push(['r', 'refresh']);
      break;
    }
    case 'verify':
      if (state.verify?.phase === 'done') {
        hints.push(['r', 'check again']);
        if (state.verify.check && !state.verify.check.ok) hints.push(['u', 'undo this step']);
        hints.push(['⏎', 'continue']);
      }
      return [...hints, ['q', 'quit']];
  }
  return [...hints, ...navHints(state)];
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
  /** keys typed while the first frame waited for the session (Startup): handled first, in order */
  typedAhead?: readonly TypedKey[];
}

/** A key press as Ink reports it. */
export interface TypedKey {
  input: string;
  key: Key;
}

export function App({ session, onExit, typedAhead }: AppProps) {
  const services = useServices();
  // the services loaded later (lazySteps) know these three from the start
  const start = services.steps ?? services.lazySteps;
  const [state, dispatch] = useReducer(wizardReducer, session, (s) =>
    initWizard(s, {
      demoAvailable: services.loadDemo !== undefined,
      // after the reboot a step asked for, the wizard opens at that step's check
      resume: findResume(start ? () => start.status(s) : undefined),
      canApply: start?.isRoot ?? false,
      rerunHint: start?.rerunHint,
    }),
  );
  useStepRunner(state, dispatch);
  const { isRawModeSupported } = useStdin();
  // Stable handler: it reads nothing from the render, so a stale subscription is harmless.
  const onKey = useCallback((input: string, key: Key) => dispatch({ type: 'key', key: keyPress(input, key) }), []);
  useInput(onKey, { isActive: Boolean(isRawModeSupported) });
  // once, on mount: the keys are the user's, typed ahead while the host was scanned
  const typed = useRef(typedAhead);
  useEffect(() => {
    for (const k of typed.current ?? []) onKey(k.input, k.key);
    typed.current = undefined;
  }, [onKey]);
  const onOverflow = useCallback((max: number) => dispatch({ type: 'detailsOverflow', max }), []);
  const onScrollOverflow = useCallback((max: number) => dispatch({ type: 'scrollOverflow', max }), []);

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
  const feed = services.commandFeed;
  // The pane sits at the same place in both layouts below, so React keeps it mounted while the
  // terminal is too small: its <Static> history must never unmount, and a command that started
  // before the shrink keeps its lines and its header once the terminal grows again.
  if (columns < MIN_COLUMNS || rows < MIN_ROWS) {
    return (
      <Box flexDirection="column">
        <Text wrap="truncate-end">
          {truncate(`Terminal too small (${columns}x${rows}); vfio-wizard needs ${MIN_COLUMNS}x${MIN_ROWS}. q quits.`, columns)}
        </Text>
        {feed ? <OutputPane feed={feed} reservedRows={rows} maxTail={1} keys={false} /> : null}
        {null}
      </Box>
    );
  }
  const hints = keyHints(state);
  const helpHeight = keyHelpLines(hints, columns).length;
  const demo = state.session.demo;
  // Keep the frame strictly shorter than the terminal: at full height Ink clears the screen on every frame.
  const asking = state.confirmQuit !== null ? 1 : 0;
  const full = rows - 1 - (demo ? 1 : 0) - 1 - asking - helpHeight;
  // While a step's commands (or libvirt's host check) run, the output pane takes the bottom third
  // of the screen; the tail it keeps follows that height (1 line while hidden).
  const paneRows = feed && (busy(state) || state.hostCheck.phase === 'running') ? Math.max(2, Math.floor(full / 3)) : 0;
  const flow = currentFlow(state);
  // an earlier run left a step half done: every change step says so above its plan (at most 3 lines)
  const warning = flow && !state.confirm && !state.undo && (flow.phase === 'decide' || flow.phase === 'review') ? interruptedWarning(state.summary.status, flow.stepId) : null;
  const warningLines = warning ? para(warning, columns, { color: 'yellow' }).slice(0, 3) : [];
  const height = Math.max(1, full - paneRows - warningLines.length);
  const screenProps = { state, columns, height };
  return (
    <Box flexDirection="column">
      <Box flexDirection="column" width={columns}>
        {demo ? <Banner columns={columns} /> : null}
        <Text bold color="cyan" wrap="truncate-end">
          {truncate(header(state), columns)}
        </Text>
        {warningLines.length > 0 ? <Lines lines={warningLines} /> : null}
        <Box flexDirection="column" height={height}>
          {state.confirm ? (
            <ConfirmAction {...screenProps} />
          ) : state.undo ? (
            <UndoPanel {...screenProps} onOverflow={onScrollOverflow} />
          ) : (
            <>
              {state.screen === 'welcome' ? <Welcome {...screenProps} /> : null}
              {state.screen === 'readiness' ? <Readiness {...screenProps} onOverflow={onOverflow} /> : null}
              {state.screen === 'cmdline' && flow ? (
                <ChangeStep {...screenProps} flow={flow} onOverflow={onScrollOverflow} decide={<CmdlineStep {...screenProps} />} />
              ) : null}
              {state.screen === 'isolate' && flow ? (
                <ChangeStep {...screenProps} flow={flow} onOverflow={onScrollOverflow} decide={<IsolateStep {...screenProps} />} />
              ) : null}
              {state.screen === 'trial' && flow ? (
                <ChangeStep {...screenProps} flow={flow} onOverflow={onScrollOverflow} decide={<TrialStep {...screenProps} />} />
              ) : null}
              {state.screen === 'tryNow' && flow ? (
                <ChangeStep {...screenProps} flow={flow} onOverflow={onScrollOverflow} decide={<TryNowStep {...screenProps} />} />
              ) : null}
              {(state.screen === 'shareSriov' || state.screen === 'shareMdev' || state.screen === 'shareVgpu') && flow ? (
                <ChangeStep {...screenProps} flow={flow} onOverflow={onScrollOverflow} decide={<ShareStep {...screenProps} screen={state.screen} />} />
              ) : null}
              {state.screen === 'vm' && flow ? (
                <ChangeStep {...screenProps} flow={flow} onOverflow={onScrollOverflow} decide={<VmStep {...screenProps} />} />
              ) : null}
              {state.screen === 'devices' ? <DeviceBrowser {...screenProps} /> : null}
              {state.screen === 'summary' ? <Summary {...screenProps} /> : null}
              {state.screen === 'verify' ? <Verify {...screenProps} /> : null}
              {state.screen === 'notReady' ? <NotReady {...screenProps} /> : null}
            </>
          )}
        </Box>
      </Box>
      {/* mounted for the whole session: its <Static> history must never unmount (Ink 6.8 then
          runs out of memory on the next frame), and no command's first lines may be missed */}
      {/* v (every line into the scrollback, or back to the tail) belongs to the pane while a command runs: the reducer ignores it then */}
      {feed ? <OutputPane feed={feed} reservedRows={Math.max(0, rows - paneRows - 1)} maxTail={Math.max(1, paneRows - 1)} keys={busy(state)} /> : null}
      <Box flexDirection="column" width={columns}>
        {asking ? (
          <Text color="yellow" bold wrap="truncate-end">
            {truncate(`${state.pending ?? 'Work'} is in progress. Quit anyway?`, columns)}
          </Text>
        ) : null}
        <KeyHelp hints={hints} columns={columns} />
      </Box>
    </Box>
  );
}
