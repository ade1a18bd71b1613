// SPDX-License-Identifier: GPL-2.0
/*
 * phyr_scale - pin up to a terabyte of address space backed by one page.
 *
 * One 1 GiB hugetlb page of a memfd (MFD_HUGETLB | MFD_HUGE_1GB) is mapped
 * side by side, MAP_SHARED | MAP_FIXED, into one reserved PROT_NONE hole of
 * up to 1 TiB, and the whole range is pinned and unpinned through the
 * gup_test debugfs file, from 1 GiB up, doubling, by each path the running
 * kernel has:
 *
 *  pin_user_pages_fast  PIN_FAST_BENCHMARK (every kernel): pin_user_pages_fast()
 *                       of -n pages a call into one page array, then
 *                       unpin_user_pages(); cost grows with the number of pages
 *  pup+sg               PHYR_BENCHMARK, GUP_PHYR_TEST_SG (patched kernels):
 *                       what ib_umem_get() does, a one-page array and
 *                       sg_alloc_append_table_from_pages(), unpin by sg entry
 *  get_user_phyrs       PHYR_BENCHMARK, GUP_PHYR_TEST_PHYR (patched kernels):
 *                       cost grows with the number of folios mapped
 *
 * Pinning is real GUP work: every 1 GiB mapping is a PUD leaf of the same
 * folio, so a terabyte is 2^28 pages, 1024 folio mappings.  A path stops
 * when twice its last pin + unpin would pass the time cap (-c), and the
 * page array of pin_user_pages_fast stops before it passes half of
 * MemAvailable; each stop is printed with its reason.
 *
 * Each measurement is printed as a line for ./phyr bench:
 *   BENCH path=P mem=hugetlb-1G-memfd size_mib=N op=pin|unpin flags=F ns=N
 *         bytes=N rep=R [ranges=N]
 * with bytes the memory the path holds for the pinned range (the page
 * array, the sg table, the phyr list), and BENCH-NOTE lines for the stops.
 * Each size is measured -r times, or once when one pin + unpin of it
 * takes more than a second.
 *
 * Usage: phyr_scale [-m MAX_GIB] [-c CAP_S] [-r REPS] [-n PAGES_PER_CALL]
 *                   [-F GUP_FLAGS] [-p PATH,...]
 * Needs root, CONFIG_GUP_TEST and one free 1 GiB huge page.
 */
#define _GNU_SOURCE
#define __SANE_USERSPACE_TYPES__ // Use ll64
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <mm/gup_test.h>
#include "../kselftest.h"

#define FOLL_WRITE	0x01
#define FOLL_LONGTERM	0x100

#ifndef MFD_HUGETLB
#define MFD_HUGETLB	0x0004U
#endif
#ifndef MFD_HUGE_1GB
#define MFD_HUGE_1GB	(30U << 26)
#endif

#define MiB		(1024 * 1024UL)
#define GiB		(1024 * MiB)
#define GUP_TEST_FILE	"/sys/kernel/debug/gup_test"
#define NOTE		"BENCH-NOTE phyr_scale: "

enum path { P_PUP, P_SG, P_PHYR, NR_PATHS };

static const char *const path_name[NR_PATHS] = {
	[P_PUP] = "pin_user_pages_fast",
	[P_SG] = "pup+sg",
	[P_PHYR] = "get_user_phyrs",
};

static int gup_fd;
static unsigned int gup_flags = FOLL_WRITE | FOLL_LONGTERM;
static unsigned int pages_per_call = 512;

struct sample {
	uint64_t get_ns, put_ns, bytes, ranges;
};

static long mem_available(void)
{
	char key[64];
	long kb = -1, v;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fscanf(f, "%63s %ld kB\n", key, &v) == 2)
		if (!strcmp(key, "MemAvailable:"))
			kb = v;
	fclose(f);
	return kb < 0 ? -1 : kb * 1024;
}

