"""Time skmtl's task-relationship models against ``solver="cvxpy"``, in one run.

Models: mean-regularized, graph-regularized (a chain of tasks), clustered (convex
clustered MTL) and task-relation (MTRL) learning, each as a regressor (squared
loss) and a classifier (logistic loss, 0/1 labels), on a School-sized problem
(139 tasks with unequal row counts, 27 features), fitted with
``fit(X, y, tasks=...)``.

For every model: skmtl's fit time at the default ``tol`` (1e-4) and at
``tol=1e-8`` (best of ``--repeat`` calls after one untimed warm-up call), the
cvxpy (CLARABEL) time of the same objective, every objective recomputed from
``coef_`` and ``intercept_`` by one numpy function (per-task mean loss + the
estimator's own penalty ``_make_penalty(T).value``), the relative objective
difference skmtl vs cvxpy and the speed ratio cvxpy / skmtl. Regressors whose
default solver is a closed form are also timed with ``solver="fista"``.

The run has two phases. First every skmtl timing (full size and the smaller
fallback size) and a cProfile of the slowest skmtl fits (``--profile``), each
timing after waiting (within ``--wait-quiet`` seconds in all) until other
processes use under 0.25 cores; the CPU other processes used during each timing
is measured from ``/proc/stat`` and flagged. Then cvxpy, in a separate worker
process, stopped after ``--cvxpy-timeout`` seconds or when it outgrows
``--cvxpy-memory``. Where the School-sized cvxpy fit is stopped or fails, the
model is compared on the smaller problem (``--small-tasks`` tasks). The logistic
cvxpy fit (exponential cones, much slower) is not attempted at full size when the
squared-loss fit of the same model already took more than a tenth of the time
limit; that model's classifier is then compared on the smaller problem.

Run from the repository root::

    python benchmarks/bench_task_relations.py           # full run, ~9 minutes
    python benchmarks/bench_task_relations.py --quick   # smoke run, ~15 seconds
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import multiprocessing
import os
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    RESULTS,
    base_parser,
    best_of,
    busy_cpu_seconds,
    cvxpy_cell,
    data_term,
    exit_with_parent,
    fmt_rel,
    fmt_time,
    markdown_table,
    predictions,
    profile_call,
    ratio_summary,
    rel_diff,
    script_header,
    warning_texts,
    write_report,
)

import skmtl  # noqa: E402
from skmtl.datasets import (  # noqa: E402
    make_chain_tasks,
    make_clustered_tasks,
    make_mean_tasks,
)

DEFAULT_OUTPUT = RESULTS / "task_relations.md"
SCRIPT = "benchmarks/bench_task_relations.py"

TOLS = (1e-4, 1e-8)  # skmtl's default tol and a tight one
MAX_ITER = 100_000
LOSSES = (("squared", "Regressor"), ("logistic", "Classifier"))
N_CLUSTERS = 3
STRENGTHS = dict(alpha=0.1, beta=0.01)
#: (family, data generator, extra estimator parameters)
MODELS = (
    ("MeanRegularized", "mean", {}),
    ("GraphRegularized", "chain", {}),  # the generator's chain graph is added
    ("Clustered", "clustered", {"n_clusters": N_CLUSTERS}),
    ("TaskRelation", "mean", {}),
)
OBJECTIVE_RTOL = 1e-9  # objective_ against the recomputed objective
CVXPY_REPEAT_BELOW = 10.0  # cvxpy fits faster than this (s) are repeated too
LOGISTIC_SKIP_FRACTION = 0.1  # see the module docstring
BUSY_CORES = 0.25  # flag timings during which other processes used more than this
TARGET_RATIO = 20.0
TARGET_TIME = 0.5


@dataclass
class Sizes:
    n_tasks: int
    rows_per_task: tuple  # randint(low, high) rows per task
    n_features: int
    repeat: int
    small_tasks: int  # the fallback problem when cvxpy times out or fails
    cvxpy_timeout: float


FULL = Sizes(
    n_tasks=139,
    rows_per_task=(60, 160),
    n_features=27,
    repeat=3,
    small_tasks=30,
    cvxpy_timeout=300.0,
)
QUICK = Sizes(
    n_tasks=12, rows_per_task=(20, 40), n_features=8, repeat=1, small_tasks=6, cvxpy_timeout=30.0
)


# ----------------------------------------------------------------------------- data
@dataclass
class Problem:
    kind: str
    loss: str
    n_tasks: int
    X: np.ndarray
    y: np.ndarray
    tasks: np.ndarray
    extra: dict  # estimator parameters that come with the data (the graph)

    @property
    def name(self):
        return f"{self.kind}, T={self.n_tasks}, n={len(self.y)}"


def make_problem(kind, loss, n_tasks, sizes, seed=0):
    """Per-task rows of unequal counts from one of skmtl's structured generators."""
    counts = np.random.RandomState(seed).randint(*sizes.rows_per_task, size=n_tasks)
    common = dict(n_features=sizes.n_features, loss=loss, random_state=seed)
    extra = {}
    if kind == "mean":
        X, y, tasks, _ = make_mean_tasks(n_tasks, counts, **common)
    elif kind == "chain":
        X, y, tasks, _, graph = make_chain_tasks(n_tasks, counts, **common)
        extra["graph"] = graph
    elif kind == "clustered":
        X, y, tasks, _, _ = make_clustered_tasks(n_tasks, N_CLUSTERS, counts, **common)
    else:
        raise ValueError(kind)
    return Problem(kind, loss, n_tasks, X, y, tasks, extra)


