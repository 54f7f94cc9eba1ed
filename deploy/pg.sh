#!/usr/bin/env bash
# pg.sh — manage a private, local PostgreSQL cluster for isacd development and tests.
#
# Usage:
#   deploy/pg.sh start DIR [PORT]   initdb DIR/data if missing, start, create database "isacd"
#   deploy/pg.sh stop DIR           fast shutdown (bounded wait); fine if not running
#   deploy/pg.sh remove DIR         stop, then delete the cluster (data, socket, log)
#   deploy/pg.sh status DIR         exit 0 if running, 3 if not
#   deploy/pg.sh dsn DIR [PORT]     print the TCP DSN: postgresql://isacd@127.0.0.1:PORT/isacd
#   deploy/pg.sh socket-dsn DIR     print a libpq conninfo using the unix socket in DIR/run
#   deploy/pg.sh psql DIR [ARGS]    run psql as "isacd" on database "isacd" over the socket
#
# Layout: DIR/data (cluster), DIR/run (unix socket), DIR/log/postgres.log, DIR/port.
# As root, when the postgres account cannot reach DIR (say, a clone under
# /root), data, run and log live in /var/tmp/isacd-pg.XXXXXX instead, named in
# DIR/cluster-location; every command follows that record.
# The cluster's superuser is "isacd"; authentication is trust, for the unix
# socket and 127.0.0.1/::1 only; it listens on 127.0.0.1:PORT (default 54329,
# or the port recorded in DIR/port) and nowhere else.
#
# Environment:
#   PG_FAST=1   tests only: initdb --no-sync, fsync/synchronous_commit/full_page_writes off.
#               Commits still survive a crash of a client (isacd), not of the OS.
#   PG_BIN      directory of initdb/pg_ctl/postgres (default: PostgreSQL 15, else the newest)
#
# As root the server runs as the "postgres" user (created as a system user if
# absent) via runuser; as any other user it runs as that user.
set -euo pipefail

DEFAULT_PORT=54329
WAIT_S=30

die() {
	echo "pg.sh: $*" >&2
	exit 1
}

usage() {
	sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0" >&2
	exit 2
}

find_pg_bin() {
	if [[ -n "${PG_BIN:-}" ]]; then
		[[ -x "$PG_BIN/pg_ctl" ]] || die "PG_BIN=$PG_BIN has no pg_ctl"
		return
	fi
	if [[ -x /usr/lib/postgresql/15/bin/pg_ctl ]]; then
		PG_BIN=/usr/lib/postgresql/15/bin
		return
	fi
	local d newest=""
	for d in /usr/lib/postgresql/*/bin; do
		[[ -x "$d/pg_ctl" ]] || continue
		if [[ -z "$newest" ]] || [[ "$(printf '%s\n%s\n' "$newest" "$d" | sort -V | tail -n 1)" == "$d" ]]; then
			newest=$d
		fi
	done
	[[ -n "$newest" ]] || die "no PostgreSQL server binaries in /usr/lib/postgresql/*/bin (run deploy/install-deps.sh)"
	PG_BIN=$newest
}

# Sets DIR (absolute), DATA, RUN, LOGDIR, LOG, PORTFILE from $1; creates DIR when create=1.
set_dir() {
	local arg=$1 create=$2
	[[ -n "$arg" ]] || usage
	if ((create)) && [[ ! -d "$arg" ]]; then
		mkdir -p -- "$arg"
		CREATED_DIR=1
	fi
	if [[ -d "$arg" ]]; then
		DIR=$(cd -- "$arg" && pwd -P)
	else
		DIR=$(realpath -m -- "$arg")
	fi
	PORTFILE=$DIR/port
	CLUSTER=$DIR
	if [[ -r "$DIR/cluster-location" ]]; then
		CLUSTER=$(cat -- "$DIR/cluster-location")
	fi
	set_cluster_paths
}

set_cluster_paths() {
	DATA=$CLUSTER/data
	RUN=$CLUSTER/run
	LOGDIR=$CLUSTER/log
	LOG=$LOGDIR/postgres.log
}

