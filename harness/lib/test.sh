# SPDX-License-Identifier: GPL-2.0
# "./phyr test": every test, counted.  Results are recorded one per line
# (status, name, reason) and summarised at the end with a last line
# "N passed, N failed" (", N skipped" when some were skipped, with the
# reasons listed above it).

PHYR_MODES=${PHYR_MODES:-"direct iommu pt swiotlb"}
# For quick iterations: PHYR_TEST_STEPS="lint uml self guest" runs only
# those steps (tree and build always run).  Unset, every step runs.
want_step() {
	[ -z "${PHYR_TEST_STEPS:-}" ] || [[ " $PHYR_TEST_STEPS " == *" $1 "* ]]
}

t_record() {	# STATUS NAME [REASON]
	printf '%s\t%s\t%s\n' "$1" "$2" "${3:-}" >> "$T_RESULTS"
	case "$1" in
	pass) printf '  ok    %s\n' "$2" ;;
	skip) printf '  SKIP  %s: %s\n' "$2" "$3" ;;
	*)    printf '  FAIL  %s%s\n' "$2" "${3:+: $3}" ;;
	esac
}

# t_run NAME CMD... - run CMD with its output in a log; pass when it exits 0.
# The harness's own progress lines ("[phyr] ...": what is being built, a
# line every 30 s of a long make) reach the terminal too, indented: a cold
# build takes many minutes.
t_run() {
	local name=$1 log rc
	shift
	log=$T_LOGS/$(echo "$name" | tr -c 'A-Za-z0-9._-' '_').log
	printf '  ...   %s (log %s)\n' "$name" "$log"
	# a subshell: "die" must not end the run
	( "$@" ) 2>&1 | tee "$log" | grep --line-buffered '^\[phyr\]' | sed -u 's/^/        /'
	rc=${PIPESTATUS[0]}
	if [ $rc -eq 0 ]; then
		t_record pass "$name"
	else
		t_record fail "$name" "exit $rc, log $log"
		tail -n 30 "$log" | sed 's/^/        /'
	fi
	return $rc
}

t_summary() {
	local p f s
	p=$(grep -c '^pass' "$T_RESULTS")
	f=$(grep -c '^fail' "$T_RESULTS")
	s=$(grep -c '^skip' "$T_RESULTS")
	echo
	echo "=== summary ($(elapsed "$T_START") s) ==="
	if [ "$s" -gt 0 ]; then
		echo "skipped:"
		grep '^skip' "$T_RESULTS" | awk -F'\t' '{ printf "  %s: %s\n", $2, $3 }'
	fi
	if [ "$f" -gt 0 ]; then
		echo "failed:"
		grep '^fail' "$T_RESULTS" | awk -F'\t' '{ printf "  %s: %s\n", $2, $3 }'
	fi
	if [ "$s" -gt 0 ]; then
		echo "$p passed, $f failed, $s skipped"
	else
		echo "$p passed, $f failed"
	fi
	[ "$f" -eq 0 ]
}

# kunit_lines FIELD - the kunit.list entries, comments stripped.
kunit_lines() {
	grep -vE '^[[:space:]]*(#|$)' "$PHYR_HARNESS/kunit.list"
}

kunit_py() {
	(cd "$PHYR_TREE" && exec "$PHYR_PYTHON" tools/testing/kunit/kunit.py "$@")
}

# kunit_uml - run every "uml" kunitconfig under User Mode Linux.
kunit_uml() {
	local cfg uml modes glob name json rc log
	while read -r cfg uml modes glob; do
		[ "$uml" = uml ] || continue
		name=$(dirname "$cfg" | tr '/' '-')
		json=$PHYR_BUILD/uml-$name.json
		log=$PHYR_BUILD/uml-$name.log
		say "KUnit under UML: $cfg (build dir $PHYR_BUILD/uml-$name)"
		with_progress "$log" "kunit.py run (UML build and run)" \
			kunit_py run --kunitconfig="$cfg" --build_dir="$PHYR_BUILD/uml-$name" \
			--jobs="$PHYR_JOBS" --make_options CC="ccache gcc" --json="$json"
		rc=$?
		grep -E '^\[..:..:..\] (Testing complete|=+ \[|\[(PASSED|FAILED|SKIPPED|CRASHED)\])|Elapsed time' "$log" | tail -n 8 >&2
		if [ -f "$json" ] && [ -n "${T_RESULTS:-}" ]; then
			"$PHYR_PYTHON" "$PHYR_HARNESS/lib/kunit_results.py" "kunit-uml" "$json" |
				while IFS=$'\t' read -r st nm why; do t_record "$st" "$nm" "$why"; done
		fi
		if [ $rc -ne 0 ]; then
			tail -n 30 "$log" >&2
			[ -n "${T_RESULTS:-}" ] && t_record fail "kunit-uml $cfg" "kunit.py exit $rc, log $log"
		fi
		rm -f "$json"
	done < <(kunit_lines)
}

# kunit_globs MODE - the suite globs the guest runs in MODE.
kunit_globs() {
	local cfg uml modes glob g=""
	while read -r cfg uml modes glob; do
		case ",$modes," in *",$1,"*)
			case ",$g," in *",$glob,"*) ;; *) g="${g:+$g,}$glob" ;; esac ;;
		esac
	done < <(kunit_lines)
	echo "$g"
}

