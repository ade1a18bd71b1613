// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests for get_user_phyrs() (mm/gup_phyr.c), with real user memory.
 *
 * gup_phyr_memory: every kind of memory (4 KiB anonymous, THP populated or
 *   not, PTE-mapped THP, hugetlb 2 MiB and 1 GiB, shmem, read-only file
 *   and zero pages, several VMAs in one range, the same page mapped many
 *   times), with byte-granular starts and ends.  Each list is compared,
 *   range by range, with runs built from pin_user_pages_fast() and
 *   page_to_phys() over the same range, its entry count is checked, and the
 *   pin counters must move exactly as they do for pin_user_pages_fast().
 * gup_phyr_errors: a table of bad inputs, each with its errno, an empty
 *   list and balanced pin counters afterwards; then a fail-nth sweep over
 *   the list's chunk allocations.
 *
 * The suites need a kernel thread that can borrow an mm (kunit_vm_mmap())
 * and hugetlb pages reserved on the command line (hugepages=, and
 * hugepagesz=1G hugepages=1 for the 1 GiB case); cases whose memory is not
 * available are skipped with the reason.  Every pin is released before a
 * case returns: an assertion that fails before that point would leak pins,
 * so assertions are only used before pinning.
 */
#include <kunit/static_stub.h>
#include <kunit/test.h>
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/gup_phyr.h>
#include <linux/hugetlb.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/phyr.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/shmem_fs.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmstat.h>

#include "internal.h"

#define RW		(PROT_READ | PROT_WRITE)
#define ANON		(MAP_PRIVATE | MAP_ANONYMOUS)

/*
 * The pin counters, exactly: global_node_page_state() lags behind by the
 * per-CPU deltas not yet folded in, so add those.  Read until two reads
 * agree, in case vmstat folds a delta in between.
 */
static long pin_stat_once(enum node_stat_item item)
{
	struct pglist_data *pgdat;
	long v = 0;
	int cpu;

	for_each_online_pgdat(pgdat) {
		v += atomic_long_read(&pgdat->vm_stat[item]);
		for_each_possible_cpu(cpu)
			v += per_cpu_ptr(pgdat->per_cpu_nodestats,
					 cpu)->vm_node_stat_diff[item];
	}
	return v;
}

static long pin_stat(enum node_stat_item item)
{
	long a, b = pin_stat_once(item);

	do {
		a = b;
		b = pin_stat_once(item);
	} while (a != b);
	return a;
}

struct pin_counts {
	long acquired;
	long released;
};

static void pin_counts_read(struct pin_counts *c)
{
	c->acquired = pin_stat(NR_FOLL_PIN_ACQUIRED);
	c->released = pin_stat(NR_FOLL_PIN_RELEASED);
}

/* Pages acquired and released since @c was read. */
static void pin_counts_delta(const struct pin_counts *c, long *acquired,
			     long *released)
{
	*acquired = pin_stat(NR_FOLL_PIN_ACQUIRED) - c->acquired;
	*released = pin_stat(NR_FOLL_PIN_RELEASED) - c->released;
}

/* --- memory set-up ------------------------------------------------------ */

static unsigned long map_or_skip(struct kunit *test, struct file *file,
				 unsigned long addr, unsigned long len,
				 unsigned long prot, unsigned long flags)
{
	unsigned long uaddr = kunit_vm_mmap(test, file, addr, len, prot, flags,
					    0);

	if (!uaddr || IS_ERR_VALUE(uaddr))
		kunit_skip(test, "vm_mmap(%lu bytes) failed: %ld", len,
			   (long)uaddr);
	return uaddr;
}

/* Anonymous 4 KiB memory: THP disabled for the range. */
static unsigned long map_anon(struct kunit *test, unsigned long len,
			      unsigned long prot)
{
	unsigned long addr = map_or_skip(test, NULL, 0, len, prot, ANON);

	KUNIT_ASSERT_EQ(test, do_madvise(current->mm, addr, len,
					 MADV_NOHUGEPAGE), 0);
	return addr;
}

/* @len bytes of anonymous memory at a PMD boundary, THP requested. */
static unsigned long map_thp(struct kunit *test, unsigned long len)
{
	unsigned long addr;

	if (!IS_ENABLED(CONFIG_TRANSPARENT_HUGEPAGE))
		kunit_skip(test, "CONFIG_TRANSPARENT_HUGEPAGE is off");
	addr = map_or_skip(test, NULL, 0, len + PMD_SIZE, RW, ANON);
	addr = ALIGN(addr, PMD_SIZE);
	KUNIT_ASSERT_EQ(test, do_madvise(current->mm, addr, len,
					 MADV_HUGEPAGE), 0);
	return addr;
}

