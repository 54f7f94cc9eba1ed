#!/usr/bin/env bash
# run-demo.sh — what `make run` calls: start the ./var PostgreSQL, migrate,
# seed demo organisations, keys and a token once, print how to use them, and
# run isacd in the foreground.
#
# Usage: deploy/run-demo.sh build/release/isacd
#
# Environment: ISACD_PG_PORT (default 54329) for the ./var cluster;
# ISACD_PORT / ISACD_PUBLIC_URL / ISACD_LISTEN as for isacd itself.
# Demo material lands in var/demo/ (secret keys 0600, coordinator.token).
# Ctrl-C stops isacd; PostgreSQL keeps running: deploy/pg.sh stop var.
set -euo pipefail

ROOT=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)
PY=/usr/bin/python3

if (($# != 1)); then
	echo "usage: deploy/run-demo.sh PATH/TO/isacd" >&2
	exit 2
fi
[[ -x "$1" ]] || {
	echo "run-demo: $1 is not an executable (run make first)" >&2
	exit 1
}
BIN=$(realpath -- "$1")
cd -- "$ROOT"
# How to name the binary in printed commands: relative to the repository when inside it.
BIN_SHOWN=${BIN#"$ROOT"/}

deploy/pg.sh start var "${ISACD_PG_PORT:-54329}"

ISACD_DATABASE_URL=$(deploy/pg.sh dsn var)
ISACD_SERVER_KEY=var/server.key
ISACD_PORT=${ISACD_PORT:-8080}
ISACD_PUBLIC_URL=${ISACD_PUBLIC_URL:-http://127.0.0.1:$ISACD_PORT}
export ISACD_DATABASE_URL ISACD_SERVER_KEY ISACD_PORT ISACD_PUBLIC_URL

"$BIN" migrate

DEMO=var/demo
umask 077
mkdir -p "$DEMO"

json_get() {
	"$PY" -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"
}

# once NAME CMD...: run CMD unless it already succeeded; keep its JSON output
# in $DEMO/NAME.json. Every seeding step is one of these, so a run that failed
# halfway resumes where it stopped instead of creating duplicates.
once() {
	local name=$1 out
	shift
	if [[ ! -s "$DEMO/$name.json" ]]; then
		out=$("$@")
		printf '%s\n' "$out" >"$DEMO/$name.json.tmp"
		mv "$DEMO/$name.json.tmp" "$DEMO/$name.json"
	fi
}

# field NAME KEY: a field of a step's saved output.
field() {
	json_get "$2" <"$DEMO/$1.json"
}

# operator TAG ORG-NAME SECTOR REGION KEY-ID
operator() {
	local tag=$1 name=$2 sector=$3 region=$4 kid=$5 org pub
	once "org-$tag" "$BIN" admin org-create --kind operator --name "$name" --sector "$sector" --region "$region"
	org=$(field "org-$tag" id)
	if [[ ! -s "$DEMO/keygen-$tag.json" ]]; then
		# A half-written key pair from an interrupted run would make keygen refuse.
		rm -f "$DEMO/operator-$tag.key" "$DEMO/operator-$tag.pem" "$DEMO/operator-$tag.pub"
	fi
	once "keygen-$tag" "$BIN" admin keygen --out "$DEMO/operator-$tag"
	pub=$(field "keygen-$tag" public_key)
	once "key-$tag" "$BIN" admin key-add --org "$org" --public-key "$pub" --key-id "$kid"
	# what the anonymizer removes from this operator's bulletins
	once "profile-$tag" "$BIN" admin org-profile --org "$org" --file "deploy/demo-profile-$tag.json"
}


if [[ ! -e "$DEMO/.seeded" ]]; then
	echo "run-demo: seeding demo organisations into $DEMO"
	once org-coordinator "$BIN" admin org-create --kind coordinator --name "Demo Coordination Centre"
	once token-coordinator "$BIN" admin token-issue --org "$(field org-coordinator id)" --label demo
	field token-coordinator token >"$DEMO/coordinator.token"
	operator power "Kanto Electric Demo" electric_power kanto demo-power
	operator water "Kinki Water Demo" water kinki demo-water
	# a member who reads the feeds: CLEAR, GREEN, and AMBER for two sectors
	once org-subscriber "$BIN" admin org-create --kind subscriber --name "Demo ISAC Member"
	once subscriber-set "$BIN" admin subscriber-set --org "$(field org-subscriber id)" \
		--clearance CLEAR,GREEN,AMBER --sectors electric_power,water
	once token-subscriber "$BIN" admin token-issue --org "$(field org-subscriber id)" --label demo
	field token-subscriber token >"$DEMO/subscriber.token"
	touch "$DEMO/.seeded"
fi

kid_power=$(field key-power key_id)
kid_water=$(field key-water key_id)
token=$(cat "$DEMO/coordinator.token")

cat <<EOF

================================================================================
 isacd demo
--------------------------------------------------------------------------------
 API base:    $ISACD_PUBLIC_URL
 Dashboard:   $ISACD_PUBLIC_URL/dashboard/   (sign in with the coordinator token below)
 Database:    $ISACD_DATABASE_URL   (deploy/pg.sh psql var)

 Coordinator token (Demo Coordination Centre), also in $DEMO/coordinator.token:
   $token

 Operators and their signing keys:
   Kanto Electric Demo  key id $kid_power  $DEMO/operator-power.key
   Kinki Water Demo     key id $kid_water  $DEMO/operator-water.key

 The first run submits deploy/demo-report.json once the server is up. Submit another
 (from another terminal, in $ROOT):
      $BIN_SHOWN submit --url $ISACD_PUBLIC_URL --key $DEMO/operator-power.key --key-id $kid_power deploy/demo-report.json

 Subscriber token (Demo ISAC Member: TAXII 2.1, GET /v1/bulletins, GET /v1/stream):
   $DEMO/subscriber.token

 Then, as the coordinator, see it in the queue and its anonymized bulletin draft:
   curl -s -H "Authorization: Bearer \$(cat $DEMO/coordinator.token)" $ISACD_PUBLIC_URL/v1/coord/incidents
   curl -s -H "Authorization: Bearer \$(cat $DEMO/coordinator.token)" $ISACD_PUBLIC_URL/v1/coord/incidents/<id>


 Ctrl-C stops isacd. PostgreSQL keeps running; stop it with: deploy/pg.sh stop var
 Start over from scratch: deploy/pg.sh remove var && rm -rf var
================================================================================

EOF

# The first time, once the server answers, submit the demo report so the
# dashboard has an incident to show (signed like any operator's).
if [[ ! -e "$DEMO/.reported" ]]; then
	(
		for _ in $(seq 100); do
			if curl -fsS -o /dev/null "$ISACD_PUBLIC_URL/healthz" 2>/dev/null; then
				"$BIN" submit --url "$ISACD_PUBLIC_URL" --key "$DEMO/operator-power.key" \
					--key-id "$kid_power" deploy/demo-report.json >"$DEMO/report.json" &&
					touch "$DEMO/.reported" &&
					echo "run-demo: submitted deploy/demo-report.json as Kanto Electric Demo"
				exit 0
			fi
			sleep 0.2
		done
		echo "run-demo: the server did not answer; no demo report submitted" >&2
	) &
fi

exec "$BIN" serve
