// SPDX-License-Identifier: GPL-2.0
/*
 * gup_phyr - get_user_phyrs() checked against /proc/self/pagemap.
 *
 * Each case maps a buffer (4 KiB anonymous, THP, 64 KiB mTHP, a THP mapped
 * by PTEs, hugetlb 2 MiB and 1 GiB, memfd, read-only), pins a byte range of
 * it through the gup_test debugfs file (PHYR_PIN_TEST_START, which keeps it
 * pinned and copies the ranges of the phyr list out), and compares the
 * ranges with the page frames /proc/self/pagemap reports for the same pages
 * while they are pinned.  The pin counters of /proc/vmstat must move by the
 * number of pages and come back.  Then the errors: memfd_secret, PROT_NONE,
 * a hole, an illegal flag.
 *
 * Needs root (pagemap hides page frames otherwise) and CONFIG_GUP_TEST.
 */
#define _GNU_SOURCE
#define __SANE_USERSPACE_TYPES__ // Use ll64
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <mm/gup_test.h>
#include "../kselftest.h"
#include "vm_util.h"

#define FOLL_WRITE	0x01
#define FOLL_FORCE	0x10
#define FOLL_LONGTERM	0x100

#ifndef MAP_HUGE_2MB
#define MAP_HUGE_2MB	(21 << MAP_HUGE_SHIFT)
#endif
#ifndef MAP_HUGE_1GB
#define MAP_HUGE_1GB	(30 << MAP_HUGE_SHIFT)
#endif

#define KiB		1024UL
#define MiB		(1024 * KiB)
#define GiB		(1024 * MiB)
#define GUP_TEST_FILE	"/sys/kernel/debug/gup_test"
#define MAX_RANGES	(1024 * 1024)
#define MTHP_64K	"/sys/kernel/mm/transparent_hugepage/hugepages-64kB/enabled"

static int gup_fd, pagemap_fd;
static struct gup_phyr_range *ranges;
static unsigned long page_size;

/* nr_foll_pin_acquired or _released, with every CPU's delta folded in */
static long pin_counter(const char *name)
{
	char key[64];
	long v = -1, val;
	FILE *f;
	int fd;

	fd = open("/proc/sys/vm/stat_refresh", O_WRONLY);
	if (fd >= 0) {
		if (write(fd, "1", 1) < 0)
			ksft_print_msg("stat_refresh: %s\n", strerror(errno));
		close(fd);
	}
	f = fopen("/proc/vmstat", "r");
	if (!f)
		return -1;
	while (fscanf(f, "%63s %ld", key, &val) == 2)
		if (!strcmp(key, name))
			v = val;
	fclose(f);
	return v;
}

/*
 * Pin [start, start + len) and compare the list with pagemap.  Returns
 * true if they match and the pin counters moved as expected.
 */
