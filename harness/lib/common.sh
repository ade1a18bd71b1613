# SPDX-License-Identifier: GPL-2.0
# Shared settings and helpers of the phyr harness.  Sourced by ./phyr.

PHYR_CACHE=${PHYR_CACHE:-$HOME/.cache/phyr}
# Pristine trees may be shared between caches (e.g. one per worktree).
PHYR_SRC_CACHE=${PHYR_SRC_CACHE:-$PHYR_CACHE/src}
PHYR_JOBS=${PHYR_JOBS:-$(nproc)}
export CCACHE_DIR=${CCACHE_DIR:-$PHYR_CACHE/ccache}
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-5G}
# Hits across build trees at different paths: hash relative paths only.
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$(dirname "$PHYR_CACHE")}
export CCACHE_NOHASHDIR=1
# Debian's python, not whatever else is first on PATH.
PHYR_PYTHON=/usr/bin/python3

say()  { printf '[phyr] %s\n' "$*" >&2; }
warn() { printf '[phyr] WARNING: %s\n' "$*" >&2; }
die()  { printf '[phyr] error: %s\n' "$*" >&2; exit 1; }

# now_s - seconds since the epoch, with fractions.
now_s() { date +%s.%N; }
# elapsed START - seconds since START, one decimal.
elapsed() { awk -v s="$1" -v e="$(now_s)" 'BEGIN { printf "%.1f", e - s }'; }

# ensure_packages - apt-get install whatever of harness/packages is missing.
ensure_packages() {
	local missing=() p
	while read -r p; do
		case "$p" in ''|\#*) continue ;; esac
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
			grep -q 'install ok installed' || missing+=("$p")
	done < "$PHYR_HARNESS/packages"
	[ ${#missing[@]} -eq 0 ] && return 0
	say "installing ${missing[*]}"
	[ "$(id -u)" -eq 0 ] || die "need root to apt-get install ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null ||
		die "apt-get update failed"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends "${missing[@]}" >/dev/null ||
		die "apt-get install ${missing[*]} failed"
}

# ensure_extra_packages PKG... - install optional packages (guest tools).
ensure_extra_packages() {
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
			grep -q 'install ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	say "installing ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends "${missing[@]}" >/dev/null ||
		die "apt-get install ${missing[*]} failed"
}

# with_progress LOG LABEL CMD... - run CMD with its output in LOG, printing
# "LABEL: N s" every 30 s while it runs; returns CMD's status.
with_progress() {
	local log=$1 label=$2 pid t0 last=$SECONDS
	shift 2
	t0=$(now_s)
	"$@" >"$log" 2>&1 &
	pid=$!
	while kill -0 "$pid" 2>/dev/null; do
		sleep 2
		if [ $((SECONDS - last)) -ge 30 ] && kill -0 "$pid" 2>/dev/null; then
			last=$SECONDS
			say "  ... $label: $(elapsed "$t0") s"
		fi
	done
	wait "$pid"
}
