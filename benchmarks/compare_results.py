"""Before/after ratios of the skmtl rows of two results files of one benchmark.

``python benchmarks/compare_results.py BEFORE.md AFTER.md`` prints a markdown table
of every skmtl time found in both files (rows keyed by the cells left of the first
time column; rows of sklearn, skglm and cvxpy left out) with ``after / before``,
and a summary line (median, geometric mean, extremes). The files must come from
the same script on the same problems (issue 18's reruns,
``results/issue18/README.md``). With ``--any-method``, a key cell that only names
the method ``solver="auto"`` ran ("FISTA", "ADMM", "CD") is read as "auto", so that
a fit whose automatic choice changed is still compared.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import numpy as np

PEERS = ("sklearn", "skglm", "cvxpy")


def tables(path):
    """The markdown tables of ``path``: ``{"header": [...], "rows": [[...], ...]}``."""
    out, current = [], None
    with open(path) as handle:
        for line in handle:
            if line.startswith("|"):
                cells = [c.strip() for c in line.strip().strip("|").split("|")]
                if current is None:
                    current = {"header": cells, "rows": []}
                elif not set("".join(cells)) <= set("-: "):
                    current["rows"].append(cells)
            elif current is not None:
                out.append(current)
                current = None
    if current is not None:
        out.append(current)
    return out


def number(cell):
    match = re.match(r"^[+-]?[0-9.]+(e[+-]?\d+)?", cell)
    return float(match.group(0)) if match else None


#: the method labels that --any-method reads as "auto"
METHODS = ("FISTA", "ADMM", "CD")


def records(path, any_method=False):
    """``{(row key, time column): seconds}`` of the skmtl rows of ``path``."""
    found = {}
    for table in tables(path):
        header = table["header"]
        times = [
            i
            for i, c in enumerate(header)
            if "time" in c
            and "cvxpy" not in c
            and "matched" not in c
            and not (c.startswith("skmtl time") and "method" in header)
        ]
        if not times:
            continue
        keys = [i for i in range(min(times)) if header[i] != "n_iter"]
        for row in table["rows"]:
            if len(row) != len(header) or any(row[i].startswith(PEERS) for i in keys):
                continue
            cells = [row[i] for i in keys]
            if any_method:
                cells = ["auto" if c in METHODS else c for c in cells]
            key = " / ".join(cells)  # (one cell of the output table)
            for i in times:
                value = number(row[i])
                if value is not None:
                    found[key, header[i]] = value
    return found


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("before", type=Path, help="the earlier results file (markdown)")
    parser.add_argument("after", type=Path, help="the later results file of the same script")
    parser.add_argument(
        "--any-method",
        action="store_true",
        help='read a key cell naming the method solver="auto" ran as "auto"',
    )
    args = parser.parse_args(argv)
    for path in (args.before, args.after):
        if not path.is_file():
            parser.error(f"no file {path}")
    before, after = records(args.before, args.any_method), records(args.after, args.any_method)
    common = sorted(set(before) & set(after))
    if not common:
        print(
            f"No skmtl time is in both files ({len(before)} in {args.before}, {len(after)} "
            f"in {args.after}): are they from the same script on the same problems?"
        )
        return 1
    lines = ["| row | column | before (s) | after (s) | after / before |", "|---|---|---|---|---|"]
    ratios = np.array([after[k] / before[k] for k in common])
    for k, r in zip(common, ratios, strict=True):
        lines.append(f"| {k[0]} | {k[1]} | {before[k]:.3g} | {after[k]:.3g} | {r:.2f} |")
    lines.append("")
    lines.append(
        f"{len(common)} times in both files (of {len(before)} and {len(after)}); "
        f"after / before: median {np.median(ratios):.2f}, geometric mean "
        f"{np.exp(np.log(ratios).mean()):.2f}, min {ratios.min():.2f}, max {ratios.max():.2f}"
    )
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
