"""Rules on listings in the department's prose: amounts listed against their total, and counts
of projects by grade against the number of projects.

- ``prose.listing``: the amounts a sentence lists after 用于 (“支出决算2,136.04万元，…用于计划生育
  事务2万元，行政事业单位医疗111.12万元…”) add up to the amount they are used from; the 执行数 of
  the projects described one by one (“项目全年预算数为108.84万元，执行数108.84万元”) add up to the
  project funds the document states with a count of projects (“涵盖一级项目7个…共涉及资金1648.71
  万元”) and to no more than the tables' 项目支出; a project list table (分项绩效项目清单) adds up
  to the 项目支出 the report states.
- ``prose.grade-count``: “7个项目自评等级为“优”，0个…“良”…” adds up to the 个数 stated with it,
  and agrees with the grades of the projects the prose scores one by one (自评得分 N分, graded by
  the profile's ``grades``) or the 自评表 give.

A list that adds up to more than its total is an error; to less, a warning: the list may leave
out what it does not name, or a figure is wrong, and we cannot tell which. Rounding is allowed
for as in prose.py: each amount in 万元 its 万元 rounding.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from ..errors import Location
from ..model import Document
from . import CheckConfig, Finding, rule
from .prose import _CHANGE_WORDS, _SENTENCE_BREAK, Amount, Sentence, _finding, _slack, _stated, prose_texts

# “用于计划生育事务2万元,行政事业单位医疗111.12万元…”: the amounts after it are what the whole went to
_USED_FOR = re.compile(r"主要用于|用于")
# “涵盖一级项目7个”, “自评个数7个”, “等9个一、二级项目”: a count of projects
_FUNDS = re.compile(r"一般公共预算|政府性基金预算|国有资本经营预算|社会保险基金预算|部门预算")
_PROJECT_COUNT = re.compile(r"(?:项目|个数)\s*(\d+)\s*个|(\d+)\s*个[^，,。;；]{0,6}项目")
_GRADES = "优秀|良好|优|良|中|差"
# “7个项目自评等级为“优””, and “优 7 个、良 0 个”
_GRADE_COUNT = re.compile(rf"(\d+)\s*个(?:项目)?(?:自评|评价)?(?:等级|结果)?(?:为|评为|是)?\s*[“\"]?({_GRADES})"
                          rf"(?=[”\"」]|等|级|[，,、；;。:：]|$)")
_COUNT_GRADE = re.compile(rf"(?:^|(?<=[，,、；;：:\s“\"]))[“\"]?({_GRADES})[”\"]?(?:等级|级)?\s*(\d+)\s*个")
_STATED_COUNT = re.compile(r"个数\s*(\d+)\s*个|项目\s*(\d+)\s*个")
_PROJECT_SCORE = re.compile(r"项目绩效自评得分为?\s*(\d+(?:\.\d+)?)\s*分")


def _wan(yuan: Decimal, unit: str) -> str:
    return f"{yuan / 10000:.2f}万元" if unit == "万元" else f"{yuan:.2f}元"


def _compare(total: Decimal, whole: Amount, parts: list[Amount], config: CheckConfig) -> str | None:
    """“more” or “less” where the parts' sum is off its whole beyond their rounding, else None."""
    slack = sum((_slack(p, config) for p in parts), _slack(whole, config))
    if total > whole.in_yuan() + slack:
        return "more"
    if total < whole.in_yuan() - slack:
        return "less"
    return None


# -- what a sentence lists after 用于 ------------------------------------------------------------

def _budget(amount: Amount) -> bool:
    """Is it a budget (年初预算, 全年预算数), not an actual? 一般公共预算 names a fund, not a budget."""
    return "预算" in _FUNDS.sub("", amount.label)


def _used_for(sentence: Sentence) -> tuple[Amount, list[Amount]] | None:
    """(the whole, the amounts it went to) of “…支出决算B万元，…用于A a万元，C c万元”."""
    marker = _USED_FOR.search(sentence.text)
    if not marker:
        return None
    before = [a for a in _stated(sentence) if a.start < marker.start() and not _budget(a)]
    parts = [a for a in sentence.amounts if a.start > marker.start() and a.money and not a.depth]
    if not before or len(parts) < 2 or any(_CHANGE_WORDS.search(a.label) for a in parts):
        return None                        # a change among them: not a plain list (shares may be)
    return before[-1], parts


def _used_for_findings(doc: Document, config: CheckConfig) -> Iterator[Finding]:
    for sentence in doc.prose_sentences:
        found = _used_for(sentence)
        if found is None:
            continue
        whole, parts = found
        total = sum((p.in_yuan() for p in parts), Decimal(0))
        off = _compare(total, whole, parts, config)
        if off is None or (off == "less" and "主要用于" in sentence.text):
            continue
        shown = _wan(total, whole.unit)
        listed = "＋".join(p.number for p in parts)
        yield _finding("prose.listing", "sum", doc, sentence, whole.text, shown,
                       f"“{whole.label}{whole.text}”用于各项 {listed} = {shown}，"
                       + ("多于总数：必有一个数写错" if off == "more" else "少于总数：请核对是否漏列或写错"),
                       f"the amounts {whole.label} {whole.text} went to add up to {shown}",
                       "error" if off == "more" else "warning")


