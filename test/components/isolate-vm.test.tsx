// The wizard's isolation, try-it-now and VM screens over a real fixture root with the real
// services: choosing a card in the device browser, the whole card on the isolation screen, a guard
// that needs an explicit override, review → confirm → apply → undo, the live bind's decision, and
// the VM form → findings → the real virt-install against libvirt's test driver (a host command:
// it runs on this machine, touching only the test driver's throw-away state and the temp root).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readStatus } from '../../src/apply/status.js';
import { FOUR_FUNCTION_NVIDIA, VGPU_T4_HOST } from '../../src/demo/synthetic-hosts.js';
import { systemRoot } from '../../src/host/root.js';
import { keys as KEY, press, waitForFrame, waitForText } from '../support/ink.js';
import { vmFixture, type VmFixture } from '../vm/support.js';
import { assertFits } from './wizard-harness.js';
import { cleanupScenarios, startScenario, type ChangeScenario } from './change-harness.js';

afterEach(cleanupScenarios);
let fx: VmFixture;
beforeAll(() => {
  fx = vmFixture(FOUR_FUNCTION_NVIDIA);
});
afterAll(() => fx.cleanup());

const VFIO_CONF = 'etc/modprobe.d/vfio.conf';

/** welcome → readiness → command line (nothing to do: intel_iommu=on is there) → devices */
async function toDevices(s: ChangeScenario): Promise<string> {
  await waitForText(s.screen, 'Welcome to vfio-wizard');
  await press(s.screen, KEY.enter);
  await press(s.screen, 'n');
  await waitForText(s.screen, 'Nothing to change');
  await press(s.screen, 'n');
  return waitForText(s.screen, 'Devices and IOMMU groups');
}

/** …move to the NVIDIA card, mark it, and go to the isolation screen */
async function toIsolateWithNvidia(s: ChangeScenario): Promise<string> {
  let f = await toDevices(s);
  expect(f).toMatch(/ › 00:02\.0/); // the boot iGPU comes first
  await press(s.screen, KEY.down);
  f = await press(s.screen, KEY.space);
  expect(f).toContain('Chosen: 01:00 — Enter: bind them to vfio-pci');
  expect(f).toMatch(/✓› 01:00\.0/);
  await press(s.screen, KEY.enter);
  return waitForText(s.screen, 'Enter shows exactly what changes');
}

describe('the isolation screen', () => {
  it('takes the whole card, binds by ID with softdeps, and applies and undoes through the journal', async () => {
    const s = startScenario(fx.dir, { columns: 100, rows: 40 });
    let f = await toIsolateWithNvidia(s);
    expect(f).toContain('5/7 Bind to vfio-pci');
    // this fixture has no pci.ids: the names are the plain fallback
    for (const [fn, id] of [['01:00.0', '21c4'], ['01:00.1', '1aeb'], ['01:00.2', '1aec'], ['01:00.3', '1aed']]) expect(f).toContain(`  ${fn}  Device 10de:${id}`);
    expect(f).toMatch(/group 12 holds only/);
    expect(f).toMatch(/options vfio-pci\s+ids=10de:21c4,10de:1aeb,10de:1aec,10de:1aed/);
    expect(f).toMatch(/softdep: nouveau/);
    f = await press(s.screen, KEY.enter);
    f = await waitForText(s.screen, 'Files (');
    expect(f).toContain(`create /${VFIO_CONF}`);
    expect(f).toContain('+softdep nouveau pre: vfio-pci');
    await press(s.screen, KEY.enter);
    await waitForText(s.screen, 'Apply "Bind the devices to vfio-pci" now?');
    await press(s.screen, 'y');
    f = await waitForFrame(s.screen, (x) => /✔ Applied|✘ Failed|✘ Not applied/.test(x));
    expect(f).toContain('✔ Applied');
    expect(readFileSync(path.join(fx.dir, VFIO_CONF), 'utf8')).toContain('options vfio-pci ids=10de:21c4,10de:1aeb,10de:1aec,10de:1aed');
    expect(readStatus(systemRoot(fx.dir)).runs.flatMap((r) => r.steps).map((x) => `${x.id}:${x.state}`)).toContain('isolate:applied');
    await press(s.screen, 'u');
    await waitForText(s.screen, 'Undo step isolate?');
    await press(s.screen, 'y');
    await waitForText(s.screen, '✔ Undone: step isolate');
    expect(existsSync(path.join(fx.dir, VFIO_CONF))).toBe(false);
  });

  it('a guard blocks until the user insists: no review, an explicit confirm (digits do nothing), then the override is shown', async () => {
    const s = startScenario(fx.dir, { columns: 100, rows: 40 });
    await toDevices(s);
    await press(s.screen, KEY.space); // the boot iGPU
    await press(s.screen, KEY.enter);
    let f = await waitForText(s.screen, 'Blocked by 1 guard');
    expect(f).toContain('[ ] blocked — space to override (--allow-boot-gpu)');
    expect(f).toMatch(/is the boot GPU \(boot_vga=1\)/);
    f = await press(s.screen, KEY.enter, { expectChange: false });
    expect(f).not.toContain('Files (');
    f = await press(s.screen, KEY.space);
    expect(f).toContain('Go ahead despite this guard?');
    expect(f).toContain('This is what --allow-boot-gpu does on the command line.');
    for (const digit of ['1', '2']) {
      f = await press(s.screen, digit, { expectChange: false });
      expect(f).toContain('Go ahead despite this guard?');
    }
    f = await press(s.screen, 'n');
    expect(f).toContain('[ ] blocked — space to override');
    await press(s.screen, KEY.space);
    await press(s.screen, 'y');
    f = await waitForText(s.screen, '[x] overridden (--allow-boot-gpu)');
    f = await waitForText(s.screen, 'Enter shows exactly what changes');
    // lifting the override needs no confirm, and blocks again
    await press(s.screen, KEY.space);
    await waitForText(s.screen, 'Blocked by 1 guard');
    expect(existsSync(path.join(fx.dir, VFIO_CONF))).toBe(false);
  });

  it('fits 80x24', async () => {
    const s = startScenario(fx.dir);
    const f = await toIsolateWithNvidia(s);
    assertFits(f, 80, 24);
  });
});

