// Which after-reboot check each step has, with the files it reads under the root: one table for
// `vfio-wizard verify` and the wizard's resume screen.
import { existsSync } from 'node:fs';
import { VFIO_MODPROBE_FILE } from '../edit/modprobe-conf.js';
import type { SystemRoot } from '../host/root.js';
import { SysReader } from '../host/sysfs-read.js';
import type { HostFacts } from '../host/types.js';
import { OVERRIDE_SCRIPT } from '../isolate/bind-by-address.js';
import { boundByWizard, cmdlineAfterReboot, isolateAfterReboot, type AfterRebootCheck } from './after-reboot.js';

const CHECKS: Record<string, (facts: HostFacts, root: SystemRoot) => AfterRebootCheck> = {
  cmdline: (facts) => cmdlineAfterReboot(facts),
  'cmdline-trial': (facts) => cmdlineAfterReboot(facts),
  isolate: (facts, root) => {
    const r = new SysReader();
    const selected = boundByWizard(facts, r.optionalText(root.at(VFIO_MODPROBE_FILE)), r.optionalText(root.at(OVERRIDE_SCRIPT)));
    return isolateAfterReboot(facts, selected, (g) => existsSync(root.at(`/dev/vfio/${g}`)));
  },
};

/** The step's after-reboot check over a fresh scan; null when the step has none. */
export function afterRebootCheck(stepId: string, facts: HostFacts, root: SystemRoot): AfterRebootCheck | null {
  const check = CHECKS[stepId];
  return check ? check(facts, root) : null;
}
