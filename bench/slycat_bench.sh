#!/usr/bin/env bash
# The benchmark of the slycat plugin (docs/slycat.md), on the hdf5 and rocksdb arrays backends,
# each figure next to a baseline measured in the same run:
#
#   a. binary GET .../data of a 64 MiB float64 hyperslice   vs ArrayStore::read of the same
#      (byteorder=little; one attribute of 8 Mi rows,          selection in-process, through
#      hyperchunks 0/0/...)                                    the same store
#                                                              (strata_slycat_store_bench)
#   b. binary PUT .../data of the same 64 MiB (multipart,    vs ArrayStore::write of the same
#      byteorder=little)                                        bytes in-process
#   and for a and b the loopback ceilings of the same run: plain Poco sending the 64 MiB from
#   memory (strata_poco_baseline GET /big/raw) and receiving the same multipart upload (PUT
#   /upload), which bound any HTTP figure whatever the store does
#   c. JSON GET .../data of the same hyperslice, MB/s of JSON and of values
#   d. on a 10^6-row float64 attribute: order:rank(a0, "asc")/0:100, and statistics= (the first
#      computes and caches the distinct values, the second reads the cache)
#   e. 10,000 single-row hyperslices (1/0/0|7|14|...) in one POST .../data, JSON
#
#   BUILD_DIR=build bench/slycat_bench.sh
#
# Knobs: BUILD_DIR (default build), ROUNDS (5), BACKENDS ("hdf5 rocksdb"), WAIT_LOAD (see
# bench_lib.sh), KEEP_WORK=1. Prints a Markdown report on stdout (for bench/RESULTS.md),
# progress on stderr. Each server: the slycat plugin alone, entities in memory, the arrays store
# on the backend at its defaults (hdf5: flush = true; rocksdb: sync = false, lz4), access log
# off, one user of a users file. The data are uniform doubles in [-1000, 1000) made by numpy.
# The in-process baseline runs after its server has stopped (both backends lock their files),
# on the same store directory.
set -euo pipefail
shopt -s inherit_errexit
cd "$(dirname "$0")/.."
BENCH_NAME=slycat_bench
source bench/bench_lib.sh

BUILD_DIR=${BUILD_DIR:-build}
ROUNDS=${ROUNDS:-5}
BACKENDS=${BACKENDS:-hdf5 rocksdb}
ROWS=$((8 * 1024 * 1024))  # 64 MiB of float64
BYTES=$((ROWS * 8))
SMALL=1000000

require_tools cmake curl awk /usr/bin/python3
log "building in $BUILD_DIR"
cmake --build "$BUILD_DIR" --target strata-server strata_all_plugins strata_slycat_store_bench strata_poco_baseline >&2
BUILD_ABS=$(cd "$BUILD_DIR" && pwd)
SERVER_BIN=$BUILD_ABS/bin/strata-server
STORE_BIN=$BUILD_ABS/bin/strata_slycat_store_bench
BASELINE_BIN=$BUILD_ABS/bin/strata_poco_baseline
PLUGIN_DIR=$BUILD_ABS/lib/strata/plugins

wait_for_low_load
LOAD_AT_START=$(cut -d' ' -f1-3 /proc/loadavg)
bench_workdir strata-slycat-bench

/usr/bin/python3 - "$WORK" "$ROWS" "$SMALL" <<'PY'
import sys, numpy
work, rows, small = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = numpy.random.default_rng(42)
rng.uniform(-1000, 1000, rows).astype("<f8").tofile(work + "/big.bin")
rng.uniform(-1000, 1000, small).astype("<f8").tofile(work + "/small.bin")
with open(work + "/rows.json", "w") as f:
    f.write('{"hyperchunks": "1/0/' + "|".join(str(i * 7) for i in range(10000)) + '"}')
