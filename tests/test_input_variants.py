"""Issue 26, what departments print that the published layout does not say (all by profile or
content, no Python per layout):

1. header spellings of departments' software (科目编码 for 科目代码, 项目 for 科目名称, letter
   spacing, 单位:元): the profile's ``header_aliases`` and a column's ``aliases``, each built-in
   alias imported from a sheet and read from a CSV;
2. a 科目代码 printed as a placeholder (无, ——, －, /): a row, no 科目;
3. a header row printed again inside the table (项目 | 行次 | 统计数 after a page break, 类 款 项
   under 科目代码): kept as printed, never data;
4. a table whose caption says another unit or 年度 (document.yaml ``tables``), and the checker
   comparing across units.

The fixture portal tests/fixtures/portal-input holds made-up numbers only (its README says what
each file shows). Every output is read back: the page's table (HTML parsed), data.json, the CSV
and JSON downloads and the XLSX workbook.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import lxml.html
import openpyxl
import pytest
from click.testing import CliRunner

from site_builder.build import build
from site_builder.checks import run_checks
from site_builder.cli import main
from site_builder.content import load_portal
from site_builder.errors import ProfileError
from site_builder.importer import Sheet, read_document_workbook, sheet_header_line
from site_builder.numbers import Cell
from site_builder.profiles import PLACEHOLDER_CODES, TableSpec, load_profile, load_profiles
from site_builder.tables import content_csv, read_table

FIXTURE = Path(__file__).resolve().parent / "fixtures/portal-input"
DOC = "departments/demo-ju/2024/final-accounts"
PAGE = "demo-ju/2024/final-accounts"


@pytest.fixture
def portal(tmp_path) -> Path:
    target = tmp_path / "content"
    shutil.copytree(FIXTURE, target)
    return target


def write(root: Path, rel: str, text: str) -> None:
    (root / rel).write_text(text, encoding="utf-8")


def replace(root: Path, rel: str, old: str, new: str) -> None:
    path = root / rel
    text = path.read_text(encoding="utf-8")
    assert old in text, (rel, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def built(root: Path) -> Path:
    """The document's output folder after a build of ``root`` (raises on any content error)."""
    out = root.parent / "output"
    build(root, out, base_url="", search=False, jobs=1)
    return out / PAGE


def cli(*args: object) -> tuple[int, str]:
    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    return result.exit_code, result.output


class Outputs:
    """One table as each output holds it: page rows, data.json rows, CSV and JSON downloads, XLSX rows."""

    def __init__(self, folder: Path, table_id: str):
        page = lxml.html.parse(str(folder / "index.html")).getroot()
        self.table = page.cssselect(f'table[data-table="{table_id}"]')[0]
        self.page = [[(c.tag, c.get("scope"), c.text_content().strip()) for c in tr]
                     for tr in self.table.cssselect("tbody tr")]
        data = json.loads((folder / "data.json").read_text(encoding="utf-8"))
        self.data = next(t for t in data["tables"] if t["id"] == table_id)
        self.json = json.loads((folder / f"tables/{table_id}.json").read_text(encoding="utf-8"))["table"]
        self.csv = list(csv.reader(io.StringIO((folder / f"tables/{table_id}.csv").read_text(encoding="utf-8-sig"))))
        book = openpyxl.load_workbook(folder / "tables.xlsx")
        self.sheet = book[self.data["number"]]
        self.xlsx = [[("" if v is None else str(v)) for v in row] for row in self.sheet.iter_rows(values_only=True)]

    def caption(self) -> str:
        return " ".join(self.table.cssselect("caption")[0].text_content().split())


def findings(root: Path, severities=("error", "warning")) -> list:
    return [f for f in run_checks(load_portal(root)) if f.severity in severities]


# -- 1. header aliases -----------------------------------------------------------------------

