"""Time the L1/Lq group lasso and one convex stage of the non-convex models against
cvxpy, at equal objective, on a School-sized problem.

139 tasks of 90-130 rows (about 110), 27 features: 20 one-hot columns and 7 unscaled
continuous ones (scales 1 to 1000), per-task designs. Models, each as regressor
(squared loss) and classifier (logistic loss):

- ``GroupLasso*(group_norm=q)`` for q in {1.5, 3} (L1/Lq),
- one reweighted stage of ``BlockMCP*`` (a row-weighted L2,1 with zero weights) and of
  ``CappedL1*`` (a row-weighted L1), with the weights of the stage after the first:
  ``MultiTaskEstimator(penalty=WeightedL21(...))`` against the same penalty in cvxpy;
  and the whole multi-stage fit, timed alone.

skmtl runs over a grid of ``tol``; its time is that of the loosest ``tol`` whose
objective is within ``MATCH_RTOL`` of cvxpy's (CLARABEL, gap tolerances 1e-10).
cvxpy runs once, skmtl best of two. Writes ``benchmarks/results/nonconvex.md``.

    python benchmarks/bench_nonconvex.py            # a few minutes
    python benchmarks/bench_nonconvex.py --quick    # 20 tasks, no file
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _tabular import school_sized as school_like  # noqa: E402
from bench_group_lasso import environment_header, git_revision  # noqa: E402

from skmtl import (  # noqa: E402
    BlockMCPClassifier,
    BlockMCPRegressor,
    CappedL1Classifier,
    CappedL1Regressor,
    GroupLassoClassifier,
    GroupLassoRegressor,
    MultiTaskEstimator,
)

OUTPUT = Path(__file__).resolve().parent / "results" / "nonconvex.md"
TOLS = (1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-10)
MATCH_RTOL = 1e-6


def fit_time(make, X, y, tasks, repeat=2):
    best, model = np.inf, None
    for _ in range(repeat):
        model = make()
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.fit(X, y, tasks=tasks)
        best = min(best, time.perf_counter() - start)
    return best, model


def stage_penalty(model_cls, alpha, X, y, tasks):
    """The weighted penalty of the second stage (weights from the first)."""
    first = model_cls(alpha=alpha, max_stages=1, tol=1e-8).fit(X, y, tasks=tasks)
    nonconvex = first._nonconvex()
    W = first.coef_.T
    radius = 10.0 * nonconvex.row_norms(W).max()
    return nonconvex.stage_penalty(W, radius)


def compare(name, make, X, y, tasks):
    """cvxpy once, then skmtl over the tol grid until it matches cvxpy's objective."""
    cvx_time, ref = fit_time(lambda: make(solver="cvxpy"), X, y, tasks, repeat=1)
    row = {"model": name, "cvxpy": cvx_time, "cvx_obj": ref.objective_}
    for tol in TOLS:
        t, ours = fit_time(lambda tol=tol: make(tol=tol, max_iter=100000), X, y, tasks)
        rel = (ours.objective_ - ref.objective_) / abs(ref.objective_)
        row.update(skmtl=t, tol=tol, rel=rel, gap=ours.dual_gap_)
        if rel <= MATCH_RTOL:
            break
    row["matched"] = row["rel"] <= MATCH_RTOL
    print(
        f"{name:48s} cvxpy {cvx_time:7.2f} s  skmtl {row['skmtl']:7.3f} s (tol {row['tol']:g}, "
        f"rel {row['rel']:+.1e})",
        flush=True,
    )
    return row