/* Private hugetlb memory of 2^@shift byte pages (at @addr if not 0). */
static unsigned long map_hugetlb(struct kunit *test, unsigned long addr,
				 unsigned long len, int shift)
{
	struct file *file;
	unsigned long flags = MAP_PRIVATE | (addr ? MAP_FIXED : 0);

	/* As mmap(MAP_HUGETLB) does: the mapping reserves, not the file */
	file = hugetlb_file_setup(HUGETLB_ANON_FILE, len, VM_NORESERVE,
				  HUGETLB_ANONHUGE_INODE, shift);
	if (IS_ERR(file))
		kunit_skip(test, "no %lu KiB hugetlb pages for %lu bytes: %ld",
			   BIT(shift) / SZ_1K, len, PTR_ERR(file));
	addr = kunit_vm_mmap(test, file, addr, len, RW, flags, 0);
	fput(file);
	if (!addr || IS_ERR_VALUE(addr))
		kunit_skip(test, "hugetlb vm_mmap(%lu bytes) failed: %ld", len,
			   (long)addr);
	return addr;
}

/* A shmem file of @len bytes (what memfd_create() makes). */
static struct file *new_shmem_file(struct kunit *test, unsigned long len)
{
	struct file *file = shmem_file_setup("gup_phyr_kunit", len,
					     VM_NORESERVE);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, file);
	return file;
}

static unsigned long map_shmem(struct kunit *test, unsigned long addr,
			       unsigned long len, unsigned long prot)
{
	struct file *file = new_shmem_file(test, len);

	addr = map_or_skip(test, file, addr, len, prot,
			   MAP_SHARED | (addr ? MAP_FIXED : 0));
	fput(file);
	return addr;
}

/* Write to every page, so the range is populated. */
static void populate(struct kunit *test, unsigned long addr, unsigned long len)
{
	KUNIT_ASSERT_EQ(test, clear_user((void __user *)addr, len), 0);
}

/* --- comparison with pin_user_pages_fast() ------------------------------ */

struct ref_pin {
	struct page **pages;
	unsigned long nr_pages;
	long acquired;		/* pin counters moved by the pin */
	long released;		/* (GUP-fast may pin and back off) */
	unsigned long runs;	/* maximal physically contiguous runs */
	unsigned long folios;	/* folios, each counted once per run */
};

/*
 * Pin with pin_user_pages_fast() into @ref; release with ref_unpin().
 * Returns 0, or -errno with nothing pinned.
 */
static int ref_pin(unsigned long start, size_t len, unsigned int flags,
		   struct ref_pin *ref)
{
	unsigned long first = start & PAGE_MASK;
	struct pin_counts c;
	unsigned long i;
	int ret;

	ref->nr_pages = (PAGE_ALIGN(start + len) - first) >> PAGE_SHIFT;
	ref->pages = kvmalloc_array(ref->nr_pages, sizeof(*ref->pages),
				    GFP_KERNEL);
	if (!ref->pages)
		return -ENOMEM;
	pin_counts_read(&c);
	ret = pin_user_pages_fast(first, ref->nr_pages, flags, ref->pages);
	if (ret != ref->nr_pages) {
		if (ret > 0)
			unpin_user_pages(ref->pages, ret);
		kvfree(ref->pages);
		return ret < 0 ? ret : -EFAULT;
	}
	pin_counts_delta(&c, &ref->acquired, &ref->released);

	ref->runs = 1;
	ref->folios = 1;
	for (i = 1; i < ref->nr_pages; i++) {
		struct page *prev = ref->pages[i - 1], *page = ref->pages[i];

		if (page_to_phys(page) != page_to_phys(prev) + PAGE_SIZE) {
			ref->runs++;
			ref->folios++;
		} else if (page_folio(page) != page_folio(prev)) {
			ref->folios++;
		}
	}
	return 0;
}

static void ref_unpin(struct ref_pin *ref)
{
	unpin_user_pages(ref->pages, ref->nr_pages);
	kvfree(ref->pages);
}

/*
 * Compare @pl with @ref, as maximal runs of contiguous bytes on both sides.
 * Returns the number of runs in @pl.
 */
static unsigned long expect_same_ranges(struct kunit *test,
					const struct phyr_list *pl,
					const struct ref_pin *ref,
					unsigned long start, size_t len)
{
	u64 ref_start = page_to_phys(ref->pages[0]) + offset_in_page(start);
	u64 ref_end = page_to_phys(ref->pages[0]) + PAGE_SIZE;
	u64 tail = ((u64)ref->nr_pages << PAGE_SHIFT) -
		   offset_in_page(start) - len;
	unsigned long i, runs = 0;
	struct phyr_iter iter;
	struct phyr r;
	bool have;

	phyr_iter_start(&iter, pl);
	have = phyr_iter_next(&iter, &r);
	for (i = 1; i <= ref->nr_pages; i++) {
		u64 pl_start, pl_end;

		if (i < ref->nr_pages &&
		    page_to_phys(ref->pages[i]) == ref_end) {
			ref_end += PAGE_SIZE;
			continue;
		}
		if (i == ref->nr_pages)
			ref_end -= tail;

		/* The next maximal run of the list */
		KUNIT_EXPECT_TRUE_MSG(test, have, "list ends before run %lu",
				      runs);
		if (!have)
			return runs;
		pl_start = r.addr;
		pl_end = r.addr + r.len;
		KUNIT_EXPECT_EQ(test, r.type, PHYR_MEM_RAM);
		while ((have = phyr_iter_next(&iter, &r)) && r.addr == pl_end)
			pl_end += r.len;
		runs++;

		KUNIT_EXPECT_EQ_MSG(test, pl_start, ref_start, "run %lu",
				    runs - 1);
		KUNIT_EXPECT_EQ_MSG(test, pl_end, ref_end, "run %lu",
				    runs - 1);
		if (i < ref->nr_pages) {
			ref_start = page_to_phys(ref->pages[i]);
			ref_end = ref_start + PAGE_SIZE;
		}
	}
	KUNIT_EXPECT_FALSE_MSG(test, have, "list has more than %lu runs", runs);
	return runs;
}

