# SPDX-License-Identifier: GPL-2.0
# Lint: checkpatch --strict over every patch and every new file, kernel-doc
# -Wall over our C sources and headers, and a W=1 build of our objects.
# Each check reports through lint_result so "test" can count them.

# Loop-style macros (phyr_for_each_*) reuse their arguments by design.
PHYR_CHECKPATCH_IGNORE=MACRO_ARG_REUSE

# lint_result STATUS NAME [DETAIL-FILE [SKIP-REASON]] - report one check;
# "test" overrides this to count results.
lint_result() {
	if [ "$1" = pass ]; then
		printf '  ok    %s\n' "$2"
	elif [ "$1" = skip ]; then
		printf '  SKIP  %s: %s\n' "$2" "$4"
	else
		printf '  FAIL  %s\n' "$2"
		[ -n "$3" ] && sed 's/^/        /' "$3" | head -n 40
	fi
}

# our_c_files - our .c and .h files that are kernel code (not userspace).
our_c_files() {
	our_kernel_files | grep -E '\.[ch]$' | grep -v '^tools/'
}

lint_checkpatch() {
	local p f log rc
	log=$(mktemp)
	for p in $(series_patches); do
		(cd "$PHYR_TREE" && scripts/checkpatch.pl --strict --no-summary --color=never \
			--ignore "$PHYR_CHECKPATCH_IGNORE" "$PHYR_ROOT/patches/$p") >"$log" 2>&1
		rc=$?
		if [ $rc -eq 0 ] && ! grep -qE '^(ERROR|WARNING|CHECK)' "$log"; then
			lint_result pass "checkpatch patches/$p"
		else
			lint_result fail "checkpatch patches/$p" "$log"
		fi
	done
	for f in $(our_kernel_files | grep -vE '(^|/)\.kunitconfig$|\.config$'); do
		# Run on the laid copy so the tree-relative checks see the real path.
		(cd "$PHYR_TREE" && scripts/checkpatch.pl --strict --no-summary --color=never \
			--ignore "$PHYR_CHECKPATCH_IGNORE" -f "$f") >"$log" 2>&1
		rc=$?
		if [ $rc -eq 0 ] && ! grep -qE '^(ERROR|WARNING|CHECK)' "$log"; then
			lint_result pass "checkpatch $f"
		else
			lint_result fail "checkpatch $f" "$log"
		fi
	done
	rm -f "$log"
}

lint_kerneldoc() {
	local f log
	log=$(mktemp)
	for f in $(our_c_files); do
		(cd "$PHYR_TREE" && scripts/kernel-doc -none -Wall "$f") >"$log" 2>&1
		if [ $? -eq 0 ] && [ ! -s "$log" ]; then
			lint_result pass "kernel-doc $f"
		else
			lint_result fail "kernel-doc $f" "$log"
		fi
	done
	rm -f "$log"
}

# lint_rst_directives - every ".. kernel-doc::" directive of our .rst files,
# run through scripts/kernel-doc -rst with its options, must produce output
# and no warning (what "make htmldocs" would feed Sphinx).
lint_rst_directives() {
	local rst log
	log=$(mktemp)
	for rst in $(our_kernel_files | grep '\.rst$'); do
		"$PHYR_PYTHON" - "$PHYR_TREE" "$rst" >"$log" 2>&1 <<'PY'
import re, subprocess, sys
tree, rst = sys.argv[1], sys.argv[2]
text = open(f"{tree}/{rst}", encoding="utf-8").read().splitlines()
bad = 0
for i, line in enumerate(text):
    m = re.match(r"\.\. kernel-doc:: (\S+)", line)
    if not m:
        continue
    args = ["scripts/kernel-doc", "-rst", "-Wall"]
    for opt in text[i + 1:]:
        o = re.match(r"\s+:(\w+):\s*(.*)", opt)
        if not o:
            break
        key, val = o.group(1), o.group(2).strip()
        if key == "doc":
            args += ["-function", val]
        elif key == "export":
            args += ["-export"]
        elif key == "internal":
            args += ["-internal"]
        elif key == "identifiers":
            for ident in val.split():
                args += ["-function", ident]
    args.append(m.group(1))
    r = subprocess.run(args, cwd=tree, capture_output=True, text=True)
    warnings = [l for l in r.stderr.splitlines() if "Sphinx" not in l]
    if r.returncode or warnings or not r.stdout.strip():
        bad = 1
        print(f"{rst}:{i + 1}: {' '.join(args[1:])}: "
              f"{'no output' if not r.stdout.strip() else ''}")
        print("\n".join(warnings))
sys.exit(bad)
PY
		if [ $? -eq 0 ]; then
			lint_result pass "kernel-doc directives of $rst"
		else
			lint_result fail "kernel-doc directives of $rst" "$log"
		fi
	done
	rm -f "$log"
}

