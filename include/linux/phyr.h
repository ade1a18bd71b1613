/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * phyr - packed lists of physical and DMA address ranges
 *
 * A phyr list describes memory as a list of address ranges, the way a
 * scatterlist does, in 8 bytes for a naturally aligned power-of-two chunk and
 * 12 bytes for anything else.  There are two list types with one encoding:
 * struct phyr_list holds CPU physical addresses and struct dma_range_list
 * holds DMA addresses.  They are distinct C types, so passing one where the
 * other is expected does not compile, and a DMA list can alias a CPU list
 * (dma_range_list_alias()) when the mapping is an identity.
 *
 * See Documentation/core-api/phyr.rst.
 */

/**
 * DOC: Encoding
 *
 * Addresses are 64 bits on every architecture.  An entry is two or three
 * u32 words, so no entry needs an unaligned 64-bit load: word 0 is 64 bits
 * wide (two u32, low half first) and word 1 is the optional third u32.  A
 * "page" here is always PHYR_PAGE_SIZE (4 KiB), whatever PAGE_SIZE is.
 *
 * ========  =====================  =====================  =====================
 * word 0    NAT (8 bytes)          RUN (12 bytes)         BYTE (12 bytes)
 * ========  =====================  =====================  =====================
 * 63:62     0                      1                      2 (3 is invalid)
 * 61:59     memory type            memory type            memory type
 * 58:53     reserved, 0            reserved, 0            bits 26:21 of len - 1
 * 52        order and pfn          reserved, 0            bit 20 of len - 1
 * 51:0      order and pfn          pfn                    pfn of the first byte
 * word 1    absent                 number of pages - 1    see below
 * ========  =====================  =====================  =====================
 *
 * - NAT: a naturally aligned block of 2^order pages, order 0..51, stored in
 *   bits 52:0 as (pfn << 1) | ((1 << order) - 1); the order is the lowest
 *   clear bit.  4 KiB, 2 MiB and 1 GiB pages, and anything that merges into
 *   an aligned power of two, cost 8 bytes.
 * - RUN: any page-aligned run of 1..2^32 pages (16 TiB); a longer range is
 *   split.
 * - BYTE: a byte-granular range of 1 byte..128 MiB.  Word 1 holds bits 19:0
 *   of (len - 1) in its bits 31:12 and the offset of the first byte within
 *   its page in bits 11:0.  Only needed for an interior range that does not
 *   start or end on a 4 KiB boundary (512-byte block I/O, for instance).
 * - The memory type is an &enum phyr_mem_type; types 2..7 are reserved.
 *
 * The list itself keeps a first offset (bytes skipped at the start of the
 * first entry) and the total length (which trims the end of the last
 * entry), so the byte-granular start and end of a virtually contiguous
 * buffer still use 8-byte entries.
 */
#ifndef _LINUX_PHYR_H
#define _LINUX_PHYR_H

#include <linux/bits.h>
#include <linux/bug.h>
#include <linux/compiler.h>
#include <linux/errno.h>
#include <linux/gfp_types.h>
#include <linux/stddef.h>
#include <linux/types.h>

/* The granule of NAT and RUN entries: 4 KiB on every architecture. */
#define PHYR_PAGE_SHIFT		12
#define PHYR_PAGE_SIZE		BIT_ULL(PHYR_PAGE_SHIFT)
/* Bytes in each allocated chunk: never more than an order-0 page. */
#define PHYR_CHUNK_SIZE		4096
/* u32 words stored inline in struct phyr_store: 3 NAT or 2 RUN entries. */
#define PHYR_INLINE_WORDS	6

/**
 * enum phyr_mem_type - What kind of memory a range describes.
 * @PHYR_MEM_RAM: Ordinary memory, reachable by the CPU.
 * @PHYR_MEM_P2P: A PCI peer-to-peer bus address (another device's BAR).
 * @PHYR_MEM_NR_TYPES: Number of valid types; values up to 7 are reserved.
 *
 * The type is stored in every entry, so one list can mix types.  Adjacent
 * ranges are merged only when their types are equal.
 */
