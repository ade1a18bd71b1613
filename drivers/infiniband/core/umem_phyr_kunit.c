// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests for ib_umem on phyr lists (drivers/infiniband/core/umem_phyr.c)
 *
 * ib_umem_walks: ib_umem_get() of 4 KiB, THP and hugetlb 2 MiB memory
 *   with an unaligned start and end, on a device with virtual DMA (the DMA
 *   list aliases the CPU list, so DMA addresses are physical addresses).
 *   Everything a driver reads is compared with the pages that
 *   pin_user_pages_fast() returns for the same range: the page walk
 *   (ib_umem_for_each_page()), ib_umem_first_page(),
 *   ib_umem_start_dma_addr(), rdma_umem_for_each_dma_block() at 4 KiB and
 *   at the page size ib_umem_find_best_pgsz() picks (exactly
 *   ib_umem_num_dma_blocks() iterations, each block where the pages say),
 *   ib_umem_for_each_dma_range() and ib_umem_copy_from().
 * ib_umem_errors: bad input to ib_umem_get(), each with its errno.
 *
 * Runs in the guest (kunit_vm_mmap() needs a kernel thread that can borrow
 * an mm); hugetlb cases skip, with the reason, when no pages are reserved.
 */
#include <kunit/test.h>
#include <linux/file.h>
#include <linux/hugetlb.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include <rdma/ib_umem.h>
#include <rdma/ib_verbs.h>
#include <rdma/iter.h>

#define RW		(PROT_READ | PROT_WRITE)
#define ANON		(MAP_PRIVATE | MAP_ANONYMOUS)
#define HEAD		123
#define LEN		(3 * SZ_2M + 777)

enum umem_kind { UMEM_4K, UMEM_THP, UMEM_HUGE2M };

static void umem_vfree(void *p)
{
	vfree(p);
}

/* vmalloc()ed memory released when the test ends. */
static void *umem_vzalloc(struct kunit *test, size_t size)
{
	void *p = vzalloc(size);

	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, umem_vfree, p),
			0);
	return p;
}

static const char * const umem_kind_name[] = { "4K", "THP", "hugetlb-2M" };

static unsigned long umem_map(struct kunit *test, enum umem_kind kind,
			      unsigned long len)
{
	struct file *file = NULL;
	unsigned long addr;

	if (kind == UMEM_HUGE2M) {
		file = hugetlb_file_setup(HUGETLB_ANON_FILE, len, VM_NORESERVE,
					  HUGETLB_ANONHUGE_INODE, 21);
		if (IS_ERR(file))
			kunit_skip(test, "no 2 MiB hugetlb pages: %ld",
				   PTR_ERR(file));
		addr = kunit_vm_mmap(test, file, 0, len, RW, MAP_PRIVATE, 0);
		fput(file);
	} else {
		addr = kunit_vm_mmap(test, NULL, 0, len + SZ_2M, RW, ANON, 0);
	}
	if (!addr || IS_ERR_VALUE(addr))
		kunit_skip(test, "vm_mmap(%lu bytes) failed: %ld", len,
			   (long)addr);
	if (kind == UMEM_THP) {
		addr = ALIGN(addr, SZ_2M);
		KUNIT_ASSERT_EQ(test, do_madvise(current->mm, addr, len,
						 MADV_HUGEPAGE), 0);
	} else if (kind == UMEM_4K) {
		KUNIT_ASSERT_EQ(test, do_madvise(current->mm, addr, len,
						 MADV_NOHUGEPAGE), 0);
	}
	return addr;
}

/* Fill [addr, addr + len) with a pattern through the user mapping. */
static void umem_fill(struct kunit *test, unsigned long addr, size_t len,
		      u8 *pattern)
{
	size_t i;

	for (i = 0; i < len; i++)
		pattern[i] = (u8)(i * 7 + (i >> 12));
	KUNIT_ASSERT_EQ(test, copy_to_user((void __user *)addr, pattern, len),
			0);
}

/* The pages pin_user_pages_fast() returns for the range, then unpinned. */
static struct page **umem_expected(struct kunit *test, unsigned long addr,
				   size_t len, unsigned long *npages)
{
	unsigned long first = addr & PAGE_MASK;
	struct page **pages;
	long got;

	*npages = (PAGE_ALIGN(addr + len) - first) >> PAGE_SHIFT;
	pages = umem_vzalloc(test, *npages * sizeof(*pages));
	got = pin_user_pages_fast(first, *npages, 0, pages);
	KUNIT_ASSERT_EQ(test, got, (long)*npages);
	unpin_user_pages(pages, got);	/* still mapped: the page stays */
	return pages;
}

