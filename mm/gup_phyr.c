// SPDX-License-Identifier: GPL-2.0-only
/*
 * get_user_phyrs() - pin user memory straight into a phyr list
 *
 * pin_user_pages*() hand back one struct page pointer per 4 KiB page and
 * leave it to the caller to find out again which pages are physically
 * contiguous.  The page tables already say so: a PMD or PUD leaf maps a
 * whole huge page, and consecutive PTEs often map consecutive pages of one
 * large folio.  get_user_phyrs() keeps that knowledge and writes the pinned
 * memory as a list of physical ranges (struct phyr_list), one range per
 * run of physically contiguous memory, without a page array at any point.
 *
 * Glossary
 *
 *  leaf    What a page table walker grabs at once: a PTE, a batch of PTEs
 *          mapping consecutive pages of one large folio, a PMD or a PUD.
 *  run     Physically contiguous pinned pages: a page frame and a count.
 *  batch   struct gup_runs (mm/internal.h): up to GUP_RUNS_MAX runs.  The
 *          walkers of mm/gup.c merge every leaf they grab into it (one pin
 *          per folio and leaf, of as many references as pages) and stop
 *          when it is full; this file then appends the runs to the list,
 *          and resumes the walk where it stopped.
 *
 * How a range is pinned
 *
 *  1. GUP-fast (current->mm only): a lockless walk with interrupts
 *     disabled, so the batch cannot grow by allocating: it stops when the
 *     batch is full, the batch is appended to the list with GFP_KERNEL, and
 *     the walk goes on from there.  Anything it cannot pin locklessly
 *     (unpopulated, PROT_NONE, must be unshared, not long-term pinnable...)
 *     ends the lockless part.
 *  2. The slow path, __get_user_pages() under the mmap_lock: faults pages
 *     in, unshares read-only anonymous pages, refuses VM_IO/VM_PFNMAP,
 *     secretmem and (long-term) fsdax with the errnos of pin_user_pages(),
 *     and grabs huge leaves at once.  It stops on a full batch too.
 *  3. FOLL_LONGTERM: the list is walked folio by folio; if any folio may
 *     not stay pinned (ZONE_MOVABLE, CMA, device coherent), everything is
 *     unpinned, those folios are migrated and the whole range is pinned
 *     again, as __gup_longterm_locked() does with a page array.
 *
 * The first range starts at the offset of @start in its page and the
 * total length is @len, so the list describes exactly the bytes asked for.
 *
 * Rules
 *
 *  - All or nothing: on error, everything pinned so far is unpinned and
 *    the list is left empty.
 *  - Unpinning walks the list by ranges and releases each folio once per
 *    range with its number of pages (unpin_user_page_range_dirty_lock()),
 *    never a page at a time, then destroys the list.  It never fails.
 *  - The pin counters (nr_foll_pin_acquired/released) count pages, as for
 *    pin_user_pages(): the same range moves them by the same amounts.
 */
#include <linux/err.h>
#include <linux/export.h>
#include <linux/gup_phyr.h>
#include <linux/hugetlb.h>
#include <linux/list.h>
#include <linux/migrate.h>
#include <linux/mm.h>
#include <linux/mmap_lock.h>
#include <linux/overflow.h>
#include <linux/pfn.h>
#include <linux/phyr.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "internal.h"

/* The flags callers may pass */
#define GUP_PHYR_FLAGS		(FOLL_WRITE | FOLL_LONGTERM)

/* A pin in progress: the batch the walkers fill, and where it goes. */
struct gup_phyr {
	struct gup_runs *runs;
	struct gup_sink sink;
	struct phyr_list *pl;
	unsigned long skip;	/* bytes of the first page before the start */
	u64 remaining;		/* bytes not yet appended to @pl */
};

/* Release @nr_pages pinned pages from @pfn, folio by folio. */
static void gup_phyr_unpin_run(unsigned long pfn, unsigned long nr_pages,
			       bool make_dirty)
{
	unpin_user_page_range_dirty_lock(pfn_to_page(pfn), nr_pages,
					 make_dirty);
}

/*
 * Append the runs of the batch to the list and empty the batch.  On error
 * the runs that did not make it into the list are unpinned here, so the
 * list always describes everything that is pinned.
 */
static int gup_phyr_flush(struct gup_phyr *gp)
{
	struct gup_runs *runs = gp->runs;
	unsigned int i;
	int ret = 0;

	for (i = 0; i < runs->nr; i++) {
		u64 bytes = (u64)runs->run[i].nr_pages << PAGE_SHIFT;
		u64 len = min(bytes - gp->skip, gp->remaining);

		ret = phyr_list_append(gp->pl,
				       PFN_PHYS(runs->run[i].pfn) + gp->skip,
				       len, PHYR_MEM_RAM, GFP_KERNEL);
		if (ret)
			break;
		gp->skip = 0;
		gp->remaining -= len;
	}
	for (; i < runs->nr; i++)
		gup_phyr_unpin_run(runs->run[i].pfn, runs->run[i].nr_pages,
				   false);
	runs->nr = 0;
	return ret;
}

