// SPDX-License-Identifier: GPL-2.0-only
/*
 * phyr - packed lists of physical and DMA address ranges
 *
 * The bit layout of an entry is in include/linux/phyr.h.  This file builds,
 * walks and frees lists of such entries.  Both list types, struct phyr_list
 * and struct dma_range_list, are thin typed wrappers around the struct
 * phyr_store handled here.
 *
 * Glossary
 *
 *  page    4 KiB (PHYR_PAGE_SIZE), whatever PAGE_SIZE is.
 *  entry   One encoded range: NAT (8 bytes), RUN or BYTE (12 bytes).
 *  extent  The bytes an entry covers: whole pages for NAT and RUN, exact
 *          bytes for BYTE.
 *  range   What iterators yield: the extent of an entry, except that the
 *          first one skips first_offset bytes of a page-granular entry
 *          and the last one is cut to the total length (tail_trim bytes
 *          shorter than its extent).
 *  last    An inclusive end, eg [0, 0] is one byte; 'end' is exclusive.
 *          A range may end at U64_MAX, where last + 1 overflows, so the
 *          code works with 'last' and check_add_overflow().
 *  chunk   PHYR_CHUNK_SIZE bytes of u32 words; the first chunk lives inline
 *          in struct phyr_store, the others are kmalloc()ed and chained.
 *  tail    The last entry; the only one an append may rewrite.
 *
 * Rules of the encoding
 *
 *  1. Only the first entry may start before the first byte of its range
 *     (by first_offset, the offset of the first byte of the list in its
 *     page, unless that entry is BYTE) and only the last may end after it
 *     (by tail_trim).  Every other range is
 *     the exact extent of its entry.  A range that starts or ends inside a
 *     page anywhere else is a BYTE entry; if it is longer than a BYTE entry
 *     can hold (128 MiB), its partial first and last pages are BYTE entries
 *     and the pages between them NAT or RUN entries.
 *
 *  2. An append pops the tail entry, turns it back into a range and
 *     re-encodes it together with the new range:
 *     - if the new range starts at the byte after the tail and has the same
 *       type, both become one range, still the open tail of the list (so it
 *       may keep a first offset and a trim);
 *     - otherwise the old tail is "sealed": it is no longer last, so rule 1
 *       forbids a trim.  If it ended inside a page it is re-encoded with
 *       BYTE entries; then the new range follows as the open tail.
 *     Merging therefore only ever involves the previous entry, an append
 *     writes a bounded number of entries and is amortised O(1).
 *
 *  3. Whole pages are cut into entries greedily: n pages at pfn p make one
 *     NAT entry when n is a power of two, p is a multiple of n and n is at
 *     most 2^51; else one RUN entry when n <= 2^32; else the largest NAT
 *     entry at p if it reaches the next multiple of 2^32 pages, or a RUN up
 *     to that multiple, and the rest again.  So a run that becomes naturally
 *     aligned by merging is NAT again, nothing is larger than 12 bytes, and
 *     even a range of 2^64 - 1 bytes needs fewer than 50 entries.
 *
 *  4. Consequently two yielded ranges may be contiguous (different types,
 *     or split by rules 1 and 3).  The block iterator, the block count and
 *     the best page size treat contiguous ranges as one.
 *
 *  5. All or nothing: an append first computes where its entries go and how
 *     many new chunks that takes, allocates them, and only then writes.  A
 *     failed append leaves the list exactly as it was.  Entries never
 *     straddle chunks; words left unused at the end of a full chunk are
 *     skipped by readers.
 *
 *  6. Destroy never fails: it frees the chunks and zeroes the store, and a
 *     zero-filled store is a valid empty list.
 *
 * There is no locking: the owner serialises appends against everything
 * else, and any number of readers may walk an unchanging list.
 */
#include <linux/bitops.h>
#include <linux/bug.h>
#include <linux/export.h>
#include <linux/log2.h>
#include <linux/minmax.h>
#include <linux/overflow.h>
#include <linux/phyr.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <kunit/static_stub.h>
#include <kunit/visibility.h>

