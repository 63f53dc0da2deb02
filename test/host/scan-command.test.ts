import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import { ExitCode } from '../../src/exit-codes.js';
import { systemRoot } from '../../src/host/root.js';
import { scanHost } from '../../src/host/scan.js';
import { makeRoot, workstationDevices } from './fixture-root.js';

async function run(argv: string[], isTTY = false) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, {
    stdout: { write: (s: string) => out.push(s), isTTY },
    stderr: { write: (s: string) => err.push(s) },
    stdinIsTTY: isTTY,
    env: {},
  });
  return { code, stdout: out.join(''), stderr: err.join('') };
}

const ESC = '\u001b';

describe('vfio-wizard scan', () => {
  const dir = makeRoot({
    cpu: { vendor: 'GenuineIntel', flags: ['vmx'] },
    acpiTables: ['DMAR'],
    iommuUnits: ['dmar0'],
    uefi: true,
    secureBoot: true,
    kernelRelease: '6.1.0-18-amd64',
    osRelease: 'ID=debian\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n',
    devices: workstationDevices(),
    files: { 'etc/default/grub': '', 'boot/grub/grub.cfg': '' },
  });

  it('--json prints exactly the HostFacts object', async () => {
    const r = await run(['--root', dir, '--json', 'scan']);
    expect(r.code).toBe(ExitCode.ok);
    expect(JSON.parse(r.stdout)).toEqual(JSON.parse(JSON.stringify(scanHost(systemRoot(dir)))));
    expect(r.stdout).toContain('\n  "schemaVersion": 1');
  });

  it('also accepts the global options after the subcommand', async () => {
    const r = await run(['scan', '--json', '--root', dir]);
    expect(r.code).toBe(ExitCode.ok);
    expect(JSON.parse(r.stdout).root).toBe(dir);
  });

  it('plain output: a summary with devices grouped by IOMMU group, no escape codes', async () => {
    const r = await run(['--root', dir, 'scan']);
    expect(r.code).toBe(ExitCode.ok);
    expect(r.stdout).not.toContain(ESC);
    expect(r.stdout).toMatch(/^CPU: +intel \(Synthetic CPU\); virtualization vmx; \/dev\/kvm absent; kvm module unknown$/m);
    expect(r.stdout).toMatch(/^IOMMU: +firmware yes \(DMAR\); kernel enabled \(1 units, 6 groups\)/m);
    expect(r.stdout).toMatch(/^Boot: +UEFI; Secure Boot on$/m);
    expect(r.stdout).toMatch(/^Distro: +Debian GNU\/Linux 12 \(bookworm\)$/m);
    expect(r.stdout).toMatch(/^Boot loader: grub /m);
    const g1 = r.stdout.indexOf('  IOMMU group 1:\n');
    expect(g1).toBeGreaterThan(0);
    expect(r.stdout.slice(g1)).toMatch(
      /^ {2}IOMMU group 1:\n {4}0000:00:01\.0 PCI bridge \[0604\]: Device 8086:1901 \[8086:1901\] — driver pcieport\n {4}0000:01:00\.0 VGA compatible controller \[0300\]: Device 10de:1e07 \[10de:1e07\] — driver nvidia \(large BAR 1: 256 MiB\)\n/,
    );
    expect(r.stdout).toMatch(/0000:00:02\.0 .* \(boot VGA\)/);
  });

  it('devices without a group are headed by why: groups unreadable, none listed, or the IOMMU off', async () => {
    const unreadable = makeRoot({ iommuUnits: ['dmar0'], devices: workstationDevices().map((d) => ({ ...d, iommuGroup: undefined })) });
    rmSync(path.join(unreadable, 'sys/kernel/iommu_groups'), { recursive: true, force: true });
    writeFileSync(path.join(unreadable, 'sys/kernel/iommu_groups'), 'not a directory');
    expect((await run(['--root', unreadable, 'scan'])).stdout).toContain('  No IOMMU groups (/sys/kernel/iommu_groups could not be read):\n');
    const off = makeRoot({ devices: workstationDevices().map((d) => ({ ...d, iommuGroup: undefined })) });
    expect((await run(['--root', off, 'scan'])).stdout).toContain('  No IOMMU groups (the IOMMU is off):\n');
  });

  it('--demo with a command, or with --root, is a usage error (exit 2): never this machine in place of the sample', async () => {
    for (const args of [['scan', '--demo', '--json'], ['--demo', 'check'], ['--demo', '--root', dir], ['--root', dir, '--demo', '--json']]) {
      const r = await run(args);
      expect(r.code, args.join(' ')).toBe(ExitCode.usage);
      expect(r.stdout === '' || JSON.parse(r.stdout).error.exitCode === ExitCode.usage, args.join(' ')).toBe(true);
      expect(r.stderr).toMatch(/^vfio-wizard: --demo (?:is for the wizard itself|and --root cannot be used together)/);
    }
  });

  it('a missing --root directory is bad input (exit 5) and says nothing was changed', async () => {
    const r = await run(['--root', `${dir}/does-not-exist`, 'scan', '--json']);
    expect(r.code).toBe(ExitCode.badInput);
    // --json: the reason as a document on stdout as well, for the script reading it
    expect(JSON.parse(r.stdout)).toEqual({ schemaVersion: 1, error: { message: `--root ${dir}/does-not-exist: no such directory`, remedy: expect.stringContaining('--root /mnt'), exitCode: ExitCode.badInput } });
    expect(r.stderr).toContain('no such directory');
    expect(r.stderr).toContain('Nothing was changed');
  });

  it('an empty --root is a usage error (exit 2), not the current directory', async () => {
    for (const args of [['--root=', 'scan', '--json'], ['--root', '', 'scan', '--json']]) {
      const r = await run(args);
      expect(r.code, args.join(' ')).toBe(ExitCode.usage);
      expect(JSON.parse(r.stdout).error.exitCode).toBe(ExitCode.usage);
      expect(r.stderr).toContain('--root was given an empty directory name');
    }
  });
});
