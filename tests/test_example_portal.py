"""The fenyang 2024 决算 page shows every number of the seed in the right cell."""

from __future__ import annotations

import re

from conftest import cell, reader_text


def text_of(el) -> str:
    return re.sub(r"\s+", "", reader_text(el))


def test_known_cells(fenyang_page):
    assert cell(fenyang_page, "02", "2101506", "total") == "69.62"
    assert cell(fenyang_page, "02", "2101506", "fiscal") == "69.62"
    assert cell(fenyang_page, "03", "合计", "total") == "2262.43"
    assert cell(fenyang_page, "03", "合计", "basic") == "612.10"
    assert cell(fenyang_page, "03", "合计", "project") == "1650.32"
    assert cell(fenyang_page, "10", "服务", "value") == "54.24"
    assert cell(fenyang_page, "10", "货物", "value") == "4.96"
    assert cell(fenyang_page, "01", "本年收入合计", "income_amount") == "2262.43"


def test_three_public_table_operation_cost(fenyang_page):
    table = fenyang_page.cssselect('table[data-table="09"]')[0]
    row = table.cssselect("tbody tr")[0]
    assert row.cssselect('td[data-key="actual_vehicle_operation"]')[0].text_content() == "4.60"
    assert row.cssselect('td[data-key="actual_reception"]')[0].text_content() == ""
    # three header levels: 决算数 › 公务用车购置及运行维护费 › 公务用车运行维护费, then the 栏次 row
    header_rows = table.cssselect("thead tr")
    assert len(header_rows) == 4
    assert [th.text_content() for th in header_rows[0]] == ["预算数", "决算数"]
    assert header_rows[0][0].get("colspan") == "6"
    assert [td.text_content() for td in header_rows[3]] == [str(n) for n in range(1, 13)]


def test_ten_tables_in_order(fenyang_page):
    captions = [text_of(c) for c in fenyang_page.cssselect("#part-2 table.disclosure caption")]
    assert len(captions) == 10
    for number, caption in enumerate(captions, start=1):
        assert caption.startswith(f"公开{number:02d}表")
        assert "部门名称：汾阳市医疗保障局" in caption or "单位名称：汾阳市医疗保障局" in caption
        assert "2024年度" in caption
        assert "万元" in caption
    assert "收入支出决算总表" in captions[0] and "部门决算公开相关信息统计表" in captions[9]


def test_subject_hierarchy_from_codes(fenyang_page):
    table = fenyang_page.cssselect('table[data-table="03"]')[0]
    names = {th.text_content(): th.get("class") for th in table.cssselect("tbody th.name")}
    assert "lvl-1" in names["卫生健康支出（类）"]
    assert "lvl-2" in names["医疗保障管理事务（款）"]
    assert "lvl-3" in names["医疗保障经办事务（项）"]
    total = table.cssselect("tbody tr")[0]
    assert "total" in total.get("class") and total[0].get("colspan") == "2"


def test_blank_zero_and_not_applicable_are_distinct(fenyang_page):
    table = fenyang_page.cssselect('table[data-table="06"]')[0]
    rows = {r[0].text_content(): r for r in table.cssselect("tbody tr") if len(r) > 2}
    # 309 series prints —— (not applicable); 30106 伙食补助费 is blank; 人员经费 block is 1 of 4
    texts = [td.text_content() for td in table.cssselect("tbody td.num")]
    assert "——" in texts and "" in texts
    assert cell(fenyang_page, "06", "30901", "amount") == "——"
    assert cell(fenyang_page, "06", "30106", "amount") == ""
    assert cell(fenyang_page, "06", "30231", "amount") == "4.60"
    assert len(table.cssselect("thead tr")[1]) == 12  # four (code, name, 决算数) blocks
    assert rows["301"] is not None


def test_empty_tables_say_so(fenyang_page):
    for table_id in ("07", "08"):
        block = fenyang_page.get_element_by_id(f"table-{table_id}")
        notes = [p.text_content() for p in block.cssselect("p.note")]
        assert "说明：本表无数据" in notes
    assert "本表无数据" not in fenyang_page.get_element_by_id("table-03").text_content()


