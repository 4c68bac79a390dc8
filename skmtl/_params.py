"""scikit-learn's ``get_params``/``set_params`` for the parameter objects an estimator
takes (losses, learned task weights), so that a grid search can tune their
parameters by nested names (``loss__epsilon``)."""

from __future__ import annotations

import functools
import inspect

import numpy as np


def describe(obj, params):
    """``Name(key=value, ...)`` of ``obj`` with ``params``; arrays of more than six
    entries by their shape."""

    def show(value):
        if isinstance(value, np.ndarray) and value.size > 6:
            return f"<array of shape {value.shape}>"
        return repr(value)

    shown = ", ".join(f"{k}={show(v)}" for k, v in params.items())
    return f"{type(obj).__name__}({shown})"


def recheck(obj, name):
    """``obj`` (the estimator's parameter ``name``) rebuilt from its values by its
    constructor, which checks them: an attribute assigned after construction
    (``penalty.alpha = -1``) skips the checks, and state the constructor derived
    (a graph penalty's eigendecomposition) would keep the old value's. A ValueError
    names the parameter and the value. ``obj`` itself for a class outside skmtl
    (checked, not replaced: it may keep more than its parameters), one that is no
    :class:`Params`, or whose constructor keywords cannot rebuild (``*args``,
    ``**kwargs``, positional-only parameters)."""
    if not isinstance(obj, Params):
        return obj
    kinds = {p.kind for p in inspect.signature(type(obj).__init__).parameters.values()}
    by_keywords = {inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY}
    if not kinds <= by_keywords:  # (*args, **kwargs, positional-only: not rebuilt)
        return obj
    try:
        params = obj.get_params()
    except AttributeError:  # (a class that does not store its arguments)
        return obj
    try:
        rebuilt = type(obj)(**params)
    except (ValueError, TypeError) as error:
        raise ValueError(f"{name}={obj!r} is invalid: {error}") from None
    # skmtl's own classes keep nothing but their parameters: the fit takes the
    # rebuilt one; a user's class may keep more, and is fitted as given
    return rebuilt if type(obj).__module__.startswith("skmtl.") else obj


def public_attributes(obj):
    return {k: v for k, v in vars(obj).items() if not k.startswith("_")}


def _cached(cls, name):
    return isinstance(getattr(cls, name, None), functools.cached_property)


class Params:
    """scikit-learn's ``get_params`` and ``set_params`` from the constructor's
    arguments, stored under their own names (``self.alpha = alpha``, unchanged, as
    scikit-learn's ``clone`` checks): a grid search then tunes the parameters of a
    penalty or a loss by nested names (``penalty__alpha``, ``loss__epsilon``). The
    losses have it; a penalty of your own takes it as a first base class,
    ``class MyPenalty(Params, Penalty)``.

    ``set_params`` checks the new values as the constructor does: an invalid one
    raises and leaves the object as it was.
    """

    def get_params(self, deep=True):
        """The constructor's parameters and their values (``deep``: no nested objects)."""
        signature = inspect.signature(type(self).__init__)
        names = [
            name
            for name, parameter in signature.parameters.items()
            if name != "self"
            and parameter.kind not in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD)
        ]
        absent = [name for name in names if not hasattr(self, name)]
        if absent:
            raise AttributeError(
                f"{type(self).__name__} does not store its constructor argument(s) "
                f"{absent} as attributes of the same name, which get_params, set_params "
                "and nested parameters (penalty__alpha) need, as scikit-learn's clone "
                "does (e.g. self.alpha = alpha)."
            )
        return {name: getattr(self, name) for name in names}

    def set_params(self, **params):
        """Set parameters, checked as the constructor checks them (an invalid value
        raises and leaves the object as it was)."""
        valid = self.get_params()
        unknown = sorted(set(params) - set(valid))
        if unknown:
            raise ValueError(
                f"Invalid parameter(s) {unknown} for {type(self).__name__}; its parameters "
                f"are {sorted(valid)}."
            )
        checked = type(self)(**{**valid, **params})
        # no value cached from the old parameters (a cached_property, e.g. a matrix)
        for name in [name for name in vars(self) if _cached(type(self), name)]:
            del vars(self)[name]
        vars(self).update(vars(checked))
        return self

    def __repr__(self):
        try:
            params = self.get_params()
        except AttributeError:  # (arguments stored under other names: still printable)
            params = public_attributes(self)
        return describe(self, params)
