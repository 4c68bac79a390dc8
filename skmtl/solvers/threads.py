"""One BLAS thread for the solves of small problems (and one OpenMP thread for the
k-means of small task clusterings: :func:`one_thread`).

Their BLAS calls (Gram products, the SVDs of the spectral penalties' proxes) are
too small for threads to pay off, and threads that wait for a busy core make them
slow: on a 2-core machine next to two busy processes, a trace-norm fit of 100
tasks of 30 rows and 100 features took 1.43 s with OpenBLAS's two threads against
0.95 s with one, the sparse plus low-rank model 3.3 s against 0.86 s (with four
other jobs: 4.5 s against 0.44 s, 21.8 s against 1.05 s); on the idle machine the
two took the same time (0.32, 0.63 s). From about half a million entries of ``X``
threads help on an idle machine, and the solves keep BLAS's own setting: the
100-strength group lasso path of ``bench_paths.py`` on 1000 x 1000 (10 tasks) took
0.81 s (tol 1e-4) and 3.24 s (1e-6) with one thread, 0.53 and 2.00 s with two; on
2000 x 1000 (20 tasks) 0.78 and 1.60 s against 0.54 and 1.03 s (it had one thread
below 2^21 entries). Dense stacked rows of more than 8 tasks and at least as many
rows as features count their largest task's rows: the BLAS calls there are
per-task Grams (the other products are einsums and sparse ones), which threads
did not speed up on the idle machine (300k x 50, 50 tasks, a Huber group lasso:
0.58 s with one thread or two) but slowed 4x next to two busy processes (3.17 s
against 0.79 s; 14x at a load of 5 to 7). With 8 tasks or fewer the predictions
are one product ``X @ W`` (80000 x 50, 8 tasks: 50 of them took 0.46 s with one
thread, 0.26 s with two), and with fewer rows than features the kernel form
multiplies X by itself: those count all of X. (The solvers' inner products of vectors avoid
BLAS at any size: :func:`skmtl._linalg.inner`.)
"""

from __future__ import annotations

import contextlib
import threading

import numpy as np
import scipy.sparse as sp
from threadpoolctl import ThreadpoolController

#: most entries of the design (rows x features, the stored ones of a sparse one;
#: of the largest task's rows for dense stacked rows, whose BLAS calls are per task;
#: of the Gram statistics when the solve has no rows) solved with one BLAS thread
SMALL = 2**19
#: threadpoolctl's view of the loaded BLAS libraries, made at the first small solve
#: (a limit then costs about 12 us against 0.3 ms for threadpool_limits)
_controller = None


def solve_threads(datafit):
    """A context for a solve on ``datafit``: one BLAS thread for a small problem
    (at most :data:`SMALL` entries), else nothing changed; on the main thread
    only. BLAS's thread count is one setting for the whole process, which each limit
    saves and restores: two solves in threads (a threading backend of joblib) that
    overlap would restore each other's limit, and leave BLAS at one thread."""
    data = getattr(datafit, "data", None)
    X = getattr(data, "X", None)
    if X is not None:
        entries = X.nnz if sp.issparse(X) else X.shape[0] * X.shape[1]
        index = getattr(data, "task_index", None)
        n, d = X.shape
        # stacked rows of more than 8 tasks, at least as many as features: BLAS sees
        # one task's rows at a time (its Gram), never X (with 8 tasks or fewer the
        # predictions are one product X @ W; with fewer rows than features the kernel
        # form multiplies X by itself)
        if index is not None and not sp.issparse(X) and n >= d and data.n_tasks > 8:
            segments = data.task_segments() if hasattr(data, "task_segments") else False
            rows = segments[1] if segments is not False else np.bincount(index)
            entries = int(rows.max()) * d
    else:  # statistics only
        grams = getattr(datafit, "grams", None)
        entries = SMALL + 1 if grams is None else grams.size
    return one_thread("blas") if entries <= SMALL else contextlib.nullcontext()


def one_thread(user_api):
    """A context with one thread for ``user_api`` (``"blas"`` or ``"openmp"``), on the
    main thread only (see :func:`solve_threads`)."""
    global _controller
    if threading.current_thread() is not threading.main_thread():
        return contextlib.nullcontext()
    if _controller is None:
        _controller = ThreadpoolController()
    return _controller.limit(limits=1, user_api=user_api)