# As root, when the postgres account cannot reach DIR (a private parent such
# as /root or a mktemp directory): keep the cluster in a directory of its own
# under /var/tmp, recorded in DIR/cluster-location, rather than widening the
# user's directories.
relocate_cluster() {
	CLUSTER=$(mktemp -d /var/tmp/isacd-pg.XXXXXX)
	chmod 0711 "$CLUSTER"
	echo "$CLUSTER" >"$DIR/cluster-location"
	set_cluster_paths
	echo "pg.sh: $PGUSER_OS cannot reach $DIR (a parent directory is private);" \
		"the cluster lives in $CLUSTER (recorded in $DIR/cluster-location)" >&2
}

valid_port() {
	[[ "$1" =~ ^[0-9]+$ ]] && (($1 >= 1 && $1 <= 65535))
}

recorded_port() {
	local p=""
	if [[ -r "$PORTFILE" ]]; then
		p=$(tr -dc '0-9' <"$PORTFILE")
	fi
	if [[ -n "$p" ]] && valid_port "$p"; then
		echo "$p"
	else
		echo "$DEFAULT_PORT"
	fi
}

# The account the server runs as: postgres when we are root, else ourselves.
setup_user() {
	if ((EUID == 0)); then
		PGUSER_OS=postgres
		if ! id -u "$PGUSER_OS" >/dev/null 2>&1; then
			useradd --system --user-group --home-dir /var/lib/postgresql --no-create-home \
				--shell /usr/sbin/nologin "$PGUSER_OS" ||
				die "could not create system user $PGUSER_OS"
		fi
	else
		PGUSER_OS=$(id -un)
	fi
}

# Run a command as the server's account, from inside DIR (so that it never
# starts in a directory it cannot read, such as /root), without the lock's
# descriptor (a postmaster inheriting it would hold the lock for its life).
as_pg() {
	if ((EUID == 0)); then
		(cd -- "$DIR" && runuser -u "$PGUSER_OS" -- "$@" 9>&-)
	else
		(cd -- "$DIR" && "$@" 9>&-)
	fi
}

# As root: make sure the postgres account can reach the cluster. We may widen
# DIR itself (it is ours to manage) but never its parents: when one of them
# is private, the cluster moves (relocate_cluster).
check_traversal() {
	((EUID == 0)) || return 0
	if runuser -u "$PGUSER_OS" -- test -x "$CLUSTER" 2>/dev/null; then
		return 0
	fi
	if [[ -n "${CREATED_DIR:-}" ]] || runuser -u "$PGUSER_OS" -- test -x "$(dirname -- "$DIR")" 2>/dev/null; then
		chmod o+x -- "$DIR"
		runuser -u "$PGUSER_OS" -- test -x "$DIR" 2>/dev/null && return 0
	fi
	[[ "$CLUSTER" == "$DIR" ]] || return 0 # relocated before
	relocate_cluster
}

is_running() {
	[[ -f "$DATA/PG_VERSION" ]] || return 1
	as_pg "$PG_BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1
}

server_pid() {
	head -n 1 "$DATA/postmaster.pid" 2>/dev/null || true
}

# Single-quote a value for postgresql.conf.
conf_quote() {
	printf "'%s'" "${1//\'/\'\'}"
}

init_cluster() {
	local locale=C
	if locale -a 2>/dev/null | grep -qixE 'c\.utf-?8'; then
		locale=C.UTF-8
	fi
	mkdir -p -- "$DATA"
	if ((EUID == 0)); then
		chown "$PGUSER_OS:" "$DATA"
	fi
	chmod 0700 "$DATA"
	local args=(-D "$DATA" -U isacd -E UTF8 --locale="$locale" --auth-local=trust --auth-host=trust)
	if [[ "${PG_FAST:-0}" == 1 ]]; then
		args+=(--no-sync)
	fi
	local out
	if ! out=$(as_pg "$PG_BIN/initdb" "${args[@]}" 2>&1); then
		echo "$out" >&2
		die "initdb failed in $DATA"
	fi
	# Replace the generated rules: trust, socket and loopback only, nothing else.
	as_pg tee "$DATA/pg_hba.conf" >/dev/null <<'EOF'
# isacd development cluster (written by deploy/pg.sh): trust, local only.
# TYPE  DATABASE  USER  ADDRESS       METHOD
local   all       all                 trust
host    all       all   127.0.0.1/32  trust
host    all       all   ::1/128       trust
EOF
	printf '\n# Settings managed by deploy/pg.sh, rewritten at every start.\ninclude_if_exists = %s\n' \
		"$(conf_quote isacd.conf)" | as_pg tee -a "$DATA/postgresql.conf" >/dev/null
}

