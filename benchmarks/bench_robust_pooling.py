"""The Huber and quantile regressors' ``*CV``: the intercept pooling estimated (as an
M-estimator's, the default on grouped data) against a search of the grid
``POOLING_GRID`` (the default before it).

Radon, Exam and MathAchieve, the real-data benchmark's task-stratified splits (a
quarter of each task held out: ``bench_real_data.split``); ``GroupLassoRegressorCV``
with ``HuberLoss()`` and the pinball losses of the quantiles 0.5 and 0.9: each
variant's fit time (one fit), held-out loss (the mean Huber or pinball loss of the
test rows) and the pooling chosen; and, per data set and loss, the mean paired
difference of the held-out losses (estimated minus grid) and the splits where the
estimate did better.

    python benchmarks/bench_robust_pooling.py           # 3 splits, ~25 min
    python benchmarks/bench_robust_pooling.py --quick   # radon, 1 split, no file
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import RESULTS, environment_header, git_revision, write_report  # noqa: E402
from bench_real_data import load_data, split  # noqa: E402

from skmtl.losses import HuberLoss, QuantileLoss  # noqa: E402
from skmtl.model_selection import POOLING_GRID, GroupLassoRegressorCV  # noqa: E402

OUTPUT = RESULTS / "robust_pooling.md"
DATASETS = ("radon", "Exam", "MathAchieve")
LOSSES = (HuberLoss(), QuantileLoss(0.5), QuantileLoss(0.9))
VARIANTS = {"estimated (default)": None, "grid 0, 1, 4, 16, 64, inf": POOLING_GRID}


def loss_label(loss):
    if isinstance(loss, HuberLoss):
        return f"Huber (epsilon {loss.epsilon:g})"
    return f"pinball (q {loss.quantile:g})"


def run(datasets, splits):
    rows = []
    for name in datasets:
        X, y, tasks, _, _ = load_data(name)
        for loss in LOSSES:
            results = {}
            for variant, poolings in VARIANTS.items():
                times, held_out, chosen = [], [], []
                for seed in range(splits):
                    train, test = split(tasks, seed)
                    model = GroupLassoRegressorCV(loss=loss, intercept_poolings=poolings)
                    start = time.perf_counter()
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        model.fit(X[train], y[train], tasks=tasks[train])
                    times.append(time.perf_counter() - start)
                    z = model.predict(X[test], tasks=tasks[test])
                    held_out.append(float(np.mean(loss.pointwise(y[test], z))))
                    chosen.append(model.intercept_pooling_)
                results[variant] = (times, held_out, chosen)
                print(
                    f"{name:12s} {loss_label(loss):20s} {variant:26s} "
                    f"{np.mean(times):6.2f} s  {np.mean(held_out):.5f}",
                    flush=True,
                )
            rows.append((name, loss_label(loss), results))
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="radon, 1 split, no results file")
    parser.add_argument("--splits", type=int, default=3, help="splits (default 3)")
    parser.add_argument("--output", type=Path, default=None, help=f"default {OUTPUT.name}")
    args = parser.parse_args(argv)
    header = environment_header(sys.argv[1:], git_revision()).replace(
        "bench_group_lasso.py", "bench_robust_pooling.py"
    )
    started = time.perf_counter()
    splits = 1 if args.quick else args.splits
    rows = run(DATASETS[:1] if args.quick else DATASETS, splits)
    estimated, grid = VARIANTS
    lines = [
        "# Huber and quantile `*CV`: estimated intercept pooling against the grid search",
        "",
        header,
        f"- data: {splits} task-stratified split(s) of each data set, a quarter of each "
        "task held out (`bench_real_data.split`); `GroupLassoRegressorCV` with its "
        "default grid of strengths",
        f"- run time {time.perf_counter() - started:.0f} s",
        "",
        "| data | loss | intercept pooling | fit time (s) | held-out loss | pooling chosen |",
        "|---|---|---|---:|---:|---|",
    ]
    for name, label, results in rows:
        for variant, (times, held_out, chosen) in results.items():
            pools = ", ".join(f"{p:.3g}" for p in chosen)
            lines.append(
                f"| {name} | {label} | {variant} | {np.mean(times):.2f} | "
                f"{np.mean(held_out):.5f} | {pools} |"
            )
    lines += [
        "",
        "Paired by split: held-out loss estimated minus grid (mean; relative to the "
        "grid's), the splits where the estimate did better, and the fit-time ratio.",
        "",
        "| data | loss | difference | relative | estimate better | time grid / estimated |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for name, label, results in rows:
        diff = np.subtract(results[estimated][1], results[grid][1])
        better = int(np.sum(diff < 0))
        ratio = np.sum(results[grid][0]) / np.sum(results[estimated][0])
        relative = diff.mean() / np.mean(results[grid][1])
        lines.append(
            f"| {name} | {label} | {diff.mean():+.5f} | {relative:+.2%} | "
            f"{better} of {len(diff)} | {ratio:.1f}x |"
        )
    write_report("\n".join(lines) + "\n", args.output or (None if args.quick else OUTPUT))


if __name__ == "__main__":
    main()
