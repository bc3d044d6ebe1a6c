#!/usr/bin/env bash
# The HDF REST benchmark: the hdf plugin (docs/hdf.md) on the hdf5 backend, each figure next to
# a baseline measured in the same run:
#
#   1. metadata rate, GET /datasets/{id}                 vs GET /strata/health (wrk)
#   2. 64 MiB hyperslab of a float64 4096x4096 dataset, binary GET and raw binary PUT
#                                                        vs H5Dread/H5Dwrite of the same slab on a
#                                                           copy of the same file (strata_h5_direct),
#                                                           and the same 64 MiB sent and received
#                                                           by plain Poco (bench/poco_baseline.cpp,
#                                                           GET /big/raw, PUT /upload)
#   3. 100x100 binary hyperslab reads at random offsets  vs the same reads with H5Dread
#   4. 8 MiB selection as JSON (text and data MB/s)      vs the same selection as binary
#   5. a 1 GiB dataset streamed as binary: the server's  vs its resident memory just before
#      peak resident memory during the download
#   6. large JSON bodies on a 4 MiB float64 dataset:    vs the same requests against the server
#      value_base64 PUT, JSON value-list PUT, JSON GET      of BASE_BUILD_DIR (when given), in
#      (MB/s of JSON body)                                  the same run, alternately
#
#   JSON_ONLY=1 BASE_BUILD_DIR=/work/main/build bench/hdf_bench.sh   (section 6 alone)
#
#   BUILD_DIR=build-bench bench/hdf_bench.sh
#
# Knobs (environment): BUILD_DIR (default build), WRK_ROUNDS (3), WRK_DURATION (10s),
# WRK_THREADS (2), WRK_CONNECTIONS (16), SLAB_ROUNDS (5), JSON_ROUNDS (5), BIG_ROUNDS (3),
# TILE_SECONDS (5, for the direct tile loop), WAIT_LOAD (unset; e.g. 2: before measuring, wait
# until the 1-minute load average is below it, at most WAIT_MAX seconds, default 900),
# KEEP_WORK=1 keeps the temp directory (config, logs, .h5 files) for inspection.
# BASE_BUILD_DIR (unset): a second build (e.g. of the main branch) whose strata-server and
# plugins section 6 measures too, as its baseline; it is run, never built. BODY_ROUNDS (5):
# rounds of section 6. JSON_ONLY=1: only section 6 (no 1 GiB set-up, no sections 1-5).
#
# Layout, stated because every figure depends on it: float64 (H5T_IEEE_F64LE) datasets, chunked
# [256, 4096] (8 MiB chunks; in the 4096-column dataset a band of whole rows, so a row-range
# selection is whole chunks; larger than HDF5's default 1 MiB chunk cache, so HDF5 moves them
# without caching, and the backend reopens the dataset per request anyway), no filters, created
# with POST /datasets and filled with raw binary PUTs (Content-Type: application/octet-stream,
# ?select=). The hdf5 backend runs with its default flush = true (H5Fflush after each write, no
# fsync); the direct writes call H5Fflush too.
#
# As in bench/run_bench.sh: the test machine is shared and noisy, so every comparison is made
# within one run, alternately, and reported as median and range; load generator, server and
# HDF5 share the same cores, so the figures are relative, not absolute.
set -euo pipefail
shopt -s inherit_errexit
cd "$(dirname "$0")/.."
BENCH_NAME=hdf_bench
source bench/bench_lib.sh

BUILD_DIR=${BUILD_DIR:-build}
WRK_ROUNDS=${WRK_ROUNDS:-3}
WRK_DURATION=${WRK_DURATION:-10s}
WRK_THREADS=${WRK_THREADS:-2}
WRK_CONNECTIONS=${WRK_CONNECTIONS:-16}
SLAB_ROUNDS=${SLAB_ROUNDS:-5}
JSON_ROUNDS=${JSON_ROUNDS:-5}
BIG_ROUNDS=${BIG_ROUNDS:-3}
TILE_SECONDS=${TILE_SECONDS:-5}
BODY_ROUNDS=${BODY_ROUNDS:-5}
JSON_ONLY=${JSON_ONLY:-0}
BASE_BUILD_DIR=${BASE_BUILD_DIR:-}

# The datasets. SLAB: 4096x4096 float64 (128 MiB); the measured selection is its first 2048
# rows (64 MiB). BIG: 16384x8192 float64 (1 GiB), filled in bands of 1024 rows (64 MiB).
N=4096
CHUNK_ROWS=256
SLAB_ROWS=2048
SLAB_BYTES=$((SLAB_ROWS * N * 8))
JSON_ROWS=256  # [0:256, 0:4096] = 8 MiB of data
JSON_DATA_BYTES=$((JSON_ROWS * N * 8))
TILE=100
BIG_ROWS=16384
BIG_COLS=8192
BIG_BAND=1024
BIG_BYTES=$((BIG_ROWS * BIG_COLS * 8))
BODY_ROWS=512  # section 6: a 512x1024 float64 dataset, 4 MiB
BODY_BYTES=$((BODY_ROWS * 1024 * 8))

