// The proof after a rollback reads the configuration of the loader the step edited — recorded in
// its journal, also when --loader overrode detection — not whatever detection guesses afterwards.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { materializeRoot } from '../../src/demo/materialize.js';
import { SAMPLE_WORKSTATION } from '../../src/demo/sample-workstation.js';
import { systemRoot } from '../../src/host/root.js';
import { scanHost } from '../../src/host/scan.js';
import { checkUndone } from '../../src/steps/undo-check.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** The GRUB workstation, plus an /etc/kernel/cmdline that still carries the parameter. */
function grubHostWithKernelCmdline(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vw-undo-check-'));
  dirs.push(dir);
  materializeRoot(SAMPLE_WORKSTATION, dir);
  mkdirSync(path.join(dir, 'etc/kernel'), { recursive: true });
  writeFileSync(path.join(dir, 'etc/kernel/cmdline'), 'root=UUID=x ro quiet intel_iommu=on\n');
  return dir;
}

describe('checkUndone', () => {
  it('checks the loader the step recorded: /etc/kernel/cmdline for systemd-boot given with --loader', () => {
    const root = systemRoot(grubHostWithKernelCmdline());
    expect(scanHost(root).boot.bootloader.id).toBe('grub'); // what detection says
    const c = checkUndone(root, { id: 'cmdline', expect: { cmdlineAdded: ['intel_iommu=on'], loader: 'systemd-boot' } }, false);
    expect(c).toMatchObject({ ok: false });
    expect(c?.summary).toContain('intel_iommu=on in /etc/kernel/cmdline');
  });

  it('without a recorded loader (an older journal) it falls back to detection: GRUB, where the parameter is gone', () => {
    const root = systemRoot(grubHostWithKernelCmdline());
    const c = checkUndone(root, { id: 'cmdline', expect: { cmdlineAdded: ['intel_iommu=on'] } }, false);
    expect(c).toMatchObject({ ok: true });
    expect(c?.summary).toMatch(/intel_iommu=on is gone from the boot configuration/);
  });

  it('an unknown recorded loader is not trusted', () => {
    const root = systemRoot(grubHostWithKernelCmdline());
    expect(checkUndone(root, { id: 'cmdline', expect: { cmdlineAdded: ['intel_iommu=on'], loader: 'lilo' } }, false)).toMatchObject({ ok: true });
  });

  it('steps without a record of what they added have no check', () => {
    const root = systemRoot(grubHostWithKernelCmdline());
    expect(checkUndone(root, { id: 'cmdline', expect: null }, false)).toBeNull();
    expect(checkUndone(root, { id: 'isolate', expect: { devices: ['0000:01:00.0'] } }, false)).toBeNull();
  });
});
