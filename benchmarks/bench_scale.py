"""Time and memory of skmtl's per-task group lasso at scale, in one run.

1. In-memory: ``GroupLassoRegressor(alpha).fit(X, y, tasks=tasks)`` on dense float64
   data up to one million rows (d=100, T=100: the data alone is 0.8 GB): the time
   (best of ``--repeat`` after a warm-up, and the first, cold call) and the peak
   resident memory of the fit, each point in a fresh process; the cost against
   rows, features and tasks.
2. Out of memory: 2e7 rows (d=50, T=200; 8 GB of data) generated chunk by chunk,
   never all at once, through
   (a) ``partial_fit`` on every chunk (which re-solves at every call),
   (b) ``TaskStatistics.from_data`` on every chunk merged with ``+``, then one solve,
   (c) a lazily generated Dask array given to ``fit`` (a tree reduction of the same
   statistics, then one solve),
   each in a fresh process; time per million rows, total time, peak memory, and
   whether the three solutions agree; then 5e7 rows through route (a).
   ``--stream-rows`` sets the lengths of such further streams.

Peak memory is the peak resident set size (``VmHWM`` of ``/proc/self/status``) of
the process doing the work, counted from a reset (``/proc/self/clear_refs``) just
before the measured part, so it includes the data held then.

Run from the repository root::

    python benchmarks/bench_scale.py           # full run, about 3 minutes
    python benchmarks/bench_scale.py --quick   # smoke run, well under a minute
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    RESULTS,
    CpuMonitor,
    base_parser,
    best_of,
    finish_args,
    fmt_time,
    header,
    isolated,
    markdown_table,
    peak_rss_gib,
    profile_call,
    reset_peak_rss,
    rss_gib,
    wait_for_quiet,
    write_report,
)

DEFAULT_OUTPUT = RESULTS / "scale.md"
PLOT = RESULTS / "scale.png"
SCRIPT = "benchmarks/bench_scale.py"
N_INFORMATIVE = 10
ALPHA_DIVISOR = 10  # alpha = alpha_max / 10
TARGET_TIME, TARGET_MEMORY = 20.0, 2.5  # s and GB at one million rows
GB = 1e9


@dataclass
class Sizes:
    headline: tuple  # (n, d, T)
    rows: tuple  # n values at d, T of the headline
    features: tuple  # d values at (n, T) = scan_base
    tasks: tuple  # T values at (n, d) = scan_base
    scan_base: tuple  # (n, d, T) of the feature and task scans
    stream: tuple  # (n_rows, d, T, chunk)
    extra_streams: tuple  # further n_rows, partial_fit route only


FULL = Sizes(
    headline=(1_000_000, 100, 100),
    rows=(100_000, 300_000, 1_000_000),
    features=(25, 50, 100, 200),
    tasks=(10, 100, 1000),
    scan_base=(300_000, 100, 100),
    stream=(20_000_000, 50, 200, 500_000),
    extra_streams=(50_000_000,),
)
QUICK = Sizes(
    headline=(50_000, 20, 10),
    rows=(10_000, 50_000),
    features=(10, 20),
    tasks=(5, 10),
    scan_base=(20_000, 20, 10),
    stream=(200_000, 10, 20, 50_000),
    extra_streams=(),
)


# ----------------------------------------------------------------------------- data
def true_coef(d, T, seed=0):
    """Joint-sparse (T, d): the first features matter for every task."""
    rng = np.random.default_rng(seed)
    W = np.zeros((T, d))
    k = min(N_INFORMATIVE, d)
    W[:, :k] = rng.standard_normal((T, k)) + 1.0
    return W


def make_sorted(n, d, T, seed=0):
    """Dense rows grouped by task (equal counts); y built task by task, so that no
    temporary as large as X is made."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    tasks = np.repeat(np.arange(T), -(-n // T))[:n]
    W = true_coef(d, T, seed)
    y = rng.standard_normal(n)
    for t, (start, stop) in enumerate(task_blocks(tasks, T)):
        y[start:stop] += X[start:stop] @ W[t]
    return X, y, tasks


def task_blocks(tasks, T):
    bounds = np.searchsorted(tasks, np.arange(T + 1))
    return list(zip(bounds[:-1], bounds[1:], strict=True))


def alpha_max(X, y, tasks, T):
    """max_j ||[X_t^T (y_t - mean y_t) / n_t]_t||_2 for rows grouped by task."""
    G = np.empty((X.shape[1], T))
    for t, (start, stop) in enumerate(task_blocks(tasks, T)):
        G[:, t] = X[start:stop].T @ (y[start:stop] - y[start:stop].mean()) / (stop - start)
    return float(np.linalg.norm(G, axis=1).max())


