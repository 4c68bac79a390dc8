"""Time skmtl's group lasso against its peers, side by side, in one run.

1. Shared design (``fit(X, Y)``, Y of shape (n, T)) against scikit-learn's and
   skglm's ``MultiTaskLasso``: the same objective, compared at the same final
   objective. Every run's objective is recomputed by one numpy function
   (:func:`objective`); skmtl is run over a grid of ``tol`` and each peer run is
   matched with the loosest skmtl ``tol`` whose objective is no worse than the
   peer's (within ``MATCH_RTOL`` relative).
2. Per-task designs (``fit(X, y, tasks=...)``, a School-sized problem) against
   ``solver="cvxpy"`` (CLARABEL), for the regressor and the classifier, the L2 and
   L-infinity group norms, ``l1_ratio`` 0 and 0.5.

Every timing is the best of ``--repeat`` calls after one untimed warm-up call (so
numba compilation, BLAS thread start-up and cvxpy imports are excluded). The
result tables go to ``benchmarks/results/group_lasso.md`` and to stdout.

Run from the repository root::

    python benchmarks/bench_group_lasso.py           # full run, a few minutes
    python benchmarks/bench_group_lasso.py --quick   # smoke run, seconds; no file
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import os
import platform
import subprocess
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import threadpoolctl
from sklearn.exceptions import ConvergenceWarning

import skmtl
from skmtl import GroupLassoClassifier, GroupLassoRegressor
from skmtl.penalties import SparseGroupNorm

HERE = Path(__file__).resolve().parent
DEFAULT_OUTPUT = HERE / "results" / "group_lasso.md"

SKMTL_TOLS = (1e-4, 1e-5, 1e-6, 1e-7, 1e-8)  # the grid searched for a matching objective
PEER_TOLS = (1e-4, 1e-8)  # the peers' default tol and a tight one
PER_TASK_TOL = 1e-8
MATCH_RTOL = 1e-8  # "the same objective": no worse than the peer's, within this
ALPHA_DIVISORS = (10, 100)  # alpha = alpha_max / divisor
PER_TASK_PENALTIES = ((0.0, "l2"), (0.5, "l2"), (0.0, "linf"), (0.5, "linf"))
MAX_ITER = 100_000


@dataclass
class Sizes:
    shared: tuple  # (n, d, T) per shared-design problem
    n_tasks: int
    rows_per_task: tuple  # randint(low, high) rows per task
    n_features: int
    repeat: int


FULL = Sizes(
    shared=((2000, 1000, 20), (500, 5000, 10), (500, 20000, 10)),
    n_tasks=139,
    rows_per_task=(60, 160),
    n_features=27,
    repeat=3,
)
QUICK = Sizes(
    shared=((200, 100, 5), (60, 300, 4)), n_tasks=12, rows_per_task=(20, 40), n_features=8, repeat=1
)


# ----------------------------------------------------------------------------- data
def make_shared(n, d, T, n_informative=20, noise=1.0, seed=0):
    """Gaussian X; ``n_informative`` rows of W (d, T) non-zero for every task."""
    rng = np.random.RandomState(seed)
    X = rng.standard_normal((n, d))
    W = np.zeros((d, T))
    W[rng.choice(d, min(n_informative, d), replace=False)] = rng.standard_normal(
        (min(n_informative, d), T)
    )
    Y = X @ W + noise * rng.standard_normal((n, T))
    return X, Y


def make_per_task(n_tasks, rows_per_task, d, loss, n_informative=5, seed=0):
    """Stacked per-task rows of unequal counts; the first features matter for all."""
    rng = np.random.RandomState(seed)
    sizes = rng.randint(*rows_per_task, size=n_tasks)
    tasks = np.repeat(np.arange(n_tasks), sizes)
    X = rng.standard_normal((len(tasks), d))
    W = np.zeros((n_tasks, d))
    W[:, :n_informative] = rng.standard_normal((n_tasks, n_informative)) + 1.0
    z = np.einsum("ij,ij->i", X, W[tasks])
    if loss == "logistic":
        return X, (z + rng.logistic(size=len(z)) > 0).astype(int), tasks
    return X, z + rng.standard_normal(len(z)), tasks


# ------------------------------------------------------------------------ objective
def task_means(values, tasks):
    """Per-task mean of per-sample ``values``: (T,). Shared design: column means."""
    if tasks is None:
        return values.mean(axis=0)
    return np.bincount(tasks, weights=values) / np.bincount(tasks)


def data_term(per_sample, tasks):
    """The estimators' default data term (``task_weights=None``): each task's mean
    loss weighted by ``tau_t = n_t T / N``, i.e. ``T / N`` times the sum over all
    rows (every sample counts once). Shared design: the sum of the column means."""
    if tasks is None:
        return float(per_sample.mean(axis=0).sum())
    return float(per_sample.sum() * len(np.unique(tasks)) / len(tasks))


def predictions(X, coef, intercept, tasks):
    """``x_i^T w_t + b_t`` for every (row, task) pair; coef is (T, d)."""
    if tasks is None:
        return X @ coef.T + intercept
    return np.einsum("ij,ij->i", X, coef[tasks]) + intercept[tasks]


def penalty_value(coef, alpha, l1_ratio=0.0, group_norm="l2"):
    """``alpha (l1_ratio ||W||_1 + (1 - l1_ratio) sum_j ||W_j||)``, coef (T, d)."""
    rows = np.linalg.norm(coef, axis=0) if group_norm == "l2" else np.abs(coef).max(axis=0)
    return alpha * (l1_ratio * np.abs(coef).sum() + (1 - l1_ratio) * rows.sum())


def objective(X, y, tasks, coef, intercept, alpha, l1_ratio=0.0, group_norm="l2", loss="squared"):
    """The common objective: sum over tasks of the mean loss, plus the penalty.

    With ``tasks=None`` (y of shape (n, T)) this is sklearn's MultiTaskLasso
    objective ``||Y - X W - b||_F^2 / (2n) + alpha sum_j ||W_j||_2``.
    """
    coef = np.atleast_2d(coef)
    z = predictions(X, coef, np.atleast_1d(intercept), tasks)
    if loss == "squared":
        per_sample = 0.5 * (y - z) ** 2
    else:  # labels 0/1, mean log-loss
        per_sample = np.logaddexp(0.0, -(2.0 * y - 1.0) * z)
    return float(
        task_means(per_sample, tasks).sum() + penalty_value(coef, alpha, l1_ratio, group_norm)
    )


def alpha_max(X, y, tasks, l1_ratio=0.0, group_norm="l2"):
    """Smallest alpha with an all-zero solution (intercepts fitted).

    The gradient at W = 0 with optimal intercepts is ``X_t^T (y_t - mean y_t) / n_t``
    for both losses (0/1 labels for the logistic one); alpha_max is its dual norm
    (for the shared L2 design: ``max_j ||X_c^T Y_c||_2 / n``).
    """
    if tasks is None:
        G = X.T @ (y - y.mean(axis=0)) / X.shape[0]
    else:
        residual = (y - task_means(y, tasks)[tasks]) / np.bincount(tasks)[tasks]
        G = np.zeros((X.shape[1], tasks.max() + 1))
        np.add.at(G.T, tasks, X * residual[:, None])
    return SparseGroupNorm(1.0, l1_ratio, group_norm).alpha_max(G)


# --------------------------------------------------------------------------- timing
@dataclass
class Run:
    """One timed method on one problem."""

    method: str
    tol: float
    time: float
    objective: float
    n_iter: object
    converged: bool = True
    extra: dict = field(default_factory=dict)


def best_time(fit, repeat):
    """Best wall time of ``repeat`` calls of ``fit()`` after one warm-up call.

    Returns ``(seconds, fitted model, whether a ConvergenceWarning was raised)``.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        model = fit()
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            model = fit()
            times.append(time.perf_counter() - start)
    warned = any(issubclass(w.category, ConvergenceWarning) for w in caught)
    return min(times), model, not warned


