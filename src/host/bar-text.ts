// How a large BAR is written for people: in the readiness check's evidence and the device browser.
import type { LargeBar, PciDevice } from './types.js';

const GIB = 1024 ** 3;
const MIB = 1024 ** 2;

/** "16 GiB", "256 MiB", "1.5 GiB" */
export function byteSize(n: number): string {
  const [unit, div] = n >= GIB ? ['GiB', GIB] : ['MiB', MIB];
  const v = n / div;
  return `${Number.isInteger(v) ? v : v.toFixed(1)} ${unit}`;
}

/** A device's flag in lists: "large BAR 1: 16 GiB, 3: 256 MiB" (just "large BAR" without the list). */
export function largeBarFlag(d: Pick<PciDevice, 'largeBars'>): string {
  return d.largeBars.length > 0 ? `large BAR ${d.largeBars.map((b) => `${b.bar}: ${byteSize(b.size)}`).join(', ')}` : 'large BAR';
}

/** "BAR 1: 16 GiB at 0x38000000000 (above 4 GiB)" */
export function barLine(b: LargeBar): string {
  const above = Number.parseInt(b.start, 16) >= 4 * GIB;
  return `BAR ${b.bar}: ${byteSize(b.size)} at ${b.start} (${above ? 'above' : 'below'} 4 GiB)`;
}
