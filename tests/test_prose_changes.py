"""Rates in written prose (issue #27 classes 1, 2, 3 and 8): change rates over the figure before
the change, truncated rates in every rate rule, growth over a zero base, and 执行率 whatever its
pair of amounts is called.

The planted cases (tests/fixtures/prose/changes-planted.yaml) put one mistake into a real
sentence of a seed and assert the exact findings at its line; the seeds' own sentences are the
clean cases (tests/test_prose_seeds.py, and the pairing test below). The rules are also called
directly on made-up sentences where the shape, not the seed, is the point (Hypothesis: a rounded
rate never fires, a truncated one does when the amounts are exact).
"""

from __future__ import annotations

import dataclasses
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from site_builder.checks import RULES, CheckConfig, run_checks
from site_builder.checks.prose import prose_sentences
from site_builder.checks.prose_changes import changes, current_figures
from site_builder.content import load_portal
from site_builder.errors import Location
from test_check_tables import SPEC, _rate_findings
from test_prose_seeds import SEED_DOCS, place, seed_prose

CASES = yaml.safe_load((Path(__file__).parent / "fixtures/prose/changes-planted.yaml").read_text(encoding="utf-8"))
RATE_RULES = ("prose.change-rate", "prose.zero-base", "prose.rate", "prose.zero-denominator")
REPORT = f"{SEED_DOCS['fenyang']}/performance-report.md"


def _plant(content: Path, case: dict) -> tuple[str, int]:
    """Write the case's text where the rules read it; return the file name and the planted line."""
    if case["seed"] == "report":
        path = content / REPORT
        text = path.read_text(encoding="utf-8")
    else:
        text = seed_prose(case["seed"])
    assert case["old"] in text, case["name"]
    text = text.replace(case["old"], case["new"], 1)
    if case["seed"] == "report":
        path.write_text(text, encoding="utf-8")
    else:
        path = place(content, case["seed"], text)
    return path.name, text.count("\n", 0, text.index(case["new"])) + 1


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_a_planted_rate_mistake_is_found_at_its_line(content_copy, case):
    name, line = _plant(content_copy, case)
    found = [(f.rule, f.severity, f.location.line, f.expected, f.found) for f in run_checks(load_portal(content_copy))
             if f.rule in RATE_RULES and f.location.path.name == name]
    assert found == [(rule, severity, line, expected, printed) for rule, severity, expected, printed in case["finds"]]


# -- the seeds' own change sentences: each read, each paired with the figure it is of -----------

def _doc(text: str) -> SimpleNamespace:
    """A document of one Markdown file holding ``text``, as the prose rules read it."""
    doc = SimpleNamespace(extra_markdown={"report": text}, reasons={}, path=Path("doc"), url="doc/")
    doc.prose_sentences = prose_sentences(doc)
    return doc


def _findings(text: str, *rules: str) -> list[tuple]:
    doc = _doc(text)
    return [(f.rule, f.severity, f.expected, f.found) for rule_id in rules or RATE_RULES
            for f in RULES[rule_id].function(doc, CheckConfig())]


def test_every_change_the_seeds_write_is_paired_with_its_current_figure():
    """The 14 changes of the two seeds, each with the one figure its rate is over (the pairing a
    planted mistake relies on), all of them right."""
    paired = [(c.amount.text, c.rate.text, [a.text for a in current_figures(c)])
              for name in ("fenyang", "lvliang") for c in changes(_doc(seed_prose(name)))]
    assert paired == [
        ("3,070.80万元", "57.58%", ["2,262.43万元"]), ("3,070.80万元", "57.58%", ["2,262.43万元"]),   # 一 收入, 支出
        ("3,070.80万元", "57.58%", ["2,262.43万元"]), ("3,070.80万元", "57.58%", ["2,262.43万元"]),   # 四
        ("3,070.80万元", "57.58%", ["2,262.43万元"]),                                                # 五(一)
        ("424.29万元", "83.73%", ["82.46万元"]), ("2,452.29万元", "53.45%", ["2,136.04万元"]),        # (三) 决算, not 年初预算
        ("4.40万元", "9.1%", ["43.93万元"]),
        ("2.72万元", "37.16%", ["4.60万元"]), ("2.72万元", "37.16%", ["4.60万元"]),                   # 三公
        ("9.49万元", "69.63%", ["4.14万元"]),                                                        # 机关运行经费
        ("4550.15万元", "37.16%", ["16,796.36万元", "0.00万元"]),                                    # lvliang 一: the
        ("4550.15万元", "37.16%", ["16,796.36万元", "0.00万元"]),                                    # 上年结转 cannot be a base
        ("481.65万元", "3.93%", ["12,727.86万元"]),
    ]
    assert [_findings(seed_prose(name)) for name in ("fenyang", "lvliang")] == [[], []]


