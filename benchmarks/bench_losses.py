"""Time the Huber, Poisson, quantile, squared-hinge and multinomial losses against
cvxpy and against scikit-learn's single-task counterparts, at equal objective.

Multi-task rows: the group lasso, the trace norm and the mean-regularized model with
each new loss (the multinomial one: the classifiers' default ``loss="logistic"`` on
three classes) on a School-sized problem (139 tasks of 90-130 rows, 27 features: 20
one-hot columns and 7 unscaled continuous ones, the generator of
``bench_nonconvex.py``), against the same objective in cvxpy (CLARABEL). skmtl runs
over a grid of ``tol``; its time is that of the loosest ``tol`` whose objective is
within ``MATCH_RTOL`` of cvxpy's (best of 2; cvxpy once).

Single-task rows, where scikit-learn minimises the same objective:

- ``PoissonRegressor(alpha, solver="newton-cholesky")`` (mean half deviance +
  ``alpha/2 ||w||^2``) against ``MeanRegularizedRegressor(loss="poisson",
  beta=alpha/2)`` on one task (the default ``lbfgs`` stops after one iteration on
  the unscaled columns, with a RuntimeWarning "invalid value encountered in
  matmul", at an objective 5% above the optimum: the -4.9e-02 of earlier results);
- ``LinearSVC(C, fit_intercept=False)`` (``||w||^2/2 + C sum_i max(0, 1 - y_i
  x_i^T w)^2``) against ``MeanRegularizedClassifier(loss="squared_hinge",
  beta=1/(2 C n), fit_intercept=False)``;
- ``LogisticRegression(C)`` on three classes (multinomial, l2: mean log loss +
  ``||W||_F^2 / (2 C n)``, intercepts free) against
  ``MeanRegularizedClassifier(beta=1/(2 C n))``, whose ``beta ||w_bar||^2`` is that
  with one task;
- ``HuberRegressor(epsilon, alpha)`` (``sum_i (s + s H(r_i / s)) + alpha ||w||^2``,
  over the scale ``s`` too) against ``MeanRegularizedRegressor(loss=HuberLoss(epsilon
  s), beta=alpha s / (2 n))`` at scikit-learn's scale ``s``: the same minimiser
  ``w`` (scikit-learn's time includes finding ``s``; the objectives compared are
  the fixed-scale one);
- ``QuantileRegressor(quantile=0.5, alpha, solver="highs")`` (mean pinball loss +
  ``alpha ||w||_1``, a linear program) against ``GroupLassoRegressor(alpha,
  loss="quantile")`` on one task, where the group lasso is the L1 norm.

    python benchmarks/bench_losses.py            # 139 tasks: an hour or more (cvxpy)
    python benchmarks/bench_losses.py --quick    # 20 tasks, no file
    python benchmarks/bench_losses.py --tasks 20 # 20 tasks, written to the file
    python benchmarks/bench_losses.py --models GroupLasso MeanRegularized \
        --output benchmarks/results/losses_139.md  # those rows, 139 tasks

At 139 tasks cvxpy takes minutes on each trace-norm row (500 s for the Huber one)
and on the multinomial rows: ``--models`` keeps the rows whose model name contains
one of the strings given.

The multinomial rows (multi-task and single-task) standardize the features, where
skmtl solves the multinomial loss by FISTA; the rows "raw features" keep the raw
columns (scales 1-1000), where skmtl takes proximal Newton steps (FISTA gave no
certificate in 20000 iterations there) and cvxpy is several times slower.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_group_lasso import environment_header, git_revision  # noqa: E402
from bench_nonconvex import school_like  # noqa: E402
from sklearn.linear_model import (  # noqa: E402
    HuberRegressor,
    LogisticRegression,
    PoissonRegressor,
    QuantileRegressor,
)
from sklearn.svm import LinearSVC  # noqa: E402

from skmtl import (  # noqa: E402
    GroupLassoClassifier,
    GroupLassoRegressor,
    MeanRegularizedClassifier,
    MeanRegularizedRegressor,
    TraceNormClassifier,
    TraceNormRegressor,
)
from skmtl.losses import HuberLoss  # noqa: E402

OUTPUT = Path(__file__).resolve().parent / "results" / "losses.md"
TOLS = (1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-10)
MATCH_RTOL = 1e-6


def fit_time(make, fit, repeat=2):
    best, model = np.inf, None
    for _ in range(repeat):
        model = make()
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit(model)
        best = min(best, time.perf_counter() - start)
    return best, model


def match(reference_objective, make, fit, objective):
    """skmtl over the tol grid until its objective is within MATCH_RTOL of the
    reference's: ``(time, tol, relative difference, model)``."""
    for tol in TOLS:
        seconds, model = fit_time(lambda tol=tol: make(tol=tol, max_iter=100000), fit)
        rel = (objective(model) - reference_objective) / abs(reference_objective)
        if rel <= MATCH_RTOL:
            break
    return seconds, tol, rel, model


