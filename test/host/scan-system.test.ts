import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { systemRoot } from '../../src/host/root.js';
import { scanHost } from '../../src/host/scan.js';
import { runChecks } from '../../src/checks/index.js';
import { makeRoot, scanSpec, workstationDevices } from './fixture-root.js';

const corpus = (rel: string) =>
  readFileSync(path.resolve(__dirname, '../../../shared/corpus', rel), 'utf8').split('\n').slice(1).join('\n');

describe('CPU', () => {
  it('vendor, model, thread count, vmx, /dev/kvm and the kvm module', () => {
    const { facts } = scanSpec({
      cpu: { vendor: 'GenuineIntel', model: 'Intel(R) Core(TM) i7-8700K', flags: ['fpu', 'vmx', 'ept'], threads: 12 },
      kvmDevice: true,
      loadedModules: ['kvm_intel', 'kvm'],
    });
    expect(facts.cpu).toEqual({
      vendor: 'intel', model: 'Intel(R) Core(TM) i7-8700K', virtualization: true, flag: 'vmx', kvmDevice: true, kvmModuleLoaded: true, threads: 12,
    });
  });

  it('AMD without SVM enabled, no /dev/kvm, module list unreadable → null', () => {
    const { facts } = scanSpec({ cpu: { vendor: 'AuthenticAMD', flags: ['fpu', 'sse2'], threads: 4 } });
    expect(facts.cpu).toMatchObject({ vendor: 'amd', virtualization: false, flag: null, kvmDevice: false, kvmModuleLoaded: null });
    const svm = scanSpec({ cpu: { vendor: 'AuthenticAMD', flags: ['svm'] }, loadedModules: ['amdgpu'] }).facts;
    expect(svm.cpu).toMatchObject({ flag: 'svm', virtualization: true, kvmModuleLoaded: false });
  });

  it('an unreadable /proc/cpuinfo gives unknowns and a note, not a crash', () => {
    const dir = makeRoot({});
    mkdirSync(path.join(dir, 'proc/cpuinfo'), { recursive: true });
    const facts = scanHost(systemRoot(dir));
    expect(facts.cpu).toMatchObject({ vendor: 'other', model: null, threads: null, virtualization: null });
    expect(facts.notes.some((n) => n.includes('/proc/cpuinfo') && n.includes('EISDIR'))).toBe(true);
  });

  it('a /proc/cpuinfo without a flags line (a capture) leaves virtualization unknown, with a note; with flags it is known either way', () => {
    const noFlags = makeRoot({ cpu: { vendor: 'GenuineIntel', threads: 1 } });
    const f = scanHost(systemRoot(noFlags));
    expect(f.cpu).toMatchObject({ vendor: 'intel', threads: 1, virtualization: null, flag: null });
    expect(f.notes).toContain('/proc/cpuinfo lists no flags: whether the CPU has VT-x/AMD-V is unknown');
    const without = makeRoot({ cpu: { vendor: 'GenuineIntel', threads: 1, flags: ['fpu', 'sse2'] } });
    expect(scanHost(systemRoot(without)).cpu).toMatchObject({ virtualization: false, flag: null });
    const withVmx = makeRoot({ cpu: { vendor: 'GenuineIntel', threads: 1, flags: ['fpu', 'vmx'] } });
    expect(scanHost(systemRoot(withVmx)).cpu).toMatchObject({ virtualization: true, flag: 'vmx' });
  });
});

describe('a root without sysfs (a system at rest)', () => {
  it('boot mode and IOMMU groups are unknown, with notes — not legacy and not "no groups"', () => {
    const dir = makeRoot({});
    rmSync(path.join(dir, 'sys'), { recursive: true, force: true });
    const facts = scanHost(systemRoot(dir));
    expect(facts.boot.uefi).toBeNull();
    expect(facts.iommu.groupsReadable).toBe(false);
    expect(facts.notes).toContain('/sys/firmware is absent (no sysfs under this root): UEFI or legacy boot is unknown');
    const checks = runChecks(facts);
    expect(checks.find((c) => c.id === 'uefi')?.status).toBe('unknown');
    expect(checks.find((c) => c.id === 'iommu-kernel')?.status).toBe('unknown');
    // a fixture of a running system has /sys/firmware and its groups directory
    const running = scanHost(systemRoot(makeRoot({})));
    expect(running.boot.uefi).toBe(false);
    expect(running.iommu.groupsReadable).toBe(true);
  });
});

