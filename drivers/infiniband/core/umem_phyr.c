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

#ifdef CONFIG_INFINIBAND_UMEM_BENCHMARK
/*
 * A/B registration benchmark, debugfs "ib_umem_bench": write
 * "DEVICE ADDR LEN ROUNDS" (ADDR and LEN in hex, a buffer of the writing
 * process), read back one line of figures.  Side A is ib_umem_get() +
 * ib_umem_release() on DEVICE; side B is the Linux 6.12 algorithm on the
 * same buffer and device, kept here and nowhere else: pin_user_pages_fast()
 * into a one-page array, sg_alloc_append_table_from_pages(),
 * ib_dma_map_sgtable_attrs(), and the reverse.  Rounds alternate ABBA;
 * the best time of each side is reported, with the bytes each keeps for
 * the life of an MR.
 */
#include <linux/debugfs.h>
#include <linux/ktime.h>
#include <linux/mutex.h>
#include <linux/uaccess.h>

struct umem_bench_side {
	u64 get_ns;
	u64 put_ns;
	size_t bytes;
	u64 entries;
};

static DEFINE_MUTEX(umem_bench_lock);
static char umem_bench_out[512];

static int umem_bench_phyr(struct ib_device *dev, unsigned long addr,
			   size_t len, struct umem_bench_side *s)
{
	struct ib_umem *umem;
	u64 t0, t1;

	t0 = ktime_get_ns();
	umem = ib_umem_get(dev, addr, len, IB_ACCESS_LOCAL_WRITE);
	t1 = ktime_get_ns();
	if (IS_ERR(umem))
		return PTR_ERR(umem);
	s->get_ns = t1 - t0;
	s->bytes = phyr_list_alloc_bytes(&umem->phyrs) +
		   dma_range_list_alloc_bytes(&umem->dma_ranges);
	s->entries = phyr_list_nr_ranges(&umem->phyrs);
	t0 = ktime_get_ns();
	ib_umem_release(umem);
	s->put_ns = ktime_get_ns() - t0;
	return 0;
}

static int umem_bench_sg(struct ib_device *dev, unsigned long addr,
			 size_t len, struct umem_bench_side *s)
{
	unsigned long cur = addr & PAGE_MASK;
	unsigned long left = (PAGE_ALIGN(addr + len) - cur) >> PAGE_SHIFT;
	struct sg_append_table sgt = {};
	struct scatterlist *sg;
	struct page **pages;
	u64 t0, t1;
	int ret = 0;
	int i;

	t0 = ktime_get_ns();
	pages = (struct page **)__get_free_page(GFP_KERNEL);
	if (!pages)
		return -ENOMEM;
	while (left) {
		int got = pin_user_pages_fast(cur,
					      min(left, PAGE_SIZE / sizeof(*pages)),
					      FOLL_WRITE | FOLL_LONGTERM, pages);

		if (got <= 0) {
			ret = got ?: -EFAULT;
			goto unpin;
		}
		cur += (unsigned long)got << PAGE_SHIFT;
		left -= got;
		ret = sg_alloc_append_table_from_pages(&sgt, pages, got, 0,
						       (unsigned long)got << PAGE_SHIFT,
						       ib_dma_max_seg_size(dev),
						       left, GFP_KERNEL);
		if (ret) {
			unpin_user_pages(pages, got);
			goto unpin;
		}
	}
	ret = ib_dma_map_sgtable_attrs(dev, &sgt.sgt, DMA_BIDIRECTIONAL, 0);
	if (ret)
		goto unpin;
	t1 = ktime_get_ns();
	s->get_ns = t1 - t0;
	/* 32 B per entry and per chain link between 4 KiB blocks */
	s->entries = sgt.sgt.orig_nents;
	s->bytes = (s->entries + DIV_ROUND_UP(s->entries, SG_MAX_SINGLE_ALLOC - 1) - 1) *
		   sizeof(struct scatterlist);
	t0 = ktime_get_ns();
	ib_dma_unmap_sgtable_attrs(dev, &sgt.sgt, DMA_BIDIRECTIONAL, 0);

unpin:
	for_each_sgtable_sg(&sgt.sgt, sg, i)
		unpin_user_page_range_dirty_lock(sg_page(sg),
						 DIV_ROUND_UP(sg->length, PAGE_SIZE),
						 !ret);
	sg_free_append_table(&sgt);
	free_page((unsigned long)pages);
	if (!ret)
		s->put_ns = ktime_get_ns() - t0;
	return ret;
}

static void umem_bench_keep_best(struct umem_bench_side *best,
				 const struct umem_bench_side *s)
{
	if (!best->get_ns || s->get_ns < best->get_ns)
		best->get_ns = s->get_ns;
	if (!best->put_ns || s->put_ns < best->put_ns)
		best->put_ns = s->put_ns;
	best->bytes = s->bytes;
	best->entries = s->entries;
}

static ssize_t umem_bench_write(struct file *file, const char __user *ubuf,
				size_t count, loff_t *ppos)
{
	struct umem_bench_side a = {}, b = {}, s;
	char buf[128], name[IB_DEVICE_NAME_MAX];
	unsigned long addr, len;
	struct ib_device *dev;
	unsigned int rounds, i;
	int ret = 0;

	if (count >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = 0;
	if (sscanf(buf, "%63s %lx %lx %u", name, &addr, &len, &rounds) != 4 ||
	    !len || !rounds || rounds > 100)
		return -EINVAL;
	dev = ib_device_get_by_name(name, RDMA_DRIVER_UNKNOWN);
	if (!dev)
		return -ENODEV;

	mutex_lock(&umem_bench_lock);
	for (i = 0; i < rounds && !ret; i++) {
		bool a_first = (i & 3) == 0 || (i & 3) == 3;

		memset(&s, 0, sizeof(s));
		ret = a_first ? umem_bench_phyr(dev, addr, len, &s) :
				umem_bench_sg(dev, addr, len, &s);
		if (ret)
			break;
		umem_bench_keep_best(a_first ? &a : &b, &s);
		memset(&s, 0, sizeof(s));
		ret = a_first ? umem_bench_sg(dev, addr, len, &s) :
				umem_bench_phyr(dev, addr, len, &s);
		if (ret)
			break;
		umem_bench_keep_best(a_first ? &b : &a, &s);
	}
	if (!ret)
		snprintf(umem_bench_out, sizeof(umem_bench_out),
			 "phyr get_ns %llu put_ns %llu bytes %zu ranges %llu sg get_ns %llu put_ns %llu bytes %zu nents %llu\n",
			 a.get_ns, a.put_ns, a.bytes, a.entries,
			 b.get_ns, b.put_ns, b.bytes, b.entries);
	mutex_unlock(&umem_bench_lock);
	ib_device_put(dev);
	return ret ?: count;
}

static ssize_t umem_bench_read(struct file *file, char __user *ubuf,
			       size_t count, loff_t *ppos)
{
	ssize_t ret;

	mutex_lock(&umem_bench_lock);
	ret = simple_read_from_buffer(ubuf, count, ppos, umem_bench_out,
				      strlen(umem_bench_out));
	mutex_unlock(&umem_bench_lock);
	return ret;
}

static const struct file_operations umem_bench_fops = {
	.owner = THIS_MODULE,
	.write = umem_bench_write,
	.read = umem_bench_read,
};

static int __init umem_bench_init(void)
{
	debugfs_create_file("ib_umem_bench", 0600, NULL, NULL,
			    &umem_bench_fops);
	return 0;
}
late_initcall(umem_bench_init);
#endif /* CONFIG_INFINIBAND_UMEM_BENCHMARK */
