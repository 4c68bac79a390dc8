"""Solvers: FISTA (default) and the cvxpy reference."""
