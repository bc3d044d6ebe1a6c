#!/usr/bin/env bash
# The storage benchmark of the rocksdb backend, each figure next to a baseline measured in the
# same run:
#
#   a. 64 MiB hyperslab of a float64 4096x4096 dataset, binary GET and raw binary PUT through
#      the hdf plugin with the arrays role on rocksdb  vs the same chunks read and written with
#                                                         plain RocksDB Get / WriteBatch
#                                                         (strata_rocksdb_direct, on a copy of
#                                                         the server's database), and the same
#                                                         64 MiB sent by plain Poco (the socket)
#   b. the same 64 MiB GET and PUT on the hdf5 backend  vs the same baselines as a
#      (a second server)
#   c. entity store rates, create / get / conditional  vs the RocksDB calls those operations
#      update (If-Match etag), memory and rocksdb         need, on the store's keys and records
#      stores (strata_entity_bench: no HTTP route         (strata_rocksdb_direct entities)
#      reaches the entities role as such)
#   d. the same 1 MiB selection read from a 16 MiB and  vs the same chunks read by direct Gets
#      from a 4 GiB float64 dataset on rocksdb (same        from the copy of the database
#      chunk shape), reads/s
#
#   BUILD_DIR=build-bench bench/rocksdb_bench.sh
#
# Knobs (environment): BUILD_DIR (default build), SLAB_ROUNDS (5), ENTITY_ROUNDS (5),
# ENTITY_N (50000 operations per phase), SEL_ROUNDS (3), SEL_DURATION (5s, wrk per dataset and
# round), SEL_SECONDS (5, the direct loop), HUGE_ROWS (32768: the 4 GiB dataset has HUGE_ROWS x
# 16384 float64; a multiple of 512; e.g. 1024 for a quick run), IDLE_MAX (300: the most seconds
# to wait for RocksDB's flushes and compactions after filling), WAIT_LOAD (unset; e.g. 2: before
# measuring, wait until the 1-minute load average is below it, at most WAIT_MAX seconds, default
# 900), KEEP_WORK=1 keeps the temp directory (configs, logs, databases) for inspection.
# Takes about 5 minutes at the defaults on the 2-vCPU development VM (4 min 46 s while others
# were compiling, of which about 70 s filling the 4 GiB dataset). Prints a Markdown report on
# stdout (for bench/RESULTS.md), progress on stderr.
#
# Set-up, stated because every figure depends on it:
# - Two strata-servers with the hdf plugin (docs/hdf.md): one with stores.arrays.default on the
#   rocksdb backend at its defaults (sync = false, lz4, 64 MiB block cache), one on the hdf5
#   backend at its defaults (flush = true). Entities (the plugin's ACLs) in memory, access log off.
# - Datasets: float64 (H5T_IEEE_F64LE), created with POST /datasets and filled with raw binary
#   PUTs (Content-Type: application/octet-stream, ?select=) of generated data (uniform doubles in
#   [-1000, 1000), which lz4 does not shrink). For a and b: 4096x4096 (128 MiB), chunks
#   [256, 4096] (8 MiB, bands of whole rows, so the measured selection [0:2048, 0:4096] is 8
#   whole chunks, as in hdf_bench.sh). For d: 2048x1024 (16 MiB) and HUGE_ROWSx16384 (4 GiB), both
#   in chunks [256, 256] (512 KiB); the selection [128:384, 128:640] (256x512 = 1 MiB) touches
#   6 chunks, in part. The 4 GiB dataset is filled whole (64 bands of 64 MiB, whole chunks), so
#   the database really holds 4 GiB, and both datasets of d live in that one database.
# - The direct baseline: after the fill and RocksDB's background work, the rocksdb server is
#   stopped (cleanly: RocksDB closes), its database directory is copied (table and blob files
#   hard-linked, as a RocksDB checkpoint does, since RocksDB never changes them; MANIFEST, WAL,
#   OPTIONS, CURRENT copied), and the server is started again on the original. Both then open
#   the same state, and strata_rocksdb_direct keeps the copy open in one session for the whole
#   run, as the server keeps its database, with the backend's options (checked: its OPTIONS file
#   equals the server's; the block cache size is not in that file and is set the same in the
#   code). The copy shares the page cache with the original, as both read the same files.
#   What the direct figures time is described at the top of bench/rocksdb_direct.cpp: Gets
#   into the selection's buffer; writes in batches of 64 MiB, whole-row chunks put straight from
#   the input.
# - After each write (a PUT, a direct write), the script waits until the writer is idle
#   (RocksDB flushes the 64 MiB memtable in the background) before the next measurement, so
#   no figure carries another's background work; neither side's write figure includes its flush.
#
# As in bench/run_bench.sh and hdf_bench.sh: the test machine is shared and noisy, so every
# comparison is made within one run, alternately, and reported as median and range; curl, wrk,
# the servers and RocksDB share the same cores, so the figures are relative, not absolute.
set -euo pipefail
shopt -s inherit_errexit
cd "$(dirname "$0")/.."
BENCH_NAME=rocksdb_bench
source bench/bench_lib.sh

