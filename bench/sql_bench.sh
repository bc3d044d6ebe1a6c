#!/usr/bin/env bash
# The benchmark of the sql backend (docs/storage.md, "SQL"): entity and annotation store rates
# on sql/sqlite and sql/postgresql next to rocksdb, and next to the same SQL run directly, all
# measured in the same run:
#
#   strata_sql_store_bench  the stores as the server opens them (StoreRegistry, the backend's
#                           plugin), one thread: create, get, list (filter on a declared index
#                           field), annotate (replaceAll of three annotations), search (one Eq
#                           clause and a target prefix); on rocksdb, sqlite and postgresql
#   strata_sql_direct       the statements the sql backend runs for the same operations, in
#                           the same transactions, through sqlite3 and libpq alone ("direct"),
#                           and through Poco::Data alone ("Poco"), each statement prepared once
#                           (bench/sql_direct.cpp says what each phase runs); on sqlite and
#                           postgresql
#
#   BUILD_DIR=build bench/sql_bench.sh
#
# Knobs: BUILD_DIR (default build), N (20000 entities; N/2 annotated targets; N/10 lists and
# searches), ROUNDS (3: each program runs ROUNDS times on a fresh database; the report shows the
# median and the range), WAIT_LOAD (bench_lib.sh), KEEP_WORK=1.
#
# Set-up, stated because every figure depends on it:
# - SQLite: a file in the temp directory, WAL, synchronous=NORMAL (the backend's default, sync =
#   false: no fsync per commit).
# - PostgreSQL: Debian's server started by this script (initdb into the temp directory, as
#   `nobody` when run as root, pg_ctl on a free port on 127.0.0.1, TCP), at its defaults but for
#   synchronous_commit=off (a commit does not wait for its WAL flush, as the other two stores at
#   their defaults do not fsync per write); a fresh database per run.
# - rocksdb: the backend's defaults (sync = false), one database per role.
# - The PostgreSQL server's CPU counts as this script's own in the "other processes" figure.
set -euo pipefail
shopt -s inherit_errexit
cd "$(dirname "$0")/.."
BENCH_NAME=sql_bench
source bench/bench_lib.sh

BUILD_DIR=${BUILD_DIR:-build}
N=${N:-20000}
ROUNDS=${ROUNDS:-3}

require_tools cmake awk runuser
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)
[ -x "$PG_BIN/initdb" ] || { log "PostgreSQL is not installed (scripts/setup.sh installs it)"; exit 1; }
log "building in $BUILD_DIR"
cmake --build "$BUILD_DIR" --target strata_all_plugins strata_sql_store_bench strata_sql_direct >&2
BUILD_ABS=$(cd "$BUILD_DIR" && pwd)
STORE_BIN=$BUILD_ABS/bin/strata_sql_store_bench
DIRECT_BIN=$BUILD_ABS/bin/strata_sql_direct
PLUGINS=$BUILD_ABS/lib/strata/plugins

wait_for_low_load
LOAD_AT_START=$(cut -d' ' -f1-3 /proc/loadavg)
bench_workdir strata-sql-bench

# ---- PostgreSQL, as the unprivileged user when run as root
AS=()
if [ "$(id -u)" = 0 ]; then
  AS=(runuser -u nobody --)
  chown nobody "$WORK"
fi
"${AS[@]}" "$PG_BIN/initdb" -D "$WORK/pg" -A trust -U strata -E UTF8 --locale=C >"$WORK/initdb.log" 2>&1
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"${AS[@]}" "$PG_BIN/pg_ctl" -D "$WORK/pg" -l "$WORK/postgres.log" -w -t 30 \
  -o "-p $PORT -k $WORK -c listen_addresses=127.0.0.1 -c synchronous_commit=off" start >&2
pg_stop() { "${AS[@]}" "$PG_BIN/pg_ctl" -D "$WORK/pg" -m fast stop >/dev/null 2>&1 || true; }
trap 'pg_stop; bench_cleanup' EXIT
PG_VERSION=$("$PG_BIN/postgres" --version)
psql_run() { "$PG_BIN/psql" -q -h 127.0.0.1 -p "$PORT" -U strata -d postgres -c "$1" >&2; }
conn() { echo "host=127.0.0.1 port=$PORT user=strata dbname=$1"; }
postmaster_pid() { head -n1 "$WORK/pg/postmaster.pid"; }
# The PostgreSQL server's ticks: every live server process, and the postmaster's reaped children.
pg_ticks() {
  local t=0 pid
  for pid in $(pgrep -s "$(ps -o sid= -p "$(postmaster_pid)" | tr -d ' ')" 2>/dev/null); do
    t=$((t + $(awk '{print $14 + $15 + $16 + $17}' "/proc/$pid/stat" 2>/dev/null || echo 0)))
  done
  echo "$t"
}

