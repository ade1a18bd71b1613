// SPDX-License-Identifier: GPL-2.0-only
/*
 * dma_map_phyrs() - map a list of CPU physical ranges for DMA
 *
 * A &struct phyr_list in, a &struct dma_range_list out, in every DMA mode,
 * dispatched like the streaming calls of kernel/dma/mapping.c.  The four
 * ways a list can be mapped ("paths"):
 *
 *  alias   dma-direct where the DMA address of every byte is its physical
 *          address and nothing needs bouncing or cache maintenance: the
 *          DMA list aliases the CPU list (dma_range_list_alias()).  Zero
 *          allocations and, with no tracing or DMA-API debugging, O(1):
 *          the list records its highest address and the memory types it
 *          holds, which is all the decision needs.
 *  direct  dma-direct otherwise (an offset, a non-coherent device,
 *          swiotlb forced or a range beyond the DMA mask): each range is
 *          mapped with dma_direct_map_page(), cut into pieces of at most
 *          dma_max_mapping_size() so that swiotlb can bounce them.
 *  iommu   dma-iommu: one IOVA allocation for the whole list and one
 *          iommu_map() per range (iommu_dma_map_phyrs()), one DMA range
 *          when the interior boundaries are IOVA-granule aligned; or, for
 *          untrusted devices, each range with iommu_dma_map_page(), which
 *          bounces what it must.
 *  ops     a device with &struct dma_map_ops: a temporary scatterlist is
 *          built from the ranges and mapped with ->map_sg(); it is kept
 *          until the unmap, which ->unmap_sg() needs.
 *
 * Glossary
 *
 *  unit    What one lower-level map call mapped: a range of the CPU list,
 *          or a piece of it when the path cuts ranges.  Each unit gets
 *          its own trace event and unmap call, and its own DMA-API debug
 *          entry, except on the one-IOVA path: there DMA-API debugging
 *          gets one entry per run of units contiguous in DMA space, as
 *          dma_map_sg() gives it one per DMA segment it returns.
 *  path    One of the four above.  The unmap and sync calls find it
 *          again from the device (as mapping.c does) and from whether the
 *          DMA list is an alias, so nothing records it.
 *
 * The DMA list does not record where its units start: the builder merges
 * units that happen to be contiguous in DMA space (bounce slots often
 * are), and splits long ranges into several entries.  The per-unit paths
 * therefore keep a pointer to the CPU list in dl->map_priv and recompute
 * the units from it at unmap and sync time, walking the DMA list in step
 * (phyr_dma_walk_next()); the DMA list holds exactly the bytes of the
 * units, in order.  Hence the rule that the CPU list stays alive and
 * unchanged until dma_unmap_phyrs(), in every mode, which an alias needs
 * anyway.
 *
 * All or nothing: a failure unmaps every unit mapped so far with
 * DMA_ATTR_SKIP_CPU_SYNC, frees what was allocated and leaves the DMA
 * list empty.  Unmap never fails and accepts an empty list.
 */
#include <linux/dma-map-ops.h>
#include <linux/dma-mapping.h>
#include <linux/export.h>
#include <linux/iommu-dma.h>
#include <linux/kmsan.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/phyr.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/swiotlb.h>
#include "debug.h"
#include "direct.h"

#include <trace/events/dma.h>

/* Units between two cond_resched() in the per-unit loops */
#define PHYR_DMA_RESCHED_UNITS	64

enum phyr_dma_path {
	PHYR_DMA_ALIAS,
	PHYR_DMA_DIRECT,
	PHYR_DMA_IOMMU,
	PHYR_DMA_IOMMU_PAGES,
	PHYR_DMA_OPS,
};

/* The path of a device, the alias aside (decided from the list). */
static enum phyr_dma_path phyr_dma_dev_path(struct device *dev,
					    enum dma_data_direction dir)
{
	const struct dma_map_ops *ops = get_dma_ops(dev);

	if (dma_map_direct(dev, ops))
		return PHYR_DMA_DIRECT;
	if (use_dma_iommu(dev))
		return iommu_dma_phyrs_use_swiotlb(dev, dir) ?
			PHYR_DMA_IOMMU_PAGES : PHYR_DMA_IOMMU;
	return PHYR_DMA_OPS;
}

static enum phyr_dma_path phyr_dma_path_of(struct device *dev,
					   const struct dma_range_list *dl,
					   enum dma_data_direction dir)
{
	return dma_range_list_is_alias(dl) ? PHYR_DMA_ALIAS :
					     phyr_dma_dev_path(dev, dir);
}

/*
 * Whether dma-direct maps every byte of @phyrs to its own physical address
 * with no bounce and no cache maintenance: the conditions under which
 * dma_direct_map_page() returns phys_to_dma(phys) and does nothing else,
 * checked for the whole list at once.  O(1).
 */