# -- shapes: which figure, and when to say only warning -----------------------------------------

def test_a_change_after_a_part_may_be_of_the_whole_or_the_part_so_a_misfit_is_a_warning():
    """“收入100万元，其中财政拨款80万元，比上年增加20万元”: over 80 (100 − 20) or over 60 (80 − 20)."""
    text = "收入100.00万元，其中财政拨款80.00万元，比上年增加20.00万元，增长{}。"
    assert _findings(text.format("30.00%")) == [("prose.change-rate", "warning", "25.00% 或 33.33%", "30.00%")]
    assert _findings(text.format("25.00%")) == _findings(text.format("33.33%")) == []


def test_the_current_figure_may_come_after_the_change():
    text = "收入总计比上年减少3,070.80万元，下降{}，为2,262.43万元。"
    assert _findings(text.format("57.58%")) == []
    assert _findings(text.format("57.85%")) == [("prose.change-rate", "error", "57.58%", "57.85%")]


def test_a_change_without_a_figure_to_pair_says_nothing():
    assert _findings("与上年相比减少3,070.80万元，下降57.85%，主要原因是机构改革。") == []
    assert _findings("比上年增加20.00万元，增长0.00%。") == \
        [("prose.zero-base", "warning", "不写增长率（上年为零，无法计算）", "0.00%")]   # a zero base, or a huge one


def test_same_as_last_year_and_a_stated_carry_over_of_zero_are_no_zero_base():
    assert _findings("因公出国（境）费支出0万元，与上年相同。") == []
    assert _findings("2023年度预算收入总计16,796.36万元，其中：上年结转0.00万元，比上年增加4550.15万元，增加37.16%。") == []


# -- class 2: a truncated rate is off by more than half a unit, in every rate rule ---------------
# 1,000 of 6,000 is 16.666…%: rounded 16.67%, truncated 16.66%. In 元 the amounts are exact and the
# truncation is an error; in 万元 (1.00 of 6.00) each amount may be off by 0.005 万元, which allows
# 16.57–16.76%, and the same 16.66% is no error.

TRUNCATED = {
    "prose.rate": "年初预算{b}，支出决算{a}，完成年初预算的16.66%。",
    "prose.share": "本年支出合计{b}，其中基本支出{a}，占16.66%。",
    "prose.change-rate": "收入总计{c}，比上年增加{a}，增长16.66%。",
}


@pytest.mark.parametrize("rule_id", sorted(TRUNCATED))
def test_a_truncated_rate_is_an_error_in_yuan_and_within_the_wan_yuan_rounding(rule_id):
    sentence = TRUNCATED[rule_id]
    assert _findings(sentence.format(a="1,000.00元", b="6,000.00元", c="7,000.00元"), rule_id) == \
        [(rule_id, "error", "16.67%", "16.66%")]
    assert _findings(sentence.format(a="1.00万元", b="6.00万元", c="7.00万元"), rule_id) == []


