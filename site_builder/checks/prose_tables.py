"""The department's prose read against the tables, and against itself.

prose.py checks what a sentence implies on its own (a part within its whole, a share of it).
These rules ask what an amount is *of*, by the words before it, and compare it with the place
the document holds that figure:

- ``prose.table-row``: a 科目 named by its 类/款/项 name or code (社会保障和就业支出(类)82.46万元,
  用于计划生育事务2万元) with an amount that is not that row's figure in the tables the profile
  lists under ``subject_figures`` (年初预算 → its budget figure, 决算/支出 → its actual);
- ``prose.quantity``: a standard quantity (人员经费, 基本支出, “三公”经费, 政府采购…) stated with
  an amount that none of the places the profile's ``quantities`` gives for it holds;
- ``prose.repeated``: the same quantity, of the same kind (this year's figure, its budget, its
  change or rate over last year), stated twice with two values in the document's prose.

A label is read as: neutral words (2024年度, 其中, 用于), a name, then words that say which
figure it is (年初预算, 支出决算, 减少…); anything else in it and the amount is not read. A
clause with no name (支出决算2,262.43万元) goes with the name before it in the sentence.
Amounts of last year, of another year, or changes are never compared with this year's tables.
Where a reading could be wrong (a name under two 款), the finding is a warning.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from ..model import Document, Row, Table
from ..numbers import MONEY_UNITS, parse_decimal
from ..profiles import Quantity, SubjectFigures
from . import CheckConfig, Finding, rule
from .cross import _rows, unit_of
from .prose import Amount, Sentence, _finding, _normalize

_BREAK = re.compile(r"[,;:、。]")
_DROP = re.compile(r"[\s“”\"‘’'《》「」]|\((?:类|款|项)\)")
_YEAR = r"\d{4}年度?"
# words that may stand before a name without changing what it is (scope words are recorded)
_SCOPES = ("一般公共预算", "财政拨款", "政府性基金预算", "政府性基金", "国有资本经营预算", "财政专户管理资金")
_KIND_WORDS = r"年初预算数?|全年预算数?|调整后?预算数?|支出决算数?|决算数?|预算数?|实际支出"
_NEUTRAL = re.compile(rf"(?:{_YEAR}|本年度?|当年|本部门|部门|本单位|其中|主要用于|用于|主要包括|包括|分别为|"
                      rf"为|共|的|{'|'.join(_SCOPES)}|{_KIND_WORDS})*")
# words that may follow a name: which figure, a change of it, filler
_CHANGE = r"增加|减少|增长|下降|降低|上升|上涨|节约|增减"
_TAIL = re.compile(rf"(?:{_KIND_WORDS}|{_CHANGE}|{_YEAR}|支出|总额|金额|资金|数|为|共|计|是|达|了|的|较|比|与|"
                   r"上年度?|同比|相比|同期)*")
_CHANGE_RE = re.compile(_CHANGE)
_DECREASE = re.compile(r"减少|下降|降低|节约")
_LIST = re.compile(r"其中|用于|包括|主要有|分别为")
_YEARS = re.compile(r"(\d{4})年")
_LAST_YEAR = re.compile(r"上年|去年|上一年")


@dataclass(frozen=True)
class Name:
    """Something the prose names: a standard quantity, or a 科目 (its rows in the listed tables)."""

    key: str                        # what prose.repeated groups by: the quantity's name, a 科目 code
    shown: str
    quantity: Quantity | None = None
    rows: tuple[tuple[SubjectFigures, Table, Row], ...] = ()
    by_code: bool = False           # written with its code (2101301): no doubt which 科目


@dataclass
class Claim:
    """One amount of the prose with what it is read as."""

    sentence: Sentence
    amount: Amount
    label: str
    name: Name
    kind: str                 # 决算 / 年初预算 / 全年预算 / 预算, 上年, change, rate
    base: str = ""            # of a change or rate: 上年 or 预算; of 上年: the year
    scope: frozenset[str] = frozenset()
    inferred: bool = False    # its clause names nothing and follows a list: taken to be the list's whole
    context: tuple[str, ...] = ()   # 科目 codes named before it in the sentence
    sign: int = 1


@dataclass
class _State:
    """What a sentence has named so far, for the clauses that name nothing."""

    last: Claim | None = None
    before_list: Claim | None = None
    parts: int = 0
    listing: bool = False
    codes: list[str] = field(default_factory=list)


def _clean(text: str) -> str:
    return _DROP.sub("", text)


def _vocabulary(doc: Document) -> dict[str, list[Name]]:
    """Each spelling the prose may use → what it names: the profile's quantities by their
    aliases; each 科目 of the subject tables by its name, its code, and code and name together."""
    spellings: dict[str, list[Name]] = {}
    for quantity in doc.profile.quantities:
        name = Name(quantity.name, quantity.name, quantity=quantity)
        for alias in quantity.aliases:
            spellings.setdefault(_clean(_normalize(alias)), []).append(name)
    rows: dict[str, list[tuple[SubjectFigures, Table, Row]]] = {}
    held = {t.spec.id: t for t in doc.tables}
    for source in doc.profile.subject_figures:
        table = held.get(source.table)
        if table is None:
            continue
        for row in table.data_rows:
            if row.code and row.name and row.level:
                rows.setdefault(_clean(_normalize(row.name)), []).append((source, table, row))
    for text, found in rows.items():
        codes = sorted({r.code for _, _, r in found})
        spellings.setdefault(text, []).append(Name(codes[0] if len(codes) == 1 else text, text, rows=tuple(found)))
        for code in codes:
            mine = tuple(f for f in found if f[2].code == code)
            for spelling in (code, code + text):
                spellings.setdefault(spelling, []).append(Name(code, f"{code} {text}", rows=mine, by_code=True))
    return spellings


def _label(sentence: Sentence, amount: Amount, done: int) -> tuple[str, int]:
    """The words of ``amount``'s clause before it (not across an earlier amount), cleaned; and
    where they start."""
    text = sentence.text[done:amount.start]
    breaks = [m.end() for m in _BREAK.finditer(text)]
    start = done + (breaks[-1] if breaks else 0)
    return _clean(sentence.text[start:amount.start]), start


def _match(label: str, spellings: dict[str, list[Name]]) -> tuple[Name, str, str] | None:
    """The longest spelling in ``label`` with only neutral words before it and figure words after
    it: (what it names, the words before, the words after). A spelling naming two things (an
    alias shared by two quantities) is no match."""
    for spelling in sorted((s for s in spellings if s and s in label), key=len, reverse=True):
        names = spellings[spelling]
        if len(names) != 1:
            continue
        at = label.find(spelling)
        while at >= 0:
            before, after = label[:at], label[at + len(spelling):]
            if _NEUTRAL.fullmatch(before) and _TAIL.fullmatch(after):
                return names[0], before, after
            at = label.find(spelling, at + 1)
    return None


def _kind(words: str, doc: Document, percent: bool) -> tuple[str, str, int] | None:
    """(kind, base, sign) of a figure by the words of its label; None for one no rule reads."""
    years = [int(y) for y in _YEARS.findall(words) if int(y) != doc.year]
    last = bool(_LAST_YEAR.search(words) or years)
    if _CHANGE_RE.search(words):
        base = "预算" if "预算" in words and not last else "上年"
        return ("rate" if percent else "change"), base, (-1 if _DECREASE.search(words) else 1)
    if percent:
        return None
    if last:
        return "上年", str(years[0] if years else doc.year - 1), 1
    for kind, pattern in (("年初预算", "年初预算"), ("全年预算", "全年预算|调整"), ("预算", "预算"), ("决算", "决算|实际支出")):
        if re.search(pattern, words):
            return kind, "", 1
    default = {"final-accounts": "决算", "budget": "预算"}.get(doc.profile.kind)
    return (default, "", 1) if default else None


def _scopes(text: str) -> set[str]:
    """The scope words in ``text`` (政府性基金 inside 政府性基金预算 counts once)."""
    found = {s for s in _SCOPES if s in text}
    return {s for s in found if not any(s != other and s in other for other in found)}


def claims(doc: Document) -> list[Claim]:
    """Every amount of the document's prose that names (or follows) a quantity or a 科目."""
    spellings = _vocabulary(doc)
    if not spellings:
        return []
    found: list[Claim] = []
    for sentence in doc.prose_sentences:
        state = _State()
        done = 0
        for amount in sentence.amounts:
            label, start = _label(sentence, amount, done)
            if _LIST.search(sentence.text[done:amount.start]):
                if not state.listing and state.last is not None:
                    state.before_list = state.last
                state.listing = True
            done = amount.start + len(amount.text)
            claim = _read(doc, sentence, amount, label, start, spellings, state)
            if claim is not None:
                found.append(claim)
    return found


