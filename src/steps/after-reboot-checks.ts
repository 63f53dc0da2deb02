// Which after-reboot check each step has, with the files it reads under the root: one table for
// `vfio-wizard verify` and the wizard's resume screen.
import { existsSync } from 'node:fs';
import { OWN_MODPROBE_FILE, VFIO_MODPROBE_FILE } from '../edit/modprobe-conf.js';
import type { StepExpectation } from '../plan/types.js';
import type { SystemRoot } from '../host/root.js';
import { SysReader } from '../host/sysfs-read.js';
import type { HostFacts } from '../host/types.js';
import { OVERRIDE_SCRIPT } from '../isolate/bind-by-address.js';
import { boundByWizard, cmdlineAfterReboot, isolateAfterReboot, type AfterRebootCheck } from './after-reboot.js';

type Check = (facts: HostFacts, root: SystemRoot, expect: StepExpectation | null) => AfterRebootCheck;

/**
 * Journals written before steps recorded what they did: the functions the wizard's own files bind
 * (its modprobe file under either name, its override script). driverctl bindings live elsewhere,
 * which is why the journal now keeps the addresses.
 */
function boundByFiles(facts: HostFacts, root: SystemRoot): string[] {
  const r = new SysReader();
  const conf = [VFIO_MODPROBE_FILE, OWN_MODPROBE_FILE].map((p) => r.optionalText(root.at(p)) ?? '').join('\n');
  return boundByWizard(facts, conf, r.optionalText(root.at(OVERRIDE_SCRIPT)));
}

const CHECKS: Record<string, Check> = {
  cmdline: (facts, _root, expect) => cmdlineAfterReboot(facts, expect),
  'cmdline-trial': (facts, _root, expect) => cmdlineAfterReboot(facts, expect),
  isolate: (facts, root, expect) => {
    const selected = expect?.devices ?? boundByFiles(facts, root);
    return isolateAfterReboot(facts, selected, (g) => existsSync(root.at(`/dev/vfio/${g}`)));
  },
};

/**
 * The step's after-reboot check over a fresh scan, against what the journal says the step did
 * (`expect`; older journals fall back to what the host needs and the wizard's files); null when the
 * step has none.
 */
export function afterRebootCheck(stepId: string, facts: HostFacts, root: SystemRoot, expect: StepExpectation | null = null): AfterRebootCheck | null {
  const check = CHECKS[stepId];
  return check ? check(facts, root, expect) : null;
}
