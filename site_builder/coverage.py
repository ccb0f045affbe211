"""The build's promise that no printed number is lost (issue 26), checked on every table it makes.

Every non-empty cell of a content table — as read from its CSV, plus what the build computes
(rates, a summed 合计 row) — must appear, as displayed, in

- the page's table and the XLSX sheet: both are drawn from one view (tableview.py), whose cells
  say which model cells they show (``CellView.sources``); the sheet writes every cell of the view
  (workbook._write_sheet), so one check covers both;
- data.json, and so the table's JSON download (it is data.json's entry for the table);
- the CSV download, read back.

A cell missing from any of them stops the build, naming the file, row and column it was typed
in (``Table.cell_location``), never a page that silently shows less than the downloads. The cost
is one pass over cells the build has already made: a few thousand per disclosure, next to
rendering them.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

from .errors import ContentError
from .model import Table
from .numbers import cell_text

Key = tuple[int, str]         # (row index in Table.rows, column key)


def filled(table: Table) -> dict[Key, str]:
    """Every non-empty cell of the table: the reference every output is held to."""
    return {(index, key): text for index, row in enumerate(table.rows)
            for key, value in row.cells.items() if (text := cell_text(value))}


def shown_in_view(table: Table) -> dict[Key, str]:
    """The model cells the page table (and the XLSX sheet) show, with the text of the drawn cell."""
    shown: dict[Key, str] = dict(table.view.placed)
    for row in table.view.rows:
        for cell in row.cells:
            if cell.text:
                for source in cell.sources:
                    shown[source] = str(cell.text)
    return shown


def shown_in_data(entry: dict[str, Any], layout: str) -> dict[Key, str]:
    """The cells of the table's data.json entry (its JSON download is the same object)."""
    shown: dict[Key, str] = {}
    for index, row in enumerate(entry["rows"]):
        if layout in ("subject", "blocks"):
            for key in ("code", "name"):
                if row.get(key):
                    shown[(index, key)] = str(row[key])
        for key, value in row["cells"].items():
            if value not in ("", None):
                shown[(index, key)] = str(value)
    return shown


def shown_in_csv(table: Table, text: str) -> dict[Key, str]:
    """The cells of the table's CSV download, read back. A text cell a spreadsheet would run is
    written with a leading apostrophe (``downloads.spreadsheet_text``): read back as the text the
    clerk typed when that is what the download promises to write."""
    records = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    next(records, None)                                  # (the header)
    keys = [c.key for c in table.spec.columns]
    rows = table.rows
    shown: dict[Key, str] = {}
    for index, record in enumerate(records):
        for key, value in zip(keys, record, strict=False):
            if value:
                if value[0] == "'" and index < len(rows):
                    typed = rows[index].cells.get(key)
                    if isinstance(typed, str) and value == "'" + typed:
                        value = typed
                shown[(index, key)] = value
    return shown


def check_table(table: Table, outputs: Iterable[tuple[str, dict[Key, str]]]) -> None:
    """Raise ContentError for the first filled cell an output lacks or shows differently."""
    reference = filled(table)
    for name, shown in outputs:
        if all(shown.get(k) == v for k, v in reference.items()):
            continue
        (index, key), text = next((k, v) for k, v in reference.items() if shown.get(k) != v)
        row = table.rows[index]
        found = shown.get((index, key))
        what = f"{table.spec.number}第 {row.location.line} 行“{_label(table, key)}”列的“{text}”"
        raise ContentError(table.cell_location(row, key),
                           f"{what}未出现在{name}中" if found is None else f"{what}在{name}中显示为“{found}”",
                           "这是本工具的缺陷，或表格方案与版式不符，不是内容的错：请把本表的 CSV 和方案文件"
                           "交给维护人员；修好之前，本表不会以缺少数字的样子发布")


def _label(table: Table, key: str) -> str:
    try:
        return table.spec.column(key).qualified_label
    except KeyError:
        return key


def check_document(doc, data: dict[str, Any], csv_texts: dict[int, str]) -> None:
    """Every table of ``doc`` against its page/XLSX view, its data.json entry and (when made) its
    CSV download (``csv_texts``: table position → text)."""
    for position, table in enumerate(doc.tables):
        outputs = [("网页表格和 XLSX", shown_in_view(table)),
                   ("data.json 和 JSON 下载", shown_in_data(data["tables"][position], table.spec.layout))]
        if position in csv_texts:
            outputs.append(("CSV 下载", shown_in_csv(table, csv_texts[position])))
        check_table(table, outputs)
