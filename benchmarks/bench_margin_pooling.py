"""The squared-hinge classifiers' ``*CV``: the intercept pooling estimated (the
linear probability model's method of moments, the default on grouped data) against
a search of the grid ``POOLING_GRID`` (the default before it).

Contraception (binary: contraceptive use), and Exam, radon and MathAchieve with
their targets cut at the median (above it or not); the real-data benchmark's
task-stratified splits (a quarter of each task held out: ``bench_real_data.split``).
Each model's fit time (one fit), held-out squared hinge loss (the mean over the
test rows of ``max(0, 1 - y f(x))^2``, labels -1/+1) and accuracy and the pooling
chosen, per variant; and, per data set and model, the paired differences.

    python benchmarks/bench_margin_pooling.py            # 5 splits, ~5 min
    python benchmarks/bench_margin_pooling.py --quick    # Contraception, 1 split
    python benchmarks/bench_margin_pooling.py --all-models --datasets Contraception \\
        --splits 10 --output benchmarks/results/margin_pooling_all.md
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    RESULTS,
    markdown_table,
    script_header,
    write_report,
)
from bench_real_data import FAMILIES, load_data, split  # noqa: E402

from skmtl import model_selection as ms  # noqa: E402

OUTPUT = RESULTS / "margin_pooling.md"
DATASETS = ("Contraception", "Exam", "radon", "MathAchieve")
MODELS = ("GroupLasso", "MeanRegularized", "TraceNorm")
VARIANTS = {
    "estimated (default)": None,
    "grid 0 (where allowed), 1, 4, 16, 64, inf": ms.POOLING_GRID,
}


def binary_data(name):
    """``X``, labels (0/1) and tasks: Contraception's own, the others' targets cut at
    their median."""
    X, y, tasks, binary, _ = load_data(name)
    return X, (y if binary else (y > np.median(y)).astype(int)), tasks


def held_out(model, X, labels, tasks):
    """The mean squared hinge loss and the accuracy on the rows given."""
    score = model.decision_function(X, tasks=tasks)
    signs = np.where(labels == model.classes_[1], 1.0, -1.0)
    return float(np.mean(np.maximum(0.0, 1.0 - signs * score) ** 2)), float(
        np.mean(np.where(score > 0, 1.0, -1.0) == signs)
    )


def fit(family, poolings, X, labels, tasks):
    """The squared-hinge ``*CV`` of ``family`` fitted with ``intercept_poolings``; the
    grid without 0 where a task's free intercept would be infinite (a task of one
    class in training), as the default did when it searched the grid."""
    Est = getattr(ms, f"{family}ClassifierCV")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return Est(loss="squared_hinge", intercept_poolings=poolings).fit(
                X, labels, tasks=tasks
            )
        except ValueError as error:
            if "Leave 0 out of intercept_poolings" not in str(error):
                raise
            return Est(loss="squared_hinge", intercept_poolings=poolings[1:]).fit(
                X, labels, tasks=tasks
            )


def run(datasets, families, splits):
    rows = []
    for name in datasets:
        X, labels, tasks = binary_data(name)
        folds = [split(tasks, seed) for seed in range(splits)]
        for family in families:
            results = {}
            for variant, poolings in VARIANTS.items():
                times, losses, accuracies, chosen = [], [], [], []
                for train, test in folds:
                    start = time.perf_counter()
                    model = fit(family, poolings, X[train], labels[train], tasks[train])
                    times.append(time.perf_counter() - start)
                    loss, accuracy = held_out(model, X[test], labels[test], tasks[test])
                    losses.append(loss)
                    accuracies.append(accuracy)
                    chosen.append(model.intercept_pooling_)
                results[variant] = (times, losses, accuracies, chosen)
                print(
                    f"{name:13s} {family:22s} {variant:26s} {np.mean(times):6.2f} s  "
                    f"{np.mean(losses):.5f}  {np.mean(accuracies):.4f}",
                    flush=True,
                )
            rows.append((name, f"{family}ClassifierCV", results))
    return rows


def report(rows, header, datasets, splits, seconds):
    estimated, grid = VARIANTS
    fits = [
        (name, model, variant, f"{np.mean(times):.2f}", f"{np.mean(losses):.4f}")
        + (f"{np.mean(accuracies):.4f}", ", ".join(f"{p:.3g}" for p in chosen))
        for name, model, results in rows
        for variant, (times, losses, accuracies, chosen) in results.items()
    ]
    paired = []
    for name, model, results in rows:
        loss_diff = np.subtract(results[estimated][1], results[grid][1])
        accuracy_diff = np.subtract(results[estimated][2], results[grid][2])
        ratio = np.sum(results[grid][0]) / np.sum(results[estimated][0])
        lower = f"{int(np.sum(loss_diff < 0))} of {len(loss_diff)}"
        paired.append(
            (name, model, f"{loss_diff.mean():+.4f}", lower, f"{accuracy_diff.mean():+.4f}")
            + (f"{ratio:.1f}x",)
        )
    columns = ("data", "model", "intercept pooling", "fit time (s)", "held-out squared hinge")
    columns += ("held-out accuracy", "pooling chosen")
    paired_columns = ("data", "model", "squared hinge", "estimate lower", "accuracy")
    paired_columns += ("time grid / estimated",)
    return (
        "\n".join(
            [
                "# Squared-hinge `*CV`: estimated intercept pooling against the grid search",
                "",
                header,
                f"- data: {', '.join(datasets)} (the regression sets' targets cut at their "
                f"median); {splits} task-stratified split(s), a quarter of each task held "
                "out (`bench_real_data.split`); each `*CV` with `loss='squared_hinge'` and "
                "its default grid of strengths",
                f"- run time {seconds:.0f} s",
                "",
                markdown_table(columns, fits),
                "",
                "Paired by split, estimated minus grid: the held-out squared hinge (mean; the "
                "splits where the estimate's is lower) and accuracy, and the fit-time ratio.",
                "",
                markdown_table(paired_columns, paired),
            ]
        )
        + "\n"
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="Contraception, 1 split, no file")
    parser.add_argument("--splits", type=int, default=5, help="splits (default 5)")
    parser.add_argument("--datasets", nargs="+", default=DATASETS, choices=DATASETS)
    parser.add_argument(
        "--all-models", action="store_true", help=f"every family, not only {', '.join(MODELS)}"
    )
    parser.add_argument("--output", type=Path, default=None, help=f"default {OUTPUT.name}")
    args = parser.parse_args(argv)
    header = script_header("benchmarks/bench_margin_pooling.py", sys.argv[1:])
    started = time.perf_counter()
    splits = 1 if args.quick else args.splits
    datasets = DATASETS[:1] if args.quick else args.datasets
    rows = run(datasets, FAMILIES if args.all_models else MODELS, splits)
    text = report(rows, header, datasets, splits, time.perf_counter() - started)
    write_report(text, args.output or (None if args.quick else OUTPUT))


if __name__ == "__main__":
    main()
