"""What a loss provides to the datafit, the solvers and the estimators."""

from __future__ import annotations

import numpy as np

from .._params import Params


class Loss(Params):
    """Base class of the data-fitting losses.

    Task ``t`` contributes ``f_t(z) = sum_i w_i loss(y_i, z_i)`` to the objective,
    where ``z`` are its linear predictions ``x_i^T w_t + b_t`` and ``w`` its sample
    weights (summing to one over the task, zero for a missing label). Every method
    takes arrays ``y`` (targets, encoded as :attr:`target` says), ``w`` and ``z`` of
    one common shape, ``(n, T)`` or ``(n,)``, and is vectorized over them: the task
    structure lives in the datafit.

    A new loss sets the attributes and implements the methods below; the ones with
    a default here are optional. Its constructor's arguments are its parameters
    (``get_params``, ``set_params``: a grid search tunes ``loss__epsilon``), stored
    under their own names.

    Attributes
    ----------
    name : str
        Its name in messages (and the string that selects it, for the built-in ones).
    target : {"real", "counts", "binary", "multiclass"}
        What ``y`` holds: real numbers, non-negative counts, two classes (encoded
        as -1/+1 before the loss sees them), or the one-hot indicators of the
        class-expanded virtual tasks (``skmtl.losses.multinomial``). Classifiers
        take "binary" and "multiclass" losses.
    curvature : float or None
        An upper bound on the second derivative ``loss''(y, z)`` over all ``z``
        (the Lipschitz constant of the gradient is ``curvature`` times that of the
        design), or None when it is unbounded (the solver then estimates it at the
        start point and backtracks).
    quadratic : bool
        Whether ``f_t`` is a quadratic: the squared loss. The solvers then use Gram
        statistics, closed forms and the exact centering of the intercepts.
    probabilistic : bool
        Whether ``inverse_link`` of a binary loss gives a probability
        (``predict_proba``).
    likelihood : bool
        Whether ``loss(y, z)`` is, up to terms free of ``z``, the negative
        log-likelihood of ``y`` given its prediction ``z`` (one per class for the
        multinomial loss), with no dispersion parameter (the logistic, Poisson and
        multinomial losses). The ``*CV`` estimators then
        estimate the intercept pooling of grouped data as the inverse variance of
        random task intercepts, instead of searching a grid of poolings.
    location : bool
        Whether ``loss(y, z)`` is a function of the residual ``y - z`` alone (an
        M-estimator of location: the squared, Huber and pinball losses). The
        ``*CV`` estimators of such a loss (but the squared one, which has its own
        estimate) then estimate the intercept pooling of grouped data from the
        loss's derivative at the residuals, instead of searching a grid.
    margin : bool
        Whether ``loss(y, z)`` is ``curvature / 2 * (y - z)^2`` where the margin is
        violated (``y z < 1``, labels ``y`` in {-1, +1}) and zero beyond it: the
        squared hinge, least squares on the labels of the samples that count. The
        ``*CV`` estimators then estimate the intercept pooling of grouped data as
        ``curvature`` times the squared loss's estimate on the labels (a linear
        probability model), instead of searching a grid.
    newton : bool
        Whether proximal Newton steps suit it: ``newton_curvature`` is positive
        everywhere (the second derivative, floored where it vanishes, or the
        curvature of a majorizing quadratic there).
    newton_bound : bool
        Whether the models of proximal Newton steps merely bound a Hessian that
        couples entries (the multinomial loss's, by a diagonal): their unit steps can
        fall short (the line search then tries longer ones), and they pay only on
        badly scaled features (on well-scaled ones FISTA converges faster).
    majorizer : bool
        Whether ``newton_curvature`` makes a quadratic that majorizes the loss
        (iteratively reweighted least squares) rather than its second-order model:
        the model's gradient away from its expansion point is then not the loss's.
    singular_models : bool
        Whether the quadratic models of proximal Newton steps are near-singular by
        design (curvature on a few samples only: the pinball loss's envelopes). Their
        inner solves then take an exact method (coordinate descent with Newton steps
        on the support, or ADMM) from the first model rather than FISTA; where that
        is coordinate descent, a majorizing loss takes its generalized Newton models
        from the first step; and the intercepts' Newton steps need sufficient
        decrease (on a piecewise quadratic loss they can jump between two points of
        equal loss).
    smooth : bool
        Whether the loss has a continuous derivative. A loss that has not (the
        pinball loss) provides ``smoothed(width, slopes)``: its Moreau envelope of
        that width, shifted by per-sample multipliers, a smooth loss with its own
        conjugate. The solvers minimise these envelopes in an augmented Lagrangian
        loop whose gaps bound the non-smooth problem's (``skmtl.solvers.smoothing``).
    asymptotic : bool
        Whether the loss approaches its infimum only as a prediction goes to
        infinity (the logistic and multinomial losses, the Poisson loss of a zero
        count): unpenalized coefficients can then grow without bound (separated
        classes), which the non-convex models' fits check for.
    """

    name = "loss"
    target = "real"
    curvature = None
    quadratic = False
    probabilistic = False
    likelihood = False
    location = False
    margin = False
    newton = False
    newton_bound = False
    majorizer = False
    singular_models = False
    smooth = True
    asymptotic = False

    def __eq__(self, other):  # losses are values: equal type, equal parameters
        if type(self) is not type(other) or vars(self).keys() != vars(other).keys():
            return False
        return all(_same_value(v, vars(other)[k]) for k, v in vars(self).items())

    def __hash__(self):
        return hash((type(self), tuple(sorted((k, _hashable(v)) for k, v in vars(self).items()))))

    # -- required -----------------------------------------------------------------
    def pointwise(self, y, z):
        """The loss of each sample, unweighted."""
        raise NotImplementedError(_missing(self, "pointwise(y, z)", "every solver needs"))

    def derivative(self, y, w, z):
        """``f'(z)``, elementwise: the gradient in the predictions. Minus it is the
        dual point ``theta`` of the duality gap."""
        raise NotImplementedError(_missing(self, "derivative(y, w, z)", "every solver needs"))

    def second_derivative(self, y, w, z):
        """``f''(z)``, elementwise (a generalized one where ``f'`` has kinks): the
        weights of the proximal Newton steps' quadratic models."""
        raise NotImplementedError(
            _missing(
                self,
                "second_derivative(y, w, z)",
                "the intercepts' Newton steps and proximal Newton steps need",
            )
        )

    def dual_value(self, y, w, z, scale):
        """``-sum_i f_i^*(-s theta_i)`` at the dual point ``theta = -f'(z)`` of ``z``,
        rescaled by ``0 < s <= 1`` (``f_i = w_i loss(y_i, .)``). Every loss's domain
        must contain the segment from 0 to ``theta``."""
        raise NotImplementedError(
            _missing(self, "dual_value(y, w, z, scale)", "the duality gap needs")
        )

    def cvxpy(self, y, w, z):
        """The same weighted sum as a cvxpy expression in the predictions ``z``."""
        raise NotImplementedError(_missing(self, "cvxpy(y, w, z)", 'solver="cvxpy" needs'))

    # -- optional -----------------------------------------------------------------
    def value(self, y, w, z):
        """``sum_i w_i loss(y_i, z_i)``."""
        return np.sum(w * self.pointwise(y, z))

    def bregman(self, y, w, z_new, z_old, value_old, grad_dot_step):
        """``f(z_new) - f(z_old) - <f'(z_old), z_new - z_old>``, the excess over the
        linearisation that backtracking tests (a quadratic loss computes it without
        cancellation; ``grad_dot_step`` is None for it)."""
        return self.value(y, w, z_new) - value_old - grad_dot_step

    def newton_curvature(self, y, w, z):
        """The weights of the quadratic models of proximal Newton steps, elementwise:
        the second derivative by default. A loss whose second derivative vanishes on
        some samples gives positive weights instead: a small floor (the line search
        keeps the step a descent) or those of a quadratic that majorizes it (a
        majorize-minimize step); either way the result is certified by the gap."""
        return self.second_derivative(y, w, z)

    def null_intercept(self, mean):
        """The intercept of the model without features, given each task's weighted
        mean target ``mean`` (the solvers' start)."""
        return mean

    def inverse_link(self, z):
        """The prediction (mean target, or probability of the positive class) at the
        linear predictions ``z``."""
        return z

    def gap_scale(self, y, w, z_null):
        """The unit of the stopping rule (``tol`` times it): the loss of the model
        without features, whose predictions are ``z_null``."""
        return self.value(y, w, z_null)

    def dual_radius(self, gap):
        """A bound on the distance to the dual optimum, in the norm
        ``sqrt(sum theta^2 / w)``, from a duality gap (for gap-safe screening); None
        when the loss's conjugate is not strongly convex (no screening)."""
        return None

    def multiclass(self, n_classes):
        """The loss that replaces this one when ``y`` has ``n_classes > 2`` classes
        (e.g. the multinomial loss for the logistic one), or None when it has no
        multi-class form."""
        return None

    def predictions_for(self, y, w, g):
        """Predictions ``z`` whose derivative ``f'(z)`` is ``g`` moved into the
        conjugate's domain (where ``-g`` is a dual point), or None if the loss has no
        such inverse. Proximal Newton's quadratic models give ``g`` (the model's
        gradient at the inner solution): a dual point that certifies the outer gap
        far sooner than the loss's own gradient at the iterate on ill-conditioned
        data (see the user guide's page on solvers)."""
        return None

    def centered(self, W):
        """Points that the loss cannot tell from the coefficient block ``W`` (moved
        along directions it does not see, to a centre: a list), or None for a loss
        that sees every direction (all but the multinomial one). Proximal Newton's
        models give those directions curvature; after each step it moves to the one
        of these points that lowers the penalty most."""
        return None

    def curvature_blocks(self, y, w, z):
        """None when the Hessian in the predictions is diagonal (``second_derivative``
        is all of it); a loss that couples entries (the softmax over a row's class
        copies) returns the coupling blocks (see :class:`MultinomialLoss`)."""
        return None

    def smoothed(self, width, slopes=None):
        """For a loss that is not smooth (``smooth = False``): its Moreau envelope of
        width ``width`` at the residuals shifted by ``width`` times the multipliers
        ``slopes``, a smooth loss (see :class:`~skmtl.losses.QuantileLoss`)."""
        raise NotImplementedError(
            _missing(self, "smoothed(width, slopes)", "the solvers of a non-smooth loss need")
        )

    def check_target(self, y):
        """Raise a ValueError if ``y`` (finite, as numbers) is outside the loss's
        domain."""


def _same_value(a, b):
    """Equality of two parameter values, arrays by their entries."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return np.shape(a) == np.shape(b) and bool(np.array_equal(a, b))
    return bool(a == b)


def _hashable(value):
    """A hashable stand-in for a parameter value (an array: its shape and entries)."""
    if isinstance(value, np.ndarray):
        return (value.shape, value.tobytes())
    return value


def _missing(loss, method, needed_by):
    """The message for a method a loss leaves at its stub."""
    return (
        f"{type(loss).__name__} does not implement {method}, which {needed_by}; see "
        "skmtl.losses.Loss for what a loss provides."
    )
