"""The grids of the strengths that the ``*CV`` estimators search."""

from __future__ import annotations

import itertools
import numbers

import numpy as np
import scipy.linalg
import scipy.optimize
import scipy.sparse as sp

from .._linalg import inner

#: the default grid of ``intercept_pooling`` when each row has a task label and the
#: loss is neither the squared loss, a likelihood, a regression loss nor a margin
#: one (which estimate it: :func:`moment_pooling`, :func:`laplace_pooling`,
#: :func:`m_estimate_pooling`, :func:`margin_pooling`), or where no estimate is
#: found; in pseudo-samples per task: from free intercepts to one common intercept
#: in steps of 4. On Contraception the held-out log-loss of the logistic GroupLasso ``*CV``
#: (standardized features, folds by task) is lowest near 4 on the denser 0, 1, 2,
#: 3, 4, 6, 8, 12, 16, 32, 64, inf as on this grid (0.6470 at 1, 0.6448 at 4,
#: 0.6474 at 16), which chose 4 in 110 of 120 fits of the real-data benchmark's
#: classifiers (raw features) before those estimated it.
#: (With the squared loss, before the estimate, the optimum lay inside, at 4 to 12,
#: and these steps cost 0.002 held-out R^2 on radon and MathAchieve.)
POOLING_GRID = (0.0, 1.0, 4.0, 16.0, 64.0, np.inf)

#: the most features for which :func:`moment_pooling` estimates the intercept
#: pooling (its two least squares fits solve a d x d system: 0.6 s at 1000)
MOMENT_FEATURES = 1000

#: the default number of points of a path whose models have an ``alpha_max``
#: (``alphas=None``): 100 when it is the only axis and the rows carry no task label
#: (scikit-learn's ``LassoCV`` and ``MultiTaskLassoCV``), 20 on grouped data (task
#: labels and intercepts, whose pooling is estimated or searched) or when
#: ``intercept_pooling`` is searched (the other models' paths have 20 or 25). With
#: a grid of 12 poolings, 20 values chose strengths whose held-out scores were those of
#: 100 to the noise (GroupLasso and TraceNorm ``*CV``, 6 splits of bench_real_data:
#: R^2 -0.0002 to +0.0015 on radon, Exam and MathAchieve; log-loss +0.0004 on
#: Contraception) in a quarter of the time; with the estimated pooling (10 splits)
#: R^2 -0.0008 to +0.0013 in a third to a fifth of the time
PATH_POINTS = {False: 100, True: 20}

# Automatic grids of models without an alpha_max, as the powers of ten of their first
# and last values (``alphas=n``: ``n`` values spaced evenly in log scale between them)
#: a strength along the path: 1 down to 1e-4 (20 values by default)
STRENGTH = (0.0, -4.0)
#: the mean and graph models' coupling reaches 100: near one common model (on radon,
#: with one feature, the best choice is a common slope, alpha = 100); 25 by default
COUPLING = (2.0, -4.0)
#: a second, ridge-like strength, increasing: 1e-3, 1e-2, 1e-1 by default
RIDGE = (-3.0, -1.0)
#: the cluster norm's within-cluster strength, relative to (a third entry: times)
#: alpha_between, which it must exceed: 1000 down to 3.16 times it (10 to 0.0316 at
#: the default 0.01); 12 values by default
WITHIN = (3.0, 0.5, "alpha_between")


def is_count(grid):
    """Whether a grid parameter is a number of values (``alphas=100``), not the values."""
    return isinstance(grid, numbers.Integral) and not isinstance(grid, (bool, np.bool_))