require_tools cmake curl wrk sha256sum awk

log "building in $BUILD_DIR"
cmake --build "$BUILD_DIR" --target strata-server strata_all_plugins strata_h5_direct strata_poco_baseline >&2
BUILD_ABS=$(cd "$BUILD_DIR" && pwd)
SERVER_BIN=$BUILD_ABS/bin/strata-server
DIRECT_BIN=$BUILD_ABS/bin/strata_h5_direct
BASELINE_BIN=$BUILD_ABS/bin/strata_poco_baseline

# Others' builds and tests on this box skew every figure; the report prints the load beside them.
wait_for_low_load
LOAD_AT_START=$(cut -d' ' -f1-3 /proc/loadavg)

# The temp directory and the processes to stop at exit (bench_lib.sh).
bench_workdir strata-hdf-bench

# ------------------------------------------------------------------ set-up

# start_server NAME BUILD-DIR: starts strata-server of that build with its own store directory;
# sets SERVER_PID and STRATA (its base URL).
start_server() {
  local name=$1 build=$2
  cat >"$WORK/$name.properties" <<EOF
server.address = 127.0.0.1
server.port = 0
server.portFile = $WORK/$name.port
server.accessLog = false
plugins.path = $build/lib/strata/plugins
# admin serves /strata/health, the small-request baseline; it needs blobs and annotations.
plugins.load = admin, hdf
stores.arrays.default.backend = hdf5
stores.arrays.default.path = $WORK/$name-h5
# The hdf plugin keeps its ACLs here.
stores.entities.default.backend = memory
stores.blobs.default.backend = memory
stores.annotations.default.backend = memory
auth.anonymous = true
$(anonymous_writes "$build")
EOF
  "$build/bin/strata-server" --config "$WORK/$name.properties" >"$WORK/$name-server.log" 2>&1 &
  SERVER_PID=$!
  PIDS+=("$SERVER_PID")
  STRATA=http://127.0.0.1:$(wait_for_port "$WORK/$name.port" "$SERVER_PID")
}

# ------------------------------------------------------------------ 6. JSON bodies (functions)

