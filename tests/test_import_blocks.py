"""Importing a block table (``layout: blocks``) with more than one value column per block (issue 26).

The page and the XLSX print, per print column of each block, 科目代码, 科目名称 and every other
column of the table (金额 and 其中：基本支出), the print's own column breaks (``block_column``),
the blocks' totals row and a grand total line (合 计) after it. ``import`` reads that layout
back: the portal's own tables.xlsx gives back the CSV it was built from, byte for byte; a sheet
a department made by hand in the print layout is read by its header labels, and a printed cell
the import cannot place is refused, naming it, never dropped. (Made-up numbers: test fixtures.)
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from site_builder.cli import main
from site_builder.importer import WorkbookError, read_document_workbook
from site_builder.profiles import load_profile

from test_profile_layouts import BLOCKS, BLOCKS_CSV, STAGED, built

GRAND = ",合 计,612.10,612.10,\n"
ONE = BLOCKS.replace("      - {key: basic, label: 其中：基本支出, type: amount}\n", "")     # one value column
ONE_CSV = "".join(",".join(r[:3] + r[4:]) + "\n" for r in csv.reader(io.StringIO(BLOCKS_CSV)))


def _staged(text: str) -> str:
    """``text`` (BLOCKS_CSV's rows) with the 栏 column: 公用经费 printed as 1 row, then 3."""
    rows = list(csv.reader(io.StringIO(text)))
    rows[0].append("栏")
    columns = {"302": "1", "30201": "2", "309": "2", "30901": "2"}
    for row in rows[1:]:
        row.append(columns.get(row[0], "1" if row[0] else ""))
    return "".join(",".join(r) + "\n" for r in rows)


def _import(book: Path, content: Path) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["import", str(book), "--into", str(content), "--department", "demo-dept",
                                       "--year", "2024", "--kind", "final-accounts", "--force"],
                                catch_exceptions=False)
    return result.exit_code, result.output


@pytest.mark.parametrize("profile, source", [
    (BLOCKS, BLOCKS_CSV),
    (BLOCKS, BLOCKS_CSV + GRAND),
    (STAGED, _staged(BLOCKS_CSV)),
    (STAGED, _staged(BLOCKS_CSV + GRAND)),
    (BLOCKS, "".join(line for line in BLOCKS_CSV.splitlines(keepends=True) if "经费合计" not in line)),
    (ONE, "".join(line for line in ONE_CSV.splitlines(keepends=True) if "经费合计" not in line)),
], ids=["blocks", "blocks+grand-total", "block_column", "block_column+grand-total", "no-block-totals",
        "one-column-no-block-totals"])
def test_the_portals_own_workbook_of_a_two_column_block_table_imports_back_byte_for_byte(tmp_path, profile, source):
    folder = built(tmp_path, profile, "06", source)
    book = tmp_path / "tables.xlsx"
    book.write_bytes((folder / "tables.xlsx").read_bytes())
    content = tmp_path / "content"
    target = content / "departments/demo-dept/2024/final-accounts/tables/06.csv"
    target.write_text("科目代码,科目名称,金额,其中：基本支出,分组\n", encoding="utf-8")    # imported over
    code, output = _import(book, content)
    assert code == 0, output
    assert target.read_text(encoding="utf-8") == source


def _profile(tmp_path: Path, text: str = BLOCKS):
    path = tmp_path / "blocks2.yaml"
    path.write_text(text, encoding="utf-8")
    return load_profile(path)


HEAD = ["科目代码", "科目名称", "金额", "其中：基本支出"]


