// SPDX-License-Identifier: GPL-2.0-only
/*
 * phyr_edu - check dma_map_phyrs() with data moved by QEMU's edu device,
 * and time it against dma_map_sgtable().  Userspace half of
 * drivers/misc/phyr_edu_test.c (CONFIG_PHYR_EDU_TEST).
 *
 *   phyr_edu [-m 4k|thp|hugetlb] [-s bytes] [-n blocks] [-L] [-B]
 *	Fill a buffer of pinned memory of the given kind with a pattern,
 *	have edu copy -n sampled blocks of it into a second buffer through
 *	the DMA lists, and compare.  -L maps through a dma_map_ops shim;
 *	-B reads each block one page off, so the comparison must fail.
 *
 *   phyr_edu -b [-m 4k|thp] [-s bytes] [-i iters] [-L]
 *	Time dma_map_sgtable()+unmap against dma_map_phyrs()+unmap.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/phyr_edu_test.h>

#include "../kselftest.h"

#define SZ_2M		(2UL << 20)
#define DEBUGFS_DIR	"/sys/kernel/debug/phyr_edu"

/* Leaves the buffers unaligned at both ends: byte-granular list edges. */
#define HEAD_SKEW	123
#define TAIL_SKEW	77
#define DST_FILL	0x5a

static const char *kind = "4k";

static int open_edu(void)
{
	char path[512];
	struct dirent *de;
	DIR *d;
	int fd = -1;

	d = opendir(DEBUGFS_DIR);
	if (!d)
		ksft_exit_skip("%s: %s (CONFIG_PHYR_EDU_TEST, edu device and debugfs needed)\n",
			       DEBUGFS_DIR, strerror(errno));
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", DEBUGFS_DIR, de->d_name);
		fd = open(path, O_RDWR);
		break;
	}
	closedir(d);
	if (fd < 0)
		ksft_exit_skip("no edu device bound to phyr_edu_test\n");
	return fd;
}

