"""Rules on the department's own prose (Markdown files and reasons).

The computed 情况说明 cannot contradict the tables (its figures come from them); what the
department writes can. These rules read each sentence, find the amounts and percentages in
it with the words before them, and check what the sentence itself implies:

- ``prose.unit``: an amount in 元 that a 万元 table holds (涉及资金69.62元);
- ``prose.parts``: a part listed after 其中/包括 larger than its whole, or parts adding up to
  more than it (公用经费72,718.77元，主要包括商品和服务支出279,474.77元);
- ``prose.share``: “占 P%” that is not the part's share of the whole it belongs to
  (3634264.84 of 7414478.98 is 49.02%, not 49.00%);
- ``prose.rate``: “完成年初预算 P%” / “执行率 P%” that is not the actual over the budget;
- ``prose.zero-denominator``: such a rate stated although the budget is zero (undefined).

Rounding is allowed for: an amount in 万元 may be off by the portal's 万元 rounding, a
percentage by half a unit of its last printed digit.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from ..errors import Location
from ..model import Document
from ..numbers import Cell
from ..sources import YamlMapping
from . import CheckConfig, Finding, rule

# an amount with its unit: “69.62元”, “1,648.71 万元”, “49.02%”
_AMOUNT = re.compile(r"(?<![\d.,])(\d[\d,]*(?:\.\d+)?)\s*(万元|元|%)")
_CLAUSE_BREAK = re.compile(r"[，,；;：:、（()）]")
_SENTENCE_BREAK = re.compile(r"[。！？!?\n]")
_PARTS_MARKER = re.compile(r"其中|主要包括|包括|主要有|分别为")
# words that make an amount a change or a comparison, never a part of a whole
_CHANGE_WORDS = re.compile(r"增加|减少|增长|下降|上涨|上升|降低|同比|上年|较|节约|超支|结余率|差额")
# a rate of the actual over the budget, whatever the pair is called: 完成年初预算的 P%, 执行率,
# 完成率, 预算执行率, 资金执行率, 资金使用率
_RATE_WORDS = re.compile(r"完成.*预算|完成率|执行率|预算执行|使用率")
# the words that make an amount the budget (the denominator) or the actual of such a rate; the
# last one in the label decides (年初预算 is a budget, 预算执行数 an actual)
_BUDGET_WORDS = r"预算|投入|下达|到位|安排|批复|计划"
_ACTUAL_WORDS = r"执行|支出|实际|使用|支付|决算|拨付|完成"
_PAIR_WORD = re.compile(rf"({_BUDGET_WORDS}|{_ACTUAL_WORDS})(?!.*(?:{_BUDGET_WORDS}|{_ACTUAL_WORDS}))")
# fund names that hold 预算 without being one (一般公共预算财政拨款支出 is an actual)
_FUND_NAMES = re.compile(r"一般公共预算|政府性基金预算|国有资本经营预算|社会保险基金预算|预算单位|部门预算")


@dataclass
class Amount:
    value: Decimal
    unit: str          # 万元, 元 or %
    text: str          # as written, for the message
    number: str        # the number as written, without its unit: “1,648.71”
    start: int
    depth: int         # parenthesis depth: “其他资金525.16万元（其中上年结转518.16万元…）”
    label: str         # the words of its clause before the number: “项目支出”, “占”

    @property
    def money(self) -> bool:
        return self.unit != "%"

    def in_yuan(self) -> Decimal:
        return self.value * 10000 if self.unit == "万元" else self.value

    def decimals(self) -> int:
        return len(self.number.split(".")[1]) if "." in self.number else 0


@dataclass
class Group:
    whole: Amount
    depth: int
    parts: list[Amount] = field(default_factory=list)


@dataclass
class Sentence:
    text: str
    where: Location
    amounts: list[Amount]

    @functools.cached_property
    def groups(self) -> list[Group]:
        """Its 其中 groups, found once for the rules that use them."""
        return _groups(self)


def _normalize(text: str) -> str:
    """Full-width digits and punctuation folded, length and line breaks kept (no strip)."""
    return unicodedata.normalize("NFKC", text)


def _sentences(where: Location, text: str) -> Iterator[Sentence]:
    """Split prose into sentences and find each sentence's amounts."""
    text = _normalize(text)
    start, line = 0, 1
    for end in [m.start() for m in _SENTENCE_BREAK.finditer(text)] + [len(text)]:
        piece = text[start:end]
        # every rule reads amounts: a sentence without one is skipped; Markdown tables are not sentences
        if _AMOUNT.search(piece) and not piece.lstrip().startswith("|"):
            at = Location(where.path, line) if where.path.suffix == ".md" else where
            yield Sentence(piece, at, list(_amounts(piece)))
        line += text.count("\n", start, end + 1)
        start = end + 1