BODY_Q=host=bodies.test.hdfgroup.org
# json_bodies_setup BASE: prints the id of a new 4 MiB float64 dataset there, filled with the
# generated bytes by a raw binary PUT.
json_bodies_setup() {
  local base=$1 id
  api "$base" PUT "/?$BODY_Q" >/dev/null
  id=$(create_dataset "$base" "$BODY_Q" bodies "$BODY_ROWS" 1024 256 1024)
  put_binary "$base/datasets/$id/value?$BODY_Q" "$WORK/body.bin" >/dev/null
  echo "$id"
}
# json_bodies_files BASE ID: the two PUT bodies, made once from the first server's data so
# that every server gets the same bytes.
json_bodies_files() {
  { printf '{"value_base64": "'; base64 -w0 "$WORK/body.bin"; printf '"}'; } >"$WORK/body.b64.json"
  curl -sS -g --fail "$1/datasets/$2/value?$BODY_Q" | sed 's/,"hrefs".*$/}/' >"$WORK/body.list.json"
}
# put_json URL FILE: bytes/s of the JSON body.
put_json() {
  local code size total
  read -r code size total < <(curl -sS -g -o "$WORK/put.out" -X PUT -H 'Expect:' \
    -H 'Content-Type: application/json' --data-binary @"$2" -w '%{http_code} %{size_upload} %{time_total}\n' "$1")
  if [ "$code" != 200 ]; then log "PUT $1 answered $code: $(head -c 300 "$WORK/put.out")"; return 1; fi
  awk -v s="$size" -v t="$total" 'BEGIN {printf "%.0f\n", s / t}'
}
# json_bodies_round BASE ID PREFIX: one of each request; appends to PREFIX_B64, _LIST, _GET.
json_bodies_round() {
  local url="$1/datasets/$2/value?$BODY_Q" p=$3 b64 list s
  b64=$(put_json "$url" "$WORK/body.b64.json")
  list=$(put_json "$url" "$WORK/body.list.json")
  s=$(get_speed "$url" any)
  eval "${p}_B64+=($b64); ${p}_LIST+=($list); ${p}_GET+=(${s% *})"
}
# json_bodies_check BASE ID WHAT: the stored bytes are the generated ones.
json_bodies_check() { check_sha "$3" "$(get_sha "$1/datasets/$2/value?$BODY_Q")" "$BODY_SHA"; }
# start_base_server: with BASE_BUILD_DIR, its strata-server (BASE_URL, BASE_PID).
BASE_URL=""; BASE_PID=""
start_base_server() {
  [ -n "$BASE_BUILD_DIR" ] || return 0
  local keep_pid=$SERVER_PID keep_url=$STRATA
  start_server base "$(cd "$BASE_BUILD_DIR" && pwd)"
  BASE_URL=$STRATA BASE_PID=$SERVER_PID
  SERVER_PID=$keep_pid STRATA=$keep_url
  log "baseline strata-server at $BASE_URL (pid $BASE_PID)"
}
# json_bodies: section 6 against this build and, with BASE_BUILD_DIR, the baseline build.
json_bodies() {
  NEW_B64=(); NEW_LIST=(); NEW_GET=(); OLD_B64=(); OLD_LIST=(); OLD_GET=()
  "$DIRECT_BIN" gen "$WORK/body.bin" "$BODY_BYTES" 3
  BODY_SHA=$(sha256sum "$WORK/body.bin" | cut -d' ' -f1)
  local new_id old_id="" old_url=$BASE_URL round
  new_id=$(json_bodies_setup "$STRATA")
  json_bodies_files "$STRATA" "$new_id"
  if [ -n "$old_url" ]; then old_id=$(json_bodies_setup "$old_url"); fi
  for round in $(seq 1 "$BODY_ROUNDS"); do
    log "JSON body round $round/$BODY_ROUNDS"
    if [ -z "$old_url" ]; then
      json_bodies_round "$STRATA" "$new_id" NEW
    elif [ $((round % 2)) = 1 ]; then
      json_bodies_round "$STRATA" "$new_id" NEW; json_bodies_round "$old_url" "$old_id" OLD
    else
      json_bodies_round "$old_url" "$old_id" OLD; json_bodies_round "$STRATA" "$new_id" NEW
    fi
  done
  json_bodies_check "$STRATA" "$new_id" "JSON bodies, this build"
  if [ -n "$old_url" ]; then json_bodies_check "$old_url" "$old_id" "JSON bodies, baseline build"; fi
}
# body_row LABEL REFERENCE-MEDIAN VALUES...: one report row (as row() in the report below).
body_row() {
  local label=$1 ref=$2; shift 2
  local med; med=$(median "$@")
  echo "| $label | $(mbs "$med") | $(mbs "$(minimum "$@")")–$(mbs "$(maximum "$@")") | $# | ${ref:+$(ratio "$med" "$ref")} |"
}
json_bodies_report() {
  echo
  echo "#### 6. Large JSON bodies on a ${BODY_ROWS}x1024 float64 dataset ($((BODY_BYTES >> 20)) MiB), $BODY_ROUNDS round(s), MB/s of JSON body (10^6 bytes/s)"
  echo
  echo "Bodies: \`{\"value_base64\": ...}\` ($(stat -c %s "$WORK/body.b64.json") bytes); \`{\"value\": [[...], ...]}\` as the server's own JSON read writes the values ($(stat -c %s "$WORK/body.list.json") bytes); the JSON GET of the whole dataset. PUT: curl \`--data-binary\`, body bytes / time_total; GET: curl \`speed_download\`.${BASE_BUILD_DIR:+ Baseline: strata-server and plugins of \`$BASE_BUILD_DIR\` (commit $(git -C "$BASE_BUILD_DIR/.." rev-parse --short HEAD 2>/dev/null || echo '?')), measured alternately with this build in the same run.}"
  echo
  echo "| what | median MB/s | range | n | vs baseline |"
  echo "|---|---|---|---|---|"
  local k label ref
  for k in B64 LIST GET; do
    case $k in B64) label="PUT value_base64" ;; LIST) label="PUT value list" ;; GET) label="GET value (JSON)" ;; esac
    local -n now="NEW_$k" old="OLD_$k"
    ref=""; [ -n "$BASE_BUILD_DIR" ] && ref=$(median "${old[@]}")
    body_row "$label, this build" "$ref" "${now[@]}"
    if [ -n "$BASE_BUILD_DIR" ]; then body_row "$label, baseline build" "$ref" "${old[@]}"; fi
    unset -n now old
  done
  echo
  echo "Checked after the timed requests: a binary GET from each server returns the generated bytes (sha256)."
}

start_server strata "$BUILD_ABS"
log "strata-server at $STRATA (pid $SERVER_PID)"
start_base_server

if [ "$JSON_ONLY" = 1 ]; then
  cpu_start "$SERVER_PID" $BASE_PID
  json_bodies
  cpu_stop
  report_header "### hdf_bench.sh run, section 6 only (JSON_ONLY=1)" ", HDF5 $(pkg-config --modversion hdf5 2>/dev/null || echo '?')" \
    " Dataset: float64, chunks [256, 1024], no filters; hdf5 backend with flush = true."
  json_bodies_report
  exit 0
