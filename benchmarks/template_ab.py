"""Rebuild after a template change ÷ full build, CPU, for two checkouts, interleaved.

    python benchmarks/template_ab.py OLD_CHECKOUT [--size 300] [--reps 3] [--jobs N] [--work /tmp/site-builder-build-bench]

What ``benchmarks/build.py``'s template change measures (a full ``--clean`` build, then a
comment added to a portal override of ``document.html``, and the build after it), for this
checkout and another (``OLD_CHECKOUT``: a folder holding another version's ``site_builder/`` and
``templates/``), in alternating order (old, new, then new, old), each into its own output
folder. CPU of all processes of a build (``benchmarks/build.py``'s ``run``); the ratio template
change ÷ full build is taken per build pair, so the machine's drift within minutes cancels, and
the CPU pressure is printed before and after.
"""

from __future__ import annotations

import shutil
import statistics
import sys
import time

from build import ab_checkouts, ab_parser, pressure, run


def main() -> None:
    parser = ab_parser(__doc__.splitlines()[0], size=300, reps=3)
    parser.add_argument("--jobs", type=int, default=None)
    args = parser.parse_args()
    work, content, versions = ab_checkouts(args)
    override = content / "templates" / "document.html"
    override.parent.mkdir(exist_ok=True)
    command = [sys.executable, "-m", "site_builder.cli", "build", "--no-search", "-q"] + \
        (["--jobs", str(args.jobs)] if args.jobs else [])

    def pair(version: str, rep: int) -> tuple[float, float]:
        """CPU seconds of a full build and of the build after a template change."""
        out = work / f"out-template-{version}"
        shutil.rmtree(out, ignore_errors=True)
        override.write_text('{% extends "default/document.html" %}\n', encoding="utf-8")
        time.sleep(2.1)       # (a template saved just now is racy: the next build would read it again)
        full = run(command + [str(content), "--out", str(out), "--clean"], cwd=versions[version])
        override.write_text(f'{{% extends "default/document.html" %}}{{# change {rep} #}}\n', encoding="utf-8")
        changed = run(command + [str(content), "--out", str(out)], cwd=versions[version])
        return full["cpu"], changed["cpu"]

    print(f"{args.size} documents, jobs {args.jobs or 'default'}; old {versions['old']}, new {versions['new']}; "
          f"cpu pressure {pressure()}")
    ratios: dict[str, list[float]] = {"old": [], "new": []}
    try:
        for rep in range(args.reps):
            for version in (["old", "new"] if rep % 2 == 0 else ["new", "old"]):
                full, changed = pair(version, rep)
                ratios[version].append(changed / full)
                print(f"  {rep + 1} {version}: full {full:.2f} s cpu ({full / args.size * 1000:.1f} ms a disclosure), "
                      f"template change {changed:.2f} s ({changed / args.size * 1000:.1f} ms): "
                      f"ratio {changed / full:.3f}; cpu pressure {pressure()}")
    finally:
        shutil.rmtree(override.parent)
    for version in ("old", "new"):
        print(f"{version}: template change ÷ full build, median {statistics.median(ratios[version]):.3f} "
              f"({', '.join(f'{r:.3f}' for r in ratios[version])})")
    print(f"cpu pressure now {pressure()}")


if __name__ == "__main__":
    main()
