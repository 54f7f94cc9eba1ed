#!/usr/bin/env bash
# with-pg.sh — run one command against a throw-away PostgreSQL cluster.
#
# Usage: tests/lib/with-pg.sh CMD [ARGS...]
#
# Makes a temp dir, starts a PG_FAST=1 cluster in it (deploy/pg.sh) on a free
# loopback port, runs CMD with these exported:
#   ISACD_TEST_DSN         postgresql://isacd@127.0.0.1:PORT/isacd (TCP)
#   ISACD_TEST_SOCKET_DSN  libpq conninfo for the same database over the unix socket
#   ISACD_TEST_PG_DIR      the cluster's directory (for deploy/pg.sh stop/status/psql)
#   ISACD_TEST_PG_PORT     its port
#   ISACD_TEST_TMP         a scratch dir; TMPDIR points into it as well
# then stops the cluster and removes the temp dir, on success, failure, INT or
# TERM alike. Exits with CMD's status.
#
# ISACD_KEEP_TMP=1 keeps the temp dir (with the PostgreSQL log) and says where.
# PY names the Python used to find a free port (default /usr/bin/python3).
set -euo pipefail

ROOT=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd -P)
PG_SH=$ROOT/deploy/pg.sh
PY=${PY:-/usr/bin/python3}

if (($# == 0)); then
	sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0" >&2
	exit 2
fi

tmp=""
pgdir=""

# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	if [[ -n "$pgdir" ]]; then
		"$PG_SH" stop "$pgdir" >/dev/null || echo "with-pg: could not stop PostgreSQL in $pgdir" >&2
	fi
	if [[ -n "$tmp" ]]; then
		if [[ "${ISACD_KEEP_TMP:-0}" == 1 ]]; then
			echo "with-pg: kept $tmp (PostgreSQL log: $pgdir/log/postgres.log)" >&2
		else
			rm -rf -- "$tmp"
		fi
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
	"$PY" -c 'import socket
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/isacd-test.XXXXXX")
# mktemp makes it 0700; the postgres account (when we are root) must traverse it.
chmod 0711 "$tmp"
mkdir -m 0700 "$tmp/tmp"
pgdir=$tmp/pg

started=0
for attempt in 1 2 3; do
	port=$(free_port)
	# A free port can be taken between the probe and the bind: try another.
	if PG_FAST=1 "$PG_SH" start "$pgdir" "$port" >&2; then
		started=1
		break
	fi
	echo "with-pg: start attempt $attempt on port $port failed" >&2
done
((started)) || {
	echo "with-pg: could not start PostgreSQL" >&2
	exit 1
}

ISACD_TEST_DSN=$("$PG_SH" dsn "$pgdir")
ISACD_TEST_SOCKET_DSN=$("$PG_SH" socket-dsn "$pgdir")
ISACD_TEST_PG_DIR=$pgdir
ISACD_TEST_PG_PORT=$port
ISACD_TEST_TMP=$tmp/tmp
export ISACD_TEST_DSN ISACD_TEST_SOCKET_DSN ISACD_TEST_PG_DIR ISACD_TEST_PG_PORT ISACD_TEST_TMP

rc=0
TMPDIR=$ISACD_TEST_TMP "$@" || rc=$?
exit "$rc"