describe('try it now', () => {
  it('shows what each function is on and what the live bind writes; back returns to the isolation screen', async () => {
    const s = startScenario(fx.dir, { columns: 100, rows: 40 });
    await toIsolateWithNvidia(s);
    let f = await press(s.screen, 't');
    f = await waitForText(s.screen, 'Try it now (no reboot)');
    f = await waitForText(s.screen, '0000:01:00.0: now nouveau, IOMMU group 12');
    expect(f).toContain('Moves the devices to vfio-pci now');
    f = await press(s.screen, KEY.enter);
    f = await waitForText(s.screen, 'driver_override');
    await press(s.screen, KEY.escape);
    await press(s.screen, 'b');
    await waitForText(s.screen, '5/7 Bind to vfio-pci');
  });
});

describe('the VM screen', () => {
  it('validates the form on screen, lets q be typed, and creates the VM with the real virt-install (test driver)', async () => {
    const s = startScenario(fx.dir, { columns: 100, rows: 40, commands: 'chroot', vmConnect: fx.uri });
    await toIsolateWithNvidia(s);
    await press(s.screen, 'n');
    let f = await waitForText(s.screen, 'Name: vfio-vm');
    expect(f).toContain('6/7 Virtual machine');
    await press(s.screen, 'e');
    for (let i = 0; i < 'vfio-vm'.length; i++) await press(s.screen, KEY.backspace);
    for (const c of 'qvm') await press(s.screen, c);
    await press(s.screen, KEY.down);
    for (let i = 0; i < '4096'.length; i++) await press(s.screen, KEY.backspace);
    await press(s.screen, '1');
    await press(s.screen, '0');
    f = await press(s.screen, KEY.enter);
    f = await waitForText(s.screen, '✘ At least 256 MiB');
    expect(f).toContain('Name: qvm');
    expect(s.exits).toEqual([]); // q was a letter of the name
    await press(s.screen, KEY.backspace);
    await press(s.screen, KEY.backspace);
    for (const c of '2G') await press(s.screen, c);
    await press(s.screen, KEY.enter);
    f = await waitForText(s.screen, 'Enter reviews the creation');
    expect(f).toMatch(/✔ group 12 is viable/);
    expect(f).toContain(`$ virt-install --connect ${fx.uri} --name qvm --memory 2048`);
    // an installer ISO that is not on the host is refused with a message, and nothing can be reviewed
    f = await press(s.screen, 'e');
    for (let i = 0; i < 12 && !f.includes('› Install ISO'); i++) f = await press(s.screen, KEY.down);
    for (const c of '/isos/missing.iso') await press(s.screen, c);
    await press(s.screen, KEY.enter);
    f = await waitForText(s.screen, '✘ no such file on this host: /isos/missing.iso');
    expect(f).toContain('Fix what failed above (e edits the form)');
    f = await press(s.screen, KEY.enter);
    expect(f).toContain('Type to change the field'); // Enter edits the form again: no review
    for (let i = 0; i < '/isos/missing.iso'.length; i++) await press(s.screen, KEY.backspace);
    await press(s.screen, KEY.enter);
    f = await waitForText(s.screen, 'Enter reviews the creation');
    // the export of what the form holds
    f = await press(s.screen, 'x');
    f = await waitForText(s.screen, '<name>qvm</name>');
    expect(f).toContain("<memory unit='MiB'>2048</memory>");
    expect(f.replace(/\s+/g, ' ')).toContain('vfio-wizard vm export --device 0000:01:00.0,0000:01:00.1,0000:01:00.2,0000:01:00.3 --name qvm --memory 2048 --vcpus 4');
    await press(s.screen, KEY.escape);
    await press(s.screen, KEY.enter);
    f = await waitForText(s.screen, 'Commands, in the order they will run');
    expect(f).toContain('virt-install --connect');
    await press(s.screen, KEY.enter);
    await waitForText(s.screen, 'Apply "Create the virtual machine qvm" now?');
    await press(s.screen, 'y');
    f = await waitForFrame(s.screen, (x) => /✔ Applied|✘ Failed|✘ Not applied/.test(x), 60_000);
    expect(f).toContain('✔ Applied');
    expect(f).toContain('Connect with:');
    expect(f).toContain(`virsh -c ${fx.uri} console qvm`);
    expect(readStatus(systemRoot(fx.dir)).runs.flatMap((r) => r.steps).map((x) => `${x.id}:${x.state}`)).toContain('vm:applied');
  }, 90_000);
});

