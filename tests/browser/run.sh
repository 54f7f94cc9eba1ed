#!/usr/bin/env bash
# run.sh — the dashboard's browser tests: node --test driving Debian's
# /usr/bin/chromium through playwright-core, against a real isacd on a
# throw-away PostgreSQL.
#
# Usage: ISACD_BIN=build/release/isacd PY=/usr/bin/python3 tests/browser/run.sh [CMD ARGS...]
#
# Re-runs itself under tests/lib/with-pg.sh, migrates, creates a coordinator
# with a token, an operator with an Ed25519 key and a redaction profile, and a
# subscriber (clearance CLEAR, GREEN) with a token and a webhook subscription, starts `isacd serve` on a free loopback port and
# runs CMD (default: node --test dashboard.test.mjs, in tests/browser) with:
#   ISACD_URL            the server's base URL
#   ISACD_COORD_TOKEN    the coordinator's bearer token
#   ISACD_SUB_TOKEN      the subscriber's bearer token
#   ISACD_OP_KEY         the operator's secret key file (for `isacd submit`)
#   ISACD_OP_KEY_ID      its key id
#   ISACD_OP_TERMS       the redaction terms of its profile, one per line
#   ISACD_OP2_KEY        a second key of the same operator (the one the tests revoke)
#   ISACD_OP2_KEY_ID     its key id
#   ISACD_HOOK_URL       the subscriber's webhook: a port nobody listens on, so with
#                        ISACD_WEBHOOK_MAX_AGE_S=1 its deliveries die within seconds
#   ISACD_ARTIFACTS      where screenshots go (tests/artifacts/browser)
#   ISACD_BIN            the binary
# Then stops isacd and fails if it did not exit 0. Needs `npm ci` in
# tests/browser first (make browser does it). ISACD_KEEP_TMP=1 keeps the
# scratch dir with isacd's log.
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
export PY ISACD_BIN

if [[ -z "${ISACD_TEST_DSN:-}" ]]; then
	if [[ ! -d tests/browser/node_modules/playwright-core ]]; then
		echo "run.sh: tests/browser/node_modules is missing: run make browser (or npm ci in tests/browser)" >&2
		exit 1
	fi
	exec tests/lib/with-pg.sh "$0" "$@"
fi

# From here on, inside with-pg.sh: ISACD_TEST_DSN, ISACD_TEST_TMP are set.
work=$ISACD_TEST_TMP/browser
mkdir -p "$work"
log=$work/isacd.log

# Only what this script sets reaches isacd: no stray ISACD_* from the caller.
while read -r name; do
	case "$name" in
	ISACD_TEST_* | ISACD_BIN | ISACD_KEEP_TMP) ;;
	*) unset "$name" ;;
	esac
done < <(compgen -e | grep '^ISACD_' || true)
export ISACD_DATABASE_URL=$ISACD_TEST_DSN ISACD_LOG_LEVEL=info

json_get() {
	"$PY" -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"
}

admin() {
	"$ISACD_BIN" admin "$@"
}

"$ISACD_BIN" migrate >"$work/migrate.log" 2>&1

coord=$(admin org-create --kind coordinator --name "Browser Test Coordination Centre" | json_get id)
ISACD_COORD_TOKEN=$(admin token-issue --org "$coord" --label browser-test | json_get token)

op=$(admin org-create --kind operator --name "Tama Grid Power" --sector electric_power --region kanto |
	json_get id)
admin keygen --out "$work/operator" >"$work/keygen.json"
ISACD_OP_KEY=$work/operator.key
ISACD_OP_KEY_ID=$(admin key-add --org "$op" --public-key "$(json_get public_key <"$work/keygen.json")" \
	--key-id browser-op | json_get key_id)
ISACD_OP_TERMS=$'Tama substation\nHanako Sato'
cat >"$work/profile.json" <<'EOF'
{"domains": ["tama-grid.example"], "ranges": ["198.51.100.0/24"],
 "terms": ["Tama substation", "Hanako Sato"]}