static void ib_umem_walk_kinds(struct kunit *test)
{
	enum umem_kind kind = *(const enum umem_kind *)test->param_value;
	unsigned long addr, npages, i, pgsz;
	struct ib_umem_page_iter piter;
	struct ib_umem_dma_iter diter;
	struct ib_block_iter biter;
	struct ib_device *dev;
	struct ib_umem *umem;
	struct page **pages;
	u8 *pattern, *copy;
	dma_addr_t daddr;
	u64 dlen, expect;
	size_t nblocks;

	dev = kunit_kzalloc(test, sizeof(*dev), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, dev);
	KUNIT_ASSERT_TRUE(test, ib_uses_virt_dma(dev));
	pattern = umem_vzalloc(test, 2 * LEN);
	copy = pattern + LEN;

	addr = umem_map(test, kind, 4 * SZ_2M) + HEAD;
	umem_fill(test, addr, LEN, pattern);
	pages = umem_expected(test, addr, LEN, &npages);
	if (kind == UMEM_THP && folio_size(page_folio(pages[0])) < SZ_2M)
		kunit_skip(test, "no THP for the buffer (a %zu-byte folio)",
			   folio_size(page_folio(pages[0])));

	umem = ib_umem_get(dev, addr, LEN, IB_ACCESS_LOCAL_WRITE);
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(umem), "ib_umem_get: %ld",
			       PTR_ERR(umem));
	KUNIT_EXPECT_EQ(test, ib_umem_num_pages(umem), npages);
	KUNIT_EXPECT_EQ(test, ib_umem_offset(umem), HEAD);
	KUNIT_EXPECT_PTR_EQ(test, ib_umem_first_page(umem), pages[0]);
	KUNIT_EXPECT_EQ(test, ib_umem_start_dma_addr(umem),
			page_to_phys(pages[0]) + HEAD);

	/* the pinned pages, in order */
	i = 0;
	ib_umem_for_each_page(umem, piter) {
		if (i < npages)
			KUNIT_EXPECT_PTR_EQ_MSG(test,
						ib_umem_page_iter_page(&piter),
						pages[i], "page %lu", i);
		i++;
	}
	KUNIT_EXPECT_EQ(test, i, npages);

	/* 4 KiB DMA blocks: one per page, exactly num_dma_blocks of them */
	nblocks = ib_umem_num_dma_blocks(umem, PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, nblocks, npages);
	i = 0;
	rdma_umem_for_each_dma_block(umem, &biter, PAGE_SIZE) {
		if (i < npages)
			KUNIT_EXPECT_EQ_MSG(test,
					    rdma_block_iter_dma_address(&biter),
					    page_to_phys(pages[i]),
					    "block %lu", i);
		i++;
	}
	KUNIT_EXPECT_EQ(test, i, nblocks);

	/* page-rounded DMA ranges cover exactly the pages */
	i = 0;
	ib_umem_for_each_dma_range(umem, diter, daddr, dlen) {
		KUNIT_EXPECT_TRUE(test, PAGE_ALIGNED(daddr));
		KUNIT_EXPECT_TRUE(test, PAGE_ALIGNED(dlen));
		for (; dlen && i < npages; dlen -= PAGE_SIZE, daddr += PAGE_SIZE)
			KUNIT_EXPECT_EQ_MSG(test, daddr,
					    page_to_phys(pages[i++]),
					    "range page %lu", i);
	}
	KUNIT_EXPECT_EQ(test, i, npages);

	/* best page size: 2 MiB wherever the memory is 2 MiB pages */
	pgsz = ib_umem_find_best_pgsz(umem, SZ_4K | SZ_2M | SZ_1G, addr);
	if (kind == UMEM_4K)
		KUNIT_EXPECT_GE(test, pgsz, (unsigned long)SZ_4K);
	else
		KUNIT_EXPECT_EQ(test, pgsz, (unsigned long)SZ_2M);
	nblocks = ib_umem_num_dma_blocks(umem, pgsz);
	i = 0;
	rdma_umem_for_each_dma_block(umem, &biter, pgsz) {
		/* the block holding the first page of its IOVA block */
		unsigned long va = max(ALIGN_DOWN(addr, pgsz) + i * pgsz, addr);
		unsigned long p = (va >> PAGE_SHIFT) - (addr >> PAGE_SHIFT);

		expect = ALIGN_DOWN(page_to_phys(pages[min(p, npages - 1)]),
				    pgsz);
		KUNIT_EXPECT_EQ_MSG(test, rdma_block_iter_dma_address(&biter),
				    expect, "%lu-byte block %lu", pgsz, i);
		i++;
	}
	KUNIT_EXPECT_EQ(test, i, nblocks);

	/* copies, byte exact, from odd offsets */
	memset(copy, 0, LEN);
	KUNIT_EXPECT_EQ(test, ib_umem_copy_from(copy, umem, 0, LEN), 0);
	KUNIT_EXPECT_EQ(test, memcmp(copy, pattern, LEN), 0);
	memset(copy, 0, LEN);
	KUNIT_EXPECT_EQ(test, ib_umem_copy_from(copy, umem, 4095, SZ_2M + 3),
			0);
	KUNIT_EXPECT_EQ(test, memcmp(copy, pattern + 4095, SZ_2M + 3), 0);
	KUNIT_EXPECT_EQ(test, ib_umem_copy_from(copy, umem, 1, LEN), -EINVAL);

	ib_umem_release(umem);
	kunit_info(test, "%s: %lu pages, best page size %lu",
		   umem_kind_name[kind], npages, pgsz);
}