# ------------------------------------------------------------------------ objective
def objective(estimator, problem, coef, intercept):
    """The data term (the estimators' default task weights) + ``estimator``'s penalty
    at ``coef`` (T, d)."""
    coef, intercept = np.atleast_2d(coef), np.atleast_1d(intercept)
    z = predictions(problem.X, coef, intercept, problem.tasks)
    if problem.loss == "squared":
        per_sample = 0.5 * (problem.y - z) ** 2
    else:  # labels 0/1
        per_sample = np.logaddexp(0.0, -(2.0 * problem.y - 1.0) * z)
    penalty = estimator._make_penalty(coef.shape[0]).value(coef.T)
    return float(data_term(per_sample, problem.tasks) + penalty)


def task_spread(coef):
    """``||W - w_bar||_F / ||W||_F``: 0 when the tasks are pooled into one model."""
    return float(np.linalg.norm(coef - coef.mean(axis=0)) / np.linalg.norm(coef))


def objective_note(own, recomputed, who):
    if own is None or not np.isfinite(own):
        return ""
    if abs(own - recomputed) <= OBJECTIVE_RTOL * max(abs(recomputed), 1.0):
        return ""
    return f"{who} objective_ {own:.12g} differs from the recomputed {recomputed:.12g}"


# --------------------------------------------------------------------- skmtl fits
@dataclass
class Fit:
    time: float
    n_iter: object
    dual_gap: float
    objective: float
    own_objective: float
    spread: float
    warnings: list
    busy: float  # cores other processes used while this was timed (NaN: unknown)


@dataclass
class Row:
    problem: Problem
    estimator: str
    solver: str
    path: str  # what skmtl ran: closed form, FISTA, proximal Newton, ...
    params: dict
    fits: dict = field(default_factory=dict)  # tol -> Fit
    cvxpy: CvxpyRun = None
    profile: str = ""
    make: object = None  # make(tol, verbose) -> a new estimator


# Per timing, unlike _common's wait_for_quiet (which waits once for other benchmark
# scripts, found by name) and CpuMonitor (one average over the whole run): before each
# skmtl timing, wait until *any* other processes are quiet, and measure the CPU they
# used during that timing.
FOREIGN = {"cpu": 0.0, "wall": 0.0, "peak": 0.0}  # other processes' CPU, see below
MIN_WINDOW = 0.2  # seconds


