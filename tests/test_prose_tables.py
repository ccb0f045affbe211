"""The prose against the tables and against itself: prose.table-row, prose.quantity, prose.repeated.

Each planted case (tests/fixtures/prose/tables-cases.yaml: synthetic edits of the seeds' real
published prose) is placed beside its seed's tables in a copy of the example, and these three
rules must report exactly the findings it lists (rule, severity, line, expected, found); each
clean edit must raise none. The unedited seed prose is the larger clean case
(tests/test_prose_seeds.py). Also here: the profile's ``quantities`` and ``subject_figures``
refused at their line when they name what the profile lacks.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from site_builder.checks import run_checks
from site_builder.content import load_portal
from site_builder.errors import SiteBuilderError
from site_builder.profiles import load_profile
from test_prose_seeds import place, seed_prose

CASES = yaml.safe_load((Path(__file__).parent / "fixtures/prose/tables-cases.yaml").read_text(encoding="utf-8"))
RULES = ("prose.table-row", "prose.quantity", "prose.repeated")


def edited(case: dict) -> str:
    text = seed_prose(case["seed"])
    if "append" in case:
        return text + case["append"]
    assert text.count(case["old"]) >= 1, case["old"]
    return text.replace(case["old"], case["new"], 1)


def line_of(text: str, needle: str) -> int:
    at = text.index(needle)
    return text.count("\n", 0, at) + 1


def found(content: Path, case: dict) -> tuple[str, set[tuple]]:
    text = edited(case)
    place(content, case["seed"], text)
    findings = run_checks(load_portal(content))
    return text, {(f.rule, f.severity, f.location.line, f.expected, f.found) for f in findings
                  if f.rule in RULES and f.location.path.name == "seed-explanation.md"}


@pytest.mark.parametrize("case", CASES["planted"], ids=[c["id"] for c in CASES["planted"]])
def test_a_planted_mistake_is_reported_at_its_line(content_copy, case):
    text, got = found(content_copy, case)
    expected = {(rule, severity, line_of(text, at), exp, fnd) for rule, severity, at, exp, fnd in case["findings"]}
    assert got == expected


@pytest.mark.parametrize("case", CASES["clean"], ids=[f"clean-{n}" for n in range(len(CASES["clean"]))])
def test_a_correct_edit_raises_nothing(content_copy, case):
    _, got = found(content_copy, case)
    assert got == set()


def test_the_messages_say_which_row_column_and_figure(content_copy):
    """The classic slip, 年初预算 written for 决算: the message names the row, the column, the
    table's figure and that the written one is the row's budget."""
    case = next(c for c in CASES["planted"] if c["id"] == "budget-written-for-actual")
    place(content_copy, "fenyang", edited(case))
    finding = next(f for f in run_checks(load_portal(content_copy)) if f.rule == "prose.table-row")
    assert "公开05表“208 社会保障和就业支出”行“本年支出/小计”列为 82.46万元" in finding.message
    assert "年初预算数" in finding.message and "81.55万元" in finding.message
    swapped = next(c for c in CASES["planted"] if c["id"] == "class-amounts-swapped")
    place(content_copy, "fenyang", seed_prose("fenyang"))
    place(content_copy, "lvliang", edited(swapped))
    messages = [f.message for f in run_checks(load_portal(content_copy)) if f.rule == "prose.table-row"]
    assert any("“221 住房保障支出”的预算数，两项金额可能写反了" in m for m in messages), messages


def test_a_repeat_names_the_first_place(content_copy):
    case = next(c for c in CASES["planted"] if c["id"] == "repeated-change")
    text = edited(case)
    place(content_copy, "fenyang", text)
    finding = next(f for f in run_checks(load_portal(content_copy)) if f.rule == "prose.repeated")
    assert f"seed-explanation.md:{line_of(text, '收入总计减少3,070.80万元')}" in finding.message


PROFILE = Path(__file__).resolve().parent.parent / "site_builder/profiles/final-accounts-10.yaml"


@pytest.mark.parametrize(("old", "new", "words"), [
    ('决算: {table: "06", row: 人员经费合计, column: amount}', '决算: {table: "16", row: 人员经费合计, column: amount}',
     "quantities 引用的表“16”不在本方案中"),
    ('决算: {table: "06", row: 人员经费合计, column: amount}', '决算: {table: "06", row: 人员经费合计, column: amonut}',
     "“amonut”不是本表的列"),
    ('决算: {table: "06", row: 人员经费合计, column: amount}', '决算: {table: "06", row: 人员经费合计, column: group}',
     "不是公开06表的金额列"),
    ('决算: {table: "06", row: 人员经费合计, column: amount}', '决算: {table: "06", column: amount}',
     "引用须写明行"),
    ('决算: {table: "06", row: 人员经费合计, column: amount}', '实际: {table: "06", row: 人员经费合计, column: amount}',
     "未知的设置项“实际”"),
    ('  - {table: "03", 决算: total}', '  - {table: "03", 决算: totl}', "subject_figures 的列“totl”不是公开03表的金额列"),
    ('  - {table: "03", 决算: total}', '  - {table: "01", 决算: income_amount}', "公开01表不是科目表"),
])
def test_a_wrong_reference_is_refused_at_its_line(tmp_path, old, new, words):
    text = PROFILE.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path = tmp_path / "final-accounts-10.yaml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    with pytest.raises(SiteBuilderError) as caught:
        load_profile(path)
    assert words in str(caught.value)
    assert f":{line_of(text, old)}" in str(caught.value)