fi

# Two domains, so that the direct baseline can copy the 128 MiB file without the 1 GiB one.
SLAB_Q=host=bench.test.hdfgroup.org
BIG_Q=host=big.test.hdfgroup.org
SLAB_FILE=$WORK/strata-h5/test/bench.h5
DIRECT_FILE=$WORK/direct.h5

BIN=(-H 'Accept: application/octet-stream')

log "creating the datasets (chunks [$CHUNK_ROWS, $N], float64)"
api "$STRATA" PUT "/?$SLAB_Q" >/dev/null
api "$STRATA" PUT "/?$BIG_Q" >/dev/null
SLAB_ID=$(create_dataset "$STRATA" "$SLAB_Q" slab "$N" "$N" "$CHUNK_ROWS" "$N")
BIG_ID=$(create_dataset "$STRATA" "$BIG_Q" big "$BIG_ROWS" "$BIG_COLS" "$CHUNK_ROWS" "$N")

log "generating 2 x 64 MiB of float64 test data"
"$DIRECT_BIN" gen "$WORK/band0.bin" "$SLAB_BYTES" 1
"$DIRECT_BIN" gen "$WORK/band1.bin" "$SLAB_BYTES" 2
BAND0_SHA=$(sha256sum "$WORK/band0.bin" | cut -d' ' -f1)
BAND1_SHA=$(sha256sum "$WORK/band1.bin" | cut -d' ' -f1)

SLAB_SEL="[0:$SLAB_ROWS,0:$N]"
SLAB_PATH="/datasets/$SLAB_ID/value?$SLAB_Q&select=$SLAB_SEL"
log "filling the 128 MiB dataset and the 1 GiB dataset with raw binary PUTs"
put_binary "$STRATA$SLAB_PATH" "$WORK/band0.bin" >/dev/null
put_binary "$STRATA/datasets/$SLAB_ID/value?$SLAB_Q&select=[$SLAB_ROWS:$N,0:$N]" "$WORK/band1.bin" >/dev/null
for band in $(seq 0 $((BIG_ROWS / BIG_BAND - 1))); do
  put_binary "$STRATA/datasets/$BIG_ID/value?$BIG_Q&select=[$((band * BIG_BAND)):$(((band + 1) * BIG_BAND)),0:$BIG_COLS]" \
    "$WORK/band$((band % 2)).bin" >/dev/null
done
BIG_SHA=$(for _ in $(seq 1 $((BIG_ROWS / BIG_BAND / 2))); do cat "$WORK/band0.bin" "$WORK/band1.bin"; done |
  sha256sum | cut -d' ' -f1)

# The socket ceiling for the 64 MiB answer: plain Poco sending the same bytes from memory in
# 1 MiB sendBytes() calls, as Strata's BodyWriter does.
"$BASELINE_BIN" "$WORK/band0.bin" "$WORK/baseline.port" >"$WORK/baseline.log" 2>&1 &
BASELINE_PID=$!
PIDS+=("$BASELINE_PID")
BASE=http://127.0.0.1:$(wait_for_port "$WORK/baseline.port" "$BASELINE_PID")

# The direct baseline works on a copy of the file the server wrote (flushed after each PUT):
# the same layout, made the same way, and in the page cache like the server's.
cp "$SLAB_FILE" "$DIRECT_FILE"

# ------------------------------------------------------------------ correctness, once

check_sha "GET $SLAB_SEL (binary)" "$(get_sha "$STRATA$SLAB_PATH")" "$BAND0_SHA"
check_sha "GET [$SLAB_ROWS:$N,0:$N] (binary)" \
  "$(get_sha "$STRATA/datasets/$SLAB_ID/value?$SLAB_Q&select=[$SLAB_ROWS:$N,0:$N]")" "$BAND1_SHA"
check_sha "Poco baseline /big/raw" "$(curl -sS --fail "$BASE/big/raw" | sha256sum | cut -d' ' -f1)" "$BAND0_SHA"
check_sha "direct read of the copied file" \
  "$("$DIRECT_BIN" dump "$DIRECT_FILE" /slab 0 "$SLAB_ROWS" 0 "$N" | sha256sum | cut -d' ' -f1)" "$BAND0_SHA"
check_sha "GET tile [1234:1334,2345:2445] (binary) vs direct" \
  "$(get_sha "$STRATA/datasets/$SLAB_ID/value?$SLAB_Q&select=[1234:1334,2345:2445]")" \
  "$("$DIRECT_BIN" dump "$DIRECT_FILE" /slab 1234 $TILE 2345 $TILE | sha256sum | cut -d' ' -f1)"