def process_cpu_seconds(pid):
    """CPU seconds process ``pid`` (all its threads) has used, or None."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


@contextlib.contextmanager
def foreign_cpu(record=True):
    """Cores other processes use meanwhile (yields a dict, filled in on exit under
    "cores"); accumulated into ``FOREIGN``."""
    out = {"cores": np.nan}
    busy, own, wall = busy_cpu_seconds(), time.process_time(), time.perf_counter()
    yield out
    if busy is None:
        return
    # /proc/stat counts in clock ticks (10 ms): watch the others for >= 0.2 s
    time.sleep(max(0.0, MIN_WINDOW - (time.perf_counter() - wall)))
    wall = time.perf_counter() - wall
    other = max(busy_cpu_seconds() - busy - (time.process_time() - own), 0.0)
    out["cores"] = other / wall
    if not record:
        return
    FOREIGN["cpu"] += other
    FOREIGN["wall"] += wall
    FOREIGN["peak"] = max(FOREIGN["peak"], other / wall)


QUIET = {"left": 0.0, "waited": 0.0, "gave_up": False}  # see wait_until_quiet


def other_cores(seconds=0.5):
    """Cores other processes use over the next ``seconds`` (None if unknown)."""
    with foreign_cpu(record=False) as busy:
        time.sleep(seconds)
    return None if np.isnan(busy["cores"]) else busy["cores"]


def wait_until_quiet(poll=2.0):
    """Before a timing: wait while other processes use more than ``BUSY_CORES``
    cores, within the run's budget ``QUIET["left"]`` (``--wait-quiet``)."""
    first = True
    while QUIET["left"] > 0:
        cores = other_cores()
        if cores is None or cores <= BUSY_CORES:
            return
        if first:
            print(f"    waiting: other processes use {cores:.2f} cores", flush=True)
            first = False
        time.sleep(poll)
        QUIET["left"] -= poll + 0.5
        QUIET["waited"] += poll + 0.5
    if QUIET["waited"] > 0:
        QUIET["gave_up"] = True


def timed_fit(make, problem, repeat):
    """Best wall time of ``repeat`` fits after one warm-up fit; warnings recorded."""
    wait_until_quiet()
    with foreign_cpu() as busy:
        # a new estimator for every call, made before the timed calls
        estimators = iter([make() for _ in range(repeat + 1)])
        timing = best_of(
            lambda: next(estimators).fit(problem.X, problem.y, tasks=problem.tasks), repeat
        )
    return timing.time, timing.value, timing.warnings, busy


def solver_path(make, problem):
    """What the skmtl dispatch ran, read off one fit's ``verbose=1`` output."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        make(verbose=1).fit(problem.X, problem.y, tasks=problem.tasks)
    text = out.getvalue()
    for marker, name in (
        ("[prox-Newton]", "proximal Newton"),
        ("[working sets]", "working sets"),
        ("  rho ", "ADMM"),  # ADMM's lines also start with "iter"
        ("epoch ", "coordinate descent"),
        ("iter ", "FISTA"),
    ):
        if marker in text:
            return name
    return "closed form" if not text.strip() else "?"


def profile_fit(make, problem, top=6):
    """One cProfile'd fit: the ``top`` functions by own time, and skmtl's own
    functions by cumulative time."""
    est = make()
    fit = lambda: est.fit(problem.X, problem.y, tasks=problem.tasks)
    return profile_call(fit, top=top, sep=".\n  - ")  # a sub-list in the report


def bench_skmtl(family, suffix, problem, sizes):
    """Rows for one estimator on one problem: solver "auto", and "fista" too when
    "auto" is a closed form."""
    name = family + suffix
    Est = getattr(skmtl, name)
    params = dict(STRENGTHS, **dict(MODELS_BY_FAMILY[family][1]), **problem.extra)
    rows = []
    for solver in ("auto", "fista"):

        def make(tol=1e-4, verbose=0, solver=solver):
            return Est(**params, tol=tol, max_iter=MAX_ITER, solver=solver, verbose=verbose)

        path = solver_path(make, problem)
        row = Row(problem, name, solver, path, params)
        for tol in TOLS:
            print(f"  skmtl {name} solver={solver} ({path}) tol={tol:g}", flush=True)
            seconds, model, caught, busy = timed_fit(
                lambda tol=tol: make(tol), problem, sizes.repeat
            )
            value = objective(model, problem, model.coef_, model.intercept_)
            row.fits[tol] = Fit(
                seconds,
                model.n_iter_,
                float(model.dual_gap_),
                value,
                float(model.objective_),
                task_spread(model.coef_),
                caught,
                busy["cores"],
            )
        row.make = make
        rows.append(row)
        if path != "closed form":
            break  # solver="fista" would run the same thing
    return rows


MODELS_BY_FAMILY = {family: (kind, extra) for family, kind, extra in MODELS}


# -------------------------------------------------------------------- cvxpy worker
@dataclass
class CvxpyRun:
    status: str  # "ok", "timeout", "failed: ...", "skipped: ..."
    time: float = np.nan
    objective: float = np.nan
    own_objective: float = np.nan
    n_runs: int = 0
    warnings: list = field(default_factory=list)
    busy: float = np.nan  # cores other processes used during the cvxpy fit(s), at most


def physical_memory():
    """Total RAM in bytes (None if unknown)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def _worker_main(conn, memory_limit):
    """Fit estimators with solver="cvxpy" on request; one warm-up per estimator.

    ``memory_limit`` (bytes of address space) makes a cvxpy fit that outgrows it
    fail in this process, rather than wake the system's out-of-memory killer.
    """
    import threading

    threading.Thread(target=exit_with_parent, daemon=True).start()
    if memory_limit:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_limit))
    import cvxpy  # noqa: F401  (imported before any timing)

    warmed = set()
    while True:
        job = conn.recv()
        if job is None:
            return
        name, params, X, y, tasks = job
        Est = getattr(skmtl, name)
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                if name not in warmed:  # cvxpy's first-call costs, on 3 tasks
                    keep = tasks < 3
                    small = dict(params)
                    if "graph" in small:
                        small["graph"] = np.asarray(small["graph"])[:3, :3]
                    Est(**small, solver="cvxpy").fit(X[keep], y[keep], tasks=tasks[keep])
                    warmed.add(name)
                conn.send(("started",))
                start = time.perf_counter()
                model = Est(**params, solver="cvxpy").fit(X, y, tasks=tasks)
                seconds = time.perf_counter() - start
            conn.send(
                (
                    "ok",
                    seconds,
                    model.coef_,
                    model.intercept_,
                    float(model.objective_),
                    warning_texts(caught),
                )
            )
        except Exception as exc:  # reported, not raised: the benchmark goes on
            conn.send(("failed", f"{type(exc).__name__}: {exc}"))


