#!/usr/bin/env bash
# Formats the tracked C++ sources with the root .clang-format (clang-format from Debian's
# clang-format package; scripts/setup.sh installs it).
#   scripts/format.sh          format in place
#   scripts/format.sh --check  list files that differ from the format; exit 1 if any
set -euo pipefail
cd "$(dirname "$0")/.."
command -v clang-format >/dev/null || { echo "format: clang-format is missing (apt-get install clang-format)" >&2; exit 2; }
mapfile -t files < <(git ls-files '*.cpp' '*.h')
if [ "${1:-}" = --check ]; then
  bad=0
  for f in "${files[@]}"; do
    if ! clang-format --style=file "$f" | cmp -s "$f" -; then echo "$f"; bad=1; fi
  done
  exit "$bad"
fi
clang-format --style=file -i "${files[@]}"
