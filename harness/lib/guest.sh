# SPDX-License-Identifier: GPL-2.0
# Boot the built kernel under QEMU (TCG) on a q35 machine with an emulated
# Intel IOMMU and the edu device; the guest's root is the host's / over 9p.
#
# Each boot gets a run directory, exported to the guest as the writable 9p
# share "phyrout": the host writes cmd, cwd and mode into it; the guest's
# init (harness/guest/init) writes rc.  The kernel console goes to
# console.log there, the command's output to output (streamed here).

PHYR_MEM=${PHYR_MEM:-6G}
PHYR_CPUS=${PHYR_CPUS:-2}
PHYR_TIMEOUT=${PHYR_TIMEOUT:-900}
PHYR_ACCEL=${PHYR_ACCEL:-tcg}
# Huge pages reserved at boot for the GUP/VFIO/RDMA tests (1 GiB of each).
PHYR_HUGEPAGES=${PHYR_HUGEPAGES:-"hugepagesz=1G hugepages=1 hugepagesz=2M hugepages=512 default_hugepagesz=2M"}

# mode_args MODE - print QEMU devices then "|" then kernel parameters.
mode_args() {
	case "$1" in
	direct)  echo "| iommu=off" ;;
	iommu)   echo "-device intel-iommu,intremap=on | intel_iommu=on iommu.strict=1 iommu.passthrough=0" ;;
	pt)      echo "-device intel-iommu,intremap=on | intel_iommu=on iommu=pt" ;;
	swiotlb) echo "| iommu=off swiotlb=force" ;;
	*) die "unknown mode '$1' (direct, iommu, pt, swiotlb)" ;;
	esac
}

# new_run_dir - a fresh run directory; keeps the 30 newest.
new_run_dir() {
	local runs=$PHYR_CACHE/runs d
	mkdir -p "$runs"
	d=$(mktemp -d "$runs/$(date +%Y%m%d-%H%M%S)-XXXX")
	# shellcheck disable=SC2012
	ls -1dt "$runs"/*/ 2>/dev/null | tail -n +31 | xargs -r rm -rf
	echo "$d"
}

# qemu_cmd MODE RUN EXTRA_CMDLINE INTERACTIVE - fill the QEMU array.
qemu_cmd() {
	local mode=$1 run=$2 extra=$3 interactive=$4 args devs params accel
	args=$(mode_args "$mode") || exit 1
	devs=${args%%|*}
	params=${args#*|}
	case "$PHYR_ACCEL" in
	# One TCG thread for all vCPUs: with thread=multi, QEMU 7.2 now and
	# then runs a stale translation of code the guest kernel just patched
	# (text_poke_bp), and the guest dies of an unhandled int3 at boot
	# ("Oops: int3" in sched_clock_cpu, seen once in ~90 boots).
	tcg) accel="-accel tcg,thread=single" ;;
	kvm) accel="-accel kvm" ;;
	*) die "PHYR_ACCEL must be tcg or kvm" ;;
	esac
	# shellcheck disable=SC2206
	QEMU=(qemu-system-x86_64 $accel
		-machine q35,kernel-irqchip=split -cpu max
		-smp "$PHYR_CPUS" -m "$PHYR_MEM"
		$devs
		-device edu,dma_mask=0xffffffffffffffff
		-fsdev local,id=root,path=/,readonly=on,security_model=none,multidevs=remap
		-device virtio-9p-pci,fsdev=root,mount_tag=/dev/root
		-fsdev local,id=out,path="$run",security_model=none,multidevs=remap
		-device virtio-9p-pci,fsdev=out,mount_tag=phyrout
		-nic none -display none -no-reboot -monitor none
		-kernel "$PHYR_OUT/arch/x86/boot/bzImage")
	local cmdline="console=ttyS0 root=/dev/root rootfstype=9p"
	cmdline+=" rootflags=trans=virtio,version=9p2000.L,msize=262144,cache=loose ro"
	cmdline+=" init=$PHYR_HARNESS/guest/init panic=-1 $PHYR_HUGEPAGES"
	# no_timer_check: on a loaded host, TCG is too slow for the kernel's
	# boot-time IO-APIC timer check, and with interrupt remapping (iommu,
	# pt) a failed check panics ("timer doesn't work through
	# Interrupt-remapped IO-APIC"); KVM guests skip the check the same way.
	cmdline+=" transparent_hugepage=madvise no_timer_check $params $extra"
	if [ "$interactive" = 1 ]; then
		QEMU+=(-serial mon:stdio)
	else
		QEMU+=(-serial "file:$run/console.log" -serial "file:$run/output")
	fi
	QEMU+=(-append "$cmdline")
}

# guest_run MODE EXTRA_CMDLINE CMD... - boot, run CMD (ssh-like: the words
# are joined and run by bash in the guest, in the current directory), stream
# its output and return its exit status.  124 means the guest timed out,
# 125 that it died without reporting a status.
guest_run() {
	local mode=$1 extra=$2 run pid tailpid rc t0
	shift 2
	run=$(new_run_dir)
	printf '%s\n' "$*" > "$run/cmd"
	pwd > "$run/cwd"
	# Host paths the guest must see even under its tmpfs /tmp.
	printf '%s\n' "$PHYR_ROOT" "$PHYR_CACHE" > "$run/host-paths"
	echo "$mode" > "$run/mode"
	echo "${PHYR_KUNIT_GLOBS:-}" > "$run/kunit-globs"
	echo "${PHYR_TOOLS:-$PHYR_OUT/guest-tools}" > "$run/tools"
	echo 0 > "$run/interactive"
	: > "$run/output"
	qemu_cmd "$mode" "$run" "$extra" 0
	printf '%q ' "${QEMU[@]}" > "$run/qemu.cmd"
	say "booting ($mode mode, $PHYR_ACCEL, $PHYR_CPUS cpus, $PHYR_MEM, timeout ${PHYR_TIMEOUT}s; run dir $run)"
	t0=$(now_s)
	timeout -k 15 "$PHYR_TIMEOUT" "${QEMU[@]}" </dev/null >"$run/qemu.log" 2>&1 &
	pid=$!
	tail -n +1 -f --pid="$pid" "$run/output" 2>/dev/null &
	tailpid=$!
	wait "$pid"
	rc=$?
	wait "$tailpid" 2>/dev/null
	if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
		warn "guest timed out after ${PHYR_TIMEOUT}s and was killed; last console lines:"
		tail -n 25 "$run/console.log" >&2
		return 124
	fi
	if [ ! -f "$run/rc" ]; then
		warn "guest ended without reporting an exit status (QEMU exit $rc); last console lines:"
		tail -n 40 "$run/console.log" >&2
		cat "$run/qemu.log" >&2
		return 125
	fi
	rc=$(cat "$run/rc")
	say "guest command exited $rc ($(elapsed "$t0") s wall)"
	PHYR_LAST_RUN=$run
	return "$rc"
}

# guest_shell MODE - interactive shell on the serial console.
guest_shell() {
	local mode=$1 run
	run=$(new_run_dir)
	pwd > "$run/cwd"
	echo "$mode" > "$run/mode"
	echo "${PHYR_TOOLS:-$PHYR_OUT/guest-tools}" > "$run/tools"
	echo 1 > "$run/interactive"
	qemu_cmd "$mode" "$run" "" 1
	say "booting an interactive guest ($mode mode); Ctrl-A X quits QEMU"
	"${QEMU[@]}"
}
