// The VM form (the last screen of the main path): fields with their validation messages, then a
// confirm step with the exact virt-install command; and VmCreate, the live creation. State lives
// in the pure reducer src/vm/vm-form.ts; whether the ISO exists is asked of a service passed in
// by props (components never touch the file system).
import { useEffect, useReducer, useRef } from 'react';
import { Box, Text, useInput } from 'ink';
import { formatArgv } from '../src/run/format-result.js';
import type { HostResources } from '../src/vm/host-resources.js';
import { virtInstallArgv } from '../src/vm/virt-install-args.js';
import { FIELD_LABELS, FORM_FIELDS, TEXT_FIELDS, initialFormState, vmFormReducer } from '../src/vm/vm-form.js';
import type { VmSpec } from '../src/vm/vm-spec.js';
import { KeyHelp } from './KeyHelp.js';
import { OutputPane } from './OutputPane.js';
import type { CommandFeed } from './hooks/useCommandOutput.js';

export interface VmFormProps {
  /** defaults from the host (defaultVmSpec) with the selected devices */
  base: VmSpec;
  resources: HostResources;
  /** does this path name a file on the host? */
  isoExists: (path: string) => Promise<boolean>;
  onConfirm: (spec: VmSpec) => void;
  onCancel: () => void;
  columns?: number;
}

export function VmForm({ base, resources, isoExists, onConfirm, onCancel, columns = 80 }: VmFormProps) {
  const [s, dispatch] = useReducer(vmFormReducer, undefined, () => initialFormState(base, resources));

  useEffect(() => {
    if (s.phase !== 'checking' || s.spec?.install.kind !== 'iso') return;
    const path = s.spec.install.path;
    let live = true;
    isoExists(path).then(
      (exists) => live && dispatch({ type: 'iso-checked', path, exists }),
      () => live && dispatch({ type: 'iso-checked', path, exists: false }),
    );
    return () => {
      live = false;
    };
  }, [s.phase, s.spec, isoExists]);

  // Confirm and cancel go through the reducer too, so a key typed before a re-render still lands
  // in the right phase; the callbacks run once the state says so.
  const fired = useRef(false);
  useEffect(() => {
    if (fired.current) return;
    if (s.phase === 'done' && s.spec) {
      fired.current = true;
      onConfirm(s.spec);
    } else if (s.phase === 'canceled') {
      fired.current = true;
      onCancel();
    }
  }, [s.phase, s.spec, onConfirm, onCancel]);

  useInput((input, key) => {
    if (key.escape) return dispatch({ type: 'back' });
    if (key.return) return dispatch({ type: 'submit' });
    if (key.upArrow || (key.tab && key.shift)) return dispatch({ type: 'focus', delta: -1 });
    if (key.downArrow || key.tab) return dispatch({ type: 'focus', delta: 1 });
    if (key.backspace || key.delete) return dispatch({ type: 'backspace' });
    if (input && !key.ctrl && !key.meta) dispatch({ type: 'type', text: input });
  });

  if ((s.phase === 'confirm' || s.phase === 'done') && s.spec) {
    const spec = s.spec;
    return (
      <Box flexDirection="column">
        <Text bold>Create {spec.name}?</Text>
        <Text>
          {spec.memoryMiB} MiB · {spec.vcpus} vCPUs · {spec.disk.kind === 'new' ? `new ${spec.disk.sizeGiB} GiB disk` : spec.disk.kind === 'existing' ? spec.disk.path : 'no disk'} ·{' '}
          {spec.install.kind === 'iso' ? spec.install.path : 'boot the disk'} · display {spec.display}
        </Text>
        <Text>Passed through: {spec.devices.join(', ')}</Text>
        <Text dimColor>The command:</Text>
        <Text>{formatArgv(virtInstallArgv(spec))}</Text>
        <KeyHelp hints={[['Enter', 'create'], ['Esc', 'back to the form']]} columns={columns} />
      </Box>
    );
  }

  return (
    <Box flexDirection="column">
      <Text bold>The virtual machine</Text>
      {FORM_FIELDS.map((f, i) => {
        const focused = i === s.focus;
        const v = s.values[f];
        const shown = typeof v === 'boolean' ? (v ? '[x]' : '[ ]') : TEXT_FIELDS.has(f) ? `${v}${focused ? '▏' : ''}` : `‹ ${v} ›`;
        return (
          <Box key={f} flexDirection="column">
            <Text wrap="truncate-end">
              <Text color={focused ? 'cyan' : undefined}>{focused ? '› ' : '  '}</Text>
              {FIELD_LABELS[f]}: <Text bold={focused}>{shown}</Text>
            </Text>
            {s.errors[f] ? (
              <Text color="red" wrap="wrap">
                {'    '}✘ {s.errors[f]}
              </Text>
            ) : null}
          </Box>
        );
      })}
      {s.phase === 'checking' ? <Text dimColor>Checking the ISO…</Text> : null}
      <KeyHelp hints={[['↑↓', 'field'], ['type', 'edit'], ['space', 'choose'], ['Enter', 'review'], ['Esc', 'cancel']]} columns={columns} />
    </Box>
  );
}

export interface VmCreateOutcome {
  ok: boolean;
  message: string;
  /** how to connect (connectHints) when it worked */
  hints: string[];
}

/** The creation itself: the exact command, its live output, then the result. */
export function VmCreate({ argv, feed, outcome, reservedRows = 6 }: { argv: string[]; feed: CommandFeed; outcome: VmCreateOutcome | null; reservedRows?: number }) {
  return (
    <Box flexDirection="column">
      <Text dimColor wrap="truncate-end">
        $ {formatArgv(argv)}
      </Text>
      <OutputPane feed={feed} reservedRows={reservedRows} />
      {outcome ? (
        <Box flexDirection="column">
          <Text color={outcome.ok ? 'green' : 'red'}>{outcome.message}</Text>
          {outcome.hints.map((h) => (
            <Text key={h}>  {h}</Text>
          ))}
        </Box>
      ) : null}
    </Box>
  );
}
