#!/usr/bin/env bash
# The load test: 256 keep-alive connections for a minute against a mix of metadata and value
# routes (bench/load_mix.lua), next to a baseline measured in the same run: the same wrk against
# GET /strata/health. One server: hdf on the hdf5 backend, synapse and ufdl on rocksdb, blobs on
# fs, anonymous writes off (the default), a users file with one user whose Basic credentials every
# request carries.
#
#   bench/load_test.sh                  (BUILD_DIR=build; prints a Markdown report on stdout)
#
# What it checks and reports: requests/s, latency percentiles (wrk --latency), non-2xx answers
# and socket errors (connect, read, write, timeout), which must all be 0 (the script exits 1
# otherwise, after the report), and the server's resident memory (VmRSS) sampled every 5 s from
# /proc/PID/status during the measured minute, after a warm-up with the same mix: it must stay
# flat.
#
# Knobs (environment): BUILD_DIR (build), CONNECTIONS (256), THREADS (2, wrk's), DURATION (60s),
# WARMUP (15s), BASELINE_DURATION (20s), TIMEOUT (10s: wrk counts a request without an answer
# within it as a timeout error), SERVER_THREADS (CONNECTIONS + 32), SERVER_QUEUE (2 x CONNECTIONS),
# WAIT_LOAD / WAIT_MAX (bench_lib.sh), KEEP_WORK=1 keeps the temp directory.
#
# The server settings a deployment needs for this many clients: one connection thread per
# keep-alive connection (server.threads at least the number of concurrent clients; a connection
# beyond it waits in the queue, unserved, until another connection closes), server.queue for
# bursts of new connections (the listen backlog is max(queue, 64)), and a file-descriptor limit
# above threads + queue + the stores' files (ulimit -n; RocksDB keeps its files open).
set -euo pipefail
shopt -s inherit_errexit
cd "$(dirname "$0")/.."
BENCH_NAME=load_test
source bench/bench_lib.sh

BUILD_DIR=${BUILD_DIR:-build}
CONNECTIONS=${CONNECTIONS:-256}
THREADS=${THREADS:-2}
DURATION=${DURATION:-60s}
WARMUP=${WARMUP:-15s}
BASELINE_DURATION=${BASELINE_DURATION:-20s}
TIMEOUT=${TIMEOUT:-10s}
SERVER_THREADS=${SERVER_THREADS:-$((CONNECTIONS + 32))}
SERVER_QUEUE=${SERVER_QUEUE:-$((2 * CONNECTIONS))}
# The hdf dataset: float64, ROWS x COLS, chunked [256, 256].
ROWS=2048
COLS=2048

require_tools cmake curl wrk awk

log "building in $BUILD_DIR"
cmake --build "$BUILD_DIR" --target strata-server strata_all_plugins >&2
BUILD_ABS=$(cd "$BUILD_DIR" && pwd)
SERVER_BIN=$BUILD_ABS/bin/strata-server
PLUGIN_DIR=$BUILD_ABS/lib/strata/plugins

wait_for_low_load
LOAD_AT_START=$(cut -d' ' -f1-3 /proc/loadavg)
bench_workdir strata-load-test
echo "bench:$(echo -n bench | "$SERVER_BIN" --hash-password):admin" >"$WORK/users"
cat >"$WORK/server.properties" <<PROPS
server.address = 127.0.0.1
server.port = 0
server.portFile = $WORK/server.port
server.accessLog = false
server.threads = $SERVER_THREADS
server.queue = $SERVER_QUEUE
plugins.path = $PLUGIN_DIR
plugins.load = admin, hdf, synapse, ufdl
auth.anonymous = true
auth.anonymousWrites = false
auth.usersFile = $WORK/users
stores.arrays.default.backend = hdf5
stores.arrays.default.path = $WORK/hdf
stores.entities.default.backend = rocksdb
stores.entities.default.path = $WORK/db
stores.annotations.default.backend = rocksdb
stores.annotations.default.path = $WORK/db
stores.blobs.default.backend = fs
stores.blobs.default.path = $WORK/blobs
PROPS
"$SERVER_BIN" --config "$WORK/server.properties" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
PIDS+=("$SERVER_PID")
BASE="http://127.0.0.1:$(wait_for_port "$WORK/server.port" "$SERVER_PID")"
AUTH="Basic $(printf 'bench:bench' | base64)"
H=(-H "Authorization: $AUTH" -H 'Content-Type: application/json')