def check_grid(grid, name, counts=True, infinite=False):
    """``grid`` as a non-empty 1-D float array of strengths >= 0; ``counts``: an int
    also means that many automatic values (said in the error), else only arrays are
    grids; ``infinite``: ``inf`` is a value (intercept pooling's one intercept)."""
    if counts and np.ndim(grid) == 0 and not is_count(grid):
        # a float (or bool) where a count or values were meant: alphas=5.0 read as
        # the one value 5.0 searched nothing
        raise ValueError(
            f"{name} must be an int (that many automatic values) or a non-empty 1-D "
            f"array of strengths; got {grid!r}. For one value, give it in a list."
        )
    try:
        values = np.asarray(grid, dtype=float)
    except (TypeError, ValueError):
        values = None
    if counts and values is not None:
        values = np.atleast_1d(values)
    high = np.inf if infinite else np.finfo(float).max
    if (
        values is None
        or values.ndim != 1
        or values.size == 0
        or not np.all((values >= 0) & (values <= high))
    ):
        kind = "an int (that many automatic values) or " if counts else ""
        which = "inf allowed" if infinite else "finite"
        raise ValueError(
            f"{name} must be {kind}a non-empty 1-D array of strengths >= 0 ({which}); got {grid!r}."
        )
    return values


def log_grid(decades, count):
    """``count`` values from ``10**decades[0]`` to ``10**decades[1]``, evenly spaced in
    log scale (rounded to 12 decimals, as the published default grids)."""
    return np.logspace(*decades, count).round(12)


def _dense(M):
    """``M`` as a numpy array (a product with a sparse matrix may be sparse)."""
    return np.asarray(M.todense()) if sp.issparse(M) else np.asarray(M)


def moment_pooling(data, min_noise=0.0):
    """The intercept pooling of a random-intercept model fitted by the method of
    moments: ``sigma^2 / tau^2``, the noise variance over the variance of the task
    intercepts (the unit of ``intercept_pooling``, pseudo-samples per task).

    ``y_i = x_i^T w + b_t + e_i`` with ``b_t ~ (b_0, tau^2)`` and ``e_i ~ (0,
    sigma^2 / s_i)`` (``s_i`` the sample weights): ``sigma^2`` is the residual
    variance of least squares with free task intercepts (``n - T - rank`` degrees
    of freedom), and ``tau^2`` comes from the spread of the task means of the
    residuals of least squares with one intercept, ``SSB = sum_t n_t rbar_t^2``,
    whose expectation is ``(T - 1) sigma^2 + (n - sum_t n_t^2 / n) tau^2`` (the
    unbalanced one-way ANOVA estimator; ``n_t`` the tasks' sums of sample weights).
    ``inf`` when the estimate of ``tau^2`` is not positive; None when the data
    leave no degree of freedom for ``sigma^2`` or have more than
    ``MOMENT_FEATURES`` features (its least squares solve a ``d x d`` system), and
    with ``min_noise`` > 0 when ``sigma^2`` is not above ``min_noise`` times the mean
    sample weight (targets that the tasks and features fit exactly, whose ratio
    would be round-off). ``data``: a stacked-layout :class:`~skmtl._tasks.TaskData`.
    """
    if data.n_tasks < 2:
        return 0.0  # one task: its intercept is the shared one, pooling acts on nothing
    moments = _moments(data)
    if moments is None:
        return None
    _, w, sigma2, tau2 = moments
    if min_noise and not sigma2 > min_noise * float(np.mean(w[w > 0])):
        return None
    return sigma2 / tau2 if tau2 > 0 else np.inf


