"""Task-relationship penalties: prox, value and conjugate against their definitions."""

import numpy as np
import pytest

from skmtl.penalties import (
    ClusterNormPenalty,
    ClusterPenalty,
    GraphPenalty,
    MeanPenalty,
    SubspacePenalty,
    TaskCovariancePenalty,
)
from skmtl.penalties.quadratic import laplacian

cp = pytest.importorskip("cvxpy")

T = 5
CHAIN = np.diag(np.ones(T - 1), 1) + np.diag(np.ones(T - 1), -1)
PENALTIES = [
    MeanPenalty(T, alpha=0.7, beta=0.3),
    MeanPenalty(T, alpha=0.2, beta=3.0),  # beta > T * alpha: mean shrunk harder
    GraphPenalty(CHAIN * np.linspace(0.5, 2, T), alpha=0.6, beta=0.1),
    ClusterPenalty(rho1=0.8, rho2=0.3, n_clusters=2),
    ClusterPenalty(rho1=0.5, rho2=1.0, n_clusters=1.5),
    TaskCovariancePenalty(alpha=0.6, beta=0.2),
    TaskCovariancePenalty(alpha=0.6, beta=0.0),
    ClusterNormPenalty(eps_mean=0.3, eps_between=0.2, eps_within=1.5, n_clusters=2),
    ClusterNormPenalty(eps_mean=1.0, eps_between=0.5, eps_within=0.8, n_clusters=3),
    ClusterNormPenalty(eps_mean=0.1, eps_between=0.5, eps_within=2.0, n_clusters=1),
    SubspacePenalty(alpha=0.8, beta=0.3, n_components=2),
]


def _solve(objective, constraints=()):
    problem = cp.Problem(objective, list(constraints))
    problem.solve(solver=cp.CLARABEL)
    return problem


@pytest.mark.parametrize("penalty", PENALTIES, ids=lambda p: type(p).__name__)
@pytest.mark.parametrize("d", [3, 8])
def test_prox_matches_definition(penalty, d):
    V = np.random.RandomState(d).randn(d, T)
    step = 0.7
    W = cp.Variable(V.shape)
    term, constraints = penalty.cvxpy_terms(W)
    _solve(cp.Minimize(term + cp.sum_squares(W - V) / (2 * step)), constraints)
    prox = penalty.prox(V, step)
    objective = lambda U: penalty.value(U) + np.sum((U - V) ** 2) / (2 * step)
    assert objective(prox) <= objective(W.value) + 1e-7
    np.testing.assert_allclose(prox, W.value, atol=1e-4)


@pytest.mark.parametrize("penalty", PENALTIES, ids=lambda p: type(p).__name__)
def test_value_matches_cvxpy(penalty):
    W0 = np.random.RandomState(1).randn(4, T)
    W = cp.Variable(W0.shape)
    term, constraints = penalty.cvxpy_terms(W)
    problem = _solve(cp.Minimize(term), constraints + [W == W0])
    assert penalty.value(W0) == pytest.approx(problem.value, rel=1e-6)


@pytest.mark.parametrize("penalty", PENALTIES, ids=lambda p: type(p).__name__)
def test_conjugate_is_the_fenchel_supremum(penalty):
    """R*(G) = sup_W <G, W> - R(W), attained at W = prox-free gradient inverse."""
    G = np.random.RandomState(2).randn(4, T)
    W = cp.Variable(G.shape)
    term, constraints = penalty.cvxpy_terms(W)
    problem = _solve(cp.Maximize(cp.sum(cp.multiply(G, W)) - term), constraints)
    assert penalty.conjugate(G) == pytest.approx(problem.value, rel=1e-6)


def test_mean_penalty_equals_its_two_terms():
    W = np.random.RandomState(3).randn(4, T)
    mean = W.mean(axis=1, keepdims=True)
    expected = 0.7 * np.sum((W - mean) ** 2) + 0.3 * np.sum(mean**2)
    assert MeanPenalty(T, 0.7, 0.3).value(W) == pytest.approx(expected)


def test_complete_graph_is_T_times_the_mean_spread():
    """Spec 2.1: sum_{s<t} ||w_s - w_t||^2 = T sum_t ||w_t - w_bar||^2."""
    W = np.random.RandomState(4).randn(3, T)
    complete = np.ones((T, T)) - np.eye(T)
    graph = GraphPenalty(complete, alpha=1.0, beta=0.5).value(W)
    ridge_part = 0.5 * np.sum(W**2)
    spread = np.sum((W - W.mean(axis=1, keepdims=True)) ** 2)
    assert graph == pytest.approx(T * spread + ridge_part)
    assert np.allclose(laplacian(complete), T * np.eye(T) - np.ones((T, T)))


