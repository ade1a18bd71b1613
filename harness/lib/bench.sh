# SPDX-License-Identifier: GPL-2.0
# "./phyr bench [--quick]": every A/B of the series in one command.
#
# Builds the bench kernel (our series, no debugging option) and the stock
# kernel (pristine 6.12, the same config), then boots them in alternating
# order, stock then bench, ROUNDS times each (ABAB...), all in iommu mode,
# and in each boot runs harness/guest/bench-run with the plan below: pin
# and unpin through gup_test (bench-gup.sh), the terabyte scale curve
# (phyr_scale), dma_map_phyrs against dma_map_sgtable (bench-dma.sh, bench
# kernel only: the stock kernel has no phyr_edu driver), VFIO MAP/UNMAP
# (bench-vfio.sh) and ibv_reg_mr over rxe (bench-rdma.sh).  The full run
# then boots the bench kernel once in each other DMA mode (direct, pt,
# swiotlb) for bench-dma.sh.  Each guest prints BENCH lines (the contract
# is in harness/guest/bench-run and HELPERS.md); harness/lib/bench_report.py
# turns them into results.csv, report.md and gnuplot PNGs in one folder:
#   $PHYR_CACHE/bench/YYYYmmdd-HHMMSS[-quick]/  (and $PHYR_CACHE/bench/latest)
#
# Environment: PHYR_BENCH_ROUNDS (boots of each kernel; default 3, --quick 2),
# PHYR_BENCH_OUT (the output folder), PHYR_BENCH_PREBUILT
# (STOCK_OUT:STOCK_TOOLS:BENCH_OUT:BENCH_TOOLS: kernels built elsewhere, not
# built here; the report names them).  Either way the report checks each
# kernel's .config: stock without GUP_PHYR, neither with a debugging option.

# bench_plan QUICK KERNEL ROLE ROUND - the BR_* assignments for one boot.
bench_plan() {
	local quick=$1 kernel=$2 role=$3 round=${4:-1}
	if [ "$role" = dma ]; then
		echo "BR_SUITES=dma BR_DMA_MB=1024"
		return
	fi
	local suites="gup scale vfio rdma"
	[ "$kernel" = bench ] && suites="gup scale dma vfio rdma"
	# --quick: VFIO and RDMA (three minutes a boot) in the first round only
	[ "$quick" = 1 ] && [ "$round" -gt 1 ] && suites=${suites% vfio rdma}
	local cmds="a" paths="pin_user_pages_fast"
	[ "$kernel" = bench ] && cmds="a P" && paths="get_user_phyrs,pup+sg,pin_user_pages_fast"
	if [ "$quick" = 1 ]; then
		echo "BR_SUITES='$suites' BR_GUP_SPEC=1024:longterm BR_GUP_REPS=3" \
			"BR_GUP_CMDS='$cmds' BR_SCALE_MAX=1024 BR_SCALE_CAP=4 BR_SCALE_REPS=3" \
			"BR_SCALE_PATHS='$paths' BR_DMA_MB=1024 BR_VFIO_MB=1024 BR_VFIO_ROUNDS=1"
	else
		echo "BR_SUITES='$suites' BR_GUP_SPEC='64,256,1024,2048:longterm 1024:none' BR_GUP_REPS=3" \
			"BR_GUP_CMDS='$cmds' BR_SCALE_MAX=1024 BR_SCALE_CAP=20 BR_SCALE_REPS=3" \
			"BR_SCALE_PATHS='$paths' BR_DMA_MB=64,256,1024 BR_VFIO_MB=1024 BR_VFIO_ROUNDS=3"
	fi
}

