"""Helpers shared by ``bench_low_rank.py``, ``bench_model_selection.py``,
``bench_scale.py`` and ``bench_task_relations.py``: the results header, waiting for
an idle machine, best-of-N timing, a worker process with a time limit, peak memory,
profiling and markdown.

The header, number formats and ``git_revision`` are the ones of
``bench_group_lasso.py`` (imported, not copied), so every results file looks alike.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import multiprocessing
import os
import pstats
import subprocess
import sys
import threading
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_group_lasso import (  # noqa: E402,F401  (re-exported for the scripts)
    HERE,
    data_term,
    environment_header,
    fmt_rel,
    fmt_time,
    git_revision,
    predictions,
    ratio_summary,
    task_means,
)

RESULTS = HERE / "results"
#: other benchmarks whose runs would disturb the timings
BUSY_PATTERN = "bench_task_relations|bench_group_lasso|bench_paths|bench_iteration"


# ------------------------------------------------------------------- command line
def base_parser(doc, default_output, wait=True):
    """``--quick``, ``--repeat``, ``--output`` and (unless ``wait`` is false)
    ``--wait``, as in the other scripts."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="small problems, one repetition: a smoke run "
        "(writes no file unless --output is given)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=None,
        help="timed repetitions per measurement (default 3; 1 with --quick)",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=None,
        help=f"results file (default {default_output.relative_to(HERE.parent)})",
    )
    if wait:
        parser.add_argument(
            "--wait",
            type=float,
            default=None,
            help="seconds to wait for other benchmarks to finish before the "
            "timed runs (default 1200; 0 with --quick)",
        )
    return parser


def finish_args(args, default_output):
    if args.repeat is None:
        args.repeat = 1 if args.quick else 3
    if args.wait is None:
        args.wait = 0 if args.quick else 1200
    if args.output is None and not args.quick:
        args.output = default_output
    return args


# ------------------------------------------------------------------ idle machine
def busy_processes(pattern=BUSY_PATTERN):
    """``pid command`` lines of other processes whose command line matches."""
    try:
        out = subprocess.run(["pgrep", "-af", pattern], capture_output=True, text=True)
    except OSError:
        return []
    own = {str(os.getpid()), str(os.getppid())}
    return [line for line in out.stdout.splitlines() if line.split(" ", 1)[0] not in own]


def wait_for_quiet(limit, poll=30.0, pattern=BUSY_PATTERN):
    """Wait (polling every ``poll`` s, at most ``limit`` s) until no other benchmark
    runs; returns a sentence for the results header."""
    start = time.monotonic()
    seen = busy_processes(pattern)
    while seen and time.monotonic() - start < limit:
        print(
            f"waiting for {len(seen)} other benchmark process(es): {seen[0][:80]}",
            file=sys.stderr,
            flush=True,
        )
        time.sleep(poll)
        seen = busy_processes(pattern)
    waited = time.monotonic() - start
    if seen:
        return (
            f"other benchmarks still running after waiting {waited:.0f} s "
            f"({'; '.join(s[:80] for s in seen)}): timings may be disturbed"
        )
    return f'no other benchmark running (`pgrep -f "{pattern}"`; waited {waited:.0f} s)'


def uptime():
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    except OSError:
        return "?"


def busy_cpu_seconds():
    """CPU seconds all processes have used (``/proc/stat``), or None."""
    try:
        with open("/proc/stat") as f:
            fields = [int(x) for x in f.readline().split()[1:9]]
    except (OSError, ValueError):
        return None
    user, nice, system, _, _, irq, softirq, steal = fields
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


class CpuMonitor:
    """The CPU time other processes use while a benchmark runs: all the machine's
    busy time (``/proc/stat``) less this process's and its finished children's."""

    def __init__(self):
        self.start = self._snapshot()

    @staticmethod
    def _snapshot():
        own = os.times()
        return busy_cpu_seconds(), sum(own[:4]), time.monotonic()

    def note(self):
        (busy0, own0, wall0), (busy1, own1, wall1) = self.start, self._snapshot()
        text = f"`uptime` at the end: {uptime()}"
        if busy0 is None or busy1 is None:
            return text
        other = max(busy1 - busy0 - (own1 - own0), 0.0)
        return (
            text + f"; CPU used by other processes during the run: "
            f"{other / (wall1 - wall0):.2f} cores on average (from /proc/stat)"
        )