def _builtin_aliases() -> list[tuple[str, str, str, str]]:
    """(profile, published label, alias, a table of the profile with that column) for every alias
    the built-in profiles declare (block tables are imported by position, not by label)."""
    found: dict[tuple[str, str, str], str] = {}
    for name, profile in load_profiles().items():
        for spec in profile.tables:
            for col in spec.columns if spec.layout != "blocks" else []:
                for alias in col.aliases:
                    found.setdefault((name, col.label, alias), spec.id)
    return [(*key, table_id) for key, table_id in sorted(found.items())]


ALIASES = _builtin_aliases()


def test_the_builtin_profiles_accept_the_common_spellings():
    declared = {(profile, label, alias) for profile, label, alias, _ in ALIASES}
    for profile in ("final-accounts-10", "final-accounts-9", "final-accounts-yuan-10"):
        assert {(profile, "科目代码", "科目编码"), (profile, "科目名称", "项目")} <= declared
    assert {("budget-13", "科目编码", "科目代码"), ("budget-13", "科目名称", "项目")} <= declared


def _spec(profile: str, table_id: str) -> TableSpec:
    return load_profiles()[profile].table(table_id).for_year(2024)


def _row(spec: TableSpec) -> dict[str, str]:
    """One made-up row of any table: a 类 code, a name, amounts of 1.00."""
    code = "301" if spec.classification == "经济分类" else "201"
    values = {"code": code, "name": "一般公共服务支出", "label": "示例行", "line": "1", "amount": "1.00", "text": "说明"}
    return {c.key: values[c.type] for c in spec.input_columns}


def _spell(alias: str, spaced: bool) -> str:
    return " ".join(alias) if spaced else alias       # 科 目 编 码: letter-spaced, as some software prints


def _cells(table) -> list[dict[str, str]]:
    return [{k: (v.text if isinstance(v, Cell) else v) for k, v in row.cells.items()} for row in table.rows]


@pytest.mark.parametrize("spaced", [False, True], ids=["as-is", "letter-spaced"])
@pytest.mark.parametrize("profile, label, alias, table_id", ALIASES)
def test_a_csv_header_may_use_each_builtin_alias(tmp_path, profile, label, alias, table_id, spaced):
    spec = _spec(profile, table_id)
    published = content_csv(spec, [_row(spec)])
    header, body = published.split("\n", 1)
    labels = header.split(",")
    for index, column in enumerate(spec.input_columns):
        if column.label == label:       # “科目代码” or, where a label repeats, “支出/科目名称”
            labels[index] = "/".join([*labels[index].split("/")[:-1], _spell(alias, spaced)])
    assert labels != header.split(",")
    (tmp_path / "published.csv").write_text(published, encoding="utf-8")
    (tmp_path / "aliased.csv").write_text(",".join(labels) + "\n" + body, encoding="utf-8")
    aliased = read_table(tmp_path / "aliased.csv", spec)
    assert _cells(aliased) == _cells(read_table(tmp_path / "published.csv", spec))
    assert _cells(aliased)[0][spec.input_columns[0].key]


