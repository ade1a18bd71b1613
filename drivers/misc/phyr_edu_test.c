// SPDX-License-Identifier: GPL-2.0-only
/*
 * phyr_edu_test - prove that dma_map_phyrs() mappings carry data
 *
 * A test driver for QEMU's "edu" PCI device (1234:11e8), whose DMA engine
 * copies up to 4 KiB between a DMA address and a buffer inside the device.
 * Userspace (tools/testing/selftests/dma/phyr_edu.c) hands it two buffers
 * through an ioctl on /sys/kernel/debug/phyr_edu/<pci-name>; the driver
 * pins them, maps them with dma_map_phyrs() and has the device copy
 * sampled blocks from one to the other through the DMA lists, so a wrong
 * DMA address shows up as wrong bytes.  A second ioctl times
 * dma_map_sgtable() against dma_map_phyrs() on the same pinned buffer.
 *
 * The device's DMA mask: QEMU's edu defaults to 28 bits; the phyr harness
 * widens it with -device edu,dma_mask=0xffffffffffffffff, and the driver
 * sets a 64-bit mask to match.  With QEMU's default, use a guest with less
 * than 256 MiB or an IOMMU.
 *
 * Registers (QEMU hw/misc/edu.c): 0x80 source, 0x88 destination, 0x90
 * count, 0x98 command (bit 0 start, cleared when done; bit 1 direction,
 * set for edu buffer to RAM).  The buffer sits at 0x40000 in the device's
 * own address space.  A transfer completes 100 ms (virtual time) after it
 * is started.
 */
#include <linux/debugfs.h>
#include <linux/dma-map-ops.h>
#include <linux/dma-mapping.h>
#include <linux/iommu-dma.h>
#include <linux/io.h>
#include <linux/io-64-nonatomic-lo-hi.h>
#include <linux/iopoll.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/phyr.h>
#include <linux/phyr_edu_test.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#define EDU_VENDOR_ID		0x1234
#define EDU_DEVICE_ID		0x11e8

#define EDU_REG_DMA_SRC		0x80
#define EDU_REG_DMA_DST		0x88
#define EDU_REG_DMA_CNT		0x90
#define EDU_REG_DMA_CMD		0x98
#define EDU_DMA_RUN		BIT(0)
#define EDU_DMA_TO_RAM		BIT(1)
#define EDU_BUF_ADDR		0x40000
#define EDU_DMA_TIMEOUT_US	(5 * USEC_PER_SEC)

struct phyr_edu {
	struct pci_dev *pdev;
	void __iomem *regs;
	struct dentry *file;
	struct mutex lock;	/* one DMA engine: one ioctl at a time */
};

static struct dentry *phyr_edu_dir;
static u64 phyr_edu_sink;

/* One edu transfer: @count bytes between @dma and edu buffer offset @off. */
static int phyr_edu_dma(struct phyr_edu *edu, dma_addr_t dma, u32 off,
			u32 count, bool to_ram)
{
	u64 cmd;

	lockdep_assert_held(&edu->lock);
	if (WARN_ON_ONCE(!count || off + count > PHYR_EDU_MAX_BLOCK_LEN))
		return -EINVAL;
	writeq(to_ram ? EDU_BUF_ADDR + off : dma, edu->regs + EDU_REG_DMA_SRC);
	writeq(to_ram ? dma : EDU_BUF_ADDR + off, edu->regs + EDU_REG_DMA_DST);
	writeq(count, edu->regs + EDU_REG_DMA_CNT);
	writeq(EDU_DMA_RUN | (to_ram ? EDU_DMA_TO_RAM : 0),
	       edu->regs + EDU_REG_DMA_CMD);
	return readq_poll_timeout(edu->regs + EDU_REG_DMA_CMD, cmd,
				  !(cmd & EDU_DMA_RUN), 2000,
				  EDU_DMA_TIMEOUT_US);
}