def timed_run(method, tol, fit, score, repeat):
    seconds, model, converged = best_time(fit, repeat)
    extra = {}
    if hasattr(model, "objective_"):
        extra["objective_"] = float(model.objective_)
    if hasattr(model, "dual_gap_"):
        extra["dual_gap_"] = float(model.dual_gap_)
    return Run(method, tol, seconds, score(model), getattr(model, "n_iter_", ""), converged, extra)


# ------------------------------------------------------------------ shared design
def shared_design_peers():
    """``(name, factory(alpha, tol))`` of the shared-design peers."""
    from sklearn.linear_model import MultiTaskLasso as SklearnMTL

    peers = [
        (
            "sklearn MultiTaskLasso",
            lambda alpha, tol: SklearnMTL(alpha=alpha, tol=tol, max_iter=MAX_ITER),
        )
    ]
    try:
        import skglm
    except ImportError:
        print("skglm is not installed: its rows are skipped.", file=sys.stderr)
    else:
        peers.append(
            ("skglm MultiTaskLasso", lambda alpha, tol: skglm.MultiTaskLasso(alpha=alpha, tol=tol))
        )
    return peers


def match_skmtl(peer, skmtl_runs):
    """The loosest-tol skmtl run whose objective is no worse than ``peer``'s.

    Falls back to the tightest run (and says so) if none reaches it.
    """
    limit = peer.objective + MATCH_RTOL * abs(peer.objective)
    for run in skmtl_runs:  # loosest first
        if run.objective <= limit:
            return run, True
    return skmtl_runs[-1], False