describe('IOMMU', () => {
  it('Intel with VT-d on: DMAR table, units, groups, interrupt remapping from the kernel log', () => {
    const { facts } = scanSpec({
      acpiTables: ['APIC', 'DMAR', 'FACP'],
      iommuUnits: ['dmar1', 'dmar0'],
      dmesg: corpus('cmdline-dmesg/manjaro-haswell-dmar-enabled-x2apic-optout-xapic-remap.txt'),
      devices: [{ address: '00:02.0', vendor: '8086', device: '0412', class: '030000', iommuGroup: 0 }],
    });
    expect(facts.iommu).toMatchObject({
      firmware: true,
      firmwareTables: ['DMAR'],
      enabled: true,
      units: ['dmar0', 'dmar1'],
      groupCount: 1,
      interruptRemapping: true,
      interruptRemappingEvidence: '[    0.093406] DMAR-IR: Enabled IRQ remapping in xapic mode',
      kernelLogSource: '/var/log/dmesg',
    });
    expect(facts.iommu.kernelLogLines.length).toBeGreaterThan(3);
    expect(facts.iommu.kernelLogLines.length).toBeLessThanOrEqual(40);
    expect(facts.iommu.kernelLogLines.every((l) => /DMAR|AMD-Vi|IOMMU|remapping|x2apic|intremap/i.test(l))).toBe(true);
  });

  it('IOMMU off in firmware: no DMAR/IVRS table, no groups', () => {
    const { facts } = scanSpec({ acpiTables: ['APIC', 'FACP', 'HPET'], devices: [{ address: '00:02.0', vendor: '8086', device: '0412', class: '030000' }] });
    expect(facts.iommu).toMatchObject({ firmware: false, firmwareTables: [], enabled: false, groupCount: 0, units: [] });
    expect(facts.devices[0]!.iommuGroup).toBeNull();
    expect(facts.iommuGroups).toEqual([]);
  });

  it('AMD with IVRS but no kernel IOMMU: firmware yes, kernel no', () => {
    const { facts } = scanSpec({ cpu: { vendor: 'AuthenticAMD', flags: ['svm'] }, acpiTables: ['IVRS', 'APIC'] });
    expect(facts.iommu).toMatchObject({ firmware: true, firmwareTables: ['IVRS'], enabled: false });
  });

  it('no ACPI tables directory: firmware unknown (null) with a note', () => {
    const { facts } = scanSpec({});
    expect(facts.iommu.firmware).toBeNull();
    expect(facts.notes.some((n) => n.includes('acpi/tables'))).toBe(true);
  });

  it('interrupt remapping: silent log → null, AMD-Vi enabled → true, x2apic refusal → false, no log → null', () => {
    const silent = scanSpec({ dmesg: corpus('cmdline-dmesg/yyu-x570-amdvi-dmesg.txt') }).facts.iommu;
    expect(silent.interruptRemapping).toBeNull();
    expect(silent.kernelLogLines.some((l) => l.includes('AMD-Vi'))).toBe(true);

    const amd = scanSpec({ dmesg: '[    0.9] pci 0000:00:00.2: AMD-Vi: Found IOMMU cap 0x40\n[    1.0] AMD-Vi: Interrupt remapping enabled\n' }).facts.iommu;
    expect(amd).toMatchObject({ interruptRemapping: true, interruptRemappingEvidence: '[    1.0] AMD-Vi: Interrupt remapping enabled' });

    const off = scanSpec({ dmesg: '[    0.1] x2apic: IRQ remapping doesn\'t support X2APIC mode\n' }).facts.iommu;
    expect(off).toMatchObject({ interruptRemapping: false });

    // the command line mentioning intremap is not evidence either way
    const cmd = scanSpec({ dmesg: '[    0.0] Kernel command line: intremap=off IRQ remapping disabled\n' }).facts.iommu;
    expect(cmd.interruptRemapping).toBeNull();

    // a big machine logs one "Adding to iommu group" line per device; they are not kept
    const adds = Array.from({ length: 200 }, (_, i) => `[    1.${i}] pci 0000:01:00.${i % 8}: Adding to iommu group ${i}`).join('\n');
    const big = scanSpec({ dmesg: `[    0.1] DMAR: IOMMU enabled\n${adds}\n[    2.0] DMAR-IR: Enabled IRQ remapping in x2apic mode\n` }).facts.iommu;
    expect(big.interruptRemapping).toBe(true);
    expect(big.kernelLogLines).toEqual(['[    0.1] DMAR: IOMMU enabled', '[    2.0] DMAR-IR: Enabled IRQ remapping in x2apic mode']);

    const none = scanSpec({}).facts;
    expect(none.iommu).toMatchObject({ interruptRemapping: null, kernelLogSource: null });
    expect(none.notes.some((n) => n.includes('kernel log'))).toBe(true);
  });
});

