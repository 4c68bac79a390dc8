"""Data-fitting losses: one class each, evaluated elementwise on predictions.

A loss is an object with the methods of :class:`Loss` (value, derivatives, the
conjugate for the duality gap, a cvxpy expression) and a few declared attributes
(what its targets are, whether it is quadratic, its curvature bound). The
estimators take one through ``loss=``, by name or as an instance.
"""

from ._base import Loss
from .binary import LogisticLoss, SquaredHingeLoss
from .multinomial import MultinomialLoss
from .poisson import PoissonLoss
from .quantile import QuantileLoss
from .squared import HuberLoss, SquaredLoss

__all__ = [
    "Loss",
    "SquaredLoss",
    "HuberLoss",
    "PoissonLoss",
    "QuantileLoss",
    "LogisticLoss",
    "SquaredHingeLoss",
    "MultinomialLoss",
    "get_loss",
]

#: the built-in losses by name, for ``loss="..."``
LOSSES = {
    loss.name: loss
    for loss in (SquaredLoss, HuberLoss, PoissonLoss, QuantileLoss, LogisticLoss, SquaredHingeLoss)
}


def get_loss(loss, *, classifier=None):
    """The loss object for ``loss`` (a built-in loss's name, a key of ``LOSSES``, or a
    :class:`Loss`); ``classifier`` True/False requires a binary / non-binary loss."""
    if isinstance(loss, str) and loss in LOSSES:
        loss = LOSSES[loss]()
    if not isinstance(loss, Loss):
        names = [
            n
            for n, cls in LOSSES.items()
            if classifier is None or is_classification(cls) == classifier
        ]
        hint = ""
        if loss == "multinomial" and classifier is not False:
            hint = (
                " A classifier fits the multinomial loss by itself with loss='logistic' "
                "(the default) when y has more than two classes."
            )
        raise ValueError(
            f"loss must be one of {tuple(names)} or a skmtl.losses.Loss instance; got "
            f"{loss!r}.{hint}"
        )
    targets = ("real", "counts", "binary", "multiclass")
    if loss.target not in targets:
        raise ValueError(
            f"{type(loss).__name__} has target={loss.target!r}; a loss's target is one "
            f"of {targets} (the kind of y it models)."
        )
    if classifier is not None and is_classification(loss) != classifier:
        kind = "a classifier" if classifier else "a regressor"
        raise ValueError(
            f"{type(loss).__name__} has target={loss.target!r}, which does not suit {kind}; "
            "use a binary loss for classifiers (e.g. 'logistic', 'squared_hinge') and a "
            "real or count loss for regressors (e.g. 'squared', 'huber', 'poisson', 'quantile')."
        )
    return loss


def is_classification(loss):
    """Whether ``loss`` (an instance or a class) takes class labels."""
    return loss.target in ("binary", "multiclass")
