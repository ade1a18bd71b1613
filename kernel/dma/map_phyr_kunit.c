// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests for dma_map_phyrs() (kernel/dma/map_phyr.c).
 *
 * Three suites:
 *
 *  phyr_dma_args   Bad input, each with its errno and nothing left mapped
 *                  (DMA-API debug's count for the device) or allocated;
 *                  the dma-direct paths on a KUnit device whose mask and
 *                  swiotlb use the test controls.
 *  phyr_dma_ops    The dma_map_ops path on a KUnit device with fake ops
 *                  that map through a fixed offset: ->map_sg() once,
 *                  ->unmap_sg() once, the data reachable through the DMA
 *                  list, every failure unwound.
 *  phyr_dma_modes  The path the boot mode gives QEMU's edu PCI device
 *                  (alias in direct and pt, one IOVA range in iommu, one
 *                  bounce per range in swiotlb), checked by translating
 *                  every DMA range back to memory and comparing bytes, plus
 *                  IOVA exhaustion with a tiny DMA mask.
 *
 * The modes suite needs the edu device and skips, saying so, without it.
 * Run it in each guest mode of the harness (harness/kunit.list).
 */
#include <kunit/device.h>
#include <kunit/static_stub.h>
#include <kunit/test.h>
#include <linux/dma-direct.h>
#include <linux/dma-map-ops.h>
#include <linux/dma-mapping.h>
#include <linux/iommu.h>
#include <linux/iommu-dma.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/pci.h>
#include <linux/phyr.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/swiotlb.h>
#include <linux/vmalloc.h>
#include "debug.h"

#define EDU_VENDOR_ID		0x1234
#define EDU_DEVICE_ID		0x11e8

KUNIT_DEFINE_ACTION_WRAPPER(phyr_list_destroy_action, phyr_list_destroy,
			    struct phyr_list *);
KUNIT_DEFINE_ACTION_WRAPPER(free_page_action, free_page, unsigned long);
KUNIT_DEFINE_ACTION_WRAPPER(pci_dev_put_action, pci_dev_put,
			    struct pci_dev *);

/* --- helpers -------------------------------------------------------- */

/* Counts chunk allocations of phyr lists while activated. */
static unsigned int chunk_allocs;
static unsigned int chunk_fail_after = UINT_MAX;

static struct phyr_chunk *counting_chunk_alloc(gfp_t gfp)
{
	if (chunk_allocs++ >= chunk_fail_after)
		return NULL;
	return kmalloc(PHYR_CHUNK_SIZE, gfp);
}

static void count_chunks(struct kunit *test, unsigned int fail_after)
{
	chunk_allocs = 0;
	chunk_fail_after = fail_after;
	kunit_activate_static_stub(test, phyr_chunk_alloc,
				   counting_chunk_alloc);
}

/* A page of memory filled with a pattern that depends on its address. */
static struct page *pattern_page(struct kunit *test, gfp_t gfp)
{
	unsigned long va = __get_free_page(gfp);
	u8 *p = (u8 *)va;
	int i, ret;

	KUNIT_ASSERT_NE(test, va, 0);
	ret = kunit_add_action_or_reset(test, free_page_action, (void *)va);
	KUNIT_ASSERT_EQ(test, ret, 0);
	for (i = 0; i < PAGE_SIZE; i++)
		p[i] = (u8)(virt_to_phys(p + i) * 0x9e3779b1 >> 24);
	return virt_to_page(p);
}

static struct phyr_list *new_list(struct kunit *test)
{
	struct phyr_list *pl = kunit_kzalloc(test, sizeof(*pl), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, pl);
	KUNIT_ASSERT_EQ(test, 0,
			kunit_add_action_or_reset(test, phyr_list_destroy_action,
						  pl));
	return pl;
}

/*
 * A list of @n ranges inside @n separate pattern pages: range i covers
 * [start[i], start[i] + len[i]) of page i.  With start 0 and len
 * PAGE_SIZE every interior boundary is page aligned.
 */
static struct phyr_list *pattern_list(struct kunit *test, unsigned int n,
				      const unsigned int *start,
				      const unsigned int *len, gfp_t gfp)
{
	struct phyr_list *pl = new_list(test);
	unsigned int i;

	for (i = 0; i < n; i++) {
		struct page *page = pattern_page(test, gfp);

		KUNIT_ASSERT_EQ(test, 0,
				phyr_list_append(pl, page_to_phys(page) +
						 start[i], len[i],
						 PHYR_MEM_RAM, GFP_KERNEL));
	}
	return pl;
}

/* How a DMA address of @dev reaches memory: identity, offset or IOMMU. */
static phys_addr_t dma_to_mem(struct device *dev, dma_addr_t dma,
			      u64 ops_offset)
{
	if (use_dma_iommu(dev))
		return iommu_iova_to_phys(iommu_get_dma_domain(dev), dma);
	if (get_dma_ops(dev))
		return dma - ops_offset;
	return dma_to_phys(dev, dma);
}

/*
 * Prove that the device sees the data: walk the DMA list and the CPU list
 * in step, translate each DMA byte back to memory (through the IOMMU page
 * table, a bounce buffer or the identity) and compare with the CPU
 * memory.  After a DMA_TO_DEVICE mapping a bounce buffer holds a copy, so
 * this holds in every mode.
 */
static void expect_same_bytes(struct kunit *test, struct device *dev,
			      const struct phyr_list *pl,
			      const struct dma_range_list *dl, u64 ops_offset)
{
	struct dma_range_iter diter;
	struct phyr_iter citer;
	struct dma_range d = {};
	struct phyr c = {};
	u64 d_done = 0, c_done = 0, total = 0, bad = 0;

	KUNIT_ASSERT_EQ(test, dma_range_list_length(dl), phyr_list_length(pl));
	dma_range_iter_start(&diter, dl);
	phyr_iter_start(&citer, pl);
	for (;;) {
		phys_addr_t mem;
		u64 n;

		if (d_done == d.len) {
			if (!dma_range_iter_next(&diter, &d))
				break;
			d_done = 0;
		}
		if (c_done == c.len) {
			KUNIT_ASSERT_TRUE(test, phyr_iter_next(&citer, &c));
			c_done = 0;
		}
		/* Compare up to the next page boundary on either side */
		n = min3(d.len - d_done, c.len - c_done,
			 PAGE_SIZE - offset_in_page(c.addr + c_done));
		n = min_t(u64, n,
			  PAGE_SIZE - offset_in_page(d.addr + d_done));
		mem = dma_to_mem(dev, d.addr + d_done, ops_offset);
		if (!mem || memcmp(phys_to_virt(mem),
				   phys_to_virt(c.addr + c_done), n))
			bad++;
		d_done += n;
		c_done += n;
		total += n;
	}
	KUNIT_EXPECT_EQ(test, total, phyr_list_length(pl));
	KUNIT_EXPECT_EQ_MSG(test, bad, 0,
			    "DMA addresses that do not lead to the CPU data");
}

static bool in_swiotlb(struct device *dev, dma_addr_t dma)
{
	return swiotlb_find_pool(dev, dma_to_phys(dev, dma));
}

static int mapping_count(struct device *dev)
{
	return debug_dma_mapping_count(dev);
}

/* Nothing left mapped: DMA-API debug tracks as many mappings as before. */
static void expect_mappings(struct kunit *test, struct device *dev,
			    int before)
{
	if (before >= 0)
		KUNIT_EXPECT_EQ(test, mapping_count(dev), before);
}

/* A KUnit device with a DMA mask, and swiotlb as the test wants it. */
static struct device *fake_device(struct kunit *test, u64 mask, bool swiotlb)
{
	struct device *dev = kunit_device_register(test, "dma_phyr");

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dev);
	dev->coherent_dma_mask = mask;
	dev->dma_mask = &dev->coherent_dma_mask;
#ifdef CONFIG_SWIOTLB
	if (!swiotlb)
		dev->dma_io_tlb_mem = NULL;
#endif
	return dev;
}

