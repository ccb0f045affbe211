"""The third built-in 决算 profile, final-accounts-yuan-10 (issue 26): a province's ten tables in
元, written as configuration only, built from a made-up document (tests/fixtures/portal-yuan10,
its README says what each file shows).

Each shape the issue lists is read back from the outputs: 公开06表's two amount columns in
every block, its print columns and its grand 合 计 line (page and XLSX); 公开07表's printed
rates; 公开08表's 无 row; 公开10表's repeated header row; 公开01表's 行次 printed as decimals
with gaps, whose sums the checker still checks. And the profile needs no Python: no file under
site_builder/ but the profile names it, and it loads like the others.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import lxml.html
import openpyxl
import pytest
from click.testing import CliRunner

from conftest import cell
from site_builder.build import build
from site_builder.checks import run_checks
from site_builder.cli import main
from site_builder.content import load_portal
from site_builder.errors import ProfileError
from site_builder.importer import read_document_workbook
from site_builder.profiles import BUILTIN_DIR, load_profile, load_profiles

NAME = "final-accounts-yuan-10"
FIXTURE = Path(__file__).resolve().parent / "fixtures/portal-yuan10"
DOC = "departments/demo-cdc/2024/final-accounts"
PAGE = "demo-cdc/2024/final-accounts"
PACKAGE = Path(__file__).resolve().parent.parent / "site_builder"


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """The fixture built once (read-only for the tests below)."""
    out = tmp_path_factory.mktemp("yuan10") / "output"
    build(FIXTURE, out, base_url="", search=False, jobs=1)
    return out / PAGE


@pytest.fixture(scope="module")
def page(folder):
    return lxml.html.parse(str(folder / "index.html")).getroot()


@pytest.fixture
def portal(tmp_path) -> Path:
    """A writable copy of the fixture, to break on purpose."""
    target = tmp_path / "content"
    shutil.copytree(FIXTURE, target)
    return target


def table(page, table_id: str):
    return page.cssselect(f'table[data-table="{table_id}"]')[0]


def body_rows(page, table_id: str) -> list[list[str]]:
    return [[c.text_content().strip() for c in tr] for tr in table(page, table_id).cssselect("tbody tr")]


def replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (path.name, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_the_fixture_checks_clean_with_not_even_a_note():
    assert [(f.rule, f.severity, f.message) for f in run_checks(load_portal(FIXTURE))] == []


def test_the_document_uses_the_profile_and_builds_all_ten_tables(folder, page):
    doc = load_portal(FIXTURE).documents[0]
    assert doc.profile.name == NAME and doc.profile.path == BUILTIN_DIR / f"{NAME}.yaml"
    assert [t.spec.id for t in doc.tables] == [f"{n:02d}" for n in range(1, 11)]
    assert [t.get("data-table") for t in page.cssselect("table[data-table]")] == [f"{n:02d}" for n in range(1, 11)]
    caption = " ".join(table(page, "06").cssselect("caption")[0].text_content().split())
    assert "公开部门：示例县虚构疾病预防控制中心" in caption and "单位：元" in caption


# -- 公开06表: blocks of two amount columns ----------------------------------------------------

def test_the_block_table_header_repeats_both_labels_in_every_print_column(page):
    heads = table(page, "06").cssselect("thead tr")
    assert [(th.text_content().strip(), th.get("colspan")) for th in heads[0].cssselect("th")] == [
        ("人员经费", "4"), ("公用经费", "8")]                 # 1 print column of 4 cells, then 2
    assert [th.text_content().strip() for th in heads[1].cssselect("th")] == ["科目代码", "科目名称", "决算数", "其中：基本支出"] * 3


def test_each_amount_column_of_the_block_table_is_in_its_own_cell(page):
    assert cell(page, "06", "30227", "amount") == "280,000.00"      # a project's 委托业务费 …
    assert cell(page, "06", "30227", "basic") == "0.00"             # … none of it 基本支出
    assert cell(page, "06", "31002", "amount") == "40,300.00"
    assert cell(page, "06", "31002", "basic") == "7,800.00"
    assert cell(page, "06", "30101", "basic") == "412,380.00"
    assert len(table(page, "06").cssselect('td[data-key="basic"]')) == 29 + 3      # 29 科目, 2 block totals, 合 计


def test_the_print_decides_where_the_second_block_breaks(page):
    """公用经费 prints 11 rows in its first column and 6 in its second (栏); an even split
    would have started the second column at 30227."""
    rows = body_rows(page, "06")
    assert [rows[0][i] for i in (0, 4, 8)] == ["301", "302", "30229"]
    assert rows[10][4:6] == ["30228", "工会经费（款）"] and rows[10][8:] == ["", "", "", ""]
    assert rows[5][8:] == ["31002", "办公设备购置（款）", "40,300.00", "7,800.00"]


def test_the_grand_total_line_is_drawn_last_after_the_block_totals(page, folder):
    rows = body_rows(page, "06")
    assert rows[-2] == ["人员经费合计", "1,283,640.60", "1,283,640.60", "公用经费合计", "511,989.82", "199,489.82"]
    assert rows[-1] == ["合 计", "1,795,630.42", "1,483,130.42"]
    data = json.loads((folder / "data.json").read_text(encoding="utf-8"))
    last = next(t for t in data["tables"] if t["id"] == "06")["rows"][-1]
    assert last == {"code": "", "name": "合 计",
                    "cells": {"amount": "1,795,630.42", "basic": "1,483,130.42", "group": "", "block_column": ""}}


def test_the_workbook_sheet_of_the_block_table_has_every_print_column(folder):
    sheet = openpyxl.load_workbook(folder / "tables.xlsx")["公开06表"]
    assert sheet.max_column == 12                       # (code, name, 决算数, 其中：基本支出) × 3
    values = [v for row in sheet.iter_rows(values_only=True) for v in row if v is not None]
    assert values.count("其中：基本支出") == 3 and 7800 in values and 1483130.42 in values


def test_a_block_table_csv_may_say_jin_e_for_the_first_amount_column(portal, tmp_path):
    """Prints call 决算数 金额 too (the column's ``aliases``): the same table either way."""
    replace(portal / DOC / "tables/06.csv", "科目编码,项目,决算数,", "科目代码,科目名称,金额,")
    doc = load_portal(portal).documents[0]
    assert [r.cells for r in doc.table("06").rows] == [r.cells for r in load_portal(FIXTURE).documents[0].table("06").rows]


# -- the other shapes ---------------------------------------------------------------------------

def test_the_three_public_rates_show_as_printed(page):
    rows = table(page, "07").cssselect("tbody tr")
    shown = [(r.cssselect("th")[0].text_content().strip(),
              r.cssselect('td[data-key="of_budget"]')[0].text_content().strip(),
              r.cssselect('td[data-key="growth"]')[0].text_content().strip()) for r in rows]
    assert shown == [("合计", "87.00%", "-5.83%"), ("因公出国（境）费", "", ""),
                     ("公务用车购置及运行维护费", "90.72%", "-5.62%"), ("其中：公务用车购置费", "——", "——"),
                     ("公务用车运行维护费", "90.72%", "-5.62%"), ("公务接待费", "57.20%", "-8.33%")]


def test_a_mistyped_printed_rate_is_an_error_at_its_cell(portal):
    replace(portal / DOC / "tables/07.csv", "57.20%", "52.70%")
    found = [(f.rule, f.location.path.name, f.location.line, f.location.column)
             for f in run_checks(load_portal(portal)) if f.severity == "error"]
    assert found == [("rate.printed", "07.csv", 7, 5)]


def test_the_empty_fund_table_prints_its_wu_row(page, folder):
    assert body_rows(page, "08") == [["无"] * 8]
    data = json.loads((folder / "data.json").read_text(encoding="utf-8"))
    fund = next(t for t in data["tables"] if t["id"] == "08")
    assert fund["empty"] is True and fund["rows"][0]["code"] == "无"


def test_the_statistics_table_draws_its_repeated_header_row_as_header_cells(page, folder):
    again = table(page, "10").cssselect("tbody tr.repeats-header")
    assert len(again) == 1
    assert [(c.tag, c.get("scope"), c.text_content().strip()) for c in again[0]] == [
        ("th", "col", "项目"), ("th", "col", "行次"), ("th", "col", "统计数")]
    rows = body_rows(page, "10")
    assert rows.index(["项目", "行次", "统计数"]) == 5 and rows[4][0] == "二、机关运行经费支出"
    data = json.loads((folder / "data.json").read_text(encoding="utf-8"))
    assert next(t for t in data["tables"] if t["id"] == "10")["rows"][5]["repeats_header"] is True


def test_the_summary_table_prints_its_lines_as_decimals(page):
    rows = body_rows(page, "01")
    assert rows[0][:3] == ["一、一般公共预算财政拨款收入", "1.00", "1,795,630.42"]
    assert rows[0][3:] == ["八、社会保障和就业支出", "39.00", "186,420.00"]
    assert [r[1] for r in rows[-4:]] == ["27.00", "28.00", "29.00", "31.00"]        # (30.00 is not printed)


@pytest.mark.parametrize("old, new, where, total", [
    ('五、事业收入,5.00,"48,000.00"', '五、事业收入,5.00,"49,000.00"', "01.csv:10:3", "行次 27"),   # in 1–26
    ("年初结转和结余,29.00,0.00", "年初结转和结余,29.00,100.00", "01.csv:13:3", "行次 31"),       # in 27–30
    ("结余分配,59.00,0.00", "结余分配,59.00,100.00", "01.csv:13:6", "行次 62"),                 # in 58–61
])
def test_a_broken_part_of_a_decimal_line_range_is_reported_at_its_total(portal, old, new, where, total):
    """The sums by 行次 ranges run over lines printed 1.00 … with gaps: break a part, and
    `site-builder check` names the total's cell (before issue 26 such a range was skipped)."""
    replace(portal / DOC / "tables/01.csv", old, new)
    result = CliRunner().invoke(main, ["check", str(portal)], catch_exceptions=False)
    assert result.exit_code == 1
    errors = [line for line in result.output.splitlines() if "错误 [" in line]
    assert len(errors) == 1, result.output
    assert f"tables/{where}: 错误 [sum.rows] 公开01表 {total} 金额与其分项之和" in errors[0]


def test_table_05_is_tied_to_the_grand_total_of_table_06(portal):
    """05 基本支出 合计 = 06's 合 计 of 其中：基本支出: a typo there is an error in both
    identities (the cross check, and 合 计 = 人员经费合计 + 公用经费合计, which the checker
    knows of every block table: sum.group-total)."""
    replace(portal / DOC / "tables/06.csv", ',合 计,"1,795,630.42","1,483,130.42"', ',合 计,"1,795,630.42","1,483,130.24"')
    found = [f for f in run_checks(load_portal(portal)) if f.severity != "note"]
    assert sorted((f.rule, f.severity, f.location.path.name, f.location.line) for f in found) == [
        ("cross.equal", "error", "05.csv", 2), ("sum.group-total", "error", "06.csv", 33)]
    assert any(f.message.startswith("公开05表基本支出等于公开06表合计行的其中：基本支出") for f in found)


# -- the portal's own workbook, imported back -------------------------------------------------

def _rows_of(text: str) -> str:
    """A table's CSV without its header line (the import writes the published labels, the
    fixture some tables' aliases: 科目编码, 项目)."""
    return text.split("\n", 1)[1]


def _workbook_without(folder: Path, tmp_path: Path, number: str) -> Path:
    book = openpyxl.load_workbook(folder / "tables.xlsx")
    del book[number]
    book.save(tmp_path / "tables.xlsx")
    return tmp_path / "tables.xlsx"


def test_the_built_workbook_imports_back_to_the_same_rows(folder, tmp_path):
    """Every sheet but 公开06表 (below): decimal 行次, the 类 款 项 row, printed rates, the 无 row
    and the repeated header row come back as typed."""
    imported = read_document_workbook(_workbook_without(folder, tmp_path, "公开06表"), load_profiles()[NAME], 2024)
    tables = {t.spec.id: t.csv for t in imported.tables}
    assert sorted(tables) == ["01", "02", "03", "04", "05", "07", "08", "09", "10"]
    for table_id, text in tables.items():
        assert _rows_of(text) == _rows_of((FIXTURE / DOC / f"tables/{table_id}.csv").read_text(encoding="utf-8")), table_id


def test_the_block_sheet_of_the_built_workbook_imports_back(folder):
    imported = read_document_workbook(folder / "tables.xlsx", load_profiles()[NAME], 2024)
    tables = {t.spec.id: t.csv for t in imported.tables}
    assert _rows_of(tables["06"]) == _rows_of((FIXTURE / DOC / "tables/06.csv").read_text(encoding="utf-8"))


# -- configuration only -------------------------------------------------------------------------

def test_no_python_knows_the_profile():
    """Only the profile's own file under site_builder/ names it: no code, template or skeleton."""
    naming = [path.relative_to(PACKAGE) for path in sorted(PACKAGE.rglob("*"))
              if path.is_file() and "__pycache__" not in path.parts and NAME.encode() in path.read_bytes()]
    assert naming == [Path("profiles") / f"{NAME}.yaml"]
    assert not any(NAME in str(path.relative_to(PACKAGE)) for path in PACKAGE.rglob("*")
                   if path.name != f"{NAME}.yaml")


def test_the_profile_loads_like_the_other_built_in_ones():
    profiles = load_profiles()
    profile = profiles[NAME]
    assert profile.path == BUILTIN_DIR / f"{NAME}.yaml" and profile.kind == "final-accounts"
    assert {"final-accounts-10", "final-accounts-9", NAME} <= set(profiles)
    spec = profile.table("06")
    assert spec.layout == "blocks" and [(b.group, b.count) for b in spec.blocks] == [("人员经费", 1), ("公用经费", 2)]
    assert [c.key for c in spec.columns] == ["code", "name", "amount", "basic", "group", "block_column"]
    assert [c.key for c in profile.table("07").columns if c.printed] == ["of_budget", "growth"]


def test_a_cross_check_on_a_column_that_holds_no_amount_is_refused_at_its_line(tmp_path):
    text = (BUILTIN_DIR / f"{NAME}.yaml").read_text(encoding="utf-8")
    old = '    b: {table: "06", row: 合 计, column: amount}'
    assert old in text
    path = tmp_path / f"{NAME}.yaml"
    path.write_text(text.replace(old, old.replace("column: amount", "column: group")), encoding="utf-8")
    line = next(n for n, t in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1) if "column: group}" in t)
    with pytest.raises(ProfileError) as raised:
        load_profile(path)
    assert raised.value.location.line == line
