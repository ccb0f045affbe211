"""What the build's no-lost-number check costs: clean builds of one content folder with
``coverage.check_document`` on and off, in one process, interleaved (issue 26).

    python benchmarks/coverage_ab.py CONTENT [--reps 3]

CONTENT: e.g. the synthetic portal ``benchmarks/build.py`` makes (WORK/n1000/content). Each
build is ``jobs=1`` and without the search index, into its own temporary folder; the ratio
on ÷ off is taken per pair (the machine's speed drifts within minutes).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from site_builder import coverage
from site_builder.build import build


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("content", type=Path)
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()
    real = coverage.check_document
    times: dict[str, list[float]] = {"on": [], "off": []}
    with tempfile.TemporaryDirectory() as work:
        for rep in range(args.reps):
            for mode in ("on", "off") if rep % 2 == 0 else ("off", "on"):
                coverage.check_document = real if mode == "on" else (lambda *a, **k: None)
                out = Path(work) / mode
                shutil.rmtree(out, ignore_errors=True)
                start = time.perf_counter()
                build(args.content, out, search=False, jobs=1, clean=True)
                times[mode].append(time.perf_counter() - start)
                print(f"{mode:3} {times[mode][-1]:.2f} s", flush=True)
    coverage.check_document = real
    ratios = [a / b for a, b in zip(times["on"], times["off"], strict=True)]
    print(f"median on {statistics.median(times['on']):.2f} s, off {statistics.median(times['off']):.2f} s; "
          f"on ÷ off per pair {', '.join(f'{r:.3f}' for r in ratios)} (median {statistics.median(ratios):.3f})")
    print(Path("/proc/pressure/cpu").read_text().splitlines()[0])


if __name__ == "__main__":
    main()