def _amounts(sentence: str) -> Iterator[Amount]:
    opened = done = clause_start = 0      # brackets open before ``done``; where the clause began
    for match in _AMOUNT.finditer(sentence):
        start = match.start()
        between = sentence[done:start]
        opened += _balance(between)
        breaks = [m.end() for m in _CLAUSE_BREAK.finditer(between)]
        if breaks:
            clause_start = done + breaks[-1]
        done = start
        try:
            value = Decimal(match.group(1).replace(",", ""))
        except ArithmeticError:  # pragma: no cover - the pattern only matches digits
            continue
        yield Amount(value, match.group(2), match.group(0), match.group(1), start, max(opened, 0),
                     sentence[clause_start:start].strip())


def _prose(doc: Document) -> Iterator[tuple[Location, str]]:
    """Each piece of department-written text with where it lives."""
    for name, text in doc.extra_markdown.items():
        yield Location(doc.path / f"{name}.md"), text

    def walk(value: object, line: int | None) -> Iterator[tuple[Location, str]]:
        if isinstance(value, dict):
            for key, item in value.items():
                inner = value.key_lines.get(key, line) if isinstance(value, YamlMapping) else line
                yield from walk(item, inner)
        elif isinstance(value, str):
            yield Location(doc.path / "document.yaml", line), value

    yield from walk(doc.reasons, None)


def _balance(text: str) -> int:
    """Brackets opened minus brackets closed in ``text``."""
    return sum(text.count(c) for c in "（(") - sum(text.count(c) for c in ")）")


def _depth(text: str) -> int:
    """How many brackets are open at the end of ``text``."""
    return max(_balance(text), 0)


def _groups(sentence: Sentence) -> list[Group]:
    """The wholes and their parts: “收入100万元，其中A 60万元，B 40万元”."""
    markers = list(_PARTS_MARKER.finditer(sentence.text)) if len(sentence.amounts) > 1 else []
    if not markers:                        # most sentences: no 其中, or not a whole and a part
        return []
    groups: list[Group] = []
    money = [a for a in sentence.amounts if a.money]
    for marker in markers:
        depth = _depth(sentence.text[:marker.start()])
        before = [a for a in money if a.start < marker.start() and a.depth <= depth]
        if not before or _CHANGE_WORDS.search(before[-1].label):
            continue
        group = Group(before[-1], depth)
        for amount in money:
            if amount.start < marker.start():
                continue
            if amount.depth < depth:
                break                      # the parenthesis of the list closed
            if amount.depth == depth and not _CHANGE_WORDS.search(amount.label):
                group.parts.append(amount)
        for earlier in groups:
            if earlier.depth == depth:     # a later 其中 at the same level starts a new whole and its list
                earlier.parts = [p for p in earlier.parts if p.start < group.whole.start]
        groups.append(group)
    return [g for g in groups if g.parts]


def _slack(amount: Amount, config: CheckConfig) -> Decimal:
    """How far the written amount may be from the exact one, in 元."""
    rounding = config.rounding.get(amount.unit, Decimal(0))
    return rounding * 10000 if amount.unit == "万元" else rounding


