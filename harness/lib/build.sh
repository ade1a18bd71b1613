# SPDX-License-Identifier: GPL-2.0
# Configure and build the kernel out of tree (O=) with ccache.
#
# Config variants, one output folder each, all from one ccache:
#   phyr      x86_64_defconfig + config/phyr.config (the tests: debugging on)
#   sanitize  phyr + config/sanitize.config (KASAN, lockdep, DEBUG_VM)
#   bench     phyr + config/bench.config (every debugging option off)
#   stock     the pristine 6.12 tree, none of our files or patches, with the
#             bench config (symbols the pristine Kconfig lacks are dropped)
# Every speed figure compares stock with bench, or two calls inside bench.

PHYR_MAKE_VARS=(CC="ccache gcc" HOSTCC="ccache gcc"
	KBUILD_BUILD_TIMESTAMP="phyr" KBUILD_BUILD_USER=phyr KBUILD_BUILD_HOST=phyr)

# config_fragments VARIANT - the fragments of a variant, in merge order.
config_fragments() {
	case "$1" in
	phyr) echo "$PHYR_HARNESS/config/phyr.config" ;;
	sanitize) echo "$PHYR_HARNESS/config/phyr.config $PHYR_HARNESS/config/sanitize.config" ;;
	bench|stock) echo "$PHYR_HARNESS/config/phyr.config $PHYR_HARNESS/config/bench.config" ;;
	*) die "unknown config variant '$1' (phyr, sanitize, bench, stock)" ;;
	esac
}

# check_config OUT FRAGMENT... - every symbol a fragment sets must come out
# as set; a symbol Kconfig silently dropped (missing dependency, patch not
# applied) is reported and fails the build.
check_config() {
	local out=$1 bad=0 line sym val got
	shift
	while read -r line; do
		case "$line" in CONFIG_*=*) ;; *) continue ;; esac
		sym=${line%%=*}
		val=${line#*=}
		# The stock tree lacks our symbols: those are not asked for there
		if [ -n "${PHYR_KCONFIG_SYMS:-}" ] &&
		   ! grep -qxF "${sym#CONFIG_}" "$PHYR_KCONFIG_SYMS"; then
			continue
		fi
		got=$(grep -E "^($sym=|# $sym is not set)" "$out/.config" | tail -n1)
		case "$got" in
		"$sym="*) got=${got#*=} ;;
		*) got=n ;;
		esac
		if [ "$got" != "$val" ]; then
			warn "config: $sym=$val requested, got $got"
			bad=1
		fi
	# "# CONFIG_X is not set" in a fragment asks for X off (for symbols
	# that are not bool, e.g. an int that a later fragment's n hides).
	done < <(cat "$@" | awk -F'[= ]' '/^CONFIG_/ { v[$1] = $0 }
		/^# CONFIG_[A-Za-z0-9_]+ is not set$/ { v[$2] = $2 "=n" }
		END { for (k in v) print v[k] }')
	return $bad
}

# stock_tree - the tree and output folder of the stock kernel: a hard-linked
# copy of pristine (never written to), laid out as tree and out-* are, so
# that ccache sees the same relative paths; sets PHYR_TREE and PHYR_OUT.
# PHYR_STOCK_DIR (default build/VERSION/stock) lets several checkouts share
# one stock kernel, which does not depend on the repository.
stock_tree() {
	local base=${PHYR_STOCK_DIR:-$PHYR_BUILD/stock} pristine="$PHYR_SRC_CACHE/$PHYR_VERSION/pristine"
	if [ ! -f "$base/tree/.phyr-stock" ]; then
		say "creating the stock tree $base/tree (pristine $PHYR_VERSION, none of our files)"
		rm -rf "$base/tree" "$base/tree.tmp"
		mkdir -p "$base"
		cp -al "$pristine" "$base/tree.tmp" || die "cp -al failed"
		echo "$PHYR_VERSION" > "$base/tree.tmp/.phyr-stock"
		mv "$base/tree.tmp" "$base/tree"
	fi
	PHYR_TREE=$base/tree
	PHYR_OUT=$base/out-stock
	# Symbols the pristine Kconfig defines (check_config skips the others)
	PHYR_KCONFIG_SYMS=$base/kconfig-symbols
	[ -s "$PHYR_KCONFIG_SYMS" ] ||
		find "$PHYR_TREE" -name 'Kconfig*' -type f -print0 |
		xargs -0 grep -hoE '^[[:space:]]*(menu)?config[[:space:]]+[A-Za-z0-9_]+' |
		awk '{ print $2 }' | sort -u > "$PHYR_KCONFIG_SYMS"
}

