#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# RDMA registration benchmark on rxe: ibv_reg_mr() + ibv_dereg_mr() of
# 1 GiB of fragmented 4 KiB, THP, hugetlb 2 MiB and hugetlb 1 GiB memory
# (user-space figure, rxe's own page table included), then the in-kernel
# A/B (CONFIG_INFINIBAND_UMEM_BENCHMARK): ib_umem_get() + ib_umem_release()
# against the Linux 6.12 algorithm on the same buffer in the same boot,
# best of 4 ABBA rounds, and the bytes each keeps per MR.
# rxe uses virtual DMA: neither side maps for DMA (see bench-dma.sh).
# Runs in the guest:  ./phyr boot --mode direct -- harness/guest/bench-rdma.sh
tools=$(cat /tmp/out/tools 2>/dev/null)
[ -x "$tools/rdma_umem" ] || { echo "bench-rdma: no rdma_umem in '$tools'"; exit 1; }
ip link set lo up
ip link add veth0 type veth peer name veth1 || exit 1
ip addr add 10.0.0.1/24 dev veth0
ip link set veth0 up
ip link set veth1 up
rdma link add rxe0 type rxe netdev veth0 || exit 1
gid=""
for i in $(seq 0 15); do
	g=$(cat "/sys/class/infiniband/rxe0/ports/1/gids/$i" 2>/dev/null) || continue
	case "$g" in 0000:0000:0000:0000:0000:ffff:0a00:0001) gid=$i; break ;; esac
done
[ -n "$gid" ] || { echo "bench-rdma: no IPv4 GID on rxe0"; exit 1; }
"$tools/rdma_umem" rxe0 "$gid" bench
rc=$?
rdma link delete rxe0
exit $rc