#define PHYR_FMT_SHIFT		62
#define PHYR_FMT_NAT		0
#define PHYR_FMT_RUN		1
#define PHYR_FMT_BYTE		2
#define PHYR_TYPE_SHIFT		59
#define PHYR_TYPE_MASK		GENMASK_ULL(61, 59)
#define PHYR_BYTE_HI_SHIFT	52
#define PHYR_BYTE_HI_MASK	GENMASK_ULL(58, 52)
#define PHYR_NAT_MASK		GENMASK_ULL(52, 0)
#define PHYR_PFN_MASK		GENMASK_ULL(51, 0)
#define PHYR_BYTE_LO_BITS	20
#define PHYR_BYTE_LO_MASK	GENMASK(PHYR_BYTE_LO_BITS - 1, 0)

#define PHYR_NAT_MAX_ORDER	51U
#define PHYR_RUN_MAX_PAGES	BIT_ULL(32)
#define PHYR_BYTE_MAX_LEN	BIT_ULL(27)

#define PHYR_CHUNK_WORDS						\
	((PHYR_CHUNK_SIZE - offsetof(struct phyr_chunk, words)) / sizeof(u32))

static_assert(offsetof(struct phyr_store, inline_words) ==
	      offsetof(struct phyr_store, head) +
	      offsetof(struct phyr_chunk, words));
static_assert(PHYR_MEM_NR_TYPES <= 8);
static_assert(PHYR_CHUNK_WORDS <= U16_MAX);

static inline u64 phyr_page_off(u64 addr)
{
	return addr & (PHYR_PAGE_SIZE - 1);
}

/* One decoded entry. */
struct phyr_ent {
	u64 start;			/* first byte of the extent */
	u64 len;			/* bytes in the extent, at most 2^63 */
	enum phyr_mem_type type;
	u8 fmt;
	u8 nwords;
};

static void phyr_ent_encode(const struct phyr_ent *e, u32 *w)
{
	u64 w0 = (u64)e->fmt << PHYR_FMT_SHIFT |
		 (u64)e->type << PHYR_TYPE_SHIFT;
	u64 pfn = e->start >> PHYR_PAGE_SHIFT;

	switch (e->fmt) {
	case PHYR_FMT_NAT:
		/* pfn is a multiple of 2^order: order is the lowest 0 bit */
		w0 |= pfn << 1 | ((e->len >> PHYR_PAGE_SHIFT) - 1);
		break;
	case PHYR_FMT_RUN:
		w0 |= pfn;
		w[2] = (e->len >> PHYR_PAGE_SHIFT) - 1;
		break;
	default:
		w0 |= pfn | ((e->len - 1) >> PHYR_BYTE_LO_BITS)
				<< PHYR_BYTE_HI_SHIFT;
		w[2] = ((e->len - 1) & PHYR_BYTE_LO_MASK) << PHYR_PAGE_SHIFT |
		       phyr_page_off(e->start);
		break;
	}
	w[0] = lower_32_bits(w0);
	w[1] = upper_32_bits(w0);
}

static __always_inline bool phyr_ent_decode(const u32 *w, struct phyr_ent *e)
{
	u64 w0 = (u64)w[1] << 32 | w[0];
	unsigned int order;
	u64 v;

	e->fmt = w0 >> PHYR_FMT_SHIFT;
	e->type = (w0 & PHYR_TYPE_MASK) >> PHYR_TYPE_SHIFT;
	switch (e->fmt) {
	case PHYR_FMT_NAT:
		v = w0 & PHYR_NAT_MASK;
		order = __ffs64(~v);
		if (order > PHYR_NAT_MAX_ORDER)
			return false;
		e->start = (v >> (order + 1)) << (order + PHYR_PAGE_SHIFT);
		e->len = PHYR_PAGE_SIZE << order;
		e->nwords = 2;
		return true;
	case PHYR_FMT_RUN:
		e->start = (w0 & PHYR_PFN_MASK) << PHYR_PAGE_SHIFT;
		e->len = ((u64)w[2] + 1) << PHYR_PAGE_SHIFT;
		e->nwords = 3;
		return true;
	case PHYR_FMT_BYTE:
		e->start = (w0 & PHYR_PFN_MASK) << PHYR_PAGE_SHIFT |
			   phyr_page_off(w[2]);
		e->len = ((w0 & PHYR_BYTE_HI_MASK) >> PHYR_BYTE_HI_SHIFT
				<< PHYR_BYTE_LO_BITS | w[2] >> PHYR_PAGE_SHIFT) + 1;
		e->nwords = 3;
		return true;
	}
	return false;
}

