// SPDX-License-Identifier: GPL-2.0
/*
 * phyr_edu_vfio - VFIO type1 mappings checked by the DMA engine of QEMU's
 * edu device, for both pinning paths of vfio_iommu_type1 (module parameter
 * phyr_pin = Y: by physical ranges, N: a page at a time).
 *
 * The edu device (PCI 1234:11e8) is bound to vfio-pci and driven from here:
 * container, group and device fds, a type1v2 IOMMU, BAR0 mmapped.  Each
 * case maps a buffer (4 KiB pages, THP, hugetlb 2 MiB and 1 GiB), has edu
 * copy sampled 2 KiB blocks from an IOVA of the buffer into its own memory
 * and out again to an IOVA of another mapping and back into the buffer,
 * and compares bytes: this holds only if the IOMMU page tables point at the
 * pages the process sees.  Then it unmaps, maps again at another IOVA and
 * repeats; it unmaps one of two mappings and the other still works.  While
 * a buffer is mapped, the pin counters of /proc/vmstat and VmLck must have
 * moved by its number of pages; after the unmap, back to where they were.
 * Then the errors: unaligned IOVA, vaddr and size, overlap, a hole, an
 * unmapped or read-only buffer, RLIMIT_MEMLOCK (with CAP_IPC_LOCK dropped),
 * each leaving nothing pinned and locked_vm as it was; and a VM_PFNMAP
 * buffer (edu's own BAR), which only the page-at-a-time path can map.
 *
 * With -b, a benchmark instead: MAP_DMA and UNMAP_DMA of SIZE MiB (-m,
 * default 1024) of populated 4 KiB, THP, hugetlb 2 MiB and 1 GiB memory,
 * phyr_pin=N and Y alternating for ROUNDS rounds (-r, default 3), printing
 * the seconds of each and the best-of ratios N / Y.
 *
 * Needs root, CONFIG_VFIO_PCI, CONFIG_VFIO_IOMMU_TYPE1 with the phyr_pin
 * parameter, an IOMMU and the edu device.  Exits 4 (skip) if one is
 * missing, printing why.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/pci_regs.h>
#include <linux/vfio.h>
#include "../kselftest.h"

#ifndef MAP_HUGE_2MB
#define MAP_HUGE_2MB	(21 << MAP_HUGE_SHIFT)
#endif
#ifndef MAP_HUGE_1GB
#define MAP_HUGE_1GB	(30 << MAP_HUGE_SHIFT)
#endif

#define KiB		1024UL
#define MiB		(1024 * KiB)
#define GiB		(1024 * MiB)
#define PAGE		4096UL

#define EDU_VENDOR	"0x1234"
#define EDU_DEVICE	"0x11e8"
#define EDU_IDENT	0x010000ed
#define EDU_REG_IDENT	0x00
#define EDU_REG_SRC	0x80
#define EDU_REG_DST	0x88
#define EDU_REG_CNT	0x90
#define EDU_REG_CMD	0x98
#define EDU_CMD_RUN	0x1
#define EDU_CMD_TO_PCI	0x2
#define EDU_BUF		0x40000	/* edu's 4 KiB buffer, in its address space */
/* A whole 4 KiB transfer aborts QEMU 7.2 (off by one): 2 KiB blocks */
#define BLOCK		2048UL

#define PARAM		"/sys/module/vfio_iommu_type1/parameters/phyr_pin"

static char bdf[256];
static int container = -1, group = -1, device = -1;
static uint8_t *bar0;		/* MMIO: accessed by edu_rd*() and edu_wr64() */
static size_t bar0_size;
static uint8_t *dst_buf;	/* a 4 KiB-page mapping edu copies through */
static uint64_t dst_iova = 1UL << 36;	/* QEMU's VT-d: 39-bit IOVAs */

/* MMIO accesses the compiler neither merges nor drops: relaxed atomics */
static uint32_t edu_rd32(unsigned int reg)
{
	return __atomic_load_n((uint32_t *)(bar0 + reg), __ATOMIC_RELAXED);
}

static uint64_t edu_rd64(unsigned int reg)
{
	return __atomic_load_n((uint64_t *)(bar0 + reg), __ATOMIC_RELAXED);
}

static void edu_wr64(unsigned int reg, uint64_t v)
{
	__atomic_store_n((uint64_t *)(bar0 + reg), v, __ATOMIC_RELAXED);
}

