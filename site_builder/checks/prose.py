"""Rules on the department's own prose (Markdown files and reasons).

The computed 情况说明 cannot contradict the tables (its figures come from them); what the
department writes can. These rules read each sentence, find the amounts and percentages in
it with the words before them, and check what the sentence itself implies:

- ``prose.unit``: an amount in 元 that a 万元 table holds (涉及资金69.62元);
- ``prose.over-total``: an amount in 万元 ten times the department's whole spending or more: an
  amount in 元 written as 万元 (the slip the other way from ``prose.unit``);
- ``prose.parts``: a part listed after 其中/包括 larger than its whole, or parts adding up to
  more than it (公用经费72,718.77元，主要包括商品和服务支出279,474.77元);
- ``prose.share``: “占 P%” that is not the part's share of the whole it belongs to
  (3634264.84 of 7414478.98 is 49.02%, not 49.00%), or the whole it names (占本年支出合计的
  P%: the tables' figure where the sentence does not state it), or above 100%;
- ``prose.rate``: “完成年初预算 P%” / “执行率 P%” that is not the actual over the budget;
- ``prose.zero-denominator``: such a rate stated although the budget is zero (undefined).

A list may run over lines: “支出合计2,262.43万元，其中：” and a line per part below it
(``_link_sentences``). Listings against their totals and counts by grade: prose_lists.py.

Rounding is allowed for: an amount in 万元 may be off by the portal's 万元 rounding, a
percentage by half a unit of its last printed digit.
"""

from __future__ import annotations

import dataclasses
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
_LINE_BREAKS = re.compile(r"[，,；;：:、]")        # a list line's label has none (brackets it may: 支出(类))
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
# a line that opens a list on the lines below it: “2024年度支出合计2,262.43万元，其中：”
_LIST_OPENER = re.compile(r"(其中|主要用于以下方面|主要用于|主要包括|包括)\s*:\s*$")
# “占本年支出合计的100.00%”: the share names its whole
_NAMED_WHOLE = re.compile(r"^占(.+?)的")
_WHOLE_PREFIX = re.compile(r"^(本单位|本部门|部门|单位|全年)+")


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
    """A whole and the parts listed after its 其中. The whole may stand outside the parts'
    sentence: on the line that opened a list (``opener``), or in the sentence before one that
    starts with 其中 (``borrowed``); it is None where no sentence states it: the parts are then
    only each other's siblings, never each other's wholes."""

    whole: Amount | None
    depth: int
    parts: list[Amount] = field(default_factory=list)
    start: int = 0                                        # where its marker stands in the sentence
    homes: list[Sentence] = field(default_factory=list)   # a list across lines: each part's line
    opener: Sentence | None = None                        # … and the line holding its whole
    borrowed: bool = False                                # the whole is the previous sentence's
    unsure: bool = False                                  # a list line with two amounts: which is the part?

    def holds(self, amount: Amount) -> bool:
        return any(part is amount for part in self.parts)


@dataclass
class Sentence:
    text: str
    where: Location
    amounts: list[Amount]
    start: int = 0           # where it stands in its (normalised) text, and where its end mark is
    end: int = 0
    outer: Group | None = None   # the list it is a line of, whose whole stands on an earlier line

    @functools.cached_property
    def groups(self) -> list[Group]:
        """Its 其中 groups, found once for the rules that use them."""
        return _groups(self)

    def lists(self) -> list[Group]:
        """Every group its amounts may be parts of: its own and the list it is a line of."""
        return self.groups + ([self.outer] if self.outer else [])


def _normalize(text: str) -> str:
    """Full-width digits and punctuation folded, length and line breaks kept (no strip)."""
    return unicodedata.normalize("NFKC", text)


def _sentences(where: Location, text: str) -> Iterator[Sentence]:
    """Split prose into sentences and find each sentence's amounts."""
    return _split(where, _normalize(text))


