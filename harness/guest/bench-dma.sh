#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# dma_map_sgtable() + unmap against dma_map_phyrs() + unmap on the same
# pinned buffer, 4K pages (faulted in a shuffled order: fragmented) and
# THP, in the mode this guest was booted in (phyr_edu -b,
# tools/testing/selftests/dma/phyr_edu.c: blocks of at least ITERS rounds
# and 50 ms, ABBA order, the mean of each side's rounds).  Ratios are only
# meaningful within one boot.  With DMA-API debugging on (the phyr test
# kernel), both sides pay its per-mapping bookkeeping; the bench kernel
# has it off, and on the phyr kernel "--append dma_debug=off" turns it off:
#
#   ./phyr boot --config bench --mode direct -- bash harness/guest/bench-dma.sh
#
# Prints phyr_edu's text and, for ./phyr bench, one line per figure:
#   BENCH path=dma_map_sgtable|dma_map_phyrs mem=4K-frag|THP size_mib=N
#         op=map|unmap ns=N rounds=N bytes=N ranges=N dma_ranges=N
# (bytes: the sg table, or the phyr list plus the DMA list's new bytes).
# Environment: BENCH_MB (MiB, a comma list; default 1024, and 32 in
# swiotlb mode, whose bounce buffer is 64 MiB), BENCH_ITERS (default 3).
bin=$(cat /tmp/out/tools 2>/dev/null)/phyr_edu
[ -x "$bin" ] || { echo "no $bin (host build of tools/testing/selftests/dma/phyr_edu.c)"; exit 1; }
mode=$(bash "${0%/*}/mode-check" --describe)
mbs=${BENCH_MB:-1024}
case "$mode" in swiotlb*)
	# the bounce buffer holds 64 MiB: larger sizes cannot map
	[ -n "${BENCH_MB:-}" ] && echo "BENCH-NOTE bench-dma: swiotlb mode maps at most 32 MiB; $BENCH_MB asked, 32 run"
	mbs=32 ;;
esac
iters=${BENCH_ITERS:-3}
dbg=on
[ "$(cat /sys/kernel/debug/dma-api/disabled 2>/dev/null)" = Y ] && dbg=off
[ -d /sys/kernel/debug/dma-api ] || dbg="off (not built)"
echo "=== dma_map_sgtable vs dma_map_phyrs: mode $mode"
echo "=== DMA-API debug $dbg; ${mbs} MiB buffer; blocks of at least $iters rounds and 50 ms, ABBA order; TCG, one boot"
rc=0
for mb in ${mbs//,/ }; do
	for m in 4k thp; do
		if ! out=$("$bin" -b -m "$m" -s $((mb << 20)) -i "$iters" 2>&1); then
			rc=1
			echo "$out"
			echo "BENCH-NOTE bench-dma: phyr_edu -b -m $m $mb MiB failed in $mode mode"
			continue
		fi
		echo "$out"
		mem=4K-frag
		[ "$m" = thp ] && mem=THP
		# "  sgtable: N entries (B B) -> N DMA; map X us, unmap Y us (R rounds)"
		# "  phyrs: N ranges (B B) -> N DMA (alias), B B new; map X us, unmap Y us (R rounds)"
		echo "$out" | awk -v tag="mem=$mem size_mib=$mb" '
			function num(s) { gsub(/[^0-9.]/, "", s); return s }
			/^  sgtable: / {
				n = num($2); b = num($4); d = num($7)
				map = num($10); unmap = num($13); r = num($15)
				printf "BENCH path=dma_map_sgtable %s op=map ns=%.0f rounds=%d bytes=%d ranges=%d dma_ranges=%d\n", tag, map * 1000, r, b, n, d
				printf "BENCH path=dma_map_sgtable %s op=unmap ns=%.0f rounds=%d bytes=%d ranges=%d dma_ranges=%d\n", tag, unmap * 1000, r, b, n, d
			}
			/^  phyrs: / {
				n = num($2); b = num($4); d = num($7)
				alias = ($0 ~ /\(alias\)/)
				s = $0; sub(/.*DMA( \(alias\))?, /, "", s); split(s, w, " "); nb = w[1]
				s = $0; sub(/.*; map /, "", s); split(s, w, " "); map = w[1]
				s = $0; sub(/.*unmap /, "", s); split(s, w, " "); unmap = w[1]
				s = $0; sub(/.*\(/, "", s); split(s, w, " "); r = w[1]
				printf "BENCH path=dma_map_phyrs %s op=map ns=%.0f rounds=%d bytes=%d ranges=%d dma_ranges=%d alias=%d\n", tag, map * 1000, r, b + nb, n, d, alias
				printf "BENCH path=dma_map_phyrs %s op=unmap ns=%.0f rounds=%d bytes=%d ranges=%d dma_ranges=%d alias=%d\n", tag, unmap * 1000, r, b + nb, n, d, alias
			}'
	done
done
exit $rc
