"""The XLSX download (a render stage): a disclosure as one workbook, a sheet per table, laid out
as the table is published.

Each sheet carries, from the top: the table number (right), the title (merged across the
table, bold), a line with 部门名称, 年度 and the unit, the header rows with their merged
cells exactly as the page draws them (``tableview``), the 栏次 row, then the rows. Amounts
are written as numbers with the decimals they were published with (a number format per
count of decimals, with thousands separators where the source had them), so Excel sums them;
“——” stays text and a blank cell stays empty. Computed rates are written as the page shows
them (text), like every label.

The file is written by ``xlsx``, our own small SpreadsheetML writer, which makes for these
calls the very bytes xlsxwriter makes (tested), in about a quarter of the time. It is the same
from one build to the next: every part of the zip is stamped 1980-01-01, and the workbook's
“created” date is the disclosure's publication date (or SOURCE_DATE_EPOCH, or 2000-01-01, when
it has none), never the build's clock.
Sheets are named by table number (公开01表), which is what an import matches on.
"""

from __future__ import annotations

import functools
import re
from datetime import datetime
from typing import Any

from . import xlsx
from .model import Document
from .tableview import TableView, document_view
from .layout import source_date

NO_DATE = datetime(2000, 1, 1)
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_DECIMALS = re.compile(r"^[+-]?[\d,]+(?:\.(\d+))?$")


def document_workbook(doc: Document) -> bytes:
    """The disclosure's workbook, as bytes."""
    book = xlsx.Workbook()
    lay_out(doc, book)
    return book.close()


def lay_out(doc: Document, book: Any) -> None:
    """Fill ``book`` (an ``xlsx.Workbook``, or an xlsxwriter Workbook: the tests compare the two)
    with the disclosure's sheets."""
    book.set_properties({"title": doc.title, "subject": f"{doc.department.name} {doc.year}年度 {doc.kind_label}",
                         "author": doc.source or doc.department.name, "created": _created(doc.published)})
    styles = _Styles(book)
    names: set[str] = set()
    for table in doc.tables:
        view = document_view(doc, table)
        sheet = book.add_worksheet(_sheet_name(table.spec.number or table.spec.id, table.spec.id, names))
        _write_sheet(sheet, view, doc, styles)


def _created(published: str | None) -> datetime:
    try:
        return datetime.strptime(str(published), "%Y-%m-%d")
    except ValueError:
        return source_date() or NO_DATE


def _sheet_name(wanted: str, fallback: str, taken: set[str]) -> str:
    """Excel's rules: at most 31 characters, none of []:*?/\\, unique ignoring case."""
    name = _SHEET_FORBIDDEN.sub("_", wanted).strip("'")[:31] or fallback
    base, n = name, 2
    while name.lower() in taken:
        suffix = f"({n})"
        name, n = base[:31 - len(suffix)] + suffix, n + 1
    taken.add(name.lower())
    return name


class _Styles:
    """Cell formats, made once per workbook (one style record per format used)."""

    def __init__(self, book: Any):
        self.book = book
        border = {"border": 1, "valign": "vcenter", "font_name": "宋体", "font_size": 10}
        self.title = book.add_format({"bold": True, "align": "center", "valign": "vcenter",
                                      "font_name": "宋体", "font_size": 16})
        self.meta = book.add_format({"font_name": "宋体", "font_size": 10})
        self.meta_center = book.add_format({"align": "center", "font_name": "宋体", "font_size": 10})
        self.meta_right = book.add_format({"align": "right", "font_name": "宋体", "font_size": 10})
        self.header = book.add_format({**border, "bold": True, "align": "center", "text_wrap": True})
        self.text = book.add_format({**border, "text_wrap": True})
        self.bold_text = book.add_format({**border, "text_wrap": True, "bold": True})
        self.center = book.add_format({**border, "align": "center"})
        self._border = border
        self._amounts: dict[tuple[str, bool], Any] = {}
        self._texts: dict[tuple[bool, bool, str], Any] = {}

    def text_format(self, bold: bool, header: bool, classes: str) -> Any:
        """The format of a cell that is no amount: bold in a total row and for a section heading,
        centred for 行次 and 科目代码, else wrapped text."""
        key = (bold, header, classes)
        fmt = self._texts.get(key)
        if fmt is None:
            fmt = self._texts[key] = self.bold_text if (bold or header and "section" in classes) else \
                self.center if ("line" in classes or "code" in classes) else self.text
        return fmt

    def amount(self, pattern: str, bold: bool) -> Any:
        key = (pattern, bold)
        if key not in self._amounts:
            self._amounts[key] = self.book.add_format({**self._border, "align": "right", "num_format": pattern,
                                                       "bold": bold})
        return self._amounts[key]


@functools.lru_cache(maxsize=4096)
def _number_format(text: str) -> str | None:
    """Excel's number format that shows ``text`` as published (2262.43 → 0.00, 1,234 → #,##0),
    or None when the cell is no plain number."""
    match = _DECIMALS.match(text)
    if not match:
        return None
    decimals = len(match.group(1) or "")
    return ("#,##0" if "," in text else "0") + ("." + "0" * decimals if decimals else "")


