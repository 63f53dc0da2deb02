import { describe, expect, it } from 'vitest';
import { defaultDevices, makeDevice, makeFacts } from '../support/facts.js';
import { checkBootGpu, hostGpus } from '../../src/checks/gpu.js';
import { checkLargeBars } from '../../src/checks/bars.js';
import { checkPciNames } from '../../src/checks/pci-names.js';

const withoutDevice = (address: string) => defaultDevices().filter((d) => d.address !== address);

describe('boot-gpu', () => {
  it('names the boot GPU and passes when another GPU remains', () => {
    const c = checkBootGpu(makeFacts());
    expect(c.status).toBe('pass');
    expect(c.summary).toContain('boot GPU 0000:00:02.0');
    expect(c.summary).toContain('0000:01:00.0');
    expect(c.evidence.find((e) => e.startsWith('0000:00:02.0'))).toContain('boot_vga=1');
  });

  it('warns when there is exactly one GPU', () => {
    const c = checkBootGpu(makeFacts({ devices: withoutDevice('0000:00:02.0') }));
    expect(c.status).toBe('warn');
    expect(c.summary).toMatch(/only one GPU \(0000:01:00.0/);
    expect(c.remedy).toMatch(/single-GPU passthrough/);
  });

  it('warns when every GPU is on vfio-pci (none keeps a host driver); one GPU left with its driver passes', () => {
    const gpus = hostGpus(makeFacts()).map((d) => d.address);
    expect(gpus.length).toBeGreaterThanOrEqual(2);
    const all = defaultDevices().map((d) => (gpus.includes(d.address) ? { ...d, driver: 'vfio-pci' } : d));
    const c = checkBootGpu(makeFacts({ devices: all }));
    expect(c.status).toBe('warn');
    expect(c.summary).toMatch(/^all \d+ GPUs are bound to vfio-pci: none is left with a host driver/);
    expect(c.remedy).toMatch(/Keep at least one GPU with its host driver/);
    const oneLeft = defaultDevices().map((d) => (d.address === gpus[1] ? { ...d, driver: 'vfio-pci' } : d));
    expect(checkBootGpu(makeFacts({ devices: oneLeft })).status).toBe('pass');
  });

  it('passes a headless host with no GPU', () => {
    const c = checkBootGpu(makeFacts({ devices: defaultDevices().filter((d) => !d.class.startsWith('03')) }));
    expect(c.status).toBe('pass');
    expect(c.summary).toMatch(/headless/);
  });

  it('does not count SR-IOV virtual functions as GPUs, and says when no GPU has boot_vga', () => {
    const vf = makeDevice({ address: '0000:01:00.4', class: '030000', physfn: '0000:01:00.0' });
    const devices = [...withoutDevice('0000:00:02.0'), vf];
    expect(hostGpus(makeFacts({ devices })).map((d) => d.address)).toEqual(['0000:01:00.0']);
    const c = checkBootGpu(makeFacts({ devices }));
    expect(c.status).toBe('warn');
    expect(c.evidence.join('\n')).toMatch(/no GPU reports boot_vga=1/);
  });
});

describe('large-bars', () => {
  it('passes when no device has a large BAR', () => expect(checkLargeBars(makeFacts()).status).toBe('pass'));
  it('warns with the Above 4G Decoding / Resizable BAR hint, ignoring bridges', () => {
    const devices = defaultDevices().map((d) =>
      d.address === '0000:01:00.0' || d.address === '0000:00:01.0' ? { ...d, largeBar: true } : d,
    );
    const c = checkLargeBars(makeFacts({ devices }));
    expect(c.status).toBe('warn');
    expect(c.summary).toMatch(/^1 device has large BARs \(0000:01:00.0\): keep Above 4G Decoding on/);
    expect(c.remedy).toContain('Above 4G Decoding');
    expect(c.remedy).toContain('Resizable BAR');
  });
  it('names each large BAR with its size and address, and what a BAR over 256 MiB means', () => {
    const devices = defaultDevices().map((d) =>
      d.address === '0000:01:00.0'
        ? { ...d, largeBar: true, largeBars: [{ bar: 1, start: '0x38000000000', size: 16 * 1024 ** 3 }, { bar: 3, start: '0xc0000000', size: 1.5 * 1024 ** 3 }] }
        : d,
    );
    const c = checkLargeBars(makeFacts({ devices }));
    expect(c.evidence).toEqual([
      'a BAR larger than 256 MiB means Resizable BAR is on, or the card always has BARs that large (compute cards, NPUs)',
      '0000:01:00.0 NVIDIA Corporation GP104 [GeForce GTX 1070]: BAR 1: 16 GiB at 0x38000000000 (above 4 GiB); BAR 3: 1.5 GiB at 0xc0000000 (below 4 GiB)',
    ]);
    // 256 MiB above 4 GiB: large, but no sign of Resizable BAR
    const at256 = defaultDevices().map((d) => (d.address === '0000:01:00.0' ? { ...d, largeBar: true, largeBars: [{ bar: 1, start: '0x4000000000', size: 256 * 1024 ** 2 }] } : d));
    expect(checkLargeBars(makeFacts({ devices: at256 })).evidence).toEqual(['0000:01:00.0 NVIDIA Corporation GP104 [GeForce GTX 1070]: BAR 1: 256 MiB at 0x4000000000 (above 4 GiB)']);
  });
});

describe('checks that cannot see the devices say unknown, never pass', () => {
  it('boot-gpu and large-bars on a scan that found no PCI devices', () => {
    const facts = makeFacts({ devices: [], notes: ['/sys/bus/pci/devices is absent: no PCI devices were read'] });
    const gpu = checkBootGpu(facts);
    expect([gpu.status, gpu.evidence[0]]).toEqual(['unknown', '/sys/bus/pci/devices is absent: no PCI devices were read']);
    expect(checkLargeBars(facts).status).toBe('unknown');
  });
  it('large-bars when a resource file could not be read and no other device is known to have a large BAR', () => {
    const note = 'cannot read /sys/devices/pci0000:00/0000:00:01.0/0000:01:00.0/resource: EIO';
    const c = checkLargeBars(makeFacts({ notes: [note] }));
    expect([c.status, c.evidence]).toEqual(['unknown', [note]]);
    expect(checkLargeBars(makeFacts({ notes: ['cannot read /proc/modules: EIO'] })).status).toBe('pass');
  });
});

describe('pci-names', () => {
  it('passes when every device has a name', () => expect(checkPciNames(makeFacts()).status).toBe('pass'));
  it('warns with the unnamed devices and suggests update-pciids', () => {
    const unknown = makeDevice({ address: '0000:02:00.0', class: '120000', vendor: '1ed2', device: '0000' });
    const half = makeDevice({ address: '0000:03:00.0', class: '030000', vendor: '10de', device: '2d04', vendorName: 'NVIDIA Corporation' });
    const c = checkPciNames(makeFacts({ devices: [...defaultDevices(), unknown, half] }));
    expect(c.status).toBe('warn');
    expect(c.summary).toContain('0000:02:00.0 [1ed2:0000]');
    expect(c.summary).toContain('0000:03:00.0 [10de:2d04]');
    expect(c.evidence).toContain('0000:03:00.0 [10de:2d04] Device 10de:2d04: no device name');
    expect(c.remedy).toContain('update-pciids');
  });
  it('warns when no pci.ids exists at all', () => {
    const c = checkPciNames(makeFacts({ pciIdsSource: null }));
    expect(c.status).toBe('warn');
    expect(c.remedy).toMatch(/pciutils|hwdata/);
  });
});