/* ---- sysfs, /proc ---------------------------------------------------- */

static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	close(fd);
	return n < 0 ? -errno : 0;
}

static int read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

static void set_phyr_pin(bool on)
{
	if (write_file(PARAM, on ? "Y" : "N"))
		ksft_exit_fail_msg("cannot write %s: %s\n", PARAM, strerror(errno));
}

/* nr_foll_pin_acquired or _released, every CPU's delta folded in */
static long pin_stat(const char *name)
{
	char key[64];
	long v = -1, val;
	FILE *f;

	write_file("/proc/sys/vm/stat_refresh", "1");
	f = fopen("/proc/vmstat", "r");
	if (!f)
		return -1;
	while (fscanf(f, "%63s %ld", key, &val) == 2)
		if (!strcmp(key, name))
			v = val;
	fclose(f);
	return v;
}

/* VmLck of this process in KiB: mm->locked_vm, what type1 accounts */
static long vmlck_kib(void)
{
	char line[256];
	long v = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmLck: %ld kB", &v) == 1)
			break;
	fclose(f);
	return v;
}

struct counters {
	long acquired, released, vmlck;
};

static struct counters counters(void)
{
	struct counters c = {
		.acquired = pin_stat("nr_foll_pin_acquired"),
		.released = pin_stat("nr_foll_pin_released"),
		.vmlck = vmlck_kib(),
	};
	return c;
}

/*
 * True if since @c0, @pinned more pages are held pinned and @locked_kib
 * more KiB are locked.
 */
static bool counters_moved(const char *name, struct counters c0,
			   long pinned, long locked_kib)
{
	struct counters c = counters();
	long held = (c.acquired - c0.acquired) - (c.released - c0.released);

	if (held == pinned && c.vmlck - c0.vmlck == locked_kib)
		return true;
	ksft_print_msg("%s: %ld pages held pinned (want %ld), VmLck %+ld KiB (want %+ld)\n",
		       name, held, pinned, c.vmlck - c0.vmlck, locked_kib);
	ksft_print_msg("%s: nr_foll_pin_acquired %+ld, nr_foll_pin_released %+ld\n",
		       name, c.acquired - c0.acquired, c.released - c0.released);
	return false;
}

/* ---- VFIO ------------------------------------------------------------ */

static bool find_edu(void)
{
	char path[512], ven[32], dev[32];
	struct dirent *de;
	DIR *d = opendir("/sys/bus/pci/devices");

	if (!d)
		return false;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/vendor",
			 de->d_name);
		if (read_file(path, ven, sizeof(ven)))
			continue;
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/device",
			 de->d_name);
		if (read_file(path, dev, sizeof(dev)))
			continue;
		if (!strcmp(ven, EDU_VENDOR) && !strcmp(dev, EDU_DEVICE)) {
			snprintf(bdf, sizeof(bdf), "%s", de->d_name);
			break;
		}
	}
	closedir(d);
	return bdf[0];
}

static char old_driver[256];

/* Unbind edu from its driver, if any, and bind it to vfio-pci */
static void bind_vfio_pci(void)
{
	char path[512], link[512];
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", bdf);
	n = readlink(path, link, sizeof(link) - 1);
	if (n > 0) {
		link[n] = 0;
		snprintf(old_driver, sizeof(old_driver), "%s", basename(link));
		if (!strcmp(old_driver, "vfio-pci"))
			return;
		snprintf(path, sizeof(path),
			 "/sys/bus/pci/devices/%s/driver/unbind", bdf);
		if (write_file(path, bdf))
			ksft_exit_fail_msg("unbind %s from %s: %s\n", bdf,
					   old_driver, strerror(errno));
	}
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override",
		 bdf);
	if (write_file(path, "vfio-pci"))
		ksft_exit_fail_msg("driver_override: %s\n", strerror(errno));
	if (write_file("/sys/bus/pci/drivers_probe", bdf))
		ksft_exit_fail_msg("drivers_probe: %s\n", strerror(errno));
}

/* Give edu back to the driver it had */
static void unbind_vfio_pci(void)
{
	char path[512];

	if (!strcmp(old_driver, "vfio-pci"))
		return;
	snprintf(path, sizeof(path), "/sys/bus/pci/drivers/vfio-pci/unbind");
	write_file(path, bdf);
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override",
		 bdf);
	write_file(path, "\n");
	if (old_driver[0])
		write_file("/sys/bus/pci/drivers_probe", bdf);
}