def _split(where: Location, text: str) -> Iterator[Sentence]:
    """``_sentences`` of a text already normalised (``prose_texts``: each piece is folded once
    for every rule, not again for each paragraph and each rule that reads it)."""
    start, line = 0, 1
    for end in [m.start() for m in _SENTENCE_BREAK.finditer(text)] + [len(text)]:
        piece = text[start:end]
        # every rule reads amounts: a sentence without one is skipped; Markdown tables are not sentences
        if _AMOUNT.search(piece) and not piece.lstrip().startswith("|"):
            at = Location(where.path, line) if where.path.suffix == ".md" else where
            yield Sentence(piece, at, list(_amounts(piece)), start, end)
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
    """The wholes and their parts: “收入100万元，其中A 60万元，B 40万元”. A list that starts
    the sentence (“其中，人员经费A元，占比p%；日常公用经费B元…”) has its whole elsewhere: its
    group has none here (``_link_sentences`` may find it in the sentence before)."""
    markers = list(_PARTS_MARKER.finditer(sentence.text)) if sentence.amounts else []
    if not markers:                        # most sentences: no 其中, or not a whole and a part
        return []
    groups: list[Group] = []
    money = [a for a in sentence.amounts if a.money]
    for marker in markers:
        depth = _depth(sentence.text[:marker.start()])
        before = [a for a in money if a.start < marker.start() and a.depth <= depth]
        if before and _CHANGE_WORDS.search(before[-1].label):
            continue
        if not before and (groups or sentence.text[:marker.start()].strip(" \t:,;")):
            continue                       # a whole that is no amount (共有车辆2辆。其中：…)
        group = Group(before[-1] if before else None, depth, start=marker.start())
        for amount in money:
            if amount.start < marker.start():
                continue
            if amount.depth < depth:
                break                      # the parenthesis of the list closed
            if amount.depth == depth and not _CHANGE_WORDS.search(amount.label):
                group.parts.append(amount)
        for earlier in groups:
            if earlier.depth == depth:     # a later 其中 at the same level starts a new whole and its list
                cut = group.whole.start if group.whole else group.start
                earlier.parts = [p for p in earlier.parts if p.start <= cut]
        groups.append(group)
    return [g for g in groups if g.parts]


def _read(where: Location, text: str) -> list[Sentence]:
    """One piece of prose (normalised) as sentences, with the lists that run across them linked."""
    sentences = list(_split(where, text))
    _link_sentences(sentences, text)
    return sentences


def _link_sentences(sentences: list[Sentence], text: str) -> None:
    """Give each list whose whole stands outside its parts' sentence that whole: the line that
    opens a list (“支出合计2,262.43万元，其中：”) and the lines below it, up to a heading, a
    paragraph that is no list line, or a line ending its sentence (。); and a sentence that starts
    with 其中 right after the sentence stating its whole (“基本支出W元。其中，人员经费A元…”)."""
    for i, sentence in enumerate(sentences):
        orphans = [g for g in sentence.groups if g.whole is None]
        if orphans and i and sentences[i - 1].end + 1 == sentence.start and text[sentences[i - 1].end] == "。":
            wholes = _stated(sentences[i - 1])
            if wholes:
                orphans[0].whole, orphans[0].borrowed = wholes[-1], True
        opened = _LIST_OPENER.search(sentence.text.rstrip())
        if opened and sentence.outer is None:
            wholes = [a for a in _stated(sentence) if a.start < opened.start()]
            if wholes:
                _list_lines(Group(wholes[-1], 0, opener=sentence), sentences[i:], text)


def _stated(sentence: Sentence) -> list[Amount]:
    """The amounts a sentence states outright (no change, not in brackets): wholes for the next."""
    return [a for a in sentence.amounts if a.money and a.depth == 0 and not _CHANGE_WORDS.search(a.label)]


def _list_lines(group: Group, following: list[Sentence], text: str) -> None:
    """Attach the lines of the list that ``following[0]`` opens to ``group``."""
    for before, line in zip(following, following[1:], strict=False):
        gap = text[before.end + 1:line.start]
        if text[before.end:before.end + 1] != "\n" or gap.strip() or line.text.lstrip()[:1] in ("#", "|"):
            return                         # the list's sentence ended, or a heading/paragraph came between
        first = line.amounts[0]
        if not first.money or _LINE_BREAKS.search(line.text[:first.start]) or first.depth:
            return                         # a line that does not start “label amount”: no list line
        stated = _stated(line)
        line.outer = group
        if len(stated) == 1 and stated[0] is first:
            group.parts.append(first)
            group.homes.append(line)
        else:
            group.unsure = True            # 年初预算 A, 支出决算 B: which one is the part?


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
    half = _half(percent)
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
    return [s for where, text in prose_texts(doc) for s in _read(where, text)]


def prose_texts(doc: Document) -> list[tuple[Location, str]]:
    """Each piece of the document's prose (``_prose``) with where it lives, normalised: the
    rules read it three ways (sentences, paragraphs, every sentence), and NFKC over Chinese
    text was the prose rules' largest single cost (docs/performance.md#cold-build-profile).
    Kept on a document (``Document.prose_texts``); made here for a stand-in (the tests')."""
    if isinstance(doc, Document):
        return doc.prose_texts
    return read_prose(doc)


