// The mdev step's commands run by the real mdevctl (Debian's package): `mdevctl define --auto …`
// as the plan writes it creates the definitions the wizard then reads back from etc/mdevctl.d,
// `mdevctl list --defined --dumpjson` agrees with our parser, and the plan's undo commands
// remove them again. Each command runs in a private mount namespace with a temp directory bound
// over /etc/mdevctl.d, so this machine's own mdevctl configuration is never touched. (`mdevctl
// start` needs a live parent device; the guest tier starts real ones on the kernel's mtty.)
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { materializeRoot } from '../../src/demo/materialize.js';
import { VGPU_T4_HOST } from '../../src/demo/synthetic-hosts.js';
import { systemRoot } from '../../src/host/root.js';
import { scanHost } from '../../src/host/scan.js';
import { planMdev } from '../../src/share/plan-share.js';
import { parseMdevctlJson, readShareFacts } from '../../src/share/share-facts.js';

let root: string;
let conf: string;
beforeAll(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'vw-mdevctl-'));
  materializeRoot(VGPU_T4_HOST, root);
  // the fixture's own definitions are replaced by what mdevctl writes
  conf = path.join(root, 'etc/mdevctl.d');
  rmSync(conf, { recursive: true, force: true });
  // the layout the package ships: mdevctl refuses to run without its callout directories
  for (const d of ['scripts.d/callouts', 'scripts.d/notifiers']) mkdirSync(path.join(conf, d), { recursive: true });
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** argv run with the fixture's etc/mdevctl.d in place of /etc/mdevctl.d (private mount namespace). */
function mdevctl(argv: string[]) {
  const r = spawnSync('unshare', ['--mount', '--propagation', 'private', '--', 'sh', '-c', 'mount --bind "$1" /etc/mdevctl.d && shift && exec "$@"', 'sh', conf, ...argv], { encoding: 'utf8' });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('mdevctl runs the mdev step\'s commands', () => {
  const uuids = ['3b1c5d0e-8f2a-4c7b-9e6d-1a2b3c4d5e6f', '9c8b7a6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d'];

  it('define writes what the wizard reads back; list --dumpjson agrees; the undo commands remove it', () => {
    const facts = scanHost(systemRoot(root));
    const plan = planMdev(readShareFacts(systemRoot(root), facts), '0000:3b:00.0', 'nvidia-222', { mdevctl: true, uuids });
    if (plan.kind !== 'plan') throw new Error(plan.kind);
    const commands = plan.plan.changes.flatMap((c) => (c.kind === 'command' ? [c] : []));
    const defines = commands.filter((c) => c.argv[1] === 'define');
    expect(defines).toHaveLength(2);
    for (const c of defines) {
      const r = mdevctl(c.argv);
      expect(r.status, r.stderr).toBe(0);
    }
    expect(readdirSync(path.join(conf, '0000:3b:00.0')).sort()).toEqual([...uuids].sort());
    expect(readdirSync(conf).sort()).toEqual(['0000:3b:00.0', 'scripts.d']);
    const share = readShareFacts(systemRoot(root), facts);
    expect(share.mdevctl.defined).toEqual(uuids.map((uuid) => ({ uuid, parent: '0000:3b:00.0', type: 'nvidia-222', start: 'auto' })).sort((a, b) => (a.uuid < b.uuid ? -1 : 1)));
    const listed = mdevctl(['mdevctl', 'list', '--defined', '--dumpjson']);
    expect(listed.status, listed.stderr).toBe(0);
    expect(parseMdevctlJson(listed.stdout).sort((a, b) => (a.uuid < b.uuid ? -1 : 1))).toEqual(share.mdevctl.defined);

    // rollback runs the undo of each command that ran, newest first: undefine
    for (const c of [...defines].reverse()) {
      const r = mdevctl(c.undo!.argv);
      expect(r.status, r.stderr).toBe(0);
    }
    expect(readShareFacts(systemRoot(root), facts).mdevctl.defined).toEqual([]);
    expect(parseMdevctlJson(mdevctl(['mdevctl', 'list', '--defined', '--dumpjson']).stdout)).toEqual([]);
  });

  it('negative control: a define with a malformed UUID is refused by mdevctl itself', () => {
    const r = mdevctl(['mdevctl', 'define', '--uuid', 'not-a-uuid', '--parent', '0000:3b:00.0', '--type', 'nvidia-222']);
    expect(r.status).not.toBe(0);
  });
});
