#!/usr/bin/env bash
# Sets up (Debian packages, build) and starts strata-server in the foreground on the default
# configuration (app/strata.properties: 127.0.0.1:8080, stores under ./var). Extra arguments
# go to strata-server, e.g. `scripts/run-server.sh --config my.properties`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
BUILD_DIR="${STRATA_BUILD_DIR:-build}"
mkdir -p var
if [ "$#" -eq 0 ]; then
  set -- --config app/strata.properties
fi
exec "$BUILD_DIR/bin/strata-server" "$@"