/* One pin + unpin of [addr, addr + size) by @path; 0 or -errno */
static int measure(enum path path, char *addr, unsigned long size,
		   struct sample *s)
{
	memset(s, 0, sizeof(*s));
	if (path == P_PUP) {
		struct gup_test g = {
			.addr = (unsigned long)addr,
			.size = size,
			.nr_pages_per_call = pages_per_call,
			.gup_flags = gup_flags,
		};

		if (ioctl(gup_fd, PIN_FAST_BENCHMARK, &g))
			return -errno;
		if (g.size != size)
			return -EFAULT;
		s->get_ns = g.get_delta_usec * 1000;
		s->put_ns = g.put_delta_usec * 1000;
		s->bytes = size / getpagesize() * sizeof(void *);
	} else {
		struct gup_phyr_test t = {
			.addr = (unsigned long)addr,
			.size = size,
			.gup_flags = gup_flags,
			.test_flags = path == P_SG ? GUP_PHYR_TEST_SG :
						     GUP_PHYR_TEST_PHYR,
		};

		if (ioctl(gup_fd, PHYR_BENCHMARK, &t))
			return -errno;
		if (path == P_SG) {
			s->get_ns = t.sg_get_nsec;
			s->put_ns = t.sg_put_nsec;
			s->bytes = t.sg_bytes;
			s->ranges = t.sg_nents;
		} else {
			s->get_ns = t.phyr_get_nsec;
			s->put_ns = t.phyr_put_nsec;
			s->bytes = t.list_bytes;
			s->ranges = t.nr_ranges;
		}
	}
	return 0;
}

static void print_bench(enum path path, unsigned long size, const char *op,
			uint64_t ns, const struct sample *s, int rep)
{
	printf("BENCH path=%s mem=hugetlb-1G-memfd size_mib=%lu op=%s",
	       path_name[path], size / MiB, op);
	printf(" flags=%s ns=%llu bytes=%llu rep=%d",
	       gup_flags & FOLL_LONGTERM ? "longterm" : "none",
	       (unsigned long long)ns, (unsigned long long)s->bytes, rep);
	if (path != P_PUP)
		printf(" ranges=%llu", (unsigned long long)s->ranges);
	printf(" pages_per_call=%u\n", path == P_PUP ? pages_per_call : 0);
}