static bool phyr_dma_is_identity(struct device *dev,
				 const struct phyr_list *phyrs)
{
	u64 max = phyr_list_max_addr(phyrs);

	return IS_ENABLED(CONFIG_ARCH_DMA_ADDR_T_64BIT) &&
	       !dev->dma_range_map && !is_swiotlb_force_bounce(dev) &&
	       !force_dma_unencrypted(dev) && dev_is_dma_coherent(dev) &&
	       phys_to_dma(dev, max) == max &&
	       max <= min_not_zero(*dev->dma_mask, dev->bus_dma_limit);
}

/* One unit: see the glossary above. */
struct phyr_dma_unit {
	phys_addr_t phys;
	dma_addr_t dma;
	size_t len;
};

/*
 * Cursor over the units of a CPU list and, optionally, the DMA list they
 * were mapped to.
 */
struct phyr_dma_walk {
	struct phyr_iter cpu;
	struct dma_range_iter dma;
	struct phyr r;			/* CPU range being cut into units */
	struct dma_range d;		/* DMA range being consumed */
	u64 r_done;			/* bytes of @r already yielded */
	u64 d_done;			/* bytes of @d already consumed */
	u64 max;			/* largest unit */
	bool with_dma;
};

static void phyr_dma_walk_start(struct phyr_dma_walk *w,
				const struct phyr_list *phyrs,
				const struct dma_range_list *dl, u64 max)
{
	*w = (struct phyr_dma_walk){ .max = max, .with_dma = dl };
	phyr_iter_start(&w->cpu, phyrs);
	if (dl)
		dma_range_iter_start(&w->dma, dl);
}

/*
 * Yield the next unit.  With a DMA list, its DMA address is the current
 * position in that list, and its bytes are consumed there, across as many
 * (contiguous) DMA ranges as the builder split them into.
 */
static __always_inline bool phyr_dma_walk_next(struct phyr_dma_walk *w,
					       struct phyr_dma_unit *u)
{
	u64 left;

	if (w->r_done == w->r.len) {
		if (!phyr_iter_next(&w->cpu, &w->r))
			return false;
		w->r_done = 0;
	}
	u->phys = w->r.addr + w->r_done;
	u->len = min(w->r.len - w->r_done, w->max);
	w->r_done += u->len;
	u->dma = u->phys;
	if (!w->with_dma)
		return true;

	for (left = u->len; left; ) {
		u64 n;

		if (w->d_done == w->d.len) {
			if (WARN_ON_ONCE(!dma_range_iter_next(&w->dma, &w->d)))
				return false;
			w->d_done = 0;
		}
		if (left == u->len)
			u->dma = w->d.addr + w->d_done;
		n = min(left, w->d.len - w->d_done);
		w->d_done += n;
		left -= n;
	}
	return true;
}

/* Whether the per-unit map/unmap/sync hooks would record anything. */
static bool phyr_dma_map_hooks_on(void)
{
	return IS_ENABLED(CONFIG_KMSAN) || trace_dma_map_page_enabled() ||
	       debug_dma_active();
}

static bool phyr_dma_unmap_hooks_on(void)
{
	return trace_dma_unmap_page_enabled() || debug_dma_active();
}

/* The DMA-API debug entry of a unit or of a group of units. */
static void phyr_dma_debug_mapped(struct device *dev,
				  const struct phyr_dma_unit *u,
				  enum dma_data_direction dir,
				  unsigned long attrs)
{
	debug_dma_map_page(dev, pfn_to_page(PHYS_PFN(u->phys)),
			   offset_in_page(u->phys), u->len, dir, u->dma, attrs);
	/* The errno returned by dma_map_phyrs() is the error check */
	debug_dma_mapping_error(dev, u->dma);
}

static void phyr_dma_unit_mapped(struct device *dev,
				 const struct phyr_dma_unit *u,
				 enum dma_data_direction dir,
				 unsigned long attrs, bool debug)
{
	kmsan_handle_dma(pfn_to_page(PHYS_PFN(u->phys)),
			 offset_in_page(u->phys), u->len, dir);
	trace_dma_map_page(dev, u->phys, u->dma, u->len, dir, attrs);
	if (debug)
		phyr_dma_debug_mapped(dev, u, dir, attrs);
}

static void phyr_dma_unit_unmapped(struct device *dev,
				   const struct phyr_dma_unit *u,
				   enum dma_data_direction dir,
				   unsigned long attrs, bool debug)
{
	trace_dma_unmap_page(dev, u->dma, u->len, dir, attrs);
	if (debug)
		debug_dma_unmap_page(dev, u->dma, u->len, dir);
}

/*
 * Groups: units that follow each other in DMA address space.  The one-IOVA
 * path gives DMA-API debugging one entry per group, named after the CPU
 * address of its first byte, as dma_map_sg() gives one per DMA segment it
 * returns: one entry for a list mapped into one DMA range, however many
 * ranges it has.  Returns true when @u extended @g; otherwise the caller
 * closes @g and starts a new one at @u.
 */
static bool phyr_dma_group_extend(struct phyr_dma_unit *g,
				  const struct phyr_dma_unit *u)
{
	if (!g->len || g->dma + g->len != u->dma)
		return false;
	g->len += u->len;
	return true;
}

