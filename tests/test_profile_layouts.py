"""Every layout shows every column its profile declares (issue 26).

The page table and the XLSX sheet are drawn from one view (tableview.py); data.json and the
CSV/JSON downloads keep every column. A block table with a second amount column per block (金额,
其中：基本支出) was accepted, checked and built with no warning, and its 11 filled cells were
missing from the page and the workbook. Now block tables draw every column in each block, with
the print's own column breaks and a grand total line; 科目 tables draw rate and text columns; a
column a layout still cannot show (one under a header group, in a block table) is an error at its
profile line; and the build refuses, naming the cell, any table whose outputs lose a cell
(coverage.py). (Made-up profiles and numbers: test fixtures.)
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import lxml.html
import openpyxl
import pytest
import yaml

from conftest import cell
from site_builder.build import build
from site_builder.errors import ContentError
from site_builder.profiles import ProfileError, load_profile, load_profiles

BLOCKS = """\
name: blocks2
kind: final-accounts
title: 分块表（每块两个金额列）
unit: 元
tables:
  - id: "06"
    number: 公开06表
    title: 一般公共预算财政拨款基本支出决算表
    layout: blocks
    classification: 经济分类
    columns:
      - {key: code, label: 科目代码, type: code}
      - {key: name, label: 科目名称, type: name}
      - {key: amount, label: 金额, type: amount}
      - {key: basic, label: 其中：基本支出, type: amount}
      - {key: group, label: 分组, type: text}
    blocks:
      - {group: 人员经费, count: 1, total_label: 人员经费合计}
      - {group: 公用经费, count: 2, total_label: 公用经费合计}
"""

SUBJECT = """\
name: subject-rate
kind: final-accounts
title: 科目表带比率列
tables:
  - id: "01"
    number: 公开01表
    title: 支出决算表
    layout: subject
    columns:
      - {key: code, label: 科目编码, type: code}
      - {key: name, label: 科目名称, type: name}
      - {key: budget, label: 预算数, type: amount}
      - {key: final, label: 决算数, type: amount}
      - {key: ratio, label: 决算数为预算数的%, type: rate, of: [final, budget]}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / f"{text.split(chr(10))[0].split(': ')[1]}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("setting, words", [
    ("    total: {sum: [amount]}\n", "分块表（blocks）不显示合计行（total）"),
    ("    seq_row: true\n", "分块表（blocks）不显示栏次行（seq_row）"),
])
def test_a_total_or_seq_row_on_a_block_table_is_refused(tmp_path, setting, words):
    text = BLOCKS.replace("      - {key: basic, label: 其中：基本支出, type: amount}\n", "").replace(
        "    classification: 经济分类\n", "    classification: 经济分类\n" + setting)
    with pytest.raises(ProfileError) as raised:
        load_profile(write(tmp_path, text))
    assert words in raised.value.format_message()


def test_every_built_in_profile_declares_only_what_its_tables_show():
    assert {"final-accounts-10", "final-accounts-9", "final-accounts-yuan-10", "budget-13", "performance-overall"} <= set(load_profiles())


def test_the_example_portal_profiles_load():
    from conftest import EXAMPLE

    assert load_profiles(EXAMPLE / "profiles")      # (its own profiles, if any, go through the same check)


BLOCKS_CSV = """\
科目代码,科目名称,金额,其中：基本支出,分组
301,工资福利支出,496.89,490.88,人员经费
30101,基本工资,176.64,170.00,人员经费
30199,其他工资福利支出,320.25,320.88,人员经费
303,对个人和家庭的补助,93.87,93.00,人员经费
30307,医疗费补助,93.87,93.00,人员经费
,人员经费合计,590.76,583.88,人员经费
302,商品和服务支出,21.34,28.22,公用经费
30201,办公费,21.34,28.22,公用经费
309,资本性支出（基本建设）,——,——,公用经费
30901,房屋建筑物购建,——,——,公用经费
,公用经费合计,21.34,28.22,公用经费
"""
SITE = {"name": "示例门户", "region": "某省某市", "description": "测试（合成数据）", "site_name": "示例门户",
        "site_domain": "example.gov.cn", "site_id_code": "0000000000", "content_source": "测试",
        "base_url": ""}


