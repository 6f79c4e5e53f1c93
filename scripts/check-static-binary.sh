#!/bin/sh
# Checks a binary the Dockerfile built before it goes into the image (run inside the build
# stage, so plain POSIX sh and binutils' readelf only):
#   - an ELF executable for the architecture of TRIPLE (x86_64-* or aarch64-*);
#   - statically linked: no program interpreter, no NEEDED libraries (it must run on scratch);
#   - it carries the `.dep-v0` section cargo auditable writes (what scanners read).
#
#   check-static-binary.sh TRIPLE FILE
# Exit status: 0 all hold; 1 one does not (one line on stderr); 2 usage.
set -eu

[ "$#" -eq 2 ] || { echo "usage: check-static-binary.sh TRIPLE FILE" >&2; exit 2; }
triple=$1
file=$2
fail() {
  echo "check-static-binary: $file: $*" >&2
  exit 1
}
case "$triple" in
  x86_64-*) machine='Advanced Micro Devices X86-64' ;;
  aarch64-*) machine='AArch64' ;;
  *) echo "check-static-binary: unsupported target $triple" >&2; exit 2 ;;
esac
[ -f "$file" ] || fail "no such file"
header=$(readelf -h "$file" 2>/dev/null) || fail "not an ELF file"
printf '%s\n' "$header" | grep -q "Machine:[[:space:]]*$machine\$" || fail "not built for $triple"
printf '%s\n' "$header" | grep -Eq 'Type:[[:space:]]*(EXEC|DYN)' || fail "not an executable"
if readelf -l "$file" | grep -q 'Requesting program interpreter'; then
  fail "dynamically linked (has a program interpreter)"
fi
if readelf -d "$file" 2>/dev/null | grep -q '(NEEDED)'; then
  fail "dynamically linked (needs shared libraries)"
fi
readelf -S "$file" | grep -q '[[:space:]]\.dep-v0[[:space:]]' ||
  fail "no .dep-v0 section: cargo auditable did not embed the crate list"
echo "check-static-binary: $file: static $triple executable with .dep-v0"