/*
 * Run the map (@map) or unmap hooks for every unit of a mapping; DMA-API
 * debugging sees each unit, or each group if @grouped.
 */
static void phyr_dma_hooks(struct device *dev, const struct phyr_list *phyrs,
			   const struct dma_range_list *dl, u64 max,
			   enum dma_data_direction dir, unsigned long attrs,
			   bool grouped, bool map)
{
	struct phyr_dma_unit u, g = {};
	struct phyr_dma_walk w;

	if (map ? !phyr_dma_map_hooks_on() : !phyr_dma_unmap_hooks_on())
		return;
	phyr_dma_walk_start(&w, phyrs, dl, max);
	for (;;) {
		bool more = phyr_dma_walk_next(&w, &u);

		if (more && map)
			phyr_dma_unit_mapped(dev, &u, dir, attrs, !grouped);
		else if (more)
			phyr_dma_unit_unmapped(dev, &u, dir, attrs, !grouped);
		if (more && (!grouped || phyr_dma_group_extend(&g, &u)))
			continue;
		if (g.len && map)
			phyr_dma_debug_mapped(dev, &g, dir, attrs);
		else if (g.len)
			debug_dma_unmap_page(dev, g.dma, g.len, dir);
		if (!more)
			break;
		g = u;
	}
}

static void phyr_dma_hooks_mapped(struct device *dev,
				  const struct phyr_list *phyrs,
				  const struct dma_range_list *dl, u64 max,
				  enum dma_data_direction dir,
				  unsigned long attrs, bool grouped)
{
	phyr_dma_hooks(dev, phyrs, dl, max, dir, attrs, grouped, true);
}

static void phyr_dma_hooks_unmapped(struct device *dev,
				    const struct phyr_list *phyrs,
				    const struct dma_range_list *dl, u64 max,
				    enum dma_data_direction dir,
				    unsigned long attrs, bool grouped)
{
	phyr_dma_hooks(dev, phyrs, dl, max, dir, attrs, grouped, false);
}

/* The CPU list of an aliased DMA list, or the one kept in map_priv. */
static const struct phyr_list *phyr_dma_cpu_list(const struct dma_range_list *dl)
{
	if (dma_range_list_is_alias(dl))
		return container_of_const(dl->store, struct phyr_list, store);
	return dl->map_priv;
}

/* Largest unit of the per-unit paths; U64_MAX: ranges are not cut. */
static u64 phyr_dma_unit_max(struct device *dev, enum phyr_dma_path path)
{
	if (path == PHYR_DMA_DIRECT || path == PHYR_DMA_IOMMU_PAGES)
		return max_t(size_t, dma_max_mapping_size(dev), PAGE_SIZE);
	return U64_MAX;
}

/* --- alias ---------------------------------------------------------- */

static void phyr_dma_map_alias(struct device *dev,
			       const struct phyr_list *phyrs,
			       enum dma_data_direction dir, unsigned long attrs,
			       struct dma_range_list *dl)
{
	dma_range_list_alias(dl, phyrs);
	phyr_dma_hooks_mapped(dev, phyrs, NULL, U64_MAX, dir, attrs, false);
}

/* --- dma-direct, one unit at a time ------------------------------------ */

/* Unmap one unit, and tell the hooks. */
static void phyr_dma_unmap_unit(struct device *dev, enum phyr_dma_path path,
				const struct phyr_dma_unit *u,
				enum dma_data_direction dir,
				unsigned long attrs, bool hooks)
{
	if (path == PHYR_DMA_DIRECT)
		dma_direct_unmap_page(dev, u->dma, u->len, dir, attrs);
	else
		iommu_dma_unmap_page(dev, u->dma, u->len, dir, attrs);
	if (hooks)
		phyr_dma_unit_unmapped(dev, u, dir, attrs, true);
}

/* Undo the first @nr units of a per-unit mapping, then empty @dl. */
static void phyr_dma_unmap_units(struct device *dev, enum phyr_dma_path path,
				 const struct phyr_list *phyrs,
				 struct dma_range_list *dl, u64 nr,
				 enum dma_data_direction dir,
				 unsigned long attrs)
{
	bool hooks = phyr_dma_unmap_hooks_on();
	struct phyr_dma_walk w;
	struct phyr_dma_unit u;
	u64 i;

	phyr_dma_walk_start(&w, phyrs, dl, phyr_dma_unit_max(dev, path));
	for (i = 0; i < nr && phyr_dma_walk_next(&w, &u); i++) {
		phyr_dma_unmap_unit(dev, path, &u, dir, attrs, hooks);
		if (!(i % PHYR_DMA_RESCHED_UNITS))
			cond_resched();
	}
	dma_range_list_destroy(dl);
}

/*
 * Units @from to @to - 1, mapped one after the other from DMA address
 * @dma on but never added to the DMA list: unmap them.
 */
