"""A disclosure's headline figures and the year tables built from them (figures only, no markup):
what the home, department and year pages show, and what the build's summaries keep, so that the
pages that list disclosures need no tables."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from .model import Department, Document, Portal
from .numbers import money, percent, plain_number
from .records import Figure


def headline(doc: Document) -> list[tuple[str, str, str]]:
    """The document's headline figures: (label, text, unit), as the profile defines them."""
    return [(figure.label, figure.text, figure.unit) for figure in doc.headline_figures]


def headline_item(doc: Document, role: str) -> tuple[str, str, Decimal] | None:
    """(text, unit, value) of the headline figure with ``role`` (e.g. total_expenditure), if any;
    none while it is PENDING (a draft's blank: no value to compare, rank or divide by)."""
    return next(((figure.text, figure.unit, figure.value) for figure in doc.headline_figures
                 if figure.role == role and figure.text != PENDING), None)


def figure(doc: Document, role: str) -> Decimal | None:
    """The value of the headline figure with ``role``, if any."""
    item = headline_item(doc, role)
    return item[2] if item else None


def year_summary(documents: list[Document]) -> list[tuple[str, str, str]]:
    """Figures that need two kinds of document of one year: 预算执行率 = 决算支出 / 预算支出."""
    by_kind = {d.kind: d for d in documents}
    if "budget" in by_kind and "final-accounts" in by_kind:
        budget = figure(by_kind["budget"], "total_expenditure")
        actual = figure(by_kind["final-accounts"], "total_expenditure")
        if budget and actual is not None:
            return [("预算总额", money(budget), by_kind["budget"].profile.tables[0].unit),
                    ("决算总额", money(actual), by_kind["final-accounts"].profile.tables[0].unit),
                    ("决算占预算", percent(actual, budget) or "", "")]
    return []


# The year page's columns: (key, heading, kind of disclosure, headline role); “rate” is computed.
YEAR_COLUMNS: list[tuple[str, str, str | None, str | None]] = [
    ("budget", "预算支出总计", "budget", "total_expenditure"),
    ("final", "决算支出合计", "final-accounts", "total_expenditure"),
    ("rate", "决算占预算", None, None),
    ("three", "“三公”经费决算数", "final-accounts", "three_public"),
    ("score", "绩效自评得分", "performance", "score")]
YEAR_SORTS = ["budget", "final", "rate", "three", "score"]     # each has a pre-sorted view (no JavaScript)


def year_cells(documents: list[Document]) -> dict[str, dict[str, Any] | None]:
    """One department's figures of one year by YEAR_COLUMNS: {key: {text, unit, value, href}}
    (href: the disclosure's page from the site root), None where it has no such figure."""
    by_kind = {d.kind: d for d in documents}
    cells: dict[str, dict[str, Any] | None] = {}
    for key, _, kind, role in YEAR_COLUMNS:
        doc = by_kind.get(kind) if kind else None
        cells[key] = _cell(doc, role) if doc and role else None
    budget, final = cells["budget"], cells["final"]
    rate = percent(final["value"], budget["value"]) if budget and final and budget["unit"] == final["unit"] else None
    cells["rate"] = {"text": rate, "unit": "", "value": Decimal(rate[:-1]), "href": None} if rate else None
    return cells


def _cell(doc: Document, role: str) -> dict[str, Any] | None:
    """The cell of ``doc``'s headline figure with ``role`` (``year_cells``), None if it has none."""
    found = headline_item(doc, role)
    return {"text": found[0], "unit": found[1], "value": found[2], "href": f"{doc.url}index.html"} \
        if found else None


def department_years(dept: Department) -> tuple[list[int], list[dict[str, Any]]]:
    """The department page's side-by-side table: its years, oldest first (as the trend line
    reads, left to right), and one row per YEAR_COLUMNS figure it has in any year:
    {key, label, cells (one per year, as ``year_cells`` gives them)}."""
    years = sorted(dept.years)
    by_year = [year_cells(dept.documents_of(year)) for year in years]
    rows = [{"key": key, "label": label, "cells": [cells[key] for cells in by_year]}
            for key, label, _, _ in YEAR_COLUMNS]
    return years, [row for row in rows if any(row["cells"])]


def year_rows(portal: Portal, year: int, sort: str | None = None) -> list[dict[str, Any]]:
    """One row per department that published for ``year``: its figures by YEAR_COLUMNS (text,
    unit, link, value), in department order or, with ``sort``, largest first (blanks last)."""
    rows: list[dict[str, Any]] = [{"dept": dept, "cells": year_cells(documents)}
            for dept in portal.departments if (documents := dept.documents_of(year))]
    if sort:
        rows.sort(key=lambda r: (r["cells"][sort] is None, -(r["cells"][sort] or {"value": 0})["value"]))
    return rows


# What a draft's headline figure shows while its cell is blank: no number was entered
PENDING = "待填写"


def headline_figures(doc: Document) -> list[Figure]:
    """The document's headline figures, computed from its tables (``Document.headline_figures``
    keeps them, so the pages that list documents need no tables: the preview drops them).

    A figure whose cell is blank, or whose row is not in the table (a 科目 table has no rows
    until they are filled), is PENDING in a draft (a document with 【待填写】 left, which only
    the preview shows): no number was entered, and 0.00 would read as one. Outside a draft the
    document passed the checker, which counts a blank as zero, and the figure is that zero: a
    table with nothing to report (本年度无此项支出) is blank and prints 本表无数据 (``is_empty``),
    and its figure is a real 0.00. A cell that holds 0.00 or —— was entered: shown as now."""
    draft = bool(doc.placeholders)
    figures = []
    for item in doc.profile.headline:
        table = doc.table(item["table"])
        row = table.find(item["row"]) if "row" in item else table.first_row
        cell = row[item["column"]] if row else None
        value = cell.amount if cell is not None else Decimal(0)
        fmt, role = item.get("format", "money"), item.get("role")
        if draft and (cell is None or cell.is_blank):
            figures.append(Figure(item["label"], PENDING, "", role, value))
        elif fmt == "grade":
            figures.append(Figure(item["label"], doc.profile.grade(value), "", role, value))
        elif fmt == "score":
            figures.append(Figure(item["label"], plain_number(value), item.get("unit", "分"), role, value))
        elif table.spec.column(item["column"]).is_rate:          # a percentage, computed or printed: as shown
            figures.append(Figure(item["label"], cell.text if cell is not None else "", "", role, value))
        else:
            figures.append(Figure(item["label"], money(value), item.get("unit", table.spec.unit), role, value))
    return figures
