// SPDX-License-Identifier: GPL-2.0
/*
 * rdma_umem - user memory registration (ib_umem on phyr lists) end to end
 *
 * Usage: rdma_umem DEVICE GID_INDEX [bench]
 *
 * On one RDMA device (rxe in the phyr guest), two RC QPs connected to each
 * other.  For 4K pages, THP, hugetlb 2M and hugetlb 1G memory: register a
 * source and a destination buffer at odd, unaligned addresses, then
 * RDMA WRITE, RDMA READ and SEND/RECV between them and compare every byte.
 * Then the bad-input table: zero length, an address range that overflows,
 * an unmapped range, read-only memory registered for local write, and a
 * registration past RLIMIT_MEMLOCK without CAP_IPC_LOCK, each with its
 * errno, and after each of them nothing pinned (the FOLL_PIN counters of
 * /proc/vmstat) and nothing accounted (VmPin in /proc/self/status).
 *
 * "bench": ibv_reg_mr() + ibv_dereg_mr() of 1 GiB of each kind of memory,
 * microseconds per registration (rxe builds its own page table per page,
 * which is part of the figure).
 *
 * Exit status: 0 when every check passed, 1 otherwise; a kind of memory
 * the guest cannot provide is reported as skipped, with the reason.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <infiniband/verbs.h>

#ifndef MAP_HUGE_SHIFT
#define MAP_HUGE_SHIFT 26
#endif
#define MAP_HUGE_2MB	(21 << MAP_HUGE_SHIFT)
#define MAP_HUGE_1GB	(30 << MAP_HUGE_SHIFT)

#define SZ_2M		0x200000UL
#define SZ_1G		0x40000000UL
#define BUF_LEN		(6UL << 20)	/* per buffer: spans several 2M pages */
#define HEAD		123		/* unaligned start of each MR */
#define ACCESS		(IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE | \
			 IBV_ACCESS_REMOTE_READ)

static struct ibv_context *ctx;
static struct ibv_pd *pd;
static struct ibv_cq *cq;
static struct ibv_qp *qpa, *qpb;
static int failures;

#define check(cond, ...) do {						\
	if (!(cond)) {							\
		printf("FAIL %s:%d: ", __func__, __LINE__);		\
		printf(__VA_ARGS__);					\
		printf("\n");						\
		failures++;						\
	}								\
} while (0)

static long read_vmstat(const char *name)
{
	char key[64];
	long val;
	FILE *f = fopen("/proc/vmstat", "r");

	if (!f)
		return -1;
	while (fscanf(f, "%63s %ld", key, &val) == 2)
		if (!strcmp(key, name)) {
			fclose(f);
			return val;
		}
	fclose(f);
	return -1;
}

/* Pages pinned and not released, system wide (per-CPU deltas folded). */
static long pins_held(void)
{
	int fd = open("/proc/sys/vm/stat_refresh", O_WRONLY);

	if (fd >= 0) {
		if (write(fd, "1", 1) != 1)
			printf("stat_refresh: %s\n", strerror(errno));
		close(fd);
	}
	return read_vmstat("nr_foll_pin_acquired") -
	       read_vmstat("nr_foll_pin_released");
}