check_sha "GET of the whole 1 GiB dataset (binary)" \
  "$(get_sha "$STRATA/datasets/$BIG_ID/value?$BIG_Q")" "$BIG_SHA"
# JSON: the text must hold one number per element.
json_values=$(curl -sS -g --fail "$STRATA/datasets/$SLAB_ID/value?$SLAB_Q&select=[0:$JSON_ROWS,0:$N]" |
  sed 's/,"hrefs".*//' | tr ',' '\n' | grep -c '[0-9]')
if [ "$json_values" != $((JSON_ROWS * N)) ]; then log "JSON read has $json_values values, expected $((JSON_ROWS * N))"; exit 1; fi
log "sha256 checks passed: PUT then GET, the direct read of the server's file, a tile, the 1 GiB stream; JSON has $json_values values"

# ------------------------------------------------------------------ CPU accounting (bench_lib.sh)

# This shell and everything it waited for (wrk, curl, strata_h5_direct), plus both servers.
cpu_start "$SERVER_PID" "$BASELINE_PID" $BASE_PID
WRK=(-t"$WRK_THREADS" -c"$WRK_CONNECTIONS" -d"$WRK_DURATION")

# ------------------------------------------------------------------ 1. metadata rate

META_RPS=(); HEALTH_RPS=()
for round in $(seq 1 "$WRK_ROUNDS"); do
  log "metadata round $round/$WRK_ROUNDS"
  if [ $((round % 2)) = 1 ]; then
    META_RPS+=("$(wrk_rps "${WRK[@]}" "$STRATA/datasets/$SLAB_ID?$SLAB_Q")")
    HEALTH_RPS+=("$(wrk_rps "${WRK[@]}" "$STRATA/strata/health")")
  else
    HEALTH_RPS+=("$(wrk_rps "${WRK[@]}" "$STRATA/strata/health")")
    META_RPS+=("$(wrk_rps "${WRK[@]}" "$STRATA/datasets/$SLAB_ID?$SLAB_Q")")
  fi
done

# ------------------------------------------------------------------ 2. 64 MiB hyperslab

# Every PUT and direct write stores band0 again, so the contents stay what was verified.
S_GET=(); S_PUT=(); D_READ=(); D_WRITE=(); D1_READ=(); D1_WRITE=(); RAW=(); UP=()
slab_server() {
  local s code size speed
  s=$(get_speed "$STRATA$SLAB_PATH" "$SLAB_BYTES" "${BIN[@]}"); S_GET+=("${s% *}")
  S_PUT+=("$(put_binary "$STRATA$SLAB_PATH" "$WORK/band0.bin")")
  read -r code size speed < <(curl -s -o /dev/null -w '%{http_code} %{size_download} %{speed_download}\n' "$BASE/big/raw")
  if [ "$code" != 200 ] || [ "$size" != "$SLAB_BYTES" ]; then log "$BASE/big/raw answered $code with $size bytes"; exit 1; fi
  RAW+=("$speed")
  # The upload ceiling: plain Poco reading the same 64 MiB request body and discarding it.
  read -r code size speed < <(curl -sS -o "$WORK/up.out" -X PUT -H 'Expect:' -H 'Content-Type: application/octet-stream' \
    --data-binary @"$WORK/band0.bin" -w '%{http_code} %{size_upload} %{time_total}\n' "$BASE/upload")
  if [ "$code" != 200 ] || ! grep -q "\"bytes\": $SLAB_BYTES}" "$WORK/up.out"; then log "$BASE/upload answered $code: $(cat "$WORK/up.out")"; exit 1; fi
  UP+=("$(awk -v s="$size" -v t="$speed" 'BEGIN {printf "%.0f\n", s / t}')")
}
slab_direct() {
  D_READ+=("$("$DIRECT_BIN" read "$DIRECT_FILE" /slab 0 "$SLAB_ROWS" 0 "$N")")
  D_WRITE+=("$("$DIRECT_BIN" write "$DIRECT_FILE" /slab 0 "$SLAB_ROWS" 0 "$N" "$WORK/band0.bin")")
  D1_READ+=("$("$DIRECT_BIN" --mem-1d read "$DIRECT_FILE" /slab 0 "$SLAB_ROWS" 0 "$N")")
  D1_WRITE+=("$("$DIRECT_BIN" --mem-1d write "$DIRECT_FILE" /slab 0 "$SLAB_ROWS" 0 "$N" "$WORK/band0.bin")")
}
for round in $(seq 1 "$SLAB_ROUNDS"); do
  log "64 MiB hyperslab round $round/$SLAB_ROUNDS"
  if [ $((round % 2)) = 1 ]; then slab_server; slab_direct; else slab_direct; slab_server; fi