def _moments(data, kept=None):
    """The pieces of :func:`moment_pooling`: the residuals of least squares with free
    task intercepts, the sample weights and the estimates of ``sigma^2`` and
    ``tau^2``; None where :func:`moment_pooling` is None. ``kept``: 1 for the rows
    the fits use, 0 for those they leave out (all rows: None)."""
    T, t = data.n_tasks, data.task_index
    n_t = data.sample_totals.astype(float)
    if data.X.shape[1] > MOMENT_FEATURES:
        return None
    w = data.weights * n_t[t]  # the sample weights; data.weights sum to 1 per task
    shares = data.weights
    if kept is not None:
        w = w * kept
        n_t = np.bincount(t, w, minlength=T)
        shares = np.divide(w, n_t[t], out=np.zeros_like(w), where=n_t[t] > 0)
    X = data.X
    Xw = X.multiply(w[:, None]).tocsr() if sp.issparse(X) else X * w[:, None]
    gram, Xy = _dense(X.T @ Xw), Xw.T @ data.y
    by_task = sp.csr_matrix((shares, (t, np.arange(len(t)))), shape=(T, len(t)))
    means = _dense(by_task @ X)  # (T, d)
    y_means = by_task @ data.y

    def residuals(index, centres, y_centres, counts):
        """Weighted least squares of ``y - y_centres[index]`` on ``X -
        centres[index]``: the residuals and the rank of the centred Gram matrix."""
        A = gram - (centres.T * counts) @ centres
        coef, _, rank, _ = scipy.linalg.lstsq(A, Xy - centres.T @ (counts * y_centres))
        return data.y - y_centres[index] - (X @ coef - (centres @ coef)[index]), rank

    within, rank = residuals(t, means, y_means, n_t)
    dof = np.count_nonzero(w) - T - rank
    if dof < 1:
        return None
    sigma2 = float(w @ within**2) / dof
    total = n_t.sum()
    one = np.zeros_like(t)
    centre, y_centre = (n_t @ means)[None] / total, np.array([n_t @ y_means]) / total
    pooled, _ = residuals(one, centre, y_centre, np.array([total]))
    rbar = by_task @ pooled
    ssb = float(n_t @ (rbar - n_t @ rbar / total) ** 2)
    tau2 = (ssb - (T - 1) * sigma2) / (total - (n_t @ n_t) / total)
    return within, w, sigma2, tau2


#: :func:`m_estimate_pooling` leaves out the rows whose residual is beyond
#: ``_REJECT`` robust standard deviations (1.4826 MAD) and refits the moments, up to
#: ``_REJECTION_ROUNDS`` times (on normal noise 0.05% of the rows)
_REJECTION_ROUNDS, _REJECT = 5, 3.5


