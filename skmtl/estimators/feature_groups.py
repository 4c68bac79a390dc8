"""Groups of features across all tasks: the feature-group lasso, and incomplete
multi-source fusion (iMSF; Yuan et al., 2012), which fits one task per pattern of
missing data sources with a group norm over each source."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.base import ClassifierMixin as SklearnClassifierMixin
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted, validate_data

from .._base import _MultiTaskModel, atomic, check_number, store_parameters
from .._inputs import check_score_weights
from .._mixins import ClassifierMixin, IncrementalRegressorMixin
from ..penalties import FeatureGroupNorm
from ..penalties.feature_groups import check_groups
from ._docs import model_docstring


class _FeatureGroupLasso(_MultiTaskModel):
    def __init__(
        self,
        groups=None,
        alpha=0.1,
        *,
        l1_ratio=0.0,
        row_ratio=0.0,
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
        check_number(self.l1_ratio, "l1_ratio", low=0, high=1)
        check_number(self.row_ratio, "row_ratio", low=0, high=1)
        if self.l1_ratio + self.row_ratio > 1:
            raise ValueError(
                f"l1_ratio + row_ratio must be <= 1 (the group norm takes the rest); got "
                f"{self.l1_ratio} + {self.row_ratio}."
            )
        labels = check_groups(self.groups, n_features)
        if self.l1_ratio + self.row_ratio == 0 and np.any(labels < 0):
            raise ValueError(
                f"groups leaves features {np.flatnonzero(labels < 0).tolist()} in no group "
                "while l1_ratio = row_ratio = 0: they would be unpenalized. Put them in "
                "groups (e.g. one each) or set l1_ratio or row_ratio > 0."
            )
        return FeatureGroupNorm(self.alpha, labels, self.l1_ratio, self.row_ratio)

    def _fit_structure(self, W, penalty, parts=None):
        self.group_labels_ = penalty.labels
        norms = penalty._group_norms(W)
        self.active_groups_ = np.flatnonzero(norms > 0)


_FEATURE_GROUPS = dict(
    summary="""Feature-group lasso for multi-task {task}: groups of features (e.g.
    the one-hot columns of one categorical variable) selected or dropped together, for
    all tasks at once.

    ``W_g`` is the block of the rows (features) of group ``g`` across all tasks,
    ``|g|`` its number of features, ``W_j`` the row of feature ``j``. The three norms
    are nested, so their prox is exact (the three shrinkages composed); solved by FISTA,
    stopped on the exact duality gap. ``groups=None`` (each feature its own group) is
    the group lasso over rows.""",
    penalty="""alpha * ((1 - l1_ratio - row_ratio) * sum_g sqrt(|g|) ||W_g||_F
                     + row_ratio * sum_j ||W_j||_2 + l1_ratio * ||W||_1)""",
    parameters="""    groups : list of array-like of int or array-like of shape (n_features,), \
default=None
        The feature groups: a list of disjoint arrays of column indices, or one
        integer label per feature (a negative label: in no group, so only the row and
        L1 terms apply to it). None puts each feature in its own group.
    alpha : float, default=0.1
        Regularization strength, >= 0.
    l1_ratio : float, default=0.0
        Share of the entrywise L1 norm (sparsity within a task), in [0, 1].
    row_ratio : float, default=0.0
        Share of the L2,1 norm over rows (features selected within a group), in
        [0, 1]; ``l1_ratio + row_ratio <= 1``.
""",
    attributes="""    group_labels_ : ndarray of shape (n_features,)
        The group of each feature, numbered from 0 (``-1``: in no group).
    active_groups_ : ndarray
        The groups (numbers as in ``group_labels_``) with a non-zero block.
""",
    example="""    >>> from skmtl import FeatureGroupLasso{name}
    >>> from skmtl.datasets import make_joint_sparse
    >>> X, y, tasks, coef = make_joint_sparse(n_tasks=4, random_state=0{cls})
    >>> groups = [range(0, 10), range(10, 20), range(20, 30)]
    >>> model = FeatureGroupLasso{name}([list(g) for g in groups], alpha=0.1)
    >>> model.fit(X, y, tasks=tasks).group_labels_.shape
    (30,)
