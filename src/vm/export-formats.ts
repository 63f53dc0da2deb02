// The VM export formats' names, without the exporters (src/vm/export.ts), so the screens and the
// CLI's option list can name them without loading the exporters.
export const EXPORT_FORMATS = ['xml', 'virt-install', 'vagrant', 'qemu'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];