static const enum umem_kind umem_kinds[] = { UMEM_4K, UMEM_THP, UMEM_HUGE2M };

static void umem_kind_desc(const enum umem_kind *kind, char *desc)
{
	strscpy(desc, umem_kind_name[*kind], KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(umem_kind, umem_kinds, umem_kind_desc);

static void ib_umem_get_bad_input(struct kunit *test)
{
	struct ib_device *dev = kunit_kzalloc(test, sizeof(*dev), GFP_KERNEL);
	unsigned long addr, ro, gone;
	struct ib_umem *umem;

	KUNIT_ASSERT_NOT_NULL(test, dev);
	addr = umem_map(test, UMEM_4K, SZ_1M);
	ro = kunit_vm_mmap(test, NULL, 0, SZ_1M, PROT_READ, ANON, 0);
	gone = kunit_vm_mmap(test, NULL, 0, SZ_1M, RW, ANON, 0);
	KUNIT_ASSERT_FALSE(test, IS_ERR_VALUE(ro) || IS_ERR_VALUE(gone));
	KUNIT_ASSERT_EQ(test, vm_munmap(gone, SZ_1M), 0);

	umem = ib_umem_get(dev, addr, 0, IB_ACCESS_LOCAL_WRITE);
	KUNIT_EXPECT_EQ(test, PTR_ERR(umem), -EINVAL);
	umem = ib_umem_get(dev, -4096UL, 8192, IB_ACCESS_LOCAL_WRITE);
	KUNIT_EXPECT_EQ(test, PTR_ERR(umem), -EINVAL);
	umem = ib_umem_get(dev, addr, SZ_1M, IB_ACCESS_ON_DEMAND);
	KUNIT_EXPECT_EQ(test, PTR_ERR(umem), -EOPNOTSUPP);
	umem = ib_umem_get(dev, gone, SZ_1M, IB_ACCESS_LOCAL_WRITE);
	KUNIT_EXPECT_EQ(test, PTR_ERR(umem), -EFAULT);
	umem = ib_umem_get(dev, ro, SZ_1M, IB_ACCESS_LOCAL_WRITE);
	KUNIT_EXPECT_EQ(test, PTR_ERR(umem), -EFAULT);
	umem = ib_umem_get(dev, ro, SZ_1M, 0);
	KUNIT_EXPECT_FALSE(test, IS_ERR(umem));
	if (!IS_ERR(umem))
		ib_umem_release(umem);
}

static struct kunit_case ib_umem_walks_cases[] = {
	KUNIT_CASE_PARAM(ib_umem_walk_kinds, umem_kind_gen_params),
	{}
};

static struct kunit_case ib_umem_errors_cases[] = {
	KUNIT_CASE(ib_umem_get_bad_input),
	{}
};

static struct kunit_suite ib_umem_walks_suite = {
	.name = "ib_umem_walks",
	.test_cases = ib_umem_walks_cases,
};

static struct kunit_suite ib_umem_errors_suite = {
	.name = "ib_umem_errors",
	.test_cases = ib_umem_errors_cases,
};

kunit_test_suites(&ib_umem_walks_suite, &ib_umem_errors_suite);

MODULE_DESCRIPTION("KUnit tests for ib_umem on phyr lists");
MODULE_LICENSE("GPL");
