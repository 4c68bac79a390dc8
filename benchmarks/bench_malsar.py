"""Time the MALSAR families against cvxpy, at equal objective, on a School-sized
problem.

139 tasks of 90-130 rows (about 110), 27 features: 20 one-hot columns and 7 unscaled
continuous ones (scales 1 to 1000), per-task designs (``_tabular.school_sized``).
Models, each as regressor (squared loss) and classifier (logistic loss):

- SRMTL: ``GraphRegularized*`` (all pairs of tasks linked) with ``alpha_l1``,
- TGL: ``GraphRegularized*(graph="chain", alpha_l21=...)``,
- cFSGL: ``FusedSparseGroupLasso*`` (tasks in label order),
- SparseTrace: ``SparseLowRank*``, on the first ``SDP_TASKS`` (40) tasks only: cvxpy's
  SDP for all 139 needs over 10 GB,
- rMTFL: ``RobustFeatureLearning*``,
- feature groups: ``FeatureGroupLasso*``, groups = the one-hot blocks (each
  continuous column its own group),
- iMSF: ``IncompleteMultiSource*`` on the same rows with three sources (two one-hot
  blocks, the four largest-scale continuous columns) missing in blocks of rows: one
  task per pattern of available sources.

The L1/L2,1/trace/column strengths are fractions (``FRACTION``) of the values that
zero the model, read from the gradient of the loss at ``W = 0``, so that solutions
are neither zero nor dense. skmtl runs over a grid of ``tol``; its time is that of the
loosest ``tol`` whose objective is within ``MATCH_RTOL`` of cvxpy's (CLARABEL). cvxpy
runs once, skmtl best of two. Writes ``benchmarks/results/malsar.md``.

    python benchmarks/bench_malsar.py            # several minutes
    python benchmarks/bench_malsar.py --quick    # 20 tasks, no file
    python benchmarks/bench_malsar.py --only Fused   # the rows whose name has "Fused"
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.base import clone

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _tabular import CONTINUOUS_SCALES, ONEHOT_BLOCKS, school_sized  # noqa: E402
from bench_group_lasso import environment_header, git_revision  # noqa: E402
from bench_nonconvex import compare, comparison_table  # noqa: E402

from skmtl import (  # noqa: E402
    FeatureGroupLassoClassifier,
    FeatureGroupLassoRegressor,
    FusedSparseGroupLassoClassifier,
    FusedSparseGroupLassoRegressor,
    GraphRegularizedClassifier,
    GraphRegularizedRegressor,
    IncompleteMultiSourceClassifier,
    IncompleteMultiSourceRegressor,
    RobustFeatureLearningClassifier,
    RobustFeatureLearningRegressor,
    SparseLowRankClassifier,
    SparseLowRankRegressor,
)

OUTPUT = Path(__file__).resolve().parent / "results" / "malsar.md"
#: the share of the zeroing strength used for every sparsity-inducing norm
FRACTION = 0.1
#: SparseTrace's cvxpy problem (a trace norm: an SDP) on all 139 tasks took over 10 GB
#: of memory in CLARABEL (its PSD cone of side d + T = 166 has a dense 13,861^2 block)
#: and did not finish in 15 minutes: it runs on the first SDP_TASKS tasks
SDP_TASKS = 40


def null_gradient(model, X, y, tasks):
    """``-grad L`` at ``W = 0`` (intercepts fitted), shape (d, T): every norm's
    zeroing strength is its dual norm (private skmtl API, as ``alpha_max`` uses)."""
    model = clone(model)
    data, info, loss = model._prepare(X, y, tasks, None, reset=True)
    return model._null_gradient(data, info, loss)


def onehot_groups():
    """The one-hot blocks, then each continuous column alone: a label per column."""
    labels = np.repeat(np.arange(len(ONEHOT_BLOCKS)), ONEHOT_BLOCKS)
    return np.r_[labels, len(ONEHOT_BLOCKS) + np.arange(len(CONTINUOUS_SCALES))]


def with_missing_sources(X, seed=0):
    """``(X with NaN blocks, source label per column)``: sources are the one-hot
    blocks and two sets of continuous columns; three sources are missing, each in
    its own block of rows (a sixth of the rows each)."""
    groups = onehot_groups()
    sources = np.where(groups < len(ONEHOT_BLOCKS), groups, len(ONEHOT_BLOCKS))
    sources[23:] = len(ONEHOT_BLOCKS) + 1  # continuous columns 20-22 and 23-26
    X = X.copy()
    n = len(X)
    order = np.random.RandomState(seed).permutation(n)
    for k, source in enumerate((1, 3, 5)):
        rows = order[k * n // 6 : (k + 1) * n // 6]
        X[np.ix_(rows, np.flatnonzero(sources == source))] = np.nan
    return X, sources


def rows(X, y, tasks, kind):
    """``(name, make, X, y, tasks)`` of the benchmark's rows for one loss."""
    reg = kind == "Regressor"
    Graph = GraphRegularizedRegressor if reg else GraphRegularizedClassifier
    Fused = FusedSparseGroupLassoRegressor if reg else FusedSparseGroupLassoClassifier
    Sparse = SparseLowRankRegressor if reg else SparseLowRankClassifier
    Robust = RobustFeatureLearningRegressor if reg else RobustFeatureLearningClassifier
    Groups = FeatureGroupLassoRegressor if reg else FeatureGroupLassoClassifier
    IMSF = IncompleteMultiSourceRegressor if reg else IncompleteMultiSourceClassifier
    G0 = null_gradient(Sparse(), X, y, tasks)
    l1 = FRACTION * np.abs(G0).max()
    l21 = FRACTION * np.linalg.norm(G0, axis=1).max()
    column = FRACTION * np.linalg.norm(G0, axis=0).max()
    few = tasks < SDP_TASKS
    G0_few = null_gradient(Sparse(), X[few], y[few], tasks[few])
    sdp_l1 = FRACTION * np.abs(G0_few).max()
    sdp_trace = FRACTION * np.linalg.norm(G0_few, 2)
    fused = FRACTION * Fused().alpha_max(X, y, tasks=tasks)  # a factor of the defaults
    f_l1, f_fused, f_l21 = (
        fused * getattr(Fused(), name) for name in ("alpha_l1", "alpha_fused", "alpha_l21")
    )
    groups = onehot_groups()
    group_alpha = FRACTION * Groups(groups).alpha_max(X, y, tasks=tasks)
    X_missing, sources = with_missing_sources(X)
    pooling = IMSF().intercept_pooling
    patterns = np.unique(~np.isnan(X_missing), axis=0, return_inverse=True)[1]
    imsf_alpha = FRACTION * Groups(sources, intercept_pooling=pooling).alpha_max(
        np.nan_to_num(X_missing), y, tasks=patterns
    )
    return [
        (
            f"SRMTL: Graph{kind}(alpha=0.01, alpha_l1={l1:.3g})",
            lambda **kw: Graph(alpha=0.01, alpha_l1=l1, **kw),
            X,
            y,
            tasks,
        ),
        (
            f"TGL: Graph{kind}(chain, alpha=0.1, alpha_l21={l21:.3g})",
            lambda **kw: Graph(graph="chain", alpha=0.1, alpha_l21=l21, **kw),
            X,
            y,
            tasks,
        ),
        (
            f"cFSGL: FusedSparseGroupLasso{kind}({f_l1:.2g}, {f_fused:.2g}, {f_l21:.2g})",
            lambda **kw: Fused(f_l1, f_fused, f_l21, **kw),
            X,
            y,
            tasks,
        ),
        (
            f"SparseTrace: SparseLowRank{kind}({sdp_l1:.3g}, {sdp_trace:.3g}), "
            f"first {SDP_TASKS} tasks",
            lambda **kw: Sparse(sdp_l1, sdp_trace, **kw),
            X[few],
            y[few],
            tasks[few],
        ),
        (
            f"rMTFL: RobustFeatureLearning{kind}({l21:.3g}, {column:.3g})",
            lambda **kw: Robust(l21, column, **kw),
            X,
            y,
            tasks,
        ),
        (
            f"FeatureGroupLasso{kind}(one-hot blocks, alpha={group_alpha:.3g})",
            lambda **kw: Groups(groups, alpha=group_alpha, **kw),
            X,
            y,
            tasks,
        ),
        (
            f"iMSF: IncompleteMultiSource{kind}(alpha={imsf_alpha:.3g}), "
            f"{patterns.max() + 1} patterns",
            lambda **kw: IMSF(sources, alpha=imsf_alpha, **kw),
            X_missing,
            y,
            None,
        ),
    ]