static long vm_pin_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmPin: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* Memory of one kind: 4k, thp, huge2m, huge1g.  NULL and a reason if not. */
static void *get_mem(const char *kind, size_t len, const char **why)
{
	int flags = MAP_PRIVATE | MAP_ANONYMOUS;
	size_t map_len = len;
	char *p;

	if (!strcmp(kind, "huge2m")) {
		flags |= MAP_HUGETLB | MAP_HUGE_2MB;
		map_len = (len + SZ_2M - 1) & ~(SZ_2M - 1);
	} else if (!strcmp(kind, "huge1g")) {
		flags |= MAP_HUGETLB | MAP_HUGE_1GB;
		map_len = (len + SZ_1G - 1) & ~(SZ_1G - 1);
	} else if (!strcmp(kind, "thp")) {
		map_len = len + SZ_2M;	/* room to align to 2M */
	}
	p = mmap(NULL, map_len, PROT_READ | PROT_WRITE, flags, -1, 0);
	if (p == MAP_FAILED) {
		*why = strerror(errno);
		return NULL;
	}
	if (!strcmp(kind, "thp")) {
		char *a = (char *)(((uintptr_t)p + SZ_2M - 1) & ~(SZ_2M - 1));

		if (madvise(a, len, MADV_HUGEPAGE)) {
			*why = "madvise(MADV_HUGEPAGE) failed";
			return NULL;
		}
		p = a;
	} else if (!strcmp(kind, "4k")) {
		/*
		 * Fragmented: fault the pages in alternately with those of a
		 * scratch mapping, which is then dropped, so that physically
		 * consecutive pages rarely back virtually consecutive ones.
		 */
		char *q = mmap(NULL, len, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		size_t i;

		madvise(p, len, MADV_NOHUGEPAGE);
		if (q != MAP_FAILED)
			madvise(q, len, MADV_NOHUGEPAGE);
		for (i = 0; i < len; i += 4096) {
			p[i] = 0;
			if (q != MAP_FAILED)
				q[i] = 0;
		}
		if (q != MAP_FAILED)
			munmap(q, len);
	}
	memset(p, 0, len);	/* populate */
	return p;
}

static int modify(struct ibv_qp *qp, struct ibv_qp_attr *a, int mask)
{
	int ret = ibv_modify_qp(qp, a, mask);

	if (ret)
		printf("ibv_modify_qp: %s\n", strerror(ret));
	return ret;
}

static int connect_qp(struct ibv_qp *qp, uint32_t dqpn, union ibv_gid *gid,
		      int gidx)
{
	struct ibv_qp_attr a = {
		.qp_state = IBV_QPS_INIT, .pkey_index = 0, .port_num = 1,
		.qp_access_flags = ACCESS,
	};

	if (modify(qp, &a, IBV_QP_STATE | IBV_QP_PKEY_INDEX | IBV_QP_PORT |
		   IBV_QP_ACCESS_FLAGS))
		return -1;
	memset(&a, 0, sizeof(a));
	a.qp_state = IBV_QPS_RTR;
	a.path_mtu = IBV_MTU_1024;
	a.dest_qp_num = dqpn;
	a.rq_psn = 0;
	a.max_dest_rd_atomic = 1;
	a.min_rnr_timer = 12;
	a.ah_attr.is_global = 1;
	a.ah_attr.grh.dgid = *gid;
	a.ah_attr.grh.sgid_index = gidx;
	a.ah_attr.grh.hop_limit = 1;
	a.ah_attr.port_num = 1;
	if (modify(qp, &a, IBV_QP_STATE | IBV_QP_AV | IBV_QP_PATH_MTU |
		   IBV_QP_DEST_QPN | IBV_QP_RQ_PSN |
		   IBV_QP_MAX_DEST_RD_ATOMIC | IBV_QP_MIN_RNR_TIMER))
		return -1;
	memset(&a, 0, sizeof(a));
	a.qp_state = IBV_QPS_RTS;
	a.timeout = 14;
	a.retry_cnt = 7;
	a.rnr_retry = 7;
	a.sq_psn = 0;
	a.max_rd_atomic = 1;
	return modify(qp, &a, IBV_QP_STATE | IBV_QP_TIMEOUT |
		      IBV_QP_RETRY_CNT | IBV_QP_RNR_RETRY | IBV_QP_SQ_PSN |
		      IBV_QP_MAX_QP_RD_ATOMIC);
}

static int setup(const char *name, int gidx)
{
	struct ibv_qp_init_attr qa = {
		.qp_type = IBV_QPT_RC,
		.cap = { .max_send_wr = 4, .max_recv_wr = 4,
			 .max_send_sge = 1, .max_recv_sge = 1 },
	};
	struct ibv_device **list = ibv_get_device_list(NULL);
	union ibv_gid gid;
	int i;

	for (i = 0; list && list[i]; i++)
		if (!strcmp(ibv_get_device_name(list[i]), name))
			ctx = ibv_open_device(list[i]);
	if (!ctx) {
		printf("no device %s\n", name);
		return -1;
	}
	pd = ibv_alloc_pd(ctx);
	cq = ibv_create_cq(ctx, 16, NULL, NULL, 0);
	if (!pd || !cq)
		return -1;
	qa.send_cq = cq;
	qa.recv_cq = cq;
	qpa = ibv_create_qp(pd, &qa);
	qpb = ibv_create_qp(pd, &qa);
	if (!qpa || !qpb || ibv_query_gid(ctx, 1, gidx, &gid))
		return -1;
	if (connect_qp(qpa, qpb->qp_num, &gid, gidx) ||
	    connect_qp(qpb, qpa->qp_num, &gid, gidx))
		return -1;
	return 0;
}

/* Wait for n completions; 0 if all succeeded. */
static int wait_cq(int n)
{
	struct ibv_wc wc;
	double t0 = now_us();

	while (n) {
		int got = ibv_poll_cq(cq, 1, &wc);

		if (got < 0)
			return -1;
		if (!got) {
			if (now_us() - t0 > 30e6) {
				printf("completion timeout\n");
				return -1;
			}
			continue;
		}
		if (wc.status != IBV_WC_SUCCESS) {
			printf("wc status %s\n", ibv_wc_status_str(wc.status));
			return -1;
		}
		n--;
	}
	return 0;
}

static int post_rdma(enum ibv_wr_opcode op, struct ibv_mr *lmr, void *laddr,
		     struct ibv_mr *rmr, void *raddr, size_t len)
{
	struct ibv_sge sge = { (uintptr_t)laddr, len, lmr->lkey };
	struct ibv_send_wr wr = {
		.sg_list = &sge, .num_sge = 1, .opcode = op,
		.send_flags = IBV_SEND_SIGNALED,
	}, *bad;

	wr.wr.rdma.remote_addr = (uintptr_t)raddr;
	wr.wr.rdma.rkey = rmr ? rmr->rkey : 0;
	if (ibv_post_send(qpa, &wr, &bad))
		return -1;
	return wait_cq(1);
}

static int post_send_recv(struct ibv_mr *smr, void *saddr, struct ibv_mr *rmr,
			  void *raddr, size_t len)
{
	struct ibv_sge rsge = { (uintptr_t)raddr, len, rmr->lkey };
	struct ibv_recv_wr rwr = { .sg_list = &rsge, .num_sge = 1 }, *rbad;

	if (ibv_post_recv(qpb, &rwr, &rbad))
		return -1;
	if (post_rdma(IBV_WR_SEND, smr, saddr, NULL, NULL, len))
		return -1;
	return wait_cq(1);
}

static void fill(unsigned char *p, size_t len, unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (unsigned char)((i * 131 + seed) ^ (i >> 12));
}

/* First differing byte, or -1. */
static long differ(const unsigned char *a, const unsigned char *b, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (a[i] != b[i])
			return i;
	return -1;
}

static void data_path(const char *kind)
{
	size_t len = BUF_LEN - 2 * HEAD;	/* odd start, odd end */
	unsigned char *src, *dst, *ref;
	struct ibv_mr *smr, *dmr;
	const char *why = "";
	long pins0 = pins_held(), at;
	int failures0 = failures;

	/* one mapping for both: the guest has a single 1G hugetlb page */
	src = get_mem(kind, 2 * BUF_LEN, &why);
	dst = src + BUF_LEN;
	if (!src) {
		printf("SKIP %s: no memory of this kind (%s)\n", kind, why);
		return;
	}
	ref = malloc(len);
	fill(ref, len, 7);
	memcpy(src + HEAD, ref, len);

	smr = ibv_reg_mr(pd, src + HEAD, len, ACCESS);
	dmr = ibv_reg_mr(pd, dst + HEAD, len, ACCESS);
	check(smr && dmr, "%s: ibv_reg_mr: %s", kind, strerror(errno));
	if (!smr || !dmr)
		return;
	/* 4 KiB pages: 1537 per MR here (unaligned start and end) */
	check(pins_held() - pins0 == 2 * (long)((HEAD + len + 4095) / 4096),
	      "%s: %ld pages pinned for two MRs of %zu bytes", kind,
	      pins_held() - pins0, len);

	/* RDMA WRITE src -> dst, whole MR */
	check(!post_rdma(IBV_WR_RDMA_WRITE, smr, src + HEAD, dmr, dst + HEAD,
			 len), "%s: RDMA WRITE", kind);
	at = differ(dst + HEAD, ref, len);
	check(at < 0, "%s: RDMA WRITE: byte %ld differs", kind, at);
	check(dst[HEAD - 1] == 0 && dst[HEAD + len] == 0,
	      "%s: RDMA WRITE wrote outside the MR", kind);

	/* RDMA READ dst -> src, after scribbling on src */
	memset(src + HEAD, 0x5a, len);
	check(!post_rdma(IBV_WR_RDMA_READ, smr, src + HEAD, dmr, dst + HEAD,
			 len), "%s: RDMA READ", kind);
	at = differ(src + HEAD, ref, len);
	check(at < 0, "%s: RDMA READ: byte %ld differs", kind, at);

	/* SEND/RECV, a second pattern, at an offset crossing a 2M boundary */
	fill(ref, len, 99);
	memcpy(src + HEAD, ref, len);
	memset(dst, 0, BUF_LEN);
	check(!post_send_recv(smr, src + HEAD + 4000, dmr, dst + HEAD + 1,
			      SZ_2M + 777), "%s: SEND", kind);
	at = differ(dst + HEAD + 1, ref + 4000, SZ_2M + 777);
	check(at < 0, "%s: SEND/RECV: byte %ld differs", kind, at);
	check(dst[HEAD] == 0 && dst[HEAD + 1 + SZ_2M + 777] == 0,
	      "%s: RECV wrote outside the message", kind);

	check(!ibv_dereg_mr(smr) && !ibv_dereg_mr(dmr), "%s: dereg", kind);
	check(pins_held() == pins0, "%s: %ld pins left after dereg", kind,
	      pins_held() - pins0);
	printf("%s: RDMA WRITE, READ, SEND/RECV of %zu bytes, pins: %s\n", kind,
	       len, failures > failures0 ? "FAILED" : "ok");
	free(ref);
}

static void bad_reg(const char *what, void *addr, size_t len, int access,
		    int want)
{
	long pins0 = pins_held(), vmpin0 = vm_pin_kb();
	struct ibv_mr *mr;

	errno = 0;
	mr = ibv_reg_mr(pd, addr, len, access);
	check(!mr && errno == want, "%s: got %s (errno %d), want errno %d",
	      what, mr ? "an MR" : strerror(errno), errno, want);
	if (mr)
		ibv_dereg_mr(mr);
	check(pins_held() == pins0, "%s: %ld pins left", what,
	      pins_held() - pins0);
	check(vm_pin_kb() == vmpin0, "%s: VmPin %ld kB, was %ld kB", what,
	      vm_pin_kb(), vmpin0);
	printf("%-44s -> %-7s %s\n", what, mr ? "MR" : strerrorname_np(errno),
	       !mr && errno == want ? "ok" : "FAILED");
}

static int drop_ipc_lock(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d))
		return -1;
	d[CAP_IPC_LOCK / 32].effective &= ~(1u << (CAP_IPC_LOCK % 32));
	d[CAP_IPC_LOCK / 32].permitted &= ~(1u << (CAP_IPC_LOCK % 32));
	return syscall(SYS_capset, &h, d);
}