static void vfio_open(void)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };
	struct vfio_region_info reg = { .argsz = sizeof(reg) };
	char path[512], link[512];
	uint16_t cmd;
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group", bdf);
	n = readlink(path, link, sizeof(link) - 1);
	if (n <= 0)
		ksft_exit_skip("edu %s has no IOMMU group (no IOMMU?)\n", bdf);
	link[n] = 0;

	container = open("/dev/vfio/vfio", O_RDWR);
	if (container < 0)
		ksft_exit_skip("/dev/vfio/vfio: %s\n", strerror(errno));
	if (ioctl(container, VFIO_GET_API_VERSION) != VFIO_API_VERSION ||
	    ioctl(container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) <= 0)
		ksft_exit_skip("no VFIO type1v2 IOMMU\n");

	snprintf(path, sizeof(path), "/dev/vfio/%s", basename(link));
	group = open(path, O_RDWR);
	if (group < 0)
		ksft_exit_fail_msg("%s: %s\n", path, strerror(errno));
	if (ioctl(group, VFIO_GROUP_GET_STATUS, &status) ||
	    !(status.flags & VFIO_GROUP_FLAGS_VIABLE))
		ksft_exit_fail_msg("group %s is not viable\n", path);
	if (ioctl(group, VFIO_GROUP_SET_CONTAINER, &container))
		ksft_exit_fail_msg("VFIO_GROUP_SET_CONTAINER: %s\n",
				   strerror(errno));
	if (ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
		ksft_exit_fail_msg("VFIO_SET_IOMMU: %s\n", strerror(errno));
	device = ioctl(group, VFIO_GROUP_GET_DEVICE_FD, bdf);
	if (device < 0)
		ksft_exit_fail_msg("VFIO_GROUP_GET_DEVICE_FD: %s\n",
				   strerror(errno));

	reg.index = VFIO_PCI_BAR0_REGION_INDEX;
	if (ioctl(device, VFIO_DEVICE_GET_REGION_INFO, &reg) ||
	    !(reg.flags & VFIO_REGION_INFO_FLAG_MMAP))
		ksft_exit_fail_msg("BAR0 cannot be mmapped\n");
	bar0_size = reg.size;
	bar0 = mmap(NULL, reg.size, PROT_READ | PROT_WRITE, MAP_SHARED,
		    device, reg.offset);
	if (bar0 == MAP_FAILED)
		ksft_exit_fail_msg("mmap BAR0: %s\n", strerror(errno));
	if (edu_rd32(EDU_REG_IDENT) != EDU_IDENT)
		ksft_exit_fail_msg("BAR0 ident %#x, not edu\n",
				   edu_rd32(EDU_REG_IDENT));

	/* Bus master on, or edu's DMA goes nowhere */
	reg.index = VFIO_PCI_CONFIG_REGION_INDEX;
	if (ioctl(device, VFIO_DEVICE_GET_REGION_INFO, &reg) ||
	    pread(device, &cmd, 2, reg.offset + PCI_COMMAND) != 2)
		ksft_exit_fail_msg("config space: %s\n", strerror(errno));
	cmd |= PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
	if (pwrite(device, &cmd, 2, reg.offset + PCI_COMMAND) != 2)
		ksft_exit_fail_msg("PCI_COMMAND: %s\n", strerror(errno));
}

static void vfio_close(void)
{
	if (bar0 && bar0 != MAP_FAILED)
		munmap(bar0, bar0_size);
	bar0 = NULL;
	if (device >= 0)
		close(device);
	if (group >= 0)
		close(group);
	if (container >= 0)
		close(container);
	device = -1;
	group = -1;
	container = -1;
}

static int map_dma(void *vaddr, uint64_t iova, uint64_t size, uint32_t flags)
{
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = flags,
		.vaddr = (uintptr_t)vaddr,
		.iova = iova,
		.size = size,
	};

	return ioctl(container, VFIO_IOMMU_MAP_DMA, &map) ? -errno : 0;
}

#define RW	(VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)

