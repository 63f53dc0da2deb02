import { describe, expect, it } from 'vitest';
import { makeFacts } from '../support/facts.js';
import { checkSecureBoot, checkUefi } from '../../src/checks/boot.js';
import { checkVfioModules, hasSeparateVirqfd } from '../../src/checks/vfio-modules.js';
import { checkVirtStack, distroFamily, installCommand } from '../../src/checks/virt-stack.js';

describe('uefi', () => {
  it('passes on UEFI', () => expect(checkUefi(makeFacts()).status).toBe('pass'));
  it('warns on legacy boot and warns against flipping the firmware to UEFI-only', () => {
    const c = checkUefi(makeFacts({ boot: { uefi: false, secureBoot: null } }));
    expect(c.status).toBe('warn');
    expect(c.why).toMatch(/GOP/);
    expect(c.remedy).toMatch(/Do not simply switch the firmware to UEFI-only/);
  });
});

describe('a root with no /sys/firmware (a system at rest)', () => {
  it('the boot mode and Secure Boot are unknown, not legacy / not applicable', () => {
    const facts = makeFacts({ boot: { uefi: null, secureBoot: null } });
    expect(checkUefi(facts)).toMatchObject({ status: 'unknown', summary: expect.stringMatching(/^the boot mode is unknown/) });
    expect(checkSecureBoot(facts)).toMatchObject({ status: 'unknown' });
  });
});

describe('secure-boot', () => {
  it('passes when off, and when not applicable (legacy boot)', () => {
    expect(checkSecureBoot(makeFacts()).status).toBe('pass');
    const legacy = checkSecureBoot(makeFacts({ boot: { uefi: false, secureBoot: null } }));
    expect(legacy.status).toBe('pass');
    expect(legacy.summary).toMatch(/not applicable/);
  });

  it('is unknown when the efivar is unreadable on UEFI', () => {
    expect(checkSecureBoot(makeFacts({ boot: { secureBoot: null } })).status).toBe('unknown');
  });

  it('passes when on and no out-of-tree module is in use, explaining what it affects', () => {
    const c = checkSecureBoot(makeFacts({ boot: { secureBoot: true } }));
    expect(c.status).toBe('pass');
    expect(c.why).toContain('Key was rejected by service');
    expect(c.why).toMatch(/vendor-reset/);
  });

  it('warns when on and the NVIDIA driver or vendor-reset is in use', () => {
    const nv = makeFacts({ boot: { secureBoot: true }, kernel: { loadedModules: ['nvidia', 'nvidia_drm', 'kvm'] } });
    const c = checkSecureBoot(nv);
    expect(c.status).toBe('warn');
    expect(c.summary).toContain('nvidia');
    expect(c.remedy).toMatch(/mokutil --import/);
    expect(c.remedy).toContain('Key was rejected by service');
    const vr = makeFacts({ boot: { secureBoot: true }, kernel: { loadedModules: ['vendor_reset'] } });
    expect(checkSecureBoot(vr).status).toBe('warn');
  });
});

