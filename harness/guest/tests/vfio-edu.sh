#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# phyr-modes: iommu
# VFIO type1 on phyr: the edu device bound to vfio-pci and driven from user
# space by the phyr_edu_vfio kselftest (built on the host by
# build_guest_tools, harness/lib/build.sh): edu's DMA engine copies blocks
# through the IOMMU mappings of 4 KiB, THP and hugetlb buffers, remapped,
# partly unmapped, with VM_PFNMAP memory, and the bad-input table, for
# vfio_iommu_type1.phyr_pin=Y and =N; pin counters and VmLck balanced.
tools=$(cat /tmp/out/tools 2>/dev/null)
[ -x "$tools/phyr_edu_vfio" ] || { echo "vfio-edu: no phyr_edu_vfio in '$tools' (host build step)"; exit 1; }
"$tools/phyr_edu_vfio"
