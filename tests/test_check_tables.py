"""Issue 26, the checker's side: printed rates in tables, 行次 printed as decimals and with gaps,
rows a sum or a cross check names that the table lacks, and every amount column of a block
table's group totals.

Every number here is made up (tests/fixtures/portal-rates, and the small portals written below).
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import shutil
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from types import SimpleNamespace

import lxml.html
import openpyxl
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from test_profile_layouts import BLOCKS, BLOCKS_CSV
from site_builder import profiles
from site_builder.build import build
from site_builder.checks import CheckConfig, run_checks
from site_builder.checks.rates import printed_rate, zero_denominator
from site_builder.content import load_portal
from site_builder.errors import ContentError, Location, ProfileError
from site_builder.model import Row, Table
from site_builder.numbers import parse_cell, parse_rate

FIXTURE = Path(__file__).resolve().parent / "fixtures/portal-rates"
DOC = "departments/demo-ju/2024/final-accounts"


def replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (path.name, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def problems(root: Path) -> list[tuple[str, str, str, int | None, int | None, str]]:
    """(rule, severity, file, line, column, message) of every finding that is not a note."""
    return [(f.rule, f.severity, f.location.path.name, f.location.line, f.location.column, f.message)
            for f in run_checks(load_portal(root)) if f.severity != "note"]


@pytest.fixture
def rates(tmp_path) -> Path:
    """A writable copy of tests/fixtures/portal-rates."""
    target = tmp_path / "rates"
    shutil.copytree(FIXTURE, target)
    return target


# ---------------------------------------------------------------------------------------------
# 1. Printed rates


def test_the_fixture_checks_clean(rates):
    assert problems(rates) == []


def test_printed_rates_show_as_printed_on_the_page_and_in_every_download(rates, tmp_path):
    out = tmp_path / "out"
    build(rates, out, base_url="", search=False)
    folder = out / "demo-ju/2024/final-accounts"
    printed = [("81.20%", "-9.78%"), ("", ""), ("83.33%", "-9.09%"), ("——", "——"), ("83.33%", "-9.09%"),
               ("78.0%", "-10.86%")]
    page = lxml.html.parse(str(folder / "index.html")).getroot()
    table = page.cssselect('table[data-table="02"]')[0]
    shown = [(r.cssselect('td[data-key="of_budget"]')[0].text_content().strip(),
              r.cssselect('td[data-key="growth"]')[0].text_content().strip()) for r in table.cssselect("tbody tr")]
    assert shown == printed
    rows = list(csv.reader(io.StringIO((folder / "tables/02.csv").read_text(encoding="utf-8-sig"))))
    assert rows[0][4:] == ["决算数为预算数的%", "增速%"]
    assert [tuple(r[4:]) for r in rows[1:]] == printed
    for data in (json.loads((folder / "data.json").read_text())["tables"][1],
                 json.loads((folder / "tables/02.json").read_text())["table"]):
        assert [(r["cells"]["of_budget"], r["cells"]["growth"]) for r in data["rows"]] == printed
    sheet = openpyxl.load_workbook(folder / "tables.xlsx")["公开02表"]
    cells = [(r[4] or "", r[5] or "") for r in sheet.iter_rows(min_row=5, values_only=True)]
    assert cells == printed


@pytest.mark.parametrize("old, new, line, column, expected", [
    ("3,500.00\",78.0%", "3,500.00\",78.1%", 7, 5, "78.00%"),                 # a tenth off
    ("3,500.00\",78.0%", "3,500.00\",78.06%", 7, 5, "78.00%"),                # 0.06 off, 0.005 allowed
    ("5,500.00\",83.33%,-9.09%\n其中", "5,500.00\",83.33%,-9.90%\n其中", 4, 6, "-9.09%"),  # growth digits swapped
    ("81.20%,-9.78%", "81.20%,9.78%", 2, 6, "-9.78%"),                        # the sign lost
])
def test_a_wrong_printed_rate_is_an_error_at_its_cell(rates, old, new, line, column, expected):
    replace(rates / DOC / "tables/02.csv", old, new)
    found = [f for f in run_checks(load_portal(rates)) if f.severity != "note"]
    assert [(f.rule, f.severity, f.location.path.name, f.location.line, f.location.column, f.expected)
            for f in found] == [("rate.printed", "error", "02.csv", line, column, expected)]
    message = found[0].message
    assert message.startswith("公开02表“") and "表中印为" in message and expected in message
    assert ("增速%" if column == 6 else "决算数为预算数的%") in message


@pytest.mark.parametrize("printed", ["83.3%", "83.33%", "83.333%", "83.3333%", "83%"])
def test_a_printed_rate_within_half_a_unit_of_its_last_digit_passes(rates, printed):
    """5,000.00 ÷ 6,000.00 = 83.333…%: each of these is that rate rounded to what it prints."""
    replace(rates / DOC / "tables/02.csv", "5,500.00\",83.33%", f"5,500.00\",{printed}")
    assert problems(rates) == []


@pytest.mark.parametrize("printed", ["83.4%", "83.32%", "83.329%", "83.335%", "84%"])
def test_a_printed_rate_beyond_half_a_unit_is_an_error(rates, printed):
    replace(rates / DOC / "tables/02.csv", "5,500.00\",83.33%", f"5,500.00\",{printed}")
    assert [(p[0], p[3], p[4]) for p in problems(rates)] == [("rate.printed", 4, 5)]


def test_a_rate_printed_over_a_zero_or_blank_base_is_flagged(rates):
    tables = rates / DOC / "tables/02.csv"
    replace(tables, "因公出国（境）费,0.00,0.00,0.00,,", "因公出国（境）费,0.00,0.00,0.00,0.00%,0.00%")
    replace(tables, "其中：公务用车购置费,0.00,0.00,0.00,——,——", "其中：公务用车购置费,,0.00,——,0.00%,5.00%")
    found = problems(rates)
    assert sorted(p[:5] for p in found) == [
        ("rate.zero-denominator", "error", "02.csv", 3, 5), ("rate.zero-denominator", "error", "02.csv", 3, 6),
        ("rate.zero-denominator", "error", "02.csv", 5, 5), ("rate.zero-denominator", "error", "02.csv", 5, 6)]
    messages = {(p[3], p[4]): p[5] for p in found}
    assert "预算数为零（0.00），比率无法计算，表中却印为 0.00%；应留空或写“——”" in messages[(3, 5)]
    assert "上年决算数为零（0.00）" in messages[(3, 6)]
    assert "预算数为空白" in messages[(5, 5)] and "上年决算数为——" in messages[(5, 6)]
    assert all(m.startswith("公开02表“") for m in messages.values())


@pytest.mark.parametrize("typed", ["81.20", "81.20 %", "1,081.20%", "八成", "81.2.0%", "%"])
def test_a_printed_rate_that_is_no_percentage_stops_the_load(rates, typed):
    replace(rates / DOC / "tables/02.csv", "81.20%", typed if "," not in typed else f'"{typed}"')
    with pytest.raises(ContentError) as caught:
        load_portal(rates)
    assert caught.value.location == Location(rates / DOC / "tables/02.csv", 2, 5)
    assert caught.value.problem.startswith("“决算数为预算数的%”列：") and "不是百分比" in caught.value.problem
    assert "如 27.05%、-3.2% 或 0.00%" in caught.value.problem


@pytest.mark.parametrize("typed, text, value", [
    ("27.05%", "27.05%", Decimal("27.05")), ("-3.2%", "-3.2%", Decimal("-3.2")), ("0.00%", "0.00%", Decimal(0)),
    ("", "", None), ("——", "——", None), ("-", "——", None), ("２７．０５％", "27.05%", Decimal("27.05")),
    (" +4% ", "+4%", Decimal(4)),
])
def test_printed_percentages_are_read_as_printed(typed, text, value):
    cell = parse_rate(typed)
    assert (cell.text, cell.value) == (text, value)


def test_printed_is_refused_on_a_column_that_is_no_rate(rates):
    replace(rates / "profiles/rates-demo.yaml", "{key: budget, label: 预算数, type: amount}",
            "{key: budget, label: 预算数, type: amount, printed: true}")
    with pytest.raises(ProfileError, match="“printed”只用于比率列"):
        load_portal(rates)


def test_a_computed_rate_column_still_refuses_a_csv_column(rates):
    """Without ``printed`` the rate is the build's: a CSV column for it is an unknown header."""
    replace(rates / "profiles/rates-demo.yaml", "of: [actual, budget], printed: true}", "of: [actual, budget]}")
    with pytest.raises(ContentError, match="未知的列标题“决算数为预算数的%”"):
        load_portal(rates)