def _read(doc: Document, sentence: Sentence, amount: Amount, label: str, start: int,
          spellings: dict[str, list[Name]], state: _State) -> Claim | None:
    """One amount read (or None), the sentence's state moved on."""
    percent = not amount.money
    match = _match(label, spellings)
    if match is None:
        if not (_NEUTRAL.fullmatch(label) or _TAIL.fullmatch(label)):
            if not percent:
                state.last = None          # a clause about something else: nothing to carry on
                state.parts += state.listing
            return None
        earlier, inferred = state.last, False
        kind = _kind(label, doc, percent)
        if kind and kind[0] in ("change", "rate") and state.parts >= 2 and state.before_list is not None:
            # 收入总计X，其中：A…，B…，比上年增加Y: Y is the whole's, not the last part's
            earlier, inferred = state.before_list, True
        if earlier is None or kind is None:
            return None
        if inferred:
            state.last = Claim(sentence, amount, label, earlier.name, kind[0], kind[1], earlier.scope, True,
                               earlier.context, kind[2])
            return state.last
        return Claim(sentence, amount, label, earlier.name, kind[0], kind[1], earlier.scope, False,
                     earlier.context, kind[2])
    name, before, after = match
    kind = _kind(before + after, doc, percent)
    scope = frozenset(_scopes(sentence.text[:start] + before) - _scopes(label[len(before):len(label) - len(after)]))
    context = tuple(state.codes)
    if name.rows:
        state.codes.extend(r.code for _, _, r in name.rows)
    if kind is None:
        return None
    claim = Claim(sentence, amount, label, name, kind[0], kind[1], scope, False, context, kind[2])
    if state.listing:
        state.parts += 1
    state.last = claim
    return claim