def comparison_table(rows):
    """The lines of the table of :func:`compare`'s results, with its legend."""
    lines = [
        "skmtl: the loosest tol (of " + ", ".join(f"{t:g}" for t in TOLS) + ") whose "
        f"objective is within {MATCH_RTOL:g} relative of cvxpy's; best of 2. cvxpy: "
        "CLARABEL, one run.",
        "",
        "| model | cvxpy (s) | skmtl (s) | speed-up | skmtl tol | objective - cvxpy's (rel) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        mark = "" if r["matched"] else " (not matched)"
        lines.append(
            f"| {r['model']} | {r['cvxpy']:.2f} | {r['skmtl']:.3f} | "
            f"{r['cvxpy'] / r['skmtl']:.0f}x | {r['tol']:g} | {r['rel']:+.1e}{mark} |"
        )
    return lines


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="20 tasks, no results file")
    args = parser.parse_args(argv)
    revision = git_revision()
    header = environment_header(sys.argv[1:], revision).replace(
        "bench_group_lasso.py", "bench_nonconvex.py"
    )
    started = time.perf_counter()
    X, y, labels, tasks = school_like(20 if args.quick else 139)
    rows, stages = [], []
    for loss, target, GL, MCP, Capped in (
        ("squared", y, GroupLassoRegressor, BlockMCPRegressor, CappedL1Regressor),
        ("logistic", labels, GroupLassoClassifier, BlockMCPClassifier, CappedL1Classifier),
    ):
        kind = "Regressor" if loss == "squared" else "Classifier"
        for q in (1.5, 3.0):
            alpha = 0.1 * GL(group_norm=q).alpha_max(X, target, tasks=tasks)
            rows.append(
                compare(
                    f"GroupLasso{kind}(group_norm={q:g})",
                    lambda q=q, alpha=alpha, GL=GL, **kw: GL(alpha=alpha, group_norm=q, **kw),
                    X,
                    target,
                    tasks,
                )
            )
        for cls, theta in ((MCP, {"gamma": 1.5}), (Capped, {"theta": 0.05})):
            alpha = 0.03 * cls().alpha_max(X, target, tasks=tasks)
            make = lambda cls=cls, theta=theta, **kw: cls(**theta, **kw)  # noqa: E731
            penalty = stage_penalty(make, alpha, X, target, tasks)
            free = int(np.sum(penalty.weights == 0))
            rows.append(
                compare(
                    f"{cls.__name__} stage 2: {type(penalty).__name__} ({free} free rows)",
                    lambda penalty=penalty, loss=loss, **kw: MultiTaskEstimator(
                        loss, penalty, **kw
                    ),
                    X,
                    target,
                    tasks,
                )
            )
            t, model = fit_time(
                lambda cls=cls, alpha=alpha, theta=theta: cls(alpha=alpha, **theta),
                X,
                target,
                tasks,
            )
            stages.append((cls.__name__, t, model.n_stages_, model.n_iter_, model.stationarity_))
            print(f"{cls.__name__:48s} all stages {t:.3f} s, {model.n_stages_} stages", flush=True)
    elapsed = time.perf_counter() - started
    lines = [
        "# Non-convex feature selection and L1/Lq against cvxpy",
        "",
        header,
        f"- data: {len(np.unique(tasks))} tasks, {len(tasks)} rows, 27 features (20 "
        "one-hot, 7 continuous unscaled, scales 1-1000); alpha = 0.1 alpha_max (L1/Lq), "
        "0.03 alpha_max (stages: MCP gamma 1.5, capped L1 theta 0.05)",
        f"- run time {elapsed:.0f} s",
        "",
        *comparison_table(rows),
    ]
    lines += [
        "",
        "Whole multi-stage fits (default tol 1e-4, max_stages 10):",
        "",
        "| model | time (s) | stages | n_iter_ (CD epochs, Newton steps or FISTA iterations) "
        "| stationarity_ |",
        "|---|---:|---:|---:|---:|",
    ]
    lines += [f"| {n} | {t:.3f} | {s} | {i} | {st:.1e} |" for n, t, s, i, st in stages]
    text = "\n".join(lines) + "\n"
    print(text)
    if not args.quick:
        OUTPUT.write_text(text)


if __name__ == "__main__":
    main()