class CvxpyWorker:
    """A spawned process running the cvxpy fits, killed (by its handle) and
    restarted when a fit runs past the time limit.

    Not ``_common.Worker``: this one caps the worker's address space, warms each
    estimator up on 3 tasks, and says "started" before the timed fit, so that the
    other processes' CPU is measured over that fit only.
    """

    def __init__(self, memory_limit=None):
        self.process, self.memory_limit = None, memory_limit

    def _start(self):
        ctx = multiprocessing.get_context("spawn")
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(
            target=_worker_main, args=(child, self.memory_limit), daemon=True
        )
        self.process.start()
        child.close()

    def _stop(self, kill):
        if self.process is None:
            return
        if kill:
            self.process.kill()
        else:
            with contextlib.suppress(OSError, BrokenPipeError):
                self.conn.send(None)
        self.process.join(timeout=30)
        self.conn.close()
        self.process = None

    def close(self):
        self._stop(kill=False)

    def _receive(self, timeout):
        if not self.conn.poll(timeout):
            return None
        try:
            return self.conn.recv()
        except EOFError:
            self.process.join(timeout=30)
            code = self.process.exitcode
            hint = ""
            if code in (-6, -9) and self.memory_limit:  # abort() or the OOM killer
                hint = (
                    f"; most likely out of memory: limit "
                    f"{self.memory_limit / 2**30:.1f} GiB of address space"
                )
            return ("failed", f"the cvxpy worker died (exit code {code}{hint})")

    def fit_once(self, name, params, problem, timeout):
        if self.process is None or not self.process.is_alive():
            self._start()
        wait_until_quiet()
        self.conn.send((name, params, problem.X, problem.y, problem.tasks))
        message = self._receive(600)  # start-up, imports and warm-up are not timed
        busy = np.nan
        if message is not None and message[0] == "started":
            # other processes' CPU meanwhile: all of it, less ours and the worker's
            pid = self.process.pid
            before = (
                busy_cpu_seconds(),
                process_cpu_seconds(pid),
                time.process_time(),
                time.perf_counter(),
            )
            message = self._receive(timeout)
            after = (
                busy_cpu_seconds(),
                process_cpu_seconds(pid),
                time.process_time(),
                time.perf_counter(),
            )
            if None not in before + after and after[3] - before[3] >= MIN_WINDOW:
                other = (after[0] - before[0]) - (after[1] - before[1]) - (after[2] - before[2])
                busy = max(other, 0.0) / (after[3] - before[3])
        if message is None:
            self._stop(kill=True)
            return CvxpyRun("timeout", time=timeout), None
        if message[0] == "failed":
            if not self.process.is_alive():
                self._stop(kill=True)
            return CvxpyRun("failed: " + message[1]), None
        _, seconds, coef, intercept, own, caught = message
        return CvxpyRun("ok", seconds, own_objective=own, n_runs=1, warnings=caught, busy=busy), (
            coef,
            intercept,
        )

    def fit(self, name, params, problem, sizes):
        """Once; repeated (best of ``repeat``) when it is fast."""
        run, solution = self.fit_once(name, params, problem, sizes.cvxpy_timeout)
        while run.status == "ok" and run.n_runs < sizes.repeat and run.time < CVXPY_REPEAT_BELOW:
            again, _ = self.fit_once(name, params, problem, sizes.cvxpy_timeout)
            if again.status != "ok":
                break
            run.time, run.n_runs = min(run.time, again.time), run.n_runs + 1
            run.busy = np.nanmax([run.busy, again.busy])
        if solution is not None:
            est = getattr(skmtl, name)(**params)
            run.objective = objective(est, problem, *solution)
        return run