# Figures and their agreement ---------------------------------------------------------------

def _input(doc: Document, path: str) -> Decimal | None:
    """An input of document.yaml by dotted path; None when it is not given (or no number)."""
    node = doc.input_at(path)
    try:
        return parse_decimal(node) if isinstance(node, (int, float, str, Decimal)) and node != "" else None
    except ValueError:
        return None


def _doc_unit(doc: Document) -> str:
    """The unit of the document's inputs: its tables' (万元 in most sets, 元 in the 元 sets)."""
    return doc.tables[0].spec.unit if doc.tables else "万元"


def agrees(amount: Amount, value: Decimal, unit: str, config: CheckConfig) -> bool:
    """Can the written amount be ``value`` (in ``unit``), allowing the amount half a unit of its
    last printed digit when it prints less than the table (2万元 for 2.00), and the table's
    rounding when the two are in different units?"""
    if unit not in MONEY_UNITS:
        return False
    written, held = amount.in_yuan(), value * MONEY_UNITS[unit]
    slack = Decimal(0)
    if amount.decimals() < 2:
        slack += Decimal(5) / Decimal(10) ** (amount.decimals() + 1) * MONEY_UNITS[amount.unit]
    if unit != amount.unit:
        slack += config.rounding.get(unit, Decimal(0)) * MONEY_UNITS[unit]
    return abs(written - held) <= slack


@dataclass
class Figure:
    """A place the document holds a figure: where, what it is called, its value and unit."""

    value: Decimal
    unit: str
    shown: str                      # “公开05表“208 社会保障和就业支出”行“小计”列”
    text: str                       # as printed


def _figure_text(value: Decimal) -> str:
    return f"{value:,.2f}"