def sheet_workbook(path: Path, spec: TableSpec, rename: dict[str, str], rows: list[dict[str, str]],
                   unit_line: str = "单位：万元", seq_row: str | None = None) -> Path:
    """A sheet as finance software exports it: number, title, the 部门/单位 line, the header rows
    (merged as printed, leaf labels renamed by ``rename``), an optional 栏次 row, the rows."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = spec.number
    width = len(spec.columns)
    sheet.cell(1, width).value = spec.number
    sheet.cell(2, 1).value = spec.title
    sheet.cell(3, 1).value = "部门名称：示例市虚构局"
    sheet.cell(3, width).value = unit_line
    covered: set[tuple[int, int]] = set()
    top = 4
    for offset, header_row in enumerate(spec.header_rows):
        column, row = 1, top + offset
        for cell in header_row:
            while (row, column) in covered:
                column += 1
            sheet.cell(row, column).value = cell.label if cell.is_group else rename.get(cell.label, cell.label)
            if cell.colspan > 1 or cell.rowspan > 1:
                sheet.merge_cells(start_row=row, start_column=column, end_row=row + cell.rowspan - 1,
                                  end_column=column + cell.colspan - 1)
                covered |= {(r, c) for r in range(row, row + cell.rowspan) for c in range(column, column + cell.colspan)}
            column += cell.colspan
    row = top + len(spec.header_rows)
    if seq_row:
        sheet.cell(row, 1).value = seq_row
        for number, column in enumerate((i for i, c in enumerate(spec.columns, start=1) if c.type == "amount"), start=1):
            sheet.cell(row, column).value = number
        row += 1
    for values in rows:
        for column, col in enumerate(spec.columns, start=1):
            sheet.cell(row, column).value = values.get(col.key) or None
        row += 1
    book.save(path)
    return path


@pytest.mark.parametrize("spaced", [False, True], ids=["as-is", "letter-spaced"])
@pytest.mark.parametrize("profile, label, alias, table_id", ALIASES)
def test_an_imported_sheet_may_use_each_builtin_alias(tmp_path, profile, label, alias, table_id, spaced):
    """The sheet's header says the alias (letter-spaced too, with a “栏 次” row under it): the
    table comes out as the CSV with the published labels."""
    spec = _spec(profile, table_id)
    row = _row(spec)
    book = sheet_workbook(tmp_path / "book.xlsx", spec, {label: _spell(alias, spaced)}, [row],
                          unit_line=f"单位：{spec.unit}", seq_row="栏 次" if spaced else None)
    imported = read_document_workbook(book, load_profiles()[profile], 2024)
    assert [t.spec.id for t in imported.tables] == [table_id]
    assert imported.tables[0].csv == content_csv(spec, [row])


@pytest.mark.parametrize("text, unit", [
    ("单位：元", "元"), ("单位:元", "元"), ("金额单位: 万元", "万元"), ("单位 ： 万元", "万元"),
    ("编制单位：元氏县财政局", None),          # a county's name is no unit
    ("编制单位：元氏县财政局    单位:元", "元"),
])
def test_the_unit_line_of_a_sheet(text, unit):
    assert sheet_header_line(Sheet("公开02表", [[text]]))[2] == unit


def test_the_unit_of_a_sheet_in_yuan_with_a_half_width_colon_is_converted(tmp_path):
    spec = _spec("final-accounts-10", "02")
    row = {**_row(spec), "total": "12345.00"}
    book = sheet_workbook(tmp_path / "book.xlsx", spec, {}, [row], unit_line="单位:元")
    imported = read_document_workbook(book, load_profiles()["final-accounts-10"], 2024)
    assert imported.tables[0].unit == "元"
    assert ",1.23," in imported.tables[0].csv      # 12345.00 元 = 1.23 万元


PROFILE_HEAD = """name: aliased
kind: final-accounts
title: 别名有歧义的方案
tables:
  - id: "01"
    number: 公开01表
    title: 表
    layout: grid
    columns:
      - {key: name, label: 科目名称, type: label}
      - {key: item, label: 项目, type: label}
      - {key: amount, label: 金额, type: amount}