def make_chunk(index, m, d, T, seed=0):
    """Chunk ``index`` of a stream: rows of random tasks, y from ``true_coef``."""
    rng = np.random.default_rng([seed, index])
    X = rng.standard_normal((m, d))
    tasks = rng.integers(T, size=m)
    y = np.einsum("ij,ij->i", X, true_coef(d, T, seed)[tasks]) + rng.standard_normal(m)
    return X, y, tasks


def chunk_sizes(n_rows, chunk):
    return [min(chunk, n_rows - start) for start in range(0, n_rows, chunk)]


# ----------------------------------------------------------------- in-memory fits
def fit_point(n, d, T, repeat):
    """In a fresh process: make the data, then time the fit and its peak memory."""
    from skmtl import GroupLassoRegressor

    X, y, tasks = make_sorted(n, d, T)
    alpha = alpha_max(X, y, tasks, T) / ALPHA_DIVISOR

    def fit():
        return GroupLassoRegressor(alpha=alpha).fit(X, y, tasks=tasks)

    data_rss = rss_gib()
    reset_peak_rss()
    start = time.perf_counter()
    fit()  # the cold call: its peak is the fit's peak
    first = time.perf_counter() - start
    peak = peak_rss_gib()
    timing = best_of(fit, repeat, warm_up=False)
    model = timing.value
    support = int((np.abs(model.coef_).max(axis=0) > 0).sum())
    return dict(
        n=n,
        d=d,
        T=T,
        time=timing.time,
        first=first,
        data_gb=X.nbytes / GB,
        data_rss=data_rss,
        peak=peak,
        n_iter=model.n_iter_,
        dual_gap=float(model.dual_gap_),
        support=support,
        warnings=timing.warnings,
    )


def profile_point(n, d, T):
    from skmtl import GroupLassoRegressor

    X, y, tasks = make_sorted(n, d, T)
    alpha = alpha_max(X, y, tasks, T) / ALPHA_DIVISOR
    return profile_call(lambda: GroupLassoRegressor(alpha=alpha).fit(X, y, tasks=tasks))


def bench_in_memory(sizes, repeat):
    n, d, T = sizes.headline
    nb, db, Tb = sizes.scan_base
    points = [(m, d, T) for m in sizes.rows]
    points += [(nb, f, Tb) for f in sizes.features] + [(nb, db, t) for t in sizes.tasks]
    if sizes.headline not in points:
        points.append(sizes.headline)
    results = {}
    for point in dict.fromkeys(points):  # unique, in order
        print(f"[in memory] n={point[0]} d={point[1]} T={point[2]}", flush=True)
        out = isolated(fit_point, *point, repeat, timeout=1200)
        if out.status != "ok":
            raise RuntimeError(f"fit at {point} {out.status}: {out.value}")
        results[point] = out.value
    return results


# ------------------------------------------------------------------------ streams
def _stream(n_rows, d, T, chunk, consume):
    """Feed every chunk to ``consume``; returns (seconds generating, seconds in
    consume, peak RSS)."""
    reset_peak_rss()
    generating = working = 0.0
    for index, m in enumerate(chunk_sizes(n_rows, chunk)):
        start = time.perf_counter()
        X, y, tasks = make_chunk(index, m, d, T)
        mid = time.perf_counter()
        consume(X, y, tasks)
        generating, working = generating + mid - start, working + time.perf_counter() - mid
        del X, y, tasks
    return generating, working


def stream_alpha(d, T, chunk):
    """alpha_max / 10 of the first chunk (the stream's is not known before its end)."""
    from skmtl import GroupLassoRegressor

    X, y, tasks = make_chunk(0, chunk, d, T)
    return GroupLassoRegressor().alpha_max(X, y, tasks) / ALPHA_DIVISOR


def stream_partial_fit(n_rows, d, T, chunk, alpha):
    from skmtl import GroupLassoRegressor

    model = GroupLassoRegressor(alpha=alpha)
    solves = []

    def consume(X, y, tasks):
        model.partial_fit(X, y, tasks=tasks)
        solves.append(model.n_iter_)

    start = time.perf_counter()
    generating, working = _stream(n_rows, d, T, chunk, consume)
    return dict(
        route="partial_fit on every chunk",
        total=time.perf_counter() - start,
        generating=generating,
        working=working,
        solve=np.nan,
        peak=peak_rss_gib(),
        coef=model.coef_,
        n_iter=f"{sum(solves)} over {len(solves)} solves",
        dual_gap=float(model.dual_gap_),
    )