BUILD_DIR=${BUILD_DIR:-build}
SLAB_ROUNDS=${SLAB_ROUNDS:-5}
ENTITY_ROUNDS=${ENTITY_ROUNDS:-5}
ENTITY_N=${ENTITY_N:-50000}
SEL_ROUNDS=${SEL_ROUNDS:-3}
SEL_DURATION=${SEL_DURATION:-5s}
SEL_SECONDS=${SEL_SECONDS:-5}
HUGE_ROWS=${HUGE_ROWS:-32768}
IDLE_MAX=${IDLE_MAX:-300}

# a, b: 4096x4096 float64 in [256, 4096] chunks; the measured selection is its first 2048 rows.
N=4096
CHUNK_ROWS=256
SLAB_ROWS=2048
SLAB_BYTES=$((SLAB_ROWS * N * 8))
# d: SMALL 2048x1024 (16 MiB) and HUGE HUGE_ROWSx16384, chunks [256, 256], filled in bands of
# 512 rows (64 MiB); the selection [128:384, 128:640].
SMALL_ROWS=2048
SMALL_COLS=1024
SMALL_BYTES=$((SMALL_ROWS * SMALL_COLS * 8))
HUGE_COLS=16384
HUGE_BAND=512
HUGE_BYTES=$((HUGE_ROWS * HUGE_COLS * 8))
SEL_CHUNK=256
SEL_R0=128 SEL_NR=256 SEL_C0=128 SEL_NC=512
SEL_BYTES=$((SEL_NR * SEL_NC * 8))
SEL_D="[$SEL_R0:$((SEL_R0 + SEL_NR)),$SEL_C0:$((SEL_C0 + SEL_NC))]"
# A diagnostic: one row more, 1 MiB + 4 KiB, just above the hdf plugin's 1 MiB threshold below
# which a value answer is buffered and sent with an Etag (a 64-bit hash of the body) instead of
# streamed (plugins/hdf/responses.h, AdaptiveBody).
SEL_D_PLUS="[$SEL_R0:$((SEL_R0 + SEL_NR + 1)),$SEL_C0:$((SEL_C0 + SEL_NC))]"
if [ $((HUGE_ROWS % HUGE_BAND)) != 0 ] || [ "$HUGE_ROWS" -lt "$HUGE_BAND" ]; then
  log "HUGE_ROWS must be a positive multiple of $HUGE_BAND"; exit 1
fi

require_tools cmake curl wrk sha256sum awk
log "building in $BUILD_DIR"
cmake --build "$BUILD_DIR" --target strata-server strata_all_plugins strata_h5_direct strata_poco_baseline \
  strata_rocksdb_direct strata_entity_bench >&2
BUILD_ABS=$(cd "$BUILD_DIR" && pwd)
SERVER_BIN=$BUILD_ABS/bin/strata-server
H5_DIRECT_BIN=$BUILD_ABS/bin/strata_h5_direct
DIRECT_BIN=$BUILD_ABS/bin/strata_rocksdb_direct
ENTITY_BIN=$BUILD_ABS/bin/strata_entity_bench
BASELINE_BIN=$BUILD_ABS/bin/strata_poco_baseline
PLUGIN_DIR=$BUILD_ABS/lib/strata/plugins

# Others' builds and tests on this box skew every figure; the report prints the load beside them.
wait_for_low_load
LOAD_AT_START=$(cut -d' ' -f1-3 /proc/loadavg)
START_SECONDS=$SECONDS

bench_workdir strata-rocksdb-bench
RDB=$WORK/rdb
COPY=$WORK/rdb-copy

# ------------------------------------------------------------------ servers