/*
 * Pin [@start, @start + @len) with get_user_phyrs() (or the remote variant)
 * and with pin_user_pages_fast(), compare, release both.  Returns the
 * reference, already unpinned, for case-specific checks of its counts.
 */
static void check_pin(struct kunit *test, unsigned long start, size_t len,
		      unsigned int flags, bool remote, struct ref_pin *refp)
{
	struct phyr_list pl;
	struct ref_pin ref;
	struct pin_counts c;
	long acquired, released;
	unsigned long runs;
	int ret;

	phyr_list_init(&pl);
	pin_counts_read(&c);
	if (remote) {
		KUNIT_ASSERT_TRUE(test, mmget_not_zero(current->mm));
		ret = get_user_phyrs_remote(current->mm, start, len, flags,
					    &pl);
		mmput(current->mm);
	} else {
		ret = get_user_phyrs(start, len, flags, &pl);
	}
	KUNIT_ASSERT_EQ(test, ret, 0);
	pin_counts_delta(&c, &acquired, &released);

	/* The reference pins the same pages again, while both are held */
	ret = ref_pin(start, len, flags, &ref);
	if (ret) {
		unpin_user_phyrs(&pl);
		KUNIT_FAIL_AND_ABORT(test, "pin_user_pages_fast(): %d", ret);
	}

	/* Same pages pinned, and the counters moved by the same amounts */
	KUNIT_EXPECT_EQ(test, acquired, ref.acquired);
	KUNIT_EXPECT_EQ(test, released, ref.released);
	KUNIT_EXPECT_EQ(test, phyr_list_length(&pl), len);
	KUNIT_EXPECT_EQ(test, phyr_list_first_offset(&pl),
			offset_in_page(start));
	runs = expect_same_ranges(test, &pl, &ref, start, len);
	KUNIT_EXPECT_EQ(test, runs, ref.runs);
	/* One entry per run: no run here is long enough to be split */
	KUNIT_EXPECT_EQ(test, phyr_list_nr_ranges(&pl), ref.runs);
	kunit_info(test, "%lu pages in %lu folios: %u ranges, %zu bytes of chunks, %ld pins\n",
		   ref.nr_pages, ref.folios, phyr_list_nr_ranges(&pl),
		   phyr_list_alloc_bytes(&pl), acquired - released);

	pin_counts_read(&c);
	unpin_user_phyrs(&pl);
	pin_counts_delta(&c, &acquired, &released);
	KUNIT_EXPECT_EQ(test, released, ref.acquired - ref.released);
	KUNIT_EXPECT_EQ(test, acquired, 0);
	KUNIT_EXPECT_TRUE(test, phyr_list_empty(&pl));

	ref_unpin(&ref);
	if (refp)
		*refp = ref;
}

/* --- gup_phyr_memory ---------------------------------------------------- */

static void anon_4k_populated(struct kunit *test)
{
	unsigned long len = 64 * PAGE_SIZE, addr = map_anon(test, len, RW);
	struct ref_pin ref;

	populate(test, addr, len);
	check_pin(test, addr, len, FOLL_WRITE, false, &ref);
	KUNIT_EXPECT_EQ(test, ref.acquired - ref.released, 64);
	/* byte-granular: from inside the first page to inside the last */
	check_pin(test, addr + 100, len - 300, FOLL_WRITE, false, NULL);
	check_pin(test, addr + PAGE_SIZE - 1, 2, 0, false, NULL);
	check_pin(test, addr + 5, 1, 0, false, NULL);
}

static void anon_4k_unpopulated(struct kunit *test)
{
	unsigned long len = 64 * PAGE_SIZE, addr = map_anon(test, len, RW);
	struct ref_pin ref;

	/* faulted in by the slow path */
	check_pin(test, addr + 7, len - 7, FOLL_WRITE, false, &ref);
	KUNIT_EXPECT_EQ(test, ref.acquired - ref.released, 64);
}