# ---------------------------------------------------------------------- the runs
def bench_all(sizes, worker, profile=0):
    """Phase 1: every skmtl timing (and the profiles), with no cvxpy running.
    Phase 2: cvxpy at full size, then on the smaller problem where that failed."""
    sizes_tasks = [sizes.n_tasks] + (
        [sizes.small_tasks] if sizes.small_tasks < sizes.n_tasks else []
    )
    timed = {}
    for family, kind, _ in MODELS:
        for loss, suffix in LOSSES:
            for n_tasks in sizes_tasks:
                problem = make_problem(kind, loss, n_tasks, sizes)
                print(f"[{problem.name}, {problem.loss}] {family + suffix}", flush=True)
                timed[family, loss, n_tasks] = bench_skmtl(family, suffix, problem, sizes)
    if profile:
        profile_slowest(
            [row for (_, _, n), rows in timed.items() if n == sizes.n_tasks for row in rows],
            profile,
        )

    def compare(family, loss, n_tasks, skip=None):
        rows = timed[family, loss, n_tasks]
        name = rows[0].estimator
        if skip:
            run = CvxpyRun("skipped: " + skip)
        else:
            print(
                f"[{rows[0].problem.name}] cvxpy {name} (time limit {sizes.cvxpy_timeout:g} s)",
                flush=True,
            )
            run = worker.fit(name, rows[0].params, rows[0].problem, sizes)
            print(f"    -> {run.status}, {run.time:.3g} s", flush=True)
        for row in rows:
            row.cvxpy = run
        return rows

    out = []
    for family, _, _ in MODELS:
        fallback, squared_time = [], None
        for loss, _ in LOSSES:
            skip = None
            if loss == "logistic" and (
                squared_time is None or squared_time > LOGISTIC_SKIP_FRACTION * sizes.cvxpy_timeout
            ):
                skip = (
                    "the squared-loss cvxpy fit of this model "
                    + ("did not finish" if squared_time is None else f"took {squared_time:.3g} s")
                    + f" (> {LOGISTIC_SKIP_FRACTION:g} x the time limit)"
                )
            rows = compare(family, loss, sizes.n_tasks, skip)
            out += rows
            if loss == "squared" and rows[0].cvxpy.status == "ok":
                squared_time = rows[0].cvxpy.time
            if rows[0].cvxpy.status != "ok" and len(sizes_tasks) > 1:
                fallback.append(loss)
        for loss in fallback:
            out += compare(family, loss, sizes.small_tasks)
    return out


def profile_slowest(rows, count):
    """cProfile the ``count`` slowest skmtl estimators at the tightest tol."""
    tol, seen = TOLS[-1], set()
    for row in sorted(rows, key=lambda r: -r.fits[tol].time):
        if len(seen) == count or (row.estimator, row.solver) in seen:
            continue
        seen.add((row.estimator, row.solver))
        print(f"  profiling {row.estimator} solver={row.solver} on {row.problem.name}", flush=True)
        wait_until_quiet()
        row.profile = profile_fit(lambda row=row: row.make(tol), row.problem)


# ---------------------------------------------------------------------- reporting
def ratio_cell(row, tol):
    run, fit = row.cvxpy, row.fits[tol]
    if run.status == "ok":
        return f"{run.time / fit.time:.1f}"
    if run.status == "timeout":
        return f"> {run.time / fit.time:.0f}"
    return ""