# configure VARIANT - (re)generate OUT/.config; sets PHYR_OUT (and, for
# stock, PHYR_TREE: call it again with phyr to get the phyr tree back).
configure() {
	local variant=$1 frags
	frags=$(config_fragments "$variant")
	PHYR_TREE=$PHYR_BUILD/tree
	PHYR_OUT=$PHYR_BUILD/out-$variant
	PHYR_KCONFIG_SYMS=
	[ "$variant" = stock ] && stock_tree
	mkdir -p "$PHYR_OUT"
	# shellcheck disable=SC2086
	cat $frags "$PHYR_TREE/arch/x86/configs/x86_64_defconfig" | sha1sum > "$PHYR_OUT/.phyr-config-inputs.new"
	# Kconfig files come from the laid tree: re-run when the series changes.
	[ "$variant" = stock ] ||
		sha1sum "$PHYR_TREE/.phyr-manifest" >> "$PHYR_OUT/.phyr-config-inputs.new"
	if [ -f "$PHYR_OUT/.config" ] &&
	   cmp -s "$PHYR_OUT/.phyr-config-inputs.new" "$PHYR_OUT/.phyr-config-inputs"; then
		rm -f "$PHYR_OUT/.phyr-config-inputs.new"
		return 0
	fi
	say "configuring $variant: x86_64_defconfig + $(for f in $frags; do basename "$f"; done | tr '\n' ' ')"
	(cd "$PHYR_TREE" &&
	 make -s O="$PHYR_OUT" "${PHYR_MAKE_VARS[@]}" x86_64_defconfig >/dev/null &&
	 # shellcheck disable=SC2086
	 scripts/kconfig/merge_config.sh -m -O "$PHYR_OUT" "$PHYR_OUT/.config" $frags >"$PHYR_OUT/merge_config.log" 2>&1 &&
	 make -s O="$PHYR_OUT" "${PHYR_MAKE_VARS[@]}" olddefconfig >/dev/null) ||
		die "configuring $variant failed (see $PHYR_OUT/merge_config.log)"
	# shellcheck disable=SC2086
	check_config "$PHYR_OUT" $frags ||
		die "config fragment and resulting .config disagree (above)"
	mv -f "$PHYR_OUT/.phyr-config-inputs.new" "$PHYR_OUT/.phyr-config-inputs"
}

# run_make_progress LOG MAKEARGS... - run make in the tree, printing a
# progress line every 20 s and the errors on failure.
run_make_progress() {
	local log=$1 pid t0 rc
	shift
	t0=$(now_s)
	(cd "$PHYR_TREE" && exec make "$@") >"$log" 2>&1 &
	pid=$!
	local last=$SECONDS
	while kill -0 "$pid" 2>/dev/null; do
		sleep 2
		if [ $((SECONDS - last)) -ge 30 ] && kill -0 "$pid" 2>/dev/null; then
			last=$SECONDS
			say "  ... $(grep -cE '^  (CC|AS|LD|AR)' "$log") steps, $(elapsed "$t0") s"
		fi
	done
	wait "$pid"
	rc=$?
	if [ $rc -ne 0 ]; then
		grep -E 'error|Error|warning:' "$log" | head -n 40 >&2
		tail -n 20 "$log" >&2
		say "make failed after $(elapsed "$t0") s; full log: $log"
	fi
	return $rc
}