# write_config NAME BACKEND PATH: the configuration of one server.
write_config() {
  cat >"$WORK/$1.properties" <<EOF
server.address = 127.0.0.1
server.port = 0
server.portFile = $WORK/$1.port
server.accessLog = false
plugins.path = $PLUGIN_DIR
plugins.load = hdf
stores.arrays.default.backend = $2
stores.arrays.default.path = $3
# The hdf plugin keeps its ACLs here.
stores.entities.default.backend = memory
auth.anonymous = true
$(anonymous_writes "$BUILD_ABS")
EOF
}
# start_server NAME: starts it, sets SERVER_PID_<NAME> and URL_<NAME>.
start_server() {
  local name=$1 pid
  rm -f "$WORK/$name.port"
  "$SERVER_BIN" --config "$WORK/$name.properties" >>"$WORK/$name.log" 2>&1 &
  pid=$!
  PIDS+=("$pid")
  printf -v "SERVER_PID_$name" '%s' "$pid"
  printf -v "URL_$name" '%s' "http://127.0.0.1:$(wait_for_port "$WORK/$name.port" "$pid")"
  local url="URL_$name"
  log "strata-server ($name) at ${!url} (pid $pid)"
}
# forget_pid PID: a process that has ended, no longer to be stopped at exit.
forget_pid() {
  local keep=() p
  for p in "${PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
  PIDS=("${keep[@]}")
}
write_config rdb rocksdb "$RDB"
write_config h5 hdf5 "$WORK/h5"
start_server rdb
start_server h5

# ------------------------------------------------------------------ datasets

# Domains and the containers the hdf plugin keeps them in (docs/hdf.md: DNS style, reversed).
SLAB_Q=host=bench.test.hdfgroup.org SLAB_CONTAINER=test/bench
SCALE_Q=host=scale.test.hdfgroup.org SCALE_CONTAINER=test/scale
log "creating the datasets"
for base in "$URL_rdb" "$URL_h5"; do api "$base" PUT "/?$SLAB_Q" >/dev/null; done
api "$URL_rdb" PUT "/?$SCALE_Q" >/dev/null
RSLAB_ID=$(create_dataset "$URL_rdb" "$SLAB_Q" slab "$N" "$N" "$CHUNK_ROWS" "$N")
HSLAB_ID=$(create_dataset "$URL_h5" "$SLAB_Q" slab "$N" "$N" "$CHUNK_ROWS" "$N")
SMALL_ID=$(create_dataset "$URL_rdb" "$SCALE_Q" small "$SMALL_ROWS" "$SMALL_COLS" "$SEL_CHUNK" "$SEL_CHUNK")
HUGE_ID=$(create_dataset "$URL_rdb" "$SCALE_Q" huge "$HUGE_ROWS" "$HUGE_COLS" "$SEL_CHUNK" "$SEL_CHUNK")

log "generating 2 x 64 MiB of float64 test data"
"$H5_DIRECT_BIN" gen "$WORK/band0.bin" "$SLAB_BYTES" 1
"$H5_DIRECT_BIN" gen "$WORK/band1.bin" "$SLAB_BYTES" 2
head -c "$SMALL_BYTES" "$WORK/band0.bin" >"$WORK/small.bin"
BAND0_SHA=$(sha256sum "$WORK/band0.bin" | cut -d' ' -f1)
BAND1_SHA=$(sha256sum "$WORK/band1.bin" | cut -d' ' -f1)
SMALL_SHA=$(sha256sum "$WORK/small.bin" | cut -d' ' -f1)

SLAB_SEL="[0:$SLAB_ROWS,0:$N]"
HSLAB_URL="$URL_h5/datasets/$HSLAB_ID/value?$SLAB_Q&select=$SLAB_SEL"
log "filling the two 128 MiB datasets and the 16 MiB one with raw binary PUTs"
for base_id in "$URL_rdb $RSLAB_ID" "$URL_h5 $HSLAB_ID"; do
  read -r base id <<<"$base_id"
  put_binary "$base/datasets/$id/value?$SLAB_Q&select=$SLAB_SEL" "$WORK/band0.bin" >/dev/null
  put_binary "$base/datasets/$id/value?$SLAB_Q&select=[$SLAB_ROWS:$N,0:$N]" "$WORK/band1.bin" >/dev/null
done
put_binary "$URL_rdb/datasets/$SMALL_ID/value?$SCALE_Q" "$WORK/small.bin" >/dev/null

