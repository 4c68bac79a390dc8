"""Time 100-alpha regularization paths of the shared-design L2,1 model against
scikit-learn and skglm.

``skmtl.model_selection.regularization_path`` against scikit-learn's
   ``lasso_path`` (multi-task coordinate descent on a 2-D ``Y``) and skglm's
   ``MultiTaskLasso().path``, on the same grid ``geomspace(alpha_max, 1e-3
   alpha_max, 100)``. The peers get centred ``X`` and ``Y`` (their paths fit no
   intercept); skmtl gets the raw data with ``fit_intercept=True`` (the same
   problem: centring is exact). Every solution's duality gap is recomputed by one
   numpy function (:func:`path_gaps`) in units of ``||Y_c||_F^2 / (2n)``; each peer
   run is matched with the loosest skmtl ``tol`` whose largest gap over the path
   is no larger than the peer's, and the ratio of times is reported.

Run from the repository root::

    python benchmarks/bench_paths.py           # full run, about 12 minutes
    python benchmarks/bench_paths.py --quick   # smoke run, seconds; no file
"""

from __future__ import annotations

import sys
import time
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
from bench_group_lasso import make_shared  # noqa: E402

from skmtl import GroupLassoRegressor  # noqa: E402
from skmtl.model_selection import regularization_path  # noqa: E402

DEFAULT_OUTPUT = RESULTS / "paths.md"
SKMTL_TOLS = (1e-4, 5e-5, 2e-5, 1e-5, 1e-6, 5e-7, 2e-7, 1e-7)
PEER_TOLS = (1e-4, 1e-6)
N_ALPHAS, EPS = 100, 1e-3
FULL = dict(shared=((2000, 1000, 20), (500, 5000, 10), (500, 20000, 10)), repeat=1)
QUICK = dict(shared=((200, 100, 5), (60, 400, 4)), repeat=1)


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
    summary = [
        f"- {method} / skmtl at no larger a gap: "
        + ", ".join(f"{name}: {ratio:.2f}" for name, ratio in values)
        for method, values in ratios.items()
    ]
    text = (
        "\n\n".join(
            [
                "# Regularization paths against scikit-learn and skglm",
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
            ]
        )
        + "\n"
    )
    write_report(text, args.output)
    return text


if __name__ == "__main__":
    main()