def m_estimate_pooling(data, loss):
    """The intercept pooling of a random-intercept model for a ``loss`` of the
    residual ``y - z`` alone (``loss.location``: Huber, pinball), an M-estimator of
    location: ``E[psi^2] / (E[psi'] tau^2)``.

    A task's intercept estimated from its ``n_t`` samples alone has the variance
    ``E[psi^2] / (n_t E[psi']^2)`` of an M-estimator (``psi`` the loss's derivative
    in the residual, at the residuals' location under the loss: their quantile for
    the pinball loss, their mean for the squared loss); a random intercept of
    variance ``tau^2`` shrinks it by ``n_t / (n_t + kappa)`` with ``kappa =
    E[psi^2] / (E[psi']^2 tau^2)``, which the pooling term gives (the loss's
    curvature in the intercept being ``n_t E[psi']``) at ``kappa E[psi']``. For the
    squared loss this is :func:`moment_pooling`'s ``sigma^2 / tau^2``; for the
    pinball loss of quantile ``q``, ``q (1 - q) / (f tau^2)`` with ``f`` the
    residuals' density at their quantile (that of the asymmetric Laplace
    likelihood, ``sigma / tau^2``, when they follow it). Unlike a grid in
    pseudo-samples, it follows the targets' scale, in which the pinball loss is
    linear.

    ``tau^2`` and the residuals are :func:`moment_pooling`'s (least squares with
    free task intercepts), refitted without the rows whose residual lies beyond
    ``_REJECT`` = 3.5 robust standard deviations (1.4826 times the median absolute
    residual; up to ``_REJECTION_ROUNDS`` refits): a few gross outliers would move
    their tasks' means, ``tau^2`` and all their tasks' residuals (the loss's
    expectations below still take every row, the outliers' bounded ``psi``
    included). The residuals are in the units of ``y``, each inflated by ``sqrt(m_t
    / (m_t - 1))`` for the task mean it lost (``m_t`` the task's rows of nonzero
    weight; the rows of tasks with one such row, whose residual is zero, left out)
    and all rescaled so that the kept rows' ``E[psi^2]`` under the squared loss is
    their ``sigma^2``. As there,
    sample weights ``s_i`` are precision weights (variance ``sigma^2 / s_i``):
    ``E[psi^2] = sum_i s_i^2 psi_i^2 / S`` and ``E[psi'] = sum_i s_i psi'_i / S``
    (``S = sum_i s_i``), so that scaling every weight scales the estimate alike
    and leaves the model unchanged. ``E[psi']`` is the mean difference quotient
    ``(psi(r + h / 2) - psi(r - h / 2)) / h`` over a width ``h = 3.1 min(sd, IQR /
    1.34) m^(-1/5)`` (``m`` rows: Silverman's rule for the box kernel that this
    is on the pinball loss's step): the residuals' density for the pinball loss,
    the share of residuals within ``epsilon`` for Huber's (also for an ``epsilon``
    far below the residuals' spread, where that share would be a count of a few).
    ``inf`` when ``tau^2`` is not positive; None when :func:`moment_pooling` is, or
    when too few residuals are left. Radon, Exam and MathAchieve, 3 splits each,
    group lasso ``*CV``, Huber and pinball (0.5, 0.9) losses
    (``benchmarks/bench_robust_pooling.py``): 4.7-8.3x faster than the search of
    ``POOLING_GRID``, the held-out loss better on 11 of 27 splits, on average
    within 0.35% of the grid's but for the 0.9-quantiles of Exam (+0.8%, at about
    the grid's pooling: the strength grids differ) and MathAchieve (+1.0%: the grid
    chose 4, this 0.8; the schools' 0.9-quantiles spread less than their means).
    ``data``: a stacked-layout :class:`~skmtl._tasks.TaskData`.
    """
    if data.n_tasks < 2:
        return 0.0
    moments = _moments(data)
    if moments is None:
        return None
    s = moments[1]  # the sample weights
    counts = np.bincount(data.task_index[s > 0], minlength=data.n_tasks)[data.task_index]
    rows = (s > 0) & (counts > 1)  # (a one-row task's residual is zero)
    inflation = np.sqrt(counts[rows] / (counts[rows] - 1.0))  # (the task mean it lost)
    kept = np.ones(len(s))
    for _ in range(_REJECTION_ROUNDS):
        # gross outliers left out: they moved their tasks' means, and with them
        # tau^2 and every residual of those tasks (6 rows of 600 shifted by 50 sd:
        # the estimate 1 -> 3 to 5, the intercepts worse than the grid's)
        size = np.abs(moments[0][rows]) * inflation
        live = size[kept[rows] > 0]
        cutoff = _REJECT * 1.4826 * float(np.median(live)) if len(live) else 0.0
        if not cutoff > 0:
            break
        inside = np.ones(len(s))
        inside[rows] = size <= cutoff
        if np.array_equal(inside, kept):  # (no row left out, or the same ones again)
            break
        kept = inside
        moments = _moments(data, kept)
        if moments is None:
            return None
    within, _, sigma2, tau2 = moments
    if not tau2 > 0:
        return np.inf
    e, s, kept = within[rows] * inflation, s[rows], kept[rows]
    total, spread = s.sum(), float((kept * s**2) @ e**2)
    if len(e) < 2 or not spread > 0:
        return None
    # the degrees of freedom: the kept rows' squared loss's E[psi^2] is their sigma^2
    e *= np.sqrt(sigma2 * float(kept @ s) / spread)

    def psi(r):
        return -loss.derivative(r, np.ones_like(r), np.zeros_like(r))

    def value(c):
        return float(s @ loss.pointwise(e - c, np.zeros_like(e)))

    xatol = 1e-10 * float(np.ptp(e))
    centre = scipy.optimize.minimize_scalar(
        value, bounds=(e.min(), e.max()), method="bounded", options={"xatol": xatol}
    ).x
    r = e - centre
    psi2 = float(s**2 @ psi(r) ** 2) / total
    sd = np.sqrt(s @ e**2 / total)
    quartiles = np.subtract(*np.quantile(e, [0.75, 0.25]))
    h = 3.1 * (min(sd, quartiles / 1.34) or sd) * len(e) ** -0.2
    curvature = float(s @ (psi(r + h / 2) - psi(r - h / 2))) / (h * total)
    if not curvature > 0:
        return None
    return psi2 / (curvature * tau2)