/* The same shmem page mapped @n times in a row: @n ranges, never merged. */
static unsigned long map_same_page(struct kunit *test, unsigned long n)
{
	struct file *file = new_shmem_file(test, PAGE_SIZE);
	unsigned long base, i;

	base = map_or_skip(test, NULL, 0, n * PAGE_SIZE, PROT_NONE, ANON);
	for (i = 0; i < n; i++) {
		unsigned long a = vm_mmap(file, base + i * PAGE_SIZE,
					  PAGE_SIZE, RW, MAP_SHARED | MAP_FIXED,
					  0);

		if (a != base + i * PAGE_SIZE) {
			fput(file);
			KUNIT_ASSERT_EQ(test, a, base + i * PAGE_SIZE);
		}
	}
	fput(file);
	return base;
}

static void same_page_many_times(struct kunit *test)
{
	unsigned long n = 3 * 64 + 5, addr = map_same_page(test, n);
	struct ref_pin ref;

	/* Unpopulated: slow path, several full batches */
	check_pin(test, addr + 1, n * PAGE_SIZE - 2, FOLL_WRITE, false, &ref);
	KUNIT_EXPECT_EQ(test, ref.runs, n);
	/* Populated: lockless path, several full batches */
	check_pin(test, addr, n * PAGE_SIZE, FOLL_WRITE, false, &ref);
	KUNIT_EXPECT_EQ(test, ref.runs, n);
	KUNIT_EXPECT_EQ(test, ref.acquired - ref.released, n);
}

static void thp_case(struct kunit *test, bool populated)
{
	unsigned long len = 4 * PMD_SIZE, addr = map_thp(test, len);
	struct ref_pin ref;

	if (populated)
		populate(test, addr, len);
	check_pin(test, addr, len, FOLL_WRITE, false, &ref);
	if (ref.folios != 4)
		kunit_skip(test, "no THP: %lu folios for 4 PMDs", ref.folios);
	KUNIT_EXPECT_LE(test, ref.runs, 4);
	/* From the middle of the first THP to the middle of the last */
	check_pin(test, addr + PMD_SIZE / 2 + 3, 3 * PMD_SIZE, FOLL_WRITE,
		  false, NULL);
	/* Read-only pin of the same, then one page */
	check_pin(test, addr, len, 0, false, NULL);
	check_pin(test, addr + PMD_SIZE + 5 * PAGE_SIZE, PAGE_SIZE, 0, false,
		  NULL);
}

static void thp_populated(struct kunit *test)
{
	thp_case(test, true);
}

static void thp_unpopulated(struct kunit *test)
{
	thp_case(test, false);
}

/*
 * A THP whose PMD mapping was split by zapping one page: the rest is a
 * large folio mapped by PTEs, which the lockless walk pins in batches.
 */
static void thp_pte_mapped(struct kunit *test)
{
	unsigned long len = PMD_SIZE, addr = map_thp(test, len);
	struct ref_pin ref;

	populate(test, addr, len);
	check_pin(test, addr, len, 0, false, &ref);
	if (ref.folios != 1)
		kunit_skip(test, "no THP: %lu folios for one PMD", ref.folios);
	KUNIT_ASSERT_EQ(test, do_madvise(current->mm, addr + 100 * PAGE_SIZE,
					 PAGE_SIZE, MADV_DONTNEED), 0);
	/* Both sides of the hole, without faulting it in */
	check_pin(test, addr + 3, 100 * PAGE_SIZE - 3, FOLL_WRITE, false,
		  &ref);
	KUNIT_EXPECT_EQ(test, ref.folios, 1);
	KUNIT_EXPECT_EQ(test, ref.runs, 1);
	check_pin(test, addr + 101 * PAGE_SIZE, len - 101 * PAGE_SIZE - 9,
		  0, false, &ref);
	KUNIT_EXPECT_EQ(test, ref.folios, 1);
	/* And across the hole, which is faulted in by the slow path */
	check_pin(test, addr, len, FOLL_WRITE, false, NULL);
}

static void hugetlb_2m(struct kunit *test)
{
	unsigned long len = 8 * SZ_2M;
	unsigned long addr = map_hugetlb(test, 0, len, ilog2(SZ_2M));
	struct ref_pin ref;

	/* Unpopulated: the slow path faults in one huge page per leaf */
	check_pin(test, addr + SZ_2M - 5, 5 * SZ_2M, FOLL_WRITE, false, &ref);
	KUNIT_EXPECT_EQ(test, ref.folios, 6);
	populate(test, addr, len);
	check_pin(test, addr, len, FOLL_WRITE, false, &ref);
	KUNIT_EXPECT_EQ(test, ref.folios, 8);
	KUNIT_EXPECT_LE(test, ref.runs, 8);
	check_pin(test, addr + 3 * SZ_2M + 17, SZ_2M, 0, false, NULL);
}

static void hugetlb_1g(struct kunit *test)
{
	unsigned long addr = map_hugetlb(test, 0, SZ_1G, ilog2(SZ_1G));
	struct ref_pin ref;

	/* Faulted in by the slow path, then found by the lockless walk */
	check_pin(test, addr + 4097, SZ_1G - 8192, FOLL_WRITE, false, &ref);
	KUNIT_EXPECT_EQ(test, ref.runs, 1);
	KUNIT_EXPECT_EQ(test, ref.folios, 1);
	check_pin(test, addr, SZ_1G, FOLL_WRITE, false, &ref);
	KUNIT_EXPECT_EQ(test, ref.runs, 1);
}