write_settings() {
	local port=$1 fast=off
	[[ "${PG_FAST:-0}" == 1 ]] && fast=on
	{
		echo "# Written by deploy/pg.sh at start; edits are lost."
		echo "port = $port"
		echo "listen_addresses = '127.0.0.1'"
		echo "unix_socket_directories = $(conf_quote "$RUN")"
		echo "unix_socket_permissions = 0777"
		echo "logging_collector = off"
		echo "log_line_prefix = '%m [%p] %q%u@%d '"
		echo "log_min_messages = warning"
		echo "log_min_error_statement = error"
		echo "log_checkpoints = off"
		if [[ $fast == on ]]; then
			echo "# PG_FAST=1: durable across client crashes, not OS crashes."
			echo "fsync = off"
			echo "synchronous_commit = off"
			echo "full_page_writes = off"
		else
			echo "fsync = on"
			echo "synchronous_commit = on"
			echo "full_page_writes = on"
		fi
	} | as_pg tee "$DATA/isacd.conf" >/dev/null
}

ensure_database() {
	local port=$1 have
	have=$(as_pg "$PG_BIN/psql" -X -q -h "$RUN" -p "$port" -U isacd -d postgres -tAc \
		"SELECT 1 FROM pg_database WHERE datname = 'isacd'") || die "cannot query the server (log: $LOG)"
	if [[ "$have" != 1 ]]; then
		as_pg "$PG_BIN/psql" -X -q -h "$RUN" -p "$port" -U isacd -d postgres \
			-c 'CREATE DATABASE isacd' >/dev/null || die "could not create database isacd"
	fi
}

lock_dir() {
	exec 9>"$DIR/.pg.lock"
	flock -w 120 9 || die "another pg.sh holds $DIR/.pg.lock"
}

cmd_start() {
	local dir=${1:-} want_port=${2:-}
	[[ -n "$dir" ]] || usage
	if [[ -n "$want_port" ]] && ! valid_port "$want_port"; then
		die "bad port: $want_port"
	fi
	find_pg_bin
	setup_user
	set_dir "$dir" 1
	lock_dir
	check_traversal

	if is_running; then
		local cur
		cur=$(recorded_port)
		if [[ -n "$want_port" && "$want_port" != "$cur" ]]; then
			echo "pg.sh: already running in $DIR on port $cur (not $want_port; stop it first to change)" >&2
		else
			echo "pg.sh: already running in $DIR on port $cur (pid $(server_pid))"
		fi
		return 0
	fi

	local port=${want_port:-$(recorded_port)}
	mkdir -p -- "$RUN" "$LOGDIR"
	if ((EUID == 0)); then
		chown "$PGUSER_OS:" "$RUN" "$LOGDIR"
	fi
	chmod 0755 "$RUN" "$LOGDIR"
	if [[ ! -f "$DATA/PG_VERSION" ]]; then
		if [[ -d "$DATA" ]] && [[ -n "$(ls -A -- "$DATA")" ]]; then
			die "$DATA exists, is not empty and holds no cluster; remove it or pick another DIR"
		fi
		init_cluster
	fi
	if ((EUID == 0)); then
		local owner
		owner=$(stat -c %U -- "$DATA")
		[[ "$owner" == "$PGUSER_OS" ]] || die "$DATA belongs to $owner, not $PGUSER_OS"
	fi
	write_settings "$port"
	echo "$port" >"$PORTFILE"

	local out
	if ! out=$(as_pg "$PG_BIN/pg_ctl" -D "$DATA" -l "$LOG" -w -t "$WAIT_S" -s start 2>&1); then
		[[ -z "$out" ]] || echo "$out" >&2
		echo "pg.sh: PostgreSQL did not start on 127.0.0.1:$port; last lines of $LOG:" >&2
		tail -n 20 -- "$LOG" >&2 || true
		as_pg "$PG_BIN/pg_ctl" -D "$DATA" -m immediate -s stop >/dev/null 2>&1 || true
		exit 1
	fi
	local i
	for ((i = 0; i < WAIT_S * 5; i++)); do
		if "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$port" -U isacd -d postgres -t 1; then
			break
		fi
		sleep 0.2
	done
	((i < WAIT_S * 5)) || die "not ready on 127.0.0.1:$port after ${WAIT_S}s (log: $LOG)"
	ensure_database "$port"
	echo "pg.sh: started PostgreSQL $("$PG_BIN/postgres" -V | awk '{print $3}') in $DIR on 127.0.0.1:$port (pid $(server_pid))"
}

