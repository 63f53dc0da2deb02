// A fast-check generator of /etc/default/grub files: quoting styles (unquoted with backslash
// escapes, single, double, concatenations), `$VAR` / `${VAR}` references and self-references,
// comments (full-line and trailing, with quotes in them), commented-out duplicates, several
// assignments of the key, `export`, `;`-joined statements, command substitutions in other keys,
// with or without a final newline. Each sample carries what sh must compute for the key — worked
// out here from the pieces, independently of the lexer under test — and where the value of the
// last assignment sits in the text.
import fc from 'fast-check';

export const GEN_KEY = 'GRUB_CMDLINE_LINUX_DEFAULT';
const EXTRA = 'EXTRA_OPTS';

export interface GeneratedGrubFile {
  text: string;
  /** the key's value once sh has sourced the file */
  expected: string;
  /** GRUB_CMDLINE_LINUX's value (never edited here) */
  expectedLinux: string;
  /** [start, end) of the last assignment's value word in `text` */
  valueStart: number;
  valueEnd: number;
}

const PLAIN = 'abcdefghijklmnopqrstuvwxyz0123456789';
const VALUE_CHARS = `${PLAIN},:/.=-_+@%$\\'\`#;&()|<>*?[]~{}!`;

const nameArb = fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789._-'.split('')), minLength: 0, maxLength: 5 }).map((s) => `x${s}`);
const valueArb = fc.string({ unit: fc.constantFrom(...VALUE_CHARS.split('')), minLength: 0, maxLength: 8 });
const tokenArb = fc.oneof(
  { weight: 3, arbitrary: nameArb },
  { weight: 4, arbitrary: fc.tuple(nameArb, valueArb).map(([n, v]) => `${n}=${v}`) },
  { weight: 1, arbitrary: fc.constantFrom('quiet', 'splash', 'ro', 'root=UUID=0307fdbf-fafd-47c2', 'intel-iommu=on', 'iommu=pt', 'vt.handoff=7', 'rd.lvm.lv=vg/root') },
);
const separatorArb = fc.constantFrom(' ', ' ', ' ', '  ', '\t');

/**
 * A raw command line (what the key should hold), possibly with `--` and init arguments. Only the
 * last assignment gets a `--`: one inside a referenced value leaves no place to insert before it
 * (the editor refuses that, tested on its own).
 */
const rawLineArb = (withInit: boolean) => fc
  .tuple(
    fc.array(fc.tuple(tokenArb, separatorArb), { minLength: 0, maxLength: 5 }),
    fc.boolean(),
    fc.constantFrom('', ' '),
    withInit ? fc.option(fc.array(nameArb, { minLength: 0, maxLength: 2 }), { freq: 6 }) : fc.constant(null),
  )
  .map(([pairs, leading, trailing, init]) => {
    let line = (leading && pairs.length > 0 ? ' ' : '') + pairs.map(([t, s], i) => (i === pairs.length - 1 ? t : t + s)).join('');
    if (init) line += `${line === '' ? '' : ' '}--${init.map((t) => ` ${t}`).join('')}`;
    return line + (line === '' ? '' : trailing);
  });

type Style = 'none' | 'single' | 'double';

function encode(chunk: string, style: Style): string {
  if (style === 'single' && !chunk.includes("'")) return `'${chunk}'`;
  if (style === 'none') return chunk.replace(/[^A-Za-z0-9,:/.=_+@%^-]/g, (c) => `\\${c}`);
  return `"${chunk.replace(/["\\$`]/g, (c) => `\\${c}`)}"`;
}

interface ValuePlan {
  word: string;
  value: string;
}

/** Encodes `raw` as a word: cut into chunks, each in its own quoting style, maybe with a reference in between. */
function valueWordArb(raw: string, refs: { name: string; value: string }[]): fc.Arbitrary<ValuePlan> {
  return fc
    .tuple(
      fc.uniqueArray(fc.integer({ min: 1, max: Math.max(1, raw.length - 1) }), { maxLength: raw.length > 1 ? 3 : 0 }),
      fc.array(fc.constantFrom<Style>('none', 'single', 'double'), { minLength: 4, maxLength: 4 }),
      fc.option(fc.tuple(fc.nat(3), fc.constantFrom(...(refs.length > 0 ? refs : [{ name: '', value: '' }])), fc.boolean(), fc.boolean())),
    )
    .map(([cuts, styles, ref]) => {
      const points = [0, ...cuts.sort((a, b) => a - b), raw.length];
      const chunks = points.slice(0, -1).map((p, i) => raw.slice(p, points[i + 1]));
      let word = '';
      let value = '';
      chunks.forEach((chunk, i) => {
        if (ref && ref[1].name !== '' && ref[0] === i) {
          const [, target, braced, inDouble] = ref;
          // Unbraced `$NAME` must not run into a following name character.
          const reference = braced || (chunk !== '' && styles[i % 4] === 'none' && /^[A-Za-z0-9_]/.test(chunk)) ? `\${${target.name}}` : `$${target.name}`;
          word += inDouble ? `"${reference}"` : reference;
          value += target.value;
        }
        if (chunk !== '' || chunks.length === 1) {
          const style = chunk === '' ? styles[i % 4] === 'none' ? 'double' : styles[i % 4]! : styles[i % 4]!;
          word += encode(chunk, style);
          value += chunk;
        }
      });
      return { word, value };
    });
}

