// The kernel command line step end to end against the real grub-mkconfig: `vfio-wizard apply
// --step cmdline` edits a fixture root (drop-in on Debian, /etc/default/grub itself elsewhere),
// then Debian's grub-mkconfig generates grub.cfg from that root's /etc/default in a private
// mount namespace. The generated `linux` lines must carry the parameter once; the recovery
// entries must stay as they were; rollback must give back the original config.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import { materializeRoot } from '../../src/demo/materialize.js';
import { SAMPLE_WORKSTATION } from '../../src/demo/sample-workstation.js';
import { grubCorpus } from '../edit/grub-corpus.js';
import { grubMkconfig, linuxLines } from '../support/grub-mkconfig.js';

const roots: string[] = [];
afterEach(() => {
  for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
});

function sampleRoot(grub: string, osRelease?: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vw-cmdline-'));
  roots.push(dir);
  materializeRoot(SAMPLE_WORKSTATION, dir);
  writeFileSync(path.join(dir, 'etc/default/grub'), grub);
  if (osRelease) writeFileSync(path.join(dir, 'etc/os-release'), osRelease);
  return dir;
}

async function cli(args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    stdout: { write: (s: string) => (stdout += s), isTTY: false },
    stderr: { write: (s: string) => (stderr += s) },
    stdinIsTTY: false,
    env: {},
  });
  return { code, stdout, stderr };
}

const count = (args: string, token: string) => args.split(/\s+/).filter((t) => t === token).length;
const normal = (cfg: string) => linuxLines(cfg).filter((l) => !/recovery mode/.test(l.entry));
const recovery = (cfg: string) => linuxLines(cfg).filter((l) => /recovery mode/.test(l.entry));

