// All readiness checks, in the order they are shown: from the CPU up through the IOMMU layers,
// boot, kernel modules and the virtualization stack, to the devices themselves.
import type { HostFacts } from '../host/types.js';
import type { Check, CheckStatus } from './types.js';
import { checkCpuVirtualization } from './cpu.js';
import { checkInterruptRemapping, checkIommuFirmware, checkIommuKernel } from './iommu.js';
import { checkSecureBoot, checkUefi } from './boot.js';
import { checkVfioModules } from './vfio-modules.js';
import { checkVirtStack } from './virt-stack.js';
import { checkVirtHostValidate, type VirtHostValidateResult } from './virt-host-validate.js';
import { checkBootGpu } from './gpu.js';
import { checkLargeBars } from './bars.js';
import { checkPciNames } from './pci-names.js';
import { checkVfioLog } from './vfio-log.js';

export interface RunChecksExtra {
  /** the result of runVirtHostValidate; null/absent when it was not run */
  virtHostValidate?: VirtHostValidateResult | null;
}

export function runChecks(facts: HostFacts, extra: RunChecksExtra = {}): Check[] {
  return [
    checkCpuVirtualization(facts),
    checkIommuFirmware(facts),
    checkIommuKernel(facts),
    checkInterruptRemapping(facts),
    checkUefi(facts),
    checkSecureBoot(facts),
    checkVfioModules(facts),
    checkVirtStack(facts),
    checkVirtHostValidate(facts, extra.virtHostValidate),
    checkBootGpu(facts),
    checkLargeBars(facts),
    checkPciNames(facts),
    checkVfioLog(facts),
  ];
}

export function countStatuses(checks: Check[]): Record<CheckStatus, number> {
  const counts: Record<CheckStatus, number> = { pass: 0, warn: 0, fail: 0, unknown: 0 };
  for (const c of checks) counts[c.status]++;
  return counts;
}

export const anyFailed = (checks: Check[]): boolean => checks.some((c) => c.status === 'fail');