static void shmem(struct kunit *test)
{
	unsigned long len = 64 * PAGE_SIZE, addr = map_shmem(test, 0, len, RW);

	check_pin(test, addr + 9, len - 10, FOLL_WRITE, false, NULL);
	populate(test, addr, len);
	check_pin(test, addr, len, FOLL_WRITE, false, NULL);
	check_pin(test, addr, len, FOLL_WRITE | FOLL_LONGTERM, false, NULL);
}

/* A read-only mapping of a populated file, and of untouched anon memory. */
static void read_only(struct kunit *test)
{
	unsigned long len = 32 * PAGE_SIZE, rw, ro;
	struct file *file = new_shmem_file(test, len);
	struct ref_pin ref;

	rw = map_or_skip(test, file, 0, len, RW, MAP_SHARED);
	ro = map_or_skip(test, file, 0, len, PROT_READ, MAP_SHARED);
	fput(file);
	populate(test, rw, len);
	check_pin(test, ro + 1, len - 1, 0, false, NULL);
	check_pin(test, ro, len, FOLL_LONGTERM, false, NULL);

	/* Untouched private memory reads as the shared zero page */
	ro = map_anon(test, len, PROT_READ);
	check_pin(test, ro, len, 0, false, &ref);
	KUNIT_EXPECT_EQ(test, ref.acquired - ref.released, 0);
	KUNIT_EXPECT_EQ(test, ref.runs, 32);
	/* A long-term read pin unshares: real pages, counted */
	check_pin(test, ro, len, FOLL_LONGTERM, false, &ref);
	KUNIT_EXPECT_EQ(test, ref.acquired - ref.released, 32);
}

/*
 * One range over four VMAs: 4 KiB anonymous, THP, hugetlb 2 MiB and shmem,
 * from inside the first page to inside the last.
 */
static void mixed_vmas(struct kunit *test)
{
	unsigned long base, start, end, len = 4 * SZ_2M;
	unsigned long a;

	base = map_or_skip(test, NULL, 0, len + SZ_2M, PROT_NONE, ANON);
	base = ALIGN(base, SZ_2M);
	a = vm_mmap(NULL, base, SZ_2M, RW, ANON | MAP_FIXED, 0);
	KUNIT_ASSERT_EQ(test, a, base);
	KUNIT_ASSERT_EQ(test, do_madvise(current->mm, base, SZ_2M,
					 MADV_NOHUGEPAGE), 0);
	a = vm_mmap(NULL, base + SZ_2M, SZ_2M, RW, ANON | MAP_FIXED, 0);
	KUNIT_ASSERT_EQ(test, a, base + SZ_2M);
	if (IS_ENABLED(CONFIG_TRANSPARENT_HUGEPAGE))
		KUNIT_ASSERT_EQ(test, do_madvise(current->mm, base + SZ_2M,
						 SZ_2M, MADV_HUGEPAGE), 0);
	map_hugetlb(test, base + 2 * SZ_2M, SZ_2M, ilog2(SZ_2M));
	map_shmem(test, base + 3 * SZ_2M, SZ_2M, RW);

	start = base + SZ_2M - 16 * PAGE_SIZE + 123;
	end = base + 3 * SZ_2M + 16 * PAGE_SIZE - 77;
	check_pin(test, start, end - start, FOLL_WRITE, false, NULL);
	populate(test, base, len);
	check_pin(test, start, end - start, FOLL_WRITE, false, NULL);
	check_pin(test, base, len, 0, false, NULL);
}

static void longterm(struct kunit *test)
{
	unsigned long len = 64 * PAGE_SIZE, addr = map_anon(test, len, RW);

	check_pin(test, addr, len, FOLL_WRITE | FOLL_LONGTERM, false, NULL);
	check_pin(test, addr + 1, len - 2, FOLL_LONGTERM, false, NULL);
	addr = map_thp(test, 2 * PMD_SIZE);
	check_pin(test, addr + 3, 2 * PMD_SIZE - 3, FOLL_WRITE | FOLL_LONGTERM,
		  false, NULL);
}

static void remote(struct kunit *test)
{
	unsigned long len = 64 * PAGE_SIZE, addr = map_anon(test, len, RW);

	check_pin(test, addr + 1, len - 1, FOLL_WRITE, true, NULL);
	check_pin(test, addr, len, FOLL_WRITE | FOLL_LONGTERM, true, NULL);
	addr = map_hugetlb(test, 0, 2 * SZ_2M, ilog2(SZ_2M));
	check_pin(test, addr, 2 * SZ_2M, FOLL_WRITE, true, NULL);
}

