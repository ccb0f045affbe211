"""The seeds' own written prose is checked without a false error.

tests/fixtures/prose/ holds the fenyang and lvliang 情况说明 as the departments wrote them
(verbatim copies of ../shared/seeds/, real published text; the example content renders these
sections from the tables instead). Placed beside their tables in a copy of the example, they
must raise no prose error or warning: a false error on a correct document costs the bureau more
than a missed mistake. The prose tests of each mistake class plant their mistakes into these
same paragraphs (``seed_prose``).
"""

from __future__ import annotations

from pathlib import Path

from site_builder.checks import run_checks
from site_builder.content import load_portal

PROSE = Path(__file__).parent / "fixtures/prose"
SEED_DOCS = {
    "fenyang": "departments/fenyang-ybj/2024/final-accounts",
    "lvliang": "departments/lvliang-ybj/2023/budget",
}


def seed_prose(name: str) -> str:
    """The seed's written 情况说明 (``fenyang`` or ``lvliang``), as published."""
    return (PROSE / f"{name}-explanation.md").read_text(encoding="utf-8")


def place(content: Path, name: str, text: str) -> Path:
    """Put ``text`` beside the seed's tables as seed-explanation.md (read by the prose rules)."""
    path = content / SEED_DOCS[name] / "seed-explanation.md"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_seeds_written_prose_raises_no_prose_finding(content_copy):
    before = run_checks(load_portal(content_copy))
    for name in SEED_DOCS:
        place(content_copy, name, seed_prose(name))
    after = run_checks(load_portal(content_copy))
    added = [f for f in after if f.location.path.name == "seed-explanation.md"]
    assert [(f.rule, f.severity, f.location.line, f.found) for f in added if f.severity != "note"] == []
    assert [f for f in after if f.severity == "error"] == [f for f in before if f.severity == "error"] == []


def test_a_planted_mistake_in_the_seed_prose_is_found_at_its_line(content_copy):
    """The copy is really read: two digits swapped in 完成年初预算的101.12% is an error at that line."""
    text = seed_prose("fenyang").replace("完成年初预算的101.12%", "完成年初预算的110.12%")
    line = next(i for i, t in enumerate(text.splitlines(), 1) if "110.12%" in t)
    place(content_copy, "fenyang", text)
    found = [(f.rule, f.location.line, f.found) for f in run_checks(load_portal(content_copy))
             if f.location.path.name == "seed-explanation.md" and f.severity == "error"]
    assert found == [("prose.rate", line, "110.12%")]
