"""`site-builder import`: Excel workbooks in the published layout become a document's tables.

The fixture workbooks are made here from the example content (real published data): the
portal's own XLSX download of each document, then changed with openpyxl as finance systems
export them (generic sheet names, titles in merged cells, another unit, float noise, text
amounts, extra and missing sheets), plus one committed .xls (tests/fixtures/make_xls.py).
Each imported table is compared, cell by cell, with the table loaded from content/.
"""

from __future__ import annotations

import io
import shutil
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from site_builder.cli import main
from site_builder.content import load_portal
from site_builder.importer import WorkbookError, read_document_workbook
from site_builder.numbers import Cell
from site_builder.workbook import document_workbook

from conftest import EXAMPLE

XLS = Path(__file__).parent / "fixtures" / "fenyang-2024-final-accounts.xls"
FENYANG = ("fenyang-ybj", 2024, "final-accounts")


@pytest.fixture(scope="module")
def example():
    return load_portal(EXAMPLE)


def _doc(portal, slug):
    return next(d for d in portal.documents if d.department.slug == slug)


def _cells(table) -> list[dict[str, str]]:
    """A table's rows as their printed text, column by column (what a reader sees)."""
    return [{k: (v.text if isinstance(v, Cell) else v) for k, v in row.cells.items()} for row in table.rows]


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    return result.exit_code, result.output


def _import(book: Path, content: Path, slug: str, year: int, kind: str, *extra: str) -> tuple[int, str]:
    return _run("import", book, "--into", content, "--department", slug, "--year", year, "--kind", kind, *extra)


def _export(doc, path: Path) -> Path:
    path.write_bytes(document_workbook(doc))
    return path


def _fresh_portal(tmp_path: Path) -> Path:
    """The example portal without its documents (site.yaml and the department files kept)."""
    content = tmp_path / "portal"
    shutil.copytree(EXAMPLE, content)
    for dept in (content / "departments").iterdir():
        for year in [p for p in dept.iterdir() if p.is_dir()]:
            shutil.rmtree(year)
    return content


def _assert_same_tables(content: Path, original, table_ids=None) -> None:
    imported = _doc(load_portal(content), original.department.slug)
    for table in original.tables:
        if table_ids is None or table.spec.id in table_ids:
            assert _cells(imported.table(table.spec.id)) == _cells(table), table.spec.number


@pytest.mark.parametrize("slug", ["fenyang-ybj", "lvliang-ybj", "gaoyi-ybj"])
def test_the_portals_own_workbook_imports_back_to_identical_tables(example, tmp_path, content_copy, slug):
    """The round trip: the XLSX download of each example document, imported over the document
    (--force), gives every table back cell for cell, and nothing else in the document changes."""
    doc = _doc(example, slug)
    book = _export(doc, tmp_path / "book.xlsx")
    folder = content_copy / "departments" / slug / str(doc.year) / doc.kind
    before = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file() and p.parent.name != "tables"}
    code, output = _import(book, content_copy, slug, doc.year, doc.kind, "--force")
    assert code == 0, output
    assert f"导入 {len(doc.tables)} 张表" in output
    _assert_same_tables(content_copy, doc)
    assert {p: p.read_bytes() for p in before} == before       # document.yaml and the prose untouched
    assert "检查结果：错误 0 个" in output
    # the rounding notes are summed up, not listed one by one (as `check` without --notes)
    assert "] 提示 [" not in output and ": 提示 [" not in output
    if slug == "fenyang-ybj":
        assert "（舍入差异等，用 site-builder check --notes 查看）" in output


