"""Rebuild times of two checkouts of site_builder, interleaved: no change, one amount edited, one title edited.

    python benchmarks/rebuild_ab.py OLD_CHECKOUT [--size 10000] [--reps 8] [--work /tmp/site-builder-build-bench] [--search]

Both build the same synthetic content (``benchmarks/build.py`` makes it under WORK/nSIZE), each
into its own output folder (WORK/nSIZE/out-ab-old and out-ab-new), so each keeps its own
cache; the first build of each is a full one and is not counted. Every repetition times both
after the same change, in alternating order, and the ratio new ÷ old is taken per pair: on a
shared machine whose speed drifts within minutes, only figures taken side by side compare.
OLD_CHECKOUT is a folder holding another version's ``site_builder/`` (``git worktree add``);
this checkout is the new one. ``--search``: the builds make the search index too (Pagefind
over every page, each time a page changed); by default they are ``--no-search``.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

from build import ab_checkouts, ab_parser, ROW, pressure


def main() -> None:
    parser = ab_parser(__doc__.splitlines()[0], size=10000, reps=8)
    parser.add_argument("--search", action="store_true", help="build the search index too")
    args = parser.parse_args()
    work, content, versions = ab_checkouts(args)

    def build(version: str) -> float:
        # `python -m` puts the working folder first on the path: the checkout's own site_builder
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "site_builder.cli", "build", *([] if args.search else ["--no-search"]),
                        "-q", str(content), "--out", str(work / f"out-ab-{version}{'-search' if args.search else ''}")],
                       cwd=versions[version], check=True)
        return time.perf_counter() - started

    for version in versions:
        build(version)
    csv = next(p for p in sorted((content / "departments").glob("*/2024/final-accounts/tables/05.csv")))
    document = csv.parent.parent / "document.yaml"

    def edit_amount() -> None:
        text = csv.read_text(encoding="utf-8")
        old, new = (ROW.format("69.62"), ROW.format("69.63")) if ROW.format("69.62") in text \
            else (ROW.format("69.63"), ROW.format("69.62"))
        csv.write_text(text.replace(old, new), encoding="utf-8")

    def edit_title() -> None:
        text = document.read_text(encoding="utf-8")
        old, new = ("公开\n", "公开（更正）\n") if "公开\n" in text else ("公开（更正）\n", "公开\n")
        document.write_text(text.replace(old, new, 1), encoding="utf-8")

    print(f"{args.size} documents{' with search' if args.search else ''}; old {versions['old']}, new {versions['new']}; cpu pressure {pressure()}")
    times: dict[tuple[str, str], list[float]] = {}
    for rep in range(args.reps):
        order = ["old", "new"] if rep % 2 == 0 else ["new", "old"]
        for case, change in (("no change", None), ("amount edited", edit_amount), ("title edited", edit_title)):
            if change:
                change()
                time.sleep(2.1)     # older than the cache's 2 s: neither build takes it as racy
            for version in order:
                times.setdefault((case, version), []).append(build(version))
    for case in ("no change", "amount edited", "title edited"):
        old, new = times[(case, "old")], times[(case, "new")]
        print(f"{case:14s} old median {statistics.median(old):.3f} s ({min(old):.2f}-{max(old):.2f}) | "
              f"new median {statistics.median(new):.3f} s ({min(new):.2f}-{max(new):.2f}) | "
              f"new/old per pair, median {statistics.median(b / a for a, b in zip(old, new, strict=True)):.2f}")
    print(f"cpu pressure now {pressure()}")


if __name__ == "__main__":
    main()