def read_prose(doc: Document) -> list[tuple[Location, str]]:
    """``prose_texts`` made (``Document.prose_texts`` keeps it)."""
    return [(where, _normalize(text)) for where, text in _prose(doc)]


def paragraphs(doc: Document) -> list[list[Sentence]]:
    """For the change-rate rules (prose_changes.py; ``Document.prose_paragraphs`` keeps it):
    the prose's sentences by paragraph (lines without a blank line between), each sentence at
    its own line: a change often opens a sentence whose figure is in the one before it
    (“…支出决算82.46万元…。较上年决算减少424.29万元，下降83.73%”). Split from the normalised
    text (``prose_texts``): NFKC neither makes nor folds a line break, nor turns a character
    into blank space that was not already, so its lines and blank lines are the text's."""
    found: list[list[Sentence]] = []
    for where, text in prose_texts(doc):
        lines = text.split("\n")
        start = 0
        for number, line in enumerate([*lines, ""]):
            if line.strip():
                continue
            if number > start:
                sentences = list(_split(where, "\n".join(lines[start:number])))
                if where.path.suffix == ".md":
                    sentences = [dataclasses.replace(s, where=Location(s.where.path, (s.where.line or 1) + start))
                                 for s in sentences]
                found.append(sentences)
            start = number + 1
    return found


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


def _total_spending(doc: Document) -> tuple[Decimal, str, str] | None:
    """The department's total spending as its tables print it: (value in 元, text, label)."""
    for figure in doc.headline_figures:
        if figure.role == "total_expenditure" and figure.value > 0 and figure.unit in ("万元", "元"):
            yuan = figure.value * 10000 if figure.unit == "万元" else figure.value
            return yuan, f"{figure.text}{figure.unit}", figure.label
    return None


@rule("prose.over-total", "unit", "An amount in 万元 ten times the department's total spending or more (a 元 amount written as 万元).")
def over_total(doc: Document, config: CheckConfig) -> Iterator[Finding]:
    total = _total_spending(doc)
    if total is None:
        return
    yuan, text, label = total
    for sentence in doc.prose_sentences:
        for amount in sentence.amounts:
            if amount.unit == "万元" and amount.in_yuan() >= yuan * 10 and not _CHANGE_WORDS.search(amount.label):
                yield _finding("prose.over-total", "unit", doc, sentence, f"{amount.number}元", amount.text,
                               f"文中写“{amount.label}{amount.text}”，是本部门{label} {text} 的十倍以上："
                               f"单位可能写错（应为“{amount.number}元”？），请核对",
                               f"{amount.text} is ten times the department's total spending {text} or more "
                               f"(an amount in 元 written as 万元?)")


def _checked_groups(doc: Document) -> Iterator[tuple[Sentence, Group]]:
    """Each group whose parts ``prose.parts`` checks, with the sentence that states its whole:
    a sentence's own 其中 groups and the lists that run over the lines below their whole. A
    whole borrowed from the sentence before is left to ``prose.share``: a sentence that starts
    “其中：” may list figures of another kind (年初预算, 支出决算) than the whole before it."""
    seen: set[int] = set()
    for sentence in doc.prose_sentences:
        for group in sentence.groups:
            if group.whole is not None and not group.borrowed:
                yield sentence, group
        outer = sentence.outer
        if outer is not None and outer.opener is not None and id(outer) not in seen and outer.parts:
            seen.add(id(outer))
            yield outer.opener, outer


@rule("prose.parts", "sum", "Parts listed after 其中/包括 are each at most their whole and add up to at most it.")
def parts(doc: Document, config: CheckConfig) -> Iterator[Finding]:
    for sentence, group in _checked_groups(doc):
        whole = group.whole
        assert whole is not None
        for i, part in enumerate(group.parts):
            if part.in_yuan() > whole.in_yuan() + _slack(part, config) + _slack(whole, config):
                home = group.homes[i] if group.homes else sentence
                yield _finding("prose.parts", "sum", doc, home, f"不大于 {whole.text}", part.text,
                               f"“{whole.label}{whole.text}”中的“{part.label}{part.text}”比总数还大：两个数必有一个写错",
                               f"the part {part.label} {part.text} is larger than its whole {whole.label} {whole.text}")
                break
        else:
            if group.unsure:
                continue                   # a list line whose part is not known: no sum
            total = sum((p.in_yuan() for p in group.parts), Decimal(0))
            slack = sum((_slack(p, config) for p in group.parts), _slack(whole, config))
            if total > whole.in_yuan() + slack:
                shown = _in_unit(total, whole.unit)
                yield _finding("prose.parts", "sum", doc, sentence, f"不大于 {whole.text}", shown,
                               f"“{whole.label}{whole.text}”其中各项之和为 {shown}，大于总数",
                               f"the parts of {whole.label} {whole.text} add up to {shown}, more than the whole")


