# Shell helpers shared by the benchmark scripts in bench/ (run_bench.sh, hdf_bench.sh,
# rocksdb_bench.sh). Sourced, not run. The sourcing script sets BENCH_NAME (the prefix of its
# progress messages) first, and runs with `set -euo pipefail` and `shopt -s inherit_errexit`.
#
# What is here: progress messages (log), tool checks, the temp directory and the processes to
# stop at exit, waiting for a server's port file, for a low load average and for an idle
# process, statistics over a list of figures (median, minimum, maximum, summary) and number
# formats, wrk with error checks, CPU accounting (how much of the machine other processes took
# while the script measured), and the header of the Markdown report.

log() { echo "${BENCH_NAME:-bench}: $*" >&2; }

# require_tools TOOL...: fails naming the first missing one.
require_tools() {
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null || { log "$tool is missing (scripts/setup.sh installs it)"; exit 1; }
  done
}

# ------------------------------------------------------------------ temp directory, processes

# bench_workdir PREFIX: makes WORK (a fresh temp directory) and PIDS (processes to stop at exit;
# add every background process). At exit, stops them, shows the tails of $WORK/*.log if the
# script failed (the logs are the only clue to a failed start or request), then removes WORK
# unless KEEP_WORK=1. Ctrl-C and kill become an ordinary exit, so that the cleanup runs.
bench_workdir() {
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")
  PIDS=()
  trap bench_cleanup EXIT
  trap 'exit 130' INT TERM
}
bench_cleanup() {
  local rc=$? pid f
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ "$rc" -ne 0 ]; then
    for f in "$WORK"/*.log; do [ -f "$f" ] && { echo "--- $f (tail)" >&2; tail -n 20 "$f" >&2; }; done
  fi
  if [ "${KEEP_WORK:-0}" = 1 ]; then log "kept $WORK"; else rm -rf "$WORK"; fi
}

# ------------------------------------------------------------------ waiting

# wait_for_port FILE PID: prints the port a server wrote to FILE once its socket listens; fails
# if the server exits first or nothing comes within 30 s.
wait_for_port() {
  local file=$1 pid=$2
  for _ in $(seq 1 300); do
    if [ -s "$file" ]; then cat "$file"; return 0; fi
    kill -0 "$pid" 2>/dev/null || { log "server (pid $pid) exited before listening"; return 1; }
    sleep 0.1
  done
  log "no port in $file after 30 s"
  return 1
}

# wait_for_low_load: with WAIT_LOAD set (e.g. 2), waits until the 1-minute load average is
# below it, at most WAIT_MAX seconds (default 900), then measures anyway; the report prints the
# load beside the figures. Others' builds and tests on a shared box skew every figure.
wait_for_low_load() {
  [ -n "${WAIT_LOAD:-}" ] || return 0
  local waited=0 max=${WAIT_MAX:-900}
  while ! awk -v max="$WAIT_LOAD" '{exit !($1 < max)}' /proc/loadavg; do
    if [ "$waited" -ge "$max" ]; then
      log "load average still $(cut -d' ' -f1 /proc/loadavg) after ${max}s; measuring anyway (the report shows it)"
      break
    fi
    log "load average $(cut -d' ' -f1 /proc/loadavg) >= $WAIT_LOAD; waiting (${waited}s of ${max}s)"
    sleep 30
    waited=$((waited + 30))
  done
}

# process_ticks PID: user + system clock ticks the process has used so far.
process_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# wait_for_idle PID MAX-SECONDS: waits until the process used at most 1 tick of CPU (10 ms) in
# each of 2 consecutive half seconds (for a server: its background work, such as RocksDB
# flushes and compactions, has finished), at most MAX-SECONDS. Prints the seconds waited.
wait_for_idle() {
  local pid=$1 max=$2 half=0 quiet=0 before after
  before=$(process_ticks "$pid")
  while [ "$half" -lt $((2 * max)) ] && [ "$quiet" -lt 2 ]; do
    sleep 0.5
    half=$((half + 1))
    after=$(process_ticks "$pid")
    if [ $((after - before)) -le 1 ]; then quiet=$((quiet + 1)); else quiet=0; fi
    before=$after
  done
  [ "$quiet" -ge 2 ] || log "pid $pid still busy after ${max}s; going on"
  awk -v h="$half" 'BEGIN {printf "%.1f\n", h / 2}'
}

# ------------------------------------------------------------------ figures

# anonymous_writes BUILD-DIR: the configuration line that lets the benchmarks' anonymous clients
# write (auth.anonymousWrites; writes need a user by default). Builds from before the key
# existed allowed anonymous writes and reject unknown auth keys, so they get nothing.
anonymous_writes() {
  if grep -qa anonymousWrites "$1"/lib/libstrata_core.so*; then echo "auth.anonymousWrites = true"; fi
}
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
minimum() { printf '%s\n' "$@" | sort -g | head -n1; }
maximum() { printf '%s\n' "$@" | sort -g | tail -n1; }
fmt() { awk -v x="$1" -v d="${2:-0}" 'BEGIN {printf "%.*f", d, x}'; }
int() { fmt "$1" 0; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
# bytes/s as MB/s (10^6 bytes/s).
mbs() { awk -v x="$1" 'BEGIN {printf "%.0f", x / 1e6}'; }
# "median (min–max)" of a list, through a formatter.
summary() {
  local f=$1; shift
  echo "$($f "$(median "$@")") ($($f "$(minimum "$@")")–$($f "$(maximum "$@")"))"
}
# MB/s figures as bytes/s, one per line (the direct programs print MB/s, curl bytes/s).
to_bps() { local x; for x in "$@"; do awk -v x="$x" 'BEGIN {printf "%.0f\n", x * 1e6}'; done; }

# wrk_rps WRK-ARGS...: wrk's requests/s. wrk counts non-2xx answers and socket errors without
# failing; a benchmark of error pages would look fast, so refuse it.
wrk_rps() {
  local out
  out=$(wrk "$@")
  if grep -qE 'Non-2xx|Socket errors' <<<"$out"; then
    log "wrk saw errors ($*):"; echo "$out" >&2; return 1
  fi
  awk '/^Requests\/sec:/ {print $2}' <<<"$out"
}

# ------------------------------------------------------------------ CPU accounting

# In clock ticks, so that the report can say how much of the machine other processes (others'
# builds and tests on a shared box) took while the script measured. Loopback networking and
# the servers compete with wrk/curl for the same cores, so that share is the first thing to
# read before trusting a figure.
# user + nice + system + irq + softirq: with tick-based accounting (no IRQ_TIME_ACCOUNTING, as
# on the development VM) a task's stime includes the softirq ticks it ran, and loopback TCP is
# mostly softirq work done on the sender's behalf.
busy_ticks() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8}' /proc/stat; }
all_ticks() { awk '/^cpu / {s = 0; for (i = 2; i <= NF; i++) s += $i; print s}' /proc/stat; }
steal_ticks() { awk '/^cpu / {print $9}' /proc/stat; }
# Our own share: this shell and everything it has waited for (wrk, curl, the direct programs:
# cutime/cstime), plus the processes in OWN_PIDS (servers, which are still running).
own_ticks() {
  local t pid
  t=$(awk '{print $14 + $15 + $16 + $17}' "/proc/$$/stat")
  for pid in "${OWN_PIDS[@]}"; do t=$((t + $(process_ticks "$pid"))); done
  echo "$t"
}
# cpu_start PID...: starts the accounting; the PIDs are our own long-running processes, which
# must still run at cpu_stop.
cpu_start() {
  OWN_PIDS=("$@")
  BUSY0=$(busy_ticks); ALL0=$(all_ticks); OWN0=$(own_ticks); STEAL0=$(steal_ticks)
}
# cpu_stop: sets OTHERS_PCT and STEAL_PCT, percentages of all CPU time since cpu_start.
cpu_stop() {
  local busy1 all1 own1 steal1
  busy1=$(busy_ticks); all1=$(all_ticks); own1=$(own_ticks); steal1=$(steal_ticks)
  OTHERS_PCT=$(awk -v b=$((busy1 - BUSY0)) -v o=$((own1 - OWN0)) -v a=$((all1 - ALL0)) \
    'BEGIN {x = (b - o) / a * 100; printf "%.0f", x < 0 ? 0 : x}')
  STEAL_PCT=$(awk -v s=$((steal1 - STEAL0)) -v a=$((all1 - ALL0)) 'BEGIN {printf "%.0f", s / a * 100}')
}

# ------------------------------------------------------------------ report

# report_header TITLE MACHINE-EXTRA COMMIT-EXTRA: the report's title line (TITLE and the time)
# and the paragraph on machine, load, other processes' CPU share, commit and build. Needs
# LOAD_AT_START, OTHERS_PCT, STEAL_PCT (cpu_stop), BUILD_DIR and BUILD_ABS. MACHINE-EXTRA is
# appended to the machine description (", HDF5 1.10.8"), COMMIT-EXTRA to the commit sentence.
report_header() {
  local cpu
  cpu=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
  echo
  echo "$1, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo
  echo "$(nproc) CPUs ($cpu), $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo) RAM, kernel $(uname -r)$2, load average (1/5/15 min) at the start: $LOAD_AT_START, at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
  echo "During the measurements, other processes used about $OTHERS_PCT % of all CPU time (hypervisor steal: $STEAL_PCT %); above a few percent, treat the figures as disturbed."
  echo "Commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD -- 2>/dev/null || echo ' (with uncommitted changes)'), build $BUILD_DIR ($(awk -F= '/^CMAKE_BUILD_TYPE:/ {print $2}' "$BUILD_ABS/CMakeCache.txt")).$3"
}

# ------------------------------------------------------------------ HDF REST requests (curl)
# These expect log() and WORK.

# api BASE METHOD PATH-AND-QUERY [curl args...]: the JSON answer; fails on any non-2xx.
api() {
  local base=$1 method=$2 path=$3; shift 3
  curl -sS -g --fail-with-body -X "$method" "$@" "$base$path"
}
json_field() { grep -o "\"$1\":\"[^\"]*\"" | head -n1 | cut -d'"' -f4; }

# create_dataset BASE QUERY NAME ROWS COLS CHUNK-ROWS CHUNK-COLS: the new float64 dataset's id,
# linked as /NAME in the root group (so that direct baselines can open it by path).
create_dataset() {
  local base=$1 q=$2 name=$3 rows=$4 cols=$5 cr=$6 cc=$7 root
  root=$(api "$base" GET "/?$q" | json_field root)
  api "$base" POST "/datasets?$q" -H 'Content-Type: application/json' -d "{
    \"type\": \"H5T_IEEE_F64LE\", \"shape\": [$rows, $cols],
    \"creationProperties\": {\"layout\": {\"class\": \"H5D_CHUNKED\", \"dims\": [$cr, $cc]}},
    \"link\": {\"id\": \"$root\", \"name\": \"$name\"}}" | json_field id
}

# put_binary URL DATA-FILE: writes the file as a raw binary body; prints bytes/s.
# Expect: 100-continue is switched off, as h5pyd (requests) never sends it.
put_binary() {
  local url=$1 file=$2 code size total
  read -r code size total < <(curl -sS -g -o "$WORK/put.out" -X PUT -H 'Expect:' \
    -H 'Content-Type: application/octet-stream' --data-binary @"$file" \
    -w '%{http_code} %{size_upload} %{time_total}\n' "$url")
  if [ "$code" != 200 ] || [ "$size" != "$(stat -c %s "$file")" ]; then
    log "PUT $url answered $code after $size bytes: $(head -c 300 "$WORK/put.out")"; return 1
  fi
  awk -v s="$size" -v t="$total" 'BEGIN {printf "%.0f\n", s / t}'
}

# get_speed URL EXPECTED-BYTES|any [curl args...]: "bytes/s size" of one download to /dev/null.
get_speed() {
  local url=$1 expected=$2 code size speed; shift 2
  read -r code size speed < <(curl -sS -g -o /dev/null "$@" \
    -w '%{http_code} %{size_download} %{speed_download}\n' "$url")
  if [ "$code" != 200 ] || { [ "$expected" != any ] && [ "$size" != "$expected" ]; }; then
    log "GET $url answered $code with $size bytes (expected $expected)"; return 1
  fi
  echo "$speed $size"
}

# sha256 of a binary GET, and the check against what was PUT (exits on a mismatch).
get_sha() { curl -sS -g --fail -H 'Accept: application/octet-stream' "$1" | sha256sum | cut -d' ' -f1; }
check_sha() {
  local what=$1 got=$2 want=$3
  if [ "$got" != "$want" ]; then log "$what: sha256 $got, expected $want"; exit 1; fi
}
