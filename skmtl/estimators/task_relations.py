"""Tasks pulled towards each other: a common mean, a task graph, clusters of tasks,
a learned task covariance."""

from __future__ import annotations

import contextlib
import numbers

import numpy as np
import scipy.sparse as sp
from sklearn.cluster import KMeans

from .._base import _MultiTaskModel, check_number, store_parameters
from .._mixins import ClassifierMixin, IncrementalRegressorMixin
from ..penalties import (
    L1,
    L21,
    ClusterNormPenalty,
    ClusterPenalty,
    GraphPenalty,
    MeanPenalty,
    QuadraticPlusNorm,
    SparseGroupNorm,
    TaskCovariancePenalty,
)
from ..solvers.threads import SMALL, one_thread
from ._docs import model_docstring


class _TaskRelationModel(_MultiTaskModel):
    """Two strengths ``alpha`` (the coupling) and ``beta`` (its companion term)."""

    def _check_strengths(self, alpha_low_open=False):
        check_number(self.alpha, "alpha", low=0, low_open=alpha_low_open)
        check_number(self.beta, "beta", low=0, low_open=True)


class _MeanRegularized(_TaskRelationModel):
    def __init__(
        self,
        alpha=0.1,
        beta=0.01,
        *,
        loss=None,
        fit_intercept=True,
        intercept_pooling=0.0,
        max_iter=10000,
        tol=1e-4,
        warm_start=False,
        solver="auto",
        precompute="auto",
        task_column=None,
        unknown_task="warn",
        task_weights=None,
        main_task=None,
        verbose=0,
    ):
        store_parameters(self, locals())

    def _make_penalty(self, n_tasks, n_features=None):
        self._check_strengths(alpha_low_open=n_tasks > 1)
        return MeanPenalty(n_tasks, self.alpha, self.beta)

    def _fit_structure(self, W, penalty, parts=None):
        self.mean_coef_ = self._task_blocks(W).mean(axis=0)


class _GraphRegularized(_TaskRelationModel):
    def __init__(
        self,
        graph=None,
        alpha=0.1,
        beta=0.01,
        *,
        loss=None,
        alpha_l1=0.0,
        alpha_l21=0.0,
        fit_intercept=True,
        intercept_pooling=0.0,
        max_iter=10000,
        tol=1e-4,
        warm_start=False,
        solver="auto",
        precompute="auto",
        task_column=None,
        unknown_task="warn",
        task_weights=None,
        main_task=None,
        verbose=0,
    ):
        store_parameters(self, locals())

    def _tasks_ordered(self):
        return isinstance(self.graph, str)  # "chain" (a matrix follows tasks_ as given)

    def _graph_penalty(self, n_tasks, allow_singular=False):
        """The graph term; on all pairs (``graph=None``) with a ridge or beside a
        norm (``allow_singular``), the mean penalty it equals, ``alpha' = T alpha +
        beta``, ``beta' = T beta``, whose methods cost O(d T) where a T x T graph
        costs O(T^2) memory and an O(T^3) eigendecomposition (thousands of
        tasks)."""
        if self.graph is None and (self.beta > 0 or allow_singular):
            return MeanPenalty(
                n_tasks,
                n_tasks * self.alpha + self.beta,
                n_tasks * self.beta,
                allow_singular=allow_singular,
            )
        graph = check_graph(self.graph, n_tasks)
        return GraphPenalty(graph, self.alpha, self.beta, allow_singular=allow_singular)

    def _make_penalty(self, n_tasks, n_features=None):
        check_number(self.alpha, "alpha", low=0)
        check_number(self.alpha_l1, "alpha_l1", low=0)
        check_number(self.alpha_l21, "alpha_l21", low=0)
        l1, l21 = self.alpha_l1, self.alpha_l21
        check_number(self.beta, "beta", low=0)
        if l1 == 0 and l21 == 0:
            if self.beta == 0:
                raise ValueError(
                    "beta must be > 0 when alpha_l1 and alpha_l21 are 0; got 0. The graph "
                    "term alone leaves the tasks' common model unpenalized, and no duality "
                    "gap certifies that; a tiny beta (such as 1e-10) fits nearly the same "
                    "model (RMTL's Graph and MALSAR's Least_SRMTL without their other terms)."
                )
            return self._graph_penalty(n_tasks)
        graph = self._graph_penalty(n_tasks, allow_singular=True)
        if l21 == 0:
            norm = L1(l1)
        elif l1 == 0:
            norm = L21(l21)
        else:
            norm = SparseGroupNorm(l1 + l21, l1 / (l1 + l21))
        return QuadraticPlusNorm(graph, norm)


