import type { Change, Plan } from './types.js';

const STEP_ID = /^[a-z0-9][a-z0-9-]{0,63}$/;

/** A clean absolute system path: starts with "/", no empty, "." or ".." segments, no NUL. */
export function isCleanSystemPath(p: string): boolean {
  if (!p.startsWith('/') || p === '/' || p.includes('\0')) return false;
  return p
    .slice(1)
    .split('/')
    .every((seg) => seg !== '' && seg !== '.' && seg !== '..');
}

function changeProblems(c: Change, i: number): string[] {
  const at = `change ${i + 1}`;
  const out: string[] = [];
  if (c.why.trim() === '') out.push(`${at}: says nothing about why`);
  switch (c.kind) {
    case 'file': {
      if (!isCleanSystemPath(c.path)) out.push(`${at}: "${c.path}" is not a clean absolute path`);
      if (c.action === 'create' && (c.before !== null || c.after === null)) {
        out.push(`${at}: create needs before=null and after=content`);
      }
      if (c.action === 'modify' && (c.before === null || c.after === null)) {
        out.push(`${at}: modify needs both before and after`);
      }
      if (c.action === 'delete' && (c.before === null || c.after !== null)) {
        out.push(`${at}: delete needs before=content and after=null`);
      }
      if (c.mode !== undefined && (!Number.isInteger(c.mode) || c.mode < 0 || c.mode > 0o7777)) {
        out.push(`${at}: mode ${c.mode} is not a permission value`);
      }
      for (const [k, v] of [['uid', c.uid], ['gid', c.gid]] as const) {
        if (v !== undefined && (!Number.isInteger(v) || v < 0)) out.push(`${at}: ${k} ${v} is not an id`);
      }
      break;
    }
    case 'sysfs':
      if (!isCleanSystemPath(c.path) || !c.path.startsWith('/sys/')) out.push(`${at}: "${c.path}" is not a path under /sys`);
      break;
    case 'command':
      if (c.argv.length === 0 || c.argv[0] === '') out.push(`${at}: empty argv`);
      if (c.argv.some((a) => a.includes('\0'))) out.push(`${at}: argv contains NUL`);
      if (c.undo && (c.undo.argv.length === 0 || c.undo.argv[0] === '')) out.push(`${at}: empty undo argv`);
      break;
  }
  return out;
}

/** Everything wrong with a plan (empty when it is valid). An invalid plan is a bug in a step. */
export function validatePlan(plan: Plan): string[] {
  const out: string[] = [];
  if (!STEP_ID.test(plan.stepId)) out.push(`step id "${plan.stepId}" must be lowercase letters, digits and dashes`);
  const seen = new Set<string>();
  plan.changes.forEach((c, i) => {
    out.push(...changeProblems(c, i));
    if (c.kind === 'file') {
      if (seen.has(c.path)) out.push(`change ${i + 1}: ${c.path} is changed twice in one step`);
      seen.add(c.path);
    }
  });
  return out;
}