# -- projects described one by one, against their stated total and the tables -----------------

@dataclass
class _Total:
    sentence: Sentence
    amount: Amount
    count: int | None      # the first count of projects stated with it


def _project_executions(doc: Document) -> Iterator[tuple[Location, list[tuple[Sentence, Amount]]]]:
    """Per prose file, the 执行数 of each project described: “项目全年预算数为X万元，执行数Y万元”."""
    by_file: dict[Location, list[tuple[Sentence, Amount]]] = {}
    for sentence in doc.prose_sentences:
        money = [a for a in sentence.amounts if a.money]
        for budget, actual in zip(money, money[1:], strict=False):
            if budget.label.startswith("项目") and "预算" in budget.label and "执行数" in actual.label:
                by_file.setdefault(Location(sentence.where.path), []).append((sentence, actual))
                break
    yield from by_file.items()


def _stated_totals(doc: Document) -> list[_Total]:
    """Project funds stated with a count of projects: “涵盖一级项目7个…共涉及资金1648.71万元”."""
    totals = []
    for sentence in doc.prose_sentences:
        counts = _PROJECT_COUNT.search(sentence.text)
        if counts is None:
            continue
        for amount in _stated(sentence):
            if "资金" in amount.label and amount.start > counts.start():
                totals.append(_Total(sentence, amount, int(counts.group(1) or counts.group(2))))
                break
    return totals


def _table_figure(doc: Document, label: str) -> Amount | None:
    """The tables' headline figure ``label`` (项目支出) as an amount, if the profile has it."""
    for figure in doc.headline_figures:
        if figure.label == label and figure.unit in ("万元", "元"):
            return Amount(figure.value, figure.unit, f"{figure.text}{figure.unit}", figure.text, -1, 0, f"表中{label}")
    return None


def _project_findings(doc: Document, config: CheckConfig) -> Iterator[Finding]:
    totals = _stated_totals(doc)
    for _file, projects in _project_executions(doc):
        if len(projects) < 2:
            continue
        parts = [amount for _, amount in projects]
        total = sum((p.in_yuan() for p in parts), Decimal(0))
        listed = "＋".join(p.number for p in parts)
        paired = [t for t in totals if t.count == len(parts)]   # 二级项目2个，涉及资金69.62 is not their total
        offs = [_compare(total, t.amount, parts, config) for t in paired]
        if paired and None not in offs:
            first, off = paired[0], offs[0]
            shown = _wan(total, first.amount.unit)
            yield _finding("prose.listing", "sum", doc, first.sentence, shown, first.amount.text,
                           f"文中逐个介绍的{len(parts)}个项目执行数 {listed} = {shown}，"
                           f"与“{first.amount.label}{first.amount.text}”不符"
                           + ("（多于总数）" if off == "more" else "：请核对是否漏列或写错"),
                           f"the {len(parts)} projects' 执行数 add up to {shown}, the text states {first.amount.text}",
                           "error" if off == "more" else "warning")
        project = _table_figure(doc, "项目支出")
        if project is not None and _compare(total, project, parts, config) == "more":
            shown = _wan(total, project.unit)
            yield _finding("prose.listing", "sum", doc, projects[0][0], f"不大于 {project.text}", shown,
                           f"文中逐个介绍的{len(parts)}个项目执行数 {listed} = {shown}，多于表中项目支出 {project.text}",
                           f"the {len(parts)} projects' 执行数 add up to {shown}, more than the tables' 项目支出 {project.text}")


def _list_table_findings(doc: Document, config: CheckConfig) -> Iterator[Finding]:
    """A project list table (columns ``project`` and ``executed``) against the 项目支出 the
    report states (not a budget's: an amount whose sentence speaks of 预算 is left alone)."""
    stated = [(s, a) for s in doc.prose_sentences for a in _stated(s)
              if a.label.endswith("项目支出") and "预算" not in s.text[:a.start]]
    if not stated:
        return
    for table in doc.tables:
        keys = {column.key for column in table.spec.columns}
        if not {"project", "executed"} <= keys or table.spec.unit not in ("万元", "元"):
            continue
        cells = [row.cells.get("executed") for row in table.rows]
        values = [c.value for c in cells if c is not None and getattr(c, "value", None) is not None]
        if not values:
            continue
        unit = table.spec.unit
        parts = [Amount(v, unit, f"{v}{unit}", str(v), -1, 0, "") for v in values]
        total = sum((p.in_yuan() for p in parts), Decimal(0))
        offs = [_compare(total, amount, parts, config) for _, amount in stated]
        if None in offs:
            continue
        sentence, amount = stated[-1]
        off = offs[-1]
        shown = _wan(total, unit)
        yield _finding("prose.listing", "sum", doc, sentence, shown, amount.text,
                       f"{table.spec.number}中{len(parts)}个项目的执行数合计 {shown}，与文中“{amount.label}{amount.text}”不符"
                       + ("（多于项目支出）" if off == "more" else "：请核对清单是否完整或数字是否写错"),
                       f"the {len(parts)} projects of {table.spec.number} add up to {shown}, the text states {amount.text}",
                       "error" if off == "more" else "warning")


