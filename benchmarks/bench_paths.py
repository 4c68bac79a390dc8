"""Time 100-alpha regularization paths of the shared-design L2,1 model against
scikit-learn and skglm, and split FISTA's per-iteration time into its matrix
products.

1. Paths: ``skmtl.model_selection.regularization_path`` against scikit-learn's
   ``lasso_path`` (multi-task coordinate descent on a 2-D ``Y``) and skglm's
   ``MultiTaskLasso().path``, on the same grid ``geomspace(alpha_max, 1e-3
   alpha_max, 100)``. The peers get centred ``X`` and ``Y`` (their paths fit no
   intercept); skmtl gets the raw data with ``fit_intercept=True`` (the same
   problem: centring is exact). Every solution's duality gap is recomputed by one
   numpy function (:func:`path_gaps`) in units of ``||Y_c||_F^2 / (2n)``; each peer
   run is matched with the loosest skmtl ``tol`` whose largest gap over the path
   is no larger than the peer's, and the ratio of times is reported.
2. Per-iteration split: FISTA's time per iteration on the full problem against
   the time of the two products each iteration needs (``X W`` and ``X^T R``),
   timed alone on the same arrays.

Run from the repository root::

    python benchmarks/bench_paths.py           # full run, about 5 minutes
    python benchmarks/bench_paths.py --quick   # smoke run, seconds; no file
"""

from __future__ import annotations

import sys
import time
import warnings
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
    markdown_table,
    wait_for_quiet,
    write_report,
)
from bench_group_lasso import make_per_task, make_shared  # noqa: E402

from skmtl import GroupLassoRegressor  # noqa: E402
from skmtl._datafit import DesignDatafit  # noqa: E402
from skmtl._inputs import build_task_data  # noqa: E402
from skmtl._tasks import matvec, rmatvec  # noqa: E402
from skmtl.losses import SquaredLoss  # noqa: E402
from skmtl.model_selection import regularization_path  # noqa: E402
from skmtl.penalties import L21  # noqa: E402
from skmtl.solvers.fista import fista  # noqa: E402

DEFAULT_OUTPUT = RESULTS / "paths.md"
SKMTL_TOLS = (1e-4, 5e-5, 2e-5, 1e-5, 1e-6, 5e-7, 2e-7, 1e-7)
PEER_TOLS = (1e-4, 1e-6)
N_ALPHAS, EPS = 100, 1e-3
FULL = dict(
    shared=((2000, 1000, 20), (500, 5000, 10), (500, 20000, 10)),
    repeat=1,
    iterations=200,
    per_task=(139, (60, 160), 27),
)
QUICK = dict(
    shared=((200, 100, 5), (60, 400, 4)), repeat=1, iterations=20, per_task=(12, (20, 40), 8)
)


def centred(X, Y):
    return np.asfortranarray(X - X.mean(axis=0)), Y - Y.mean(axis=0)


def path_gaps(Xc, Yc, alphas, coefs):
    """Relative duality gap of each solution ``coefs[k]`` (T, d) of the centred
    problem ``||Y - X W||^2 / (2n) + alpha sum_j ||W_j||``, in units of
    ``||Y||^2 / (2n)`` (sklearn's and skmtl's ``tol`` unit)."""
    n = Xc.shape[0]
    scale = 0.5 * np.sum(Yc**2) / n
    gaps = []
    for alpha, coef in zip(alphas, coefs, strict=True):
        R = Yc - Xc @ coef.T
        primal = 0.5 * np.sum(R**2) / n + alpha * np.linalg.norm(coef, axis=0).sum()
        dual_norm = np.linalg.norm(Xc.T @ R / n, axis=1).max(initial=0.0)
        theta = R * min(1.0, alpha / dual_norm) if dual_norm > 0 else R
        dual = (np.sum(Yc * theta) - 0.5 * np.sum(theta**2)) / n
        gaps.append(max(primal - dual, 0.0) / scale)
    return np.array(gaps)


