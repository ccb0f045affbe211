"""Attachment form rules: scores add up to 总分, the grade follows the score, 执行率 = 执行数 ÷ 预算数;
a 评分表's 得分 within its 分值 and both columns adding up to its 合计; a 评价报告's grade and score."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from ..errors import Location
from ..formview import REPORT_KIND, SCORES_KIND
from ..model import Document, same_label
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


def _forms(doc: Document, kind: str = "project-self-evaluation"):
    return [f for f in doc.attachments if f.get("kind") == kind and not f.get("unavailable")]


def _finding(doc, form, rule_id, family, expected, found, message, message_en, where: Location | None = None,
             severity: str = "error") -> Finding:
    return Finding(rule=rule_id, family=family, severity=severity, location=where or Location(form["location"].path, 1),
                   document=doc.url, expected=expected, found=found, message=message, message_en=message_en)


def _line(form, key: str) -> Location:
    """Where the form's ``key`` is written (the file's first line when it is left out)."""
    return Location(form["location"].path, form["lines"].get(key, 1))


def _item_line(form, index: int, key: str) -> Location:
    """Where the ``index``-th indicator's ``key`` is written (else the indicator's first line)."""
    line, keys = form["indicator_lines"][index]
    return Location(form["location"].path, keys.get(key, line))


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


@rule("form.grade", "sum", "A 自评表's or 评分表's grade is the one its 总分 earns (profile grades).")
def grade(doc: Document, config: CheckConfig) -> Iterator[Finding]:
    for form in _forms(doc):
        yield from _grade(doc, form, "form.grade", Location(form["location"].path, 1))
    for form in _forms(doc, SCORES_KIND):
        yield from _grade(doc, form, "form.grade", _line(form, "grade"))


def _grade(doc: Document, form, rule_id: str, where: Location) -> Iterator[Finding]:
    score = _number(form.get("total_score"))
    if score is None or not form.get("grade"):
        return
    expected = doc.profile.grade(score)
    if expected != str(form["grade"]).strip():
        yield _finding(doc, form, rule_id, "sum", expected, form["grade"],
                       f"{form['title']}：总分 {form['total_score']} 对应等级“{expected}”，表中为“{form['grade']}”",
                       f"{form['title']}: score {form['total_score']} earns '{expected}', printed '{form['grade']}'",
                       where)


def _rate_fits(done: Decimal, budget: Decimal, printed: Decimal, text: str, slack: Decimal) -> bool:
    """Can ``printed`` (as written: “97”, “97.5%”) be done ÷ budget, rounded to its last printed
    digit, when each amount may be off by ``slack`` (the 万元 rounding of a form in 万元)? A
    truncated rate (97.9 printed 97) is off by more than half a unit and does not fit."""
    if budget - slack <= 0:
        return True                    # a budget that may be zero: no rate to check
    low = max(done - slack, Decimal(0)) * 100 / (budget + slack)
    high = (done + slack) * 100 / (budget - slack)
    half = _half_step(text.strip().rstrip("%"))
    return printed + half >= low and printed - half <= high


@rule("form.rate", "sum", "A funding line's 执行率 equals 全年执行数 ÷ 全年预算数.")
def rate(doc: Document, config: CheckConfig) -> Iterator[Finding]:
    for form in _forms(doc):
        slack = config.rounding.get(str(form.get("amount_unit") or ""), Decimal(0))
        for line in form["funding"]:
            done, budget, printed = _number(line.get("executed")), _number(line.get("full_year")), line.get("rate")
            printed_rate = _number(printed)
            if done is None or not budget or printed_rate is None:
                continue
            computed = done * 100 / budget
            if not _rate_fits(done, budget, printed_rate, str(printed), slack):
                yield _finding(doc, form, "form.rate", "sum", f"{computed:.2f}", str(printed),
                               f"{form['title']}“{line.get('source', '')}”：执行率应为 {line['executed']} ÷ {line['full_year']} = {computed:.2f}%，表中为 {printed}",
                               f"{form['title']} {line.get('source', '')}: 执行率 {computed:.2f}, printed {printed}")


# -- 绩效评价指标体系评分表 and 绩效评价报告 --------------------------------------------------------

@rule("form.score-cap", "sum", "A 评分表 indicator's 得分 is at most its 分值.")
def score_cap(doc: Document, config: CheckConfig) -> Iterator[Finding]:
    for form in _forms(doc, SCORES_KIND):
        for index, item in enumerate(form["indicators"]):
            score, weight = _number(item.get("score")), _number(item.get("weight"))
            if score is not None and weight is not None and score > weight:
                name = item.get("level3") or item.get("level2") or item.get("level1") or f"第 {index + 1} 个指标"
                yield _finding(doc, form, "form.score-cap", "sum", f"≤ {item['weight']}", str(item["score"]),
                               f"{form['title']}：“{name}”的得分 {item['score']} 超过了分值 {item['weight']}",
                               f"{form['title']}: {name} scores {item['score']}, above its weight {item['weight']}",
                               _item_line(form, index, "score"))


@rule("form.weights", "sum", "A 评分表's 分值 add up to its printed total 分值 (合计, often 100).")
def weights(doc: Document, config: CheckConfig) -> Iterator[Finding]:
    for form in _forms(doc, SCORES_KIND):
        yield from _column_total(doc, form, "weight", "total_weight", "form.weights", "分值")


@rule("form.score-total", "sum", "A 评分表's 得分 add up to its printed total 得分 (合计).")
def score_total(doc: Document, config: CheckConfig) -> Iterator[Finding]:
    for form in _forms(doc, SCORES_KIND):
        yield from _column_total(doc, form, "score", "total_score", "form.score-total", "得分")


def _decimals(text: object) -> int:
    text = str(text).rstrip("%")
    return len(text.split(".")[1]) if "." in text else 0


def _column_total(doc: Document, form, key: str, total_key: str, rule_id: str, word: str) -> Iterator[Finding]:
    """The printed numbers of a column against the 合计 printed under it. A sum of more decimals
    than the 合计 prints, within half a unit of its last digit, is a rounding note (3.33 × 3 under
    a printed 10); any other difference is an error."""
    printed = _number(form.get(total_key))
    cells = [item.get(key) for item in form["indicators"]]
    numbers = [n for n in map(_number, cells) if n is not None]
    if printed is None or not numbers:
        return
    summed = sum(numbers, Decimal(0))
    if summed == printed:
        return
    rounded = max(map(_decimals, cells)) > _decimals(form[total_key]) and \
        abs(summed - printed) <= _half_step(str(form[total_key]).rstrip("%"))
    yield _finding(doc, form, rule_id, "sum", f"{summed:f}", str(form[total_key]),
                   f"{form['title']}：各指标{word}之和为 {summed:f}，合计行{word}为 {form[total_key]}"
                   + ("（在合计的印刷精度之内）" if rounded else ""),
                   f"{form['title']}: the {word} column adds up to {summed:f}, its 合计 is printed {form[total_key]}",
                   _line(form, total_key), "note" if rounded else "error")


@rule("form.report-grade", "sum", "A 评价报告's grade is the one its score earns (profile grades).")
def report_grade(doc: Document, config: CheckConfig) -> Iterator[Finding]:
    for form in _forms(doc, REPORT_KIND):
        yield from _grade(doc, form, "form.report-grade", _line(form, "grade"))


@rule("form.report-score", "sum", "A 评价报告's score is the 得分 of the same project's 评分表 in the document (warning).")
def report_score(doc: Document, config: CheckConfig) -> Iterator[Finding]:
    tables = _forms(doc, SCORES_KIND)
    for form in _forms(doc, REPORT_KIND):
        score = _number(form.get("total_score"))
        if score is None:
            continue
        for table in tables:
            total = _number(table.get("total_score"))
            if total is None or total == score or not same_label(str(table["project"]), str(form["project"])):
                continue
            other = table["location"].path.name
            yield _finding(doc, form, "form.report-score", "sum", str(table["total_score"]), str(form["total_score"]),
                           f"{form['title']}：报告的评价得分为 {form['total_score']}，同一项目的评分表（{other}）"
                           f"合计得分为 {table['total_score']}",
                           f"{form['title']}: the report scores {form['total_score']}, the scoring table {other} "
                           f"{table['total_score']}", _line(form, "total_score"), "warning")
