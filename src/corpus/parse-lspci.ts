// Parses text captures of PCI listings as people paste them: `lspci -nn`, `lspci -nnk`, `lspci -n`,
// plain `lspci`, the IOMMU-group scripts' many output shapes ("IOMMU Group N:" headers with any
// indentation, "IOMMU Group N <lspci line>" on one line, "(N) <lspci line>"), ls-iommu's
// "-grk" output, and the tabular "[vvvv:dddd] [R] BDF class name" layout (ls-iommu table,
// GPU-Passthrough-Manager). Shell prompts, command echoes, annotations, "#old" markers and
// several pasted runs in one file are expected. Pure: no file system access, so it can back a
// future "import a capture" feature as well as the corpus fixtures.

export type CaptureFormat =
  | 'lspci-nn'
  | 'lspci-nnk'
  | 'lspci-n'
  | 'lspci'
  | 'iommu-groups'
  | 'iommu-groups-inline'
  | 'iommu-groups-numbered'
  | 'ls-iommu-grk'
  | 'iommu-table'
  | 'unknown';

export interface CapturedDevice {
  /** "0000:bb:dd.f" (domain 0000 when the capture omits it) */
  address: string;
  /** 4 lower-case hex digits; null when the capture shows no numeric ID (plain `lspci`) */
  vendor: string | null;
  device: string | null;
  /** 6 lower-case hex digits; null when neither a code nor an unambiguous class name was captured */
  class: string | null;
  /** the class text as captured ("VGA compatible controller") */
  className: string | null;
  /** lspci's vendor + device text as captured, without the IDs */
  name: string | null;
  subsystemVendor: string | null;
  subsystemDevice: string | null;
  revision: string | null;
  /** "Kernel driver in use"; null when the capture has kernel lines but none for this device;
   * undefined when the capture carries no driver information at all */
  driver?: string | null;
  /** "Kernel modules:" list, when captured */
  modules?: string[];
  iommuGroup: number | null;
  /** the "[R]" (resettable) mark of the tabular format */
  resettable?: boolean;
  /** 1-based line number in the file (header line included) */
  line: number;
}

export interface CaptureRun {
  /** 1-based line where the run starts */
  startLine: number;
  /** the prompt/command that started it, or "(start of file)" */
  label: string;
  formats: CaptureFormat[];
  devices: CapturedDevice[];
  /** the run contains "..." lines: the author cut part of the listing */
  elided: boolean;
  /** the command filtered its output (grep, lspci -d/-s): not the whole machine */
  filtered: boolean;
  /** the run comes after a "#old" marker: the author marked it as an older snapshot */
  markedOld: boolean;
  hasGroups: boolean;
  /** the run carries `-k` kernel lines, so a missing "Kernel driver in use" means no driver */
  hasKernelInfo: boolean;
}

export interface CaptureWarning {
  line: number;
  text: string;
  reason: string;
}

export interface ParsedCapture {
  fileName: string;
  /** the corpus provenance header (line 1 "# source: …"), when present */
  header: string | null;
  /** the format of the chosen run */
  format: CaptureFormat;
  runs: CaptureRun[];
  /** index into runs of the run `devices` comes from; -1 when no run holds a device */
  chosenRun: number;
  /** why that run was chosen */
  choice: string;
  /** devices of the chosen run */
  devices: CapturedDevice[];
  hasGroups: boolean;
  hasKernelInfo: boolean;
  filtered: boolean;
  warnings: CaptureWarning[];
}

export interface ParseOptions {
  /** take this run instead of the automatic choice */
  run?: number;
}

/** Class/subclass names as lspci prints them (pci.ids), for formats that omit the "[cccc]" code.
 * Only names that belong to exactly one subclass are listed, so the mapping is unambiguous. */
