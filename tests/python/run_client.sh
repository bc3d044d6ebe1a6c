#!/usr/bin/env bash
# Runs one of the example clients (examples/*_client.py, Debian's /usr/bin/python3 with
# python3-requests, -numpy and -h5py) against a real server started here: 127.0.0.1 on a port the
# server picks, a users file with the user alice, and the configuration lines given.
#
#   run_client.sh <build dir> <source dir> KEY=VALUE... -- <script> [script args...]
#
# Each KEY=VALUE is a configuration line; "@WORK" in them and in the script's arguments stands
# for the test's temporary directory. The script gets --url, --user and --password first.
# STRATA_CLIENT_GROUPS (environment, optional): alice's groups in the users file ("admin").
set -euo pipefail

BUILD=$(cd "$1" && pwd)
SRC=$(cd "$2" && pwd)
shift 2
WORK=$(mktemp -d)
server_pid=""
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  [ -f "$WORK/server.log" ] && tail -n 40 "$WORK/server.log" >&2
  exit 1
}

hash=$(echo -n 'wonderland' | "$BUILD/bin/strata-server" --hash-password) || fail "--hash-password"
echo "alice:$hash${STRATA_CLIENT_GROUPS:+:$STRATA_CLIENT_GROUPS}" >"$WORK/users"
cat >"$WORK/strata.properties" <<PROPS
server.address = 127.0.0.1
server.port = 0
server.portFile = $WORK/port
plugins.path = $BUILD/lib/strata/plugins
auth.anonymous = true
auth.usersFile = $WORK/users
PROPS
while [ "$#" -gt 0 ] && [ "$1" != "--" ]; do
  echo "${1//@WORK/$WORK}" >>"$WORK/strata.properties"
  shift
done
[ "$#" -gt 1 ] || fail "usage: run_client.sh <build dir> <source dir> KEY=VALUE... -- <script> [args...]"
shift
script=$1
shift
args=()
for a in "$@"; do args+=("${a//@WORK/$WORK}"); done

"$BUILD/bin/strata-server" --config "$WORK/strata.properties" >"$WORK/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 100); do
  [ -s "$WORK/port" ] && break
  kill -0 "$server_pid" 2>/dev/null || fail "the server exited at start-up"
  sleep 0.1
done
[ -s "$WORK/port" ] || fail "the server did not start listening"

/usr/bin/python3 "$SRC/$script" --url "http://127.0.0.1:$(cat "$WORK/port")" --user alice --password wonderland \
  "${args[@]}" || fail "$script"

# A clean stop, and no sanitizer report in the server's output (docs/reliability.md).
kill -TERM "$server_pid"
wait "$server_pid" || fail "the server exited with status $? on SIGTERM"
server_pid=""
if grep -q "SUMMARY: .*Sanitizer" "$WORK/server.log"; then
  cat "$WORK/server.log" >&2
  fail "a sanitizer report in the server's output"
fi
