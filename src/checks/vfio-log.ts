// The kernel log, read for the failures that stop passthrough (DOMAIN.md's symptoms): each one
// found is named with the line it came from and what it means.
import type { HostFacts } from '../host/types.js';
import { vfioSymptoms } from '../host/vfio-symptoms.js';
import type { Check } from './types.js';

const WHY =
  'When passthrough fails, the kernel usually says why in its log: a group that is not viable, a framebuffer holding the card, a device stuck after a reset, a module Secure Boot refused.';

export function checkVfioLog(facts: HostFacts): Check {
  const base = { id: 'vfio-log' as const, title: 'Kernel log: passthrough problems', why: WHY };
  const lines = facts.kernel.vfioLogLines;
  if (lines === null) {
    if (facts.root !== '/') {
      return {
        ...base,
        status: 'unknown',
        summary: 'no kernel log under this root',
        evidence: [`${facts.root} has no readable /var/log/dmesg: the kernel log of a system that is not running is read only from there`],
        remedy: `Run vfio-wizard check on that system while it runs, or save its kernel log (dmesg > /var/log/dmesg there) and check again.`,
      };
    }
    // what the scan noted about /dev/kmsg and dmesg says why
    const why = facts.notes.filter((n) => /kmsg|dmesg|kernel log/i.test(n));
    return {
      ...base,
      status: 'unknown',
      summary: 'the kernel log could not be read',
      evidence: why.length > 0 ? why : ['neither /dev/kmsg nor /var/log/dmesg could be read'],
      remedy: 'Run vfio-wizard as root (sudo). If it already runs as root, the kernel restricts its log (kernel.dmesg_restrict or lockdown): look with sudo dmesg | grep -i vfio.',
    };
  }
  const found = vfioSymptoms(lines);
  if (found.length === 0) {
    return { ...base, status: 'pass', summary: 'no known passthrough problem in the kernel log', evidence: [`${lines.length} vfio-related line${lines.length === 1 ? '' : 's'} read`], remedy: null };
  }
  return {
    ...base,
    status: 'warn',
    summary: `${found.length} known problem${found.length === 1 ? '' : 's'} in the kernel log: ${[...new Set(found.map((s) => s.id))].join(', ')}`,
    evidence: found.map((s) => s.line),
    remedy: found.map((s) => `${s.address ? `${s.address}: ` : ''}${s.explanation}`).join('\n'),
  };
}