describe('boot', () => {
  it('UEFI with Secure Boot on / off, efivar with a short value → null + note', () => {
    expect(scanSpec({ uefi: true, secureBoot: true }).facts.boot).toMatchObject({ uefi: true, secureBoot: true });
    expect(scanSpec({ uefi: true, secureBoot: false }).facts.boot).toMatchObject({ uefi: true, secureBoot: false });
    expect(scanSpec({ uefi: true }).facts.boot.secureBoot).toBeNull();
    const short = scanSpec({
      uefi: true,
      files: { 'sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c': '\x06\x00' },
    }).facts;
    expect(short.boot.secureBoot).toBeNull();
    expect(short.notes.some((n) => n.includes('SecureBoot'))).toBe(true);
  });

  it('legacy BIOS: uefi false and Secure Boot not applicable (null)', () => {
    expect(scanSpec({ uefi: false }).facts.boot).toMatchObject({ uefi: false, secureBoot: null });
  });

  const loader = (files: Record<string, string>) => scanSpec({ files }).facts.boot.bootloader;

  it('detects each boot loader from its files, with evidence', () => {
    expect(loader({ 'etc/default/grub': 'GRUB_TIMEOUT=5\n', 'boot/grub/grub.cfg': '' })).toEqual({
      id: 'grub',
      evidence: ['/boot/grub/grub.cfg exists', '/etc/default/grub exists'],
    });
    expect(
      loader({ 'etc/default/grub': 'GRUB_ENABLE_BLSCFG=true\n', 'boot/grub2/grub.cfg': '', 'boot/loader/entries/abc-6.5.0.conf': 'title Fedora\n', 'usr/sbin/grubby': '' }).id,
    ).toBe('grub-bls');
    expect(loader({ 'boot/efi/loader/loader.conf': 'default arch.conf\n' }).id).toBe('systemd-boot');
    expect(loader({ 'efi/loader/loader.conf': '' }).id).toBe('systemd-boot');
    expect(loader({ 'etc/kernelstub/configuration': '{}', 'boot/efi/loader/loader.conf': '' }).id).toBe('kernelstub');
    expect(loader({ 'etc/kernel/proxmox-boot-uuids': 'ABCD-1234\n', 'etc/default/grub': '' }).id).toBe('proxmox-boot-tool');
    expect(loader({ 'boot/refind_linux.conf': '"Boot" "ro root=/dev/sda2"\n' }).id).toBe('refind');
    expect(loader({ 'run/ostree-booted': '', 'etc/default/grub': '' }).id).toBe('rpm-ostree');
    expect(loader({ 'etc/NIXOS': '' }).id).toBe('nixos');
    expect(loader({})).toMatchObject({ id: 'unknown' });
  });

  it('detects the initramfs generator, preferring the one whose tool is installed', () => {
    const gen = (files: Record<string, string>) => scanSpec({ files }).facts.boot.initramfs;
    expect(gen({ 'etc/initramfs-tools/modules': '', 'usr/sbin/update-initramfs': '' })).toEqual({
      id: 'initramfs-tools',
      evidence: ['/etc/initramfs-tools exists', '/usr/sbin/update-initramfs exists'],
    });
    expect(gen({ 'etc/dracut.conf.d/x.conf': '', 'usr/bin/dracut': '', 'etc/initramfs-tools/modules': '' }).id).toBe('dracut');
    expect(gen({ 'etc/mkinitcpio.conf': 'MODULES=()\n' }).id).toBe('mkinitcpio');
    expect(gen({ 'etc/booster.yaml': '' }).id).toBe('booster');
    expect(gen({}).id).toBe('unknown');
  });
});

