import type { RegisterCommand } from './context.js';
import { registerScan } from './scan.js';
import { registerCheck } from './check.js';

/** Every subcommand, in the order `--help` lists them. */
export const commands: RegisterCommand[] = [registerScan, registerCheck];