""",
)


class FeatureGroupLassoRegressor(IncrementalRegressorMixin, _FeatureGroupLasso):
    __doc__ = model_docstring(_FEATURE_GROUPS, "squared")


class FeatureGroupLassoClassifier(ClassifierMixin, _FeatureGroupLasso):
    __doc__ = model_docstring(_FEATURE_GROUPS, "logistic")


# ------------------------------------------------------------------ iMSF
class _IncompleteMultiSource(BaseEstimator):
    """One task per pattern of available sources, fitted by the feature-group lasso
    on the data with its missing blocks set to zero (their coefficients are then
    zero: they change no prediction and would only add to the group norm)."""

    def __init__(
        self,
        sources=None,
        alpha=0.1,
        *,
        loss=None,
        fit_intercept=True,
        intercept_pooling=0.0,
        task_weights=None,
        max_iter=10000,
        tol=1e-4,
        solver="auto",
        verbose=0,
    ):
        store_parameters(self, locals())

    def _availability(self, X):
        """``(n_samples, n_sources)``: which sources each row has; a source must be
        wholly present or wholly missing in a row."""
        missing = np.isnan(X)
        sizes = np.bincount(self._labels, minlength=self._n_sources)
        members = np.zeros((X.shape[1], self._n_sources))
        members[np.arange(X.shape[1]), self._labels] = 1.0
        counts = missing @ members  # missing entries per source
        partial = (counts > 0) & (counts < sizes)
        if partial.any():
            row, source = np.argwhere(partial)[0]
            raise ValueError(
                f"X has source {source} partly missing in row {row}: iMSF needs each "
                "source (a group of columns, see sources) wholly present or wholly NaN "
                "in every row."
            )
        return counts == 0

    @atomic
    def fit(self, X, y, sample_weight=None, tasks=None):
        """Fit one model per pattern of available sources, jointly.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Features; the columns of a source missing in a row are NaN.
        y : array-like of shape (n_samples,)
            Targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights, normalised within each pattern.
        tasks : None
            Not taken: the tasks are the patterns of available sources in the rows
            of ``X`` (``patterns_``). Given, it raises a ValueError that says so.

        Returns
        -------
        self : object
        """
        if tasks is not None:
            raise ValueError(
                f"{type(self).__name__}.fit takes no tasks: its tasks are the patterns "
                "of available sources in the rows of X (one task per pattern of NaN "
                "blocks, patterns_). Mark a row's missing sources as NaN in X instead."
            )
        X, y = validate_data(self, X, y, ensure_all_finite="allow-nan", y_numeric=False)
        labels = check_groups(self.sources, X.shape[1], name="sources")
        if np.any(labels < 0):
            raise ValueError(
                "sources must cover every column of X; columns "
                f"{np.flatnonzero(labels < 0).tolist()} are in no source."
            )
        self._labels, self._n_sources = labels, int(labels.max()) + 1
        available = self._availability(X)
        self.patterns_, pattern_of_row = _unique_rows(available)
        model = self._inner(
            groups=labels,
            alpha=self.alpha,
            loss=self.loss,
            fit_intercept=self.fit_intercept,
            intercept_pooling=self.intercept_pooling,
            task_weights=self.task_weights,
            max_iter=self.max_iter,
            tol=self.tol,
            solver=self.solver,
            verbose=self.verbose,
        )
        model.fit(np.nan_to_num(X, nan=0.0), y, tasks=pattern_of_row, sample_weight=sample_weight)
        self.estimator_ = model
        self.coef_ = np.atleast_2d(model.coef_)
        self.intercept_ = np.atleast_1d(model.intercept_)
        self.source_labels_ = labels
        for name in ("n_iter_", "dual_gap_", "gap_threshold_", "objective_", "classes_"):
            if hasattr(model, name):
                setattr(self, name, getattr(model, name))
        return self

    def _tasks_of(self, X):
        """The zero-filled rows and the pattern (task) of each row."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, ensure_all_finite="allow-nan")
        available = self._availability(X)
        match = np.all(available[:, None, :] == self.patterns_[None], axis=2)
        unseen = ~match.any(axis=1)
        if unseen.any():
            raise ValueError(
                f"Row {int(np.flatnonzero(unseen)[0])} of X has a pattern of available "
                f"sources {available[unseen][0].astype(int).tolist()} not seen in fit "
                f"(seen: {self.patterns_.astype(int).tolist()}); no model was fitted for it. "
                "In cross-validation, split so that every pattern is in every training "
                "fold: shuffle the rows (KFold(shuffle=True)), or split with "
                "skmtl.model_selection.TaskStratifiedKFold with each row's pattern as "
                "its group (e.g. np.isnan(X) @ 2 ** np.arange(X.shape[1]))."
            )
        return np.nan_to_num(X, nan=0.0), match.argmax(axis=1)

    def predict(self, X):
        """Predict with the model of each row's pattern of available sources."""
        X, tasks = self._tasks_of(X)
        return self.estimator_.predict(X, tasks)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags


def _unique_rows(available):
    """``np.unique(available, axis=0, return_inverse=True)`` for a boolean array,
    through one integer code per row (the same lexicographic order) when the
    sources are few enough for the codes to fit."""
    n_sources = available.shape[1]
    if n_sources > 62:
        return np.unique(available, axis=0, return_inverse=True)
    codes = available.astype(np.int64) @ (1 << np.arange(n_sources - 1, -1, -1, dtype=np.int64))
    unique, inverse = np.unique(codes, return_inverse=True)
    patterns = (unique[:, None] >> np.arange(n_sources - 1, -1, -1)) & 1
    return patterns.astype(bool), inverse


class _CheckedScoreWeights:
    """scikit-learn's ``score`` (R^2, accuracy) with its ``sample_weight`` checked as
    ``fit``'s (scikit-learn's metrics take negative weights)."""

    def score(self, X, y, sample_weight=None):
        """The coefficient of determination R^2 (regressor) or the accuracy
        (classifier) of the predictions for ``X``, as scikit-learn's ``score``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples, NaN where a source is missing.
        y : array-like of shape (n_samples,)
            True targets or labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights, with a positive total.

        Returns
        -------
        score : float
        """
        sample_weight = check_score_weights(sample_weight, len(y))
        return super().score(X, y, sample_weight=sample_weight)


class _IncompleteMultiSourceRegressor(_CheckedScoreWeights, RegressorMixin, _IncompleteMultiSource):
    _inner = FeatureGroupLassoRegressor

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # counts (the Poisson loss) are non-negative, as for the inner model
        tags.target_tags.positive_only = (
            self._inner(loss=self.loss).__sklearn_tags__().target_tags.positive_only
        )
        return tags


