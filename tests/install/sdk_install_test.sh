#!/usr/bin/env bash
# The SDK as a third party uses it: installs the build tree into a fresh prefix, builds
# examples/ against that prefix alone (find_package(Strata)), installs the example plugins into
# the prefix, starts the INSTALLED strata-server on them and checks the example API over HTTP.
#
#   sdk_install_test.sh <build dir> <source dir>
#
# Works in <build dir>/tests/install/work (a fixed path, so ccache serves rebuilds), which is
# removed at the end. Listens on 127.0.0.1 on a port the server picks (server.port = 0).
set -euo pipefail

BUILD=$(cd "$1" && pwd)
SRC=$(cd "$2" && pwd)
WORK="$BUILD/tests/install/work"
PREFIX="$WORK/prefix"
server_pid=""

cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  [ "${STRATA_KEEP_SDK_TEST:-0}" = 1 ] || rm -rf "$WORK"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  if [ -f "$WORK/server.log" ]; then
    echo "--- server log" >&2
    tail -n 40 "$WORK/server.log" >&2
  fi
  exit 1
}

rm -rf "$WORK"
mkdir -p "$WORK"

# 1. The SDK and the server, installed.
cmake --install "$BUILD" --prefix "$PREFIX" >"$WORK/install.log" || fail "cmake --install of the build tree"
for f in bin/strata-server lib/libstrata_core.so include/strata/endpoint_plugin.h \
  include/strata/backend_plugin.h lib/cmake/Strata/StrataConfig.cmake \
  lib/cmake/Strata/StrataConfigVersion.cmake lib/cmake/Strata/StrataTargets.cmake \
  lib/cmake/Strata/strata_plugin.cmake lib/cmake/Strata/plugin_exports.map \
  lib/strata/plugins/strata-endpoint-admin.so share/strata/strata.properties; do
  [ -e "$PREFIX/$f" ] || fail "the install has no $f"
done
# core/src is private to the server: it must not be installed.
[ ! -e "$PREFIX/include/strata/plugin_loader.h" ] || fail "a core/src header was installed"

# 2. The examples, built against the installed SDK only.
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S "$SRC/examples" -B "$WORK/build" -G Ninja -DCMAKE_PREFIX_PATH="$PREFIX" \
  -DCMAKE_INSTALL_PREFIX="$PREFIX" "${launcher[@]}" >"$WORK/configure.log" 2>&1 ||
  { cat "$WORK/configure.log" >&2; fail "configuring examples/ against the installed SDK"; }
cmake --build "$WORK/build" -j2 >"$WORK/build.log" 2>&1 ||
  { cat "$WORK/build.log" >&2; fail "building examples/"; }
cmake --install "$WORK/build" >"$WORK/install-examples.log" || fail "installing the examples"
for m in strata-endpoint-notes.so strata-backend-jsonfiles.so; do
  so="$PREFIX/lib/strata/plugins/$m"
  [ -f "$so" ] || fail "$m was not installed into the prefix's plugin directory"
  # Hidden visibility and the version script: exactly the two gate symbols are exported.
  exported=$(nm -D --defined-only "$so" | awk '{print $3}' | grep -v '^$' | sort | tr '\n' ' ')
  [ "$exported" = "strata_plugin_create strata_plugin_info " ] || fail "$m exports: $exported"
done

# 3. The installed server with the example plugins (found in its default plugins.path). Writes
# need a user on the safe defaults: one user, made with the installed server's own hasher.
hash=$(echo -n 'notes-secret' | "$PREFIX/bin/strata-server" --hash-password) || fail "--hash-password failed"
echo "writer:$hash" >"$WORK/users"
cat >"$WORK/strata.properties" <<PROPS
server.address = 127.0.0.1
server.port = 0
server.portFile = $WORK/port
plugins.load = admin, notes
plugins.admin.blobs = false
plugins.notes.maxTextBytes = 1K
auth.anonymous = true
auth.usersFile = $WORK/users
stores.entities.default.backend = jsonfiles
stores.entities.default.path = $WORK/data
PROPS
"$PREFIX/bin/strata-server" --config "$WORK/strata.properties" >"$WORK/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 100); do
  [ -s "$WORK/port" ] && break
  kill -0 "$server_pid" 2>/dev/null || fail "the installed server exited at start-up"
  sleep 0.1
done
[ -s "$WORK/port" ] || fail "the installed server did not start listening"
BASE="http://127.0.0.1:$(cat "$WORK/port")"
AUTH=()