# guest_mode_tests MODE - one boot: mode proof, guest tests, built-in
# KUnit suites, DMA-API debug, pin balance and kmemleak checks.
guest_mode_tests() {
	local mode=$1 globs extra rc ktap json
	globs=$(kunit_globs "$mode")
	extra=""
	# kunit.filter_glob takes one glob: with several, every built-in suite
	# runs and the guest keeps the results of the suites that match.
	case "$globs" in
	"") ;;
	*,*) extra="kunit.enable=1" ;;
	*) extra="kunit.enable=1 kunit.filter_glob=$globs" ;;
	esac
	(cd "$PHYR_ROOT" && PHYR_KUNIT_GLOBS=$globs guest_run "$mode" "$extra" \
		bash harness/guest/run-tests) >"$T_LOGS/guest-$mode.log" 2>&1
	rc=$?
	local run
	run=$(grep -o 'run dir [^)]*' "$T_LOGS/guest-$mode.log" | head -n1 | cut -d' ' -f3)
	grep '^PHYR-RESULT ' "$T_LOGS/guest-$mode.log" |
		while read -r _ st nm why; do t_record "$st" "$nm" "$why"; done
	grep -q '^PHYR-RESULT ' "$T_LOGS/guest-$mode.log" || tail -n 40 "$T_LOGS/guest-$mode.log"
	if [ $rc -ne 0 ]; then
		t_record fail "guest $mode: boot and run-tests" "exit $rc, log $T_LOGS/guest-$mode.log"
	fi
	ktap=$run/kunit.ktap
	if [ -n "$globs" ]; then
		json=$T_LOGS/kunit-$mode.json
		if [ -s "$ktap" ] && (cd "$PHYR_TREE" && "$PHYR_PYTHON" tools/testing/kunit/kunit.py parse \
			--json="$json" "$ktap") >"$T_LOGS/kunit-$mode.log" 2>&1 ||
			[ -s "$json" ]; then
			"$PHYR_PYTHON" "$PHYR_HARNESS/lib/kunit_results.py" "kunit-$mode" "$json" "$ktap" |
				while IFS=$'\t' read -r st nm why; do t_record "$st" "$nm" "$why"; done
		else
			t_record fail "kunit-$mode ($globs)" "no KUnit results from the guest ($T_LOGS/kunit-$mode.log)"
		fi
	fi
}

# harness_self_tests - the loop itself must report failure and hangs.
harness_self_tests() {
	local rc
	(cd "$PHYR_ROOT" && guest_run direct "" false) >"$T_LOGS/self-false.log" 2>&1
	rc=$?
	if [ $rc -eq 1 ]; then
		t_record pass "harness: a failing guest command fails the boot (exit 1)"
	else
		t_record fail "harness: a failing guest command fails the boot" "got exit $rc"
	fi
	(cd "$PHYR_ROOT" && PHYR_TIMEOUT=60 guest_run direct "" sleep 1000) >"$T_LOGS/self-hang.log" 2>&1
	rc=$?
	if [ $rc -eq 124 ]; then
		t_record pass "harness: a hung guest is killed at its timeout (exit 124)"
	else
		t_record fail "harness: a hung guest is killed at its timeout" "got exit $rc"
	fi
}

run_all_tests() {
	T_START=$(now_s)
	T_RESULTS=$(mktemp)
	T_LOGS=$PHYR_CACHE/test-logs
	rm -rf "$T_LOGS"
	mkdir -p "$T_LOGS"
	# Lint results are counted like any other test.
	lint_result() { t_record "$1" "lint: $2" "${4:-${3:+see below}}"; [ "$1" = fail ] && [ -n "$3" ] && sed 's/^/        /' "$3" | head -n 30; return 0; }

	echo "=== tree and build ==="
	if ! t_run "tree: fetch, unpack and lay the series" prepare_tree; then
		t_summary
		return 1
	fi
	prepare_tree 2>/dev/null	# again, here, for PHYR_TREE and friends
	if ! t_run "build: phyr kernel (x86_64_defconfig + phyr.config)" build_kernel phyr; then
		t_summary
		return 1
	fi
	configure phyr 2>/dev/null

	if want_step lint; then
		echo "=== lint ==="
		lint_checkpatch
		lint_kerneldoc
		lint_rst_directives
		lint_w1
		lint_rdma_compile
	fi

	echo "=== sanitizer config (KASAN + lockdep + DEBUG_VM) ==="
	if ! want_step sanitize; then
		:
	elif [ "${PHYR_TEST_SANITIZE:-0}" = 1 ]; then
		t_run "build: sanitize kernel" build_kernel sanitize
		configure phyr 2>/dev/null
	else
		t_record skip "build: sanitize kernel" "not in the default run (PHYR_TEST_SANITIZE=1 builds it; ./phyr build --config sanitize)"
	fi

	if want_step uml; then
		echo "=== KUnit under UML ==="
		kunit_uml
	fi

	echo "=== guest ==="
	want_step self && harness_self_tests
	local m
	if want_step guest; then
		for m in $PHYR_MODES; do
			echo "--- guest, $m mode ---"
			guest_mode_tests "$m"
		done
	fi

	t_summary
}

run_demo() {
	prepare_tree
	build_kernel phyr
	# DMA-API debugging off: the demo times the DMA API, not its debugging.
	(cd "$PHYR_ROOT" && guest_run iommu "kunit.enable=1 kunit.filter_glob=phyr_density dma_debug=off" \
		bash harness/guest/demo)
	local rc=$?
	echo
	echo "The full report (stock against bench kernels over alternating boots, every size,"
	echo "the terabyte curve, plots) is written by ./phyr bench (--quick: ~15 min) into"
	echo "$PHYR_CACHE/bench/DATE/report.md."
	[ -e "$PHYR_CACHE/bench/latest/report.md" ] &&
		echo "The latest: $(readlink -f "$PHYR_CACHE/bench/latest")/report.md"
	return $rc
}