def stream_statistics(n_rows, d, T, chunk, alpha):
    from skmtl import GroupLassoRegressor
    from skmtl.statistics import TaskStatistics

    total = [None]

    def consume(X, y, tasks):
        part = TaskStatistics.from_data(X, y, tasks)
        total[0] = part if total[0] is None else total[0] + part

    start = time.perf_counter()
    generating, working = _stream(n_rows, d, T, chunk, consume)
    solve_start = time.perf_counter()
    # the solve on merged statistics: what partial_fit runs after merging a chunk
    model = GroupLassoRegressor(alpha=alpha)._fit_statistics(total[0], "tasks")
    solve = time.perf_counter() - solve_start
    return dict(
        route="TaskStatistics.from_data + merge, one solve",
        total=time.perf_counter() - start,
        generating=generating,
        working=working,
        solve=solve,
        peak=peak_rss_gib(),
        coef=model.coef_,
        n_iter=model.n_iter_,
        dual_gap=float(model.dual_gap_),
    )


def stream_dask(n_rows, d, T, chunk, alpha):
    import dask
    import dask.array as da

    from skmtl import GroupLassoRegressor

    parts = [
        dask.delayed(make_chunk, nout=3)(i, m, d, T)
        for i, m in enumerate(chunk_sizes(n_rows, chunk))
    ]
    sizes = chunk_sizes(n_rows, chunk)
    pairs = list(zip(parts, sizes, strict=True))
    X = da.concatenate([da.from_delayed(p[0], (m, d), float) for p, m in pairs])
    y = da.concatenate([da.from_delayed(p[1], (m,), float) for p, m in pairs])
    tasks = da.concatenate([da.from_delayed(p[2], (m,), np.int64) for p, m in pairs])
    reset_peak_rss()
    start = time.perf_counter()
    model = GroupLassoRegressor(alpha=alpha).fit(X, y, tasks=tasks)
    total = time.perf_counter() - start
    return dict(
        route="Dask array (lazy chunks) to fit: tree reduction, one solve",
        total=total,
        generating=np.nan,
        working=np.nan,
        solve=np.nan,
        peak=peak_rss_gib(),
        coef=model.coef_,
        n_iter=model.n_iter_,
        dual_gap=float(model.dual_gap_),
    )


def bench_streams(sizes):
    n_rows, d, T, chunk = sizes.stream
    alpha = isolated(stream_alpha, d, T, chunk).value
    results = []
    runs = [(fn, n_rows) for fn in (stream_partial_fit, stream_statistics, stream_dask)]
    runs += [(stream_partial_fit, extra) for extra in sizes.extra_streams]
    for fn, rows in runs:
        print(f"[stream] {fn.__name__} n_rows={rows:g} d={d} T={T} chunk={chunk}", flush=True)
        out = isolated(fn, rows, d, T, chunk, alpha, timeout=1800)
        if out.status != "ok":
            results.append(
                dict(route=fn.__name__, status=f"{out.status}: {out.value}", n_rows=rows)
            )
            continue
        out.value.update(status="ok", n_rows=rows, warnings=out.warnings)
        results.append(out.value)
    return alpha, results


# ---------------------------------------------------------------------- reporting
def loglog_slope(x, y):
    return float(np.polyfit(np.log(x), np.log(y), 1)[0])


def scaling_table(results, sizes):
    columns = [
        "scan",
        "n",
        "d",
        "T",
        "data (GB)",
        "fit time (s)",
        "first call (s)",
        "s per 1e6 rows",
        "peak RSS of the fit (GB)",
        "RSS with the data (GB)",
        "n_iter",
        "dual_gap_",
        "rows of W kept",
        "warnings",
    ]
    nb, db, Tb = sizes.scan_base
    body = []
    for label, keys in (
        ("rows", [(m, *sizes.headline[1:]) for m in sizes.rows]),
        ("features", [(nb, f, Tb) for f in sizes.features]),
        ("tasks", [(nb, db, t) for t in sizes.tasks]),
    ):
        for key in keys:
            r = results[key]
            body.append(
                [
                    label,
                    f"{r['n']:,}",
                    r["d"],
                    r["T"],
                    f"{r['data_gb']:.2f}",
                    fmt_time(r["time"]),
                    fmt_time(r["first"]),
                    f"{r['time'] / r['n'] * 1e6:.3g}",
                    f"{r['peak'] * 2**30 / GB:.2f}",
                    f"{r['data_rss'] * 2**30 / GB:.2f}",
                    r["n_iter"],
                    f"{r['dual_gap']:.1e}",
                    r["support"],
                    "; ".join(r["warnings"]),
                ]
            )
    return markdown_table(columns, body)


