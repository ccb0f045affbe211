"""What the XLSX download costs: CPU milliseconds per document for ``workbook.document_workbook``.

Loads the three example documents (content/) and a synthetic portal (tests/synthetic.py,
SYNTHETIC DATA; generated into --work when missing), then times each variant over each set of
documents for several rounds and prints the median CPU ms per document (process time, so other
load on the machine counts less than it would in wall time). Variants are timed interleaved,
round by round, so that their ratios come from one run:

    workbook        the build's writer: the layout code (workbook.py) writing with xlsx.py
    xlsxwriter      the same layout code writing with xlsxwriter (the bytes are the same; it is
                    what the build used until 2026-12-03, and the tests' oracle)
    layout          the layout code alone, writing into a writer whose calls do nothing: the
                    floor of any writer

    python benchmarks/xlsx_cost.py [--documents 60] [--rounds 7] [--profile] [--variants ...]

``--profile`` also prints cProfile's top functions (by tottime and by cumtime) for one pass of
``workbook`` over the synthetic documents.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))     # tests/synthetic.py makes the synthetic portal

import xlsxwriter  # noqa: E402  (pip install -e '.[test]')
from synthetic import generate  # noqa: E402

from site_builder import workbook  # noqa: E402
from site_builder.content import load_portal  # noqa: E402


def xlsxwriter_workbook(doc) -> bytes:
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_numbers": False,
                                     "strings_to_formulas": False, "strings_to_urls": False})
    workbook.lay_out(doc, book)
    book.close()
    return out.getvalue()


class _Nothing:
    """A writer whose every call does nothing (and returns itself): the layout code's own cost."""

    def __getattr__(self, name):
        return self

    def __call__(self, *args, **kwargs):
        return self


def layout_only(doc) -> bytes:
    workbook.lay_out(doc, _Nothing())
    return b""


def variants() -> dict:
    return {"workbook": workbook.document_workbook, "xlsxwriter": xlsxwriter_workbook,
            "layout": layout_only}


def cpu_ms_per_doc(function, docs) -> tuple[float, int]:
    start = time.process_time()
    size = 0
    for doc in docs:
        size += len(function(doc))
    return (time.process_time() - start) * 1000 / len(docs), size // len(docs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--work", type=Path, default=Path("/tmp/site-builder-xlsx-bench"))
    parser.add_argument("--variants", nargs="+", default=None)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    content = args.work / f"n{args.documents}" / "content"
    if not (content / "site.yaml").is_file():
        generate(content, args.documents)
    sets = {"example (3 docs)": load_portal(REPO / "content").documents,
            f"synthetic ({args.documents} docs)": load_portal(content).documents}
    chosen = {k: v for k, v in variants().items() if args.variants is None or k in args.variants}
    for docs in sets.values():                      # warm up: imports, caches, lazy properties
        for function in chosen.values():
            for doc in docs:
                function(doc)
    times: dict[tuple[str, str], list[float]] = {(s, v): [] for s in sets for v in chosen}
    sizes: dict[tuple[str, str], int] = {}
    for _ in range(args.rounds):
        for set_name, docs in sets.items():
            for name, function in chosen.items():
                ms, size = cpu_ms_per_doc(function, docs * (20 if len(docs) < 10 else 1))
                times[(set_name, name)].append(ms)
                sizes[(set_name, name)] = size
    print(f"CPU ms per document, median of {args.rounds} rounds (min–max); mean bytes per workbook")
    for set_name in sets:
        for name in chosen:
            values = times[(set_name, name)]
            print(f"  {set_name:22} {name:12} {statistics.median(values):7.2f}  "
                  f"({min(values):.2f}–{max(values):.2f})  {sizes[(set_name, name)]:>8,} B")
    if args.profile:
        docs = sets[f"synthetic ({args.documents} docs)"]
        profiler = cProfile.Profile()
        profiler.enable()
        for doc in docs:
            workbook.document_workbook(doc)
        profiler.disable()
        for key in ("tottime", "cumtime"):
            print(f"\n-- cProfile, {len(docs)} documents, by {key} --")
            pstats.Stats(profiler).sort_stats(key).print_stats(30)


if __name__ == "__main__":
    main()
