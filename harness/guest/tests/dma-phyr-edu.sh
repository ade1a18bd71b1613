#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# phyr-modes: all
# dma_map_phyrs() moves real data: QEMU's edu device copies sampled blocks
# of pinned user memory (4K pages, THP, hugetlb) from one buffer to another
# through the DMA lists (drivers/misc/phyr_edu_test.c driven by
# tools/testing/selftests/dma/phyr_edu.c, host-built by build_guest_tools),
# then through the dma_map_ops shim where the mode allows it.  Finally the
# driver is unbound and rebound, so DMA-API debug reports any mapping left
# behind on edu (by this test or the KUnit suites) as an error.
bin=$(cat /tmp/out/tools 2>/dev/null)/phyr_edu
[ -x "$bin" ] || { echo "no $bin: the host build of tools/testing/selftests/dma/phyr_edu.c failed"; exit 1; }
edu=$(. "${0%/*}/../edu-bdf") || { echo "no edu device"; exit 1; }
drv=/sys/bus/pci/drivers/phyr_edu_test
[ -e "$drv/$edu" ] || { echo "edu ($edu) is not bound to phyr_edu_test"; exit 1; }

fail=0
for m in 4k thp hugetlb; do
	"$bin" -m "$m" -s $((4 << 20)) -n 12 || fail=1
done
"$bin" -m 4k -s $((4 << 20)) -n 8 -L
rc=$?
case $rc in
0) ;;
4) echo "(dma_map_ops shim skipped: needs a mode without an IOMMU DMA domain)" ;;
*) fail=1 ;;
esac

echo "$edu" > "$drv/unbind" && echo "$edu" > "$drv/bind" || { echo "cannot rebind edu"; fail=1; }
exit $fail