/*
 * A walk over the pages a list describes: maximal runs of contiguous
 * ranges, rounded out to whole pages.  Ranges that touch are merged so that
 * a page shared by two of them (possible only if PAGE_SIZE is larger than
 * the 4 KiB granule of the list) is visited once.
 */
struct gup_phyr_walk {
	struct phyr_iter iter;
	struct phyr next;
	bool more;
};

static void gup_phyr_walk_start(struct gup_phyr_walk *w,
				const struct phyr_list *pl)
{
	phyr_iter_start(&w->iter, pl);
	w->more = phyr_iter_next(&w->iter, &w->next);
}

static bool gup_phyr_walk_next(struct gup_phyr_walk *w, unsigned long *pfn,
			       unsigned long *nr_pages)
{
	u64 start, end;

	if (!w->more)
		return false;
	start = w->next.addr;
	end = start + w->next.len;
	while ((w->more = phyr_iter_next(&w->iter, &w->next)) &&
	       w->next.addr == end)
		end += w->next.len;
	*pfn = PHYS_PFN(start);
	*nr_pages = PFN_UP(end) - *pfn;
	return true;
}

/*
 * The folio of page @pfn + @i of a run of @nr_pages, and in *@nr how many
 * of the run's pages from there are in it.
 */
static struct folio *gup_phyr_run_folio(unsigned long pfn,
					unsigned long nr_pages,
					unsigned long i, unsigned long *nr)
{
	struct page *page = pfn_to_page(pfn + i);
	struct folio *folio = page_folio(page);

	*nr = min_t(unsigned long, nr_pages - i,
		    folio_nr_pages(folio) - folio_page_idx(folio, page));
	return folio;
}

#ifdef CONFIG_MIGRATION
/*
 * FOLL_LONGTERM: make sure every folio of @pl may stay pinned.  Return 0
 * if so, with @pl untouched.  Otherwise unpin everything, destroy @pl and
 * migrate the offending folios: -EAGAIN if the caller should pin again,
 * another -errno if migration failed.
 */
static int gup_phyr_check_longterm(struct phyr_list *pl)
{
	LIST_HEAD(movable_folio_list);
	unsigned long pfn, nr_pages, i, nr;
	struct gup_phyr_walk w;
	bool collected = false;
	int drained = 0;
	int ret = 0;

	gup_phyr_walk_start(&w, pl);
	while (gup_phyr_walk_next(&w, &pfn, &nr_pages)) {
		for (i = 0; i < nr_pages; i += nr) {
			struct folio *folio = gup_phyr_run_folio(pfn, nr_pages,
								 i, &nr);

			collected |= gup_longterm_collect_folio(folio, nr,
							&movable_folio_list,
							&drained);
		}
	}
	if (!collected)
		return 0;

	gup_phyr_walk_start(&w, pl);
	while (gup_phyr_walk_next(&w, &pfn, &nr_pages)) {
		for (i = 0; i < nr_pages; i += nr) {
			struct folio *folio = gup_phyr_run_folio(pfn, nr_pages,
								 i, &nr);
			int err = gup_longterm_unpin_folio(folio, nr);

			if (err && !ret)
				ret = err;
		}
	}
	phyr_list_destroy(pl);
	if (ret) {
		putback_movable_pages(&movable_folio_list);
		return ret;
	}
	return gup_longterm_migrate_list(&movable_folio_list);
}
#else
static int gup_phyr_check_longterm(struct phyr_list *pl)
{
	return 0;
}
#endif

/*
 * Pin the pages of [@start, @end) of @mm, the page-aligned hull of the
 * @len bytes at @start + @skip, into @pl: lockless first if @fast, then
 * under the mmap_lock.  All or nothing.
 */