cmd_stop() {
	local dir=${1:-}
	[[ -n "$dir" ]] || usage
	set_dir "$dir" 0
	if [[ ! -f "$DATA/PG_VERSION" ]]; then
		echo "pg.sh: not running (no cluster in $DIR)"
		return 0
	fi
	find_pg_bin
	setup_user
	lock_dir
	if ! is_running; then
		echo "pg.sh: not running in $DIR"
		return 0
	fi
	if ! as_pg "$PG_BIN/pg_ctl" -D "$DATA" -m fast -w -t "$WAIT_S" -s stop >/dev/null 2>&1; then
		echo "pg.sh: fast shutdown timed out after ${WAIT_S}s; using immediate" >&2
		as_pg "$PG_BIN/pg_ctl" -D "$DATA" -m immediate -w -t "$WAIT_S" -s stop >/dev/null 2>&1 ||
			die "could not stop the server in $DIR (pid $(server_pid))"
	fi
	echo "pg.sh: stopped PostgreSQL in $DIR"
}

cmd_remove() {
	local dir=${1:-}
	[[ -n "$dir" ]] || usage
	cmd_stop "$dir"
	set_dir "$dir" 0
	rm -rf -- "$DATA" "$RUN" "$LOGDIR" "$PORTFILE"
	if [[ "$CLUSTER" != "$DIR" ]]; then
		rm -rf -- "$CLUSTER" "$DIR/cluster-location"
	fi
	echo "pg.sh: removed the cluster of $DIR"
}

cmd_status() {
	local dir=${1:-}
	[[ -n "$dir" ]] || usage
	set_dir "$dir" 0
	if [[ ! -f "$DATA/PG_VERSION" ]]; then
		echo "pg.sh: not running (no cluster in $DIR)"
		exit 3
	fi
	find_pg_bin
	setup_user
	if is_running; then
		echo "pg.sh: running in $DIR on 127.0.0.1:$(recorded_port) (pid $(server_pid))"
		exit 0
	fi
	echo "pg.sh: not running in $DIR"
	exit 3
}

cmd_dsn() {
	local dir=${1:-} port=${2:-}
	[[ -n "$dir" ]] || usage
	set_dir "$dir" 0
	if [[ -n "$port" ]]; then
		valid_port "$port" || die "bad port: $port"
	else
		port=$(recorded_port)
	fi
	echo "postgresql://isacd@127.0.0.1:$port/isacd"
}

cmd_socket_dsn() {
	local dir=${1:-}
	[[ -n "$dir" ]] || usage
	set_dir "$dir" 0
	local host=${RUN//\\/\\\\}
	host=${host//\'/\\\'}
	echo "host='$host' port=$(recorded_port) user=isacd dbname=isacd"
}

cmd_psql() {
	local dir=${1:-}
	[[ -n "$dir" ]] || usage
	shift
	set_dir "$dir" 0
	find_pg_bin
	exec "$PG_BIN/psql" -X -h "$RUN" -p "$(recorded_port)" -U isacd -d isacd "$@"
}

cmd=${1:-}
(($# > 0)) && shift
case "$cmd" in
start) cmd_start "$@" ;;
stop) cmd_stop "$@" ;;
remove) cmd_remove "$@" ;;
status) cmd_status "$@" ;;
dsn) cmd_dsn "$@" ;;
socket-dsn) cmd_socket_dsn "$@" ;;
psql) cmd_psql "$@" ;;
-h | --help | help) usage ;;
*) usage ;;
esac