def _share_matches(part: Amount, whole: Amount, percent: Amount, config: CheckConfig) -> bool:
    """Can ``percent`` be part ÷ whole, allowing each figure its rounding?"""
    a, b = part.in_yuan(), whole.in_yuan()
    ra, rb = _slack(part, config), _slack(whole, config)
    if b - rb <= 0:
        return True  # a whole that may be zero: the zero-denominator rule speaks
    low, high = (max(a - ra, Decimal(0))) / (b + rb) * 100, (a + ra) / (b - rb) * 100
    half = Decimal(5) / Decimal(10) ** (percent.decimals() + 1)
    return percent.value + half >= low and percent.value - half <= high


def _percent_text(part: Amount, whole: Amount, percent: Amount) -> str:
    exact = part.in_yuan() / whole.in_yuan() * 100
    return f"{exact:.{max(percent.decimals(), 2)}f}%"


def _finding(rule_id: str, family: str, doc: Document, sentence: Sentence, expected: str, found: str,
             message: str, message_en: str, severity: str = "error") -> Finding:
    return Finding(rule=rule_id, family=family, severity=severity, location=sentence.where, document=doc.url,
                   expected=expected, found=found, message=message, message_en=message_en)


def prose_sentences(doc: Document) -> list[Sentence]:
    """The document's prose as sentences, read once and kept on the document for the five rules
    (``Document.prose_sentences``)."""
    return [s for where, text in _prose(doc) for s in _sentences(where, text)]


def _wan_amounts(doc: Document) -> dict[str, str]:
    """Every amount of the document's 万元 tables → the table that holds it."""
    found: dict[str, str] = {}
    for table in doc.tables:
        if table.spec.unit != "万元":
            continue
        for row in table.rows:
            for value in row.cells.values():
                if isinstance(value, Cell) and value.value:
                    found.setdefault(f"{value.value:.2f}", table.spec.number)
    return found


@rule("prose.unit", "unit", "An amount written in 元 in the prose that equals a 万元 table value (a unit slip).")
def unit_slip(doc: Document, config: CheckConfig) -> Iterator[Finding]:
    amounts = _wan_amounts(doc)
    if not amounts:
        return
    for sentence in doc.prose_sentences:
        for amount in sentence.amounts:
            value = f"{amount.value:.2f}"
            if amount.unit == "元" and "." in amount.text and value in amounts:
                yield _finding("prose.unit", "unit", doc, sentence, f"{value}万元", amount.text,
                               f"文中写“{amount.text}”，而{amounts[value]}中为 {value}万元：单位可能写错（元/万元）",
                               f"prose says {amount.text} where {amounts[value]} has {value} 万元 (unit slip?)")


@rule("prose.parts", "sum", "Parts listed after 其中/包括 are each at most their whole and add up to at most it.")
def parts(doc: Document, config: CheckConfig) -> Iterator[Finding]:
    for sentence in doc.prose_sentences:
        for group in sentence.groups:
            whole = group.whole
            for part in group.parts:
                if part.in_yuan() > whole.in_yuan() + _slack(part, config) + _slack(whole, config):
                    yield _finding("prose.parts", "sum", doc, sentence, f"不大于 {whole.text}", part.text,
                                   f"“{whole.label}{whole.text}”中的“{part.label}{part.text}”比总数还大：两个数必有一个写错",
                                   f"the part {part.label} {part.text} is larger than its whole {whole.label} {whole.text}")
                    break
            else:
                total = sum((p.in_yuan() for p in group.parts), Decimal(0))
                slack = sum((_slack(p, config) for p in group.parts), _slack(whole, config))
                if total > whole.in_yuan() + slack:
                    shown = _in_unit(total, whole.unit)
                    yield _finding("prose.parts", "sum", doc, sentence, f"不大于 {whole.text}", shown,
                                   f"“{whole.label}{whole.text}”其中各项之和为 {shown}，大于总数",
                                   f"the parts of {whole.label} {whole.text} add up to {shown}, more than the whole")


def _in_unit(yuan: Decimal, unit: str) -> str:
    return f"{yuan / 10000:.2f}万元" if unit == "万元" else f"{yuan:.2f}元"


