"""Amounts as published: parse what finance staff type, format what citizens read.

A cell is one of three different things (DOMAIN §6): blank, a number (``0.00``
included) and ``——`` (not applicable). They display exactly as entered; only the
number is used in arithmetic, always as :class:`decimal.Decimal`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

NOT_APPLICABLE_MARKS = {"——", "—", "--", "－－", "-"}
_NUMBER_RE = re.compile(r"^[+-]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$")
_TWO = Decimal("0.01")


def normalize_text(text: str) -> str:
    """Fold full-width digits and punctuation to ASCII and trim spaces (NFKC)."""
    return unicodedata.normalize("NFKC", text).strip()


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


def parse_cell(raw: str) -> Cell:
    """Parse one amount cell; raise ValueError with a Chinese reason if it is no amount."""
    text = normalize_text(raw or "")
    if text == "":
        return BLANK
    if text in NOT_APPLICABLE_MARKS or set(text) <= {"—", "-", "－"}:
        return Cell("——", None)
    if not _NUMBER_RE.match(text):
        raise ValueError(f"“{raw.strip()}”不是金额（应为数字，如 2262.43 或 2,262.43；空白、0.00 或 —— 也可以）")
    try:
        value = Decimal(text.replace(",", ""))
    except InvalidOperation as exc:  # pragma: no cover - the regex already guards this
        raise ValueError(f"“{raw}”不是金额") from exc
    return Cell(text, value)


def parse_decimal(raw: object) -> Decimal:
    """Parse a number typed in YAML (int, float-looking text, thousands separators)."""
    if isinstance(raw, Decimal):
        return raw
    if isinstance(raw, bool) or raw is None:
        raise ValueError(f"“{raw}”不是数字")
    text = normalize_text(str(raw)).replace(",", "")
    try:
        return Decimal(text)
    except InvalidOperation as exc:
        raise ValueError(f"“{raw}”不是数字") from exc


def round2(value: Decimal) -> Decimal:
    return value.quantize(_TWO, rounding=ROUND_HALF_UP)


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