enum phyr_mem_type {
	PHYR_MEM_RAM = 0,
	PHYR_MEM_P2P = 1,
	PHYR_MEM_NR_TYPES,
};

/**
 * struct phyr - One CPU physical address range, as yielded by iterators.
 * @addr: First byte.
 * @len: Length in bytes, never 0.  @addr + @len - 1 does not overflow,
 *       but @addr + @len may be 2^64 for a range ending at U64_MAX.
 * @type: Memory type of the range.
 */
struct phyr {
	u64 addr;
	u64 len;
	enum phyr_mem_type type;
};

/**
 * struct dma_range - One DMA address range, as yielded by iterators.
 * @addr: First byte, in the device's DMA address space.
 * @len: Length in bytes, never 0.  @addr + @len - 1 does not overflow.
 * @type: Memory type of the range.
 */
struct dma_range {
	u64 addr;
	u64 len;
	enum phyr_mem_type type;
};

/**
 * struct phyr_chunk - A block of encoded entries.
 * @next: Next chunk, or %NULL for the last one.
 * @used: Number of @words in use.  Entries never straddle chunks; unused
 *        words at the end of a chunk that is not the last are skipped.
 * @size: Capacity in words of an allocated chunk.  The inline first chunk
 *        of a &struct phyr_store has PHYR_INLINE_WORDS and ignores @size.
 * @words: The entries, as u32 words.
 *
 * Allocated chunks are PHYR_CHUNK_SIZE bytes, so an allocation never
 * exceeds order 0 and the header costs 16 bytes per 4 KiB (0.4%).
 */
struct phyr_chunk {
	struct phyr_chunk *next;
	u32 used;
	u32 size;
	u32 words[];
};

/**
 * struct phyr_store - Storage and summary shared by both list types.
 * @tail: Chunk holding the last entry; %NULL means @head.
 * @length: Total length in bytes of all ranges.
 * @max_last: Highest byte address of any range (inclusive), 0 if empty.
 * @nr_ranges: Number of entries, which is the number of ranges yielded.
 * @nr_chunks: Number of allocated chunks (the inline @head not counted).
 * @tail_pos: Word index of the last entry within @tail.
 * @first_offset: Offset of the first byte of the list in its 4 KiB page;
 *                skipped at the start of the first entry unless it is BYTE.
 * @tail_trim: Bytes trimmed from the end of the last entry.
 * @mem_types: Bit n set if a range of &enum phyr_mem_type n is in the list,
 *             so a consumer can reject a type in O(1).
 * @head: First chunk, stored inline.
 * @inline_words: Room for the words of @head; must follow it directly.
 *
 * Treat as opaque and use the accessors of &struct phyr_list or &struct
 * dma_range_list.  A zero-filled store is a valid empty list.  Invariants:
 * only the first entry may start before its range (by @first_offset, less
 * than 4096) and only the last may end after it (by @tail_trim, less than
 * 4096); every other range is exactly the extent of its entry.
 */
struct phyr_store {
	struct phyr_chunk *tail;
	u64 length;
	u64 max_last;
	u32 nr_ranges;
	u32 nr_chunks;
	u16 tail_pos;
	u16 first_offset;
	u16 tail_trim;
	u8 mem_types;
	struct phyr_chunk head;
	u32 inline_words[PHYR_INLINE_WORDS];
};

/**
 * struct phyr_list - A list of CPU physical address ranges.
 * @store: Encoded ranges; use the phyr_list_*() accessors.
 *
 * Initialise with phyr_list_init() or by zero-filling, fill with
 * phyr_list_append(), walk with phyr_for_each_range() or
 * phyr_for_each_block(), release with phyr_list_destroy().  The list is not
 * copyable (it may point into itself); iterators are.
 */
struct phyr_list {
	struct phyr_store store;
};

