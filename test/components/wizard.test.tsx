import { afterEach, describe, expect, it } from 'vitest';
import { App } from '../../components/App.js';
import { STATUS_SYMBOL } from '../../components/Readiness.js';
import { deviceDetailLines, deviceRow } from '../../components/DeviceBrowser.js';
import { buildGroups, filterGroups } from '../../src/iommu-view.js';
import { ServicesProvider, type WizardServices } from '../../components/services.js';
import type { WizardSession } from '../../src/wizard.js';
import { makeDevice, makeFacts } from '../support/facts.js';
import { keys as KEY, press, renderSized, waitForFrame, waitForText, type SizedRender } from '../support/ink.js';
import { assertFits, notReadyFacts, session } from './wizard-harness.js';

const screens: SizedRender[] = [];
afterEach(() => {
  for (const s of screens.splice(0)) s.unmount();
});

function show(s: WizardSession, opts: { services?: WizardServices; columns?: number; rows?: number } = {}) {
  const exits: number[] = [];
  const screen = renderSized(
    <ServicesProvider services={opts.services ?? {}}>
      <App session={s} onExit={(c) => exits.push(c)} />
    </ServicesProvider>,
    { columns: opts.columns ?? 80, rows: opts.rows ?? 24 },
  );
  screens.push(screen);
  return { screen, exits };
}