"""


def test_a_profile_alias_that_could_be_two_columns_is_refused_at_its_line(tmp_path):
    path = tmp_path / "aliased.yaml"
    path.write_text(PROFILE_HEAD + "header_aliases:\n  科目代码: [科目编码]\n  科目名称: [项目]\n", encoding="utf-8")
    with pytest.raises(ProfileError) as raised:
        load_profile(path)
    assert (raised.value.location.path, raised.value.location.line) == (path, 15)
    assert "公开01表的表头别名“项目”有歧义" in raised.value.problem
    assert "科目名称" in raised.value.problem and "key: item" in raised.value.problem


def test_a_column_alias_that_could_be_two_columns_is_refused_at_its_line(tmp_path):
    path = tmp_path / "aliased.yaml"
    text = PROFILE_HEAD.replace("{key: amount, label: 金额, type: amount}",
                                "{key: amount, label: 金额, type: amount, aliases: [决算数]}\n"
                                "      - {key: other, label: 其他, type: amount, aliases: [决算数]}")
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ProfileError) as raised:
        load_profile(path)
    assert (raised.value.location.path, raised.value.location.line) == (path, 12)
    assert "“决算数”有歧义" in raised.value.problem


def test_an_alias_shared_by_columns_of_one_label_is_no_ambiguity(tmp_path):
    """收入/项目 and 支出/项目 both accept 科目: the header's group (or order) tells them apart, as for the label."""
    path = tmp_path / "aliased.yaml"
    path.write_text("""name: aliased
kind: final-accounts
title: 两侧同名的列
header_aliases:
  项目: [科目]
tables:
  - id: "01"
    number: 公开01表
    title: 表
    layout: grid
    columns:
      - group: 收入
        children: [{key: income_item, label: 项目, type: label}, {key: income, label: 金额, type: amount}]
      - group: 支出
        children: [{key: spend_item, label: 项目, type: label}, {key: spend, label: 金额, type: amount}]
""", encoding="utf-8")
    spec = load_profile(path).tables[0]
    (tmp_path / "01.csv").write_text("收入/科目,收入/金额,支出/科目,支出/金额\n甲,1.00,乙,2.00\n", encoding="utf-8")
    assert _cells(read_table(tmp_path / "01.csv", spec)) == [
        {"income_item": "甲", "income": "1.00", "spend_item": "乙", "spend": "2.00"}]


def test_a_header_alias_or_subheader_for_no_column_is_refused_at_its_line(tmp_path):
    path = tmp_path / "aliased.yaml"
    for key in ("header_aliases", "subheaders"):
        path.write_text(PROFILE_HEAD + f"{key}:\n  科目名称: [名称]\n  科目代吗: [科目编码]\n", encoding="utf-8")
        with pytest.raises(ProfileError) as raised:
            load_profile(path)
        assert (raised.value.location.line, raised.value.problem) == (15, f"{key} 中的“科目代吗”不是本方案任何一张表的列名")


def test_the_fixture_csv_uses_aliases_and_builds(portal):
    """02.csv's header is 科目编码,项目,…: the page shows the profile's labels and every row."""
    assert (portal / DOC / "tables/02.csv").read_text(encoding="utf-8").startswith("科目编码,项目,")
    table = Outputs(built(portal), "02")
    assert [th.text_content() for th in table.table.cssselect("thead th")][:3] == ["项目", "本年支出合计", "基本支出"]
    assert table.csv[0][:2] == ["项目/科目代码", "项目/科目名称"]
    assert [r["code"] for r in table.data["rows"]] == ["类 款 项", "", "208", "20805", "2080505"]


# -- 2. codes that are not codes ---------------------------------------------------------------

@pytest.mark.parametrize("mark", PLACEHOLDER_CODES)
def test_a_placeholder_code_is_a_row_but_no_subject(portal, mark):
    """03.csv prints one row “无 | 无 | 无 | 无” (or ——, －, /): every output keeps the marks, no
    amount is read, no check sees a 科目 (before: 「科目代码“无”应只含数字」)."""
    write(portal, f"{DOC}/tables/03.csv", f"科目代码,科目名称,本年收入,本年支出\n{mark},{mark},{mark},{mark}\n")
    table = Outputs(built(portal), "03")
    amount = "——" if mark == "－" else mark     # (－ in an amount cell was read as “——” before: not applicable)
    assert table.data["rows"] == [{"code": mark, "name": mark, "cells": {"income": amount, "total": amount}}]
    assert table.json == table.data
    assert table.csv[1] == [mark, mark, amount, amount]
    assert [cell[2] for cell in table.page[0][-2:]] == [amount, amount]     # the amount cells, as printed
    assert table.xlsx[4][-2:] == [amount, amount]
    assert table.data["empty"] is True
    assert [f for f in findings(portal) if f.location.path.name == "03.csv"] == []


def test_a_placeholder_row_among_subjects_is_seen_by_no_code_rule(portal):
    replace(portal, f"{DOC}/tables/02.csv", "208,社会保障和就业支出", "无,无,,,\n——,其他（无代码）,,,\n208,社会保障和就业支出")
    assert findings(portal) == []
    doc = load_portal(portal).departments[0].documents[0]
    rows = doc.table("02").rows
    assert [(r.code, r.cells["code"], r.level) for r in rows[2:4]] == [("", "无", 0), ("", "——", 0)]
    assert doc.table("02").row("208").level == 1