/**
 * struct dma_range_list - A list of DMA address ranges.
 * @store: The ranges: @own, or the store of the CPU list this list aliases.
 * @aliased: True if @store belongs to a &struct phyr_list.
 * @own: Storage used when the list is not an alias.
 * @map_priv: Private to dma_map_phyrs() and dma_unmap_phyrs(): what the
 *            unmap needs to undo the mapping (the CPU list, or the
 *            temporary scatterlist of a device with &struct dma_map_ops).
 *            %NULL unless the list holds a mapping; nobody else may touch
 *            it.  dma_range_list_init() and dma_range_list_destroy() clear
 *            it.
 *
 * Same encoding and same costs as &struct phyr_list, as a distinct type.
 * An aliased list is read-only and never frees the aliased memory.  A
 * zero-filled dma_range_list is a valid empty list.
 */
struct dma_range_list {
	const struct phyr_store *store;
	bool aliased;
	struct phyr_store own;
	void *map_priv;
};

/**
 * struct phyr_iter - Cursor over a &struct phyr_list.
 * @chunk: Chunk holding the next entry.
 * @remaining: Bytes of the list not yet consumed.
 * @skip: Bytes of the next entry already consumed.
 * @block: Current block address (block iteration).
 * @block_last: Address of the last block of the current range.
 * @pos: Word index of the next entry in @chunk.
 * @pgshift: log2 of the block size (block iteration).
 * @in_block: A block has been returned (block iteration).
 *
 * A small value separate from the list, like &struct bvec_iter: it can be
 * copied to restart a walk from the same point.  The list must not be
 * modified while a cursor is in use.
 */
struct phyr_iter {
	const struct phyr_chunk *chunk;
	u64 remaining;
	u64 skip;
	u64 block;
	u64 block_last;
	u16 pos;
	u8 pgshift;
	bool in_block;
};

/**
 * struct dma_range_iter - Cursor over a &struct dma_range_list.
 * @it: The shared cursor.
 *
 * A distinct type so that a cursor started on one kind of list cannot
 * yield ranges of the other kind.
 */
struct dma_range_iter {
	struct phyr_iter it;
};

/*
 * Shared internals.  Use the typed phyr_list_*() and dma_range_list_*()
 * wrappers below; these take the store of either list type.
 */
int __must_check __phyr_store_append(struct phyr_store *store, u64 addr,
				     u64 len, enum phyr_mem_type type,
				     gfp_t gfp);
void __phyr_store_destroy(struct phyr_store *store);
u64 __phyr_store_num_blocks(const struct phyr_store *store,
			    unsigned long pgsz);
unsigned long __phyr_store_best_pgsz(const struct phyr_store *store,
				     unsigned long pgsz_bitmap, u64 iova);
void __phyr_iter_start(struct phyr_iter *iter, const struct phyr_store *store);
bool __phyr_iter_next(struct phyr_iter *iter, u64 *addr, u64 *len,
		      enum phyr_mem_type *type);
void __phyr_iter_advance(struct phyr_iter *iter, u64 bytes);
void __phyr_block_iter_start(struct phyr_iter *iter,
			     const struct phyr_store *store, unsigned long pgsz);
bool __phyr_block_iter_next(struct phyr_iter *iter);

/* For the KUnit suite only: the chunk allocator, which tests can stub. */
#if IS_ENABLED(CONFIG_KUNIT)
struct phyr_chunk *phyr_chunk_alloc(gfp_t gfp);
void phyr_chunk_free(struct phyr_chunk *chunk);
#endif

/**
 * phyr_list_init() - Initialise an empty CPU range list.
 * @pl: List.
 *
 * Equivalent to zero-filling @pl.
 *
 * Context: Any context.
 */
static inline void phyr_list_init(struct phyr_list *pl)
{
	*pl = (struct phyr_list){};
}

/**
 * phyr_list_append() - Add a range to the end of a CPU range list.
 * @pl: List.
 * @addr: Physical address of the first byte.
 * @len: Length in bytes.
 * @type: Memory type.
 * @gfp: Memory allocation flags.
 *
 * Merges with the last range when @addr follows it directly and @type is
 * the same, re-encoding the merged range in its densest form.  The list
 * must not be read or written concurrently.
 *
 * Context: Any context.  May sleep if @gfp flags permit.
 * Return: 0 on success; -EINVAL if @len is 0, @type is not valid or
 * @addr + @len - 1 overflows; -E2BIG if the list would exceed 2^32 - 1
 * ranges or a total length of U64_MAX bytes; -ENOMEM if a chunk could not be
 * allocated.  On error the list is unchanged.  Amortised O(1).
 */
