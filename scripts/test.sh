#!/usr/bin/env bash
# Sets up (Debian packages, build) and runs every test through ctest.
#   STRATA_BUILD_DIR=dir   build directory (default: build)
#   extra arguments go to ctest, e.g. scripts/test.sh -R Contract
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
BUILD_DIR="${STRATA_BUILD_DIR:-build}"
cd "$BUILD_DIR"
ctest --output-on-failure -j "$(nproc)" --timeout 600 "$@"