def test_a_placeholder_in_an_amount_cell_of_a_row_with_a_code_is_still_no_amount(portal):
    replace(portal, f"{DOC}/tables/02.csv", "208,社会保障和就业支出,12.35", "208,社会保障和就业支出,无")
    code, output = cli("check", portal)
    assert code == 1
    assert "tables/02.csv:4:3: “本年支出合计”列：“无”不是金额" in output


def test_a_profile_may_list_its_own_placeholder_codes(portal):
    replace(portal, "profiles/input-mini.yaml", "subheaders:", "placeholder_codes: [空]\nsubheaders:")
    write(portal, f"{DOC}/tables/03.csv", "科目代码,科目名称,本年收入,本年支出\n空,空,空,空\n")
    assert Outputs(built(portal), "03").data["rows"][0]["code"] == "空"
    write(portal, f"{DOC}/tables/03.csv", "科目代码,科目名称,本年收入,本年支出\n无,无,,\n")
    code, output = cli("check", portal)
    assert code == 1 and "tables/03.csv:2:1: 科目代码“无”应只含数字" in output and "印刷为“空”的照样填写" in output


def test_the_page_and_the_workbook_show_a_placeholder_code(portal):
    table = Outputs(built(portal), "03")
    assert [cell[2] for cell in table.page[0]] == ["无", "无", "无", "无"]
    assert table.xlsx[4] == ["无", "无", "无", "无"]


# -- 3. repeated header rows -------------------------------------------------------------------

HEADER_ROWS = {   # kind → (table, the line after which it is inserted, the printed row)
    "statistics": ("04", "工程,3,2.00", "项目,行次,统计数"),
    "statistics letter-spaced": ("04", "工程,3,2.00", "项 目,行 次,统 计 数"),
    "sub-header 类 款 项": ("02", ",合计,12.35,10.00,2.35", "类 款 项,,,,"),
    "sub-header letter-spaced": ("02", ",合计,12.35,10.00,2.35", "类款项,,,,"),
    "two-row header, upper row": ("02", "208,社会保障和就业支出,12.35,10.00,2.35", "项目,,本年支出合计,基本支出,项目支出"),
    "two-row header, lower row": ("02", "208,社会保障和就业支出,12.35,10.00,2.35", "科目代码,科目名称,,,"),
    "header in aliases": ("02", "208,社会保障和就业支出,12.35,10.00,2.35", "科目编码,项目,本年支出合计,,"),
}


@pytest.mark.parametrize("kind", HEADER_ROWS)
def test_a_repeated_header_row_is_kept_as_printed_and_never_data(portal, kind):
    table_id, after, printed = HEADER_ROWS[kind]
    replace(portal, f"{DOC}/tables/{table_id}.csv", after + "\n", after + "\n" + printed + "\n")
    texts = printed.split(",")
    out = built(portal)
    table = Outputs(out, table_id)
    rows = table.data["rows"]
    label = after.split(",")[1 if table_id == "02" else 0]
    at = next(i for i, r in enumerate(rows) if label in (r.get("name"), r["cells"].get("item")))
    row = rows[at + 1]
    assert row["repeats_header"] is True and "level" not in row
    shown = [row["code"], row["name"], *row["cells"].values()] if table_id == "02" else list(row["cells"].values())
    assert shown == texts
    assert table.json == table.data
    assert texts in table.csv
    assert findings(portal) == []
    if table_id == "04":        # a grid table: the page draws header cells, the workbook the texts
        assert [("th", "col", text) for text in texts] in table.page
        assert texts in table.xlsx