@rule("prose.listing", "sum", "Amounts listed (用于…, projects' 执行数, a project list table) add up to the total stated with them.")
def listing(doc: Document, config: CheckConfig) -> Iterator[Finding]:
    yield from _used_for_findings(doc, config)
    yield from _project_findings(doc, config)
    yield from _list_table_findings(doc, config)


# -- counts of projects by grade -----------------------------------------------------------------

def _all_sentences(doc: Document) -> Iterator[Sentence]:
    """Every sentence of the prose, with or without an amount (counts are not amounts)."""
    for where, text in prose_texts(doc):
        start, line = 0, 1
        for end in [m.start() for m in _SENTENCE_BREAK.finditer(text)] + [len(text)]:
            piece = text[start:end]
            if piece.strip() and not piece.lstrip().startswith("|"):
                at = Location(where.path, line) if where.path.suffix == ".md" else where
                yield Sentence(piece, at, [], start, end)
            line += text.count("\n", start, end + 1)
            start = end + 1


def _grade_counts(text: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for number, grade in _GRADE_COUNT.findall(text):
        counts[grade] = counts.get(grade, 0) + int(number)
    for grade, number in _COUNT_GRADE.findall(text):
        counts.setdefault(grade, int(number))
    return counts


def _summaries(sentences: list[Sentence]) -> Iterator[tuple[Sentence, int | None, dict[str, int]]]:
    """(sentence, the number of projects it states, its counts by grade) of each summary."""
    for sentence in sentences:
        counts = _grade_counts(sentence.text)
        if len(counts) < 2:
            continue
        stated = _STATED_COUNT.search(sentence.text)
        yield sentence, int(stated.group(1) or stated.group(2)) if stated else None, counts


def _project_grades(doc: Document, sentences: list[Sentence]) -> list[tuple[Sentence, str, str]]:
    """(sentence, grade, what gives it) of each project the prose scores one by one; else of
    each 自评表 (its printed grade)."""
    found = []
    for sentence in sentences:
        score = _PROJECT_SCORE.search(sentence.text)
        if score and "整体" not in sentence.text[:score.start()]:
            found.append((sentence, doc.profile.grade(Decimal(score.group(1))), f"自评得分{score.group(1)}分"))
    if found:
        return found
    for form in doc.attachments:
        grade = str(form.get("grade") or "").strip()
        if form.get("kind") == "project-self-evaluation" and not form.get("unavailable") and grade:
            where = Location(form["location"].path, form["lines"].get("grade", 1))
            found.append((Sentence(str(form.get("project", "")), where, []), grade, f"自评表等级“{grade}”"))
    return found


@rule("prose.grade-count", "sum", "Counts of projects by grade add up to the number stated and agree with the projects' own grades.")
def grade_count(doc: Document, config: CheckConfig) -> Iterator[Finding]:
    sentences = list(_all_sentences(doc))
    summaries = list(_summaries(sentences))
    if not summaries:
        return
    for sentence, stated, counts in summaries:
        total = sum(counts.values())
        if stated is not None and total != stated:
            shown = "、".join(f"{g}{n}个" for g, n in counts.items())
            yield _finding("prose.grade-count", "sum", doc, sentence, f"{stated}个", f"{total}个",
                           f"各等级项目数 {shown} 合计 {total}个，与所述个数 {stated}个 不符",
                           f"the counts by grade ({shown}) add up to {total}, the text states {stated}")
    projects = _project_grades(doc, sentences)
    none_said = {g for g in {g for _, _, c in summaries for g in c} if all(c.get(g, 0) == 0 for _, _, c in summaries)}
    lonely = [(s, g, why) for s, g, why in projects if g in none_said]
    for sentence, grade, why in lonely:
        yield _finding("prose.grade-count", "sum", doc, sentence, f"无“{grade}”等级项目（汇总所述）", f"{why}（{grade}）",
                       f"此项目{why}，等级为“{grade}”，而汇总说“{grade}”等级的项目为0个：请核对",
                       f"this project is graded {grade} ({why}) where the summary says no project was", "warning")
    if lonely or not projects:
        return
    have = Counter(g for _, g, _ in projects)
    for sentence, stated, counts in summaries:
        if (stated if stated is not None else sum(counts.values())) != len(projects):
            continue                       # a summary of another set of projects
        differ = [g for g in set(counts) | set(have) if counts.get(g, 0) != have.get(g, 0)]
        if differ:
            expected = "、".join(f"{g}{have.get(g, 0)}个" for g in counts)
            found = "、".join(f"{g}{n}个" for g, n in counts.items())
            yield _finding("prose.grade-count", "sum", doc, sentence, expected, found,
                           f"逐个项目的自评等级为 {expected}，汇总写 {found}：请核对",
                           f"the projects' own grades give {expected}, the summary says {found}", "warning")