def path_runs(X, Y, alphas, repeat):
    """``[(method, tol, Timing, gaps)]`` for skmtl and its peers."""
    Xc, Yc = centred(X, Y)
    runs = []
    for tol in SKMTL_TOLS:
        est = GroupLassoRegressor(tol=tol, max_iter=100_000)
        timing = best_of(lambda est=est: regularization_path(est, X, Y, alphas=alphas), repeat)
        coefs = timing.value[1]  # (K, T, d)
        runs.append(("skmtl regularization_path", tol, timing, path_gaps(Xc, Yc, alphas, coefs)))
    from sklearn.linear_model import lasso_path

    for tol in PEER_TOLS:
        timing = best_of(
            lambda tol=tol: lasso_path(Xc, Yc, alphas=alphas, tol=tol, max_iter=100_000), repeat
        )
        coefs = np.moveaxis(timing.value[1], -1, 0)  # (T, d, K) -> (K, T, d)
        runs.append(("sklearn lasso_path", tol, timing, path_gaps(Xc, Yc, alphas, coefs)))
    try:
        from skglm import MultiTaskLasso
    except ImportError:
        print("skglm is not installed: its rows are skipped.", file=sys.stderr)
        return runs
    for tol in PEER_TOLS:
        est = MultiTaskLasso(tol=tol, fit_intercept=False)
        est.path(Xc[:, :5], Yc, alphas[:2])  # numba compilation, outside the timing
        timing = best_of(lambda est=est: est.path(Xc, Yc, alphas), repeat)
        coefs = np.moveaxis(timing.value[1], -1, 0)  # (T, d, K) -> (K, T, d)
        runs.append(("skglm MultiTaskLasso.path", tol, timing, path_gaps(Xc, Yc, alphas, coefs)))
    return runs


def bench_paths(sizes):
    rows, ratios = [], {}
    for n, d, T in sizes["shared"]:
        X, Y = make_shared(n, d, T)
        Xc, Yc = centred(X, Y)
        alpha_max = np.linalg.norm(Xc.T @ Yc, axis=1).max() / n
        alphas = np.geomspace(alpha_max, EPS * alpha_max, N_ALPHAS)
        name = f"n={n} d={d} T={T}"
        print(f"[paths] {name}", flush=True)
        runs = path_runs(X, Y, alphas, sizes["repeat"])
        ours = [r for r in runs if r[0].startswith("skmtl")]
        for method, tol, timing, gaps in runs:
            cells = [
                name,
                method,
                f"{tol:g}",
                timing.label(),
                f"{gaps.max():.1e}",
                f"{np.median(gaps):.1e}",
            ]
            if method.startswith("skmtl"):
                rows.append(cells + ["", "", ""])
                continue
            match = next((r for r in ours if r[3].max() <= gaps.max()), None)
            if match is None:
                rows.append(cells + ["none reaches it", "", ""])
                continue
            ratio = timing.time / match[2].time
            ratios.setdefault(f"{method} tol={tol:g}", []).append((name, ratio))
            rows.append(cells + [f"{match[1]:g}", fmt_time(match[2].time), f"{ratio:.2f}"])
    return rows, ratios


# ------------------------------------------------------------- per-iteration split
def iteration_split(data, alpha, iterations, repeat):
    """``(FISTA s/iteration, products s/iteration, products per iteration)``."""
    full = DesignDatafit(SquaredLoss(), data, fit_intercept=True)
    full.lipschitz()  # computed once per fit; not part of an iteration
    C0 = np.zeros((data.n_features, data.n_tasks))

    def run():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return fista(full, L21(alpha), C0, max_iter=iterations, tol=0.0)

    timing = best_of(run, repeat)
    used = timing.value.n_iter
    # each iteration needs X W (predictions at the new point) and X^T R (gradient at
    # the extrapolated point); every 10th adds X^T R at the new point for the gap
    products = 2 + 1 / 10
    W = np.random.RandomState(0).standard_normal((data.n_features, data.n_tasks))
    R = np.asarray(matvec(data, W))

    def products_alone():
        for _ in range(used):
            matvec(data, W)
            rmatvec(data, R)

    alone = best_of(products_alone, repeat)
    per_product = alone.time / (2 * used)
    return timing.time / used, per_product * products, used


