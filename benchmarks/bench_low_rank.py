"""Time skmtl's shared-subspace and split models against ``solver="cvxpy"``, and the
trace norm's partial SVD, in one run.

1. School-sized per-task designs (139 tasks, 60 to 159 rows each, 27 features;
   ``fit(X, y, tasks=...)``) from skmtl's generators: ``make_low_rank_tasks`` (rank
   3, 5 outlier tasks) for the trace norm (plain and ``squared=True``), the shared
   subspace (cASO) and robust MTL, ``make_shared_specific_tasks`` for the dirty
   model; each as the regressor and the classifier. skmtl is timed at ``tol=1e-4``
   and ``tol=1e-8``, cvxpy (CLARABEL) in a worker process stopped after
   ``--cvxpy-timeout`` seconds; where it is stopped or fails, the model is compared
   again on ``--small-tasks`` tasks. Every objective is recomputed from ``coef_``,
   ``intercept_`` (and the parts of the split models) by one numpy function.
2. The trace norm's partial SVD on a larger shared design (n=3000, d=2000, T=200,
   ``fit(X, Y)``, rank-5 signal plus noise, alpha = 0.3 alpha_max): the fit as it
   is, with the partial SVD (``scipy.sparse.linalg.svds`` in the prox once the rank
   is known to be small) forced on (``TraceNorm._PARTIAL_MIN_SIZE = 0``), and with
   ``TraceNorm._PARTIAL = 0`` (always a full SVD), each in a fresh process.

Every skmtl time is the best of ``--repeat`` calls after one untimed warm-up call.

Run from the repository root::

    python benchmarks/bench_low_rank.py           # full run, about 6 minutes
    python benchmarks/bench_low_rank.py --quick   # smoke run, well under a minute
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    RESULTS,
    CpuMonitor,
    Worker,
    base_parser,
    best_of,
    best_of_adaptive,
    cvxpy_cell,
    data_term,
    finish_args,
    fmt_rel,
    fmt_time,
    header,
    isolated,
    markdown_table,
    predictions,
    profile_call,
    ratio_summary,
    rel_diff,
    task_means,
    wait_for_quiet,
    write_report,
)

import skmtl  # noqa: E402
from skmtl.datasets import make_low_rank_tasks, make_shared_specific_tasks  # noqa: E402

DEFAULT_OUTPUT = RESULTS / "low_rank.md"
SCRIPT = "benchmarks/bench_low_rank.py"
TOLS = (1e-4, 1e-8)
MAX_ITER = 100_000
TARGET_RATIO = 20.0
OBJECTIVE_RTOL = 1e-9  # objective_ against the recomputed objective
CVXPY_REPEAT_BELOW = 10.0  # cvxpy fits faster than this (s) are repeated too
ONCE_ABOVE = 10.0  # partial-SVD fits slower than this (s) are timed once
SDP_SLOW = 0.25  # see bench_all
LOSSES = (("squared", "Regressor"), ("logistic", "Classifier"))
RANK, N_OUTLIERS = 3, 5


@dataclass
class Sizes:
    n_tasks: int
    rows_per_task: tuple
    n_features: int
    small_tasks: int
    cvxpy_timeout: float
    svd: tuple  # (n, d, T, rank) of the partial-SVD problem


FULL = Sizes(139, (60, 160), 27, 30, 240.0, (3000, 2000, 200, 5))
QUICK = Sizes(12, (20, 40), 8, 6, 30.0, (400, 300, 120, 3))


# ----------------------------------------------------------------------------- data
@dataclass
class Problem:
    kind: str  # "low rank" or "shared + specific"
    loss: str
    X: np.ndarray
    y: np.ndarray
    tasks: np.ndarray

    @property
    def n_tasks(self):
        return int(self.tasks.max()) + 1

    @property
    def name(self):
        return f"{self.kind}, T={self.n_tasks}, n={len(self.y)}"


def make_problem(kind, loss, n_tasks, sizes, seed=0):
    counts = np.random.RandomState(seed).randint(*sizes.rows_per_task, size=n_tasks)
    common = dict(n_samples=counts, n_features=sizes.n_features, loss=loss, random_state=seed)
    if kind == "low rank":
        X, y, tasks, _, _ = make_low_rank_tasks(
            n_tasks=n_tasks, rank=RANK, n_outliers=min(N_OUTLIERS, n_tasks // 4), **common
        )
    else:
        X, y, tasks, _, _ = make_shared_specific_tasks(n_tasks=n_tasks, **common)
    return Problem(kind, loss, X, y, tasks)


# ------------------------------------------------------------------------- models
@dataclass
class Model:
    """One estimator family with its strengths, chosen from the data."""

    label: str
    family: str
    kind: str  # the data it is run on
    strengths: object  # strengths(problem, suffix) -> dict of parameters
    sdp: bool = True  # cvxpy needs a PSD cone of size d + T (nuclear norm, cASO)


def trace_alpha(problem, suffix):
    """alpha_max / 10 of the trace norm on this problem."""
    return 0.1 * getattr(skmtl, "TraceNorm" + suffix)().alpha_max(
        problem.X, problem.y, problem.tasks
    )


def squared_trace(problem, suffix):
    """The squared trace norm at the strength with the same solution as the trace
    norm at ``trace_alpha``: alpha_sq = alpha / (2 ||W_alpha||_*)."""
    alpha = trace_alpha(problem, suffix)
    W = (
        getattr(skmtl, "TraceNorm" + suffix)(alpha=alpha, tol=1e-10, max_iter=MAX_ITER)
        .fit(problem.X, problem.y, tasks=problem.tasks)
        .coef_
    )
    return dict(alpha=alpha / (2 * np.linalg.svd(W, compute_uv=False).sum()), squared=True)


def dirty(problem, suffix):
    """alpha_specific = alpha_max(L1) / 10, alpha_shared = min(20, T / 2)
    alpha_specific (useful ratios lie in (1, T))."""
    l1_max = getattr(skmtl, "GroupLasso" + suffix)(l1_ratio=1.0).alpha_max(
        problem.X, problem.y, problem.tasks
    )
    ratio = min(20.0, problem.n_tasks / 2)
    return dict(alpha_shared=ratio * 0.1 * l1_max, alpha_specific=0.1 * l1_max)


def zero_gradient(problem):
    """The data term's gradient at W = 0 with optimal intercepts, (d, T):
    ``-X_t^T (y_t - mean y_t) / n_t`` for both losses (0/1 labels)."""
    counts = np.bincount(problem.tasks)
    residual = problem.y - task_means(problem.y, problem.tasks)[problem.tasks]
    G = np.empty((problem.X.shape[1], len(counts)))
    for t in range(len(counts)):  # setup, not timed
        rows = problem.tasks == t
        G[:, t] = problem.X[rows].T @ residual[rows] / counts[t]
    return G


def robust(problem, suffix):
    """alpha_lowrank = 0.3 ||G||_2 (the trace norm's alpha_max), alpha_outlier = c
    max_t ||G_t||_2 (the column norm's alpha_max) with c = 0.3 for the squared loss,
    0.5 for the logistic loss: strengths that find the planted outlier tasks."""
    G = zero_gradient(problem)
    share = 0.3 if suffix == "Regressor" else 0.5
    return dict(
        alpha_lowrank=0.3 * np.linalg.norm(G, 2),
        alpha_outlier=share * np.linalg.norm(G, axis=0).max(),
    )


MODELS = (
    Model("TraceNorm", "TraceNorm", "low rank", lambda p, s: dict(alpha=trace_alpha(p, s))),
    Model("TraceNorm squared", "TraceNorm", "low rank", squared_trace),
    Model(
        "SharedSubspace",
        "SharedSubspace",
        "low rank",
        lambda p, s: dict(alpha=0.1, beta=0.01, n_components=RANK),
    ),
    Model("Dirty", "Dirty", "shared + specific", dirty, sdp=False),
    Model("RobustLowRank", "RobustLowRank", "low rank", robust),
)


# ------------------------------------------------------------------------ objective
def parts_of(model):
    """The two parts of a split model's coefficients, (T, d) each; None otherwise."""
    for first, second in (("shared_coef_", "specific_coef_"), ("lowrank_coef_", "outlier_coef_")):
        if hasattr(model, first):
            return getattr(model, first), getattr(model, second)
    return None


def nuclear(A):
    return float(np.linalg.svd(A, compute_uv=False).sum())


def penalty_value(family, params, coef, parts, n_features):
    """The model's penalty at ``coef`` (T, d) in plain numpy (cASO's through its
    penalty object: a water-filling over the singular values)."""
    if family == "TraceNorm":
        value = nuclear(coef)
        return params["alpha"] * (value**2 if params.get("squared") else value)
    if family == "Dirty":  # L1/L-inf rows of P plus L1 of Q
        P, Q = parts
        return (
            params["alpha_shared"] * np.abs(P).max(axis=0).sum()
            + params["alpha_specific"] * np.abs(Q).sum()
        )
    if family == "RobustLowRank":  # trace norm of L plus the tasks' norms of S
        L, S = parts
        return (
            params["alpha_lowrank"] * nuclear(L)
            + params["alpha_outlier"] * np.linalg.norm(S, axis=1).sum()
        )
    penalty = skmtl.SharedSubspaceRegressor(**params)._make_penalty(coef.shape[0], n_features)
    return float(penalty.value(coef.T))


def objective(problem, family, params, coef, intercept, parts):
    """The data term (the estimators' default task weights) + the penalty, recomputed
    from the solution."""
    z = predictions(problem.X, coef, intercept, problem.tasks)
    if problem.loss == "squared":
        per_sample = 0.5 * (problem.y - z) ** 2
    else:  # 0/1 labels
        per_sample = np.logaddexp(0.0, -(2.0 * problem.y - 1.0) * z)
    return float(
        data_term(per_sample, problem.tasks)
        + penalty_value(family, params, coef, parts, problem.X.shape[1])
    )


# --------------------------------------------------------------------------- runs
@dataclass
class Fit:
    time: float
    n_iter: object
    dual_gap: float
    objective: float
    own_objective: float
    warnings: list


@dataclass
class CvxpyRun:
    status: str  # "ok", "timeout", "failed: ..."
    time: float = np.nan
    objective: float = np.nan
    own_objective: float = np.nan
    n_runs: int = 0
    warnings: list = field(default_factory=list)


@dataclass
class Row:
    model: Model
    estimator: str
    problem: Problem
    params: dict
    fits: dict = field(default_factory=dict)  # tol -> Fit
    cvxpy: CvxpyRun = None
    structure: str = ""

    @property
    def name(self):
        return self.estimator + (" (squared)" if self.params.get("squared") else "")


def structure_note(family, model, problem):
    """What the fitted structure looks like (rank, outliers, supports)."""
    if family == "TraceNorm":
        return f"rank {model.rank_}"
    if family == "Dirty":
        return (
            f"{int((np.abs(model.shared_coef_).max(axis=0) > 0).sum())} shared rows, "
            f"{int((model.specific_coef_ != 0).sum())} specific entries"
        )
    if family == "RobustLowRank":
        return (
            f"rank {np.linalg.matrix_rank(model.lowrank_coef_, 1e-8)}, "
            f"{len(model.outlier_tasks_)} outlier tasks"
        )
    return f"{model.components_.shape[0]} components"


def bench_skmtl(row, repeat):
    Est = getattr(skmtl, row.estimator)
    p = row.problem
    for tol in TOLS:
        print(f"  skmtl {row.estimator} tol={tol:g}", flush=True)
        timing = best_of(
            lambda tol=tol: Est(**row.params, tol=tol, max_iter=MAX_ITER).fit(
                p.X, p.y, tasks=p.tasks
            ),
            repeat,
        )
        model = timing.value
        value = objective(
            p, row.model.family, row.params, model.coef_, model.intercept_, parts_of(model)
        )
        row.fits[tol] = Fit(
            timing.time,
            model.n_iter_,
            float(model.dual_gap_),
            value,
            float(model.objective_),
            timing.warnings,
        )
    row.structure = structure_note(row.model.family, model, p)


def cvxpy_fit(name, params, X, y, tasks):
    """One cvxpy fit (in the worker): ``(seconds, coef, intercept, parts, objective_)``."""
    model = getattr(skmtl, name)(**params, solver="cvxpy")
    start = time.perf_counter()
    model.fit(X, y, tasks=tasks)
    seconds = time.perf_counter() - start
    return seconds, model.coef_, model.intercept_, parts_of(model), float(model.objective_)


def bench_cvxpy(worker, row, repeat, timeout):
    """cvxpy's time (after an untimed fit on 3 tasks: imports, first-call costs)."""
    p = row.problem
    keep = p.tasks < 3
    worker.call(
        cvxpy_fit, row.estimator, row.params, p.X[keep], p.y[keep], p.tasks[keep], timeout=600
    )
    print(f"  cvxpy {row.estimator} (time limit {timeout:g} s)", flush=True)
    run = CvxpyRun("ok")
    while run.n_runs < repeat and (run.n_runs == 0 or run.time < CVXPY_REPEAT_BELOW):
        out = worker.call(cvxpy_fit, row.estimator, row.params, p.X, p.y, p.tasks, timeout=timeout)
        if out.status != "ok":
            if run.n_runs == 0:
                run = CvxpyRun(
                    out.status if out.status == "timeout" else f"failed: {out.value}",
                    time=timeout if out.status == "timeout" else np.nan,
                )
            break
        seconds, coef, intercept, parts, own = out.value
        if run.n_runs == 0:
            run.objective = objective(p, row.model.family, row.params, coef, intercept, parts)
            run.own_objective, run.warnings = own, out.warnings
        run.time = min(run.time, seconds) if run.n_runs else seconds
        run.n_runs += 1
    print(f"    -> {run.status}, {run.time:.3g} s", flush=True)
    row.cvxpy = run


def bench_model(worker, model, loss, suffix, n_tasks, sizes, repeat, skip=None):
    problem = make_problem(model.kind, loss, n_tasks, sizes)
    row = Row(model, model.family + suffix, problem, model.strengths(problem, suffix))
    print(f"[{problem.name}, {loss}] {model.label}{suffix}", flush=True)
    bench_skmtl(row, repeat)
    if skip:
        row.cvxpy = CvxpyRun("skipped: " + skip)
    else:
        bench_cvxpy(worker, row, repeat, sizes.cvxpy_timeout)
    return row


def bench_all(sizes, repeat):
    """Every model at full size, and on the smaller problem where cvxpy did not
    finish. Once cvxpy has been stopped, or has taken over ``SDP_SLOW`` of the time
    limit, on one model with a PSD cone of size d + T, the other such models are not
    attempted at full size (each would take minutes too)."""
    rows, slow = [], None
    with Worker() as worker:
        for model in MODELS:
            for loss, suffix in LOSSES:
                skip = None
                if model.sdp and slow:
                    skip = f"{slow}, with the same PSD cone of size d + T"
                row = bench_model(worker, model, loss, suffix, sizes.n_tasks, sizes, repeat, skip)
                rows.append(row)
                run = row.cvxpy
                if (
                    model.sdp
                    and not slow
                    and (
                        run.status == "timeout"
                        or (run.status == "ok" and run.time > SDP_SLOW * sizes.cvxpy_timeout)
                    )
                ):
                    slow = (
                        f"cvxpy was stopped after {run.time:.0f} s on {row.name}"
                        if run.status == "timeout"
                        else f"cvxpy took {run.time:.0f} s on {row.name}"
                    )
                if row.cvxpy.status != "ok" and sizes.small_tasks < sizes.n_tasks:
                    rows.append(
                        bench_model(worker, model, loss, suffix, sizes.small_tasks, sizes, repeat)
                    )
    return rows


# ------------------------------------------------------------------- partial SVD
def low_rank_design(n, d, T, rank, seed=0):
    """Gaussian X (n, d), Y = X A B + noise with A (d, rank), B (rank, T)."""
    rng = np.random.RandomState(seed)
    X = rng.standard_normal((n, d))
    W = rng.standard_normal((d, rank)) @ rng.standard_normal((rank, T)) / np.sqrt(d)
    return X, X @ W + rng.standard_normal((n, T))


#: the prox's SVD: as the library chooses, a partial SVD whenever the rank is known
#: to be small (the size floor ``_PARTIAL_MIN_SIZE`` lifted, where there is one), or
#: always LAPACK's full SVD
SVD_MODES = {
    "as is": "the library's choice",
    "forced": "_PARTIAL_MIN_SIZE = 0",
    "off": "_PARTIAL = 0",
}


def svd_fit(shape, mode, tol, repeat, alpha_fraction=0.3):
    """In a fresh process: fit the trace norm on ``low_rank_design(*shape)`` with the
    prox's SVD chosen by ``mode`` (see ``SVD_MODES``); best of ``repeat`` after a
    warm-up (one timed call when the warm-up took over ``ONCE_ABOVE`` s). Counts the
    prox's partial SVDs (``svds`` calls) and full SVDs of the last fit."""
    from skmtl.penalties import spectral

    if mode == "off":
        spectral.TraceNorm._PARTIAL = 0
    elif mode == "forced" and hasattr(spectral.TraceNorm, "_PARTIAL_MIN_SIZE"):
        spectral.TraceNorm._PARTIAL_MIN_SIZE = 0
    calls = {"svds": 0, "prox": 0}
    svds, prox = spectral.svds, spectral.TraceNorm.prox

    def counting_svds(*args, **kwargs):
        calls["svds"] += 1
        return svds(*args, **kwargs)

    def counting_prox(self, V, step):
        calls["prox"] += 1
        return prox(self, V, step)

    spectral.svds, spectral.TraceNorm.prox = counting_svds, counting_prox
    X, Y = low_rank_design(*shape)
    alpha = alpha_fraction * skmtl.TraceNormRegressor().alpha_max(X, Y)

    def fit():
        calls.update(svds=0, prox=0)
        return skmtl.TraceNormRegressor(alpha=alpha, tol=tol, max_iter=MAX_ITER).fit(X, Y)

    timing = best_of_adaptive(fit, repeat, ONCE_ABOVE)
    model = timing.value
    mean = task_means(0.5 * (Y - predictions(X, model.coef_, model.intercept_, None)) ** 2, None)
    value = float(mean.sum() + alpha * nuclear(model.coef_))
    return dict(
        time=timing.time,
        label=timing.label(),
        alpha=alpha,
        objective=value,
        rank=model.rank_,
        n_iter=model.n_iter_,
        dual_gap=float(model.dual_gap_),
        warnings=timing.warnings,
        coef=model.coef_,
        partial=f"{calls['svds']} of {calls['prox']}",
    )


def bench_partial_svd(sizes, repeat):
    n, d, T, rank = sizes.svd
    rows = []
    for tol in TOLS:
        runs = {}
        for mode in SVD_MODES:
            print(f"[partial SVD] n={n} d={d} T={T} tol={tol:g} mode={mode}", flush=True)
            out = isolated(svd_fit, (n, d, T, rank), mode, tol, repeat, timeout=1800)
            if out.status != "ok":
                raise RuntimeError(f"partial-SVD run {out.status}: {out.value}")
            runs[mode] = out.value
        rows.append((tol, runs))
    return rows


# ---------------------------------------------------------------------- reporting
def fit_notes(row):
    notes = []
    for tol, fit in row.fits.items():
        if abs(fit.own_objective - fit.objective) > OBJECTIVE_RTOL * max(abs(fit.objective), 1):
            notes.append(
                f"tol={tol:g}: objective_ {fit.own_objective:.12g} differs from the "
                f"recomputed {fit.objective:.12g}"
            )
        notes += [f"tol={tol:g}: {w}" for w in fit.warnings]
    run = row.cvxpy
    if run.status == "ok":
        if abs(run.own_objective - run.objective) > 1e-7 * max(abs(run.objective), 1):
            notes.append(
                f"cvxpy objective_ {run.own_objective:.12g} differs from the "
                f"recomputed {run.objective:.12g}"
            )
        notes += [f"cvxpy: {w}" for w in run.warnings]
        fit = row.fits[TOLS[-1]]
        slack = OBJECTIVE_RTOL * max(abs(run.objective), 1.0)
        if fit.objective - run.objective < -(fit.dual_gap + slack):
            notes.append("cvxpy's objective is below skmtl's dual bound")
    else:
        notes.append("cvxpy " + run.status)
    return notes


def ratio(row, tol):
    run = row.cvxpy
    return run.time / row.fits[tol].time if run.status in ("ok", "timeout") else np.nan


def ratio_cell(row, tol):
    value = ratio(row, tol)
    if not np.isfinite(value):
        return ""
    return (">" if row.cvxpy.status == "timeout" else "") + f"{value:.1f}"


def diff_cell(row, tol):
    if row.cvxpy.status != "ok":
        return ""
    return fmt_rel(rel_diff(row.fits[tol].objective, row.cvxpy.objective))


def main_table(rows, sizes):
    lo, hi = TOLS
    columns = [
        "problem",
        "estimator",
        "parameters",
        f"time tol={lo:g} (s)",
        "n_iter",
        f"rel. diff tol={lo:g}",
        f"time tol={hi:g} (s)",
        "n_iter",
        "dual_gap_",
        f"rel. diff tol={hi:g}",
        "cvxpy time (s)",
        "objective cvxpy",
        f"ratio tol={lo:g}",
        f"ratio tol={hi:g}",
        "fitted structure",
        "notes",
    ]
    body = []
    for row in rows:
        a, b = row.fits[lo], row.fits[hi]
        problem = row.problem.name + (" (smaller)" if row.problem.n_tasks != sizes.n_tasks else "")
        params = ", ".join(
            f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in row.params.items()
        )
        body.append(
            [
                problem,
                row.name,
                params,
                fmt_time(a.time),
                a.n_iter,
                diff_cell(row, lo),
                fmt_time(b.time),
                b.n_iter,
                f"{b.dual_gap:.1e}",
                diff_cell(row, hi),
                cvxpy_cell(row.cvxpy),
                f"{row.cvxpy.objective:.12g}" if row.cvxpy.status == "ok" else "",
                ratio_cell(row, lo),
                ratio_cell(row, hi),
                row.structure,
                "; ".join(fit_notes(row)),
            ]
        )
    return markdown_table(columns, body)


def svd_table(svd_rows):
    columns = [
        "tol",
        "prox SVD",
        "time (s)",
        "n_iter",
        "rank_",
        "partial SVDs / prox calls (last fit)",
        "dual_gap_",
        "objective",
        "rel. diff vs full SVD",
        "max abs coef diff",
        "speed-up vs full SVD",
        "warnings",
    ]
    body = []
    for tol, runs in svd_rows:
        full = runs["off"]
        for mode, r in runs.items():
            body.append(
                [
                    f"{tol:g}",
                    f"{mode} (`{SVD_MODES[mode]}`)",
                    r["label"],
                    r["n_iter"],
                    r["rank"],
                    r["partial"],
                    f"{r['dual_gap']:.1e}",
                    f"{r['objective']:.12g}",
                    fmt_rel(rel_diff(r["objective"], full["objective"])),
                    f"{np.abs(r['coef'] - full['coef']).max():.1e}",
                    f"{full['time'] / r['time']:.2f}",
                    "; ".join(r["warnings"]),
                ]
            )
    return markdown_table(columns, body)


def summary_lines(rows, svd_rows, sizes):
    lines = []
    done = [r for r in rows if r.cvxpy.status == "ok"]
    for tol in TOLS:
        if done:
            lines.append(
                f"- cvxpy / skmtl at tol={tol:g} over the {len(done)} comparisons "
                f"where cvxpy finished: {ratio_summary([ratio(r, tol) for r in done])}"
            )
            largest = max(abs(rel_diff(r.fits[tol].objective, r.cvxpy.objective)) for r in done)
            lines.append(f"- largest |rel. diff| skmtl vs cvxpy at tol={tol:g}: {largest:.1e}")
    stopped = [r for r in rows if r.cvxpy.status == "timeout"]
    if stopped:
        lines.append(
            f"- cvxpy stopped after {sizes.cvxpy_timeout:g} s on: "
            + ", ".join(
                f"{r.name} ({r.problem.name}; ratio > {ratio(r, TOLS[-1]):.0f} at tol={TOLS[-1]:g})"
                for r in stopped
            )
        )
    misses = [
        f"{r.name} on {r.problem.name}, tol={tol:g}: {ratio(r, tol):.1f}"
        for r in done
        for tol in TOLS
        if ratio(r, tol) < TARGET_RATIO
    ]
    lines.append(
        f"- target cvxpy / skmtl >= {TARGET_RATIO:g}: "
        + ("met by every comparison" if not misses else "missed by")
        + "".join(f"\n  - {m}" for m in misses)
    )
    slowest = max(rows, key=lambda r: r.fits[TOLS[-1]].time)
    lines.append(
        f"- slowest skmtl fit: {slowest.name} on {slowest.problem.name} at "
        f"tol={TOLS[-1]:g}, {fmt_time(slowest.fits[TOLS[-1]].time)} s"
    )
    skipped = [r for r in rows if r.cvxpy.status.startswith("skipped")]
    if skipped:
        lines.append(
            "- cvxpy not attempted at full size (same PSD cone as a slow or stopped "
            "fit): " + ", ".join(r.name for r in skipped)
        )
    flagged = [
        r
        for r in rows
        if any(not n.startswith(("cvxpy timeout", "cvxpy skipped")) for n in fit_notes(r))
    ]
    lines.append(
        f"- rows with an objective mismatch, a warning or a cvxpy failure: "
        f"{len(flagged)}"
        + (
            ""
            if not flagged
            else " (" + ", ".join(f"{r.name} on {r.problem.name}" for r in flagged) + ")"
        )
    )
    for tol, runs in svd_rows:
        off = runs["off"]
        lines.append(
            f"- trace norm at d={sizes.svd[1]}, T={sizes.svd[2]}, tol={tol:g}: "
            + "; ".join(
                f"{mode} {fmt_time(r['time'])} s ({r['partial']} prox "
                f"calls partial, objective rel. diff vs full "
                f"{fmt_rel(rel_diff(r['objective'], off['objective']))})"
                for mode, r in runs.items()
            )
        )
    return lines


def report(args, head, rows, svd_rows, profiles, elapsed):
    sizes = args.sizes
    n, d, T, rank = sizes.svd
    parts = [
        "# Shared-subspace and split models: skmtl against cvxpy",
        head,
        f"Every skmtl time is the best of {args.repeat} calls after one warm-up call. "
        f'cvxpy (CLARABEL, as `solver="cvxpy"` sets it up; the time includes cvxpy\'s '
        f"problem construction) runs in a worker process after an untimed fit on 3 tasks; "
        f"fits under {CVXPY_REPEAT_BELOW:g} s are the best of {args.repeat}, slower ones "
        f'are timed once ("1 run"); a fit is stopped after {sizes.cvxpy_timeout:g} s. '
        f"Every objective is recomputed from `coef_`, `intercept_` and, for the split "
        f"models, the parts (`shared_coef_`/`specific_coef_`, `lowrank_coef_`/"
        f"`outlier_coef_`): the data term (every sample counting once, the estimators' "
        f"default task weights) + the penalty in numpy (cASO's "
        f"through `_make_penalty(T, d).value`); `objective_` is checked against it. "
        f"Whole run: {elapsed:.0f} s.",
        "## Summary\n\n" + "\n".join(summary_lines(rows, svd_rows, sizes)),
        '## School-sized per-task designs against `solver="cvxpy"`\n\n'
        f"{sizes.n_tasks} tasks, rows per task drawn from randint{sizes.rows_per_task}, "
        f"d={sizes.n_features}, noise 0.5, classifier labels 0/1. `make_low_rank_tasks("
        f"rank={RANK}, n_outliers={N_OUTLIERS})` for the trace norm, cASO and robust MTL; "
        f"`make_shared_specific_tasks` (5 shared + 2 specific features per task) for the "
        f"dirty model (L1/L-inf rows). Strengths from the data: trace norm alpha = "
        f"alpha_max / 10; squared trace norm at alpha / (2 ||W_alpha||_*), the strength "
        f"with the same solution; cASO alpha=0.1, beta=0.01, n_components={RANK}; dirty "
        f"alpha_specific = alpha_max(L1) / 10, alpha_shared = min(20, T/2) alpha_specific; robust "
        f"alpha_lowrank = 0.3 alpha_max(trace) and alpha_outlier = 0.3 (regressor) or 0.5 "
        f'(classifier) times alpha_max of the tasks\' column norm. "smaller": the same '
        f"model on {sizes.small_tasks} tasks where cvxpy was stopped, failed or was skipped "
        f"at full size (once cvxpy is stopped, or takes over {SDP_SLOW:g} of the limit, on a "
        f"model with a PSD cone of size d + T, the other such models are not attempted at "
        f"full size). rel. diff = (skmtl - "
        f"cvxpy) / |cvxpy|; ratio = cvxpy time / skmtl time.\n\n" + main_table(rows, sizes),
        f"## The trace norm's partial SVD\n\nShared design `fit(X, Y)`: Gaussian X "
        f"(n={n}, d={d}), Y = X A B / sqrt(d) + N(0, 1) noise with A (d x {rank}), "
        f'B ({rank} x T={T}); alpha = 0.3 alpha_max. The prox\'s SVD "as is" (the '
        f'library\'s choice), "forced" (a partial SVD, `scipy.sparse.linalg.svds`, '
        f"whenever the last prox kept few singular values: the size floor "
        f'`TraceNorm._PARTIAL_MIN_SIZE` set to 0) and "off" (always a full SVD). '
        f"Each line is a fresh process "
        f"(best of {args.repeat} after a warm-up, or the warm-up call alone when it took "
        f'over {ONCE_ABOVE:g} s: "1 run") with the class attribute of '
        f"`skmtl.penalties.spectral.TraceNorm` set there. speed-up = time with the full "
        f"SVD / time.\n\n" + svd_table(svd_rows),
    ]
    if profiles:
        parts.append(
            "## Where the time goes\n\ncProfile of one fit (profiler overhead "
            "included):\n\n" + "\n".join(f"- {name}: {text}" for name, text in profiles)
        )
    return "\n\n".join(parts) + "\n"


def profile_slowest(rows, count):
    out, seen = [], set()
    for row in sorted(rows, key=lambda r: -r.fits[TOLS[-1]].time):
        if len(out) == count or row.name in seen:
            continue
        seen.add(row.name)
        p, Est = row.problem, getattr(skmtl, row.estimator)
        print(f"  profiling {row.estimator} on {p.name}", flush=True)
        text = profile_call(
            lambda Est=Est, row=row, p=p: Est(**row.params, tol=TOLS[-1], max_iter=MAX_ITER).fit(
                p.X, p.y, tasks=p.tasks
            )
        )
        out.append((f"{row.name} on {p.name}, tol={TOLS[-1]:g}", text))
    return out


# ---------------------------------------------------------------------------- main
def parse_args(argv):
    parser = base_parser(__doc__, DEFAULT_OUTPUT)
    parser.add_argument(
        "--cvxpy-timeout",
        type=float,
        default=None,
        help="seconds before a cvxpy fit is stopped (default 240)",
    )
    parser.add_argument(
        "--small-tasks", type=int, default=None, help="tasks of the fallback problem (default 30)"
    )
    parser.add_argument(
        "--profile",
        type=int,
        default=2,
        help="cProfile this many of the slowest skmtl fits (default 2)",
    )
    args = finish_args(parser.parse_args(argv), DEFAULT_OUTPUT)
    sizes = QUICK if args.quick else FULL
    changes = {
        k: v
        for k, v in (("cvxpy_timeout", args.cvxpy_timeout), ("small_tasks", args.small_tasks))
        if v is not None
    }
    args.sizes = replace(sizes, **changes)
    return args


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parse_args(argv)
    note = wait_for_quiet(args.wait)
    head = header(SCRIPT, argv, note)
    monitor, start = CpuMonitor(), time.perf_counter()
    rows = bench_all(args.sizes, args.repeat)
    svd_rows = bench_partial_svd(args.sizes, args.repeat)
    profiles = profile_slowest(rows, args.profile) if args.profile else []
    head += "\n- " + monitor.note()
    text = report(args, head, rows, svd_rows, profiles, time.perf_counter() - start)
    write_report(text, args.output)
    return text


if __name__ == "__main__":
    main()
