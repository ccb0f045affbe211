"""How long ``publish`` takes: the example portal and a synthetic one of N disclosures.

For each portal: a first publish into an empty target (every file copied, .gz/.br written),
a second one with nothing changed (every file hard-linked), and one after a one-cell edit and
an incremental build (that disclosure's files copied and compressed, the rest linked). Prints
seconds, files copied and linked, and the space the second release takes (hard links cost
only their directory entries). The synthetic content is tests/synthetic.py's (SYNTHETIC
DATA), built first if needed.

    python benchmarks/publish.py [--sizes 1000] [--work DIR]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))     # tests/synthetic.py makes the synthetic portal

from build import ROW, pressure  # noqa: E402
from synthetic import generate  # noqa: E402

from site_builder.build import build  # noqa: E402
from site_builder.publish import publish  # noqa: E402


def disk_kb(path: Path) -> int:
    return int(subprocess.run(["du", "-sk", str(path)], capture_output=True, text=True, check=True).stdout.split()[0])


def measure(name: str, content: Path, out: Path, target: Path) -> None:
    shutil.rmtree(target, ignore_errors=True)
    started = time.perf_counter()
    build(content, out, search=False)
    print(f"{name}: build {time.perf_counter() - started:.1f} s; {pressure()}")
    first = publish(out, target, now=1_800_000_000)
    print(f"  first publish     {first.seconds:6.2f} s  copied {first.copied:6d}  linked {first.linked:6d}  "
          f"release {disk_kb(first.release.path) / 1024:7.1f} MB")
    second = publish(out, target, now=1_800_000_060)
    before = disk_kb(first.release.path)
    both = disk_kb(target / "releases")
    print(f"  nothing changed   {second.seconds:6.2f} s  copied {second.copied:6d}  linked {second.linked:6d}  "
          f"second release adds {(both - before) / 1024:7.1f} MB")
    csv = next(content.glob("departments/*/*/final-accounts/tables/05.csv"))
    text = csv.read_text(encoding="utf-8")
    if ROW.format("69.62") in text:
        csv.write_text(text.replace(ROW.format("69.62"), ROW.format("69.63"), 1), encoding="utf-8")
    else:
        csv.write_text(text.replace("69.62", "69.63", 1), encoding="utf-8")
    try:
        build(content, out, search=False)
        third = publish(out, target, now=1_800_000_120)
        print(f"  one cell edited   {third.seconds:6.2f} s  copied {third.copied:6d}  linked {third.linked:6d}  "
              f"changed {len(third.changed)} files")
    finally:
        csv.write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[1000])
    parser.add_argument("--work", type=Path, default=Path("/tmp/site-builder-publish-bench"))
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    example = args.work / "example-content"
    shutil.rmtree(example, ignore_errors=True)
    shutil.copytree(REPO / "content", example)
    measure("example portal (3 disclosures)", example, args.work / "example-out", args.work / "example-www")
    for size in args.sizes:
        content = args.work / f"n{size}-content"
        if not (content / "site.yaml").is_file():
            generate(content, size)
        measure(f"synthetic portal ({size} disclosures)", content, args.work / f"n{size}-out", args.work / f"n{size}-www")


if __name__ == "__main__":
    main()