def stream_table(results, d, T, chunk):
    columns = [
        "route",
        "rows",
        "total (s)",
        "s per 1e6 rows",
        "generating (s)",
        "statistics / partial_fit (s)",
        "final solve (s)",
        "peak RSS (GB)",
        "n_iter",
        "dual_gap_",
        "max abs coef diff vs partial_fit",
        "status",
    ]
    reference = next((r["coef"] for r in results if r.get("status") == "ok"), None)
    body = []
    for r in results:
        if r["status"] != "ok":
            body.append([r["route"], f"{r['n_rows']:.2g}"] + [""] * 9 + [r["status"]])
            continue
        same_rows = reference is not None and r["coef"].shape == reference.shape
        diff = (
            f"{np.abs(r['coef'] - reference).max():.1e}"
            if same_rows and r["n_rows"] == results[0]["n_rows"]
            else ""
        )
        body.append(
            [
                r["route"],
                f"{r['n_rows']:.2g}",
                fmt_time(r["total"]),
                f"{r['total'] / r['n_rows'] * 1e6:.3g}",
                fmt_time(r["generating"]),
                fmt_time(r["working"]),
                fmt_time(r["solve"]),
                f"{r['peak'] * 2**30 / GB:.2f}",
                r["n_iter"],
                f"{r['dual_gap']:.1e}",
                diff,
                "ok" + "".join(f"; {w}" for w in r["warnings"]),
            ]
        )
    return markdown_table(columns, body)


def summary_lines(results, sizes, streams):
    n, d, T = sizes.headline
    head = results[sizes.headline]
    peak_gb = head["peak"] * 2**30 / GB
    rows = [results[(m, d, T)] for m in sizes.rows]
    lines = [
        f"- headline fit, n={n:,} d={d} T={T}: {fmt_time(head['time'])} s "
        f"(first call {fmt_time(head['first'])} s; target < {TARGET_TIME:g} s: "
        f"{'met' if head['first'] < TARGET_TIME else 'MISSED'}), peak RSS "
        f"{peak_gb:.2f} GB with the {head['data_gb']:.2f} GB of data (target < "
        f"{TARGET_MEMORY:g} GB: {'met' if peak_gb < TARGET_MEMORY else 'MISSED'})",
        f"- time against rows: log-log slope "
        f"{loglog_slope(sizes.rows, [r['time'] for r in rows]):.2f} "
        f"(1 = linear), {', '.join(fmt_time(r['time'] / r['n'] * 1e6) for r in rows)} s "
        f"per million rows",
    ]
    nb, db, Tb = sizes.scan_base
    feats = [results[(nb, f, Tb)]["time"] for f in sizes.features]
    tasks = [results[(nb, db, t)]["time"] for t in sizes.tasks]
    lines.append(
        f"- log-log slope against features: {loglog_slope(sizes.features, feats):.2f}; "
        f"against tasks: {loglog_slope(sizes.tasks, tasks):.2f}"
    )
    for r in streams:
        if r["status"] == "ok":
            lines.append(
                f"- stream of {r['n_rows']:.2g} rows, {r['route']}: "
                f"{fmt_time(r['total'])} s in all, "
                f"{fmt_time(r['total'] / r['n_rows'] * 1e6)} s per million rows, "
                f"peak RSS {r['peak'] * 2**30 / GB:.2f} GB"
            )
        else:
            lines.append(f"- stream of {r['n_rows']:.2g} rows, {r['route']}: {r['status']}")
    return lines


def plot(results, sizes, path):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    n, d, T = sizes.headline
    nb, db, Tb = sizes.scan_base
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.6))
    for ax, (label, xs, keys) in zip(
        axes,
        (
            ("rows", sizes.rows, [(m, d, T) for m in sizes.rows]),
            ("features", sizes.features, [(nb, f, Tb) for f in sizes.features]),
            ("tasks", sizes.tasks, [(nb, db, t) for t in sizes.tasks]),
        ),
        strict=True,
    ):
        ax.loglog(xs, [results[k]["time"] for k in keys], "o-")
        ax.set_xticks(xs, [f"{x:,}" for x in xs])
        ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        ax.set_xlabel(label)
        ax.set_ylabel("fit time (s)")
        ax.grid(True, which="both", alpha=0.3)
    fig.suptitle("skmtl GroupLassoRegressor.fit(X, y, tasks=...), dense float64")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    return path