/*
 * How many of the n pages at pfn go into the next entry, and in which
 * format (rule 3 above).
 */
static u64 phyr_pages_piece(u64 pfn, u64 n, struct phyr_ent *e)
{
	unsigned int order = min3(pfn ? __ffs64(pfn) : 63U,
				  (unsigned int)ilog2(n), PHYR_NAT_MAX_ORDER);
	u64 run = n;

	/* Too long for a RUN: stop at the next multiple of 2^32 pages */
	if (n > PHYR_RUN_MAX_PAGES)
		run = round_up(pfn + 1, PHYR_RUN_MAX_PAGES) - pfn;

	e->start = pfn << PHYR_PAGE_SHIFT;
	e->fmt = PHYR_FMT_NAT;
	e->nwords = 2;
	if (n == 1ULL << order || (run < n && 1ULL << order >= run))
		return 1ULL << order;
	e->fmt = PHYR_FMT_RUN;
	e->nwords = 3;
	return run;
}

/* A range being cut into entries. */
struct phyr_seg {
	u64 addr;		/* first byte not yet encoded */
	u64 last;		/* last byte of the range */
	enum phyr_mem_type type;
	bool first;		/* the next entry is the first of the list */
	bool open;		/* the range ends the list: it may be trimmed */
	bool done;
};

/*
 * Cut the next entry off the front of @seg (rules 1 and 3).  When @seg is
 * done, @e ends at or after seg->last; past it only for an open range.
 */
static void phyr_seg_next(struct phyr_seg *seg, struct phyr_ent *e)
{
	u64 addr = seg->addr, last = seg->last;
	bool head = phyr_page_off(addr) && !seg->first;
	bool tail = phyr_page_off(last + 1) && !seg->open;
	u64 pfn = addr >> PHYR_PAGE_SHIFT;
	u64 last_pfn, n;

	e->type = seg->type;
	if (head || tail) {
		e->fmt = PHYR_FMT_BYTE;
		e->nwords = 3;
		e->start = addr;
		if (last - addr < PHYR_BYTE_MAX_LEN) {
			e->len = last - addr + 1;
			seg->done = true;
			return;
		}
		if (head) {
			e->len = PHYR_PAGE_SIZE - phyr_page_off(addr);
			seg->addr += e->len;
			seg->first = false;
			return;
		}
	}

	/* A sealed range keeps its partial last page for a BYTE entry */
	last_pfn = tail ? ((last + 1) >> PHYR_PAGE_SHIFT) - 1 :
			  last >> PHYR_PAGE_SHIFT;
	n = phyr_pages_piece(pfn, last_pfn - pfn + 1, e);
	e->len = n << PHYR_PAGE_SHIFT;
	if (pfn + n - 1 == last >> PHYR_PAGE_SHIFT && !tail) {
		seg->done = true;
		return;
	}
	seg->addr = (pfn + n) << PHYR_PAGE_SHIFT;
	seg->first = false;
}