done
# Direct figures are MB/s already; make them bytes/s like curl's (to_bps).
mapfile -t D_READ < <(to_bps "${D_READ[@]}"); mapfile -t D_WRITE < <(to_bps "${D_WRITE[@]}")
mapfile -t D1_READ < <(to_bps "${D1_READ[@]}"); mapfile -t D1_WRITE < <(to_bps "${D1_WRITE[@]}")

# ------------------------------------------------------------------ 3. 100x100 tiles

cat >"$WORK/tiles.lua" <<EOF
-- ${TILE}x${TILE} binary hyperslab reads at random offsets (written by bench/hdf_bench.sh)
local id, query, rows, cols, size = "$SLAB_ID", "$SLAB_Q", $N, $N, $TILE
wrk.headers["Accept"] = "application/octet-stream"
local seed = 1
function setup(thread) thread:set("seed", seed); seed = seed + 1 end
function init(args) math.randomseed(seed * 7919) end
function request()
  local r = math.random(0, rows - size)
  local c = math.random(0, cols - size)
  return wrk.format(nil, string.format("/datasets/%s/value?%s&select=[%d:%d,%d:%d]", id, query, r, r + size, c, c + size))
end
EOF
TILE_RPS=(); TILE1_RPS=(); D_TILES=(); D1_TILES=()
tiles_server() {
  TILE_RPS+=("$(wrk_rps "${WRK[@]}" -s "$WORK/tiles.lua" "$STRATA")")
  TILE1_RPS+=("$(wrk_rps -t1 -c1 -d"$WRK_DURATION" -s "$WORK/tiles.lua" "$STRATA")")
}
tiles_direct() {
  D_TILES+=("$("$DIRECT_BIN" tiles "$DIRECT_FILE" /slab "$TILE" "$TILE_SECONDS")")
  D1_TILES+=("$("$DIRECT_BIN" --mem-1d tiles "$DIRECT_FILE" /slab "$TILE" "$TILE_SECONDS")")
}
for round in $(seq 1 "$WRK_ROUNDS"); do
  log "${TILE}x${TILE} tile round $round/$WRK_ROUNDS"
  if [ $((round % 2)) = 1 ]; then tiles_server; tiles_direct; else tiles_direct; tiles_server; fi
done

# ------------------------------------------------------------------ 4. JSON

JSON_PATH="/datasets/$SLAB_ID/value?$SLAB_Q&select=[0:$JSON_ROWS,0:$N]"
J_TEXT=(); J_DATA=(); J_BIN=(); JSON_BYTES=0
for round in $(seq 1 "$JSON_ROUNDS"); do
  log "JSON round $round/$JSON_ROUNDS"
  s=$(get_speed "$STRATA$JSON_PATH" any)
  read -r speed JSON_BYTES <<<"$s"
  J_TEXT+=("$speed")
  J_DATA+=("$(awk -v s="$speed" -v j="$JSON_BYTES" -v d="$JSON_DATA_BYTES" 'BEGIN {printf "%.0f", s * d / j}')")
  s=$(get_speed "$STRATA$JSON_PATH" "$JSON_DATA_BYTES" "${BIN[@]}"); J_BIN+=("${s% *}")
done

# ------------------------------------------------------------------ 5. 1 GiB stream, memory

# Writing 5 to clear_refs resets VmHWM to the current RSS (Linux >= 4.0), so the peak of each
# download is its own, not that of an earlier PUT. VmRSS is also sampled every 20 ms, as a
# cross-check that does not depend on that reset.
kb() { awk -v k="$1" '$1 == k":" {print $2}' "/proc/$SERVER_PID/status"; }
B_SPEED=(); B_EXTRA_HWM=(); B_EXTRA_SAMPLED=(); B_RSS_BEFORE=()
for round in $(seq 1 "$BIG_ROUNDS"); do
  log "1 GiB stream round $round/$BIG_ROUNDS"
  echo 5 >"/proc/$SERVER_PID/clear_refs" ||
    log "cannot reset VmHWM; the VmHWM figure includes earlier peaks, the sampled one does not"
  before=$(kb VmRSS)
  ( while kill -0 "$SERVER_PID" 2>/dev/null; do kb VmRSS; sleep 0.02; done ) >"$WORK/rss.samples" &
  SAMPLER=$!
  s=$(get_speed "$STRATA/datasets/$BIG_ID/value?$BIG_Q" "$BIG_BYTES" "${BIN[@]}")
  kill "$SAMPLER"; wait "$SAMPLER" 2>/dev/null || true
  hwm=$(kb VmHWM)
  B_SPEED+=("${s% *}")
  B_RSS_BEFORE+=("$before")
  B_EXTRA_HWM+=($((hwm - before)))
  B_EXTRA_SAMPLED+=($(($(sort -n "$WORK/rss.samples" | tail -n1) - before)))
