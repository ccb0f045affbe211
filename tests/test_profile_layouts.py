"""A profile may not declare what its layout's table cannot show (issue 26).

The page table and the XLSX sheet are drawn from one view (tableview.py) that shows, per layout,
only some columns; data.json and the CSV/JSON downloads keep every column. A block table with a
second amount column per block (金额, 其中：基本支出) was accepted, checked and built with no
warning, and its 11 filled cells were missing from the page and the workbook. Now such a
profile is an error at its line, naming the column. (Made-up profile: a test fixture.)
"""

from __future__ import annotations

from pathlib import Path

import pytest

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


def test_a_second_amount_column_in_a_block_table_is_refused_naming_it(tmp_path):
    with pytest.raises(ProfileError) as raised:
        load_profile(write(tmp_path, BLOCKS))
    message = raised.value.format_message()
    assert "blocks2.yaml:15" in message, message                    # the column, at its line
    assert "分块表（blocks）的网页表格和 XLSX 不能显示列“其中：基本支出”" in message and "key: basic" in message
    assert "layout: grid" in message


def test_the_same_block_table_with_one_amount_column_loads(tmp_path):
    text = BLOCKS.replace("      - {key: basic, label: 其中：基本支出, type: amount}\n", "")
    spec = load_profile(write(tmp_path, text)).tables[0]
    assert [c.key for c in spec.columns] == ["code", "name", "amount", "group"] and len(spec.blocks) == 2


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


def test_a_rate_column_in_a_subject_table_is_refused_and_loads_as_a_grid(tmp_path):
    with pytest.raises(ProfileError) as raised:
        load_profile(write(tmp_path, SUBJECT))
    assert "科目表（subject）的网页表格和 XLSX 不能显示列“决算数为预算数的%”" in raised.value.format_message()
    grid = SUBJECT.replace("name: subject-rate", "name: grid-rate").replace("layout: subject", "layout: grid")
    assert [c.key for c in load_profile(write(tmp_path, grid)).tables[0].columns][-1] == "ratio"


def test_every_built_in_profile_declares_only_what_its_tables_show():
    assert {"final-accounts-10", "final-accounts-9", "budget-13", "performance-overall"} <= set(load_profiles())


def test_the_example_portal_profiles_load():
    from conftest import EXAMPLE

    assert load_profiles(EXAMPLE / "profiles")      # (its own profiles, if any, go through the same check)