# bench_boot DIR N TOTAL KERNEL MODE ROLE ROUND - one boot, its output in
# DIR/boots/N-KERNEL-MODE.log, progress on the terminal.
bench_boot() {
	local dir=$1 n=$2 total=$3 kernel=$4 mode=$5 role=$6 round=$7 log plan rc t0
	log=$dir/boots/$(printf '%02d' "$n")-$kernel-$mode.log
	plan=$(bench_plan "$BENCH_QUICK" "$kernel" "$role" "$round")
	if [ "$kernel" = stock ]; then
		PHYR_OUT=$BENCH_STOCK_OUT PHYR_TOOLS=$BENCH_STOCK_TOOLS
	else
		PHYR_OUT=$BENCH_BENCH_OUT PHYR_TOOLS=$BENCH_BENCH_TOOLS
	fi
	say "bench: boot $n/$total: $kernel kernel, $mode mode ($role) -> $log"
	t0=$(now_s)
	{
		echo "=== bench-boot n=$n kernel=$kernel mode=$mode role=$role"
		echo "=== bench-plan $plan"
		echo "=== bench-host load=\"$(cut -d' ' -f1-3 /proc/loadavg)\" qemus=$(pgrep -c qemu-system)"
	} > "$log"
	# A guest that dies before its first benchmark (under a loaded host,
	# TCG now and then fails the kernel's boot-time timer check) is
	# booted again, at most twice; each attempt is kept and the report
	# lists it.  A guest that dies later is not retried.
	local attempt=1 alog
	while :; do
		alog=${log%.log}.attempt$attempt.txt
		# The guest's section lines are the progress; all goes to the log.
		(cd "$PHYR_ROOT" && guest_run "$mode" "" "$plan bash harness/guest/bench-run") 2>&1 |
			tee "$alog" |
			grep --line-buffered -E '^(=== (bench-suite|[^b])|BENCH-NOTE|\[phyr\] WARNING)' |
			sed -u 's/^/    /' >&2
		rc=${PIPESTATUS[0]}
		if [ "$attempt" -lt 3 ] && { [ "$rc" -eq 124 ] || [ "$rc" -eq 125 ]; } &&
		   ! grep -q '^=== bench-suite ' "$alog"; then
			echo "=== bench-retry attempt=$attempt rc=$rc file=$(basename "$alog") why=\"$(grep -m1 -oE 'Kernel panic.*|BUG:.*|Oops.*' "$alog" | tr -d '"\r' | head -c 160)\"" >> "$log"
			warn "bench: boot $n died before its first benchmark (exit $rc); booting it again"
			attempt=$((attempt + 1))
			continue
		fi
		cat "$alog" >> "$log"
		rm -f "$alog"
		break
	done
	echo "=== bench-boot-end n=$n rc=$rc seconds=$(elapsed "$t0")" >> "$log"
	say "bench: boot $n/$total done in $(elapsed "$t0") s (guest exit $rc); $(elapsed "$BENCH_T0") s so far"
}

