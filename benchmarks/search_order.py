"""What numbering the pages in the order of their URLs costs (search_bundle.canonical_page_order).

For each size (SYNTHETIC DATA, tests/synthetic.py; 0 means the example portal) it builds the
site without search, runs Pagefind once (as it writes its bundle: ``compact=False``), then times,
on fresh copies of that bundle, each rewrite of the search stage in the order ``index_site``
runs them, interleaved over the repetitions (on a shared machine, only figures taken side by
side compare); it prints the median per page of CPU time, and Pagefind's own run for scale.

    python benchmarks/search_order.py [--sizes 0 300 1000] [--reps 3] [--work DIR]

Needs `npm ci` (Pagefind).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from synthetic import generate  # noqa: E402

from site_builder.build import build  # noqa: E402
from site_builder.search import index_site  # noqa: E402
from site_builder.search_bundle import (canonical_page_order, drop_anchors, recompress_metadata,  # noqa: E402
                                        shorten_fragment_names)

STEPS = [("drop_anchors", drop_anchors), ("canonical_page_order", canonical_page_order),
         ("shorten_fragment_names", shorten_fragment_names), ("recompress_metadata", recompress_metadata)]


def pressure() -> str:
    try:
        return Path("/proc/pressure/cpu").read_text().splitlines()[0]
    except OSError:
        return "n/a"


def site_of(size: int, work: Path) -> Path:
    out = work / f"n{size}" / "out"
    if not out.exists():
        content = REPO / "content"
        if size:
            content = work / f"n{size}" / "content"
            generate(content, documents=size, seed=1)
        build(content, out, search=False)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[0, 300, 1000])
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--work", type=Path, default=Path("/tmp/site-builder-order-bench"))
    args = parser.parse_args()
    print(f"CPU pressure before: {pressure()}")
    for size in args.sizes:
        site = site_of(size, args.work)
        raw = args.work / f"n{size}" / "raw"
        shutil.rmtree(raw, ignore_errors=True)
        started = time.perf_counter()
        result = index_site(site, bundle=raw, compact=False)
        pagefind = time.perf_counter() - started
        pages = result.pages
        seconds: dict[str, list[float]] = {name: [] for name, _ in STEPS}
        for _ in range(args.reps):
            copy = args.work / f"n{size}" / "copy"
            shutil.rmtree(copy, ignore_errors=True)
            shutil.copytree(raw, copy)
            for name, step in STEPS:
                started = time.process_time()
                step(copy)
                seconds[name].append(time.process_time() - started)
        print(f"{size or 'example'}: {pages} pages, Pagefind {pagefind / pages * 1000:.1f} ms a page (wall, "
              f"{result.peak_memory / 2**20:.0f} MB); CPU ms a page, median of {args.reps}: " + ", ".join(
                  f"{name} {statistics.median(values) / pages * 1000:.1f}" for name, values in seconds.items()))
    print(f"CPU pressure after: {pressure()}")


if __name__ == "__main__":
    main()
