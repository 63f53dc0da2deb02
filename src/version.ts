declare const __VFIO_WIZARD_VERSION__: string;
/** Baked in by the bundler (scripts/build.mjs); "0.0.0-dev" when run from source. */
export const VERSION = typeof __VFIO_WIZARD_VERSION__ === 'string' ? __VFIO_WIZARD_VERSION__ : '0.0.0-dev';
