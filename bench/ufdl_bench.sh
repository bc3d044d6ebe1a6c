#!/usr/bin/env bash
# The benchmark of the ufdl plugin (docs/ufdl.md): entities on rocksdb, blobs on fs and on
# rocksdb, each figure next to a baseline measured in the same run:
#
#   a. POST /v1/datasets/{pk}/download of a dataset of     vs reading the same blobs through
#      FILES files (1 GiB in all), zip and tar.gz (curl     BlobStore::open in-process
#      to /dev/null), MB/s of file content; and the         (strata_ufdl_store_bench read),
#      server's peak RSS growth during a zip download       MB/s
#   b. POST /v1/datasets/{pk}/files/{name} of those files  vs BlobStore::put of the same files
#      (/usr/bin/python3 with python3-requests, one         into a fresh store in-process
#      keep-alive connection), MB/s                         (strata_ufdl_store_bench put)
#      and the loopback ceiling of the same run: plain Poco sending 256 MiB from memory
#      (strata_poco_baseline GET /big/raw), MB/s
#   c. POST /v1/datasets/list with a two-field filter      vs the plugin's filter code on the
#      (exact project, contains name) over N datasets       same database in-process (the same
#      (wrk, one connection), lists/s                       spec, parseFilterSpec + listAll)
#
#   BUILD_DIR=build bench/ufdl_bench.sh
#
# Knobs: BUILD_DIR (default build), FILES (1000), FILE_BYTES (1073742: FILES files make 1 GiB),
# N (100000 datasets), PROJECTS (10), ROUNDS (3), DURATION (10s per wrk run), BLOBS ("fs rocksdb"),
# WAIT_LOAD (bench_lib.sh), KEEP_WORK=1. The files hold random bytes (/dev/urandom), so that
# tar.gz measures gzip on incompressible content, the worst case. The N datasets of (c) are
# written in-process in the plugin's record layout (strata_ufdl_store_bench fill: dataset i
# "ds-<i>" in project (i % PROJECTS) + 1) into the rocksdb directory while no server runs, then
# the server is started on it. Every request is the staff user's (users file, admin group), with
# a Bearer token from POST /v1/auth/obtain, so that no visibility condition applies and no
# password hash is checked per request.
set -euo pipefail
shopt -s inherit_errexit
cd "$(dirname "$0")/.."
BENCH_NAME=ufdl_bench
source bench/bench_lib.sh

BUILD_DIR=${BUILD_DIR:-build}
FILES=${FILES:-1000}
FILE_BYTES=${FILE_BYTES:-1073742}
N=${N:-100000}
PROJECTS=${PROJECTS:-10}
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10s}
BLOBS=${BLOBS:-fs rocksdb}

require_tools cmake curl wrk awk base64 /usr/bin/python3
log "building in $BUILD_DIR"
cmake --build "$BUILD_DIR" --target strata-server strata_all_plugins strata_ufdl_store_bench strata_poco_baseline >&2
BUILD_ABS=$(cd "$BUILD_DIR" && pwd)
SERVER_BIN=$BUILD_ABS/bin/strata-server
STORE_BIN=$BUILD_ABS/bin/strata_ufdl_store_bench
BASELINE_BIN=$BUILD_ABS/bin/strata_poco_baseline
PLUGIN_DIR=$BUILD_ABS/lib/strata/plugins

wait_for_low_load
LOAD_AT_START=$(cut -d' ' -f1-3 /proc/loadavg)
bench_workdir strata-ufdl-bench
echo "bench:$(echo -n bench | "$SERVER_BIN" --hash-password):admin" >"$WORK/users"

# write_config FILE BLOBS-BACKEND DIR: the server's configuration, entities on rocksdb in DIR/db.
write_config() {
  local blobs
  case "$2" in
    fs) blobs="stores.blobs.default.backend = fs
stores.blobs.default.path = $3/blobs" ;;
    rocksdb) blobs="stores.blobs.default.backend = rocksdb
stores.blobs.default.path = $3/db" ;;
  esac
  cat >"$1" <<PROPS
server.address = 127.0.0.1
server.port = 0
server.portFile = $WORK/server.port
server.accessLog = false
plugins.path = $PLUGIN_DIR
plugins.load = ufdl
plugins.ufdl.accessTokenLifetime = 86400
plugins.ufdl.maxFileBytes = $((FILE_BYTES + 1))
auth.anonymous = true
auth.usersFile = $WORK/users
stores.entities.default.backend = rocksdb
stores.entities.default.path = $3/db
$blobs
PROPS
}
# start_server CONFIG: starts it, sets SERVER_PID, BASE and TOKEN (the staff user's access token).
start_server() {
  rm -f "$WORK/server.port"
  "$SERVER_BIN" --config "$1" >>"$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  PIDS+=("$SERVER_PID")
  BASE="http://127.0.0.1:$(wait_for_port "$WORK/server.port" "$SERVER_PID")"
  TOKEN=$(api "$BASE" POST /v1/auth/obtain -H 'Content-Type: application/json' \
    -d '{"username":"bench","password":"bench"}' | json_field access)
  [ -n "$TOKEN" ] || { log "no access token from POST /v1/auth/obtain"; exit 1; }
}
stop_server() {
  kill "$SERVER_PID"
  wait "$SERVER_PID" 2>/dev/null || true
}
# post PATH JSON: the JSON answer of a POST as the staff user.
post() { api "$BASE" POST "$1" -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d "$2"; }
json_int() { grep -o "\"$1\": *[0-9-]*" | head -n1 | grep -o '[0-9-]*$'; }
rss_kib() { awk -v k="$2" '$1 == k":" {print $2}' "/proc/$1/status"; }

