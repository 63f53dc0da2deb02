// The after-reboot checks (shared by `vfio-wizard verify` and the wizard's resume screen).
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import { materializeRoot } from '../../src/demo/materialize.js';
import { SAMPLE_WORKSTATION } from '../../src/demo/sample-workstation.js';
import { noGroupsNote } from '../../src/iommu-view.js';
import { boundByWizard, cmdlineAfterReboot, isolateAfterReboot } from '../../src/steps/after-reboot.js';
import { afterRebootCheck } from '../../src/steps/after-reboot-checks.js';
import { systemRoot } from '../../src/host/root.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import { makeDevice, makeFacts } from '../support/facts.js';

describe('cmdlineAfterReboot', () => {
  it('passes when the IOMMU came up; fails while it is off or a conflict is still there', () => {
    expect(cmdlineAfterReboot(makeFacts({ iommu: { enabled: true }, kernel: { cmdline: 'root=/dev/sda1 quiet intel_iommu=on' } })).ok).toBe(true);
    const off = cmdlineAfterReboot(makeFacts({ iommu: { enabled: false, firmware: true }, kernel: { cmdline: 'root=/dev/sda1 quiet' } }));
    expect(off).toMatchObject({ ok: false, summary: 'the IOMMU is still off after the reboot' });
    expect(off.lines).toContain('not on the command line: intel_iommu=on');
    expect(cmdlineAfterReboot(makeFacts({ iommu: { enabled: true }, kernel: { cmdline: 'intel_iommu=off intel_iommu=on' } })).ok).toBe(false);
  });

  it('says unknown, never "off", when the groups cannot be read; and it does not pass', () => {
    const r = cmdlineAfterReboot(makeFacts({ iommu: { enabled: false, groupsReadable: false }, kernel: { cmdline: 'root=/dev/sda1 intel_iommu=on' } }), { cmdlineAdded: ['intel_iommu=on'] });
    expect(r.ok).toBe(false);
    expect(r.summary).toContain('cannot be told');
    expect(r.lines).toContain('IOMMU: unknown (/sys/kernel/iommu_groups unreadable)');
  });
});

describe('noGroupsNote', () => {
  it('tells unreadable groups from a kernel that has not enabled the IOMMU', () => {
    expect(noGroupsNote(makeFacts({ iommu: { enabled: false, groupsReadable: false } }))).toContain('whether the kernel enabled the IOMMU is unknown');
    expect(noGroupsNote(makeFacts({ iommu: { enabled: false, firmware: true } }))).toContain('The kernel has not enabled the IOMMU');
    expect(noGroupsNote(makeFacts({ iommu: { enabled: true } }))).toBeNull();
  });
});

