#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# phyr-modes: direct iommu
# RDMA memory registration on phyr lists, driven by clients nobody here
# wrote: rxe on a veth pair, then the host's rdma-core, perftest,
# rdmacm-utils and fio (over the 9p root), server and client in this guest
# on the one rxe device (rxe loops packets for its own GID back):
#   ibv_rc_pingpong -c (validates the received buffer), 4K-page buffers
#   rping -V (verifies each ping), 4K-page buffers
#   ib_write_bw / ib_read_bw, malloc'd and --use_hugepages (hugetlb 2M)
#   fio's rdma engine, verb=write and verb=read
#   rdma_umem (ours: tools/testing/selftests/rdma): 4K, THP and hugetlb
#   2M/1G buffers through RDMA write/read/send with byte compares, and the
#   bad-input table (errnos, nothing left pinned or accounted)
# rxe uses virtual DMA, so dma_map_phyrs() is not called in any mode; iommu
# mode still checks that nothing else changed.  Each step has a timeout.
set -u
tools=$(cat /tmp/out/tools 2>/dev/null)
fail() { echo "rdma-rxe: $*"; exit 1; }
need() { command -v "$1" >/dev/null || { echo "rdma-rxe: $1 missing on the host (harness/packages)"; exit 4; }; }
for t in rdma ibv_rc_pingpong rping ib_write_bw ib_read_bw fio; do need "$t"; done
[ -x "$tools/rdma_umem" ] || fail "no rdma_umem in '$tools' (host build step)"

# --- rxe0 on veth0 (10.0.0.1); veth1 is only its carrier -----------------
ip link set lo up
ip link add veth0 type veth peer name veth1 || fail "veth"
ip addr add 10.0.0.1/24 dev veth0
ip link set veth0 up
ip link set veth1 up
rdma link add rxe0 type rxe netdev veth0 || fail "rdma link add rxe0"
# The GID of the IPv4 address (RoCE v2): its index in the port's table.
gid=""
for i in $(seq 0 15); do
	g=$(cat "/sys/class/infiniband/rxe0/ports/1/gids/$i" 2>/dev/null) || continue
	case "$g" in 0000:0000:0000:0000:0000:ffff:0a00:0001) gid=$i; break ;; esac
done
[ -n "$gid" ] || { ls -l /sys/class/infiniband/rxe0/ports/1/gids/; fail "no IPv4 GID on rxe0"; }
echo "rxe0 up, IPv4 GID index $gid"
dev="-d rxe0 -i 1"
pins() { awk '/nr_foll_pin_(acquired|released)/ { v[$1] = $2 } END { print v["nr_foll_pin_acquired"] - v["nr_foll_pin_released"] }' /proc/vmstat; }
pins0=$(pins)

# server CMD... / client CMD...: the server in the background, the client
# once it listens; both must exit 0.
pair() {	# NAME TIMEOUT SERVER-CMD -- CLIENT-CMD
	local name=$1 to=$2 srv=() cli=() spid rc_s rc_c
	shift 2
	while [ "$1" != -- ]; do srv+=("$1"); shift; done
	shift
	cli=("$@")
	timeout "$to" "${srv[@]}" > "/tmp/$name.srv" 2>&1 &
	spid=$!
	sleep 2
	timeout "$to" "${cli[@]}" > "/tmp/$name.cli" 2>&1
	rc_c=$?
	wait "$spid"
	rc_s=$?
	if [ $rc_c -ne 0 ] || [ $rc_s -ne 0 ]; then
		echo "--- $name server (exit $rc_s)"; tail -n 15 "/tmp/$name.srv"
		echo "--- $name client (exit $rc_c)"; tail -n 15 "/tmp/$name.cli"
		fail "$name failed"
	fi
	echo "$name: ok"
}

# --- ibv_rc_pingpong -c: receive buffers validated ------------------------
for sz in 4096 65536 1048576; do
	pair "pingpong-$sz" 120 ibv_rc_pingpong $dev -g "$gid" -s "$sz" -n 10 -c -- \
		ibv_rc_pingpong $dev -g "$gid" -s "$sz" -n 10 -c 10.0.0.1
	grep -h "bytes in" "/tmp/pingpong-$sz.cli"
done

# --- rping -V: every ping verified ------------------------------------------
pair rping 120 rping -s -a 10.0.0.1 -V -C 20 -S 32768 -- \
	rping -c -a 10.0.0.1 -V -C 20 -S 32768

# --- perftest: bandwidth, plain and hugetlb-backed buffers -----------------
for t in ib_write_bw ib_read_bw; do
	for hp in "" --use_hugepages; do
		name=$t${hp:+-huge}
		# shellcheck disable=SC2086
		pair "$name" 120 $t -d rxe0 -x "$gid" -s 65536 -n 200 $hp -- \
			$t -d rxe0 -x "$gid" -s 65536 -n 200 $hp 10.0.0.1
		awk '/^ *65536/ { print "'"$name"': " $0 }' "/tmp/$name.cli"
	done
done

# --- fio, rdma engine: client writes / reads the server's buffer ----------
# (the rdma engine has no data verification: fio's verify needs read-back
# of what was written, which the engine cannot do; ibv_rc_pingpong -c,
# rping -V and rdma_umem check the bytes)
for verb in write read; do
	pair "fio-$verb" 180 fio --name=srv --ioengine=rdma --port=18600 \
		--rw=read --bs=64k --size=16m -- \
		fio --name=cli --ioengine=rdma --hostname=10.0.0.1 --port=18600 \
		--verb="$verb" --rw=write --bs=64k --size=16m --iodepth=4 \
		--output-format=terse --terse-version=3
	# terse v3: field 7 is the read bandwidth, 48 the write bandwidth (KiB/s)
	awk -F';' '{ printf "fio-'"$verb"': read %s KiB/s, write %s KiB/s\n", $7, $48 }' "/tmp/fio-$verb.cli"
done

# --- our verbs program: every kind of memory, bad input ---------------------
"$tools/rdma_umem" rxe0 "$gid" || fail "rdma_umem failed"

rdma link delete rxe0
[ "$(pins)" = "$pins0" ] || fail "pins left: $(pins) vs $pins0 before"
echo "no pins left"