/*
 * Copy @len bytes at byte @off of the memory described by @dl to or from
 * the edu buffer, one transfer per DMA range crossed.  @skew is added to
 * every DMA address (0, or PAGE_SIZE to prove that a wrong address fails).
 */
static int phyr_edu_copy(struct phyr_edu *edu, const struct dma_range_list *dl,
			 u64 off, u32 len, bool to_ram, u64 skew, u32 *nr_dmas)
{
	struct dma_range_iter iter;
	struct dma_range r;
	u32 done = 0;
	int ret;

	dma_range_iter_start(&iter, dl);
	dma_range_iter_advance(&iter, off);
	while (done < len) {
		u32 n;

		if (!dma_range_iter_next(&iter, &r))
			return -EINVAL;
		n = min_t(u64, len - done, r.len);
		ret = phyr_edu_dma(edu, r.addr + skew, done, n, to_ram);
		if (ret)
			return ret;
		(*nr_dmas)++;
		done += n;
	}
	return 0;
}

/* A pinned user buffer and its lists. */
struct phyr_edu_buf {
	struct page **pages;
	unsigned long nr_pages;
	unsigned long nr_pinned;
	struct phyr_list pl;
	struct dma_range_list dl;
	bool dirty;
};

static void phyr_edu_unpin(struct phyr_edu_buf *b)
{
	phyr_list_destroy(&b->pl);
	if (b->nr_pinned)
		unpin_user_pages_dirty_lock(b->pages, b->nr_pinned, b->dirty);
	kvfree(b->pages);
	b->pages = NULL;
	b->nr_pinned = 0;
}

/* Pin [@uaddr, @uaddr + @len) and describe it with a phyr list. */
static int phyr_edu_pin(struct phyr_edu_buf *b, u64 uaddr, u64 len,
			bool write)
{
	unsigned long start = uaddr & PAGE_MASK;
	unsigned int first_off = offset_in_page(uaddr);
	u64 end, i;
	int ret;

	if (!len || check_add_overflow(uaddr, len, &end))
		return -EINVAL;
	b->nr_pages = DIV_ROUND_UP(first_off + len, PAGE_SIZE);
	b->pages = kvmalloc_array(b->nr_pages, sizeof(*b->pages), GFP_KERNEL);
	if (!b->pages)
		return -ENOMEM;
	b->dirty = write;
	phyr_list_init(&b->pl);
	dma_range_list_init(&b->dl);
	while (b->nr_pinned < b->nr_pages) {
		ret = pin_user_pages_fast(start + b->nr_pinned * PAGE_SIZE,
					  min(b->nr_pages - b->nr_pinned, 65536UL),
					  write ? FOLL_WRITE : 0,
					  b->pages + b->nr_pinned);
		if (ret <= 0) {
			ret = ret ?: -EFAULT;
			goto out_unpin;
		}
		b->nr_pinned += ret;
	}
	/* One append per page: the builder merges contiguous pages */
	for (i = 0; i < b->nr_pages; i++) {
		u64 lo = i ? 0 : first_off;
		u64 hi = min_t(u64, PAGE_SIZE, first_off + len - i * PAGE_SIZE);

		ret = phyr_list_append(&b->pl, page_to_phys(b->pages[i]) + lo,
				       hi - lo, PHYR_MEM_RAM, GFP_KERNEL);
		if (ret)
			goto out_unpin;
		cond_resched();
	}
	return 0;

out_unpin:
	phyr_edu_unpin(b);
	return ret;
}

/*
 * A dma_map_ops shim for the legacy path: identity DMA addresses, valid
 * where the device reaches physical memory directly (no IOMMU in the
 * way).  It only counts what is mapped.
 */
static atomic_t phyr_edu_shim_mapped = ATOMIC_INIT(0);

