// Kernel log symptoms: the lines of DOMAIN.md's list are recognised, named with the device they
// mention, and explained; real captures from the corpus (a Raspberry Pi whose vfio-pci probe fails
// with -22, a Haswell host whose boot GPU changes VGA decodes) are read the same way; the check and
// the after-reboot check of isolation use them.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkVfioLog } from '../../src/checks/vfio-log.js';
import { SYMPTOM_LINE, vfioSymptoms } from '../../src/host/vfio-symptoms.js';
import { isolateAfterReboot } from '../../src/steps/after-reboot.js';
import { makeDevice, makeFacts } from '../support/facts.js';

const corpus = (f: string) => readFileSync(path.join(__dirname, '../../../shared/corpus/cmdline-dmesg', f), 'utf8').split('\n').filter((l) => !l.startsWith('#'));

describe('vfio symptoms in the kernel log', () => {
  it('recognises each symptom of the list, with the device it names', () => {
    const lines = [
      '[  5.1] vfio-pci 0000:01:00.0: group 1 is not viable',
      '[  5.2] vfio-pci 0000:0a:00.0: BAR 0: can\'t reserve [mem 0xe0000000-0xefffffff 64bit pref]',
      '[  5.3] vfio-pci 0000:0b:00.0: Unknown PCI header type 127',
      '[  0.1] AMD-Vi: Unknown option - \'on\'',
      '[  7.0] Loading of unsigned module is rejected: Key was rejected by service',
      '[  6.0] vfio-pci 0000:0c:00.0: probe with driver vfio-pci failed with error -22',
      '[  9.0] NVRM: Attempting to remove device 0000:01:00.0 with non-zero usage count!',
      '[  1.0] vfio-pci 0000:01:00.0: vgaarb: changed VGA decodes: olddecodes=io+mem,decodes=io+mem:owns=none',
      '[  2.0] vfio-pci 0000:01:00.0: enabling device (0000 -> 0003)',
    ];
    expect(lines.every((l) => SYMPTOM_LINE.test(l))).toBe(true);
    const found = vfioSymptoms(lines);
    expect(found.map((s) => [s.id, s.address])).toEqual([
      ['group-not-viable', '0000:01:00.0'],
      ['bar-cant-reserve', '0000:0a:00.0'],
      ['unknown-header', '0000:0b:00.0'],
      ['amd-iommu-option', null],
      ['key-rejected', null],
      ['vfio-probe-einval', '0000:0c:00.0'],
      ['nvrm-usage-count', '0000:01:00.0'],
      ['vgaarb-decodes', '0000:01:00.0'],
    ]);
    expect(found.find((s) => s.id === 'amd-iommu-option')!.explanation).toContain('amd_iommu=on (not a valid value');
    // the same line logged again is one symptom
    expect(vfioSymptoms([lines[0]!, lines[0]!])).toHaveLength(1);
  });

  it('reads the corpus captures: the Pi 5 probe failing with -22, the Haswell GPU changing VGA decodes; nothing on a clean log', () => {
    const pi = vfioSymptoms(corpus('raspberrypi5-no-iommu-group-vfio-probe-fails.txt'));
    expect(pi.map((s) => [s.id, s.address])).toEqual(expect.arrayContaining([['vfio-probe-einval', '0001:01:00.0'], ['vgaarb-decodes', '0001:01:00.0']]));
    const haswell = vfioSymptoms(corpus('manjaro-haswell-vfio-pci-bind-dmesg.txt'));
    expect(haswell.map((s) => s.id)).toEqual(['vgaarb-decodes']);
    expect(vfioSymptoms(corpus('manjaro-haswell-dmar-enabled-x2apic-optout-xapic-remap.txt'))).toEqual([]);
  });

  it('the readiness check warns with the lines and what to do; an unreadable log is unknown, a clean one passes', () => {
    const bad = checkVfioLog(makeFacts({ kernel: { vfioLogLines: ['[ 5.1] vfio-pci 0000:01:00.0: group 1 is not viable'] } }));
    expect(bad.status).toBe('warn');
    expect(bad.evidence).toEqual(['[ 5.1] vfio-pci 0000:01:00.0: group 1 is not viable']);
    expect(bad.remedy).toMatch(/^0000:01:00\.0: The IOMMU group holds a device that is not on vfio-pci/);
    expect(checkVfioLog(makeFacts({ kernel: { vfioLogLines: null } })).status).toBe('unknown');
    expect(checkVfioLog(makeFacts({ kernel: { vfioLogLines: [] } })).status).toBe('pass');
  });

  it('after the reboot, a group that is not viable for a bound device fails the isolation check and is explained', () => {
    const facts = makeFacts({
      devices: [makeDevice({ address: '0000:01:00.0', class: '030000', driver: 'vfio-pci', iommuGroup: 1 }), makeDevice({ address: '0000:00:02.0', class: '030000', driver: 'i915', iommuGroup: 2 })],
      kernel: { vfioLogLines: ['[ 5.1] vfio-pci 0000:01:00.0: group 1 is not viable', '[ 5.2] vfio-pci 0000:05:00.0: group 9 is not viable'] },
    });
    const c = isolateAfterReboot(facts, ['0000:01:00.0'], () => true);
    expect(c.ok).toBe(false);
    expect(c.lines).toContain('kernel log: [ 5.1] vfio-pci 0000:01:00.0: group 1 is not viable');
    // a device the step did not bind is not this step's problem
    expect(c.lines.join('\n')).not.toContain('0000:05:00.0');
    const clean = isolateAfterReboot({ ...facts, kernel: { ...facts.kernel, vfioLogLines: [] } }, ['0000:01:00.0'], () => true);
    expect(clean.ok).toBe(true);
  });
});