def standardized(X):
    return (X - X.mean(axis=0)) / X.std(axis=0)


def multitask_rows(X, targets, tasks, names=None):
    rows = []
    models = (
        ("GroupLasso", GroupLassoRegressor, GroupLassoClassifier, dict(alpha=0.02)),
        ("TraceNorm", TraceNormRegressor, TraceNormClassifier, dict(alpha=0.05)),
        ("MeanRegularized", MeanRegularizedRegressor, MeanRegularizedClassifier, {}),
    )
    if names:
        models = tuple(m for m in models if any(name in m[0] for name in names))
    losses = (HuberLoss(epsilon=1.0), "poisson", "squared_hinge", "multinomial", "multinomial raw")
    for loss in losses + ("quantile",):
        name = loss if isinstance(loss, str) else f"huber (epsilon={loss.epsilon:g})"
        raw = loss == "multinomial raw"
        loss = "multinomial" if raw else loss
        binary = loss in ("squared_hinge", "multinomial")
        y = targets[name.split(" ")[0]]
        Xl = standardized(X) if loss == "multinomial" and not raw else X
        for _stem, regressor, classifier, params in models:
            cls = classifier if binary else regressor
            # three classes: the logistic loss becomes the multinomial one
            loss_param = "logistic" if loss == "multinomial" else loss

            def make(cls=cls, params=params, loss=loss_param, **kw):
                return cls(**params, loss=loss, **kw)

            def fit(model, y=y, Xl=Xl):
                return model.fit(Xl, y, tasks=tasks)

            cvx_time, ref = fit_time(lambda make=make: make(solver="cvxpy"), fit, repeat=1)
            seconds, tol, rel, _ = match(ref.objective_, make, fit, lambda m: m.objective_)
            label = f"{cls.__name__}(loss={name!r})"
            if loss == "multinomial":
                label = f"{cls.__name__}(loss='logistic'), 3 classes (multinomial)"
                label += ", raw features" if raw else ""
            rows.append((label, cvx_time, seconds, tol, rel))
            print(f"{rows[-1][0]:55s} cvxpy {cvx_time:7.2f} s  skmtl {seconds:7.3f} s", flush=True)
    return rows