def chain_graph(n_tasks):
    """The adjacency matrix of the chain ``0 - 1 - ... - (n_tasks - 1)``: consecutive
    tasks (time points) linked with weight one, so that the graph term is
    ``sum_t ||w_{t+1} - w_t||^2``."""
    return np.eye(n_tasks, k=1) + np.eye(n_tasks, k=-1)


def check_graph(graph, n_tasks):
    """A symmetric, non-negative, finite (T, T) adjacency matrix as a dense array;
    None links every pair of tasks, ``"chain"`` consecutive ones."""
    if graph is None:
        return np.ones((n_tasks, n_tasks)) - np.eye(n_tasks)
    if isinstance(graph, str):
        if graph != "chain":
            raise ValueError(f"graph must be an adjacency matrix, None or 'chain'; got {graph!r}.")
        return chain_graph(n_tasks)
    A = graph.toarray() if sp.issparse(graph) else np.asarray(graph, dtype=float)
    if A.shape != (n_tasks, n_tasks):
        raise ValueError(
            f"graph has shape {A.shape} but there are {n_tasks} tasks; give a "
            f"({n_tasks}, {n_tasks}) adjacency matrix whose rows and columns follow the "
            "sorted task labels (tasks_)."
        )
    if not np.all(np.isfinite(A)) or np.any(A < 0):
        raise ValueError("graph must have finite, non-negative edge weights.")
    if not np.allclose(A, A.T):
        raise ValueError("graph must be symmetric (an undirected task graph).")
    return A


class _Clustered(_TaskRelationModel):
    def __init__(
        self,
        alpha=0.1,
        beta=0.01,
        n_clusters=2,
        *,
        loss=None,
        fit_intercept=True,
        intercept_pooling=0.0,
        max_iter=10000,
        tol=1e-4,
        warm_start=False,
        solver="auto",
        precompute="auto",
        task_column=None,
        unknown_task="warn",
        task_weights=None,
        main_task=None,
        verbose=0,
    ):
        store_parameters(self, locals())

    def _make_penalty(self, n_tasks, n_features=None):
        self._check_strengths(alpha_low_open=True)
        k = _check_n_clusters(self.n_clusters, n_tasks)
        return ClusterPenalty(self.alpha, self.beta, k)

    def _fit_structure(self, W, penalty, parts=None):
        spectrum = penalty.spectrum(W)
        self.task_similarity_ = penalty.task_matrix(W, spectrum)
        k = penalty.n_clusters
        self.task_clusters_ = _cluster_labels(self.task_similarity_, k, k, spectrum)


def _check_n_clusters(k, n_tasks):
    if isinstance(k, bool) or not isinstance(k, numbers.Integral) or k < 1:
        raise ValueError(f"n_clusters must be a positive integer; got {k!r}.")
    if k > n_tasks and n_tasks > 1:
        raise ValueError(f"n_clusters={k} is larger than the number of tasks ({n_tasks}).")
    return min(k, n_tasks)


