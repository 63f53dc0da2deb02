import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decideCmdlineParams } from '../../src/steps/cmdline-params.js';
import { makeFacts } from '../support/facts.js';

const tokens = (d: ReturnType<typeof decideCmdlineParams>) => d.params.filter((p) => p.selected).map((p) => p.token);

describe('decideCmdlineParams', () => {
  it('Intel with VT-d in firmware but the kernel IOMMU off: intel_iommu=on, iommu=pt only offered', () => {
    const d = decideCmdlineParams(makeFacts({ iommu: { enabled: false, firmware: true }, kernel: { cmdline: 'BOOT_IMAGE=/vmlinuz root=/dev/sda1 ro quiet' } }));
    expect(tokens(d)).toEqual(['intel_iommu=on']);
    const pt = d.params.find((p) => p.token === 'iommu=pt')!;
    expect(pt.selected).toBe(false);
    expect(pt.warning).toMatch(/not isolated/);
    expect(d.conflicts).toEqual([]);
  });

  it('Intel whose kernel already enabled the IOMMU needs nothing', () => {
    const d = decideCmdlineParams(makeFacts({ iommu: { enabled: true } }));
    expect(tokens(d)).toEqual([]);
  });

  it('Intel with intel_iommu=off on the command line reports the conflict instead of adding a duplicate silently', () => {
    const d = decideCmdlineParams(makeFacts({ iommu: { enabled: false }, kernel: { cmdline: 'root=/dev/sda1 intel_iommu=off quiet' } }));
    expect(d.conflicts.map((c) => c.token)).toEqual(['intel_iommu=off']);
    expect(tokens(d)).toContain('intel_iommu=on');
  });

  it('AMD never gets amd_iommu=on, whatever the facts', () => {
    fc.assert(
      fc.property(
        fc.record({
          enabled: fc.boolean(),
          firmware: fc.constantFrom(true, false, null),
          remap: fc.constantFrom(true, false, null),
          cmdline: fc.constantFrom('', 'amd_iommu=off', 'amd_iommu=on', 'iommu=off', 'quiet iommu=pt'),
          builtin: fc.constantFrom('builtin', 'module') as fc.Arbitrary<'builtin' | 'module'>,
        }),
        ({ enabled, firmware, remap, cmdline, builtin }) => {
          const d = decideCmdlineParams(
            makeFacts({
              cpu: { vendor: 'amd', flag: 'svm' },
              iommu: { enabled, firmware, interruptRemapping: remap },
              kernel: { cmdline, vfioPci: builtin },
            }),
            { vfioPciIds: ['10de:1b81'] },
          );
          const all = JSON.stringify(d);
          expect(all).not.toMatch(/"amd_iommu=on"/);
          expect(d.params.some((p) => /^(amd|intel)_iommu=/.test(p.token))).toBe(false);
        },
      ),
    );
  });

  it('AMD with the IOMMU off in firmware explains that no parameter fixes it', () => {
    const d = decideCmdlineParams(makeFacts({ cpu: { vendor: 'amd', flag: 'svm' }, iommu: { enabled: false, firmware: false } }));
    expect(tokens(d)).toEqual([]);
    expect(d.notes.join('\n')).toMatch(/firmware/);
  });

  it('allow_unsafe_interrupts only when interrupt remapping is really absent, with a warning', () => {
    const absent = decideCmdlineParams(makeFacts({ iommu: { interruptRemapping: false } }));
    const p = absent.params.find((x) => x.token === 'vfio_iommu_type1.allow_unsafe_interrupts=1');
    expect(p?.warning).toMatch(/trust/);
    for (const state of [true, null] as const) {
      const d = decideCmdlineParams(makeFacts({ iommu: { interruptRemapping: state } }));
      expect(d.params.some((x) => x.token.startsWith('vfio_iommu_type1'))).toBe(false);
    }
  });

  it('vfio-pci.ids on the command line only when vfio-pci is built in', () => {
    const ids = ['10de:1b81', '10de:10f0'];
    const builtin = decideCmdlineParams(makeFacts({ kernel: { vfioPci: 'builtin' } }), { vfioPciIds: ids });
    expect(tokens(builtin)).toContain('vfio-pci.ids=10de:1b81,10de:10f0');
    const module = decideCmdlineParams(makeFacts({ kernel: { vfioPci: 'module' } }), { vfioPciIds: ids });
    expect(tokens(module).some((t) => t.startsWith('vfio-pci.ids'))).toBe(false);
  });

  it('rd.driver.pre=vfio-pci only with dracut', () => {
    const ids = ['10de:1b81'];
    const dracut = decideCmdlineParams(makeFacts({ boot: { initramfs: { id: 'dracut', evidence: [] } } }), { vfioPciIds: ids });
    expect(tokens(dracut)).toContain('rd.driver.pre=vfio-pci');
    const tools = decideCmdlineParams(makeFacts({ boot: { initramfs: { id: 'initramfs-tools', evidence: [] } } }), { vfioPciIds: ids });
    expect(tokens(tools)).not.toContain('rd.driver.pre=vfio-pci');
  });
});
