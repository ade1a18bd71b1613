#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# phyr-modes: direct
# get_user_phyrs() from user space (GUP does not depend on the DMA mode):
# the gup_phyr kselftest (every range of the list against the page frames
# of /proc/self/pagemap, the pin counters, the errors), then gup_test -P on
# 64 MiB of each kind of memory as a smoke test of PHYR_BENCHMARK.  The
# binaries are built on the host by build_guest_tools (harness/lib/build.sh).
tools=$(cat /tmp/out/tools 2>/dev/null)
for t in gup_phyr gup_test; do
	[ -x "$tools/$t" ] || { echo "gup-phyr: no $t in '$tools' (host build step)"; exit 1; }
done

"$tools/gup_phyr"
rc=$?
[ $rc -eq 0 ] || exit $rc

for args in "" "-z" "-t" "-t -z" "-H" "-H -z" "-S -z"; do
	# shellcheck disable=SC2086
	"$tools/gup_test" -P -m 64 -r 1 $args || { echo "gup-phyr: gup_test -P $args failed"; exit 1; }
done
