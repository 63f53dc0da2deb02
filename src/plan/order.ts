import type { Change } from './types.js';

// Files first, then the initramfs rebuild, then the boot loader, so a failure never leaves a boot
// loader pointing at an initramfs built from half-written files. Live changes (sysfs writes,
// driver binding) come after the boot configuration is complete; anything else comes last.
function rank(c: Change): number {
  if (c.kind === 'file') return 0;
  if (c.kind === 'sysfs') return 3;
  switch (c.phase) {
    case 'files':
      return 0;
    case 'initramfs':
      return 1;
    case 'bootloader':
      return 2;
    case 'live':
      return 3;
    case 'other':
      return 4;
  }
}

/** The order in which apply carries the changes out (stable within a phase). */
export function orderChanges<T extends Change>(changes: readonly T[]): T[] {
  return changes
    .map((c, i) => ({ c, i }))
    .sort((a, b) => rank(a.c) - rank(b.c) || a.i - b.i)
    .map((x) => x.c);
}
