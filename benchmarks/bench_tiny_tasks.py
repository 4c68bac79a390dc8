"""Many tiny tasks on unscaled features: the solvers on the rows against Gram
statistics.

500 tasks of 3 to 20 rows (5866 rows), 20 correlated continuous columns on scales
from 1 to 1e4 (with non-zero means) and the 30 one-hot columns of a categorical
variable. Per iteration, the rows (``N d``) cost less here than per-task Gram
statistics (``T d^2``), which ``precompute="auto"`` chose on cost alone until it
also weighed the features' scales: FISTA on the rows moves every feature by the
step of the most curved one. Each regressor is fitted at its default strengths
(the group lasso also at ``alpha_max / 1000``) with ``precompute=False`` (the rows,
the former choice) and with the default ``"auto"`` (now Gram statistics, solved
by coordinate descent or ADMM), then ``GroupLassoRegressorCV`` both ways; the
objective column is the rows' objective minus the Gram statistics' one (relative):
positive where the rows stopped short.

    python benchmarks/bench_tiny_tasks.py            # results/tiny_tasks.md
    python benchmarks/bench_tiny_tasks.py --quick    # 100 tasks, no file
"""

from __future__ import annotations

import sys

import numpy as np
from _common import (
    RESULTS,
    base_parser,
    best_of_adaptive,
    finish_args,
    fmt_time,
    header,
    markdown_table,
    rel_diff,
    wait_for_quiet,
    write_report,
)

import skmtl


def tiny_tasks(n_tasks=500, seed=1):
    """``(X, y, tasks)``: tasks of 3-20 rows, 20 unscaled correlated columns and 30
    one-hot ones, a model on 5 continuous and 10 one-hot columns."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(3, 21, n_tasks)
    n, d_cont = sizes.sum(), 20
    latent = rng.standard_normal((n, 3))
    C = latent @ rng.standard_normal((3, d_cont)) + 0.1 * rng.standard_normal((n, d_cont))
    scales = np.logspace(0, 4, d_cont)
    C = C * scales + rng.uniform(0, 1, d_cont) * scales
    X = np.hstack([C, np.eye(30)[rng.integers(0, 30, n)]])
    tasks = np.repeat(np.arange(n_tasks), sizes)
    w0 = np.zeros(X.shape[1])
    w0[:5] = rng.standard_normal(5)
    w0[d_cont : d_cont + 10] = rng.standard_normal(10)
    W = w0 + 0.3 * rng.standard_normal((n_tasks, X.shape[1])) * (w0 != 0)
    W[:, :d_cont] /= scales
    f = np.einsum("ij,ij->i", X, W[tasks]) + rng.standard_normal(n_tasks)[tasks]
    y = 3.0 * (f - f.mean()) / f.std() + rng.standard_normal(n)
    return X, y, tasks


def main(argv=None):
    parser = base_parser(__doc__, RESULTS / "tiny_tasks.md")
    args = finish_args(parser.parse_args(argv), RESULTS / "tiny_tasks.md")
    wait_note = wait_for_quiet(args.wait)
    X, y, tasks = tiny_tasks(100 if args.quick else 500)
    alpha_max = skmtl.GroupLassoRegressor().alpha_max(X, y, tasks=tasks)
    cases = [
        ("GroupLassoRegressor()", skmtl.GroupLassoRegressor, {}),
        (
            "GroupLassoRegressor(alpha_max / 1000)",
            skmtl.GroupLassoRegressor,
            dict(alpha=alpha_max / 1000),
        ),
        ("TraceNormRegressor()", skmtl.TraceNormRegressor, {}),
        ("ClusteredRegressor()", skmtl.ClusteredRegressor, {}),
        ("DirtyRegressor()", skmtl.DirtyRegressor, {}),
        ("SparseLowRankRegressor()", skmtl.SparseLowRankRegressor, {}),
        ("GroupLassoRegressorCV()", skmtl.GroupLassoRegressorCV, {}),
    ]
    rows = []
    for label, cls, params in cases:
        runs = {}
        for precompute in (False, "auto"):
            model = cls(precompute=precompute, **params)
            timing = best_of_adaptive(lambda m=model: m.fit(X, y, tasks=tasks), args.repeat)
            runs[precompute] = timing
            model = timing.value
            print(
                f"{label:40s} precompute={precompute!s:5s} {fmt_time(timing.time)} s, "
                f"{model.n_iter_} iterations",
                file=sys.stderr,
                flush=True,
            )
        rows_fit, gram_fit = runs[False].value, runs["auto"].value
        unconverged = [sum("converge" in w for w in runs[p].warnings) for p in (False, "auto")]
        rows.append(
            [
                label,
                runs[False].label(),
                runs["auto"].label(),
                f"{runs[False].time / runs['auto'].time:.1f}x",
                f"{rows_fit.n_iter_} / {gram_fit.n_iter_}",
                "{} / {}".format(*("warned" if c else "none" for c in unconverged)),
                f"{rel_diff(rows_fit.objective_, gram_fit.objective_):+.1e}",
            ]
        )
    lines = [
        "# Many tiny tasks on unscaled features: the rows against Gram statistics",
        "",
        header("benchmarks/bench_tiny_tasks.py", argv or sys.argv[1:], wait_note),
        f"- data: `bench_tiny_tasks.tiny_tasks`, {X.shape[0]} rows, {X.shape[1]} features "
        f"(20 continuous on scales 1-1e4, 30 one-hot), {tasks.max() + 1} tasks of 3-20 rows",
        f"- repeat: best of {args.repeat} (one call above 10 s); default tol (1e-4) and "
        "max_iter (1000)",
        "",
        markdown_table(
            [
                "fit",
                "rows (s)",
                "Gram statistics (s)",
                "speed-up",
                "n_iter_ rows / Gram",
                "ConvergenceWarning rows / Gram",
                "objective rows - Gram (rel)",
            ],
            rows,
        ),
        "",
    ]
    write_report("\n".join(lines), args.output)


if __name__ == "__main__":
    main()
