// Where the firmware setup hides the switches a passthrough host needs, per CPU vendor. Menu
// names differ between board makers and firmware versions, so the text names the option first
// and gives a board maker's path only where that path is well established.
import type { CpuVendor } from '../host/types.js';

/** The firmware switch for CPU virtualization (VT-x / AMD-V). */
export function cpuVirtualizationMenu(vendor: CpuVendor): string {
  switch (vendor) {
    case 'intel':
      return (
        'Enable "Intel Virtualization Technology" (VT-x) in the firmware setup; it is usually under ' +
        'Advanced → CPU Configuration (MSI: OC → CPU Features).'
      );
    case 'amd':
      return (
        'Enable "SVM Mode" (AMD-V) in the firmware setup; it is usually under Advanced → CPU Configuration, ' +
        'on some boards under an overclocking menu (MSI: OC → Advanced CPU Configuration).'
      );
    default:
      return 'Enable the CPU virtualization extensions (VT-x / AMD-V / "SVM") in the firmware setup.';
  }
}

/** The firmware switch for the IOMMU (VT-d / AMD-Vi), which makes the firmware publish DMAR / IVRS. */
export function iommuMenu(vendor: CpuVendor): string {
  switch (vendor) {
    case 'intel':
      return (
        'Enable "VT-d" (also called "Intel Virtualization Technology for Directed I/O") in the firmware setup. ' +
        'ASUS: Advanced → System Agent (SA) Configuration → VT-d; MSI: OC → CPU Features → Intel VT-D Tech; ' +
        'elsewhere look under Advanced, Chipset or overclocking menus. If no such option exists, the CPU or ' +
        'chipset may lack VT-d (check the CPU maker\'s specification page).'
      );
    case 'amd':
      return (
        'Enable "IOMMU" (sometimes labelled "AMD-Vi") in the firmware setup, set to Enabled rather than Auto. ' +
        'On many boards it is under Advanced → AMD CBS → NBIO Common Options → IOMMU. "SVM Mode" (CPU ' +
        'virtualization) is a separate switch and must be on as well.'
      );
    default:
      return 'Enable the IOMMU ("VT-d", "AMD-Vi" or "IOMMU") in the firmware setup.';
  }
}

/** Resizable BAR and Above 4G decoding, named as most firmware setups name them. */
export const LARGE_BAR_MENU =
  'Keep "Above 4G Decoding" enabled in the firmware setup (devices with large BARs need it). If the guest ' +
  'shows Code 43 or a black screen, turn "Resizable BAR" ("Re-Size BAR Support") off, or shrink the BAR ' +
  'through its sysfs resource<N>_resize file (kernel 6.1 and later).';
