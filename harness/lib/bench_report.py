#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Turn the boot logs of one `./phyr bench` run into its report.

Usage: bench_report.py DIR

DIR holds meta.txt and boots/NN-KERNEL-MODE.log (written by
harness/lib/bench.sh).  Writes, in DIR:
  results.csv  one row per measurement (tidy: one column per field)
  report.md    the tables, every figure as median [min - max] over boots
  plots/*.png  gnuplot plots (plots/*.gp and *.dat regenerate them)

A measurement is one BENCH line of a guest (harness/guest/bench-run), or
one figure parsed from the text of a benchmark script that prints no BENCH
lines yet (column source=text).  For each figure, the rows of one boot
are folded to their minimum (the best of the repetitions in that boot),
and the per-boot values are summarised as min / median / max over boots.
A ratio is old / new of the medians; its range is [old min / new max -
old max / new min], the worst and best pairing of boots.
"""
import csv
import os
import re
import statistics
import subprocess
import sys
from collections import OrderedDict, defaultdict

CSV_COLS = ["kernel", "boot", "kernel_boot", "mode", "suite", "path", "mem",
            "size_mib", "op", "flags", "ns", "bytes", "reps", "rep",
            "source", "extra"]
MEMS = ["4K", "4K-frag", "THP", "hugetlb-2M", "hugetlb-1G"]


def kv(text):
    """key=value pairs of a BENCH line (values without spaces, or "quoted")."""
    return OrderedDict((m.group(1), m.group(2).strip('"'))
                       for m in re.finditer(r'(\w+)=("[^"]*"|\S*)', text))


def extra(row):
    """The extra column's key=value pairs (joined by ';')."""
    return dict(x.split("=", 1) for x in row.get("extra", "").split(";") if "=" in x)


# --- the text of scripts that print no BENCH lines yet ------------------

VFIO_ROUND = re.compile(r'^#?\s*(\S+) round (\d+) phyr_pin=([NY]): map ([\d.]+) s, unmap ([\d.]+) s')
VFIO_SIZE = re.compile(r'MAP_DMA \+ UNMAP_DMA of (\d+) MiB')
RDMA_REG = re.compile(r'^reg (\S+)\s*: ibv_reg_mr 1 GiB\s+([\d.]+) us \(best of (\d+)\)')
RDMA_AB = re.compile(r'^A/B (\S+)\s+1 GiB: get phyr\s+([\d.]+) us\s+6\.12\s+([\d.]+) us.*release phyr\s+([\d.]+) us\s+6\.12\s+([\d.]+) us')
RDMA_KEPT = re.compile(r'^A/B (\S+)\s+1 GiB: kept per MR: phyr (\d+) B \((\d+) ranges.*6\.12 sg (\d+) B \((\d+) entries')
RDMA_MEM = {"4k": "4K-frag", "thp": "THP", "huge2m": "hugetlb-2M", "huge1g": "hugetlb-1G"}


def parse_text(suite, lines):
    """Rows from the human-readable output of a script without BENCH lines."""
    rows = []
    if suite == "vfio":
        size = ""
        for ln in lines:
            m = VFIO_SIZE.search(ln)
            if m:
                size = m.group(1)
            m = VFIO_ROUND.match(ln)
            if m:
                path = "type1-phyrs" if m.group(3) == "Y" else "type1-pages"
                for op, s in (("map", m.group(4)), ("unmap", m.group(5))):
                    rows.append(dict(path=path, mem=m.group(1), size_mib=size, op=op,
                                     ns="%.0f" % (float(s) * 1e9), rep=m.group(2),
                                     extra="phyr_pin=" + m.group(3)))
    elif suite == "rdma":
        for ln in lines:
            m = RDMA_REG.match(ln)
            if m:
                rows.append(dict(path="ibv_reg_mr", mem=RDMA_MEM.get(m.group(1), m.group(1)),
                                 size_mib="1024", op="reg", ns="%.0f" % (float(m.group(2)) * 1e3),
                                 reps=m.group(3)))
            m = RDMA_AB.match(ln)
            if m:
                mem = RDMA_MEM.get(m.group(1), m.group(1))
                for path, g, p in (("ib_umem-phyr", m.group(2), m.group(4)),
                                   ("ib_umem-6.12", m.group(3), m.group(5))):
                    rows.append(dict(path=path, mem=mem, size_mib="1024", op="pin",
                                     ns="%.0f" % (float(g) * 1e3), reps="4"))
                    rows.append(dict(path=path, mem=mem, size_mib="1024", op="unpin",
                                     ns="%.0f" % (float(p) * 1e3), reps="4"))
            m = RDMA_KEPT.match(ln)
            if m:
                mem = RDMA_MEM.get(m.group(1), m.group(1))
                rows.append(dict(path="ib_umem-phyr", mem=mem, size_mib="1024", op="kept",
                                 bytes=m.group(2), extra="ranges=" + m.group(3)))
                rows.append(dict(path="ib_umem-6.12", mem=mem, size_mib="1024", op="kept",
                                 bytes=m.group(4), extra="ranges=" + m.group(5)))
    return rows


# --- reading the boots ----------------------------------------------------

def read_meta(d):
    meta = OrderedDict()
    with open(os.path.join(d, "meta.txt")) as f:
        for ln in f:
            if "=" in ln:
                k, v = ln.rstrip("\n").split("=", 1)
                meta[k] = v
    return meta


def read_boots(d):
    rows, notes, boots, failures, retries = [], [], [], [], []
    seen = defaultdict(int)
    logs = sorted(f for f in os.listdir(os.path.join(d, "boots")) if f.endswith(".log"))
    for name in logs:
        # Serial consoles end lines with \r\n: split on \n only
        with open(os.path.join(d, "boots", name), errors="replace", newline="") as f:
            lines = [ln.rstrip("\r\n").replace("\r", "") for ln in f.read().split("\n")]
        b = dict(log="boots/" + name, rc=None, seconds="", info={}, suites=OrderedDict())
        suite, suite_lines, suite_bench = None, [], 0
        for ln in lines:
            if ln.startswith("=== bench-boot "):
                b.update(kv(ln))
                seen[b["kernel"]] += 1
                b["kernel_boot"] = seen[b["kernel"]]
            elif ln.startswith("=== bench-boot-end "):
                e = kv(ln)
                b["rc"], b["seconds"] = e.get("rc"), e.get("seconds", "")
            elif ln.startswith("=== bench-retry "):
                r = kv(ln)
                retries.append("boot %s (%s, %s): attempt %s died before its first benchmark (exit %s%s); "
                               "booted again (boots/%s)" % (b.get("n"), b.get("kernel"), b.get("mode"),
                                                            r.get("attempt"), r.get("rc"),
                                                            ": `%s`" % r["why"] if r.get("why") else "",
                                                            r.get("file")))
            elif ln.startswith("=== bench-host "):
                b["host"] = kv(ln)
            elif ln.startswith("=== bench-info "):
                b["info"].update(kv(ln))
            elif ln.startswith("=== bench-suite-end "):
                e = kv(ln)
                name_ = ln.split()[2]
                st = b["suites"].setdefault(name_, {})
                st.update(rc=e.get("rc"), seconds=e.get("seconds"), bench=suite_bench)
                why = [x for x in suite_lines if re.search(r"Bail out|FAIL|failed|cannot|error|No such|not found", x, re.I)]
                st["why"] = why[0].strip() if why else ""
                if suite_bench == 0:
                    parsed = parse_text(name_, suite_lines)
                    for r in parsed:
                        r["source"] = "text"
                        rows.append(dict(r, suite=name_, **boot_cols(b)))
                    st["text_rows"] = len(parsed)
                suite, suite_lines, suite_bench = None, [], 0
            elif ln.startswith("=== bench-suite "):
                suite = ln.split()[2].rstrip(":")
                b["suites"].setdefault(suite, {})["cmd"] = ln.split(":", 1)[1].strip() if ":" in ln else ""
                suite_lines, suite_bench = [], 0
            elif ln.startswith("BENCH "):
                r = kv(ln[6:])
                known = {k: r.pop(k) for k in list(r) if k in CSV_COLS}
                known["extra"] = ";".join("%s=%s" % i for i in r.items())
                known["source"] = "bench"
                rows.append(dict(known, suite=suite or "", **boot_cols(b)))
                suite_bench += 1
            elif ln.startswith("BENCH-NOTE "):
                notes.append((b.get("n"), b.get("kernel"), b.get("mode"), ln[11:]))
            elif suite:
                suite_lines.append(ln)
        if suite:
            failures.append("boot %s (%s, %s): suite %s did not finish (guest ended or timed out; %s)"
                            % (b.get("n"), b.get("kernel"), b.get("mode"), suite, b["log"]))
        if b["rc"] is None:
            failures.append("boot %s: no end line (the harness was interrupted?), %s" % (b.get("n"), b["log"]))
        elif b["rc"] != "0":
            failures.append("boot %s (%s, %s): guest exit %s, %s (%s)" % (
                b.get("n"), b.get("kernel"), b.get("mode"), b["rc"],
                {"124": "timed out", "125": "died"}.get(b["rc"], "a suite failed, see below"), b["log"]))
        for s, st in b["suites"].items():
            nrows = sum(1 for r in rows if r["boot"] == b.get("n") and r["suite"] == s)
            if st.get("rc") == "0" and not nrows:
                failures.append("boot %s (%s, %s): suite %s exited 0 but printed no figure (%s)" % (
                    b.get("n"), b.get("kernel"), b.get("mode"), s, b["log"]))
            if st.get("rc") not in (None, "0"):
                failures.append("boot %s (%s, %s): suite %s exited %s%s (%s)" % (
                    b.get("n"), b.get("kernel"), b.get("mode"), s, st["rc"],
                    ": `%s`" % st["why"] if st.get("why") else "", b["log"]))
        boots.append(b)
    return rows, notes, boots, failures, retries


def boot_cols(b):
    return dict(kernel=b.get("kernel", ""), boot=b.get("n", ""),
                kernel_boot=str(b.get("kernel_boot", "")), mode=b.get("mode", ""))


# --- folding ----------------------------------------------------------------

class Stat:
    def __init__(self, per_boot):
        """per_boot: {boot: value}"""
        self.pb = dict(per_boot)
        self.v = sorted(self.pb.values())
        self.n = len(self.v)
        self.min, self.max = self.v[0], self.v[-1]
        self.median = statistics.median(self.v)


def fold(rows, field):
    """{key: Stat} of FIELD, per boot the minimum, then over boots."""
    per = defaultdict(lambda: defaultdict(list))
    for r in rows:
        if r.get(field, "") in ("", None):
            continue
        key = (r["suite"], r["kernel"], r["mode"], r["path"], r["mem"],
               r["size_mib"], r["op"], r.get("flags", ""))
        per[key][r["boot"]].append(float(r[field]))
    return {k: Stat({b: min(v) for b, v in boots.items()}) for k, boots in per.items()}


def add(a, b):
    """a + b boot by boot (pin + unpin of the same boot), or None."""
    if not a or not b:
        return None
    common = set(a.pb) & set(b.pb)
    return Stat({k: a.pb[k] + b.pb[k] for k in common}) if common else None


def folios(mem, size_mib):
    """Folios in SIZE_MIB of MEM, when every large folio was allocated."""
    return size_mib * {"THP": 1 / 2, "hugetlb-2M": 1 / 2, "hugetlb-1G": 1 / 1024}.get(mem, 256)


def fmt_t(ns):
    if ns is None:
        return "-"
    if ns >= 1e9:
        return "%.2f s" % (ns / 1e9)
    if ns >= 1e6:
        return "%.1f ms" % (ns / 1e6)
    if ns >= 1e3:
        return "%.1f us" % (ns / 1e3)
    return "%.0f ns" % ns


def fmt_b(b):
    if b >= 1 << 20:
        return "%.1f MiB (%d B)" % (b / (1 << 20), b)
    if b >= 1 << 10:
        return "%.1f KiB (%d B)" % (b / 1024, b)
    return "%d B" % b


def cell(s, f=fmt_t):
    if s is None:
        return "-"
    if s.n == 1:
        return "%s (1 boot)" % f(s.median)
    return "%s [%s - %s]" % (f(s.median), f(s.min), f(s.max))


def ratio(old, new):
    if old is None or new is None or not new.median or not new.min:
        return "-"
    r = old.median / new.median
    if old.n == 1 and new.n == 1:
        return "%.2fx" % r
    return "%.2fx [%.2f - %.2f]" % (r, old.min / new.max, old.max / new.min)


# --- plots ----------------------------------------------------------------

def plot(d, name, title, xlabel, ylabel, series, ylog=True):
    """series: [(label, [(x, median, min, max)], style)]; writes plots/NAME.png."""
    series = [s for s in series if s[1]]
    if len({p[0] for s in series for p in s[1]}) < 2:
        return None	# one size (--quick): nothing to draw against size
    pdir = os.path.join(d, "plots")
    os.makedirs(pdir, exist_ok=True)
    gp = ["set terminal pngcairo noenhanced size 900,650 font 'DejaVu Sans,10'",
          "set output '%s.png'" % name,
          "set title \"%s\"" % title.replace('"', "'"),
          "set xlabel '%s'" % xlabel, "set ylabel '%s'" % ylabel,
          "set logscale x 2", "set grid", "set key below maxrows 4",
          "set format x '%g'"]
    if ylog:
        gp.append("set logscale y 10")
    cmds = []
    for i, (label, pts, style) in enumerate(series):
        dat = "%s.%d.dat" % (name, i)
        with open(os.path.join(pdir, dat), "w") as f:
            f.write("# x median min max\n")
            for p in sorted(pts):
                f.write("%g %g %g %g\n" % p)
        cmds.append("'%s' using 1:2:3:4 with yerrorlines %s title \"%s\"" % (dat, style, label))
    gp.append("plot " + ", \\\n     ".join(cmds))
    with open(os.path.join(pdir, name + ".gp"), "w") as f:
        f.write("# generated by ./phyr bench (harness/lib/bench_report.py); gnuplot %s.gp\n" % name)
        f.write("\n".join(gp) + "\n")
    r = subprocess.run(["gnuplot", name + ".gp"], cwd=pdir, capture_output=True, text=True)
    if r.returncode:
        sys.stderr.write("gnuplot %s: %s\n" % (name, r.stderr))
        return None
    return "plots/%s.png" % name


STYLES = ["lc rgb '#1f77b4'", "lc rgb '#d62728'", "lc rgb '#2ca02c'", "lc rgb '#9467bd'",
          "lc rgb '#ff7f0e'", "lc rgb '#8c564b'", "lc rgb '#e377c2'", "lc rgb '#17becf'"]


# --- the report --------------------------------------------------------------

def main():
    d = sys.argv[1]
    meta = read_meta(d)
    rows, notes, boots, failures, retries = read_boots(d)
    with open(os.path.join(d, "results.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=CSV_COLS, extrasaction="ignore")
        w.writeheader()
        for r in rows:
            w.writerow({c: r.get(c, "") for c in CSV_COLS})
    T = fold(rows, "ns")
    B = fold(rows, "bytes")

    def t(suite, kernel, path, mem, size, op, flags="", mode="iommu"):
        return T.get((suite, kernel, mode, path, mem, str(size), op, flags))

    def by(suite, kernel, path, mem, size, op, flags="", mode="iommu"):
        return B.get((suite, kernel, mode, path, mem, str(size), op, flags))

    out = []
    p = out.append
    quick = meta.get("quick") == "1"
    nst = sum(1 for b in boots if b.get("kernel") == "stock")
    nbe = sum(1 for b in boots if b.get("kernel") == "bench" and b.get("role") == "ab")
    info = next((b["info"] for b in boots if b["info"]), {})
    p("# phyr benchmark report%s" % (" (--quick)" if quick else ""))
    p("")
    p("Generated by `./phyr bench%s` (harness/lib/bench.sh, harness/lib/bench_report.py); "
      "regenerate it with the same command. Started %s, %s s in all." % (
          " --quick" if quick else "", meta.get("started", "?"), meta.get("seconds", "?")))
    p("")
    p("- **Machine:** %s, %s cores, %s (load average at the start %s); shared with other users." % (
        meta.get("host_cpu", "?"), meta.get("host_cpus", "?"), meta.get("host_mem", "?"), meta.get("host_load", "?")))
    p("- **QEMU:** %s, accelerator **%s**%s; guest: %s vCPUs (%s), %s, `%s`." % (
        meta.get("qemu", "?"), meta.get("accel", "?"),
        " (single-threaded TCG: figures are emulated-CPU time, 10-100x native, and vary up to 40% between boots)"
        if meta.get("accel") == "tcg" else "",
        meta.get("guest_cpus", "?"), info.get("cpu", "?"), meta.get("guest_mem", "?"),
        meta.get("guest_hugepages", "?")))
    p("- **Kernels:** `stock` = pristine Linux %s, `bench` = the phyr series (%s), both with "
      "x86_64_defconfig + harness/config/phyr.config + harness/config/bench.config (every debugging option off)." % (
          meta.get("kernel_version", "?"), meta.get("series", "?")))
    cy = meta.get("config_y", "").split()
    if "config_y" not in meta:
        cy = ["(not checked: run from an older harness)"]
    bad = [x for x in cy if not x == "bench:GUP_PHYR"]
    if "bench:GUP_PHYR" not in cy:
        bad.append("bench:no GUP_PHYR")
    if meta.get("prebuilt"):
        p("- Kernels built elsewhere (PHYR_BENCH_PREBUILT): stock `%s`, bench `%s`." % (
            meta.get("stock_out"), meta.get("bench_out")))
    if bad:
        p("- **WARNING: these kernels are not a stock / bench pair** (their .config has: %s): "
          "the figures test the harness and compare nothing." % ", ".join(bad))
    else:
        p("- Config check: the stock kernel has no GUP_PHYR, the bench kernel has it, and neither has "
          "kmemleak, DMA-API debugging, KASAN, failslab, DEBUG_SG or lockdep.")
    p("- **Boots:** %d x stock and %d x bench, alternating (stock, bench, stock, bench, ...), iommu mode%s%s." % (
        nst, nbe, "; then bench once in each of direct, pt, swiotlb for the DMA A/B" if not quick else "",
        "; --quick: %d boots of each kernel instead of 3, one buffer size (1 GiB), FOLL_LONGTERM only, "
        "the DMA A/B in iommu mode only, VFIO (one round) and RDMA in the first boot of each kernel only, "
        "the scale curve with a 4 s cap" % nst if quick else ""))
    p("")
    p("Boot order as run:")
    p("")
    p("| # | kernel | mode | role | guest exit | seconds | host load at start | other QEMUs | log |")
    p("|---|---|---|---|---|---|---|---|---|")
    for b in boots:
        h = b.get("host", {})
        p("| %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            b.get("n"), b.get("kernel"), b.get("mode"), b.get("role"), b.get("rc"), b.get("seconds"),
            h.get("load", "?"), h.get("qemus", "?"), b["log"]))
    p("")
    p("## How each figure was measured")
    p("")
    p("- Every cell is **median [min - max] over boots**; within one boot a figure is the best (minimum) of its "
      "repetitions. A ratio is old / new of the medians, and its range [worst - best] pairs the old path's "
      "fastest boot with the new path's slowest and the other way round. `(1 boot)` marks figures with no spread.")
    p("- **pin_user_pages_fast** (stock and bench): upstream gup_test `-a` (PIN_FAST_BENCHMARK), 512 pages a call "
      "(what ib_umem_get() and VFIO pin at a time) into one page array, then unpin_user_pages(); the kernel reports "
      "microseconds. Stock against bench is the zero-cost check: what every other pin_user_pages_fast() caller pays "
      "for the series.")
    p("- **get_user_phyrs**, **pup+sg**, **pup-1call** (bench only): our gup_test `-P` (PHYR_BENCHMARK), "
      "nanoseconds, on one buffer one after the other, best of the repetitions: get_user_phyrs() + "
      "unpin_user_phyrs(); pin_user_pages_fast() through a one-page array + sg_alloc_append_table_from_pages() "
      "+ unpin by sg entry (what ib_umem_get() / ib_umem_release() do); one pin_user_pages_fast() call over the range.")
    p("- Memory: `4K` populated in ascending order (physically contiguous runs, as a fresh guest hands them out), "
      "`4K-frag` faulted in backwards (gup_test -R) or in a shuffled order (phyr_edu, rdma_umem), `THP` "
      "(MADV_HUGEPAGE), `hugetlb-2M`, `hugetlb-1G`. All populated. `flags=longterm` adds FOLL_LONGTERM "
      "(gup_test -F 0x100; FOLL_WRITE always), which RDMA and VFIO pass.")
    p("- **bytes**: what the path keeps for the pinned range: the sg table (pup+sg), the phyr list (get_user_phyrs), "
      "the page array (pin_user_pages_fast, 8 B a page).")
    p("")

    # Headline
    p("## Headline: 1 GiB, FOLL_LONGTERM, stock against bench")
    p("")
    p("| memory | op | stock pin_user_pages_fast | bench get_user_phyrs | stock / phyr | bench pup+sg | pup+sg / phyr | bench pin_user_pages_fast | zero cost: stock / bench |")
    p("|---|---|---|---|---|---|---|---|---|")
    for mem in MEMS:
        for op in ("pin", "unpin"):
            so = t("gup", "stock", "pin_user_pages_fast", mem, 1024, op, "longterm")
            bp = t("gup", "bench", "get_user_phyrs", mem, 1024, op, "longterm")
            bs = t("gup", "bench", "pup+sg", mem, 1024, op, "longterm")
            bo = t("gup", "bench", "pin_user_pages_fast", mem, 1024, op, "longterm")
            if not any((so, bp, bs, bo)):
                continue
            p("| %s | %s | %s | %s | **%s** | %s | %s | %s | %s |" % (
                mem, op, cell(so), cell(bp), ratio(so, bp), cell(bs), ratio(bs, bp), cell(bo), ratio(so, bo)))
    p("")

    # GUP, every size and flag
    sizes = sorted({int(r["size_mib"]) for r in rows if r["suite"] == "gup" and r["size_mib"]})
    for flags in ("longterm", "none"):
        if not any(k[0] == "gup" and k[7] == flags for k in T):
            continue
        p("## Pin and unpin, every size, flags=%s" % flags)
        p("")
        p("| memory | MiB | op | stock pin_user_pages_fast | bench pin_user_pages_fast | bench pup-1call | bench pup+sg | bench get_user_phyrs | stock / phyr | pup+sg / phyr | ns per folio, stock / phyr (folios if every large folio was allocated) |")
        p("|---|---|---|---|---|---|---|---|---|---|---|")
        for mem in MEMS:
            for size in sizes:
                for op in ("pin", "unpin"):
                    c = [t("gup", k, pa, mem, size, op, flags) for k, pa in (
                        ("stock", "pin_user_pages_fast"), ("bench", "pin_user_pages_fast"),
                        ("bench", "pup-1call"), ("bench", "pup+sg"), ("bench", "get_user_phyrs"))]
                    if not any(c):
                        continue
                    nf = folios(mem, size)
                    per = "%s / %s" % (fmt_t(c[0].median / nf) if c[0] else "-",
                                       fmt_t(c[4].median / nf) if c[4] else "-")
                    p("| %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                        mem, size, op, cell(c[0]), cell(c[1]), cell(c[2]), cell(c[3]), cell(c[4]),
                        ratio(c[0], c[4]), ratio(c[3], c[4]), per))
        p("")

    # Bytes kept per 1 GiB
    p("## Bytes kept per 1 GiB pinned (per MR)")
    p("")
    p("| memory | sg table (pup+sg) | phyr list (get_user_phyrs) | sg / phyr | ib_umem 6.12 (rdma) | ib_umem phyr (rdma) | page array (pin_user_pages_fast) |")
    p("|---|---|---|---|---|---|---|")
    for mem in MEMS:
        sg = by("gup", "bench", "pup+sg", mem, 1024, "pin", "longterm")
        ph = by("gup", "bench", "get_user_phyrs", mem, 1024, "pin", "longterm")
        u6 = by("rdma", "bench", "ib_umem-6.12", mem, 1024, "kept")
        up = by("rdma", "bench", "ib_umem-phyr", mem, 1024, "kept")
        if not any((sg, ph, u6, up)):
            continue
        p("| %s | %s | %s | %s | %s | %s | %s |" % (
            mem, fmt_b(sg.median) if sg else "-", fmt_b(ph.median) if ph else "-",
            "%.1fx" % (sg.median / ph.median) if sg and ph and ph.median else "-",
            fmt_b(u6.median) if u6 else "-", fmt_b(up.median) if up else "-", fmt_b(262144 * 8)))
    p("")

    # Scale
    p("## A terabyte backed by one 1 GiB page (phyr_scale)")
    p("")
    cmd = next((b["suites"]["scale"].get("cmd") for b in boots if "scale" in b["suites"]), None)
    p("One 1 GiB hugetlb page of a memfd (MFD_HUGETLB | MFD_HUGE_1GB) mapped side by side into one reserved "
      "hole, pinned with FOLL_WRITE | FOLL_LONGTERM from 1 GiB up, doubling (`%s`). The old paths stop when twice "
      "their last pin + unpin passes the time cap in that command (`-c`, seconds), and pin_user_pages_fast also "
      "before its page array passes half of the guest's MemAvailable; where each stopped is in the notes below." % (cmd or "not run"))
    p("")
    ssizes = sorted({int(r["size_mib"]) for r in rows if r["suite"] == "scale"})
    p("| GiB | stock pin_user_pages_fast pin + unpin | bench pin_user_pages_fast | bench pup+sg | bench get_user_phyrs | stock / phyr | sg bytes | phyr bytes | phyr ranges |")
    p("|---|---|---|---|---|---|---|---|---|")
    scale_series = defaultdict(list)
    scale_bytes = defaultdict(list)
    for size in ssizes:
        tot = {}
        for k, pa in (("stock", "pin_user_pages_fast"), ("bench", "pin_user_pages_fast"),
                      ("bench", "pup+sg"), ("bench", "get_user_phyrs")):
            a = t("scale", k, pa, "hugetlb-1G-memfd", size, "pin", "longterm")
            u = t("scale", k, pa, "hugetlb-1G-memfd", size, "unpin", "longterm")
            tot[(k, pa)] = add(a, u)
            s = tot[(k, pa)]
            if s:
                scale_series[(k, pa)].append((size / 1024, s.median / 1e6, s.min / 1e6, s.max / 1e6))
            bb = by("scale", k, pa, "hugetlb-1G-memfd", size, "pin", "longterm")
            if bb and pa != "pin_user_pages_fast":
                scale_bytes[pa].append((size / 1024, bb.median, bb.min, bb.max))
        rng = [extra(r).get("ranges") for r in rows if r["suite"] == "scale" and r["path"] == "get_user_phyrs"
               and r["size_mib"] == str(size)]
        sgb = by("scale", "bench", "pup+sg", "hugetlb-1G-memfd", size, "pin", "longterm")
        phb = by("scale", "bench", "get_user_phyrs", "hugetlb-1G-memfd", size, "pin", "longterm")
        p("| %d | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            size // 1024, cell(tot.get(("stock", "pin_user_pages_fast"))),
            cell(tot.get(("bench", "pin_user_pages_fast"))), cell(tot.get(("bench", "pup+sg"))),
            cell(tot.get(("bench", "get_user_phyrs"))),
            ratio(tot.get(("stock", "pin_user_pages_fast")), tot.get(("bench", "get_user_phyrs"))),
            fmt_b(sgb.median) if sgb else "-", fmt_b(phb.median) if phb else "-", rng[0] if rng else "-"))
    p("")

    # DMA
    p("## dma_map_phyrs against dma_map_sgtable (bench kernel, phyr_edu -b)")
    p("")
    p("Map + unmap of one pinned buffer, the mean of each side's rounds within a boot (blocks of >= 3 rounds and "
      "50 ms, ABBA), then min / median / max over the boots of that mode. The old and new call run in the same boot: "
      "the stock kernel has no phyr_edu driver.")
    p("")
    p("| mode | memory | MiB | op | dma_map_sgtable | dma_map_phyrs | sgtable / phyrs | sg bytes | phyr + DMA list bytes |")
    p("|---|---|---|---|---|---|---|---|---|")
    dmodes = [m for m in ("iommu", "direct", "pt", "swiotlb") if any(k[0] == "dma" and k[2] == m for k in T)]
    dsizes = sorted({int(r["size_mib"]) for r in rows if r["suite"] == "dma"})
    for mode in dmodes:
        for mem in ("4K-frag", "THP"):
            for size in dsizes:
                for op in ("map", "unmap"):
                    a = t("dma", "bench", "dma_map_sgtable", mem, size, op, mode=mode)
                    b_ = t("dma", "bench", "dma_map_phyrs", mem, size, op, mode=mode)
                    if not (a or b_):
                        continue
                    sb = by("dma", "bench", "dma_map_sgtable", mem, size, op, mode=mode)
                    pb = by("dma", "bench", "dma_map_phyrs", mem, size, op, mode=mode)
                    p("| %s | %s | %d | %s | %s | %s | %s | %s | %s |" % (
                        mode, mem, size, op, cell(a), cell(b_), ratio(a, b_),
                        fmt_b(sb.median) if sb else "-", fmt_b(pb.median) if pb else "-"))
    p("")

    # VFIO
    p("## VFIO MAP_DMA / UNMAP_DMA through edu (bench-vfio.sh)")
    p("")
    p("phyr_pin=N is the unpatched 6.12 page-at-a-time pinning in the bench kernel (`type1-pages`), Y pinning by "
      "phyr lists (`type1-phyrs`), alternating in one boot; each round is one row of results.csv.")
    p("")
    p("| kernel | memory | MiB | op | type1-pages (phyr_pin=N) | type1-phyrs (phyr_pin=Y) | N / Y |")
    p("|---|---|---|---|---|---|---|")
    vs = sorted({(r["kernel"], r["mem"], r["size_mib"]) for r in rows if r["suite"] == "vfio"},
                key=lambda x: (x[0], MEMS.index(x[1]) if x[1] in MEMS else 9, x[2]))
    for k, mem, size in vs:
        for op in ("map", "unmap"):
            a = t("vfio", k, "type1-pages", mem, size, op)
            b_ = t("vfio", k, "type1-phyrs", mem, size, op)
            p("| %s | %s | %s | %s | %s | %s | %s |" % (k, mem, size, op, cell(a), cell(b_), ratio(a, b_)))
    if not vs:
        p("| - | no VFIO figures in this run (see What failed) | | | | | |")
    p("")

    # RDMA
    p("## RDMA over rxe (bench-rdma.sh)")
    p("")
    p("ibv_reg_mr() of 1 GiB, best of 3 in a boot, rxe's own page table included (rxe maps no DMA); "
      "ib_umem_get() + ib_umem_release() in-kernel A/B against the 6.12 algorithm (bench kernel only, best of 4). "
      "fio's rdma engine throughput: not in bench-rdma.sh yet.")
    p("")
    p("| memory | stock ibv_reg_mr | bench ibv_reg_mr | stock / bench | ib_umem_get 6.12 | ib_umem_get phyr | 6.12 / phyr | ib_umem_release 6.12 | ib_umem_release phyr | 6.12 / phyr |")
    p("|---|---|---|---|---|---|---|---|---|---|")
    for mem in MEMS:
        rs = t("rdma", "stock", "ibv_reg_mr", mem, 1024, "reg")
        rb = t("rdma", "bench", "ibv_reg_mr", mem, 1024, "reg")
        g6 = t("rdma", "bench", "ib_umem-6.12", mem, 1024, "pin")
        gp = t("rdma", "bench", "ib_umem-phyr", mem, 1024, "pin")
        r6 = t("rdma", "bench", "ib_umem-6.12", mem, 1024, "unpin")
        rp = t("rdma", "bench", "ib_umem-phyr", mem, 1024, "unpin")
        if not any((rs, rb, g6, gp)):
            continue
        p("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            mem, cell(rs), cell(rb), ratio(rs, rb), cell(g6), cell(gp), ratio(g6, gp), cell(r6), cell(rp), ratio(r6, rp)))
    p("")

    # Plots
    p("## Plots")
    p("")
    plots = []
    for mem in MEMS:
        ser = []
        for i, (k, pa) in enumerate((("stock", "pin_user_pages_fast"), ("bench", "pin_user_pages_fast"),
                                     ("bench", "pup+sg"), ("bench", "get_user_phyrs"))):
            for op, dash in (("pin", "dt 1"), ("unpin", "dt 2")):
                pts = []
                for size in sizes:
                    s = t("gup", k, pa, mem, size, op, "longterm")
                    if s:
                        pts.append((size, s.median / 1e6, s.min / 1e6, s.max / 1e6))
                ser.append(("%s %s %s" % (k, pa, op), pts, "%s %s lw 2 pt 7" % (STYLES[i], dash)))
        f = plot(d, "gup-time-%s" % mem, "pin / unpin time, %s, FOLL_LONGTERM (median, bars min-max over boots)" % mem,
                 "buffer (MiB)", "ms", ser)
        if f:
            plots.append((f, "Pin (solid) and unpin (dashed) time against buffer size, %s memory, log-log." % mem))
    ser = []
    for i, mem in enumerate(MEMS):
        for pa, dash in (("pup+sg", "dt 2"), ("get_user_phyrs", "dt 1")):
            pts = []
            for size in sizes:
                s = by("gup", "bench", pa, mem, size, "pin", "longterm")
                if s:
                    pts.append((size, s.median, s.min, s.max))
            ser.append(("%s %s" % (mem, "sg table" if pa == "pup+sg" else "phyr list"), pts,
                        "%s %s lw 2 pt 7" % (STYLES[i], dash)))
    f = plot(d, "gup-bytes", "bytes kept for the pinned range: sg table (dashed) and phyr list (solid)",
             "buffer (MiB)", "bytes", ser)
    if f:
        plots.append((f, "Bytes each path keeps against buffer size, every memory type, log-log."))
    ser = [("%s %s" % k, scale_series[k], "%s lw 2 pt 7" % STYLES[i])
           for i, k in enumerate((("stock", "pin_user_pages_fast"), ("bench", "pin_user_pages_fast"),
                                  ("bench", "pup+sg"), ("bench", "get_user_phyrs")))]
    f = plot(d, "scale-time", "pin + unpin of N GiB backed by one 1 GiB page (FOLL_LONGTERM)",
             "address space pinned (GiB)", "ms", ser)
    if f:
        plots.append((f, "The terabyte curve: pin + unpin time against GiB of address space, log-log."))
    ser = [("sg table" if k == "pup+sg" else "phyr list", scale_bytes[k], "%s lw 2 pt 7" % STYLES[i + 2])
           for i, k in enumerate(("pup+sg", "get_user_phyrs"))]
    f = plot(d, "scale-bytes", "bytes kept, N GiB backed by one 1 GiB page (0 B: inline in the list head, not drawn)", "address space pinned (GiB)",
             "bytes", ser)
    if f:
        plots.append((f, "Bytes kept against GiB pinned for the terabyte curve, log-log."))
    for mode in dmodes:
        ser = []
        for i, mem in enumerate(("4K-frag", "THP")):
            for pa, dash in (("dma_map_sgtable", "dt 2"), ("dma_map_phyrs", "dt 1")):
                pts = []
                for size in dsizes:
                    a = t("dma", "bench", pa, mem, size, "map", mode=mode)
                    u = t("dma", "bench", pa, mem, size, "unmap", mode=mode)
                    s = add(a, u)
                    if s:
                        pts.append((size, s.median / 1e6, s.min / 1e6, s.max / 1e6))
                ser.append(("%s %s" % (mem, pa), pts, "%s %s lw 2 pt 7" % (STYLES[i], dash)))
        if sum(len(s[1]) for s in ser) > 2 * len(ser):
            f = plot(d, "dma-time-%s" % mode, "map + unmap time, %s mode (bench kernel)" % mode,
                     "buffer (MiB)", "ms", ser)
            if f:
                plots.append((f, "dma_map_sgtable (dashed) and dma_map_phyrs (solid) map + unmap against size, %s mode." % mode))
    for f, what in plots:
        p("- `%s`: %s" % (f, what))
    if not plots:
        p("No plots: no figure was measured at two sizes or more, or gnuplot failed.")
    elif quick:
        p("- (--quick measures one buffer size: time and bytes against size are plotted by the full run.)")
    p("")

    # Notes and failures
    srcs = sorted({(r["suite"], r["kernel"]) for r in rows if r.get("source") == "text"})
    if srcs:
        p("## Figures parsed from text")
        p("")
        p("These scripts print no BENCH lines yet; their figures were parsed from their human-readable output: " +
          ", ".join("%s on %s" % s for s in srcs) + ".")
        p("")
    if notes:
        p("## Notes from the guests")
        p("")
        seen = set()
        for n, k, m, text in notes:
            key = (k, m, text)
            if key in seen:
                continue
            seen.add(key)
            p("- %s, %s (first in boot %s): %s" % (k, m, n, text))
        p("")
    if retries:
        p("## Boots retried")
        p("")
        for x in retries:
            p("- " + x)
        p("")
    if failures:
        p("## What failed")
        p("")
        for x in failures:
            p("- " + x)
        p("")
    with open(os.path.join(d, "report.md"), "w") as f:
        f.write("\n".join(out))
    with open(os.path.join(d, "failures.txt"), "w") as f:
        f.write("".join(x + "\n" for x in failures))
    print("%d rows, %d boots, %d plots, %d failures" % (len(rows), len(boots), len(plots), len(failures)))


if __name__ == "__main__":
    main()