static void phyr_dma_unmap_pending(struct device *dev, enum phyr_dma_path path,
				   const struct phyr_list *phyrs, u64 from,
				   u64 to, dma_addr_t dma,
				   enum dma_data_direction dir,
				   unsigned long attrs)
{
	bool hooks = phyr_dma_unmap_hooks_on();
	struct phyr_dma_walk w;
	struct phyr_dma_unit u;
	u64 i;

	phyr_dma_walk_start(&w, phyrs, NULL, phyr_dma_unit_max(dev, path));
	for (i = 0; i < to && phyr_dma_walk_next(&w, &u); i++) {
		if (i < from)
			continue;
		u.dma = dma;
		dma += u.len;
		phyr_dma_unmap_unit(dev, path, &u, dir, attrs, hooks);
	}
}

static int phyr_dma_map_units(struct device *dev, enum phyr_dma_path path,
			      const struct phyr_list *phyrs,
			      enum dma_data_direction dir, unsigned long attrs,
			      struct dma_range_list *dl)
{
	unsigned long skip = attrs | DMA_ATTR_SKIP_CPU_SYNC;
	bool hooks = phyr_dma_map_hooks_on();
	u64 limit = min_not_zero(*dev->dma_mask, dev->bus_dma_limit);
	bool check = path == PHYR_DMA_DIRECT && !is_swiotlb_active(dev) &&
		     phyr_list_max_addr(phyrs) > limit;
	/* Units mapped, and how many of them @dl describes */
	u64 nr = 0, nr_in_dl = 0, run_len = 0;
	dma_addr_t run_start = 0;
	struct phyr_dma_walk w;
	struct phyr_dma_unit u;
	int ret;

	phyr_dma_walk_start(&w, phyrs, NULL, phyr_dma_unit_max(dev, path));
	while (phyr_dma_walk_next(&w, &u)) {
		struct page *page = pfn_to_page(PHYS_PFN(u.phys));
		size_t offset = offset_in_page(u.phys);

		/* Out of reach with nothing to bounce through: say so */
		if (check && !dma_capable(dev, phys_to_dma(dev, u.phys), u.len,
					  true)) {
			ret = -EIO;
			goto out_unmap;
		}
		if (path == PHYR_DMA_DIRECT)
			u.dma = dma_direct_map_page(dev, page, offset, u.len,
						    dir, attrs);
		else
			u.dma = iommu_dma_map_page(dev, page, offset, u.len,
						   dir, attrs);
		/* Out of bounce slots or IOVA space */
		if (u.dma == DMA_MAPPING_ERROR) {
			ret = -ENOMEM;
			goto out_unmap;
		}
		if (hooks)
			phyr_dma_unit_mapped(dev, &u, dir, attrs, true);

		/* Units contiguous in DMA space go to @dl in one append */
		if (run_len && run_start + run_len == u.dma) {
			run_len += u.len;
		} else {
			if (run_len) {
				ret = dma_range_list_append(dl, run_start,
							    run_len,
							    PHYR_MEM_RAM,
							    GFP_KERNEL);
				if (ret) {
					phyr_dma_unmap_unit(dev, path, &u, dir,
							    skip, hooks);
					ret = -ENOMEM;
					goto out_unmap;
				}
				nr_in_dl = nr;
			}
			run_start = u.dma;
			run_len = u.len;
		}
		if (!(nr++ % PHYR_DMA_RESCHED_UNITS))
			cond_resched();
	}
	ret = dma_range_list_append(dl, run_start, run_len, PHYR_MEM_RAM,
				    GFP_KERNEL);
	if (ret) {
		ret = -ENOMEM;
		goto out_unmap;
	}
	dl->map_priv = (void *)phyrs;
	return 0;

out_unmap:
	/* The pending run, then what @dl describes; the hooks saw all nr */
	phyr_dma_unmap_pending(dev, path, phyrs, nr_in_dl, nr, run_start, dir,
			       skip);
	phyr_dma_unmap_units(dev, path, phyrs, dl, nr_in_dl, dir, skip);
	return ret;
}

/* DMA-API debugging's view of a sync of @u: a unit or a group. */
static void phyr_dma_debug_sync(struct device *dev,
				const struct phyr_dma_unit *u,
				enum dma_data_direction dir, bool for_cpu)
{
	if (for_cpu)
		debug_dma_sync_single_for_cpu(dev, u->dma, u->len, dir);
	else
		debug_dma_sync_single_for_device(dev, u->dma, u->len, dir);
}

/*
 * Sync every unit of a mapping.  The one-IOVA path tells DMA-API debugging
 * per group, as its entries are per group (phyr_dma_group_extend()).
 */
static void phyr_dma_sync_units(struct device *dev, enum phyr_dma_path path,
				const struct dma_range_list *dl,
				enum dma_data_direction dir, bool for_cpu)
{
	bool grouped = path == PHYR_DMA_IOMMU;
	struct phyr_dma_unit u, g = {};
	struct phyr_dma_walk w;
	u64 i;

