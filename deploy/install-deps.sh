#!/usr/bin/env bash
# install-deps.sh — install the Debian packages isacd needs to build, run and test.
#
# Idempotent: asks dpkg which packages are missing and installs only those
# (apt-get update runs only when something is missing). Quiet when nothing is
# missing; otherwise prints one line saying what it installed.
#
# Usage: deploy/install-deps.sh [--browser] [--lint] [--check]
#   --browser  also chromium, nodejs and npm (dashboard tests); npm only when no
#              npm command exists (a Node.js package that bundles npm, such as
#              NodeSource's, conflicts with Debian's npm package)
#   --lint     also clang-format and cppcheck (make lint)
#   --check    install nothing: list missing packages, exit 1 if any
set -euo pipefail

PKGS=(
	build-essential pkg-config clang
	libmicrohttpd-dev libpq-dev libjansson-dev libsodium-dev libcurl4-openssl-dev libcmocka-dev
	postgresql postgresql-client
	python3 python3-pytest python3-requests python3-nacl python3-jsonschema
	openssl curl ca-certificates
)
check_only=0

for arg in "$@"; do
	case "$arg" in
	--browser)
		PKGS+=(chromium nodejs)
		command -v npm >/dev/null 2>&1 || PKGS+=(npm)
		;;
	--lint) PKGS+=(clang-format cppcheck) ;;
	--check) check_only=1 ;;
	-h | --help)
		sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"
		exit 0
		;;
	*)
		echo "install-deps: unknown argument: $arg (try --help)" >&2
		exit 2
		;;
	esac
done

if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
	echo "install-deps: not a Debian system (no dpkg/apt-get); install these packages or their equivalents:" >&2
	echo "${PKGS[*]}"
	exit 1
fi

missing=()
for p in "${PKGS[@]}"; do
	status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	if [[ "$status" != installed ]]; then
		missing+=("$p")
	fi
done

if ((${#missing[@]} == 0)); then
	exit 0
fi

if ((check_only)); then
	echo "install-deps: missing: ${missing[*]}"
	exit 1
fi

SUDO=()
if ((EUID != 0)); then
	if ! command -v sudo >/dev/null 2>&1; then
		echo "install-deps: not root and no sudo; as root run: apt-get install ${missing[*]}" >&2
		exit 1
	fi
	SUDO=(sudo)
fi

export DEBIAN_FRONTEND=noninteractive
APT_OPTS=(-q -y -o DPkg::Lock::Timeout=300 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)
log=$(mktemp "${TMPDIR:-/tmp}/install-deps.XXXXXX.log")
if ! "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get "${APT_OPTS[@]}" update >"$log" 2>&1 ||
	! "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get "${APT_OPTS[@]}" install --no-install-recommends "${missing[@]}" >>"$log" 2>&1; then
	tail -n 30 "$log" >&2
	echo "install-deps: apt-get failed installing: ${missing[*]} (full log: $log)" >&2
	exit 1
fi
rm -f "$log"
echo "install-deps: installed ${#missing[@]} package(s): ${missing[*]}"