# call METHOD PATH [curl args...]: sets STATUS, BODY, CTYPE
call() {
  local method=$1 path=$2
  shift 2
  local out
  out=$(curl -s -S -X "$method" "${AUTH[@]}" -o "$WORK/body" -w '%{http_code} %{content_type}' "$@" "$BASE$path") ||
    fail "curl $method $path"
  STATUS=${out%% *}
  CTYPE=${out#* }
  BODY=$(cat "$WORK/body")
}
expect() {  # status, then extended regexes the body must match
  local want=$1
  shift
  [ "$STATUS" = "$want" ] || fail "$LAST: status $STATUS, expected $want; body: $BODY"
  for re in "$@"; do
    echo "$BODY" | grep -Eq -- "$re" || fail "$LAST: body does not match $re: $BODY"
  done
}

LAST="plugins"; call GET /strata/plugins
expect 200 '"kind":"endpoint","name":"notes","version":"0.1.0"' '"kind":"backend","name":"jsonfiles"'
grep -qF "plugin notes 0.1.0 loaded from $PREFIX/lib/strata/plugins/strata-endpoint-notes.so" "$WORK/server.log" ||
  fail "the notes plugin was not loaded from the prefix"

# Anonymous callers read but do not write; the refusal is in the plugin's own format.
LAST="anonymous create"; call POST /notes -H 'Content-Type: application/json' -d '{"text":"first note"}'
expect 401 '"status":401' '"title":"Unauthorized"'
[ "$CTYPE" = "application/problem+json" ] || fail "anonymous create: content type $CTYPE"
AUTH=(-u writer:notes-secret)
LAST="create"; call POST /notes -H 'Content-Type: application/json' -d '{"text":"first note"}'
expect 201 '"text":"first note"' '"version":1'
id=$(echo "$BODY" | sed -E 's/.*"id":"([^"]+)".*/\1/')
[ -n "$id" ] && [ "$id" != "$BODY" ] || fail "create: no id in $BODY"
# The jsonfiles backend keeps it as a plain file.
[ -f "$WORK/data/notes/$id.json" ] || fail "no file $WORK/data/notes/$id.json"
grep -q '"text":"first note"' "$WORK/data/notes/$id.json" || fail "the stored file lacks the text"

LAST="read"; call GET "/notes/$id"
expect 200 "\"id\":\"$id\"" '"text":"first note"'
etag=$(curl -s -D - -o /dev/null "$BASE/notes/$id" | tr -d '\r' | sed -n 's/^[Ee][Tt][Aa][Gg]: //p')
[ -n "$etag" ] || fail "read: no ETag"

LAST="update"; call PUT "/notes/$id" -H "If-Match: $etag" -d '{"text":"second"}'
expect 200 '"text":"second"' '"version":2'
LAST="stale update"; call PUT "/notes/$id" -H "If-Match: $etag" -d '{"text":"third"}'
expect 412 '"status":412' '"title":"Precondition Failed"' '"detail":"[^"]*etag mismatch'

LAST="list"; call POST /notes -d '{"text":"another"}'
expect 201
call GET '/notes?limit=1'
expect 200 '"total":2' '"text":"second"'
[ "$(echo "$BODY" | grep -o '"id"' | wc -l)" = 1 ] || fail "list: limit=1 gave more than one note: $BODY"

# Errors come in the plugin's own format (problem details), with its media type.
LAST="missing note"; call GET /notes/no-such-note
expect 404 '"type":"about:blank"' '"title":"Not Found"' '"status":404' "\"detail\":\"no note 'no-such-note'\""
[ "$CTYPE" = "application/problem+json" ] || fail "missing note: content type $CTYPE"
LAST="bad body"; call POST /notes -d '{"title":"no text"}'
expect 400 '"status":400' "\"detail\":\"a note needs a string field 'text'\""
LAST="bad json"; call POST /notes -d '{"text":'
expect 400 '"title":"Bad Request"'
LAST="too long"; call POST /notes -d "{\"text\":\"$(head -c 1100 /dev/zero | tr '\0' x)\"}"
expect 413 '"status":413'
LAST="bad id"; call GET '/notes/..hidden'
expect 400 '"status":400' "must not start with '.'"
LAST="bad limit"; call GET '/notes?limit=0'
expect 400 "limit"

LAST="delete"; call DELETE "/notes/$id"
expect 204
[ ! -e "$WORK/data/notes/$id.json" ] || fail "delete left the file behind"
LAST="deleted"; call GET "/notes/$id"
expect 404 '"title":"Not Found"'

# 4. A clean stop.
kill -TERM "$server_pid"
wait "$server_pid" || fail "the server exited with status $? on SIGTERM"
server_pid=""
if grep -q "SUMMARY: .*Sanitizer" "$WORK/server.log"; then
  cat "$WORK/server.log" >&2
  fail "a sanitizer report in the server's output"
fi
echo "sdk install test: OK"
