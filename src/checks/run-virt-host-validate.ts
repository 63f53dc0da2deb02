// Runs libvirt's virt-host-validate (QEMU section) through the command runner, streaming its
// lines to the caller, and parses the result. It describes the running kernel only, so it is
// never run against another --root.
import type { HostFacts } from '../host/types.js';
import type { Runner } from '../run/types.js';
import { NOT_RUN_OTHER_ROOT, parseVirtHostValidate, type VirtHostValidateResult } from './virt-host-validate.js';

export interface RunVirtHostValidateOptions {
  onLine?: (line: string) => void;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export async function runVirtHostValidate(
  facts: HostFacts,
  runner: Runner,
  opts: RunVirtHostValidateOptions = {},
): Promise<VirtHostValidateResult> {
  if (facts.root !== '/') return { ran: false, reason: NOT_RUN_OTHER_ROOT };
  if (facts.virt.virtHostValidate === null) return { ran: false, reason: 'not run: virt-host-validate is not installed' };
  const result = await runner.run(['virt-host-validate', 'qemu'], {
    name: 'virt-host-validate',
    timeoutMs: opts.timeoutMs ?? 60_000,
    parsed: true,
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.onLine ? { onLine: (line: string) => opts.onLine?.(line) } : {}),
  });
  if (result.spawnError) return { ran: false, reason: `not run: ${result.spawnError}` };
  // stdout alone: stderr text could land between "Checking …: " and its status word
  const parsed = parseVirtHostValidate(result.stdout);
  let error: string | null = null;
  if (result.timedOut) error = `virt-host-validate did not finish within ${Math.round((opts.timeoutMs ?? 60_000) / 1000)} s`;
  else if (result.canceled) error = 'virt-host-validate was cancelled';
  else if (result.signal) error = `virt-host-validate was killed by ${result.signal}`;
  return { ...parsed, exitCode: result.exitCode, error };
}