describe('checks what the journal says the step did', () => {
  const on = (cmdline: string) => makeFacts({ cpu: { vendor: 'intel' }, iommu: { enabled: true }, kernel: { cmdline } });
  it('cmdline: every token the step added must be on /proc/cmdline, even once the IOMMU no longer "needs" one', () => {
    const expect_ = { cmdlineAdded: ['intel_iommu=on', 'iommu=pt'], cmdlineRemoved: [] };
    const r = cmdlineAfterReboot(on('root=/dev/sda1 intel_iommu=on'), expect_);
    expect(r.ok).toBe(false);
    expect(r.lines).toContain('not on the command line: iommu=pt');
    expect(cmdlineAfterReboot(on('root=/dev/sda1 intel_iommu=on iommu=pt'), expect_).ok).toBe(true);
    // without the journal's record the same boot passes: only what the host needs is known then
    expect(cmdlineAfterReboot(on('root=/dev/sda1 intel_iommu=on')).ok).toBe(true);
  });
  it('cmdline: a token the step removed must be gone', () => {
    const r = cmdlineAfterReboot(on('root=/dev/sda1 iommu=soft intel_iommu=on'), { cmdlineAdded: ['intel_iommu=on'], cmdlineRemoved: ['iommu=soft'] });
    expect(r.ok).toBe(false);
    expect(r.lines).toContain('still on the command line: iommu=soft');
  });
  it('isolate: the journaled addresses are checked even when no wizard file names them (driverctl); older journals read vfio-wizard.conf too', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vw-after-'));
    try {
      mkdirSync(path.join(dir, 'dev/vfio'), { recursive: true });
      writeFileSync(path.join(dir, 'dev/vfio/1'), '');
      const root = systemRoot(dir);
      const devices = [
        makeDevice({ address: '0000:00:02.0', class: '030000', vendor: '8086', device: '3e92', driver: 'i915', iommuGroup: 2, bootVga: true }),
        makeDevice({ address: '0000:01:00.0', class: '030000', vendor: '10de', device: '1b81', driver: 'vfio-pci', iommuGroup: 1 }),
      ];
      const facts = makeFacts({ devices });
      expect(afterRebootCheck('isolate', facts, root, { devices: ['0000:01:00.0'] })).toMatchObject({ ok: true });
      // no record and no file: nothing is known to be bound
      expect(afterRebootCheck('isolate', facts, root, null)).toMatchObject({ ok: false, summary: 'none of the devices the step binds is on this host any more' });
      mkdirSync(path.join(dir, 'etc/modprobe.d'), { recursive: true });
      writeFileSync(path.join(dir, 'etc/modprobe.d/vfio-wizard.conf'), 'options vfio-pci ids=10de:1b81\n');
      expect(afterRebootCheck('isolate', facts, root, null)).toMatchObject({ ok: true });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('isolateAfterReboot', () => {
  const gpu = (driver: string | null) => [
    makeDevice({ address: '0000:00:02.0', class: '030000', vendor: '8086', device: '3e92', driver: 'i915', iommuGroup: 2, bootVga: true }),
    makeDevice({ address: '0000:01:00.0', class: '030000', vendor: '10de', device: '1b81', driver, iommuGroup: 1 }),
    makeDevice({ address: '0000:01:00.1', class: '040300', vendor: '10de', device: '10f0', driver, iommuGroup: 1 }),
  ];
  const vfioConf = 'softdep nouveau pre: vfio-pci\noptions vfio-pci ids=10de:1b81,10de:10f0\n';
  it('finds the bound functions from the wizard’s own files and passes when they are on vfio-pci with /dev/vfio', () => {
    const facts = makeFacts({ devices: gpu('vfio-pci') });
    const selected = boundByWizard(facts, vfioConf, null);
    expect(selected).toEqual(['0000:01:00.0', '0000:01:00.1']);
    expect(isolateAfterReboot(facts, selected, (g) => g === 1).ok).toBe(true);
    expect(isolateAfterReboot(facts, selected, () => false).ok).toBe(false);
  });
  it('fails when the native driver won, naming it', () => {
    const facts = makeFacts({ devices: gpu('nouveau') });
    const r = isolateAfterReboot(facts, boundByWizard(facts, vfioConf, null), () => true);
    expect(r.ok).toBe(false);
    expect(r.summary).toBe('0000:01:00.0 is on nouveau, not vfio-pci');
  });
  it('reads addresses from the by-address override script', () => {
    const facts = makeFacts({ devices: gpu('vfio-pci') });
    expect(boundByWizard(facts, null, 'for entry in 0000:01:00.0=0x10de:0x1b81 0000:01:00.1=0x10de:0x10f0; do')).toEqual(['0000:01:00.0', '0000:01:00.1']);
  });
});

describe('cmdline --device: vfio-pci.ids decided by the step itself', () => {
  async function planJson(dir: string, args: string[]) {
    let out = '';
    let err = '';
    const io = { stdout: { write: (x: string) => (out += x), isTTY: false }, stderr: { write: (x: string) => ((err += x), true) }, stdinIsTTY: false, env: {} };
    const code = await main(['--root', dir, '--json', 'plan', '--step', 'cmdline', ...args], io);
    return { code, doc: out ? JSON.parse(out) : null, err };
  }
  it('vfio-pci built in: the card’s four IDs go into vfio-pci.ids; a module: only a note; dracut with the module: rd.driver.pre=vfio-pci', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vw-ids-'));
    const dir2 = mkdtempSync(path.join(os.tmpdir(), 'vw-ids-'));
    try {
      materializeRoot({ ...SAMPLE_WORKSTATION, modulesBuiltin: [...SAMPLE_WORKSTATION.modulesBuiltin!, 'kernel/drivers/vfio/pci/vfio-pci.ko'] }, dir);
      const built = await planJson(dir, ['--device', '01:00.0']);
      expect(built.code, built.err).toBe(0);
      expect(built.doc.details.tokens).toContain('vfio-pci.ids=10de:1f02,10de:10f9,10de:1ada,10de:1adb');
      expect(built.doc.details.tokens).not.toContain('rd.driver.pre=vfio-pci');
      // without --device the IDs are not known yet: a note, no token
      const none = await planJson(dir, []);
      expect(none.doc.details.tokens.join(' ')).not.toContain('vfio-pci.ids');
      // a malformed address is refused before anything is planned
      expect((await planJson(dir, ['--device', '01:00.9'])).code).toBe(2);

      const files = Object.fromEntries(Object.entries(SAMPLE_WORKSTATION.files ?? {}).filter(([p]) => !/initramfs-tools|update-initramfs/.test(p)));
      materializeRoot({ ...SAMPLE_WORKSTATION, files: { ...files, 'etc/dracut.conf': '', 'usr/bin/dracut': '#!/bin/sh\n' } }, dir2);
      const facts = await (async () => {
        let out = '';
        await main(['--root', dir2, 'scan', '--json'], { stdout: { write: (x: string) => (out += x), isTTY: false }, stderr: { write: () => true }, stdinIsTTY: false, env: {} });
        return JSON.parse(out);
      })();
      if (facts.boot.initramfs.id !== 'dracut') throw new Error(`fixture is not dracut: ${JSON.stringify(facts.boot.initramfs)}`);
      const dracut = await planJson(dir2, ['--device', '01:00.0']);
      expect(dracut.doc.details.tokens).toContain('rd.driver.pre=vfio-pci');
      expect(dracut.doc.details.tokens.join(' ')).not.toContain('vfio-pci.ids');
    } finally {
      rmSync(dir, { recursive: true, force: true });
      rmSync(dir2, { recursive: true, force: true });
    }
  });
});

describe('vfio-wizard verify', () => {
  it('before the reboot: says to reboot first and records nothing', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vw-verify-'));
    try {
      materializeRoot(SAMPLE_WORKSTATION, dir);
      let out = '';
      const io = { stdout: { write: (s: string) => (out += s), isTTY: false }, stderr: { write: () => true }, stdinIsTTY: false, env: {} };
      expect(await main(['--root', dir, 'verify'], io)).toBe(0);
      expect(out).toMatch(/Nothing to verify/);
      expect(await main(['--root', dir, 'apply', '--step', 'cmdline', '--yes', '--commands', 'skip'], io)).toBe(0);
      out = '';
      expect(await main(['--root', dir, 'verify'], io)).toBe(0);
      expect(out).toMatch(/cmdline: not yet — reboot first/);
      out = '';
      await main(['--root', dir, '--json', 'status'], io);
      const st = JSON.parse(out);
      expect(st.pending.verification).toContain('cmdline');
      // the journal keeps what the step added, for the check after the reboot
      expect(st.runs[0].steps[0].expect).toEqual({ cmdlineAdded: ['intel_iommu=on'], cmdlineRemoved: [], loader: 'grub' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