static void bad_input(void)
{
	size_t len = 4UL << 20;
	struct rlimit rl = { 1UL << 20, 1UL << 20 };
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *ro = mmap(NULL, len, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
			-1, 0);
	char *gone = mmap(NULL, len, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *hole = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	memset(p, 1, len);
	munmap(gone, len);
	memset(hole, 1, 2 * 4096);
	munmap(hole + 2 * 4096, 4096);
	bad_reg("zero length", p, 0, ACCESS, EINVAL);
	bad_reg("address + length overflows", (void *)-4096UL, 8192, ACCESS,
		EINVAL);
	bad_reg("unmapped range", gone, len, ACCESS, EFAULT);
	bad_reg("range running into an unmapped page", hole + 4096,
		2 * 4096, ACCESS, EFAULT);
	bad_reg("read-only memory, IBV_ACCESS_LOCAL_WRITE", ro, len,
		IBV_ACCESS_LOCAL_WRITE, EFAULT);
	/* read-only memory without write access is fine */
	{
		struct ibv_mr *mr = ibv_reg_mr(pd, ro, len, 0);

		check(mr, "read-only memory, no write access: %s",
		      strerror(errno));
		if (mr)
			ibv_dereg_mr(mr);
	}
	if (drop_ipc_lock() || setrlimit(RLIMIT_MEMLOCK, &rl)) {
		printf("FAIL: cannot drop CAP_IPC_LOCK / set RLIMIT_MEMLOCK\n");
		failures++;
		return;
	}
	bad_reg("4 MiB past RLIMIT_MEMLOCK 1 MiB (no CAP_IPC_LOCK)", p, len,
		ACCESS, ENOMEM);
	{
		/* under the limit it still works, and is unaccounted after */
		struct ibv_mr *mr = ibv_reg_mr(pd, p + 1, 512 << 10, ACCESS);

		int failures0 = failures;

		check(mr, "512 KiB under RLIMIT_MEMLOCK: %s", strerror(errno));
		check(vm_pin_kb() == 516, "VmPin %ld kB with 129 pages pinned",
		      vm_pin_kb());
		if (mr)
			ibv_dereg_mr(mr);
		check(vm_pin_kb() == 0, "VmPin %ld kB after dereg",
		      vm_pin_kb());
		printf("%-44s -> %-7s %s\n", "512 KiB + 1 B offset under the limit",
		       mr ? "MR" : strerrorname_np(errno),
		       failures == failures0 ? "ok (VmPin 516 kB, then 0)" : "FAILED");
	}
}

/*
 * The in-kernel A/B benchmark (CONFIG_INFINIBAND_UMEM_BENCHMARK): ib_umem_get()
 * + ib_umem_release() against the 6.12 algorithm on the same buffer.
 */
static void ab_bench(const char *kind, void *p, size_t len)
{
	unsigned long long ag, ap, ar, bg, bp, bn;
	unsigned long ab, bb;
	char cmd[128], out[512];
	int fd, n;

	fd = open("/sys/kernel/debug/ib_umem_bench", O_RDWR);
	if (fd < 0) {
		printf("bench %s: no /sys/kernel/debug/ib_umem_bench (%s)\n",
		       kind, strerror(errno));
		failures++;
		return;
	}
	n = snprintf(cmd, sizeof(cmd), "%s %lx %zx 4", ibv_get_device_name(ctx->device),
		     (unsigned long)p, len);
	if (write(fd, cmd, n) != n) {
		printf("bench %s: A/B run failed: %s\n", kind, strerror(errno));
		failures++;
		close(fd);
		return;
	}
	lseek(fd, 0, SEEK_SET);
	n = read(fd, out, sizeof(out) - 1);
	close(fd);
	out[n > 0 ? n : 0] = 0;
	/* "phyr get_ns N put_ns N bytes N ranges N sg get_ns N ..." */
#define AB_SIDE "%*s %llu %*s %llu %*s %lu %*s %llu"
	if (sscanf(out, "phyr " AB_SIDE " sg " AB_SIDE,
		   &ag, &ap, &ab, &ar, &bg, &bp, &bb, &bn) != 8) {
		printf("bench %s: cannot parse '%s'\n", kind, out);
		failures++;
		return;
	}
	printf("A/B %-6s 1 GiB: get phyr %9.0f us  6.12 %9.0f us  (%.1fx)   ",
	       kind, ag / 1e3, bg / 1e3, (double)bg / ag);
	printf("release phyr %8.0f us  6.12 %8.0f us  (%.1fx)\n",
	       ap / 1e3, bp / 1e3, (double)bp / ap);
	printf("A/B %-6s 1 GiB: kept per MR: phyr %lu B (%llu ranges%s)  ",
	       kind, ab, ar, ab ? "" : ", inline in struct ib_umem");
	printf("6.12 sg %lu B (%llu entries)\n", bb, bn);
}

static void run_bench(void)
{
	static const char * const kinds[] = { "4k", "thp", "huge2m", "huge1g" };
	unsigned int k, i, rounds = 3;

	for (k = 0; k < 4; k++) {
		const char *why = "";
		double best = 1e30;
		char *p = get_mem(kinds[k], SZ_1G, &why);

		if (!p) {
			printf("reg %s: skipped (%s)\n", kinds[k], why);
			continue;
		}
		for (i = 0; i < rounds; i++) {
			double t0 = now_us();
			struct ibv_mr *mr = ibv_reg_mr(pd, p, SZ_1G, ACCESS);
			double t1 = now_us();

			if (!mr) {
				printf("reg %s: ibv_reg_mr: %s\n", kinds[k],
				       strerror(errno));
				failures++;
				break;
			}
			ibv_dereg_mr(mr);
			if (t1 - t0 < best)
				best = t1 - t0;
		}
		printf("reg %-6s: ibv_reg_mr 1 GiB %10.0f us (best of %u), with rxe's page table\n",
		       kinds[k], best, rounds);
		ab_bench(kinds[k], p, SZ_1G);
		munmap(p, SZ_1G);
	}
}

int main(int argc, char **argv)
{
	static const char * const kinds[] = { "4k", "thp", "huge2m", "huge1g" };
	unsigned int k;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 3) {
		fprintf(stderr, "usage: %s DEVICE GID_INDEX [bench]\n", argv[0]);
		return 2;
	}
	if (setup(argv[1], atoi(argv[2]))) {
		printf("FAIL: cannot set up %s\n", argv[1]);
		return 1;
	}
	if (argc > 3 && !strcmp(argv[3], "bench")) {
		run_bench();
		return failures ? 1 : 0;
	}
	for (k = 0; k < 4; k++)
		data_path(kinds[k]);
	bad_input();
	printf("rdma_umem: %s (%d failures)\n", failures ? "FAIL" : "PASS",
	       failures);
	return failures ? 1 : 0;
}