def script_header(script, argv):
    """``bench_group_lasso``'s environment header, naming ``script``."""
    return environment_header(argv, git_revision()).replace(
        "benchmarks/bench_group_lasso.py", script
    )


def header(script, argv, wait_note):
    """:func:`script_header`, plus ``uptime`` and whether other benchmarks were
    running."""
    return (
        script_header(script, argv)
        + f"\n- `uptime` before the timed runs: {uptime()}\n- {wait_note}"
    )


# ------------------------------------------------------------------------- timing
@dataclass
class Timing:
    time: float  # best wall time (s)
    value: object  # what the last call returned
    warnings: list = field(default_factory=list)  # distinct warning texts
    n_runs: int = 1  # timed calls the best was taken from
    note: str = ""  # e.g. "1 run": the warm-up call was the timing

    def label(self):
        """The time as text, with its note."""
        return fmt_time(self.time) + (f" ({self.note})" if self.note else "")


def warning_texts(caught):
    seen = []
    for w in caught:
        text = f"{w.category.__name__}: {str(w.message).splitlines()[0][:160]}"
        if text not in seen:
            seen.append(text)
    return seen


def best_of(fn, repeat, warm_up=True):
    """Best wall time of ``repeat`` calls of ``fn()`` after one untimed warm-up
    call; every warning is recorded, not shown."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        value = fn() if warm_up else None
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            value = fn()
            times.append(time.perf_counter() - start)
    return Timing(min(times), value, warning_texts(caught), len(times))


def once(fn):
    """One timed call, no warm-up (for runs too long to repeat)."""
    timing = best_of(fn, 1, warm_up=False)
    timing.note = "1 run"
    return timing


def best_of_adaptive(fn, repeat, once_above=10.0):
    """As :func:`best_of`, except that the warm-up call is timed too, and is the
    only call when it took more than ``once_above`` seconds (start-up costs are
    then negligible, and repeating would cost minutes)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        start = time.perf_counter()
        value = fn()
        first = time.perf_counter() - start
    if first > once_above:
        return Timing(first, value, warning_texts(caught), 1, "1 run")
    timing = best_of(fn, repeat, warm_up=False)
    timing.warnings = warning_texts(caught) + [
        w for w in timing.warnings if w not in warning_texts(caught)
    ]
    return timing


# ------------------------------------------------------------------- worker process
def exit_with_parent():
    """Exit when the parent process dies (the worker is then reparented)."""
    parent = os.getppid()
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(1)


def _serve(conn):
    """Run ``(fn, args, kwargs)`` jobs until told to stop (None)."""
    threading.Thread(target=exit_with_parent, daemon=True).start()
    while True:
        job = conn.recv()
        if job is None:
            return
        fn, args, kwargs = job
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                value = fn(*args, **kwargs)
            conn.send(("ok", value, warning_texts(caught)))
        except Exception as exc:  # reported to the parent, which goes on
            conn.send(("failed", f"{type(exc).__name__}: {exc}", []))


@dataclass
class Outcome:
    status: str  # "ok", "timeout" or "failed"
    value: object = None  # fn's return value, or the error text
    warnings: list = field(default_factory=list)