EOF
admin org-profile --org "$op" --file "$work/profile.json" >/dev/null

admin keygen --out "$work/operator2" >"$work/keygen2.json"
ISACD_OP2_KEY=$work/operator2.key
ISACD_OP2_KEY_ID=$(admin key-add --org "$op" --public-key "$(json_get public_key <"$work/keygen2.json")" \
	--key-id browser-op-spare | json_get key_id)

sub=$(admin org-create --kind subscriber --name "Browser Test Subscriber" | json_get id)
ISACD_SUB_TOKEN=$(admin token-issue --org "$sub" --label browser-test | json_get token)
admin subscriber-set --org "$sub" --clearance CLEAR,GREEN >/dev/null

free_port() {
	"$PY" -c 'import socket
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

# the webhook: a port that was free a moment ago (connections are refused)
ISACD_HOOK_URL=http://127.0.0.1:$(free_port)/hook
admin subscription-add --org "$sub" --webhook "$ISACD_HOOK_URL" >/dev/null

pid=""
# shellcheck disable=SC2317  # invoked by the EXIT trap
stop_isacd() {
	if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
}
trap stop_isacd EXIT

healthy() {
	curl -fsS -o /dev/null --max-time 2 "$ISACD_URL/healthz" 2>/dev/null
}

started=0
for attempt in 1 2 3; do
	port=$(free_port)
	ISACD_URL=http://127.0.0.1:$port
	echo "--- isacd serve on port $port (attempt $attempt)" >>"$log"
	ISACD_LISTEN=127.0.0.1 ISACD_PORT=$port ISACD_PUBLIC_URL=$ISACD_URL \
		ISACD_WEBHOOK_MAX_AGE_S=1 ISACD_WEBHOOK_RETRY_BASE_MS=50 \
		ISACD_SERVER_KEY=$work/server.key "$ISACD_BIN" serve </dev/null >>"$log" 2>&1 &
	pid=$!
	for _ in $(seq 200); do
		kill -0 "$pid" 2>/dev/null || break
		if healthy; then
			started=1
			break
		fi
		sleep 0.1
	done
	((started)) && break
	stop_isacd
	pid=""
done
if ((!started)); then
	echo "run.sh: isacd did not become healthy; its log:" >&2
	tail -n 40 "$log" >&2
	exit 1
fi

ISACD_ARTIFACTS=$ROOT/tests/artifacts/browser
rm -rf -- "$ISACD_ARTIFACTS" # screenshots of this run only
mkdir -p "$ISACD_ARTIFACTS"
export ISACD_URL ISACD_COORD_TOKEN ISACD_SUB_TOKEN ISACD_OP_KEY ISACD_OP_KEY_ID ISACD_OP_TERMS \
	ISACD_OP2_KEY ISACD_OP2_KEY_ID ISACD_HOOK_URL ISACD_ARTIFACTS

rc=0
if (($# > 0)); then
	"$@" || rc=$?
else
	(cd tests/browser && node --test dashboard.test.mjs) || rc=$?
fi

# isacd must stop cleanly on SIGTERM (under SAN=1 this is where leaks show),
# within 15 s: past that a watchdog kills it and the run fails.
kill -TERM "$pid"
(
	sleep 15 &
	nap=$!
	trap 'kill "$nap" 2>/dev/null; exit 0' TERM
	wait "$nap"
	kill -KILL "$pid" 2>/dev/null
) &
watchdog=$!
src=0
wait "$pid" || src=$?
pid=""
kill "$watchdog" 2>/dev/null || true
wait "$watchdog" 2>/dev/null || true
if ((src != 0)); then
	echo "run.sh: isacd exited with status $src on SIGTERM; its log:" >&2
	tail -n 40 "$log" >&2
	rc=1
elif ((rc != 0)); then
	echo "run.sh: the tests failed; isacd's log ends:" >&2
	tail -n 20 "$log" >&2
fi
exit "$rc"