static inline int __must_check phyr_list_append(struct phyr_list *pl,
						phys_addr_t addr, u64 len,
						enum phyr_mem_type type,
						gfp_t gfp)
{
	return __phyr_store_append(&pl->store, addr, len, type, gfp);
}

/**
 * phyr_list_destroy() - Free the memory of a CPU range list.
 * @pl: List; may be empty, zero-filled or left by a failed append.
 *
 * Leaves @pl empty and initialised, ready for reuse.  Does not touch the
 * memory the ranges describe (unpinning is the caller's business).
 *
 * Context: Any context.  O(chunks).
 */
static inline void phyr_list_destroy(struct phyr_list *pl)
{
	__phyr_store_destroy(&pl->store);
}

/**
 * phyr_list_nr_ranges() - Number of ranges in a CPU range list.
 * @pl: List.
 *
 * This is the number of iterations of phyr_for_each_range().  Two yielded
 * ranges may be contiguous (of different types, or split at the limits of
 * an entry), so this may exceed the number of maximal contiguous runs.
 *
 * Context: Any context.
 * Return: The number of ranges, in O(1).
 */
static inline u32 phyr_list_nr_ranges(const struct phyr_list *pl)
{
	return pl->store.nr_ranges;
}

/**
 * phyr_list_empty() - Test whether a CPU range list has no ranges.
 * @pl: List.
 *
 * Context: Any context.
 * Return: True if @pl is empty, in O(1).
 */
static inline bool phyr_list_empty(const struct phyr_list *pl)
{
	return !pl->store.nr_ranges;
}

/**
 * phyr_list_length() - Total length of a CPU range list.
 * @pl: List.
 *
 * Context: Any context.
 * Return: The sum of the lengths of all ranges in bytes, in O(1).
 */
static inline u64 phyr_list_length(const struct phyr_list *pl)
{
	return pl->store.length;
}

/**
 * phyr_list_first_offset() - Offset of the list start in its first page.
 * @pl: List.
 *
 * Context: Any context.
 * Return: The offset of the first byte of the list within its 4 KiB page
 * (0..4095), or 0 for an empty list, in O(1).
 */
static inline unsigned int phyr_list_first_offset(const struct phyr_list *pl)
{
	return pl->store.nr_ranges ? pl->store.first_offset : 0;
}

/**
 * phyr_list_max_addr() - Highest byte address in a CPU range list.
 * @pl: List.
 *
 * Every range fits under a DMA mask m if phyr_list_max_addr() <= m.
 *
 * Context: Any context.
 * Return: The highest address of any byte in the list (inclusive), or 0
 * for an empty list, in O(1).
 */
static inline u64 phyr_list_max_addr(const struct phyr_list *pl)
{
	return pl->store.max_last;
}

/**
 * phyr_list_has_mem_type() - Test whether a list holds a memory type.
 * @pl: List.
 * @type: Memory type.
 *
 * Context: Any context.
 * Return: True if some range of @pl has memory type @type, in O(1).
 */
static inline bool phyr_list_has_mem_type(const struct phyr_list *pl,
					  enum phyr_mem_type type)
{
	return (unsigned int)type < PHYR_MEM_NR_TYPES &&
	       (pl->store.mem_types & BIT(type));
}

/**
 * phyr_list_alloc_bytes() - Memory allocated for a CPU range list.
 * @pl: List.
 *
 * The inline storage inside @pl is not counted.
 *
 * Context: Any context.
 * Return: Bytes of chunks allocated by the list, in O(1).
 */
static inline size_t phyr_list_alloc_bytes(const struct phyr_list *pl)
{
	return (size_t)pl->store.nr_chunks * PHYR_CHUNK_SIZE;
}