def _write_sheet(sheet, view: TableView, doc: Document, styles: _Styles) -> None:
    spec = view.spec
    width = view.width
    last = width - 1
    # Rows 0–2: number, title, and the line with 部门名称, 年度, unit, as printed above a table.
    sheet.write_string(0, last, spec.number, styles.meta_right)
    _merge(sheet, 1, 0, 1, last, spec.title, styles.title)
    sheet.set_row(1, 28)
    entity = f"{spec.entity_label}：{doc.department.name}" if spec.entity_label else ""
    thirds = max(width // 3, 1)
    _merge(sheet, 2, 0, 2, thirds - 1, entity, styles.meta)
    if width >= 3:
        _merge(sheet, 2, thirds, 2, last - thirds, f"{spec.caption_year or doc.year}年度", styles.meta_center)
        _merge(sheet, 2, last - thirds + 1, 2, last, f"{spec.unit_label}：{spec.unit}", styles.meta_right)
    else:
        sheet.write_string(2, last, f"{spec.caption_year or doc.year}年度 {spec.unit_label}：{spec.unit}", styles.meta_right)
    row = 3
    # (row, column) of the cells that a cell above still covers (rowspan): the next cell of a
    # row goes to the first column not covered, the same placement a browser makes.
    covered: set[tuple[int, int]] = set()
    for header_row in view.header_rows:
        column = 0
        for cell in header_row:
            column = _place(covered, row, column, cell.colspan, cell.rowspan)
            _merge(sheet, row, column, row + cell.rowspan - 1, column + cell.colspan - 1, cell.label, styles.header)
            column += cell.colspan
        row += 1
    if view.seq_row:
        column = 0
        for cell in view.seq_row:
            _merge(sheet, row, column, row, column + cell.colspan - 1, cell.label, styles.center)
            column += cell.colspan
        row += 1
    sheet.repeat_rows(3, row - 1)            # printing: the header rows on every page
    sheet.freeze_panes(row, 0)
    widths = [0] * width
    write_string, write_number, write_blank = sheet.write_string, sheet.write_number, sheet.write_blank
    text_format = styles.text_format
    for row_view in view.rows:
        bold = "total" in row_view.classes
        column = 0
        for data_cell in row_view.cells:
            colspan, rowspan = data_cell.colspan, data_cell.rowspan
            if covered or rowspan > 1:
                column = _place(covered, row, column, colspan, rowspan)
            text = str(data_cell.text)
            classes = data_cell.classes
            pattern = _number_format(text) if text and "num" in classes else None
            if pattern is not None:
                # an amount: a number, shown with the decimals (and separators) it was published with
                fmt = styles.amount(pattern, bold)
                if rowspan > 1 or colspan > 1:
                    sheet.merge_range(row, column, row + rowspan - 1, column + colspan - 1, None, fmt)
                write_number(row, column, float(text.replace(",", "")), fmt)
            else:
                fmt = text_format(bold, data_cell.header, classes)
                if rowspan > 1 or colspan > 1:
                    sheet.merge_range(row, column, row + rowspan - 1, column + colspan - 1, text, fmt)
                elif text:
                    write_string(row, column, text, fmt)
                else:
                    write_blank(row, column, None, fmt)
            if colspan == 1 and len(text) * 2 > widths[column]:
                widths[column] = max(widths[column], _display_width(text))
            column += colspan
        row += 1
    for column, size in enumerate(widths):   # label columns as wide as most of their text
        sheet.set_column(column, column, min(max(size + 2, 10), 48))
    sheet.set_landscape()
    sheet.set_paper(9)                       # A4
    sheet.fit_to_pages(1, 0)                 # as wide as one page, as long as it takes


def _place(covered: set[tuple[int, int]], row: int, column: int, colspan: int, rowspan: int) -> int:
    """The column of a cell that would go to ``column``: past the cells still covered from above;
    marks the cells this one covers below it."""
    while (row, column) in covered:
        column += 1
    if rowspan > 1:
        covered.update((r, c) for r in range(row + 1, row + rowspan) for c in range(column, column + colspan))
    return column


_WIDE = re.compile("[^\x00-\u2e7f]")


def _display_width(text: str) -> int:
    """Columns that ``text`` takes: two for each CJK (or other wide) character, one for the rest."""
    return len(text) if text.isascii() else len(text) + len(_WIDE.findall(text))


def _merge(sheet, first_row: int, first_column: int, last_row: int, last_column: int, text: str, fmt) -> None:
    if (first_row, first_column) == (last_row, last_column):
        if text:
            sheet.write_string(first_row, first_column, text, fmt)
        else:
            sheet.write_blank(first_row, first_column, None, fmt)
    else:
        sheet.merge_range(first_row, first_column, last_row, last_column, text, fmt)