describe('vfio-modules', () => {
  it('passes with modules and notes vfio_virqfd before 6.2', () => {
    const c = checkVfioModules(makeFacts());
    expect(c.status).toBe('pass');
    expect(c.evidence.join('\n')).toMatch(/vfio_virqfd: loadable module/);
    expect(c.evidence.join('\n')).toMatch(/before Linux 6.2 vfio_virqfd is a module of its own/);
  });

  it('passes when built in, saying modprobe.d options are ignored and ids go on the command line', () => {
    const c = checkVfioModules(
      makeFacts({ kernel: { release: '6.8.0-45-generic', version: { major: 6, minor: 8 }, vfioPci: 'builtin', vfio: 'builtin', vfioIommuType1: 'builtin', vfioVirqfd: 'missing' } }),
    );
    expect(c.status).toBe('pass');
    expect(c.summary).toMatch(/modprobe.d are ignored/);
    expect(c.summary).toContain('vfio-pci.ids=');
    expect(c.evidence.join('\n')).toMatch(/vfio_virqfd is part of vfio since Linux 6.2/);
    expect(c.evidence.join('\n')).not.toMatch(/vfio_virqfd: /);
  });

  it('fails when vfio-pci is missing', () => {
    const c = checkVfioModules(makeFacts({ kernel: { vfioPci: 'missing' } }));
    expect(c.status).toBe('fail');
    expect(c.summary).toContain('vfio-pci is not part of 6.1.0-18-amd64');
    expect(c.remedy).toContain('CONFIG_VFIO_PCI');
  });

  it('is unknown when the module lists are unreadable', () => {
    expect(checkVfioModules(makeFacts({ kernel: { vfioPci: 'unknown', vfio: 'unknown', vfioIommuType1: 'unknown' } })).status).toBe('unknown');
  });

  it('warns on a pre-6.2 kernel without vfio_virqfd', () => {
    const c = checkVfioModules(makeFacts({ kernel: { release: '5.15.0-1-generic', version: { major: 5, minor: 15 }, vfioVirqfd: 'missing' } }));
    expect(c.status).toBe('warn');
  });

  it('knows where vfio_virqfd was merged', () => {
    expect(hasSeparateVirqfd({ major: 6, minor: 1 })).toBe(true);
    expect(hasSeparateVirqfd({ major: 6, minor: 2 })).toBe(false);
    expect(hasSeparateVirqfd({ major: 5, minor: 19 })).toBe(true);
    expect(hasSeparateVirqfd({ major: 7, minor: 0 })).toBe(false);
    expect(hasSeparateVirqfd(null)).toBeNull();
  });
});

describe('virt-stack', () => {
  it('passes when everything is installed', () => expect(checkVirtStack(makeFacts()).status).toBe('pass'));

  it.each([
    [{ id: 'debian', idLike: [] }, 'apt install qemu-system-x86 libvirt-daemon-system virtinst ovmf'],
    [{ id: 'ubuntu', idLike: ['debian'] }, 'apt install qemu-system-x86 libvirt-daemon-system virtinst ovmf'],
    [{ id: 'linuxmint', idLike: ['ubuntu', 'debian'] }, 'apt install qemu-system-x86 libvirt-daemon-system virtinst ovmf'],
    [{ id: 'fedora', idLike: [] }, 'dnf install qemu-kvm libvirt virt-install edk2-ovmf'],
    [{ id: 'rocky', idLike: ['rhel', 'centos', 'fedora'] }, 'dnf install qemu-kvm libvirt virt-install edk2-ovmf'],
    [{ id: 'arch', idLike: [] }, 'pacman -S --needed qemu-full libvirt virt-install edk2-ovmf'],
    [{ id: 'manjaro', idLike: ['arch'] }, 'pacman -S --needed qemu-full libvirt virt-install edk2-ovmf'],
    [{ id: 'opensuse-tumbleweed', idLike: ['opensuse', 'suse'] }, 'zypper install qemu-x86 libvirt virt-install qemu-ovmf-x86_64'],
  ])('names the packages for %j', (distro, cmd) => {
    const c = checkVirtStack(makeFacts({ distro, virt: { qemu: null, virsh: null, virtInstall: null, virtHostValidate: null, ovmf: [] } }));
    expect(c.status).toBe('warn');
    expect(c.remedy).toContain(cmd);
  });

  it('lists only what is missing', () => {
    const c = checkVirtStack(makeFacts({ virt: { ovmf: [] } }));
    expect(c.summary).toBe('missing: OVMF (UEFI firmware for guests)');
    expect(c.remedy).toContain('`apt install ovmf`');
    expect(c.remedy).not.toContain('libvirtd');
  });

  it('falls back to generic names on an unknown distribution', () => {
    const d = { id: 'gentoo', idLike: [], versionId: null, prettyName: 'Gentoo Linux' };
    expect(distroFamily(d)).toBe('unknown');
    expect(installCommand(d, ['qemu'])).toBeNull();
    const c = checkVirtStack(makeFacts({ distro: d, virt: { qemu: null } }));
    expect(c.status).toBe('warn');
    expect(c.remedy).toMatch(/package manager/);
  });
});
