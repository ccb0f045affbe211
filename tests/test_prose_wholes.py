"""Shares and wholes, listings and totals, counts and grades in the department's prose (#27
classes 5, 7 and 9): prose.share, prose.parts, prose.over-total, prose.listing, prose.grade-count.

The planted cases are data (fixtures/prose/wholes-cases.yaml): a real published text with one
figure or word changed, and every finding the rules under test must raise for it, exactly.
The same texts unchanged, and the sentences the old rules misread, raise none.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from site_builder.checks import run_checks
from site_builder.content import load_portal
from test_prose_seeds import PROSE, SEED_DOCS, place, seed_prose

RULES = {"prose.share", "prose.parts", "prose.over-total", "prose.listing", "prose.grade-count"}
CASES = yaml.safe_load((PROSE / "wholes-cases.yaml").read_text(encoding="utf-8"))
REPORT = f"{SEED_DOCS['fenyang']}/performance-report.md"


def performance_prose() -> str:
    """fenyang's 十、（四）1 as published, with the unit slip the example corrects put right
    (涉及资金69.62元 is a prose.unit error of the source, not the subject here)."""
    text = (PROSE / "wholes-performance.md").read_text(encoding="utf-8")
    return text.replace("涉及资金69.62元", "涉及资金69.62万元")


def base_text(base: str) -> str | None:
    return {"fenyang": seed_prose("fenyang"), "lvliang": seed_prose("lvliang"),
            "performance": performance_prose(), "text": "", "example": None}[base]


def findings(content: Path) -> set[tuple]:
    return {(f.rule, f.severity, f.location.path.name, f.location.line, f.expected, f.found)
            for f in run_checks(load_portal(content)) if f.rule in RULES and f.severity != "note"}


def line_of(text: str, at: int) -> int:
    return text.count("\n", 0, at) + 1


def plant(content: Path, case: dict) -> int:
    """Place the case's base and apply its change; the line where the new text starts."""
    base = base_text(case["base"])
    seed = "lvliang" if case["base"] == "lvliang" else "fenyang"
    target = case.get("file", "seed-explanation.md")
    if case["base"] == "text":
        place(content, seed, case["new"])
        return 1
    if base is not None:
        place(content, seed, base)
    path = {"seed-explanation.md": content / SEED_DOCS[seed] / "seed-explanation.md",
            "performance-report.md": content / REPORT}.get(target, content / target)
    text = path.read_text(encoding="utf-8")
    assert case["old"] in text, case["old"]
    at = text.index(case["old"])
    path.write_text(text.replace(case["old"], case["new"], 1), encoding="utf-8")
    return line_of(text, at)


@pytest.mark.parametrize("name", list(CASES))
def test_a_planted_mistake_is_found_with_its_figures(content_copy, name):
    case = CASES[name]
    line = plant(content_copy, case)
    expected = {(rule, severity, file, at or line, str(exp), str(found))
                for rule, severity, file, at, exp, found in case["finds"]}
    assert findings(content_copy) == expected


CLEAN_TEXTS = {
    # the false error of #27: the sibling 人员经费 taken as the whole of 公用经费
    "whole in the sentence before": "2024年度财政拨款基本支出612.10万元。其中，人员经费590.76万元，占比96.51%；"
                                    "公用经费21.34万元，占比3.49%。",
    "whole on the line above": "2024年度财政拨款基本支出612.10万元,其中:\n\n人员经费590.76万元,占比96.51%;\n\n"
                               "公用经费21.34万元,占比3.49%。\n",
    "no whole stated": "其中，人员经费590.76万元，占比96.51%；公用经费21.34万元，占比3.49%。",
    "a nested list": "2024年度支出合计2,262.43万元，其中基本支出612.10万元，项目支出1,650.32万元，其中：医疗救助"
                     "1,475.15万元，计划生育事务2万元。",
    "a list of budgets and actuals": "2024年度支出决算2,262.43万元，完成年初预算的37.72%，其中:\n\n社会保障和就业支出"
                                     "年初预算81.55万元,支出决算82.46万元;\n\n卫生健康支出年初预算5,742.25万元,支出决算"
                                     "2,136.04万元;\n\n住房保障支出年初预算50.65万元,支出决算43.93万元。\n",
    "a list left short (主要用于)": "2024年度卫生健康支出2,136.04万元，主要用于医疗救助1475.15万元，医疗保障管理事务"
                                  "547.77万元。",
    "a share of last year": "2024年度支出2,262.43万元，占上年的42.42%。",
}


@pytest.mark.parametrize("name", list(CLEAN_TEXTS))
def test_a_correct_sentence_raises_nothing(content_copy, name):
    place(content_copy, "fenyang", CLEAN_TEXTS[name])
    assert findings(content_copy) == set()


@pytest.mark.parametrize("base", ["fenyang", "lvliang", "performance"])
def test_the_real_texts_raise_nothing(content_copy, base):
    place(content_copy, "lvliang" if base == "lvliang" else "fenyang", base_text(base) or "")
    assert [f for f in run_checks(load_portal(content_copy)) if f.severity != "note"] == []