@rule("prose.share", "percentage", "“占 P%” after an amount equals that amount's share of its whole.")
def share(doc: Document, config: CheckConfig) -> Iterator[Finding]:
    for sentence in doc.prose_sentences:
        groups = sentence.groups
        for percent in sentence.amounts:
            if percent.money or not percent.label.startswith("占"):
                continue
            money = [a for a in sentence.amounts if a.money and a.start < percent.start]
            if not money:
                continue
            part = money[-1]
            wholes = [g.whole for g in groups if part in g.parts]
            wholes += [a for a in money[:-1] if a.in_yuan() > part.in_yuan() and a not in wholes]
            if not wholes or any(_share_matches(part, whole, percent, config) for whole in wholes):
                continue
            expected = _percent_text(part, wholes[0], percent)
            yield _finding("prose.share", "percentage", doc, sentence, expected, percent.text,
                           f"“{part.label}{part.text}”占“{wholes[0].label}{wholes[0].text}”应为 {expected}，文中写 {percent.text}",
                           f"{part.text} of {wholes[0].text} is {expected}, the text says {percent.text}")


def pair_kind(amount: Amount) -> str:
    """“budget”, “actual” or “” by the last budget or actual word of the amount's label."""
    match = _PAIR_WORD.search(_FUND_NAMES.sub("", amount.label))
    if not match:
        return ""
    return "budget" if re.fullmatch(_BUDGET_WORDS, match.group(1)) else "actual"


def _rates(doc: Document) -> Iterator[tuple[Sentence, Amount, Amount, Amount | None]]:
    """(sentence, the rate, the budget, the actual) for every “完成…预算 P%” / “执行率 P%”: the
    budget is the last amount before it labelled a budget (年初预算, 全年预算数, 投入, 资金到位…),
    the actual the last labelled an actual (支出决算, 执行数, 实际支出, 使用…), else the last other
    amount (as before: the 项目 name often stands where 执行数 would)."""
    for sentence in doc.prose_sentences:
        for percent in sentence.amounts:
            if percent.money or not _RATE_WORDS.search(percent.label):
                continue
            money = [a for a in sentence.amounts
                     if a.money and a.start < percent.start and not _CHANGE_WORDS.search(a.label)]
            budgets = [a for a in money if pair_kind(a) == "budget"]
            if not budgets:
                continue
            actuals = [a for a in money if pair_kind(a) == "actual"] or [a for a in money if a is not budgets[-1]]
            yield sentence, percent, budgets[-1], (actuals[-1] if actuals else None)


@rule("prose.rate", "percentage", "“完成年初预算 P%” / “执行率 P%” equals the actual ÷ the budget written beside it.")
def rate(doc: Document, config: CheckConfig) -> Iterator[Finding]:
    for sentence, percent, budget, actual in _rates(doc):
        if actual is None or budget.value == 0 or _share_matches(actual, budget, percent, config):
            continue
        expected = _percent_text(actual, budget, percent)
        yield _finding("prose.rate", "percentage", doc, sentence, expected, percent.text,
                       f"“{actual.label}{actual.text}”÷“{budget.label}{budget.text}”= {expected}，文中写 {percent.text}",
                       f"{actual.text} / {budget.text} is {expected}, the text says {percent.text}")


@rule("prose.zero-denominator", "zero-denominator", "A rate over a budget of zero is undefined and must not be written as a percentage.")
def zero_denominator(doc: Document, config: CheckConfig) -> Iterator[Finding]:
    for sentence, percent, budget, _actual in _rates(doc):
        if budget.value == 0:
            yield _finding("prose.zero-denominator", "zero-denominator", doc, sentence, "不写百分比（预算为零，无法计算）",
                           percent.text,
                           f"“{budget.label}{budget.text}”为零，完成率无法计算，文中却写 {percent.text}；应写明“年初未安排预算”",
                           f"the budget {budget.text} is zero, so the rate is undefined; the text says {percent.text}")