run_bench() {
	local quick=0 rounds dir i n total order k m
	while [ $# -gt 0 ]; do
		case "$1" in
		--quick) quick=1; shift ;;
		*) die "usage: ./phyr bench [--quick]" ;;
		esac
	done
	BENCH_QUICK=$quick
	BENCH_T0=$(now_s)
	rounds=${PHYR_BENCH_ROUNDS:-3}
	[ "$quick" = 1 ] && rounds=${PHYR_BENCH_ROUNDS:-2}
	[ "$rounds" -ge 1 ] 2>/dev/null || die "PHYR_BENCH_ROUNDS must be a number >= 1"
	if [ -n "${PHYR_BENCH_PREBUILT:-}" ]; then
		# Kernels and tools built elsewhere (another checkout's cache, a
		# harness trial); the report names them and checks their configs.
		IFS=: read -r BENCH_STOCK_OUT BENCH_STOCK_TOOLS BENCH_BENCH_OUT BENCH_BENCH_TOOLS <<< "$PHYR_BENCH_PREBUILT"
		warn "bench: PHYR_BENCH_PREBUILT: stock $BENCH_STOCK_OUT, bench $BENCH_BENCH_OUT (not built here)"
	else
		prepare_tree
		say "bench: building the stock and bench kernels (incremental)"
		build_kernel stock
		BENCH_STOCK_OUT=$PHYR_OUT BENCH_STOCK_TOOLS=$PHYR_TOOLS
		build_kernel bench
		BENCH_BENCH_OUT=$PHYR_OUT BENCH_BENCH_TOOLS=$PHYR_TOOLS
	fi

	# What each kernel really is, from its .config: the report states it
	# and warns when a speed figure would come from a debugging kernel.
	local cfgcheck="" f sym
	for k in stock bench; do
		if [ "$k" = stock ]; then f=$BENCH_STOCK_OUT/.config; else f=$BENCH_BENCH_OUT/.config; fi
		for sym in GUP_PHYR DEBUG_KMEMLEAK DMA_API_DEBUG KASAN FAILSLAB DEBUG_SG PROVE_LOCKING; do
			grep -q "^CONFIG_$sym=y" "$f" 2>/dev/null && cfgcheck+="$k:$sym "
		done
	done
	dir=${PHYR_BENCH_OUT:-$PHYR_CACHE/bench/$(date +%Y%m%d-%H%M%S)$([ "$quick" = 1 ] && echo -quick)}
	mkdir -p "$dir/boots" || die "cannot create $dir"
	# The boots, in order: stock and bench alternating, then (full run)
	# the bench kernel in the other DMA modes.
	order=()
	for i in $(seq 1 "$rounds"); do
		order+=("stock iommu ab $i" "bench iommu ab $i")
	done
	if [ "$quick" = 0 ]; then
		for m in direct pt swiotlb; do
			order+=("bench $m dma 1")
		done
	fi
	total=${#order[@]}
	{
		echo "started=$(date -u '+%Y-%m-%d %H:%M:%S UTC')"
		echo "quick=$quick"
		echo "rounds=$rounds"
		echo "order=$(printf '%s;' "${order[@]}")"
		echo "host_cpu=$(lscpu | sed -n 's/^Model name: *//p' | head -n1)"
		echo "host_cpus=$(nproc)"
		echo "host_mem=$(free -g | awk '/^Mem:/ { print $2 " GiB" }')"
		echo "host_load=$(cut -d' ' -f1-3 /proc/loadavg)"
		echo "qemu=$(qemu-system-x86_64 --version | head -n1)"
		echo "accel=$PHYR_ACCEL"
		echo "guest_mem=$PHYR_MEM"
		echo "guest_cpus=$PHYR_CPUS"
		echo "guest_hugepages=$PHYR_HUGEPAGES"
		echo "series=$(git -C "$PHYR_ROOT" describe --always --dirty 2>/dev/null)"
		echo "kernel_version=$(cat "$BENCH_STOCK_OUT/include/config/kernel.release" 2>/dev/null)"
		echo "stock_out=$BENCH_STOCK_OUT"
		echo "bench_out=$BENCH_BENCH_OUT"
		echo "prebuilt=${PHYR_BENCH_PREBUILT:+yes}"
		echo "config_y=$cfgcheck"
		for k in stock bench; do
			echo "plan_${k}_ab=$(bench_plan "$quick" "$k" ab 1)"
			[ "$quick" = 1 ] && echo "plan_${k}_ab_later_rounds=$(bench_plan "$quick" "$k" ab 2)"
		done
		echo "plan_bench_dma=$(bench_plan "$quick" bench dma)"
	} > "$dir/meta.txt"
	say "bench: $total boots (${rounds} x stock, ${rounds} x bench, alternating$([ "$quick" = 0 ] && echo ', then bench in direct, pt, swiotlb for DMA')); results in $dir"
	n=0
	for i in "${order[@]}"; do
		n=$((n + 1))
		# shellcheck disable=SC2086
		bench_boot "$dir" "$n" "$total" $i
	done
	echo "finished=$(date -u '+%Y-%m-%d %H:%M:%S UTC')" >> "$dir/meta.txt"
	echo "seconds=$(elapsed "$BENCH_T0")" >> "$dir/meta.txt"
	say "bench: writing the report"
	"$PHYR_PYTHON" "$PHYR_HARNESS/lib/bench_report.py" "$dir" || die "bench_report.py failed"
	ln -sfn "$dir" "$PHYR_CACHE/bench/latest"
	say "bench: report $dir/report.md ($(elapsed "$BENCH_T0") s in all)"
	# The report's headline, and whatever failed or was skipped
	sed -n '/^## Headline/,/^## /p' "$dir/report.md" | sed '$d'
	grep -q '^## What failed' "$dir/report.md" && sed -n '/^## What failed/,/^## /p' "$dir/report.md" | sed '$d'
	# Exit status: non-zero when a boot died or timed out, or a suite
	# failed in the bench kernel.  On the stock kernel, scripts that call
	# what only the series has (phyr_pin=, ib_umem_bench) fail; the report
	# lists those, and they do not fail the run.
	if grep -E 'guest exit (124|125)|\(bench, [a-z]+\): suite|no end line|did not finish' "$dir/failures.txt" >/dev/null; then
		warn "bench: failures in the bench kernel or dead boots (above; $dir/report.md)"
		return 1
	fi
	return 0
}