def _hand_made(tmp_path: Path, header: list[str], rows: list[list[object]], people: int = 4,
               merge: bool = True) -> Path:
    """A sheet made by hand in the print layout: number, title, the 部门/年度/单位 line, the blocks'
    headings (人员经费 over the first ``people`` columns, 公用经费 over the rest; merged, or
    written once over blank cells), the column labels, then ``rows``."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    width = len(header)
    ws.cell(1, width, "公开06表")
    ws.cell(2, 1, "一般公共预算财政拨款基本支出决算表")
    ws.cell(3, 1, "部门名称：示例局")
    ws.cell(3, width, "单位：元")
    ws.cell(4, 1, "人员经费")
    ws.cell(4, people + 1, "公用经费")
    if merge:
        ws.merge_cells(start_row=4, start_column=1, end_row=4, end_column=people)
        ws.merge_cells(start_row=4, start_column=people + 1, end_row=4, end_column=width)
    for column, label in enumerate(header, start=1):
        ws.cell(5, column, label)
    for number, row in enumerate(rows, start=6):
        for column, value in enumerate(row, start=1):
            if value is not None:
                ws.cell(number, column, value)
    path = tmp_path / "hand.xlsx"
    wb.save(path)
    return path


def _rows(tmp_path: Path, book: Path, profile=None) -> list[list[str]]:
    imported = read_document_workbook(book, profile or _profile(tmp_path), 2024)
    return list(csv.reader(io.StringIO(imported.tables[0].csv)))


def test_a_hand_made_sheet_short_of_one_value_column_is_refused_naming_the_row(tmp_path):
    header = HEAD * 2 + HEAD[:3]                   # 公用经费's second print column has no 其中：基本支出
    book = _hand_made(tmp_path, header, [["301", "工资福利支出", 496.89, 490.88, "302", "商品和服务支出", 21.34, 28.22]])
    with pytest.raises(WorkbookError) as raised:
        _rows(tmp_path, book)
    message = raised.value.format_message()
    assert "Sheet1!E5" in message
    assert "“公用经费”下应有 2 栏，每栏 4 列（科目代码、科目名称、金额、其中：基本支出），共 8 列，实际为 7 列" in message


def test_a_hand_made_sheet_in_the_print_layout_is_read_by_its_labels(tmp_path):
    """Headings written once without merging; the value columns of one print column in the other
    order; numbers typed as text; a grand total line: every printed cell lands in its column."""
    header = HEAD + HEAD + ["科目代码", "科目名称", "其中：基本支出", "金额"]
    rows = [
        ["301", "工资福利支出", 496.89, 490.88, "302", "商品和服务支出", 21.34, 28.22, "309", "资本性支出", "——", "1.00"],
        ["30101", "基本工资", 176.64, 170, None, None, None, None, "30901", "房屋建筑物购建", "——", "——"],
        ["人员经费合计", None, 496.89, 490.88, "公用经费合计", None, None, None, None, None, 21.34, 29.22],
        ["合 计", None, None, None, None, None, None, None, None, None, 518.23, 520.10],
    ]
    got = _rows(tmp_path, _hand_made(tmp_path, header, rows, merge=False))
    assert got == [HEAD + ["分组"],
                   ["301", "工资福利支出", "496.89", "490.88", "人员经费"],
                   ["30101", "基本工资", "176.64", "170.00", "人员经费"],
                   ["", "人员经费合计", "496.89", "490.88", "人员经费"],
                   ["302", "商品和服务支出", "21.34", "28.22", "公用经费"],
                   ["309", "资本性支出", "1.00", "——", "公用经费"],
                   ["30901", "房屋建筑物购建", "——", "——", "公用经费"],
                   ["", "公用经费合计", "29.22", "21.34", "公用经费"],
                   ["", "合 计", "520.10", "518.23", ""]]


def test_the_print_column_of_each_row_is_written_where_the_profile_has_one(tmp_path):
    rows = [["301", "工资福利支出", 1, 1, "302", "商品和服务支出", 2, 2, "30201", "办公费", 2, 2],
            [None, None, None, None, None, None, None, None, "30202", "印刷费", 0, 0]]
    got = _rows(tmp_path, _hand_made(tmp_path, HEAD * 3, rows), _profile(tmp_path, STAGED))
    assert [r[0] + ":" + r[-1] for r in got[1:]] == ["301:1", "302:1", "30201:2", "30202:2"]


PLACED = [["301", "工资福利支出", 1, 1, "302", "商品和服务支出", 2, 2, "30201", "办公费", 2, 2],
          ["30101", "基本工资", 1, 1, None, None, None, None, None, None, None, None],
          ["人员经费合计", None, 2, 2, "公用经费合计", None, None, None, None, None, 4, 4],
          ["合 计", None, None, None, None, None, None, None, None, None, 6, 6]]


@pytest.mark.parametrize("row, column, cell, words", [
    (1, 6, "Sheet1!G7", "“公用经费”第 1 栏的这一行有数字，却没有科目代码和科目名称"),   # a number under no 科目
    (2, 6, "Sheet1!G8", "“公用经费合计”一行的数字应印在这一块的最后一栏（K、L 列）"),   # under its first column
    (3, 2, "Sheet1!C9", "“合 计”一行的数字应印在表的最后一栏（K、L 列）"),
    (1, 12, "Sheet1!M7", "“9.99”不在公开06表的任何一块之下"),                         # right of the table
], ids=["under-no-subject", "block-total-elsewhere", "grand-total-elsewhere", "outside-the-blocks"])
def test_a_printed_number_the_import_cannot_place_is_refused_naming_its_cell(tmp_path, row, column, cell, words):
    rows = [list(r) + [None] for r in PLACED]
    rows[row][column] = 9.99
    with pytest.raises(WorkbookError) as raised:
        _rows(tmp_path, _hand_made(tmp_path, HEAD * 3, rows))
    message = raised.value.format_message()
    assert cell in message and words in message, message


def test_an_amount_label_the_profile_does_not_know_is_read_by_position_when_there_is_one(tmp_path):
    """A one-value-column block table (公开06表 of final-accounts-10 prints 决算数): a sheet that
    labels it 金额 is read by position, and the report says so."""
    text = ONE
    head = ["科目代码", "科目名称", "金额"]
    rows = [["301", "工资福利支出", 496.89, "302", "商品和服务支出", 21.34, None, None, None]]
    book = _hand_made(tmp_path, head * 3, rows, people=3)
    profile = _profile(tmp_path, text.replace("label: 金额", "label: 决算数"))
    imported = read_document_workbook(book, profile, 2024)
    assert imported.tables[0].csv.splitlines()[1:] == ["301,工资福利支出,496.89,人员经费", "302,商品和服务支出,21.34,公用经费"]
    assert any("Sheet1!C5" in n and "“金额”" in n and "“决算数”" in n for n in imported.notices)


def test_two_unknown_value_labels_in_one_print_column_are_refused(tmp_path):
    header = ["科目代码", "科目名称", "数一", "数二"] + HEAD * 2
    book = _hand_made(tmp_path, header, [["301", "工资福利支出", 1, 1]])
    with pytest.raises(WorkbookError) as raised:
        _rows(tmp_path, book)
    message = raised.value.format_message()
    assert "Sheet1!C5" in message and "表头“数一”不是公开06表的列" in message and "金额、其中：基本支出" in message


def test_a_number_under_no_subject_in_the_real_06_is_refused_not_dropped(tmp_path):
    """fenyang's 公开06表 (final-accounts-10, one value column, 公用经费 in three print columns): a
    number typed where a print column has no 科目 was dropped without a word; now it is named."""
    from conftest import EXAMPLE
    from site_builder.content import load_portal
    from site_builder.workbook import document_workbook

    doc = next(d for d in load_portal(EXAMPLE).documents if d.department.slug == "fenyang-ybj")
    wb = openpyxl.load_workbook(io.BytesIO(document_workbook(doc)))
    ws = wb["公开06表"]
    row = next(c.row for c in ws["D"] if c.value == "30299")
    assert ws.cell(row, 1).value is None and ws.cell(row, 2).value is None      # 人员经费 has ended
    ws.cell(row, 3).value = 1.23
    book = tmp_path / "fenyang.xlsx"
    wb.save(book)
    with pytest.raises(WorkbookError) as raised:
        read_document_workbook(book, doc.profile, 2024)
    message = raised.value.format_message()
    assert f"公开06表!C{row}" in message and "“人员经费”第 1 栏的这一行有数字，却没有科目代码和科目名称" in message