log "creating the data"
DOMAIN=/home/bench/load.h5
Q="domain=$DOMAIN"
api "$BASE" PUT "/?$Q" "${H[@]}" >/dev/null
ROOT=$(api "$BASE" GET "/?$Q" "${H[@]}" | json_field root)
DSET=$(api "$BASE" POST "/datasets?$Q" "${H[@]}" -d "{
  \"type\": \"H5T_IEEE_F64LE\", \"shape\": [$ROWS, $COLS],
  \"creationProperties\": {\"layout\": {\"class\": \"H5D_CHUNKED\", \"dims\": [256, 256]}},
  \"link\": {\"id\": \"$ROOT\", \"name\": \"values\"}}" | json_field id)
head -c $((ROWS * COLS * 8)) /dev/urandom >"$WORK/values.bin"
curl -sS -g --fail -X PUT -H "Authorization: $AUTH" -H 'Expect:' -H 'Content-Type: application/octet-stream' \
  --data-binary @"$WORK/values.bin" "$BASE/datasets/$DSET/value?$Q" >/dev/null
rm -f "$WORK/values.bin"
SYN=$(api "$BASE" POST /repo/v1/dataset "${H[@]}" -d '{"name":"load","description":"the load test"}' |
  json_field id)
ETAG=$(curl -sS --fail -H "Authorization: $AUTH" -D - -o /dev/null "$BASE/repo/v1/dataset/$SYN/annotations" |
  awk -F': ' 'tolower($1) == "etag" {gsub("\r", "", $2); print $2}')
api "$BASE" PUT "/repo/v1/dataset/$SYN/annotations" "${H[@]}" -H "ETag: $ETAG" \
  -d '{"stringAnnotations":{"species":["mouse"]},"longAnnotations":{"n":[7]}}' >/dev/null
json_int() { grep -o "\"$1\": *[0-9-]*" | head -n1 | grep -o '[0-9-]*$'; }
TEAM=$(api "$BASE" POST /v1/teams/create "${H[@]}" -d '{"name":"load"}' | json_int pk)
PROJECT=$(api "$BASE" POST /v1/projects/create "${H[@]}" -d "{\"name\":\"load\",\"team\":$TEAM}" | json_int pk)
LICENCE=$(api "$BASE" POST /v1/licences/list "${H[@]}" -d '{}' | json_int pk)
for i in $(seq 1 20); do
  api "$BASE" POST /v1/datasets/create "${H[@]}" \
    -d "{\"name\":\"load-$i\",\"project\":$PROJECT,\"licence\":$LICENCE,\"tags\":\"\"}" >/dev/null
done
LIST="{\"expressions\":[{\"type\":\"exact\",\"field\":\"project\",\"value\":$PROJECT}]}"
export LOAD_AUTH=$AUTH LOAD_DOMAIN=$DOMAIN LOAD_DSET=$DSET LOAD_ROWS=$ROWS LOAD_COLS=$COLS LOAD_SYN=$SYN \
  LOAD_UFDL_LIST=$LIST
log "hdf dataset $DSET, synapse dataset $SYN, ufdl project $PROJECT"

# Each request of the mix once, through curl: a broken request would otherwise only show as
# non-2xx counts.
for path in "/?$Q" "/datasets/$DSET?$Q" "/datasets/$DSET/value?$Q&select=[0:16,0:16]" \
  "/repo/v1/dataset/$SYN" "/repo/v1/dataset/$SYN/annotations"; do
  api "$BASE" GET "$path" -H "Authorization: $AUTH" >/dev/null
done
api "$BASE" GET "/datasets/$DSET/value?$Q&select=[0:64,0:256]" -H "Authorization: $AUTH" \
  -H 'Accept: application/octet-stream' >/dev/null
MATCHES=$(api "$BASE" POST /v1/datasets/list "${H[@]}" -d "$LIST" | { grep -o '"pk":' || true; } | wc -l)
[ "$MATCHES" -ge 20 ] || { log "the ufdl list matches $MATCHES datasets, expected 20"; exit 1; }