static int phyr_edu_shim_map_sg(struct device *dev, struct scatterlist *sgl,
				int nents, enum dma_data_direction dir,
				unsigned long attrs)
{
	struct scatterlist *s;
	int i;

	for_each_sg(sgl, s, nents, i) {
		sg_dma_address(s) = sg_phys(s);
		sg_dma_len(s) = s->length;
	}
	atomic_inc(&phyr_edu_shim_mapped);
	return nents;
}

static void phyr_edu_shim_unmap_sg(struct device *dev, struct scatterlist *sgl,
				   int nents, enum dma_data_direction dir,
				   unsigned long attrs)
{
	atomic_dec(&phyr_edu_shim_mapped);
}

static const struct dma_map_ops phyr_edu_shim_ops = {
	.map_sg = phyr_edu_shim_map_sg,
	.unmap_sg = phyr_edu_shim_unmap_sg,
};

/* Use the shim for the device while @on; only without an IOMMU domain. */
static int phyr_edu_shim(struct phyr_edu *edu, bool on)
{
	struct device *dev = &edu->pdev->dev;

	if (!IS_ENABLED(CONFIG_ARCH_HAS_DMA_OPS) || use_dma_iommu(dev))
		return -EOPNOTSUPP;
	set_dma_ops(dev, on ? &phyr_edu_shim_ops : NULL);
	return 0;
}

static long phyr_edu_xfer(struct phyr_edu *edu, struct phyr_edu_xfer *x)
{
	struct device *dev = &edu->pdev->dev;
	u64 skew = x->flags & PHYR_EDU_F_BREAK_ADDR ? PAGE_SIZE : 0;
	struct phyr_edu_buf src = {}, dst = {};
	bool legacy = x->flags & PHYR_EDU_F_LEGACY_OPS;
	u32 i;
	int ret;

	if (x->flags & ~(PHYR_EDU_F_LEGACY_OPS | PHYR_EDU_F_BREAK_ADDR) ||
	    x->reserved ||
	    !x->nr_blocks || x->nr_blocks > PHYR_EDU_MAX_BLOCKS ||
	    !x->block_len || x->block_len > PHYR_EDU_MAX_BLOCK_LEN)
		return -EINVAL;
	for (i = 0; i < x->nr_blocks; i++)
		if (x->offsets[i] > x->len ||
		    x->len - x->offsets[i] < x->block_len)
			return -EINVAL;

	ret = phyr_edu_pin(&src, x->src, x->len, false);
	if (ret)
		return ret;
	ret = phyr_edu_pin(&dst, x->dst, x->len, true);
	if (ret)
		goto out_unpin_src;
	if (legacy) {
		ret = phyr_edu_shim(edu, true);
		if (ret)
			goto out_unpin_dst;
	}
	ret = dma_map_phyrs(dev, &src.pl, DMA_TO_DEVICE, 0, &src.dl);
	if (ret)
		goto out_shim;
	ret = dma_map_phyrs(dev, &dst.pl, DMA_FROM_DEVICE, 0, &dst.dl);
	if (ret)
		goto out_unmap_src;

	x->out_flags = (dma_range_list_is_alias(&src.dl) ?
			PHYR_EDU_O_SRC_ALIAS : 0) |
		       (dma_range_list_is_alias(&dst.dl) ?
			PHYR_EDU_O_DST_ALIAS : 0);
	x->src_ranges = phyr_list_nr_ranges(&src.pl);
	x->src_dma_ranges = dma_range_list_nr_ranges(&src.dl);
	x->dst_ranges = phyr_list_nr_ranges(&dst.pl);
	x->dst_dma_ranges = dma_range_list_nr_ranges(&dst.dl);
	x->dma_alloc_bytes = dma_range_list_alloc_bytes(&src.dl) +
			     dma_range_list_alloc_bytes(&dst.dl);
	x->edu_dmas = 0;

	for (i = 0; i < x->nr_blocks && !ret; i++) {
		ret = phyr_edu_copy(edu, &src.dl, x->offsets[i], x->block_len,
				    false, skew, &x->edu_dmas);
		if (!ret)
			ret = phyr_edu_copy(edu, &dst.dl, x->offsets[i],
					    x->block_len, true, 0,
					    &x->edu_dmas);
	}
	dma_sync_phyrs_for_cpu(dev, &dst.dl, DMA_FROM_DEVICE);

	dma_unmap_phyrs(dev, &dst.dl, DMA_FROM_DEVICE, 0);
out_unmap_src:
	dma_unmap_phyrs(dev, &src.dl, DMA_TO_DEVICE, 0);
out_shim:
	if (legacy)
		phyr_edu_shim(edu, false);
out_unpin_dst:
	phyr_edu_unpin(&dst);
out_unpin_src:
	phyr_edu_unpin(&src);
	return ret;
}