#: :func:`margin_pooling` estimates nothing when the noise variance of the labels
#: (-1/+1) within the tasks is below this (relative to the mean sample weight)
_NO_NOISE = 1e-12


def margin_pooling(data, loss):
    """The intercept pooling for a margin loss (``loss.margin``: the squared hinge,
    ``c/2 (y - z)^2`` where ``y z < 1``, zero beyond): ``c`` times the squared
    loss's :func:`moment_pooling` on the labels (-1/+1) read as real targets, a
    random-intercept linear probability model.

    That model shrinks a task's intercept by ``n_t / (n_t + k)``, ``k`` its noise
    to intercept variance ratio; the pooling term gives that shrinkage against the
    loss's curvature ``c`` in the intercept, which every sample inside the margin
    contributes (all of them at the first proximal Newton model, from zero), at
    ``c k``. The squared hinge has no likelihood and no location to estimate ``k``
    from. Against the search of ``POOLING_GRID``
    (``benchmarks/bench_margin_pooling.py``): on Contraception, and Exam, radon and
    MathAchieve cut at their median target (5 splits; group lasso,
    mean-regularized, trace norm), 3.6-5.1x faster, the held-out squared hinge
    lower on average for all 12 pairs; on Contraception with every model (10
    splits), 4.6-5.7x faster, lower for 9 of 12 (higher by 0.003-0.007 for the
    others). None where :func:`moment_pooling` is, and where the labels leave no
    noise within the tasks (the tasks and features fit them exactly: every task of
    one class, say), whose ratio would be round-off: in effect the free intercepts
    that such tasks do not allow. ``data``: a stacked-layout
    :class:`~skmtl._tasks.TaskData` of -1/+1 labels.
    """
    if loss.curvature is None:
        raise TypeError(
            f"The {loss.name} loss declares margin but no curvature: a margin loss is "
            "curvature / 2 * (y - z)^2 inside the margin, and its intercept pooling "
            "is that curvature times the squared loss's estimate. Set curvature, or "
            "margin = False."
        )
    estimate = moment_pooling(data, min_noise=_NO_NOISE)
    return None if estimate is None else loss.curvature * estimate


#: the range of the pooling that :func:`laplace_pooling` searches (``1 / tau^2``, the
#: inverse variance of the random intercepts on the scale of the predictions); an
#: optimum at its upper end is one common intercept (``inf``)
LAPLACE_RANGE = (1e-3, 1e4)


