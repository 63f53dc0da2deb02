import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fileDiff } from '../../src/plan/diff.js';
import { orderChanges } from '../../src/plan/order.js';
import { planCommands, planToJson, renderPlanText } from '../../src/plan/render.js';
import { shellJoin } from '../../src/plan/shell-quote.js';
import type { Change, Plan } from '../../src/plan/types.js';
import { validatePlan } from '../../src/plan/validate.js';

const plan: Plan = {
  stepId: 'cmdline',
  title: 'Kernel command line',
  needsReboot: true,
  notes: ['Secure Boot is on: the vfio modules are signed by Debian.'],
  changes: [
    { kind: 'command', argv: ['update-grub'], why: 'regenerate /boot/grub/grub.cfg', phase: 'bootloader', regenerates: 'bootloader' },
    { kind: 'sysfs', path: '/sys/bus/pci/devices/0000:01:00.0/driver_override', value: 'vfio-pci', previous: '(null)', why: 'bind now' },
    { kind: 'file', action: 'modify', path: '/etc/default/grub', before: 'A=1\nB="quiet"\n', after: 'A=1\nB="quiet iommu=pt"\n', why: 'iommu' },
    { kind: 'command', argv: ['update-initramfs', '-u', '-k', 'all'], why: 'rebuild', phase: 'initramfs', regenerates: 'initramfs' },
    { kind: 'command', argv: ['sh', '-c', "echo 'it''s' > /x"], why: 'quoting', phase: 'other' },
    { kind: 'file', action: 'create', path: '/etc/modprobe.d/vfio.conf', before: null, after: 'options vfio-pci ids=10de:1b80\n', mode: 0o644, why: 'ids' },
  ],
};

describe('plan validation', () => {
  it('accepts a good plan and names each problem of a bad one', () => {
    expect(validatePlan(plan)).toEqual([]);
    const bad: Plan = {
      stepId: 'Bad Id',
      title: 't',
      needsReboot: false,
      notes: [],
      changes: [
        { kind: 'file', action: 'create', path: 'etc/x', before: 'old', after: 'new', why: 'w' },
        { kind: 'file', action: 'modify', path: '/etc/../shadow', before: null, after: 'x', why: 'w' },
        { kind: 'file', action: 'delete', path: '/etc/y', before: 'y', after: 'z', why: '' },
        { kind: 'sysfs', path: '/etc/not-sysfs', value: '1', previous: null, why: 'w' },
        { kind: 'command', argv: [], why: 'w', phase: 'other' },
        { kind: 'file', action: 'create', path: '/etc/dup', before: null, after: '', mode: 0o10000, why: 'w' },
        { kind: 'file', action: 'create', path: '/etc/dup', before: null, after: '', why: 'w' },
      ],
    };
    const problems = validatePlan(bad).join('\n');
    for (const m of [
      'step id "Bad Id"',
      'change 1: "etc/x" is not a clean absolute path',
      'change 1: create needs before=null',
      'change 2: "/etc/../shadow"',
      'change 2: modify needs both',
      'change 3: says nothing about why',
      'change 3: delete needs',
      'change 4: "/etc/not-sysfs" is not a path under /sys',
      'change 5: empty argv',
      'change 6: mode 4096',
      'change 7: /etc/dup is changed twice',
    ]) {
      expect(problems).toContain(m);
    }
  });
});

describe('plan order', () => {
  it('files → initramfs → bootloader → live → other, stable within a phase', () => {
    const kinds = orderChanges(plan.changes).map((c) => (c.kind === 'command' ? c.argv[0] : c.kind === 'file' ? c.path : 'sysfs'));
    expect(kinds).toEqual(['/etc/default/grub', '/etc/modprobe.d/vfio.conf', 'update-initramfs', 'update-grub', 'sysfs', 'sh']);
  });

  it('property: the order is a permutation and never puts a boot loader command before an initramfs or file change', () => {
    const change: fc.Arbitrary<Change> = fc.oneof(
      fc.tuple(fc.constantFrom('file', 'sysfs'), fc.nat(99)).map(([k, i]) =>
        k === 'file'
          ? ({ kind: 'file', action: 'create', path: `/etc/f${i}`, before: null, after: '', why: 'w' } as Change)
          : ({ kind: 'sysfs', path: '/sys/x', value: '1', previous: null, why: 'w' } as Change),
      ),
      fc.constantFrom('files', 'initramfs', 'bootloader', 'live', 'other').map((phase) => ({ kind: 'command', argv: [phase], why: 'w', phase }) as Change),
    );
    fc.assert(
      fc.property(fc.array(change, { maxLength: 20 }), (changes) => {
        const out = orderChanges(changes);
        expect(out).toHaveLength(changes.length);
        expect(new Set(out)).toEqual(new Set(changes));
        const firstBoot = out.findIndex((c) => c.kind === 'command' && c.phase === 'bootloader');
        if (firstBoot >= 0) {
          expect(out.slice(firstBoot).some((c) => c.kind === 'file' || (c.kind === 'command' && (c.phase === 'initramfs' || c.phase === 'files')))).toBe(false);
        }
      }),
    );
  });
});