/* Unmap [iova, iova + size); the number of bytes unmapped, or -errno */
static long long unmap_dma(uint64_t iova, uint64_t size)
{
	struct vfio_iommu_type1_dma_unmap unmap = {
		.argsz = sizeof(unmap),
		.iova = iova,
		.size = size,
	};

	if (ioctl(container, VFIO_IOMMU_UNMAP_DMA, &unmap))
		return -errno;
	return unmap.size;
}

/* ---- edu DMA --------------------------------------------------------- */

/* One edu DMA of @len bytes; 100 ms of virtual time */
static bool edu_dma(uint64_t src, uint64_t dst, uint64_t len, uint64_t cmd)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	int i;

	edu_wr64(EDU_REG_SRC, src);
	edu_wr64(EDU_REG_DST, dst);
	edu_wr64(EDU_REG_CNT, len);
	edu_wr64(EDU_REG_CMD, cmd | EDU_CMD_RUN);
	for (i = 0; i < 1000; i++) {
		if (!(edu_rd64(EDU_REG_CMD) & EDU_CMD_RUN))
			return true;
		nanosleep(&ts, NULL);
	}
	ksft_print_msg("edu DMA %#llx -> %#llx did not complete\n",
		       (unsigned long long)src, (unsigned long long)dst);
	return false;
}

static void fill(uint8_t *p, size_t len, uint32_t seed)
{
	uint32_t *w = (uint32_t *)p;
	size_t i;

	for (i = 0; i < len / 4; i++)
		w[i] = seed ^ (uint32_t)(i * 2654435761u);
}

/*
 * Round trips through edu for a few 2 KiB blocks of @buf (@size bytes,
 * mapped at @iova): buffer -> edu -> dst_buf, compared with the buffer;
 * then edu -> another block of the buffer, compared with the first.  The
 * blocks are the first, one across the middle (a page or huge page
 * boundary) and the last.
 */
static bool edu_check(const char *name, uint8_t *buf, uint64_t iova,
		      size_t size, uint32_t seed)
{
	size_t off[] = { 0, size / 2 - BLOCK / 2, size - BLOCK };
	size_t to[] = { size - BLOCK, BLOCK, size / 2 - BLOCK / 2 };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(off); i++) {
		uint8_t want[BLOCK];

		fill(buf + off[i], BLOCK, seed + i);
		memcpy(want, buf + off[i], BLOCK);
		memset(dst_buf, 0, BLOCK);
		memset(buf + to[i], 0x5a, BLOCK);
		if (!edu_dma(iova + off[i], EDU_BUF, BLOCK, 0) ||
		    !edu_dma(EDU_BUF, dst_iova, BLOCK, EDU_CMD_TO_PCI))
			return false;
		if (memcmp(dst_buf, want, BLOCK)) {
			ksft_print_msg("%s: block at %#zx read through IOVA %#llx differs\n",
				       name, off[i],
				       (unsigned long long)(iova + off[i]));
			return false;
		}
		if (!edu_dma(EDU_BUF, iova + to[i], BLOCK, EDU_CMD_TO_PCI))
			return false;
		if (memcmp(buf + to[i], want, BLOCK)) {
			ksft_print_msg("%s: block written to IOVA %#llx differs\n",
				       name, (unsigned long long)(iova + to[i]));
			return false;
		}
	}
	return true;
}

/* ---- buffers ----------------------------------------------------------- */

enum kind { K_4K, K_THP, K_HUGE_2M, K_HUGE_1G, NR_KINDS };

static const char *const kind_name[] = {
	[K_4K] = "4K", [K_THP] = "THP",
	[K_HUGE_2M] = "hugetlb-2M", [K_HUGE_1G] = "hugetlb-1G",
};