def report(args, head, results, alpha, streams, profile, figure, elapsed):
    sizes = args.sizes
    n, d, T = sizes.headline
    nb, db, Tb = sizes.scan_base
    sn, sd, sT, chunk = sizes.stream
    parts = [
        "# Scale: the per-task group lasso on large and streamed data",
        head,
        f"Every in-memory point runs in a fresh process: data made (Gaussian X, rows "
        f"grouped by task in equal counts, {N_INFORMATIVE} informative features shared "
        f"by all tasks, unit noise), alpha = alpha_max / {ALPHA_DIVISOR}, then one cold "
        f'fit (its time is "first call" and its peak RSS is the fit\'s) and the best of '
        f"{args.repeat} more. Peak RSS counts the whole process from just before the fit "
        f"(Python, libraries and the data included). Whole run: {elapsed:.0f} s.",
        "## Summary\n\n" + "\n".join(summary_lines(results, sizes, streams)),
        f"## In memory: time and memory against rows, features and tasks\n\nRows scan "
        f"at d={d}, T={T}; feature and task scans at n={nb:,} (and d={db}, T={Tb}). "
        f"`GroupLassoRegressor(alpha).fit(X, y, tasks=tasks)` with the default "
        f'`solver="auto"`, `precompute="auto"`, tol=1e-4.'
        + (f" Log-log plot: `{figure.name}` beside this file." if figure else "")
        + "\n\n"
        + scaling_table(results, sizes),
        f"## Out of memory: a stream of chunks\n\n{sn:.2g} rows, d={sd}, T={sT} "
        f"({sn * sd * 8 / GB:.0f} GB of X in all), made in chunks of {chunk:,} rows "
        f"({chunk * sd * 8 / 1e6:.0f} MB of X each) with random task labels, never all "
        f"in memory; alpha = {alpha:.4g} (alpha_max of the first chunk / "
        f'{ALPHA_DIVISOR}). Each route runs in a fresh process; "generating" is the '
        f'time spent making chunks, "statistics / partial_fit" the time spent in '
        f"skmtl on them. Route (b) calls the private `_fit_statistics` for its single "
        f"solve (what `partial_fit` runs after merging a chunk); routes (a) and (c) use "
        f"public API only. Peak RSS from just before the stream starts.\n\n"
        + stream_table(streams, sd, sT, chunk),
    ]
    if profile:
        parts.append(
            f"## Where the time goes\n\ncProfile of one fit at n={n:,} d={d} "
            f"T={T} (profiler overhead included): {profile}"
        )
    return "\n\n".join(parts) + "\n"


# ---------------------------------------------------------------------------- main
def parse_args(argv):
    parser = base_parser(__doc__, DEFAULT_OUTPUT)
    parser.add_argument(
        "--stream-rows",
        type=float,
        nargs="*",
        default=None,
        help="further stream lengths, partial_fit route only (default 5e7; "
        "none with --quick; give no value for none)",
    )
    parser.add_argument(
        "--no-profile", action="store_true", help="skip the cProfile of the headline fit"
    )
    parser.add_argument("--no-plot", action="store_true", help="write no PNG")
    args = finish_args(parser.parse_args(argv), DEFAULT_OUTPUT)
    sizes = QUICK if args.quick else FULL
    if args.stream_rows is not None:
        sizes = Sizes(
            **{**sizes.__dict__, "extra_streams": tuple(int(r) for r in args.stream_rows)}
        )
    args.sizes = sizes
    return args


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parse_args(argv)
    head = header(SCRIPT, argv, wait_for_quiet(args.wait))
    monitor, start = CpuMonitor(), time.perf_counter()
    results = bench_in_memory(args.sizes, args.repeat)
    alpha, streams = bench_streams(args.sizes)
    profile = None
    if not args.no_profile:
        print("  profiling the headline fit", flush=True)
        profile = isolated(profile_point, *args.sizes.headline, timeout=1200).value
    figure = None
    if not args.no_plot and args.output is not None:
        figure = plot(results, args.sizes, args.output.with_suffix(".png"))
    head += "\n- " + monitor.note()
    text = report(args, head, results, alpha, streams, profile, figure, time.perf_counter() - start)
    write_report(text, args.output)
    return text


if __name__ == "__main__":
    main()