/**
 * phyr_list_num_blocks() - Number of blocks of a given size in a list.
 * @pl: List.
 * @pgsz: Block size, a power of two.
 *
 * Counts the @pgsz-aligned blocks that phyr_for_each_block() visits: every
 * block touched by a range, where a block shared by the end of one range
 * and the start of the next is counted once.
 *
 * Context: Any context.
 * Return: The number of blocks, or 0 if @pgsz is not a power of two.
 * O(ranges).
 */
static inline u64 phyr_list_num_blocks(const struct phyr_list *pl,
				       unsigned long pgsz)
{
	return __phyr_store_num_blocks(&pl->store, pgsz);
}

/**
 * phyr_list_best_pgsz() - Largest page size that can map a list at an IOVA.
 * @pl: List.
 * @pgsz_bitmap: Page sizes the hardware supports, one bit each.
 * @iova: Address at which the first byte of @pl is to be mapped.
 *
 * Same contract as ib_umem_find_best_pgsz(): a page size qualifies if the
 * low bits of every range start match those of its IOVA and every
 * discontinuity falls on a page boundary in the IOVA space; page sizes
 * larger than needed to cover the whole list with one page are excluded
 * except the smallest of them.
 *
 * Context: Any context.
 * Return: The chosen page size, or 0 if no size in @pgsz_bitmap can map the
 * list, the list is empty or @iova + length - 1 overflows.  O(ranges).
 */
static inline unsigned long phyr_list_best_pgsz(const struct phyr_list *pl,
						unsigned long pgsz_bitmap,
						u64 iova)
{
	return __phyr_store_best_pgsz(&pl->store, pgsz_bitmap, iova);
}

/**
 * phyr_iter_start() - Start a range walk of a CPU range list.
 * @iter: Cursor to initialise.
 * @pl: List.
 *
 * Context: Any context.
 */
static inline void phyr_iter_start(struct phyr_iter *iter,
				   const struct phyr_list *pl)
{
	__phyr_iter_start(iter, &pl->store);
}

/**
 * phyr_iter_next() - Get the next range of a CPU range list.
 * @iter: Cursor.
 * @range: Filled with the next range.
 *
 * Ranges are byte exact: the first offset and total length of the list
 * are applied.
 *
 * Context: Any context.
 * Return: True if @range was filled, false at the end.  O(1).
 */
static inline bool phyr_iter_next(struct phyr_iter *iter, struct phyr *range)
{
	return __phyr_iter_next(iter, &range->addr, &range->len, &range->type);
}

/**
 * phyr_iter_advance() - Skip bytes in a range walk.
 * @iter: Cursor of a range walk (not a block walk).
 * @bytes: Number of bytes to skip.
 *
 * The next phyr_iter_next() starts @bytes further into the list.
 * Advancing past the end warns once and stops at the end.
 *
 * Context: Any context.  O(ranges skipped).
 */
static inline void phyr_iter_advance(struct phyr_iter *iter, u64 bytes)
{
	__phyr_iter_advance(iter, bytes);
}

/**
 * phyr_for_each_range() - Iterate over the ranges of a CPU range list.
 * @range: &struct phyr filled with each range.
 * @pl: List.
 * @iter: &struct phyr_iter used as the cursor.
 *
 * Performs exactly phyr_list_nr_ranges() iterations.
 */
#define phyr_for_each_range(range, pl, iter)			\
	for (phyr_iter_start(&(iter), (pl));			\
	     phyr_iter_next(&(iter), &(range));)

/**
 * phyr_block_iter_start() - Start a block walk of a CPU range list.
 * @iter: Cursor to initialise.
 * @pl: List.
 * @pgsz: Block size, a power of two.
 *
 * Context: Any context.
 */
static inline void phyr_block_iter_start(struct phyr_iter *iter,
					 const struct phyr_list *pl,
					 unsigned long pgsz)
{
	__phyr_block_iter_start(iter, &pl->store, pgsz);
}

