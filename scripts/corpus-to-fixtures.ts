// Turns the corpus's PCI captures (shared/corpus/lspci-iommu/*.txt) into RootSpecs and, on request,
// fixture roots. Files INDEX.md lists as the same machine are merged (lspci -nnk + group listing,
// dmesg, /proc/cmdline). The tests import loadCorpusSpecs so they scan exactly what this writes.
//
//   npm run fixtures -- [corpusDir] [--specs DIR] [--roots DIR]
//   corpusDir defaults to ../shared/corpus relative to the project root.
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { captureToSpec } from '../src/corpus/capture-to-spec.js';
import { parseCapture, type ParsedCapture } from '../src/corpus/parse-lspci.js';
import { materializeRoot } from '../src/demo/materialize.js';
import type { RootSpec } from '../src/demo/root-spec.js';

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const DEFAULT_CORPUS_DIR = path.resolve(projectRoot, '../shared/corpus');

/** Machines with several files (corpus INDEX.md, "Machines with several matching files"). */
export interface CorpusMachine {
  id: string;
  /** lspci-iommu files, the first one is primary */
  captures: string[];
  dmesg?: string;
  cmdline?: string;
}

export const CORPUS_MACHINES: CorpusMachine[] = [
  {
    id: 'yyu-x570-gt710-rx570',
    captures: ['lspci-iommu/yyu-x570-gt710-rx570-lspci-nnk.txt', 'lspci-iommu/yyu-x570-gt710-rx570-iommu-groups.txt'],
    dmesg: 'cmdline-dmesg/yyu-x570-amdvi-dmesg.txt',
  },
  {
    id: 'manjaro-z97-haswell-hd4600-gtx970-groups',
    captures: ['lspci-iommu/manjaro-z97-haswell-hd4600-gtx970-groups.txt'],
    dmesg: 'cmdline-dmesg/manjaro-haswell-dmar-enabled-x2apic-optout-xapic-remap.txt',
  },
  {
    id: 'z390-xilinx-au200-lspci-nn-grep',
    captures: ['lspci-iommu/z390-xilinx-au200-lspci-nn-grep.txt'],
    cmdline: 'cmdline-dmesg/z390-xilinx-acso-kernel-proc-cmdline.txt',
  },
  {
    id: 'epyc7302p-supermicro-h12ssw-lspci-knn-installer-prefixed',
    captures: ['lspci-iommu/epyc7302p-supermicro-h12ssw-lspci-knn-installer-prefixed.txt'],
    cmdline: 'cmdline-dmesg/debian11-installer-proc-cmdline-triple-dash.txt',
  },
];

/** A corpus file's body: line 1 is the corpus's own provenance header. */
export function readCorpusBody(file: string): string {
  return readFileSync(file, 'utf8').split('\n').slice(1).join('\n');
}

export interface CorpusHost {
  machine: CorpusMachine;
  parsed: ParsedCapture[];
  spec: RootSpec;
}

/** Every lspci-iommu capture with at least one device becomes a host; companions are merged. */
export function loadCorpusSpecs(corpusDir: string = DEFAULT_CORPUS_DIR): CorpusHost[] {
  const lspciDir = path.join(corpusDir, 'lspci-iommu');
  if (!existsSync(lspciDir)) throw new Error(`${lspciDir}: no such directory (pass the corpus directory as the first argument)`);
  const files = readdirSync(lspciDir).filter((f) => f.endsWith('.txt')).sort();
  const claimed = new Set(CORPUS_MACHINES.flatMap((m) => m.captures));
  const machines: CorpusMachine[] = [
    ...CORPUS_MACHINES,
    ...files
      .map((f) => `lspci-iommu/${f}`)
      .filter((f) => !claimed.has(f))
      .map((f) => ({ id: path.basename(f, '.txt'), captures: [f] })),
  ];
  const hosts: CorpusHost[] = [];
  for (const m of machines) {
    if (!m.captures.every((c) => existsSync(path.join(corpusDir, c)))) continue;
    const parsed = m.captures.map((c) => parseCapture(readFileSync(path.join(corpusDir, c), 'utf8'), c));
    // "enough data": at least one device with numeric IDs
    if (!parsed.some((p) => p.devices.some((d) => d.vendor && d.device))) continue;
    const extras: Parameters<typeof captureToSpec>[1] = { id: m.id };
    if (m.dmesg && existsSync(path.join(corpusDir, m.dmesg))) {
      extras.dmesg = readCorpusBody(path.join(corpusDir, m.dmesg));
      extras.dmesgSource = m.dmesg;
    }
    if (m.cmdline && existsSync(path.join(corpusDir, m.cmdline))) {
      // the installer report prefixes the line with "/proc/cmdline: "
      extras.cmdline = readCorpusBody(path.join(corpusDir, m.cmdline)).trim().replace(/^\/proc\/cmdline:\s*/, '');
      extras.cmdlineSource = m.cmdline;
    }
    hosts.push({ machine: m, parsed, spec: captureToSpec(parsed, extras) });
  }
  return hosts;
}

function main(argv: string[]): void {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { specs: { type: 'string' }, roots: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help || (!values.specs && !values.roots)) {
    process.stdout.write(
      'usage: npm run fixtures -- [corpusDir] [--specs DIR] [--roots DIR]\n' +
        '  --specs DIR  write one RootSpec JSON per corpus machine\n' +
        '  --roots DIR  materialize one fixture root per machine (DIR/<id>/, replaced if present)\n' +
        `  corpusDir defaults to ${path.relative(process.cwd(), DEFAULT_CORPUS_DIR) || '.'}\n`,
    );
    if (!values.help) process.exitCode = 2;
    return;
  }
  let hosts: CorpusHost[];
  try {
    hosts = loadCorpusSpecs(positionals[0] ? path.resolve(positionals[0]) : DEFAULT_CORPUS_DIR);
  } catch (e) {
    process.stderr.write(`corpus-to-fixtures: ${(e as Error).message}; nothing was written\n`);
    process.exitCode = 1;
    return;
  }
  for (const { spec, parsed } of hosts) {
    if (values.specs) {
      mkdirSync(values.specs, { recursive: true });
      writeFileSync(path.join(values.specs, `${spec.id}.json`), `${JSON.stringify(spec, null, 2)}\n`);
    }
    if (values.roots) {
      const dir = path.join(values.roots, spec.id);
      rmSync(dir, { recursive: true, force: true });
      materializeRoot(spec, dir);
    }
    const warn = parsed.reduce((n, p) => n + p.warnings.length, 0);
    process.stdout.write(`${spec.id}: ${spec.devices.length} devices, ${parsed.map((p) => p.format).join('+')}, ${warn} skipped lines\n`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main(process.argv.slice(2));
}
