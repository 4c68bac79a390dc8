"""Split FISTA's time per iteration into the matrix products it needs.

For each problem, FISTA runs on the whole problem (no working sets) at alpha =
alpha_max / 10 and alpha_max / 100, warm-started from a solution at ``tol=1e-3`` so that the support
is settled (the steady state of a solve), for a fixed number of iterations with
``tol=0``. The products one iteration needs are the predictions ``X_S W_S`` on the
support ``S`` (when ``W`` has nonzero rows on under a quarter of the features,
FISTA multiplies only those, a column copy included; else ``X W``), one ``X^T R``
for the gradient, and one more ``X^T R`` every 10 iterations for the duality gap.
They are timed alone, the same number of times, on arrays of the same shapes; the
ratio is FISTA's time over theirs.

Run from the repository root::

    python benchmarks/bench_iteration.py           # full run, about a minute
    python benchmarks/bench_iteration.py --quick   # smoke run, seconds; no file
"""

from __future__ import annotations

import itertools
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    RESULTS,
    CpuMonitor,
    base_parser,
    best_of,
    finish_args,
    header,
    markdown_table,
    wait_for_quiet,
    write_report,
)
from bench_group_lasso import make_per_task, make_shared  # noqa: E402

from skmtl import GroupLassoRegressor  # noqa: E402
from skmtl._datafit import DesignDatafit  # noqa: E402
from skmtl._inputs import build_task_data  # noqa: E402
from skmtl._tasks import matvec, rmatvec  # noqa: E402
from skmtl.losses import SquaredLoss  # noqa: E402
from skmtl.penalties import L21  # noqa: E402
from skmtl.solvers.fista import fista  # noqa: E402

DEFAULT_OUTPUT = RESULTS / "iteration.md"
GAP_EVERY = 10  # fista's gap_freq
DIVISORS = (10, 100)  # alpha = alpha_max / divisor
FULL = dict(
    shared=((2000, 1000, 20), (500, 5000, 10), (500, 20000, 10)),
    per_task=(139, (60, 160), 27),
    iterations=200,
)
QUICK = dict(shared=((200, 100, 5), (60, 400, 4)), per_task=(12, (20, 40), 8), iterations=20)


def iteration_split(X, y, tasks, divisor, iterations, repeat):
    """``(FISTA s/iteration, products s/iteration, iterations, support size)``."""
    data, _ = build_task_data(X, y, tasks, None, loss=SquaredLoss())
    full = DesignDatafit(SquaredLoss(), data, fit_intercept=True)
    full.lipschitz()  # once per fit, not per iteration
    d, T = data.n_features, data.n_tasks
    G0 = -full.gradient(full.linear(np.zeros((d, T))))
    alpha = L21(1.0).alpha_max(G0) / divisor
    settled = GroupLassoRegressor(alpha=alpha, tol=1e-3).fit(X, y, tasks=tasks)
    C0 = np.atleast_2d(settled.coef_).T.copy()  # (d, T)

    def run():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return fista(full, L21(alpha), C0, max_iter=iterations, tol=0.0)

    timing = best_of(run, repeat)
    used = timing.value.n_iter
    support = np.flatnonzero(np.any(timing.value.coef != 0, axis=1))
    W = timing.value.coef
    R = np.asarray(matvec(data, W))

    sparse = 4 * len(support) < d  # DesignDatafit.linear's rule for row-sparse W

    def products():
        for k in range(used):
            if sparse:  # as DesignDatafit.linear does: the support's columns only
                matvec(data.restrict(support), W[support])
            else:
                matvec(data, W)
            rmatvec(data, R)
            if k % GAP_EVERY == 0:
                rmatvec(data, R)

    alone = best_of(products, repeat)
    return timing.time / used, alone.time / used, used, len(support)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    args = finish_args(base_parser(__doc__, DEFAULT_OUTPUT).parse_args(argv), DEFAULT_OUTPUT)
    sizes = QUICK if args.quick else FULL
    wait_note = wait_for_quiet(args.wait) if not args.quick else "quick run: no wait"
    monitor, start = CpuMonitor(), time.perf_counter()
    problems = []
    for n, d, T in sizes["shared"]:
        X, Y = make_shared(n, d, T)
        problems.append((f"shared n={n} d={d} T={T}", X, Y, None))
    T, rows_per_task, d = sizes["per_task"]
    X, y, tasks = make_per_task(T, rows_per_task, d, "squared")
    problems.append((f"per-task T={T} d={d} n={len(y)}", X, y, tasks))
    rows = []
    for (name, X, y, tasks), divisor in itertools.product(problems, DIVISORS):
        print(f"[iteration] {name}, alpha_max/{divisor}", flush=True)
        per_iteration, products, used, support = iteration_split(
            X, y, tasks, divisor, sizes["iterations"], args.repeat
        )
        rows.append(
            [
                f"{name}, alpha_max/{divisor}",
                str(support),
                str(used),
                f"{1e3 * per_iteration:.3g}",
                f"{1e3 * products:.3g}",
                f"{1e3 * (per_iteration - products):.3g}",
                f"{per_iteration / products:.2f}",
            ]
        )
    text = (
        "\n\n".join(
            [
                "# FISTA's time per iteration against its matrix products",
                header("benchmarks/bench_iteration.py", argv, wait_note),
                f"Whole run: {time.perf_counter() - start:.0f} s; {monitor.note()}. "
                f"Best of {args.repeat} after one warm-up call.",
                __doc__.split("\n\n")[1].replace("\n", " "),
                markdown_table(
                    [
                        "problem",
                        "support",
                        "iterations",
                        "FISTA ms/iteration",
                        "products ms/iteration",
                        "the rest ms/iteration",
                        "ratio",
                    ],
                    rows,
                ),
            ]
        )
        + "\n"
    )
    write_report(text, args.output)
    return text


if __name__ == "__main__":
    main()