/**
 * phyr_block_iter_next() - Step to the next block of a CPU range list.
 * @iter: Cursor started with phyr_block_iter_start().
 *
 * Context: Any context.
 * Return: True if there is a block, read with phyr_block_addr(); false at
 * the end.  Amortised O(1).
 */
static inline bool phyr_block_iter_next(struct phyr_iter *iter)
{
	return __phyr_block_iter_next(iter);
}

/**
 * phyr_block_addr() - Address of the current block.
 * @iter: Cursor of a block walk.
 *
 * Context: Any context.
 * Return: The current block address, aligned down to the block size.
 */
static inline u64 phyr_block_addr(const struct phyr_iter *iter)
{
	return iter->block;
}

/**
 * phyr_for_each_block() - Iterate over the aligned blocks of a list.
 * @pl: &struct phyr_list to walk.
 * @iter: &struct phyr_iter used as the cursor.
 * @pgsz: Block size, a power of two.
 *
 * Visits the @pgsz-aligned block of every byte of every range in list
 * order, the block shared by the end of one range and the start of the
 * next only once.  Read each block with phyr_block_addr().  Performs
 * exactly phyr_list_num_blocks(@pl, @pgsz) iterations, the contract of
 * rdma_umem_for_each_dma_block().
 */
#define phyr_for_each_block(pl, iter, pgsz)				\
	for (phyr_block_iter_start(&(iter), (pl), (pgsz));		\
	     phyr_block_iter_next(&(iter));)

/*
 * DMA range lists: the same operations on struct dma_range_list.
 */

static inline const struct phyr_store *
__dma_range_list_store(const struct dma_range_list *dl)
{
	return dl->aliased ? dl->store : &dl->own;
}

/**
 * dma_range_list_init() - Initialise an empty DMA range list.
 * @dl: List.
 *
 * Equivalent to zero-filling @dl.
 *
 * Context: Any context.
 */
static inline void dma_range_list_init(struct dma_range_list *dl)
{
	*dl = (struct dma_range_list){};
	dl->store = &dl->own;
}

/**
 * dma_range_list_alias() - Make a DMA range list an alias of a CPU list.
 * @dl: Empty DMA range list.
 * @pl: CPU range list whose addresses are also the DMA addresses.
 *
 * For identity mappings: @dl then reads the ranges of @pl without copying
 * or allocating anything.  @pl must stay alive and unchanged until @dl is
 * destroyed.  An aliased list cannot be appended to, and destroying it
 * leaves @pl alone.  If @dl was not empty it is emptied first (with a
 * warning).
 *
 * Context: Any context.
 */
static inline void dma_range_list_alias(struct dma_range_list *dl,
					const struct phyr_list *pl)
{
	if (WARN_ON_ONCE(!dl->aliased && dl->own.nr_ranges))
		__phyr_store_destroy(&dl->own);
	dl->store = &pl->store;
	dl->aliased = true;
}

/**
 * dma_range_list_is_alias() - Test whether a DMA list aliases a CPU list.
 * @dl: List.
 *
 * Context: Any context.
 * Return: True if @dl was set up with dma_range_list_alias().
 */
static inline bool dma_range_list_is_alias(const struct dma_range_list *dl)
{
	return dl->aliased;
}

/**
 * dma_range_list_append() - Add a range to the end of a DMA range list.
 * @dl: List, not an alias.
 * @addr: DMA address of the first byte.
 * @len: Length in bytes.
 * @type: Memory type.
 * @gfp: Memory allocation flags.
 *
 * As phyr_list_append().
 *
 * Context: Any context.  May sleep if @gfp flags permit.
 * Return: 0 on success; -EINVAL if @dl is an alias (with a warning), @len is
 * 0, @type is not valid or @addr + @len - 1 overflows; -E2BIG if the list
 * would exceed 2^32 - 1 ranges or a total length of U64_MAX bytes; -ENOMEM
 * if a chunk could not be allocated.  On error the list is unchanged.
 * Amortised O(1).
 */
static inline int __must_check dma_range_list_append(struct dma_range_list *dl,
						     dma_addr_t addr, u64 len,
						     enum phyr_mem_type type,
						     gfp_t gfp)
{
	if (WARN_ON_ONCE(dl->aliased))
		return -EINVAL;
	return __phyr_store_append(&dl->own, addr, len, type, gfp);
}

