"""Where a cold full build's CPU goes, per disclosure: a sampling profile by stage.

    python benchmarks/cold_profile.py [--size 300] [--work /tmp/site-builder-build-bench] [--top 25]
                                      [--template-change]

Builds the synthetic portal (``benchmarks/build.py`` makes it under WORK/nSIZE) from scratch,
without search, in this one process (``jobs=1``: the departments' work is seen, not the pool's
waiting), sampling the stack every millisecond of CPU (``ITIMER_PROF``). Each sample goes to the
innermost stage of ``STAGES`` on its stack (a check to the rule that runs it), and prints as
milliseconds of CPU per disclosure; then the functions with the most samples of their own and
on the stack. cProfile would cost more than the build (every call is counted) and moves the
shares towards small Python functions; sampling costs about 2 %. A sample lands when the
interpreter next checks for signals: time inside a C function (libyaml, zlib, a regex,
``unicodedata``) is counted to the Python function that called it or, after it returns, to the
next one called. The stages are right; the own-time list leans that way.

``--template-change`` profiles instead the build after a template change: a full build first
(not profiled, in its own process), then a comment added to a portal override of ``document.html`` (as
``benchmarks/build.py`` does), and the build after it, every page rendered from the kept models.
"""

from __future__ import annotations

import argparse
import collections
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import CodeType, FrameType

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))     # tests/synthetic.py

from build import REPO, pressure  # noqa: E402
from synthetic import ensure  # noqa: E402

sys.path.insert(0, str(REPO))
from site_builder.build import build  # noqa: E402

# (file, function or None for any) → stage; on a stack, the innermost match decides
STAGES = [
    ("site_builder/cache.py", "scan", "scan the content"),
    ("site_builder/content.py", "load_department", "load: other"),
    ("site_builder/content.py", "load_form", "load: forms"),
    ("site_builder/tables.py", "read_table", "load: CSV tables"),
    ("site_builder/sources.py", "load_yaml", "load: YAML"),
    ("site_builder/checks/__init__.py", "run_checks", "check: (run_checks)"),
    ("site_builder/pages.py", "department_output", "output: other"),
    ("site_builder/catalog.py", "document_data", "output: data.json's dict"),
    ("site_builder/jsonfmt.py", "json_text", "output: JSON encoding"),
    ("site_builder/downloads.py", "table_csv", "output: CSV downloads"),
    ("site_builder/workbook.py", "document_workbook", "output: XLSX"),
    ("site_builder/coverage.py", "check_document", "output: no-lost-number check"),
    ("site_builder/corrections.py", "history", "output: correction records"),
    ("site_builder/render.py", "department", "render: department.html"),
    ("site_builder/render.py", "department_year", "render: department_year.html"),
    ("site_builder/render.py", "document", "render: document.html (Jinja)"),
    ("site_builder/render.py", "page_parts", "render: page parts"),
    ("site_builder/render.py", "link_terms", "render: glossary links"),
    ("site_builder/explain.py", "render_explanation", "render: 情况说明 template"),
    ("site_builder/charts.py", None, "render: charts"),
    ("site_builder/render.py", "_markdown_html", "render: Markdown"),
    ("site_builder/tableview.py", None, "render: table views"),
    ("site_builder/summary.py", "summarize", "summary"),
    ("site_builder/write.py", "stage", "staging (writes)"),
    ("site_builder/build.py", "portal_stage", "the portal's pages"),
    ("site_builder/build.py", "manifest_stage", "manifest"),
    ("site_builder/build.py", "save_stage", "the build cache"),
]


class Sampler:
    def __init__(self) -> None:
        self.total = 0
        self.own: collections.Counter = collections.Counter()
        self.stack: collections.Counter = collections.Counter()
        self.stages: collections.Counter = collections.Counter()

    def __call__(self, _signal: int, frame: FrameType | None) -> None:
        codes: list[CodeType] = []
        while frame is not None:
            codes.append(frame.f_code)
            frame = frame.f_back
        if not codes:
            return
        self.total += 1
        self.own[_name(codes[0])] += 1
        for name in {_name(code) for code in codes}:
            self.stack[name] += 1
        self.stages[_stage(codes[::-1])] += 1


def _name(code: CodeType) -> str:
    path = code.co_filename.replace(f"{REPO}{os.sep}", "").split("site-packages/")[-1]
    path = path.replace(os.path.dirname(os.__file__) + os.sep, "")
    return f"{path}:{code.co_firstlineno}({code.co_name})"


def _stage(codes: list[CodeType]) -> str:
    """The stage of a stack (outermost first): the innermost match; within a check, the rule."""
    stage, after_checks = "other", False
    for code in codes:
        path = code.co_filename
        if after_checks and "site_builder/checks/" in path:
            return f"check: {Path(path).stem}.{code.co_name}"
        after_checks = code.co_name == "run_checks"
        for suffix, function, name in STAGES:
            if path.endswith(suffix) and function in (None, code.co_name):
                stage = name
    return stage


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=300)
    parser.add_argument("--work", type=Path, default=Path("/tmp/site-builder-build-bench"))
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--template-change", action="store_true",
                        help="profile the build after a template change, not the cold build")
    args = parser.parse_args()
    work = args.work / f"n{args.size}"
    ensure(work / "content", args.size, seed=args.size)
    out = work / "out-profile"
    shutil.rmtree(out, ignore_errors=True)
    override = work / "content" / "templates" / "document.html"
    if args.template_change:
        override.parent.mkdir(exist_ok=True)
        override.write_text('{% extends "default/document.html" %}\n', encoding="utf-8")
        time.sleep(2.1)     # (content made just now is racy: its departments would not be kept)
        # (in a process of its own: this one's caches stay cold, as in a real rebuild)
        subprocess.run([sys.executable, "-m", "site_builder.cli", "build", "--no-search", "--clean", "-q",
                        str(work / "content"), "--out", str(out)], cwd=REPO, check=True)
        override.write_text('{% extends "default/document.html" %}{# changed #}\n', encoding="utf-8")
    sampler = Sampler()
    before, started = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    signal.signal(signal.SIGPROF, sampler)
    signal.setitimer(signal.ITIMER_PROF, 0.001, 0.001)
    try:
        result = build(work / "content", out, jobs=1, clean=not args.template_change, search=False)
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0, 0)
        if args.template_change:
            shutil.rmtree(override.parent)
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    documents = result.documents
    print(f"{documents} documents, one process: wall {time.perf_counter() - started:.1f} s, CPU {cpu:.2f} s = "
          f"{cpu / documents * 1000:.1f} ms a disclosure (system {after.ru_stime - before.ru_stime:.2f} s); "
          f"{sampler.total} samples; cpu pressure {pressure()}")
    per_sample = cpu / max(sampler.total, 1) / documents * 1000      # ms of CPU a disclosure
    for title, counter, rows in (("stage", sampler.stages, None), ("own samples", sampler.own, args.top),
                                 ("samples on the stack", sampler.stack, args.top)):
        print(f"\n| {title} | ms a disclosure | share |\n| --- | --- | --- |")
        for name, count in counter.most_common(rows):
            print(f"| {name} | {count * per_sample:.2f} | {count / sampler.total * 100:.1f} % |")


if __name__ == "__main__":
    main()