log "filling the $((HUGE_BYTES >> 20)) MiB dataset in $((HUGE_ROWS / HUGE_BAND)) bands of 64 MiB"
fill_start=$(date +%s.%N)
for band in $(seq 0 $((HUGE_ROWS / HUGE_BAND - 1))); do
  put_binary "$URL_rdb/datasets/$HUGE_ID/value?$SCALE_Q&select=[$((band * HUGE_BAND)):$(((band + 1) * HUGE_BAND)),0:$HUGE_COLS]" \
    "$WORK/band$((band % 2)).bin" >/dev/null
done
FILL_SECONDS=$(awk -v a="$fill_start" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}')
log "filled in ${FILL_SECONDS}s; waiting for RocksDB's flushes and compactions (at most ${IDLE_MAX}s)"
IDLE_WAIT=$(wait_for_idle "$SERVER_PID_rdb" "$IDLE_MAX")
log "the rocksdb server was idle after ${IDLE_WAIT}s"
# What the directory holds at this point: table files, and write-ahead log not yet released.
bytes_of() { local f t=0; for f in "$@"; do [ -e "$f" ] && t=$((t + $(stat -c %s "$f"))); done; echo "$t"; }
FILL_SST_BYTES=$(bytes_of "$RDB"/*.sst)
FILL_WAL_BYTES=$(bytes_of "$RDB"/*.log)

# ------------------------------------------------------------------ the copy for the direct baseline

log "stopping the rocksdb server, copying its database, starting it again"
kill -TERM "$SERVER_PID_rdb"
wait "$SERVER_PID_rdb" || { log "the rocksdb server exited with status $? at shutdown"; exit 1; }
forget_pid "$SERVER_PID_rdb"
mkdir "$COPY"
for f in "$RDB"/*; do
  case ${f##*/} in
    *.sst | *.blob) ln "$f" "$COPY/" ;;  # immutable once written: hard links, as a checkpoint
    LOCK | LOG | LOG.old.*) ;;          # RocksDB's own lock and text log
    *) cp "$f" "$COPY/" ;;
  esac
done
start_server rdb
RSLAB_URL="$URL_rdb/datasets/$RSLAB_ID/value?$SLAB_Q&select=$SLAB_SEL"
# The direct session: one process, the copy kept open across the run (see the top).
coproc DIRECT { exec "$DIRECT_BIN" session "$COPY" 2>"$WORK/direct.log"; }
DIRECT_PID_=$DIRECT_PID
PIDS+=("$DIRECT_PID_")
# direct COMMAND...: one command to the direct session; its answer line.
direct() {
  local line
  echo "$*" >&"${DIRECT[1]}"
  if ! IFS= read -r line <&"${DIRECT[0]}"; then
    log "the direct session ended: $(tail -n 3 "$WORK/direct.log")"; return 1
  fi
  echo "$line"
}
RSLAB_DSEL="$SLAB_CONTAINER $RSLAB_ID $CHUNK_ROWS $N 8 0 $SLAB_ROWS 0 $N"
SMALL_DSEL="$SCALE_CONTAINER $SMALL_ID $SEL_CHUNK $SEL_CHUNK 8 $SEL_R0 $SEL_NR $SEL_C0 $SEL_NC"
HUGE_DSEL="$SCALE_CONTAINER $HUGE_ID $SEL_CHUNK $SEL_CHUNK 8 $SEL_R0 $SEL_NR $SEL_C0 $SEL_NC"
# Both opened the same state (and flushed the WAL they found into a table file); let both settle.
direct dump $RSLAB_DSEL "$WORK/direct-slab.bin" >/dev/null
wait_for_idle "$SERVER_PID_rdb" "$IDLE_MAX" >/dev/null
wait_for_idle "$DIRECT_PID_" "$IDLE_MAX" >/dev/null
DB_BYTES=$(du -sb "$RDB" | cut -f1)

# The socket ceiling for the 64 MiB answer: plain Poco sending the same bytes from memory in
# 1 MiB sendBytes() calls, as Strata's body writer does.
"$BASELINE_BIN" "$WORK/band0.bin" "$WORK/baseline.port" >"$WORK/baseline.log" 2>&1 &
BASELINE_PID=$!
PIDS+=("$BASELINE_PID")
BASE=http://127.0.0.1:$(wait_for_port "$WORK/baseline.port" "$BASELINE_PID")

# ------------------------------------------------------------------ correctness, once

log "checking: values, the direct baseline's keys and options, the entity stores"
check_sha "rocksdb: GET $SLAB_SEL (binary)" "$(get_sha "$RSLAB_URL")" "$BAND0_SHA"
check_sha "rocksdb: GET [$SLAB_ROWS:$N,0:$N] (binary)" \
  "$(get_sha "$URL_rdb/datasets/$RSLAB_ID/value?$SLAB_Q&select=[$SLAB_ROWS:$N,0:$N]")" "$BAND1_SHA"