def bench_split(sizes):
    rows = []
    problems = []
    for n, d, T in sizes["shared"]:
        X, Y = make_shared(n, d, T)
        problems.append((f"shared n={n} d={d} T={T}", X, Y, None))
    T, rows_per_task, d = sizes["per_task"]
    X, y, tasks = make_per_task(T, rows_per_task, d, "squared")
    problems.append((f"per-task T={T} d={d} n={len(y)}", X, y, tasks))
    for name, X, y, tasks in problems:
        print(f"[split] {name}", flush=True)
        data, _ = build_task_data(X, y, tasks, None, classifier=False)
        full = DesignDatafit(SquaredLoss(), data, fit_intercept=True)
        G0 = -full.gradient(full.linear(np.zeros((data.n_features, data.n_tasks))))
        alpha = 0.1 * L21(1.0).alpha_max(G0)
        per_iter, products, used = iteration_split(
            data, alpha, sizes["iterations"], max(sizes["repeat"], 3)
        )
        rows.append(
            [
                name,
                str(used),
                f"{1e3 * per_iter:.3g}",
                f"{1e3 * products:.3g}",
                f"{per_iter / products:.2f}",
            ]
        )
    return rows


# ---------------------------------------------------------------------------- main
def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = base_parser(__doc__, DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    sizes = dict(QUICK if args.quick else FULL)
    if args.repeat is not None:  # paths are long: one timed call unless asked
        sizes["repeat"] = args.repeat
    args = finish_args(args, DEFAULT_OUTPUT)
    wait_note = wait_for_quiet(args.wait) if not args.quick else "quick run: no wait"
    monitor, start = CpuMonitor(), time.perf_counter()
    path_rows, ratios = bench_paths(sizes)
    split_rows = bench_split(sizes)
    summary = [
        f"- {method} / skmtl at no larger a gap: "
        + ", ".join(f"{name}: {ratio:.2f}" for name, ratio in values)
        for method, values in ratios.items()
    ]
    summary += [f"- per-iteration time / products time, {r[0]}: {r[4]}" for r in split_rows]
    text = (
        "\n\n".join(
            [
                "# Regularization paths and per-iteration cost",
                header("benchmarks/bench_paths.py", argv, wait_note),
                f"Whole run: {time.perf_counter() - start:.0f} s; {monitor.note()}. Paths are "
                f"timed {sizes['repeat']} time(s) after one warm-up call.",
                "## Summary\n\n" + "\n".join(summary),
                "## 100-alpha paths, shared design\n\n"
                f"`make_shared` of `bench_group_lasso.py`; grid `geomspace(alpha_max, {EPS:g} "
                f"alpha_max, {N_ALPHAS})`; skmtl tols {list(SKMTL_TOLS)}, "
                f"peers' {list(PEER_TOLS)}. "
                "Gaps are relative, in units of ||Y_c||^2 / (2n), recomputed for every method "
                "by one function. Each peer run is matched with the loosest skmtl tol whose "
                "largest gap is no larger than the peer's.\n\n"
                + markdown_table(
                    [
                        "problem",
                        "method",
                        "tol",
                        "time (s)",
                        "max gap",
                        "median gap",
                        "matched skmtl tol",
                        "skmtl time (s)",
                        "speed ratio (peer / skmtl)",
                    ],
                    path_rows,
                ),
                "## Per-iteration time against the matrix products it needs\n\n"
                f"FISTA on the whole problem (no working sets), alpha = alpha_max / 10, "
                f"`tol=0` for {sizes['iterations']} iterations (fewer if the iterates stall); "
                "the products are one `X W` and one `X^T R` per iteration plus one `X^T R` per "
                "10 iterations (the duality gap), timed alone on arrays of the same shapes. "
                "Best of 3.\n\n"
                + markdown_table(
                    [
                        "problem",
                        "iterations",
                        "FISTA ms/iteration",
                        "products ms/iteration",
                        "ratio",
                    ],
                    split_rows,
                ),
            ]
        )
        + "\n"
    )
    write_report(text, args.output)
    return text


if __name__ == "__main__":
    main()
