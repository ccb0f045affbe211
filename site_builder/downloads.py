"""Downloads (a render stage): every table of a disclosure as CSV and as JSON, next to its page.

- CSV is UTF-8 with a byte-order mark, so that Excel opens the Chinese text correctly; one
  header row with the published column headings (a group heading and its column joined with
  “/”, as in the content's own CSV files) and the unit on every amount column
  (“收入/金额（万元）”); the cells exactly as the page shows them (amounts with their published
  decimals, blank where the page is blank), except that a text cell a spreadsheet would run
  as a formula gets a leading apostrophe (``spreadsheet_text``).
- JSON is that table's entry of the disclosure's data.json, with the disclosure it belongs to.

Files: ``<slug>/<year>/<kind>/tables/<table id>.csv`` and ``.json``; the workbook of all the
disclosure's tables (``workbook.py``) is ``<slug>/<year>/<kind>/tables.xlsx``.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from .jsonfmt import json_text
from .numbers import Cell

FOLDER = "tables"
# What makes Excel, LibreOffice and Google Sheets read a CSV cell as a formula (OWASP, "CSV
# Injection"): =HYPERLINK("http://…","点击") in a label would be a live link, or worse, in the
# citizen's spreadsheet. Tab and carriage return because some readers skip them first.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def table_csv(table) -> str:
    spec = table.spec
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")      # Excel's own line ends
    writer.writerow(csv_headers(spec))
    for row in table.rows:
        writer.writerow([_text(row.cells.get(column.key)) for column in spec.columns])
    return "\ufeff" + out.getvalue()


def csv_headers(spec) -> list[str]:
    """The CSV's header row: each column's published heading, group headings joined with “/”,
    amounts with their unit (“收入/金额（万元）”)."""
    return [spreadsheet_text(column.qualified_label + (f"（{column.unit or spec.unit}）" if column.type == "amount" else ""))
            for column in spec.columns]


def spreadsheet_text(text: str) -> str:
    """``text`` as a CSV cell that a spreadsheet shows as the text it is: with a leading
    apostrophe when it would otherwise be run as a formula ('=1+1), as OWASP recommends."""
    return "'" + text if text.startswith(FORMULA_START) else text


def _text(value: Any) -> str:
    """A cell of the CSV. An amount (a Cell) is a number as published, “——” or blank, checked
    when the content was read, so it is written as it is: -12.50 stays a number in Excel. Any
    other cell is text a clerk typed, and is neutralised."""
    if isinstance(value, Cell):
        return value.text
    return "" if value is None else spreadsheet_text(str(value))


def table_json(data: dict[str, Any], entry: dict[str, Any]) -> str:
    """A table's JSON download: its ``entry`` of the disclosure's data.json (``data``,
    catalog.document_data), with the disclosure it belongs to. (Which files a disclosure has,
    and their paths: pages.document_files.)"""
    identity = {key: data[key] for key in ("department", "slug", "year", "kind", "kind_label", "title")}
    return json_text({**identity, "table": entry})


def file_size(size: int) -> str:
    """“850 字节”, “2.1 KB”, “1.3 MB”: the size shown beside a download link."""
    if size < 1024:
        return f"{size} 字节"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / 1024 / 1024:.1f} MB"