check_sha "hdf5: GET $SLAB_SEL (binary)" "$(get_sha "$HSLAB_URL")" "$BAND0_SHA"
check_sha "hdf5: GET [$SLAB_ROWS:$N,0:$N] (binary)" \
  "$(get_sha "$URL_h5/datasets/$HSLAB_ID/value?$SLAB_Q&select=[$SLAB_ROWS:$N,0:$N]")" "$BAND1_SHA"
check_sha "direct Gets of $SLAB_SEL from the copy (wrong container, id or chunk shape?)" \
  "$(sha256sum "$WORK/direct-slab.bin" | cut -d' ' -f1)" "$BAND0_SHA"
check_sha "rocksdb: GET of the whole 16 MiB dataset" "$(get_sha "$URL_rdb/datasets/$SMALL_ID/value?$SCALE_Q")" "$SMALL_SHA"
last=$((HUGE_ROWS / HUGE_BAND - 1))
check_sha "rocksdb: GET of the first band of the big dataset" \
  "$(get_sha "$URL_rdb/datasets/$HUGE_ID/value?$SCALE_Q&select=[0:$HUGE_BAND,0:$HUGE_COLS]")" "$BAND0_SHA"
check_sha "rocksdb: GET of the last band of the big dataset" \
  "$(get_sha "$URL_rdb/datasets/$HUGE_ID/value?$SCALE_Q&select=[$((last * HUGE_BAND)):$HUGE_ROWS,0:$HUGE_COLS]")" \
  "$([ $((last % 2)) = 0 ] && echo "$BAND0_SHA" || echo "$BAND1_SHA")"
for which in SMALL HUGE; do
  id_var=${which}_ID dsel_var=${which}_DSEL
  direct dump ${!dsel_var} "$WORK/direct-sel.bin" >/dev/null
  check_sha "$which: GET $SEL_D, server vs direct Gets from the copy" \
    "$(get_sha "$URL_rdb/datasets/${!id_var}/value?$SCALE_Q&select=$SEL_D")" \
    "$(sha256sum "$WORK/direct-sel.bin" | cut -d' ' -f1)"
done
check_sha "Poco baseline /big/raw" "$(curl -sS --fail "$BASE/big/raw" | sha256sum | cut -d' ' -f1)" "$BAND0_SHA"
# The newest OPTIONS file of each, but for the LOG's verbosity (not a data-path option).
options_of() { grep -v '^ *info_log_level=' "$(ls -t "$1"/OPTIONS-* | head -n1)"; }
if ! diff -q <(options_of "$RDB") <(options_of "$COPY") >/dev/null; then
  log "the direct session opened the copy with other options than the server:"
  diff <(options_of "$RDB") <(options_of "$COPY") >&2 || true
  exit 1
fi
# Entities: each answer checked in both stores, then the record the rocksdb store wrote against
# the one the direct baseline writes for the same operations (etag and times aside).
CHECK_N=2000
for backend in memory rocksdb; do
  out=$("$ENTITY_BIN" "$PLUGIN_DIR" "$backend" "$WORK/ent-check-$backend" "$CHECK_N" check)
  [ "$out" = ok ] || { log "strata_entity_bench $backend check: $out"; exit 1; }
done
"$DIRECT_BIN" entities "$WORK/ent-check-direct" "$CHECK_N" >/dev/null
strip_record() { sed -E 's/"etag":"[0-9a-f-]{36}"//; s/"(created|modified)":[0-9]+//g'; }
store_record=$("$DIRECT_BIN" entity "$WORK/ent-check-rocksdb" bench entity-000000 | strip_record)
direct_record=$("$DIRECT_BIN" entity "$WORK/ent-check-direct" bench entity-000000 | strip_record)
if [ "$store_record" != "$direct_record" ]; then
  log "entity records differ: store $store_record, direct $direct_record"; exit 1
fi
rm -rf "$WORK"/ent-check-*
log "checks passed"

# ------------------------------------------------------------------ measurements

cpu_start "$SERVER_PID_rdb" "$SERVER_PID_h5" "$BASELINE_PID" "$DIRECT_PID_"
# settle PID: waits until a writer's background work is done (see the top).
settle() { wait_for_idle "$1" 60 >/dev/null; }

