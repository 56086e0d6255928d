# SPDX-License-Identifier: MIT
"""The figures of docs/benchmarks.md, drawn by bench/run.py with Debian's
matplotlib (python3-matplotlib, installed by scripts/bench-setup) from one
run's results: SVG files next to the doc. Each bar is the median of the
repeats, the whisker its min-max. The SVGs are deterministic for the same
numbers (no date, fixed hash salt), so a re-run changes them only where
the figures moved.

draw(results, docs_dir) -> [(file name, alt text)] of what was drawn;
[] when matplotlib is missing (the doc then says so).
"""
import statistics


def _lib():
    try:
        import matplotlib
        matplotlib.use("Agg")
        matplotlib.rcParams["svg.hashsalt"] = "svcwrap-bench"
        matplotlib.rcParams["svg.fonttype"] = "none"  # text stays text
        import matplotlib.pyplot as plt
        return plt
    except ImportError:
        return None


def _bars(plt, path, title, xlabel, rows, highlight="svcwrap", ref=None,
          log=False):
    """Horizontal bars: rows = [(label, values)]; ref = (x, label) draws a
    vertical reference line."""
    rows = [(l, v) for l, v in rows if v]
    if not rows:
        return False
    fig, ax = plt.subplots(figsize=(7.5, 0.45 * len(rows) + 1.4))
    labels = [l for l, _ in rows]
    med = [statistics.median(v) for _, v in rows]
    lo = [m - min(v) for m, (_, v) in zip(med, rows)]
    hi = [max(v) - m for m, (_, v) in zip(med, rows)]
    colors = ["#c0392b" if l.startswith(highlight) else "#7f8c8d"
              for l in labels]
    y = range(len(rows))
    ax.barh(y, med, xerr=[lo, hi], color=colors, capsize=3,
            error_kw={"elinewidth": 0.8})
    ax.set_yticks(list(y), labels)
    ax.invert_yaxis()
    if log:
        ax.set_xscale("log")
    for i, m in enumerate(med):
        ax.annotate(f"{m:.3g}", (m, i), xytext=(4, -4 if lo[i] or hi[i] else 0),
                    textcoords="offset points", va="center", fontsize=8)
    if ref:
        ax.axvline(ref[0], color="#2c3e50", linestyle="--", linewidth=1)
        ax.annotate(ref[1], (ref[0], len(rows) - 0.5), xytext=(3, 0),
                    textcoords="offset points", fontsize=8, va="bottom")
    ax.set_xlabel(xlabel)
    ax.set_title(title, fontsize=10)
    ax.grid(axis="x", linewidth=0.3)
    fig.tight_layout()
    fig.savefig(path, format="svg", metadata={"Date": None})
    plt.close(fig)
    return True


def draw(results, docs_dir, peers):
    plt = _lib()
    if plt is None:
        return []
    out = []
    mem = results.get("memory", {})

    def kb_to_mb(v):
        return [x / 1024 for x in v]
    rows = [(p, kb_to_mb(mem.get(p, {}).get("rss", []))) for p in peers]
    runit = mem.get("runit", {}).get("rss")
    if _bars(plt, docs_dir / "bench-memory.svg",
             "RSS of the supervising processes (supervisor + logger / guard)",
             "MB (log scale)", rows, log=True,
             ref=(statistics.median(runit) / 1024, "runit's pair")
             if runit else None):
        out.append(("bench-memory.svg", "RSS of each peer's supervising "
                    "processes, log scale"))
    rows = [(p, kb_to_mb(mem.get(p, {}).get("pss", []))) for p in peers]
    if _bars(plt, docs_dir / "bench-pss.svg",
             "PSS of the supervising processes (shared pages divided)",
             "MB (log scale)", rows, log=True):
        out.append(("bench-pss.svg", "PSS of each peer's supervising "
                    "processes, log scale"))

    rst = results.get("restart", {})
    rows = [(p, rst.get(p, {}).get("rate", [])) for p in ["sh loop"] + peers]
    if _bars(plt, docs_dir / "bench-restart.svg",
             "Restarts per second, child exits 1 at once, zero delay",
             "restarts/s (log scale)", rows, log=True):
        out.append(("bench-restart.svg", "restart rate of each peer and the "
                    "bare sh loop, log scale"))

    for key, name, title in (("log-plain", "bench-log.svg",
                              "Log throughput, 200 MB of 100-byte lines, no "
                              "rotation"),):
        lg = results.get(key, {})
        rows = [(p, lg.get(p, {}).get("mbs", []))
                for p in ["cat > file", "cat > file (socketpair)"] + peers]
        if _bars(plt, docs_dir / name, title, "MB/s", rows):
            out.append((name, "log throughput of each peer and of cat"))

    w = results.get("wine", {}).get("rows", {})
    rows = [(label, w.get(k, {}).get("start", [])) for k, label in (
        ("swbench", "svcwrap.exe (delay-loaded DLLs)"),
        ("swnodelay", "svcwrap.exe (DLLs at load)"),
        ("minsvc", "minimal service"))]
    if _bars(plt, docs_dir / "bench-wine-start.svg",
             "Wine 8: StartServiceW until RUNNING", "ms", rows):
        out.append(("bench-wine-start.svg", "sc start to RUNNING under Wine "
                    "for svcwrap.exe with and without delay-loading, and a "
                    "minimal service"))
    return out