describe('diffs', () => {
  it('git-style headers, /dev/null for created files, and patch(1) reproduces the new file', () => {
    const d = fileDiff(plan.changes[2] as Extract<Change, { kind: 'file' }>);
    expect(d.split('\n').slice(0, 3)).toEqual(['--- a/etc/default/grub', '+++ b/etc/default/grub', '@@ -1,2 +1,2 @@']);
    expect(fileDiff(plan.changes[5] as Extract<Change, { kind: 'file' }>)).toContain('--- /dev/null\n+++ b/etc/modprobe.d/vfio.conf');
  });

  it('oracle: GNU patch applies every generated diff and yields exactly `after` (random texts)', () => {
    const line = fc.stringMatching(/^[a-z ="#]{0,12}$/);
    const text = fc.array(line, { maxLength: 12 }).map((ls) => ls.map((l) => `${l}\n`).join(''));
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'vfio-patch-'));
    try {
      fc.assert(
        fc.property(text, text, (before, after) => {
          mkdirSync(path.join(tmp, 'etc'), { recursive: true });
          writeFileSync(path.join(tmp, 'etc/f'), before);
          const d = fileDiff({ path: '/etc/f', before, after });
          if (before === after) {
            // nothing to change: headers only, no hunk for patch to apply
            expect(d).not.toContain('@@');
            return;
          }
          const r = spawnSync('patch', ['-p1', '--quiet', '--no-backup-if-mismatch', '-d', tmp], { input: d, encoding: 'utf8' });
          expect(r.status, r.stderr + r.stdout + d).toBe(0);
          expect(readFileSync(path.join(tmp, 'etc/f'), 'utf8')).toBe(after);
        }),
        { numRuns: 60 },
      );
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});

describe('review rendering', () => {
  it('shows every diff, the exact argv in run order (shell-quoted), live writes and the reboot note', () => {
    const text = renderPlanText(plan);
    expect(text).toContain('+B="quiet iommu=pt"');
    expect(text).toContain('create /etc/modprobe.d/vfio.conf, mode 0644');
    const numbered = text.split('\n').filter((l) => /^ {2}\d+\. /.test(l));
    expect(numbered).toEqual(['  1. update-initramfs -u -k all', '  2. update-grub', `  3. sh -c 'echo '\\''it'\\'''\\''s'\\'' > /x'`]);
    expect(text).toContain('write "vfio-pci" to /sys/bus/pci/devices/0000:01:00.0/driver_override (now "(null)")');
    expect(text).toContain('A reboot is needed');
    expect(text).toContain('Note: Secure Boot is on');
    // the displayed quoting reads back to the exact argv through a real shell
    const r = spawnSync('sh', ['-c', `for a in ${shellJoin(['sh', '-c', "echo 'it''s' > /x"])}; do printf '%s\\n' "$a"; done`], { encoding: 'utf8' });
    expect(r.stdout).toBe(`sh\n-c\necho 'it''s' > /x\n`);
  });

  it('JSON form: schema, ordered changes with diffs, commands', () => {
    const j = planToJson(plan);
    expect(j.schema).toBe('vfio-wizard.plan/1');
    expect(j.commands).toEqual(planCommands(plan));
    expect(j.commands[0]).toEqual(['update-initramfs', '-u', '-k', 'all']);
    const first = j.changes[0] as { diff?: string; path?: string };
    expect(first.path).toBe('/etc/default/grub');
    expect(first.diff).toContain('@@');
    expect(JSON.parse(JSON.stringify(j))).toEqual(j);
  });
});