def test_a_sub_header_row_is_one_only_where_declared(portal):
    """The profile's ``subheaders`` or the column's ``subheader``: without either, 类 款 项 is a code
    (the error of before); with the column's own, the row is a repeated header row."""
    profile = "profiles/input-mini.yaml"
    replace(portal, profile, "subheaders:\n  科目代码: [类 款 项]\n", "")
    code, output = cli("check", portal)
    assert code == 1 and "tables/02.csv:2:1: 科目代码“类 款 项”应只含数字" in output
    replace(portal, profile, "{key: code, label: 科目代码, type: code}\n          - {key: name",
            "{key: code, label: 科目代码, type: code, subheader: 类 款 项}\n          - {key: name")
    assert Outputs(built(portal), "02").data["rows"][0]["repeats_header"] is True


def test_checks_still_read_the_rows_around_a_repeated_header(portal):
    """04.csv has 项目 | 行次 | 统计数 between 行次 3 and 4: 政府采购合计 (1) = 2 + 3 + 4 is still checked."""
    assert "项目,行次,统计数\n服务" in (portal / DOC / "tables/04.csv").read_text(encoding="utf-8")
    replace(portal, f"{DOC}/tables/04.csv", "服务,4,3.00", "服务,4,4.00")
    found = findings(portal)
    assert [(f.rule, f.location.path.name, f.location.line) for f in found] == [("sum.rows", "04.csv", 2)]


def test_a_row_that_repeats_only_part_of_the_header_is_data(portal):
    replace(portal, f"{DOC}/tables/04.csv", "服务,4,3.00", "项目,行次,统计数x")
    code, output = cli("check", portal)
    assert code == 1 and "tables/04.csv:6:3: “统计数”列：“统计数x”不是金额" in output


def test_an_imported_sheet_keeps_a_repeated_header_row(tmp_path):
    """项目 | 行次 | 统计数 again in the sheet (and the 栏次 row under it): the CSV keeps the header
    row as printed, the 栏次 row goes (the page prints one under the header)."""
    spec = _spec("final-accounts-10", "10")
    rows = [{"item": "政府采购合计", "line": "1", "value": "6.00"},
            {"item": "项目", "line": "行次", "value": "统计数"},
            {"item": "栏次", "line": "", "value": "1"},
            {"item": "货物", "line": "2", "value": "1.00"}]
    book = sheet_workbook(tmp_path / "book.xlsx", spec, {}, rows)
    imported = read_document_workbook(book, load_profiles()["final-accounts-10"], 2024)
    assert imported.tables[0].csv == "项目,行次,统计数\n政府采购合计,1,6.00\n项目,行次,统计数\n货物,2,1.00\n"


def test_the_page_shows_a_repeated_header_row_of_a_subject_table(portal):
    table = Outputs(built(portal), "02")
    assert table.page[0][0][2] == "类 款 项"


# -- 4. a caption's unit and year --------------------------------------------------------------

def test_a_table_printed_in_yuan_says_so_in_every_output(portal):
    """document.yaml: tables: {"05": {unit: 元, year: 2023}} in a 万元 document of 2024."""
    out = built(portal)
    table = Outputs(out, "05")
    assert table.caption().endswith("部门名称：示例市虚构局 2023年度 金额单位：元")
    assert table.xlsx[2][1] == "2023年度 金额单位：元"
    assert (table.data["unit"], table.data["year"]) == ("元", 2023)
    assert (table.json["unit"], table.json["year"]) == ("元", 2023)
    assert table.csv[0] == ["项目", "金额（元）"]
    assert table.csv[-1] == ["合计", "123,456.78"]
    other = Outputs(out, "02")
    assert other.caption().endswith("2024年度 金额单位：万元") and "year" not in other.data
    assert other.data["unit"] == "万元" and other.csv[0][2] == "本年支出合计（万元）"


def test_figures_in_yuan_and_wan_yuan_are_compared_in_yuan(portal):
    """公开05表 合计 123,456.78 元 against 公开02表 合计 12.35 万元: 43.22 元 apart, within the rounding
    of a 万元 figure (a note); 9,956.78 元 apart is an error."""
    notes = findings(portal, ("note",))
    assert [f.message for f in notes] == [
        "公开05表合计（元）与公开02表合计（万元）一致：前者为 123,456.78元，后者为 12.35万元，"
        "换算为元相差 43.22元，在单位换算的尾数误差之内（不是错误）"]
    assert findings(portal) == []
    replace(portal, f"{DOC}/tables/05.csv", '合计,"123,456.78"', '合计,"133,456.78"')
    errors = findings(portal)
    assert [(f.rule, f.severity, f.location.line) for f in errors] == [("cross.equal", "error", 4)]
    assert "换算为元相差 9956.78元" in errors[0].message