log "writing $FILES files of $FILE_BYTES random bytes"
mkdir -p "$WORK/files"
for i in $(seq -w 0 $((FILES - 1))); do head -c "$FILE_BYTES" /dev/urandom >"$WORK/files/f$i.bin"; done
TOTAL_BYTES=$((FILES * FILE_BYTES))

# The loopback ceiling: plain Poco sending 256 MiB from memory, nothing else.
head -c $((256 << 20)) /dev/urandom >"$WORK/ceiling.bin"
"$BASELINE_BIN" "$WORK/ceiling.bin" "$WORK/baseline.port" >"$WORK/baseline.log" 2>&1 &
BASELINE_PID=$!
PIDS+=("$BASELINE_PID")
POCO="http://127.0.0.1:$(wait_for_port "$WORK/baseline.port" "$BASELINE_PID")"

declare -A upload_bps put_bps zip_bps tgz_bps read_bps rss_growth
# The servers are reaped (wait) before cpu_stop: their CPU time counts as this shell's own.
cpu_start
ceiling_bps=()
for _ in $(seq "$ROUNDS"); do
  read -r speed _ < <(get_speed "$POCO/big/raw" $((256 << 20)))
  ceiling_bps+=("$speed")
done
kill "$BASELINE_PID"
wait "$BASELINE_PID" 2>/dev/null || true
rm -f "$WORK/ceiling.bin"
for blobs in $BLOBS; do
  dir=$WORK/$blobs
  mkdir -p "$dir"
  write_config "$WORK/$blobs.properties" "$blobs" "$dir"
  start_server "$WORK/$blobs.properties"
  team=$(post /v1/teams/create '{"name":"bench"}' | json_int pk)
  project=$(post /v1/projects/create "{\"name\":\"bench\",\"team\":$team}" | json_int pk)
  licence=$(post /v1/licences/list '{}' | json_int pk)
  dataset=$(post /v1/datasets/create \
    "{\"name\":\"big\",\"project\":$project,\"licence\":$licence,\"tags\":\"\"}" | json_int pk)
  log "$blobs: uploading $FILES files into dataset $dataset"
  # b. One keep-alive connection, the files in name order under two directory levels.
  upload_bps[$blobs]=$(/usr/bin/python3 - "$BASE" "$TOKEN" "$dataset" "$WORK/files" <<'PY'
import os, sys, time, requests
base, token, pk, d = sys.argv[1:5]
s = requests.Session()
s.headers["Authorization"] = "Bearer " + token
names = sorted(os.listdir(d))
total, t0 = 0, time.perf_counter()
for n in names:
    path = os.path.join(d, n)
    with open(path, "rb") as f:
        r = s.post("%s/v1/datasets/%s/files/dir/%s/%s" % (base, pk, n[:3], n), data=f,
                   headers={"Content-Disposition": "attachment; filename=%s" % n,
                            "Content-Type": "application/octet-stream"})
    if r.status_code != 200:
        sys.exit("upload of %s: %d %s" % (n, r.status_code, r.text[:300]))
    total += os.path.getsize(path)
print("%.0f" % (total / (time.perf_counter() - t0)))
PY
)
  # a. Downloads; VmHWM reset (clear_refs 5) before each zip download.
  zips=() tgzs=() growth=()
  for _ in $(seq "$ROUNDS"); do
    for type in zip tar.gz; do
      before=$(rss_kib "$SERVER_PID" VmRSS)
      echo 5 >"/proc/$SERVER_PID/clear_refs" 2>/dev/null || true
      read -r code size secs < <(curl -sS -o /dev/null -X POST -H "Authorization: Bearer $TOKEN" \
        -H 'Content-Type: application/json' -d "{\"filetype\":\"$type\"}" \
        -w '%{http_code} %{size_download} %{time_total}\n' "$BASE/v1/datasets/$dataset/download")
      if [ "$code" != 200 ] || [ "$size" -lt "$TOTAL_BYTES" ]; then
        log "$type download answered $code with $size bytes"; exit 1
      fi
      bps=$(awk -v b="$TOTAL_BYTES" -v t="$secs" 'BEGIN {printf "%.0f", b / t}')
      if [ "$type" = zip ]; then
        zips+=("$bps")
        growth+=("$(( ($(rss_kib "$SERVER_PID" VmHWM) - before) / 1024 ))")
      else
        tgzs+=("$bps")
      fi
    done
  done
  zip_bps[$blobs]="${zips[*]}" tgz_bps[$blobs]="${tgzs[*]}" rss_growth[$blobs]="${growth[*]}"
  stop_server
  # The in-process baselines on the same stores (the server has stopped: RocksDB locks its
  # directory).
  path=$dir/db
  [ "$blobs" = fs ] && path=$dir/blobs
  reads=()
  for _ in $(seq "$ROUNDS"); do
    read -r mbps bytes count < <("$STORE_BIN" "$PLUGIN_DIR" "$blobs" "$path" read)
    [ "$bytes" = "$TOTAL_BYTES" ] || { log "$blobs: read $bytes bytes in $count blobs, expected $TOTAL_BYTES"; exit 1; }
    reads+=("$(to_bps "$mbps")")
  done
  read_bps[$blobs]="${reads[*]}"
  read -r mbps bytes count < <("$STORE_BIN" "$PLUGIN_DIR" "$blobs" "$dir/put-store" put "$WORK/files")
  put_bps[$blobs]=$(to_bps "$mbps")
  rm -rf "$dir"