	phyr_dma_walk_start(&w, phyr_dma_cpu_list(dl), dl,
			    phyr_dma_unit_max(dev, path));
	for (i = 0; phyr_dma_walk_next(&w, &u); i++) {
		if (for_cpu) {
			if (path == PHYR_DMA_DIRECT)
				dma_direct_sync_single_for_cpu(dev, u.dma,
							       u.len, dir);
			else if (path == PHYR_DMA_IOMMU_PAGES)
				iommu_dma_sync_single_for_cpu(dev, u.dma,
							      u.len, dir);
			else if (path == PHYR_DMA_IOMMU &&
				 !dev_is_dma_coherent(dev))
				arch_sync_dma_for_cpu(u.phys, u.len, dir);
			trace_dma_sync_single_for_cpu(dev, u.dma, u.len, dir);
		} else {
			if (path == PHYR_DMA_DIRECT)
				dma_direct_sync_single_for_device(dev, u.dma,
								  u.len, dir);
			else if (path == PHYR_DMA_IOMMU_PAGES)
				iommu_dma_sync_single_for_device(dev, u.dma,
								 u.len, dir);
			else if (path == PHYR_DMA_IOMMU &&
				 !dev_is_dma_coherent(dev))
				arch_sync_dma_for_device(u.phys, u.len, dir);
			trace_dma_sync_single_for_device(dev, u.dma, u.len,
							 dir);
		}
		if (!grouped) {
			phyr_dma_debug_sync(dev, &u, dir, for_cpu);
		} else if (!phyr_dma_group_extend(&g, &u)) {
			if (g.len)
				phyr_dma_debug_sync(dev, &g, dir, for_cpu);
			g = u;
		}
		if (!(i % PHYR_DMA_RESCHED_UNITS))
			cond_resched();
	}
	if (g.len)
		phyr_dma_debug_sync(dev, &g, dir, for_cpu);
	if (for_cpu && path == PHYR_DMA_IOMMU && !dev_is_dma_coherent(dev))
		arch_sync_dma_for_cpu_all();
}

/* --- dma-iommu, one IOVA range ---------------------------------------- */

static void phyr_dma_iommu_cache(struct device *dev,
				 const struct phyr_list *phyrs,
				 enum dma_data_direction dir, bool for_cpu)
{
	struct phyr_iter iter;
	struct phyr r;

	phyr_for_each_range(r, phyrs, iter) {
		if (for_cpu)
			arch_sync_dma_for_cpu(r.addr, r.len, dir);
		else
			arch_sync_dma_for_device(r.addr, r.len, dir);
	}
	if (for_cpu)
		arch_sync_dma_for_cpu_all();
}

static int phyr_dma_map_iommu(struct device *dev,
			      const struct phyr_list *phyrs,
			      enum dma_data_direction dir, unsigned long attrs,
			      struct dma_range_list *dl)
{
	int ret;

	if (!dev_is_dma_coherent(dev) && !(attrs & DMA_ATTR_SKIP_CPU_SYNC))
		phyr_dma_iommu_cache(dev, phyrs, dir, false);
	ret = iommu_dma_map_phyrs(dev, phyrs, dir, attrs, dl);
	if (ret)
		return ret;
	dl->map_priv = (void *)phyrs;
	phyr_dma_hooks_mapped(dev, phyrs, dl, U64_MAX, dir, attrs, true);
	return 0;
}

static void phyr_dma_unmap_iommu(struct device *dev,
				 struct dma_range_list *dl,
				 enum dma_data_direction dir,
				 unsigned long attrs)
{
	const struct phyr_list *phyrs = dl->map_priv;

	if (!dev_is_dma_coherent(dev) && !(attrs & DMA_ATTR_SKIP_CPU_SYNC))
		phyr_dma_iommu_cache(dev, phyrs, dir, true);
	iommu_dma_unmap_phyrs(dev, dl);
	phyr_dma_hooks_unmapped(dev, phyrs, dl, U64_MAX, dir, attrs, true);
	dma_range_list_destroy(dl);
}

/* --- dma_map_ops: a temporary scatterlist ----------------------------- */

/* Length of the next scatterlist segment at @phys, at most @left. */
static u64 phyr_dma_sg_piece(struct device *dev, u64 phys, u64 left)
{
	u64 boundary = dma_get_seg_boundary(dev);
	u64 max = min_t(u64, dma_get_max_seg_size(dev),
			rounddown(UINT_MAX, PAGE_SIZE));

	/* dma-debug checks segments against both limits */
	if (boundary != U64_MAX)
		max = min(max, (phys | boundary) - phys + 1);
	return min(left, max);
}

static void phyr_dma_unmap_sgt(struct device *dev,
			       const struct dma_map_ops *ops,
			       struct sg_table *sgt,
			       enum dma_data_direction dir,
			       unsigned long attrs)
{
	trace_dma_unmap_sg(dev, sgt->sgl, sgt->orig_nents, dir, attrs);
	debug_dma_unmap_sg(dev, sgt->sgl, sgt->orig_nents, dir);
	if (ops->unmap_sg)
		ops->unmap_sg(dev, sgt->sgl, sgt->orig_nents, dir, attrs);
}