/* --- phyr_dma_args ---------------------------------------------------- */

enum bad_input {
	BAD_EMPTY,
	BAD_ZERO_LEN,
	BAD_DMA_NONE,
	BAD_NO_MASK,
	BAD_DL_IN_USE,
	BAD_P2P,
};

struct bad_case {
	const char *name;
	enum bad_input what;
	int err;
};

static const struct bad_case bad_cases[] = {
	{ "empty list", BAD_EMPTY, -EINVAL },
	{ "zero-length range (refused, list stays empty)", BAD_ZERO_LEN,
	  -EINVAL },
	{ "DMA_NONE", BAD_DMA_NONE, -EINVAL },
	{ "device without a DMA mask", BAD_NO_MASK, -EINVAL },
	{ "DMA list already in use", BAD_DL_IN_USE, -EINVAL },
	{ "peer-to-peer range", BAD_P2P, -EREMOTEIO },
};

static void bad_case_desc(const struct bad_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(bad_input, bad_cases, bad_case_desc);

static void dma_phyr_bad_input(struct kunit *test)
{
	const struct bad_case *c = test->param_value;
	struct device *dev = fake_device(test, DMA_BIT_MASK(64), true);
	enum dma_data_direction dir = DMA_TO_DEVICE;
	struct phyr_list *pl = new_list(test), *other;
	static const unsigned int s[] = { 0 }, l[] = { PAGE_SIZE };
	struct dma_range_list dl = {};
	int before = mapping_count(dev);

	if (c->what != BAD_EMPTY && c->what != BAD_ZERO_LEN)
		pl = pattern_list(test, 1, s, l, GFP_KERNEL);
	switch (c->what) {
	case BAD_ZERO_LEN:
		KUNIT_EXPECT_EQ(test, phyr_list_append(pl, 0x100000, 0,
						       PHYR_MEM_RAM,
						       GFP_KERNEL), -EINVAL);
		break;
	case BAD_DMA_NONE:
		dir = DMA_NONE;
		break;
	case BAD_NO_MASK:
		dev->dma_mask = NULL;
		break;
	case BAD_DL_IN_USE:
		other = pattern_list(test, 1, s, l, GFP_KERNEL);
		dma_range_list_alias(&dl, other);
		break;
	case BAD_P2P:
		KUNIT_ASSERT_EQ(test, 0, phyr_list_append(pl, 0xe0000000,
							  PAGE_SIZE,
							  PHYR_MEM_P2P,
							  GFP_KERNEL));
		break;
	default:
		break;
	}
	count_chunks(test, UINT_MAX);
	KUNIT_EXPECT_EQ(test, dma_map_phyrs(dev, pl, dir, 0, &dl), c->err);
	KUNIT_EXPECT_EQ(test, chunk_allocs, 0);
	if (c->what == BAD_DL_IN_USE) {
		/* Left as the caller had it */
		KUNIT_EXPECT_TRUE(test, dma_range_list_is_alias(&dl));
		dma_range_list_destroy(&dl);
	} else {
		KUNIT_EXPECT_TRUE(test, dma_range_list_empty(&dl));
		KUNIT_EXPECT_NULL(test, dl.map_priv);
	}
	dev->dma_mask = &dev->coherent_dma_mask;
	expect_mappings(test, dev, before);
	/* Unmapping an empty list is fine and leaves it empty */
	dma_unmap_phyrs(dev, &dl, DMA_TO_DEVICE, 0);
	KUNIT_EXPECT_TRUE(test, dma_range_list_empty(&dl));
}

/*
 * Two pages, one under 4 GiB and one above, for a device with a 32-bit
 * mask: the first is reachable, the second is not.
 */
static struct phyr_list *low_high_list(struct kunit *test)
{
	struct page *low = pattern_page(test, GFP_DMA32);
	struct page *high = pattern_page(test, GFP_KERNEL);
	struct phyr_list *pl = new_list(test);

	if (page_to_phys(high) <= DMA_BIT_MASK(32))
		kunit_skip(test, "no page above 4 GiB (guest memory too small?)");
	KUNIT_ASSERT_EQ(test, 0, phyr_list_append(pl, page_to_phys(low) + 100,
						  PAGE_SIZE - 100,
						  PHYR_MEM_RAM, GFP_KERNEL));
	KUNIT_ASSERT_EQ(test, 0, phyr_list_append(pl, page_to_phys(high),
						  PAGE_SIZE - 50,
						  PHYR_MEM_RAM, GFP_KERNEL));
	return pl;
}

/* Beyond the mask with no swiotlb: -EIO, and the first range unwound. */
static void dma_phyr_above_mask_no_swiotlb(struct kunit *test)
{
	struct device *dev = fake_device(test, DMA_BIT_MASK(32), false);
	struct phyr_list *pl = low_high_list(test);
	struct dma_range_list dl = {};
	int before = mapping_count(dev);

	KUNIT_EXPECT_EQ(test, dma_map_phyrs(dev, pl, DMA_BIDIRECTIONAL, 0, &dl),
			-EIO);
	KUNIT_EXPECT_TRUE(test, dma_range_list_empty(&dl));
	KUNIT_EXPECT_EQ(test, dma_range_list_alloc_bytes(&dl), 0);
	expect_mappings(test, dev, before);
}

/* Beyond the mask with swiotlb: the far range is bounced, data intact. */
static void dma_phyr_above_mask_bounced(struct kunit *test)
{
	struct device *dev = fake_device(test, DMA_BIT_MASK(32), true);
	struct phyr_list *pl = low_high_list(test);
	struct dma_range_list dl = {};
	int before = mapping_count(dev);

	if (!is_swiotlb_active(dev))
		kunit_skip(test, "swiotlb is not active");
	KUNIT_ASSERT_EQ(test, 0, dma_map_phyrs(dev, pl, DMA_TO_DEVICE, 0, &dl));
	KUNIT_EXPECT_FALSE(test, dma_range_list_is_alias(&dl));
	KUNIT_EXPECT_LE(test, dma_range_list_max_addr(&dl), DMA_BIT_MASK(32));
	expect_same_bytes(test, dev, pl, &dl, 0);
	if (before >= 0)
		KUNIT_EXPECT_EQ(test, mapping_count(dev), before + 2);
	dma_unmap_phyrs(dev, &dl, DMA_TO_DEVICE, 0);
	KUNIT_EXPECT_TRUE(test, dma_range_list_empty(&dl));
	KUNIT_EXPECT_NULL(test, dl.map_priv);
	expect_mappings(test, dev, before);
}

/* dma-direct identity: the DMA list is the CPU list, nothing allocated. */
static void dma_phyr_direct_alias(struct kunit *test)
{
	static const unsigned int s[] = { 10, 0, 0, 0, 0 };
	static const unsigned int l[] = { PAGE_SIZE - 10, PAGE_SIZE, 300,
					  PAGE_SIZE, PAGE_SIZE - 1 };
	struct device *dev = fake_device(test, DMA_BIT_MASK(64), true);
	struct phyr_list *pl = pattern_list(test, 5, s, l, GFP_KERNEL);
	u32 nr = phyr_list_nr_ranges(pl);
	struct dma_range_list dl = {};
	int before = mapping_count(dev);

	if (is_swiotlb_force_bounce(dev))
		kunit_skip(test, "swiotlb=force: dma-direct always bounces");
	count_chunks(test, UINT_MAX);
	KUNIT_ASSERT_EQ(test, 0, dma_map_phyrs(dev, pl, DMA_FROM_DEVICE, 0,
					       &dl));
	KUNIT_EXPECT_TRUE(test, dma_range_list_is_alias(&dl));
	KUNIT_EXPECT_PTR_EQ(test, dl.store, &pl->store);
	KUNIT_EXPECT_EQ(test, chunk_allocs, 0);
	KUNIT_EXPECT_EQ(test, dma_range_list_alloc_bytes(&dl), 0);
	KUNIT_EXPECT_EQ(test, dma_range_list_nr_ranges(&dl),
			phyr_list_nr_ranges(pl));
	expect_same_bytes(test, dev, pl, &dl, 0);
	/* DMA-API debug sees one mapping per range */
	if (before >= 0)
		KUNIT_EXPECT_EQ(test, mapping_count(dev),
				before + phyr_list_nr_ranges(pl));
	dma_sync_phyrs_for_cpu(dev, &dl, DMA_FROM_DEVICE);
	dma_sync_phyrs_for_device(dev, &dl, DMA_FROM_DEVICE);
	dma_unmap_phyrs(dev, &dl, DMA_FROM_DEVICE, 0);
	KUNIT_EXPECT_FALSE(test, dma_range_list_is_alias(&dl));
	KUNIT_EXPECT_TRUE(test, dma_range_list_empty(&dl));
	/* The CPU list is untouched */
	KUNIT_EXPECT_EQ(test, phyr_list_nr_ranges(pl), nr);
	expect_mappings(test, dev, before);
}

/*
 * swiotlb bounce, every direction: TO_DEVICE copies at map time,
 * FROM_DEVICE copies back at sync and unmap time.
 */
static void dma_phyr_bounce_directions(struct kunit *test)
{
	static const unsigned int s[] = { 7, 0, 33 };
	static const unsigned int l[] = { 1000, 4000, 2000 };
	struct device *dev = fake_device(test, DMA_BIT_MASK(64), true);
	struct phyr_list *pl = pattern_list(test, 3, s, l, GFP_KERNEL);
	struct dma_range_list dl = {};
	struct dma_range_iter iter;
	struct dma_range r;
	struct phyr_iter citer;
	struct phyr c;
	int before = mapping_count(dev);
	u8 *cpu;

	if (!is_swiotlb_force_bounce(dev))
		kunit_skip(test, "swiotlb not forced (boot with swiotlb=force)");

	KUNIT_ASSERT_EQ(test, 0, dma_map_phyrs(dev, pl, DMA_BIDIRECTIONAL, 0,
					       &dl));
	/* Unaligned ranges cannot merge: one bounce range per input range */
	KUNIT_EXPECT_EQ(test, dma_range_list_nr_ranges(&dl), 3);
	dma_range_for_each_range(r, &dl, iter)
		KUNIT_EXPECT_TRUE(test, in_swiotlb(dev, r.addr));
	expect_same_bytes(test, dev, pl, &dl, 0);

	/* The "device" writes the bounce buffers; the CPU sees it on sync */
	dma_range_for_each_range(r, &dl, iter)
		memset(phys_to_virt(dma_to_phys(dev, r.addr)), 0xa5, r.len);
	dma_sync_phyrs_for_cpu(dev, &dl, DMA_BIDIRECTIONAL);
	phyr_for_each_range(c, pl, citer) {
		cpu = phys_to_virt(c.addr);
		KUNIT_EXPECT_TRUE(test, !memchr_inv(cpu, 0xa5, c.len));
	}
	/* The CPU writes; the device sees it after sync for device */
	phyr_for_each_range(c, pl, citer)
		memset(phys_to_virt(c.addr), 0x3c, c.len);
	dma_sync_phyrs_for_device(dev, &dl, DMA_BIDIRECTIONAL);
	dma_range_for_each_range(r, &dl, iter) {
		cpu = phys_to_virt(dma_to_phys(dev, r.addr));
		KUNIT_EXPECT_TRUE(test, !memchr_inv(cpu, 0x3c, r.len));
	}
	/* And the unmap copies the device's last writes back */
	dma_range_for_each_range(r, &dl, iter)
		memset(phys_to_virt(dma_to_phys(dev, r.addr)), 0x81, r.len);
	dma_unmap_phyrs(dev, &dl, DMA_BIDIRECTIONAL, 0);
	phyr_for_each_range(c, pl, citer)
		KUNIT_EXPECT_TRUE(test, !memchr_inv(phys_to_virt(c.addr), 0x81,
						    c.len));
	KUNIT_EXPECT_TRUE(test, dma_range_list_empty(&dl));
	expect_mappings(test, dev, before);
}

/* A failure to grow the DMA list unwinds every bounce already mapped. */
static void dma_phyr_direct_append_fails(struct kunit *test)
{
	static const unsigned int s[] = { 1, 2, 3, 4 };
	static const unsigned int l[] = { 100, 200, 300, 400 };
	struct device *dev = fake_device(test, DMA_BIT_MASK(64), true);
	struct phyr_list *pl = pattern_list(test, 4, s, l, GFP_KERNEL);
	struct dma_range_list dl = {};
	int before = mapping_count(dev);

	if (!is_swiotlb_force_bounce(dev))
		kunit_skip(test, "swiotlb not forced (boot with swiotlb=force)");
	/* Four BYTE entries need a chunk beyond the inline words */
	count_chunks(test, 0);
	KUNIT_EXPECT_EQ(test, dma_map_phyrs(dev, pl, DMA_TO_DEVICE, 0, &dl),
			-ENOMEM);
	KUNIT_EXPECT_GT(test, chunk_allocs, 0);
	KUNIT_EXPECT_TRUE(test, dma_range_list_empty(&dl));
	KUNIT_EXPECT_NULL(test, dl.map_priv);
	expect_mappings(test, dev, before);
}

static struct kunit_case phyr_dma_args_cases[] = {
	KUNIT_CASE_PARAM(dma_phyr_bad_input, bad_input_gen_params),
	KUNIT_CASE(dma_phyr_above_mask_no_swiotlb),
	KUNIT_CASE(dma_phyr_above_mask_bounced),
	KUNIT_CASE(dma_phyr_direct_alias),
	KUNIT_CASE(dma_phyr_bounce_directions),
	KUNIT_CASE(dma_phyr_direct_append_fails),
	{}
};

static struct kunit_suite phyr_dma_args_suite = {
	.name = "phyr_dma_args",
	.test_cases = phyr_dma_args_cases,
};

/* --- phyr_dma_ops ------------------------------------------------------- */

#define FAKE_OPS_OFFSET		0x100000000000ULL

struct fake_ops_state {
	int map_calls;
	int unmap_calls;
	int sync_calls;
	int outstanding;
	bool fail;		/* make ->map_sg() return fail_ret */
	int fail_ret;
};

static struct fake_ops_state fake;

static int fake_map_sg(struct device *dev, struct scatterlist *sgl,
		       int nents, enum dma_data_direction dir,
		       unsigned long attrs)
{
	struct scatterlist *s;
	int i;

	fake.map_calls++;
	if (fake.fail)
		return fake.fail_ret;
	for_each_sg(sgl, s, nents, i) {
		sg_dma_address(s) = sg_phys(s) + FAKE_OPS_OFFSET;
		sg_dma_len(s) = s->length;
	}
	fake.outstanding++;
	return nents;
}

static void fake_unmap_sg(struct device *dev, struct scatterlist *sgl,
			  int nents, enum dma_data_direction dir,
			  unsigned long attrs)
{
	fake.unmap_calls++;
	fake.outstanding--;
}

static void fake_sync_sg(struct device *dev, struct scatterlist *sgl,
			 int nents, enum dma_data_direction dir)
{
	fake.sync_calls++;
}

static const struct dma_map_ops fake_ops = {
	.map_sg = fake_map_sg,
	.unmap_sg = fake_unmap_sg,
	.sync_sg_for_cpu = fake_sync_sg,
	.sync_sg_for_device = fake_sync_sg,
};

static int phyr_dma_ops_init(struct kunit *test)
{
	if (!IS_ENABLED(CONFIG_ARCH_HAS_DMA_OPS))
		kunit_skip(test, "no dma_map_ops on this architecture/config");
	fake = (struct fake_ops_state){};
	return 0;
}

static struct device *ops_device(struct kunit *test)
{
	struct device *dev = fake_device(test, DMA_BIT_MASK(64), false);

	set_dma_ops(dev, &fake_ops);
	return dev;
}

static void phyr_dma_ops_map_unmap(struct kunit *test)
{
	static const unsigned int s[] = { 64, 0, 0, 512 };
	static const unsigned int l[] = { PAGE_SIZE - 64, PAGE_SIZE, 10,
					  1024 };
	struct device *dev = ops_device(test);
	struct phyr_list *pl = pattern_list(test, 4, s, l, GFP_KERNEL);
	struct dma_range_list dl = {};
	int before = mapping_count(dev);

	KUNIT_ASSERT_EQ(test, 0, dma_map_phyrs(dev, pl, DMA_BIDIRECTIONAL, 0,
					       &dl));
	KUNIT_EXPECT_EQ(test, fake.map_calls, 1);
	KUNIT_EXPECT_EQ(test, fake.outstanding, 1);
	KUNIT_EXPECT_FALSE(test, dma_range_list_is_alias(&dl));
	KUNIT_EXPECT_NOT_NULL(test, dl.map_priv);
	expect_same_bytes(test, dev, pl, &dl, FAKE_OPS_OFFSET);
	if (before >= 0)
		KUNIT_EXPECT_GT(test, mapping_count(dev), before);

	dma_sync_phyrs_for_cpu(dev, &dl, DMA_BIDIRECTIONAL);
	dma_sync_phyrs_for_device(dev, &dl, DMA_BIDIRECTIONAL);
	KUNIT_EXPECT_EQ(test, fake.sync_calls, 2);

	dma_unmap_phyrs(dev, &dl, DMA_BIDIRECTIONAL, 0);
	KUNIT_EXPECT_EQ(test, fake.unmap_calls, 1);
	KUNIT_EXPECT_EQ(test, fake.outstanding, 0);
	KUNIT_EXPECT_EQ(test, fake.map_calls, 1);
	KUNIT_EXPECT_TRUE(test, dma_range_list_empty(&dl));
	KUNIT_EXPECT_NULL(test, dl.map_priv);
	expect_mappings(test, dev, before);
}

struct ops_err_case {
	const char *name;
	int map_ret;
	int err;
};

static const struct ops_err_case ops_err_cases[] = {
	{ "->map_sg() returns 0", 0, -EIO },
	{ "->map_sg() returns -ENOMEM", -ENOMEM, -ENOMEM },
	{ "->map_sg() returns -EREMOTEIO", -EREMOTEIO, -EREMOTEIO },
};

static void ops_err_desc(const struct ops_err_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(ops_err, ops_err_cases, ops_err_desc);

/* ->map_sg() failing: its errno passed on, the scatterlist freed. */
static void phyr_dma_ops_map_fails(struct kunit *test)
{
	const struct ops_err_case *c = test->param_value;
	static const unsigned int s[] = { 0 }, l[] = { PAGE_SIZE };
	struct device *dev = ops_device(test);
	struct phyr_list *pl = pattern_list(test, 1, s, l, GFP_KERNEL);
	struct dma_range_list dl = {};
	int before = mapping_count(dev);

	fake.fail = true;
	fake.fail_ret = c->map_ret;
	KUNIT_EXPECT_EQ(test, dma_map_phyrs(dev, pl, DMA_TO_DEVICE, 0, &dl),
			c->err);
	KUNIT_EXPECT_EQ(test, fake.map_calls, 1);
	KUNIT_EXPECT_EQ(test, fake.unmap_calls, 0);
	KUNIT_EXPECT_TRUE(test, dma_range_list_empty(&dl));
	KUNIT_EXPECT_NULL(test, dl.map_priv);
	expect_mappings(test, dev, before);
}

/* The DMA list failing to grow after ->map_sg(): ->unmap_sg() once. */
static void phyr_dma_ops_append_fails(struct kunit *test)
{
	static const unsigned int s[] = { 1, 2, 3, 4 };
	static const unsigned int l[] = { 100, 200, 300, 400 };
	struct device *dev = ops_device(test);
	struct phyr_list *pl = pattern_list(test, 4, s, l, GFP_KERNEL);
	struct dma_range_list dl = {};
	int before = mapping_count(dev);

	count_chunks(test, 0);
	KUNIT_EXPECT_EQ(test, dma_map_phyrs(dev, pl, DMA_TO_DEVICE, 0, &dl),
			-ENOMEM);
	KUNIT_EXPECT_EQ(test, fake.map_calls, 1);
	KUNIT_EXPECT_EQ(test, fake.unmap_calls, 1);
	KUNIT_EXPECT_EQ(test, fake.outstanding, 0);
	KUNIT_EXPECT_TRUE(test, dma_range_list_empty(&dl));
	expect_mappings(test, dev, before);
}

static struct kunit_case phyr_dma_ops_cases[] = {
	KUNIT_CASE(phyr_dma_ops_map_unmap),
	KUNIT_CASE_PARAM(phyr_dma_ops_map_fails, ops_err_gen_params),
	KUNIT_CASE(phyr_dma_ops_append_fails),
	{}
};

static struct kunit_suite phyr_dma_ops_suite = {
	.name = "phyr_dma_ops",
	.init = phyr_dma_ops_init,
	.test_cases = phyr_dma_ops_cases,
};

/* --- phyr_dma_modes: QEMU's edu device, whatever the boot mode -------- */

static struct pci_dev *edu_device(struct kunit *test)
{
	struct pci_dev *pdev = pci_get_device(EDU_VENDOR_ID, EDU_DEVICE_ID,
					      NULL);

	if (!pdev)
		kunit_skip(test, "no QEMU edu device (1234:11e8)");
	KUNIT_ASSERT_EQ(test, 0,
			kunit_add_action_or_reset(test, pci_dev_put_action,
						  pdev));
	if (!pdev->dev.dma_mask || *pdev->dev.dma_mask != DMA_BIT_MASK(64))
		kunit_skip(test, "edu's DMA mask is not 64 bits (phyr_edu_test not bound?)");
	return pdev;
}

static void restore_mask(void *arg)
{
	struct device *dev = arg;

	WARN_ON(dma_set_mask(dev, DMA_BIT_MASK(64)));
}

/*
 * Kernel memory, page-aligned interior boundaries: what the mode gives.
 *  direct, pt: an alias, nothing allocated;
 *  iommu:      exactly one DMA range;
 *  swiotlb:    bounced, range by range.
 */
static void dma_phyr_mode_path(struct kunit *test)
{
	static const unsigned int s[] = { 200, 0, 0, 0 };
	static const unsigned int l[] = { PAGE_SIZE - 200, PAGE_SIZE,
					  PAGE_SIZE, 3000 };
	struct device *dev = &edu_device(test)->dev;
	struct phyr_list *pl = pattern_list(test, 4, s, l, GFP_KERNEL);
	struct dma_range_list dl = {};
	int before = mapping_count(dev);

	count_chunks(test, UINT_MAX);
	KUNIT_ASSERT_EQ(test, 0, dma_map_phyrs(dev, pl, DMA_TO_DEVICE, 0, &dl));
	if (use_dma_iommu(dev)) {
		kunit_info(test, "iommu: %u ranges -> %u DMA range(s)\n",
			   phyr_list_nr_ranges(pl),
			   dma_range_list_nr_ranges(&dl));
		KUNIT_EXPECT_EQ(test, dma_range_list_nr_ranges(&dl), 1);
		KUNIT_EXPECT_FALSE(test, dma_range_list_is_alias(&dl));
	} else if (is_swiotlb_force_bounce(dev)) {
		struct dma_range_iter iter;
		struct dma_range r;

		kunit_info(test, "swiotlb: %u ranges -> %u DMA ranges\n",
			   phyr_list_nr_ranges(pl),
			   dma_range_list_nr_ranges(&dl));
		KUNIT_EXPECT_FALSE(test, dma_range_list_is_alias(&dl));
		dma_range_for_each_range(r, &dl, iter)
			KUNIT_EXPECT_TRUE(test, in_swiotlb(dev, r.addr));
	} else {
		kunit_info(test, "direct/pt: alias of %u ranges\n",
			   phyr_list_nr_ranges(pl));
		KUNIT_EXPECT_TRUE(test, dma_range_list_is_alias(&dl));
		KUNIT_EXPECT_PTR_EQ(test, dl.store, &pl->store);
		KUNIT_EXPECT_EQ(test, chunk_allocs, 0);
		KUNIT_EXPECT_EQ(test, dma_range_list_alloc_bytes(&dl), 0);
	}
	expect_same_bytes(test, dev, pl, &dl, 0);
	dma_unmap_phyrs(dev, &dl, DMA_TO_DEVICE, 0);
	KUNIT_EXPECT_TRUE(test, dma_range_list_empty(&dl));
	expect_mappings(test, dev, before);
}

/* Pin @len bytes of fresh user memory (THP if @thp) into a phyr list. */
static struct phyr_list *pinned_list(struct kunit *test, size_t len,
				     bool thp, struct page ***pagesp)
{
	unsigned long nr = len >> PAGE_SHIFT, addr, i;
	struct phyr_list *pl = new_list(test);
	struct page **pages;
	long got = 0, ret;

	addr = kunit_vm_mmap(test, NULL, 0, len + SZ_2M,
			     PROT_READ | PROT_WRITE,
			     MAP_ANONYMOUS | MAP_PRIVATE, 0);
	KUNIT_ASSERT_NE_MSG(test, addr, 0, "kunit_vm_mmap of %zu bytes", len);
	addr = ALIGN(addr, SZ_2M);
	if (thp)
		KUNIT_ASSERT_EQ(test, 0, do_madvise(current->mm, addr, len,
						    MADV_HUGEPAGE));
	pages = kvmalloc_array(nr, sizeof(*pages), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, pages);
	while (got < nr) {
		ret = pin_user_pages_fast(addr + got * PAGE_SIZE, nr - got,
					  FOLL_WRITE | FOLL_LONGTERM,
					  pages + got);
		if (ret <= 0)
			break;
		got += ret;
	}
	if (got < nr) {
		unpin_user_pages(pages, got);
		kvfree(pages);
		KUNIT_FAIL_AND_ABORT(test, "pinned %ld of %lu pages", got, nr);
	}
	for (i = 0; i < nr; i++)
		KUNIT_ASSERT_EQ(test, 0,
				phyr_list_append(pl, page_to_phys(pages[i]),
						 PAGE_SIZE, PHYR_MEM_RAM,
						 GFP_KERNEL));
	*pagesp = pages;
	return pl;
}

static void unpin_list(struct page **pages, size_t len)
{
	unpin_user_pages(pages, len >> PAGE_SHIFT);
	kvfree(pages);
}

/* 1 GiB of pinned THP memory: a single DMA range behind the IOMMU. */
static void dma_phyr_mode_1g_thp(struct kunit *test)
{
	struct device *dev = &edu_device(test)->dev;
	struct dma_range_list dl = {};
	size_t len = SZ_1G;
	struct phyr_list *pl;
	struct page **pages;
	int before, ret;

	if (is_swiotlb_force_bounce(dev))
		kunit_skip(test, "swiotlb=force: 1 GiB does not fit the bounce buffer");
	pl = pinned_list(test, len, true, &pages);
	before = mapping_count(dev);
	ret = dma_map_phyrs(dev, pl, DMA_BIDIRECTIONAL, 0, &dl);
	KUNIT_EXPECT_EQ(test, ret, 0);
	if (!ret) {
		kunit_info(test, "1 GiB pinned: %u CPU ranges -> %u DMA range(s)%s\n",
			   phyr_list_nr_ranges(pl),
			   dma_range_list_nr_ranges(&dl),
			   dma_range_list_is_alias(&dl) ? " (alias)" : "");
		if (use_dma_iommu(dev)) {
			KUNIT_EXPECT_EQ(test, dma_range_list_nr_ranges(&dl), 1);
			/* DMA-API debug: one entry for the one DMA range */
			if (before >= 0)
				KUNIT_EXPECT_EQ(test, mapping_count(dev),
						before + 1);
		} else {
			KUNIT_EXPECT_TRUE(test, dma_range_list_is_alias(&dl));
		}
		KUNIT_EXPECT_EQ(test, dma_range_list_length(&dl), len);
		expect_same_bytes(test, dev, pl, &dl, 0);
		/* DMA-API debug checks each sync against its entries */
		dma_sync_phyrs_for_cpu(dev, &dl, DMA_BIDIRECTIONAL);
		dma_sync_phyrs_for_device(dev, &dl, DMA_BIDIRECTIONAL);
		dma_unmap_phyrs(dev, &dl, DMA_BIDIRECTIONAL, 0);
	}
	expect_mappings(test, dev, before);
	unpin_list(pages, len);
}

/*
 * A 4 MiB IOVA space (22-bit mask) holds exactly one 2 MiB mapping, as
 * the first 2 MiB slot contains the reserved IOVA 0: a second one finds
 * the space exhausted (-ENOMEM), a failed map gives back what it took,
 * and an unmap frees the slot again.
 */
static void dma_phyr_mode_iova_exhausted(struct kunit *test)
{
	static const unsigned int s[] = { 1, 2, 3, 4 };
	static const unsigned int l[] = { 100, 200, 300, 400 };
	struct device *dev = &edu_device(test)->dev;
	struct dma_range_list a = {}, b = {}, c = {};
	struct phyr_list *pa, *pb, *pc;
	struct page **pages_a, **pages_b;
	int before;

	if (!use_dma_iommu(dev))
		kunit_skip(test, "needs an IOMMU DMA domain (iommu mode)");
	pa = pinned_list(test, SZ_2M, false, &pages_a);
	pb = pinned_list(test, SZ_2M, false, &pages_b);
	pc = pattern_list(test, 4, s, l, GFP_KERNEL);
	KUNIT_ASSERT_EQ(test, 0, dma_set_mask(dev, DMA_BIT_MASK(22)));
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, restore_mask,
							   dev));
	before = mapping_count(dev);

	KUNIT_EXPECT_EQ(test, dma_map_phyrs(dev, pa, DMA_TO_DEVICE, 0, &a), 0);
	KUNIT_EXPECT_EQ(test, dma_map_phyrs(dev, pb, DMA_TO_DEVICE, 0, &b),
			-ENOMEM);
	KUNIT_EXPECT_TRUE(test, dma_range_list_empty(&b));
	dma_unmap_phyrs(dev, &a, DMA_TO_DEVICE, 0);

	/* Unaligned ranges: four DMA ranges, the list needs a chunk */
	count_chunks(test, 0);
	KUNIT_EXPECT_EQ(test, dma_map_phyrs(dev, pc, DMA_TO_DEVICE, 0, &c),
			-ENOMEM);
	KUNIT_EXPECT_GT(test, chunk_allocs, 0);
	kunit_deactivate_static_stub(test, phyr_chunk_alloc);
	KUNIT_EXPECT_TRUE(test, dma_range_list_empty(&c));
	expect_mappings(test, dev, before);

	/* Nothing leaked: the only 2 MiB slot is free again */
	KUNIT_EXPECT_EQ(test, dma_map_phyrs(dev, pb, DMA_TO_DEVICE, 0, &b), 0);
	dma_unmap_phyrs(dev, &b, DMA_TO_DEVICE, 0);
	expect_mappings(test, dev, before);
	unpin_list(pages_a, SZ_2M);
	unpin_list(pages_b, SZ_2M);
}

