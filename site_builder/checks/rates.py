"""Printed rates in tables: a rate or growth column the profile marks ``printed: true``
(决算数为预算数的%, 增速% of a 三公 table) holds what the document printed, so that the page shows
it as printed; these rules recompute it from its row's ``of`` columns.

- ``rate.printed``: the printed rate is the rate of its row, to half a unit of its last
  printed digit (27.05% stands for 27.045–27.055%); an amount in 万元 may itself be off by the
  portal's 万元 rounding, so the rate is checked against the range it can really take;
- ``rate.zero-denominator``: a rate printed (0.00% or any other) where the base is zero or
  blank: the rate is undefined there, and the cell should be blank or ——.

Computed rate columns (no ``printed``) are made by the build and cannot disagree.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from ..model import Document, Row, Table
from ..numbers import Cell
from ..profiles import Column
from . import CheckConfig, Finding, rule
from .forms import _half_step
from .sums import _label


def _printed(doc: Document) -> Iterator[tuple[Table, Column, Row, Cell, Cell, Cell]]:
    """(table, column, row, printed rate, part, base) for every printed number in a printed rate
    column; blank and —— cells print no rate and are skipped."""
    for table in doc.tables:
        for col in table.spec.columns:
            if not (col.printed and col.of):
                continue
            for row in table.rows:
                printed = row[col.key]
                if printed.value is not None and not row.computed:
                    yield table, col, row, printed, row[col.of[0]], row[col.of[1]]


def _slack(table: Table, key: str, cell: Cell, config: CheckConfig) -> Fraction:
    """How far a printed amount may be from the exact one (万元 rounding; nothing for a blank)."""
    if cell.value is None:
        return Fraction(0)
    unit = table.spec.column(key).unit or table.spec.unit
    return Fraction(config.rounding.get(unit, Decimal(0)))


def _range(part: Fraction, base: Fraction, slack_part: Fraction, slack_base: Fraction,
           growth: bool) -> tuple[Fraction, Fraction] | None:
    """The lowest and highest rate, in percent, that amounts printed as ``part`` and ``base``
    can give (part ÷ base, or part ÷ base − 1 for growth); None when the base may be zero."""
    bases = (base - slack_base, base + slack_base)
    if bases[0] <= 0 <= bases[1]:
        return None
    corners = [p / b * 100 for p in (part - slack_part, part + slack_part) for b in bases]  # monotonic in each
    shift = 100 if growth else 0
    return min(corners) - shift, max(corners) - shift


def _shown(value: Fraction, places: int) -> str:
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return f"{exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)}%"


def _formula(table: Table, col: Column, part: Cell, base: Cell) -> str:
    a, b = (table.spec.column(k).label for k in col.of or ())
    shown_a, shown_b = part.text or "空白", base.text or "空白"
    if col.type == "growth":
        return f"（{a} {shown_a} − {b} {shown_b}）÷ {b} {shown_b}"
    return f"{a} {shown_a} ÷ {b} {shown_b}"


@rule("rate.printed", "percentage",
      "A printed rate column (profile: printed: true) equals the rate of its row's `of` columns, to its printed precision.")
def printed_rate(doc: Document, config: CheckConfig) -> Iterator[Finding]:
    for table, col, row, printed, part, base in _printed(doc):
        if not base.value:
            continue                       # undefined: rate.zero-denominator speaks
        key_a, key_b = col.of or ("", "")
        bounds = _range(Fraction(part.amount), Fraction(base.amount), _slack(table, key_a, part, config),
                        _slack(table, key_b, base, config), col.type == "growth")
        if bounds is None:
            continue
        value, half = Fraction(printed.value or 0), Fraction(_half_step(printed.text.rstrip("%")))
        if value + half >= bounds[0] and value - half <= bounds[1]:
            continue
        exact = Fraction(part.amount) / Fraction(base.amount) * 100 - (100 if col.type == "growth" else 0)
        places = max(len(printed.text.rstrip("%").partition(".")[2]), 2)
        expected = _shown(exact, places)
        yield Finding(
            rule="rate.printed", family="percentage", severity="error",
            location=table.cell_location(row, col.key), document=doc.url, expected=expected, found=printed.text,
            message=f"{table.spec.number}“{_label(row)}”行“{col.label}”：{_formula(table, col, part, base)} = {expected}，"
                    f"表中印为 {printed.text}（允许末位半个单位的误差）",
            message_en=f"{table.spec.number} row '{_label(row)}' {col.key}: the row's amounts give {expected}, "
                       f"printed {printed.text}",
        )


@rule("rate.zero-denominator", "zero-denominator",
      "A printed rate where its base is zero or blank (the rate is undefined: the cell should be blank or ——).")
def zero_denominator(doc: Document, config: CheckConfig) -> Iterator[Finding]:
    for table, col, row, printed, _part, base in _printed(doc):
        if base.value:
            continue
        base_label = table.spec.column((col.of or ("", ""))[1]).label
        shown = "空白" if base.is_blank else "——" if base.is_not_applicable else f"零（{base.text}）"
        yield Finding(
            rule="rate.zero-denominator", family="zero-denominator", severity="error",
            location=table.cell_location(row, col.key), document=doc.url, expected="空白或——", found=printed.text,
            message=f"{table.spec.number}“{_label(row)}”行“{col.label}”：{base_label}为{shown}，比率无法计算，"
                    f"表中却印为 {printed.text}；应留空或写“——”",
            message_en=f"{table.spec.number} row '{_label(row)}' {col.key}: the base {col.of[1] if col.of else ''} is "
                       f"{base.text or 'blank'}, so the rate is undefined; printed {printed.text}",
        )
