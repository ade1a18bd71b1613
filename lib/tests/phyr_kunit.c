// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests for phyr lists (include/linux/phyr.h, lib/phyr.c).
 *
 * phyr_format:  table-driven encoding edge cases, destroy, allocation
 *               failure of every chunk allocation in turn.
 * phyr_iter:    a seeded randomised property test against a plain array of
 *               (addr, len, type), the DMA twin and aliasing, advance.
 * phyr_density: bytes per range asserted, printed beside what
 *               sg_alloc_append_table_from_pages() takes for the same input.
 */
#include <kunit/resource.h>
#include <kunit/static_stub.h>
#include <kunit/test.h>
#include <kunit/test-bug.h>
#include <linux/gfp.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/overflow.h>
#include <linux/phyr.h>
#include <linux/prandom.h>
#include <linux/random.h>
#include <linux/scatterlist.h>
#include <linux/sizes.h>
#include <linux/slab.h>

#define SZ_4K_ULL	((u64)SZ_4K)
#define RAM		PHYR_MEM_RAM
#define P2P		PHYR_MEM_P2P

/* Block walks of more blocks than this are only counted, not compared */
#define MAX_WALKED_BLOCKS	BIT_ULL(16)

static unsigned long long seed;
module_param(seed, ullong, 0444);
MODULE_PARM_DESC(seed, "Seed of the randomised property test (0: random)");

struct ref_range {
	u64 addr;
	u64 len;
	enum phyr_mem_type type;
};

KUNIT_DEFINE_ACTION_WRAPPER(phyr_list_destroy_action, phyr_list_destroy,
			    struct phyr_list *);
KUNIT_DEFINE_ACTION_WRAPPER(dma_range_list_destroy_action,
			    dma_range_list_destroy, struct dma_range_list *);

static struct phyr_list *new_list(struct kunit *test)
{
	struct phyr_list *pl = kunit_kzalloc(test, sizeof(*pl), GFP_KERNEL);
	int ret;

	KUNIT_ASSERT_NOT_NULL(test, pl);
	ret = kunit_add_action_or_reset(test, phyr_list_destroy_action, pl);
	KUNIT_ASSERT_EQ(test, ret, 0);
	return pl;
}

static int add(struct phyr_list *pl, u64 addr, u64 len,
	       enum phyr_mem_type type)
{
	return phyr_list_append(pl, addr, len, type, GFP_KERNEL);
}

static struct ref_range *new_ref(struct kunit *test, unsigned int n)
{
	struct ref_range *ref = kunit_kcalloc(test, n, sizeof(*ref), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, ref);
	return ref;
}

/* Words of storage in use: a white-box look at the density */
static u64 list_words(const struct phyr_list *pl)
{
	const struct phyr_chunk *chunk = &pl->store.head;
	u64 words = 0;

	for (; chunk; chunk = chunk->next)
		words += chunk->used;
	return words;
}

static bool ref_contiguous(const struct ref_range *a, const struct ref_range *b)
{
	u64 last = a->addr + a->len - 1;

	return a->type == b->type && last != U64_MAX && last + 1 == b->addr;
}

/*
 * Words the densest encoding of the yielded ranges takes: 2 for a naturally
 * aligned power-of-two block of pages, else 3.  The first range may start
 * and the last may end inside a page, covered by the first offset and the
 * total length.
 */
static u64 densest_words(const struct ref_range *got, unsigned int n)
{
	u64 words = 0;
	unsigned int i;

	for (i = 0; i < n; i++) {
		u64 start = got[i].addr, last = got[i].addr + got[i].len - 1;
		u64 pages;

		if (i == 0)
			start = round_down(start, SZ_4K);
		if (i == n - 1)
			last |= SZ_4K - 1;
		pages = (last >> 12) - (start >> 12) + 1;
		if (!(start & (SZ_4K - 1)) && (last & (SZ_4K - 1)) == SZ_4K - 1 &&
		    is_power_of_2(pages) && !((start >> 12) & (pages - 1)))
			words += 2;
		else
			words += 3;
	}
	return words;
}

/* Merge contiguous same-type neighbours; returns the new count */
static unsigned int coalesce(struct ref_range *r, unsigned int n)
{
	unsigned int i, out = 0;

	for (i = 0; i < n; i++) {
		if (out && ref_contiguous(&r[out - 1], &r[i]))
			r[out - 1].len += r[i].len;
		else
			r[out++] = r[i];
	}
	return out;
}

/* Reference block count: per-range counts, minus shared neighbours */
static u64 ref_num_blocks(const struct ref_range *ref, unsigned int n, u64 pgsz)
{
	u64 count = 0, prev_blk = 0;
	unsigned int i;

	for (i = 0; i < n; i++) {
		u64 lo = round_down(ref[i].addr, pgsz);
		u64 hi = round_down(ref[i].addr + ref[i].len - 1, pgsz);

		count += (hi - lo) / pgsz + 1;
		if (i && lo == prev_blk)
			count--;
		prev_blk = hi;
	}
	return count;
}

/*
 * Reference best page size, by brute force over each candidate size.  P is
 * usable if every range start agrees with its IOVA modulo P and every IOVA
 * where the physical layout jumps is a multiple of P.  Among usable sizes,
 * the smallest one that covers the whole IOVA span in one page wins, else
 * the largest.
 */
static unsigned long ref_best_pgsz(const struct ref_range *ref, unsigned int n,
				   unsigned long bitmap, u64 iova)
{
	unsigned long best_one = 0, best_many = 0;
	u64 total = 0, last_iova;
	unsigned int bit, i;

	for (i = 0; i < n; i++)
		total += ref[i].len;
	if (!total || check_add_overflow(iova, total - 1, &last_iova))
		return 0;

	for_each_set_bit(bit, &bitmap, BITS_PER_LONG) {
		u64 p = 1ULL << bit, va = iova;
		bool ok = true;

		for (i = 0; i < n && ok; i++) {
			u64 prev_last = i ? ref[i - 1].addr + ref[i - 1].len - 1 : 0;
			bool jump = !i || prev_last == U64_MAX ||
				    prev_last + 1 != ref[i].addr;

			if ((ref[i].addr - va) & (p - 1))
				ok = false;
			if (i && jump && (va & (p - 1)))
				ok = false;
			va += ref[i].len;
		}
		if (!ok)
			continue;
		if (iova >> bit == last_iova >> bit) {
			if (!best_one)
				best_one = p;
		} else {
			best_many = p;
		}
	}
	return best_one ?: best_many;
}

/* Reference block walk: every range's blocks in turn, repeats dropped */
struct ref_blocks {
	const struct ref_range *ref;
	unsigned int n, i;
	u64 k, pgsz, prev;
	bool emitted;
};

static bool ref_blocks_next(struct ref_blocks *rb, u64 *blk)
{
	while (rb->i < rb->n) {
		const struct ref_range *r = &rb->ref[rb->i];
		u64 lo = round_down(r->addr, rb->pgsz);
		u64 hi = round_down(r->addr + r->len - 1, rb->pgsz);
		u64 b = lo + rb->k * rb->pgsz;

		if (rb->k > (hi - lo) / rb->pgsz) {
			rb->i++;
			rb->k = 0;
			continue;
		}
		rb->k++;
		if (rb->emitted && b == rb->prev)
			continue;
		rb->emitted = true;
		rb->prev = b;
		*blk = b;
		return true;
	}
	return false;
}

