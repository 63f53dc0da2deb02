// Ink reads `is-in-ci` when it is imported and, when CI or CONTINUOUS_INTEGRATION is set, stops
// drawing frames and ignores resizes until it exits. The wizard decides for itself whether to
// draw: Ink is started only when stdin and stdout are terminals, so a CI variable left in an
// interactive shell must not freeze the screen. The bundle (scripts/build.mjs) and the component
// tests (vitest.config.ts) both use this module in its place, so tests see what users see.
export default false;
