// The files the kernel command line step reads before planning, gathered under --root. Reading
// is the only I/O of the step: planning (cmdline.ts) is pure over what is read here.
import path from 'node:path';
import type { SystemRoot } from '../host/root.js';
import { SysReader } from '../host/sysfs-read.js';

export interface TextFile {
  path: string;
  text: string;
}

export interface CmdlineFiles {
  etcDefaultGrub: string | null;
  /** every entry of /etc/default/grub.d (text only for *.cfg files, '' otherwise) */
  grubDropins: { name: string; text: string }[];
  /** /etc/kernel/cmdline (systemd-boot with kernel-install, Proxmox) */
  kernelCmdline: string | null;
  /** systemd-boot / BLS entries, wherever the ESP or /boot holds them */
  loaderEntries: TextFile[];
  kernelstubConfig: string | null;
  refindLinuxConf: string | null;
  /** GRUB configs that may be generated: /boot/grub/grub.cfg, /boot/grub2/grub.cfg, ESP ones */
  grubCfgs: TextFile[];
  /** tools found under the root (system path or null) */
  bins: Record<CmdlineTool, string | null>;
  /** kernel versions with modules under /usr/lib/modules or /lib/modules */
  installedKernels: string[];
  /** per installed kernel, its image: /usr/lib/modules/<k>/vmlinuz or /boot/vmlinuz-<k> (what kernel-install is given) */
  kernelImages: Record<string, string>;
  /** /etc/machine-id: kernel-install names the entries it generates <machine-id>-<version>.conf */
  machineId: string | null;
}

export const CMDLINE_TOOLS = [
  'update-grub',
  'grub-mkconfig',
  'grub2-mkconfig',
  'grubby',
  'kernel-install',
  'kernelstub',
  'proxmox-boot-tool',
  'grub-reboot',
  'grub2-reboot',
  'bootctl',
] as const;
export type CmdlineTool = (typeof CMDLINE_TOOLS)[number];

const BIN_DIRS = ['/usr/sbin', '/usr/bin', '/sbin', '/bin', '/usr/local/sbin'];
const ENTRY_DIRS = ['/boot/loader/entries', '/boot/efi/loader/entries', '/efi/loader/entries'];
const GRUB_CFGS = ['/boot/grub/grub.cfg', '/boot/grub2/grub.cfg'];

export function readCmdlineFiles(root: SystemRoot): CmdlineFiles {
  const r = new SysReader(root.dir === '/' ? '' : root.dir);
  const text = (p: string) => r.optionalText(root.at(p));
  const dropinNames = (r.optionalList(root.at('/etc/default/grub.d')) ?? []).sort();
  const loaderEntries: TextFile[] = [];
  for (const dir of ENTRY_DIRS) {
    for (const name of (r.optionalList(root.at(dir)) ?? []).filter((n) => n.endsWith('.conf')).sort()) {
      const t = text(`${dir}/${name}`);
      if (t !== null) loaderEntries.push({ path: `${dir}/${name}`, text: t });
    }
  }
  const grubCfgs: TextFile[] = [];
  const espGrub = (r.optionalList(root.at('/boot/efi/EFI')) ?? []).map((d) => `/boot/efi/EFI/${d}/grub.cfg`);
  for (const p of [...GRUB_CFGS, ...espGrub]) {
    const t = text(p);
    if (t !== null) grubCfgs.push({ path: p, text: t });
  }
  const bins = Object.fromEntries(
    CMDLINE_TOOLS.map((tool) => [tool, BIN_DIRS.map((d) => `${d}/${tool}`).find((p) => r.exists(root.at(p))) ?? null]),
  ) as Record<CmdlineTool, string | null>;
  const kernels = new Set<string>();
  for (const dir of ['/usr/lib/modules', '/lib/modules']) for (const k of r.optionalList(root.at(dir)) ?? []) kernels.add(k);
  return {
    etcDefaultGrub: text('/etc/default/grub'),
    grubDropins: dropinNames.map((name) => ({
      name,
      text: name.endsWith('.cfg') ? (text(path.posix.join('/etc/default/grub.d', name)) ?? '') : '',
    })),
    kernelCmdline: text('/etc/kernel/cmdline'),
    loaderEntries,
    kernelstubConfig: text('/etc/kernelstub/configuration'),
    refindLinuxConf: text('/boot/refind_linux.conf'),
    grubCfgs,
    bins,
    installedKernels: [...kernels].sort(),
    kernelImages: Object.fromEntries(
      [...kernels].flatMap((k) => {
        const image = [`/usr/lib/modules/${k}/vmlinuz`, `/lib/modules/${k}/vmlinuz`, `/boot/vmlinuz-${k}`].find((p) => r.exists(root.at(p)));
        return image ? [[k, image]] : [];
      }),
    ),
    machineId: text('/etc/machine-id')?.trim() || null,
  };
}
