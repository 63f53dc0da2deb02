// Guest scenario 4, the whole chain on an installed Debian system (disk image, its own kernel and
// initramfs, Intel IOMMU emulated): `vfio-wizard apply` inside the system runs the real update-grub
// and update-initramfs; the next boot uses the kernel command line GRUB generated and binds VGA +
// HDA to vfio-pci; `verify` records it; `rollback --all` and another boot give back the original
// command line, generated GRUB menu, initramfs contents and drivers. GRUB's own boot code is not
// executed: QEMU starts the image's kernel directly with the arguments GRUB generated for the
// default entry (the menu, not the boot sector, is what the wizard changes).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectDir } from '../harness/guest.js';
import { makeDiskSystem, type DiskSystem } from '../harness/disk.js';

let sys: DiskSystem;
const serials: Record<string, string> = {};
/** The arguments GRUB generated for the default entry (the kernel path and root= are the image's own). */
const grubArgs = () => {
  const line = sys.read('/boot/grub/grub.cfg').split('\n').find((l) => /^\s*linux\s/.test(l));
  if (!line) throw new Error('no linux line in the image’s grub.cfg');
  return line.trim().split(/\s+/).slice(2).filter((t) => !t.startsWith('root=') && t !== 'ro').join(' ');
};
const out = (stage: string, file: string) => sys.read(`/e2e/out-${stage}/${file}`).trim();

function boot(stage: string, append: string) {
  const started = Date.now();
  const r = sys.boot({ stage, append });
  serials[stage] = r.serial;
  if (!r.finished) throw new Error(`stage ${stage} did not finish; serial tail:\n${r.serial.slice(-4000)}`);
  let timing = '';
  try {
    timing = out(stage, 'timing').replace(/\n/g, '; ');
  } catch {
    // stage 3 runs no wizard command
  }
  console.log(`full chain stage ${stage}: ${Math.round((Date.now() - started) / 1000)} s in QEMU${timing ? ` (${timing})` : ''}`);
}

// Each stage boots a whole Debian system under TCG and runs the real update-initramfs and
// update-grub inside it: minutes, not seconds (the e2e config's 10-minute default is too tight
// on a loaded 2-core machine).
const STAGE_MS = 1_500_000;

beforeAll(() => {
  sys = makeDiskSystem(readFileSync(path.join(projectDir, 'test/e2e/guest/full-chain-stage.sh'), 'utf8'));
});
afterAll(() => sys?.cleanup());

describe('full chain on an installed Debian system', () => {
  it('stage 1: apply inside the system regenerates GRUB and the initramfs', () => {
    boot('1', 'quiet');
    expect(out('1', 'drivers')).toBe('vga=bochs-drm hda=snd_hda_intel nic=e1000e');
    expect(out('1', 'apply-cmdline.rc'), out('1', 'apply-cmdline')).toBe('0');
    expect(out('1', 'apply-cmdline')).toMatch(/verified: every new parameter is in the generated boot configuration/);
    expect(out('1', 'apply-isolate.rc'), out('1', 'apply-isolate')).toBe('0');
    expect(out('1', 'apply-isolate')).toMatch(/verified: the rebuilt initramfs holds vfio-pci/);
    expect(grubArgs()).toMatch(/\bintel_iommu=on\b/);
    // the rebuilt image holds what the isolation added; the one before did not (the control)
    const added = (name: string) => out('1', name).split('\n').filter((l) => /vfio-pci\.ko|vfio_pci\.ko|etc\/modprobe\.d\/vfio\.conf$/.test(l));
    expect(added('initrd.before')).toEqual([]);
    expect(added('initrd.applied').some((l) => /etc\/modprobe\.d\/vfio\.conf$/.test(l))).toBe(true);
  }, STAGE_MS);

  it('stage 2: the next boot has intel_iommu=on and vfio-pci on VGA + HDA; verify records it; rollback --all', () => {
    boot('2', grubArgs());
    expect(out('2', 'cmdline').split(' ')).toContain('intel_iommu=on');
    expect(Number(out('2', 'groups'))).toBeGreaterThan(1);
    expect(out('2', 'drivers')).toBe('vga=vfio-pci hda=vfio-pci nic=e1000e');
    expect(out('2', 'dev-vfio').split(/\s+/).length).toBeGreaterThan(1);
    expect(out('2', 'verify.rc'), out('2', 'verify')).toBe('0');
    expect(out('2', 'verify')).toMatch(/isolate: took effect/);
    expect(out('2', 'rollback.rc'), out('2', 'rollback')).toBe('0');
    expect(grubArgs()).not.toMatch(/intel_iommu=on/);
  }, STAGE_MS);

  it('stage 3: after rollback and a reboot, the original command line and drivers are back', () => {
    boot('3', grubArgs());
    expect(out('3', 'cmdline')).not.toMatch(/intel_iommu=on/);
    expect(out('3', 'drivers')).toBe('vga=bochs-drm hda=snd_hda_intel nic=e1000e');
    // the generated GRUB menu and the initramfs contents are the ones from before the wizard
    expect(out('3', 'grub.cfg.after')).toBe(out('1', 'grub.cfg.before'));
    // The initramfs: every file but the kernel modules is the same as before the wizard, and no
    // vfio module or configuration is left. The modules themselves are compared as a subset:
    // MODULES=dep (disk.ts) takes the modules of the drivers bound while it builds, and the
    // rollback's rebuild ran while VGA was still on vfio-pci, so bochs' DRM modules are missing
    // until the next rebuild (initramfs-tools' behaviour, not the wizard's).
    const list = (stage: string, name: string) => out(stage, name).split('\n');
    const isModule = (l: string) => /^usr\/lib\/modules\/[^/]+\/kernel\//.test(l);
    const before = list('1', 'initrd.before');
    const after = list('3', 'initrd.after');
    expect(after.filter((l) => !isModule(l))).toEqual(before.filter((l) => !isModule(l)));
    expect(after.filter((l) => /vfio/.test(l))).toEqual(before.filter((l) => /vfio/.test(l)));
    expect(after.filter((l) => isModule(l) && !before.includes(l))).toEqual([]);
  }, STAGE_MS);
});