/* unpin_user_phyrs_dirty_lock() dirties, unpin_user_phyrs() does not. */
static void unpin_dirty(struct kunit *test)
{
	unsigned long len = 8 * PAGE_SIZE, addr = map_anon(test, len, RW);
	struct phyr_list pl;
	struct ref_pin ref;
	unsigned long i;
	int ret;

	populate(test, addr, len);
	KUNIT_ASSERT_EQ(test, ref_pin(addr, len, FOLL_WRITE, &ref), 0);
	for (i = 0; i < ref.nr_pages; i++)
		folio_clear_dirty(page_folio(ref.pages[i]));

	phyr_list_init(&pl);
	ret = get_user_phyrs(addr, len, FOLL_WRITE, &pl);
	KUNIT_EXPECT_EQ(test, ret, 0);
	unpin_user_phyrs(&pl);
	for (i = 0; i < ref.nr_pages; i++)
		KUNIT_EXPECT_FALSE(test, folio_test_dirty(page_folio(ref.pages[i])));

	ret = get_user_phyrs(addr + 1, len - 1, FOLL_WRITE, &pl);
	KUNIT_EXPECT_EQ(test, ret, 0);
	unpin_user_phyrs_dirty_lock(&pl, true);
	KUNIT_EXPECT_TRUE(test, phyr_list_empty(&pl));
	for (i = 0; i < ref.nr_pages; i++)
		KUNIT_EXPECT_TRUE(test, folio_test_dirty(page_folio(ref.pages[i])));

	/* Empty lists are accepted */
	unpin_user_phyrs(&pl);
	unpin_user_phyrs_dirty_lock(&pl, true);
	ref_unpin(&ref);
}

static struct kunit_case gup_phyr_memory_cases[] = {
	KUNIT_CASE(anon_4k_populated),
	KUNIT_CASE(anon_4k_unpopulated),
	KUNIT_CASE(same_page_many_times),
	KUNIT_CASE(thp_populated),
	KUNIT_CASE(thp_unpopulated),
	KUNIT_CASE(thp_pte_mapped),
	KUNIT_CASE(hugetlb_2m),
	KUNIT_CASE_SLOW(hugetlb_1g),
	KUNIT_CASE(shmem),
	KUNIT_CASE(read_only),
	KUNIT_CASE(mixed_vmas),
	KUNIT_CASE(longterm),
	KUNIT_CASE(remote),
	KUNIT_CASE(unpin_dirty),
	{}
};

static struct kunit_suite gup_phyr_memory_suite = {
	.name = "gup_phyr_memory",
	.test_cases = gup_phyr_memory_cases,
};

/* --- gup_phyr_errors ---------------------------------------------------- */

/* A special mapping: VM_IO | VM_PFNMAP over the zero page. */
static int pfnmap_mmap(struct file *file, struct vm_area_struct *vma)
{
	return remap_pfn_range(vma, vma->vm_start,
			       page_to_pfn(ZERO_PAGE(0)), PAGE_SIZE,
			       vma->vm_page_prot);
}

static const struct file_operations pfnmap_fops = {
	.mmap = pfnmap_mmap,
};

enum err_setup {
	ERR_NONE,	/* start is absolute, nothing mapped */
	ERR_KERNEL,	/* start is relative to PAGE_OFFSET */
	ERR_TASK_END,	/* start is relative to TASK_SIZE_MAX */
	ERR_RW,		/* 16 pages of populated anon memory at start 0 */
	ERR_RO,		/* the same, read-only */
	ERR_PROT_NONE,	/* page 8 of ERR_RW is PROT_NONE */
	ERR_HOLE,	/* page 8 of ERR_RW is not mapped */
	ERR_PFNMAP,	/* page 8 of ERR_RW is VM_IO | VM_PFNMAP */
	ERR_NOT_EMPTY,	/* ERR_RW, but the list already holds a range */
	ERR_SIGNAL,	/* ERR_RW unpopulated from page 8, SIGKILL pending */
};

struct err_case {
	const char *name;
	enum err_setup setup;
	unsigned long start;	/* offset from the base of @setup */
	size_t len;
	unsigned int flags;
	int err;
	bool partial;		/* pins part of the range before failing */
};

#define ERR_PAGES	16

