// The result shape shared by the editors of files that hold a kernel command line directly
// (/etc/kernel/cmdline, loader entries, kernelstub's JSON, refind_linux.conf).

import type { ParamConflict } from './cmdline-tokens.js';

export interface CmdlineEditRequest {
  add: readonly string[];
  /** tokens to take out (rollback by arguments), applied before `add` */
  remove?: readonly string[];
  /** replace a same-name token with another value — only with the user's consent */
  replaceConflicts: boolean;
}

export type CmdlineFileEditResult =
  | {
      ok: true;
      text: string;
      changed: boolean;
      added: string[];
      removed: string[];
      alreadyPresent: string[];
      conflicts: ParamConflict[];
      /** the effective command line after the edit */
      cmdline: string;
    }
  | { ok: false; reason: string };