# build_kernel VARIANT - configure and build bzImage; sets PHYR_OUT.
build_kernel() {
	local variant=${1:-phyr} t0 hits
	configure "$variant"
	say "building $variant kernel in $PHYR_OUT (-j$PHYR_JOBS, ccache $CCACHE_DIR)"
	t0=$(now_s)
	ccache -z >/dev/null 2>&1
	run_make_progress "$PHYR_OUT/build.log" O="$PHYR_OUT" -j"$PHYR_JOBS" \
		"${PHYR_MAKE_VARS[@]}" bzImage || die "kernel build failed"
	hits=$(ccache -s 2>/dev/null | awk '/Hits:/ { print $2; exit }')
	say "built $PHYR_OUT/arch/x86/boot/bzImage in $(elapsed "$t0") s" \
		"($(grep -cE '^  CC' "$PHYR_OUT/build.log") objects compiled, ccache hits: ${hits:-?})"
	if [ "$variant" = stock ]; then
		# The same user-space programs as the patched kernels, built from
		# this checkout's phyr tree into its own folder (the stock kernel
		# may be shared, PHYR_STOCK_DIR): a benchmark runs one binary on
		# both kernels, and calls the stock kernel lacks fail with errnos.
		local out=$PHYR_OUT tree=$PHYR_TREE
		PHYR_TREE=$PHYR_BUILD/tree
		PHYR_OUT=$PHYR_BUILD/out-stock-tools
		mkdir -p "$PHYR_OUT"
		build_guest_tools || die "building the guest tools failed"
		PHYR_TOOLS=$PHYR_OUT/guest-tools
		PHYR_TREE=$tree
		PHYR_OUT=$out
	else
		build_guest_tools || die "building the guest tools failed"
		PHYR_TOOLS=$PHYR_OUT/guest-tools
	fi
}

# build_guest_tools - user-space programs that guest tests run, built on the
# host from the laid tree against its UAPI headers (the guest runs them from
# the read-only 9p root; guest_run tells it where, in the run dir's "tools"):
# the mm selftests gup_test, gup_phyr and phyr_scale (with vm_util.c), and every other
# tools/testing/selftests/DIR/NAME.c of this repository, into
# $PHYR_OUT/guest-tools/NAME.
build_guest_tools() {
	local sel=$PHYR_TREE/tools/testing/selftests dst=$PHYR_OUT/guest-tools t f
	mkdir -p "$dst"
	(cd "$PHYR_TREE" && make -s O="$PHYR_OUT" "${PHYR_MAKE_VARS[@]}" headers_install) \
		>"$dst/headers.log" 2>&1 || { cat "$dst/headers.log" >&2; return 1; }
	for t in gup_test gup_phyr phyr_scale; do
		gcc -O2 -Wall -I "$PHYR_TREE" -I "$sel/mm" -isystem "$PHYR_OUT/usr/include" \
			-o "$dst/$t" "$sel/mm/$t.c" "$sel/mm/vm_util.c" -lpthread \
			>"$dst/$t.log" 2>&1 || { cat "$dst/$t.log" >&2; return 1; }
	done
	for f in $(our_kernel_files | grep -E '^tools/testing/selftests/[^/]+/[^/]+\.c$' |
		grep -v '^tools/testing/selftests/mm/'); do
		t=$(basename "$f" .c)
		# verbs programs link the host's rdma-core (harness/packages)
		libs=""
		grep -q '<infiniband/verbs.h>' "$PHYR_TREE/$f" && libs=-libverbs
		# shellcheck disable=SC2086
		gcc -O2 -Wall -isystem "$PHYR_OUT/usr/include" -idirafter "$PHYR_TREE/include" \
			-o "$dst/$t" "$PHYR_TREE/$f" $libs \
			>"$dst/$t.log" 2>&1 || { cat "$dst/$t.log" >&2; return 1; }
	done
}
