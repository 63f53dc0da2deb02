// What holds a device right now, read from the running system: a process with its DRM node or an
// NVIDIA device node open (a desktop session, a CUDA job), or a mounted filesystem on one of its
// disks. A live bind of a busy device would yank it from under its user, so it is refused.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import type { HostFacts } from '../host/types.js';
import type { SystemRoot } from '../host/root.js';

const list = (p: string): string[] => {
  try {
    return readdirSync(p);
  } catch {
    return [];
  }
};

/** The device nodes that belong to a PCI function: /dev/dri/cardN, renderDN; /dev/nvidia* for NVIDIA. */
function nodesOf(root: SystemRoot, address: string, vendor: string): string[] {
  const nodes = list(root.at(`/sys/bus/pci/devices/${address}/drm`))
    .filter((n) => /^(card|renderD)\d+$/.test(n))
    .map((n) => `/dev/dri/${n}`);
  if (vendor === '10de') nodes.push('/dev/nvidia');
  return nodes;
}

export function devicesInUse(root: SystemRoot, facts: HostFacts, addresses: string[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  if (!root.live) return out; // another system's processes are not running here
  const wanted = new Map<string, string>(); // node prefix → address
  for (const a of addresses) {
    const d = facts.devices.find((x) => x.address === a);
    if (d) for (const n of nodesOf(root, a, d.vendor)) wanted.set(n, a);
  }
  const add = (address: string, why: string) => {
    const l = (out[address] ??= []);
    if (!l.includes(why)) l.push(why);
  };
  if (wanted.size > 0) {
    for (const pid of list('/proc').filter((p) => /^\d+$/.test(p))) {
      let comm = '';
      for (const fd of list(`/proc/${pid}/fd`)) {
        let target: string;
        try {
          target = readlinkSync(`/proc/${pid}/fd/${fd}`);
        } catch {
          continue;
        }
        for (const [node, address] of wanted) {
          const hit = node === '/dev/nvidia' ? /^\/dev\/nvidia(\d+|ctl|-modeset|-uvm)?$/.test(target) : target === node;
          if (!hit) continue;
          if (!comm) {
            try {
              comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
            } catch {
              comm = '?';
            }
          }
          add(address, `${target} is open in process ${pid} (${comm})`);
        }
      }
    }
  }
  // mounted filesystems on the function's disks
  let mountinfo = '';
  try {
    mountinfo = readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    /* unreadable: nothing to add */
  }
  for (const a of addresses) {
    const d = facts.devices.find((x) => x.address === a);
    for (const disk of d?.blockDevices ?? []) {
      for (const line of mountinfo.split('\n')) {
        const fields = line.split(' ');
        const sep = fields.indexOf('-');
        const source = sep > 0 ? fields[sep + 2] : undefined;
        if (source && source.startsWith(`/dev/${disk}`)) add(a, `${source} is mounted on ${fields[4]}`);
      }
    }
  }
  return out;
}