def shared_runs(X, Y, alpha, repeat):
    """skmtl over ``SKMTL_TOLS`` and the peers over ``PEER_TOLS`` on one problem."""

    def score(model):
        return objective(X, Y, None, model.coef_, model.intercept_, alpha)

    skmtl_runs = [
        timed_run(
            "skmtl GroupLassoRegressor",
            tol,
            lambda tol=tol: GroupLassoRegressor(alpha=alpha, tol=tol, max_iter=MAX_ITER).fit(X, Y),
            score,
            repeat,
        )
        for tol in SKMTL_TOLS
    ]
    peer_runs = [
        timed_run(peer, tol, lambda make=make, tol=tol: make(alpha, tol).fit(X, Y), score, repeat)
        for peer, make in shared_design_peers()
        for tol in PEER_TOLS
    ]
    return skmtl_runs, peer_runs


def bench_shared(sizes):
    rows = []
    for n, d, T in sizes.shared:
        X, Y = make_shared(n, d, T)
        a_max = alpha_max(X, Y, None)
        for divisor in ALPHA_DIVISORS:
            alpha = a_max / divisor
            name = f"n={n} d={d} T={T}, alpha_max/{divisor}"
            print(f"[shared] {name}", flush=True)

            skmtl_runs, peer_runs = shared_runs(X, Y, alpha, sizes.repeat)
            for peer in peer_runs:
                peer.extra["match"] = match_skmtl(peer, skmtl_runs)
            rows.append((name, peer_runs + skmtl_runs))
    return rows


# --------------------------------------------------------------- per-task designs
def per_task_runs(Est, loss, X, y, tasks, alpha, l1_ratio, group_norm, repeat):
    """skmtl (``solver="fista"``) and cvxpy on one per-task-design problem."""

    def score(model):
        return objective(
            X, y, tasks, model.coef_, model.intercept_, alpha, l1_ratio, group_norm, loss
        )

    def fit(solver):
        return Est(
            alpha=alpha,
            l1_ratio=l1_ratio,
            group_norm=group_norm,
            # each task's mean loss once, as ``objective`` and ``alpha_max`` here
            # (the default weighs tasks by their share of the samples)
            task_weights="tasks",
            tol=PER_TASK_TOL,
            max_iter=MAX_ITER,
            solver=solver,
        ).fit(X, y, tasks=tasks)

    fista = timed_run("skmtl", PER_TASK_TOL, lambda: fit("fista"), score, repeat)
    cvx = timed_run("cvxpy", np.nan, lambda: fit("cvxpy"), score, repeat)
    return fista, cvx