static int phyr_dma_map_ops(struct device *dev,
			    const struct dma_map_ops *ops,
			    const struct phyr_list *phyrs,
			    enum dma_data_direction dir, unsigned long attrs,
			    struct dma_range_list *dl)
{
	struct scatterlist *s;
	struct sg_table *sgt;
	struct phyr_iter iter;
	u64 n = 0, off, len;
	struct phyr r;
	int ents, i, ret;

	if (!ops->map_sg)
		return -EINVAL;
	phyr_for_each_range(r, phyrs, iter)
		for (off = 0; off < r.len; off += len, n++)
			len = phyr_dma_sg_piece(dev, r.addr + off, r.len - off);
	if (n > INT_MAX)
		return -EINVAL;

	sgt = kzalloc(sizeof(*sgt), GFP_KERNEL);
	if (!sgt)
		return -ENOMEM;
	ret = sg_alloc_table(sgt, n, GFP_KERNEL);
	if (ret)
		goto out_free_sgt;

	s = sgt->sgl;
	phyr_for_each_range(r, phyrs, iter) {
		for (off = 0; off < r.len; off += len, s = sg_next(s)) {
			u64 phys = r.addr + off;

			len = phyr_dma_sg_piece(dev, phys, r.len - off);
			/* pfn_to_page() per segment: nth_page() safe */
			sg_set_page(s, pfn_to_page(PHYS_PFN(phys)), len,
				    offset_in_page(phys));
		}
	}

	ents = ops->map_sg(dev, sgt->sgl, sgt->orig_nents, dir, attrs);
	if (ents <= 0) {
		/* 0 is the legacy "failed", without a reason */
		ret = ents ?: -EIO;
		if (WARN_ON_ONCE(ret != -EINVAL && ret != -ENOMEM &&
				 ret != -EIO && ret != -EREMOTEIO))
			ret = -EIO;
		trace_dma_map_sg_err(dev, sgt->sgl, sgt->orig_nents, ents,
				     dir, attrs);
		goto out_free_table;
	}
	sgt->nents = ents;
	kmsan_handle_dma_sg(sgt->sgl, sgt->orig_nents, dir);
	trace_dma_map_sg(dev, sgt->sgl, sgt->orig_nents, ents, dir, attrs);
	debug_dma_map_sg(dev, sgt->sgl, sgt->orig_nents, ents, dir, attrs);

	for_each_sgtable_dma_sg(sgt, s, i) {
		ret = dma_range_list_append(dl, sg_dma_address(s),
					    sg_dma_len(s), PHYR_MEM_RAM,
					    GFP_KERNEL);
		if (ret)
			goto out_unmap;
	}
	dl->map_priv = sgt;
	return 0;

out_unmap:
	dma_range_list_destroy(dl);
	phyr_dma_unmap_sgt(dev, ops, sgt, dir, attrs | DMA_ATTR_SKIP_CPU_SYNC);
	ret = -ENOMEM;
out_free_table:
	sg_free_table(sgt);
out_free_sgt:
	kfree(sgt);
	return ret;
}

static void phyr_dma_unmap_ops(struct device *dev, struct dma_range_list *dl,
			       enum dma_data_direction dir,
			       unsigned long attrs)
{
	struct sg_table *sgt = dl->map_priv;

	phyr_dma_unmap_sgt(dev, get_dma_ops(dev), sgt, dir, attrs);
	sg_free_table(sgt);
	kfree(sgt);
	dma_range_list_destroy(dl);
}

static void phyr_dma_sync_ops(struct device *dev,
			      const struct dma_range_list *dl,
			      enum dma_data_direction dir, bool for_cpu)
{
	const struct dma_map_ops *ops = get_dma_ops(dev);
	struct sg_table *sgt = dl->map_priv;

	if (for_cpu) {
		if (ops->sync_sg_for_cpu)
			ops->sync_sg_for_cpu(dev, sgt->sgl, sgt->orig_nents,
					     dir);
		trace_dma_sync_sg_for_cpu(dev, sgt->sgl, sgt->orig_nents, dir);
		debug_dma_sync_sg_for_cpu(dev, sgt->sgl, sgt->orig_nents, dir);
	} else {
		if (ops->sync_sg_for_device)
			ops->sync_sg_for_device(dev, sgt->sgl, sgt->orig_nents,
						dir);
		trace_dma_sync_sg_for_device(dev, sgt->sgl, sgt->orig_nents,
					     dir);
		debug_dma_sync_sg_for_device(dev, sgt->sgl, sgt->orig_nents,
					     dir);
	}
}

/* --- the API ------------------------------------------------------------ */