done

# ------------------------------------------------------------------ 6. JSON bodies

json_bodies

cpu_stop

# ------------------------------------------------------------------ report

mib() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }
report_header "### hdf_bench.sh run" ", HDF5 $(pkg-config --modversion hdf5 2>/dev/null || echo '?')" \
  " Datasets: float64, chunks [$CHUNK_ROWS, $N] (8 MiB), no filters; hdf5 backend with flush = true."
echo
echo "#### 1. Metadata: \`wrk -t$WRK_THREADS -c$WRK_CONNECTIONS -d$WRK_DURATION\`, $WRK_ROUNDS round(s), alternating"
echo
echo "| what | median req/s | range | n | vs health |"
echo "|---|---|---|---|---|"
m=$(median "${META_RPS[@]}"); h=$(median "${HEALTH_RPS[@]}")
echo "| \`GET /datasets/{id}?host=...\` | $(int "$m") | $(int "$(minimum "${META_RPS[@]}")")–$(int "$(maximum "${META_RPS[@]}")") | ${#META_RPS[@]} | $(ratio "$m" "$h") |"
echo "| \`GET /strata/health\` (baseline) | $(int "$h") | $(int "$(minimum "${HEALTH_RPS[@]}")")–$(int "$(maximum "${HEALTH_RPS[@]}")") | ${#HEALTH_RPS[@]} | 1.00 |"
echo
echo "#### 2. 64 MiB hyperslab \`[0:$SLAB_ROWS,0:$N]\` of the 4096x4096 float64 dataset, $SLAB_ROUNDS round(s), interleaved (MB/s = 10^6 bytes/s)"
echo
echo "Strata: \`curl -o /dev/null -w '%{speed_download}'\` with \`Accept: application/octet-stream\`; PUT with a raw binary body, bytes / time_total. Direct: \`strata_h5_direct\`, one H5Dread / H5Dwrite+H5Fflush of the slab into / from a 2-D memory dataspace, on a copy of the server's file. \"1-D memory\" is the same call with the memory described as a 1-D dataspace, as backends/hdf5 does (a diagnostic, not a target). The socket ceiling is plain Poco sending the same 64 MiB from memory (\`/big/raw\` of strata_poco_baseline), the upload ceiling plain Poco receiving it (\`PUT /upload\`, same curl command as Strata's PUT); the serial bound is what reading and then sending each byte costs, 1 / (1/direct + 1/ceiling), which is the most a server that does not overlap the two can reach."
echo
echo "| what | median MB/s | range | n | Strata / direct (aim >= 0.60) |"
echo "|---|---|---|---|---|"
row() {  # label, reference median (or empty), values...
  local label=$1 ref=$2; shift 2
  local med; med=$(median "$@")
  echo "| $label | $(mbs "$med") | $(mbs "$(minimum "$@")")–$(mbs "$(maximum "$@")") | $# | ${ref:+$(ratio "$med" "$ref")} |"
}
dr=$(median "${D_READ[@]}"); dw=$(median "${D_WRITE[@]}")
row "Strata \`GET .../value?select=$SLAB_SEL\` (binary)" "$dr" "${S_GET[@]}"
row "direct H5Dread (baseline)" "" "${D_READ[@]}"
row "direct H5Dread, 1-D memory dataspace" "" "${D1_READ[@]}"
row "socket ceiling: Poco, same 64 MiB from memory, 1 MiB sendBytes(); last column: ceiling / direct" "$dr" "${RAW[@]}"
rc=$(median "${RAW[@]}")
echo "| serial bound, 1 / (1/direct + 1/ceiling) of the medians; last column: bound / direct | $(mbs "$(awk -v d="$dr" -v r="$rc" 'BEGIN {print 1 / (1 / d + 1 / r)}')") | | | $(awk -v d="$dr" -v r="$rc" 'BEGIN {printf "%.2f", (1 / (1 / d + 1 / r)) / d}') |"
echo "| last column: Strata GET / serial bound | | | | $(awk -v s="$(median "${S_GET[@]}")" -v d="$dr" -v r="$rc" 'BEGIN {printf "%.2f", s / (1 / (1 / d + 1 / r))}') |"
row "Strata \`PUT .../value?select=$SLAB_SEL\` (raw binary body)" "$dw" "${S_PUT[@]}"
row "direct H5Dwrite + H5Fflush (baseline)" "" "${D_WRITE[@]}"
row "direct H5Dwrite + H5Fflush, 1-D memory dataspace" "" "${D1_WRITE[@]}"
row "upload ceiling: Poco reading the same 64 MiB body and discarding it; last column: ceiling / direct write" "$dw" "${UP[@]}"
uc=$(median "${UP[@]}")
echo "| last column: Strata PUT / upload ceiling; then the serial bound 1 / (1/direct write + 1/ceiling) | $(mbs "$(awk -v d="$dw" -v r="$uc" 'BEGIN {print 1 / (1 / d + 1 / r)}')") | | | $(ratio "$(median "${S_PUT[@]}")" "$uc"); $(awk -v s="$(median "${S_PUT[@]}")" -v d="$dw" -v r="$uc" 'BEGIN {printf "%.2f", s / (1 / (1 / d + 1 / r))}') of the bound |"
echo
echo "#### 3. ${TILE}x${TILE} binary hyperslab reads (80 kB each) at random offsets, $WRK_ROUNDS round(s), alternating"
echo
echo "| what | median reads/s | range | n |"
echo "|---|---|---|---|"
echo "| Strata, wrk -t$WRK_THREADS -c$WRK_CONNECTIONS -d$WRK_DURATION (Lua script varies the offset) | $(int "$(median "${TILE_RPS[@]}")") | $(int "$(minimum "${TILE_RPS[@]}")")–$(int "$(maximum "${TILE_RPS[@]}")") | ${#TILE_RPS[@]} |"
echo "| Strata, wrk -t1 -c1 -d$WRK_DURATION (one connection) | $(int "$(median "${TILE1_RPS[@]}")") | $(int "$(minimum "${TILE1_RPS[@]}")")–$(int "$(maximum "${TILE1_RPS[@]}")") | ${#TILE1_RPS[@]} |"
echo "| direct H5Dread loop, one thread, dataset kept open, ${TILE_SECONDS}s (baseline) | $(int "$(median "${D_TILES[@]}")") | $(int "$(minimum "${D_TILES[@]}")")–$(int "$(maximum "${D_TILES[@]}")") | ${#D_TILES[@]} |"
echo "| direct, 1-D memory dataspace | $(int "$(median "${D1_TILES[@]}")") | $(int "$(minimum "${D1_TILES[@]}")")–$(int "$(maximum "${D1_TILES[@]}")") | ${#D1_TILES[@]} |"
echo "| (for scale: \`GET /strata/health\`, section 1) | $(int "$h") | | |"
echo
echo "#### 4. JSON value read of \`[0:$JSON_ROWS,0:$N]\` ($((JSON_DATA_BYTES >> 20)) MiB of float64 = $JSON_BYTES bytes of JSON text), $JSON_ROUNDS round(s), interleaved with binary"
echo
echo "| what | median MB/s | range | n | vs binary |"
echo "|---|---|---|---|---|"
jb=$(median "${J_BIN[@]}")
row "JSON, text bytes" "" "${J_TEXT[@]}"
row "JSON, float64 data bytes" "$jb" "${J_DATA[@]}"
row "binary, same selection (baseline)" "$jb" "${J_BIN[@]}"
echo
echo "#### 5. 1 GiB binary stream (\`GET .../value\` of the 16384x8192 float64 dataset), $BIG_ROUNDS round(s)"
echo
echo "| what | median | range | n |"
echo "|---|---|---|---|"
echo "| server VmRSS just before (baseline) | $(mib "$(median "${B_RSS_BEFORE[@]}")") MiB | $(mib "$(minimum "${B_RSS_BEFORE[@]}")")–$(mib "$(maximum "${B_RSS_BEFORE[@]}")") MiB | ${#B_RSS_BEFORE[@]} |"
echo "| extra peak memory, VmHWM after - VmRSS before (aim < 64 MiB) | $(mib "$(median "${B_EXTRA_HWM[@]}")") MiB | $(mib "$(minimum "${B_EXTRA_HWM[@]}")")–$(mib "$(maximum "${B_EXTRA_HWM[@]}")") MiB | ${#B_EXTRA_HWM[@]} |"
echo "| extra memory, highest VmRSS sampled every 20 ms - before | $(mib "$(median "${B_EXTRA_SAMPLED[@]}")") MiB | $(mib "$(minimum "${B_EXTRA_SAMPLED[@]}")")–$(mib "$(maximum "${B_EXTRA_SAMPLED[@]}")") MiB | ${#B_EXTRA_SAMPLED[@]} |"
echo "| download speed | $(mbs "$(median "${B_SPEED[@]}")") MB/s | $(mbs "$(minimum "${B_SPEED[@]}")")–$(mbs "$(maximum "${B_SPEED[@]}")") MB/s | ${#B_SPEED[@]} |"
echo
echo "Checked once before timing: sha256 of binary GETs equals that of the bytes PUT (both bands of the 128 MiB dataset, and the whole 1 GiB dataset), the direct read of the server's file copy equals them too, a ${TILE}x${TILE} tile read by both matches, and the JSON read holds $((JSON_ROWS * N)) numbers."
json_bodies_report