def _reference(doc: Document, ref: dict, what: str) -> Figure | None:
    """A quantity's reference resolved; None when a row it names is missing (not compared)."""
    if "input" in ref:
        value = _input(doc, str(ref["input"]))
        return None if value is None else Figure(value, _doc_unit(doc), f"document.yaml 的 inputs.{ref['input']}", _figure_text(value))
    table = next((t for t in doc.tables if t.spec.id == str(ref["table"])), None)
    if table is None:
        return None
    rows, missing = _rows(table, ref)
    if missing or not rows:
        return None
    value = sum((r.amount(ref["column"]) for r in rows), Decimal(0))
    column = table.spec.column(ref["column"])
    names = "、".join(_row_label(r) for r in rows)
    return Figure(value, unit_of(table, ref["column"]), f"{table.spec.number}“{names}”行“{column.qualified_label}”列",
                  _figure_text(value))


def _row_label(row: Row) -> str:
    """How a finding names a row: its 科目 name, else its first printed label (总计, 货物)."""
    return row.name or next((v for v in row.cells.values() if isinstance(v, str) and v), "")


def _subject_figure(doc: Document, source: SubjectFigures, table: Table, row: Row, kind: str) -> Figure | None:
    """A 科目 row's figure of one kind: its column, or the input named for it."""
    spec = source.figures.get(kind)
    if spec is None:
        return None
    where = f"{table.spec.number}“{row.code} {row.name}”行"
    if "input" in spec:
        path = str(spec["input"]).replace("{code}", row.code)
        value = _input(doc, path)
        return None if value is None else Figure(value, _doc_unit(doc), f"document.yaml 的 inputs.{path}", _figure_text(value))
    column = table.spec.column(spec["column"])
    cell = row[column.key]
    return Figure(row.amount(column.key), unit_of(table, column.key), f"{where}“{column.qualified_label}”列",
                  getattr(cell, "text", "") or "0")


def _kinds(kind: str) -> tuple[str, ...]:
    """The kinds of figure an amount of ``kind`` may be: a 年初/全年 budget is the 预算 where the
    profile names no such budget apart."""
    return (kind, "预算") if kind in ("年初预算", "全年预算") else (kind,)


def _wrong_kind_hint(amount: Amount, others: list[tuple[str, Figure]], config: CheckConfig) -> str:
    """Why the amount may be wrong: it is another figure of the same thing (决算 written where
    年初预算 was meant, the 项目支出 column instead of 合计)."""
    for what, figure in others:
        if figure.value and agrees(amount, figure.value, figure.unit, config):
            return f"；文中的数是{what}（{figure.shown}），可能写成了另一栏的数"
    return ""


# prose.table-row ------------------------------------------------------------------------------

def _subject_rows(claim: Claim) -> list[tuple[SubjectFigures, Table, Row]]:
    """The rows a 科目 name stands for here: under a 类 the sentence named before it when it names
    one; a 款 or 项 name (医疗救助, 行政运行: also the names of projects) only so, or by its code."""
    rows = list(claim.name.rows)
    under = [r for r in rows if any(r[2].code.startswith(c) and r[2].code != c for c in claim.context)]
    if under:
        return under
    if claim.name.by_code or any(r[2].level == 1 for r in rows):
        return rows
    return []


@rule("prose.table-row", "cross-table",
      "A 科目 the prose names (类/款/项 name or code) has the amount of its row in the tables (年初预算, 决算 …).")
def table_row(doc: Document, config: CheckConfig) -> Iterator[Finding]:
    for claim in claims(doc):
        if not claim.name.rows or claim.kind not in ("决算", "年初预算", "全年预算", "预算"):
            continue
        finding = _check_subject(doc, claim, config)
        if finding is not None:
            yield finding