/**
 * dma_map_phyrs() - Map a list of CPU physical ranges for DMA.
 * @dev: Device that will do the DMA.
 * @phyrs: The memory: a non-empty list of CPU RAM ranges, which must stay
 *         alive and unchanged until dma_unmap_phyrs().
 * @dir: DMA direction, not DMA_NONE.
 * @attrs: DMA_ATTR_* attributes, as for dma_map_sgtable().
 * @dl: Empty (zero-filled or initialised) DMA range list; on success it
 *      describes the memory in @dev's DMA address space, byte for byte in
 *      the order of @phyrs.
 *
 * Dispatches like dma_map_sgtable().  With dma-direct, @dl aliases @phyrs
 * (dma_range_list_alias(): no allocation, no copy) when all of these hold:
 * the architecture has a 64-bit dma_addr_t, @dev has no dma_range_map,
 * swiotlb is not forced for it, it needs no unencrypted DMA, it is
 * DMA-coherent, phys_to_dma() adds no memory-encryption bit, and the
 * highest address of @phyrs is within its DMA mask and bus limit.
 * Otherwise dma-direct maps each range with dma_direct_map_page() (cut
 * into pieces of at most dma_max_mapping_size(), bounced by swiotlb where
 * needed) into one DMA range each; two may merge when they happen to be
 * contiguous.  With dma-iommu, one IOVA range is allocated for the whole
 * list and @dl has a single range when every interior boundary of @phyrs
 * is IOVA-granule aligned (untrusted devices are mapped range by range,
 * bounced as iommu_dma_map_page() decides).  A device with &struct
 * dma_map_ops gets its ->map_sg() called once on a temporary scatterlist
 * kept until the unmap.  Ranges are not split at dma_get_max_seg_size():
 * a driver with segment limits cuts the DMA ranges as it walks them.
 *
 * KMSAN and the dma_map_page trace event see every range, and DMA-API
 * debugging every range or, behind an IOMMU, every DMA range returned (the
 * dma_map_sg hooks for dma_map_ops devices).  After a
 * successful call the memory belongs to the device until
 * dma_sync_phyrs_for_cpu() or dma_unmap_phyrs().
 *
 * Context: Process context; may sleep.
 * Return: 0 on success; on failure nothing is mapped or allocated, @dl is
 * empty and the error is one of:
 *
 * * -EINVAL: an invalid argument (empty @phyrs, @dl not empty, DMA_NONE
 *   or an invalid @dir, a device without a DMA mask) or a lower-level
 *   usage error.  Will not succeed if retried.
 * * -ENOMEM: out of memory, IOVA space or swiotlb bounce slots.  May
 *   succeed if retried later.
 * * -EIO: a range is beyond the device's DMA mask and cannot be bounced
 *   (will not succeed if retried), or a lower layer failed without
 *   saying why.
 * * -EREMOTEIO: @phyrs holds PCI peer-to-peer ranges, which are not
 *   supported yet.  Will not succeed if retried.
 *
 * Cost: the alias is O(1) plus one pass over the ranges when DMA-API
 * debugging, KMSAN or the dma_map_page trace event is on; the other paths
 * are O(ranges) with one lower-level map call per range (one ->map_sg()
 * in all for dma_map_ops) and allocate about 8 to 12 bytes per DMA range.
 */
int dma_map_phyrs(struct device *dev, const struct phyr_list *phyrs,
		  enum dma_data_direction dir, unsigned long attrs,
		  struct dma_range_list *dl)
{
	const struct dma_map_ops *ops = get_dma_ops(dev);

	might_sleep();
	if (WARN_ON_ONCE(!valid_dma_direction(dir)) ||
	    WARN_ON_ONCE(!dev->dma_mask) ||
	    WARN_ON_ONCE(!dma_range_list_empty(dl) || dl->map_priv))
		return -EINVAL;
	if (phyr_list_empty(phyrs))
		return -EINVAL;
	if (phyr_list_has_mem_type(phyrs, PHYR_MEM_P2P))
		return -EREMOTEIO;

	dma_range_list_init(dl);
	switch (phyr_dma_dev_path(dev, dir)) {
	case PHYR_DMA_DIRECT:
		if (phyr_dma_is_identity(dev, phyrs)) {
			phyr_dma_map_alias(dev, phyrs, dir, attrs, dl);
			return 0;
		}
		return phyr_dma_map_units(dev, PHYR_DMA_DIRECT, phyrs, dir,
					  attrs, dl);
	case PHYR_DMA_IOMMU:
		return phyr_dma_map_iommu(dev, phyrs, dir, attrs, dl);
	case PHYR_DMA_IOMMU_PAGES:
		return phyr_dma_map_units(dev, PHYR_DMA_IOMMU_PAGES, phyrs, dir,
					  attrs, dl);
	default:
		return phyr_dma_map_ops(dev, ops, phyrs, dir, attrs, dl);
	}
}
EXPORT_SYMBOL_GPL(dma_map_phyrs);