describe('the wizard in a terminal', () => {
  it('walks welcome → readiness → details → devices → filter → back', async () => {
    const ready = session();
    const { screen } = show(ready);
    await waitForText(screen, 'Welcome to vfio-wizard');
    expect(screen.lastFrame()).toContain('⏎ start');

    let f = await press(screen, KEY.enter);
    expect(f).toContain('2/7 Host readiness');
    expect(f).toContain(`› ✔ ${ready.checks[0]?.title}`);
    expect(f).not.toContain('Evidence:');

    // Open the third check: its evidence, why and remedy appear.
    await press(screen, KEY.down);
    await press(screen, KEY.down);
    f = await press(screen, KEY.enter);
    const third = ready.checks[2];
    expect(f).toContain('Evidence:');
    expect(f).toContain(`Why: ${third?.why.split(' ').slice(0, 3).join(' ')}`);
    f = await press(screen, KEY.left);
    expect(f).not.toContain('Evidence:');

    f = await press(screen, 'n');
    expect(f).toContain('3/7 Kernel command line'); // issue 5's step sits between readiness and devices
    f = await press(screen, 'n');
    expect(f).toContain('4/7 Devices and IOMMU groups');
    expect(f).toContain('GPUs and accelerators: 2 groups, 4 of 7 devices (group mates dimmed)');
    expect(f).toContain('IOMMU group 1 (3 devices)');
    expect(f).toContain('[boot GPU]');
    expect(f).not.toContain('Ethernet Connection'); // the NIC is not a GPU and shares no group with one

    f = await press(screen, 'f');
    expect(f).toContain('Everything: 5 groups, 7 devices');
    expect(f).toContain('[host]');
    f = await press(screen, 'f');
    expect(f).toContain('GPUs and accelerators');

    // The details pane follows the cursor.
    f = await press(screen, KEY.down);
    expect(f).toContain('0000:01:00.0 · VGA compatible controller (030000) · [10de:1b81]');
    expect(f).toContain('NVIDIA Corporation GP104 [GeForce GTX 1070]');
    expect(f).toMatch(/› 01:00\.0 \[10de:1b81\] VGA: NVIDIA GP104 \[GeForce GTX 1070\] +nouveau/);
    await press(screen, KEY.down);
    f = await press(screen, KEY.down);
    expect(f).toContain('0000:00:02.0 · VGA compatible controller (030000) · [8086:3e92]');
    expect(f).toContain('Boot GPU: the firmware and the console use it');

    await press(screen, 'b');
    f = await press(screen, 'b');
    expect(f).toContain('2/7 Host readiness');
  });

  it('applies Down Down Enter written back-to-back to the latest state', async () => {
    const ready = session();
    const { screen } = show(ready);
    await waitForText(screen, 'Welcome to vfio-wizard');
    await press(screen, KEY.enter);
    screen.stdin.write(KEY.down);
    screen.stdin.write(KEY.down);
    screen.stdin.write(KEY.enter);
    const f = await waitForText(screen, 'Evidence:');
    // The details header names the check that is open: the third, not one the keys passed over.
    const opened = ready.checks.filter((c) => f.includes(`${STATUS_SYMBOL[c.status]} ${c.title}: `));
    expect(opened.map((c) => c.id)).toEqual([ready.checks[2]?.id]);
  });

  it('shows a shared group and its dimmed group mates under the GPU filter', async () => {
    const devices = [
      makeDevice({ address: '0000:00:1c.0', class: '060400', iommuGroup: 12 }),
      makeDevice({ address: '0000:04:00.0', class: '020000', iommuGroup: 12, driver: 'igb', vendorName: 'Intel Corporation', deviceName: 'I210 Gigabit Network Connection' }),
      makeDevice({ address: '0000:05:00.0', class: '030200', iommuGroup: 12, driver: 'amdgpu', vendor: '1002', device: '74a1' }),
    ];
    const { screen } = show(session({ devices, iommuGroups: [{ id: 12, devices: devices.map((d) => d.address) }] }));
    await waitForText(screen, 'Welcome');
    await press(screen, KEY.enter);
    await press(screen, 'n');
    const f = await press(screen, 'n');
    expect(f).toContain('IOMMU group 12 (3 devices) — 2 cards share this group');
    expect(f).toContain('04:00.0 [8086:0000] Ethernet: Intel I210 Gigabit');
    expect(f).toMatch(/05:00\.0 \[1002:74a1\] 3D: Device 1002:74a1 +amdgpu \[shared group\]/);
    // The NIC is drawn dimmed (it is only there as the GPU's group mate); the GPU is not.
    const [group] = filterGroups(buildGroups(makeFacts({ devices })), 'gpu');
    const dimmed = (i: number) => group?.devices[i] && deviceRow(group.devices[i], false, 80).every((seg) => seg.dim);
    expect([dimmed(1), dimmed(2)]).toEqual([true, false]);
  });

  it('scrolls long details with PgDn and keeps the remedy above the evidence', async () => {
    const base = session();
    const evidence = Array.from({ length: 40 }, (_, i) => `kernel log line ${i + 1}`);
    const long: WizardSession = {
      ...base,
      checks: base.checks.map((c, i) => (i === 0 ? { ...c, status: 'fail', remedy: 'Turn it on.', evidence } : c)),
    };
    const { screen } = show(long);
    await waitForText(screen, 'Welcome');
    await press(screen, KEY.enter);
    let f = await press(screen, KEY.enter);
    expect(f).toContain('Fix: Turn it on.');
    expect(f).toContain('• kernel log line 1\n');
    expect(f).toMatch(/lines 1–\d+ of \d+ · PgUp\/PgDn scroll/);
    expect(f).toContain('PgUp/PgDn scroll');
    assertFits(f, 80, 24);
    f = await press(screen, '\u001B[6~');
    expect(f).toMatch(/lines 9–\d+ of/);
    expect(f).not.toContain('Fix: Turn it on.');
    for (let i = 0; i < 6; i++) f = await press(screen, '\u001B[6~', { expectChange: i < 3 });
    expect(f).toContain('• kernel log line 40');
    assertFits(f, 80, 24);
  });

  it('q ends the wizard through the exit owner, once', async () => {
    const { screen, exits } = show(session());
    await waitForText(screen, 'Welcome');
    screen.stdin.write('q');
    screen.stdin.write(KEY.ctrlC);
    await waitForFrame(screen, () => exits.length > 0);
    expect(exits).toEqual([0]);
  });
});

describe('a host that cannot do passthrough', () => {
  it('explains why on the welcome screen and offers the demo', async () => {
    const demo = session({}, true);
    let loads = 0;
    const { screen } = show(session(notReadyFacts), {
      services: {
        loadDemo: async () => {
          loads++;
          return demo;
        },
      },
    });
    let f = await waitForText(screen, 'This machine cannot do passthrough');
    expect(f).toContain('Press d to walk the wizard on a sample workstation');

    await press(screen, KEY.enter);
    f = await press(screen, 'n');
    expect(f).toContain('This host cannot do passthrough');
    expect(f).toContain('✘ CPU');
    expect(f).toContain('Fix:');
    expect(f).toContain('Press d to walk the whole wizard');

    f = await press(screen, 'd');
    f = await waitForText(screen, 'DEMO — sample workstation, nothing is run');
    expect(f).toContain('Welcome to vfio-wizard');
    expect(f).not.toContain('cannot do passthrough');
    expect(loads).toBe(1);
  });

  it('points at --demo when no demo loader is available', async () => {
    const { screen } = show(session(notReadyFacts));
    const f = await waitForText(screen, 'This machine cannot do passthrough');
    expect(f).toContain('vfio-wizard --demo');
    expect(f).not.toContain('Press d');
  });

  it('reports a demo that could not be prepared', async () => {
    const { screen } = show(session(notReadyFacts), {
      services: { loadDemo: () => Promise.reject(new Error('no space left on device')) },
    });
    await waitForText(screen, 'Press d');
    await press(screen, 'd');
    const f = await waitForText(screen, 'The demo could not be prepared');
    expect(f).toContain('no space left on device');
  });
});

