// The host's size, for the VM form's defaults: total RAM from <root>/proc/meminfo and the number of
// logical CPUs (the scanner's count, else /proc/cpuinfo). Read-only; kept apart from the scanner so
// HostFacts' JSON contract does not change for a default.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import type { SystemRoot } from '../host/root.js';
import type { HostFacts } from '../host/types.js';

export interface HostResources {
  /** MemTotal in KiB; null when /proc/meminfo is missing or unreadable (fixture roots, images) */
  memTotalKiB: number | null;
  /** logical CPUs; null when unknown */
  threads: number | null;
  /** the host's bridges, offered as VM networks besides libvirt's NAT (absent: none known) */
  bridges?: string[];
}

const readText = (p: string): string | null => {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return null;
  }
};

/** MemTotal from the text of /proc/meminfo ("MemTotal:       16314368 kB"). */
export function parseMemTotalKiB(meminfo: string): number | null {
  const m = /^MemTotal:\s+(\d+)\s*kB\s*$/m.exec(meminfo);
  return m ? Number(m[1]) : null;
}

export function readHostResources(root: SystemRoot, facts?: Pick<HostFacts, 'cpu'>): HostResources {
  const meminfo = readText(root.at('/proc/meminfo'));
  let threads = facts?.cpu.threads ?? null;
  if (threads === null) {
    const cpuinfo = readText(root.at('/proc/cpuinfo'));
    const n = cpuinfo === null ? 0 : (cpuinfo.match(/^processor\s*:/gm) ?? []).length;
    threads = n > 0 ? n : null;
  }
  return { memTotalKiB: meminfo === null ? null : parseMemTotalKiB(meminfo), threads, bridges: listBridges(root) };
}

/** Bridge interfaces of the host (entries of /sys/class/net with a bridge/ directory), sorted. */
export function listBridges(root: SystemRoot): string[] {
  let names: string[];
  try {
    names = readdirSync(root.at('/sys/class/net'));
  } catch {
    return [];
  }
  return names.filter((n) => existsSync(root.at(`/sys/class/net/${n}/bridge`))).sort();
}
