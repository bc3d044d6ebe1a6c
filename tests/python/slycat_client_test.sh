#!/usr/bin/env bash
# examples/slycat_client.py against a real server: the slycat and hdf plugins, arrays in .h5
# files (hdf5 backend), models in RocksDB, a user of the users file. The script writes and reads
# with Slycat's client conventions, reads the values through the hdf plugin, and opens the .h5
# with h5py (Debian's /usr/bin/python3).
#
#   slycat_client_test.sh <build dir> <source dir>
set -euo pipefail

BUILD=$(cd "$1" && pwd)
SRC=$(cd "$2" && pwd)
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
echo "alice:$hash" >"$WORK/users"
cat >"$WORK/strata.properties" <<PROPS
server.address = 127.0.0.1
server.port = 0
server.portFile = $WORK/port
plugins.path = $BUILD/lib/strata/plugins
plugins.load = slycat, hdf
auth.anonymous = true
auth.usersFile = $WORK/users
stores.arrays.default.backend = hdf5
stores.arrays.default.path = $WORK/hdf
stores.entities.default.backend = rocksdb
stores.entities.default.path = $WORK/db
PROPS
"$BUILD/bin/strata-server" --config "$WORK/strata.properties" >"$WORK/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 100); do
  [ -s "$WORK/port" ] && break
  kill -0 "$server_pid" 2>/dev/null || fail "the server exited at start-up"
  sleep 0.1
done
[ -s "$WORK/port" ] || fail "the server did not start listening"

/usr/bin/python3 "$SRC/examples/slycat_client.py" --url "http://127.0.0.1:$(cat "$WORK/port")" \
  --user alice --password wonderland --hdf --h5-root "$WORK/hdf" || fail "examples/slycat_client.py"
