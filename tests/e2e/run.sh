#!/usr/bin/env bash
# run.sh — run the end-to-end tests (pytest, tests/e2e) against a throw-away PostgreSQL.
#
# Usage: ISACD_BIN=build/release/isacd PY=/usr/bin/python3 tests/e2e/run.sh [pytest args] [test files]
#
# tests/lib/with-pg.sh provides the cluster and cleans it up; the tests find it
# through ISACD_TEST_DSN / ISACD_TEST_PG_DIR and the server under test through
# ISACD_BIN. Exits with pytest's status; "no tests collected" (5) is a failure.
set -euo pipefail

ROOT=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd -P)
cd -- "$ROOT"

PY=${PY:-/usr/bin/python3}
ISACD_BIN=${ISACD_BIN:-$ROOT/build/release/isacd}
if [[ ! -x "$ISACD_BIN" ]]; then
	echo "run.sh: ISACD_BIN=$ISACD_BIN is not an executable (run make first)" >&2
	exit 1
fi
ISACD_BIN=$(realpath -- "$ISACD_BIN")
# Write nothing into the tree: no bytecode, no pytest cache.
PYTHONDONTWRITEBYTECODE=1
export PY ISACD_BIN PYTHONDONTWRITEBYTECODE

# Test files or directories among the arguments replace the default tests/e2e.
where=(tests/e2e)
for a in "$@"; do
	if [[ "$a" != -* && -e "$a" ]]; then
		where=()
		break
	fi
done
rc=0
tests/lib/with-pg.sh "$PY" -m pytest -p no:cacheprovider -q -ra "${where[@]}" "$@" || rc=$?

if ((rc == 5)); then
	echo "run.sh: pytest collected no tests; that counts as a failure" >&2
fi
exit "$rc"
