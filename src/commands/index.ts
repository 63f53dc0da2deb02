import type { RegisterCommand } from './context.js';
import { registerScan } from './scan.js';
import { registerCheck } from './check.js';
import { registerPlanApply } from './plan-apply.js';
import { registerStatus } from './status.js';
import { registerRollback } from './rollback.js';

/** Every subcommand, in the order `--help` lists them. */
export const commands: RegisterCommand[] = [registerScan, registerCheck, registerPlanApply, registerStatus, registerRollback];
