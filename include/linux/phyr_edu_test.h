/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Interface of the phyr edu test driver (drivers/misc/phyr_edu_test.c),
 * shared with its userspace half, tools/testing/selftests/dma/phyr_edu.c.
 * Each edu device bound to the driver has a file
 * /sys/kernel/debug/phyr_edu/<pci-name> taking these ioctls.
 */
#ifndef _LINUX_PHYR_EDU_TEST_H
#define _LINUX_PHYR_EDU_TEST_H

#include <linux/const.h>
#include <linux/ioctl.h>
#include <linux/types.h>

/* Blocks one PHYR_EDU_XFER moves; the edu engine copies at most 4095 B. */
#define PHYR_EDU_MAX_BLOCKS	32
#define PHYR_EDU_MAX_BLOCK_LEN	4095

/* Map through a dma_map_ops shim (->map_sg), not the device's own path. */
#define PHYR_EDU_F_LEGACY_OPS	_BITUL(0)
/* Read each source block one page off: the data check must then fail. */
#define PHYR_EDU_F_BREAK_ADDR	_BITUL(1)

/* Out flags: how the buffers were mapped. */
#define PHYR_EDU_O_SRC_ALIAS	_BITUL(0)
#define PHYR_EDU_O_DST_ALIAS	_BITUL(1)

/**
 * struct phyr_edu_xfer - Copy sampled blocks between two user buffers.
 * @src: User address of the source buffer (read by the device).
 * @dst: User address of the destination buffer (written by the device).
 * @len: Length of each buffer in bytes.
 * @offsets: Byte offset of each block, the same in both buffers.
 * @nr_blocks: Number of @offsets used, at most PHYR_EDU_MAX_BLOCKS.
 * @block_len: Bytes per block, 1 to PHYR_EDU_MAX_BLOCK_LEN.
 * @flags: PHYR_EDU_F_* flags.
 * @out_flags: PHYR_EDU_O_* flags, set by the driver.
 * @src_ranges: Ranges of the pinned source's phyr list.
 * @src_dma_ranges: Ranges of its DMA list.
 * @dst_ranges: Ranges of the pinned destination's phyr list.
 * @dst_dma_ranges: Ranges of its DMA list.
 * @edu_dmas: DMA operations the edu engine performed.
 * @reserved: Must be 0.
 * @dma_alloc_bytes: Bytes allocated for both DMA lists.
 *
 * The driver pins both buffers, builds their phyr lists, maps @src with
 * DMA_TO_DEVICE and @dst with DMA_FROM_DEVICE using dma_map_phyrs(), and
 * for each block has edu copy it from @src into its internal buffer and
 * from there into @dst, one DMA per DMA range the block spans.  The
 * caller then compares the buffers.
 */
struct phyr_edu_xfer {
	__u64 src;
	__u64 dst;
	__u64 len;
	__u64 offsets[PHYR_EDU_MAX_BLOCKS];
	__u32 nr_blocks;
	__u32 block_len;
	__u32 flags;
	__u32 out_flags;
	__u32 src_ranges;
	__u32 src_dma_ranges;
	__u32 dst_ranges;
	__u32 dst_dma_ranges;
	__u32 edu_dmas;
	__u32 reserved;
	__u64 dma_alloc_bytes;
};

/**
 * struct phyr_edu_bench - Time dma_map_sgtable() against dma_map_phyrs().
 * @addr: User address of the buffer.
 * @len: Its length in bytes.
 * @iters: Least number of map/unmap rounds of each API per block; more
 *         are run, up to 10000, until the block has lasted 50 ms.  The
 *         blocks run in the order sgtable, phyrs, phyrs, sgtable.
 * @flags: PHYR_EDU_F_LEGACY_OPS or 0.
 * @sg_map_ns: Total time of dma_map_sgtable() over @sg_rounds rounds.
 * @sg_unmap_ns: Total time of dma_unmap_sgtable().
 * @phyr_map_ns: Total time of dma_map_phyrs() over @phyr_rounds rounds.
 * @phyr_unmap_ns: Total time of dma_unmap_phyrs().
 * @sg_rounds: Rounds of dma_map_sgtable() + dma_unmap_sgtable().
 * @phyr_rounds: Rounds of dma_map_phyrs() + dma_unmap_phyrs().
 * @clock_ns: Cost of one ktime_get(), already subtracted from each time.
 * @sg_walk_ns: One walk of the scatterlist (for_each_sgtable_sg(), reading
 *              each entry's physical address and length).
 * @phyr_walk_ns: One walk of the phyr list (phyr_for_each_range()).
 * @nr_pages: Pages pinned.
 * @sg_nents: Entries of the scatterlist, built like ib_umem_get() does.
 * @sg_dma_nents: DMA entries dma_map_sgtable() produced.
 * @phyr_ranges: Ranges of the phyr list.
 * @phyr_dma_ranges: Ranges of the DMA list dma_map_phyrs() produced.
 * @out_flags: PHYR_EDU_O_SRC_ALIAS if the DMA list aliased the phyr list.
 * @sg_bytes: Bytes of scatterlist entries.
 * @phyr_bytes: Bytes of the phyr list (struct and chunks).
 * @dma_list_bytes: Bytes allocated for the DMA list.
 *
 * The buffer is pinned once and both descriptions are built once, outside
 * the timed loops; the mappings are DMA_BIDIRECTIONAL.  Each map and each
 * unmap is timed on its own with ktime_get(), whose cost is measured and
 * subtracted (under emulation a clock read is not free).
 */
struct phyr_edu_bench {
	__u64 addr;
	__u64 len;
	__u32 iters;
	__u32 flags;
	__u64 sg_map_ns;
	__u64 sg_unmap_ns;
	__u64 phyr_map_ns;
	__u64 phyr_unmap_ns;
	__u32 sg_rounds;
	__u32 phyr_rounds;
	__u64 clock_ns;
	__u64 sg_walk_ns;
	__u64 phyr_walk_ns;
	__u32 nr_pages;
	__u32 sg_nents;
	__u32 sg_dma_nents;
	__u32 phyr_ranges;
	__u32 phyr_dma_ranges;
	__u32 out_flags;
	__u64 sg_bytes;
	__u64 phyr_bytes;
	__u64 dma_list_bytes;
};

#define PHYR_EDU_XFER	_IOWR('p', 0x60, struct phyr_edu_xfer)
#define PHYR_EDU_BENCH	_IOWR('p', 0x61, struct phyr_edu_bench)

#endif /* _LINUX_PHYR_EDU_TEST_H */
