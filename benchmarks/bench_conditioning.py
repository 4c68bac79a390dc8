"""Fit time and iterations of every named estimator on well- and ill-conditioned
School-sized data (skmtl issue 18).

Two generators (``_tabular.py``): ``gaussian`` (i.i.d. N(0, 1) features) and
``school-like`` (full one-hot blocks of 4 categorical variables, so every task's
centred Gram is singular, next to 13 correlated continuous columns on scales from
0.05 to 20, raw). 139 tasks of 20-250 rows, 27 features. Every regressor and
classifier (the 20 named estimators, plus the group lasso with
``group_norm="linf"``) is fitted at moderate strengths (the norm penalties at 0.02
times their ``alpha_max`` on that data; the quadratic ones at their defaults) on
raw features, at ``tol=1e-6`` and ``tol=1e-10`` with ``max_iter=100000``. Times
are the best of ``--repeat`` calls (the first is timed too and is the only one
above 2 s); ``n_iter_`` is reported as the estimator counts it (FISTA iterations,
inner ones for proximal Newton, epochs for coordinate descent).

Run from the repository root: ``python benchmarks/bench_conditioning.py`` (writes
``benchmarks/results/conditioning.md``); ``--quick`` fits on the first 40 tasks.
"""

from __future__ import annotations

import sys
import time
import warnings

import numpy as np
from _common import (
    RESULTS,
    CpuMonitor,
    base_parser,
    best_of_adaptive,
    fmt_time,
    header,
    markdown_table,
    uptime,
    write_report,
)
from _tabular import GENERATORS, conditioning

import skmtl
from skmtl.penalties import L21, L1Linf, TraceNorm

TOLS = (1e-6, 1e-10)


def scales(X, y, tasks):
    """``alpha_max`` of the L2,1, L1/Linf, trace and column norms at ``W = 0`` (the
    gradient of the centred least squares, or of the logistic loss with free
    intercepts: the same formula with 0/1 targets)."""
    T = tasks.max() + 1
    G = np.empty((X.shape[1], T))
    for t in range(T):
        rows = tasks == t
        A, r = X[rows] - X[rows].mean(axis=0), y[rows] - y[rows].mean()
        G[:, t] = A.T @ r / rows.sum()
    return {
        "l21": L21().alpha_max(G),
        "linf": L1Linf().alpha_max(G),
        "trace": TraceNorm().alpha_max(G),
        "col": float(np.sqrt((G**2).sum(axis=0)).max()),
    }


def models(kind, s, T, f=0.02):
    """``(name, estimator)`` of every model for ``kind`` ("Regressor" or
    "Classifier") on ``T`` tasks, at strengths ``f`` times the ``alpha_max`` in
    ``s``."""
    cls = {name: getattr(skmtl, name + kind) for name in _NAMES}
    return [
        ("GroupLasso", cls["GroupLasso"](alpha=f * s["l21"])),
        ("GroupLasso linf", cls["GroupLasso"](alpha=f * s["linf"], group_norm="linf")),
        ("MeanRegularized", cls["MeanRegularized"]()),
        ("GraphRegularized", cls["GraphRegularized"](graph=_chain(T))),
        ("Clustered", cls["Clustered"](n_clusters=3)),
        ("ClusterNorm", cls["ClusterNorm"](n_clusters=3)),
        ("TaskRelation", cls["TaskRelation"]()),
        ("TraceNorm", cls["TraceNorm"](alpha=f * s["trace"])),
        ("SharedSubspace", cls["SharedSubspace"](n_components=3)),
        ("Dirty", cls["Dirty"](alpha_shared=f * s["l21"], alpha_specific=f * s["l21"] / 3)),
        (
            "RobustLowRank",
            cls["RobustLowRank"](alpha_lowrank=f * s["trace"], alpha_outlier=f * s["col"]),
        ),
    ]


_NAMES = (
    "GroupLasso",
    "MeanRegularized",
    "GraphRegularized",
    "Clustered",
    "ClusterNorm",
    "TaskRelation",
    "TraceNorm",
    "SharedSubspace",
    "Dirty",
    "RobustLowRank",
)