/**
 * dma_unmap_phyrs() - Unmap what dma_map_phyrs() mapped.
 * @dev: Device given to dma_map_phyrs().
 * @dl: The DMA range list it filled, or an empty (zero-filled or
 *      initialised) list.
 * @dir: DMA direction given to dma_map_phyrs().
 * @attrs: DMA_ATTR_* attributes, e.g. DMA_ATTR_SKIP_CPU_SYNC.
 *
 * Gives the memory back to the CPU (copying bounce buffers back and doing
 * cache maintenance unless @attrs has DMA_ATTR_SKIP_CPU_SYNC), releases
 * IOVA space, bounce slots and the temporary scatterlist, and leaves @dl
 * empty.  An alias is simply dropped.  The CPU list given to
 * dma_map_phyrs() must still be alive and unchanged.
 *
 * Context: Process context; may sleep.  O(ranges) except for an alias
 * with no DMA-API debugging or dma_unmap_page tracing, which is O(1).
 */
void dma_unmap_phyrs(struct device *dev, struct dma_range_list *dl,
		     enum dma_data_direction dir, unsigned long attrs)
{
	enum phyr_dma_path path;

	might_sleep();
	if (dma_range_list_empty(dl)) {
		dma_range_list_destroy(dl);
		return;
	}
	if (WARN_ON_ONCE(!valid_dma_direction(dir)))
		dir = DMA_BIDIRECTIONAL;

	path = phyr_dma_path_of(dev, dl, dir);
	switch (path) {
	case PHYR_DMA_ALIAS:
		phyr_dma_hooks_unmapped(dev, phyr_dma_cpu_list(dl), NULL,
					U64_MAX, dir, attrs, false);
		dma_range_list_destroy(dl);
		break;
	case PHYR_DMA_DIRECT:
	case PHYR_DMA_IOMMU_PAGES:
		phyr_dma_unmap_units(dev, path, dl->map_priv, dl, U64_MAX, dir,
				     attrs);
		break;
	case PHYR_DMA_IOMMU:
		phyr_dma_unmap_iommu(dev, dl, dir, attrs);
		break;
	default:
		phyr_dma_unmap_ops(dev, dl, dir, attrs);
		break;
	}
}
EXPORT_SYMBOL_GPL(dma_unmap_phyrs);

static void phyr_dma_sync(struct device *dev, const struct dma_range_list *dl,
			  enum dma_data_direction dir, bool for_cpu)
{
	enum phyr_dma_path path;

	might_sleep();
	if (dma_range_list_empty(dl) || WARN_ON_ONCE(!valid_dma_direction(dir)))
		return;
	path = phyr_dma_path_of(dev, dl, dir);
	if (path == PHYR_DMA_OPS) {
		phyr_dma_sync_ops(dev, dl, dir, for_cpu);
		return;
	}
	/* An alias, or an IOMMU mapping of a coherent device: only hooks */
	if ((path == PHYR_DMA_ALIAS ||
	     (path == PHYR_DMA_IOMMU && dev_is_dma_coherent(dev))) &&
	    !debug_dma_active() &&
	    !(for_cpu ? trace_dma_sync_single_for_cpu_enabled() :
			trace_dma_sync_single_for_device_enabled()))
		return;
	phyr_dma_sync_units(dev, path, dl, dir, for_cpu);
}

/**
 * dma_sync_phyrs_for_cpu() - Give mapped memory back to the CPU.
 * @dev: Device given to dma_map_phyrs().
 * @dl: DMA range list filled by dma_map_phyrs(); may be empty.
 * @dir: DMA direction given to dma_map_phyrs().
 *
 * Like dma_sync_sgtable_for_cpu(): copies bounce buffers back and does
 * cache maintenance as the mapping needs, so the CPU sees what the device
 * wrote.  Call dma_sync_phyrs_for_device() before the device touches the
 * memory again.
 *
 * Context: Process context; may sleep.  O(ranges), nothing for an alias
 * unless DMA-API debugging or dma_sync tracing is on.
 */
void dma_sync_phyrs_for_cpu(struct device *dev,
			    const struct dma_range_list *dl,
			    enum dma_data_direction dir)
{
	phyr_dma_sync(dev, dl, dir, true);
}
EXPORT_SYMBOL_GPL(dma_sync_phyrs_for_cpu);

/**
 * dma_sync_phyrs_for_device() - Give mapped memory back to the device.
 * @dev: Device given to dma_map_phyrs().
 * @dl: DMA range list filled by dma_map_phyrs(); may be empty.
 * @dir: DMA direction given to dma_map_phyrs().
 *
 * Like dma_sync_sgtable_for_device(): copies what the CPU wrote into
 * bounce buffers and does cache maintenance as the mapping needs.
 *
 * Context: Process context; may sleep.  O(ranges), nothing for an alias
 * unless DMA-API debugging or dma_sync tracing is on.
 */
void dma_sync_phyrs_for_device(struct device *dev,
			       const struct dma_range_list *dl,
			       enum dma_data_direction dir)
{
	phyr_dma_sync(dev, dl, dir, false);
}
EXPORT_SYMBOL_GPL(dma_sync_phyrs_for_device);