/* A buffer of @len bytes of the requested kind of memory. */
static unsigned char *alloc_buf(size_t len)
{
	unsigned char *p, *a;
	size_t map_len;

	if (!strcmp(kind, "hugetlb")) {
		len = (len + SZ_2M - 1) & ~(SZ_2M - 1);
		p = mmap(NULL, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
		if (p == MAP_FAILED)
			ksft_exit_skip("hugetlb mmap of %zu bytes: %s\n", len,
				       strerror(errno));
		return p;
	}
	/* Over-allocate to place the buffer on a 2 MiB boundary */
	map_len = len + SZ_2M;
	p = mmap(NULL, map_len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		ksft_exit_fail_msg("mmap of %zu bytes: %s\n", map_len,
				   strerror(errno));
	a = (unsigned char *)(((uintptr_t)p + SZ_2M - 1) & ~(SZ_2M - 1));
	if (madvise(a, len, strcmp(kind, "thp") ? MADV_NOHUGEPAGE :
						  MADV_HUGEPAGE))
		ksft_exit_fail_msg("madvise: %s\n", strerror(errno));
	return a;
}

/*
 * Fault in the pages of a 4K buffer in a shuffled order, so that virtually
 * adjacent pages are rarely physically adjacent: fragmented memory, the
 * case where a scatterlist needs an entry per page.
 */
static void scatter_fault(unsigned char *buf, size_t size)
{
	size_t n = size / 4096, i, j, t;
	uint64_t x = 88172645463325252ULL;
	size_t *order;

	if (strcmp(kind, "4k"))
		return;
	order = malloc(n * sizeof(*order));
	if (!order)
		ksft_exit_fail_msg("malloc: %s\n", strerror(errno));
	for (i = 0; i < n; i++)
		order[i] = i;
	for (i = n - 1; i > 0; i--) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		j = x % (i + 1);
		t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
	for (i = 0; i < n; i++)
		buf[order[i] * 4096] = 1;
	free(order);
}

static unsigned char pattern(size_t off)
{
	uint64_t x = off * 0x9e3779b97f4a7c15ULL;

	return (x >> 56) ^ (off >> 12);
}

static int run_xfer(int fd, size_t size, unsigned int nblocks, __u32 flags)
{
	unsigned char *src = alloc_buf(size), *dst = alloc_buf(size), *expect;
	size_t len = size - HEAD_SKEW - TAIL_SKEW, i;
	unsigned int block = 2048, b, bad = 0;
	struct phyr_edu_xfer x = {};

	scatter_fault(src, size);
	scatter_fault(dst, size);
	for (i = 0; i < size; i++) {
		src[i] = pattern(i);
		dst[i] = DST_FILL;
	}
	if (nblocks > PHYR_EDU_MAX_BLOCKS)
		nblocks = PHYR_EDU_MAX_BLOCKS;
	/* Spread over the buffer; odd blocks straddle a page boundary */
	for (b = 0; b < nblocks; b++) {
		size_t off = nblocks > 1 ?
			(len - block) / (nblocks - 1) * b : 0;

		if (b & 1 && off >= block / 2)
			off = (((off + HEAD_SKEW) & ~4095UL) - HEAD_SKEW) -
			      block / 2;
		if (b == nblocks - 1)
			off = len - block;
		x.offsets[b] = off;
	}
	x.src = (uintptr_t)src + HEAD_SKEW;
	x.dst = (uintptr_t)dst + HEAD_SKEW;
	x.len = len;
	x.nr_blocks = nblocks;
	x.block_len = block;
	x.flags = flags;
	if (ioctl(fd, PHYR_EDU_XFER, &x)) {
		if (errno == EOPNOTSUPP && flags & PHYR_EDU_F_LEGACY_OPS)
			ksft_exit_skip("%s (%s)\n",
				       "dma_map_ops shim not usable here",
				       "the device has an IOMMU DMA domain");
		ksft_exit_fail_msg("PHYR_EDU_XFER (%s, %zu bytes): %s\n",
				   kind, len, strerror(errno));
	}

	for (b = 0; b < nblocks; b++) {
		size_t off = HEAD_SKEW + x.offsets[b];

		if (memcmp(src + off, dst + off, block)) {
			if (!bad)
				ksft_print_msg("block %u at %zu differs\n", b,
					       (size_t)x.offsets[b]);
			bad++;
		}
	}
	/* Only the blocks were written: compare with what was expected */
	expect = malloc(size);
	if (!expect)
		ksft_exit_fail_msg("malloc: %s\n", strerror(errno));
	memset(expect, DST_FILL, size);
	for (b = 0; b < nblocks; b++)
		memcpy(expect + HEAD_SKEW + x.offsets[b],
		       src + HEAD_SKEW + x.offsets[b], block);
	if (memcmp(expect, dst, size)) {
		for (i = 0; i < size && expect[i] == dst[i]; i++)
			;
		ksft_print_msg("byte %zu of the destination is wrong\n", i);
		bad++;
	}
	free(expect);
	ksft_print_msg("%s: %zu bytes; src %u ranges -> %u DMA ranges%s; dst %u -> %u%s\n",
		       kind, len, x.src_ranges, x.src_dma_ranges,
		       x.out_flags & PHYR_EDU_O_SRC_ALIAS ? " (alias)" : "",
		       x.dst_ranges, x.dst_dma_ranges,
		       x.out_flags & PHYR_EDU_O_DST_ALIAS ? " (alias)" : "");
	ksft_print_msg("%s: %u edu DMAs, %llu B of DMA lists, %u wrong of %u blocks\n",
		       kind, x.edu_dmas, (unsigned long long)x.dma_alloc_bytes,
		       bad, nblocks);
	munmap(src, size);
	munmap(dst, size);
	return bad;
}

static void run_bench(int fd, size_t size, unsigned int iters, __u32 flags)
{
	unsigned char *buf = alloc_buf(size);
	struct phyr_edu_bench bm = {};
	double sg, ph;
	size_t i;

	scatter_fault(buf, size);
	for (i = 0; i < size; i += 4096)
		buf[i] = 1;
	bm.addr = (uintptr_t)buf;
	bm.len = size;
	bm.iters = iters;
	bm.flags = flags;
	if (ioctl(fd, PHYR_EDU_BENCH, &bm))
		ksft_exit_fail_msg("PHYR_EDU_BENCH (%s, %zu bytes): %s\n",
				   kind, size, strerror(errno));
	sg = (double)(bm.sg_map_ns + bm.sg_unmap_ns) / bm.sg_rounds;
	ph = (double)(bm.phyr_map_ns + bm.phyr_unmap_ns) / bm.phyr_rounds;
	printf("%s %zu MiB, %u pages (clock read %llu ns, subtracted)\n", kind,
	       size >> 20, bm.nr_pages, (unsigned long long)bm.clock_ns);
	printf("  sgtable: %u entries (%llu B) -> %u DMA; map %.1f us, unmap %.1f us (%u rounds)\n",
	       bm.sg_nents, (unsigned long long)bm.sg_bytes, bm.sg_dma_nents,
	       bm.sg_map_ns / 1e3 / bm.sg_rounds,
	       bm.sg_unmap_ns / 1e3 / bm.sg_rounds, bm.sg_rounds);
	printf("  phyrs: %u ranges (%llu B) -> %u DMA%s, %llu B new;",
	       bm.phyr_ranges, (unsigned long long)bm.phyr_bytes,
	       bm.phyr_dma_ranges,
	       bm.out_flags & PHYR_EDU_O_SRC_ALIAS ? " (alias)" : "",
	       (unsigned long long)bm.dma_list_bytes);
	printf(" map %.2f us, unmap %.2f us (%u rounds)\n",
	       bm.phyr_map_ns / 1e3 / bm.phyr_rounds,
	       bm.phyr_unmap_ns / 1e3 / bm.phyr_rounds, bm.phyr_rounds);
	printf("  ratio sgtable/phyrs, map+unmap: %.1fx\n", ph > 0 ? sg / ph : 0.0);
	printf("  one walk, no mapping: sgtable %.1f us, phyrs %.1f us\n",
	       bm.sg_walk_ns / 1e3, bm.phyr_walk_ns / 1e3);
	munmap(buf, size);
}

int main(int argc, char **argv)
{
	size_t size = 4UL << 20;
	unsigned int nblocks = 12, iters = 3;
	int bench = 0, expect_fail = 0, opt, fd, bad;
	__u32 flags = 0;

	while ((opt = getopt(argc, argv, "m:s:n:i:bLB")) != -1) {
		switch (opt) {
		case 'm':
			kind = optarg;
			break;
		case 's':
			size = strtoull(optarg, NULL, 0);
			break;
		case 'n':
			nblocks = atoi(optarg);
			break;
		case 'i':
			iters = atoi(optarg);
			break;
		case 'b':
			bench = 1;
			break;
		case 'L':
			flags |= PHYR_EDU_F_LEGACY_OPS;
			break;
		case 'B':
			flags |= PHYR_EDU_F_BREAK_ADDR;
			expect_fail = 1;
			break;
		default:
			fprintf(stderr, "usage: %s %s\n", argv[0],
				"[-m 4k|thp|hugetlb] [-s bytes] [-n blocks] [-i iters] [-b] [-L] [-B]");
			return 2;
		}
	}
	if (strcmp(kind, "4k") && strcmp(kind, "thp") && strcmp(kind, "hugetlb"))
		ksft_exit_fail_msg("unknown memory kind %s\n", kind);
	if (size < 2 * SZ_2M)
		ksft_exit_fail_msg("size must be at least 4 MiB\n");
	fd = open_edu();

	if (bench) {
		if (!iters)
			iters = 1;
		run_bench(fd, size, iters, flags);
		return 0;
	}

	ksft_print_header();
	ksft_set_plan(1);
	bad = run_xfer(fd, size, nblocks, flags);
	if (expect_fail)
		ksft_test_result(bad, "%s: a wrong DMA address is detected\n",
				 kind);
	else
		ksft_test_result(!bad, "%s%s: edu copied every block through dma_map_phyrs()\n",
				 kind, flags & PHYR_EDU_F_LEGACY_OPS ?
				 " (dma_map_ops)" : "");
	ksft_finished();
}