#define PHYR_EDU_BENCH_MIN_NS	(50 * NSEC_PER_MSEC)
#define PHYR_EDU_BENCH_MAX_ROUNDS	10000

/* The cost of one ktime_get(): a device read under some emulators. */
static u64 phyr_edu_clock_ns(void)
{
	ktime_t t0 = ktime_get();
	int i;

	for (i = 0; i < 63; i++)
		ktime_get();
	return ktime_to_ns(ktime_sub(ktime_get(), t0)) / 64;
}

/* Whether a timing loop that started at @start may stop after @rounds. */
static bool phyr_edu_bench_done(const struct phyr_edu_bench *bm, u32 rounds,
				ktime_t start)
{
	if (rounds < bm->iters)
		return false;
	return rounds >= PHYR_EDU_BENCH_MAX_ROUNDS ||
	       ktime_to_ns(ktime_sub(ktime_get(), start)) >=
	       PHYR_EDU_BENCH_MIN_NS;
}

/* Time of one interval between two clock reads, minus one clock read. */
static u64 phyr_edu_interval(ktime_t t0, ktime_t t1, u64 clock_ns)
{
	u64 ns = ktime_to_ns(ktime_sub(t1, t0));

	return ns > clock_ns ? ns - clock_ns : 0;
}

/* What one pass over each description costs, without any mapping. */
static void phyr_edu_time_walks(struct sg_table *sgt,
				const struct phyr_list *pl,
				struct phyr_edu_bench *bm)
{
	struct scatterlist *s;
	struct phyr_iter iter;
	u64 sum = 0;
	struct phyr r;
	ktime_t t0;
	int i;

	t0 = ktime_get();
	for_each_sgtable_sg(sgt, s, i)
		sum += sg_phys(s) + s->length;
	bm->sg_walk_ns = phyr_edu_interval(t0, ktime_get(), bm->clock_ns);
	t0 = ktime_get();
	phyr_for_each_range(r, pl, iter)
		sum -= r.addr + r.len;
	bm->phyr_walk_ns = phyr_edu_interval(t0, ktime_get(), bm->clock_ns);
	/* Keeps both loops from being optimised out */
	WRITE_ONCE(phyr_edu_sink, sum);
}

static int phyr_edu_time_sg(struct device *dev, struct sg_table *sgt,
			    struct phyr_edu_bench *bm)
{
	ktime_t start = ktime_get(), t0, t1, t2;
	u32 rounds;
	int ret;

	for (rounds = 0; !phyr_edu_bench_done(bm, rounds, start); rounds++) {
		t0 = ktime_get();
		ret = dma_map_sgtable(dev, sgt, DMA_BIDIRECTIONAL, 0);
		t1 = ktime_get();
		if (ret)
			return ret;
		bm->sg_dma_nents = sgt->nents;
		dma_unmap_sgtable(dev, sgt, DMA_BIDIRECTIONAL, 0);
		t2 = ktime_get();
		bm->sg_map_ns += phyr_edu_interval(t0, t1, bm->clock_ns);
		bm->sg_unmap_ns += phyr_edu_interval(t1, t2, bm->clock_ns);
		bm->sg_rounds++;
		cond_resched();
	}
	return 0;
}

