#!/usr/bin/env bash
# The HTTP benchmark: small-request rate and bulk-download throughput of a real strata-server,
# each next to a plain Poco baseline measured in the same run (bench/poco_baseline.cpp).
#
#   BUILD_DIR=build-main bench/run_bench.sh
#
# Knobs (environment): BUILD_DIR (default build), BUILD_TARGETS (see below), WRK_ROUNDS (3),
# WRK_DURATION (10s), WRK_THREADS (2), WRK_CONNECTIONS (32), DOWNLOADS (7), BLOB_MIB (256),
# WAIT_LOAD (unset; e.g. 2: before measuring, wait until the 1-minute load average is below it,
# at most WAIT_MAX seconds, default 900),
# KEEP_WORK=1 keeps the temp directory (config, logs, blob store) for inspection.
# Takes about 1.5 minutes plus the build. Prints a Markdown report on stdout, progress on stderr.
#
# The test machine is shared and noisy (the same command varies 1.5-4x between runs; see
# /work/shared/reference/performance-baselines.md), so every comparison is made within one run,
# with Strata and the baseline measured alternately, and reported as median and range.
# Load generator and servers share the same cores; the figures are relative, not absolute.
set -euo pipefail
# Command substitutions (wrk, curl) must fail the script too, not yield an empty figure.
shopt -s inherit_errexit
cd "$(dirname "$0")/.."
BENCH_NAME=run_bench
source bench/bench_lib.sh

BUILD_DIR=${BUILD_DIR:-build}
WRK_ROUNDS=${WRK_ROUNDS:-3}
WRK_DURATION=${WRK_DURATION:-10s}
WRK_THREADS=${WRK_THREADS:-2}
WRK_CONNECTIONS=${WRK_CONNECTIONS:-32}
DOWNLOADS=${DOWNLOADS:-7}
BLOB_MIB=${BLOB_MIB:-256}
BLOB_BYTES=$((BLOB_MIB * 1024 * 1024))

require_tools cmake curl wrk sha256sum awk

# Others' builds and tests on this box skew every figure. The load at the start is theirs; the
# load at the end includes our own wrk and server threads (see OTHERS_PCT for the clean figure).
wait_for_low_load
LOAD_AT_START=$(cut -d' ' -f1-3 /proc/loadavg)

# Only the modules this benchmark's configuration loads, so that another plugin whose build is
# broken at the moment does not block the benchmark. BUILD_TARGETS="strata-server
# strata_all_plugins strata_poco_baseline" builds everything instead.
read -ra targets <<<"${BUILD_TARGETS:-strata-server strata_plugin_admin strata_backend_fs strata_backend_memory strata_poco_baseline}"
log "building ${targets[*]} in $BUILD_DIR"
cmake --build "$BUILD_DIR" --target "${targets[@]}" >&2
BUILD_ABS=$(cd "$BUILD_DIR" && pwd)
SERVER_BIN=$BUILD_ABS/bin/strata-server
BASELINE_BIN=$BUILD_ABS/bin/strata_poco_baseline

# The temp directory and the processes to stop at exit (bench_lib.sh).
bench_workdir strata-bench

# ------------------------------------------------------------------ set-up

log "writing $BLOB_MIB MiB of random data"
head -c "$BLOB_BYTES" /dev/urandom >"$WORK/blob.bin"
BLOB_SHA=$(sha256sum "$WORK/blob.bin" | cut -d' ' -f1)

BENCH_USER=bench
BENCH_PASSWORD=bench-password-$RANDOM$RANDOM
echo "$BENCH_USER:$(printf '%s\n' "$BENCH_PASSWORD" | "$SERVER_BIN" --hash-password)" >"$WORK/users"

cat >"$WORK/strata.properties" <<EOF
server.address = 127.0.0.1
server.port = 0
server.portFile = $WORK/strata.port
# Logging every request would measure the logger, not the server.
server.accessLog = false
plugins.path = $BUILD_ABS/lib/strata/plugins
plugins.load = admin
stores.blobs.default.backend = fs
stores.blobs.default.path = $WORK/blobs
stores.entities.default.backend = memory
stores.annotations.default.backend = memory
auth.usersFile = $WORK/users
# Explicit, because downloads must not pay for authentication (PBKDF2 per Basic request).
auth.anonymous = true
EOF

"$SERVER_BIN" --config "$WORK/strata.properties" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
PIDS+=("$SERVER_PID")
"$BASELINE_BIN" "$WORK/blob.bin" "$WORK/baseline.port" >"$WORK/baseline.log" 2>&1 &
BASELINE_PID=$!
PIDS+=("$BASELINE_PID")
STRATA=http://127.0.0.1:$(wait_for_port "$WORK/strata.port" "$SERVER_PID")
BASE=http://127.0.0.1:$(wait_for_port "$WORK/baseline.port" "$BASELINE_PID")
log "strata-server at $STRATA, baseline at $BASE"

log "uploading the blob (POST /strata/blobs, Basic auth)"
upload=$(curl -sS --fail-with-body -u "$BENCH_USER:$BENCH_PASSWORD" \
  -H 'Content-Type: application/octet-stream' --data-binary @"$WORK/blob.bin" \
  -w '\n%{speed_upload}' "$STRATA/strata/blobs")
UPLOAD_SPEED=$(tail -n1 <<<"$upload")
BLOB_ID=$(head -n1 <<<"$upload" | grep -o '"id":"[0-9a-f]*"' | cut -d'"' -f4)
if [ "$BLOB_ID" != "$BLOB_SHA" ]; then
  log "upload answered id '$BLOB_ID', but the content's sha256 is $BLOB_SHA"
  exit 1