def bench_per_task(sizes):
    rows = []
    for Est, loss in ((GroupLassoRegressor, "squared"), (GroupLassoClassifier, "logistic")):
        X, y, tasks = make_per_task(sizes.n_tasks, sizes.rows_per_task, sizes.n_features, loss)
        for l1_ratio, group_norm in PER_TASK_PENALTIES:
            a_max = alpha_max(X, y, tasks, l1_ratio, group_norm)
            for divisor in ALPHA_DIVISORS:
                alpha = a_max / divisor
                name = f"{Est.__name__}, {group_norm}, l1_ratio={l1_ratio:g}, alpha_max/{divisor}"
                print(f"[per-task] {name}", flush=True)

                fista, cvx = per_task_runs(
                    Est, loss, X, y, tasks, alpha, l1_ratio, group_norm, sizes.repeat
                )
                rows.append((name, fista, cvx))
    return rows


# ---------------------------------------------------------------------- reporting
def fmt_time(seconds):
    return f"{seconds:.3g}"


def fmt_rel(value):
    return "0" if value == 0 else f"{value:+.1e}"


def objective_check(run):
    """A note when the estimator's own ``objective_`` disagrees with ours."""
    own = run.extra.get("objective_")
    if own is None or abs(own - run.objective) <= 1e-9 * max(abs(run.objective), 1.0):
        return ""
    return f" objective_={own:.12g} differs"


