// Fixture roots for the VM tests: a synthetic host materialised in a temp dir, with OVMF and its
// firmware descriptor copied from this machine (the ovmf package), and a libvirt test-driver host
// description written from the scanned devices.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { main } from '../../src/cli.js';
import { materializeRoot } from '../../src/demo/materialize.js';
import type { RootSpec } from '../../src/demo/root-spec.js';
import { systemRoot } from '../../src/host/root.js';
import { scanHost } from '../../src/host/scan.js';
import type { HostFacts } from '../../src/host/types.js';
import { testHostXml } from '../../src/vm/test-host-xml.js';
import { readShareFacts } from '../../src/share/share-facts.js';

export interface VmFixture {
  dir: string;
  facts: HostFacts;
  /** test:///ABS/host.xml */
  uri: string;
  cleanup(): void;
}

const DESCRIPTOR = '/usr/share/qemu/firmware/60-edk2-x86_64.json';

export function vmFixture(spec: RootSpec, o: { ovmf?: boolean } = {}): VmFixture {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vfio-vm-'));
  const files: Record<string, string> = { ...(spec.files ?? {}) };
  if (o.ovmf !== false) {
    files['usr/share/OVMF/OVMF_CODE_4M.fd'] = 'code';
    files['usr/share/OVMF/OVMF_VARS_4M.fd'] = 'vars';
    files[DESCRIPTOR.slice(1)] = readFileSync(DESCRIPTOR, 'utf8');
  }
  materializeRoot({ ...spec, files }, dir);
  const facts = scanHost(systemRoot(dir));
  const hostXml = path.join(dir, 'libvirt-host.xml');
  const mdevs = readShareFacts(systemRoot(dir), facts).mdevs.map((m) => ({ uuid: m.uuid, parent: m.parent ?? 'computer', type: m.type }));
  writeFileSync(hostXml, testHostXml(facts, { poolPath: path.join(dir, 'pool'), mdevs }));
  return { dir, facts, uri: `test://${hostXml}`, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export async function cli(root: string, args: string[]): Promise<{ exit: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const exit = await main(['--root', root, ...args], {
    stdout: { write: (s: string) => (stdout += s), isTTY: false },
    stderr: { write: (s: string) => (stderr += s) },
    stdinIsTTY: false,
    env: {},
  });
  return { exit, stdout, stderr };
}

export function tool(argv: string[], o: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {}) {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', cwd: o.cwd, env: o.env ?? process.env, input: o.input, timeout: 60_000 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, output: `${r.stdout}${r.stderr}` };
}

/** virt-xml-validate on a string (written to a temp file); needs xmllint (libxml2-utils). */
export function validateXml(xml: string): { status: number | null; output: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vfio-xml-'));
  try {
    const f = path.join(dir, 'domain.xml');
    writeFileSync(f, xml);
    const r = tool(['virt-xml-validate', f, 'domain']);
    return { status: r.status, output: r.output };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
