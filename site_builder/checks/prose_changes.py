"""Change rates in the department's prose: “比上年减少9.49万元，下降69.63%”.

A change X and its rate P name no base: the base is the figure before the change, the current
figure C that the sentence (or the paragraph before it) states for the same thing, less the
increase or plus the decrease — last year's figure, or the 年初预算 when the comparison says
“较年初预算”. So P = X ÷ (C ∓ X) is checkable although last year's figure is printed nowhere:

- ``prose.change-rate``: P is X over that base, to half a unit of its last printed digit and
  each amount's 万元 rounding; a rate whose direction contradicts the change (减少 X，增长 P%)
  is wrong whatever its size;
- ``prose.zero-base``: a growth rate over a zero base (last year's figure stated as 0, or C = X:
  the item is new) or “增加 X，增长0.00%” (no finite base gives 0): undefined, the text should
  say 上年无此项支出.

C is found by what the change names: “收入总计减少 X” pairs with the 收入总计 stated before it,
“比上年增加 X” (naming nothing) with the amount the sentence opens with (not a part listed after
其中). When that leaves two figures and the rate fits neither, the rule warns; when it leaves
none or more, it says nothing: a false error costs the bureau more than a missed one.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from ..model import Document
from . import CheckConfig, Finding, rule
from .prose import Amount, Sentence, _finding, _slack, pair_kind, paragraphs

_UP, _DOWN = r"增加|增长|上升|上涨|提高|增多", r"减少|下降|降低|减小|缩减|节约"
# the change amount's label ends with its verb: “收入总计减少”, “比上年增加”, “较上年决算减少了”
_CHANGE = re.compile(rf"({_UP}|{_DOWN})(?:了|额为|额|为)?\s*$")
# the rate's label is a verb alone: “下降”, “增长了”, “增幅为”, “同比增长”
_RATE = re.compile(rf"^(?:同比)?({_UP}|{_DOWN}|增幅|降幅)(?:了|幅度为|幅度|比例为|率为|率|为)?\s*$")
# what the change is compared with: “比上年”, “较上年决算”, “与2023年相比”, “较年初预算数”
_VERSUS = re.compile(r"(?:比|较|与|同)\s*(上一?年度?|\d{4}\s*年度?|上年同期|年初预算|全年预算|预算)"
                     r"(决算|预算)?数?(?:相比|比较)?")
# where a sentence starts listing parts: an amount after it is not the sentence's own figure
_PARTS = re.compile(r"其中|主要包括|包括|主要用于|用于|分别为|主要有")
# words of a label that do not name the thing: the year, 决算, quotes and 科目 levels
_NOISE = re.compile(r"\d{4}\s*年度?|本年度?|当年|年度|决算数?|的|为|是|达到|共计|合计为|[“”\"'\s]|[（(][类款项][)）]")
# last year's figure stated as zero: “上年决算为0”, “上年支出0.00万元”, “上年同期为0元”
_ZERO_LAST = re.compile(r"上一?年度?(?:同期)?[^，,。；;：:%\d]{0,12}?\s*0(?:\.0+)?\s*(?:万元|元)?(?![\d.]|,\d)")
_ZERO_EXPECTED = "不写增长率（上年为零，无法计算）"


@dataclass
class Change:
    sentence: Sentence
    amount: Amount          # X: “减少3,070.80万元”
    rate: Amount            # P: “下降57.58%”
    up: bool                # the direction X states
    rate_up: bool           # the direction P states (增长, 增幅: up; 下降, 降幅: down)
    subject: str            # what changed, as named (“收入总计”), "" when the clause names nothing
    versus: str             # what it is compared with: "budget" (年初预算), "last-budget" (上年预算) or "last"
    before: list[Sentence]  # the sentences of the paragraph before this one, nearest first


def _direction(word: str) -> bool:
    """Up (True) or down, for a verb of _UP or _DOWN or 增幅/降幅."""
    return word == "增幅" or bool(re.fullmatch(_UP, word))


def _paragraphs(doc: Document) -> list[list[Sentence]]:
    """``paragraphs``, made once for a document (``Document.prose_paragraphs``: the two rules
    read them three times); a stand-in document (the tests') has them made now."""
    return doc.prose_paragraphs if isinstance(doc, Document) else paragraphs(doc)


def changes(doc: Document) -> Iterator[Change]:
    """Every change amount followed by its rate: “减少 X 万元，下降 P%”."""
    for paragraph in _paragraphs(doc):
        for index, sentence in enumerate(paragraph):
            amounts = sentence.amounts
            for amount, rate in itertools.pairwise(amounts):
                verb, verb_rate = _CHANGE.search(amount.label), _RATE.match(rate.label)
                if not (amount.money and verb and not rate.money and verb_rate):
                    continue
                head = sentence.text[:amount.start]
                versus = list(_VERSUS.finditer(head))
                compared = versus[-1].group(0) if versus else ""
                kind = "last" if not re.search("预算", compared) else \
                    "last-budget" if re.search(r"上|\d{4}", compared) else "budget"
                subject = _VERSUS.sub("", amount.label[:verb.start()])
                subject = re.sub(r"^(?:相比|比较)|^与.*相比|同比", "", subject)
                yield Change(sentence, amount, rate, bool(re.fullmatch(_UP, verb.group(1))),
                             _direction(verb_rate.group(1)), _plain(subject), kind, paragraph[index - 1::-1] if index else [])


def _plain(label: str) -> str:
    """A label without the words that do not name the thing (2024年度, 决算, quotes)."""
    return _NOISE.sub("", label).strip("，,、：:；;")


def _same_thing(subject: str, label: str) -> bool:
    label = _plain(label)
    return bool(subject and label) and (subject in label or label in subject)


def _figures(sentence: Sentence, upto: int, depth: int) -> list[Amount]:
    """The amounts of a sentence before ``upto`` that may be a current figure: money, not in a
    deeper bracket, not itself a change or a comparison (“比上年增加”, “较上年决算数”)."""
    return [a for a in sentence.amounts if a.money and a.start < upto and a.depth <= depth
            and not _CHANGE.search(a.label) and not _VERSUS.search(a.label)]


def _opening(sentence: Sentence, figures: list[Amount]) -> list[Amount]:
    """The figures the sentence states of its own subject: those before it starts listing parts."""
    marker = _PARTS.search(sentence.text)
    return [a for a in figures if marker is None or a.start < marker.start()]


def _by_kind(change: Change, figures: list[Amount]) -> list[Amount]:
    """Of a 年初预算 and a 决算 stated together, the one the change is of: the 决算, unless the
    comparison is with last year's budget (then this year's budget)."""
    kinds = {pair_kind(a) for a in figures}
    if not {"budget", "actual"} <= kinds:
        return figures
    want = "budget" if change.versus == "last-budget" else "actual"
    return [a for a in figures if pair_kind(a) == want]


def current_figures(change: Change) -> list[Amount]:
    """The figures the change may be of, in the sentence or else the paragraph before it."""
    x = change.amount
    for place, sentence in enumerate([change.sentence, *change.before]):
        upto = x.start if place == 0 else len(sentence.text) + 1
        figures = _figures(sentence, upto, x.depth if place == 0 else 0)
        if change.subject:
            named = [a for a in figures if _same_thing(change.subject, a.label)]
            if named:
                return named
            continue
        if figures:
            found = _by_kind(change, _opening(sentence, figures))
            if place == 0:   # “收入100万元，其中A 80万元，比上年增加…” may be of A: both are read
                nearest = figures[-1]
                found += [nearest] if nearest not in found and _PARTS.search(sentence.text[:nearest.start]) else []
            return found
    # the change said first: “收入总计比上年减少X万元，下降P%，为C万元”: the next amount, if it is
    # said of the same thing or of nothing else (为, 达到)
    after = [a for a in change.sentence.amounts if a.money and a.start > change.rate.start][:1]
    return [a for a in after if not _plain(a.label) or _same_thing(change.subject, a.label)]


def _named(current: Amount, change: Change) -> str:
    """The current figure as the message shows it: “支出决算82.46万元” (“收入总计2,262.43万元” for “为2,262.43万元”)."""
    return f"{current.label if _plain(current.label) else change.subject}{current.text}"


def _base(current: Amount, change: Change) -> Decimal:
    x = change.amount.in_yuan()
    return current.in_yuan() - x if change.up else current.in_yuan() + x


def _rate_range(current: Amount, change: Change, config: CheckConfig) -> tuple[Decimal, Decimal] | None:
    """The lowest and highest X ÷ (C ∓ X), in percent, that the printed amounts can give (each
    off by its rounding); None when the base may be zero or below."""
    x, c = change.amount.in_yuan(), current.in_yuan()
    rx, rc = _slack(change.amount, config), _slack(current, config)
    sign = -1 if change.up else 1
    corners = []
    for dx in (-rx, rx):
        for dc in (-rc, rc):
            base = c + dc + sign * (x + dx)
            if base <= 0:
                return None
            corners.append(max(x + dx, Decimal(0)) / base * 100)
    return min(corners), max(corners)


def _fits(current: Amount, change: Change, config: CheckConfig) -> bool | None:
    """Does P fit C (None: C cannot be the figure, its base being zero or below)?"""
    bounds = _rate_range(current, change, config)
    if bounds is None:
        return None
    half = Decimal(5) / Decimal(10) ** (change.rate.decimals() + 1)
    p = change.rate.value
    return p + half >= bounds[0] and p - half <= bounds[1]


def _expected(current: Amount, change: Change) -> str:
    exact = change.amount.in_yuan() / _base(current, change) * 100
    return f"{exact:.{max(change.rate.decimals(), 2)}f}%"


def _zero_base(change: Change, figures: list[Amount]) -> str | None:
    """The severity of a growth over a zero base: C = X leaves nothing for last year (error); a
    rate of 0 for a nonzero rise with no figure to pair is what a spreadsheet gives over a zero
    base, or a rise tiny beside a large base (warning: it reads two ways). With a figure, a 0
    rate over a base above zero is prose.change-rate's."""
    if not change.up or change.amount.value == 0:
        return None
    if len({a.in_yuan() for a in figures}) == 1 and _base(figures[0], change) == 0:
        return "error"
    return "warning" if change.rate.value == 0 and not figures else None


@rule("prose.change-rate", "percentage",
      "“增加/减少 X，增长/下降 P%”: P = X ÷ (the current figure ∓ X), and P goes the way X does.")
def change_rate(doc: Document, config: CheckConfig) -> Iterator[Finding]:
    for change in changes(doc):
        x, p, sentence = change.amount, change.rate, change.sentence
        if change.rate_up != change.up:
            word = "增长" if change.up else "下降"
            yield _finding("prose.change-rate", "percentage", doc, sentence, f"{word}{p.text}", f"{p.label}{p.text}",
                           f"“{x.label}{x.text}”与“{p.label}{p.text}”增减方向相反：应同为增加或同为减少，请核对哪一个写错",
                           f"{x.label} {x.text} and {p.label} {p.text} go opposite ways")
            continue
        figures = current_figures(change)
        if _zero_base(change, figures):
            continue                        # prose.zero-base speaks
        fits = [(a, _fits(a, change, config)) for a in figures]
        fits = [(a, fit) for a, fit in fits if fit is not None]
        values = {a.in_yuan() for a, _fit in fits}
        if not fits or any(fit for _a, fit in fits) or len(values) > 2:
            continue
        current = fits[0][0]
        expected = _expected(current, change)
        base = _base(current, change)
        shown = f"{base / 10000:.2f}万元" if current.unit == "万元" else f"{base:.2f}元"
        before = "年初预算数" if change.versus == "budget" else "上年数"
        if len(values) == 1:
            yield _finding("prose.change-rate", "percentage", doc, sentence, expected, p.text,
                           f"“{_named(current, change)}”{x.label}{x.text}，则{before}为 {shown}，"
                           f"“{p.label}”应为 {x.text} ÷ {shown} = {expected}，文中写 {p.text}",
                           f"{x.text} over the figure before the change ({current.text} ∓ {x.text} = {shown}) "
                           f"is {expected}, the text says {p.text}")
        else:
            other = next(a for a, _fit in fits if a.in_yuan() != current.in_yuan())
            also = _expected(other, change)
            yield _finding("prose.change-rate", "percentage", doc, sentence, f"{expected} 或 {also}", p.text,
                           f"“{x.label}{x.text}，{p.label}{p.text}”：按“{_named(current, change)}”算应为 {expected}，"
                           f"按“{_named(other, change)}”算应为 {also}，与文中 {p.text} 都不符，请核对",
                           f"{x.text} gives {expected} over {current.text} and {also} over {other.text}; "
                           f"the text says {p.text}", severity="warning")


@rule("prose.zero-base", "zero-denominator",
      "A growth rate over a zero base (last year 0, or the current figure equal to the increase; 增加 X，增长0.00%).")
def zero_base(doc: Document, config: CheckConfig) -> Iterator[Finding]:
    for change in changes(doc):
        figures = current_figures(change)
        severity = _zero_base(change, figures)
        x, p = change.amount, change.rate
        if severity == "error":
            yield _zero_finding(doc, change.sentence, p, f"“{_named(figures[0], change)}”全部是增加额（{x.label}{x.text}），"
                                                         "上年为零", x.text)
        elif severity == "warning":
            yield _finding("prose.zero-base", "zero-denominator", doc, change.sentence, _ZERO_EXPECTED, p.text,
                           f"“{x.label}{x.text}”而“{p.label}{p.text}”：增加额不为零，增长率只在上年为零（无法计算）"
                           f"或上年数远大于增加额时才会写成 0；上年为零应写“上年无此项支出”，不写百分比",
                           f"a rise of {x.text} with a rate of {p.text}: a zero base (undefined) or a very large one",
                           severity="warning")
    for paragraph in _paragraphs(doc):
        for sentence in paragraph:
            yield from _stated_zero(doc, sentence)


def _stated_zero(doc: Document, sentence: Sentence) -> Iterator[Finding]:
    """“上年决算为0，增长100%”: a growth rate after last year's figure written as zero (often
    without a unit, so read from the text rather than from the amounts)."""
    for zero in _ZERO_LAST.finditer(sentence.text):
        after = [a for a in sentence.amounts if a.start >= zero.end()]
        rate = after[0] if after and not after[0].money else None   # right after it, no other amount between
        verb = _RATE.match(rate.label) if rate else None
        if rate and verb and _direction(verb.group(1)) and not re.search("结转|结余", zero.group(0)):
            yield _zero_finding(doc, sentence, rate, f"文中写“{zero.group(0)}”，上年为零", zero.group(0))


def _zero_finding(doc: Document, sentence: Sentence, rate: Amount, what: str, base: str) -> Finding:
    return _finding("prose.zero-base", "zero-denominator", doc, sentence, _ZERO_EXPECTED, rate.text,
                    f"{what}，增长率无法计算，文中却写“{rate.label}{rate.text}”；应写“上年无此项支出”（或“新增”），不写百分比",
                    f"growth over a zero base ({base}) is undefined; the text says {rate.text}")