def test_figures_whose_units_do_not_convert_are_not_compared(portal):
    replace(portal, "profiles/input-mini.yaml", "{key: amount, label: 金额, type: amount}",
            "{key: amount, label: 金额, type: amount, unit: 分}")
    found = findings(portal)
    assert [(f.rule, f.severity) for f in found] == [("cross.equal", "warning")]
    assert "两个数的单位不同（分、万元），不能换算，未作比较" in found[0].message


def test_by_code_compares_a_table_in_yuan_with_one_in_wan_yuan(portal):
    replace(portal, "profiles/input-mini.yaml", "header_aliases:",
            "  - label: 公开02表与公开03表各科目支出一致\n"
            "    by_code: {a: \"02\", a_column: total, b: \"03\", b_column: total}\nheader_aliases:")
    replace(portal, f"{DOC}/document.yaml", '"05": {unit: 元, year: 2023}', '"05": {unit: 元, year: 2023}\n  "03": {unit: 元}')
    write(portal, f"{DOC}/tables/03.csv", "科目代码,科目名称,本年收入,本年支出\n208,社会保障和就业支出,,123456.78\n"
          "20805,行政事业单位养老支出,,123456.78\n2080505,机关事业单位基本养老保险缴费支出,,123456.78\n")
    assert findings(portal) == []
    assert {f.rule for f in findings(portal, ("note",))} == {"cross.equal", "cross.codes"}
    write(portal, f"{DOC}/tables/03.csv", (portal / DOC / "tables/03.csv").read_text(encoding="utf-8")
          .replace("123456.78", "133456.78"))
    errors = findings(portal)
    assert [(f.rule, f.location.path.name, f.location.line) for f in errors] == [("cross.codes", "02.csv", n) for n in (4, 5, 6)]
    assert "在公开03表为 133456.78元，换算为元相差 9956.78元" in errors[0].message


@pytest.mark.parametrize("setting, message", [
    ('"99": {unit: 元}', "tables 中的表“99”不在方案“input-mini”中"),
    ('"05": {unit: 千元}', "未知的金额单位“千元”"),
    ('"05": {units: 元}', "未知的设置项“units”"),
    ('"05": {year: 24}', "“year”应为表格标题上印的年度（四位数字），实际是 24"),
    ('"05": 元', "tables 中“05”的设置应为映射"),
])
def test_a_wrong_table_setting_names_its_line_of_document_yaml(portal, setting, message):
    replace(portal, f"{DOC}/document.yaml", '"05": {unit: 元, year: 2023}', setting)
    code, output = cli("check", portal)
    assert code == 1
    assert f"document.yaml:4: {message}" in output


def test_an_import_keeps_the_unit_and_year_the_document_gives_a_table(portal, tmp_path):
    """The portal's own XLSX, imported back over the document: 公开05表's sheet says 单位：元 and
    2023年度, and the document says so too, so nothing is converted or refused."""
    out = built(portal)
    book = tmp_path / "book.xlsx"
    shutil.copy(out / "tables.xlsx", book)
    before = load_portal(portal).departments[0].documents[0]
    code, output = cli("import", book, "--into", portal, "--department", "demo-ju", "--year", 2024,
                       "--kind", "final-accounts", "--force")
    assert code == 0, output
    after = load_portal(portal).departments[0].documents[0]
    for table_id in ("04", "05"):        # (the grid tables: what the subject layout draws is the lead's part)
        assert _cells(after.table(table_id)) == _cells(before.table(table_id)), table_id
    assert _cells(after.table("05"))[-1] == {"item": "合计", "amount": "123,456.78"}
