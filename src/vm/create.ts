// `virt-install … --print-xml`: the domain it would define, created nowhere. The preflight and the
// creation itself are the VM step's (src/steps/vm-step.ts), applied through the journaled engine.
import type { RunResult, Runner } from '../run/types.js';
import { virtInstallArgv } from './virt-install-args.js';
import type { VmSpec } from './vm-spec.js';

export const printDomainXml = (runner: Runner, spec: VmSpec): Promise<RunResult> =>
  runner.run(virtInstallArgv(spec, { printXml: true }), { name: 'virt-install', timeoutMs: 120_000 });