describe('cmdline step + real grub-mkconfig', () => {
  const debianGrub = `GRUB_DEFAULT=0
GRUB_TIMEOUT=5
GRUB_DISTRIBUTOR=\`lsb_release -i -s 2> /dev/null || echo Debian\`
GRUB_CMDLINE_LINUX_DEFAULT="quiet splash"
GRUB_CMDLINE_LINUX=""
`;

  it('Debian: a drop-in puts intel_iommu=on on every normal entry once, recovery entries unchanged; rollback restores the config', async () => {
    const dir = sampleRoot(debianGrub);
    const before = grubMkconfig(dir);
    // negative control: the unedited file does not carry the parameter
    expect(normal(before).length).toBeGreaterThan(0);
    for (const l of linuxLines(before)) expect(count(l.args, 'intel_iommu=on')).toBe(0);

    const applied = await cli(['apply', '--step', 'cmdline', '--root', dir, '--yes', '--commands', 'skip', '--json']);
    expect(applied.code, applied.stderr).toBe(0);
    expect(readFileSync(path.join(dir, 'etc/default/grub'), 'utf8')).toBe(debianGrub);
    const after = grubMkconfig(dir);
    for (const l of normal(after)) {
      expect(count(l.args, 'intel_iommu=on')).toBe(1);
      expect(l.args).toMatch(/\bquiet splash\b/);
    }
    expect(recovery(after)).toEqual(recovery(before));

    const again = await cli(['plan', '--step', 'cmdline', '--root', dir, '--json']);
    expect(JSON.parse(again.stdout).kind).toBe('nothing');

    const rb = await cli(['rollback', '--root', dir, '--yes', '--commands', 'skip']);
    expect(rb.code, rb.stderr).toBe(0);
    expect(rb.stdout).toContain('cmdline: intel_iommu=on is gone from the boot configuration');
    expect(grubMkconfig(dir)).toBe(before);
  });

  it('intel_iommu=off in GRUB_CMDLINE_LINUX: refused without consent, nothing written; with --replace-conflicts grub-mkconfig has intel_iommu=on and no off anywhere; rollback brings the file back byte for byte', async () => {
    const grub = debianGrub.replace('GRUB_CMDLINE_LINUX=""', 'GRUB_CMDLINE_LINUX="intel_iommu=off console=ttyS0"');
    const dir = sampleRoot(grub);
    const before = grubMkconfig(dir);
    for (const l of linuxLines(before)) expect(count(l.args, 'intel_iommu=off')).toBe(1); // control
    const no = await cli(['apply', '--step', 'cmdline', '--root', dir, '--yes', '--commands', 'skip']);
    expect(no.code).not.toBe(0);
    expect(no.stdout + no.stderr).toMatch(/blocked by a conflict: intel_iommu=off in GRUB_CMDLINE_LINUX works against intel_iommu=on/);
    expect(readFileSync(path.join(dir, 'etc/default/grub'), 'utf8')).toBe(grub);

    const yes = await cli(['apply', '--step', 'cmdline', '--root', dir, '--yes', '--commands', 'skip', '--replace-conflicts', '--json']);
    expect(yes.code, yes.stderr).toBe(0);
    const after = grubMkconfig(dir);
    for (const l of normal(after)) {
      expect(count(l.args, 'intel_iommu=on')).toBe(1);
      expect(count(l.args, 'intel_iommu=off')).toBe(0);
      expect(l.args).toMatch(/console=ttyS0/);
    }
    const rb = await cli(['rollback', '--root', dir, '--yes', '--commands', 'skip', '--json']);
    expect(rb.code, rb.stderr).toBe(0);
    expect(JSON.parse(rb.stdout).checks).toEqual([{ stepId: 'cmdline', ok: true, summary: expect.stringContaining('intel_iommu=on is gone') }]);
    expect(readFileSync(path.join(dir, 'etc/default/grub'), 'utf8')).toBe(grub);
    expect(grubMkconfig(dir)).toBe(before);
  });

  it('rollback proves the parameter is gone: one added by hand meanwhile is reported (exit 3), not hidden', async () => {
    const dir = sampleRoot(debianGrub);
    expect((await cli(['apply', '--step', 'cmdline', '--root', dir, '--yes', '--commands', 'skip'])).code).toBe(0);
    // the drop-in is ours; someone also puts the parameter into /etc/default/grub by hand
    const edited = debianGrub.replace('GRUB_CMDLINE_LINUX=""', 'GRUB_CMDLINE_LINUX="intel_iommu=on"');
    writeFileSync(path.join(dir, 'etc/default/grub'), edited);
    const rb = await cli(['rollback', '--root', dir, '--yes', '--commands', 'skip', '--json']);
    expect(rb.code).toBe(3);
    const doc = JSON.parse(rb.stdout);
    expect(doc.checks).toEqual([{ stepId: 'cmdline', ok: false, summary: expect.stringContaining('still there after the rollback: intel_iommu=on in GRUB_CMDLINE_LINUX') }]);
    expect(readFileSync(path.join(dir, 'etc/default/grub'), 'utf8')).toBe(edited);
  });

  it('Arch (no grub.d convention): /etc/default/grub itself is edited and grub-mkconfig agrees', async () => {
    const dir = sampleRoot(debianGrub, 'NAME="Arch Linux"\nID=arch\nPRETTY_NAME="Arch Linux"\n');
    const r = await cli(['apply', '--step', 'cmdline', '--root', dir, '--yes', '--commands', 'skip', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.plan.commands).toEqual([['grub-mkconfig', '-o', '/boot/grub/grub.cfg']]);
    expect(readFileSync(path.join(dir, 'etc/default/grub'), 'utf8')).toBe(debianGrub.replace('"quiet splash"', '"quiet splash intel_iommu=on"'));
    for (const l of normal(grubMkconfig(dir))) expect(count(l.args, 'intel_iommu=on')).toBe(1);
  });

  it('a GRUB file with a syntax error is refused with exit 9 and nothing is written', async () => {
    const broken = 'GRUB_CMDLINE_LINUX_DEFAULT="quiet\nGRUB_TIMEOUT=5\n';
    const dir = sampleRoot(broken, 'ID=arch\n');
    const r = await cli(['apply', '--step', 'cmdline', '--root', dir, '--yes', '--commands', 'skip']);
    expect(r.code).toBe(9);
    expect(r.stdout + r.stderr).toMatch(/sh itself cannot read this file/);
    expect(readFileSync(path.join(dir, 'etc/default/grub'), 'utf8')).toBe(broken);
    expect(() => readFileSync(path.join(dir, 'var/lib/vfio-wizard/runs'))).toThrow();
  });

  // Every real /etc/default/grub in the corpus, on a Debian root: after the step, grub-mkconfig's
  // normal entries carry intel_iommu=on exactly once and keep every token they had.
  for (const sample of grubCorpus()) {
    it(`corpus ${sample.label}`, async () => {
      const dir = sampleRoot(sample.text);
      const before = grubMkconfig(dir);
      const r = await cli(['apply', '--step', 'cmdline', '--root', dir, '--yes', '--commands', 'skip', '--json']);
      const doc = JSON.parse(r.stdout);
      const hadIt = normal(before).every((l) => count(l.args, 'intel_iommu=on') > 0);
      if (hadIt) {
        expect(doc.status).toBe('nothing');
        return;
      }
      expect(r.code, r.stderr).toBe(0);
      const after = grubMkconfig(dir);
      const bl = normal(before);
      const al = normal(after);
      expect(al.length).toBe(bl.length);
      al.forEach((l, i) => {
        expect(count(l.args, 'intel_iommu=on')).toBe(1);
        const kept = bl[i]!.args.split(/\s+/).filter(Boolean);
        for (const t of kept) expect(l.args.split(/\s+/)).toContain(t);
      });
      expect(recovery(after)).toEqual(recovery(before));
      // and back: the file byte for byte, the generated menu as it was
      const rb = await cli(['rollback', '--root', dir, '--yes', '--commands', 'skip']);
      expect(rb.code, rb.stderr).toBe(0);
      expect(readFileSync(path.join(dir, 'etc/default/grub'), 'utf8')).toBe(sample.text);
      expect(grubMkconfig(dir)).toBe(before);
    });
  }
});