int main(int argc, char **argv)
{
	unsigned long max_gib = 1024, gib, size, i;
	bool want[NR_PATHS] = { true, true, true }, stopped[NR_PATHS] = {};
	double cap_s = 20;
	int reps = 1, opt, memfd, r, fails = 0;
	long avail;
	char *hole, *base, *tok;
	enum path p;

	while ((opt = getopt(argc, argv, "m:c:r:n:F:p:")) != -1) {
		switch (opt) {
		case 'm':
			max_gib = strtoul(optarg, NULL, 0);
			break;
		case 'c':
			cap_s = atof(optarg);
			break;
		case 'r':
			reps = atoi(optarg);
			break;
		case 'n':
			pages_per_call = strtoul(optarg, NULL, 0);
			break;
		case 'F':
			gup_flags = strtoul(optarg, NULL, 0);
			break;
		case 'p':
			for (p = 0; p < NR_PATHS; p++)
				want[p] = false;
			for (tok = strtok(optarg, ","); tok; tok = strtok(NULL, ",")) {
				for (p = 0; p < NR_PATHS; p++)
					if (!strcmp(tok, path_name[p]))
						want[p] = true;
			}
			break;
		default:
			fprintf(stderr,
				"usage: %s [-m MAX_GIB] [-c CAP_S] [-r REPS] [-n PAGES_PER_CALL] [-F GUP_FLAGS] [-p PATH,...]\n",
				argv[0]);
			return 2;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	ksft_print_header();
	ksft_set_plan(1);
	if (!max_gib || max_gib > 1024 || reps < 1 || !pages_per_call)
		ksft_exit_fail_msg("-m 1..1024, -r >= 1, -n >= 1\n");

	gup_fd = open(GUP_TEST_FILE, O_RDWR);
	if (gup_fd < 0)
		ksft_exit_fail_msg("open %s: %s\n", GUP_TEST_FILE, strerror(errno));
	/* PHYR_PIN_TEST_STOP exists (and does nothing here) on patched kernels */
	if (ioctl(gup_fd, PHYR_PIN_TEST_STOP)) {
		if (want[P_SG] || want[P_PHYR])
			printf(NOTE "no PHYR_BENCHMARK on this kernel (%s): %s\n",
			       strerror(errno), "pin_user_pages_fast only");
		want[P_SG] = false;
		want[P_PHYR] = false;
	}

	memfd = memfd_create("phyr_scale", MFD_HUGETLB | MFD_HUGE_1GB);
	if (memfd < 0)
		ksft_exit_fail_msg("memfd_create(MFD_HUGETLB | MFD_HUGE_1GB): %s\n",
				   strerror(errno));
	if (ftruncate(memfd, GiB))
		ksft_exit_fail_msg("ftruncate 1 GiB: %s (no free 1 GiB huge page?)\n",
				   strerror(errno));
	/* One hole, 1 GiB aligned, then the same page mapped into every GiB */
	hole = mmap(NULL, (max_gib + 1) * GiB, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (hole == MAP_FAILED)
		ksft_exit_fail_msg("reserving %lu GiB: %s\n", max_gib + 1,
				   strerror(errno));
	base = (char *)(((uintptr_t)hole + GiB - 1) & ~(GiB - 1));
	for (i = 0; i < max_gib; i++) {
		char *m = mmap(base + i * GiB, GiB, PROT_READ | PROT_WRITE,
			       MAP_SHARED | MAP_FIXED, memfd, 0);

		if (m == MAP_FAILED)
			ksft_exit_fail_msg("mapping GiB %lu: %s\n", i,
					   strerror(errno));
		m[i % 4096] = 1;	/* fault the PUD in */
	}
	ksft_print_msg("1 GiB hugetlb page mapped %lu times at %p; flags %#x\n",
		       max_gib, base, gup_flags);
	ksft_print_msg("PIN_FAST_BENCHMARK: %u pages a call; cap %.0f s\n",
		       pages_per_call, cap_s);

	for (gib = 1; gib <= max_gib; gib *= 2) {
		size = gib * GiB;
		avail = mem_available();
		for (p = 0; p < NR_PATHS; p++) {
			struct sample s, best = {};
			uint64_t t;

			if (!want[p] || stopped[p])
				continue;
			if (p == P_PUP && avail > 0 &&
			    size / getpagesize() * sizeof(void *) > (unsigned long)avail / 2) {
				printf(NOTE
				       "%s stops before %lu GiB: its page array (%lu MiB) would pass half of MemAvailable (%ld MiB)\n",
				       path_name[p], gib,
				       size / getpagesize() * sizeof(void *) / MiB,
				       avail / (long)MiB);
				stopped[p] = true;
				continue;
			}
			for (r = 0; r < reps; r++) {
				int ret = measure(p, base, size, &s);

				if (ret) {
					printf(NOTE "%s of %lu GiB failed: %s\n",
					       path_name[p], gib, strerror(-ret));
					fails++;
					stopped[p] = true;
					break;
				}
				print_bench(p, size, "pin", s.get_ns, &s, r);
				print_bench(p, size, "unpin", s.put_ns, &s, r);
				if (!r || s.get_ns + s.put_ns < best.get_ns + best.put_ns)
					best = s;
				/* a second of work is its own average: once is enough */
				if (s.get_ns + s.put_ns > 1000000000ULL)
					break;
			}
			if (stopped[p])
				continue;
			t = best.get_ns + best.put_ns;
			ksft_print_msg("%-20s %5lu GiB: pin %10.3f ms unpin %10.3f ms %9llu B\n",
				       path_name[p], gib, best.get_ns / 1e6,
				       best.put_ns / 1e6,
				       (unsigned long long)best.bytes);
			if (gib < max_gib && 2.0 * t / 1e9 > cap_s) {
				printf(NOTE
				       "%s stops after %lu GiB: pin + unpin took %.1f s, twice that passes the cap of %.0f s\n",
				       path_name[p], gib, t / 1e9, cap_s);
				stopped[p] = true;
			}
		}
	}
	munmap(hole, (max_gib + 1) * GiB);
	close(memfd);
	ksft_test_result(!fails, "phyr_scale up to %lu GiB\n", max_gib);
	ksft_finished();
}