const commentArb = fc.oneof(
  fc.constantFrom('# If you change this file, run \'update-grub\' afterwards', '#GRUB_CMDLINE_LINUX_DEFAULT="quiet splash"', '# "unbalanced \' quotes $(and) `stuff`', '#   info -f grub -n \'Simple configuration\'', `#${GEN_KEY}='old'`),
  fc.string({ unit: fc.constantFrom(...`${PLAIN} "'$\`#=`.split('')), maxLength: 20 }).map((s) => `#${s}`),
);
const fillerArb = fc.oneof(
  commentArb,
  fc.constant(''),
  fc.constantFrom('GRUB_DEFAULT=0', 'GRUB_TIMEOUT=5', 'GRUB_TIMEOUT_STYLE=hidden', 'GRUB_DISTRIBUTOR=`echo Debian`', 'GRUB_DISTRIBUTOR="$(echo Fedora Linux)"', 'export GRUB_COLOR_NORMAL="red/black"', 'GRUB_GFXMODE=640x480 # comment', 'GRUB_DISABLE_OS_PROBER=true; GRUB_DEFAULT=saved'),
);
const trailingCommentArb = fc.option(fc.constantFrom(' # trailing', '  # was "quiet" \'x\' $y', '\t#'), { freq: 3 });

export const grubFileArb: fc.Arbitrary<GeneratedGrubFile> = fc
  .tuple(
    fc.array(fillerArb, { maxLength: 4 }),
    rawLineArb(false),
    fc.array(rawLineArb(false), { minLength: 0, maxLength: 2 }),
    fc.option(rawLineArb(true), { freq: 8 }),
    fc.array(fillerArb, { maxLength: 3 }),
    rawLineArb(true),
    fc.boolean(),
  )
  .chain(([before, extraRaw, earlierRaws, lastRaw, after, linuxRaw, finalNewline]) => {
    const keyRaws = lastRaw === null ? [] : [...earlierRaws, lastRaw];
    const extra = { name: EXTRA, value: extraRaw };
    // Each assignment of the key may refer to EXTRA_OPTS and (after the first) to the key itself.
    const assignments = keyRaws.map((raw, index) =>
      fc.tuple(fc.boolean(), fc.boolean(), trailingCommentArb, fc.boolean()).chain(([exported, selfRef, comment, prefixed]) => {
        const refs = index > 0 && selfRef ? [{ name: GEN_KEY, value: '\u0000self' }] : [extra];
        return valueWordArb(raw, refs).map((plan) => {
          const prefix = `${prefixed ? 'GRUB_TIMEOUT=3; ' : ''}${exported ? 'export ' : ''}${GEN_KEY}=`;
          return { line: `${prefix}${plan.word}${comment ?? ''}`, value: plan.value, prefixLength: prefix.length, word: plan.word };
        });
      }),
    );
    return fc.tuple(fc.tuple(...assignments), valueWordArb(extraRaw, []), valueWordArb(linuxRaw, [])).map(([keyLines, extraWord, linuxWord]) => {
      const lines = [...before, `${EXTRA}=${extraWord.word}`, `GRUB_CMDLINE_LINUX=${linuxWord.word}`];
      let expected = '';
      let valueStart = -1;
      let valueEnd = -1;
      for (const keyLine of keyLines) {
        const offset = lines.reduce((n, l) => n + l.length + 1, 0);
        lines.push(keyLine.line);
        // The self-reference placeholder stands for the value before this assignment.
        const previous = expected;
        expected = keyLine.value.replace('\u0000self', () => previous);
        valueStart = offset + keyLine.prefixLength;
        valueEnd = valueStart + keyLine.word.length;
      }
      lines.push(...after);
      const text = lines.join('\n') + (finalNewline ? '\n' : '');
      return { text, expected, expectedLinux: linuxWord.value, valueStart, valueEnd };
    });
  });