# lint_w1 - compile each of our built-in objects with W=1 in a separate
# output directory (same .config), so the normal build is not disturbed.
lint_w1() {
	local out=$PHYR_BUILD/out-w1 f o log objs=()
	log=$(mktemp)
	for f in $(our_c_files | grep '\.c$'); do
		o=${f%.c}.o
		# Only objects the phyr config builds (the main build made them).
		if [ -f "$PHYR_OUT/$o" ]; then
			objs+=("$o")
		else
			lint_result skip "W=1 $o" "" "not built by the phyr config"
		fi
	done
	[ ${#objs[@]} -eq 0 ] && { rm -f "$log"; return 0; }
	mkdir -p "$out"
	if ! cmp -s "$PHYR_OUT/.config" "$out/.config"; then
		cp "$PHYR_OUT/.config" "$out/.config"
		(cd "$PHYR_TREE" && make -s O="$out" "${PHYR_MAKE_VARS[@]}" olddefconfig) >/dev/null 2>&1
	fi
	say "W=1 build of ${#objs[@]} objects in $out"
	for o in "${objs[@]}"; do
		(cd "$PHYR_TREE" && make O="$out" -j"$PHYR_JOBS" "${PHYR_MAKE_VARS[@]}" W=1 "$o") >"$log" 2>&1
		if [ $? -eq 0 ] && ! grep -qE 'warning:|error:' "$log"; then
			lint_result pass "W=1 $o"
		else
			grep -E 'warning:|error:' "$log" > "$log.w" || tail -n 30 "$log" > "$log.w"
			lint_result fail "W=1 $o" "$log.w"
			rm -f "$log.w"
		fi
	done
	rm -f "$log"
}

# lint_rdma_compile - every RDMA driver still compiles against the umem
# API: the phyr .config plus config/rdma-compile.config (the InfiniBand
# drivers as modules, COMPILE_TEST and the Kconfig symbols they depend on)
# in its own output directory, and only drivers/infiniband/ is built (not
# mlx5_core, ice, qed...).  Warm runs reuse the objects; ccache serves the
# rest.
lint_rdma_compile() {
	local out=$PHYR_BUILD/out-rdma-compile frag=$PHYR_HARNESS/config/rdma-compile.config
	local log t0 n
	log=$(mktemp)
	mkdir -p "$out"
	cat "$PHYR_OUT/.config" "$frag" | sha1sum > "$out/.phyr-config-inputs.new"
	if ! cmp -s "$out/.phyr-config-inputs.new" "$out/.phyr-config-inputs"; then
		cp "$PHYR_OUT/.config" "$out/.config"
		if ! (cd "$PHYR_TREE" &&
		      scripts/kconfig/merge_config.sh -m -O "$out" "$out/.config" "$frag" &&
		      make -s O="$out" "${PHYR_MAKE_VARS[@]}" olddefconfig) >"$log" 2>&1 ||
		   ! check_config "$out" "$frag" 2>>"$log"; then
			lint_result fail "RDMA drivers compile (configuring)" "$log"
			rm -f "$log"
			return 0
		fi
		mv -f "$out/.phyr-config-inputs.new" "$out/.phyr-config-inputs"
	fi
	t0=$(now_s)
	say "compile-only build of drivers/infiniband/ in $out"
	# (run_make_progress prints progress every 30 s: cold, this is long)
	if run_make_progress "$log" O="$out" -j"$PHYR_JOBS" "${PHYR_MAKE_VARS[@]}" \
		drivers/infiniband/ && ! grep -qE 'warning:|error:' "$log"; then
		n=$(find "$out/drivers/infiniband" -name '*.o' ! -name '*.mod.o' | wc -l)
		lint_result pass "RDMA drivers compile ($n objects, $(elapsed "$t0") s)"
	else
		grep -E 'warning:|error:' "$log" > "$log.w" || tail -n 30 "$log" > "$log.w"
		lint_result fail "RDMA drivers compile" "$log.w"
		rm -f "$log.w"
	fi
	rm -f "$log"
}

# lint_all - every lint check; non-zero when any failed.
lint_all() {
	local fails
	fails=$( { lint_checkpatch; lint_kerneldoc; lint_rst_directives; lint_w1; lint_rdma_compile; } | tee /dev/stderr | grep -c '^  FAIL')
	say "lint: $fails failed"
	[ "$fails" -eq 0 ]
}