def laplace_pooling(data, loss):
    """The intercept pooling of a random-intercept model fitted by the Laplace
    approximation: ``1 / tau^2``, for a ``loss`` that is a negative log-likelihood
    without a dispersion (logistic, Poisson, multinomial: its pseudo-samples per task
    are then the inverse variance of the task intercepts on the scale of the
    predictions).

    ``z_i = x_i^T beta + b_0 + u_t`` with ``u_t ~ N(0, tau^2)``, sample weights ``s_i``
    as repeated rows: for each ``lam = 1 / tau^2`` the joint mode of ``sum_i s_i
    loss(y_i, z_i) + lam / 2 sum_t ||u_t||^2`` (:func:`_random_intercept_mode`) and the
    Laplace approximation of the restricted negative log-likelihood (``u`` and ``a =
    (beta, b_0)`` integrated out, ``a`` under a flat prior): the mode's value plus
    ``1/2 sum_t log det(H_t + lam I) - T K/2 log lam + 1/2 log det S`` (``H_t`` the
    task's Hessian in its intercepts, ``S`` the Hessian in ``a`` with ``u``
    eliminated), minimised over ``log lam`` in :data:`LAPLACE_RANGE` (the upper end,
    within 1e-3 in ``log lam``, as ``inf``; the lower end as None). With ``K``
    classes (the multinomial loss) each task has ``K`` intercepts, one per class,
    ``u_t ~ N(0, tau^2 I)``: the softmax does not see their common shift, which the
    prior then holds at zero and whose terms in the criterion cancel, so that ``u_t``
    has the isotropic normal law on the class contrasts (two classes: twice the
    pooling of the logistic loss on the same data, whose one intercept is the
    difference of the two, of twice their variance). Exact for the squared loss,
    where it is REML of a unit noise variance. Contraception (57 districts, 5
    features): 5.19, where statsmodels' ``BinomialBayesMixedGLM`` (``fit_vb``) gives
    5.05 and the criterion without ``log det S`` (the plain Laplace likelihood)
    5.44; over the real-data benchmark's 10 splits the restricted one's held-out
    accuracy and log-loss were both the better (group lasso and mean-regularized
    ``*CV``). None when the data have more than ``MOMENT_FEATURES`` features
    (``MOMENT_FEATURES / K`` with ``K`` classes: the Newton systems have ``K (d +
    1)`` unknowns), a mode is not finite (separable classes: the loss's curvature at
    the mode below 1e-6 of the weights) or the optimum is at the lower end.
    ``data``: a stacked-layout :class:`~skmtl._tasks.TaskData` with the loss's
    encoding of ``y`` (with ``K`` classes: its class-expanded virtual tasks).
    """
    K = data.n_classes
    T, n = data.n_tasks // K, data.X.shape[0] // K
    if T < 2:
        return 0.0
    X, t = data.X[:n], data.task_index[:n]  # (the first class's copies of the rows)
    if K * X.shape[1] > MOMENT_FEATURES:  # (Newton systems of K (d + 1) unknowns)
        return None
    ones = np.ones((n, 1))
    A = sp.hstack([X, ones]).tocsr() if sp.issparse(X) else np.hstack([X, ones])
    by_task = sp.csr_matrix((np.ones(n), (t, np.arange(n))), shape=(T, n))
    s = data.weights * data.sample_totals[data.task_index]  # the sample weights
    start = [np.zeros((K, A.shape[1])), np.zeros((T, K))]
    means = (s * data.y).reshape(K, n).sum(axis=1) / s[:n].sum()
    start[0][:, -1] = loss.null_intercept(means)

    def criterion(log_lam):
        lam = np.exp(log_lam)
        mode = _random_intercept_mode(A, by_task, t, data.y, s, loss, lam, start)
        if mode is None:
            return np.inf
        start[:] = mode[:2]  # the next evaluation starts there
        value, logdet_tasks, logdet = mode[2:]
        return value + 0.5 * logdet_tasks - 0.5 * T * K * log_lam + 0.5 * logdet

    low, high = np.log(LAPLACE_RANGE)
    result = scipy.optimize.minimize_scalar(criterion, bounds=(low, high), method="bounded")
    if not np.isfinite(result.fun):
        return None
    ends = [(low, criterion(low)), (high, criterion(high)), (result.x, result.fun)]
    best = min(ends, key=lambda end: end[1])[0]
    # (the criterion flattens as the intercepts merge: an optimum at the upper end is
    # one common intercept, also where round-off placed it a little inside; one at
    # the lower end estimates nothing: tasks that are each one class, task dummies
    # among the features, where the criterion is flat)
    if best <= low + 1e-3:
        return None
    return np.inf if best >= high - 1e-3 else float(np.exp(best))


def _hessian_blocks(loss, y, s, z, K):
    """The loss's Hessian in the predictions, one ``K x K`` block per row: ``(n, K,
    K)`` (the class copies of a row coupled, with ``K`` classes)."""
    blocks = loss.curvature_blocks(y, s, z) if K > 1 else None
    if blocks is None:
        return loss.second_derivative(y, s, z).reshape(-1, 1, 1)
    return blocks.reshape(K, K, -1).transpose(2, 1, 0)