def portal(tmp_path: Path, profile: str, table_id: str, table_csv: str) -> Path:
    """A one-department portal of ``profile`` with one table: made-up content for a test."""
    content = tmp_path / "content"
    document = content / "departments" / "demo-dept" / "2024" / "final-accounts"
    (document / "tables").mkdir(parents=True)
    (content / "profiles").mkdir()
    name = profile.split("\n")[0].split(": ")[1]
    (content / "profiles" / f"{name}.yaml").write_text(profile, encoding="utf-8")
    site = {**SITE, "profiles": {"final-accounts": name}}
    (content / "site.yaml").write_text(yaml.safe_dump(site, allow_unicode=True), encoding="utf-8")
    (content / "departments" / "demo-dept" / "department.yaml").write_text(
        "name: 示例局\ncode: \"999\"\nsupervisor: 示例局\nregion: 某省某市\n", encoding="utf-8")
    (document / "document.yaml").write_text(f"title: 示例局2024年度部门决算公开\nprofile: {name}\n", encoding="utf-8")
    (document / "tables" / f"{table_id}.csv").write_text(table_csv, encoding="utf-8")
    return content


def built(tmp_path: Path, profile: str, table_id: str, table_csv: str) -> Path:
    out = tmp_path / "out"
    build(portal(tmp_path, profile, table_id, table_csv), out, search=False, jobs=1)
    return out / "demo-dept" / "2024" / "final-accounts"


def body_rows(folder: Path, table_id: str) -> list[list[str]]:
    page = lxml.html.parse(str(folder / "index.html")).getroot()
    table = page.cssselect(f'table[data-table="{table_id}"]')[0]
    return [[c.text_content().strip() for c in tr] for tr in table.cssselect("tbody tr")]


def test_a_block_table_with_two_amount_columns_shows_both_in_every_block(tmp_path):
    folder = built(tmp_path, BLOCKS, "06", BLOCKS_CSV)
    page = lxml.html.parse(str(folder / "index.html")).getroot()
    assert cell(page, "06", "30101", "amount") == "176.64"
    assert cell(page, "06", "30101", "basic") == "170.00"
    assert cell(page, "06", "30201", "basic") == "28.22"
    assert cell(page, "06", "30901", "basic") == "——"
    table = page.cssselect('table[data-table="06"]')[0]
    heads = [[th.text_content().strip() for th in tr.cssselect("th")] for tr in table.cssselect("thead tr")]
    assert heads[0] == ["人员经费", "公用经费"]
    assert heads[1] == ["科目代码", "科目名称", "金额", "其中：基本支出"] * 3     # 1 + 2 print columns
    assert [th.get("colspan") for th in table.cssselect("thead tr")[0].cssselect("th")] == ["4", "8"]
    assert len(table.cssselect('td[data-key="basic"]')) == 11   # 9 科目 + 2 totals, as typed
    totals = body_rows(folder, "06")[-1]
    assert totals == ["人员经费合计", "590.76", "583.88", "公用经费合计", "21.34", "28.22"]
    sheet = openpyxl.load_workbook(folder / "tables.xlsx")["公开06表"]
    values = [v for row in sheet.iter_rows(values_only=True) for v in row if v is not None]
    assert values.count("其中：基本支出") == 3 and 490.88 in values and 583.88 in values and values.count("——") == 4
    assert sheet.max_column == 12


def test_a_grand_total_after_the_block_totals_is_drawn_last(tmp_path):
    folder = built(tmp_path, BLOCKS, "06", BLOCKS_CSV + ",合 计,612.10,612.10,\n")
    assert body_rows(folder, "06")[-1] == ["合 计", "612.10", "612.10"]
    data = json.loads((folder / "data.json").read_text(encoding="utf-8"))
    assert data["tables"][0]["rows"][-1] == {"code": "", "name": "合 计", "cells": {"amount": "612.10", "basic": "612.10", "group": ""}}


def test_a_grand_total_given_a_block_is_refused_naming_its_line(tmp_path):
    with pytest.raises(ContentError) as raised:
        build(portal(tmp_path, BLOCKS, "06", BLOCKS_CSV + ",合 计,612.10,612.10,公用经费\n"), tmp_path / "out",
              search=False, jobs=1)
    message = raised.value.format_message()
    assert "06.csv:13" in message and "“合 计”一行没有科目代码，也不是某一块的合计" in message and "“分组”一列留空" in message


STAGED = BLOCKS.replace("      - {key: group, label: 分组, type: text}\n",
                        "      - {key: group, label: 分组, type: text}\n      - {key: block_column, label: 栏, type: text}\n")


def test_the_print_decides_where_a_block_breaks_into_columns(tmp_path):
    rows = list(csv.reader(io.StringIO(BLOCKS_CSV)))
    rows[0].append("栏")
    columns = {"302": "1", "30201": "2", "309": "2", "30901": "2"}       # 1 row, then 3: not an even split
    for row in rows[1:]:
        row.append(columns.get(row[0], "1" if row[0] else ""))
    text = "".join(",".join(r) + "\n" for r in rows)
    body = body_rows(built(tmp_path, STAGED, "06", text), "06")
    assert body[0][4:] == ["302", "商品和服务支出（类）", "21.34", "28.22", "30201", "办公费（款）", "21.34", "28.22"]
    assert body[1][4:] == ["", "", "", "", "309", "资本性支出（基本建设）（类）", "——", "——"]
    assert body[2][4:] == ["", "", "", "", "30901", "房屋建筑物购建（款）", "——", "——"]


