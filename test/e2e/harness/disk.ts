// Whole-system guests: a copy of the cached Debian root with the built wizard and the host's node
// in it, written to an ext4 disk image (mkfs.ext4 -d: no loop device, no mount), booted by QEMU
// with that system's own kernel and initramfs — read back from the image after each boot with
// debugfs, so every boot uses exactly what the previous one left on the disk.
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { projectDir } from './guest.js';
import { copyDebianRoot, debianKernel } from './debian-root.js';

function run(argv: string[], timeoutMs = 600_000): string {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'latin1', timeout: timeoutMs, maxBuffer: 512 * 1024 * 1024 });
  if (r.error) throw new Error(`${argv.join(' ')}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`"${argv.join(' ')}" exited ${r.status}: ${r.stderr.slice(-2000)}`);
  return r.stdout;
}

export interface DiskSystem {
  image: string;
  kver: string;
  /** a file from the image, as it is now */
  read(systemPath: string): string;
  /** boots the image once with its own kernel and initramfs; resolves when it powered off */
  boot(o: { append: string; stage: string; timeoutMs?: number }): { serial: string; finished: boolean };
  cleanup(): void;
}

/** Debian with the wizard installed at /opt/vfio-wizard and /e2e/stage.sh as the test's init. */
export function makeDiskSystem(stageScript: string): DiskSystem {
  const copy = copyDebianRoot();
  const work = mkdtempSync(path.join(path.dirname(copy.dir), 'disk-'));
  try {
    const root = copy.dir;
    const kver = debianKernel(root);
    copyFileSync(process.execPath, path.join(root, 'usr/local/bin/node'));
    chmodSync(path.join(root, 'usr/local/bin/node'), 0o755);
    const app = path.join(root, 'opt/vfio-wizard');
    mkdirSync(app, { recursive: true });
    for (const part of ['bin', 'dist', 'package.json']) cpSync(path.join(projectDir, part), path.join(app, part), { recursive: true });
    mkdirSync(path.join(root, 'e2e'), { recursive: true });
    writeFileSync(path.join(root, 'e2e/stage.sh'), stageScript, { mode: 0o755 });
    writeFileSync(path.join(root, 'etc/fstab'), '/dev/vda / ext4 rw 0 1\n');
    // Under TCG every initramfs rebuild inside the guest costs minutes with Debian's MODULES=most;
    // MODULES=dep (a standard initramfs-tools setting) takes only what this machine needs. The
    // modules the wizard lists in /etc/initramfs-tools/modules are added either way, and the
    // host-side test (test/e2e/debian-root-isolate.test.ts) keeps the default.
    writeFileSync(path.join(root, 'etc/initramfs-tools/conf.d/e2e-modules-dep'), 'MODULES=dep\n');
    const image = path.join(work, 'disk.img');
    run(['mkfs.ext4', '-q', '-L', 'e2eroot', '-d', root, image, '4G']);
    copy.cleanup();
    const read = (p: string) => run(['debugfs', '-R', `cat ${p}`, image]);
    return {
      image,
      kver,
      read,
      boot({ append, stage, timeoutMs }) {
        const kernel = path.join(work, 'vmlinuz');
        const initrd = path.join(work, 'initrd');
        run(['debugfs', '-R', `dump /boot/vmlinuz-${kver} ${kernel}`, image]);
        run(['debugfs', '-R', `dump /boot/initrd.img-${kver} ${initrd}`, image]);
        const serial = path.join(work, `serial-${stage}.log`);
        spawnSync(
          'qemu-system-x86_64',
          [
            '-M', 'q35,kernel-irqchip=split', '-accel', 'tcg', '-cpu', 'max', '-m', '2G', '-smp', '2',
            '-nodefaults', '-display', 'none', '-no-reboot', '-monitor', 'none', '-serial', `file:${serial}`,
            '-device', 'intel-iommu,intremap=on,caching-mode=on',
            '-device', 'e1000e,netdev=n0', '-netdev', 'user,id=n0,restrict=on',
            '-device', 'VGA', '-device', 'ich9-intel-hda',
            '-drive', `file=${image},if=virtio,format=raw`,
            '-kernel', kernel, '-initrd', initrd,
            '-append', `${append} root=/dev/vda rw console=ttyS0 panic=-1 init=/e2e/stage.sh E2E_STAGE=${stage}`,
          ],
          { timeout: timeoutMs ?? 1_400_000 },
        );
        const text = readFileSync(serial, 'latin1');
        return { serial: text, finished: text.includes(`E2E-STAGE-END ${stage}`) };
      },
      cleanup() {
        rmSync(work, { recursive: true, force: true });
      },
    };
  } catch (err) {
    copy.cleanup();
    rmSync(work, { recursive: true, force: true });
    throw err;
  }
}
