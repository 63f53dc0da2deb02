// Property: for random plans over random trees, rollback(apply(tree)) is byte-identical to the
// tree, mode and owner included — on a real file system, with real chown/chmod (tests run as root).
import fc from 'fast-check';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyPlans } from '../../src/apply/apply.js';
import { rollback } from '../../src/apply/rollback.js';
import { systemRoot } from '../../src/host/root.js';
import type { Change, Plan } from '../../src/plan/types.js';
import { createRecordingRunner } from '../../src/run/recording-runner.js';
import { makeRoot, removeRoot, snapshot, type FileSpec, type LinkSpec } from './support/tree.js';

const PATHS = ['etc/a.conf', 'etc/default/grub', 'etc/modprobe.d/vfio.conf', 'boot/loader/entries/x.conf', 'etc/kernel/cmdline', 'etc/b c'];
const content = fc.string({ unit: 'binary', maxLength: 300 });
const meta = fc.record({
  mode: fc.constantFrom(0o644, 0o600, 0o640, 0o755, 0o4755, 0o2750, 0o444),
  uid: fc.integer({ min: 0, max: 65000 }),
  gid: fc.integer({ min: 0, max: 65000 }),
});
const optMeta = fc.record({ mode: fc.option(meta.map((m) => m.mode), { nil: undefined }), uid: fc.option(meta.map((m) => m.uid), { nil: undefined }), gid: fc.option(meta.map((m) => m.gid), { nil: undefined }) });

const scenario = fc
  .record({
    existing: fc.uniqueArray(fc.constantFrom(...PATHS), { maxLength: PATHS.length }),
    files: fc.array(fc.record({ content, meta }), { minLength: PATHS.length, maxLength: PATHS.length }),
    actions: fc.array(fc.record({ op: fc.constantFrom('none', 'modify', 'delete', 'create'), after: content, meta: optMeta, step: fc.boolean() }), {
      minLength: PATHS.length,
      maxLength: PATHS.length,
    }),
  })
  .map(({ existing, files, actions }) => {
    const tree: Record<string, FileSpec> = {};
    existing.forEach((p, i) => (tree[p] = { content: files[i]!.content, ...files[i]!.meta }));
    const steps: Change[][] = [[], []];
    PATHS.forEach((p, i) => {
      const a = actions[i]!;
      const sys = `/${p}`;
      const m = Object.fromEntries(Object.entries(a.meta).filter(([, v]) => v !== undefined));
      const here = tree[p];
      let c: Change | null = null;
      if (here && a.op === 'modify') c = { kind: 'file', action: 'modify', path: sys, before: here.content, after: a.after, why: 'p', ...m };
      if (here && a.op === 'delete') c = { kind: 'file', action: 'delete', path: sys, before: here.content, after: null, why: 'p' };
      if (!here && a.op === 'create') c = { kind: 'file', action: 'create', path: sys, before: null, after: a.after, why: 'p', ...m };
      if (c) steps[a.step ? 1 : 0]!.push(c);
    });
    const plans: Plan[] = steps
      .map((changes, i) => ({ stepId: `s${i}`, title: `step ${i}`, needsReboot: false, notes: [], changes }))
      .filter((p) => p.changes.length > 0);
    plans.forEach((p) => p.changes.push({ kind: 'command', argv: ['update-initramfs', '-u'], why: 'p', phase: 'initramfs', regenerates: 'initramfs' }));
    return { tree, plans };
  });

describe('rollback(apply(tree)) = tree', () => {
  it('holds for random plans over random trees (bytes, mode, owner, no leftovers)', async () => {
    let changed = 0;
    await fc.assert(
      fc.asyncProperty(scenario, async ({ tree, plans }) => {
        const dir = makeRoot(tree, 'vfio-prop-');
        try {
          const before = snapshot(dir);
          const root = systemRoot(dir);
          const res = await applyPlans(plans, { root, runner: createRecordingRunner() });
          expect(res.status, res.message).toBe('applied');
          if (JSON.stringify(snapshot(dir)) !== JSON.stringify(before)) changed++;
          for (const c of plans.flatMap((p) => p.changes)) {
            if (c.kind !== 'file') continue;
            const host = path.join(dir, c.path);
            if (c.after === null) {
              expect(() => statSync(host)).toThrow();
              continue;
            }
            expect(readFileSync(host)).toEqual(Buffer.from(c.after));
            const st = statSync(host);
            const orig = tree[c.path.slice(1)];
            expect(st.mode & 0o7777).toBe(c.mode ?? orig?.mode ?? 0o644);
            expect(st.uid).toBe(c.uid ?? orig?.uid ?? 0);
          }
          const rb = await rollback({ all: true }, { root, runner: createRecordingRunner() });
          expect(rb.status === 'rolled-back' || plans.length === 0, rb.message).toBe(true);
          expect(snapshot(dir)).toEqual(before);
        } finally {
          removeRoot(dir);
        }
      }),
      { numRuns: 40 },
    );
    // negative control: the generator really produces plans that change trees
    expect(changed).toBeGreaterThan(10);
  }, 120_000);
});