# a, b. Every PUT and direct write stores band0 again, so the contents stay what was verified.
R_GET=(); R_PUT=(); H_GET=(); H_PUT=(); D_READ=(); D_WRITE=(); RAW=()
slab_rdb() {
  s=$(get_speed "$RSLAB_URL" "$SLAB_BYTES" -H 'Accept: application/octet-stream'); R_GET+=("${s% *}")
  R_PUT+=("$(put_binary "$RSLAB_URL" "$WORK/band0.bin")")
  settle "$SERVER_PID_rdb"
}
slab_h5() {
  s=$(get_speed "$HSLAB_URL" "$SLAB_BYTES" -H 'Accept: application/octet-stream'); H_GET+=("${s% *}")
  H_PUT+=("$(put_binary "$HSLAB_URL" "$WORK/band0.bin")")
}
slab_direct() {
  D_READ+=("$(direct read $RSLAB_DSEL 1)")
  D_WRITE+=("$(direct write $RSLAB_DSEL "$WORK/band0.bin" 1)")
  settle "$DIRECT_PID_"
}
slab_raw() {
  local code size speed
  read -r code size speed < <(curl -s -o /dev/null -w '%{http_code} %{size_download} %{speed_download}\n' "$BASE/big/raw")
  if [ "$code" != 200 ] || [ "$size" != "$SLAB_BYTES" ]; then log "$BASE/big/raw answered $code with $size bytes"; exit 1; fi
  RAW+=("$speed")
}
for round in $(seq 1 "$SLAB_ROUNDS"); do
  log "64 MiB hyperslab round $round/$SLAB_ROUNDS"
  if [ $((round % 2)) = 1 ]; then slab_rdb; slab_h5; slab_direct; slab_raw
  else slab_raw; slab_direct; slab_h5; slab_rdb; fi
done
mapfile -t D_READ < <(to_bps "${D_READ[@]}"); mapfile -t D_WRITE < <(to_bps "${D_WRITE[@]}")

# c. A fresh store per run; three programs, alternating.
E_MEM=(); E_RDB=(); E_DIRECT=()
entities_memory() { E_MEM+=("$("$ENTITY_BIN" "$PLUGIN_DIR" memory - "$ENTITY_N")"); }
entities_rocksdb() {
  E_RDB+=("$("$ENTITY_BIN" "$PLUGIN_DIR" rocksdb "$WORK/ent-rocksdb" "$ENTITY_N")")
  rm -rf "$WORK/ent-rocksdb"
}
entities_direct() {
  E_DIRECT+=("$("$DIRECT_BIN" entities "$WORK/ent-direct" "$ENTITY_N")")
  rm -rf "$WORK/ent-direct"
}
for round in $(seq 1 "$ENTITY_ROUNDS"); do
  log "entity round $round/$ENTITY_ROUNDS"
  if [ $((round % 2)) = 1 ]; then entities_memory; entities_rocksdb; entities_direct
  else entities_direct; entities_rocksdb; entities_memory; fi
done
# column K (1 create, 2 get, 3 update) of a list of "create get update" lines.
field_of() { local k=$1 line; shift; for line in "$@"; do awk -v k="$k" '{print $k}' <<<"$line"; done; }