/* A populated buffer of @size bytes of @kind, or NULL (with a reason) */
static uint8_t *buf_alloc(enum kind kind, size_t size, char *why, size_t wlen)
{
	int flags = MAP_PRIVATE | MAP_ANONYMOUS;
	size_t align = kind == K_THP ? 2 * MiB : 0;
	uint8_t *p, *q;
	size_t i;

	if (kind == K_HUGE_2M)
		flags |= MAP_HUGETLB | MAP_HUGE_2MB;
	if (kind == K_HUGE_1G)
		flags |= MAP_HUGETLB | MAP_HUGE_1GB;
	p = mmap(NULL, size + align, PROT_READ | PROT_WRITE, flags, -1, 0);
	if (p == MAP_FAILED) {
		snprintf(why, wlen, "mmap %zu MiB: %s", size / MiB,
			 strerror(errno));
		return NULL;
	}
	if (align) {
		q = (uint8_t *)(((uintptr_t)p + align - 1) & ~(align - 1));
		if (q != p)
			munmap(p, q - p);
		munmap(q + size, p + align - q);
		p = q;
		if (madvise(p, size, MADV_HUGEPAGE)) {
			snprintf(why, wlen, "MADV_HUGEPAGE: %s",
				 strerror(errno));
			munmap(p, size);
			return NULL;
		}
	}
	for (i = 0; i < size; i += PAGE)
		p[i] = 1;
	return p;
}

/* ---- the cases --------------------------------------------------------- */

static uint64_t iova_a = 1UL << 32, iova_b = 3UL << 32;

/* Map, check, unmap, map at another IOVA, check, unmap; counters balanced */
static void case_roundtrip(enum kind kind, size_t size, const char *path)
{
	char name[64], why[128];
	struct counters c0;
	uint8_t *buf;
	bool ok = false;
	int ret;

	snprintf(name, sizeof(name), "%s %s roundtrip", path, kind_name[kind]);
	buf = buf_alloc(kind, size, why, sizeof(why));
	if (!buf) {
		ksft_test_result_skip("%s: %s\n", name, why);
		return;
	}
	c0 = counters();
	ret = map_dma(buf, iova_a, size, RW);
	if (ret) {
		ksft_print_msg("%s: MAP_DMA: %s\n", name, strerror(-ret));
		goto out;
	}
	if (!counters_moved(name, c0, size / PAGE, size / KiB) ||
	    !edu_check(name, buf, iova_a, size, 1))
		goto out_unmap;
	if (unmap_dma(iova_a, size) != (long long)size) {
		ksft_print_msg("%s: UNMAP_DMA failed\n", name);
		goto out;
	}
	if (!counters_moved(name, c0, 0, 0))
		goto out;
	ret = map_dma(buf, iova_b, size, RW);
	if (ret) {
		ksft_print_msg("%s: MAP_DMA again: %s\n", name, strerror(-ret));
		goto out;
	}
	ok = counters_moved(name, c0, size / PAGE, size / KiB) &&
	     edu_check(name, buf, iova_b, size, 7);
	if (unmap_dma(iova_b, size) != (long long)size) {
		ksft_print_msg("%s: UNMAP_DMA again failed\n", name);
		ok = false;
	}
	ok = counters_moved(name, c0, 0, 0) && ok;
	goto out;

out_unmap:
	unmap_dma(iova_a, size);
out:
	munmap(buf, size);
	ksft_test_result(ok, "%s\n", name);
}

/*
 * Two mappings of one THP buffer; unmapping a range that cuts one in two
 * fails, unmapping one leaves the other working and pinned.
 */
static void case_partial(const char *path)
{
	size_t size = 8 * MiB, half = size / 2;
	struct counters c0;
	char name[64], why[128];
	uint8_t *buf;
	bool ok = false;

	snprintf(name, sizeof(name), "%s partial unmap", path);
	buf = buf_alloc(K_THP, size, why, sizeof(why));
	if (!buf) {
		ksft_test_result_skip("%s: %s\n", name, why);
		return;
	}
	c0 = counters();
	if (map_dma(buf, iova_a, half, RW) ||
	    map_dma(buf + half, iova_a + half, half, RW)) {
		ksft_print_msg("%s: MAP_DMA failed\n", name);
		goto out;
	}
	if (unmap_dma(iova_a + half / 2, half) != -EINVAL) {
		ksft_print_msg("%s: unmapping half of a mapping did not fail with EINVAL\n",
			       name);
		goto out;
	}
	if (unmap_dma(iova_a, half) != (long long)half) {
		ksft_print_msg("%s: unmapping the first mapping failed\n", name);
		goto out;
	}
	if (!counters_moved(name, c0, half / PAGE, half / KiB) ||
	    !edu_check(name, buf + half, iova_a + half, half, 3))
		goto out;
	if (unmap_dma(iova_a, size) != (long long)half) {
		ksft_print_msg("%s: unmapping the rest failed\n", name);
		goto out;
	}
	ok = counters_moved(name, c0, 0, 0);
out:
	unmap_dma(iova_a, size);
	munmap(buf, size);
	ksft_test_result(ok, "%s\n", name);
}