def _random_intercept_mode(A, by_task, t, y, s, loss, lam, start, max_iter=100):
    """Newton's method for ``min_{a, u} sum_i s_i loss(y_i, z_i) + lam / 2 ||u||^2``
    with ``z_ik = (A a_k)_i + u_{t_i k}`` (``K`` classes: ``a`` is ``(K, p)``, ``u``
    ``(T, K)``; one class for a scalar loss), from ``start = (a, u)``, the task
    intercepts ``u`` eliminated from each Newton system (their Hessian is block
    diagonal, a ``K x K`` block per task). Returns ``(a, u, value, logdet_tasks,
    logdet)`` at the mode: ``logdet_tasks`` the sum over tasks of the log
    determinants of their blocks, ``logdet`` the log pseudo-determinant of the
    Hessian in ``a`` with ``u`` eliminated (its eigenvalues above 1e-10 of the
    largest: collinear columns, and the common shift of the classes' models, leave
    flat directions, whose volume does not depend on ``lam``); None if the iterates
    stop being finite, do not converge in ``max_iter`` steps, or end where the loss
    is flat (its predictions ran off: no finite mode)."""
    a, u = start
    K, p = a.shape
    T, n = by_task.shape
    eye = np.eye(K)

    def value_at(a, u):
        z = (A @ a.T + u[t]).T.ravel()  # the class copies, class by class
        return loss.value(y, s, z) + 0.5 * lam * inner(u, u), z

    value, z = value_at(a, u)
    settled = False
    for _ in range(max_iter):
        G = loss.derivative(y, s, z).reshape(K, n).T  # (n, K)
        M = _hessian_blocks(loss, y, s, z, K)  # (n, K, K)
        g_a, g_u = (A.T @ G).T.ravel(), by_task @ G + lam * u
        H_tasks = (by_task @ M.reshape(n, K * K)).reshape(T, K, K)  # without the prior
        H = np.empty((K, p, K, p))  # in a: H[k, :, c, :] = A^T diag(M[:, k, c]) A
        B = np.empty((T, K, K, p))  # between u_t and a: B[t, k, c] = sum_i M_ikc A_i
        for k, c in itertools.combinations_with_replacement(range(K), 2):  # (symmetric)
            MA = A.multiply(M[:, k, c, None]).tocsr() if sp.issparse(A) else A * M[:, k, c, None]
            H[k, :, c, :], B[:, k, c, :] = _dense(A.T @ MA), _dense(by_task @ MA)
            H[c, :, k, :], B[:, c, k, :] = H[k, :, c, :].T, B[:, k, c, :]
        B = B.reshape(T, K, K * p)
        inverse = np.linalg.inv(H_tasks + lam * eye)  # (T, K, K)
        IB = np.matmul(inverse, B)
        schur = H.reshape(K * p, K * p) - B.reshape(T * K, -1).T @ IB.reshape(T * K, -1)
        da = -np.linalg.lstsq(schur, g_a - IB.reshape(T * K, -1).T @ g_u.ravel(), rcond=None)[0]
        du = -np.matmul(inverse, (g_u + B @ da)[..., None])[..., 0]
        slope = g_a @ da + inner(g_u, du)
        if slope < 0 and -slope > 1e-12 * max(abs(value), 1.0):
            step = 1.0
            while step >= 1e-12:
                new_value, new_z = value_at(a + step * da.reshape(K, p), u + step * du)
                if new_value <= value + 1e-4 * step * slope:
                    break
                step *= 0.5
            if step >= 1e-12:
                a, u, value, z = a + step * da.reshape(K, p), u + step * du, new_value, new_z
                settled = False
                if not np.isfinite(value):
                    return None
                continue
            # (no step lowers the value: the mode, to round-off)
        elif not settled:
            # the mode in value, to round-off: one more full step puts it there in
            # position too (the log determinants move with it to first order: 1e-6
            # of the criterion, a relative 1e-4 of the estimate, without it)
            a, u, settled = a + da.reshape(K, p), u + du, True
            value, z = value_at(a, u)
            if not np.isfinite(value):
                return None
            continue
        if not np.trace(H_tasks, axis1=1, axis2=2).sum() > 1e-6 * s[:n].sum():
            # the loss flat at the mode: its predictions ran off (separable classes,
            # counts all zero), where no mode is finite
            return None
        eig = np.linalg.eigvalsh(schur)
        logdet = float(np.sum(np.log(eig[eig > 1e-10 * eig.max()])))
        logdet_tasks = float(np.sum(np.linalg.slogdet(H_tasks + lam * eye)[1]))
        return a, u, value, logdet_tasks, logdet
    return None