/* Where an append writes: pass 1 only counts, pass 2 writes. */
struct phyr_writer {
	struct phyr_chunk *chunk;	/* chunk written, NULL in pass 1 */
	struct phyr_chunk *spare;	/* preallocated chunks for pass 2 */
	unsigned int cap;		/* capacity of the current chunk */
	unsigned int pos;		/* next free word */
	unsigned int last_pos;		/* word index of the last entry */
	unsigned int new_chunks;
	u64 nr;				/* entries written */
	u16 first_offset;
	u16 trim;
};

static unsigned int phyr_chunk_cap(const struct phyr_store *store,
				   const struct phyr_chunk *chunk)
{
	return chunk == &store->head ? PHYR_INLINE_WORDS : chunk->size;
}

static void phyr_writer_put(struct phyr_writer *w, const struct phyr_ent *e)
{
	if (w->pos + e->nwords > w->cap) {
		if (w->chunk) {
			struct phyr_chunk *next = w->spare;

			w->spare = next->next;
			next->next = NULL;
			next->used = 0;
			next->size = PHYR_CHUNK_WORDS;
			w->chunk->used = w->pos;
			w->chunk->next = next;
			w->chunk = next;
		}
		w->new_chunks++;
		w->cap = PHYR_CHUNK_WORDS;
		w->pos = 0;
	}
	if (w->chunk)
		phyr_ent_encode(e, &w->chunk->words[w->pos]);
	w->last_pos = w->pos;
	w->pos += e->nwords;
	w->nr++;
}

static void phyr_writer_run(struct phyr_writer *w,
			    const struct phyr_seg *segs, unsigned int nr_segs)
{
	struct phyr_ent e;
	unsigned int i;

	for (i = 0; i < nr_segs; i++) {
		struct phyr_seg seg = segs[i];
		bool first = seg.first;

		do {
			phyr_seg_next(&seg, &e);
			if (first) {
				w->first_offset = phyr_page_off(segs[i].addr);
				first = false;
			}
			phyr_writer_put(w, &e);
		} while (!seg.done);
	}
	w->trim = e.start + e.len - 1 - segs[nr_segs - 1].last;
}

VISIBLE_IF_KUNIT struct phyr_chunk *phyr_chunk_alloc(gfp_t gfp)
{
	KUNIT_STATIC_STUB_REDIRECT(phyr_chunk_alloc, gfp);
	return kmalloc(PHYR_CHUNK_SIZE, gfp);
}
EXPORT_SYMBOL_IF_KUNIT(phyr_chunk_alloc);

VISIBLE_IF_KUNIT void phyr_chunk_free(struct phyr_chunk *chunk)
{
	KUNIT_STATIC_STUB_REDIRECT(phyr_chunk_free, chunk);
	kfree(chunk);
}
EXPORT_SYMBOL_IF_KUNIT(phyr_chunk_free);

/*
 * The common case of a list built a page or a folio at a time, without the
 * two passes of the general case: @addr and @len make one naturally
 * aligned power-of-two entry (an 8-byte NAT), the list already has a tail
 * entry that neither merges with it nor needs rewriting (it ends on a page
 * boundary: no trim), and the tail chunk has room.  The entries written
 * are exactly those the general case would write.  Returns false, having
 * changed nothing, if the general case must do it.
 */
static bool phyr_store_append_nat(struct phyr_store *store, u64 addr,
				  u64 len, enum phyr_mem_type type, u64 length)
{
	struct phyr_chunk *tail = store->tail ?: &store->head;
	u64 pages = len >> PHYR_PAGE_SHIFT;
	struct phyr_ent t, e;

	if (!store->nr_ranges || store->tail_trim ||
	    store->nr_ranges == U32_MAX || phyr_page_off(addr | len) ||
	    !is_power_of_2(pages) || (addr >> PHYR_PAGE_SHIFT) & (pages - 1) ||
	    ilog2(pages) > PHYR_NAT_MAX_ORDER ||
	    tail->used + 2 > phyr_chunk_cap(store, tail))
		return false;
	if (!phyr_ent_decode(&tail->words[store->tail_pos], &t) ||
	    (t.type == type && t.start + t.len == addr))
		return false;

	e = (struct phyr_ent){
		.start = addr, .len = len, .type = type,
		.fmt = PHYR_FMT_NAT, .nwords = 2,
	};
	phyr_ent_encode(&e, &tail->words[tail->used]);
	store->tail = tail;
	store->tail_pos = tail->used;
	tail->used += 2;
	store->nr_ranges++;
	store->length = length;
	store->max_last = max(store->max_last, addr + len - 1);
	store->mem_types |= BIT(type);
	return true;
}