def _check_subject(doc: Document, claim: Claim, config: CheckConfig) -> Finding | None:
    amount = claim.amount
    rows = _subject_rows(claim)
    held: list[tuple[SubjectFigures, Table, Row, Figure]] = []
    for source, table, row in rows:
        for kind in _kinds(claim.kind):
            figure = _subject_figure(doc, source, table, row, kind)
            if figure is not None:
                held.append((source, table, row, figure))
                break
    if not held or any(agrees(amount, f.value, f.unit, config) for *_, f in held):
        return None
    source, table, row, figure = held[0]
    first_of_code = {r.code: (t, r, f) for _, t, r, f in reversed(held)}
    codes = sorted(first_of_code)
    hint = _wrong_kind_hint(amount, _other_subject_figures(doc, source, table, row, claim.kind), config)
    if not hint:
        hint = _swapped_hint(amount, table, row, figure, source, claim.kind, doc, config)
    what = f"{claim.label}{amount.text}"
    if len(codes) > 1:
        listed = "；".join(f"{first_of_code[code][2].shown}为 {first_of_code[code][2].text}" for code in codes)
        return _finding("prose.table-row", "cross-table", doc, claim.sentence, figure.text + figure.unit, amount.text,
                        f"文中“{what}”：名称“{claim.name.shown}”对应表中 {len(codes)} 行（{listed}），都不是 {amount.text}；"
                        "请写明科目编码或所属的款，并核对金额",
                        f"'{claim.name.shown}' names {len(codes)} rows ({', '.join(codes)}), none of which holds {amount.text}",
                        severity="warning")
    return _finding("prose.table-row", "cross-table", doc, claim.sentence, figure.text + figure.unit, amount.text,
                    f"文中“{what}”与表不符：{figure.shown}为 {figure.text}{figure.unit}，文中写 {amount.text}{hint}；"
                    "请按表格改正文字（或改正表格）",
                    f"{row.code} {row.name}: {claim.kind} is {figure.text} {figure.unit} in {table.spec.number}, "
                    f"the text says {amount.text}" + (" (another figure of the tables)" if hint else ""))


def _other_subject_figures(doc: Document, source: SubjectFigures, table: Table, row: Row, kind: str) -> list[tuple[str, Figure]]:
    """The row's other figures: the other kinds the profile names, then its other amount columns."""
    others: list[tuple[str, Figure]] = []
    used = set()
    for other in source.figures:
        if other in _kinds(kind):
            continue
        figure = _subject_figure(doc, source, table, row, other)
        if figure is not None:
            others.append((f"该科目的{other}数", figure))
            used.add(source.figures[other].get("column"))
    mine = next((source.figures[k].get("column") for k in _kinds(kind) if k in source.figures), None)
    for column in table.spec.amount_columns:
        if column.key not in used and column.key != mine:
            others.append((f"该行“{column.qualified_label}”列的数", Figure(row.amount(column.key), unit_of(table, column.key),
                                                                    f"{table.spec.number}“{row.code} {row.name}”行", "")))
    return others


def _swapped_hint(amount: Amount, table: Table, row: Row, figure: Figure, source: SubjectFigures, kind: str,
                  doc: Document, config: CheckConfig) -> str:
    """Two 科目' amounts swapped between sentences: the written amount is another row's figure."""
    for other in table.data_rows:
        if other is row or not other.code or other.level != row.level:
            continue
        for k in _kinds(kind):
            theirs = _subject_figure(doc, source, table, other, k)
            if theirs is not None:
                if theirs.value and agrees(amount, theirs.value, theirs.unit, config):
                    return f"；文中的数是“{other.code} {other.name}”的{k}数，两项金额可能写反了"
                break
    return ""


# prose.quantity -------------------------------------------------------------------------------

@rule("prose.quantity", "cross-table",
      "A standard quantity the prose states (人员经费, 基本支出, 三公经费 …) has the amount the tables hold for it.")
def quantity(doc: Document, config: CheckConfig) -> Iterator[Finding]:
    for claim in claims(doc):
        q = claim.name.quantity
        if q is None or claim.scope or claim.kind not in ("决算", "年初预算", "全年预算", "预算"):
            continue          # another scope (财政拨款 where the quantity is all funds): not this quantity
        refs = next((q.figures[k] for k in _kinds(claim.kind) if k in q.figures), None)
        if refs is None:
            continue
        figures = [f for f in (_reference(doc, ref, q.name) for ref in refs) if f is not None]
        if not figures or any(agrees(claim.amount, f.value, f.unit, config) for f in figures):
            continue
        yield _quantity_finding(doc, claim, q, refs, figures, config)


