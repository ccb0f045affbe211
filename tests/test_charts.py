"""Charts: their numbers are the page's numbers, they are accessible SVG without script, and a
profile's ``charts:`` is checked like its other keys. The department page: every year side
by side, and the trend line (synthetic fixture ``fixtures/portal-years``)."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import lxml.html
import pytest

from conftest import FENYANG
from site_builder.build import build
from site_builder.charts import LABEL_WIDTH, text_width, trend_chart, wrap_label
from site_builder.errors import SiteBuilderError
from site_builder.profiles import BUILTIN_DIR, load_profile

YEARS = Path(__file__).resolve().parent / "fixtures/portal-years"
DOCUMENTS = [FENYANG, "lvliang-ybj/2023/budget", "gaoyi-ybj/2021/performance"]
SVG = "{http://www.w3.org/2000/svg}"


def number(text: str) -> Decimal:
    return Decimal(text.replace(",", "").strip())


def page(out: Path, rel: str):
    return lxml.html.parse(str(out / rel / "index.html" if not rel.endswith(".html") else out / rel)).getroot()


def chart(root, chart_id: str):
    found = root.cssselect(f'figure.chart[data-chart="{chart_id}"]')
    assert found, f"no chart {chart_id}"
    return found[0]


def data_table(figure) -> dict[str, dict[str, str]]:
    """The chart's “图表数据” table: {row label: {column heading: text}}."""
    table = figure.cssselect("details.chart-data table")[0]
    heads = [th.text_content().strip() for th in table.cssselect("thead th")][1:]
    return {tr.cssselect("th")[0].text_content().strip(): dict(zip(heads, [td.text_content().strip() for td in tr.cssselect("td")], strict=True))
            for tr in table.cssselect("tbody tr")}


def bars(figure) -> list[dict[int, Decimal]]:
    """Per category (the SVG's groups, in order): {series index: the value the bar is drawn for}."""
    groups = [el for el in figure.iter() if isinstance(el.tag, str) and el.tag.endswith("g") and el.tag.rsplit("}", 1)[-1] == "g"]
    return [{int(r.get("data-series")): Decimal(r.get("data-value")) for r in g.iter() if r.get("data-value")} for g in groups]


def table_cell(root, table_id: str, key: str, code: str | None = None) -> Decimal:
    """An amount cell of a disclosure table: in the 科目 row ``code``, or in its only row."""
    table = root.cssselect(f'table[data-table="{table_id}"]')[0]
    for row in table.cssselect("tbody tr"):
        if code is None or (row.cssselect("td.code") and row.cssselect("td.code")[0].text_content().strip() == code):
            text = row.cssselect(f'td[data-key="{key}"]')[0].text_content().strip()
            return number(text) if text else Decimal(0)
    raise AssertionError(f"no row {code} in table {table_id}")


def test_every_chart_is_an_accessible_svg_without_script_or_outside_reference(example_out):
    count = 0
    for rel in DOCUMENTS:
        root = page(example_out, rel)
        section = root.cssselect("section#charts")[0]
        assert section.get("data-pagefind-ignore") is not None           # the tables below carry the numbers
        assert root.cssselect('nav.toc a[href="#charts"]')               # the table of contents leads to it
        for figure in section.cssselect("figure.chart"):
            count += 1
            markup = lxml.html.tostring(figure, encoding="unicode")
            assert "<script" not in markup.lower()
            assert not re.search(r'\s(on\w+|href|xlink:href|src)=', markup, re.I), markup[:200]
            assert not re.search(r"url\((?!#)", markup) and "http://www.w3.org/2000/svg" in markup
            assert len(markup.encode()) < 8_000
            svg = figure.cssselect("svg")[0]
            assert svg.get("role") == "img" and svg.get("viewbox", svg.get("viewBox"))
            title_id, desc_id = svg.get("aria-labelledby").split()
            assert svg.cssselect("title")[0].get("id") == title_id and svg.cssselect("title")[0].text
            assert svg.cssselect("desc")[0].get("id") == desc_id and "图表数据" in svg.cssselect("desc")[0].text
            assert figure.cssselect("figcaption")[0].text_content().strip()
            # every bar drawn is a number of the chart's data table, in the same row and series
            rows = list(data_table(figure).values())
            for drawn, row in zip(bars(figure), rows, strict=True):
                texts = list(row.values())
                for series, value in drawn.items():
                    assert number(texts[series]) == value
    assert count == 9   # fenyang 4, lvliang 4 (with the 当年拨款 structure its text links to), gaoyi 1


