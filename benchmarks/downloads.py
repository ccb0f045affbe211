"""What the downloads add to a full build: the same synthetic portal built with each set of
download formats (site.yaml ``downloads:``), interleaved, so the ratios come from one run.

Variants: ``none`` (pages and data.json only), ``csv+json`` (a file per table per format) and
``all`` (also the XLSX workbook per document, the default). Each build is ``--clean`` into a new
folder, without the search index (benchmarks/search.py measures that). Prints wall time, CPU
time of all processes, peak memory (PSS) and files written, and the ratio to ``none`` per
repetition. The synthetic content is tests/synthetic.py's (SYNTHETIC DATA); its site.yaml
is edited for each variant and restored at the end.

    python benchmarks/downloads.py [--sizes 1000 10000] [--reps 2] [--work DIR]
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))     # tests/synthetic.py

from build import pressure, run, tree  # noqa: E402
from synthetic import generate  # noqa: E402

VARIANTS = {"none": "[]", "csv+json": "[csv, json]", "all": "[csv, json, xlsx]"}


def set_downloads(site_yaml: Path, original: str, formats: str) -> None:
    text = re.sub(r"(?m)^downloads:.*\n", "", original)
    site_yaml.write_text(text.rstrip("\n") + f"\ndownloads: {formats}\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--reps", type=int, default=2)
    parser.add_argument("--work", type=Path, default=Path("/tmp/site-builder-build-bench"))
    parser.add_argument("--jobs", type=int, default=None)
    args = parser.parse_args()
    for size in args.sizes:
        content = args.work / f"n{size}" / "content"
        if not (content / "site.yaml").is_file():
            generate(content, size)
        site_yaml = content / "site.yaml"
        original = site_yaml.read_text(encoding="utf-8")
        results: dict[str, list[dict]] = {name: [] for name in VARIANTS}
        try:
            for rep in range(args.reps):
                print(f"# {size} documents, repetition {rep + 1}; {pressure()}", flush=True)
                for name, formats in VARIANTS.items():
                    set_downloads(site_yaml, original, formats)
                    out = args.work / f"n{size}" / f"out-{name}"
                    shutil.rmtree(out, ignore_errors=True)
                    command = [sys.executable, "-m", "site_builder.cli", "build", str(content), "--out", str(out),
                               "--no-search", "--clean", "-q"] + (["--jobs", str(args.jobs)] if args.jobs else [])
                    figures = run(command)
                    figures["files"], figures["bytes"] = tree(out)
                    results[name].append(figures)
                    base = results["none"][rep]
                    print(f"  {name:9} wall {figures['wall']:7.1f} s  cpu {figures['cpu']:7.1f} s  "
                          f"pss {figures['pss_mb']:6.0f} MB  {figures['files']:7d} files {figures['bytes'] / 2**20:7.0f} MB"
                          f"  ÷ none: wall {figures['wall'] / base['wall']:.2f} cpu {figures['cpu'] / base['cpu']:.2f}",
                          flush=True)
                    shutil.rmtree(out, ignore_errors=True)
        finally:
            site_yaml.write_text(original, encoding="utf-8")
        for name in VARIANTS:
            walls = [r["wall"] / b["wall"] for r, b in zip(results[name], results["none"], strict=True)]
            cpus = [r["cpu"] / b["cpu"] for r, b in zip(results[name], results["none"], strict=True)]
            print(f"{size} {name:9} median ÷ none: wall {statistics.median(walls):.2f}, cpu {statistics.median(cpus):.2f}")


if __name__ == "__main__":
    main()
