// The isolation step's plan: keep host drivers off the chosen functions and bind them to vfio-pci
// at every boot. Pure: the caller reads the files listed by isolateFilesToRead() and passes their
// contents; this decides every edit, the rebuild command of the initramfs generator in use, and the
// listing command that proves the rebuilt image holds vfio-pci and our configuration.
import { compareAddress } from '../host/pci-address.js';
import type { HostFacts, InitramfsGeneratorId } from '../host/types.js';
import type { Change, CommandChange, FileChange, Plan } from '../plan/types.js';
import { BOOSTER_CONF, editBoosterConf } from '../edit/booster-conf.js';
import { DRACUT_DROPIN, planDracutDropin } from '../edit/dracut-conf.js';
import { editInitramfsToolsModules, INITRAMFS_TOOLS_MODULES, vfioModules } from '../edit/initramfs-tools-modules.js';
import { MKINITCPIO_CONF, MKINITCPIO_DROPIN, planMkinitcpio } from '../edit/mkinitcpio-conf.js';
import { chooseModprobeFile, kmodConfigOrder, MODPROBE_DIRS, planModprobeEdits, VFIO_MODPROBE_FILE } from '../edit/modprobe-conf.js';
import { editModulesLoad, MODULES_LOAD_FILE } from '../edit/modules-load.js';
import { driverctlCommands, initramfsToolsHook, INITRAMFS_TOOLS_HOOK, OVERRIDE_SCRIPT, overrideInstallLines, overrideScript } from './bind-by-address.js';
import { candidateDrivers, driverModule, softdepModules, type CandidateDriver } from './host-drivers.js';
import { identicalIds, selectedIds } from './selection.js';

export type BindBy = 'auto' | 'id' | 'address';

export interface IsolateOptions {
  /** modules to blacklist: only when the host never needs them */
  blacklist: string[];
  bindBy: BindBy;
  /** driverctl is installed (/usr/sbin/driverctl or /usr/bin/driverctl under the root) */
  driverctl: boolean;
  /** /etc/mkinitcpio.conf.d exists (newer mkinitcpio reads drop-ins there) */
  mkinitcpioDropinDir: boolean;
  /** per address: the modules the kernel's modules.alias matches (see modalias.ts); absent when unreadable */
  aliasModules?: Record<string, string[]>;
}

/** Fixed paths whose contents the plan needs (null when absent); add every file of MODPROBE_DIRS and dracut.conf.d. */
export const ISOLATE_FILES = [
  VFIO_MODPROBE_FILE,
  INITRAMFS_TOOLS_MODULES,
  INITRAMFS_TOOLS_HOOK,
  OVERRIDE_SCRIPT,
  '/etc/dracut.conf',
  DRACUT_DROPIN,
  MKINITCPIO_CONF,
  MKINITCPIO_DROPIN,
  BOOSTER_CONF,
  MODULES_LOAD_FILE,
];
/** Directories whose files (*.conf, *.preset) the caller also reads into `files`. */
export const ISOLATE_DIRS = [...MODPROBE_DIRS, '/etc/dracut.conf.d', '/usr/lib/dracut/dracut.conf.d', '/etc/mkinitcpio.d'];

export interface InitramfsVerification {
  generator: InitramfsGeneratorId;
  argv: string[];
  /** what initramfsContains() must find in the listing */
  expect: ImageExpectation;
}

export interface ImageExpectation {
  /** vfio-pci is a module, so its .ko must be inside */
  vfioPciModule: boolean;
  /** system paths that must be inside ("/etc/modprobe.d/vfio.conf") */
  files: string[];
}

export type IsolatePlanResult =
  | {
      ok: true;
      plan: Plan;
      bindBy: 'id' | 'address';
      ids: string[];
      /** vfio-pci is built into the kernel: these go on the kernel command line (decideCmdlineParams' vfioPciIds) */
      vfioPciIdsForCmdline: string[] | null;
      softdeps: CandidateDriver[];
      /** run after the plan's rebuild; null when there is no image to check */
      verification: InitramfsVerification | null;
      /** another file's vfio-pci ids=, a softdep we had to extend elsewhere */
      conflicts: string[];
    }
  | { ok: false; reason: string; remedy: string };