static const struct err_case err_cases[] = {
	{ "len 0", ERR_RW, 0, 0, 0, -EINVAL },
	{ "start + len wraps", ERR_NONE, ULONG_MAX - 10, 100, 0, -EINVAL },
	{ "end is 2^64", ERR_NONE, -PAGE_SIZE, PAGE_SIZE, 0, -EINVAL },
	{ "kernel address", ERR_KERNEL, 0, PAGE_SIZE, 0, -EFAULT },
	{ "across TASK_SIZE", ERR_TASK_END, -PAGE_SIZE, 2 * PAGE_SIZE, 0,
	  -EFAULT },
	{ "len past TASK_SIZE", ERR_RW, 0, BIT(62), 0, -EFAULT },
	{ "FOLL_GET", ERR_RW, 0, PAGE_SIZE, FOLL_GET, -EINVAL },
	{ "FOLL_PIN (internal)", ERR_RW, 0, PAGE_SIZE, FOLL_PIN, -EINVAL },
	{ "FOLL_FORCE", ERR_RW, 0, PAGE_SIZE, FOLL_FORCE | FOLL_WRITE,
	  -EINVAL },
	{ "FOLL_NOWAIT", ERR_RW, 0, PAGE_SIZE, FOLL_NOWAIT, -EINVAL },
	{ "list not empty", ERR_NOT_EMPTY, 0, PAGE_SIZE, 0, -EINVAL },
	{ "hole in the middle", ERR_HOLE, 5, ERR_PAGES * PAGE_SIZE - 10,
	  FOLL_WRITE, -EFAULT, true },
	{ "hole at the start", ERR_HOLE, 8 * PAGE_SIZE + 1, 3 * PAGE_SIZE,
	  0, -EFAULT },
	{ "ends one byte into a hole", ERR_HOLE, 0, 8 * PAGE_SIZE + 1, 0,
	  -EFAULT, true },
	{ "PROT_NONE in the middle", ERR_PROT_NONE, 0,
	  ERR_PAGES * PAGE_SIZE, 0, -EFAULT, true },
	{ "FOLL_WRITE on read-only", ERR_RO, 0, 4 * PAGE_SIZE, FOLL_WRITE,
	  -EFAULT },
	{ "FOLL_LONGTERM | FOLL_WRITE on read-only", ERR_RO, 3, 3,
	  FOLL_WRITE | FOLL_LONGTERM, -EFAULT },
	{ "VM_IO | VM_PFNMAP in the middle", ERR_PFNMAP, 0,
	  ERR_PAGES * PAGE_SIZE, 0, -EFAULT, true },
	{ "fatal signal pending", ERR_SIGNAL, 8 * PAGE_SIZE, PAGE_SIZE, 0,
	  -EINTR },
	{ "fatal signal after the lockless part", ERR_SIGNAL, 1,
	  ERR_PAGES * PAGE_SIZE - 1, FOLL_WRITE, -EINTR, true },
};