def _cluster_labels(matrix, k, n_vectors, spectrum=None):
    """k-means on the rows of the top ``n_vectors`` eigenvectors of a task matrix,
    but those whose eigenvalue ties with the largest one left out: eigh returns an
    arbitrary basis of a repeated eigenvalue's space, whose rows then cluster the
    tasks at random, differently for each order of the tasks (fewer features than
    clusters, where the learned matrix gives every direction beyond the rank of
    ``W`` one value: radon, one feature, 2 clusters of 85 counties). All tied (no
    structure): one cluster. ``spectrum``: the matrix as ``(gamma, Q, rest)`` (see
    ``ClusterPenalty.spectrum``), whose eigenpairs need no T x T eigendecomposition
    (3000 tasks: 7.5 s) unless a kept one is ``rest``'s."""
    n = matrix.shape[0]
    if k == 1 or n == 1:
        return np.zeros(n, dtype=int)
    if spectrum is None:
        values, vectors = np.linalg.eigh(matrix)
    else:  # the rest's value, as often as it can matter, with no vectors (NaN)
        gamma, Q, rest = spectrum
        copies = min(n - Q.shape[1], n_vectors + 1)
        values = np.concatenate([gamma, np.full(copies, rest)])
        vectors = np.hstack([Q, np.full((n, copies), np.nan)])
        order = np.argsort(values, kind="stable")
        values, vectors = values[order], vectors[:, order]
    below = values[-n_vectors - 1] if n_vectors < len(values) else -np.inf
    values, vectors = values[-n_vectors:], vectors[:, -n_vectors:]
    tie = 1e-8 * max(np.abs(values).max(), np.finfo(float).tiny)
    vectors = vectors[:, values > below + tie]
    if np.isnan(vectors).any():  # a kept eigenvector of the rest's space
        return _cluster_labels(matrix, k, n_vectors)
    if vectors.shape[1] == 0:
        return np.zeros(n, dtype=int)
    # one OpenMP thread for a small k-means: scikit-learn's threads cost more than
    # they save there (57 tasks, 3 clusters: 5.6 ms with one, 156 ms with two threads
    # next to a busy process on a 2-core machine)
    with one_thread("openmp") if vectors.size <= SMALL else contextlib.nullcontext():
        return KMeans(n_clusters=k, n_init=10, random_state=0).fit_predict(vectors)


class _ClusterNorm(_TaskRelationModel):
    def __init__(
        self,
        alpha_mean=0.01,
        alpha_between=0.01,
        alpha_within=0.1,
        n_clusters=2,
        *,
        loss=None,
        fit_intercept=True,
        intercept_pooling=0.0,
        max_iter=10000,
        tol=1e-4,
        warm_start=False,
        solver="auto",
        precompute="auto",
        task_column=None,
        unknown_task="warn",
        task_weights=None,
        main_task=None,
        verbose=0,
    ):
        store_parameters(self, locals())

    def _make_penalty(self, n_tasks, n_features=None):
        for name in ("alpha_mean", "alpha_between", "alpha_within"):
            check_number(getattr(self, name), name, low=0, low_open=True)
        if self.alpha_within <= self.alpha_between:
            raise ValueError(
                f"alpha_within ({self.alpha_within}) must be larger than alpha_between "
                f"({self.alpha_between}): tasks are pulled harder within a cluster "
                "than between clusters."
            )
        k = _check_n_clusters(self.n_clusters, n_tasks)
        return ClusterNormPenalty(self.alpha_mean, self.alpha_between, self.alpha_within, k)

    def _fit_structure(self, W, penalty, parts=None):
        self.task_covariance_ = penalty.task_matrix(W)
        k = penalty.n_clusters
        # the k - 1 directions that take Sigma's largest value separate the clusters
        self.task_clusters_ = _cluster_labels(self.task_covariance_, k, n_vectors=k - 1)