const CLASS_BY_NAME: Record<string, string> = {
  'non-vga unclassified device': '0000',
  'vga compatible unclassified device': '0001',
  'scsi storage controller': '0100',
  'ide interface': '0101',
  'floppy disk controller': '0102',
  'raid bus controller': '0104',
  'ata controller': '0105',
  'sata controller': '0106',
  'serial attached scsi controller': '0107',
  'non-volatile memory controller': '0108',
  'mass storage controller': '0180',
  'ethernet controller': '0200',
  'network controller': '0280',
  'vga compatible controller': '0300',
  'xga compatible controller': '0301',
  '3d controller': '0302',
  'display controller': '0380',
  'multimedia video controller': '0400',
  'multimedia audio controller': '0401',
  'audio device': '0403',
  'multimedia controller': '0480',
  'ram memory': '0500',
  'flash memory': '0501',
  'memory controller': '0580',
  'host bridge': '0600',
  'isa bridge': '0601',
  'pci bridge': '0604',
  'cardbus bridge': '0607',
  'bridge': '0680',
  'serial controller': '0700',
  'communication controller': '0780',
  'pic': '0800',
  'iommu': '0806',
  'system peripheral': '0880',
  'sd host controller': '0805',
  'co-processor': '0b40',
  'firewire (ieee 1394)': '0c00',
  'usb controller': '0c03',
  'smbus': '0c05',
  'infiniband': '0c06',
  'usb4 host interface': '0c0a',
  'serial bus controller': '0c80',
  'encryption controller': '1080',
  'signal processing controller': '1180',
  'processing accelerators': '1200',
  'non-essential instrumentation': '1300',
  'unassigned class': 'ff00',
};

/** "Processing accelerators" → "120000"; null when the name is unknown or ambiguous. */
export function classFromName(name: string): string | null {
  const code = CLASS_BY_NAME[name.trim().toLowerCase()];
  return code ? `${code}00` : null;
}

const BDF = '(?:[0-9a-fA-F]{4}:)?[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\\.[0-7]';

/** "01:00.0" → "0000:01:00.0"; "0000:01:00.0" unchanged (lower-cased). */
export function normaliseAddress(bdf: string): string {
  const a = bdf.trim().toLowerCase();
  return a.split(':').length === 3 ? a : `0000:${a}`;
}