static void err_case_desc(const struct err_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(err, err_cases, err_case_desc);

/* Map the memory of @setup; return the base address. */
static unsigned long err_setup(struct kunit *test, enum err_setup setup)
{
	unsigned long len = ERR_PAGES * PAGE_SIZE, mid, addr;
	struct file *file;

	/* Every case has an mm, with something mapped */
	addr = map_anon(test, PAGE_SIZE, RW);
	if (setup == ERR_NONE)
		return 0;
	if (setup == ERR_KERNEL)
		return PAGE_OFFSET;
	if (setup == ERR_TASK_END)
		return TASK_SIZE_MAX;
	addr = map_anon(test, len, setup == ERR_RO ? PROT_READ : RW);
	if (setup != ERR_RO && setup != ERR_SIGNAL)
		populate(test, addr, len);
	if (setup == ERR_SIGNAL)
		populate(test, addr, len / 2);
	mid = addr + len / 2;
	switch (setup) {
	case ERR_PROT_NONE:
		KUNIT_ASSERT_EQ(test, vm_mmap(NULL, mid, PAGE_SIZE, PROT_NONE,
					      ANON | MAP_FIXED, 0), mid);
		break;
	case ERR_HOLE:
		KUNIT_ASSERT_EQ(test, vm_munmap(mid, PAGE_SIZE), 0);
		break;
	case ERR_PFNMAP:
		file = anon_inode_getfile("gup_phyr_pfnmap", &pfnmap_fops,
					  NULL, O_RDWR);
		KUNIT_ASSERT_NOT_ERR_OR_NULL(test, file);
		addr = vm_mmap(file, mid, PAGE_SIZE, PROT_READ,
			       MAP_SHARED | MAP_FIXED, 0);
		fput(file);
		KUNIT_ASSERT_EQ(test, addr, mid);
		addr = mid - len / 2;
		break;
	default:
		break;
	}
	return addr;
}

static void gup_phyr_error(struct kunit *test)
{
	const struct err_case *c = test->param_value;
	unsigned long base = err_setup(test, c->setup);
	unsigned long start = base + c->start;
	struct phyr_list pl;
	struct pin_counts pc;
	long acquired, released;
	int ret;

	phyr_list_init(&pl);
	if (c->setup == ERR_NOT_EMPTY)
		KUNIT_ASSERT_EQ(test, phyr_list_append(&pl, SZ_1M, PAGE_SIZE,
						       PHYR_MEM_RAM,
						       GFP_KERNEL), 0);
	if (c->setup == ERR_SIGNAL) {
		allow_signal(SIGKILL);
		do_send_sig_info(SIGKILL, SEND_SIG_PRIV, current, PIDTYPE_PID);
		KUNIT_ASSERT_TRUE(test, fatal_signal_pending(current));
	}

	pin_counts_read(&pc);
	ret = get_user_phyrs(start, c->len, c->flags, &pl);
	pin_counts_delta(&pc, &acquired, &released);

	if (c->setup == ERR_SIGNAL) {
		flush_signals(current);
		disallow_signal(SIGKILL);
	}
	if (!ret)
		unpin_user_phyrs(&pl);

	KUNIT_EXPECT_EQ(test, ret, c->err);
	KUNIT_EXPECT_EQ(test, acquired, released);
	if (c->partial)
		KUNIT_EXPECT_GT_MSG(test, acquired, 0,
				    "expected to pin, then unwind");
	if (c->setup == ERR_NOT_EMPTY) {
		KUNIT_EXPECT_EQ(test, phyr_list_nr_ranges(&pl), 1);
		phyr_list_destroy(&pl);
	}
	KUNIT_EXPECT_TRUE(test, phyr_list_empty(&pl));

	/* The remote variant must fail the same way (signal cases aside) */
	if (c->setup == ERR_SIGNAL)
		return;
	phyr_list_init(&pl);
	if (c->setup == ERR_NOT_EMPTY)
		KUNIT_ASSERT_EQ(test, phyr_list_append(&pl, SZ_1M, PAGE_SIZE,
						       PHYR_MEM_RAM,
						       GFP_KERNEL), 0);
	KUNIT_ASSERT_TRUE(test, mmget_not_zero(current->mm));
	pin_counts_read(&pc);
	ret = get_user_phyrs_remote(current->mm, start, c->len, c->flags,
				    &pl);
	pin_counts_delta(&pc, &acquired, &released);
	mmput(current->mm);
	if (!ret)
		unpin_user_phyrs(&pl);
	phyr_list_destroy(&pl);
	KUNIT_EXPECT_EQ(test, ret, c->err);
	KUNIT_EXPECT_EQ(test, acquired, released);
}

/* Fail the @fail_at'th chunk allocation of a list (counted from 1). */
static int chunk_allocs, chunk_fail_at;

static struct phyr_chunk *failing_chunk_alloc(gfp_t gfp)
{
	if (++chunk_allocs == chunk_fail_at)
		return NULL;
	return kmalloc(PHYR_CHUNK_SIZE, gfp);
}

/*
 * -ENOMEM from the list at every chunk allocation in turn, from the
 * lockless path and from the slow path: nothing stays pinned.
 */
static void gup_phyr_enomem(struct kunit *test)
{
	unsigned long n = 1100, addr = map_same_page(test, n);
	unsigned long len = n * PAGE_SIZE;
	int pass, allocs, ret;

	for (pass = 0; pass < 2; pass++) {
		struct phyr_list pl;
		struct pin_counts pc;
		long acquired, released;

		/* Pass 0 unpopulated (slow path), pass 1 populated */
		if (pass)
			populate(test, addr, len);
		phyr_list_init(&pl);
		if (!pass)
			KUNIT_ASSERT_EQ(test, do_madvise(current->mm, addr, len,
							 MADV_DONTNEED), 0);
		kunit_activate_static_stub(test, phyr_chunk_alloc,
					   failing_chunk_alloc);
		chunk_allocs = 0;
		chunk_fail_at = 0;
		ret = get_user_phyrs(addr, len, FOLL_WRITE, &pl);
		KUNIT_EXPECT_EQ(test, ret, 0);
		allocs = chunk_allocs;
		unpin_user_phyrs(&pl);
		/* 1100 ranges of 8 bytes need at least 2 chunks */
		KUNIT_EXPECT_GE(test, allocs, 2);

		for (chunk_fail_at = 1; chunk_fail_at <= allocs;
		     chunk_fail_at++) {
			if (!pass)
				KUNIT_ASSERT_EQ(test,
						do_madvise(current->mm, addr,
							   len, MADV_DONTNEED),
						0);
			chunk_allocs = 0;
			pin_counts_read(&pc);
			ret = get_user_phyrs(addr + 1, len - 1, FOLL_WRITE,
					     &pl);
			pin_counts_delta(&pc, &acquired, &released);
			if (!ret)
				unpin_user_phyrs(&pl);
			KUNIT_EXPECT_EQ_MSG(test, ret, -ENOMEM,
					    "allocation %d of %d failed",
					    chunk_fail_at, allocs);
			KUNIT_EXPECT_EQ(test, acquired, released);
			KUNIT_EXPECT_GT(test, acquired, 0);
			KUNIT_EXPECT_TRUE(test, phyr_list_empty(&pl));
		}
		kunit_deactivate_static_stub(test, phyr_chunk_alloc);
	}
}

static struct kunit_case gup_phyr_errors_cases[] = {
	KUNIT_CASE_PARAM(gup_phyr_error, err_gen_params),
	KUNIT_CASE(gup_phyr_enomem),
	{}
};

static struct kunit_suite gup_phyr_errors_suite = {
	.name = "gup_phyr_errors",
	.test_cases = gup_phyr_errors_cases,
};

kunit_test_suites(&gup_phyr_memory_suite, &gup_phyr_errors_suite);

MODULE_DESCRIPTION("KUnit tests for get_user_phyrs()");
MODULE_LICENSE("GPL");
