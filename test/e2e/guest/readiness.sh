#!/bin/sh
# Guest scenario 1 (readiness): runs inside the QEMU guest only. Records the kernel's own view
# (IOMMU groups from sysfs, ACPI tables, kernel log) next to the wizard's `scan --json` and
# `check --json`, so the host-side test can compare the two.
[ "${E2E_GUEST:-}" = 1 ] || { echo "refusing to run outside the e2e guest" >&2; exit 97; }
project=$(cat /tmp/project-dir)
out=/e2e-share
for d in /sys/kernel/iommu_groups/*/devices/*; do
  [ -e "$d" ] || continue
  g=${d#/sys/kernel/iommu_groups/}
  echo "${g%%/*} ${d##*/}"
done > "$out/sysfs-groups.txt"
ls /sys/firmware/acpi/tables > "$out/acpi-tables.txt" 2>&1
cp /tmp/guest-dmesg.txt "$out/dmesg.txt"
node "$project/bin/vfio-wizard.js" scan --json > "$out/scan.json" 2> "$out/scan.err"
echo $? > "$out/scan.rc"
node "$project/bin/vfio-wizard.js" check --json > "$out/check.json" 2> "$out/check.err"
echo $? > "$out/check.rc"
exit 0