def test_expenditure_chart_equals_table_03(fenyang_page):
    figure = chart(fenyang_page, "expenditure")
    data = data_table(figure)
    assert list(data) == ["社会保障和就业支出", "卫生健康支出", "住房保障支出"]
    for label, code in [("社会保障和就业支出", "208"), ("卫生健康支出", "210"), ("住房保障支出", "221")]:
        assert number(data[label]["基本支出"]) == table_cell(fenyang_page, "03", "basic", code)
        assert number(data[label]["项目支出"] or "0") == table_cell(fenyang_page, "03", "project", code)
        # the bar's end shows the published 合计 (2,136.04), not a re-added sum (2,136.03)
        assert number(data[label]["合计"]) == table_cell(fenyang_page, "03", "total", code)
    assert "2,136.04" in lxml.html.tostring(figure.cssselect("svg")[0], encoding="unicode")


def test_three_public_chart_equals_table_09(fenyang_page):
    data = data_table(chart(fenyang_page, "three-public"))
    row = data["公务用车运行维护费"]
    assert number(row["2024年决算数"]) == table_cell(fenyang_page, "09", "actual_vehicle_operation") == Decimal("4.60")
    assert number(row["2024年预算数"]) == table_cell(fenyang_page, "09", "budget_vehicle_operation")
    assert number(row["2023年决算数"]) == Decimal("7.32")            # document.yaml inputs.prior_year
    assert row["完成全年预算"] == "100.00%"
    assert data["公务接待费"]["完成全年预算"] == "—"                    # 0 ÷ 0 is undefined, never 0.00%


def test_rates_agree_with_the_explanation(fenyang_page):
    prose = fenyang_page.cssselect("#part-3")[0].text_content()
    execution = data_table(chart(fenyang_page, "execution"))
    assert number(execution["卫生健康支出"]["决算"]) == table_cell(fenyang_page, "05", "total", "210")
    assert f"完成年初预算的{execution['卫生健康支出']['完成年初预算']}" in prose       # 37.20%
    change = data_table(chart(fenyang_page, "change"))
    assert change["支出总计"]["较上年"] == "下降57.58%" and "下降57.58%" in prose


def test_budget_and_performance_charts_equal_their_tables(example_out):
    lvliang = page(example_out, "lvliang-ybj/2023/budget")
    data = data_table(chart(lvliang, "expenditure"))
    assert number(data["卫生健康支出"]["项目支出"]) == table_cell(lvliang, "03", "project", "210")
    three = data_table(chart(lvliang, "three-public"))
    vehicle = lvliang.xpath('//table[@data-table="10"]//tr[th[contains(., "②公务用车运行维护费")]]/td[@data-key="total"]')[0]
    assert number(three["公务用车运行维护费"]["2023年预算数"]) == number(vehicle.text_content())
    gaoyi = page(example_out, "gaoyi-ybj/2021/performance")
    scores = data_table(chart(gaoyi, "scores"))
    assert sum(number(r["分值"]) for r in scores.values()) == 100
    total = gaoyi.xpath('//table[@data-table="02"]//tr[contains(@class, "total")]/td[@data-key="score"]')[0]
    assert sum(number(r["自评得分"]) for r in scores.values()) == number(total.text_content()) == 97