# ---- correctness first: every answer of the store program checked, on each store
log "checking the store program's answers (N=2000)"
"$STORE_BIN" "$PLUGINS" rocksdb "$WORK/check-rocksdb" 2000 check >&2
"$STORE_BIN" "$PLUGINS" sqlite "$WORK/check.db" 2000 check >&2
psql_run "CREATE DATABASE check_store"
"$STORE_BIN" "$PLUGINS" postgresql "$(conn check_store)" 2000 check >&2

declare -A RESULTS
# run NAME COMMAND...: one round; appends each of the five rates to RESULTS[NAME.phase].
run() {
  local name=$1 line phase i=0
  shift
  line=$("$@")
  for phase in create get list annotate search; do
    i=$((i + 1))
    RESULTS[$name.$phase]="${RESULTS[$name.$phase]:-} $(echo "$line" | awk -v i=$i '{print $i}')"
  done
}

PG0=$(pg_ticks)
cpu_start
for round in $(seq "$ROUNDS"); do
  log "round $round of $ROUNDS (N=$N)"
  run store.rocksdb "$STORE_BIN" "$PLUGINS" rocksdb "$WORK/rocksdb-$round" "$N"
  run store.sqlite "$STORE_BIN" "$PLUGINS" sqlite "$WORK/store-$round.db" "$N"
  run direct.sqlite "$DIRECT_BIN" sqlite "$WORK/direct-$round.db" "$N"
  run poco.sqlite "$DIRECT_BIN" poco-sqlite "$WORK/poco-$round.db" "$N"
  psql_run "CREATE DATABASE store_$round"
  psql_run "CREATE DATABASE direct_$round"
  psql_run "CREATE DATABASE poco_$round"
  run store.postgresql "$STORE_BIN" "$PLUGINS" postgresql "$(conn "store_$round")" "$N"
  run direct.postgresql "$DIRECT_BIN" postgresql "$(conn "direct_$round")" "$N"
  run poco.postgresql "$DIRECT_BIN" poco-postgresql "$(conn "poco_$round")" "$N"
  rm -rf "$WORK/rocksdb-$round" "$WORK"/{store,direct,poco}-"$round".db*
done
PG1=$(pg_ticks)
# Count the PostgreSQL server's CPU as ours: shift the own-ticks origin back by what it used.
OWN0=$((OWN0 - (PG1 - PG0)))
cpu_stop

vals() { echo ${RESULTS[$1]}; }
med() { median $(vals "$1"); }
rate() { summary "fmt_rate" $(vals "$1"); }
of_direct() { awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0) printf "%.2f", a / b; else printf "n/a"}'; }
fmt_rate() { awk -v x="$1" 'BEGIN {printf (x < 100 ? "%.1f" : "%.0f"), x}'; }

report_header "### sql backend (bench/sql_bench.sh)" ", $PG_VERSION, SQLite $(dpkg-query -W -f='${Version}' libsqlite3-0 2>/dev/null || echo '?')" " N=$N, ROUNDS=$ROUNDS."
echo
echo "Operations per second, median (min–max) of $ROUNDS runs, one thread. \"of direct\" and \"of Poco\": the store's median over the baseline's median on the same database."
for db in sqlite postgresql; do
  echo
  echo "| $db | store | Poco::Data | direct | store of direct | store of Poco | rocksdb store |"
  echo "|---|---|---|---|---|---|---|"
  for phase in create get list annotate search; do
    echo "| $phase | $(rate store.$db.$phase) | $(rate poco.$db.$phase) | $(rate direct.$db.$phase) | $(of_direct "$(med store.$db.$phase)" "$(med direct.$db.$phase)") | $(of_direct "$(med store.$db.$phase)" "$(med poco.$db.$phase)") | $(rate store.rocksdb.$phase) |"
  done
done
