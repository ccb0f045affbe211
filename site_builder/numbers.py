"""Amounts as published: parse what finance staff type, format what citizens read.

A cell is one of three different things (DOMAIN §6): blank, a number (``0.00``
included) and ``——`` (not applicable). They display exactly as entered; only the
number is used in arithmetic, always as :class:`decimal.Decimal`.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation

NOT_APPLICABLE_MARKS = {"——", "—", "--", "－－", "-"}
# The money units a table may be printed in, each as so many 元: a figure in one converts to
# the other (the checker's cross-table comparisons; a document's ``tables: {id: {unit: …}}``)
MONEY_UNITS = {"元": Decimal(1), "万元": Decimal(10000)}
_NUMBER_RE = re.compile(r"^[+-]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$")
_TWO = Decimal("0.01")
# The amounts a table, a form or document.yaml may hold (docs/templates.md, "Bounded work"):
# 15 integer digits is 999 万亿 (in 元) with room to spare, 6 decimal places a 万元 figure to the
# hundredth of a 元. Within them every sum the build makes stays exact in Decimal's 28 digits
# (5,000 rows of 10^15 with 6 decimals: 25 digits), and nothing is a 5,000-digit string
# (Python refuses str() of such an int) or 1E+999999999 (formatting it writes a billion digits).
MAX_INTEGER_DIGITS = 15
MAX_DECIMAL_PLACES = 6
# What to type instead of a number beyond them (the hint of the error)
NUMBER_HINT = f"填写实际的数字（整数部分最多 {MAX_INTEGER_DIGITS} 位，小数最多 {MAX_DECIMAL_PLACES} 位），如 2262.43"
# Rounding a rate to two places: a rate of a tiny base can have more integer digits than the
# default context's 28 (10^18 / 0.000001 × 100); quantize would raise InvalidOperation there.
_ROUNDING = Context(prec=60)


class OutOfRange(ValueError):
    """A number that is well formed but no amount: not finite, too large, or too finely divided."""


def _shown(raw: object) -> str:
    """``raw`` for a message: a 5,000-digit number is cut short."""
    text = str(raw).strip()
    return text if len(text) <= 30 else f"{text[:20]}…（共 {len(text):,} 个字符）"


def bounded(value: Decimal, raw: object) -> Decimal:
    """``value`` when it is an amount within MAX_INTEGER_DIGITS and MAX_DECIMAL_PLACES; else
    OutOfRange with a Chinese reason (``raw`` is what was typed)."""
    if not value.is_finite():
        raise OutOfRange(f"“{_shown(raw)}”不是具体的数字")
    if value.adjusted() >= MAX_INTEGER_DIGITS:      # (not abs(value): 1E+999999999 overflows the context)
        raise OutOfRange(f"“{_shown(raw)}”过大：整数部分超过 {MAX_INTEGER_DIGITS} 位")
    if exponent(value) < -MAX_DECIMAL_PLACES:
        raise OutOfRange(f"“{_shown(raw)}”的小数超过 {MAX_DECIMAL_PLACES} 位")
    return value


def exponent(value: Decimal) -> int:
    """The exponent of a finite ``value`` (-2 for 1.50, 2 for 1E+2). Decimal's own is a letter
    for NaN and infinity ('n', 'N', 'F'), which no arithmetic on a place count expects."""
    result = value.as_tuple().exponent
    if isinstance(result, str):
        raise OutOfRange(f"“{value}”不是具体的数字")
    return result


def normalize_text(text: str) -> str:
    """Fold full-width digits and punctuation to ASCII and trim spaces (NFKC)."""
    return unicodedata.normalize("NFKC", text).strip()


_SPACES = re.compile(r"\s+")


@functools.lru_cache(maxsize=1 << 16)
def label_key(text: str) -> str:
    """A printed label without spaces, full-width forms folded (the same few labels recur).
    (Here rather than in model.py, which re-exports it: profiles.py compares labels too.)"""
    return _SPACES.sub("", normalize_text(text))


@dataclass(frozen=True)
class Cell:
    """One amount cell: ``text`` is what is displayed, ``value`` what is summed."""

    text: str
    value: Decimal | None

    @property
    def is_blank(self) -> bool:
        return self.text == ""

    @property
    def is_not_applicable(self) -> bool:
        return self.value is None and self.text != ""

    @property
    def amount(self) -> Decimal:
        """The value for arithmetic: blank and ``——`` count as zero."""
        return self.value if self.value is not None else Decimal(0)


BLANK = Cell("", None)


def cell_text(value: object) -> str:
    """A model cell as every output shows it: an amount or a rate as published, a label as typed."""
    return value.text if isinstance(value, Cell) else ("" if value is None else str(value))


def _no_number(text: str) -> Cell | None:
    """A blank cell, or one printing “——” (not applicable): the same in an amount and a rate column."""
    if text == "":
        return BLANK
    if text in NOT_APPLICABLE_MARKS or set(text) <= {"—", "-", "－"}:
        return Cell("——", None)
    return None


def parse_cell(raw: str) -> Cell:
    """Parse one amount cell; raise ValueError with a Chinese reason if it is no amount."""
    text = normalize_text(raw or "")
    if (empty := _no_number(text)) is not None:
        return empty
    if not _NUMBER_RE.match(text):
        raise ValueError(f"“{_shown(raw)}”不是金额（应为数字，如 2262.43 或 2,262.43；空白、0.00 或 —— 也可以）")
    try:
        value = Decimal(text.replace(",", ""))
    except InvalidOperation as exc:  # pragma: no cover - the regex already guards this
        raise ValueError(f"“{_shown(raw)}”不是金额") from exc
    return Cell(text, bounded(value, raw))


_PERCENT_RE = re.compile(r"^[+-]?\d+(\.\d+)?%$")
PERCENT_FORMS = "带百分号，如 27.05%、-3.2% 或 0.00%，不用千分位逗号；空白或 —— 也可以"


def parse_rate(raw: str) -> Cell:
    """Parse one printed percentage (a rate column the profile marks ``printed``): “27.05%”,
    “-3.2%”, “0.00%”, blank or ``——``; the text stays as printed, the value is in percent
    (27.05). Anything else is a ValueError with a Chinese reason naming the expected form."""
    text = normalize_text(raw or "")
    if (empty := _no_number(text)) is not None:
        return empty
    if not _PERCENT_RE.match(text):
        raise ValueError(f"“{_shown(raw)}”不是百分比（应照表中所印填写，{PERCENT_FORMS}）")
    return Cell(text, bounded(Decimal(text[:-1]), raw))


def parse_decimal(raw: object) -> Decimal:
    """Parse a number typed in YAML (int, float-looking text, thousands separators). Not a
    number: ValueError; a number beyond the bounds (NaN, 1e400, 16 integer digits): OutOfRange."""
    if isinstance(raw, Decimal):      # made by the build (an input of document.yaml, already checked)
        return raw
    if isinstance(raw, bool) or raw is None:
        raise ValueError(f"“{raw}”不是数字")
    text = normalize_text(str(raw)).replace(",", "")
    try:
        value = Decimal(text)
    except InvalidOperation as exc:
        raise ValueError(f"“{_shown(raw)}”不是数字") from exc
    return bounded(value, raw)


def round2(value: Decimal) -> Decimal:
    return value.quantize(_TWO, rounding=ROUND_HALF_UP, context=_ROUNDING)


def money(value: Decimal | Cell | None, separators: bool = True) -> str:
    """Format an amount with two decimals (and thousands separators in prose): 2,262.43."""
    if isinstance(value, Cell):
        value = value.amount
    value = round2(value or Decimal(0))
    return f"{value:,.2f}" if separators else f"{value:.2f}"


def plain_number(value: Decimal) -> str:
    """97 → “97”, 4.50 → “4.5”: scores and summed scores as printed, without trailing zeros."""
    value = Decimal(value)
    return str(int(value)) if value == value.to_integral() else f"{value.normalize():f}"


def percent(part: Decimal, whole: Decimal) -> str | None:
    """``part / whole`` as a two-decimal percentage, or None when whole is zero.

    A rate whose denominator is zero is undefined; callers must not print 0.00% (DOMAIN §5).
    """
    if not whole:
        return None
    return f"{round2(part * 100 / whole):.2f}%"
