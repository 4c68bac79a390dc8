"""
Fitting data that lives on disk in chunks, on a Dask cluster
=============================================================

For the squared loss every skmtl model needs only per-task sufficient statistics,
which are sums over rows. Here the rows are written to disk in chunks (``.npy``
files), read lazily as a Dask array, reduced chunk by chunk on a ``LocalCluster``
(one pass, no chunk gathered on one machine), and the model is solved on the small
statistics. The result equals the in-memory fit; we also report peak memory.
"""

import resource
import tempfile
from pathlib import Path

import numpy as np

from skmtl import GroupLassoRegressor

try:
    import dask
    import dask.array as da
    from dask.distributed import Client, LocalCluster
except ImportError:  # the dask extra: pip install 'skmtl[dask]'
    raise SystemExit("This example needs dask: pip install 'skmtl[dask]'") from None

n_chunks, rows, n_features, n_tasks = 8, 5_000, 30, 50
rng = np.random.RandomState(0)
coef = np.zeros((n_tasks, n_features))
coef[:, :5] = rng.randn(n_tasks, 5) + 1.0

with tempfile.TemporaryDirectory() as folder:
    for k in range(n_chunks):  # write the data set chunk by chunk
        X = rng.randn(rows, n_features)
        tasks = rng.randint(n_tasks, size=rows)
        y = np.einsum("ij,ij->i", X, coef[tasks]) + 0.5 * rng.randn(rows)
        np.save(Path(folder) / f"X{k}.npy", X)
        np.save(Path(folder) / f"y{k}.npy", y)
        np.save(Path(folder) / f"t{k}.npy", tasks)

    def lazy(name, shape):
        return da.concatenate(
            [
                da.from_delayed(
                    dask.delayed(np.load)(Path(folder) / f"{name}{k}.npy"),
                    shape=shape,
                    dtype=float if name != "t" else int,
                )
                for k in range(n_chunks)
            ]
        )

    Xd = lazy("X", (rows, n_features))
    yd, td = lazy("y", (rows,)), lazy("t", (rows,))
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        Client(cluster),
    ):
        model = GroupLassoRegressor(alpha=0.5).fit(Xd, yd, tasks=td)

    in_memory = GroupLassoRegressor(alpha=0.5).fit(Xd.compute(), yd.compute(), tasks=td.compute())

print(f"{n_chunks * rows} rows in {n_chunks} chunks, {n_tasks} tasks")
print(
    "largest difference from the in-memory fit:",
    f"{np.abs(model.coef_ - in_memory.coef_).max():.1e}",
)
print("features kept:", np.flatnonzero(np.abs(model.coef_).sum(axis=0)))
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"peak memory of this process: {peak:.0f} MB")
