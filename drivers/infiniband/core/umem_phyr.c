// SPDX-License-Identifier: GPL-2.0-only
/*
 * ib_umem on phyr lists: pinning, mapping and walking user memory for RDMA
 *
 * A umem registered with ib_umem_get() used to be an append sg_table built
 * from a one-page scratch array of page pointers: every 4 KiB page went
 * through that array, through a mergeability test, and left a 32-byte
 * scatterlist entry behind for the life of the MR unless it merged.  Here
 * the umem keeps two range lists instead (include/linux/phyr.h):
 *
 *  umem->phyrs       the pinned memory, as get_user_phyrs() wrote it: one
 *                    8-byte entry per naturally aligned run (a THP or a
 *                    hugetlb page is one entry), byte exact: the first range
 *                    starts at the physical address of umem->address and
 *                    the ranges add up to umem->length.
 *  umem->dma_ranges  the same bytes in the device's DMA address space, from
 *                    dma_map_phyrs(): an alias of umem->phyrs when the
 *                    mapping is an identity (no copy, no allocation), one
 *                    range behind an IOMMU.  Devices that use virtual DMA
 *                    (ib_uses_virt_dma(): rxe, siw, rdmavt) are not mapped
 *                    at all and get the alias, so walking the DMA list of
 *                    such a umem yields CPU physical addresses; those
 *                    drivers walk the pinned pages instead.
 *
 * dma-buf umems have no CPU list; their DMA list is built once from the
 * exporter's sg_table when it is mapped, clipped to the umem's window, so
 * that drivers see one representation for every kind of umem.  ODP umems
 * have neither list.
 *
 * Rules
 *
 *  - All or nothing: ib_umem_phyr_pin() leaves nothing pinned or mapped on
 *    error.  Unpinning never fails.
 *  - The RLIMIT_MEMLOCK / pinned_vm accounting, the IB_ACCESS_* checks and
 *    the fork semantics (FOLL_LONGTERM pins, as before) stay in umem.c.
 *  - Everything is byte exact; helpers that need whole pages round out
 *    (ib_umem_for_each_dma_range()).
 *
 * Costs: pinning is O(leaves) with one pin per folio and leaf; the lists
 * take 8 to 12 bytes per physically contiguous run, rounded up to 4 KiB
 * chunks beyond the inline room of the list.
 */
#include <linux/dma-mapping.h>
#include <linux/gup_phyr.h>
#include <linux/highmem.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/phyr.h>
#include <linux/scatterlist.h>
#include <rdma/ib_umem.h>
#include <rdma/ib_verbs.h>

#include "uverbs.h"

/**
 * ib_umem_phyr_pin() - Pin and map the memory of a umem.
 * @umem: umem with @ibdev, @address, @length and @writable set, and empty
 *        lists (zero-filled).
 * @gup_flags: FOLL_LONGTERM, with FOLL_WRITE if the device may write.
 * @dma_attrs: DMA_ATTR_* for the mapping (DMA_ATTR_WEAK_ORDERING, say).
 *
 * Pins [@address, @address + @length) into @umem->phyrs and maps it for
 * @umem->ibdev into @umem->dma_ranges, bidirectionally.  A device that
 * uses virtual DMA is not mapped: its DMA list aliases the CPU list.
 *
 * Context: Process context; may sleep.  Takes the mmap_lock for read if
 * the range is not populated.
 * Return: 0 on success.  On error nothing is pinned or mapped and both
 * lists are empty: an errno of get_user_phyrs() (-EFAULT for memory that
 * is not mapped or not writable with FOLL_WRITE, -ENOMEM, -EINTR, ...) or
 * of dma_map_phyrs() (-EINVAL, -ENOMEM, -EIO, -EREMOTEIO).
 * Cost: O(leaves) to pin, O(1) to alias, O(ranges) to map otherwise.
 */
int ib_umem_phyr_pin(struct ib_umem *umem, unsigned int gup_flags,
		     unsigned long dma_attrs)
{
	struct ib_device *dev = umem->ibdev;
	int ret;

	might_sleep();
	phyr_list_init(&umem->phyrs);
	dma_range_list_init(&umem->dma_ranges);

	ret = get_user_phyrs(umem->address, umem->length, gup_flags,
			     &umem->phyrs);
	if (ret)
		return ret;

	if (ib_uses_virt_dma(dev)) {
		dma_range_list_alias(&umem->dma_ranges, &umem->phyrs);
		return 0;
	}
	ret = dma_map_phyrs(dev->dma_device, &umem->phyrs, DMA_BIDIRECTIONAL,
			    dma_attrs, &umem->dma_ranges);
	if (ret)
		goto unpin;
	return 0;

unpin:
	unpin_user_phyrs(&umem->phyrs);
	return ret;
}