def _in_unit(yuan: Decimal, unit: str) -> str:
    return f"{yuan / 10000:.2f}万元" if unit == "万元" else f"{yuan:.2f}元"


def _wholes(sentence: Sentence, part: Amount) -> tuple[list[Amount], list[Amount]]:
    """The wholes of the groups ``part`` is listed in, and its siblings in them (never its whole)."""
    wholes: list[Amount] = []
    siblings: list[Amount] = []
    for group in sentence.lists():
        if group.holds(part):
            if group.whole is not None:
                wholes.append(group.whole)
            siblings += [p for p in group.parts if p is not part]
    return wholes, siblings


def _named_whole(doc: Document, percent: Amount, earlier: list[Amount]) -> Amount | None:
    """The whole a share names (“占本年支出合计的100.00%”): an amount of the sentence so
    labelled, else the tables' figure of that name (the document's headline figures: 本年支出
    合计, 基本支出, 项目支出…); None where it names none, or one we cannot find."""
    named = _NAMED_WHOLE.match(percent.label)
    if not named or _CHANGE_WORDS.search(percent.label):
        return None
    name = _WHOLE_PREFIX.sub("", named.group(1))
    for amount in reversed(earlier):
        label = amount.label.rstrip("为是:")
        if (label.endswith(name) or _bare(label) == _bare(name)) and not _CHANGE_WORDS.search(label):
            return amount
    return _table_whole(doc, name)


def _table_whole(doc: Document, name: str) -> Amount | None:
    """The headline figure of the tables that a named whole is, by its name without 本年/预算
    before it and 总额 after it: 项目支出(总额), 基本支出, 本年支出合计 (支出合计), 预算支出总计
    (支出总计). 收入总计 is not 本年收入合计 (结转 lies between), nor 一般公共预算财政拨款支出总额
    any headline figure: those names find none."""
    wanted = _bare(name)
    for figure in doc.headline_figures:
        if _bare(figure.label) == wanted and figure.unit in ("万元", "元"):
            return Amount(figure.value, figure.unit, f"{figure.text}{figure.unit}", figure.text, -1, 0,
                          f"表中{figure.label}")
    return None


def _bare(name: str) -> str:
    return re.sub(r"^(本年|预算|年度)+|总额$", "", name)


def _half(percent: Amount) -> Decimal:
    """Half a unit of the last printed digit of a percentage."""
    return Decimal(5) / Decimal(10) ** (percent.decimals() + 1)


def _share_of(part: Amount, whole: Amount, percent: Amount, config: CheckConfig) -> bool:
    """``_share_matches``, and a share written as 100% is the whole: “占项目支出总额的100%” of
    1648.71 in 1650.32 rounds to 100% but says all of it, which the amounts deny."""
    if percent.value == 100 and part.in_yuan() + _slack(part, config) + _slack(whole, config) < whole.in_yuan():
        return False
    return _share_matches(part, whole, percent, config)


@rule("prose.share", "percentage", "“占 P%” after an amount equals that amount's share of its whole.")
def share(doc: Document, config: CheckConfig) -> Iterator[Finding]:
    for sentence in doc.prose_sentences:
        for percent in sentence.amounts:
            if percent.money or not percent.label.startswith("占"):
                continue
            if percent.value - _half(percent) > 100 and not _CHANGE_WORDS.search(percent.label):
                yield _finding("prose.share", "percentage", doc, sentence, "不超过 100%", percent.text,
                               f"占比写为 {percent.text}，超过了100%：部分不能大于整体，请核对金额或占比",
                               f"a share of {percent.text} is more than 100%")
                continue
            money = [a for a in sentence.amounts if a.money and a.start < percent.start]
            if not money:
                continue
            part = money[-1]
            named = _named_whole(doc, percent, money[:-1])
            if named is not None:
                wholes = [named]           # the sentence says what it is a share of
            else:
                wholes, siblings = _wholes(sentence, part)
                wholes += [a for a in money[:-1] if a.in_yuan() > part.in_yuan()
                           and not any(a is b for b in wholes + siblings)]
            if not wholes or any(_share_of(part, whole, percent, config) for whole in wholes):
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