class _TaskRelation(_TaskRelationModel):
    def __init__(
        self,
        alpha=0.1,
        beta=0.01,
        *,
        loss=None,
        fit_intercept=True,
        intercept_pooling=0.0,
        max_iter=10000,
        tol=1e-4,
        warm_start=False,
        solver="auto",
        precompute="auto",
        task_column=None,
        unknown_task="warn",
        task_weights=None,
        main_task=None,
        verbose=0,
    ):
        store_parameters(self, locals())

    def _make_penalty(self, n_tasks, n_features=None):
        check_number(self.alpha, "alpha", low=0)
        check_number(self.beta, "beta", low=0)
        if self.alpha == 0 and self.beta == 0:
            raise ValueError("alpha and beta cannot both be 0 (an unpenalized model).")
        return TaskCovariancePenalty(self.alpha, self.beta)

    def _fit_structure(self, W, penalty, parts=None):
        Omega = penalty.task_covariance(W)
        self.task_covariance_ = Omega
        # a task whose model is zero (to round-off) has no variance: uncorrelated (a
        # variance scales as the square of a task's model: round-off is 1e-24 of it)
        variance = np.diag(Omega)
        zero = variance <= 1e-24 * variance.max(initial=0.0)
        scale = np.sqrt(np.where(zero, 1.0, variance))
        self.task_correlation_ = np.where(zero[:, None] | zero, 0.0, Omega / np.outer(scale, scale))
        np.fill_diagonal(self.task_correlation_, 1.0)