static bool check_range(const char *name, char *start, size_t len,
			unsigned int flags)
{
	char *first = (char *)((unsigned long)start & ~(page_size - 1));
	size_t nr_pages = (start + len - first + page_size - 1) / page_size;
	long acq0 = pin_counter("nr_foll_pin_acquired");
	long rel0 = pin_counter("nr_foll_pin_released");
	struct gup_phyr_test t = {
		.addr = (unsigned long)start,
		.size = len,
		.gup_flags = flags,
		.ranges = (unsigned long)ranges,
		.max_ranges = MAX_RANGES,
	};
	unsigned long long ref_start = 0, ref_end = 0, pl_start, pl_end;
	unsigned long runs = 0, r = 0;
	long acquired, released, held;
	bool ok = true;
	size_t i;

	if (ioctl(gup_fd, PHYR_PIN_TEST_START, &t)) {
		ksft_print_msg("%s: PHYR_PIN_TEST_START: %s\n", name,
			       strerror(errno));
		return false;
	}
	/* GUP-fast may pin and back off, FOLL_LONGTERM pin, migrate, pin */
	held = pin_counter("nr_foll_pin_acquired") - acq0 -
	       (pin_counter("nr_foll_pin_released") - rel0);

	for (i = 0; i <= nr_pages; i++) {
		unsigned long long pa = 0;

		if (i < nr_pages) {
			unsigned long pfn = pagemap_get_pfn(pagemap_fd,
						first + i * page_size);

			if (pfn == -1UL || !pfn) {
				ksft_print_msg("%s: page %zu has no frame in pagemap\n",
					       name, i);
				ok = false;
				break;
			}
			pa = (unsigned long long)pfn * page_size;
			if (!i) {
				ref_start = pa + (start - first);
				ref_end = pa + page_size;
				continue;
			}
			if (pa == ref_end) {
				ref_end += page_size;
				continue;
			}
		} else {
			ref_end -= first + nr_pages * page_size - (start + len);
		}
		/* A maximal run of the list */
		if (r >= t.nr_ranges) {
			ksft_print_msg("%s: the list ends before run %lu\n",
				       name, runs);
			ok = false;
			break;
		}
		pl_start = ranges[r].addr;
		pl_end = ranges[r].addr + ranges[r].len;
		for (r++; r < t.nr_ranges && ranges[r].addr == pl_end; r++)
			pl_end += ranges[r].len;
		if (pl_start != ref_start || pl_end != ref_end) {
			ksft_print_msg("%s: run %lu is [%#llx, %#llx), pagemap: [%#llx, %#llx)\n",
				       name, runs, pl_start, pl_end, ref_start,
				       ref_end);
			ok = false;
		}
		runs++;
		ref_start = pa;
		ref_end = pa + page_size;
	}
	if (ok && r != t.nr_ranges) {
		ksft_print_msg("%s: the list has %u ranges, pagemap %lu runs\n",
			       name, t.nr_ranges, runs);
		ok = false;
	}
	if (ioctl(gup_fd, PHYR_PIN_TEST_STOP)) {
		ksft_print_msg("%s: PHYR_PIN_TEST_STOP: %s\n", name,
			       strerror(errno));
		ok = false;
	}
	acquired = pin_counter("nr_foll_pin_acquired") - acq0;
	released = pin_counter("nr_foll_pin_released") - rel0;
	if (held != (long)nr_pages || released != acquired) {
		ksft_print_msg("%s: %zu pages, %ld held, %ld acquired, %ld released\n",
			       name, nr_pages, held, acquired, released);
		ok = false;
	}
	ksft_print_msg("%s: %zu pages, %u ranges, %llu bytes of list\n",
		       name, nr_pages, t.nr_ranges, t.list_bytes);
	return ok;
}

