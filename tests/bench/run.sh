#!/usr/bin/env bash
# run.sh — `make bench`: figures for ingest and reads against a throw-away
# PostgreSQL and a real isacd on 127.0.0.1. Prints numbers; asserts nothing
# about speed (targets belong to people reading the figures, not to tests).
#
# Usage: ISACD_BIN=build/release/isacd PY=/usr/bin/python3 tests/bench/run.sh [bench args]
set -euo pipefail

ROOT=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd -P)
cd -- "$ROOT"
PY=${PY:-/usr/bin/python3}
ISACD_BIN=$(realpath -- "${ISACD_BIN:-$ROOT/build/release/isacd}")
PYTHONDONTWRITEBYTECODE=1
export PY ISACD_BIN PYTHONDONTWRITEBYTECODE
exec tests/lib/with-pg.sh "$PY" tests/bench/bench_ingest.py "$@"