# The rule on generated rows: a table of the fixture's profile, one row, the rule called directly.

SPEC = profiles.load_profile(FIXTURE / "profiles/rates-demo.yaml").table("02")
AMOUNT = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999999.99"), places=2)


def _rate_findings(spec, budget: Decimal | str, actual: Decimal | str, rate: str, config: CheckConfig | None = None):
    cells = {"item": "项目", "budget": parse_cell(f"{budget}"), "actual": parse_cell(f"{actual}"),
             "last_year": parse_cell(""), "of_budget": parse_rate(rate), "growth": parse_rate("")}
    table = Table(spec, [Row(cells, Location(Path("02.csv"), 2))], Path("02.csv"),
                  columns_at={c.key: i for i, c in enumerate(spec.columns, start=1)})
    doc = SimpleNamespace(tables=[table], url="demo/")
    config = config or CheckConfig()
    return list(printed_rate(doc, config)) + list(zero_denominator(doc, config))


def _rounded(value: Decimal, places: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(part=AMOUNT, whole=AMOUNT, places=st.integers(0, 4))
def test_a_rate_rounded_to_its_printed_places_never_fires(part, whole, places):
    printed = _rounded(part * 100 / whole, places)
    assert _rate_findings(SPEC, whole, part, f"{printed}%") == []


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(part=AMOUNT, whole=AMOUNT, places=st.integers(0, 4), steps=st.integers(1, 10_000), down=st.booleans())
def test_a_rate_off_by_more_than_half_a_unit_always_fires(part, whole, places, steps, down):
    unit = Decimal(1).scaleb(-places)
    exact = part * 100 / whole
    printed = _rounded(exact, places) + (-steps if down else steps) * unit
    assume(abs(printed - exact) > unit / 2)
    found = _rate_findings(SPEC, whole, part, f"{printed}%")
    assert [(f.rule, f.location.line, f.location.column) for f in found] == [("rate.printed", 2, 5)]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(part=st.integers(1, 10**10), whole=st.integers(1, 10**10), places=st.integers(0, 3))
def test_a_rate_of_exact_amounts_printed_in_wan_yuan_never_fires(part, whole, places):
    """The document computes its rate from 元 and prints the amounts rounded to 万元: the rule
    allows each amount the portal's 万元 rounding (0.005), so the printed rate always passes."""
    spec = dataclasses.replace(SPEC, unit="万元")
    wan = [_rounded(Decimal(n) / 10000, 2) for n in (part, whole)]
    assume(wan[1] > 0)
    printed = _rounded(Decimal(part) * 100 / Decimal(whole), places)
    assert [f.rule for f in _rate_findings(spec, wan[1], wan[0], f"{printed}%")] == []


@given(budget=st.sampled_from(["0.00", "0", ""]), rate=st.sampled_from(["0.00%", "100%", "-1.5%"]))
def test_any_rate_printed_over_a_zero_base_fires(budget, rate):
    found = _rate_findings(SPEC, budget, Decimal("5.00"), rate)
    assert [f.rule for f in found] == ["rate.zero-denominator"]


# ---------------------------------------------------------------------------------------------
# 2 and 3. 行次 printed as decimals, gaps in 行次, and rows a check names that a table lacks

LINES_PROFILE = """\
name: lines-demo
kind: final-accounts
title: 行次（测试）
unit: 元
parts:
  - {title: 公开表, blocks: [{type: tables}]}
tables:
  - id: "01"
    number: 公开01表
    title: 支出决算总表
    layout: grid
    columns:
      - {key: item, label: 项目, type: label}
      - {key: line, label: 行次, type: line}
      - {key: amount, label: 金额, type: amount}
    sum_rows:
      - {total: 7, parts: ["1-6"]}
      - {total: 9, parts: [7, 8]}
  - id: "02"
    number: 公开02表
    title: 其他支出明细表
    layout: grid
    columns:
      - {key: item, label: 项目, type: label}
      - {key: amount, label: 金额, type: amount}
cross_checks:
  - label: 公开02表合计与公开01表行次 6 一致（虚构）
    a: {table: "02", row: 合计, column: amount}
    b: {table: "01", row: 6, column: amount}
"""
LINES_01 = """\
项目,行次,金额
一般公共服务支出,1.00,"120,000.00"
社会保障和就业支出,2.00,"30,000.00"
卫生健康支出,3.00,"50,000.00"
住房保障支出,5.00,"12,000.00"
其他支出,6.00,"8,120.00"
本年支出合计,7.00,"220,120.00"
年末结转和结余,8.00,"3,000.00"
总计,9.00,"223,120.00"
"""
LINES_02 = """\
项目,金额
办公费,"5,000.00"
印刷费,"3,120.00"
合计,"8,120.00"
"""


def write_portal(root: Path, profile: str, tables: dict[str, str]) -> Path:
    """A one-document portal (made-up numbers) whose profile is ``profile`` (its name: the
    profile's ``name``)."""
    name = profile.split("\n", 1)[0].removeprefix("name: ")
    (root / "profiles").mkdir(parents=True)
    (root / "profiles" / f"{name}.yaml").write_text(profile, encoding="utf-8")
    (root / "site.yaml").write_text(
        "name: 测试门户（虚构数据）\nregion: 示例市\nsite_name: 测试\nsite_domain: t.example\n"
        f'site_id_code: "0000000000"\nprofiles: {{final-accounts: {name}}}\n', encoding="utf-8")
    dept = root / "departments/demo-ju"
    (dept / "2024/final-accounts/tables").mkdir(parents=True)
    (dept / "department.yaml").write_text("name: 示例市虚构局\nregion: 示例市\n", encoding="utf-8")
    (dept / "2024/final-accounts/document.yaml").write_text("title: 示例市虚构局2024年度部门决算（虚构）\n", encoding="utf-8")
    for table_id, text in tables.items():
        (dept / f"2024/final-accounts/tables/{table_id}.csv").write_text(text, encoding="utf-8")
    return root


@pytest.fixture
def lines(tmp_path) -> Path:
    return write_portal(tmp_path / "lines", LINES_PROFILE, {"01": LINES_01, "02": LINES_02})


def test_lines_printed_as_decimals_are_matched_by_value(lines):
    table = load_portal(lines).documents[0].table("01")
    assert table.at_line(1) is table.rows[0] and table.at_line("1") is table.rows[0]
    assert table.at_line("1.00") is table.rows[0] and table.at_line("1.0") is table.rows[0]
    assert table.numbered(9).cells["item"] == "总计" and table.line_value(7, "amount") == Decimal("220120.00")
    assert table.at_line(4) is None and table.at_line(10) is None


def test_a_line_that_is_no_number_is_matched_as_printed(tmp_path):
    root = write_portal(tmp_path / "p", LINES_PROFILE, {"01": LINES_01.replace(",1.00,", ",甲,"), "02": LINES_02})
    table = load_portal(root).documents[0].table("01")
    assert table.at_line("甲") is table.rows[0] and table.at_line("1") is None and table.at_line("甲.00") is None
    assert table.at_line("2") is table.rows[1]


def test_sums_by_decimal_lines_and_over_a_gap_are_checked(lines):
    """行次 1.00 … 9.00 with 4.00 not printed: “1-6” sums the five printed lines; nothing is
    reported, and a wrong total is an error at its cell."""
    assert problems(lines) == []
    replace(lines / DOC / "tables/01.csv", '本年支出合计,7.00,"220,120.00"', '本年支出合计,7.00,"221,120.00"')
    found = problems(lines)
    assert [p[:5] for p in found] == [("sum.rows", "error", "01.csv", 7, 3), ("sum.rows", "error", "01.csv", 9, 3)]
    assert "行次 7 金额与其分项之和：各项之和为 220120.00元，表中为 221,120.00" in found[0][5]


def test_a_line_named_singly_that_is_missing_is_a_warning_that_says_which_and_why(lines):
    replace(lines / DOC / "tables/01.csv", '年末结转和结余,8.00,"3,000.00"\n', "")
    replace(lines / DOC / "tables/01.csv", '总计,9.00,"223,120.00"', '总计,9.00,"220,120.00"')   # = 7 alone
    found = problems(lines)
    assert [p[:5] for p in found] == [("sum.rows", "warning", "01.csv", None, None)]
    assert found[0][5] == "公开01表 无法核对行次 9行（金额）与其分项之和：表中没有行次为 8 的行（检查表中的行次和行名，或表格方案的 sum_rows）"


def test_a_range_with_none_of_its_lines_and_a_missing_total_are_warnings(lines):
    replace(lines / "profiles/lines-demo.yaml", '{total: 7, parts: ["1-6"]}', '{total: 7, parts: ["20-30", 1]}')
    replace(lines / "profiles/lines-demo.yaml", "{total: 9, parts: [7, 8]}", "{total: 总 计, parts: [7, 8]}")
    replace(lines / DOC / "tables/01.csv", "总计,9.00", "总额,9.00")
    messages = sorted(p[5] for p in problems(lines))
    assert messages == [
        "公开01表 无法核对“总 计”行（金额）与其分项之和：合计行：表中没有“总 计”行（检查表中的行次和行名，或表格方案的 sum_rows）",
        "公开01表 无法核对行次 7行（金额）与其分项之和：表中没有行次在 20–30 之间的行（检查表中的行次和行名，或表格方案的 sum_rows）",
    ]


def test_a_cross_check_by_a_decimal_line_is_compared(lines):
    assert problems(lines) == []
    replace(lines / DOC / "tables/02.csv", '合计,"8,120.00"', '合计,"8,210.00"')
    assert [p[:5] for p in problems(lines)] == [("cross.equal", "error", "02.csv", 4, 2)]


def test_a_cross_check_naming_a_missing_row_is_a_warning_never_a_partial_sum(lines):
    """rows: [6, 4] where the table prints no 行次 4: the sum of 6 alone equals the other side,
    and was passed silently; now it is a warning naming 行次 4, and nothing is compared."""
    replace(lines / "profiles/lines-demo.yaml", '{table: "01", row: 6, column: amount}',
            '{table: "01", rows: [6, 4], column: amount}')
    found = problems(lines)
    assert [p[:5] for p in found] == [("cross.equal", "warning", "01.csv", None, None)]
    assert found[0][5] == ("公开02表合计与公开01表行次 6 一致（虚构）：无法核对，公开01表表中没有行次为 4 的行"
                           "（检查表中的行名和行次，或表格方案的 cross_checks）")


def test_a_cross_check_naming_a_missing_label_or_position_is_a_warning(lines):
    replace(lines / "profiles/lines-demo.yaml", '{table: "02", row: 合计, column: amount}',
            '{table: "02", rows: [合计, 7], column: amount}')
    replace(lines / "profiles/lines-demo.yaml", '{table: "01", row: 6, column: amount}',
            '{table: "01", rows: [6, 其他], column: amount}')
    found = problems(lines)
    assert [p[:2] for p in found] == [("cross.equal", "warning")]
    assert "公开01表表中没有“其他”行" in found[0][5]
    assert "公开02表本表不印行次，按行序数第 7 行，而本表只有 3 行" in found[0][5]


# ---------------------------------------------------------------------------------------------
# 4. Every amount column of a block table's group totals

# the block table of tests/test_profile_layouts.py: 金额 and 其中：基本支出 in every block
BLOCKS_PROFILE, BLOCKS_06 = BLOCKS, BLOCKS_CSV


@pytest.fixture
def blocks(tmp_path) -> Path:
    """A block table with a second amount column (the page draws it in every block)."""
    return write_portal(tmp_path / "blocks", BLOCKS_PROFILE, {"06": BLOCKS_06})


def test_every_amount_column_of_a_group_total_is_checked(blocks):
    assert problems(blocks) == []
    replace(blocks / DOC / "tables/06.csv", ",人员经费合计,590.76,583.88", ",人员经费合计,590.76,999.99")
    found = problems(blocks)
    assert [p[:5] for p in found] == [("sum.group-total", "error", "06.csv", 7, 4)]
    assert found[0][5] == ("公开06表 人员经费合计的其中：基本支出与人员经费各类科目之和：各项之和为 583.88元，"
                           "表中为 999.99，相差 416.11，不相等")


def test_the_first_amount_column_of_a_group_total_is_still_checked(blocks):
    replace(blocks / DOC / "tables/06.csv", ",公用经费合计,21.34,28.22", ",公用经费合计,12.34,28.22")
    assert [p[:5] for p in problems(blocks)] == [("sum.group-total", "error", "06.csv", 12, 3)]


def test_group_total_reads_any_amount_column(blocks):
    table = load_portal(blocks).documents[0].table("06")
    assert table.group_total("人员经费") == Decimal("590.76")
    assert table.group_total("人员经费", "basic") == Decimal("583.88")
    assert table.group_total("公用经费", "basic") == Decimal("28.22")