def shared_table(rows):
    lines = [
        "| problem | method | tol | time (s) | n_iter | objective | rel. excess "
        "| matched skmtl tol | skmtl time (s) | speed ratio (peer / skmtl) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, runs in rows:
        best = min(run.objective for run in runs)
        for run in runs:
            note = ("" if run.converged else " (not converged)") + objective_check(run)
            cells = [
                name,
                run.method + note,
                f"{run.tol:g}",
                fmt_time(run.time),
                str(run.n_iter),
                f"{run.objective:.12g}",
                fmt_rel(run.objective / best - 1),
            ]
            if "match" in run.extra:
                match, reached = run.extra["match"]
                cells += [
                    f"{match.tol:g}" + ("" if reached else " (not reached)"),
                    fmt_time(match.time),
                    f"{run.time / match.time:.2f}",
                ]
            else:
                cells += ["", "", ""]
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def per_task_table(rows):
    lines = [
        "| problem | skmtl time (s) | n_iter | dual_gap_ | cvxpy time (s) "
        "| objective skmtl | objective cvxpy | rel. diff (skmtl - cvxpy) / cvxpy "
        "| speed ratio (cvxpy / skmtl) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, fista, cvx in rows:
        note = ("" if fista.converged else " (not converged)") + objective_check(fista)
        lines.append(
            "| "
            + " | ".join(
                [
                    name + note,
                    fmt_time(fista.time),
                    str(fista.n_iter),
                    f"{fista.extra.get('dual_gap_', np.nan):.1e}",
                    fmt_time(cvx.time),
                    f"{fista.objective:.12g}",
                    f"{cvx.objective:.12g}",
                    fmt_rel((fista.objective - cvx.objective) / abs(cvx.objective)),
                    f"{cvx.time / fista.time:.1f}",
                ]
            )
            + " |"
        )
    return "\n".join(lines)


def ratio_summary(values):
    values = np.asarray(values)
    return f"min {values.min():.2f}, median {np.median(values):.2f}, max {values.max():.2f}"


def package_version(name):
    try:
        module = __import__(name)
    except ImportError:
        return "not installed"
    return getattr(module, "__version__", "?")


def git_revision():
    try:
        out = subprocess.run(
            ["git", "describe", "--always", "--dirty"],
            cwd=HERE,
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return out.stdout.strip()


def environment_header(argv, revision):
    pools = "; ".join(
        " ".join(filter(None, [info["internal_api"], info.get("version")]))
        + f" ({', '.join(filter(None, [info['prefix'], info.get('architecture')]))})"
        + f": {info['num_threads']} threads"
        for info in threadpoolctl.threadpool_info()
    )
    versions = ", ".join(
        f"{name} {package_version(name)}"
        for name in ("numpy", "scipy", "sklearn", "skglm", "cvxpy", "clarabel")
    )
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    return "\n".join(
        [
            f"- date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M UTC}",
            f"- command: `python {' '.join(['benchmarks/bench_group_lasso.py'] + argv)}`",
            f"- skmtl {skmtl.__version__} (git {revision} at start), Python "
            f"{platform.python_version()}, {versions}",
            f"- machine: {os.cpu_count()} cores, {platform.machine()}, {platform.platform()}; "
            f"load average at start {load}",
            f"- OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')}; "
            f"threadpools: {pools}",
        ]
    )


def report(args, argv, revision, shared_rows, per_task_rows, elapsed):
    peer_ratios = {}
    for _, runs in shared_rows:
        for run in runs:
            if "match" in run.extra:
                key = f"{run.method} tol={run.tol:g}"
                peer_ratios.setdefault(key, []).append(run.time / run.extra["match"][0].time)
    summary = [
        f"- {key} / skmtl at the same objective: {ratio_summary(v)}"
        for key, v in peer_ratios.items()
    ]
    summary.append(
        "- cvxpy / skmtl (per-task designs): "
        + ratio_summary([cvx.time / fista.time for _, fista, cvx in per_task_rows])
    )
    largest = max(abs(f.objective - c.objective) / abs(c.objective) for _, f, c in per_task_rows)
    summary.append(f"- largest |rel. diff| skmtl vs cvxpy (per-task designs): {largest:.1e}")
    return (
        "\n\n".join(
            [
                "# Group lasso benchmark: skmtl against its peers",
                environment_header(argv, revision),
                f"Every time is the best of {args.repeat} calls after one warm-up call; "
                f"every objective is recomputed from `coef_` and `intercept_` by one numpy "
                f"function (sum over tasks of the mean loss + penalty, intercepts included). "
                f"Whole run: {elapsed:.0f} s.",
                "## Summary\n\n" + "\n".join(summary),
                "## Shared design: `fit(X, Y)` against `MultiTaskLasso`\n\n"
                "Gaussian X, 20 informative rows of W shared by all tasks, unit noise; "
                "alpha = alpha_max / 10 and / 100 with alpha_max = max_j ||X_c^T Y_c||_2 / n. "
                f"skmtl runs with tol in {list(SKMTL_TOLS)}; each peer run is matched with the "
                "loosest skmtl tol whose objective is no worse than the peer's (within "
                f"{MATCH_RTOL:g} relative). rel. excess = objective / (best objective of the "
                "problem) - 1. skglm's n_iter is its number of working sets.\n\n"
                + shared_table(shared_rows),
                '## Per-task designs: `fit(X, y, tasks=...)` against `solver="cvxpy"`\n\n'
                f"School-sized: {args.sizes.n_tasks} tasks, rows per task drawn from "
                f"randint{args.sizes.rows_per_task}, d={args.sizes.n_features}, 5 informative "
                f"features; skmtl with tol={PER_TASK_TOL:g}, cvxpy with CLARABEL (time includes "
                "cvxpy's problem construction). Classifier labels are 0/1, logistic noise.\n\n"
                + per_task_table(per_task_rows),
            ]
        )
        + "\n"
    )


# ---------------------------------------------------------------------------- main
def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="tiny problems, one repetition: a smoke run in seconds "
        "(writes no file unless --output is given)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=None,
        help="timed repetitions per measurement (default 3; 1 with --quick)",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=None,
        help=f"results file (default {DEFAULT_OUTPUT.relative_to(HERE.parent)})",
    )
    args = parser.parse_args(argv)
    args.sizes = QUICK if args.quick else FULL
    if args.repeat is not None:
        args.sizes = dataclasses.replace(args.sizes, repeat=args.repeat)
    args.repeat = args.sizes.repeat
    if args.output is None and not args.quick:
        args.output = DEFAULT_OUTPUT
    return args


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parse_args(argv)
    revision, start = git_revision(), time.perf_counter()
    shared_rows = bench_shared(args.sizes)
    per_task_rows = bench_per_task(args.sizes)
    text = report(args, argv, revision, shared_rows, per_task_rows, time.perf_counter() - start)
    print(text)
    if args.output is not None:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text)
        print(f"written to {args.output}", file=sys.stderr)
    return text


if __name__ == "__main__":
    main()
