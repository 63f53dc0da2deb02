// modaliasOf against the kernel's own /sys/.../modalias on this machine, and the modules.alias
// matcher against kmod's resolver (`modprobe -R`) over a real Debian kernel's alias table.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { systemRoot } from '../../src/host/root.js';
import { scanHost } from '../../src/host/scan.js';
import { modaliasOf, parsePciAliases } from '../../src/isolate/modalias.js';
import { makeDevice } from '../support/facts.js';
import { ensureKernel } from '../e2e/harness/guest.js';

describe('modaliasOf', () => {
  it('is what the kernel writes for every PCI function of this machine', () => {
    const facts = scanHost(systemRoot('/'));
    expect(facts.devices.length).toBeGreaterThan(0);
    for (const d of facts.devices) {
      const kernel = readFileSync(`/sys/bus/pci/devices/${d.address}/modalias`, 'utf8').trim();
      expect(modaliasOf(d), d.address).toBe(kernel);
    }
  });
});

describe('parsePciAliases', () => {
  const k = ensureKernel();
  const table = parsePciAliases(readFileSync(path.join(k.kroot, 'lib/modules', k.kver, 'modules.alias'), 'utf8'));
  const kmod = (alias: string) => {
    const r = spawnSync('modprobe', ['-C', '/dev/null', '-d', k.kroot, '-S', k.kver, '-R', alias], { encoding: 'utf8' });
    // one line per matching alias: several aliases of one module repeat its name
    return r.status === 0 ? [...new Set(r.stdout.trim().split('\n').filter(Boolean))] : [];
  };
  const devices = [
    makeDevice({ address: '0000:00:01.0', vendor: '1234', device: '1111', class: '030000' }), // QEMU VGA → bochs
    makeDevice({ address: '0000:00:1b.0', vendor: '8086', device: '293e', class: '040300' }), // ICH9 HDA
    makeDevice({ address: '0000:01:00.0', vendor: '10de', device: '1f02', class: '030000', subsystemVendor: '1458', subsystemDevice: '3fc6' }), // TU106
    makeDevice({ address: '0000:01:00.2', vendor: '10de', device: '1ada', class: '0c0330' }), // its xHCI
    makeDevice({ address: '0000:03:00.0', vendor: '8086', device: '10d3', class: '020000' }), // e1000e
    makeDevice({ address: '0000:04:00.0', vendor: '1ed2', device: '0000', class: '120000' }), // FuriosaAI: no driver in Debian
  ];
  for (const d of devices) {
    it(`${d.vendor}:${d.device} (class ${d.class}) resolves to what modprobe -R says`, () => {
      expect(table.modulesFor(modaliasOf(d)).sort()).toEqual(kmod(modaliasOf(d)).map((m) => m.replace(/-/g, '_')).sort());
    });
  }
  it('finds bochs for QEMU’s VGA (no vendor table knows it)', () => {
    expect(table.modulesFor(modaliasOf(devices[0]!))).toContain('bochs');
  });
});