static void *map(size_t len, int prot, int flags, int fd)
{
	void *p = mmap(NULL, len, prot, flags, fd, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* @len bytes of anonymous memory aligned to @align. */
static char *map_aligned(size_t len, size_t align)
{
	char *p = map(len + align, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1);

	if (!p)
		return NULL;
	return (char *)(((unsigned long)p + align - 1) & ~(align - 1));
}

static void touch(char *p, size_t len)
{
	memset(p, 0x5a, len);
}

static void test_anon(void)
{
	size_t len = 64 * page_size;
	char *p = map(len, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1);
	bool ok;

	if (!p)
		ksft_exit_fail_msg("mmap: %s\n", strerror(errno));
	madvise(p, len, MADV_NOHUGEPAGE);
	ok = check_range("anon-4K unpopulated", p + 5, len - 10, FOLL_WRITE);
	touch(p, len);
	ok &= check_range("anon-4K populated", p, len, FOLL_WRITE);
	ok &= check_range("anon-4K long-term", p + 1, len - 1,
			  FOLL_WRITE | FOLL_LONGTERM);
	ksft_test_result(ok, "anon-4K\n");
	munmap(p, len);
}

static void test_thp(void)
{
	size_t len = 4 * 2 * MiB;
	char *p = map_aligned(len, 2 * MiB);
	bool ok;

	if (!p || madvise(p, len, MADV_HUGEPAGE)) {
		ksft_test_result_skip("THP: %s\n", strerror(errno));
		return;
	}
	ok = check_range("THP unpopulated", p + 3, len - 3, FOLL_WRITE);
	ok &= check_range("THP populated", p, len, FOLL_WRITE);
	if (!check_huge_anon(p, 4, 2 * MiB))
		ksft_print_msg("THP: not all of the buffer is in THPs\n");
	/* Split the PMD mappings: the large folios stay, mapped by PTEs */
	if (mprotect(p + 2 * MiB + 100 * page_size, page_size, PROT_READ))
		ksft_exit_fail_msg("mprotect: %s\n", strerror(errno));
	ok &= check_range("THP mapped by PTEs", p + 7, len - 7, 0);
	ksft_test_result(ok, "THP\n");
}

/* 64 KiB anonymous folios mapped by PTEs, when mTHP can be turned on. */
static void test_mthp(void)
{
	size_t len = 2 * MiB;
	char old[64] = "", *p, *sel;
	bool ok;
	int fd;

	fd = open(MTHP_64K, O_RDWR);
	if (fd < 0 || read(fd, old, sizeof(old) - 1) <= 0) {
		ksft_test_result_skip("mTHP 64K: no %s\n", MTHP_64K);
		if (fd >= 0)
			close(fd);
		return;
	}
	sel = strchr(old, '[');
	if (sel)
		*strchr(sel, ']') = 0;
	if (pwrite(fd, "always", 6, 0) != 6) {
		ksft_test_result_skip("mTHP 64K: cannot enable: %s\n",
				      strerror(errno));
		close(fd);
		return;
	}
	p = map_aligned(len, 64 * KiB);
	if (!p)
		ksft_exit_fail_msg("mmap: %s\n", strerror(errno));
	touch(p, len);
	ok = check_range("mTHP 64K populated", p + 5, len - 64 * KiB, 0);
	ok &= check_range("mTHP 64K written", p, len, FOLL_WRITE);
	if (sel && pwrite(fd, sel + 1, strlen(sel + 1), 0) < 0)
		ksft_print_msg("mTHP 64K: cannot restore '%s'\n", sel + 1);
	close(fd);
	ksft_test_result(ok, "mTHP 64K\n");
}

static void test_hugetlb(const char *name, size_t huge, int nr, int log)
{
	size_t len = nr * huge;
	char *p = map(len, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB |
		      (log << MAP_HUGE_SHIFT), -1);
	bool ok;

	if (!p) {
		ksft_test_result_skip("%s: mmap: %s\n", name, strerror(errno));
		return;
	}
	/* Faulted in by the pin, then pinned again populated */
	ok = check_range(name, p + page_size + 1, len - 2 * page_size,
			 FOLL_WRITE);
	ok &= check_range(name, p, len, FOLL_WRITE);
	ksft_test_result(ok, "%s\n", name);
	munmap(p, len);
}

static void test_memfd(void)
{
	size_t len = 64 * page_size;
	int fd = memfd_create("gup_phyr", 0);
	char *p, *ro;
	bool ok;

	if (fd < 0 || ftruncate(fd, len))
		ksft_exit_fail_msg("memfd: %s\n", strerror(errno));
	p = map(len, PROT_READ | PROT_WRITE, MAP_SHARED, fd);
	ro = map(len, PROT_READ, MAP_SHARED, fd);
	if (!p || !ro)
		ksft_exit_fail_msg("mmap: %s\n", strerror(errno));
	ok = check_range("memfd unpopulated", p + 1, len - 1, FOLL_WRITE);
	touch(p, len);
	ok &= check_range("memfd populated", p, len, FOLL_WRITE);
	ok &= check_range("memfd read-only mapping", ro + 3, len - 6, 0);
	ksft_test_result(ok, "memfd\n");
	munmap(p, len);
	munmap(ro, len);
	close(fd);
}

/* The page frames of ZONE_MOVABLE, if it has any: [*start, *end). */
static bool movable_zone(unsigned long *start, unsigned long *end)
{
	unsigned long spanned = 0, pfn;
	bool in_movable = false;
	char line[256], zone[32];
	FILE *f = fopen("/proc/zoneinfo", "r");

	if (!f)
		return false;
	*start = 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "Node %*d, zone %31s", zone) == 1)
			in_movable = !strcmp(zone, "Movable");
		else if (in_movable && sscanf(line, " spanned %lu", &pfn) == 1)
			spanned = pfn;
		else if (in_movable && sscanf(line, " start_pfn: %lu", &pfn) == 1)
			*start = pfn;
	}
	fclose(f);
	*end = *start + spanned;
	return spanned;
}

/* How many of the @nr_pages pages at @p are in [start, end) */
static size_t pages_in(char *p, size_t nr_pages, unsigned long start,
		       unsigned long end)
{
	size_t i, n = 0;

	for (i = 0; i < nr_pages; i++) {
		unsigned long pfn = pagemap_get_pfn(pagemap_fd,
						    p + i * page_size);

		n += pfn >= start && pfn < end;
	}
	return n;
}

/*
 * FOLL_LONGTERM on memory in ZONE_MOVABLE: the pages are migrated out
 * before they are pinned (boot with movablecore= to have that zone).
 */
static void test_longterm_movable(void)
{
	size_t nr_pages = 1024, len = nr_pages * page_size, before, after;
	unsigned long start, end;
	char *p;
	bool ok;

	if (!movable_zone(&start, &end)) {
		ksft_test_result_skip("long-term pin: no ZONE_MOVABLE (boot with movablecore=)\n");
		return;
	}
	p = map(len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1);
	if (!p)
		ksft_exit_fail_msg("mmap: %s\n", strerror(errno));
	madvise(p, len, MADV_NOHUGEPAGE);
	touch(p, len);
	before = pages_in(p, nr_pages, start, end);
	if (!before) {
		ksft_test_result_skip("long-term pin: no page landed in ZONE_MOVABLE\n");
		munmap(p, len);
		return;
	}
	ok = check_range("long-term pin, ZONE_MOVABLE", p + 1, len - 1,
			 FOLL_WRITE | FOLL_LONGTERM);
	after = pages_in(p, nr_pages, start, end);
	ksft_print_msg("long-term pin: %zu of %zu pages in ZONE_MOVABLE before, %zu after\n",
		       before, nr_pages, after);
	ksft_test_result(ok && !after, "long-term pin migrates out of ZONE_MOVABLE\n");
	munmap(p, len);
}