/**
 * dma_range_list_destroy() - Free the memory of a DMA range list.
 * @dl: List; may be empty, zero-filled, an alias or left by a failed append.
 *
 * An alias is simply dropped; the CPU list it aliases is not touched.
 * Leaves @dl empty and initialised.
 *
 * Context: Any context.  O(chunks).
 */
static inline void dma_range_list_destroy(struct dma_range_list *dl)
{
	if (!dl->aliased)
		__phyr_store_destroy(&dl->own);
	dma_range_list_init(dl);
}

/**
 * dma_range_list_nr_ranges() - Number of ranges in a DMA range list.
 * @dl: List.
 *
 * Context: Any context.
 * Return: The number of ranges dma_range_for_each_range() yields, in O(1).
 */
static inline u32 dma_range_list_nr_ranges(const struct dma_range_list *dl)
{
	return __dma_range_list_store(dl)->nr_ranges;
}

/**
 * dma_range_list_empty() - Test whether a DMA range list has no ranges.
 * @dl: List.
 *
 * Context: Any context.
 * Return: True if @dl is empty, in O(1).
 */
static inline bool dma_range_list_empty(const struct dma_range_list *dl)
{
	return !__dma_range_list_store(dl)->nr_ranges;
}

/**
 * dma_range_list_length() - Total length of a DMA range list.
 * @dl: List.
 *
 * Context: Any context.
 * Return: The sum of the lengths of all ranges in bytes, in O(1).
 */
static inline u64 dma_range_list_length(const struct dma_range_list *dl)
{
	return __dma_range_list_store(dl)->length;
}

/**
 * dma_range_list_first_offset() - Offset of the list start in its page.
 * @dl: List.
 *
 * Context: Any context.
 * Return: The offset of the first byte within its 4 KiB page (0..4095), or
 * 0 for an empty list, in O(1).
 */
static inline unsigned int
dma_range_list_first_offset(const struct dma_range_list *dl)
{
	const struct phyr_store *store = __dma_range_list_store(dl);

	return store->nr_ranges ? store->first_offset : 0;
}

/**
 * dma_range_list_max_addr() - Highest DMA address in a DMA range list.
 * @dl: List.
 *
 * Context: Any context.
 * Return: The highest address of any byte in the list (inclusive), or 0
 * for an empty list, in O(1).
 */
static inline u64 dma_range_list_max_addr(const struct dma_range_list *dl)
{
	return __dma_range_list_store(dl)->max_last;
}

/**
 * dma_range_list_alloc_bytes() - Memory allocated for a DMA range list.
 * @dl: List.
 *
 * Context: Any context.
 * Return: Bytes of chunks allocated by @dl itself (0 for an alias), O(1).
 */
static inline size_t dma_range_list_alloc_bytes(const struct dma_range_list *dl)
{
	return dl->aliased ? 0 : (size_t)dl->own.nr_chunks * PHYR_CHUNK_SIZE;
}

/**
 * dma_range_list_num_blocks() - Number of blocks of a given size in a list.
 * @dl: List.
 * @pgsz: Block size, a power of two.
 *
 * As phyr_list_num_blocks().
 *
 * Context: Any context.
 * Return: The number of blocks dma_range_for_each_block() visits, or 0 if
 * @pgsz is not a power of two.  O(ranges).
 */
static inline u64 dma_range_list_num_blocks(const struct dma_range_list *dl,
					    unsigned long pgsz)
{
	return __phyr_store_num_blocks(__dma_range_list_store(dl), pgsz);
}

/**
 * dma_range_list_best_pgsz() - Largest page size to map a DMA list with.
 * @dl: List.
 * @pgsz_bitmap: Page sizes the hardware supports, one bit each.
 * @iova: Device virtual address of the first byte of @dl.
 *
 * As phyr_list_best_pgsz(), the contract of ib_umem_find_best_pgsz().
 *
 * Context: Any context.
 * Return: The chosen page size, or 0 if none fits.  O(ranges).
 */
