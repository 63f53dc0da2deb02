import { createTwoFilesPatch } from 'diff';
import type { FileChange } from './types.js';

/**
 * A unified diff of one file change with git-style headers ("a/etc/default/grub"); a created
 * file diffs from /dev/null, a deleted one to /dev/null.
 */
export function fileDiff(c: Pick<FileChange, 'path' | 'before' | 'after'>, context = 3): string {
  const oldName = c.before === null ? '/dev/null' : `a${c.path}`;
  const newName = c.after === null ? '/dev/null' : `b${c.path}`;
  const patch = createTwoFilesPatch(oldName, newName, c.before ?? '', c.after ?? '', undefined, undefined, { context });
  // jsdiff starts with a "=====" rule; diff(1) and git do not, and reviewers know their format.
  return patch.replace(/^=+\n/, '');
}

/** A unified diff between two labelled texts (used for the three versions of a drifted file). */
export function textDiff(oldLabel: string, oldText: string, newLabel: string, newText: string): string {
  return createTwoFilesPatch(oldLabel, newLabel, oldText, newText, undefined, undefined, { context: 3 }).replace(/^=+\n/, '');
}
