// The real /etc/default/grub contents in ../shared/corpus/grub, decided file by file.
import { corpusBody, corpusFiles } from './corpus.js';

export interface GrubSample {
  /** corpus file and, for fragments, which line */
  label: string;
  text: string;
}

// Per-file decisions about what the real file content is:
// - centos7-lvm-vfio-ids-cat-with-prompt: the first body line is the shell prompt and the `cat`
//   command, not file content; the file starts on the next line (its trailing blank lines are
//   kept — they are what `cat` printed).
// - fragments-per-distro-…: a wiki page, not a file; every `GRUB_CMDLINE_LINUX…=` line on it is
//   taken as a one-line file of its own (the `options` line is a loader-entry fragment, tested
//   with the loader entries).
// - fragment-single-line-no-newline-…: the whole body is the file (one line, no final newline).
// - every other file: the body is the whole file.
export function grubCorpus(): GrubSample[] {
  const samples: GrubSample[] = [];
  for (const file of corpusFiles('grub')) {
    const body = corpusBody(file);
    if (file.includes('centos7-lvm-vfio-ids-cat-with-prompt')) {
      const [prompt, ...rest] = body.split('\n');
      if (!prompt!.includes('$ cat /etc/default/grub')) throw new Error(`${file}: expected a prompt line first`);
      samples.push({ label: file, text: rest.join('\n') });
    } else if (file.includes('fragments-per-distro')) {
      const lines = body.split('\n').filter((l) => /^GRUB_CMDLINE_LINUX(_DEFAULT)?=/.test(l));
      if (lines.length < 5) throw new Error(`${file}: expected the per-distro GRUB lines`);
      lines.forEach((line, index) => samples.push({ label: `${file} line ${index + 1}`, text: `${line}\n` }));
    } else {
      samples.push({ label: file, text: body });
    }
  }
  return samples;
}

export function fragmentOptionsLine(): string {
  const body = corpusBody('grub/fragments-per-distro-single-gpu-wiki-manjaro-opensuse-fedora-popos.txt');
  const line = body.split('\n').find((l) => l.startsWith('options '));
  if (!line) throw new Error('no options line in the fragments file');
  return line;
}