static inline unsigned long
dma_range_list_best_pgsz(const struct dma_range_list *dl,
			 unsigned long pgsz_bitmap, u64 iova)
{
	return __phyr_store_best_pgsz(__dma_range_list_store(dl), pgsz_bitmap,
				      iova);
}

/**
 * dma_range_iter_start() - Start a range walk of a DMA range list.
 * @iter: Cursor to initialise.
 * @dl: List.
 *
 * Context: Any context.
 */
static inline void dma_range_iter_start(struct dma_range_iter *iter,
					const struct dma_range_list *dl)
{
	__phyr_iter_start(&iter->it, __dma_range_list_store(dl));
}

/**
 * dma_range_iter_next() - Get the next range of a DMA range list.
 * @iter: Cursor.
 * @range: Filled with the next range.
 *
 * Context: Any context.
 * Return: True if @range was filled, false at the end.  O(1).
 */
static inline bool dma_range_iter_next(struct dma_range_iter *iter,
				       struct dma_range *range)
{
	return __phyr_iter_next(&iter->it, &range->addr, &range->len,
				&range->type);
}

/**
 * dma_range_iter_advance() - Skip bytes in a DMA range walk.
 * @iter: Cursor of a range walk.
 * @bytes: Number of bytes to skip.
 *
 * Advancing past the end warns once and stops at the end.
 *
 * Context: Any context.  O(ranges skipped).
 */
static inline void dma_range_iter_advance(struct dma_range_iter *iter,
					  u64 bytes)
{
	__phyr_iter_advance(&iter->it, bytes);
}

/**
 * dma_range_for_each_range() - Iterate over the ranges of a DMA list.
 * @range: &struct dma_range filled with each range.
 * @dl: List.
 * @iter: &struct dma_range_iter used as the cursor.
 *
 * Performs exactly dma_range_list_nr_ranges() iterations.
 */
#define dma_range_for_each_range(range, dl, iter)			\
	for (dma_range_iter_start(&(iter), (dl));			\
	     dma_range_iter_next(&(iter), &(range));)

/**
 * dma_range_block_iter_start() - Start a block walk of a DMA range list.
 * @iter: Cursor to initialise.
 * @dl: List.
 * @pgsz: Block size, a power of two.
 *
 * Context: Any context.
 */
static inline void dma_range_block_iter_start(struct dma_range_iter *iter,
					      const struct dma_range_list *dl,
					      unsigned long pgsz)
{
	__phyr_block_iter_start(&iter->it, __dma_range_list_store(dl), pgsz);
}

/**
 * dma_range_block_iter_next() - Step to the next block of a DMA list.
 * @iter: Cursor started with dma_range_block_iter_start().
 *
 * Context: Any context.
 * Return: True if there is a block, read with dma_range_block_addr();
 * false at the end.  Amortised O(1).
 */
static inline bool dma_range_block_iter_next(struct dma_range_iter *iter)
{
	return __phyr_block_iter_next(&iter->it);
}

/**
 * dma_range_block_addr() - DMA address of the current block.
 * @iter: Cursor of a block walk.
 *
 * Context: Any context.
 * Return: The current block's DMA address, aligned down to the block size.
 */
static inline u64 dma_range_block_addr(const struct dma_range_iter *iter)
{
	return iter->it.block;
}

/**
 * dma_range_for_each_block() - Iterate over the aligned blocks of a list.
 * @dl: &struct dma_range_list to walk.
 * @iter: &struct dma_range_iter used as the cursor.
 * @pgsz: Block size, a power of two.
 *
 * As phyr_for_each_block(): performs exactly
 * dma_range_list_num_blocks(@dl, @pgsz) iterations; read each block with
 * dma_range_block_addr().
 */
#define dma_range_for_each_block(dl, iter, pgsz)			\
	for (dma_range_block_iter_start(&(iter), (dl), (pgsz));	\
	     dma_range_block_iter_next(&(iter));)

#endif /* _LINUX_PHYR_H */