done

# c. The list over N datasets written in-process, then served.
log "filling $N datasets in-process"
mkdir -p "$WORK/list"
FILL_RATE=$("$STORE_BIN" "$PLUGIN_DIR" rocksdb "$WORK/list/db" fill "$N" "$PROJECTS")
write_config "$WORK/list.properties" fs "$WORK/list"
start_server "$WORK/list.properties"
SPEC='{"expressions":[{"type":"exact","field":"project","value":4},{"type":"contains","field":"name","sub_string":"77"}]}'
MATCHES=$(post /v1/datasets/list "$SPEC" | { grep -o '"pk":' || true; } | wc -l)
log "the list matches $MATCHES datasets"
cat >"$WORK/list.lua" <<LUA
wrk.method = "POST"
wrk.body = '$SPEC'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $TOKEN"
LUA
list_rps=()
for _ in $(seq "$ROUNDS"); do list_rps+=("$(wrk_rps -t1 -c1 -d"$DURATION" -s "$WORK/list.lua" "$BASE/v1/datasets/list")"); done
stop_server
store_rps=()
for _ in $(seq "$ROUNDS"); do
  read -r rate count < <("$STORE_BIN" "$PLUGIN_DIR" rocksdb "$WORK/list/db" list 5 "$SPEC")
  store_rps+=("$rate")
done
[ "$count" = "$MATCHES" ] || { log "in-process list found $count, the route $MATCHES"; exit 1; }
cpu_stop

report_header "### ufdl_bench.sh" ", $FILES files of $FILE_BYTES bytes, $N datasets written in-process at $(int "$FILL_RATE")/s" " Command: \`BUILD_DIR=$BUILD_DIR bench/ufdl_bench.sh\`."
echo
echo "| what (median (min–max) of $ROUNDS) | through the ufdl plugin | baseline, same run | ratio (aim) |"
echo "|---|---|---|---|"
for blobs in $BLOBS; do
  # shellcheck disable=SC2086
  read_med=$(median ${read_bps[$blobs]})
  # shellcheck disable=SC2086
  {
    echo "| blobs on $blobs: zip download of the dataset, MB/s of content | $(summary mbs ${zip_bps[$blobs]}) | BlobStore::open of every blob: $(summary mbs ${read_bps[$blobs]}); socket ceiling (Poco, 256 MiB from memory): $(summary mbs "${ceiling_bps[@]}") | $(ratio "$(median ${zip_bps[$blobs]})" "$read_med") of open (0.60); $(ratio "$(median ${zip_bps[$blobs]})" "$(median "${ceiling_bps[@]}")") of ceiling |"
    echo "| blobs on $blobs: tar.gz download, MB/s of content | $(summary mbs ${tgz_bps[$blobs]}) | BlobStore::open of every blob: $(summary mbs ${read_bps[$blobs]}) | $(ratio "$(median ${tgz_bps[$blobs]})" "$read_med") |"
    echo "| blobs on $blobs: server's peak RSS growth during a zip download, MiB | $(summary int ${rss_growth[$blobs]}) | | (under 64) |"
    echo "| blobs on $blobs: upload (POST .../files/...), MB/s, one run | $(mbs "${upload_bps[$blobs]}") | BlobStore::put of the same files: $(mbs "${put_bps[$blobs]}") | $(ratio "${upload_bps[$blobs]}" "${put_bps[$blobs]}") |"
  }
done
echo "| POST /v1/datasets/list, exact project + contains name over $N datasets ($MATCHES matches), lists/s | $(summary int "${list_rps[@]}") | parseFilterSpec + listAll in-process: $(summary int "${store_rps[@]}") | $(ratio "$(median "${list_rps[@]}")" "$(median "${store_rps[@]}")") |"
