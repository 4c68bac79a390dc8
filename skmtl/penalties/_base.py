"""What the solvers need from a penalty (value, prox, duality-gap pieces), and what
a penalty declares it offers."""

from __future__ import annotations

import numpy as np

from .._params import Params, describe, public_attributes


def required(method):
    """Mark a base-class method as a stub that a penalty must override for the solvers
    that need it (:func:`missing`)."""
    method.stub = True
    return method


def missing(penalty, names):
    """The methods among ``names`` that ``penalty`` does not provide: left at a
    :func:`required` stub, directly or through the methods they are built on (a
    class's ``built_on``, e.g. a norm penalty's ``dual_scale`` on ``dual_norm``)."""
    built_on = {}  # a method's dependencies hold while the class's own one is used
    for cls in reversed(type(penalty).__mro__):
        for name, needs in vars(cls).get("built_on", {}).items():
            if getattr(type(penalty), name, None) is vars(cls).get(name):
                built_on[name] = needs
    absent, todo, seen = [], list(names), set()
    while todo:
        name = todo.pop(0)
        if name in seen:
            continue
        seen.add(name)
        method = getattr(penalty, name, None)
        if method is None or getattr(method, "stub", False):
            absent.append(name)
        else:
            todo.extend(built_on.get(name, ()))
    return absent


#: what a ``row_separable`` penalty offers the solvers that work on some rows only
#: (working sets, screening, coordinate descent): :class:`RowNormPenalty`'s methods
ROW_NEEDS = ("dual_norm_rows", "free_rows", "restrict", "safe_rows")
#: the solvers that need them
ROW_SOLVERS = (
    "a row_separable penalty (for working sets, gap-safe screening and coordinate "
    "descent; subclass RowNormPenalty, which has defaults for free_rows, restrict and "
    "safe_rows)"
)


def check_provides(penalty, names, solver):
    """Raise a TypeError naming what ``penalty`` lacks for ``solver``."""
    absent = missing(penalty, names)
    if absent:
        raise TypeError(
            f"{type(penalty).__name__} does not implement {', '.join(absent)}, which "
            f"{solver} needs. A penalty gives value and prox for the iterations, and "
            "dual_scale and conjugate (or, for a norm, a NormPenalty subclass with norm "
            "and dual_norm) for the duality gap that certifies and stops the solve; "
            "cvxpy (or cvxpy_terms) for solver='cvxpy'. See skmtl.penalties.Penalty."
        )


def check_restrict(penalty, shape):
    """Raise a TypeError when a row penalty's ``restrict`` (the default: the penalty
    itself, for one that treats every row alike) does not give the penalty on the
    rows kept: probed on a ``W`` of ``shape`` (``(n_rows, n_columns)``) whose rows
    but the last two are zero, where a row-separable penalty's value is that of its
    restriction to those two rows. A penalty with one weight per row that keeps the
    default ``restrict`` fails it (working sets and coordinate descent would pair
    rows with other rows' weights, or fail on the shapes)."""
    n_rows, n_columns = shape
    if not getattr(penalty, "row_separable", False) or n_rows < 3:
        return
    rows = np.array([n_rows - 2, n_rows - 1])
    W = np.zeros(shape)
    W[rows] = np.linspace(-1.0, 2.0, 2 * n_columns).reshape(2, n_columns)
    problem = None
    try:
        whole, part = float(penalty.value(W)), float(penalty.restrict(rows).value(W[rows]))
        if not (whole == part or abs(whole - part) <= 1e-9 * max(abs(whole), abs(part))):
            problem = f"{whole!r} on all rows against {part!r} on those two"
    except Exception as error:  # (a user penalty's shapes that do not match)
        problem = f"{type(error).__name__}: {error}"
    if problem is not None:
        raise TypeError(
            f"{type(penalty).__name__}.restrict(rows) is not the penalty on the rows "
            "kept: on a W whose rows but the last two are zero, value(W) and "
            f"restrict(rows).value(W[rows]) differ ({problem}). Working sets and "
            "coordinate descent solve on the restriction: a row penalty is a sum over "
            "the rows, zero on a zero row, and one whose rows differ (one weight per "
            "row) implements restrict, e.g. a copy with the entries of those rows."
        )


