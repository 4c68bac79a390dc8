"""The cvxpy reference solver (``skmtl.solvers.cvxpy``)."""

import pytest
from conftest import make_tasks

from skmtl import GroupLassoRegressor

cp = pytest.importorskip("cvxpy")


def test_reference_falls_back_to_clarabels_defaults_when_it_stalls(monkeypatch):
    """CLARABEL can stop with "insufficient progress" short of the reference's tight
    tolerances (a 139-task group lasso with tasks weighted by size did, and cvxpy
    raised a SolverError): the reference then solves at CLARABEL's defaults."""
    X, y, tasks = make_tasks()
    solve, calls = cp.Problem.solve, []

    def stalling(problem, *args, **kwargs):
        calls.append(kwargs)
        if "tol_gap_abs" in kwargs:
            raise cp.error.SolverError("Solver 'CLARABEL' failed.")
        return solve(problem, *args, **kwargs)

    monkeypatch.setattr(cp.Problem, "solve", stalling)
    ref = GroupLassoRegressor(alpha=0.05, solver="cvxpy").fit(X, y, tasks=tasks)
    monkeypatch.undo()
    ours = GroupLassoRegressor(alpha=0.05, tol=1e-10).fit(X, y, tasks=tasks)
    assert len(calls) == 2
    assert ref.objective_ == pytest.approx(ours.objective_, rel=1e-7)
