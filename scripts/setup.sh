#!/usr/bin/env bash
# Installs the Debian packages Strata needs (only those missing) and configures + builds the
# project with Ninja and ccache. Idempotent: fast when everything is already there.
#   scripts/setup.sh            install + build (Release with debug info)
#   STRATA_BUILD_DIR=dir        build directory (default: build)
#   STRATA_SKIP_BUILD=1         install only
#   STRATA_SANITIZE=address,undefined|thread   a sanitizer build (use its own build directory;
#                               docs/reliability.md, "Sanitizers")
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config clang-format
  libpoco-dev libhdf5-dev librocksdb-dev libboost-dev libssl-dev rapidjson-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  curl wrk hyperfine
  libarchive-dev
  libpq-dev libsqlite3-dev postgresql
  clang-14 libfuzzer-14-dev
  python3-h5py python3-numpy python3-requests python3-jwt
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq || true
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

[ "${STRATA_SKIP_BUILD:-0}" = 1 ] && exit 0

BUILD_DIR="${STRATA_BUILD_DIR:-build}"
# Relative paths in the compiler commands let clones in other directories share the cache.
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$PWD}"
# Debug info would otherwise put the build directory into every cache key.
export CCACHE_NOHASHDIR=1
# Room for the normal, sanitizer and fuzz builds side by side.
export CCACHE_MAXSIZE="${CCACHE_MAXSIZE:-20G}"
if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  cmake -S . -B "$BUILD_DIR" -G Ninja \
    -DCMAKE_BUILD_TYPE="${STRATA_BUILD_TYPE:-RelWithDebInfo}" \
    -DCMAKE_CXX_COMPILER_LAUNCHER=ccache \
    -DSTRATA_SANITIZE="${STRATA_SANITIZE:-}"
fi
cmake --build "$BUILD_DIR" -j "$(nproc)"
