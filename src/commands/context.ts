import type { Command } from 'commander';
import type { MainIo } from '../cli.js';

export interface GlobalOptions {
  root: string;
  json: boolean;
  plain: boolean;
  color: boolean;
  demo: boolean;
  /** the wizard's --commands (apply and rollback take their own) */
  commands?: 'chroot' | 'skip';
}

export interface CommandContext {
  io: MainIo;
  globals: () => GlobalOptions;
  setExit: (code: number) => void;
}

export type RegisterCommand = (program: Command, ctx: CommandContext) => void;

/** Output mode: Ink only when both ends are terminals and neither --json nor --plain was asked for. */
export function outputMode(g: GlobalOptions, io: MainIo): 'tui' | 'plain' | 'json' {
  if (g.json) return 'json';
  if (g.plain) return 'plain';
  const ci = io.env.CI !== undefined && io.env.CI !== '0' && io.env.CI !== 'false';
  return io.stdout.isTTY && io.stdinIsTTY && !ci ? 'tui' : 'plain';
}