describe('kernel and distro', () => {
  it('release, version, cmdline and vfio modules: built-in, module (either spelling), missing', () => {
    const { facts } = scanSpec({
      kernelRelease: '5.15.0-91-generic',
      cmdline: 'BOOT_IMAGE=/vmlinuz root=UUID=1 ro quiet splash',
      modulesBuiltin: ['kernel/drivers/vfio/vfio.ko', 'kernel/drivers/vfio/pci/vfio-pci.ko'],
      modulesDep: ['kernel/drivers/vfio/vfio_iommu_type1.ko: kernel/drivers/vfio/vfio.ko', 'kernel/drivers/vfio/vfio-virqfd.ko.zst:'],
      loadedModules: ['vfio_pci', 'nvidia'],
    });
    expect(facts.kernel).toEqual({
      release: '5.15.0-91-generic',
      cmdline: 'BOOT_IMAGE=/vmlinuz root=UUID=1 ro quiet splash',
      version: { major: 5, minor: 15 },
      vfioPci: 'builtin',
      vfio: 'builtin',
      vfioIommuType1: 'module',
      vfioVirqfd: 'module',
      loadedModules: ['vfio_pci', 'nvidia'],
      // no kernel log under this root
      vfioLogLines: null,
    });
    // with a log, only the lines about vfio and the known symptoms are kept
    const logged = scanSpec({ kernelRelease: '6.1.0', dmesg: '[ 0.1] DMAR: IOMMU enabled\n[ 5.0] vfio-pci 0000:01:00.0: group 1 is not viable\n[ 6.0] e1000e 0000:00:1f.6 eno1: NIC Link is Up\n' }).facts.kernel;
    expect(logged.vfioLogLines).toEqual(['[ 5.0] vfio-pci 0000:01:00.0: group 1 is not viable']);
    const missing = scanSpec({ kernelRelease: '6.8.0', modulesDep: ['kernel/drivers/net/e1000e.ko:'] }).facts.kernel;
    expect(missing).toMatchObject({ vfioPci: 'missing', vfioVirqfd: 'missing' });
    const unknown = scanSpec({}).facts;
    expect(unknown.kernel).toMatchObject({ release: null, cmdline: null, version: null, vfioPci: 'unknown' });
    expect(unknown.notes.some((n) => n.includes('osrelease'))).toBe(true);
  });

  it('uses usr/lib/modules and the only installed kernel when the release is unknown (offline root)', () => {
    const { facts } = scanSpec({ files: { 'usr/lib/modules/6.1.0-18-amd64/modules.dep': 'kernel/drivers/vfio/pci/vfio-pci.ko.xz:\n' } });
    expect(facts.kernel.vfioPci).toBe('module');
    expect(facts.notes.some((n) => n.includes('6.1.0-18-amd64'))).toBe(true);
  });

  it('os-release with quotes, and the usr/lib fallback', () => {
    const a = scanSpec({ osRelease: 'NAME="Pop!_OS"\nID=pop\nID_LIKE="ubuntu debian"\nVERSION_ID="22.04"\nPRETTY_NAME="Pop!_OS 22.04 LTS"\n' }).facts.distro;
    expect(a).toEqual({ id: 'pop', idLike: ['ubuntu', 'debian'], versionId: '22.04', prettyName: 'Pop!_OS 22.04 LTS' });
    const b = scanSpec({ files: { 'usr/lib/os-release': "ID='arch'\nPRETTY_NAME='Arch Linux'\n" } }).facts.distro;
    expect(b).toMatchObject({ id: 'arch', prettyName: 'Arch Linux', versionId: null, idLike: [] });
  });
});

describe('virtualization stack', () => {
  it('finds QEMU (also qemu-kvm in usr/libexec), libvirt tools and OVMF code images', () => {
    const { facts } = scanSpec({
      files: {
        'usr/libexec/qemu-kvm': '',
        'usr/bin/virsh': '',
        'usr/bin/virt-install': '',
        'usr/bin/virt-host-validate': '',
        'usr/share/edk2/ovmf/OVMF_CODE.secboot.fd': '',
        'usr/share/edk2/ovmf/OVMF_VARS.fd': '',
        'usr/share/qemu/edk2-x86_64-code.fd': '',
        'usr/share/qemu/edk2-i386-vars.fd': '',
      },
    });
    expect(facts.virt).toEqual({
      qemu: '/usr/libexec/qemu-kvm',
      virsh: '/usr/bin/virsh',
      virtInstall: '/usr/bin/virt-install',
      virtHostValidate: '/usr/bin/virt-host-validate',
      ovmf: ['/usr/share/edk2/ovmf/OVMF_CODE.secboot.fd', '/usr/share/qemu/edk2-x86_64-code.fd'],
    });
    expect(scanSpec({}).facts.virt).toEqual({ qemu: null, virsh: null, virtInstall: null, virtHostValidate: null, ovmf: [] });
  });
});

describe('robustness', () => {
  it('an empty directory scans without throwing and says what it could not read', () => {
    const dir = makeRoot({});
    rmSync(path.join(dir, 'sys'), { recursive: true });
    const facts = scanHost(systemRoot(dir));
    expect(facts.devices).toEqual([]);
    expect(facts.notes.some((n) => n.includes('/sys/bus/pci/devices is absent'))).toBe(true);
    expect(JSON.parse(JSON.stringify(facts))).toEqual(facts);
  });
});