static void check_blocks(struct kunit *test, const struct phyr_list *pl,
			 const struct ref_range *ref, unsigned int n, u64 pgsz)
{
	struct ref_blocks rb = { .ref = ref, .n = n, .pgsz = pgsz };
	u64 want = ref_num_blocks(ref, n, pgsz), count = 0, blk;
	struct phyr_iter iter;

	KUNIT_EXPECT_EQ_MSG(test, phyr_list_num_blocks(pl, pgsz), want,
			    "pgsz %llx", pgsz);
	if (want > MAX_WALKED_BLOCKS)
		return;

	phyr_for_each_block(pl, iter, pgsz) {
		KUNIT_ASSERT_TRUE_MSG(test, ref_blocks_next(&rb, &blk),
				      "pgsz %llx block %llu", pgsz, count);
		KUNIT_ASSERT_EQ_MSG(test, phyr_block_addr(&iter), blk,
				    "pgsz %llx block %llu", pgsz, count);
		count++;
	}
	KUNIT_EXPECT_FALSE(test, ref_blocks_next(&rb, &blk));
	KUNIT_EXPECT_EQ_MSG(test, count, want, "pgsz %llx", pgsz);
}

static void check_best_pgsz(struct kunit *test, const struct phyr_list *pl,
			    const struct ref_range *ref, unsigned int n,
			    unsigned long bitmap, u64 iova)
{
	KUNIT_EXPECT_EQ_MSG(test, phyr_list_best_pgsz(pl, bitmap, iova),
			    ref_best_pgsz(ref, n, bitmap, iova),
			    "bitmap %lx iova %llx", bitmap, iova);
}

/*
 * Compare everything a list reports with the reference array of the ranges
 * appended to it (in order, as appended).
 */
static void check_list(struct kunit *test, const struct phyr_list *pl,
		       const struct ref_range *ref, unsigned int n,
		       struct rnd_state *rnd)
{
	struct ref_range *got, *want;
	unsigned int i, nr_got = 0, nr_want, max_entries;
	u64 total = 0, max_last = 0, pgsz;
	struct phyr_iter iter;
	struct phyr range;

	for (i = 0; i < n; i++) {
		total += ref[i].len;
		max_last = max(max_last, ref[i].addr + ref[i].len - 1);
	}
	KUNIT_EXPECT_EQ(test, phyr_list_length(pl), total);
	KUNIT_EXPECT_EQ(test, phyr_list_max_addr(pl), max_last);
	KUNIT_EXPECT_EQ(test, phyr_list_empty(pl), !n);
	KUNIT_EXPECT_EQ(test, phyr_list_first_offset(pl),
			n ? (unsigned int)(ref[0].addr & (SZ_4K - 1)) : 0);

	/* Ranges: exact bytes and types, up to splitting of contiguous runs */
	got = new_ref(test, phyr_list_nr_ranges(pl) + 1);
	want = new_ref(test, n + 1);
	phyr_for_each_range(range, pl, iter) {
		KUNIT_ASSERT_LT(test, nr_got, phyr_list_nr_ranges(pl));
		KUNIT_EXPECT_NE(test, range.len, 0);
		got[nr_got++] = (struct ref_range){
			range.addr, range.len, range.type
		};
	}
	KUNIT_ASSERT_EQ(test, nr_got, phyr_list_nr_ranges(pl));
	/* Densest form: every entry as small as its range allows */
	KUNIT_EXPECT_EQ(test, list_words(pl), densest_words(got, nr_got));
	memcpy(want, ref, n * sizeof(*ref));
	nr_want = coalesce(want, n);
	nr_got = coalesce(got, nr_got);
	/*
	 * Merged: one entry per maximal run, except that a run over 128 MiB
	 * may need a BYTE entry at each end when sealed.
	 */
	max_entries = 0;
	for (i = 0; i < nr_want; i++)
		max_entries += want[i].len > SZ_128M ? 3 : 1;
	KUNIT_EXPECT_LE(test, phyr_list_nr_ranges(pl), max_entries);
	KUNIT_ASSERT_EQ(test, nr_got, nr_want);
	for (i = 0; i < nr_want; i++) {
		KUNIT_EXPECT_EQ_MSG(test, got[i].addr, want[i].addr, "range %u", i);
		KUNIT_EXPECT_EQ_MSG(test, got[i].len, want[i].len, "range %u", i);
		KUNIT_EXPECT_EQ_MSG(test, got[i].type, want[i].type, "range %u", i);
	}

	for (pgsz = SZ_4K; pgsz <= SZ_1G; pgsz <<= 1)
		check_blocks(test, pl, ref, n, pgsz);

	/* Best page size, for a few device bitmaps and IOVAs */
	for (i = 0; i < 8; i++) {
		static const unsigned long bitmaps[] = {
			SZ_4K | SZ_2M | SZ_1G,
			GENMASK(30, 12),
			SZ_4K,
			SZ_2M | SZ_1G,
		};
		unsigned long bitmap = bitmaps[i % ARRAY_SIZE(bitmaps)];
		u64 base = n ? ref[0].addr : 0, iova;

		if (rnd && i >= 4)
			bitmap = (prandom_u32_state(rnd) | 1) &
				 (unsigned long)GENMASK(18, 0);
		if (i >= 4)
			bitmap <<= 12;
		switch (i % 4) {
		case 0:
			iova = base;
			break;
		case 1:
			iova = base + SZ_2M;
			break;
		case 2:
			iova = (base & (SZ_4K - 1)) +
			       (rnd ? (u64)prandom_u32_state(rnd) << 12 : SZ_1G);
			break;
		default:
			iova = base & (SZ_1G - 1);
			break;
		}
		check_best_pgsz(test, pl, ref, n, bitmap, iova);
	}
}

/* ---- phyr_format: edge cases ---- */

struct edge_op {
	u64 addr;
	u64 len;
	enum phyr_mem_type type;
	int err;
};

struct edge_case {
	const char *name;
	struct edge_op ops[5];
	unsigned int nr_ops;
	struct ref_range want[5];	/* exact ranges yielded */
	unsigned int nr_want;
	unsigned int words;		/* u32 words of storage */
	unsigned int fail_op;		/* 1 + op whose allocation fails */
	bool wide;			/* needs a 64-bit phys_addr_t */
};

#define OP(a, l, t)	{ .addr = (a), .len = (l), .type = (t) }
#define BAD(a, l, t, e)	{ .addr = (a), .len = (l), .type = (t), .err = (e) }
#define R(a, l, t)	{ .addr = (a), .len = (l), .type = (t) }
#define TOP		(U64_MAX - SZ_4K_ULL + 1)	/* last 4 KiB page */

