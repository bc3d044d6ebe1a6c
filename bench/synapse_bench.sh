#!/usr/bin/env bash
# The benchmark of the synapse plugin (docs/synapse.md) on the rocksdb backend (entities and
# annotations), each figure next to a baseline measured in the same run:
#
#   a. GET /repo/v1/query with two annotation clauses     vs AnnotationStore::search with the
#      over N datasets of 10 annotations each (wrk, one     same clauses in-process, limit 10
#      connection), queries/s                               (strata_synapse_store_bench), on a
#                                                           copy of the server's database
#   b. GET /repo/v1/dataset/{id}, requests/s               vs GET /strata/health of the same
#                                                           server (the admin plugin), same wrk
#   c. PUT .../annotations with the ETag the previous PUT  vs conditional replaceAll in-process
#      returned (one client, keep-alive), writes/s          (10 annotations, a counter)
#
#   BUILD_DIR=build bench/synapse_bench.sh
#
# Knobs: BUILD_DIR (default build), N (100000 datasets), ROUNDS (3), DURATION (10s per wrk run),
# WAIT_LOAD (bench_lib.sh), KEEP_WORK=1. The datasets are filled through the HTTP API by
# /usr/bin/python3 (python3-requests, 8 threads, keep-alive): dataset i has string annotations
# a0..a4 = "v" + (i * (k + 1)) % 10 and long annotations n0..n4 = (i * (k + 3)) % 1000. The
# query is `select * from dataset where "a3" == "v4" and "n2" > 500 limit 10`.
set -euo pipefail
shopt -s inherit_errexit
cd "$(dirname "$0")/.."
BENCH_NAME=synapse_bench
source bench/bench_lib.sh

BUILD_DIR=${BUILD_DIR:-build}
N=${N:-100000}
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10s}

require_tools cmake curl wrk awk /usr/bin/python3
log "building in $BUILD_DIR"
cmake --build "$BUILD_DIR" --target strata-server strata_all_plugins strata_synapse_store_bench >&2
BUILD_ABS=$(cd "$BUILD_DIR" && pwd)
SERVER_BIN=$BUILD_ABS/bin/strata-server
STORE_BIN=$BUILD_ABS/bin/strata_synapse_store_bench
PLUGIN_DIR=$BUILD_ABS/lib/strata/plugins

wait_for_low_load
LOAD_AT_START=$(cut -d' ' -f1-3 /proc/loadavg)
bench_workdir strata-synapse-bench
echo "bench:$(echo -n bench | "$SERVER_BIN" --hash-password)" >"$WORK/users"
cat >"$WORK/server.properties" <<PROPS
server.address = 127.0.0.1
server.port = 0
server.portFile = $WORK/server.port
server.accessLog = false
plugins.path = $PLUGIN_DIR
plugins.load = admin, synapse
plugins.admin.blobs = false
auth.anonymous = true
auth.usersFile = $WORK/users
stores.entities.default.backend = rocksdb
stores.entities.default.path = $WORK/db
stores.annotations.default.backend = rocksdb
stores.annotations.default.path = $WORK/db
PROPS
start_server() {
  rm -f "$WORK/server.port"
  "$SERVER_BIN" --config "$WORK/server.properties" >>"$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  PIDS+=("$SERVER_PID")
  BASE="http://127.0.0.1:$(wait_for_port "$WORK/server.port" "$SERVER_PID")"
}
start_server

log "filling $N datasets of 10 annotations"
FILL_START=$SECONDS
/usr/bin/python3 - "$BASE" "$N" >"$WORK/fill.out" <<'PY'
import sys, threading, requests
base, n = sys.argv[1], int(sys.argv[2])
first = {}
def fill(lo, hi):
    s = requests.Session()
    s.auth = ("bench", "bench")
    for i in range(lo, hi):
        r = s.post(base + "/repo/v1/dataset", json={"name": "ds-%d" % i})
        r.raise_for_status()
        did = r.json()["id"]
        if i == 0:
            first["id"] = did
        a = s.get(base + "/repo/v1/dataset/%s/annotations" % did)
        a.raise_for_status()
        body = {"stringAnnotations": {"a%d" % k: ["v%d" % ((i * (k + 1)) % 10)] for k in range(5)},
                "longAnnotations": {"n%d" % k: [(i * (k + 3)) % 1000] for k in range(5)}}
        p = s.put(base + "/repo/v1/dataset/%s/annotations" % did, json=body, headers={"ETag": a.headers["ETag"]})
        p.raise_for_status()
