#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# VFIO_IOMMU_MAP_DMA + UNMAP_DMA of 1 GiB of populated 4 KiB, THP, hugetlb
# 2 MiB and hugetlb 1 GiB memory behind the edu device, with
# vfio_iommu_type1.phyr_pin=N (the unpatched 6.12 page-at-a-time path) and
# =Y (pinning by phyr lists) alternating in one boot; prints the seconds of
# each round, the best of each and the ratios N / Y.
# Runs in the guest:  ./phyr boot --mode iommu -- bash harness/guest/bench-vfio.sh [MiB [ROUNDS]]
size=${1:-1024}
rounds=${2:-3}
tools=$(cat /tmp/out/tools 2>/dev/null)
[ -x "$tools/phyr_edu_vfio" ] || { echo "bench-vfio: no phyr_edu_vfio in '$tools'"; exit 1; }
"$tools/phyr_edu_vfio" -b -m "$size" -r "$rounds"
