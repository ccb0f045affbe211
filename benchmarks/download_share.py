"""What the downloads cost a disclosure, measured inside one process: for each department of a
synthetic portal (tests/synthetic.py, SYNTHETIC DATA), its load and check are timed once
(the same whatever the downloads), then its pages are rendered and written (staged, with the
department's manifest) once per ``downloads:`` setting — none, CSV+JSON, all three — in an
order that rotates from one department to the next. CPU time (process_time), summed per
setting, so that the machine's slow drifts fall on all three alike; benchmarks/downloads.py
measures whole builds, which on a noisy machine vary by ±15 % from one run to the next.

    python benchmarks/download_share.py [--departments 60] [--scratch DIR] [--work DIR]

``--scratch`` is where the files are written (the disk's cost of creating 18 more files per
disclosure is part of the figure; a tmpfs such as /dev/shm leaves it out).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))     # tests/synthetic.py

from synthetic import generate  # noqa: E402

from site_builder.pages import department_pages, document_pages  # noqa: E402
from site_builder.workers import templates_cache  # noqa: E402
from site_builder.checks import CheckConfig, run_checks  # noqa: E402
from site_builder.content import load_department, load_site_config  # noqa: E402
from site_builder.manifest import department_manifest  # noqa: E402
from site_builder.model import Portal  # noqa: E402
from site_builder.profiles import load_profiles  # noqa: E402
from site_builder.render import Renderer  # noqa: E402
from site_builder.write import stage  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--departments", type=int, default=60, help="about three disclosures each")
    parser.add_argument("--work", type=Path, default=Path("/tmp/site-builder-download-share"))
    parser.add_argument("--scratch", type=Path, default=None, help="where pages are written (default: under --work)")
    args = parser.parse_args()
    root = (args.work / "content").resolve()
    if not (root / "site.yaml").is_file():
        generate(root, args.departments * 3)
    n = args.departments
    scratch = Path(tempfile.mkdtemp(dir=args.scratch or args.work))
    try:
        measure(root, n, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def measure(root: Path, n: int, scratch: Path) -> None:
    from pathlib import Path

    config, profiles = load_site_config(root), load_profiles(root / "profiles")
    variants = {"none": (), "csv+json": ("csv", "json"), "all": ("csv", "json", "xlsx")}
    tools = {}
    for name, formats in variants.items():
        c = dataclasses.replace(config, downloads=formats)
        tools[name] = (c, Renderer(Portal(c, root, []), "", templates_cache(scratch / "o")))
    check_config = CheckConfig.from_portal(Portal(config, root, []))
    shared, cost = 0.0, {k: 0.0 for k in variants}
    docs = 0
    for i, slug in enumerate(sorted(os.listdir(root / "departments"))[:n]):
        t = time.process_time()
        dept = load_department(root / "departments" / slug, config, profiles)
        run_checks(Portal(config, root, [dept]), check_config)
        shared += time.process_time() - t
        docs += len(dept.documents)
        order = list(variants)[i % 3:] + list(variants)[:i % 3]
        for name in order:
            c, renderer = tools[name]
            d = load_department(root / "departments" / slug, c, profiles)
            staging = scratch / f"st-{name}"
            t = time.process_time()
            pages = department_pages(d, renderer)
            for doc in d.documents:
                pages += document_pages(doc, renderer)
            pages.append(department_manifest(slug, pages))
            for path, data in pages:
                stage(scratch / "no-output", staging, path, data)
            cost[name] += time.process_time() - t
            shutil.rmtree(staging)
    base = shared + cost["none"]
    print(f"{docs} disclosures; per disclosure: load+check {shared/docs*1000:.1f} ms, " +
          ", ".join(f"{k} render+write {v/docs*1000:.1f} ms" for k, v in cost.items()))
    for k in variants:
        print(f"  {k}: whole disclosure ÷ none = {(shared + cost[k]) / base:.3f}")
    print(f"CPU pressure: {Path('/proc/pressure/cpu').read_text().splitlines()[0]}")


if __name__ == "__main__":
    main()
