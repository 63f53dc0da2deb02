// A synthetic 1,024-function server as a RootSpec: four PCI domains, root ports with switches
// behind them, SR-IOV NICs with virtual functions, NVMe drives, GPUs with large BARs, a BMC VGA,
// and IOMMU group numbers with gaps. Used by bench/scan.mjs and the scanner tests.
//   node --import tsx scripts/make-server-root.ts DIR   → materializes the tree into DIR
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { materializeRoot } from '../src/demo/materialize.js';
import type { DeviceSpec, RootSpec } from '../src/demo/root-spec.js';

export const SERVER_FUNCTIONS = 1024;
const DOMAINS = 4;
const ROOT_PORTS = 8;

const h2 = (n: number) => n.toString(16).padStart(2, '0');
const h4 = (n: number) => n.toString(16).padStart(4, '0');
const addr = (dom: number, bus: number, devfn: number) => `${h4(dom)}:${h2(bus)}:${h2(devfn >> 3)}.${devfn & 7}`;
const bar = (start: number, size: number, flags = '0x0000000000140204'): [string, string, string] => [
  `0x${start.toString(16).padStart(16, '0')}`,
  `0x${(start + size - 1).toString(16).padStart(16, '0')}`,
  flags,
];
const GiB = 1024 ** 3;

