// Kernel log lines that explain why passthrough does not work, recognised and explained in
// words (the symptoms list of DOMAIN.md). Pure: the scanner collects the lines, the readiness
// checks and the after-reboot check of isolation explain them.

export interface VfioSymptom {
  id: string;
  /** the log line it was found in */
  line: string;
  /** the PCI address the line names, when it names one */
  address: string | null;
  explanation: string;
}

interface Pattern {
  id: string;
  re: RegExp;
  explanation: string;
}

const PATTERNS: Pattern[] = [
  {
    id: 'group-not-viable',
    re: /group \d+ is not viable/i,
    explanation: 'The IOMMU group holds a device that is not on vfio-pci: every endpoint of the group must be bound to vfio-pci (or to no driver). Bind the rest of the group too, or move the card to a slot with a group of its own.',
  },
  {
    id: 'bar-cant-reserve',
    re: /BAR \d+: can't reserve/i,
    explanation: 'Another driver holds part of the card\'s memory — on the boot GPU usually the firmware framebuffer (efifb, simplefb, vesafb). Make another GPU primary in the firmware, or keep the framebuffer off this card (video=efifb:off, or initcall_blacklist=sysfb_init on newer kernels).',
  },
  {
    id: 'unknown-header',
    re: /Unknown PCI header type 127/i,
    explanation: 'The device did not come back after a reset (it reads as all ones): common on AMD Polaris, Vega and Navi cards. Reboot the host; for these cards the vendor-reset module helps.',
  },
  {
    id: 'amd-iommu-option',
    re: /AMD-Vi: Unknown option/i,
    explanation: 'An amd_iommu= value the kernel does not know, usually amd_iommu=on (not a valid value: the AMD IOMMU is on by default). Remove it from the kernel command line.',
  },
  {
    id: 'key-rejected',
    re: /Key was rejected by service/i,
    explanation: 'Secure Boot refused an unsigned module (vendor-reset, nvidia, an out-of-tree driver). Sign it with a key enrolled in MOK, or turn Secure Boot off.',
  },
  {
    id: 'vfio-probe-einval',
    re: /vfio[-_]pci .*probe.*failed with error -22|vfio[-_]pci: probe of .* failed with error -22/i,
    explanation: 'vfio-pci was refused the device (-22, EINVAL): most often the kernel has no IOMMU group for it (the IOMMU is off), or the device is one vfio-pci does not take (a bridge).',
  },
  {
    id: 'nvrm-usage-count',
    re: /NVRM: .*non-zero usage count/i,
    explanation: 'The NVIDIA driver still had the card in use when it was asked to let go. Stop what uses it (the display manager, nvidia-persistenced), or keep nvidia off the card at boot (the isolation step\'s softdep).',
  },
  {
    id: 'vgaarb-decodes',
    re: /vgaarb: (?:changed VGA decodes|VGA decodes changed)/i,
    explanation: 'The VGA arbiter moved legacy VGA decoding between cards. A black console right after this line is the boot GPU being handed to vfio-pci: expected when passing the boot GPU, otherwise look for the console on the other GPU.',
  },
];

/** Lines the scanner keeps for this: any of the patterns, or a vfio line. */
export const SYMPTOM_LINE = new RegExp([...PATTERNS.map((p) => p.re.source), 'vfio'].join('|'), 'i');

const ADDRESS = /\b((?:[0-9a-f]{4}:)?[0-9a-f]{2}:[0-9a-f]{2}\.[0-7])\b/i;

export function vfioSymptoms(lines: readonly string[]): VfioSymptom[] {
  const out: VfioSymptom[] = [];
  const seen = new Set<string>();
  for (const line of lines) {
    for (const p of PATTERNS) {
      if (!p.re.test(line)) continue;
      const raw = ADDRESS.exec(line)?.[1] ?? null;
      const address = raw === null ? null : (raw.length === 7 ? `0000:${raw}` : raw).toLowerCase();
      // the same complaint about the same device, logged again and again, is one symptom
      const key = `${p.id} ${address ?? line}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ id: p.id, line: line.trim(), address, explanation: p.explanation });
    }
  }
  return out;
}