def row_rel_diff(row, tol):
    run = row.cvxpy
    if run.status != "ok":
        return np.nan
    return rel_diff(row.fits[tol].objective, run.objective)


def row_notes(row):
    """Objective mismatches, warnings, certificate violations; then cvxpy's status."""
    notes = row_flags(row)
    if row.cvxpy.status != "ok":
        notes.append("cvxpy " + row.cvxpy.status)
    return "; ".join(notes)


def row_flags(row):
    notes = []
    for tol, fit in row.fits.items():
        note = objective_note(fit.own_objective, fit.objective, f"skmtl (tol={tol:g})")
        if note:
            notes.append(note)
        notes += [f"tol={tol:g}: {w}" for w in fit.warnings]
        if fit.busy > BUSY_CORES:
            notes.append(
                f"tol={tol:g}: other processes used {fit.busy:.2f} cores while this was timed"
            )
    run = row.cvxpy
    if run.status == "ok":
        note = objective_note(run.own_objective, run.objective, "cvxpy")
        if note:
            notes.append(note)
        notes += [f"cvxpy: {w}" for w in run.warnings]
        if run.busy > BUSY_CORES:
            notes.append(
                f"cvxpy: other processes used {run.busy:.2f} cores while it "
                "ran (its time, and the ratio, may be inflated)"
            )
        # the duality gap certifies skmtl's objective - optimum <= dual_gap_
        fit = row.fits[TOLS[-1]]
        excess = fit.objective - run.objective
        slack = OBJECTIVE_RTOL * max(abs(run.objective), 1.0)
        if np.isfinite(fit.dual_gap) and excess < -(fit.dual_gap + slack):
            notes.append(
                f"cvxpy's objective is below skmtl's dual bound (by {-excess - fit.dual_gap:.1e})"
            )
    return notes


def main_table(rows, sizes):
    lo, hi = TOLS
    columns = [
        "problem",
        "estimator",
        "skmtl solver",
        f"time tol={lo:g} (s)",
        "n_iter",
        f"rel. diff tol={lo:g}",
        f"time tol={hi:g} (s)",
        "n_iter",
        "dual_gap_",
        f"rel. diff tol={hi:g}",
        "cvxpy time (s)",
        "objective cvxpy",
        f"ratio tol={lo:g}",
        f"ratio tol={hi:g}",
        "task spread",
        "notes",
    ]
    cells = []
    for row in rows:
        a, b, run = row.fits[lo], row.fits[hi], row.cvxpy
        solver = row.path + ("" if row.solver == "auto" else f' (solver="{row.solver}")')
        problem = row.problem.name + (" (smaller)" if row.problem.n_tasks != sizes.n_tasks else "")
        cells.append(
            [
                problem,
                row.estimator,
                solver,
                fmt_time(a.time),
                str(a.n_iter),
                fmt_rel_nan(row_rel_diff(row, lo)),
                fmt_time(b.time),
                str(b.n_iter),
                f"{b.dual_gap:.1e}",
                fmt_rel_nan(row_rel_diff(row, hi)),
                cvxpy_cell(run),
                f"{run.objective:.12g}" if run.status == "ok" else "",
                ratio_cell(row, lo),
                ratio_cell(row, hi),
                f"{b.spread:.2f}",
                row_notes(row),
            ]
        )
    return markdown_table(columns, cells)


def fmt_rel_nan(value):
    return "" if not np.isfinite(value) else fmt_rel(value)


