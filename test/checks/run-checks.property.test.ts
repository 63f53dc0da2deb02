// Properties over many generated hosts: every check is present exactly once, statuses and
// remedies are consistent, and no remedy ever suggests "amd_iommu=on" (not a valid kernel value).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { makeFacts } from '../support/facts.js';
import { runChecks } from '../../src/checks/index.js';
import { parseVirtHostValidate } from '../../src/checks/virt-host-validate.js';
import type { CheckId } from '../../src/checks/types.js';
import type { HostFacts } from '../../src/host/types.js';

const ALL_IDS: CheckId[] = [
  'cpu-virtualization', 'iommu-firmware', 'iommu-kernel', 'interrupt-remapping', 'uefi', 'secure-boot',
  'vfio-modules', 'virt-stack', 'virt-host-validate', 'boot-gpu', 'large-bars', 'pci-names', 'vfio-log',
];

const cmdlineToken = fc.constantFrom(
  'quiet', 'splash', 'ro', 'root=/dev/sda2', 'amd_iommu=on', 'amd_iommu=off', 'amd-iommu=off', 'amd_iommu=fullflush',
  'intel_iommu=on', 'intel_iommu=off', 'intel_iommu=on,igfx_off', 'iommu=pt', 'iommu=off', 'iommu=1',
  'vfio-pci.ids=10de:1b81', 'rd.driver.pre=vfio-pci',
);
const moduleState = fc.constantFrom('builtin', 'module', 'missing', 'unknown') as fc.Arbitrary<'builtin' | 'module' | 'missing' | 'unknown'>;
const maybe = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: null });

const hostArb: fc.Arbitrary<HostFacts> = fc
  .record({
    vendor: fc.constantFrom('intel', 'amd', 'other') as fc.Arbitrary<'intel' | 'amd' | 'other'>,
    virt: fc.boolean(),
    kvm: fc.boolean(),
    threads: maybe(fc.integer({ min: 1, max: 64 })),
    firmware: maybe(fc.boolean()),
    units: fc.boolean(),
    groups: fc.integer({ min: 0, max: 3 }),
    remap: maybe(fc.boolean()),
    logSource: maybe(fc.constantFrom('/dev/kmsg', '/var/log/dmesg')),
    logRead: fc.boolean(),
    uefi: fc.boolean(),
    sb: maybe(fc.boolean()),
    cmdline: maybe(fc.array(cmdlineToken, { maxLength: 6 }).map((t) => t.join(' '))),
    version: maybe(fc.record({ major: fc.integer({ min: 4, max: 7 }), minor: fc.integer({ min: 0, max: 19 }) })),
    vfioPci: moduleState,
    vfio: moduleState,
    virqfd: moduleState,
    distro: fc.constantFrom('debian', 'ubuntu', 'fedora', 'arch', 'opensuse-leap', 'gentoo'),
    qemu: fc.boolean(),
    ovmf: fc.boolean(),
    root: fc.constantFrom('/', '/mnt/target'),
    gpus: fc.integer({ min: 0, max: 2 }),
    bootVga: fc.boolean(),
    largeBar: fc.boolean(),
    named: fc.boolean(),
    pciIds: fc.boolean(),
  })
  .map((h) => {
    const base = makeFacts();
    const gpus = base.devices.filter((d) => d.class.startsWith('03')).slice(0, h.gpus);
    const devices = [
      ...base.devices.filter((d) => !d.class.startsWith('03')),
      ...gpus.map((g, n) => ({ ...g, bootVga: h.bootVga && n === 0, largeBar: h.largeBar, ...(h.named ? {} : { deviceName: null }) })),
    ];
    return makeFacts({
      root: h.root,
      cpu: { vendor: h.vendor, virtualization: h.virt, flag: h.virt ? (h.vendor === 'amd' ? 'svm' : 'vmx') : null, kvmDevice: h.kvm, threads: h.threads },
      iommu: {
        firmware: h.firmware,
        firmwareTables: h.firmware ? [h.vendor === 'amd' ? 'IVRS' : 'DMAR'] : [],
        enabled: h.units || h.groups > 0,
        units: h.units ? ['dmar0'] : [],
        groupCount: h.groups,
        interruptRemapping: h.remap,
        kernelLogSource: h.logSource,
      },
      boot: { uefi: h.uefi, secureBoot: h.uefi ? h.sb : null },
      kernel: { cmdline: h.cmdline, version: h.version, vfioPci: h.vfioPci, vfio: h.vfio, vfioVirqfd: h.virqfd, vfioLogLines: h.logRead ? [] : null },
      distro: { id: h.distro, idLike: [] },
      virt: { qemu: h.qemu ? '/usr/bin/qemu-system-x86_64' : null, ovmf: h.ovmf ? ['/usr/share/OVMF/OVMF_CODE.fd'] : [] },
      devices,
      pciIdsSource: h.pciIds ? '/usr/share/misc/pci.ids' : null,
    });
  });

const vhvArb = fc.option(
  fc.constantFrom(
    '  QEMU: Checking if IOMMU is enabled by kernel                               : WARN (IOMMU appears to be disabled in kernel. Add amd_iommu=on to kernel cmdline arguments)\n',
    '  QEMU: Checking for device assignment IOMMU support                         : WARN (No ACPI IVRS table found, IOMMU either disabled in BIOS or not supported by this hardware platform)\n',
    '  QEMU: Checking for hardware virtualization                                 : PASS\n',
  ).map(parseVirtHostValidate),
  { nil: null },
);

describe('runChecks over generated hosts', () => {
  it('returns every check id once, with consistent status and remedy', () => {
    fc.assert(
      fc.property(hostArb, vhvArb, (facts, vhv) => {
        const checks = runChecks(facts, { virtHostValidate: vhv });
        expect(checks.map((c) => c.id)).toEqual(ALL_IDS);
        for (const c of checks) {
          expect(['pass', 'warn', 'fail', 'unknown']).toContain(c.status);
          expect(c.summary.length).toBeGreaterThan(0);
          expect(c.why.length).toBeGreaterThan(0);
          expect(c.evidence.length).toBeGreaterThan(0);
          if (c.status === 'pass') expect(c.remedy).toBeNull();
          else expect(c.remedy?.length ?? 0).toBeGreaterThan(0);
        }
      }),
      { numRuns: 400 },
    );
  });

  it('never suggests amd_iommu=on in any remedy, summary or explanation of its own', () => {
    fc.assert(
      fc.property(hostArb, vhvArb, (facts, vhv) => {
        for (const c of runChecks(facts, { virtHostValidate: vhv })) {
          expect(c.remedy ?? '').not.toMatch(/amd[_-]iommu=on/);
          expect(c.why).not.toMatch(/amd[_-]iommu=on/);
          // the summary may quote the user's own command line only as evidence, never as advice
          expect(c.summary).not.toMatch(/amd[_-]iommu=on/);
        }
      }),
      { numRuns: 400 },
    );
  });

  it('fails iommu-kernel exactly when the kernel shows no IOMMU units or groups', () => {
    fc.assert(
      fc.property(hostArb, (facts) => {
        const c = runChecks(facts).find((x) => x.id === 'iommu-kernel')!;
        expect(c.status === 'fail').toBe(!facts.iommu.enabled);
      }),
      { numRuns: 300 },
    );
  });

  it('a ready host has no failure (negative control for the generators above)', () => {
    const checks = runChecks(makeFacts());
    expect(checks.filter((c) => c.status !== 'pass' && c.id !== 'virt-host-validate')).toEqual([]);
  });
});