@pytest.mark.parametrize("value, words", [("3", "栏号“3”不对：“公用经费”共印成 2 栏"), ("二", "栏号“二”不对")])
def test_a_print_column_the_block_does_not_have_is_refused(tmp_path, value, words):
    rows = list(csv.reader(io.StringIO(BLOCKS_CSV)))
    rows[0].append("栏")
    for row in rows[1:]:
        row.append(value if row[0] == "30201" else "1" if row[0] else "")
    text = "".join(",".join(r) + "\n" for r in rows)
    with pytest.raises(ContentError) as raised:
        build(portal(tmp_path, STAGED, "06", text), tmp_path / "out", search=False, jobs=1)
    assert "06.csv:9" in raised.value.format_message() and words in raised.value.format_message()


def test_a_block_column_under_a_header_group_is_refused_at_its_line(tmp_path):
    text = BLOCKS.replace("      - {key: basic, label: 其中：基本支出, type: amount}\n",
                          "      - group: 其中\n        children:\n          - {key: basic, label: 基本支出, type: amount}\n")
    with pytest.raises(ProfileError) as raised:
        load_profile(write(tmp_path, text))
    message = raised.value.format_message()
    assert "blocks2.yaml:17" in message and "不能显示列“基本支出”" in message and "layout: grid" in message


SUBJECT_CSV = """\
科目编码,科目名称,预算数,决算数,备注
201,一般公共服务支出,100.00,80.00,见说明
20101,人大事务,100.00,80.00,
,合计,100.00,80.00,
"""


def test_a_subject_table_shows_its_rate_and_text_columns(tmp_path):
    profile = SUBJECT + "      - {key: remark, label: 备注, type: text}\n"
    rows = body_rows(built(tmp_path, profile, "01", SUBJECT_CSV), "01")
    assert rows == [["201", "一般公共服务支出（类）", "100.00", "80.00", "80.00%", "见说明"],
                    ["20101", "人大事务（款）", "100.00", "80.00", "80.00%", ""],
                    ["合计", "100.00", "80.00", "80.00%", ""]]


# -- the build's own check: break the drawing or a download on purpose, watch it refuse ----------

@pytest.mark.parametrize("breakage, where", [
    ("page", "网页表格和 XLSX"), ("csv", "CSV 下载"), ("data", "data.json 和 JSON 下载")])
def test_a_lost_cell_stops_the_build_naming_its_file_row_and_column(tmp_path, monkeypatch, breakage, where):
    from site_builder import catalog, downloads, tableview

    if breakage == "page":         # the old drawing: one value column per block
        monkeypatch.setattr(tableview, "block_values", lambda spec: [spec.column("amount")])
    elif breakage == "csv":        # a download that skips a column
        real = downloads._text
        monkeypatch.setattr(downloads, "_text", lambda value: "" if getattr(value, "text", "") == "170.00" else real(value))
    else:
        real_data = catalog.document_data

        def lossy(doc):
            data = real_data(doc)
            data["tables"][0]["rows"][1]["cells"].pop("basic")
            return data
        monkeypatch.setattr("site_builder.pages.document_data", lossy)
    with pytest.raises(ContentError) as raised:
        build(portal(tmp_path, BLOCKS, "06", BLOCKS_CSV), tmp_path / "out", search=False, jobs=1)
    message = raised.value.format_message()
    line, column = (3, 4) if breakage != "page" else (2, 4)
    assert f"06.csv:{line}:{column}" in message, message
    assert where in message and "其中：基本支出" in message
    assert not (tmp_path / "out").exists()          # nothing published with the number missing


@pytest.mark.parametrize("grand, found", [("612.10,612.10", []), ("612.10,612.11", [("sum.group-total", 13, 4)])])
def test_the_grand_total_line_is_checked_against_the_block_totals(tmp_path, grand, found):
    from site_builder.checks import run_checks
    from site_builder.content import load_portal

    portal_dir = portal(tmp_path, BLOCKS, "06", BLOCKS_CSV + f",合 计,{grand},\n")
    findings = [(f.rule, f.location.line, f.location.column) for f in run_checks(load_portal(portal_dir))
                if f.severity in ("error", "warning")]
    assert findings == found