def test_a_truncated_printed_rate_in_a_table_is_an_error_in_yuan_not_in_wan_yuan():
    assert [(f.rule, f.expected, f.found) for f in _rate_findings(SPEC, Decimal("6000.00"), Decimal("1000.00"), "16.66%")] \
        == [("rate.printed", "16.67%", "16.66%")]
    assert _rate_findings(dataclasses.replace(SPEC, unit="万元"), Decimal("6.00"), Decimal("1.00"), "16.66%") == []


def _form(unit: str, budget: str, done: str, rate: str) -> SimpleNamespace:
    form = {"kind": "project-self-evaluation", "title": "示例项目支出绩效自评表", "amount_unit": unit,
            "location": Location(Path("01.yaml"), 1),
            "funding": [{"source": "资金总额", "full_year": budget, "executed": done, "rate": rate}]}
    return SimpleNamespace(attachments=[form], url="doc/")


@pytest.mark.parametrize("unit, budget, done, rate, found", [
    ("元", "6000.00", "1000.00", "16.66", ["16.66"]),      # truncated: 16.67
    ("元", "6000.00", "1000.00", "16.67", []),
    ("万元", "6.00", "1.00", "16.66", []),                 # within the 万元 rounding (16.57–16.76)
    ("万元", "6.00", "1.00", "16.46", ["16.46"]),          # beyond it
    ("元", "62", "60.697", "97", ["97"]),                  # the fenyang attachment's prose: 97.90% truncated
    ("元", "62", "60.68", "97.9%", []),                    # 97.871: a % sign does not make 97.9 a two-decimal rate
])
def test_form_rate_catches_a_truncation_and_allows_the_wan_yuan_rounding(unit, budget, done, rate, found):
    assert [f.found for f in RULES["form.rate"].function(_form(unit, budget, done, rate), CheckConfig())] == found


AMOUNT = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("9999999.99"), places=2)
SHAPES = {   # part a, whole b (c = a + b): the sentence of each prose rule whose rate is a ÷ b
    "prose.rate": lambda a, b, c, p: f"年初预算{b:f}元，支出决算{a:f}元，完成年初预算的{p:f}%。",
    "prose.share": lambda a, b, c, p: f"本年支出合计{b:f}元，其中基本支出{a:f}元，占{p:f}%。",
    "prose.change-rate": lambda a, b, c, p: f"收入总计{c:f}元，比上年增加{a:f}元，增长{p:f}%。",
}


def _places(value: Decimal, places: int, rounding: str) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-places), rounding=rounding)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(rule_id=st.sampled_from(sorted(SHAPES)), a=AMOUNT, b=AMOUNT, places=st.integers(0, 4))
def test_a_rounded_rate_never_fires_and_a_truncated_one_always_does(rule_id, a, b, places):
    if rule_id == "prose.share" and a > b:                       # a share is of a whole at least as large
        a, b = b, a
    exact = a * 100 / b
    assert _findings(SHAPES[rule_id](a, b, a + b, _places(exact, places, ROUND_HALF_UP)), rule_id) == []
    truncated = _places(exact, places, ROUND_DOWN)
    assume(exact - truncated > Decimal(5).scaleb(-places - 1))   # the next digit is 5 or more
    assert [f[0] for f in _findings(SHAPES[rule_id](a, b, a + b, truncated), rule_id)] == [rule_id]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rule_id=st.sampled_from(sorted(SHAPES)), a=st.integers(1, 10**9), b=st.integers(1, 10**9),
       places=st.integers(0, 3))
def test_a_rate_of_exact_amounts_written_in_wan_yuan_never_fires(rule_id, a, b, places):
    """The department computes from 元 and writes the amounts rounded to 万元: no false error."""
    if rule_id == "prose.share" and a > b:
        a, b = b, a
    wan = [_places(Decimal(n) / 10000, 2, ROUND_HALF_UP) for n in (a, b, a + b)]
    assume(wan[0] > 0 and wan[1] > 0)
    printed = _places(Decimal(a) * 100 / Decimal(b), places, ROUND_HALF_UP)
    sentence = SHAPES[rule_id](*wan, printed).replace("元", "万元")
    assert _findings(sentence, rule_id) == []