static int phyr_edu_time_phyrs(struct device *dev, struct phyr_edu_buf *b,
			       struct phyr_edu_bench *bm)
{
	ktime_t start = ktime_get(), t0, t1, t2;
	u32 rounds;
	int ret;

	for (rounds = 0; !phyr_edu_bench_done(bm, rounds, start); rounds++) {
		t0 = ktime_get();
		ret = dma_map_phyrs(dev, &b->pl, DMA_BIDIRECTIONAL, 0, &b->dl);
		t1 = ktime_get();
		if (ret)
			return ret;
		bm->phyr_dma_ranges = dma_range_list_nr_ranges(&b->dl);
		bm->dma_list_bytes = dma_range_list_alloc_bytes(&b->dl);
		bm->out_flags = dma_range_list_is_alias(&b->dl) ?
				PHYR_EDU_O_SRC_ALIAS : 0;
		dma_unmap_phyrs(dev, &b->dl, DMA_BIDIRECTIONAL, 0);
		t2 = ktime_get();
		bm->phyr_map_ns += phyr_edu_interval(t0, t1, bm->clock_ns);
		bm->phyr_unmap_ns += phyr_edu_interval(t1, t2, bm->clock_ns);
		bm->phyr_rounds++;
		cond_resched();
	}
	return 0;
}

static long phyr_edu_bench(struct phyr_edu *edu, struct phyr_edu_bench *bm)
{
	struct device *dev = &edu->pdev->dev;
	bool legacy = bm->flags & PHYR_EDU_F_LEGACY_OPS;
	struct phyr_edu_buf b = {};
	struct sg_table sgt;
	int ret;

	if (bm->flags & ~PHYR_EDU_F_LEGACY_OPS || !bm->iters ||
	    bm->iters > 1000)
		return -EINVAL;
	ret = phyr_edu_pin(&b, bm->addr, bm->len, true);
	if (ret)
		return ret;
	/*
	 * The scatterlist ib_umem_get() would build, its segments no longer
	 * than the DMA layer can map in one go (swiotlb: 256 KiB).
	 */
	ret = sg_alloc_table_from_pages_segment(&sgt, b.pages, b.nr_pages,
						offset_in_page(bm->addr),
						bm->len,
						min_t(size_t,
						      dma_get_max_seg_size(dev),
						      dma_max_mapping_size(dev)),
						GFP_KERNEL);
	if (ret)
		goto out_unpin;
	if (legacy) {
		ret = phyr_edu_shim(edu, true);
		if (ret)
			goto out_free_sgt;
	}

	bm->nr_pages = b.nr_pages;
	bm->sg_nents = sgt.orig_nents;
	bm->sg_bytes = (u64)sgt.orig_nents * sizeof(struct scatterlist);
	bm->phyr_ranges = phyr_list_nr_ranges(&b.pl);
	bm->phyr_bytes = sizeof(b.pl) + phyr_list_alloc_bytes(&b.pl);
	bm->clock_ns = phyr_edu_clock_ns();
	phyr_edu_time_walks(&sgt, &b.pl, bm);

	/* A-B-B-A, so that a drift in machine load hits both APIs alike */
	bm->sg_map_ns = 0;
	bm->sg_unmap_ns = 0;
	bm->sg_rounds = 0;
	bm->phyr_map_ns = 0;
	bm->phyr_unmap_ns = 0;
	bm->phyr_rounds = 0;
	ret = phyr_edu_time_sg(dev, &sgt, bm);
	if (!ret)
		ret = phyr_edu_time_phyrs(dev, &b, bm);
	if (!ret)
		ret = phyr_edu_time_phyrs(dev, &b, bm);
	if (!ret)
		ret = phyr_edu_time_sg(dev, &sgt, bm);

	if (legacy)
		phyr_edu_shim(edu, false);
out_free_sgt:
	sg_free_table(&sgt);
out_unpin:
	phyr_edu_unpin(&b);
	return ret;
}

