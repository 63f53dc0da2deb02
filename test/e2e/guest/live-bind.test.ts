// Guest scenario 3: the wizard live-binds the emulated e1000e NIC to vfio-pci on a real kernel
// with an emulated Intel IOMMU, /dev/vfio/<group> appears, and `rollback` gives the NIC back to
// e1000e. The kernel's answers (driver links, device nodes) are read by plain shell in the guest.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootGuest, projectDir, type GuestResult } from '../harness/guest.js';

let g: GuestResult;
beforeAll(() => {
  if (!existsSync(path.join(projectDir, 'dist/cli.js'))) throw new Error('dist/cli.js is missing: run `npm run build` first (npm test does)');
  g = bootGuest({
    iommu: 'intel',
    append: 'intel_iommu=on',
    script: readFileSync(path.join(projectDir, 'test/e2e/guest/live-bind.sh'), 'utf8'),
    files: { 'project-dir': projectDir },
  });
  if (g.rc !== 0) throw new Error(`guest did not finish cleanly (rc ${g.rc}); serial tail:\n${g.serial.slice(-3000)}`);
});
afterAll(() => g?.cleanup());

const read = (name: string) => g.read(name).trim();

describe('live bind on a real kernel (Intel IOMMU)', () => {
  it('moves the NIC from e1000e to vfio-pci and /dev/vfio/<group> appears', () => {
    expect(read('driver-before.txt')).toBe('e1000e');
    expect(read('apply.rc'), read('apply.err')).toBe('0');
    const doc = JSON.parse(g.read('apply.json'));
    expect(doc.result.status).toBe('applied');
    expect(doc.verification.ok).toBe(true);
    expect(read('driver-bound.txt')).toBe('vfio-pci');
    expect(read('dev-vfio-bound.txt').split(/\s+/)).toContain(read('group.txt'));
  });

  it('rollback gives the NIC back to e1000e and clears the override', () => {
    expect(read('rollback.rc'), read('rollback.out')).toBe('0');
    expect(read('driver-after.txt')).toBe('e1000e');
    expect(read('override-after.txt')).toBe('(null)');
  });

  it('a device that is not there is refused with exit 5', () => {
    expect(read('missing.rc')).toBe('5');
    expect(read('missing.out')).toMatch(/no PCI device 0000:7f:1f.7/);
  });
});