describe('layout', () => {
  const keysToEveryScreen: [string, string[]][] = [
    ['welcome', []],
    ['readiness', [KEY.enter]],
    ['readiness details', [KEY.enter, KEY.down, KEY.down, KEY.enter]],
    ['cmdline', [KEY.enter, 'n']],
    ['devices', [KEY.enter, 'n', 'n']],
    ['devices, everything', [KEY.enter, 'n', 'n', 'f']],
    ['summary', [KEY.enter, 'n', 'n', 'n']],
  ];
  for (const [columns, rows] of [
    [80, 24],
    [60, 20],
  ] as const) {
    for (const [name, keys] of keysToEveryScreen) {
      it(`${name} fits ${columns}x${rows}`, async () => {
        const { screen } = show(session({}, true), { columns, rows });
        await waitForText(screen, 'DEMO');
        for (const k of keys) await press(screen, k);
        assertFits(screen.lastFrame(), columns, rows);
      });
    }
  }

  it('fits the not-ready screen at 60x20, and reflows on resize', async () => {
    const { screen } = show(session(notReadyFacts), { columns: 100, rows: 30 });
    await waitForText(screen, 'cannot do passthrough');
    await press(screen, KEY.enter);
    await press(screen, 'n');
    const before = screen.lastFrame();
    screen.resize(60, 20);
    const f = await waitForFrame(screen, (fr) => fr !== before);
    assertFits(f, 60, 20);
    expect(f).toContain('This host cannot do passthrough');
  });

  it('keeps the highlighted device visible when the list scrolls', async () => {
    const devices = Array.from({ length: 30 }, (_, i) =>
      makeDevice({ address: `0000:${(i + 1).toString(16).padStart(2, '0')}:00.0`, class: '030200', iommuGroup: i + 1 }),
    );
    const { screen } = show(
      session({ devices, iommuGroups: devices.map((d, i) => ({ id: i + 1, devices: [d.address] })) }),
      { columns: 80, rows: 24 },
    );
    await waitForText(screen, 'Welcome');
    await press(screen, KEY.enter);
    await press(screen, 'n');
    await press(screen, 'n');
    for (let i = 0; i < 20; i++) await press(screen, KEY.down);
    const f = screen.lastFrame();
    expect(f).toMatch(/› 15:00\.0/);
    expect(f).not.toContain('IOMMU group 1 (');
    assertFits(f, 80, 24);
  });
});

describe('device details', () => {
  it('give each large BAR with its size, and say only "large BAR" for a device without the list', () => {
    const gpu = makeDevice({ address: '0000:01:00.0', class: '030000', iommuGroup: 1, largeBar: true, largeBars: [{ bar: 1, start: '0x38000000000', size: 16 * 1024 ** 3 }, { bar: 3, start: '0x4000000000', size: 256 * 1024 ** 2 }] });
    const text = (d: typeof gpu) => {
      const group = buildGroups(makeFacts({ devices: [d] })).find((g) => g.devices.some((r) => r.device.address === d.address))!;
      const row = group.devices.find((r) => r.device.address === d.address)!;
      return deviceDetailLines(row, group, 100).map((l) => l.map((seg) => seg.text).join('')).join('\n');
    };
    expect(text(gpu)).toContain('large BAR 1: 16 GiB, 3: 256 MiB');
    expect(text({ ...gpu, largeBars: [] })).toMatch(/large BAR(?! \d)/);
    expect(text({ ...gpu, largeBar: false, largeBars: [] })).not.toContain('large BAR');
  });
});
