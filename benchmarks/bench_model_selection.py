"""Time skmtl's warm-started cross-validation against sklearn's, in one run.

1. Per-task designs: ``GroupLassoRegressorCV(alphas=grid, cv=folds)`` (one
   warm-started path per fold on data validated once) against
   ``GridSearchCV(GroupLassoRegressor(task_column=0), {"alpha": grid}, cv=folds,
   scoring="neg_mean_squared_error")`` (one cold fit per alpha and fold) on the same
   100-alpha grid and the same 5 folds (``TaskStratifiedKFold(5, shuffle=True,
   random_state=0)``, reading the task column for GridSearchCV; the folds are
   checked to be equal), on a School-sized problem and a larger one. Both choose
   alpha by the pooled held-out mean squared error; the chosen alphas and the
   error curves are compared.
2. Shared design (``fit(X, Y)``): skmtl ``GroupLassoRegressorCV(alphas=100, cv=5)``
   against sklearn ``MultiTaskLassoCV(alphas=100, cv=5)``: the same automatic grid
   and the same (unshuffled) ``KFold`` folds; times, chosen alpha, grid and
   ``mse_path_`` compared.
3. For information: ``TraceNormRegressorCV`` and ``MeanRegularizedRegressorCV``
   (two strengths) with their default grids on School-sized problems.

Every time is the best of ``--repeat`` calls after one untimed warm-up call, except
that a run whose warm-up call took over 10 s is timed once (that call).

Run from the repository root::

    python benchmarks/bench_model_selection.py           # full run, about 8 minutes
    python benchmarks/bench_model_selection.py --quick   # smoke run, under a minute
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    RESULTS,
    CpuMonitor,
    base_parser,
    best_of_adaptive,
    finish_args,
    fmt_time,
    header,
    markdown_table,
    once,
    profile_call,
    wait_for_quiet,
    write_report,
)
from bench_group_lasso import make_per_task, make_shared  # noqa: E402
from sklearn.linear_model import MultiTaskLassoCV  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402

from skmtl import GroupLassoRegressor  # noqa: E402
from skmtl.datasets import make_low_rank_tasks, make_mean_tasks  # noqa: E402
from skmtl.model_selection import (  # noqa: E402
    GroupLassoRegressorCV,
    MeanRegularizedRegressorCV,
    TaskStratifiedKFold,
    TraceNormRegressorCV,
)

DEFAULT_OUTPUT = RESULTS / "model_selection.md"
SCRIPT = "benchmarks/bench_model_selection.py"
N_ALPHAS, EPS, N_FOLDS = 100, 1e-3, 5
TARGET_PER_TASK = 5.0  # GridSearchCV / skmtl CV
TARGET_SHARED = 1.0  # sklearn MultiTaskLassoCV / skmtl CV
ONCE_ABOVE = 10.0
TIGHT_TOL = 1e-8


@dataclass
class Sizes:
    per_task: tuple  # (n_tasks, (low, high) rows per task, d)
    shared: tuple  # (n, d, T)
    info_tasks: int  # School-sized problems of part 3
    n_alphas: int


FULL = Sizes(
    per_task=((139, (60, 160), 27), (50, (200, 201), 200)),
    shared=((500, 200, 10), (2000, 1000, 20), (300, 3000, 10)),
    info_tasks=139,
    n_alphas=N_ALPHAS,
)
QUICK = Sizes(per_task=((12, (20, 40), 8),), shared=((100, 30, 4),), info_tasks=12, n_alphas=20)


@dataclass
class Comparison:
    problem: str
    ours: object  # Timing of skmtl's CV
    theirs: object  # Timing of the sklearn route
    checks: dict = field(default_factory=dict)

    @property
    def ratio(self):
        return self.theirs.time / self.ours.time


# ------------------------------------------------------------- per-task designs
def same_folds(a, b):
    return len(a) == len(b) and all(
        np.array_equal(x[0], y[0]) and np.array_equal(x[1], y[1]) for x, y in zip(a, b, strict=True)
    )


def bench_per_task(sizes, repeat):
    return [per_task_problem(*spec, sizes.n_alphas, repeat) for spec in sizes.per_task]


def per_task_problem(n_tasks, rows, d, n_alphas, repeat):
    X, y, tasks = make_per_task(n_tasks, rows, d, "squared")
    name = f"T={n_tasks}, rows/task randint{rows}, d={d}, n={len(y)}"
    a_max = GroupLassoRegressor().alpha_max(X, y, tasks)
    grid = np.geomspace(a_max, EPS * a_max, n_alphas)
    X_tc = np.column_stack([tasks, X])
    ours_cv = TaskStratifiedKFold(N_FOLDS, shuffle=True, random_state=0)
    their_cv = TaskStratifiedKFold(N_FOLDS, shuffle=True, random_state=0, task_column=0)
    folds_match = same_folds(list(ours_cv.split(X, y, groups=tasks)), list(their_cv.split(X_tc, y)))
    print(f"[per-task] {name}: skmtl GroupLassoRegressorCV", flush=True)
    ours = best_of_adaptive(
        # free intercepts, as GroupLassoRegressor's default (the *CV estimates a
        # pooling on task-labelled rows unless told): the same model on both sides
        lambda: GroupLassoRegressorCV(alphas=grid, cv=ours_cv, intercept_poolings=[0.0]).fit(
            X, y, tasks=tasks
        ),
        repeat,
        ONCE_ABOVE,
    )
    print(f"[per-task] {name}: GridSearchCV", flush=True)
    theirs = best_of_adaptive(
        lambda: GridSearchCV(
            GroupLassoRegressor(task_column=0),
            {"alpha": grid},
            cv=their_cv,
            scoring="neg_mean_squared_error",
        ).fit(X_tc, y),
        repeat,
        ONCE_ABOVE,
    )
    cv, gs = ours.value, theirs.value
    # GridSearchCV keeps the grid's (decreasing) order; mse_path_ is (n_alphas, folds)
    ours_mse = cv.mse_path_.mean(axis=-1)
    their_mse = -gs.cv_results_["mean_test_score"]
    return Comparison(
        name,
        ours,
        theirs,
        dict(
            folds_match=folds_match,
            alpha_ours=cv.alpha_,
            alpha_theirs=gs.best_params_["alpha"],
            index_ours=int(np.argmin(ours_mse)),
            index_theirs=int(np.argmin(their_mse)),
            mse_diff=float(np.abs(ours_mse - their_mse).max() / their_mse.min()),
            mse_diff_at=float(grid[np.argmax(np.abs(ours_mse - their_mse))] / a_max),
            fits=len(grid) * N_FOLDS + 1,
        ),
    )


# ---------------------------------------------------------------- shared design
def bench_shared(sizes, repeat, tight):
    """``tight``: how many of the problems (the first ones) are also run once at
    tol=1e-8 by both, to tell tolerance differences from disagreements."""
    return [
        shared_problem(*spec, sizes.n_alphas, repeat, i < tight)
        for i, spec in enumerate(sizes.shared)
    ]


def path_agreement(sk, cv):
    diff = np.abs(cv.mse_path_ - sk.mse_path_)
    worst = np.unravel_index(np.argmax(diff), diff.shape)[0]
    return dict(
        alpha_ours=cv.alpha_,
        alpha_theirs=sk.alpha_,
        grid_diff=float(np.abs(cv.alphas_ / sk.alphas_ - 1).max()),
        mse_abs=float(diff.max()),
        mse_rel=float((diff / sk.mse_path_).max()),
        mse_diff_at=float(sk.alphas_[worst] / sk.alphas_[0]),
        mean_rel=float(np.abs(cv.mse_path_.mean(1) / sk.mse_path_.mean(1) - 1).max()),
    )


def shared_problem(n, d, T, n_alphas, repeat, tight):
    X, Y = make_shared(n, d, T)
    name = f"n={n} d={d} T={T}"
    print(f"[shared] {name}: sklearn MultiTaskLassoCV", flush=True)
    theirs = best_of_adaptive(
        lambda: MultiTaskLassoCV(alphas=n_alphas, cv=N_FOLDS).fit(X, Y), repeat, ONCE_ABOVE
    )
    print(f"[shared] {name}: skmtl GroupLassoRegressorCV", flush=True)
    ours = best_of_adaptive(
        lambda: GroupLassoRegressorCV(alphas=n_alphas, cv=N_FOLDS).fit(X, Y), repeat, ONCE_ABOVE
    )
    checks = path_agreement(theirs.value, ours.value)
    if tight:
        print(f"[shared] {name}: both at tol={TIGHT_TOL:g} (agreement check)", flush=True)
        kw = dict(alphas=n_alphas, cv=N_FOLDS, tol=TIGHT_TOL, max_iter=100_000)
        sk = once(lambda: MultiTaskLassoCV(**kw).fit(X, Y))
        cv = once(lambda: GroupLassoRegressorCV(**kw).fit(X, Y))
        checks["tight"] = dict(path_agreement(sk.value, cv.value), sk=sk.time, cv=cv.time)
    return Comparison(name, ours, theirs, checks)


# ---------------------------------------------------------------- for information
def bench_info(sizes, repeat):
    counts = np.random.RandomState(0).randint(60, 160, size=sizes.info_tasks)
    X, y, tasks, _, _ = make_low_rank_tasks(
        n_tasks=sizes.info_tasks, rank=3, n_samples=counts, n_features=27, random_state=0
    )
    Xm, ym, tm, _ = make_mean_tasks(
        n_tasks=sizes.info_tasks, n_samples=counts, n_features=27, random_state=0
    )
    out = []
    for label, Est, data in (
        ("TraceNormRegressorCV", TraceNormRegressorCV, (X, y, tasks)),
        ("MeanRegularizedRegressorCV", MeanRegularizedRegressorCV, (Xm, ym, tm)),
    ):
        print(f"[info] {label}", flush=True)
        timing = best_of_adaptive(
            lambda Est=Est, data=data: Est().fit(data[0], data[1], tasks=data[2]),
            repeat,
            ONCE_ABOVE,
        )
        model = timing.value
        grids = [g for g in ("alphas_", "betas_") if hasattr(model, g)]
        n_settings = int(np.prod([len(getattr(model, g)) for g in grids]))
        chosen = ", ".join(f"{g[:-2]}_={getattr(model, g[:-2] + '_'):.4g}" for g in grids)
        out.append(
            (label, f"T={sizes.info_tasks}, n={len(data[1])}, d=27", timing, n_settings, chosen)
        )
    return out


# ---------------------------------------------------------------------- reporting
def per_task_table(rows):
    columns = [
        "problem",
        "skmtl CV (s)",
        "GridSearchCV (s)",
        "ratio GridSearchCV / CV",
        "same folds",
        "alpha_ skmtl",
        "alpha GridSearchCV",
        "same alpha",
        "max |mean MSE diff| / min MSE",
        "at alpha / alpha_max",
        "warnings",
    ]
    body = [
        [
            c.problem,
            c.ours.label(),
            c.theirs.label(),
            f"{c.ratio:.1f}",
            c.checks["folds_match"],
            f"{c.checks['alpha_ours']:.6g}",
            f"{c.checks['alpha_theirs']:.6g}",
            c.checks["alpha_ours"] == c.checks["alpha_theirs"]
            or f"no (index {c.checks['index_ours']} vs {c.checks['index_theirs']})",
            f"{c.checks['mse_diff']:.1e}",
            f"{c.checks['mse_diff_at']:.3g}",
            "; ".join(c.ours.warnings + c.theirs.warnings),
        ]
        for c in rows
    ]
    return markdown_table(columns, body)


def shared_table(rows):
    columns = [
        "problem",
        "sklearn MultiTaskLassoCV (s)",
        "skmtl CV (s)",
        "ratio sklearn / skmtl",
        "alpha_ sklearn",
        "alpha_ skmtl",
        "same alpha",
        "grid max rel. diff",
        "mse_path_ max abs diff",
        "max rel. diff",
        "at alpha / alpha_max",
        "fold-mean MSE max rel. diff",
        f"at tol={TIGHT_TOL:g}: same alpha, mse_path_ max rel. diff, times sklearn "
        "/ skmtl (s, 1 run)",
        "warnings",
    ]
    body = [
        [
            c.problem,
            c.theirs.label(),
            c.ours.label(),
            f"{c.ratio:.2f}",
            f"{c.checks['alpha_theirs']:.6g}",
            f"{c.checks['alpha_ours']:.6g}",
            bool(np.isclose(c.checks["alpha_ours"], c.checks["alpha_theirs"], rtol=1e-12)),
            f"{c.checks['grid_diff']:.1e}",
            f"{c.checks['mse_abs']:.2e}",
            f"{c.checks['mse_rel']:.1e}",
            f"{c.checks['mse_diff_at']:.3g}",
            f"{c.checks['mean_rel']:.1e}",
            tight_cell(c.checks.get("tight")),
            "; ".join(c.ours.warnings + c.theirs.warnings),
        ]
        for c in rows
    ]
    return markdown_table(columns, body)


def tight_cell(tight):
    if tight is None:
        return ""
    same = (
        "same"
        if np.isclose(tight["alpha_ours"], tight["alpha_theirs"], rtol=1e-12)
        else "DIFFERENT"
    )
    return f"{same}, {tight['mse_rel']:.1e}, {fmt_time(tight['sk'])} / {fmt_time(tight['cv'])}"


def info_table(rows):
    columns = ["estimator", "problem", "time (s)", "settings per fold", "chosen", "warnings"]
    body = [
        [label, problem, t.label(), n, chosen, "; ".join(t.warnings)]
        for label, problem, t, n, chosen in rows
    ]
    return markdown_table(columns, body)


def summary_lines(per_task, shared):
    lines = []
    for c in per_task:
        same = c.checks["alpha_ours"] == c.checks["alpha_theirs"]
        met = "met" if c.ratio >= TARGET_PER_TASK else "MISSED"
        lines.append(
            f"- per-task {c.problem}: GridSearchCV / skmtl CV = {c.ratio:.1f} "
            f"(target >= {TARGET_PER_TASK:g}: {met}); "
            f"same alpha: {'yes' if same else 'NO'}; same folds: "
            f"{'yes' if c.checks['folds_match'] else 'NO'}"
        )
    for c in shared:
        same = np.isclose(c.checks["alpha_ours"], c.checks["alpha_theirs"], rtol=1e-12)
        met = "met" if c.ratio >= TARGET_SHARED else "MISSED"
        lines.append(
            f"- shared {c.problem}: sklearn / skmtl = {c.ratio:.2f} "
            f"(target >= {TARGET_SHARED:g}: {met}); "
            f"same alpha: {'yes' if same else 'NO'}; mse_path_ max abs diff "
            f"{c.checks['mse_abs']:.1e} ({c.checks['mse_rel']:.1e} relative)"
        )
    return lines


def report(args, head, per_task, shared, info, profiles, elapsed):
    parts = [
        "# Model selection: warm-started CV against sklearn",
        head,
        f"Every time is the best of {args.repeat} calls after one warm-up call; a run "
        f"whose warm-up call took over {ONCE_ABOVE:g} s is timed once, by that call "
        f'("1 run"). Everything runs in one process, sequentially (n_jobs=None '
        f"everywhere; BLAS threads as listed). Whole run: {elapsed:.0f} s.",
        "## Summary\n\n" + "\n".join(summary_lines(per_task, shared)),
        "## Per-task designs: `GroupLassoRegressorCV` against `GridSearchCV`\n\n"
        f"`make_per_task` of `bench_group_lasso.py` (5 informative features shared by "
        f"all tasks, unit noise). The same grid of {args.sizes.n_alphas} alphas "
        f"(`geomspace(alpha_max, {EPS:g} alpha_max)`) and the same {N_FOLDS} folds for "
        f"both: `TaskStratifiedKFold({N_FOLDS}, shuffle=True, random_state=0)` with "
        f"`groups=tasks` for skmtl, with `task_column=0` on `np.column_stack([tasks, X])` "
        f"for `GridSearchCV(GroupLassoRegressor(task_column=0), ..., "
        f'scoring="neg_mean_squared_error")` (n_alphas x {N_FOLDS} fits + the refit). '
        f"Both score the pooled held-out MSE of each fold and average over folds; "
        f'"max |mean MSE diff|" compares the two fold-averaged curves (tol=1e-4 '
        f"solutions, warm- against cold-started).\n\n" + per_task_table(per_task),
        "## Shared design: `GroupLassoRegressorCV` against `MultiTaskLassoCV`\n\n"
        f"`make_shared` of `bench_group_lasso.py` (Gaussian X, 20 informative rows, unit "
        f"noise); both with `alphas={args.sizes.n_alphas}, cv={N_FOLDS}` (their default "
        f"grid `geomspace(alpha_max, {EPS:g} alpha_max)`, unshuffled `KFold`), tol=1e-4, "
        f"each library's default max_iter. mse_path_ diffs are over all (alpha, fold) "
        f"entries. The first {args.tight_check} problem(s) are also run once by both at "
        f"tol={TIGHT_TOL:g} (max_iter=100000): where the differences at tol=1e-4 shrink "
        f"there, they come from the stopping tolerance, not from a different model.\n\n"
        + shared_table(shared),
        "## For information: other CV estimators\n\nDefault grids and folds "
        "(`TaskStratifiedKFold(5)`); School-sized data from `make_low_rank_tasks(rank=3)` "
        "(trace norm) and `make_mean_tasks` (mean-regularized).\n\n" + info_table(info),
    ]
    if profiles:
        parts.append(
            "## Where the time goes\n\ncProfile of one call (profiler overhead "
            "included):\n\n" + "\n".join(f"- {n}: {t}" for n, t in profiles)
        )
    return "\n\n".join(parts) + "\n"


def profile_slowest(sizes, per_task, shared, count):
    """cProfile the slowest skmtl CV fits (rebuilding their data)."""
    jobs = []
    for spec, c in zip(sizes.per_task, per_task, strict=True):
        X, y, tasks = make_per_task(spec[0], spec[1], spec[2], "squared")
        jobs.append(
            (
                c.ours.time,
                f"per-task {c.problem}",
                lambda X=X, y=y, t=tasks, c=c: GroupLassoRegressorCV(
                    alphas=c.ours.value.alphas_,
                    cv=TaskStratifiedKFold(N_FOLDS, shuffle=True, random_state=0),
                ).fit(X, y, tasks=t),
            )
        )
    for spec, c in zip(sizes.shared, shared, strict=True):
        X, Y = make_shared(*spec)
        jobs.append(
            (
                c.ours.time,
                f"shared {c.problem}",
                lambda X=X, Y=Y: GroupLassoRegressorCV(alphas=sizes.n_alphas, cv=N_FOLDS).fit(X, Y),
            )
        )
    out = []
    for _, name, fn in sorted(jobs, key=lambda job: -job[0])[:count]:
        print(f"  profiling {name}", flush=True)
        out.append((f"skmtl CV, {name}", profile_call(fn)))
    return out


# ---------------------------------------------------------------------------- main
def parse_args(argv):
    parser = base_parser(__doc__, DEFAULT_OUTPUT)
    parser.add_argument(
        "--tight-check",
        type=int,
        default=1,
        help="also run this many shared-design problems (the first) once "
        f"at tol={TIGHT_TOL:g} with both, to check agreement (default 1)",
    )
    parser.add_argument(
        "--profile",
        type=int,
        default=2,
        help="cProfile this many of the slowest skmtl CV fits (default 2)",
    )
    args = finish_args(parser.parse_args(argv), DEFAULT_OUTPUT)
    args.sizes = QUICK if args.quick else FULL
    return args


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parse_args(argv)
    head = header(SCRIPT, argv, wait_for_quiet(args.wait))
    monitor, start = CpuMonitor(), time.perf_counter()
    per_task = bench_per_task(args.sizes, args.repeat)
    shared = bench_shared(args.sizes, args.repeat, args.tight_check)
    info = bench_info(args.sizes, args.repeat)
    profiles = profile_slowest(args.sizes, per_task, shared, args.profile) if args.profile else []
    head += "\n- " + monitor.note()
    text = report(args, head, per_task, shared, info, profiles, time.perf_counter() - start)
    write_report(text, args.output)
    return text


if __name__ == "__main__":
    main()