_MEAN = dict(
    summary="""Mean-regularized multi-task {task} (Evgeniou & Pontil, 2004).

    Every task model is pulled towards the average model ``w_bar``, itself shrunk
    towards zero. ``beta = T * alpha`` is independent ridge; a large ``alpha``
    pools the tasks. The squared loss is solved exactly (one d x d linear system).""",
    penalty="alpha * sum_t ||w_t - w_bar||^2 + beta * ||w_bar||^2",
    parameters="""    alpha : float, default=0.1
        Strength of the pull towards the mean model, > 0.
    beta : float, default=0.01
        Strength of the shrinkage of the mean model, > 0.
""",
    attributes="""    mean_coef_ : ndarray of shape (n_features,)
        The average of the task models, ``w_bar``.
""",
    example="""    >>> from skmtl import MeanRegularized{name}
    >>> from skmtl.datasets import make_mean_tasks
    >>> X, y, tasks, coef = make_mean_tasks(n_tasks=4, random_state=0{cls})
    >>> model = MeanRegularized{name}(alpha=0.5, beta=0.1).fit(X, y, tasks=tasks)
    >>> model.coef_.shape
    (4, 10)
""",
)
_GRAPH = dict(
    summary="""Graph-regularized multi-task {task}: tasks close along a task graph.

    Tasks ``s`` and ``t`` joined by an edge of weight ``a_st`` are pulled together.
    The squared loss is solved exactly (one linear system) when ``n_features *
    n_tasks <= 3000`` and there is no L1 or L2,1 term, by FISTA otherwise.

    With ``alpha_l1`` this is MALSAR's sparse graph-regularized MTL (SRMTL); with
    ``graph="chain"`` and ``alpha_l21`` it is the temporal group lasso (TGL; Zhou et
    al., 2011), whose tasks are consecutive time points: ``alpha`` smooths the
    models over time, ``alpha_l21`` selects features for all time points at once.
    (MALSAR sums the squared errors where skmtl averages them per task: see
    ``task_weights="samples"``.) With a norm term FISTA treats the graph term as
    part of the smooth term and the norm by its prox; the duality gap stays exact.""",
    penalty="""alpha * sum_(s<t) a_st ||w_s - w_t||^2 + beta * ||W||_F^2
            + alpha_l1 * ||W||_1 + alpha_l21 * sum_j ||W_j||_2""",
    parameters="""    graph : {array-like, sparse matrix} of shape (n_tasks, n_tasks) or "chain", \
default=None
        Symmetric non-negative adjacency matrix, rows and columns in the order of
        the sorted task labels (``tasks_``). None links every pair of tasks: the
        mean-regularized model with ``alpha' = n_tasks * alpha + beta`` and ``beta' =
        n_tasks * beta`` (as ``sum_(s<t) ||w_s - w_t||^2 = T sum_t ||w_t - w_bar||^2``
        and ``||W||^2 = sum_t ||w_t - w_bar||^2 + T ||w_bar||^2``); ``"chain"`` links
        consecutive tasks in that order (time points).
    alpha : float, default=0.1
        Strength of the pull along the edges, >= 0.
    beta : float, default=0.01
        Ridge strength, > 0 (>= 0 with an L1 or L2,1 term).
    alpha_l1 : float, default=0.0
        Strength of the entrywise L1 norm (a sparse model per task), >= 0.
    alpha_l21 : float, default=0.0
        Strength of the L2,1 norm over the rows ``W_j`` (features selected for all
        tasks at once), >= 0.
""",
    attributes="",
    example="""    >>> import numpy as np
    >>> from skmtl import GraphRegularized{name}
    >>> from skmtl.datasets import make_chain_tasks
    >>> X, y, tasks, coef, graph = make_chain_tasks(n_tasks=5, random_state=0{cls})
    >>> model = GraphRegularized{name}(graph, alpha=1.0, beta=0.01).fit(X, y, tasks=tasks)
    >>> model.coef_.shape
    (5, 10)
""",
)
_CLUSTERED = dict(
    summary="""Clustered multi-task {task}: convex clustered MTL (Zhou, Chen & Ye, 2011).

    A convex relaxation of k-means on the task models: ``M`` relaxes the cluster
    indicator matrix ``F F^T`` and is eliminated in closed form; for a hard
    clustering the penalty is ``alpha * (within-cluster spread of the w_t) +
    beta * ||W||_F^2``. Solved by FISTA with the exact prox, stopped on the exact
    duality gap.

    The penalty depends on ``W`` only through its singular values, as that of the
    shared-subspace model (convex ASO) does, on the other side of ``W``: with the
    same ``alpha`` and ``beta`` and ``n_clusters`` equal to its ``n_components``
    (at most the number of features) the two fit the same coefficients (the
    equivalence shown by Zhou, Chen & Ye; for regression and two classes: with
    more classes the two stack the class models differently, see ``classes_``);
    they differ in what is read off, task
    clusters here and a feature subspace there.""",
    penalty="""c * min_M tr(W (eta I + M)^{-1} W^T),  tr M = n_clusters,  0 <= M <= I
            with eta = beta / alpha and c = alpha * eta * (1 + eta)""",
    parameters="""    alpha : float, default=0.1
        Strength of the pull within clusters, > 0.
    beta : float, default=0.01
        Ridge strength, > 0.
    n_clusters : int, default=2
        Number of task clusters, at most the number of tasks.
""",
    attributes="""    task_similarity_ : ndarray of shape (n_tasks, n_tasks)
        The optimal ``M``: a relaxed co-clustering matrix of the tasks (its
        memory grows with the square of the number of tasks: 2 GB for 16000).
    task_clusters_ : ndarray of shape (n_tasks,)
        Cluster label of each task (k-means on the top eigenvectors of ``M``).
""",
    example="""    >>> from skmtl import Clustered{name}
    >>> from skmtl.datasets import make_clustered_tasks
    >>> X, y, tasks, coef, labels = make_clustered_tasks(n_tasks=6, n_clusters=2,
    ...                                                  random_state=0{cls})
    >>> model = Clustered{name}(alpha=1.0, beta=0.1, n_clusters=2)
    >>> model.fit(X, y, tasks=tasks).task_clusters_.shape
    (6,)
""",
)
_CLUSTER_NORM = dict(
    summary="""Multi-task {task} with the convex cluster norm (Jacob, Bach & Vert, 2008).

    Three strengths act on the mean of the task models, the spread between cluster
    centres and the spread within clusters; the cluster assignment is relaxed into
    a task covariance ``Sigma`` with eigenvalues between ``1/alpha_within`` and
    ``1/alpha_between``, eliminated in closed form. Solved by FISTA with the exact
    prox, stopped on the exact duality gap.""",
    penalty="""alpha_mean * T ||w_bar||^2 + min_Sigma tr(W Pi Sigma^{-1} Pi W^T),  Pi = I - 11^T/T
            Sigma in {1/alpha_within <= Sigma <= 1/alpha_between,
                      tr Sigma = (T - r + 1)/alpha_within + (r - 1)/alpha_between}""",
    parameters="""    alpha_mean : float, default=0.01
        Shrinkage of the mean task model, > 0.
    alpha_between : float, default=0.01
        Strength of the pull of the cluster centres towards the mean, > 0.
    alpha_within : float, default=0.1
        Strength of the pull of each task towards its cluster centre, larger than
        ``alpha_between``.
    n_clusters : int, default=2
        Number of task clusters ``r``, at most the number of tasks.
""",
    attributes="""    task_covariance_ : ndarray of shape (n_tasks, n_tasks)
        The optimal ``Sigma``.
    task_clusters_ : ndarray of shape (n_tasks,)
        Cluster label of each task (k-means on the eigenvectors of ``Sigma`` with
        its largest eigenvalues).
""",
    example="""    >>> from skmtl import ClusterNorm{name}
    >>> from skmtl.datasets import make_clustered_tasks
    >>> X, y, tasks, coef, labels = make_clustered_tasks(n_tasks=6, n_clusters=2,
    ...                                                  random_state=0{cls})
    >>> model = ClusterNorm{name}(n_clusters=2).fit(X, y, tasks=tasks)
    >>> model.task_covariance_.shape
    (6, 6)
""",
)
_RELATION = dict(
    summary="""Multi-task relationship learning (MTRL; Zhang & Yeung, 2010) for {task}.

    The task covariance ``Omega`` is learned with ``W``; eliminating it in closed
    form leaves a squared trace norm plus a ridge. Solved by FISTA with the exact
    prox, stopped on the exact duality gap.""",
    penalty="""alpha / 2 * min_Omega tr(W Omega^{-1} W^T) + beta / 2 * ||W||_F^2
            = alpha / 2 * ||W||_*^2 + beta / 2 * ||W||_F^2,  Omega >= 0, tr Omega = 1""",
    parameters="""    alpha : float, default=0.1
        Strength of the learned task-covariance term, >= 0.
    beta : float, default=0.01
        Ridge strength, >= 0 (not both 0).
""",
    attributes="""    task_covariance_ : ndarray of shape (n_tasks, n_tasks)
        ``Omega = (W^T W)^{1/2} / tr (W^T W)^{1/2}``.
    task_correlation_ : ndarray of shape (n_tasks, n_tasks)
        ``Omega`` scaled to unit diagonal (a task whose model is zero: 0 off it).
""",
    example="""    >>> from skmtl import TaskRelation{name}
    >>> from skmtl.datasets import make_mean_tasks
    >>> X, y, tasks, coef = make_mean_tasks(n_tasks=4, random_state=0{cls})
    >>> model = TaskRelation{name}(alpha=0.1, beta=0.01).fit(X, y, tasks=tasks)
    >>> model.task_correlation_.shape
    (4, 4)
""",
)