static int gup_phyr_pin(struct mm_struct *mm, unsigned long start,
			unsigned long end, unsigned long skip, size_t len,
			unsigned int gup_flags, bool fast, struct phyr_list *pl)
{
	unsigned long nr_pages = (end - start) >> PAGE_SHIFT;
	unsigned long done = 0;
	struct gup_phyr gp = {
		.pl = pl,
		.skip = skip,
		.remaining = len,
	};
	int locked = 0;
	long ret;

	gp.runs = kmalloc(sizeof(*gp.runs), GFP_KERNEL);
	if (!gp.runs)
		return -ENOMEM;
	gp.runs->nr = 0;
	gp.sink.runs = gp.runs;
	while (fast && done < nr_pages) {
		bool full;

		done += gup_fast_sink(start + (done << PAGE_SHIFT), end,
				      gup_flags, &gp.sink);
		full = gp.runs->nr == GUP_RUNS_MAX;
		ret = gup_phyr_flush(&gp);
		if (ret)
			goto err_unpin;
		if (!full)
			break;
	}

	while (done < nr_pages) {
		long n = gup_locked_sink(mm, start + (done << PAGE_SHIFT),
					 nr_pages - done,
					 gup_flags | FOLL_TOUCH |
					 FOLL_UNLOCKABLE,
					 &locked, &gp.sink);

		ret = gup_phyr_flush(&gp);
		if (n <= 0) {
			/* -EAGAIN: mmap_read_lock_killable() was interrupted */
			if (n == -EAGAIN)
				n = -EINTR;
			ret = n ? n : -EFAULT;
		}
		if (ret)
			goto err_unpin;
		done += n;
	}
	kfree(gp.runs);
	return 0;

err_unpin:
	unpin_user_phyrs(pl);
	kfree(gp.runs);
	return ret;
}

/* Pin, and for FOLL_LONGTERM migrate and pin again until all may stay. */
static int gup_phyr_pin_longterm(struct mm_struct *mm, unsigned long start,
				 size_t len, unsigned int gup_flags, bool fast,
				 struct phyr_list *pl)
{
	unsigned long first = start & PAGE_MASK;
	unsigned long end = PAGE_ALIGN(start + len);
	unsigned int memalloc_flags;
	int ret;

	if (!(gup_flags & FOLL_LONGTERM))
		return gup_phyr_pin(mm, first, end, start - first, len,
				    gup_flags, fast, pl);

	memalloc_flags = memalloc_pin_save();
	do {
		ret = gup_phyr_pin(mm, first, end, start - first, len,
				   gup_flags, fast, pl);
		if (ret)
			break;
		/* -EAGAIN: migrated, all unpinned, pin again */
		ret = gup_phyr_check_longterm(pl);
	} while (ret == -EAGAIN);
	memalloc_pin_restore(memalloc_flags);
	return ret;
}

/* The checks shared by both entry points; see get_user_phyrs(). */
static int gup_phyr_check_args(unsigned long start, size_t len,
			       unsigned int gup_flags, struct phyr_list *pl)
{
	unsigned long end;

	if (WARN_ON_ONCE(gup_flags & ~GUP_PHYR_FLAGS))
		return -EINVAL;
	if (!phyr_list_empty(pl) || !len ||
	    check_add_overflow(start, len, &end))
		return -EINVAL;
	if (end > TASK_SIZE_MAX)
		return -EFAULT;
	return 0;
}

/**
 * get_user_phyrs() - Pin user memory into a list of physical ranges.
 * @start: User address of the first byte; need not be page aligned.
 * @len: Number of bytes; need not be a multiple of the page size.
 * @gup_flags: FOLL_WRITE if the memory is to be written (by a device, say),
 *             FOLL_LONGTERM if the pin may last indefinitely; nothing else.
 * @pl: An initialised, empty list to fill.
 *
 * Pins every page of [@start, @start + @len) of the current process with
 * FOLL_PIN semantics, as pin_user_pages_fast() does, and describes them in
 * @pl: one range per run of physically contiguous memory (a 2 MiB or 1 GiB
 * huge page is one range, or part of one), the first range starting at
 * the physical address of @start and the ranges adding up to @len bytes.
 * Read-only pins of private anonymous memory are unshared first, so the
 * pinned pages are those the process sees.  FOLL_LONGTERM migrates pages
 * out of ZONE_MOVABLE and CMA first.  A lockless walk of the page tables
 * handles what is populated; the rest is faulted in under the mmap_lock.
 * Release the pins with unpin_user_phyrs() or unpin_user_phyrs_dirty_lock().
 *
 * Context: Process context; may sleep.  Takes current->mm's mmap_lock for
 * read if the range is not entirely populated: the caller must not hold it.
 * Return: 0 on success, with @pl filled.  On error nothing is pinned, @pl
 * is empty, and the error is one of:
 * -EINVAL if @gup_flags holds any other flag (with a warning), @pl is not
 * empty, @len is 0, or @start + @len overflows;
 * -EFAULT if the range is not all user space, or a page of it is not
 * mapped, not accessible (PROT_NONE, or not writable with FOLL_WRITE), or
 * in a VM_IO, VM_PFNMAP or secretmem mapping, or (FOLL_LONGTERM with
 * FOLL_WRITE) in a file mapping that needs dirty tracking;
 * -EOPNOTSUPP for FOLL_LONGTERM on fsdax memory;
 * -EHWPOISON if a page is hardware-poisoned;
 * -EREMOTEIO if a page is PCI peer-to-peer memory;
 * -ENOMEM if memory to fault pages in or for the list ran out, or
 * FOLL_LONGTERM migration failed; -EBUSY if a FOLL_LONGTERM migration of
 * device coherent memory failed;
 * -EINTR if a fatal signal is pending;
 * -E2BIG if the list would exceed 2^32 - 1 ranges.
 * Cost: one pin per folio and leaf, O(leaves) for populated memory; one
 * 8-byte entry for each naturally aligned run (12 bytes otherwise).
 */