describe('sharing from the device browser', () => {
  it('s on a T4 opens its mdev screen: a type and a count, the exact mdevctl commands, apply, and the VM gets the mdev', async () => {
    const t4 = vmFixture(VGPU_T4_HOST);
    try {
      const s = startScenario(t4.dir, { columns: 100, rows: 40 });
      await waitForText(s.screen, 'Welcome to vfio-wizard');
      await press(s.screen, KEY.enter);
      await press(s.screen, 'n');
      await press(s.screen, 'n');
      let f = await waitForText(s.screen, 'Devices and IOMMU groups');
      // the BMC's display comes first; the first T4 next
      f = await press(s.screen, KEY.down);
      expect(f).toMatch(/› 3b:00\.0/);
      expect(f).toContain('Can be shared (s): mediated devices');
      expect(f).toMatch(/s share/);
      await press(s.screen, 's');
      f = await waitForText(s.screen, 'Share: mediated devices');
      expect(f).toMatch(/› nvidia-222 {2}GRID T4-1B · 15 available · 1 in use/);
      // a type with nothing left is refused on screen, with the reason
      await press(s.screen, KEY.down);
      f = await waitForText(s.screen, 'has 0 instances available');
      await press(s.screen, KEY.up);
      f = await press(s.screen, KEY.right);
      f = await waitForText(s.screen, '‹ 2 ›');
      f = await waitForText(s.screen, '2 to create with mdevctl (persistent)');
      await waitForText(s.screen, 'Enter shows exactly what changes.');
      await press(s.screen, KEY.enter);
      f = await waitForText(s.screen, 'Commands, in the order they will run');
      expect(f).not.toContain('Files (0)');
      expect(f.replace(/\s+/g, ' ').match(/mdevctl define --auto --uuid [0-9a-f-]{36} --parent 0000:3b:00\.0 --type nvidia-222/g)).toHaveLength(2);
      await press(s.screen, KEY.enter);
      await press(s.screen, 'y');
      f = await waitForFrame(s.screen, (x) => /✔ Applied|✘ Failed|✘ Not applied/.test(x));
      expect(f).toContain('✔ Applied');
      // back to the devices, on past isolation to the VM: the form starts with the new mdevs
      await press(s.screen, 'b');
      await waitForText(s.screen, 'Devices and IOMMU groups');
      await press(s.screen, 'n');
      await press(s.screen, 'n');
      f = await waitForText(s.screen, 'Mediated devices: ');
      expect(f.match(/[0-9a-f-]{36} on 0000:3b:00\.0/g)).toHaveLength(2);
    } finally {
      t4.cleanup();
    }
  });

  it('a device with nothing to share says why in its details, and s does nothing', async () => {
    const s = startScenario(fx.dir, { columns: 100, rows: 40 });
    await toDevices(s);
    let f = await press(s.screen, KEY.down);
    expect(f).toContain('Cannot be shared: Consumer NVIDIA GPUs cannot be shared');
    expect(f).not.toMatch(/s share/);
    f = await press(s.screen, 's', { expectChange: false });
    expect(f).toContain('Devices and IOMMU groups');
  });
});