def test_a_new_document_from_a_finance_system_export(example, tmp_path):
    """Generic sheet names, the title in a merged cell, shuffled sheets, header labels broken
    over lines, a sheet in 元, float noise, numeric text, an extra sheet: the tables come out as
    published, and the new document gets its other files with 【待填写】."""
    doc = _doc(example, "fenyang-ybj")
    wb = openpyxl.load_workbook(io.BytesIO(document_workbook(doc)))
    for number, ws in enumerate(wb.worksheets, start=1):
        ws.title = f"Sheet{number}"
        ws.cell(1, ws.max_column).value = None            # no table number: the title says which table
    wb.move_sheet("Sheet9", offset=-8)                    # sheets in another order
    three = wb["Sheet9"]                                  # 公开09表 “三公”经费: 公务接待费 broken over lines
    for row in three.iter_rows(min_row=4, max_row=6):
        for cell in row:
            if cell.value == "公务接待费":
                cell.value = "公务接待\n费 "
    two = wb["Sheet2"]                                    # 公开02表 in 元 instead of 万元
    for row in two.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and "金额单位" in cell.value:
                cell.value = "金额单位：元"
            elif isinstance(cell.value, (int, float)) and not isinstance(cell.value, bool):
                cell.value = float(Decimal(str(cell.value)) * 10000)
    three_cells = wb["Sheet3"]                            # 公开03表: float noise and amounts typed as text
    noisy = text = None
    for row in three_cells.iter_rows(min_row=6):
        for cell in row:
            if cell.value == 2262.43 and noisy is None:
                cell.value, noisy = 2262.4299999999998, cell.coordinate
            elif isinstance(cell.value, float) and cell.value == 612.1 and text is None:
                cell.value, text = "６１２.１０", cell.coordinate   # full-width digits
    assert noisy and text
    notes = wb.create_sheet("填表说明")
    notes["A1"] = "本工作簿由财务软件导出"
    book = tmp_path / "export.xlsx"
    wb.save(book)

    content = _fresh_portal(tmp_path)
    code, output = _import(book, content, *FENYANG)
    assert code == 0, output
    assert "工作表“填表说明”" in output and "已忽略" in output
    assert "Sheet2：金额单位为元，已换算为本表的万元" in output
    _assert_same_tables(content, doc)
    folder = content / "departments/fenyang-ybj/2024/final-accounts"
    assert "【待填写" in (folder / "overview.md").read_text(encoding="utf-8")
    assert "还有" in output and "处【待填写】" in output
    code, output = _run("check", content)
    assert code == 1 and "content.placeholder" in output    # unfinished: cannot be published


def test_the_old_xls_format(example, tmp_path):
    """An .xls file (Excel 97–2003, read with xlrd): generic sheet names, merged cells, formats."""
    content = _fresh_portal(tmp_path)
    code, output = _import(XLS, content, *FENYANG)
    assert code == 0, output
    _assert_same_tables(content, _doc(example, "fenyang-ybj"))


def test_a_missing_table_is_reported(example, tmp_path, content_copy):
    doc = _doc(example, "fenyang-ybj")
    wb = openpyxl.load_workbook(io.BytesIO(document_workbook(doc)))
    del wb["公开08表"]
    book = tmp_path / "seven.xlsx"
    wb.save(book)
    code, output = _import(book, content_copy, *FENYANG, "--force")
    assert code == 0, output
    assert "缺少：工作簿中没有公开08表（国有资本经营预算财政拨款支出决算表），保留原有的 tables/08.csv" in output
    assert "导入 9 张表" in output
    _assert_same_tables(content_copy, doc)


def _broken(doc, tmp_path: Path, change) -> Path:
    wb = openpyxl.load_workbook(io.BytesIO(document_workbook(doc)))
    change(wb)
    path = tmp_path / "broken.xlsx"
    wb.save(path)
    return path


@pytest.mark.parametrize("change, message", [
    (lambda wb: wb["公开03表"].__setitem__("D12", "十二万"), "公开03表!D12：“基本支出”列：“十二万”不是金额"),
    (lambda wb: wb["公开05表"].__setitem__("E5", "备注"), "公开05表!E5：表头“本年支出/备注”不是公开05表的列"),
    (lambda wb: [ws.__setitem__("A3", "部门名称：吕梁市医疗保障局") for ws in wb.worksheets if ws["A3"].value],
     "工作簿中的部门名称为“吕梁市医疗保障局”，而 fenyang-ybj 是“汾阳市医疗保障局”"),
    (lambda wb: wb["公开01表"].__setitem__("A3", "部门名称：吕梁市医疗保障局"), "各工作表的部门名称不一致"),
    (lambda wb: wb["公开02表"].__setitem__("D3", "2023年度"), "工作簿中的年度为 2023、2024 年，命令中为 2024 年"),
])
def test_an_unreadable_workbook_names_sheet_and_cell_and_writes_nothing(example, tmp_path, content_copy,
                                                                        change, message):
    doc = _doc(example, "fenyang-ybj")
    book = _broken(doc, tmp_path, change)
    before = {p: p.read_bytes() for p in (content_copy / "departments").rglob("*") if p.is_file()}
    code, output = _import(book, content_copy, *FENYANG, "--force")
    assert code == 1
    assert message in output
    assert {p: p.read_bytes() for p in (content_copy / "departments").rglob("*") if p.is_file()} == before


