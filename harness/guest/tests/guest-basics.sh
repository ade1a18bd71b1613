#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# phyr-modes: all
# The guest the tests rely on: 9p root read-only, scratch writable, edu
# probed, huge pages reserved, debugfs and gup_test present.
set -e
fail() { echo "guest-basics: $*"; exit 1; }

awk '$2 == "/" && $3 == "9p"' /proc/mounts | grep -q '[ ,]ro[ ,]' || fail "root is not read-only 9p"
touch /.phyr-write-probe 2>/dev/null && fail "root is writable"
echo x > /tmp/phyr-probe || fail "tmpfs scratch is not writable"
echo x > /tmp/out/phyr-probe || fail "the phyrout export is not writable"
rm -f /tmp/out/phyr-probe
edu=$(. "${0%/*}/../edu-bdf") || fail "no edu device"
[ "$(cat /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages)" -ge 512 ] || fail "2M huge pages not reserved"
[ "$(cat /sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages)" -ge 1 ] || fail "1G huge page not reserved"
[ -e /sys/kernel/debug/gup_test ] || fail "no /sys/kernel/debug/gup_test"
echo "edu at $edu; root $(awk '$2 == "/" { print $3, $4 }' /proc/mounts | tail -n1)"