def test_hard_clustering_identity():
    """Spec 3.2: for M = F F^T the penalty is rho1 * k-means spread + rho2 ||W||^2."""
    rng = np.random.RandomState(5)
    W = rng.randn(3, T)
    labels = np.array([0, 0, 1, 1, 1])
    F = np.zeros((T, 2))
    F[np.arange(T), labels] = 1
    F /= np.sqrt(F.sum(axis=0))
    pen = ClusterPenalty(rho1=0.8, rho2=0.3, n_clusters=2)
    hard = pen.c * np.trace(W @ np.linalg.inv(pen.eta * np.eye(T) + F @ F.T) @ W.T)
    spread = sum(
        np.sum((W[:, labels == c] - W[:, labels == c].mean(axis=1, keepdims=True)) ** 2)
        for c in (0, 1)
    )
    assert hard == pytest.approx(0.8 * spread + 0.3 * np.sum(W**2))
    assert pen.value(W) <= hard + 1e-12  # the convex relaxation is a lower bound
    M = pen.task_matrix(W)
    assert np.trace(M) == pytest.approx(2)
    assert np.all(np.linalg.eigvalsh(M) > -1e-12) and np.all(np.linalg.eigvalsh(M) < 1 + 1e-12)
    value_at_M = pen.c * np.trace(W @ np.linalg.inv(pen.eta * np.eye(T) + M) @ W.T)
    assert value_at_M == pytest.approx(pen.value(W))


def test_task_covariance_closed_form():
    W = np.random.RandomState(6).randn(4, T)
    pen = TaskCovariancePenalty(alpha=0.6, beta=0.2)
    Omega = pen.task_covariance(W)
    assert np.trace(Omega) == pytest.approx(1)
    value = 0.5 * 0.6 * np.trace(W @ np.linalg.pinv(Omega) @ W.T) + 0.5 * 0.2 * np.sum(W**2)
    assert value == pytest.approx(pen.value(W))


def test_quadratic_penalty_needs_positive_definite_matrix():
    with pytest.raises(ValueError, match="positive definite"):
        MeanPenalty(T, alpha=1.0, beta=0.0)


def test_cluster_norm_hard_clustering_identity():
    """Spec 3.1: for a hard partition the three terms are the mean, between- and
    within-cluster spreads; the convex relaxation is a lower bound."""
    rng = np.random.RandomState(7)
    W = rng.randn(3, T)
    labels = np.array([0, 0, 1, 1, 1])
    pen = ClusterNormPenalty(eps_mean=0.3, eps_between=0.2, eps_within=1.5, n_clusters=2)
    w_bar = W.mean(axis=1)
    centres = {c: W[:, labels == c].mean(axis=1) for c in (0, 1)}
    between = sum((labels == c).sum() * np.sum((centres[c] - w_bar) ** 2) for c in (0, 1))
    within = sum(np.sum((W[:, t] - centres[labels[t]]) ** 2) for t in range(T))
    hard = 0.3 * T * w_bar @ w_bar + 0.2 * between + 1.5 * within
    assert pen.value(W) <= hard + 1e-12
    Sigma = pen.task_matrix(W)
    eig = np.linalg.eigvalsh(Sigma)
    assert np.trace(Sigma) == pytest.approx(pen._budget(T) + pen.low)
    assert eig.min() >= pen.low - 1e-12 and eig.max() <= pen.high + 1e-12
    Pi = np.eye(T) - 1.0 / T
    at_sigma = 0.3 * T * w_bar @ w_bar + np.trace(W @ Pi @ np.linalg.inv(Sigma) @ Pi @ W.T)
    assert at_sigma == pytest.approx(pen.value(W))


@pytest.mark.parametrize("shape", [(3, 5), (8, 5)])
def test_cluster_prox_and_task_matrix_take_one_svd(shape, monkeypatch):
    V = np.random.RandomState(0).randn(*shape)
    pen = ClusterPenalty(rho1=0.8, rho2=0.3, n_clusters=2)
    expected_prox, expected_M = pen.prox(V, 0.7), pen.task_matrix(V)
    calls = []
    svd = np.linalg.svd

    def counting(*args, **kwargs):
        calls.append(kwargs.get("compute_uv", True))
        return svd(*args, **kwargs)

    monkeypatch.setattr(np.linalg, "svd", counting)
    np.testing.assert_array_equal(pen.prox(V, 0.7), expected_prox)
    assert len(calls) == 1
    np.testing.assert_array_equal(pen.task_matrix(V), expected_M)
    assert len(calls) == 2