/* Drop or restore CAP_IPC_LOCK in the effective set (type1's lock_cap) */
static void cap_ipc_lock(bool on)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &hdr, data))
		ksft_exit_fail_msg("capget: %s\n", strerror(errno));
	if (on)
		data[0].effective |= 1u << CAP_IPC_LOCK;
	else
		data[0].effective &= ~(1u << CAP_IPC_LOCK);
	if (syscall(SYS_capset, &hdr, data))
		ksft_exit_fail_msg("capset: %s\n", strerror(errno));
}

struct bad_case {
	const char *name;
	int want;		/* -errno */
	int buf_off;		/* bytes added to the buffer's address */
	int iova_off;		/* bytes added to the IOVA */
	long size;		/* 0: the whole 8 MiB buffer */
	uint32_t flags;		/* 0: RW */
	enum { B_PLAIN, B_HOLE, B_UNMAPPED, B_RDONLY, B_OVERLAP, B_MEMLOCK,
	       B_MEMLOCK_OK, B_THP_MEMLOCK } setup;
};

static const struct bad_case bad_cases[] = {
	{ "unaligned iova", -EINVAL, 0, 512, 0, 0, B_PLAIN },
	{ "unaligned vaddr", -EINVAL, 512, 0, 0, 0, B_PLAIN },
	{ "unaligned size", -EINVAL, 0, 0, 8 * MiB - 512, 0, B_PLAIN },
	{ "size 0", -EINVAL, 0, 0, -1, 0, B_PLAIN },
	{ "overlapping map", -EEXIST, 0, 0, 0, 0, B_OVERLAP },
	{ "hole in the middle", -EFAULT, 0, 0, 0, 0, B_HOLE },
	{ "unmapped vaddr", -EFAULT, 0, 0, 0, 0, B_UNMAPPED },
	{ "read-only memory, write prot", -EFAULT, 0, 0, 0, 0, B_RDONLY },
	{ "beyond RLIMIT_MEMLOCK", -ENOMEM, 0, 0, 0, 0, B_MEMLOCK },
	{ "beyond RLIMIT_MEMLOCK, THP", -ENOMEM, 0, 0, 0, 0, B_THP_MEMLOCK },
	{ "within RLIMIT_MEMLOCK", 0, 0, 0, 0, 0, B_MEMLOCK_OK },
};

static void case_bad(const struct bad_case *bc, const char *path)
{
	size_t size = 8 * MiB, len = bc->size ? (size_t)bc->size : size;
	uint64_t iova = iova_a + bc->iova_off;
	struct rlimit old_rl, rl;
	bool ok = true, rl_set = false;
	char name[96], why[128];
	struct counters c0;
	uint8_t *buf;
	int ret;

	snprintf(name, sizeof(name), "%s bad input: %s", path, bc->name);
	if (bc->size < 0)
		len = 0;
	buf = buf_alloc(bc->setup == B_THP_MEMLOCK ? K_THP : K_4K, size, why,
			sizeof(why));
	if (!buf) {
		ksft_test_result_skip("%s: %s\n", name, why);
		return;
	}
	if (bc->setup == B_OVERLAP && map_dma(buf, iova_a + 4 * MiB, 8 * MiB, RW)) {
		ksft_print_msg("%s: first MAP_DMA failed\n", name);
		ok = false;
	}
	c0 = counters();
	switch (bc->setup) {
	case B_HOLE:
		munmap(buf + size / 2, PAGE);
		break;
	case B_UNMAPPED:
		munmap(buf, size);
		break;
	case B_RDONLY:
		mprotect(buf, size, PROT_READ);
		break;
	case B_MEMLOCK:
	case B_THP_MEMLOCK:
	case B_MEMLOCK_OK:
		getrlimit(RLIMIT_MEMLOCK, &old_rl);
		rl = old_rl;
		/* 5 MiB: fails within the 8 MiB, or maps 4 MiB */
		rl.rlim_cur = c0.vmlck * KiB + 5 * MiB;
		if (bc->setup == B_MEMLOCK_OK)
			len = 4 * MiB;
		if (setrlimit(RLIMIT_MEMLOCK, &rl))
			ksft_exit_fail_msg("setrlimit: %s\n", strerror(errno));
		cap_ipc_lock(false);
		rl_set = true;
		break;
	default:
		break;
	}
	ret = map_dma(buf + bc->buf_off, iova, len, bc->flags ?: RW);
	if (rl_set) {
		cap_ipc_lock(true);
		setrlimit(RLIMIT_MEMLOCK, &old_rl);
	}
	if (ret != bc->want) {
		ksft_print_msg("%s: MAP_DMA returned %d (%s), want %d\n", name,
			       ret, strerror(-ret), bc->want);
		ok = false;
	}
	if (!ret && !counters_moved(name, c0, len / PAGE, len / KiB))
		ok = false;
	if (!ret && unmap_dma(iova, len) != (long long)len) {
		ksft_print_msg("%s: UNMAP_DMA failed\n", name);
		ok = false;
	}
	if (bc->setup == B_OVERLAP &&
	    unmap_dma(iova_a + 4 * MiB, 8 * MiB) != (long long)(8 * MiB)) {
		ksft_print_msg("%s: unmapping the first mapping failed\n", name);
		ok = false;
	}
	/* After the overlap's unmap, what it pinned is released too */
	ok = counters_moved(name, c0, bc->setup == B_OVERLAP ?
			    -(long)(8 * MiB / PAGE) : 0,
			    bc->setup == B_OVERLAP ? -(long)(8 * MiB / KiB) : 0) &&
	     ok;
	if (bc->setup != B_UNMAPPED)
		munmap(buf, size);
	ksft_test_result(ok, "%s\n", name);
}