rss() { awk '$1 == "VmRSS:" {print $2}' "/proc/$SERVER_PID/status"; }
threads_of() { awk '$1 == "Threads:" {print $2}' "/proc/$SERVER_PID/status"; }
# run_wrk NAME DURATION URL [wrk args]: wrk's output in $WORK/NAME.wrk.
run_wrk() {
  local name=$1 duration=$2 url=$3; shift 3
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$duration" --timeout "$TIMEOUT" --latency "$@" "$url" >"$WORK/$name.wrk"
}

log "warm-up: the mix for $WARMUP"
run_wrk warmup "$WARMUP" "$BASE" -s bench/load_mix.lua
RSS_BEFORE=$(rss)

log "the mix for $DURATION, VmRSS every 5 s"
cpu_start "$SERVER_PID"
: >"$WORK/rss"
( while kill -0 "$SERVER_PID" 2>/dev/null; do echo "$(rss) $(threads_of)" >>"$WORK/rss"; sleep 5; done ) &
SAMPLER=$!
PIDS+=("$SAMPLER")
run_wrk mix "$DURATION" "$BASE" -s bench/load_mix.lua
kill "$SAMPLER"; wait "$SAMPLER" 2>/dev/null || true
RSS_AFTER=$(rss)
log "baseline: GET /strata/health for $BASELINE_DURATION"
run_wrk health "$BASELINE_DURATION" "$BASE/strata/health"
cpu_stop
kill -0 "$SERVER_PID" || { log "the server died"; exit 1; }

# wrk figures of one run: requests/s, latency percentiles, non-2xx, socket errors.
rps_of() { awk '/^Requests\/sec:/ {print $2}' "$WORK/$1.wrk"; }
pct_of() { awk -v p="$2%" '$1 == p {print $2}' "$WORK/$1.wrk"; }
non2xx_of() { awk '/Non-2xx or 3xx responses:/ {print $NF; f = 1} END {if (!f) print 0}' "$WORK/$1.wrk"; }
errors_of() {
  awk '/Socket errors:/ {gsub(",", ""); print "connect " $4 ", read " $6 ", write " $8 ", timeout " $10; f = 1}
       END {if (!f) print "connect 0, read 0, write 0, timeout 0"}' "$WORK/$1.wrk"
}
requests_of() { awk '/requests in/ {print $1}' "$WORK/$1.wrk"; }

report_header "### load_test.sh" ", wrk $(wrk -v 2>&1 | awk 'NR == 1 {print $2}')" ""
echo
echo "Command: \`bench/load_test.sh\`: \`wrk -t$THREADS -c$CONNECTIONS -d$DURATION --timeout $TIMEOUT --latency -s bench/load_mix.lua\` after a $WARMUP warm-up with the same mix, then the same wrk for $BASELINE_DURATION against GET /strata/health. Server: server.threads = $SERVER_THREADS, server.queue = $SERVER_QUEUE, other settings default."
echo
echo "| run | requests | requests/s | p50 | p75 | p90 | p99 | non-2xx | socket errors |"
echo "|---|---|---|---|---|---|---|---|---|"
for name in mix health warmup; do
  case $name in
    mix) label="mix, $DURATION" ;;
    health) label="baseline GET /strata/health, $BASELINE_DURATION" ;;
    warmup) label="warm-up (mix), $WARMUP" ;;
  esac
  echo "| $label | $(requests_of $name) | $(int "$(rps_of $name)") | $(pct_of $name 50) | $(pct_of $name 75) | $(pct_of $name 90) | $(pct_of $name 99) | $(non2xx_of $name) | $(errors_of $name) |"
done
echo
echo "Server VmRSS (KiB) and threads, every 5 s during the measured minute: $(awk '{printf "%s%s (%s)", (NR > 1 ? ", " : ""), $1, $2}' "$WORK/rss")."
echo "VmRSS after the warm-up: $RSS_BEFORE KiB; after the minute: $RSS_AFTER KiB ($(awk -v a="$RSS_BEFORE" -v b="$RSS_AFTER" 'BEGIN {printf "%+.1f %%", (b - a) / a * 100}'))."
echo "Mix / baseline requests/s: $(ratio "$(rps_of mix)" "$(rps_of health)")."

failed=0
for name in warmup mix health; do
  if [ "$(non2xx_of $name)" != 0 ] || grep -q 'Socket errors' "$WORK/$name.wrk"; then
    log "$name: non-2xx answers or socket errors:"; cat "$WORK/$name.wrk" >&2; failed=1
  fi
done
exit "$failed"