/* An untrusted device behind the IOMMU: range by range, data intact. */
static void dma_phyr_mode_untrusted(struct kunit *test)
{
	static const unsigned int s[] = { 5, 0, 0 };
	static const unsigned int l[] = { 700, PAGE_SIZE, 99 };
	struct pci_dev *pdev = edu_device(test);
	struct device *dev = &pdev->dev;
	struct phyr_list *pl = pattern_list(test, 3, s, l, GFP_KERNEL);
	struct dma_range_list dl = {};
	int before = mapping_count(dev);

	if (!use_dma_iommu(dev))
		kunit_skip(test, "needs an IOMMU DMA domain (iommu mode)");
	pdev->untrusted = 1;
	KUNIT_EXPECT_EQ(test, dma_map_phyrs(dev, pl, DMA_TO_DEVICE, 0, &dl), 0);
	if (!dma_range_list_empty(&dl)) {
		/* Adjacent pages merge in the CPU list: count its ranges */
		u32 nr = phyr_list_nr_ranges(pl);

		struct dma_range_iter iter;
		struct dma_range first;
		phys_addr_t phys;

		/* Each range has its own IOVA allocation (or bounce slot) */
		KUNIT_EXPECT_LE(test, dma_range_list_nr_ranges(&dl), nr);
		/* The first range is not granule aligned: it was bounced */
		dma_range_iter_start(&iter, &dl);
		KUNIT_ASSERT_TRUE(test, dma_range_iter_next(&iter, &first));
		phys = iommu_iova_to_phys(iommu_get_dma_domain(dev),
					  first.addr);
		if (is_swiotlb_active(dev))
			KUNIT_EXPECT_NOT_NULL(test, swiotlb_find_pool(dev, phys));
		else
			kunit_info(test, "swiotlb inactive: bounce not checked\n");
		expect_same_bytes(test, dev, pl, &dl, 0);
		if (before >= 0)
			KUNIT_EXPECT_EQ(test, mapping_count(dev), before + nr);
		dma_unmap_phyrs(dev, &dl, DMA_TO_DEVICE, 0);
	}
	pdev->untrusted = 0;
	expect_mappings(test, dev, before);
}

static struct kunit_case phyr_dma_modes_cases[] = {
	KUNIT_CASE(dma_phyr_mode_path),
	KUNIT_CASE_SLOW(dma_phyr_mode_1g_thp),
	KUNIT_CASE(dma_phyr_mode_iova_exhausted),
	KUNIT_CASE(dma_phyr_mode_untrusted),
	{}
};

static struct kunit_suite phyr_dma_modes_suite = {
	.name = "phyr_dma_modes",
	.test_cases = phyr_dma_modes_cases,
};

kunit_test_suites(&phyr_dma_args_suite, &phyr_dma_ops_suite,
		  &phyr_dma_modes_suite);

MODULE_DESCRIPTION("KUnit tests for dma_map_phyrs()");
MODULE_LICENSE("GPL");