class _NoTasks:
    """An estimator whose ``fit`` takes no ``tasks`` (iMSF), seen through
    ``compare``'s ``fit(X, y, tasks=...)``."""

    def __init__(self, model):
        self.model = model

    def fit(self, X, y, tasks=None):
        self.model.fit(X, y)
        self.objective_ = self.model.objective_
        self.dual_gap_ = getattr(self.model, "dual_gap_", np.nan)
        return self


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="20 tasks, no results file")
    parser.add_argument("--only", default="", help="only the rows whose name has this")
    args = parser.parse_args(argv)
    revision = git_revision()
    header = environment_header(sys.argv[1:], revision).replace(
        "bench_group_lasso.py", "bench_malsar.py"
    )
    started = time.perf_counter()
    X, y, labels, tasks = school_sized(20 if args.quick else 139)
    results = []
    for kind, target in (("Regressor", y), ("Classifier", labels)):
        for name, make, X_row, y_row, tasks_row in rows(X, target, tasks, kind):
            if args.only not in name:
                continue
            if tasks_row is None:
                make = lambda make=make, **kw: _NoTasks(make(**kw))  # noqa: E731
            results.append(compare(name, make, X_row, y_row, tasks_row))
    elapsed = time.perf_counter() - started
    lines = [
        "# MALSAR families against cvxpy",
        "",
        header,
        f"- data: {len(np.unique(tasks))} tasks, {len(tasks)} rows, 27 features (20 "
        "one-hot, 7 continuous unscaled, scales 1-1000; `_tabular.school_sized`); "
        f"strengths {FRACTION:g} of the zeroing ones (see the row names)",
        f"- run time {elapsed:.0f} s",
        "",
        *comparison_table(results),
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    if not args.quick and not args.only:
        OUTPUT.write_text(text)


if __name__ == "__main__":
    main()