/* A pin that must fail with @err, leaving nothing pinned. */
static bool check_error(const char *name, char *p, size_t len,
			unsigned int flags, int err)
{
	long acq0 = pin_counter("nr_foll_pin_acquired");
	long rel0 = pin_counter("nr_foll_pin_released");
	struct gup_phyr_test t = {
		.addr = (unsigned long)p,
		.size = len,
		.gup_flags = flags,
		.ranges = (unsigned long)ranges,
		.max_ranges = MAX_RANGES,
	};
	long acquired, released;
	int ret;

	ret = ioctl(gup_fd, PHYR_PIN_TEST_START, &t) ? errno : 0;
	if (!ret)
		ioctl(gup_fd, PHYR_PIN_TEST_STOP);
	acquired = pin_counter("nr_foll_pin_acquired") - acq0;
	released = pin_counter("nr_foll_pin_released") - rel0;
	if (ret != err || acquired != released) {
		ksft_print_msg("%s: error %d (want %d), %ld pages acquired, %ld released\n",
			       name, ret, err, acquired, released);
		return false;
	}
	return true;
}

static void test_errors(void)
{
	size_t len = 16 * page_size;
	char *p = map(len, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1);
	bool ok;
	int fd;

	if (!p)
		ksft_exit_fail_msg("mmap: %s\n", strerror(errno));
	touch(p, len);
	ok = check_error("illegal flag", p, len, FOLL_FORCE, EINVAL);
	if (mprotect(p + 8 * page_size, page_size, PROT_NONE))
		ksft_exit_fail_msg("mprotect: %s\n", strerror(errno));
	ok &= check_error("PROT_NONE", p, len, 0, EFAULT);
	munmap(p + 8 * page_size, page_size);
	ok &= check_error("hole", p + 1, len - 1, FOLL_WRITE, EFAULT);
	ok &= check_error("read-only", p, 4 * page_size, 0, 0);
	ksft_test_result(ok, "errors\n");
	munmap(p, len);

	fd = syscall(__NR_memfd_secret, 0);
	if (fd < 0) {
		ksft_test_result_skip("memfd_secret: %s\n", strerror(errno));
		return;
	}
	p = ftruncate(fd, len) ? NULL :
	    map(len, PROT_READ | PROT_WRITE, MAP_SHARED, fd);
	if (!p) {
		ksft_test_result_skip("memfd_secret mmap: %s\n",
				      strerror(errno));
		close(fd);
		return;
	}
	touch(p, len);
	ksft_test_result(check_error("memfd_secret", p, len, FOLL_WRITE,
				     EFAULT), "memfd_secret\n");
	munmap(p, len);
	close(fd);
}

int main(void)
{
	ksft_print_header();
	ksft_set_plan(9);

	page_size = getpagesize();
	gup_fd = open(GUP_TEST_FILE, O_RDWR);
	if (gup_fd < 0)
		ksft_exit_skip("%s: %s (CONFIG_GUP_TEST, debugfs, root?)\n",
			       GUP_TEST_FILE, strerror(errno));
	pagemap_fd = open("/proc/self/pagemap", O_RDONLY);
	if (pagemap_fd < 0)
		ksft_exit_skip("/proc/self/pagemap: %s\n", strerror(errno));
	if (getuid())
		ksft_exit_skip("pagemap shows page frames to root only\n");
	ranges = calloc(MAX_RANGES, sizeof(*ranges));
	if (!ranges)
		ksft_exit_fail_msg("calloc\n");

	/* PHYR_PIN_TEST_* missing: a kernel without CONFIG_GUP_PHYR */
	if (ioctl(gup_fd, PHYR_PIN_TEST_STOP) && errno == EOPNOTSUPP)
		ksft_exit_skip("gup_test has no phyr commands\n");

	test_anon();
	test_thp();
	test_mthp();
	test_hugetlb("hugetlb-2M", 2 * MiB, 4, 21);
	test_hugetlb("hugetlb-1G", GiB, 1, 30);
	test_memfd();
	test_longterm_movable();
	test_errors();
	ksft_finished();
}