def _chain(T):
    A = np.zeros((T, T))
    i = np.arange(T - 1)
    A[i, i + 1] = A[i + 1, i] = 1.0
    return A


def run_one(est, X, y, tasks, tol, repeat):
    est.set_params(tol=tol, max_iter=100000)

    def fit():
        return est.fit(X, y, tasks=tasks)

    timing = best_of_adaptive(fit, repeat, once_above=2.0)
    converged = not any("ConvergenceWarning" in w for w in timing.warnings)
    return timing, est.n_iter_, converged, est.objective_


def main(argv=None):
    parser = base_parser(__doc__, RESULTS / "conditioning.md", wait=False)
    parser.add_argument("--models", default=None, help="comma-separated name filter")
    parser.add_argument("--kinds", default="Regressor,Classifier")
    args = parser.parse_args(argv)
    if args.repeat is None:
        args.repeat = 1 if args.quick else 5
    if args.output is None and not args.quick:
        args.output = RESULTS / "conditioning.md"
    monitor = CpuMonitor()
    lines = [header("benchmarks/bench_conditioning.py", argv or sys.argv[1:], "no wait")]
    data = {}
    for gname, gen in GENERATORS.items():
        X, y_reg, y_clf, tasks = gen()
        if args.quick:
            keep = tasks < 40
            X, y_reg, y_clf, tasks = X[keep], y_reg[keep], y_clf[keep], tasks[keep]
        data[gname] = (X, y_reg, y_clf, tasks)
        top, bottom, singular = conditioning(X, tasks)
        lines.append(
            f"- `{gname}`: {X.shape[0]} rows, {X.shape[1]} features, {tasks.max() + 1} "
            f"tasks; per-task centred Gram / n_t: largest eigenvalue {top:.3g}, smallest "
            f"nonzero {bottom:.3g}, {singular} tasks singular"
        )
    wanted = None if args.models is None else args.models.split(",")
    rows = []
    for kind in args.kinds.split(","):
        fits = {}
        for gname, (X, y_reg, y_clf, tasks) in data.items():
            y = y_reg if kind == "Regressor" else y_clf
            for name, est in models(kind, scales(X, y, tasks), len(np.unique(tasks))):
                if wanted and not any(w in name for w in wanted):
                    continue
                for tol in TOLS:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        fits[name, gname, tol] = run_one(est, X, y, tasks, tol, args.repeat)
                    t, it, ok, _ = fits[name, gname, tol]
                    print(
                        f"{kind:10s} {name:18s} {gname:12s} tol={tol:g}: "
                        f"{fmt_time(t.time)} s, {it} iterations{'' if ok else ' (NOT converged)'}"
                        f"  [{time.strftime('%H:%M:%S')}]",
                        file=sys.stderr,
                        flush=True,
                    )
        names = list(dict.fromkeys(k[0] for k in fits))
        for name in names:
            row = [f"{name}{kind}"]
            for tol in TOLS:
                cells = []
                for gname in GENERATORS:
                    t, it, ok, _ = fits[name, gname, tol]
                    cells.append((t.time, it, ok))
                (tg, ig, okg), (ts, is_, oks) = cells
                row += [
                    fmt_time(tg),
                    fmt_time(ts) + ("" if oks else " (not conv.)"),
                    f"{ig}{'' if okg else '*'}",
                    f"{is_}{'' if oks else '*'}",
                    f"{is_ / max(ig, 1):.1f}",
                ]
            rows.append(row)
    columns = ["estimator"]
    for tol in TOLS:
        columns += [
            f"time gauss {tol:g} (s)",
            f"time school {tol:g} (s)",
            f"iter gauss {tol:g}",
            f"iter school {tol:g}",
            "iter ratio",
        ]
    lines += [
        f"- repeat: best of {args.repeat} (the first call timed too; one call above 2 s)",
        f"- `uptime` after the fits: {uptime()}",
        f"- {monitor.note()}",
        "",
        "`*`: not converged within max_iter=100000.",
        "",
        markdown_table(columns, rows),
        "",
    ]
    write_report("\n".join(lines), args.output)


if __name__ == "__main__":
    main()
