"""Attachment form rules: scores add up to 总分, the grade follows the score, 执行率 = 执行数 ÷ 预算数."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from ..errors import Location
from ..model import Document
from ..numbers import parse_decimal
from . import CheckConfig, Finding, rule


def _number(text: object) -> Decimal | None:
    try:
        return parse_decimal(str(text).rstrip("%")) if text not in (None, "") else None
    except ValueError:
        return None


def _half_step(text: str) -> Decimal:
    """Half a unit of the last printed digit: “100” may stand for 99.5–100.49, “100.00” for ±0.005."""
    decimals = len(text.split(".")[1]) if "." in text else 0
    return Decimal(5) / Decimal(10) ** (decimals + 1)


def _forms(doc: Document):
    return [f for f in doc.attachments if f.get("kind") == "project-self-evaluation" and not f.get("unavailable")]


def _finding(doc, form, rule_id, family, expected, found, message, message_en) -> Finding:
    return Finding(rule=rule_id, family=family, severity="error", location=Location(form["location"].path, 1),
                   document=doc.url, expected=expected, found=found, message=message, message_en=message_en)


@rule("form.total", "sum", "A 自评表's 总分 equals the funding 得分 plus the indicator 得分.")
def total(doc: Document, config: CheckConfig) -> Iterator[Finding]:
    for form in _forms(doc):
        printed = _number(form.get("total_score"))
        scores = [_number(form["funding"][0].get("score"))] + [_number(i.get("score")) for i in form["indicators"]]
        if printed is None:
            continue
        summed = sum((s for s in scores if s is not None), Decimal(0))
        if summed != printed:
            yield _finding(doc, form, "form.total", "sum", f"{summed:f}", form["total_score"],
                           f"{form['title']}：资金得分与各指标得分之和为 {summed:f}，表中总分为 {form['total_score']}",
                           f"{form['title']}: scores add up to {summed:f}, 总分 printed {form['total_score']}")


@rule("form.grade", "sum", "A 自评表's grade is the one its 总分 earns (profile grades).")
def grade(doc: Document, config: CheckConfig) -> Iterator[Finding]:
    for form in _forms(doc):
        score = _number(form.get("total_score"))
        if score is None or not form.get("grade"):
            continue
        expected = doc.profile.grade(score)
        if expected != str(form["grade"]).strip():
            yield _finding(doc, form, "form.grade", "sum", expected, form["grade"],
                           f"{form['title']}：总分 {form['total_score']} 对应等级“{expected}”，表中为“{form['grade']}”",
                           f"{form['title']}: score {form['total_score']} earns '{expected}', printed '{form['grade']}'")


@rule("form.rate", "sum", "A funding line's 执行率 equals 全年执行数 ÷ 全年预算数.")
def rate(doc: Document, config: CheckConfig) -> Iterator[Finding]:
    for form in _forms(doc):
        for line in form["funding"]:
            done, budget, printed = _number(line.get("executed")), _number(line.get("full_year")), line.get("rate")
            printed_rate = _number(printed)
            if done is None or not budget or printed_rate is None:
                continue
            computed = done * 100 / budget
            if abs(computed - printed_rate) > _half_step(str(printed)):
                yield _finding(doc, form, "form.rate", "sum", f"{computed:.2f}", str(printed),
                               f"{form['title']}“{line.get('source', '')}”：执行率应为 {line['executed']} ÷ {line['full_year']} = {computed:.2f}%，表中为 {printed}",
                               f"{form['title']} {line.get('source', '')}: 执行率 {computed:.2f}, printed {printed}")