// Random paths (nested, with spaces and dots), changes made through symlinks, sysfs values, and the
// steps undone one at a time in a random order: the tree still comes back exactly.
const segment = fc.stringMatching(/^[a-z0-9][a-z0-9 ._-]{0,7}$/).filter((s) => !s.endsWith('.') && !s.includes('vfio-wizard'));
const relPath = fc.array(segment, { minLength: 1, maxLength: 3 }).map((segs) => `etc/${segs.join('/')}`);
const wideScenario = fc
  .record({
    paths: fc.uniqueArray(relPath, { minLength: 1, maxLength: 6 }),
    files: fc.array(fc.record({ content, meta, exists: fc.boolean(), viaLink: fc.boolean(), op: fc.constantFrom('modify', 'delete', 'create'), after: content, step: fc.integer({ min: 0, max: 2 }) }), { minLength: 6, maxLength: 6 }),
    sysfs: fc.array(fc.record({ before: fc.stringMatching(/^[0-9a-z]{1,6}$/), after: fc.stringMatching(/^[0-9a-z]{1,6}$/), step: fc.integer({ min: 0, max: 2 }) }), { maxLength: 3 }),
    order: fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 3, maxLength: 3 }),
  })
  // a path may not be the directory of another
  .filter(({ paths }) => paths.every((p) => !paths.some((o) => o !== p && o.startsWith(`${p}/`))))
  .map(({ paths, files, sysfs, order }) => {
    const tree: Record<string, FileSpec | LinkSpec> = {};
    const steps: Change[][] = [[], [], []];
    paths.forEach((p, i) => {
      const f = files[i]!;
      if (f.exists) tree[p] = { content: f.content, ...f.meta };
      // the plan names a link at the top that points at the file: apply must write the file, keep the link
      let named = `/${p}`;
      if (f.exists && f.viaLink && f.op !== 'delete') {
        const link = `etc/link-${i}`;
        tree[link] = { link: path.relative('etc', p) };
        named = `/${link}`;
      }
      let c: Change | null = null;
      if (f.exists && f.op === 'modify') c = { kind: 'file', action: 'modify', path: named, before: f.content, after: f.after, why: 'p' };
      if (f.exists && f.op === 'delete') c = { kind: 'file', action: 'delete', path: named, before: f.content, after: null, why: 'p' };
      if (!f.exists && f.op === 'create') c = { kind: 'file', action: 'create', path: named, before: null, after: f.after, why: 'p' };
      if (c) steps[f.step]!.push(c);
    });
    sysfs.forEach((s, i) => {
      tree[`sys/devices/d${i}/attr`] = { content: s.before, mode: 0o644, uid: 0, gid: 0 };
      steps[s.step]!.push({ kind: 'sysfs', path: `/sys/devices/d${i}/attr`, value: s.after, previous: s.before, why: 'p' });
    });
    const plans: Plan[] = steps.map((changes, i) => ({ stepId: `s${i}`, title: `step ${i}`, needsReboot: false, notes: [], changes })).filter((p) => p.changes.length > 0);
    // undo order: a permutation of the steps that exist
    const ids = plans.map((p) => p.stepId);
    const undo = [...ids].sort((a, b) => (order[Number(a.slice(1))] ?? 0) - (order[Number(b.slice(1))] ?? 0));
    return { tree, plans, undo };
  });

describe('rollback step by step, in any order, through links and sysfs', () => {
  it('gives back the tree exactly (bytes, mode, owner, links)', async () => {
    let linked = 0;
    await fc.assert(
      fc.asyncProperty(wideScenario, async ({ tree, plans, undo }) => {
        const dir = makeRoot(tree, 'vfio-prop-wide-');
        try {
          const before = snapshot(dir);
          const root = systemRoot(dir);
          const res = await applyPlans(plans, { root, runner: createRecordingRunner() });
          expect(res.status, res.message).toBe('applied');
          if (plans.some((p) => p.changes.some((c) => c.kind === 'file' && c.path.includes('/link-')))) linked++;
          for (const id of undo) {
            const rb = await rollback({ stepId: id }, { root, runner: createRecordingRunner() });
            expect(rb.status, rb.message).toBe('rolled-back');
          }
          expect(snapshot(dir)).toEqual(before);
        } finally {
          removeRoot(dir);
        }
      }),
      { numRuns: 100 },
    );
    // the generator reaches the link case
    expect(linked).toBeGreaterThan(3);
  }, 180_000);
});