int get_user_phyrs(unsigned long start, size_t len, unsigned int gup_flags,
		   struct phyr_list *pl)
{
	int ret;

	might_sleep();
	might_lock_read(&current->mm->mmap_lock);
	start = untagged_addr(start);
	ret = gup_phyr_check_args(start, len, gup_flags, pl);
	if (ret)
		return ret;
	if (!access_ok((void __user *)start, len))
		return -EFAULT;
	return gup_phyr_pin_longterm(current->mm, start, len,
				     gup_flags | FOLL_PIN, true, pl);
}
EXPORT_SYMBOL_GPL(get_user_phyrs);

/**
 * get_user_phyrs_remote() - Pin another process's memory into a range list.
 * @mm: The address space, held with mmget() (or being current->mm).
 * @start: User address of the first byte; need not be page aligned.
 * @len: Number of bytes; need not be a multiple of the page size.
 * @gup_flags: FOLL_WRITE and/or FOLL_LONGTERM, nothing else.
 * @pl: An initialised, empty list to fill.
 *
 * As get_user_phyrs(), for @mm instead of current->mm, as
 * pin_user_pages_remote() is to pin_user_pages(): for callers such as VFIO
 * that pin memory on behalf of a process.  Always walks the page tables
 * under @mm's mmap_lock (no lockless walk); tagged addresses are untagged
 * by that walk.
 *
 * Context: Process context; may sleep.  Takes @mm's mmap_lock for read:
 * the caller must not hold it.
 * Return: As get_user_phyrs().
 */
int get_user_phyrs_remote(struct mm_struct *mm, unsigned long start,
			  size_t len, unsigned int gup_flags,
			  struct phyr_list *pl)
{
	int ret;

	might_sleep();
	might_lock_read(&mm->mmap_lock);
	ret = gup_phyr_check_args(start, len, gup_flags, pl);
	if (ret)
		return ret;
	return gup_phyr_pin_longterm(mm, start, len,
				     gup_flags | FOLL_PIN | FOLL_REMOTE, false,
				     pl);
}
EXPORT_SYMBOL_GPL(get_user_phyrs_remote);

/**
 * unpin_user_phyrs_dirty_lock() - Release, and maybe dirty, pinned ranges.
 * @pl: List filled by get_user_phyrs() or get_user_phyrs_remote(); may be
 *      empty.
 * @make_dirty: Mark every folio dirty (if it is not) before unpinning it,
 *              for memory a device wrote to.
 *
 * Releases the pins folio by folio: each folio of each range once, with
 * as many references as the range has pages in it, as
 * unpin_user_page_range_dirty_lock() does.  Then destroys @pl, which is
 * left empty and initialised.
 *
 * Context: Process context if @make_dirty (takes the folio lock; may
 * sleep), any context otherwise.
 * Cost: O(ranges + folios), never per page.
 */
void unpin_user_phyrs_dirty_lock(struct phyr_list *pl, bool make_dirty)
{
	unsigned long pfn, nr_pages;
	struct gup_phyr_walk w;

	if (make_dirty)
		might_sleep();
	gup_phyr_walk_start(&w, pl);
	while (gup_phyr_walk_next(&w, &pfn, &nr_pages))
		gup_phyr_unpin_run(pfn, nr_pages, make_dirty);
	phyr_list_destroy(pl);
}
EXPORT_SYMBOL_GPL(unpin_user_phyrs_dirty_lock);

/**
 * unpin_user_phyrs() - Release pinned ranges.
 * @pl: List filled by get_user_phyrs() or get_user_phyrs_remote(); may be
 *      empty.
 *
 * As unpin_user_phyrs_dirty_lock() without dirtying: releases the pins
 * folio by folio and destroys @pl.
 *
 * Context: Any context.
 * Cost: O(ranges + folios), never per page.
 */
void unpin_user_phyrs(struct phyr_list *pl)
{
	unpin_user_phyrs_dirty_lock(pl, false);
}
EXPORT_SYMBOL_GPL(unpin_user_phyrs);