/*
 * The general case of __phyr_store_append(), out of line so that the fast
 * path does not pay for its stack: pop the tail entry, count the entries
 * and chunks the tail and the new range need, allocate, then write.
 * @last and @length were checked by the caller.
 */
static noinline int phyr_store_append_slow(struct phyr_store *store,
					   u64 addr, u64 len,
					   enum phyr_mem_type type, gfp_t gfp,
					   u64 last, u64 length)
{
	struct phyr_chunk *tail = store->tail ?: &store->head;
	struct phyr_writer w = {};
	struct phyr_seg segs[2];
	unsigned int nr_segs = 1;
	struct phyr_chunk *chunk;
	unsigned int i;

	segs[0] = (struct phyr_seg){
		.addr = addr, .last = last, .type = type,
		.first = true, .open = true,
	};
	if (store->nr_ranges) {
		bool first = store->nr_ranges == 1;
		struct phyr_ent t;
		u64 t_addr, t_last;

		/* Pop the tail entry; its words are rewritten below */
		if (WARN_ON_ONCE(!phyr_ent_decode(&tail->words[store->tail_pos],
						  &t)))
			return -EINVAL;
		t_addr = t.start;
		if (first && t.fmt != PHYR_FMT_BYTE)
			t_addr += store->first_offset;
		t_last = t.start + t.len - 1 - store->tail_trim;
		w.pos = store->tail_pos;
		w.nr = store->nr_ranges - 1;

		if (t.type == type && t_last != U64_MAX && t_last + 1 == addr) {
			segs[0].addr = t_addr;
			segs[0].first = first;
		} else {
			segs[1] = segs[0];
			segs[1].first = false;
			segs[0] = (struct phyr_seg){
				.addr = t_addr, .last = t_last, .type = t.type,
				.first = first, .open = false,
			};
			nr_segs = 2;
		}
	}

	/* Pass 1: count entries and new chunks */
	w.cap = phyr_chunk_cap(store, tail);
	phyr_writer_run(&w, segs, nr_segs);
	if (w.nr > U32_MAX)
		return -E2BIG;

	for (i = 0; i < w.new_chunks; i++) {
		chunk = phyr_chunk_alloc(gfp);
		if (!chunk)
			goto err_free_spare;
		chunk->next = w.spare;
		w.spare = chunk;
	}

	/* Pass 2: nothing can fail from here on */
	store->nr_chunks += w.new_chunks;
	w = (struct phyr_writer){
		.chunk = tail,
		.spare = w.spare,
		.cap = phyr_chunk_cap(store, tail),
		.pos = store->nr_ranges ? store->tail_pos : 0,
		.nr = store->nr_ranges ? store->nr_ranges - 1 : 0,
	};
	phyr_writer_run(&w, segs, nr_segs);
	WARN_ON_ONCE(w.spare);

	w.chunk->used = w.pos;
	store->tail = w.chunk;
	store->tail_pos = w.last_pos;
	store->tail_trim = w.trim;
	if (segs[0].first)
		store->first_offset = w.first_offset;
	store->nr_ranges = w.nr;
	store->length = length;
	store->max_last = max(store->max_last, last);
	store->mem_types |= BIT(type);
	return 0;

err_free_spare:
	while (w.spare) {
		chunk = w.spare;
		w.spare = chunk->next;
		phyr_chunk_free(chunk);
	}
	return -ENOMEM;
}