static const struct edge_case edge_cases[] = {
	{ .name = "empty" },
	{ .name = "one byte", .nr_ops = 1, .ops = { OP(0x1234, 1, RAM) },
	  .nr_want = 1, .want = { R(0x1234, 1, RAM) }, .words = 2 },
	{ .name = "one byte at U64_MAX", .wide = true,
	  .nr_ops = 1, .ops = { OP(U64_MAX, 1, RAM) },
	  .nr_want = 1, .want = { R(U64_MAX, 1, RAM) }, .words = 2 },
	{ .name = "last page of 2^64", .wide = true,
	  .nr_ops = 1, .ops = { OP(TOP, SZ_4K, RAM) },
	  .nr_want = 1, .want = { R(TOP, SZ_4K, RAM) }, .words = 2 },
	{ .name = "last 1 GiB of 2^64 in two appends", .wide = true,
	  .nr_ops = 2, .ops = { OP(-(u64)SZ_1G, SZ_512M, RAM),
				OP(-(u64)SZ_512M, SZ_512M, RAM) },
	  .nr_want = 1, .want = { R(-(u64)SZ_1G, SZ_1G, RAM) }, .words = 2 },
	{ .name = "end at 2^64 then 0 does not merge", .wide = true,
	  .nr_ops = 2, .ops = { OP(TOP, SZ_4K, RAM), OP(0, SZ_4K, RAM) },
	  .nr_want = 2, .want = { R(TOP, SZ_4K, RAM), R(0, SZ_4K, RAM) },
	  .words = 4 },
	{ .name = "overflowing range rejected", .wide = true,
	  .nr_ops = 2, .ops = { BAD(U64_MAX - 10, 12, RAM, -EINVAL),
				OP(U64_MAX - 10, 11, RAM) },
	  .nr_want = 1, .want = { R(U64_MAX - 10, 11, RAM) }, .words = 2 },
	{ .name = "zero length and bad type rejected",
	  .nr_ops = 3, .ops = { BAD(0x1000, 0, RAM, -EINVAL),
				BAD(0x1000, SZ_4K, 7, -EINVAL),
				BAD(0x1000, SZ_4K, PHYR_MEM_NR_TYPES, -EINVAL) } },
	{ .name = "two bytes across 4K", .nr_ops = 1, .ops = { OP(0xfff, 2, RAM) },
	  .nr_want = 1, .want = { R(0xfff, 2, RAM) }, .words = 2 },
	{ .name = "8K across 2M", .nr_ops = 1,
	  .ops = { OP(SZ_2M - SZ_4K, SZ_8K, RAM) },
	  .nr_want = 1, .want = { R(SZ_2M - SZ_4K, SZ_8K, RAM) }, .words = 3 },
	{ .name = "4M across 1G", .nr_ops = 1,
	  .ops = { OP(SZ_1G - SZ_2M, SZ_4M, P2P) },
	  .nr_want = 1, .want = { R(SZ_1G - SZ_2M, SZ_4M, P2P) }, .words = 3 },
	{ .name = "1 GiB page", .nr_ops = 1, .ops = { OP(SZ_1G, SZ_1G, RAM) },
	  .nr_want = 1, .want = { R(SZ_1G, SZ_1G, RAM) }, .words = 2 },
	{ .name = "merge into NAT", .nr_ops = 3,
	  .ops = { OP(0, SZ_4K, RAM), OP(SZ_4K, SZ_4K, RAM),
		   OP(SZ_8K, SZ_8K, RAM) },
	  .nr_want = 1, .want = { R(0, SZ_16K, RAM) }, .words = 2 },
	{ .name = "merge into RUN", .nr_ops = 2,
	  .ops = { OP(SZ_4K, SZ_4K, RAM), OP(SZ_8K, SZ_4K, RAM) },
	  .nr_want = 1, .want = { R(SZ_4K, SZ_8K, RAM) }, .words = 3 },
	{ .name = "three pages are a RUN", .nr_ops = 3,
	  .ops = { OP(0, SZ_4K, RAM), OP(SZ_4K, SZ_4K, RAM),
		   OP(SZ_8K, SZ_4K, RAM) },
	  .nr_want = 1, .want = { R(0, 3 * SZ_4K, RAM) }, .words = 3 },
	{ .name = "RUN back to NAT", .nr_ops = 4,
	  .ops = { OP(0, SZ_4K, RAM), OP(SZ_4K, SZ_4K, RAM),
		   OP(SZ_8K, SZ_4K, RAM), OP(3 * SZ_4K, SZ_4K, RAM) },
	  .nr_want = 1, .want = { R(0, SZ_16K, RAM) }, .words = 2 },
	{ .name = "no merge across a gap", .nr_ops = 2,
	  .ops = { OP(0, SZ_4K, RAM), OP(SZ_8K, SZ_4K, RAM) },
	  .nr_want = 2, .want = { R(0, SZ_4K, RAM), R(SZ_8K, SZ_4K, RAM) },
	  .words = 4 },
	{ .name = "no merge backwards", .nr_ops = 2,
	  .ops = { OP(SZ_4K, SZ_4K, RAM), OP(0, SZ_4K, RAM) },
	  .nr_want = 2, .want = { R(SZ_4K, SZ_4K, RAM), R(0, SZ_4K, RAM) },
	  .words = 4 },
	{ .name = "mixed types", .nr_ops = 3,
	  .ops = { OP(0, SZ_4K, RAM), OP(SZ_4K, SZ_4K, P2P),
		   OP(SZ_8K, SZ_4K, P2P) },
	  .nr_want = 2, .want = { R(0, SZ_4K, RAM), R(SZ_4K, SZ_8K, P2P) },
	  .words = 5 },
	{ .name = "byte-granular contiguous buffer", .nr_ops = 3,
	  .ops = { OP(0x100, 0x100, RAM), OP(0x200, 0x1e00, RAM),
		   OP(0x2000, 0x10, RAM) },
	  .nr_want = 1, .want = { R(0x100, 0x1f10, RAM) }, .words = 3 },
	{ .name = "sealed tail becomes BYTE", .nr_ops = 2,
	  .ops = { OP(0x1800, SZ_4K, RAM), OP(0x10000, SZ_4K, RAM) },
	  .nr_want = 2, .want = { R(0x1800, SZ_4K, RAM),
				  R(0x10000, SZ_4K, RAM) }, .words = 5 },
	{ .name = "512-byte sectors", .nr_ops = 3,
	  .ops = { OP(0x200, 0x200, RAM), OP(0x5400, 0x200, RAM),
		   OP(0x9000, SZ_4K, RAM) },
	  .nr_want = 3, .want = { R(0x200, 0x200, RAM), R(0x5400, 0x200, RAM),
				  R(0x9000, SZ_4K, RAM) }, .words = 8 },
	{ .name = "largest NAT", .wide = true, .nr_ops = 1,
	  .ops = { OP(1ULL << 63, 1ULL << 63, RAM) },
	  .nr_want = 1, .want = { R(1ULL << 63, 1ULL << 63, RAM) }, .words = 2 },
	{ .name = "largest RUN", .wide = true, .nr_ops = 1,
	  .ops = { OP(SZ_4K, 1ULL << 44, RAM) },
	  .nr_want = 1, .want = { R(SZ_4K, 1ULL << 44, RAM) }, .words = 3 },
	{ .name = "RUN limit splits", .wide = true, .nr_ops = 1,
	  .ops = { OP(SZ_4K, (1ULL << 44) + SZ_4K, RAM) },
	  .nr_want = 2, .want = { R(SZ_4K, (1ULL << 44) - SZ_4K, RAM),
				  R(1ULL << 44, SZ_8K, RAM) }, .words = 5 },
	{ .name = "NAT pieces of a long range", .wide = true, .nr_ops = 1,
	  .ops = { OP(1ULL << 43, (1ULL << 44) + (1ULL << 43) + SZ_4K, RAM) },
	  .nr_want = 3, .want = { R(1ULL << 43, 1ULL << 43, RAM),
				  R(1ULL << 44, 1ULL << 44, RAM),
				  R(1ULL << 45, SZ_4K, RAM) }, .words = 6 },
	{ .name = "largest BYTE", .nr_ops = 3,
	  .ops = { OP(0, SZ_4K, RAM), OP(0x10000001, SZ_128M, RAM),
		   OP(SZ_1G, SZ_4K, RAM) },
	  .nr_want = 3, .want = { R(0, SZ_4K, RAM), R(0x10000001, SZ_128M, RAM),
				  R(SZ_1G, SZ_4K, RAM) }, .words = 7 },
	{ .name = "BYTE limit splits", .nr_ops = 3,
	  .ops = { OP(0, SZ_4K, RAM), OP(0x10000001, SZ_256M, RAM),
		   OP(SZ_1G, SZ_4K, RAM) },
	  .nr_want = 5, .want = { R(0, SZ_4K, RAM), R(0x10000001, 0xfff, RAM),
				  R(0x10001000, SZ_256M - SZ_4K, RAM),
				  R(0x20000000, 1, RAM), R(SZ_1G, SZ_4K, RAM) },
	  .words = 13 },
	{ .name = "append after -ENOMEM", .fail_op = 4, .nr_ops = 5,
	  .ops = { OP(0, SZ_4K, RAM), OP(SZ_8K, SZ_4K, RAM),
		   OP(5 * SZ_4K, SZ_4K, RAM), OP(6 * SZ_4K, SZ_4K, RAM),
		   OP(7 * SZ_4K, SZ_4K, RAM) },
	  .nr_want = 3, .want = { R(0, SZ_4K, RAM), R(SZ_8K, SZ_4K, RAM),
				  R(5 * SZ_4K, 3 * SZ_4K, RAM) }, .words = 7 },
};

