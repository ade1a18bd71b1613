#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# dma_map_sgtable() + unmap against dma_map_phyrs() + unmap on the same
# pinned buffer, 4K pages and THP, in the mode this guest was booted in
# (phyr_edu -b, tools/testing/selftests/dma/phyr_edu.c).  Ratios are only
# meaningful within one boot.  With DMA-API debugging on (the test
# config), both sides pay its per-mapping bookkeeping; boot with
# "--append dma_debug=off" for the figures the API itself costs:
#
#   ./phyr boot --mode direct --append dma_debug=off -- bash harness/guest/bench-dma.sh
#
# Environment: BENCH_MB (default 1024; 32 in swiotlb mode, whose bounce
# buffer is 64 MiB), BENCH_ITERS (default 3).
bin=$(cat /tmp/out/tools 2>/dev/null)/phyr_edu
[ -x "$bin" ] || { echo "no $bin (host build of tools/testing/selftests/dma/phyr_edu.c)"; exit 1; }
mode=$(bash "${0%/*}/mode-check" --describe)
mb=${BENCH_MB:-1024}
case "$mode" in swiotlb*) mb=${BENCH_MB:-32} ;; esac
iters=${BENCH_ITERS:-3}
dbg=on
[ "$(cat /sys/kernel/debug/dma-api/disabled 2>/dev/null)" = Y ] && dbg=off
echo "=== dma_map_sgtable vs dma_map_phyrs: mode $mode"
echo "=== DMA-API debug $dbg; ${mb} MiB buffer; blocks of at least $iters rounds and 50 ms, ABBA order; TCG, one boot"
rc=0
for m in 4k thp; do
	"$bin" -b -m "$m" -s $((mb << 20)) -i "$iters" || rc=1
done
exit $rc
