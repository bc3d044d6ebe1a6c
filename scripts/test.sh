#!/usr/bin/env bash
# Sets up (Debian packages, build) and runs every test through ctest.
#   STRATA_BUILD_DIR=dir   build directory (default: build)
#   extra arguments go to ctest, e.g. scripts/test.sh -R Contract
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
BUILD_DIR="${STRATA_BUILD_DIR:-build}"

# The disk-full tests need a small filesystem: as root, mount a 4 MiB tmpfs for them.
if [ -z "${STRATA_TEST_SMALL_FS:-}" ] && [ "$(id -u)" -eq 0 ]; then
  small=$(mktemp -d)
  if mount -t tmpfs -o size=4m tmpfs "$small" 2>/dev/null; then
    export STRATA_TEST_SMALL_FS="$small"
    trap 'umount "$small" 2>/dev/null; rmdir "$small"' EXIT
  else
    rmdir "$small"
    echo "test: cannot mount a tmpfs; the disk-full tests will be skipped" >&2
  fi
fi

cd "$BUILD_DIR"
ctest --output-on-failure -j "$(nproc)" --timeout 600 "$@"
