"""How many one-digit slips in the seeds' written prose the checker notices (issue 27).

    python benchmarks/prose_mutations.py [--seed 1] [--limit N]

Takes the fenyang and lvliang seeds' written 情况说明 (tests/fixtures/prose/, verbatim copies)
and the example's own prose (fenyang performance-report.md, gaoyi report.md, lvliang
explanation-tail.md), and for every figure in them (an amount or a percentage) makes one
mutant: one digit of it changed (chosen at random, never the leading digit to 0), placed in a
copy of the example content. It runs every rule and counts the mutant as *caught* when a new
error or warning appears on that line (any rule). The unmutated texts must give none: printed
first, as the false-alarm count.

Not every slip is detectable: a figure that no table, sum, share or rate ties to anything
(参保人数317360人, a project's amount stated once) can change freely. The figure is the share of
slips a reviewer would be told about, per file; the planted-mistake tests (tests/test_prose_*.py)
are the per-class guarantees.
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import tempfile
import unicodedata
from pathlib import Path

from site_builder.checks import run_checks
from site_builder.content import load_portal

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests/fixtures/prose"
DOCS = {"fenyang": "departments/fenyang-ybj/2024/final-accounts",
        "lvliang": "departments/lvliang-ybj/2023/budget", "gaoyi": "departments/gaoyi-ybj/2021/performance"}
# (label, document, file name in the document folder, the text: a fixture or the example's own)
TEXTS = [("fenyang 情况说明 (seed)", "fenyang", "seed-explanation.md", FIXTURES / "fenyang-explanation.md"),
         ("lvliang 情况说明 (seed)", "lvliang", "seed-explanation.md", FIXTURES / "lvliang-explanation.md"),
         ("fenyang performance-report.md", "fenyang", "performance-report.md", None),
         ("gaoyi report.md", "gaoyi", "report.md", None),
         ("lvliang explanation-tail.md", "lvliang", "explanation-tail.md", None)]
FIGURE = re.compile(r"(?<![\d.,])\d[\d,]*(?:\.\d+)?(?=\s*(?:万元|元|%))")


def findings(content: Path, name: str) -> set[tuple[int, str]]:
    return {(f.location.line or 0, f.rule) for f in run_checks(load_portal(content))
            if f.severity in ("error", "warning") and f.location.path.name == name}


def mutate(figure: str, rng: random.Random) -> str:
    digits = [i for i, c in enumerate(figure) if c.isdigit()]
    at = rng.choice(digits)
    choices = [d for d in "0123456789" if d != figure[at] and not (at == 0 and d == "0")]
    return figure[:at] + rng.choice(choices) + figure[at + 1:]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--limit", type=int, default=0, help="at most N figures per text (0: all)")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    total_caught = total = 0
    with tempfile.TemporaryDirectory() as work:
        content = Path(work) / "content"
        shutil.copytree(REPO / "content", content)
        for label, doc, name, source in TEXTS:
            path = content / DOCS[doc] / name
            # as the checker reads it (full-width forms folded), so that offsets are the checker's
            text = unicodedata.normalize("NFKC", (source or path).read_text(encoding="utf-8"))
            path.write_text(text, encoding="utf-8")
            baseline = findings(content, name)
            figures = list(FIGURE.finditer(text))
            if args.limit:
                figures = figures[:args.limit]
            caught = 0
            for match in figures:
                mutant = mutate(match.group(0), rng)
                path.write_text(text[:match.start()] + mutant + text[match.end():], encoding="utf-8")
                line = text.count("\n", 0, match.start()) + 1
                if {f for f in findings(content, name) - baseline if f[0] == line}:
                    caught += 1
            path.write_text(text, encoding="utf-8")
            print(f"{label:32} false alarms {len(baseline)}  slips caught {caught}/{len(figures)}"
                  f" ({100 * caught / max(len(figures), 1):.0f}%)", flush=True)
            total_caught += caught
            total += len(figures)
            if source is not None:
                path.unlink()
    print(f"{'all':32} slips caught {total_caught}/{total} ({100 * total_caught / max(total, 1):.0f}%)")


if __name__ == "__main__":
    main()