def _quantity_finding(doc: Document, claim: Claim, q: Quantity, refs: tuple[dict, ...], figures: list[Figure],
                      config: CheckConfig) -> Finding:
    amount = claim.amount
    others: list[tuple[str, Figure]] = []
    for kind, other_refs in q.figures.items():
        if kind not in _kinds(claim.kind):
            others += [(f"{q.name}的{kind}数", f) for f in (_reference(doc, r, q.name) for r in other_refs) if f is not None]
    for ref in refs:          # the other columns of the row it names
        table = next((t for t in doc.tables if t.spec.id == str(ref.get("table"))), None)
        if "row" in ref and table is not None:
            rows, missing = _rows(table, ref)
            for column in table.spec.amount_columns if rows and not missing else []:
                if column.key != ref["column"]:
                    others.append((f"同一行“{column.qualified_label}”列的数",
                                   Figure(rows[0].amount(column.key), unit_of(table, column.key), f"{table.spec.number}", "")))
    for other in doc.profile.quantities:
        if other is not q:
            for ref in next((other.figures[k] for k in _kinds(claim.kind) if k in other.figures), ()):
                figure = _reference(doc, ref, other.name)
                if figure is not None:
                    others.append((f"“{other.name}”的数", figure))
    hint = _wrong_kind_hint(amount, others, config)
    first = figures[0]
    listed = "；".join(f"{f.shown}为 {f.text}{f.unit}" for f in figures)
    return _finding("prose.quantity", "cross-table", doc, claim.sentence, first.text + first.unit, amount.text,
                    f"文中“{claim.label}{amount.text}”与表不符：{q.name}（{claim.kind}）在{listed}，文中写 {amount.text}{hint}；"
                    "请按表格改正文字（或改正表格）",
                    f"{q.name} ({claim.kind}) is {first.text} {first.unit} ({first.shown}), the text says {amount.text}"
                    + (" (another figure of the tables)" if hint else ""))


# prose.repeated -------------------------------------------------------------------------------

def _same(a: Amount, b: Amount, config: CheckConfig) -> bool:
    """Two written figures that may be one (9.1% and 9.10%, 16,209.8 and 16,209.80万元)."""
    if a.money != b.money:
        return False
    if not a.money:
        half = Decimal(5) / Decimal(10) ** (min(a.decimals(), b.decimals()) + 1)
        return abs(a.value - b.value) <= half
    return agrees(a, b.value, b.unit, config) or agrees(b, a.value, a.unit, config)


@rule("prose.repeated", "cross-table",
      "The same quantity (same name, kind and year) is not stated with two different values in the prose.")
def repeated(doc: Document, config: CheckConfig) -> Iterator[Finding]:
    first: dict[tuple, Claim] = {}
    for claim in claims(doc):
        key = (claim.name.key, claim.kind, claim.base, claim.scope, claim.sign if claim.kind in ("change", "rate") else 0)
        earlier = first.setdefault(key, claim)
        if earlier is claim or _same(earlier.amount, claim.amount, config):
            continue
        if earlier.sentence is claim.sentence:
            continue          # one sentence stating two figures of one name: two things, not a repeat
        where = earlier.sentence.where
        place = f"{where.path.name}:{where.line}" if where.line else where.path.name
        what = {"change": "增减额", "rate": "增减率", "上年": f"{claim.base}年的数"}.get(claim.kind, f"{claim.kind}数")
        scope = "".join(sorted(claim.scope))
        severity = "warning" if claim.inferred or earlier.inferred else "error"
        yield _finding("prose.repeated", "cross-table", doc, claim.sentence, earlier.amount.text, claim.amount.text,
                       f"{scope}{claim.name.shown}的{what}前后不一：{place} 写“{earlier.label}{earlier.amount.text}”，"
                       f"此处写“{claim.label}{claim.amount.text}”；同一个数只能有一个值，请核对后统一",
                       f"{claim.name.shown} ({claim.kind}) is {earlier.amount.text} at {place} and {claim.amount.text} here",
                       severity=severity)
