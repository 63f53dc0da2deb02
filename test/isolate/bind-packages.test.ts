// The by-address override script run by real shells (dash, and busybox sh as in an initramfs)
// against a fixture sysfs, and the driver-package detection on dpkg/pacman database files.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { initramfsToolsHook, overrideScript } from '../../src/isolate/bind-by-address.js';
import { findDriverPackages, removalChange, removalCommand } from '../../src/isolate/packages.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'vfio-bind-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A sysfs with two functions: af:00.0 bound to nvidia, af:00.1 unbound; and one with other IDs. */
function fakeSysfs(name: string): string {
  const sys = path.join(tmp, name);
  const devs = path.join(sys, 'bus/pci/devices');
  const drivers = path.join(sys, 'bus/pci/drivers');
  mkdirSync(path.join(drivers, 'nvidia'), { recursive: true });
  writeFileSync(path.join(drivers, 'nvidia/unbind'), '');
  writeFileSync(path.join(sys, 'bus/pci/drivers_probe'), '');
  for (const [addr, vendor, device, driver] of [
    ['0000:af:00.0', '0x10de', '0x1e07', 'nvidia'],
    ['0000:af:00.1', '0x10de', '0x10f7', null],
    ['0000:b0:00.0', '0x8086', '0x1533', null],
  ] as const) {
    const d = path.join(devs, addr);
    mkdirSync(d, { recursive: true });
    writeFileSync(path.join(d, 'vendor'), `${vendor}\n`);
    writeFileSync(path.join(d, 'device'), `${device}\n`);
    writeFileSync(path.join(d, 'driver_override'), '(null)\n');
    if (driver) symlinkSync(path.join(drivers, driver), path.join(d, 'driver'));
  }
  return sys;
}

const shells = [['dash'], ['busybox', 'sh']].filter(([cmd]) => existsSync(`/usr/bin/${cmd}`) || existsSync(`/bin/${cmd}`));

describe('the override script', () => {
  it('is found on this machine in at least dash', () => {
    expect(shells.map((s) => s.join(' '))).toContain('dash');
  });

  for (const shell of shells) {
    it(`${shell.join(' ')}: writes driver_override, unbinds the host driver, asks for a probe; a changed card is left alone`, () => {
      const sys = fakeSysfs(shell.join('-'));
      // b0:00.0 is listed with the IDs it had when planned; now another card sits there
      const script = overrideScript([
        { address: '0000:af:00.0', vendor: '10de', device: '1e07' },
        { address: '0000:af:00.1', vendor: '10de', device: '10f7' },
        { address: '0000:b0:00.0', vendor: '10de', device: '1e07' },
      ]);
      const file = path.join(tmp, `override-${shell.join('-')}`);
      writeFileSync(file, script, { mode: 0o755 });
      const r = spawnSync(shell[0]!, [...shell.slice(1), file], { encoding: 'utf8', env: { PATH: process.env.PATH, VFIO_WIZARD_SYSFS: sys } });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const dev = (a: string, f: string) => readFileSync(path.join(sys, 'bus/pci/devices', a, f), 'utf8');
      expect(dev('0000:af:00.0', 'driver_override')).toBe('vfio-pci\n');
      expect(dev('0000:af:00.1', 'driver_override')).toBe('vfio-pci\n');
      expect(dev('0000:b0:00.0', 'driver_override')).toBe('(null)\n');
      expect(readFileSync(path.join(sys, 'bus/pci/drivers/nvidia/unbind'), 'utf8')).toBe('0000:af:00.0\n');
      expect(readFileSync(path.join(sys, 'bus/pci/drivers_probe'), 'utf8')).toBe('0000:af:00.1\n');
    });
  }

  it('the initramfs-tools hook answers "prereqs" with nothing and parses in dash', () => {
    const file = path.join(tmp, 'hook');
    writeFileSync(file, initramfsToolsHook(), { mode: 0o755 });
    const r = spawnSync('dash', [file, 'prereqs'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('\n');
    expect(spawnSync('dash', ['-n', file]).status).toBe(0);
  });
});

describe('driver packages', () => {
  const status = [
    'Package: cuda-drivers\nStatus: install ok installed\nVersion: 455.45.01-1\n',
    'Package: nvidia-container-toolkit\nStatus: install ok installed\nVersion: 1.4.0-1\n',
    'Package: nvidia-driver-455\nStatus: deinstall ok config-files\nVersion: 455.45.01-0ubuntu1\n',
    'Package: libnvidia-compute-455\nStatus: install ok installed\nVersion: 455.45.01-0ubuntu1\n',
    'Package: bash\nStatus: install ok installed\nVersion: 5.0-6ubuntu1\n',
  ].join('\n');

  it('seed 003: cuda-drivers and nvidia-container-toolkit from dpkg status; removed-but-configured packages do not count', () => {
    const scan = findDriverPackages({ dpkgStatus: status, pacmanDescs: [], rpmDatabase: false });
    expect(scan.manager).toBe('dpkg');
    expect(scan.packages.map((p) => p.name)).toEqual(['cuda-drivers', 'nvidia-container-toolkit']);
    expect(removalCommand(scan.packages)).toEqual({
      argv: ['apt-get', 'remove', '--purge', '-y', 'cuda-drivers', 'nvidia-container-toolkit'],
      undo: ['apt-get', 'install', '-y', 'cuda-drivers=455.45.01-1', 'nvidia-container-toolkit=1.4.0-1'],
    });
    const change = removalChange(scan.packages)!;
    expect(change.phase).toBe('other');
    expect(change.undo?.argv[0]).toBe('apt-get');
  });

  it('pacman local database; rpm is "not checked"; nothing found → no command', () => {
    const scan = findDriverPackages({ dpkgStatus: null, pacmanDescs: ['%NAME%\nnvidia-dkms\n\n%VERSION%\n550.78-1\n', '%NAME%\nlinux\n\n%VERSION%\n6.8.9.arch1-1\n'], rpmDatabase: false });
    expect(scan.packages.map((p) => [p.name, p.version])).toEqual([['nvidia-dkms', '550.78-1']]);
    expect(removalCommand(scan.packages)?.argv).toEqual(['pacman', '-Rns', '--noconfirm', 'nvidia-dkms']);
    const rpm = findDriverPackages({ dpkgStatus: null, pacmanDescs: [], rpmDatabase: true });
    expect(rpm).toMatchObject({ manager: 'rpm', checked: false, packages: [] });
    expect(rpm.note).toMatch(/not checked/);
    expect(removalCommand([])).toBeNull();
  });
});