/**
 * __phyr_store_append() - Add a range to the end of a list store.
 * @store: Store of a &struct phyr_list or an unaliased &struct
 *         dma_range_list.
 * @addr: Address of the first byte.
 * @len: Length in bytes.
 * @type: Memory type.
 * @gfp: Memory allocation flags.
 *
 * The implementation of phyr_list_append() and dma_range_list_append();
 * use those.  The tail entry is merged with the new range when they are
 * contiguous and of the same type, otherwise sealed; see the rules at the
 * top of this file.
 *
 * Context: Any context.  May sleep if @gfp flags permit.  The caller
 * excludes concurrent readers and writers of @store.
 * Return: 0 on success; -EINVAL if @len is 0, @type is not valid or
 * @addr + @len - 1 overflows; -E2BIG if the store would exceed U32_MAX
 * ranges or a total length of U64_MAX; -ENOMEM if a chunk could not be
 * allocated.  On error @store is unchanged.  Amortised O(1): one entry
 * decoded, at most a few dozen written (for ranges beyond 16 TiB; one to
 * three otherwise) and at most one chunk allocated.
 */
int __phyr_store_append(struct phyr_store *store, u64 addr, u64 len,
			enum phyr_mem_type type, gfp_t gfp)
{
	u64 last, length;

	might_alloc(gfp);
	if (!len || (unsigned int)type >= PHYR_MEM_NR_TYPES ||
	    check_add_overflow(addr, len - 1, &last))
		return -EINVAL;
	if (check_add_overflow(store->length, len, &length))
		return -E2BIG;
	if (phyr_store_append_nat(store, addr, len, type, length))
		return 0;
	return phyr_store_append_slow(store, addr, len, type, gfp, last,
				      length);
}
EXPORT_SYMBOL_GPL(__phyr_store_append);

/**
 * __phyr_store_destroy() - Free the chunks of a list store.
 * @store: Store; may be empty, zero-filled or left by a failed append.
 *
 * The implementation of phyr_list_destroy() and dma_range_list_destroy().
 * Leaves @store zero-filled, which is a valid empty list.
 *
 * Context: Any context.  O(chunks).
 */
void __phyr_store_destroy(struct phyr_store *store)
{
	struct phyr_chunk *chunk = store->head.next;

	while (chunk) {
		struct phyr_chunk *next = chunk->next;

		phyr_chunk_free(chunk);
		chunk = next;
	}
	memset(store, 0, sizeof(*store));
}
EXPORT_SYMBOL_GPL(__phyr_store_destroy);

/**
 * __phyr_iter_start() - Start a range walk of a list store.
 * @iter: Cursor to initialise.
 * @store: Store of either list type.
 *
 * The implementation of phyr_iter_start() and dma_range_iter_start().
 *
 * Context: Any context.  O(1).
 */
void __phyr_iter_start(struct phyr_iter *iter, const struct phyr_store *store)
{
	struct phyr_ent e;

	*iter = (struct phyr_iter){
		.chunk = &store->head,
		.remaining = store->length,
	};
	/* A page-granular first entry starts before the first byte */
	if (store->nr_ranges && store->first_offset &&
	    phyr_ent_decode(store->head.words, &e) && e.fmt != PHYR_FMT_BYTE)
		iter->skip = store->first_offset;
}
EXPORT_SYMBOL_GPL(__phyr_iter_start);

/* Decode the entry under the cursor; false at the end of the list. */
static __always_inline bool phyr_iter_peek(struct phyr_iter *iter,
					   struct phyr_ent *e)
{
	if (!iter->remaining)
		return false;
	while (iter->pos >= iter->chunk->used) {
		if (WARN_ONCE(!iter->chunk->next,
			      "phyr: list ends %llu bytes early\n",
			      iter->remaining))
			goto stop;
		iter->chunk = iter->chunk->next;
		iter->pos = 0;
	}
	if (WARN_ONCE(!phyr_ent_decode(&iter->chunk->words[iter->pos], e),
		      "phyr: invalid entry\n"))
		goto stop;
	return true;

stop:
	iter->remaining = 0;
	return false;
}