# d. One connection (wrk -t1 -c1) against the direct loop in one thread. wrk takes the
# selection's brackets percent-encoded.
encode() { local x=${1//\[/%5B}; echo "${x//\]/%5D}"; }
S_SMALL=(); S_HUGE=(); S_PLUS=(); D_SMALL=(); D_HUGE=()
sel_wrk() {
  wrk_rps -t1 -c1 -d"$SEL_DURATION" -H 'Accept: application/octet-stream' \
    "$URL_rdb/datasets/$1/value?$SCALE_Q&select=$(encode "$2")"
}
sel_server() {
  S_SMALL+=("$(sel_wrk "$SMALL_ID" "$SEL_D")")
  S_HUGE+=("$(sel_wrk "$HUGE_ID" "$SEL_D")")
  S_PLUS+=("$(sel_wrk "$SMALL_ID" "$SEL_D_PLUS")")
}
sel_direct() {
  D_SMALL+=("$(direct reads $SMALL_DSEL "$SEL_SECONDS")")
  D_HUGE+=("$(direct reads $HUGE_DSEL "$SEL_SECONDS")")
}
for round in $(seq 1 "$SEL_ROUNDS"); do
  log "1 MiB selection round $round/$SEL_ROUNDS"
  if [ $((round % 2)) = 1 ]; then sel_server; sel_direct; else sel_direct; sel_server; fi
done

cpu_stop
echo quit >&"${DIRECT[1]}"

# ------------------------------------------------------------------ report

rocksdb_version=$(pkg-config --modversion rocksdb 2>/dev/null || dpkg-query -W -f='${Version}' librocksdb-dev 2>/dev/null || echo '?')
hdf5_version=$(pkg-config --modversion hdf5 2>/dev/null || echo '?')
gib() { awk -v b="$1" 'BEGIN {printf "%.2f", b / 1073741824}'; }
report_header "### rocksdb_bench.sh run" ", RocksDB $rocksdb_version, HDF5 $hdf5_version" \
  " rocksdb backend at its defaults (sync = false, lz4, 64 MiB block cache), hdf5 backend with flush = true; the whole run took $((SECONDS - START_SECONDS)) s."
echo
echo "#### a, b. 64 MiB hyperslab \`[0:$SLAB_ROWS,0:$N]\` of a 4096x4096 float64 dataset in [$CHUNK_ROWS, $N] chunks (8 MiB; the selection is 8 whole chunks), $SLAB_ROUNDS round(s), interleaved (MB/s = 10^6 bytes/s)"
echo
echo "Strata: \`curl -o /dev/null -w '%{speed_download}'\` with \`Accept: application/octet-stream\`; PUT with a raw binary body, bytes / time_total. Direct: \`strata_rocksdb_direct\` on a copy of the rocksdb server's database, kept open: the 8 chunks' Gets into the selection's buffer; the 8 chunks put in one WriteBatch straight from the input. The hdf5 rows are a second server on the hdf5 backend, same dataset, same data. The socket ceiling is plain Poco sending the same 64 MiB from memory (\`/big/raw\` of strata_poco_baseline); the serial bound, 1 / (1/direct + 1/ceiling), is the most a server that reads and then sends each byte, without overlapping the two, can reach."
echo
echo "| what | median MB/s | range | n | vs direct RocksDB (aim for reads >= 0.60) |"
echo "|---|---|---|---|---|"
row() {  # label, reference median (or empty), values...
  local label=$1 ref=$2; shift 2
  local med; med=$(median "$@")
  echo "| $label | $(mbs "$med") | $(mbs "$(minimum "$@")")–$(mbs "$(maximum "$@")") | $# | ${ref:+$(ratio "$med" "$ref")} |"
}
dr=$(median "${D_READ[@]}"); dw=$(median "${D_WRITE[@]}"); rc=$(median "${RAW[@]}")
bound=$(awk -v d="$dr" -v r="$rc" 'BEGIN {print 1 / (1 / d + 1 / r)}')
row "Strata, rocksdb: \`GET .../value?select=$SLAB_SEL\` (binary)" "$dr" "${R_GET[@]}"
row "direct RocksDB: 8 Gets into the selection's buffer (baseline)" "" "${D_READ[@]}"
row "Strata, hdf5: the same GET" "$dr" "${H_GET[@]}"
row "socket ceiling: Poco, same 64 MiB from memory, 1 MiB sendBytes(); last column: ceiling / direct" "$dr" "${RAW[@]}"
echo "| serial bound, 1 / (1/direct + 1/ceiling) of the medians; last column: bound / direct | $(mbs "$bound") | | | $(ratio "$bound" "$dr") |"
echo "| last column: Strata rocksdb GET / serial bound | | | | $(ratio "$(median "${R_GET[@]}")" "$bound") |"
row "Strata, rocksdb: \`PUT .../value?select=$SLAB_SEL\` (raw binary body)" "$dw" "${R_PUT[@]}"
row "direct RocksDB: one WriteBatch of the 8 chunks (baseline)" "" "${D_WRITE[@]}"
row "Strata, hdf5: the same PUT" "$dw" "${H_PUT[@]}"
echo
echo "rocksdb / hdf5 through Strata (medians): GET $(ratio "$(median "${R_GET[@]}")" "$(median "${H_GET[@]}")"), PUT $(ratio "$(median "${R_PUT[@]}")" "$(median "${H_PUT[@]}")")."
echo
echo "#### c. Entity store, one thread, $ENTITY_N operations per phase, a fresh store per run, $ENTITY_ROUNDS round(s), alternating (operations/s)"
echo
echo "\`strata_entity_bench\` opens the store through the core's StoreRegistry and the backend module, as the server does (no HTTP route reaches the entities role as such); bodies of about 100 bytes of JSON, gets and updates at random ids. Conditional update = \`update(..., ifMatch = the entity's etag)\`. Direct: \`strata_rocksdb_direct entities\`, the RocksDB calls each operation needs (create: Get + Put; get: Get; update: Get + etag compare + Put) on the same keys and records, without the store. Each cell: median (min–max)."
echo
echo "| operation | memory store | rocksdb store | direct RocksDB (baseline) | rocksdb store / direct |"
echo "|---|---|---|---|---|"
k=1
for op in "create" "get (\`find\`)" "conditional update (If-Match etag)"; do
  mapfile -t m < <(field_of "$k" "${E_MEM[@]}")
  mapfile -t r < <(field_of "$k" "${E_RDB[@]}")
  mapfile -t d < <(field_of "$k" "${E_DIRECT[@]}")
  echo "| $op | $(summary int "${m[@]}") | $(summary int "${r[@]}") | $(summary int "${d[@]}") | $(ratio "$(median "${r[@]}")" "$(median "${d[@]}")") |"
  k=$((k + 1))
done
echo
echo "#### d. The same 1 MiB selection \`$SEL_D\` (touches 6 of the [256, 256] chunks, 512 KiB each) from a 16 MiB and a $((HUGE_BYTES >> 20)) MiB float64 dataset, $SEL_ROUNDS round(s), alternating (reads/s)"
echo
echo "Both datasets in one database of $(gib "$DB_BYTES") GiB (\`du\` of the server's directory after the fill). The $((HUGE_BYTES >> 20)) MiB dataset was filled whole with $((HUGE_ROWS / HUGE_BAND)) raw binary PUTs of 64 MiB in ${FILL_SECONDS} s ($(awk -v b="$HUGE_BYTES" -v s="$FILL_SECONDS" 'BEGIN {printf "%.0f", (s > 0 ? b / s / 1e6 : 0)}') MB/s), after which RocksDB's background work took ${IDLE_WAIT} s more; the directory then held $(gib "$FILL_SST_BYTES") GiB of table files and $(gib "$FILL_WAL_BYTES") GiB of write-ahead log (released when the server restarted for the copy). Strata: \`wrk -t1 -c1 -d$SEL_DURATION\` (one connection, binary); direct: Gets of the 6 chunks into the selection's buffer in a loop, one thread, ${SEL_SECONDS} s. A 1 MiB answer is exactly at the hdf plugin's threshold: it is buffered and sent whole with an Etag (a 64-bit hash of the body), where a larger one is streamed; the diagnostic row reads one row more."
echo
echo "| what | 16 MiB dataset | $((HUGE_BYTES >> 20)) MiB dataset | big / small |"
echo "|---|---|---|---|"
echo "| Strata, rocksdb, \`GET .../value?select=$SEL_D\` | $(summary int "${S_SMALL[@]}") | $(summary int "${S_HUGE[@]}") | $(ratio "$(median "${S_HUGE[@]}")" "$(median "${S_SMALL[@]}")") |"
echo "| direct RocksDB (baseline) | $(summary int "${D_SMALL[@]}") | $(summary int "${D_HUGE[@]}") | $(ratio "$(median "${D_HUGE[@]}")" "$(median "${D_SMALL[@]}")") |"
echo "| Strata / direct (the direct loop sends nothing over a socket) | $(ratio "$(median "${S_SMALL[@]}")" "$(median "${D_SMALL[@]}")") | $(ratio "$(median "${S_HUGE[@]}")" "$(median "${D_HUGE[@]}")") | |"
echo "| diagnostic: Strata, one row more, \`$SEL_D_PLUS\` (1 MiB + 4 KiB: above the hdf plugin's 1 MiB threshold, so streamed, without the copy into a buffer and the Etag hash) | $(summary int "${S_PLUS[@]}") | | |"
echo
echo "Checked once before timing: sha256 of binary GETs equals that of the bytes PUT (both 64 MiB bands of the 128 MiB dataset on each backend, the whole 16 MiB dataset, the first and last band of the big one); the direct Gets from the copy give the same bytes for the 64 MiB selection and for the 1 MiB selection in both datasets (so the baseline reads the server's keys, values and chunk shape); the copy was opened with the server's options (OPTIONS files equal); the memory and rocksdb entity stores passed strata_entity_bench's checks ($CHECK_N entities: versions, etags, bodies, a stale etag refused with etag_mismatch, an existing id with Conflict), and the rocksdb store's record of one entity equals the direct baseline's after the same operations (etag and times aside)."
