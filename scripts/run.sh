#!/usr/bin/env bash
# Installs what is missing, builds the release preset, and starts the server on its embedded
# default (RocksDB in ./crm-data, 127.0.0.1:8080). Flags are passed on to crm-server.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
cmake --preset release >/dev/null
cmake --build --preset release
exec build/crm-server "$@"
