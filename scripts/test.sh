#!/usr/bin/env bash
# Sets up (Debian packages, build) and runs every test through ctest.
#   STRATA_BUILD_DIR=dir   build directory (default: build)
#   extra arguments go to ctest, e.g. scripts/test.sh -R Contract
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
BUILD_DIR="${STRATA_BUILD_DIR:-build}"
# Run-time options of the sanitizer builds (STRATA_SANITIZE, scripts/setup.sh); nothing for
# other builds.
source scripts/sanitizer.env

# The disk-full tests need small filesystems: as root, mount a 4 MiB tmpfs for the fs blob
# store's test and a 64 MiB one for the rocksdb backend's tests (RocksDB's memtables must fit
# on the disk again before it takes writes after a disk-full). Each test skips, saying why,
# when its variable is unset.
mounted=()
cleanup() {
  for dir in "${mounted[@]}"; do
    umount "$dir" 2>/dev/null && rmdir "$dir"
  done
}
trap cleanup EXIT
mount_small() {  # variable size
  if [ -n "${!1:-}" ] || [ "$(id -u)" -ne 0 ]; then
    return
  fi
  local dir
  dir=$(mktemp -d)
  if mount -t tmpfs -o "size=$2" tmpfs "$dir" 2>/dev/null; then
    mounted+=("$dir")
    export "$1=$dir"
  else
    rmdir "$dir"
    echo "test: cannot mount a tmpfs; the tests that need $1 will be skipped" >&2
  fi
}
mount_small STRATA_TEST_SMALL_FS 4m
mount_small STRATA_TEST_SMALL_FS_ROCKSDB 64m

# Every tracked C++ file must be in the style of the root .clang-format (scripts/format.sh
# fixes them); checked after the tests, so a format slip does not hide test results.
rc=0
(cd "$BUILD_DIR" && ctest --output-on-failure -j "$(nproc)" --timeout 600 "$@") || rc=$?
if ! unformatted=$(scripts/format.sh --check); then
  echo "test: these files are not formatted (run scripts/format.sh):" >&2
  echo "$unformatted" >&2
  [ "$rc" -ne 0 ] || rc=1
fi
exit "$rc"