class MeanRegularizedRegressor(IncrementalRegressorMixin, _MeanRegularized):
    __doc__ = model_docstring(_MEAN, "squared")


class MeanRegularizedClassifier(ClassifierMixin, _MeanRegularized):
    __doc__ = model_docstring(_MEAN, "logistic")


class GraphRegularizedRegressor(IncrementalRegressorMixin, _GraphRegularized):
    __doc__ = model_docstring(_GRAPH, "squared")


class GraphRegularizedClassifier(ClassifierMixin, _GraphRegularized):
    __doc__ = model_docstring(_GRAPH, "logistic")


class ClusteredRegressor(IncrementalRegressorMixin, _Clustered):
    __doc__ = model_docstring(_CLUSTERED, "squared")


class ClusteredClassifier(ClassifierMixin, _Clustered):
    __doc__ = model_docstring(_CLUSTERED, "logistic")


class ClusterNormRegressor(IncrementalRegressorMixin, _ClusterNorm):
    __doc__ = model_docstring(_CLUSTER_NORM, "squared")


class ClusterNormClassifier(ClassifierMixin, _ClusterNorm):
    __doc__ = model_docstring(_CLUSTER_NORM, "logistic")


class TaskRelationRegressor(IncrementalRegressorMixin, _TaskRelation):
    __doc__ = model_docstring(_RELATION, "squared")


class TaskRelationClassifier(ClassifierMixin, _TaskRelation):
    __doc__ = model_docstring(_RELATION, "logistic")