static long phyr_edu_ioctl(struct file *file, unsigned int cmd,
			   unsigned long arg)
{
	struct phyr_edu *edu = file->private_data;
	void __user *uarg = (void __user *)arg;
	union {
		struct phyr_edu_xfer xfer;
		struct phyr_edu_bench bench;
	} *u;
	size_t size;
	long ret;

	switch (cmd) {
	case PHYR_EDU_XFER:
		size = sizeof(u->xfer);
		break;
	case PHYR_EDU_BENCH:
		size = sizeof(u->bench);
		break;
	default:
		return -ENOTTY;
	}
	u = kmalloc(sizeof(*u), GFP_KERNEL);
	if (!u)
		return -ENOMEM;
	if (copy_from_user(u, uarg, size)) {
		ret = -EFAULT;
		goto out_free;
	}

	mutex_lock(&edu->lock);
	if (cmd == PHYR_EDU_XFER)
		ret = phyr_edu_xfer(edu, &u->xfer);
	else
		ret = phyr_edu_bench(edu, &u->bench);
	mutex_unlock(&edu->lock);

	if (!ret && copy_to_user(uarg, u, size))
		ret = -EFAULT;
out_free:
	kfree(u);
	return ret;
}

static const struct file_operations phyr_edu_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.unlocked_ioctl = phyr_edu_ioctl,
	.llseek = noop_llseek,
};

static int phyr_edu_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct device *dev = &pdev->dev;
	struct phyr_edu *edu;
	int ret;

	edu = devm_kzalloc(dev, sizeof(*edu), GFP_KERNEL);
	if (!edu)
		return -ENOMEM;
	edu->pdev = pdev;
	mutex_init(&edu->lock);

	ret = pcim_enable_device(pdev);
	if (ret)
		return ret;
	edu->regs = pcim_iomap_region(pdev, 0, "phyr_edu_test");
	if (IS_ERR(edu->regs))
		return PTR_ERR(edu->regs);
	pci_set_master(pdev);
	/* Matches the harness's -device edu,dma_mask=0xffffffffffffffff */
	ret = dma_set_mask_and_coherent(dev, DMA_BIT_MASK(64));
	if (ret)
		return ret;
	/* The engine has no segment limit; lets scatterlists merge freely */
	dma_set_max_seg_size(dev, UINT_MAX);

	edu->file = debugfs_create_file(pci_name(pdev), 0600, phyr_edu_dir,
					edu, &phyr_edu_fops);
	pci_set_drvdata(pdev, edu);
	return 0;
}

static void phyr_edu_remove(struct pci_dev *pdev)
{
	struct phyr_edu *edu = pci_get_drvdata(pdev);

	debugfs_remove(edu->file);
	mutex_destroy(&edu->lock);
}

static const struct pci_device_id phyr_edu_ids[] = {
	{ PCI_DEVICE(EDU_VENDOR_ID, EDU_DEVICE_ID) },
	{ }
};
MODULE_DEVICE_TABLE(pci, phyr_edu_ids);

static struct pci_driver phyr_edu_driver = {
	.name = "phyr_edu_test",
	.id_table = phyr_edu_ids,
	.probe = phyr_edu_probe,
	.remove = phyr_edu_remove,
};

static int __init phyr_edu_init(void)
{
	int ret;

	phyr_edu_dir = debugfs_create_dir("phyr_edu", NULL);
	ret = pci_register_driver(&phyr_edu_driver);
	if (ret)
		debugfs_remove(phyr_edu_dir);
	return ret;
}
module_init(phyr_edu_init);

static void __exit phyr_edu_exit(void)
{
	pci_unregister_driver(&phyr_edu_driver);
	debugfs_remove(phyr_edu_dir);
}
module_exit(phyr_edu_exit);

MODULE_DESCRIPTION("Test driver for dma_map_phyrs() on QEMU's edu device");
MODULE_LICENSE("GPL");