/**
 * ib_umem_phyr_unpin() - Unmap and unpin what ib_umem_phyr_pin() set up.
 * @umem: umem pinned by ib_umem_phyr_pin().
 *
 * Unmaps @umem->dma_ranges (drops the alias of a virtual DMA device), then
 * releases the pins folio by folio, dirtying the memory if @umem is
 * writable.  Both lists are left empty.
 *
 * Context: Process context; may sleep.
 * Cost: O(ranges + folios), never per page.
 */
void ib_umem_phyr_unpin(struct ib_umem *umem)
{
	struct ib_device *dev = umem->ibdev;

	might_sleep();
	if (ib_uses_virt_dma(dev))
		dma_range_list_destroy(&umem->dma_ranges);
	else
		dma_unmap_phyrs(dev->dma_device, &umem->dma_ranges,
				DMA_BIDIRECTIONAL, 0);
	unpin_user_phyrs_dirty_lock(&umem->phyrs, umem->writable);
}

/**
 * ib_umem_phyr_copy() - Copy bytes out of the pinned memory of a umem.
 * @dst: Destination buffer.
 * @umem: umem pinned by ib_umem_phyr_pin().
 * @offset: Offset from @umem->address of the first byte to copy.
 * @length: Number of bytes.
 *
 * The caller has checked that [@offset, @offset + @length) is within
 * @umem->length.
 *
 * Context: Process context (kmap_local_page()).
 * Return: 0 on success; -EINVAL if @umem has fewer CPU bytes than asked
 * for (ODP and dma-buf umems have none).  O(ranges + pages copied).
 */
int ib_umem_phyr_copy(void *dst, struct ib_umem *umem, size_t offset,
		      size_t length)
{
	struct phyr_iter iter;
	struct phyr range;

	if (phyr_list_length(&umem->phyrs) < (u64)offset + length)
		return -EINVAL;

	phyr_iter_start(&iter, &umem->phyrs);
	phyr_iter_advance(&iter, offset);
	while (length && phyr_iter_next(&iter, &range)) {
		u64 addr = range.addr;
		u64 left = min_t(u64, range.len, length);

		while (left) {
			size_t in_page = offset_in_page(addr);
			size_t n = min_t(u64, left, PAGE_SIZE - in_page);
			void *src;

			src = kmap_local_page(pfn_to_page(PHYS_PFN(addr)));
			memcpy(dst, src + in_page, n);
			kunmap_local(src);
			dst += n;
			addr += n;
			left -= n;
			length -= n;
		}
	}
	return length ? -EINVAL : 0;
}

/**
 * ib_umem_phyr_from_sgt() - Build the DMA list of a dma-buf umem.
 * @umem: dma-buf umem with an empty DMA list.
 * @sgt: The exporter's DMA-mapped table for the whole dma-buf.
 *
 * Appends the DMA ranges of @sgt that fall within [@umem->address,
 * @umem->address + @umem->length) to @umem->dma_ranges, byte exact.  @sgt
 * is left untouched.
 *
 * Context: Process context; may sleep (GFP_KERNEL).
 * Return: 0 on success; -EINVAL if @sgt is shorter than the window; -ENOMEM
 * or -E2BIG from dma_range_list_append().  On error the list is empty.
 * O(entries of @sgt).
 */
int ib_umem_phyr_from_sgt(struct ib_umem *umem, struct sg_table *sgt)
{
	u64 start = umem->address, end = umem->address + umem->length;
	struct scatterlist *sg;
	u64 cur = 0;
	int ret = 0;
	int i;

	might_alloc(GFP_KERNEL);
	dma_range_list_init(&umem->dma_ranges);
	for_each_sgtable_dma_sg(sgt, sg, i) {
		u64 len = sg_dma_len(sg);
		u64 lo = max(cur, start), hi = min(cur + len, end);

		if (lo < hi) {
			ret = dma_range_list_append(&umem->dma_ranges,
						    sg_dma_address(sg) + lo - cur,
						    hi - lo, PHYR_MEM_RAM,
						    GFP_KERNEL);
			if (ret)
				goto destroy;
		}
		cur += len;
		if (cur >= end)
			return 0;
	}
	ret = -EINVAL;

destroy:
	dma_range_list_destroy(&umem->dma_ranges);
	return ret;
}