PY
# The loopback ceilings: plain Poco sending the same 64 MiB from memory (GET /big/raw) and
# reading an upload of it and discarding it (PUT /upload, the same multipart curl command).
"$BASELINE_BIN" "$WORK/big.bin" "$WORK/baseline.port" >"$WORK/baseline.log" 2>&1 &
PIDS+=("$!")
POCO="http://127.0.0.1:$(wait_for_port "$WORK/baseline.port" "$!")"
hash=$(echo -n bench | "$SERVER_BIN" --hash-password)
echo "bench:$hash" >"$WORK/users"

# seconds CURL-ARGS...: curl's total time of one request; fails on a non-2xx answer.
seconds() { curl -sS --fail -u bench:bench -o /dev/null -w '%{time_total}\n' "$@"; }
rate() { awk -v b="$1" -v s="$2" 'BEGIN {printf "%.0f", b / s / 1e6}'; }
rates() { local b=$1 s; shift; for s in "$@"; do rate "$b" "$s"; echo; done; }
ms() { awk -v s="$1" 'BEGIN {printf "%.0f", s * 1000}'; }

REPORT=()
for backend in $BACKENDS; do
  store="$WORK/arrays-$backend"
  cat >"$WORK/$backend.properties" <<PROPS
server.address = 127.0.0.1
server.port = 0
server.portFile = $WORK/$backend.port
server.accessLog = false
plugins.path = $PLUGIN_DIR
plugins.load = slycat
auth.usersFile = $WORK/users
stores.arrays.default.backend = $backend
stores.arrays.default.path = $store
stores.entities.default.backend = memory
PROPS
  rm -f "$WORK/$backend.port"
  "$SERVER_BIN" --config "$WORK/$backend.properties" >"$WORK/$backend.log" 2>&1 &
  pid=$!
  PIDS+=("$pid")
  base="http://127.0.0.1:$(wait_for_port "$WORK/$backend.port" "$pid")"
  j=(-u bench:bench -sS --fail -H 'Content-Type: application/json')
  pid_=$(curl "${j[@]}" -X POST -d '{"name": "bench"}' "$base/api/projects" | json_field id)
  mid=$(curl "${j[@]}" -X POST -d '{"model-type": "generic", "name": "bench", "marking": ""}' \
    "$base/api/projects/$pid_/models" | json_field id)
  a="$base/api/models/$mid/arraysets/bench"
  curl "${j[@]}" -X PUT -d '{"input": true}' "$a"
  curl "${j[@]}" -X PUT -d "{\"dimensions\": [{\"name\": \"row\", \"end\": $ROWS}], \"attributes\": [{\"name\": \"v\", \"type\": \"float64\"}]}" "$a/arrays/0"
  curl "${j[@]}" -X PUT -d "{\"dimensions\": [{\"name\": \"row\", \"end\": $SMALL}], \"attributes\": [{\"name\": \"v\", \"type\": \"float64\"}]}" "$a/arrays/1"
  sid=$(curl "${j[@]}" "$base/api/models/$mid" | grep -o '"artifact:bench":"[0-9a-f]*"' | cut -d'"' -f4)
  log "$backend: storage $sid"
  seconds -X PUT -F hyperchunks=1/0/... -F byteorder=little -F "data=@$WORK/small.bin" "$a/data" >/dev/null

  cpu_start "$pid"
  put=() get=() json=() ceil_get=() ceil_put=()
  for _ in $(seq "$ROUNDS"); do
    put+=("$(seconds -X PUT -F hyperchunks=0/0/... -F byteorder=little -F "data=@$WORK/big.bin" "$a/data")")
    ceil_put+=("$(seconds -X PUT -F hyperchunks=0/0/... -F byteorder=little -F "data=@$WORK/big.bin" "$POCO/upload")")
    get+=("$(seconds "$a/data?hyperchunks=0/0/...&byteorder=little")")
    ceil_get+=("$(seconds "$POCO/big/raw")")
  done
  json_bytes=$(curl -sS --fail -u bench:bench "$a/data?hyperchunks=0/0/..." | wc -c)
  for _ in $(seq 3); do json+=("$(seconds "$a/data?hyperchunks=0/0/...")"); done
  rank=() stats=() rows=()
  for _ in 1 2; do
    rank+=("$(seconds -G --data-urlencode 'hyperchunks=1/0/order:rank(a0, "asc")/0:100' "$a/data")")
    stats+=("$(seconds "$a/metadata?statistics=1/0")")
    rows+=("$(seconds -X POST -H 'Content-Type: application/json' --data-binary "@$WORK/rows.json" "$a/data")")
  done
  cpu_stop
  kill "$pid"
  wait "$pid" 2>/dev/null || true
  direct=$("$STORE_BIN" "$PLUGIN_DIR" "$backend" "$store" "slycat/$sid" /array/0/attribute/0 "$ROUNDS")
  read -r -a direct_read <<<"$(sed -n 's/^read //p' <<<"$direct")"
  read -r -a direct_write <<<"$(sed -n 's/^write //p' <<<"$direct")"

  mapfile -t get_r < <(rates "$BYTES" "${get[@]}")
  mapfile -t put_r < <(rates "$BYTES" "${put[@]}")
  mapfile -t dr_r < <(rates "$BYTES" "${direct_read[@]}")
  mapfile -t dw_r < <(rates "$BYTES" "${direct_write[@]}")
  mapfile -t cg_r < <(rates "$BYTES" "${ceil_get[@]}")
  mapfile -t cp_r < <(rates "$BYTES" "${ceil_put[@]}")
  mapfile -t json_r < <(rates "$json_bytes" "${json[@]}")
  mapfile -t jsonv_r < <(rates "$BYTES" "${json[@]}")
  REPORT+=("| $backend (others took $OTHERS_PCT % of the CPU) | binary GET 64 MiB: $(summary int "${get_r[@]}") MB/s | ArrayStore::read: $(summary int "${dr_r[@]}") MB/s; socket ceiling (Poco): $(summary int "${cg_r[@]}") MB/s | $(ratio "$(median "${get_r[@]}")" "$(median "${dr_r[@]}")") of read; $(ratio "$(median "${get_r[@]}")" "$(median "${cg_r[@]}")") of ceiling |")
  REPORT+=("| $backend | binary PUT 64 MiB: $(summary int "${put_r[@]}") MB/s | ArrayStore::write: $(summary int "${dw_r[@]}") MB/s; upload ceiling (Poco): $(summary int "${cp_r[@]}") MB/s | $(ratio "$(median "${put_r[@]}")" "$(median "${dw_r[@]}")") of write; $(ratio "$(median "${put_r[@]}")" "$(median "${cp_r[@]}")") of ceiling |")
  REPORT+=("| $backend | JSON GET 64 MiB of values ($((json_bytes / 1000000)) MB of JSON): $(summary int "${json_r[@]}") MB/s of JSON, $(summary int "${jsonv_r[@]}") MB/s of values | | |")
  REPORT+=("| $backend | order:rank(a0, \"asc\")/0:100 on 10^6 rows: first $(ms "${rank[0]}") ms, again $(ms "${rank[1]}") ms | | |")
  REPORT+=("| $backend | statistics=1/0 on 10^6 rows: first (computes, caches) $(ms "${stats[0]}") ms, cached $(ms "${stats[1]}") ms | | |")
  REPORT+=("| $backend | 10,000 single-row hyperslices in one POST: $(ms "${rows[0]}") ms, again $(ms "${rows[1]}") ms | | |")
  log "$backend done (others used $OTHERS_PCT % of the CPU)"
done

# The header's CPU share is the last backend's; each backend's first row has its own.
report_header "### slycat_bench.sh" ", $ROUNDS rounds" " Command: \`BUILD_DIR=$BUILD_DIR bench/slycat_bench.sh\`."
echo
echo "| backend | through the slycat plugin (median (min–max)) | baseline, same run | ratio |"
echo "|---|---|---|---|"
printf '%s\n' "${REPORT[@]}"
