"""Amount parsing and formatting rules (DOMAIN §6)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from site_builder.explain import Change
from site_builder.model import strip_numbering
from site_builder.numbers import money, parse_cell, percent
from site_builder.profiles import header_rows


@pytest.mark.parametrize("raw, text, value", [
    ("", "", None),
    ("  ", "", None),
    ("0.00", "0.00", Decimal("0.00")),
    ("——", "——", None),
    ("—", "——", None),
    ("2262.43", "2262.43", Decimal("2262.43")),
    ("2,262.43", "2,262.43", Decimal("2262.43")),
    ("１２，３４５．６７", "12,345.67", Decimal("12345.67")),
    ("-4.40", "-4.40", Decimal("-4.40")),
])
def test_parse_cell_keeps_blank_zero_and_not_applicable_apart(raw, text, value):
    cell = parse_cell(raw)
    assert (cell.text, cell.value) == (text, value)


@pytest.mark.parametrize("raw", ["六十九", "12.3.4", "1,23", "2262.43万元", "12%"])
def test_parse_cell_rejects_non_amounts(raw):
    with pytest.raises(ValueError, match="不是金额"):
        parse_cell(raw)


def test_money_and_percent():
    assert money(Decimal("2262.43")) == "2,262.43"
    assert money(Decimal("2")) == "2.00"
    assert percent(Decimal("612.10"), Decimal("2262.42")) == "27.06%"
    assert percent(Decimal("1"), Decimal("0")) is None


def test_change_wording():
    assert Change(Decimal("2262.43"), Decimal("5333.23")).text("万元") == "减少3,070.80万元，下降57.58%"
    assert Change(Decimal("5"), Decimal("4")).text("万元") == "增加1.00万元，增长25.00%"
    assert Change(Decimal("0"), Decimal("0")).text("万元") == "与上年相同"
    assert Change(Decimal("3"), Decimal("0")).text("万元") == "增加3.00万元"  # no rate over zero


def test_strip_numbering():
    assert strip_numbering("3. 机要通信用车") == "机要通信用车"
    assert strip_numbering("(一) 行政单位") == "行政单位"
    assert strip_numbering("二、机关运行经费") == "机关运行经费"


def test_header_rows_spans():
    tree = [{"group": "项目", "children": [{"label": "科目代码"}, {"label": "科目名称"}]},
            {"label": "年初结转和结余"},
            {"group": "本年支出", "children": [{"label": "小计"}, {"label": "基本支出"}]}]
    rows = header_rows(tree)
    assert [(c.label, c.colspan, c.rowspan) for c in rows[0]] == [("项目", 2, 1), ("年初结转和结余", 1, 2), ("本年支出", 2, 1)]
    assert [c.label for c in rows[1]] == ["科目代码", "科目名称", "小计", "基本支出"]