// A line that is a shell prompt: "[root@box ~]# …", "user@host:~$ …", "$ …", "# lspci…".
const PROMPT = /^\s*(?:\[[^\]]*@[^\]]*\][#$]|[\w.-]+@[\w.-]+:[^\s]*[#$]|[$#])\s+(.*)$/;
// an lspci -nn line: BDF, class text, "[cccc]" with an optional colon, then the rest
const LSPCI_NN = new RegExp(`^(${BDF})\\s+(.+?)\\s+\\[([0-9a-fA-F]{4})\\]:?\\s+(.*)$`);
// lspci -n: "0000:01:00.0 1200: 1ed2:0000 (rev 01)"
const LSPCI_N = new RegExp(
  `^(${BDF})\\s+([0-9a-fA-F]{4}):\\s+([0-9a-fA-F]{4}):([0-9a-fA-F]{4})(?:\\s+\\(rev ([0-9a-fA-F]{2})\\))?(?:\\s+\\(prog-if ([0-9a-fA-F]{2})[^)]*\\))?\\s*$`,
);
// plain lspci: "05:00.0 Processing accelerators: Device 1ed2:0000 (rev 01)"
const LSPCI_PLAIN = new RegExp(`^(${BDF})\\s+([^:\\[]+?):\\s+(.*)$`);
// "<name> [vvvv:dddd] (rev xx) (prog-if xx [...])" — the ID is the last [hex4:hex4] on the line
const NAME_IDS = /^(.*?)\s*\[([0-9a-fA-F]{4}):([0-9a-fA-F]{4})\]((?:\s*\((?:rev|prog-if) [^)]*\))*)\s*$/;
const REV = /\(rev ([0-9a-fA-F]{2})\)/;
const PROG_IF = /\(prog-if ([0-9a-fA-F]{2})/;
const TRAILING_REV = /\s*\(rev ([0-9a-fA-F]{2})\)\s*$/;
const GROUP_HEADER = /^\s*IOMMU\s+group\s+(\d+):?\s*$/i;
const GROUP_INLINE = new RegExp(`^\\s*IOMMU\\s+group\\s+(\\d+):?\\s+(${BDF}\\s.*)$`, 'i');
const GROUP_NUMBERED = new RegExp(`^\\s*\\((\\d+)\\)\\s+(${BDF}\\s.*)$`);
// tabular: optional "Group N:", "[vvvv:dddd]", optional "[R]", BDF, class (padded), name
const TABLE = new RegExp(
  `^\\s*(?:Group\\s+(\\d+):)?\\s*\\[([0-9a-fA-F]{4}):([0-9a-fA-F]{4})\\]\\s+(\\[R\\]\\s+)?(${BDF})\\s+(.+?)(?:\\s{2,}|\\t+)(\\S.*?)\\s*$`,
);
const TABLE_USB = /^\s*USB:\s+\[[0-9a-fA-F]{4}:[0-9a-fA-F]{4}\]\s+Bus \d+ Device \d+/;
const SUBSYSTEM = /^\s*Subsystem:\s*(.*?)\s*\[([0-9a-fA-F]{4}):([0-9a-fA-F]{4})\]\s*$/;
const DRIVER = /^\s*Kernel driver in use:\s*(\S+)\s*$/;
const MODULES = /^\s*Kernel modules:\s*(.*?)\s*$/;
const DETAIL_IGNORED = /^\s*(?:DeviceName|Physical Slot|Flags|Memory at|I\/O ports|Capabilities|Control|Status|Latency|Interrupt|Region|Expansion ROM|NUMA node|IOMMU group)\b/;
// pasted prefixes in front of every line (the Debian installer's hardware summary)
const LINE_PREFIX = /^lspci -[a-zA-Z]+:\s?/;

interface RunBuilder {
  run: CaptureRun;
  formats: Set<CaptureFormat>;
  seen: Set<string>;
  group: number | null;
}

function newRun(startLine: number, label: string, markedOld: boolean): RunBuilder {
  // "lspci … | grep X" or "lspci -d v:d" at the start of the command: only part of the machine
  const filtered = /\|\s*grep\b/.test(label) || /^(?:sudo\s+)?lspci\b[^|;]*\s-[a-zA-Z]*[ds]\s/.test(label);
  return {
    run: {
      startLine,
      label,
      formats: [],
      devices: [],
      elided: false,
      filtered,
      markedOld,
      hasGroups: false,
      hasKernelInfo: false,
    },
    formats: new Set(),
    seen: new Set(),
    group: null,
  };
}

interface LineDevice {
  address: string;
  className: string | null;
  classCode: string | null;
  rest: string;
}

/** Splits "<name> [vvvv:dddd] (rev xx)" into its parts; ids null when the text holds none. */
function splitNameAndIds(rest: string): {
  name: string | null;
  vendor: string | null;
  device: string | null;
  revision: string | null;
  progIf: string | null;
} {
  const m = NAME_IDS.exec(rest);
  if (m) {
    const tail = m[4] ?? '';
    return {
      name: m[1]!.trim() || null,
      vendor: m[2]!.toLowerCase(),
      device: m[3]!.toLowerCase(),
      revision: REV.exec(tail)?.[1]?.toLowerCase() ?? null,
      progIf: PROG_IF.exec(tail)?.[1]?.toLowerCase() ?? null,
    };
  }
  // plain lspci prints an unnamed device as "Device 1ed2:0000"
  const rev = TRAILING_REV.exec(rest);
  const text = rev ? rest.slice(0, rev.index).trim() : rest.trim();
  const unnamed = /^Device ([0-9a-fA-F]{4}):([0-9a-fA-F]{4})$/.exec(text);
  return {
    name: text || null,
    vendor: unnamed ? unnamed[1]!.toLowerCase() : null,
    device: unnamed ? unnamed[2]!.toLowerCase() : null,
    revision: rev?.[1]?.toLowerCase() ?? null,
    progIf: null,
  };
}

function deviceFromLspciLine(body: string): { dev: Omit<CapturedDevice, 'iommuGroup' | 'line'>; format: CaptureFormat } | null {
  const trimmed = body.trim();
  let m = LSPCI_N.exec(trimmed);
  if (m) {
    const cls = `${m[2]!.toLowerCase()}${m[6]?.toLowerCase() ?? '00'}`;
    return {
      format: 'lspci-n',
      dev: {
        address: normaliseAddress(m[1]!),
        vendor: m[3]!.toLowerCase(),
        device: m[4]!.toLowerCase(),
        class: cls,
        className: null,
        name: null,
        subsystemVendor: null,
        subsystemDevice: null,
        revision: m[5]?.toLowerCase() ?? null,
      },
    };
  }
  let line: LineDevice | null = null;
  let format: CaptureFormat = 'lspci-nn';
  m = LSPCI_NN.exec(trimmed);
  if (m) {
    line = { address: m[1]!, className: m[2]!.trim(), classCode: m[3]!.toLowerCase(), rest: m[4]! };
  } else {
    m = LSPCI_PLAIN.exec(trimmed);
    if (m) {
      line = { address: m[1]!, className: m[2]!.trim(), classCode: null, rest: m[3]! };
      format = 'lspci';
    }
  }
  if (!line) return null;
  const parts = splitNameAndIds(line.rest);
  const cls = line.classCode
    ? `${line.classCode}${parts.progIf ?? '00'}`
    : line.className
      ? classFromName(line.className)
      : null;
  return {
    format,
    dev: {
      address: normaliseAddress(line.address),
      vendor: parts.vendor,
      device: parts.device,
      class: cls,
      className: line.className,
      name: parts.name,
      subsystemVendor: null,
      subsystemDevice: null,
      revision: parts.revision,
    },
  };
}

function formatOf(formats: Set<CaptureFormat>, run: CaptureRun): CaptureFormat {
  for (const f of ['iommu-table', 'ls-iommu-grk', 'iommu-groups-numbered', 'iommu-groups-inline', 'iommu-groups'] as const) {
    if (formats.has(f)) return f;
  }
  if (formats.has('lspci-nn')) return run.hasKernelInfo ? 'lspci-nnk' : 'lspci-nn';
  if (formats.has('lspci-n')) return 'lspci-n';
  if (formats.has('lspci')) return 'lspci';
  return 'unknown';
}

const complete = (r: CaptureRun): boolean =>
  r.devices.length > 0 && !r.elided && r.devices.every((d) => d.vendor !== null && d.device !== null);

/** Picks the run that describes the machine. With "#old" markers the author put the newest run
 * first, so the last complete run before the first marker wins; otherwise the last complete run
 * (later pastes are the later state). "Complete" = not cut with "..." and every device has IDs. */
function chooseRun(runs: CaptureRun[]): { index: number; choice: string } {
  if (runs.length === 0) return { index: -1, choice: 'no PCI device lines found' };
  const indexed = runs.map((r, i) => ({ r, i }));
  const current = indexed.filter(({ r }) => !r.markedOld);
  const hasOld = current.length < runs.length;
  const pool = hasOld ? current : indexed;
  const full = pool.filter(({ r }) => complete(r));
  const pick = full.at(-1) ?? pool.at(-1) ?? indexed.at(-1)!;
  const label = pick.r.label.length > 60 ? `${pick.r.label.slice(0, 59)}…` : pick.r.label;
  const where = `run ${pick.i + 1} of ${runs.length} (line ${pick.r.startLine}: ${label})`;
  if (runs.length === 1) return { index: pick.i, choice: `the only run, ${where}` };
  if (hasOld) return { index: pick.i, choice: `${where}: the newest snapshot, above the '#old' markers` };
  if (full.length === 0) return { index: pick.i, choice: `${where}: no run is complete, took the last one` };
  return { index: pick.i, choice: `${where}: the last complete run (others are cut with "..." or lack IDs, or are earlier)` };
}

export function parseCapture(text: string, fileName: string, options: ParseOptions = {}): ParsedCapture {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  let header: string | null = null;
  let first = 0;
  if (lines[0]?.startsWith('# source:')) {
    header = lines[0];
    first = 1;
  }
  const warnings: CaptureWarning[] = [];
  const runs: RunBuilder[] = [];
  let markedOld = false;
  let cur = newRun(first + 1, '(start of file)', false);
  let last: CapturedDevice | null = null;
  let inCommandEcho = false;

  const closeRun = () => {
    if (cur.run.devices.length > 0) runs.push(cur);
  };

  for (let i = first; i < lines.length; i++) {
    const lineNo = i + 1;
    const raw = lines[i]!;
    const body = raw.replace(LINE_PREFIX, '');
    const t = body.trim();
    if (t === '') {
      inCommandEcho = false;
      continue;
    }
    if (/^#\s*old\b/i.test(t)) {
      closeRun();
      markedOld = true;
      cur = newRun(lineNo + 1, '(after #old)', true);
      last = null;
      continue;
    }
    if (/^#{2,}\s/.test(t)) {
      warnings.push({ line: lineNo, text: raw, reason: 'annotation' });
      continue;
    }
    if (/^(\.\.\.|…)$/.test(t)) {
      cur.run.elided = true;
      continue;
    }
    const prompt = PROMPT.exec(body);
    if (prompt && !GROUP_HEADER.test(body)) {
      closeRun();
      cur = newRun(lineNo, prompt[1]!.trim(), markedOld);
      last = null;
      // a multi-line command (for … do … done) is echoed until the first blank line
      inCommandEcho = /\b(for|while|do)\b/.test(prompt[1]!) && !/\bdone\b/.test(prompt[1]!);
      continue;
    }

    const gh = GROUP_HEADER.exec(body);
    if (gh) {
      inCommandEcho = false;
      cur.group = Number(gh[1]);
      cur.formats.add('iommu-groups');
      last = null;
      continue;
    }

    let deviceText: string | null = null;
    let group: number | null = cur.group;
    let fmt: CaptureFormat | null = null;
    let tableDev: Omit<CapturedDevice, 'iommuGroup' | 'line'> | null = null;

    const tb = TABLE.exec(body);
    const gi = GROUP_INLINE.exec(body);
    const gn = GROUP_NUMBERED.exec(body);
    if (tb) {
      if (tb[1] !== undefined) cur.group = Number(tb[1]);
      group = cur.group;
      fmt = 'iommu-table';
      const clsName = tb[6]!.trim();
      const rest = tb[7]!;
      const rev = TRAILING_REV.exec(rest);
      tableDev = {
        address: normaliseAddress(tb[5]!),
        vendor: tb[2]!.toLowerCase(),
        device: tb[3]!.toLowerCase(),
        class: classFromName(clsName),
        className: clsName,
        name: (rev ? rest.slice(0, rev.index) : rest).trim() || null,
        subsystemVendor: null,
        subsystemDevice: null,
        revision: rev?.[1]?.toLowerCase() ?? null,
        resettable: tb[4] !== undefined,
      };
    } else if (gi) {
      group = Number(gi[1]);
      deviceText = gi[2]!;
      // ls-iommu -grk prints full addresses and no colon after the class code
      fmt = /^[0-9a-fA-F]{4}:/.test(deviceText) && !/\]:\s/.test(deviceText) ? 'ls-iommu-grk' : 'iommu-groups-inline';
    } else if (gn) {
      group = Number(gn[1]);
      deviceText = gn[2]!;
      fmt = 'iommu-groups-numbered';
    } else if (new RegExp(`^\\s*${BDF}\\s`).test(body)) {
      deviceText = body;
    }

    let parsed: { dev: Omit<CapturedDevice, 'iommuGroup' | 'line'>; format: CaptureFormat } | null = null;
    if (tableDev) parsed = { dev: tableDev, format: fmt! };
    else if (deviceText !== null) {
      const p = deviceFromLspciLine(deviceText);
      if (p) parsed = { dev: p.dev, format: fmt ?? (group !== null ? 'iommu-groups' : p.format) };
    }

    if (parsed) {
      inCommandEcho = false;
      if (cur.seen.has(parsed.dev.address)) {
        // the same address twice without a prompt in between: a second paste of the listing
        warnings.push({ line: lineNo, text: raw, reason: 'address repeats: treated as the start of another run' });
        closeRun();
        cur = newRun(lineNo, '(repeated listing)', markedOld);
      }
      const dev: CapturedDevice = { ...parsed.dev, iommuGroup: group, line: lineNo };
      cur.formats.add(parsed.format);
      cur.seen.add(dev.address);
      cur.run.devices.push(dev);
      if (dev.iommuGroup !== null) cur.run.hasGroups = true;
      if (dev.class === null) {
        warnings.push({ line: lineNo, text: raw, reason: `class unknown: "${dev.className ?? ''}" is not an unambiguous class name` });
      }
      last = dev;
      continue;
    }

    if (TABLE_USB.test(body)) {
      warnings.push({ line: lineNo, text: raw, reason: 'USB device line (not a PCI function)' });
      continue;
    }
    const sub = SUBSYSTEM.exec(body);
    const drv = DRIVER.exec(body);
    const mods = MODULES.exec(body);
    if ((sub || drv || mods) && last) {
      if (sub) {
        last.subsystemVendor = sub[2]!.toLowerCase();
        last.subsystemDevice = sub[3]!.toLowerCase();
      }
      if (drv) {
        last.driver = drv[1]!;
        cur.run.hasKernelInfo = true;
      }
      if (mods) {
        last.modules = mods[1]!.split(/,\s*/).filter(Boolean);
        cur.run.hasKernelInfo = true;
      }
      continue;
    }
    if (DETAIL_IGNORED.test(body) && last) continue;
    warnings.push({
      line: lineNo,
      text: raw,
      reason: inCommandEcho ? 'command echo' : 'not a PCI device line',
    });
  }
  closeRun();

  const finished: CaptureRun[] = runs.map((b) => {
    const r = b.run;
    r.formats = [...b.formats];
    const primary = formatOf(b.formats, r);
    if (!r.formats.includes(primary)) r.formats.unshift(primary);
    if (r.hasKernelInfo) for (const d of r.devices) if (d.driver === undefined) d.driver = null;
    return r;
  });

  let { index, choice } = chooseRun(finished);
  if (options.run !== undefined) {
    if (options.run < 0 || options.run >= finished.length) {
      throw new RangeError(`${fileName}: run ${options.run} does not exist (the capture has ${finished.length} runs)`);
    }
    index = options.run;
    choice = `run ${index + 1} of ${finished.length} (line ${finished[index]!.startLine}), chosen by the caller`;
  }
  const chosen = finished[index];
  const chosenBuilder = runs[index];
  return {
    fileName,
    header,
    format: chosen && chosenBuilder ? formatOf(chosenBuilder.formats, chosen) : 'unknown',
    runs: finished,
    chosenRun: index,
    choice,
    devices: chosen?.devices ?? [],
    hasGroups: chosen?.hasGroups ?? false,
    hasKernelInfo: chosen?.hasKernelInfo ?? false,
    filtered: chosen?.filtered ?? false,
    warnings,
  };
}