static void edge_case_desc(const struct edge_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(edge, edge_cases, edge_case_desc);

/* Allocation control for the chunk allocator stubs */
struct alloc_ctl {
	unsigned long calls;
	unsigned long fail_at;		/* fail this call (1-based), 0: none */
	bool fail_all;
	long live;
};

static struct phyr_chunk *fake_chunk_alloc(gfp_t gfp)
{
	struct alloc_ctl *ctl = kunit_get_current_test()->priv;
	struct phyr_chunk *chunk;

	ctl->calls++;
	if (ctl->fail_all || ctl->calls == ctl->fail_at)
		return NULL;
	chunk = kmalloc(PHYR_CHUNK_SIZE, gfp);
	if (chunk)
		ctl->live++;
	return chunk;
}

static void fake_chunk_free(struct phyr_chunk *chunk)
{
	struct alloc_ctl *ctl = kunit_get_current_test()->priv;

	ctl->live--;
	kfree(chunk);
}

static struct alloc_ctl *stub_allocator(struct kunit *test)
{
	struct alloc_ctl *ctl = kunit_kzalloc(test, sizeof(*ctl), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, ctl);
	test->priv = ctl;
	kunit_activate_static_stub(test, phyr_chunk_alloc, fake_chunk_alloc);
	kunit_activate_static_stub(test, phyr_chunk_free, fake_chunk_free);
	return ctl;
}

/* The state a failed append must leave untouched */
struct snapshot {
	struct phyr_store store;
	u32 tail_words[3];
	u64 words;
};

static void take_snapshot(const struct phyr_list *pl, struct snapshot *s)
{
	const struct phyr_chunk *tail = pl->store.tail ?: &pl->store.head;

	s->store = pl->store;
	memset(s->tail_words, 0, sizeof(s->tail_words));
	if (pl->store.nr_ranges)
		memcpy(s->tail_words, &tail->words[pl->store.tail_pos],
		       min_t(size_t, sizeof(s->tail_words),
			     (tail->used - pl->store.tail_pos) * sizeof(u32)));
	s->words = list_words(pl);
}

static void check_snapshot(struct kunit *test, const struct phyr_list *pl,
			   const struct snapshot *s)
{
	struct snapshot now;

	take_snapshot(pl, &now);
	KUNIT_EXPECT_EQ(test, now.words, s->words);
	KUNIT_EXPECT_PTR_EQ(test, now.store.tail, s->store.tail);
	KUNIT_EXPECT_EQ(test, now.store.tail_pos, s->store.tail_pos);
	KUNIT_EXPECT_EQ(test, now.store.nr_ranges, s->store.nr_ranges);
	KUNIT_EXPECT_EQ(test, now.store.nr_chunks, s->store.nr_chunks);
	KUNIT_EXPECT_EQ(test, now.store.length, s->store.length);
	KUNIT_EXPECT_EQ(test, now.store.max_last, s->store.max_last);
	KUNIT_EXPECT_EQ(test, now.store.first_offset, s->store.first_offset);
	KUNIT_EXPECT_EQ(test, now.store.tail_trim, s->store.tail_trim);
	KUNIT_EXPECT_MEMEQ(test, now.tail_words, s->tail_words,
			   sizeof(s->tail_words));
}

static void phyr_edge_test(struct kunit *test)
{
	const struct edge_case *c = test->param_value;
	struct phyr_list *pl = new_list(test);
	struct ref_range *ref = new_ref(test, ARRAY_SIZE(c->ops));
	struct alloc_ctl *ctl = stub_allocator(test);
	struct phyr_iter iter;
	struct phyr range;
	unsigned int i, n = 0;
	int ret;

	if (c->wide && sizeof(phys_addr_t) < sizeof(u64))
		kunit_skip(test, "needs a 64-bit phys_addr_t");

	for (i = 0; i < c->nr_ops; i++) {
		const struct edge_op *op = &c->ops[i];

		if (c->fail_op == i + 1) {
			struct snapshot snap;

			take_snapshot(pl, &snap);
			ctl->fail_all = true;
			ret = add(pl, op->addr, op->len, op->type);
			KUNIT_ASSERT_EQ(test, ret, -ENOMEM);
			ctl->fail_all = false;
			check_snapshot(test, pl, &snap);
			check_list(test, pl, ref, n, NULL);
		}
		ret = add(pl, op->addr, op->len, op->type);
		KUNIT_ASSERT_EQ_MSG(test, ret, op->err, "op %u", i);
		if (!op->err)
			ref[n++] = (struct ref_range){ op->addr, op->len, op->type };
	}

	KUNIT_EXPECT_EQ(test, phyr_list_nr_ranges(pl), c->nr_want);
	i = 0;
	phyr_for_each_range(range, pl, iter) {
		KUNIT_ASSERT_LT(test, i, c->nr_want);
		KUNIT_EXPECT_EQ_MSG(test, range.addr, c->want[i].addr, "range %u", i);
		KUNIT_EXPECT_EQ_MSG(test, range.len, c->want[i].len, "range %u", i);
		KUNIT_EXPECT_EQ_MSG(test, range.type, c->want[i].type, "range %u", i);
		i++;
	}
	KUNIT_EXPECT_EQ(test, i, c->nr_want);
	KUNIT_EXPECT_EQ(test, list_words(pl), c->words);
	/* Three NATs or two 12-byte entries fit inline: no allocation */
	if (c->words <= PHYR_INLINE_WORDS)
		KUNIT_EXPECT_EQ(test, ctl->calls, 0);
	KUNIT_EXPECT_EQ(test, ctl->live, pl->store.nr_chunks);

	check_list(test, pl, ref, n, NULL);

	phyr_list_destroy(pl);
	KUNIT_EXPECT_EQ(test, ctl->live, 0);
	KUNIT_EXPECT_TRUE(test, phyr_list_empty(pl));
	KUNIT_EXPECT_EQ(test, list_words(pl), 0);
}

static void phyr_destroy_test(struct kunit *test)
{
	struct phyr_list *pl = new_list(test);
	struct alloc_ctl *ctl = stub_allocator(test);
	struct dma_range_list *dl;
	unsigned int i;

	/* Zero-filled and freshly initialised lists */
	phyr_list_destroy(pl);
	phyr_list_init(pl);
	phyr_list_destroy(pl);
	KUNIT_EXPECT_EQ(test, ctl->calls, 0);

	/* Half-built: stop at an allocation failure, then destroy twice */
	ctl->fail_at = 3;
	for (i = 0; i < 4096; i++)
		if (add(pl, i * SZ_8K, SZ_4K, RAM))
			break;
	KUNIT_EXPECT_EQ(test, ctl->calls, 3);
	KUNIT_EXPECT_EQ(test, ctl->live, 2);
	phyr_list_destroy(pl);
	phyr_list_destroy(pl);
	KUNIT_EXPECT_EQ(test, ctl->live, 0);

	/* Reusable after destroy */
	KUNIT_EXPECT_EQ(test, add(pl, SZ_2M, SZ_2M, RAM), 0);
	KUNIT_EXPECT_EQ(test, phyr_list_nr_ranges(pl), 1);
	KUNIT_EXPECT_EQ(test, phyr_list_length(pl), SZ_2M);

	dl = kunit_kzalloc(test, sizeof(*dl), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, dl);
	dma_range_list_destroy(dl);
	KUNIT_EXPECT_TRUE(test, dma_range_list_empty(dl));
	phyr_list_destroy(pl);
}

/*
 * Make every chunk allocation of a build fail in turn: the failed append
 * leaves the list as it was, the same append then succeeds, and nothing
 * leaks.
 */
static void phyr_alloc_fail_test(struct kunit *test)
{
	const unsigned int nr_ops = 3000;
	struct alloc_ctl *ctl = stub_allocator(test);
	struct ref_range *ops = new_ref(test, nr_ops);
	struct ref_range *ref = new_ref(test, nr_ops);
	struct phyr_list *pl = new_list(test);
	struct rnd_state rnd;
	unsigned long k, total = 0;
	u64 addr = SZ_1M;
	unsigned int i;

	/* A fixed mix of merges, gaps, partial pages and type changes */
	prandom_seed_state(&rnd, 42);
	for (i = 0; i < nr_ops; i++) {
		u32 r = prandom_u32_state(&rnd);
		u64 len = (r & 3) ? SZ_4K : 1 + (r >> 20) % (3 * SZ_4K);

		if (r & 0x10)
			addr += (r & 0x20) ? SZ_8K : 0x200;
		ops[i] = (struct ref_range){
			addr, len, (r & 0x1c0) == 0x1c0 ? P2P : RAM
		};
		addr += len;
	}

	for (k = 1; ; k++) {
		unsigned int n = 0, failures = 0;

		ctl->calls = 0;
		ctl->fail_at = k;
		for (i = 0; i < nr_ops; i++) {
			struct snapshot snap;
			int ret;

			take_snapshot(pl, &snap);
			ret = add(pl, ops[i].addr, ops[i].len, ops[i].type);
			if (ret) {
				KUNIT_ASSERT_EQ(test, ret, -ENOMEM);
				failures++;
				check_snapshot(test, pl, &snap);
				KUNIT_EXPECT_EQ(test, ctl->live,
						pl->store.nr_chunks);
				check_list(test, pl, ref, n, NULL);
				ret = add(pl, ops[i].addr, ops[i].len, ops[i].type);
				KUNIT_ASSERT_EQ(test, ret, 0);
			}
			ref[n++] = ops[i];
		}
		check_list(test, pl, ref, n, NULL);
		KUNIT_EXPECT_EQ(test, ctl->live, pl->store.nr_chunks);
		phyr_list_destroy(pl);
		KUNIT_EXPECT_EQ(test, ctl->live, 0);

		if (k == 1)
			total = ctl->calls - 1;
		if (!failures)
			break;
		KUNIT_ASSERT_LE(test, k, total);
	}
	KUNIT_EXPECT_EQ(test, k - 1, total);
	KUNIT_EXPECT_GE(test, total, 5);
	kunit_info(test, "failed each of %lu chunk allocations in turn\n",
		   total);
}

static struct kunit_case phyr_format_cases[] = {
	KUNIT_CASE_PARAM(phyr_edge_test, edge_gen_params),
	KUNIT_CASE(phyr_destroy_test),
	KUNIT_CASE(phyr_alloc_fail_test),
	{}
};

static struct kunit_suite phyr_format_suite = {
	.name = "phyr_format",
	.test_cases = phyr_format_cases,
};

/* ---- phyr_iter: randomised property test ---- */

/* Next range to append, in one of a few shapes */
static void random_range(struct rnd_state *rnd, unsigned int mode,
			 struct ref_range *prev, u64 va, struct ref_range *r)
{
	u32 x = prandom_u32_state(rnd);
	u64 base;

	r->type = (x & 0xf) == 0 ? P2P : RAM;
	switch (mode) {
	case 0:		/* 4 KiB pages, often contiguous */
		r->len = SZ_4K * (1 + (x >> 28));
		base = (u64)(prandom_u32_state(rnd) & 0xfffff) << 12;
		break;
	case 1:		/* 2 MiB and 1 GiB pages */
		r->len = (x & 0x30) ? SZ_2M : SZ_1G;
		if (x & 0x40)
			r->len *= 1 + ((x >> 8) & 7);
		base = (u64)(prandom_u32_state(rnd) & 0xffff) << 21;
		break;
	case 2:		/* byte granular, sometimes large */
		r->len = 1 + ((x >> 4) % (3 * SZ_4K));
		if ((x & 0x300) == 0x300)
			r->len += (u64)((x >> 10) & 0xff) << 20;
		base = prandom_u32_state(rnd) | (u64)(x & 0xf0) << 28;
		break;
	case 3:		/* pages congruent to their IOVA modulo 1 GiB (THP-like) */
		r->len = SZ_4K * (1 + (x >> 22));
		if (x & 0x100)
			r->len = round_up(r->len, SZ_2M);
		base = (u64)(prandom_u32_state(rnd) & 0xfff) << 30 |
		       (va & (SZ_1G - 1));
		break;
	default:	/* near the top of the 64-bit space */
		r->len = 1 + ((x >> 4) % (5 * SZ_4K));
		base = U64_MAX - (prandom_u32_state(rnd) & 0xffffff);
		if (U64_MAX - base < r->len - 1)
			base = U64_MAX - (r->len - 1);
		break;
	}
	/* Continue the previous range half of the time */
	if (prev && (x & 0x20000) && prev->addr + prev->len - 1 != U64_MAX &&
	    U64_MAX - (prev->addr + prev->len) >= r->len - 1) {
		base = prev->addr + prev->len;
		if (x & 0x40000)
			r->type = prev->type;
	}
	r->addr = base;
}

static void phyr_property_test(struct kunit *test)
{
	const unsigned int rounds = 30, max_ops = 400;
	struct ref_range *ref = new_ref(test, max_ops);
	struct phyr_list *pl = new_list(test);
	u64 s = seed ?: get_random_u64();
	struct rnd_state rnd;
	unsigned int round;

	if (sizeof(phys_addr_t) < sizeof(u64))
		kunit_skip(test, "needs a 64-bit phys_addr_t");
	kunit_info(test, "seed %llu (reproduce with phyr_kunit.seed=%llu)\n",
		   s, s);
	prandom_seed_state(&rnd, s);

	for (round = 0; round < rounds; round++) {
		unsigned int mode = round % 5, nr = 1 + prandom_u32_state(&rnd) %
						     max_ops, i;
		u64 va = 0;

		for (i = 0; i < nr; i++) {
			/* Every other group of rounds mixes shapes in a list */
			unsigned int m = round / 5 % 2 &&
					 !(prandom_u32_state(&rnd) % 8) ?
					 prandom_u32_state(&rnd) % 5 : mode;

			/* IOVA of this range if the list is mapped at ref[0] */
			if (i)
				va = ref[0].addr + phyr_list_length(pl);
			random_range(&rnd, m, i ? &ref[i - 1] : NULL, va, &ref[i]);
			KUNIT_ASSERT_EQ(test, add(pl, ref[i].addr, ref[i].len, ref[i].type), 0);
			if (i == 0 || i == nr / 2)
				check_list(test, pl, ref, i + 1, &rnd);
		}
		check_list(test, pl, ref, nr, &rnd);
		phyr_list_destroy(pl);
	}
}

/* A list of physically contiguous naturally aligned pieces */
static void phyr_best_pgsz_test(struct kunit *test)
{
	const unsigned long all = SZ_4K | SZ_64K | SZ_2M | SZ_1G;
	struct phyr_list *pl = new_list(test);
	struct ref_range ref[3];

	KUNIT_EXPECT_EQ(test, phyr_list_best_pgsz(pl, all, 0), 0);

	/* 3 x 2 MiB, discontiguous: 2 MiB at a matching IOVA, else less */
	ref[0] = (struct ref_range){ 10 * SZ_2M, SZ_2M, RAM };
	ref[1] = (struct ref_range){ 20 * SZ_2M, SZ_2M, RAM };
	ref[2] = (struct ref_range){ 5 * SZ_2M, SZ_2M, RAM };
	KUNIT_ASSERT_EQ(test, add(pl, ref[0].addr, SZ_2M, RAM), 0);
	KUNIT_ASSERT_EQ(test, add(pl, ref[1].addr, SZ_2M, RAM), 0);
	KUNIT_ASSERT_EQ(test, add(pl, ref[2].addr, SZ_2M, RAM), 0);
	KUNIT_EXPECT_EQ(test, phyr_list_best_pgsz(pl, all, 0), SZ_2M);
	KUNIT_EXPECT_EQ(test, phyr_list_best_pgsz(pl, all, SZ_1G), SZ_2M);
	KUNIT_EXPECT_EQ(test, phyr_list_best_pgsz(pl, all, SZ_64K), SZ_64K);
	KUNIT_EXPECT_EQ(test, phyr_list_best_pgsz(pl, all, SZ_4K), SZ_4K);
	KUNIT_EXPECT_EQ(test, phyr_list_best_pgsz(pl, SZ_1G, 0), 0);
	KUNIT_EXPECT_EQ(test, phyr_list_best_pgsz(pl, all, 0x800), 0);
	KUNIT_EXPECT_EQ(test, phyr_list_best_pgsz(pl, all, U64_MAX - SZ_2M), 0);
	KUNIT_EXPECT_EQ(test, phyr_list_num_blocks(pl, SZ_2M), 3);
	KUNIT_EXPECT_EQ(test, phyr_list_num_blocks(pl, SZ_4K), 3 * 512);
	check_list(test, pl, ref, 3, NULL);
	phyr_list_destroy(pl);

	/* Congruent to the IOVA, but discontiguous inside a 2 MiB page */
	KUNIT_ASSERT_EQ(test, add(pl, SZ_1G, SZ_4K, RAM), 0);
	KUNIT_ASSERT_EQ(test, add(pl, SZ_1G + SZ_2M + SZ_4K, SZ_4K, RAM), 0);
	KUNIT_EXPECT_EQ(test, phyr_list_best_pgsz(pl, all, 0), SZ_4K);
	phyr_list_destroy(pl);

	/* One 1 GiB page: the smallest size covering it in one page wins */
	KUNIT_ASSERT_EQ(test, add(pl, 3ULL * SZ_1G, SZ_1G, RAM), 0);
	KUNIT_EXPECT_EQ(test, phyr_list_best_pgsz(pl, all, 0), SZ_1G);
#if BITS_PER_LONG == 64
	KUNIT_EXPECT_EQ(test, phyr_list_best_pgsz(pl, all | SZ_4G, 0), SZ_1G);
	KUNIT_EXPECT_EQ(test, phyr_list_best_pgsz(pl, SZ_4G, 0), 0);
	KUNIT_EXPECT_EQ(test, phyr_list_best_pgsz(pl, SZ_4G, 3ULL * SZ_1G),
			SZ_4G);
#endif
	KUNIT_EXPECT_EQ(test, phyr_list_num_blocks(pl, SZ_1G), 1);
}

/* Blocks shared between neighbours are visited once */
static void phyr_block_share_test(struct kunit *test)
{
	static const u64 want[] = { 0, SZ_4K, 0, 3 * SZ_4K };
	struct phyr_list *pl = new_list(test);
	struct phyr_iter iter;
	unsigned int i = 0;

	/* [0x100,0x200) [0x800,0x1800) [0x20,0x40) [0x3000,0x3010) */
	KUNIT_ASSERT_EQ(test, add(pl, 0x100, 0x100, RAM), 0);
	KUNIT_ASSERT_EQ(test, add(pl, 0x800, SZ_4K, P2P), 0);
	KUNIT_ASSERT_EQ(test, add(pl, 0x20, 0x20, RAM), 0);
	KUNIT_ASSERT_EQ(test, add(pl, 0x3000, 0x10, RAM), 0);
	phyr_for_each_block(pl, iter, SZ_4K) {
		KUNIT_ASSERT_LT(test, i, ARRAY_SIZE(want));
		KUNIT_EXPECT_EQ(test, phyr_block_addr(&iter), want[i]);
		i++;
	}
	KUNIT_EXPECT_EQ(test, i, ARRAY_SIZE(want));
	KUNIT_EXPECT_EQ(test, phyr_list_num_blocks(pl, SZ_4K), ARRAY_SIZE(want));
	KUNIT_EXPECT_EQ(test, phyr_list_num_blocks(pl, SZ_64K), 1);
}

static void phyr_advance_test(struct kunit *test)
{
	struct phyr_list *pl = new_list(test);
	struct phyr_iter iter, copy;
	struct phyr range;

	KUNIT_ASSERT_EQ(test, add(pl, 0x1100, 0x2000, RAM), 0);
	KUNIT_ASSERT_EQ(test, add(pl, 0x10000, 0x3000, P2P), 0);
	KUNIT_ASSERT_EQ(test, add(pl, 0x20000, 0x100, RAM), 0);

	phyr_iter_start(&iter, pl);
	phyr_iter_advance(&iter, 0x1000);
	copy = iter;
	KUNIT_ASSERT_TRUE(test, phyr_iter_next(&iter, &range));
	KUNIT_EXPECT_EQ(test, range.addr, 0x2100);
	KUNIT_EXPECT_EQ(test, range.len, 0x1000);
	phyr_iter_advance(&iter, 0x2fff);
	KUNIT_ASSERT_TRUE(test, phyr_iter_next(&iter, &range));
	KUNIT_EXPECT_EQ(test, range.addr, 0x12fff);
	KUNIT_EXPECT_EQ(test, range.len, 1);
	KUNIT_EXPECT_EQ(test, range.type, P2P);
	phyr_iter_advance(&iter, 0x80);
	KUNIT_ASSERT_TRUE(test, phyr_iter_next(&iter, &range));
	KUNIT_EXPECT_EQ(test, range.addr, 0x20080);
	KUNIT_EXPECT_EQ(test, range.len, 0x80);
	KUNIT_EXPECT_FALSE(test, phyr_iter_next(&iter, &range));

	/* A copied cursor restarts from where it was copied */
	KUNIT_ASSERT_TRUE(test, phyr_iter_next(&copy, &range));
	KUNIT_EXPECT_EQ(test, range.addr, 0x2100);
	phyr_iter_advance(&copy, 0x3100);
	KUNIT_EXPECT_FALSE(test, phyr_iter_next(&copy, &range));
}

/* The DMA twin, on its own storage and as an alias of a CPU list */
static void dma_range_list_test(struct kunit *test)
{
	struct dma_range_list *dl = kunit_kzalloc(test, sizeof(*dl), GFP_KERNEL);
	struct alloc_ctl *ctl = stub_allocator(test);
	struct phyr_list *pl = new_list(test);
	struct dma_range_iter diter;
	struct phyr_iter iter;
	struct dma_range dr;
	struct phyr range;
	unsigned int i, n;
	long live;
	int ret;

	KUNIT_ASSERT_NOT_NULL(test, dl);
	ret = kunit_add_action_or_reset(test, dma_range_list_destroy_action, dl);
	KUNIT_ASSERT_EQ(test, ret, 0);
	dma_range_list_init(dl);

	/* One IOVA range of any length: one entry, no allocation */
	KUNIT_ASSERT_EQ(test, dma_range_list_append(dl, 0xfe000100, 5 * SZ_1M,
						    RAM, GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, dma_range_list_nr_ranges(dl), 1);
	KUNIT_EXPECT_EQ(test, dma_range_list_alloc_bytes(dl), 0);
	KUNIT_EXPECT_EQ(test, dma_range_list_first_offset(dl), 0x100);
	KUNIT_EXPECT_EQ(test, dma_range_list_max_addr(dl),
			0xfe000100 + 5 * SZ_1M - 1);
	KUNIT_EXPECT_EQ(test, dma_range_list_num_blocks(dl, SZ_4K), 1281);
	KUNIT_EXPECT_EQ(test, dma_range_list_best_pgsz(dl, SZ_4K | SZ_2M,
						       0x100), SZ_2M);
	KUNIT_EXPECT_EQ(test, dma_range_list_best_pgsz(dl, SZ_4K | SZ_2M,
						       0x1100), SZ_4K);
	KUNIT_EXPECT_EQ(test, ctl->calls, 0);
	n = 0;
	dma_range_for_each_range(dr, dl, diter) {
		KUNIT_EXPECT_EQ(test, dr.addr, 0xfe000100);
		KUNIT_EXPECT_EQ(test, dr.len, 5 * SZ_1M);
		n++;
	}
	KUNIT_EXPECT_EQ(test, n, 1);
	dma_range_list_destroy(dl);
	KUNIT_EXPECT_TRUE(test, dma_range_list_empty(dl));

	/* Alias a CPU list that needs chunks */
	for (i = 0; i < 2000; i++)
		KUNIT_ASSERT_EQ(test, add(pl, i * SZ_16K + 0x10, SZ_4K,
					  i % 3 ? RAM : P2P), 0);
	dma_range_list_alias(dl, pl);
	KUNIT_EXPECT_TRUE(test, dma_range_list_is_alias(dl));
	KUNIT_EXPECT_EQ(test, dma_range_list_nr_ranges(dl),
			phyr_list_nr_ranges(pl));
	KUNIT_EXPECT_EQ(test, dma_range_list_length(dl), phyr_list_length(pl));
	KUNIT_EXPECT_EQ(test, dma_range_list_alloc_bytes(dl), 0);
	KUNIT_EXPECT_EQ(test, dma_range_list_num_blocks(dl, SZ_4K),
			phyr_list_num_blocks(pl, SZ_4K));
	KUNIT_EXPECT_EQ(test, dma_range_list_best_pgsz(dl, SZ_4K, 0x10),
			phyr_list_best_pgsz(pl, SZ_4K, 0x10));

	n = 0;
	dma_range_iter_start(&diter, dl);
	phyr_for_each_range(range, pl, iter) {
		KUNIT_ASSERT_TRUE(test, dma_range_iter_next(&diter, &dr));
		KUNIT_EXPECT_EQ(test, dr.addr, range.addr);
		KUNIT_EXPECT_EQ(test, dr.len, range.len);
		KUNIT_EXPECT_EQ(test, dr.type, range.type);
		n++;
	}
	KUNIT_EXPECT_FALSE(test, dma_range_iter_next(&diter, &dr));
	KUNIT_EXPECT_EQ(test, n, 2000);

	n = 0;
	phyr_block_iter_start(&iter, pl, SZ_4K);
	dma_range_for_each_block(dl, diter, SZ_4K) {
		KUNIT_ASSERT_TRUE(test, phyr_block_iter_next(&iter));
		KUNIT_EXPECT_EQ(test, dma_range_block_addr(&diter),
				phyr_block_addr(&iter));
		n++;
	}
	KUNIT_EXPECT_FALSE(test, phyr_block_iter_next(&iter));
	KUNIT_EXPECT_EQ(test, n, 4000);

	/* Dropping the alias frees nothing and leaves the CPU list intact */
	live = ctl->live;
	dma_range_list_destroy(dl);
	KUNIT_EXPECT_FALSE(test, dma_range_list_is_alias(dl));
	KUNIT_EXPECT_TRUE(test, dma_range_list_empty(dl));
	KUNIT_EXPECT_EQ(test, ctl->live, live);
	KUNIT_EXPECT_EQ(test, phyr_list_nr_ranges(pl), 2000);
	KUNIT_EXPECT_EQ(test, phyr_list_num_blocks(pl, SZ_4K), 4000);
	phyr_list_destroy(pl);
	KUNIT_EXPECT_EQ(test, ctl->live, 0);
}

static struct kunit_case phyr_iter_cases[] = {
	KUNIT_CASE(phyr_property_test),
	KUNIT_CASE(phyr_best_pgsz_test),
	KUNIT_CASE(phyr_block_share_test),
	KUNIT_CASE(phyr_advance_test),
	KUNIT_CASE(dma_range_list_test),
	{}
};

static struct kunit_suite phyr_iter_suite = {
	.name = "phyr_iter",
	.test_cases = phyr_iter_cases,
};

/* ---- phyr_density ---- */

/*
 * Bytes a chained sg table of @nents entries takes, built for real by
 * sg_alloc_append_table_from_pages() from a page array that alternates
 * between two non-adjacent pages, so that no two entries merge.
 */
static size_t sg_table_bytes(struct kunit *test, unsigned int nents,
			     unsigned int *chunks)
{
	struct sg_append_table sgt = {};
	struct scatterlist *sg;
	struct page **pages, *two;
	unsigned int i, links = 0;
	int ret;

	two = alloc_pages(GFP_KERNEL, 2);
	KUNIT_ASSERT_NOT_NULL(test, two);
	pages = kvmalloc_array(nents, sizeof(*pages), GFP_KERNEL);
	if (!pages)
		__free_pages(two, 2);
	KUNIT_ASSERT_NOT_NULL(test, pages);
	for (i = 0; i < nents; i++)
		pages[i] = nth_page(two, (i & 1) * 2);

	ret = sg_alloc_append_table_from_pages(&sgt, pages, nents, 0,
					       (unsigned long)nents * PAGE_SIZE,
					       UINT_MAX, 0, GFP_KERNEL);
	kvfree(pages);
	if (ret) {
		sg_free_append_table(&sgt);
		__free_pages(two, 2);
		KUNIT_FAIL(test, "sg_alloc_append_table_from_pages(): %d", ret);
		return 0;
	}
	KUNIT_EXPECT_EQ(test, sgt.sgt.nents, nents);

	/* Walk the chain: every link is one more allocation */
	sg = sgt.sgt.sgl;
	while (!sg_is_last(sg)) {
		if (sg_is_chain(sg)) {
			links++;
			sg = sg_chain_ptr(sg);
			continue;
		}
		sg++;
	}
	*chunks = links + 1;
	/* total_nents counts every slot but the chain links */
	i = sgt.total_nents + links;
	sg_free_append_table(&sgt);
	__free_pages(two, 2);
	return (size_t)i * sizeof(struct scatterlist);
}

static void report(struct kunit *test, const char *what,
		   const struct phyr_list *pl, unsigned int nents)
{
	size_t phyr = phyr_list_alloc_bytes(pl) + sizeof(*pl);
	unsigned int chunks = 0;
	size_t sg;

	if (IS_ENABLED(CONFIG_ARCH_NO_SG_CHAIN) && nents > SG_MAX_SINGLE_ALLOC) {
		kunit_info(test, "%s: phyr %zu bytes (%zu.%02zu B/range); no sg chaining here\n",
			   what, phyr, phyr / nents, phyr * 100 / nents % 100);
		return;
	}
	sg = sg_table_bytes(test, nents, &chunks);
	kunit_info(test, "%s: phyr %zu bytes, %u chunks (%zu.%02zu B/range); sg %zu bytes, %u allocations (%zu.%02zu B/entry)\n",
		   what, phyr, pl->store.nr_chunks, phyr / nents,
		   phyr * 100 / nents % 100, sg, chunks, sg / nents,
		   sg * 100 / nents % 100);
}

static void phyr_density_4k_test(struct kunit *test)
{
	const unsigned int n = 262144;
	struct phyr_list *pl = new_list(test);
	u64 payload;
	size_t alloc;
	unsigned int i;

	for (i = 0; i < n; i++)
		KUNIT_ASSERT_EQ(test, add(pl, (u64)i * SZ_8K, SZ_4K, RAM), 0);
	KUNIT_ASSERT_EQ(test, phyr_list_nr_ranges(pl), n);
	payload = list_words(pl) * sizeof(u32);
	alloc = phyr_list_alloc_bytes(pl);
	/* 8 bytes per page, and chunk headers and slack below 1% */
	KUNIT_EXPECT_LE(test, payload, 8ULL * n);
	KUNIT_EXPECT_LT(test, (u64)alloc * 100, payload * 101);
	report(test, "262144 discontiguous 4 KiB pages", pl, n);
}

static void phyr_density_2m_test(struct kunit *test)
{
	const unsigned int n = 512;
	struct phyr_list *pl = new_list(test);
	unsigned int i;

	for (i = 0; i < n; i++)
		KUNIT_ASSERT_EQ(test, add(pl, (u64)i * SZ_4M, SZ_2M, RAM), 0);
	KUNIT_ASSERT_EQ(test, phyr_list_nr_ranges(pl), n);
	KUNIT_EXPECT_LE(test, list_words(pl) * sizeof(u32), 8ULL * n);
	KUNIT_EXPECT_LE(test, phyr_list_alloc_bytes(pl), PHYR_CHUNK_SIZE);
	report(test, "512 discontiguous 2 MiB THPs (sg: one entry each)", pl, n);
}

static void phyr_density_1g_test(struct kunit *test)
{
	struct alloc_ctl *ctl = stub_allocator(test);
	struct phyr_list *pl = new_list(test);

	KUNIT_ASSERT_EQ(test, add(pl, 5ULL * SZ_1G, SZ_1G, RAM), 0);
	KUNIT_EXPECT_EQ(test, phyr_list_nr_ranges(pl), 1);
	KUNIT_EXPECT_EQ(test, list_words(pl), 2);
	KUNIT_EXPECT_EQ(test, ctl->calls, 0);
	KUNIT_EXPECT_EQ(test, phyr_list_alloc_bytes(pl), 0);
	report(test, "one 1 GiB page (sg: one entry)", pl, 1);
}

static struct kunit_case phyr_density_cases[] = {
	KUNIT_CASE(phyr_density_4k_test),
	KUNIT_CASE(phyr_density_2m_test),
	KUNIT_CASE(phyr_density_1g_test),
	{}
};

static struct kunit_suite phyr_density_suite = {
	.name = "phyr_density",
	.test_cases = phyr_density_cases,
};

kunit_test_suites(&phyr_format_suite, &phyr_iter_suite, &phyr_density_suite);

MODULE_DESCRIPTION("KUnit tests for phyr lists");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