class Penalty:
    """Base class of penalties ``R(W)`` on the coefficients ``W`` of shape (d, T).

    A new penalty implements:

    ``value(W)``
        ``R(W)``.
    ``prox(V, step)``
        ``argmin_W R(W) + ||W - V||_F^2 / (2 step)``.
    ``dual_scale(G)`` and ``conjugate(G)``
        For the Fenchel duality gap: given ``G = X^T theta``, the factor
        ``s`` in (0, 1] that makes ``s * theta`` dual feasible (default 1: a
        penalty whose conjugate is finite everywhere), and ``R^*(s * G)``.
    ``cvxpy(W)`` (optional)
        The same penalty as a cvxpy expression, for ``solver="cvxpy"`` (or
        ``cvxpy_terms(W)``, an expression and its constraints).

    Every method is a function of its arguments: a penalty keeps no state between
    calls. To tune its parameters by nested names (a grid search over
    ``penalty__alpha``), subclass :class:`~skmtl.penalties.Params` first
    (``class MyPenalty(Params, Penalty)``) and store each constructor argument as
    an attribute of the same name, unchanged (``self.alpha = alpha``), as
    scikit-learn's estimators do; without it, scikit-learn's ``clone`` copies the
    penalty as it is. (:class:`NormPenalty` and the other built-in penalties with
    parameters have it already: a subclass of one stores its own arguments so.)

    A penalty declares what else it offers through these attributes, which the
    solver choice reads (the solver rule, :ref:`extending-skmtl`):

    ``row_separable``
        A sum over the rows of ``W``: working sets, gap-safe screening and
        coordinate descent. Declared by subclassing :class:`RowNormPenalty`
        (``dual_norm_rows``, and ``restrict`` where the rows differ).
    ``split``
        It acts on a stacked ``[P; Q]`` of a model ``W = P + Q``.
    ``quadratic``
        ``tr(W M W^T)`` with a matrix ``M``: closed forms with the squared loss.
    ``composite``
        A quadratic plus a norm (``quadratic_part``, ``norm_part``): the solver
        moves the quadratic into the smooth term.
    ``task_axis``
        It is built from a task structure (a mean, a graph, clusters, a task
        covariance, whole task columns): with ``K > 2`` classes it sees each task's
        ``K`` class models as one column (``skmtl.penalties.classes``). A penalty
        without it acts on the ``K T`` task-class columns alike.
    """

    def __repr__(self):  # (those with parameters: from get_params, the mixin's)
        return describe(self, public_attributes(self))

    row_separable = False
    split = False
    quadratic = False
    composite = False
    task_axis = False

    @required
    def value(self, W):
        raise NotImplementedError(f"{type(self).__name__}.value is not implemented.")

    @required
    def prox(self, V, step):
        raise NotImplementedError(f"{type(self).__name__}.prox is not implemented.")

    def dual_scale(self, G):
        return 1.0

    @required
    def conjugate(self, G):
        raise NotImplementedError(f"{type(self).__name__}.conjugate is not implemented.")

    @required
    def cvxpy(self, W):
        raise NotImplementedError(
            f"{type(self).__name__} has no cvxpy expression; use solver='fista'."
        )

    def cvxpy_terms(self, W):
        """``(expression, constraints)`` for cvxpy; penalties defined as a minimum
        over an auxiliary variable override this one."""
        return self.cvxpy(W), []

    #: the methods that another one is built on, for ``missing``
    built_on = {"cvxpy_terms": ("cvxpy",)}


def strength(value, name):
    """``value`` as a float, checked to be a finite number >= 0 (a penalty's
    strength): a NaN or negative one would make the solvers' steps meaningless."""
    try:
        if isinstance(value, (bool, np.bool_)):
            raise TypeError
        value = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a number; got {value!r}.") from None
    if not 0.0 <= value < np.inf:
        raise ValueError(f"{name} must be a finite number >= 0; got {value!r}.")
    return value


class NormPenalty(Params, Penalty):
    """``alpha * Omega(W)`` with ``Omega`` a norm; subclasses give ``norm``,
    ``dual_norm``, ``prox`` and ``cvxpy_norm``.

    Its conjugate is the indicator of ``{G : dual_norm(G) <= alpha}``: the gap
    rescales the dual point into that ball, after which the conjugate is zero.
    """

    built_on = {
        "value": ("norm",),
        "dual_scale": ("dual_norm",),
        "cvxpy": ("cvxpy_norm",),
        "alpha_max": ("dual_norm",),
    }

    def __init__(self, alpha=1.0):
        self.alpha = strength(alpha, "alpha")

    def value(self, W):
        return self.alpha * self.norm(W)

    def dual_scale(self, G):
        dual = self.dual_norm(G)
        return 1.0 if dual <= self.alpha else self.alpha / dual

    def conjugate(self, G):
        return 0.0

    def alpha_max(self, G0):
        """Smallest ``alpha`` whose solution is zero, given ``G0 = -grad L(0)``."""
        return float(self.dual_norm(G0))

    def cvxpy(self, W):
        return self.alpha * self.cvxpy_norm(W)

    @required
    def norm(self, W):
        raise NotImplementedError(f"{type(self).__name__}.norm is not implemented.")

    @required
    def dual_norm(self, G):
        raise NotImplementedError(f"{type(self).__name__}.dual_norm is not implemented.")

    @required
    def cvxpy_norm(self, W):
        raise NotImplementedError(
            f"{type(self).__name__} has no cvxpy expression; use solver='fista'."
        )


class RowNormPenalty(NormPenalty):
    """A norm that is a sum over the rows (features) of ``W``: ``sum_j omega(W_j)``.

    Its prox acts row by row and its dual norm is the largest row dual norm, so a
    solver may work on a subset of the rows (working sets, screening). Subclasses
    give ``dual_norm_rows(G)`` instead of ``dual_norm``.
    """

    row_separable = True
    built_on = {"dual_norm": ("dual_norm_rows",)}

    def dual_norm(self, G):
        return float(self.dual_norm_rows(G).max(initial=0.0))

    @required
    def dual_norm_rows(self, G):
        raise NotImplementedError(f"{type(self).__name__}.dual_norm_rows is not implemented.")

    def free_rows(self, n_rows):
        """Which of the ``n_rows`` rows the penalty leaves unpenalized (none by
        default); working sets always hold them."""
        return np.zeros(n_rows, dtype=bool)

    def restrict(self, rows):
        """The same penalty on the rows ``rows`` of ``W`` only (what working sets and
        coordinate descent solve on); itself for a penalty that treats every row
        alike."""
        return self

    def safe_rows(self, G, radii):
        """Rows proven zero at the optimum (gap-safe screening), given ``G``
        from a feasible dual point and ``radii[j, t]`` bounding how far ``G[j, t]`` is
        from its optimal value. The default proves nothing."""
        return np.zeros(G.shape[0], dtype=bool)