def test_explanation_numbers_are_computed(fenyang_page):
    text = text_of(fenyang_page.get_element_by_id("part-3"))
    assert "基本支出612.10万元，占比27.06%；" in text
    assert "项目支出1,650.32万元，占比72.94%。" in text
    assert "收入总计减少3,070.80万元，下降57.58%" in text
    assert "卫生健康支出（类）2,136.04万元，占比94.41%" in text
    assert "完成年初预算的37.72%" in text
    assert "公务用车运行维护费支出4.60万元，完成全年预算的100.00%，比上年度减少2.72万元，下降37.16%" in text
    assert "机关运行经费支出4.14万元，比2023年减少9.49万元，下降69.63%" in text
    assert "政府采购支出总额59.20万元" in text and "政府采购服务支出54.24万元" in text
    assert "共有车辆2辆。其中：机要通信用车2辆" in text
    assert "人员经费590.76万元，主要包括工资福利支出和对个人和家庭的补助" in text
    assert "本年度无此项收支。" in text


def test_unit_slip_of_the_seed_is_corrected(fenyang_page):
    """DOMAIN §5: the seed says 涉及资金69.62元; the page computes 69.62万元 and records the difference."""
    text = text_of(fenyang_page.get_element_by_id("part-3"))
    assert "二级项目绩效自评个数2个，涉及资金69.62万元" in text
    assert "69.62元" not in text
    corrections = text_of(fenyang_page.cssselect("section.corrections")[0])
    assert "涉及资金69.62元" in corrections and "涉及资金69.62万元" in corrections


def test_eight_self_evaluation_forms(fenyang_page):
    forms = fenyang_page.cssselect("#part-5 section.form-block")
    assert len(forms) == 8
    available = [f for f in forms if not f.cssselect(".unavailable")]
    assert len(available) == 7
    scores = {f.cssselect("h3")[0].text_content(): (f.cssselect(".form-total")[0].text_content(),
                                                    f.cssselect(".form-grade")[0].text_content())
              for f in available}
    assert scores["医保档案规范化整理经费项目支出绩效自评表"] == ("95", "等级：优")
    assert scores["临时工工资项目支出绩效自评表"] == ("100", "等级：优")
    missing = forms[1]
    assert missing.cssselect("h3")[0].text_content() == "2024年中央财政医疗救助补助资金项目支出绩效自评表"
    assert "未能从来源文本中提取" in missing.text_content()
    assert missing.cssselect(".remarks")


def test_form_indicator_tree_spans_rows(fenyang_page):
    form = fenyang_page.get_element_by_id("form-01-central-service-capacity")
    indicators = form.cssselect("table.indicators")[0]
    first = indicators.cssselect("tbody tr")[0]
    assert first[0].text_content() == "产出指标" and int(first[0].get("rowspan")) == 9
    assert len(indicators.cssselect("tbody tr")) == 11


def test_government_meta_and_title(fenyang_page):
    html = fenyang_page.getroottree().getroot()
    assert html.get("lang") == "zh-CN"
    meta = {m.get("name"): m.get("content") for m in fenyang_page.cssselect("meta[name]")}
    for name in ("SiteName", "SiteDomain", "SiteIDCode", "ColumnName", "ArticleTitle", "ContentSource"):
        assert meta.get(name), name
    assert meta["ArticleTitle"] == "汾阳市医疗保障局2024年度部门决算公开"
    title = fenyang_page.cssselect("title")[0].text_content()
    assert "汾阳市医疗保障局" in title and "2024" in title and "部门决算" in title


def test_index_pages_link_the_document(example_out):
    import lxml.html
    home = lxml.html.parse(str(example_out / "index.html")).getroot()
    assert "fenyang-ybj/2024/final-accounts/index.html" in [a.get("href") for a in home.cssselect("a")]
    year = lxml.html.parse(str(example_out / "fenyang-ybj/2024/index.html")).getroot()
    assert "2,262.43" in year.text_content()
    dept = lxml.html.parse(str(example_out / "fenyang-ybj/index.html")).getroot()
    assert "2024年度" in dept.text_content() and "1,650.32" in dept.text_content()
