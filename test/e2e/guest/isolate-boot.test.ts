// Guest scenario 2: the wizard's isolate plan for the emulated VGA + HDA, applied to a real
// kernel's root, makes vfio-pci take both when their drivers load; the NIC keeps e1000e. Negative
// control: without the softdep lines the native drivers win. The guest imitates udev's coldplug
// (modprobe by each device's modalias, honouring modprobe.d) instead of rebooting; the rebuilt
// initramfs and a real reboot into it are scenario 4 (full-chain.test.ts).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bootGuest, projectDir, type GuestResult } from '../harness/guest.js';

const script = readFileSync(path.join(projectDir, 'test/e2e/guest/isolate-boot.sh'), 'utf8');
const guests: GuestResult[] = [];
afterAll(() => guests.forEach((g) => g.cleanup()));

function boot(negative: boolean): GuestResult {
  if (!existsSync(path.join(projectDir, 'dist/cli.js'))) throw new Error('dist/cli.js is missing: run `npm run build` first (npm test does)');
  const g = bootGuest({ iommu: 'intel', append: `intel_iommu=on NEGATIVE=${negative ? 1 : 0}`, script, files: { 'project-dir': projectDir } });
  guests.push(g);
  if (g.rc !== 0) throw new Error(`guest did not finish cleanly (rc ${g.rc}); serial tail:\n${g.serial.slice(-3000)}`);
  return g;
}

describe('isolation at boot on a real kernel (Intel IOMMU)', () => {
  it('guards stop the boot GPU until overridden; with the plan, vfio-pci takes VGA and HDA, the NIC keeps e1000e', () => {
    const g = boot(false);
    expect(g.read('apply-blocked.rc').trim()).toBe('11');
    const blocked = JSON.parse(g.read('apply-blocked.json'));
    expect(blocked.blockers.map((b: { id: string }) => b.id).sort()).toEqual(['boot-gpu', 'last-host-gpu']);
    expect(g.read('apply.rc').trim(), g.read('apply.err')).toBe('0');
    const conf = g.read('vfio.conf');
    expect(conf).toMatch(/^softdep bochs pre: vfio-pci$/m);
    expect(conf).toMatch(/^softdep snd_hda_intel pre: vfio-pci$/m);
    expect(conf).toMatch(/^options vfio-pci ids=1234:1111,8086:293e$/m);
    expect(g.read('drivers.txt').trim()).toBe('vga=vfio-pci hda=vfio-pci nic=e1000e');
  });

  it('negative control: the same config without its softdep lines leaves the native drivers in charge', () => {
    const g = boot(true);
    expect(g.read('apply.rc').trim()).toBe('0');
    expect(g.read('drivers.txt').trim()).toBe('vga=bochs-drm hda=snd_hda_intel nic=e1000e');
  });
});