def single_task_rows(X, targets):
    """Against scikit-learn, one task: all rows, the same objective."""
    n = len(X)
    rows = []
    y = targets["poisson"]
    alpha = 1e-3

    def deviance_objective(model):
        z = X @ model.coef_ + model.intercept_
        return np.mean(np.exp(z) - y * z) + 0.5 * alpha * model.coef_ @ model.coef_

    # newton-cholesky: the default lbfgs stops after one iteration on these unscaled
    # columns (a RuntimeWarning: invalid value in matmul), 5% above the optimum
    sk_time, sk = fit_time(
        lambda: PoissonRegressor(alpha=alpha, solver="newton-cholesky", tol=1e-10, max_iter=10000),
        lambda m: m.fit(X, y),
    )
    seconds, tol, rel, _ = match(
        deviance_objective(sk),
        lambda **kw: MeanRegularizedRegressor(beta=alpha / 2, loss="poisson", **kw),
        lambda m: m.fit(X, y),
        deviance_objective,
    )
    rows.append(("PoissonRegressor vs MeanRegularizedRegressor(loss='poisson')",) + (sk_time,))
    rows[-1] += (seconds, tol, rel)
    y, epsilon, alpha = targets["huber"], 1.35, 1e-3
    sk_time, sk = fit_time(
        lambda: HuberRegressor(epsilon=epsilon, alpha=alpha, tol=1e-10, max_iter=10000),
        lambda m: m.fit(X, y),
    )
    scale = sk.scale_

    def huber_objective(model):  # scikit-learn's at its scale, divided by 2 n / scale
        r = np.abs(y - X @ model.coef_ - model.intercept_)
        e = epsilon * scale
        loss = np.where(r <= e, 0.5 * r * r, e * r - 0.5 * e * e)
        return np.mean(loss) + alpha * scale / (2 * n) * model.coef_ @ model.coef_

    seconds, tol, rel, _ = match(
        huber_objective(sk),
        lambda **kw: MeanRegularizedRegressor(
            beta=alpha * scale / (2 * n), loss=HuberLoss(epsilon * scale), **kw
        ),
        lambda m: m.fit(X, y),
        huber_objective,
    )
    name = "HuberRegressor vs MeanRegularizedRegressor(loss=HuberLoss(1.35 scale_))"
    rows.append((name, sk_time))
    rows[-1] += (seconds, tol, rel)
    alpha = 1e-3

    def pinball_objective(model):  # scikit-learn's: mean pinball loss + alpha ||w||_1
        r = y - X @ model.coef_ - model.intercept_
        return np.mean(np.maximum(0.5 * r, -0.5 * r)) + alpha * np.abs(model.coef_).sum()

    sk_time, sk = fit_time(
        lambda: QuantileRegressor(quantile=0.5, alpha=alpha, solver="highs"),
        lambda m: m.fit(X, y),
    )
    seconds, tol, rel, _ = match(
        pinball_objective(sk),
        lambda **kw: GroupLassoRegressor(alpha=alpha, loss="quantile", **kw),
        lambda m: m.fit(X, y),
        pinball_objective,
    )
    rows.append(("QuantileRegressor vs GroupLassoRegressor(loss='quantile')", sk_time))
    rows[-1] += (seconds, tol, rel)
    labels = np.where(targets["squared_hinge"] > 0, 1, -1)
    C = 1.0 / n

    def svm_objective(model):
        margins = labels * (X @ np.ravel(model.coef_))
        return np.ravel(model.coef_) @ np.ravel(model.coef_) / (2 * C * n) + np.mean(
            np.maximum(0, 1 - margins) ** 2
        )

    sk_time, sk = fit_time(
        lambda: LinearSVC(C=C, fit_intercept=False, tol=1e-10, max_iter=100000),
        lambda m: m.fit(X, labels),
    )
    seconds, tol, rel, _ = match(
        svm_objective(sk),
        lambda **kw: MeanRegularizedClassifier(
            beta=1 / (2 * C * n), loss="squared_hinge", fit_intercept=False, **kw
        ),
        lambda m: m.fit(X, labels),
        svm_objective,
    )
    rows.append(("LinearSVC vs MeanRegularizedClassifier(loss='squared_hinge')", sk_time))
    rows[-1] += (seconds, tol, rel)
    classes = targets["multinomial"]
    X = standardized(X)
    C = 10.0 / n
    beta = 1 / (2 * C * n)

    def multinomial_objective(model):
        proba = model.predict_proba(X)
        picked = proba[np.arange(n), np.searchsorted(model.classes_, classes)]
        return -np.mean(np.log(picked)) + beta * np.sum(model.coef_**2)

    sk_time, sk = fit_time(
        lambda: LogisticRegression(C=C, tol=1e-10, max_iter=100000), lambda m: m.fit(X, classes)
    )
    seconds, tol, rel, _ = match(
        multinomial_objective(sk),
        lambda **kw: MeanRegularizedClassifier(beta=beta, **kw),
        lambda m: m.fit(X, classes),
        multinomial_objective,
    )
    rows.append(("LogisticRegression (3 classes) vs MeanRegularizedClassifier", sk_time))
    rows[-1] += (seconds, tol, rel)
    for row in rows:
        print(f"{row[0]:55s} sklearn {row[1]:7.3f} s  skmtl {row[2]:7.3f} s", flush=True)
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="20 tasks, no results file")
    parser.add_argument("--tasks", type=int, default=139, help="number of tasks (default 139)")
    parser.add_argument(
        "--models", nargs="+", help="only the multi-task models whose name contains one of these"
    )
    parser.add_argument(
        "--output", type=Path, default=OUTPUT, help=f"results file (default {OUTPUT.name})"
    )
    args = parser.parse_args(argv)
    header = environment_header(sys.argv[1:], git_revision()).replace(
        "bench_group_lasso.py", "bench_losses.py"
    )
    started = time.perf_counter()
    X, y, labels, tasks = school_like(20 if args.quick else args.tasks)
    rng = np.random.RandomState(1)
    outliers = rng.rand(len(y)) < 0.05
    z = y - rng.randn(len(y))  # the noiseless predictor of school_like
    targets = {
        "huber": np.where(outliers, y + 20 * rng.standard_t(1, len(y)), y),
        "poisson": rng.poisson(np.exp(np.clip(z / (3 * z.std()), -3, 3))).astype(float),
        "squared_hinge": labels,
        # three classes: terciles of a noisy linear score
        "multinomial": np.digitize(z + rng.randn(len(z)), np.quantile(z, [1 / 3, 2 / 3])),
    }
    targets["quantile"] = targets["huber"]  # the median of the targets with outliers
    multi = multitask_rows(X, targets, tasks, args.models)
    single = single_task_rows(X, targets)
    lines = [
        "# The Huber, Poisson, quantile, squared-hinge and multinomial losses against cvxpy and "
        "scikit-learn",
        "",
        header,
        f"- data: {len(np.unique(tasks))} tasks, {len(tasks)} rows, 27 features (20 "
        "one-hot, 7 continuous unscaled, scales 1-1000), `bench_nonconvex.school_like`; "
        "Huber and quantile (median) targets with 5% Cauchy outliers, Poisson counts of "
        "mean exp(z / 3 std z), "
        "three classes: terciles of z plus unit noise, on standardized features (multinomial "
        "rows but the raw ones)",
        f"- run time {time.perf_counter() - started:.0f} s",
        "",
        "skmtl: the loosest tol (of " + ", ".join(f"{t:g}" for t in TOLS) + ") whose "
        f"objective is within {MATCH_RTOL:g} relative of the reference's; best of 2. cvxpy: "
        "CLARABEL, one run; scikit-learn at tol=1e-10, best of 2.",
        "",
        "| model | cvxpy (s) | skmtl (s) | speed-up | skmtl tol | objective - cvxpy's (rel) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {m} | {c:.2f} | {s:.3f} | {c / s:.3g}x | {t:g} | {r:+.1e} |" for m, c, s, t, r in multi
    ]
    lines += [
        "",
        "One task, all rows, against scikit-learn's solver of the same objective:",
        "",
        "| comparison | sklearn (s) | skmtl (s) | sklearn / skmtl | skmtl tol | "
        "objective - sklearn's (rel) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {m} | {k:.3f} | {s:.3f} | {k / s:.2f} | {t:g} | {r:+.1e} |" for m, k, s, t, r in single
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    if not args.quick:
        args.output.write_text(text)


if __name__ == "__main__":
    main()
