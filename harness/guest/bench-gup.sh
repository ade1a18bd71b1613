#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Pin 1 GiB of 4 KiB (physically contiguous as a fresh guest hands it
# out, and fragmented: faulted in backwards, gup_test -R), THP, hugetlb
# 2 MiB and hugetlb 1 GiB memory, populated and not (fragmented: only
# populated), with pin_user_pages_fast(), with the same plus
# sg_alloc_append_table_from_pages() (what ib_umem_get() does) and with
# get_user_phyrs(); print the best of REPEATS get/put times and the ratios.
# Runs in the guest:
#   ./phyr boot -- harness/guest/bench-gup.sh [MiB [REPEATS [WHICH]]]
# WHICH: "populated", "unpopulated" or "both" (default).  Under TCG, 1 GiB
# populated takes about a minute; unpopulated runs fault the memory in
# for every pin and take four more.
size=${1:-1024}
repeats=${2:-3}
which=${3:-both}
tools=$(cat /tmp/out/tools 2>/dev/null)
[ -x "$tools/gup_test" ] || { echo "bench-gup: no gup_test in '$tools'"; exit 1; }
rc=0
for mem in "4K:-T" "4K-fragmented:-T -R" "THP:-t" "hugetlb-2M:-H" "hugetlb-1G:-G"; do
	for pop in populated unpopulated; do
		[ "$which" = both ] || [ "$which" = "$pop" ] || continue
		args=${mem#*:}
		[ "$pop" = unpopulated ] && [ "${args#*-R}" != "$args" ] && continue
		[ "$pop" = unpopulated ] && args="$args -z"
		echo "=== ${mem%%:*} $pop: gup_test -P -m $size -r $repeats $args"
		# shellcheck disable=SC2086
		out=$("$tools/gup_test" -P -m "$size" -r "$repeats" $args 2>&1) || rc=1
		echo "$out" | grep -v '^TAP\|^1\.\.\|^# Totals'
	done
done
exit $rc