describe('a root is read as that system sees itself, never this machine', () => {
  it('absolute links inside the root resolve inside it (an image whose /etc/os-release points at /usr/lib/os-release)', () => {
    const dir = makeRoot({});
    mkdirSync(path.join(dir, 'usr/lib'), { recursive: true });
    mkdirSync(path.join(dir, 'etc'), { recursive: true });
    writeFileSync(path.join(dir, 'usr/lib/os-release'), 'ID=vw-test-os\nPRETTY_NAME="Test OS"\n');
    rmSync(path.join(dir, 'etc/os-release'), { force: true });
    symlinkSync('/usr/lib/os-release', path.join(dir, 'etc/os-release'));
    // a link whose target climbs with ".." stops at the root, as it does on the system itself
    mkdirSync(path.join(dir, 'usr/share/misc'), { recursive: true });
    symlinkSync('../../../../../../../../usr/lib/os-release', path.join(dir, 'usr/share/misc/pci.ids'));
    const facts = scanHost(systemRoot(dir));
    expect(facts.distro).toMatchObject({ id: 'vw-test-os', prettyName: 'Test OS' });
    expect(facts.pciIdsSource).toBe('/usr/share/misc/pci.ids');
  });

  it('a kernel release that is not a plain name is ignored with a note: module lookups never leave the root', () => {
    const outside = makeRoot({});
    mkdirSync(path.join(outside, 'evil'), { recursive: true });
    writeFileSync(path.join(outside, 'evil/modules.builtin'), 'kernel/drivers/vfio/pci/vfio-pci.ko\n');
    const dir = makeRoot({});
    mkdirSync(path.join(dir, 'proc/sys/kernel'), { recursive: true });
    writeFileSync(path.join(dir, 'proc/sys/kernel/osrelease'), `${'../'.repeat(12)}${outside.slice(1)}/evil\n`);
    const facts = scanHost(systemRoot(dir));
    expect(facts.kernel.release).toBeNull();
    expect(facts.kernel.vfioPci).toBe('unknown');
    expect(facts.notes.some((n) => n.includes('which is not a kernel release'))).toBe(true);
  });
});

describe('control characters in what the files say', () => {
  it('become U+FFFD in the facts (the terminal UI draws them), whatever file they came from', () => {
    const dir = makeRoot({});
    mkdirSync(path.join(dir, 'proc'), { recursive: true });
    mkdirSync(path.join(dir, 'etc'), { recursive: true });
    writeFileSync(path.join(dir, 'proc/cmdline'), 'quiet \u001b]0;pwned\u0007 \u009b2J\n');
    writeFileSync(path.join(dir, 'etc/os-release'), 'ID=debian\nPRETTY_NAME="Deb\u001b[2Jian"\n');
    const facts = scanHost(systemRoot(dir));
    expect(facts.kernel.cmdline).toBe('quiet \uFFFD]0;pwned\uFFFD \uFFFD2J');
    expect(facts.distro.prettyName).toBe('Deb\uFFFD[2Jian');
    expect(/[\u0000-\u001F\u007F-\u009F]/.test(JSON.stringify(facts).replace(/\\[nrtu"\\/bf]/g, ''))).toBe(false);
  });
});

describe('odd attribute values', () => {
  it('a uevent that is not the kernel\'s: the driver comes from the driver link; negative VF counts and unknown reset methods are dropped', () => {
    const dir = makeRoot({ devices: workstationDevices() });
    const fn = path.join(dir, 'sys/bus/pci/devices/0000:01:00.0');
    writeFileSync(path.join(fn, 'uevent'), '\u0000\u0001garbage without keys\n');
    writeFileSync(path.join(fn, 'vendor'), '0x10de\n');
    writeFileSync(path.join(fn, 'device'), '0x1e07\n');
    writeFileSync(path.join(fn, 'class'), '0x030000\n');
    writeFileSync(path.join(fn, 'reset_method'), 'bus ../../x \u001b[2J flr\n');
    writeFileSync(path.join(fn, 'sriov_totalvfs'), '7\n');
    writeFileSync(path.join(fn, 'sriov_numvfs'), '-5\n');
    const d = scanHost(systemRoot(dir)).devices.find((x) => x.address === '0000:01:00.0')!;
    expect(d.driver).toBe('nvidia');
    expect(d.resetMethods).toEqual(['bus', 'flr']);
    expect(d.sriov).toEqual({ totalVfs: 7, numVfs: null, virtfns: [] });
  });
});