def test_a_corrupt_file_and_a_file_that_is_no_workbook(tmp_path, content_copy):
    corrupt = tmp_path / "corrupt.xlsx"
    corrupt.write_bytes(b"PK\x03\x04" + b"\x00" * 200)
    code, output = _import(corrupt, content_copy, *FENYANG, "--force")
    assert code == 1 and "无法读取这个工作簿" in output and "corrupt.xlsx" in output
    text = tmp_path / "table.xls"
    text.write_text("科目代码,科目名称\n", encoding="utf-8")
    code, output = _import(text, content_copy, *FENYANG, "--force")
    assert code == 1 and "无法读取这个工作簿" in output


def test_an_existing_document_needs_force_and_dry_run_writes_nothing(example, tmp_path, content_copy):
    doc = _doc(example, "fenyang-ybj")
    wb = openpyxl.load_workbook(io.BytesIO(document_workbook(doc)))
    wb["公开05表"]["C6"] = 999.99                          # a changed figure, to see whether it lands
    book = tmp_path / "changed.xlsx"
    wb.save(book)
    csv = content_copy / "departments/fenyang-ybj/2024/final-accounts/tables/05.csv"
    original = csv.read_bytes()
    code, output = _import(book, content_copy, *FENYANG)
    assert code == 1 and "已有表格数据" in output and "--force" in output
    code, output = _import(book, content_copy, *FENYANG, "--force", "--dry-run")
    assert code == 0 and "试运行（未写入）" in output and "tables/05.csv" in output
    assert csv.read_bytes() == original
    code, output = _import(book, content_copy, *FENYANG, "--force")
    assert code == 0
    assert "999.99" in csv.read_text(encoding="utf-8")


def test_amounts_are_read_as_displayed(example, tmp_path):
    """Float noise is what Excel shows (15 digits); a format that hides decimals does not lose
    them; numeric text keeps its thousands separators; —— stays ——; blank stays blank."""
    doc = _doc(example, "fenyang-ybj")
    wb = openpyxl.load_workbook(io.BytesIO(document_workbook(doc)))
    ws = wb["公开05表"]
    assert ws["A8"].value == "208" and ws["A9"].value == "20805"
    ws["C8"], ws["D8"], ws["E8"] = 82.45999999999999, "1,234.50", "——"
    ws["C9"].value, ws["C9"].number_format = 82.46, "0"
    book = tmp_path / "amounts.xlsx"
    wb.save(book)
    imported = read_document_workbook(book, doc.profile, 2024)
    csv = next(t for t in imported.tables if t.spec.id == "05").csv.splitlines()
    assert csv[2].split(",")[:3] == ["208", "社会保障和就业支出", "82.46"]
    assert '"1,234.50"' in csv[2] and csv[2].endswith(",——")
    assert csv[3].split(",")[2] == "82.46"
    assert any("公开05表!C9 显示为 82，实际为 82.46" in n for n in imported.notices)


def test_no_table_of_the_profile_is_an_error(example, tmp_path):
    wb = openpyxl.Workbook()
    wb.active["A1"] = "人员名单"
    book = tmp_path / "other.xlsx"
    wb.save(book)
    with pytest.raises(WorkbookError, match="没有找到部门决算公开（十张表）的任何一张表"):
        read_document_workbook(book, _doc(example, "fenyang-ybj").profile, 2024)
