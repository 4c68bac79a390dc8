"""The multinomial classifiers' ``*CV``: the intercept pooling estimated (the Laplace
approximation, the default on grouped data) against a search of the grid
``POOLING_GRID`` (the default before it; without 0, which the data do not allow:
some schools lack a class in training).

Exam (65 schools, 4 features) with the exam score cut into ``--classes`` classes of
equal size; task-stratified splits (a quarter of each school held out, as in
``bench_real_data.py``): each model's fit time (one fit), held-out log-loss and
accuracy and the pooling chosen, per variant, averaged over the splits.

    python benchmarks/bench_multiclass_pooling.py           # 3 splits, ~5 min
    python benchmarks/bench_multiclass_pooling.py --quick   # 1 split, no file
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.metrics import accuracy_score, log_loss

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import RESULTS, environment_header, git_revision, write_report  # noqa: E402

from skmtl.datasets import load_exam  # noqa: E402
from skmtl.model_selection import (  # noqa: E402
    GroupLassoClassifierCV,
    MeanRegularizedClassifierCV,
    TaskStratifiedKFold,
)
from skmtl.model_selection._grids import POOLING_GRID  # noqa: E402

OUTPUT = RESULTS / "multiclass_pooling.md"
MODELS = (GroupLassoClassifierCV, MeanRegularizedClassifierCV)
VARIANTS = {
    "estimated (default)": {},
    "grid 1, 4, 16, 64, inf": {"intercept_poolings": POOLING_GRID[1:]},
}


def run(splits, n_classes):
    bunch = load_exam()
    X, tasks = bunch.data, np.asarray(bunch.tasks)
    y = np.digitize(bunch.target, np.quantile(bunch.target, np.arange(1, n_classes) / n_classes))
    cv = TaskStratifiedKFold(n_splits=4, shuffle=True, random_state=0)
    folds = list(cv.split(X, y, groups=tasks))[:splits]
    rows = []
    for Est in MODELS:
        for variant, params in VARIANTS.items():
            times, losses, accuracies, poolings = [], [], [], []
            for train, test in folds:
                model = Est(**params)
                start = time.perf_counter()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    model.fit(X[train], y[train], tasks=tasks[train])
                times.append(time.perf_counter() - start)
                proba = model.predict_proba(X[test], tasks=tasks[test])
                losses.append(log_loss(y[test], proba, labels=np.arange(n_classes)))
                accuracies.append(accuracy_score(y[test], proba.argmax(axis=1)))
                poolings.append(model.intercept_pooling_)
            rows.append((Est.__name__, variant, times, losses, accuracies, poolings))
            print(f"{Est.__name__:28s} {variant:24s} {np.mean(times):6.2f} s", flush=True)
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="1 split, no results file")
    parser.add_argument("--splits", type=int, default=3, help="splits (default 3, at most 4)")
    parser.add_argument("--classes", type=int, default=3, help="classes (default 3)")
    parser.add_argument("--output", type=Path, default=None, help=f"default {OUTPUT.name}")
    args = parser.parse_args(argv)
    header = environment_header(sys.argv[1:], git_revision()).replace(
        "bench_group_lasso.py", "bench_multiclass_pooling.py"
    )
    started = time.perf_counter()
    rows = run(1 if args.quick else args.splits, args.classes)
    lines = [
        "# Multinomial `*CV`: estimated intercept pooling against the grid search",
        "",
        header,
        f"- data: Exam, the score cut into {args.classes} classes of equal size; "
        f"{1 if args.quick else args.splits} task-stratified split(s), a quarter of each "
        "school held out",
        f"- run time {time.perf_counter() - started:.0f} s",
        "",
        "| model | intercept pooling | fit time (s) | held-out log-loss | held-out accuracy "
        "| pooling chosen |",
        "|---|---|---:|---:|---:|---|",
    ]
    for name, variant, times, losses, accuracies, poolings in rows:
        chosen = ", ".join(f"{p:.3g}" for p in poolings)
        lines.append(
            f"| {name} | {variant} | {np.mean(times):.2f} | {np.mean(losses):.4f} | "
            f"{np.mean(accuracies):.4f} | {chosen} |"
        )
    write_report("\n".join(lines) + "\n", args.output or (None if args.quick else OUTPUT))


if __name__ == "__main__":
    main()
