#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Pin and unpin 4 KiB (contiguous as a fresh guest hands it out, and
# fragmented: faulted in backwards, gup_test -R), THP, hugetlb 2 MiB and
# hugetlb 1 GiB memory, populated, with and without FOLL_LONGTERM, through
# tools/testing/selftests/mm/gup_test:
#   -a  PIN_FAST_BENCHMARK: pin_user_pages_fast() of 512 pages a call into
#       one page array, unpin_user_pages() (every kernel, stock included)
#   -P  PHYR_BENCHMARK (patched kernels): one pin_user_pages_fast() of the
#       whole range ("pup-1call"), the same through a one-page array plus
#       sg_alloc_append_table_from_pages() ("pup+sg", what ib_umem_get()
#       does) and get_user_phyrs(), one after the other, best of REPEATS
# Prints gup_test's own text and, for ./phyr bench, one line per figure:
#   BENCH path=P mem=M size_mib=N op=pin|unpin flags=none|longterm ns=N
#         reps=R [rep=I] [bytes=N] [ranges=N]
# (-a: one line per repetition, rep=I; -P: the best of R, reps=R.)
# Runs in the guest:
#   ./phyr boot --config bench -- bash harness/guest/bench-gup.sh [MiB[,MiB...] [REPEATS]]
# Environment: BENCH_MEMS (default "4K 4K-frag THP hugetlb-2M hugetlb-1G"),
# BENCH_FLAGS ("none longterm", or joined by +), BENCH_CMDS ("a P"; on a
# kernel without PHYR_BENCHMARK, the stock one, -P fails and a BENCH-NOTE
# says why).  Hugetlb sizes above the boot's reservation (1 GiB of each page
# size) are skipped with a BENCH-NOTE.
sizes=${1:-1024}
repeats=${2:-3}
mems=${BENCH_MEMS:-"4K 4K-frag THP hugetlb-2M hugetlb-1G"}
flagsets=${BENCH_FLAGS:-"none longterm"}
flagsets=${flagsets//+/ }
cmds=${BENCH_CMDS:-"a P"}
tools=$(cat /tmp/out/tools 2>/dev/null)
[ -x "$tools/gup_test" ] || { echo "bench-gup: no gup_test in '$tools'"; exit 1; }
rc=0

# hugetlb pages of SIZE_KB free now
huge_free_mib() {
	local f=/sys/kernel/mm/hugepages/hugepages-$1kB/free_hugepages
	[ -r "$f" ] || { echo 0; return; }
	echo $(($(cat "$f") * $1 / 1024))
}

for size in ${sizes//,/ }; do
	for mem in $mems; do
		case "$mem" in
		4K) margs="-T" ;;
		4K-frag) margs="-T -R" ;;
		THP) margs="-t" ;;
		hugetlb-2M) margs="-H"
			[ "$(huge_free_mib 2048)" -ge "$size" ] || {
				echo "BENCH-NOTE bench-gup: $mem $size MiB skipped: $(huge_free_mib 2048) MiB of 2 MiB pages free"
				continue; } ;;
		hugetlb-1G) margs="-G"
			[ "$(huge_free_mib 1048576)" -ge "$size" ] || {
				echo "BENCH-NOTE bench-gup: $mem $size MiB skipped: $(huge_free_mib 1048576) MiB of 1 GiB pages free"
				continue; } ;;
		*) echo "bench-gup: unknown memory $mem"; exit 2 ;;
		esac
		for fl in $flagsets; do
			fargs=""
			[ "$fl" = longterm ] && fargs="-F 0x100"	# FOLL_LONGTERM; gup_test adds FOLL_WRITE
			for c in $cmds; do
				[ -n "${t0:-}" ] && echo "    ($((SECONDS - t0)) s)"
				t0=$SECONDS
				tag="path=%s mem=$mem size_mib=$size op=%s flags=$fl"
				case "$c" in
				a)
					echo "=== $mem $size MiB flags=$fl: gup_test -a -n 512 -m $size -r $repeats $margs $fargs"
					# shellcheck disable=SC2086
					out=$("$tools/gup_test" -a -n 512 -m "$size" -r "$repeats" $margs $fargs 2>&1) || {
						rc=1; echo "$out"
						echo "BENCH-NOTE bench-gup: gup_test -a $mem $size MiB flags=$fl failed"; continue; }
					echo "$out" | grep 'PIN_FAST_BENCHMARK'
					echo "$out" | awk -v tag="$tag" -v reps="$repeats" '
						/PIN_FAST_BENCHMARK: Time: get:/ {
							if ($0 ~ /truncated/) { bad = 1; next }
							g = $0; sub(/.*get:/, "", g); sub(/ .*/, "", g)
							p = $0; sub(/.*put:/, "", p); sub(/ .*/, "", p)
							printf "BENCH " tag " ns=%.0f reps=%d rep=%d\n", "pin_user_pages_fast", "pin", g * 1000, reps, n
							printf "BENCH " tag " ns=%.0f reps=%d rep=%d\n", "pin_user_pages_fast", "unpin", p * 1000, reps, n
							n++
						}
						END { if (bad) print "BENCH-NOTE bench-gup: PIN_FAST_BENCHMARK truncated a run" }'
					;;
				P)
					echo "=== $mem $size MiB flags=$fl: gup_test -P -m $size -r $repeats $margs $fargs"
					# shellcheck disable=SC2086
					if ! out=$("$tools/gup_test" -P -m "$size" -r "$repeats" $margs $fargs 2>&1); then
						rc=1; echo "$out"
						case "$out" in *"PHYR_BENCHMARK: Invalid argument"*)
							echo "BENCH-NOTE bench-gup: this kernel has no PHYR_BENCHMARK (stock?)" ;;
						*) echo "BENCH-NOTE bench-gup: gup_test -P $mem $size MiB flags=$fl failed" ;;
						esac
						continue
					fi
					echo "$out" | grep -v '^TAP\|^1\.\.\|^# Totals'
					# "#   get_user_phyrs  get X put Y  N ranges, B B, ..." (us)
					echo "$out" | awk -v tag="$tag" -v reps="$repeats" '
						function emit(path, g, p, extra) {
							printf "BENCH " tag " ns=%.0f reps=%d%s\n", path, "pin", g * 1000, reps, extra
							printf "BENCH " tag " ns=%.0f reps=%d%s\n", path, "unpin", p * 1000, reps, extra
						}
						/^#   pin_user_pages_fast +get/ { emit("pup-1call", $4, $6, "") }
						/^#   pin_user_pages_fast \+ sg/ { emit("pup+sg", $6, $8, " bytes=" $11 " ranges=" $9) }
						/^#   get_user_phyrs/ { emit("get_user_phyrs", $4, $6, " bytes=" $9 " ranges=" $7) }'
					;;
				esac
			done
		done
	done
done
[ -n "${t0:-}" ] && echo "    ($((SECONDS - t0)) s)"
exit $rc