@pytest.fixture(scope="module")
def years_out(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("years") / "output"
    build(YEARS, out, base_url="")
    return out


def test_empty_table_gives_no_chart_and_a_portal_profile_declares_its_own(years_out):
    root = page(years_out, "demo-years/2022/final-accounts")
    assert "本表无数据" in root.cssselect("#table-03")[0].text_content()
    assert [f.get("data-chart") for f in root.cssselect("figure.chart")] == ["by-class", "three-public"]
    three = data_table(chart(root, "three-public"))
    assert three == {"合计": {"预算数": "3.50", "决算数": "2.80", "完成预算": "80.00%"}}


def test_department_page_shows_every_year_side_by_side(years_out):
    root = page(years_out, "demo-years")
    table = root.cssselect("table.by-year")[0]
    assert [th.text_content() for th in table.cssselect("thead th")] == ["项目", "2021年度", "2022年度", "2023年度"]
    rows = {tr.get("data-key"): tr.cssselect("td") for tr in table.cssselect("tbody tr")}
    assert list(rows) == ["budget", "final", "rate", "three"]       # no 绩效自评 in any year: no row
    for key, kind in [("budget", "budget"), ("final", "final-accounts")]:
        for td in rows[key]:
            link = td.cssselect("a")
            if not link:
                assert td.get("data-year") == "2023" and key == "final" and td.text_content().strip() == "—"
                continue
            year = td.get("data-year")
            assert link[0].get("href") == f"../demo-years/{year}/{kind}/index.html"
            document = page(years_out, f"demo-years/{year}/{kind}")
            figure = document.cssselect("dl.figures .amount")[0].text_content()
            assert link[0].text_content() == figure
    assert [td.text_content().strip() for td in rows["rate"]] == ["98.04%", "95.80%", "—"]   # 980.40 ÷ 1,000.00
    assert [td.text_content().strip() for td in rows["three"]] == ["3.20 万元", "2.80 万元", "—"]
    assert root.cssselect("#years-h")[0].text_content() == "历年比较"
    assert "决算占预算 = 决算支出合计 ÷ 预算支出总计" in root.cssselect(".years-compared p.note")[0].text_content()


def test_trend_line_points_are_the_table_values(years_out):
    root = page(years_out, "demo-years")
    figure = chart(root, "trend")
    svg = figure.cssselect("svg")[0]
    assert svg.get("role") == "img" and "<script" not in lxml.html.tostring(figure, encoding="unicode")
    points = {}
    for el in svg.iter():
        if isinstance(el.tag, str) and el.get("data-year"):
            points[(int(el.get("data-series")), int(el.get("data-year")))] = (Decimal(el.get("data-value")), el)
    assert {k: v[0] for k, v in points.items()} == {
        (0, 2021): Decimal("1000.00"), (0, 2022): Decimal("1200.50"), (0, 2023): Decimal("1100.25"),
        (1, 2021): Decimal("980.40"), (1, 2022): Decimal("1150.10")}
    y = {k: float(el.get("cy") or float(el.get("y")) + 5.5) for k, (_, el) in points.items()}
    assert y[(0, 2022)] < y[(0, 2023)] < y[(0, 2021)]                # higher value, higher on the page
    lines = [el for el in svg.iter() if isinstance(el.tag, str) and el.tag.rsplit("}", 1)[-1] == "polyline"]
    assert [len(el.get("points").split()) for el in lines] == [3, 2]
    assert data_table(figure)["2023年"] == {"预算支出总计": "1,100.25", "决算支出合计": "—"}


def test_one_year_has_no_trend_line(years_out):
    root = page(years_out, "demo-once")
    assert root.cssselect("table.by-year") and not root.cssselect("figure.chart")
    years = [th.text_content() for th in root.cssselect("table.by-year thead th")][1:]
    assert root.cssselect("#years-h")[0].text_content() == f"{years[0]}主要数字"     # one year: no 历年比较


def test_the_rate_is_explained_only_where_a_rate_row_is_shown(example_out):
    """gaoyi publishes only a self-evaluation: its page has no 决算占预算 row, so no note on it."""
    root = lxml.html.parse(str(example_out / "gaoyi-ybj/index.html")).getroot()
    assert [tr.get("data-key") for tr in root.cssselect("table.by-year tbody tr")] == ["score"]
    assert "决算占预算" not in root.cssselect(".years-compared")[0].text_content()


def test_trend_line_never_joins_different_units():
    mixed = [("预算", [(2021, Decimal(100), "100.00", "万元"), (2022, Decimal(1_000_000), "1,000,000.00", "元")]),
             ("决算", [(2021, Decimal(90), "90.00", "万元"), (2022, Decimal(95), "95.00", "万元")])]
    chart_ = trend_chart("t", "t", mixed)
    assert [label for label, _ in chart_.series] == ["决算"] and chart_.unit == "万元"
    assert trend_chart("t", "t", [("预算", [(2021, Decimal(1), "1.00", "万元")])]) is None


def test_long_labels_wrap_in_two_lines_and_shorten():
    assert wrap_label("社会保障和就业支出") == ["社会保障和就业支出"]          # above its bars: 17 a line
    assert wrap_label("社会保障和就业支出", 128) == ["社会保障和", "就业支出"]
    lines = wrap_label("灾害防治及应急管理支出和其他很长很长的科目名称" * 2)
    assert len(lines) == 2 and lines[-1].endswith("…")
    assert all(text_width(line) <= LABEL_WIDTH for line in lines)


BASE = """name: {name}
kind: final-accounts
title: t
tables:
  - id: "01"
    number: 表1
    title: 科目表
    layout: subject
    columns:
      - {{key: code, label: 科目代码, type: code}}
      - {{key: name, label: 科目名称, type: name}}
      - {{key: total, label: 合计, type: amount}}
      - {{key: basic, label: 基本支出, type: amount}}
  - id: "02"
    number: 表2
    title: 一行表
    layout: grid
    columns:
      - {{key: item, label: 项目, type: label}}
      - {{key: amount, label: 金额, type: amount}}
charts:
{charts}
"""


@pytest.mark.parametrize("charts, message", [
    ('  - {id: a, title: t, table: "01", categories: level1, series: [{label: x, column: total}], colour: red}',
     "未知的设置项“colour”"),
    ('  - {id: a, title: t, table: "09", categories: level1, series: [{label: x, column: total}]}',
     "charts 引用的表“09”不在本方案中"),
    ('  - {id: a, title: t, table: "01", categories: level1, series: [{label: x, column: name}]}',
     "表1没有金额列“name”"),
    ('  - {id: a, title: t, table: "02", categories: level1, series: [{label: x, column: amount}]}',
     "categories: level1（按“类”）只适用于科目表，表2不是科目表"),
    ('  - {id: a, title: t, table: "01", categories: level1, series: [{label: x, column: total}], rate: {label: r, of: [2, 1]}}',
     "“of”应为两组数字的序号（1 到 1）"),
    ('  - {id: a, title: t, table: "01", categories: level1, series: [{label: a, column: total}, {label: b, column: total}, '
     '{label: c, column: total}, {label: d, column: basic}]}', "一张图最多 3 组数字"),
    ('  - {id: a, title: t, table: "01", categories: level1, series: [{label: x, column: total, input: a.b}]}',
     "只能取自 column"),
    ('  - {id: a, title: t, table: "02", categories: [{label: 合计, row: 合计}], series: [{label: x, column: "{key}_total"}]}',
     "表2没有金额列“_total”"),
    ('  - {id: a, title: t, table: "01", categories: rows, series: [{label: x, column: total}]}',
     "“categories”应为 level1"),
    ('  - {id: a, title: t, table: "01", categories: level1, series: [{label: x, column: total}]}\n'
     '  - {id: a, title: u, table: "01", categories: level1, series: [{label: x, column: basic}]}',
     "图的 id “a”重复"),
])
def test_bad_chart_entries_are_profile_errors(tmp_path, charts, message):
    path = tmp_path / "bad.yaml"
    path.write_text(BASE.format(name="bad", charts=charts), encoding="utf-8")
    with pytest.raises(SiteBuilderError) as error:
        load_profile(path)
    assert message in str(error.value)
    assert str(error.value).startswith(f"{path}:")                   # the file and line of the mistake


def test_built_in_profiles_declare_valid_charts():
    for name in ("final-accounts-10", "final-accounts-yuan-10", "budget-13", "performance-overall"):
        assert load_profile(BUILTIN_DIR / f"{name}.yaml").charts


@pytest.mark.parametrize("width", [1280, 360])
def test_trend_and_portal_charts_pass_axe_and_fit_a_phone(browser, years_out, width):
    """The example has no department with two years: check the trend line's page here."""
    from conftest import AXE

    page_ = browser.new_page(viewport={"width": width, "height": 800})
    for rel in ("demo-years/index.html", "demo-years/2022/final-accounts/index.html"):
        page_.goto((years_out / rel).as_uri())
        assert page_.evaluate("document.documentElement.scrollWidth") <= width, rel
        sizes = page_.evaluate("""Array.from(document.querySelectorAll('.chart svg text'))
            .map(t => parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a)""")
        assert sizes and min(sizes) >= 16, rel                          # as large as body text at 360 px
        page_.add_script_tag(path=str(AXE))
        violations = page_.evaluate("""async () => (await axe.run(document, {
            runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']})).violations
            .map(v => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', ')}`)""")
        assert violations == [], rel
    page_.close()


def test_nine_table_set_charts_its_three_public_table(tmp_path):
    """The built-in final-accounts-9 profile (synthetic fixture portal-9, in 元): the 三公 chart's
    numbers are table 公开07表's, last year's included (the table carries them)."""
    out = tmp_path / "output"
    build(Path(__file__).resolve().parent / "fixtures/portal-9", out, base_url="", search=False)
    root = page(out, "demo-ju/2023/final-accounts")
    data = data_table(chart(root, "three-public"))
    row = root.xpath('//table[@data-table="07"]//tr[th[normalize-space()="公务用车运行维护费"]]')[0]
    cells = {td.get("data-key"): td.text_content().strip() for td in row.cssselect("td")}
    assert data["公务用车运行维护费"] == {"2022年决算数": cells["last_year"], "2023年预算数": cells["budget"],
                                     "2023年决算数": cells["actual"], "完成全年预算": cells["of_budget"]}
    assert cells["of_budget"] == "84.00%" and data["公务接待费"]["完成全年预算"] == "—"


def test_budget_explanation_links_its_two_published_charts_to_drawn_ones(example_out):
    """The 吕梁 budget printed 一般公共预算当年拨款结构图 and 三公经费分布图 as images the text
    extraction lost; the page draws both from the tables and the explanation links to them."""
    root = page(example_out, "lvliang-ybj/2023/budget")
    links = {a.get("href") for a in root.cssselect('#part-3 a[href^="#chart-"]')}
    assert links == {"#chart-general", "#chart-three-public"}
    assert all(root.cssselect(f"figure{href}") for href in links)
    data = data_table(chart(root, "general"))
    assert {k: v["当年拨款"] for k, v in data.items()} == {"社会保障和就业支出": "1,325.42", "卫生健康支出": "11,345.20",
                                                       "住房保障支出": "57.23"}
    assert number(data["卫生健康支出"]["当年拨款"]) == table_cell(root, "05", "total", "210")