export function serverRootSpec(opts: { pciIds?: string | null } = {}): RootSpec {
  const devices: DeviceSpec[] = [];
  let group = 0;
  // firmware/ACS layouts leave holes in group numbering; reproduce some
  const nextGroup = () => {
    group += group % 37 === 36 ? 2 : 1;
    return group;
  };
  const pfs: { spec: DeviceSpec; bus: number; dom: number; parents: string[]; fnIndex: number }[] = [];
  let nvme = 0;
  let nic = 0;

  for (let dom = 0; dom < DOMAINS; dom++) {
    devices.push({ address: addr(dom, 0, 0), vendor: '8086', device: '09a2', class: '060000', iommuGroup: nextGroup() });
    for (let rp = 1; rp <= ROOT_PORTS; rp++) {
      const rpAddr = addr(dom, 0, rp << 3);
      devices.push({ address: rpAddr, vendor: '8086', device: '347a', class: '060400', driver: 'pcieport', iommuGroup: nextGroup(), revision: '04' });
      const up = rp * 16;
      const upAddr = addr(dom, up, 0);
      devices.push({ address: upAddr, vendor: '10b5', device: '8747', class: '060400', driver: 'pcieport', parents: [rpAddr], iommuGroup: nextGroup(), revision: 'ca' });
      for (let dp = 0; dp < 2; dp++) {
        const dpAddr = addr(dom, up + 1, dp << 3);
        const chain = [rpAddr, upAddr, dpAddr];
        devices.push({ address: dpAddr, vendor: '10b5', device: '8747', class: '060400', driver: 'pcieport', parents: [rpAddr, upAddr], iommuGroup: nextGroup(), revision: 'ca' });
        const bus = up + 2 + dp;
        const kind = (rp * 2 + dp) % 4;
        if (kind === 0 || kind === 1) {
          for (let fn = 0; fn < 2; fn++) {
            const spec: DeviceSpec = {
              address: addr(dom, bus, fn),
              vendor: '8086', device: '1572', class: '020000', subsystemVendor: '8086', subsystemDevice: '0006', revision: '02',
              driver: 'i40e', parents: chain, iommuGroup: nextGroup(), resetMethod: 'flr bus',
              net: [`ens${dom}f${nic}np${fn}`],
              resources: [bar(0x38bff0000000 + nic * 0x2000000 + fn * 0x1000000, 0x800000, '0x000000000014220c')],
            };
            devices.push(spec);
            pfs.push({ spec, bus, dom, parents: chain, fnIndex: fn });
          }
          nic++;
        } else if (kind === 2) {
          const gpu = addr(dom, bus, 0);
          const g = nextGroup();
          devices.push({
            address: gpu, vendor: '10de', device: '1db6', class: '030200', subsystemVendor: '10de', subsystemDevice: '124a', revision: 'a1',
            driver: 'nvidia', parents: chain, iommuGroup: g, resetMethod: 'bus',
            resources: [bar(0xd0000000, 16 * 1024 * 1024, '0x0000000000040200'), bar(0x38000000000 + bus * 64 * GiB, 32 * GiB, '0x000000000014220c')],
          });
          devices.push({ address: addr(dom, bus, 1), vendor: '10de', device: '10f2', class: '040300', driver: 'snd_hda_intel', parents: chain, iommuGroup: g, revision: 'a1' });
        } else {
          devices.push({
            address: addr(dom, bus, 0), vendor: '144d', device: 'a80a', class: '010802', subsystemVendor: '144d', subsystemDevice: 'a801', revision: '00',
            driver: 'nvme', parents: chain, iommuGroup: nextGroup(), resetMethod: 'flr bus', block: [`nvme${nvme++}n1`],
            resources: [bar(0xa0000000 + bus * 0x100000, 0x4000, '0x0000000000140204')],
          });
        }
      }
    }
  }
  // the BMC's VGA behind its own bridge, the boot display
  const bmcBridge = addr(0, 0, 0x1c << 3);
  devices.push({ address: bmcBridge, vendor: '8086', device: 'a190', class: '060400', driver: 'pcieport', iommuGroup: nextGroup() });
  devices.push({ address: addr(0, 0xe0, 0), vendor: '1a03', device: '2000', class: '030000', driver: 'ast', bootVga: true, parents: [bmcBridge], iommuGroup: nextGroup(), revision: '41' });

  // fill the rest with virtual functions, spread over the physical functions
  const vfCount = SERVER_FUNCTIONS - devices.length;
  const perPf = pfs.map((_, i) => Math.floor(vfCount / pfs.length) + (i < vfCount % pfs.length ? 1 : 0));
  const busNext = new Map<string, number>();
  pfs.forEach((pf, i) => {
    const n = perPf[i]!;
    pf.spec.sriovTotalVfs = 32;
    pf.spec.sriovNumVfs = n;
    const key = `${pf.dom}:${pf.bus}`;
    let devfn = busNext.get(key) ?? 0x10;
    for (let v = 0; v < n; v++) {
      devices.push({
        address: addr(pf.dom, pf.bus, devfn++), vendor: '8086', device: '154c', class: '020000', subsystemVendor: '8086', subsystemDevice: '0000', revision: '02',
        driver: v % 3 === 0 ? 'iavf' : null, parents: pf.parents, iommuGroup: nextGroup(), physfn: pf.spec.address, resetMethod: 'flr',
      });
    }
    busNext.set(key, devfn);
  });

  const files: Record<string, string> = {
    'etc/default/grub': 'GRUB_DEFAULT=0\nGRUB_CMDLINE_LINUX_DEFAULT="quiet"\nGRUB_CMDLINE_LINUX=""\n',
    'boot/grub/grub.cfg': '# generated\n',
    'etc/initramfs-tools/modules': '',
    'usr/sbin/update-initramfs': '#!/bin/sh\n',
    'proc/self/mountinfo': '27 1 259:0 / / rw,relatime - ext4 /dev/nvme0n1 rw\n',
    'proc/net/route':
      'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n' +
      'ens0f0np0\t00000000\t0102000A\t0003\t0\t0\t0\t00000000\t0\t0\t0\n',
  };
  if (opts.pciIds) files['usr/share/misc/pci.ids'] = readFileSync(opts.pciIds, 'utf8');

  return {
    id: 'server-1024',
    source: 'synthetic: 1,024-function server (scripts/make-server-root.ts)',
    cpu: { vendor: 'GenuineIntel', model: 'Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz', flags: ['fpu', 'vmx', 'x2apic'], threads: 8 },
    kvmDevice: true,
    acpiTables: ['APIC', 'DMAR', 'FACP', 'MCFG'],
    iommuUnits: Array.from({ length: 8 }, (_, i) => `dmar${i}`),
    uefi: true,
    secureBoot: false,
    kernelRelease: '6.8.0-45-generic',
    cmdline: 'BOOT_IMAGE=/boot/vmlinuz-6.8.0-45-generic root=UUID=0b5c4a53 ro intel_iommu=on iommu=pt',
    dmesg: '[    0.412345] DMAR-IR: Enabled IRQ remapping in x2apic mode\n',
    osRelease: 'PRETTY_NAME="Ubuntu 24.04.1 LTS"\nNAME="Ubuntu"\nVERSION_ID="24.04"\nID=ubuntu\nID_LIKE=debian\n',
    modulesBuiltin: ['kernel/drivers/vfio/vfio.ko', 'kernel/drivers/vfio/vfio_iommu_type1.ko', 'kernel/drivers/vfio/pci/vfio-pci.ko'],
    modulesDep: ['kernel/drivers/net/ethernet/intel/i40e/i40e.ko.zst:', 'kernel/arch/x86/kvm/kvm-intel.ko.zst: kernel/arch/x86/kvm/kvm.ko.zst'],
    loadedModules: ['kvm_intel', 'kvm', 'i40e', 'iavf', 'nvme', 'nvidia', 'ast'],
    devices,
    files,
    pciConfig: true,
  };
}

const HOST_PCI_IDS = '/usr/share/misc/pci.ids';

/** Materialize the server root into `dir`, with the host's pci.ids copied in when present. */
export function makeServerRoot(dir: string): RootSpec {
  const spec = serverRootSpec({ pciIds: existsSync(HOST_PCI_IDS) ? HOST_PCI_IDS : null });
  materializeRoot(spec, dir);
  return spec;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dir = process.argv[2];
  if (!dir) {
    process.stderr.write('usage: node --import tsx scripts/make-server-root.ts DIR\n');
    process.exit(2);
  }
  const spec = makeServerRoot(dir);
  process.stdout.write(`${spec.devices.length} PCI functions written under ${path.resolve(dir)}\n`);
}