/*
 * A buffer that is edu's BAR0 mmapped (VM_PFNMAP, no struct pages) in the
 * middle of anonymous memory: GUP refuses it, type1 maps it from the page
 * tables; only the anonymous pages are pinned and locked.
 */
static void case_pfnmap(const char *path)
{
	struct vfio_region_info reg = { .argsz = sizeof(reg) };
	size_t size = 8 * MiB, bar = bar0_size;
	struct counters c0;
	char name[64], why[128];
	uint8_t *buf, *mid;
	bool ok = false;
	int ret;

	snprintf(name, sizeof(name), "%s VM_PFNMAP in the middle", path);
	buf = buf_alloc(K_4K, size, why, sizeof(why));
	reg.index = VFIO_PCI_BAR0_REGION_INDEX;
	if (!buf || ioctl(device, VFIO_DEVICE_GET_REGION_INFO, &reg)) {
		ksft_test_result_skip("%s: no buffer or BAR0\n", name);
		return;
	}
	mid = mmap(buf + size / 2, bar, PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_FIXED, device, reg.offset);
	if (mid == MAP_FAILED) {
		ksft_print_msg("%s: mmap BAR0: %s\n", name, strerror(errno));
		goto out;
	}
	c0 = counters();
	ret = map_dma(buf, iova_a, size, RW);
	if (ret) {
		ksft_print_msg("%s: MAP_DMA: %s\n", name, strerror(-ret));
		goto out;
	}
	ok = counters_moved(name, c0, (size - bar) / PAGE, (size - bar) / KiB) &&
	     edu_check(name, buf, iova_a, size / 2, 11);
	if (unmap_dma(iova_a, size) != (long long)size) {
		ksft_print_msg("%s: UNMAP_DMA failed\n", name);
		ok = false;
	}
	ok = counters_moved(name, c0, 0, 0) && ok;
out:
	munmap(buf, size);
	ksft_test_result(ok, "%s\n", name);
}

static void run_tests(bool phyr)
{
	const char *path = phyr ? "phyr_pin=Y" : "phyr_pin=N";
	unsigned int i;

	set_phyr_pin(phyr);
	case_roundtrip(K_4K, 8 * MiB, path);
	case_roundtrip(K_THP, 8 * MiB, path);
	case_roundtrip(K_HUGE_2M, 8 * MiB, path);
	case_roundtrip(K_HUGE_1G, 1 * GiB, path);
	case_partial(path);
	case_pfnmap(path);
	for (i = 0; i < ARRAY_SIZE(bad_cases); i++)
		case_bad(&bad_cases[i], path);
}

