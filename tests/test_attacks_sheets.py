"""Spreadsheets are data (issue 23): the attack corpus of the downloads and of ``import``.

- A text cell that a spreadsheet would run as a formula (=HYPERLINK(…), +1, -1+2, @SUM(A1)) is
  written to the CSV download with a leading apostrophe; amounts stay numbers as published; the
  JSON download keeps the text as typed; the XLSX download holds it as a string cell.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from site_builder.cli import main
from site_builder.downloads import spreadsheet_text

GAOYI = "departments/gaoyi-ybj/2021/performance"
GAOYI_OUT = "gaoyi-ybj/2021/performance"
# Text a spreadsheet runs as a formula (OWASP, "CSV Injection"), and what the CSV download holds
ATTACKS = ["=1+1", "+1", "-1+2", "@SUM(A1)", "\t=1", '=HYPERLINK("http://x","y")']


def _run(*args) -> tuple[int, str]:
    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    return result.exit_code, result.output


def _rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"), newline="")))


def _write_rows(path: Path, rows: list[list[str]]) -> None:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)      # a cell with \r is quoted
    path.write_text(out.getvalue(), encoding="utf-8")


@pytest.mark.parametrize("text, shown", [
    ("=1+1", "'=1+1"), ("+1", "'+1"), ("-1+2", "'-1+2"), ("@SUM(A1)", "'@SUM(A1)"), ("\t=1", "'\t=1"),
    ("\r=1", "'\r=1"), ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
    ("——", "——"), ("目标1：=1", "目标1：=1"), ("", ""), ("合计", "合计"),
])
def test_a_formula_looking_text_gets_an_apostrophe(text, shown):
    assert spreadsheet_text(text) == shown


@pytest.fixture(scope="module")
def attacked_site(tmp_path_factory) -> Path:
    """The example portal with gaoyi's 公开03表 (free text in its last column) carrying one attack
    per row, and two negative amounts (one with a thousands comma) in 结余交回财政数, built."""
    import shutil

    from conftest import EXAMPLE

    root = tmp_path_factory.mktemp("attacked")
    content = root / "content"
    shutil.copytree(EXAMPLE, content)
    table = content / GAOYI / "tables/03.csv"
    rows = _rows(table)
    for row, attack in zip(rows[1:], ATTACKS, strict=False):
        row[-1] = attack
    rows[1][4], rows[2][4] = "-12.50", "-1,234.00"
    _write_rows(table, rows)
    code, output = _run("build", content, "--out", root / "out", "--no-search", "-q")
    assert code == 0, output
    return root / "out" / GAOYI_OUT


def test_the_csv_download_neutralises_formulas_and_keeps_amounts(attacked_site):
    rows = _rows(attacked_site / "tables/03.csv")
    header = rows[0]
    assert header[-1] == "分项项目绩效目标完成情况" and header[4] == "结余交回财政数（万元）"
    # "\t=1": the content loader trims the tab, the download still neutralises what is left
    assert [row[-1] for row in rows[1:7]] == ["'=1+1", "'+1", "'-1+2", "'@SUM(A1)", "'=1",
                                              '\'=HYPERLINK("http://x","y")']
    assert [row[4] for row in rows[1:3]] == ["-12.50", "-1,234.00"]       # amounts: numbers, as published
    assert rows[7][-1] == "完成"


def test_the_json_download_keeps_the_text_as_typed(attacked_site):
    data = json.loads((attacked_site / "tables/03.json").read_text(encoding="utf-8"))
    rows = data["table"]["rows"]
    column = data["table"]["columns"][-1]["key"]
    assert [row["cells"][column] for row in rows[:6]] == ["=1+1", "+1", "-1+2", "@SUM(A1)", "=1",
                                                          '=HYPERLINK("http://x","y")']


def test_the_xlsx_download_holds_formula_looking_text_as_strings(attacked_site):
    """Every cell of the workbook is a value: no <f> in any sheet, and the attacks are string
    cells (openpyxl, reading formulas, gives data_type "s" and the text as typed)."""
    book = attacked_site / "tables.xlsx"
    with zipfile.ZipFile(book) as archive:
        sheets = [name for name in archive.namelist() if name.startswith("xl/worksheets/")]
        assert sheets and not any(b"<f>" in archive.read(name) or b"<f " in archive.read(name) for name in sheets)
    typed = ["=1+1", "+1", "-1+2", "@SUM(A1)", "=1", '=HYPERLINK("http://x","y")']
    wb = openpyxl.load_workbook(book)
    found = {c.value: c.data_type for s in wb.worksheets for row in s.iter_rows() for c in row
             if isinstance(c.value, str) and c.value in typed}
    assert found == dict.fromkeys(typed, "s")
    from python_calamine import CalamineWorkbook                # a second reader: the same text

    calamine = CalamineWorkbook.from_path(str(book))
    values = {v for name in calamine.sheet_names for row in calamine.get_sheet_by_name(name).to_python() for v in row}
    assert set(typed) <= values


def test_a_carriage_return_in_a_cell_is_refused_before_any_download(content_copy, tmp_path):
    table = content_copy / GAOYI / "tables/03.csv"
    rows = _rows(table)
    rows[1][-1] = "\r=1"
    _write_rows(table, rows)
    code, output = _run("build", content_copy, "--out", tmp_path / "out", "--no-search", "-q")
    assert code == 1
    assert "03.csv:2:8: 单元格中有换行" in output
    assert not (tmp_path / "out").exists()