fi

# Download variants, in the order they are interleaved: label|URL.
VARIANTS=(
  "Strata GET /strata/blobs/{id} (fs store, 1 MiB socket writes)|$STRATA/strata/blobs/$BLOB_ID"
  "Poco baseline, response.sendBuffer()|$BASE/big/buffer"
  "Poco baseline, response.send().write()|$BASE/big/stream"
  "Poco baseline, 1 MiB pread() from the file + sendBytes() (Strata's path, no Strata)|$BASE/big/file"
  "Poco baseline, 1 MiB sendBytes() from memory to the socket (ceiling)|$BASE/big/raw"
)
BUFFER_VARIANT=1  # the "vs Poco sendBuffer" column
CEILING_VARIANT=4  # the "vs socket ceiling" column

# One download of each, checked against the uploaded content. It also warms the page cache
# and the servers' thread pools, so the timed rounds start from the same state.
for v in "${VARIANTS[@]}"; do
  url=${v#*|}
  got=$(curl -sS --fail "$url" | sha256sum | cut -d' ' -f1)
  if [ "$got" != "$BLOB_SHA" ]; then
    log "$url served content with sha256 $got, expected $BLOB_SHA"
    exit 1
  fi
done
log "sha256 of every variant's download matches the upload"

# ------------------------------------------------------------------ small requests (wrk)

# CPU accounting (bench_lib.sh): other processes' share of the machine while we measure.
cpu_start "$SERVER_PID" "$BASELINE_PID"
WRK=(-t"$WRK_THREADS" -c"$WRK_CONNECTIONS" -d"$WRK_DURATION")

STRATA_RPS=(); BASE_RPS=()
for round in $(seq 1 "$WRK_ROUNDS"); do
  log "wrk round $round/$WRK_ROUNDS"
  # Alternate which goes first, so neither always gets the quieter half of the minute.
  if [ $((round % 2)) = 1 ]; then
    STRATA_RPS+=("$(wrk_rps "${WRK[@]}" "$STRATA/strata/health")")
    BASE_RPS+=("$(wrk_rps "${WRK[@]}" "$BASE/small")")
  else
    BASE_RPS+=("$(wrk_rps "${WRK[@]}" "$BASE/small")")
    STRATA_RPS+=("$(wrk_rps "${WRK[@]}" "$STRATA/strata/health")")
  fi
done

# ------------------------------------------------------------------ downloads (curl)

declare -A SPEEDS
for round in $(seq 1 "$DOWNLOADS"); do
  log "download round $round/$DOWNLOADS"
  for i in "${!VARIANTS[@]}"; do
    url=${VARIANTS[$i]#*|}
    read -r code size speed < <(curl -s -o /dev/null -w '%{http_code} %{size_download} %{speed_download}\n' "$url")
    if [ "$code" != 200 ] || [ "$size" != "$BLOB_BYTES" ]; then
      log "$url answered $code with $size bytes"; exit 1
    fi
    SPEEDS[$i]="${SPEEDS[$i]:-} $speed"
  done
done

cpu_stop

# ------------------------------------------------------------------ report

report_header "## strata HTTP benchmark" "" ""
echo
echo "### Small requests: \`wrk -t$WRK_THREADS -c$WRK_CONNECTIONS -d$WRK_DURATION\`, $WRK_ROUNDS round(s), alternating"
echo
echo "| what | median req/s | range | n | vs baseline |"
echo "|---|---|---|---|---|"
s_med=$(median "${STRATA_RPS[@]}"); b_med=$(median "${BASE_RPS[@]}")
echo "| Strata \`GET /strata/health\` | $(fmt "$s_med") | $(fmt "$(minimum "${STRATA_RPS[@]}")")–$(fmt "$(maximum "${STRATA_RPS[@]}")") | ${#STRATA_RPS[@]} | $(ratio "$s_med" "$b_med") |"
echo "| Poco baseline \`GET /small\` (same JSON size) | $(fmt "$b_med") | $(fmt "$(minimum "${BASE_RPS[@]}")")–$(fmt "$(maximum "${BASE_RPS[@]}")") | ${#BASE_RPS[@]} | 1.00 |"
echo
echo "### $BLOB_MIB MiB download: \`curl -s -o /dev/null -w '%{speed_download}'\`, $DOWNLOADS round(s), interleaved (MB/s = 10^6 bytes/s)"
echo
echo "| what | median MB/s | range | n | vs Poco sendBuffer | vs socket ceiling |"
echo "|---|---|---|---|---|---|"
read -ra buf_speeds <<<"${SPEEDS[$BUFFER_VARIANT]}"; read -ra raw_speeds <<<"${SPEEDS[$CEILING_VARIANT]}"
buf_med=$(median "${buf_speeds[@]}"); raw_med=$(median "${raw_speeds[@]}")
for i in "${!VARIANTS[@]}"; do
  read -ra v <<<"${SPEEDS[$i]}"
  med=$(median "${v[@]}")
  echo "| ${VARIANTS[$i]%%|*} | $(mbs "$med") | $(mbs "$(minimum "${v[@]}")")–$(mbs "$(maximum "${v[@]}")") | ${#v[@]} | $(ratio "$med" "$buf_med") | $(ratio "$med" "$raw_med") |"
done
echo
echo "Upload (\`POST /strata/blobs\`, fs store with fsync, once): $(mbs "$UPLOAD_SPEED") MB/s."
echo "Every variant's download was checked once against the upload's sha256 ($BLOB_SHA)."
