"""CPU per disclosure of two checkouts' cold full builds (``--clean``), interleaved.

    python benchmarks/cold_ab.py OLD_CHECKOUT [--size 300] [--reps 6] [--jobs 1] [--work /tmp/site-builder-build-bench]

Both build the same synthetic content (``benchmarks/build.py`` makes it under WORK/nSIZE) from
scratch, without search, each into its own output folder; every repetition builds both, in
alternating order (old, new, then new, old). A build's CPU is that of its process and every
process it waited for (``getrusage`` of the children: the workers too), so the figure does not
move with how busy the other cores are, as wall time does; the ratio new ÷ old is taken per
pair, as the machine's speed drifts within minutes. OLD_CHECKOUT is a folder holding another
version's ``site_builder/`` (``git worktree add``, or ``git archive`` unpacked); this checkout
is the new one. ``--jobs 1`` (the default) builds in one process: the least noise.
"""

from __future__ import annotations

import resource
import shutil
import statistics
import subprocess
import sys
import time

from build import ab_checkouts, ab_parser, pressure


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = ab_parser(__doc__.splitlines()[0], size=300, reps=6)
    parser.add_argument("--jobs", type=int, default=1)
    args = parser.parse_args()
    work, content, versions = ab_checkouts(args)

    def build(version: str) -> tuple[float, float]:
        """Wall and CPU seconds of one cold build of ``version``."""
        out = work / f"out-cold-{version}"
        shutil.rmtree(out, ignore_errors=True)
        cpu, started = children_cpu(), time.perf_counter()
        # `python -m` puts the working folder first on the path: the checkout's own site_builder
        subprocess.run([sys.executable, "-m", "site_builder.cli", "build", "--no-search", "--clean", "-q",
                        "--jobs", str(args.jobs), str(content), "--out", str(out)], cwd=versions[version], check=True)
        return time.perf_counter() - started, children_cpu() - cpu

    print(f"{args.size} documents, jobs {args.jobs}; old {versions['old']}, new {versions['new']}; "
          f"cpu pressure {pressure()}")
    runs: dict[str, list[tuple[float, float]]] = {"old": [], "new": []}
    for rep in range(args.reps):
        for version in (["old", "new"] if rep % 2 == 0 else ["new", "old"]):
            runs[version].append(build(version))
            wall, cpu = runs[version][-1]
            print(f"  {rep + 1} {version}: wall {wall:.2f} s, cpu {cpu:.2f} s ({cpu / args.size * 1000:.1f} ms a disclosure)")
    for version in ("old", "new"):
        cpus = [cpu for _, cpu in runs[version]]
        print(f"{version}: cpu median {statistics.median(cpus) / args.size * 1000:.1f} ms a disclosure "
              f"({min(cpus) / args.size * 1000:.1f}-{max(cpus) / args.size * 1000:.1f})")
    ratios = [new[1] / old[1] for old, new in zip(runs["old"], runs["new"], strict=True)]
    print(f"new/old cpu per pair: median {statistics.median(ratios):.3f} ({min(ratios):.3f}-{max(ratios):.3f}); "
          f"cpu pressure now {pressure()}")


if __name__ == "__main__":
    main()
