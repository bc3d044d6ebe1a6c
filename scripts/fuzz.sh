#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/) in their own build directory and runs each for a while.
#   scripts/fuzz.sh                 every target, 60 s each
#   scripts/fuzz.sh --smoke         every target, 10 s each (CI)
#   scripts/fuzz.sh --time 300 hdf_select hdf_query    chosen targets, 300 s each
#   STRATA_FUZZ_SECONDS=N           seconds per target (the default of --time)
#   STRATA_FUZZ_BUILD_DIR=dir       build directory (default: build-fuzz)
# The build uses clang++-14 with -fsanitize=fuzzer-no-link,address,undefined for the whole tree
# (UBSan reports abort: -fno-sanitize-recover=all). Each target starts from its seed corpus in
# fuzz/corpus/<target>/ (read only) and adds what it finds to <build>/corpus/<target>/. A crash,
# a sanitizer report, an unexpected exception, a leak, an input running over 10 s or memory over
# 2 GiB stops the target and saves the input under <build>/artifacts/<target>/ (not in git):
# reproduce it with `<build>/fuzz/<target> <file>`.
# Prints one line per target (executions, crashed or not); exits 1 if any target crashed.
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_EACH="${STRATA_FUZZ_SECONDS:-60}"
TARGETS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --smoke) SECONDS_EACH=10 ;;
    --time) SECONDS_EACH="$2"; shift ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) TARGETS+=("$1") ;;
  esac
  shift
done
ALL_TARGETS=(hdf_select hdf_points hdf_create hdf_value hdf_query slycat_hyperchunks slycat_multipart
  ufdl_filter_spec synapse_query core_auth core_users_file core_config admin_range)
[ "${#TARGETS[@]}" -eq 0 ] && TARGETS=("${ALL_TARGETS[@]}")

BUILD_DIR="${STRATA_FUZZ_BUILD_DIR:-build-fuzz}"
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$PWD}" CCACHE_NOHASHDIR=1
SAN="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_COMPILER=clang++-14 -DCMAKE_CXX_COMPILER_LAUNCHER=ccache \
    "-DCMAKE_CXX_FLAGS=$SAN" "-DCMAKE_SHARED_LINKER_FLAGS=-fsanitize=address,undefined" \
    -DSTRATA_FUZZ=ON -DSTRATA_BUILD_TESTS=OFF -DSTRATA_BUILD_BENCH=OFF >/dev/null
fi
cmake --build "$BUILD_DIR" -j "$(nproc)" --target strata_fuzz

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1}"
failed=0
printf '%-20s %12s %8s  %s\n' target executions seconds result
for t in "${TARGETS[@]}"; do
  bin="$BUILD_DIR/fuzz/$t"
  [ -x "$bin" ] || { echo "fuzz: no target $t" >&2; exit 2; }
  corpus="$BUILD_DIR/corpus/$t" artifacts="$BUILD_DIR/artifacts/$t/" log="$BUILD_DIR/logs/$t.log"
  mkdir -p "$corpus" "$artifacts" "$(dirname "$log")"
  status=0
  "$bin" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$artifacts" "$corpus" "fuzz/corpus/$t" >"$log" 2>&1 || status=$?
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  [ -n "$runs" ] || runs=$(grep -o 'Done [0-9]* runs' "$log" | grep -o '[0-9]*' | tail -1)
  if [ "$status" -eq 0 ]; then
    result="ok"
  else
    failed=1
    result="CRASHED (exit $status): $(grep -o "Test unit written to .*" "$log" | tail -1 | cut -c22-); log $log"
  fi
  printf '%-20s %12s %8s  %s\n' "$t" "${runs:-?}" "$SECONDS_EACH" "$result"
done
exit "$failed"
