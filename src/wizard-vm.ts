// The VM step's own part of the wizard state: the form (src/vm/vm-form.ts) with the host's
// defaults, whether the user is typing in it, and an export view (libvirt XML, virt-install,
// Vagrantfile, QEMU) of the VM as it stands. The defaults and the export text need the host
// (memory, CPUs, OVMF on disk): the UI's hook asks the services and answers with events.
import type { StepOptions } from './steps/registry.js';
import { EXPORT_FORMATS, type ExportFormat } from './vm/export-formats.js';
import type { VmFormState } from './vm/vm-form.js';

export interface VmScreenState {
  /** null until the defaults for the current selection arrived */
  form: VmFormState | null;
  /** keys go to the form's fields (every printable key is text then) */
  editing: boolean;
  /** bumped to ask for the defaults of the current selection */
  request: number;
  error: string | null;
  /** the export shown instead of the form, and its first visible line */
  exportFormat: ExportFormat | null;
  exportText: string | null;
  exportScroll: number;
}

export const initVmScreen = (): VmScreenState => ({ form: null, editing: false, request: 0, error: null, exportFormat: null, exportText: null, exportScroll: 0 });

/** The VM step's options once the form holds a valid VM; null while it does not. */
export function vmOptions(vm: VmScreenState): StepOptions | null {
  const spec = vm.form?.phase === 'done' ? vm.form.spec : null;
  return spec ? { params: [], noParams: [], replaceConflicts: false, vm: spec } : null;
}

export const nextExportFormat = (f: ExportFormat | null): ExportFormat | null => {
  const i = f === null ? -1 : EXPORT_FORMATS.indexOf(f);
  return i + 1 < EXPORT_FORMATS.length ? EXPORT_FORMATS[i + 1]! : null;
};