threads = [threading.Thread(target=fill, args=(t * n // 8, (t + 1) * n // 8)) for t in range(8)]
for t in threads: t.start()
for t in threads: t.join()
print(first["id"])
PY
DID=$(cat "$WORK/fill.out")
FILL_SECONDS=$((SECONDS - FILL_START))
log "filled in $FILL_SECONDS s; first dataset $DID"
# The server is restarted after the fill: RocksDB flushes its memtables on close, so that the
# server measures on the same state of the database as the in-process baseline (which opens a
# copy made after the server stops). Right after a bulk fill, unflushed memtables and
# uncompacted files made the query several times slower (a 100,000-dataset query at 3/s
# instead of the restarted server's rate).
kill "$SERVER_PID"
wait "$SERVER_PID" 2>/dev/null || true
start_server

QUERY='select * from dataset where "a3" == "v4" and "n2" > 500 limit 10'
QUERY_URL="$BASE/repo/v1/query?query=$(/usr/bin/python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$QUERY")"
TOTAL=$(curl -sS --fail "$QUERY_URL" | grep -o '"totalNumberOfResults":[0-9]*' | cut -d: -f2)
log "the query matches $TOTAL datasets"

cpu_start "$SERVER_PID"
WRK=(-t1 -c1 -d"$DURATION")
query_rps=() get_rps=() health_rps=() put_rps=()
for _ in $(seq "$ROUNDS"); do
  query_rps+=("$(wrk_rps "${WRK[@]}" "$QUERY_URL")")
  get_rps+=("$(wrk_rps "${WRK[@]}" "$BASE/repo/v1/dataset/$DID")")
  health_rps+=("$(wrk_rps "${WRK[@]}" "$BASE/strata/health")")
  put_rps+=("$(/usr/bin/python3 - "$BASE" "$DID" <<'PY'
import sys, time, requests
base, did = sys.argv[1], sys.argv[2]
s = requests.Session()
s.auth = ("bench", "bench")
url = base + "/repo/v1/dataset/%s/annotations" % did
etag = s.get(url).headers["ETag"]
n, t0 = 0, time.perf_counter()
while time.perf_counter() - t0 < 5:
    body = {"stringAnnotations": {"key%d" % k: ["value"] for k in range(9)}, "longAnnotations": {"counter": [n]}}
    r = s.put(url, json=body, headers={"ETag": etag})
    r.raise_for_status()
    etag = r.headers["ETag"]
    n += 1
print("%.1f" % (n / (time.perf_counter() - t0)))
PY
)")
done
cpu_stop
kill "$SERVER_PID"
wait "$SERVER_PID" 2>/dev/null || true
# The in-process baselines on a copy of the database (the server has stopped: RocksDB locks it).
cp -r "$WORK/db" "$WORK/db-copy"
search_rps=() replace_rps=()
for _ in $(seq "$ROUNDS"); do
  read -r rate total < <("$STORE_BIN" "$PLUGIN_DIR" rocksdb "$WORK/db-copy" search dataset/ 10 'a3:==:string:v4' 'n2:>:long:500')
  search_rps+=("$rate")
  replace_rps+=("$("$STORE_BIN" "$PLUGIN_DIR" rocksdb "$WORK/db-copy" replace "dataset/$DID" 5)")
done
[ "$total" = "$TOTAL" ] || { log "in-process search found $total, the query $TOTAL"; exit 1; }

report_header "### synapse_bench.sh" ", $N datasets filled through the API in $FILL_SECONDS s" " Command: \`BUILD_DIR=$BUILD_DIR bench/synapse_bench.sh\`."
echo
echo "| what (median (min–max) of $ROUNDS) | through the synapse plugin | baseline, same run | ratio (aim) |"
echo "|---|---|---|---|"
echo "| \`$QUERY\` ($TOTAL matches), per second | $(summary int "${query_rps[@]}") | AnnotationStore::search in-process: $(summary int "${search_rps[@]}") | $(ratio "$(median "${query_rps[@]}")" "$(median "${search_rps[@]}")") (0.50) |"
echo "| GET /repo/v1/dataset/{id}, requests/s | $(summary int "${get_rps[@]}") | GET /strata/health: $(summary int "${health_rps[@]}") | $(ratio "$(median "${get_rps[@]}")" "$(median "${health_rps[@]}")") (0.50) |"
echo "| PUT .../annotations with the ETag, writes/s | $(summary int "${put_rps[@]}") | conditional replaceAll in-process: $(summary int "${replace_rps[@]}") | $(ratio "$(median "${put_rps[@]}")" "$(median "${replace_rps[@]}")") |"