/**
 * __phyr_iter_next() - Get the next range of a list store.
 * @iter: Cursor.
 * @addr: Set to the address of the first byte of the range.
 * @len: Set to the length of the range.
 * @type: Set to the memory type of the range.
 *
 * The implementation of phyr_iter_next() and dma_range_iter_next().
 *
 * Context: Any context.
 * Return: True if a range was returned, false at the end.  O(1).
 */
bool __phyr_iter_next(struct phyr_iter *iter, u64 *addr, u64 *len,
		      enum phyr_mem_type *type)
{
	struct phyr_ent e;

	if (!phyr_iter_peek(iter, &e))
		return false;
	*addr = e.start + iter->skip;
	*len = min(e.len - iter->skip, iter->remaining);
	*type = e.type;
	iter->remaining -= *len;
	iter->skip = 0;
	iter->pos += e.nwords;
	return true;
}
EXPORT_SYMBOL_GPL(__phyr_iter_next);

/**
 * __phyr_iter_advance() - Skip bytes in a range walk.
 * @iter: Cursor of a range walk.
 * @bytes: Number of bytes to skip.
 *
 * The implementation of phyr_iter_advance() and dma_range_iter_advance().
 * Advancing past the end warns once and stops at the end.
 *
 * Context: Any context.  O(ranges skipped).
 */
void __phyr_iter_advance(struct phyr_iter *iter, u64 bytes)
{
	struct phyr_ent e;

	if (WARN_ONCE(bytes > iter->remaining,
		      "phyr: advancing %llu bytes past the end\n",
		      bytes - iter->remaining))
		bytes = iter->remaining;

	while (bytes && phyr_iter_peek(iter, &e)) {
		u64 avail = min(e.len - iter->skip, iter->remaining);

		if (bytes < avail) {
			iter->skip += bytes;
			iter->remaining -= bytes;
			return;
		}
		bytes -= avail;
		iter->remaining -= avail;
		iter->skip = 0;
		iter->pos += e.nwords;
	}
}
EXPORT_SYMBOL_GPL(__phyr_iter_advance);

/**
 * __phyr_block_iter_start() - Start a block walk of a list store.
 * @iter: Cursor to initialise.
 * @store: Store of either list type.
 * @pgsz: Block size, a power of two.
 *
 * The implementation of phyr_block_iter_start() and
 * dma_range_block_iter_start().  If @pgsz is not a power of two, warns
 * once and the walk is empty.
 *
 * Context: Any context.  O(1).
 */
void __phyr_block_iter_start(struct phyr_iter *iter,
			     const struct phyr_store *store, unsigned long pgsz)
{
	__phyr_iter_start(iter, store);
	if (WARN_ON_ONCE(!is_power_of_2(pgsz))) {
		iter->remaining = 0;
		return;
	}
	iter->pgshift = ilog2(pgsz);
}
EXPORT_SYMBOL_GPL(__phyr_block_iter_start);

/**
 * __phyr_block_iter_next() - Step to the next block of a list store.
 * @iter: Cursor started with __phyr_block_iter_start().
 *
 * The implementation of phyr_block_iter_next() and
 * dma_range_block_iter_next().  A block shared by the end of one range and
 * the start of the next is returned once.
 *
 * Context: Any context.
 * Return: True if iter->block holds the next block, false at the end.
 * Amortised O(1).
 */
bool __phyr_block_iter_next(struct phyr_iter *iter)
{
	u64 mask = ~((1ULL << iter->pgshift) - 1);
	enum phyr_mem_type type;
	u64 addr, len, first;

	if (iter->in_block && iter->block != iter->block_last) {
		iter->block += 1ULL << iter->pgshift;
		return true;
	}
	while (__phyr_iter_next(iter, &addr, &len, &type)) {
		u64 last = (addr + len - 1) & mask;

		first = addr & mask;
		if (iter->in_block && first == iter->block) {
			if (first == last)
				continue;
			first += 1ULL << iter->pgshift;
		}
		iter->block = first;
		iter->block_last = last;
		iter->in_block = true;
		return true;
	}
	return false;
}
EXPORT_SYMBOL_GPL(__phyr_block_iter_next);