class _IncompleteMultiSourceClassifier(
    _CheckedScoreWeights, SklearnClassifierMixin, _IncompleteMultiSource
):
    _inner = FeatureGroupLassoClassifier

    def __init__(
        self,
        sources=None,
        alpha=0.1,
        *,
        loss=None,
        fit_intercept=True,
        intercept_pooling=1.0,
        task_weights=None,
        max_iter=10000,
        tol=1e-4,
        solver="auto",
        verbose=0,
    ):
        store_parameters(self, locals())

    def decision_function(self, X):
        """``x^T w_p + b_p`` with ``p`` the row's pattern; positive: ``classes_[1]``."""
        X, tasks = self._tasks_of(X)
        return self.estimator_.decision_function(X, tasks)

    def _probabilistic(self):
        """Whether the loss gives probabilities (as the inner classifier says)."""
        return hasattr(self._inner(loss=self.loss), "predict_proba")

    @available_if(_probabilistic)
    def predict_proba(self, X):
        """Class probabilities, shape (n_samples, n_classes)."""
        X, tasks = self._tasks_of(X)
        return self.estimator_.predict_proba(X, tasks)

    @available_if(_probabilistic)
    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`."""
        X, tasks = self._tasks_of(X)
        return self.estimator_.predict_log_proba(X, tasks)


_IMSF_SUMMARY = """Incomplete multi-source fusion (iMSF; Yuan et al., 2012) for {task}.

    The features come from several sources (groups of columns, e.g. imaging and
    blood tests), some missing (NaN) for whole blocks of samples. Each pattern of
    available sources is a task ``p`` with its own model ``w_p``, fitted on the rows
    of that pattern; the tasks share their choice of sources through a group norm
    over each source ``s`` and every pattern having it (``W_s``: the rows of ``s``'s
    features, across the patterns). A row is predicted by the model of its pattern;
    a pattern not seen in fit raises a ValueError. Solved as a
    :class:`~skmtl.FeatureGroupLasso{name}` (groups = sources, tasks = patterns) on
    the data with the missing blocks set to zero, whose coefficients are then zero.

    Minimizes, over the models ``w_p`` of the patterns ``p`` and intercepts ``b_p``::

        {loss}
            + alpha * sum_s sqrt(|s|) ||W_s||_F
            + intercept_pooling / 2 * sum_p tau_p / n_p (b_p - b_0)^2   (over b_0 too)"""
_IMSF_PARAMETERS = """    sources : list of array-like of int or array-like of shape \
(n_features,), default=None
        The sources: a list of disjoint arrays of column indices covering all
        columns, or one integer label per column. None: each column its own source.
    alpha : float, default=0.1
        Regularization strength, >= 0.
    loss : str or Loss, default=None
        The loss, as in :class:`~skmtl.FeatureGroupLasso{name}` (None: squared for
        the regressor, logistic for the classifier).
    fit_intercept : bool, default=True
        Fit one intercept per pattern.
    intercept_pooling : float, default={pooling}
        Partial pooling of the patterns' intercepts towards a shared one, as
        ``intercept_pooling`` pseudo-samples at it for every pattern (see
        :class:`~skmtl.FeatureGroupLasso{name}`). With the logistic loss the default
        1.0 keeps a rare pattern whose rows all have one class well-posed; it counts
        in units of the sample weights (weights scaled by ``c`` act as a pooling of
        ``1 / c``).
    task_weights : None, "tasks", "samples", dict or array-like, default=None
        The factor ``tau_p`` of each pattern's data term, as the ``task_weights``
        of :class:`~skmtl.FeatureGroupLasso{name}` with the patterns as tasks (a
        dict or an array by position in ``patterns_``); ``"samples"`` gives
        MALSAR's sum-of-squares objective.
    max_iter : int, default=10000
        Maximum number of FISTA iterations.
    tol : float, default=1e-4
        Stop when the duality gap is below ``tol`` times the loss of the zero model.
    solver : {{"auto", "fista", "cvxpy"}}, default="auto"
        ``"cvxpy"`` solves the same objective with cvxpy (the reference solver).
    verbose : int, default=0
        Print the objective and the duality gap during the solve.

    Attributes
    ----------
    patterns_ : ndarray of shape (n_patterns, n_sources), dtype bool
        The patterns of available sources seen in fit, one per task.
    coef_ : ndarray of shape (n_patterns, n_features)
        The model of each pattern (zero on its missing sources); (n_patterns,
        n_classes, n_features) with more than two classes.
    intercept_ : ndarray of shape (n_patterns,)
        (n_patterns, n_classes) with more than two classes.
    classes_ : ndarray of shape (n_classes,)
        The class labels (classifier only).
    source_labels_ : ndarray of shape (n_features,)
        The source of each column, numbered from 0.
    estimator_ : FeatureGroupLasso{name}
        The fitted multi-task model (tasks = patterns).
    n_iter_, dual_gap_, gap_threshold_, objective_ : int, float, float, float
        As in the fitted multi-task model.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the columns of ``X``, defined when it has string column names.

    Examples
    --------
    >>> import numpy as np
    >>> from skmtl import IncompleteMultiSource{name}
    >>> rng = np.random.RandomState(0)
    >>> X = rng.randn(90, 4)
    >>> y = X @ [1.0, -1.0, 0.5, 0.0] + 0.1 * rng.randn(90)
    >>> X[:30, 2:] = np.nan  # the second source missing for the first 30 rows
    >>> model = IncompleteMultiSource{name}([[0, 1], [2, 3]], alpha=0.01)
    >>> {fit_line}
    (2, 4)
    >>> model.patterns_.astype(int).tolist()
    [[1, 0], [1, 1]]
"""


def _imsf_docstring(loss):
    from ._docs import _LOSS_TERM  # the loss term all docstrings share

    name = "Regressor" if loss == "squared" else "Classifier"
    task = "regression" if loss == "squared" else "classification"
    fit = "model.fit(X, y).coef_.shape" if loss == "squared" else "model.fit(X, y > 0).coef_.shape"
    summary = _IMSF_SUMMARY.format(task=task, name=name, loss=_LOSS_TERM[loss].replace("_t", "_p"))
    pooling = "0.0" if loss == "squared" else "1.0"
    params = _IMSF_PARAMETERS.format(name=name, fit_line=fit, pooling=pooling)
    return summary + "\n\n    Parameters\n    ----------\n" + params


class IncompleteMultiSourceRegressor(_IncompleteMultiSourceRegressor):
    __doc__ = _imsf_docstring("squared")


class IncompleteMultiSourceClassifier(_IncompleteMultiSourceClassifier):
    __doc__ = _imsf_docstring("logistic")
