// Ids of the steps the wizard's screens name directly. A module of constants only, so the
// terminal UI can name a step without loading the step (its planner, editors and checks).

/** the one-time trial boot with the new kernel parameters (src/steps/cmdline-trial.ts) */
export const TRIAL_STEP_ID = 'cmdline-trial';
/** moving idle devices to vfio-pci on the running system (src/isolate/live-bind.ts) */
export const LIVE_BIND_STEP_ID = 'live-bind';