/**
 * __phyr_store_num_blocks() - Count the blocks of a block walk.
 * @store: Store of either list type.
 * @pgsz: Block size, a power of two.
 *
 * The implementation of phyr_list_num_blocks() and
 * dma_range_list_num_blocks().
 *
 * Context: Any context.
 * Return: The number of iterations of a block walk of @store with @pgsz,
 * or 0 (with a warning) if @pgsz is not a power of two.  O(ranges).
 */
u64 __phyr_store_num_blocks(const struct phyr_store *store, unsigned long pgsz)
{
	unsigned int shift;
	struct phyr_iter iter;
	enum phyr_mem_type type;
	u64 addr, len, mask, prev = 0, n = 0;
	bool first = true;

	if (WARN_ON_ONCE(!is_power_of_2(pgsz)))
		return 0;
	shift = ilog2(pgsz);
	mask = ~((1ULL << shift) - 1);

	__phyr_iter_start(&iter, store);
	while (__phyr_iter_next(&iter, &addr, &len, &type)) {
		u64 start = addr & mask;
		u64 last = (addr + len - 1) & mask;

		n += ((last - start) >> shift) + 1;
		/* The block shared with the previous range is counted once */
		if (!first && start == prev)
			n--;
		prev = last;
		first = false;
	}
	return n;
}
EXPORT_SYMBOL_GPL(__phyr_store_num_blocks);

/**
 * __phyr_store_best_pgsz() - Find the largest page size to map a store with.
 * @store: Store of either list type.
 * @pgsz_bitmap: Page sizes the hardware supports, one bit each.
 * @iova: Address at which the first byte is to be mapped.
 *
 * The implementation of phyr_list_best_pgsz() and
 * dma_range_list_best_pgsz(), with the contract of ib_umem_find_best_pgsz().
 * A mask collects every bit that must be clear below the page size: the
 * bits where a range start and its IOVA differ, the IOVA of every
 * discontinuity, and the smallest supported size that covers the whole
 * IOVA span with a single page.
 *
 * Context: Any context.
 * Return: The largest page size allowed by the mask, or 0 if none is, the
 * store is empty or @iova + length - 1 overflows.  O(ranges).
 */
unsigned long __phyr_store_best_pgsz(const struct phyr_store *store,
				     unsigned long pgsz_bitmap, u64 iova)
{
	struct phyr_iter iter;
	enum phyr_mem_type type;
	u64 addr, len, last_iova, prev_last = 0, mask = 0, va = iova;
	unsigned int bits;
	bool first = true;

	if (!store->length ||
	    check_add_overflow(iova, store->length - 1, &last_iova))
		return 0;

	/* Sizes above the smallest one covering everything are pointless */
	bits = iova ^ last_iova ? fls64(iova ^ last_iova) : 1;
	if (bits < 64)
		mask = (u64)pgsz_bitmap & GENMASK_ULL(63, bits);

	__phyr_iter_start(&iter, store);
	while (__phyr_iter_next(&iter, &addr, &len, &type)) {
		/* A contiguous range adds no constraint */
		if (first || prev_last == U64_MAX || prev_last + 1 != addr) {
			/* Page offsets of the address and IOVA must agree */
			mask |= addr ^ va;
			/* A discontinuity must start a page */
			if (!first)
				mask |= va;
		}
		first = false;
		prev_last = addr + len - 1;
		va += len;
	}

	if (mask)
		pgsz_bitmap &= GENMASK_ULL(__ffs64(mask), 0);
	return pgsz_bitmap ? rounddown_pow_of_two(pgsz_bitmap) : 0;
}
EXPORT_SYMBOL_GPL(__phyr_store_best_pgsz);
