// Driver packages on the CLI: the isolation step shows the installed proprietary packages that
// concern the chosen card (from the root's own dpkg database), the driver-packages step removes
// them as a journaled command whose undo reinstalls the exact versions, and it refuses while the
// host still drives a card of that vendor with them.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import { materializeRoot } from '../../src/demo/materialize.js';
import { SAMPLE_WORKSTATION } from '../../src/demo/sample-workstation.js';
import { TWO_IDENTICAL_GPUS } from '../../src/demo/synthetic-hosts.js';
import type { RootSpec } from '../../src/demo/root-spec.js';

const STATUS = `Package: nvidia-driver
Status: install ok installed
Version: 535.183.01-1~deb12u1

Package: cuda-drivers
Status: deinstall ok config-files
Version: 12.4

Package: nvidia-container-toolkit
Status: install ok installed
Version: 1.16.1-1

Package: libnvidia-ml1
Status: install ok installed
Version: 535.183.01-1~deb12u1

Package: bash
Status: install ok installed
Version: 5.2.15-2+b7
`;

const roots: string[] = [];
afterEach(() => {
  for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
});

function root(spec: RootSpec, status: string | null): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vw-pkgs-'));
  roots.push(dir);
  materializeRoot(spec, dir);
  if (status !== null) {
    mkdirSync(path.join(dir, 'var/lib/dpkg'), { recursive: true });
    writeFileSync(path.join(dir, 'var/lib/dpkg/status'), status);
  }
  return dir;
}

async function cli(args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await main(args, { stdout: { write: (s: string) => (stdout += s), isTTY: false }, stderr: { write: (s: string) => ((stderr += s), true) }, stdinIsTTY: false, env: {} });
  return { code, stdout, stderr };
}

describe('driver packages', () => {
  it('isolate shows the installed NVIDIA packages (not the removed cuda-drivers, not user-space libraries) and the step that removes them', async () => {
    const dir = root(SAMPLE_WORKSTATION, STATUS);
    const r = await cli(['--root', dir, 'plan', '--step', 'isolate', '--device', '01:00.0']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Installed driver packages that can keep the card busy: nvidia-driver 535.183.01-1~deb12u1, nvidia-container-toolkit 1.16.1-1');
    expect(r.stdout).not.toMatch(/cuda-drivers|libnvidia-ml1/);
    expect(r.stdout).toContain('vfio-wizard apply --step driver-packages --device 0000:01:00.0,0000:01:00.1,0000:01:00.2,0000:01:00.3');
    const json = JSON.parse((await cli(['--root', dir, '--json', 'plan', '--step', 'isolate', '--device', '01:00.0'])).stdout);
    expect(json.details.driverPackages).toMatchObject({ manager: 'dpkg', checked: true, hostCards: [] });
    // no database: nothing is claimed
    const bare = await cli(['--root', root(SAMPLE_WORKSTATION, null), 'plan', '--step', 'isolate', '--device', '01:00.0']);
    expect(bare.stdout).not.toContain('Installed driver packages');
  });

  it('removal is a journaled command with the exact reinstall as its undo; under --commands skip both halves are only listed', async () => {
    const dir = root(SAMPLE_WORKSTATION, STATUS);
    const plan = JSON.parse((await cli(['--root', dir, '--json', 'plan', '--step', 'driver-packages', '--device', '01:00.0'])).stdout);
    expect(plan.plan.commands).toEqual([['apt-get', 'remove', '--purge', '-y', 'nvidia-driver', 'nvidia-container-toolkit']]);
    expect(plan.plan.changes[0].undo.argv).toEqual(['apt-get', 'install', '-y', 'nvidia-driver=535.183.01-1~deb12u1', 'nvidia-container-toolkit=1.16.1-1']);
    const applied = await cli(['--root', dir, '--commands', 'skip', 'apply', '--step', 'driver-packages', '--device', '01:00.0', '--yes', '--json']);
    expect(applied.code, applied.stderr).toBe(0);
    const status = JSON.parse((await cli(['--root', dir, '--json', 'status'])).stdout);
    expect(status.runs[0].steps[0]).toMatchObject({ id: 'driver-packages', state: 'applied' });
    expect(status.runs[0].steps[0].pendingCommands).toEqual([['apt-get', 'remove', '--purge', '-y', 'nvidia-driver', 'nvidia-container-toolkit']]);
    // the removal was the user's to run (--commands skip listed it); a rollback that also only lists
    // hands them the reinstall, and nothing is run here
    const rb = await cli(['--root', dir, '--commands', 'skip', 'rollback', '--yes']);
    expect(rb.code, rb.stderr).toBe(0);
    expect(rb.stdout).toContain("Still to run (--commands skip): apt-get install -y 'nvidia-driver=535.183.01-1~deb12u1' nvidia-container-toolkit=1.16.1-1.");
  });

  it('refused while the host keeps an NVIDIA card on the driver (exit 9), and without a device (exit 2)', async () => {
    const dir = root(TWO_IDENTICAL_GPUS, STATUS);
    const r = await cli(['--root', dir, 'apply', '--step', 'driver-packages', '--device', 'af:00.0', '--yes']);
    expect(r.code).toBe(9);
    expect(r.stdout + r.stderr).toContain('the host still drives 0000:3b:00.0 (nvidia)');
    const iso = await cli(['--root', dir, 'plan', '--step', 'isolate', '--device', 'af:00.0']);
    expect(iso.stdout).toContain('The host still drives 0000:3b:00.0 (nvidia)');
    expect(iso.stdout).not.toContain('--step driver-packages');
    expect((await cli(['--root', dir, 'plan', '--step', 'driver-packages'])).code).toBe(2);
  });
});