function fileChange(path: string, before: string | null, after: string, why: string, mode?: number): FileChange {
  return { kind: 'file', action: before === null ? 'create' : 'modify', path, before, after, why, ...(mode !== undefined ? { mode } : {}) };
}

/** The image a mkinitcpio preset builds by default (default_image="…"), from /etc/mkinitcpio.d/*.preset. */
export function mkinitcpioImages(files: Record<string, string | null>): string[] {
  return Object.keys(files)
    .filter((p) => /^\/etc\/mkinitcpio\.d\/[^/]+\.preset$/.test(p))
    .sort()
    .flatMap((p) => {
      const m = /^\s*default_image=["']?([^"'\s]+)["']?/m.exec(files[p] ?? '');
      return m ? [m[1]!] : [];
    });
}

export function planIsolate(facts: HostFacts, selected: readonly string[], files: Record<string, string | null>, opts: IsolateOptions): IsolatePlanResult {
  const sel = [...selected].sort(compareAddress);
  const devices = facts.devices.filter((d) => sel.includes(d.address)).sort((a, b) => compareAddress(a.address, b.address));
  if (devices.length === 0 || devices.length !== sel.length) {
    return { ok: false, reason: 'the selection names devices this system does not have', remedy: 'Run vfio-wizard scan and choose again. Nothing was changed.' };
  }
  if (facts.kernel.vfioPci === 'missing') {
    return { ok: false, reason: 'this kernel has no vfio-pci (neither built in nor a module)', remedy: 'Install a kernel built with CONFIG_VFIO_PCI (every mainstream distribution kernel has it). Nothing was changed.' };
  }
  const identical = identicalIds(facts, sel);
  const bindBy: 'id' | 'address' = opts.bindBy === 'auto' ? (identical.length > 0 ? 'address' : 'id') : opts.bindBy;
  if (bindBy === 'id' && identical.length > 0) {
    return {
      ok: false,
      reason: `binding by ID would also take ${identical.flatMap((i) => i.others).join(', ')} (same vendor:device as the selection)`,
      remedy: 'Bind by address instead (--bind-by address, the default when IDs are shared). Nothing was changed.',
    };
  }
  const generator = facts.boot.initramfs.id;
  const builtin = facts.kernel.vfioPci === 'builtin';
  const notes: string[] = [];
  const conflicts: string[] = [];
  const changes: Change[] = [];
  const ids = selectedIds(facts, sel);
  const softdeps = softdepModules(devices, opts.aliasModules);

  if (bindBy === 'address' && builtin && generator !== 'initramfs-tools' && generator !== 'dracut' && generator !== 'mkinitcpio' && !opts.driverctl) {
    return {
      ok: false,
      reason: `binding by address needs the override script inside the initramfs, and the wizard cannot put it into a ${generator} image`,
      remedy: 'Install driverctl (it keeps per-address overrides across boots) and run the wizard again. Nothing was changed.',
    };
  }

  // blacklisting a module a device the host keeps is using breaks that device
  for (const b of opts.blacklist) {
    const users = facts.devices.filter((d) => !sel.includes(d.address) && d.driver !== null && driverModule(d.driver) === b.replace(/-/g, '_'));
    if (users.length > 0) notes.push(`blacklist ${b}: ${users.map((u) => u.address).join(', ')} on the host uses it now; a blacklist only stops automatic loading, but if nothing else loads ${b}, those devices lose their driver.`);
  }

  const useDriverctl = bindBy === 'address' && opts.driverctl;
  const scriptNeeded = bindBy === 'address' && !useDriverctl;
  const extraLines = scriptNeeded ? overrideInstallLines(facts.kernel.vfioPci, softdeps.map((s) => s.module)) : [];
  // kmod skips a module's own install line when the module has a softdep (checked with the real
  // modprobe), and a softdep on a built-in vfio-pci does nothing: so by address with a built-in
  // vfio-pci, the host drivers get install lines only.
  const softdepTargets = scriptNeeded && builtin ? [] : softdeps.map((s) => s.module);

  const ownModprobe = chooseModprobeFile(Object.keys(files).filter((p) => files[p] != null));
  const modprobeFiles = Object.fromEntries(kmodConfigOrder(Object.keys(files)).map((p) => [p, files[p] ?? null]));
  const mp = planModprobeEdits({ ...modprobeFiles, [ownModprobe]: files[ownModprobe] ?? null }, {
    ids: bindBy === 'id' ? ids : [],
    softdeps: softdepTargets,
    blacklist: opts.blacklist,
    extraLines,
  }, ownModprobe);
  notes.push(...mp.notes);
  conflicts.push(...mp.conflicts);
  for (const [p, text] of Object.entries(mp.changes)) {
    changes.push(fileChange(p, files[p] ?? null, text, p === ownModprobe ? `load vfio-pci before ${softdeps.map((s) => s.module).join(', ') || 'the host drivers'}${bindBy === 'id' ? ` and bind ${ids.join(',')}` : ''}` : 'vfio-pci must be first in this existing softdep (kmod ignores a second softdep for the same module)'));
  }
  if (scriptNeeded) {
    const script = overrideScript(devices);
    if (files[OVERRIDE_SCRIPT] !== script) changes.push(fileChange(OVERRIDE_SCRIPT, files[OVERRIDE_SCRIPT] ?? null, script, `set driver_override=vfio-pci for ${sel.join(', ')} before a host driver loads`, 0o755));
  }
  if (useDriverctl) changes.push(...driverctlCommands(sel));

  const earlyModules = builtin ? [] : vfioModules(facts.kernel.version);
  const imageFiles = [ownModprobe, ...(scriptNeeded ? [OVERRIDE_SCRIPT] : [])];
  const kver = facts.kernel.release;
  let rebuild: CommandChange | null = null;
  let verification: InitramfsVerification | null = null;
  const expect: ImageExpectation = { vfioPciModule: !builtin, files: imageFiles };

  switch (generator) {
    case 'initramfs-tools': {
      const e = editInitramfsToolsModules(files[INITRAMFS_TOOLS_MODULES] ?? null, earlyModules);
      notes.push(...e.notes);
      if (e.changed) changes.push(fileChange(INITRAMFS_TOOLS_MODULES, files[INITRAMFS_TOOLS_MODULES] ?? null, e.text, `load ${e.added.join(' ')} from the initramfs, before any display driver`));
      if (scriptNeeded) {
        const hook = initramfsToolsHook();
        if (files[INITRAMFS_TOOLS_HOOK] !== hook) changes.push(fileChange(INITRAMFS_TOOLS_HOOK, files[INITRAMFS_TOOLS_HOOK] ?? null, hook, `copy ${OVERRIDE_SCRIPT} into the initramfs`, 0o755));
      }
      rebuild = { kind: 'command', argv: ['update-initramfs', '-u', '-k', 'all'], why: 'rebuild the initramfs of every installed kernel with the new configuration', phase: 'initramfs', regenerates: 'initramfs', undo: null };
      if (kver) verification = { generator, argv: ['lsinitramfs', `/boot/initrd.img-${kver}`], expect };
      break;
    }
    case 'dracut': {
      const dracutFiles = Object.fromEntries(Object.keys(files).filter((p) => p === '/etc/dracut.conf' || p.includes('/dracut.conf.d/')).map((p) => [p, files[p] ?? null]));
      const d = planDracutDropin(dracutFiles, earlyModules, imageFiles);
      if (d.text !== null && d.text !== files[DRACUT_DROPIN]) changes.push(fileChange(DRACUT_DROPIN, files[DRACUT_DROPIN] ?? null, d.text, 'force-load vfio in the initramfs and copy our modprobe file into it'));
      rebuild = { kind: 'command', argv: ['dracut', '--regenerate-all', '--force'], why: 'rebuild the initramfs of every installed kernel with the new configuration', phase: 'initramfs', regenerates: 'initramfs', undo: null };
      if (kver) verification = { generator, argv: ['lsinitrd', '--kver', kver], expect };
      break;
    }
    case 'mkinitcpio': {
      const m = planMkinitcpio(files[MKINITCPIO_CONF] ?? null, earlyModules.length ? earlyModules : [], { dropinDir: opts.mkinitcpioDropinDir, dropin: files[MKINITCPIO_DROPIN] ?? null, files: imageFiles.filter((f) => f !== ownModprobe) });
      if (!m.ok) return { ok: false, reason: m.reason, remedy: 'Nothing was changed.' };
      notes.push(...m.notes);
      if (!m.modconf) conflicts.push(`HOOKS in ${MKINITCPIO_CONF} lacks modconf: the ids and softdeps would not be in the image`);
      if (m.changed) changes.push(fileChange(m.path, files[m.path] ?? null, m.text, 'vfio modules first in MODULES, before any display driver'));
      rebuild = { kind: 'command', argv: ['mkinitcpio', '-P'], why: 'rebuild the image of every preset (fallback included)', phase: 'initramfs', regenerates: 'initramfs', undo: null };
      const image = mkinitcpioImages(files)[0];
      if (image) verification = { generator, argv: ['lsinitcpio', image], expect };
      else notes.push('no mkinitcpio preset with a default_image was found: check the image with lsinitcpio by hand');
      break;
    }
    case 'booster': {
      const b = editBoosterConf(files[BOOSTER_CONF] ?? null, earlyModules);
      if (b.changed) changes.push(fileChange(BOOSTER_CONF, files[BOOSTER_CONF] ?? null, b.text, `force-load ${b.added.join(',')} from the booster image`));
      rebuild = { kind: 'command', argv: ['/usr/lib/booster/regenerate_images'], why: 'rebuild the booster images', phase: 'initramfs', regenerates: 'initramfs', undo: null };
      notes.push('booster does not document whether it applies /etc/modprobe.d inside its image: the wizard checks the binding after the reboot.');
      break;
    }
    default: {
      if (!builtin) {
        const ml = editModulesLoad(files[MODULES_LOAD_FILE] ?? null, ['vfio_pci']);
        if (ml.changed) changes.push(fileChange(MODULES_LOAD_FILE, files[MODULES_LOAD_FILE] ?? null, ml.text, 'load vfio-pci at boot even when no host driver pulls it in'));
      }
      notes.push('No initramfs generator was recognised: vfio-pci loads after the switch to the real root. A display driver inside the initramfs would claim the card first.');
    }
  }

  const touched = changes.length > 0;
  const commands: Change[] = [];
  if (touched && rebuild) commands.push(rebuild);
  if (touched && verification) commands.push({ kind: 'command', argv: verification.argv, why: 'list the rebuilt image: vfio-pci and our configuration must be inside', phase: 'initramfs', undo: null });

  for (const d of devices) {
    const c = candidateDrivers(d, opts.aliasModules?.[d.address]);
    if (c.length === 0) notes.push(`${d.address}: no host driver is known for it; vfio-pci binds it when it loads.`);
  }
  if (builtin && bindBy === 'id') notes.push(`vfio-pci is built into this kernel: its options in modprobe.d are not read, so the IDs ${ids.join(',')} go on the kernel command line (the command line step).`);

  return {
    ok: true,
    plan: { stepId: 'isolate', title: 'Bind the devices to vfio-pci', changes: [...changes, ...commands], needsReboot: true, notes },
    bindBy,
    ids,
    vfioPciIdsForCmdline: builtin && bindBy === 'id' ? ids : null,
    softdeps,
    verification: touched ? verification : null,
    conflicts,
  };
}

/** Does an image listing (lsinitramfs / lsinitrd / lsinitcpio output) hold vfio-pci and our files? */
export function initramfsContains(listing: string, expect: ImageExpectation): { ok: boolean; missing: string[] } {
  const paths = listing
    .split('\n')
    .map((l) => l.trim().split(/\s+/).pop() ?? '')
    .filter((p) => p !== '')
    .map((p) => p.replace(/^\.?\//, ''));
  const missing: string[] = [];
  if (expect.vfioPciModule && !paths.some((p) => /(?:^|\/)vfio[-_]pci\.ko(?:\.(?:xz|zst|gz))?$/.test(p))) missing.push('vfio-pci.ko');
  for (const f of expect.files) {
    const rel = f.replace(/^\//, '');
    if (!paths.some((p) => p === rel || p === `usr/${rel}` || p.endsWith(`/${rel}`))) missing.push(f);
  }
  return { ok: missing.length === 0, missing };
}