def summary_lines(rows, sizes):
    lines = []
    for tol in TOLS:
        done = [row for row in rows if row.cvxpy.status == "ok"]
        ratios = [row.cvxpy.time / row.fits[tol].time for row in done]
        if ratios:
            lines.append(
                f"- cvxpy / skmtl at tol={tol:g}, over the {len(ratios)} "
                f"comparisons where cvxpy finished: {ratio_summary(ratios)}"
            )
        bounds = [
            row.cvxpy.time / row.fits[tol].time for row in rows if row.cvxpy.status == "timeout"
        ]
        if bounds:
            lines.append(
                f"- cvxpy / skmtl at tol={tol:g} where cvxpy was stopped at "
                f"{sizes.cvxpy_timeout:g} s (lower bounds): "
                + ", ".join(f"> {b:.0f}" for b in bounds)
            )
        diffs = [abs(row_rel_diff(row, tol)) for row in done]
        if diffs:
            lines.append(f"- largest |rel. diff| skmtl vs cvxpy at tol={tol:g}: {max(diffs):.1e}")
    misses = []
    for row in rows:
        label = (
            f"{row.estimator}"
            + ("" if row.solver == "auto" else f' solver="{row.solver}"')
            + f" on {row.problem.name}"
        )
        for tol, fit in row.fits.items():
            if row.cvxpy.status == "ok" and row.cvxpy.time / fit.time < TARGET_RATIO:
                misses.append(
                    f"{label}, tol={tol:g}: ratio "
                    f"{row.cvxpy.time / fit.time:.1f} < {TARGET_RATIO:g}"
                )
            if fit.time > TARGET_TIME:
                misses.append(f"{label}, tol={tol:g}: fit {fit.time:.3g} s > {TARGET_TIME:g} s")
    lines.append(
        f"- targets (cvxpy / skmtl >= {TARGET_RATIO:g}, every fit < "
        f"{TARGET_TIME:g} s): "
        + ("all met" if not misses else "missed by")
        + "".join(f"\n  - {miss}" for miss in misses)
    )
    slowest = max(fit.time for row in rows for fit in row.fits.values())
    lines.append(f"- slowest single skmtl fit: {slowest:.3g} s")
    flagged = [
        row for row in rows if any("other processes used" not in note for note in row_flags(row))
    ]
    lines.append(
        f"- rows with an objective mismatch, a warning or a certificate "
        f"violation (see their notes): {len(flagged)}"
        + (
            ""
            if not flagged
            else " (" + ", ".join(f"{r.estimator} on {r.problem.name}" for r in flagged) + ")"
        )
    )
    runs = {id(row.cvxpy): row.cvxpy for row in rows if row.cvxpy.status == "ok"}
    busy_cvx = [run.busy for run in runs.values() if run.busy > BUSY_CORES]
    lines.append(
        f"- cvxpy fits during which other processes used more than "
        f"{BUSY_CORES:g} cores: {len(busy_cvx)} of {len(runs)}"
        + (f" (up to {max(busy_cvx):.2f} cores)" if busy_cvx else "")
    )
    busy = [fit.busy for row in rows for fit in row.fits.values() if fit.busy > BUSY_CORES]
    lines.append(
        f"- skmtl timings during which other processes used more than "
        f"{BUSY_CORES:g} cores: {len(busy)} of "
        f"{sum(len(row.fits) for row in rows)}"
        + (f" (up to {max(busy):.2f} cores): rerun on an idle machine" if busy else "")
    )
    return lines