class Worker:
    """A spawned Python process running module-level functions on request; killed
    (by its own handle) and restarted when a call runs past its time limit."""

    def __init__(self):
        self.process = self.conn = None

    def _start(self):
        ctx = multiprocessing.get_context("spawn")
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_serve, args=(child,), daemon=True)
        self.process.start()
        child.close()

    def stop(self, kill=False):
        if self.process is None:
            return
        if kill:
            self.process.kill()
        else:
            with contextlib.suppress(OSError, BrokenPipeError):
                self.conn.send(None)
        self.process.join(timeout=30)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(timeout=30)
        self.conn.close()
        self.process = None

    def call(self, fn, *args, timeout=None, **kwargs):
        """``fn(*args, **kwargs)`` in the worker; an :class:`Outcome`."""
        if self.process is None or not self.process.is_alive():
            self._start()
        self.conn.send((fn, args, kwargs))
        if not self.conn.poll(timeout):
            self.stop(kill=True)
            return Outcome("timeout", timeout)
        try:
            return Outcome(*self.conn.recv())
        except EOFError:
            self.process.join(timeout=30)
            code = self.process.exitcode
            self.stop(kill=True)
            return Outcome("failed", f"the worker died (exit code {code})")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop(kill=exc[0] is not None)


def isolated(fn, *args, timeout=None, **kwargs):
    """``fn(*args, **kwargs)`` in a fresh process (for peak-memory measurements)."""
    with Worker() as worker:
        return worker.call(fn, *args, timeout=timeout, **kwargs)


# ------------------------------------------------------------------------- memory
def _status_kib(field_name):
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field_name + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def rss_gib():
    """This process's resident set size now (GiB), or NaN."""
    kib = _status_kib("VmRSS")
    return float("nan") if kib is None else kib / 2**20


def reset_peak_rss():
    """Restart the peak-RSS count (``VmHWM``) at the current RSS; False where Linux
    does not allow it (the peak then covers the process's whole life)."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def peak_rss_gib():
    """Peak RSS of this process since :func:`reset_peak_rss` (or its start), GiB."""
    kib = _status_kib("VmHWM")
    if kib is None:
        import resource

        kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return kib / 2**20


# ---------------------------------------------------------------------- profiling
def profile_call(fn, top=6, sep="; "):
    """One cProfile'd call of ``fn()``: the ``top`` functions by own time, and
    skmtl's own functions by cumulative time, as one markdown-ready string whose
    three parts are joined by ``sep``."""
    profiler = cProfile.Profile()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        profiler.enable()
        fn()
        profiler.disable()
    stats = pstats.Stats(profiler)
    total = stats.total_tt

    def describe(entries, column):
        parts = []
        for (filename, _, func), (_, ncalls, tottime, cumtime, _) in entries:
            seconds = tottime if column == "own" else cumtime
            where = Path(filename).name if filename != "~" else ""
            parts.append(
                f"`{where + ':' if where else ''}{func}` {seconds:.3g} s "
                f"({100 * seconds / total:.0f}%, {ncalls} calls)"
            )
        return "; ".join(parts)

    own = sorted(stats.stats.items(), key=lambda item: -item[1][2])[:top]
    package = f"{os.sep}skmtl{os.sep}"
    ours = [
        item
        for item in stats.stats.items()
        if package in item[0][0] and item[0][2] not in ("fit", "<module>")
    ]
    ours = sorted(ours, key=lambda item: -item[1][3])[:top]
    return (
        f"{total:.3g} s under the profiler{sep}by own time: {describe(own, 'own')}"
        f"{sep}skmtl functions by cumulative time: {describe(ours, 'cumulative')}"
    )


# ---------------------------------------------------------------------- reporting
def markdown_table(columns, rows):
    """A markdown table; cells are turned into text, ``|`` escaped."""

    def cell(value):
        return str(value).replace("|", "/")

    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def cvxpy_cell(run):
    """A cvxpy run's time as a table cell: ``run`` has ``status`` ("ok", "timeout",
    "failed: ..." or "skipped: ..."), ``time`` and ``n_runs``."""
    if run.status == "ok":
        return fmt_time(run.time) + ("" if run.n_runs > 1 else " (1 run)")
    if run.status == "timeout":
        return f"> {run.time:g} (stopped)"
    return run.status.split(":")[0]  # failed, skipped: the reason is in the notes


def rel_diff(value, reference):
    return (value - reference) / abs(reference) if reference else float("nan")


def write_report(text, output):
    print(text)
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text)
        print(f"written to {output}", file=sys.stderr)