/* ---- benchmark --------------------------------------------------------- */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int bench(size_t size, int rounds)
{
	int kind, r, rc = 0;

	ksft_print_msg("MAP_DMA + UNMAP_DMA of %zu MiB, populated\n",
		       size / MiB);
	ksft_print_msg("best of %d rounds, phyr_pin=N and Y alternating\n",
		       rounds);
	ksft_print_msg("%-11s %9s %9s %7s   %9s %9s %7s\n", "memory", "map N",
		       "map Y", "N/Y", "unmap N", "unmap Y", "N/Y");
	for (kind = 0; kind < NR_KINDS; kind++) {
		double best[2][2] = { { 1e9, 1e9 }, { 1e9, 1e9 } };
		char why[128];
		uint8_t *buf;

		buf = buf_alloc(kind, size, why, sizeof(why));
		if (!buf) {
			ksft_print_msg("%-11s skipped: %s\n", kind_name[kind], why);
			continue;
		}
		for (r = 0; r < 2 * rounds; r++) {
			int y = r & 1;
			double t0, t1, t2;

			set_phyr_pin(y);
			t0 = now();
			if (map_dma(buf, iova_a, size, RW)) {
				ksft_print_msg("%s: MAP_DMA: %s\n", kind_name[kind],
					       strerror(errno));
				rc = 1;
				break;
			}
			t1 = now();
			if (unmap_dma(iova_a, size) != (long long)size) {
				ksft_print_msg("%s: UNMAP_DMA failed\n",
					       kind_name[kind]);
				rc = 1;
				break;
			}
			t2 = now();
			ksft_print_msg("  %s round %d phyr_pin=%c: map %.4f s, unmap %.4f s\n",
				       kind_name[kind], r / 2, y ? 'Y' : 'N',
				       t1 - t0, t2 - t1);
			if (t1 - t0 < best[y][0])
				best[y][0] = t1 - t0;
			if (t2 - t1 < best[y][1])
				best[y][1] = t2 - t1;
		}
		munmap(buf, size);
		ksft_print_msg("%-11s %9.4f %9.4f %6.2fx   %9.4f %9.4f %6.2fx\n",
			       kind_name[kind], best[0][0], best[1][0],
			       best[0][0] / best[1][0], best[0][1], best[1][1],
			       best[0][1] / best[1][1]);
	}
	return rc;
}

static char old_param[8] = "Y";

/* At any exit: close everything VFIO, restore the parameter and the driver */
static void cleanup(void)
{
	vfio_close();
	write_file(PARAM, old_param);
	if (bdf[0])
		unbind_vfio_pci();
	bdf[0] = 0;
}

int main(int argc, char **argv)
{
	size_t size = 1 * GiB;
	int rounds = 3, opt, rc = 0, ret;
	bool do_bench = false;

	while ((opt = getopt(argc, argv, "bm:r:")) != -1) {
		switch (opt) {
		case 'b':
			do_bench = true;
			break;
		case 'm':
			size = strtoul(optarg, NULL, 0) * MiB;
			break;
		case 'r':
			rounds = atoi(optarg);
			break;
		default:
			fprintf(stderr, "usage: %s [-b [-m MiB] [-r rounds]]\n",
				argv[0]);
			return 2;
		}
	}

	ksft_print_header();
	if (geteuid())
		ksft_exit_skip("needs root\n");
	if (read_file(PARAM, old_param, sizeof(old_param)))
		ksft_exit_skip("no %s: not a phyr vfio_iommu_type1\n", PARAM);
	if (!find_edu())
		ksft_exit_skip("no edu device (PCI 1234:11e8)\n");
	atexit(cleanup);
	bind_vfio_pci();
	vfio_open();

	dst_buf = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (dst_buf == MAP_FAILED)
		ksft_exit_fail_msg("mmap: %s\n", strerror(errno));
	ret = map_dma(dst_buf, dst_iova, PAGE, RW);
	if (ret)
		ksft_exit_fail_msg("MAP_DMA of the destination buffer: %s\n",
				   strerror(-ret));

	if (do_bench) {
		rc = bench(size, rounds);
	} else {
		ksft_set_plan(2 * (6 + ARRAY_SIZE(bad_cases)));
		run_tests(true);
		run_tests(false);
	}

	unmap_dma(dst_iova, PAGE);
	cleanup();
	if (do_bench)
		return rc ? KSFT_FAIL : KSFT_PASS;
	ksft_finished();
}