def report(args, header, rows, elapsed):
    sizes = args.sizes
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    load += (
        f"; waited {QUIET['waited']:.0f} s (budget {args.wait_quiet:g} s) for "
        f"other processes to use under {BUSY_CORES:g} cores before skmtl timings"
        + (", then gave up" if QUIET["gave_up"] else "")
    )
    if FOREIGN["wall"] > 0:
        load += (
            "; CPU used by other processes during the skmtl timings: "
            f"{FOREIGN['cpu'] / FOREIGN['wall']:.2f} cores on average, at most "
            f"{FOREIGN['peak']:.2f} during one (from /proc/stat)"
        )
    parts = [
        "# Task-relationship models: skmtl against cvxpy",
        header + f"\n- load average at the end: {load}",
        f"Every skmtl time is the best of {sizes.repeat} calls after one warm-up call; "
        f"all of them (and the profiles) are taken before any cvxpy fit runs. "
        f'cvxpy (CLARABEL, as `solver="cvxpy"` sets it up; time includes cvxpy\'s '
        f"problem construction) runs in a worker process after one warm-up fit on 3 "
        f"tasks; fits under {CVXPY_REPEAT_BELOW:g} s are the best of {sizes.repeat}, "
        f'slower ones are timed once ("1 run"), and a fit is stopped after '
        f"{sizes.cvxpy_timeout:g} s or when it outgrows "
        + (
            f"{args.memory_limit / 2**30:.1f} GiB of address space"
            if args.memory_limit
            else "the memory"
        )
        + ". Every objective is recomputed from `coef_` and "
        f"`intercept_` (the data term, every sample counting once as the estimators' "
        f"default task weights weigh it, + `_make_penalty(T).value`); "
        f"`objective_` is checked against it ({OBJECTIVE_RTOL:g} relative). "
        f"Whole run: {elapsed:.0f} s.",
        "## Summary\n\n" + "\n".join(summary_lines(rows, sizes)),
        "## Results\n\n"
        f"School-sized problems: {sizes.n_tasks} tasks, rows per task drawn from "
        f"randint{sizes.rows_per_task}, d={sizes.n_features}, from skmtl's generators "
        f"(`make_mean_tasks` for the mean-regularized and task-relation models, "
        f"`make_chain_tasks` and its chain graph for the graph model, "
        f"`make_clustered_tasks` with {N_CLUSTERS} clusters for the clustered model; "
        f"noise 0.5; classifier labels 0/1). Strengths alpha={STRENGTHS['alpha']:g}, "
        f"beta={STRENGTHS['beta']:g}, n_clusters={N_CLUSTERS}. Where cvxpy was stopped, "
        f"failed or was skipped at full size, the model is compared again on "
        f'{sizes.small_tasks} tasks ("smaller"). "skmtl solver" is what the '
        f"default dispatch ran (read off `verbose=1`); the classifiers run proximal "
        f'Newton for both `solver="auto"` and `"fista"`, so only one is timed. '
        f"rel. diff = (skmtl - cvxpy) / cvxpy, recomputed objectives; ratio = cvxpy "
        f'time / skmtl time ("> x": cvxpy was stopped); task spread = '
        f"||W - w_bar||_F / ||W||_F of skmtl's tol={TOLS[-1]:g} solution (0: one "
        f"pooled model).\n\n" + main_table(rows, sizes),
    ]
    profiled = [row for row in rows if row.profile]
    if profiled:
        parts.append(
            "## Where the time goes: the slowest skmtl fits\n\n"
            f"cProfile of one fit at tol={TOLS[-1]:g} of each of the "
            f"{len(profiled)} slowest estimators (profiler overhead included):"
            "\n\n"
            + "\n".join(
                f"- {row.estimator} ({row.path}) on {row.problem.name}: {row.profile}"
                for row in profiled
            )
        )
    return "\n\n".join(parts) + "\n"


# ---------------------------------------------------------------------------- main
def parse_args(argv):
    # --wait-quiet (below) instead of _common's --wait
    parser = base_parser(__doc__, DEFAULT_OUTPUT, wait=False)
    parser.add_argument(
        "--cvxpy-timeout",
        type=float,
        default=None,
        help="seconds before a cvxpy fit is stopped (default 300; 30 with --quick)",
    )
    parser.add_argument(
        "--small-tasks",
        type=int,
        default=None,
        help="tasks of the fallback problem (default 30; 6 with --quick)",
    )
    parser.add_argument(
        "--cvxpy-memory",
        type=float,
        default=None,
        help="address-space limit of the cvxpy worker in GiB (default 60%% of the RAM; 0: none)",
    )
    parser.add_argument(
        "--wait-quiet",
        type=float,
        default=None,
        help="seconds the run may wait, in all, before skmtl timings "
        f"for other processes to use under {BUSY_CORES:g} cores "
        "(default 600; 0 with --quick)",
    )
    parser.add_argument(
        "--profile",
        type=int,
        default=3,
        help="cProfile this many of the slowest skmtl fits (default 3)",
    )
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    changes = {
        key: value
        for key, value in (
            ("repeat", args.repeat),
            ("cvxpy_timeout", args.cvxpy_timeout),
            ("small_tasks", args.small_tasks),
        )
        if value is not None
    }
    args.sizes = dataclasses.replace(sizes, **changes)
    if args.output is None and not args.quick:
        args.output = DEFAULT_OUTPUT
    if args.wait_quiet is None:
        args.wait_quiet = 0.0 if args.quick else 600.0
    if args.cvxpy_memory is None:
        ram = physical_memory()
        args.memory_limit = int(0.6 * ram) if ram else None
    else:
        args.memory_limit = int(args.cvxpy_memory * 2**30) or None
    return args


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parse_args(argv)
    # the header (and its load average) at the start, as it says
    header = script_header(SCRIPT, argv)
    start = time.perf_counter()
    worker = CvxpyWorker(args.memory_limit)
    QUIET["left"] = args.wait_quiet
    try:
        rows = bench_all(args.sizes, worker, args.profile)
    except BaseException:
        worker._stop(kill=True)
        raise
    worker.close()
    text = report(args, header, rows, time.perf_counter() - start)
    write_report(text, args.output)
    return text


if __name__ == "__main__":
    main()
