"""Budget (lvliang 2023), performance self-evaluation (gaoyi 2021), the 9-table fixture profile,
and the pages that tie a department's documents together."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import lxml.html
import pytest
import yaml
from click.testing import CliRunner

from conftest import EXAMPLE, cell, reader_text
from site_builder.build import build
from site_builder.cli import main

LVLIANG = "lvliang-ybj/2023/budget"
GAOYI = "gaoyi-ybj/2021/performance"
FIXTURE = Path(__file__).resolve().parent / "fixtures/portal-9"


def page(out: Path, rel: str):
    return lxml.html.parse(str(out / rel / "index.html")).getroot()


def flat(el) -> str:
    return re.sub(r"\s+", "", reader_text(el))


# --- lvliang 2023 budget ---------------------------------------------------------------------

def test_budget_summary_table_cells(example_out):
    doc = page(example_out, LVLIANG)
    assert cell(doc, "01", "一、一般公共预算", "income_amount") == "12,727.86"
    assert cell(doc, "01", "五、单位资金", "income_amount") == "4,068.50"
    assert cell(doc, "01", "十、卫生健康支出", "total") == "11,345.20"
    assert cell(doc, "02", "2080109", "unit_funds") == "4,068.50"
    assert cell(doc, "03", "合计", "project") == "16,209.80"
    assert cell(doc, "06", "基本工资", "personnel") == "74.16"  # first of the two 基本工资 rows


def test_budget_has_thirteen_tables_with_year_in_titles(example_out):
    doc = page(example_out, LVLIANG)
    captions = [flat(c) for c in doc.cssselect("table.disclosure caption")]
    assert len(captions) == 13
    assert captions[0].startswith("预算公开表12023年预算收支总表")
    assert all("单位：万元" in c for c in captions)
    header = doc.cssselect('table[data-table="03"] thead tr')[0]
    assert "2023年预算数" in [th.text_content() for th in header]
    seq = [td.text_content() for td in doc.cssselect('table[data-table="12"] thead tr.seq td')]
    assert seq == ["1", "2", "3", "4", "5", "6", "7"]


def test_budget_zero_and_blank_stay_apart(example_out):
    doc = page(example_out, LVLIANG)
    table = doc.cssselect('table[data-table="09"]')[0]
    row = table.cssselect("tbody tr")[1]  # 208 社会保障和就业支出
    assert [td.text_content() for td in row.cssselect("td.num")] == ["0.00", "", "0.00", "0.00"]
    assert "注：本表无数据" in doc.get_element_by_id("table-09").text_content()


def test_budget_explanation_is_computed(example_out):
    text = flat(page(example_out, LVLIANG).get_element_by_id("part-3"))
    assert "比上年增加4,550.15万元，增加37.16%，主要原因是大病保险采购预算增加" in text
    assert "一般公共预算拨款收入12,727.86万元，占75.78%" in text and "单位资金4,068.50万元，占24.22%" in text
    assert "基本支出586.55万元，占3.49%；项目支出16,209.80万元，占96.51%" in text
    assert "社会保障和就业支出1,325.42万元，占10.41%" in text
    assert "公务接待费0.00万元与上年相比预算数减少0.50万元" in text
    assert "政府采购预算总额4,094.34万元" in text
    assert "实行绩效目标管理的项目15个" in text
    assert "十一、国有资产占有使用情况" in text and "固定资产总额为1016.27万元" in text


def test_fifteen_performance_target_forms(example_out):
    doc = page(example_out, LVLIANG)
    forms = doc.cssselect("section.form-block")
    assert len(forms) == 15
    folder = EXAMPLE / "departments" / LVLIANG / "attachments"
    for position, (form, path) in enumerate(zip(forms, sorted(folder.glob("*.yaml")), strict=True), start=1):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert form.cssselect("h3")[0].text_content() == f"附表{position}　{data['project']}"
        assert len(form.cssselect("table.indicators tbody tr")) == len(data["indicators"])
        assert "项目资金（元）" in form.text_content()  # the forms are in 元, the tables in 万元
    assert "附表7　业务工作经费" in [f.cssselect("h3")[0].text_content() for f in forms]


# --- gaoyi 2021 performance self-evaluation --------------------------------------------------

def test_scorecard_sums_and_grade(example_out):
    doc = page(example_out, GAOYI)
    table = doc.cssselect('table[data-table="02"]')[0]
    rows = table.cssselect("tbody tr")
    weights = [td.text_content() for td in table.cssselect('tbody tr:not(.total) td[data-key="weight"]')]
    assert len(weights) == 29 and sum(float(w) for w in weights) == 100
    total = rows[-1]
    assert total[0].text_content() == "合计"
    assert [td.text_content() for td in total.cssselect("td.num")] == ["100", "97"]
    assert rows[0][0].text_content() == "投入 (20)" and rows[0][0].get("rowspan") == "5"
    figures = flat(doc.cssselect(".figures")[0])
    assert "自评得分97分" in figures and "评价等级优秀" in figures and "预算执行率99.99%" in figures
    assert "绩效评价得分97分。综合绩效评价等级为优秀。" in flat(doc.get_element_by_id("part-1"))


def test_execution_rate_is_computed(example_out):
    doc = page(example_out, GAOYI)
    assert cell(doc, "01", "预算数：", "rate") == "99.99%"
    assert cell(doc, "01", "其他", "rate") == ""  # nothing budgeted: no rate, not 0.00%


def test_project_list_has_nineteen_projects(example_out):
    table = page(example_out, GAOYI).cssselect('table[data-table="03"]')[0]
    rows = table.cssselect("tbody tr")
    assert len(rows) == 19
    assert rows[0].cssselect('td[data-key="budget"]')[0].text_content() == "336"
    assert rows[2][1].text_content() == "县级财政补助居民医保资金"


def test_grade_thresholds_are_configuration(content_copy, tmp_path):
    profile = (Path(__file__).resolve().parent.parent / "site_builder/profiles/performance-overall.yaml")
    (content_copy / "profiles").mkdir()
    text = profile.read_text(encoding="utf-8").replace("{min: 90, label: 优秀}", "{min: 98, label: 优秀}")
    (content_copy / "profiles/performance-overall.yaml").write_text(text, encoding="utf-8")
    build(content_copy, tmp_path / "out", base_url="")
    doc = page(tmp_path / "out", GAOYI)
    assert "综合绩效评价等级为良好。" in flat(doc.get_element_by_id("part-1"))


# --- the 9-table profile, by configuration only ----------------------------------------------

@pytest.fixture(scope="module")
def fixture_out(tmp_path_factory):
    out = tmp_path_factory.mktemp("p9") / "out"
    build(FIXTURE, out, base_url="")
    return out


def test_nine_table_profile_renders_its_fixture(fixture_out):
    doc = page(fixture_out, "demo-ju/2023/final-accounts")
    captions = [flat(c) for c in doc.cssselect("table.disclosure caption")]
    assert len(captions) == 9
    assert all("金额单位：元" in c and "公开部门：示例市虚构局" in c for c in captions)
    header = [th.text_content() for th in doc.cssselect('table[data-table="02"] thead tr')[0]]
    assert "事业收入" in header
    assert cell(doc, "02", "2010350", "tuition") == "0.00"
    assert cell(doc, "07", "合计", "of_budget") == "84.00%"
    assert cell(doc, "07", "合计", "growth") == "-6.67%"
    assert cell(doc, "07", "因公出国（境）费", "growth") == ""
    assert [th.text_content() for th in doc.cssselect('table[data-table="07"] thead tr')[0]][-2:] == \
        ["决算数为预算数的%", "增速%"]


def test_department_year_puts_budget_and_final_accounts_side_by_side(fixture_out):
    doc = page(fixture_out, "demo-ju/2023")
    cards = doc.cssselect(".side-by-side .doc-card")
    assert [c.cssselect("h2")[0].text_content() for c in cards] == ["部门决算", "部门预算"]
    assert "决算占预算94.62%" in flat(doc.cssselect(".figures")[0])


def test_home_grid_of_departments_years_and_kinds(example_out):
    home = lxml.html.parse(str(example_out / "index.html")).getroot()
    grid = home.cssselect("table.portal-grid")[0]
    assert [th.text_content() for th in grid.cssselect("thead th")] == ["部门", "2024年度", "2023年度", "2021年度"]
    rows = {r.cssselect("th")[0].text_content(): r for r in grid.cssselect("tbody tr:not(.section)")}
    assert set(rows) == {"汾阳市医疗保障局", "吕梁市医疗保障局", "高邑县医疗保障局"}
    links = [a.get("href") for a in rows["吕梁市医疗保障局"].cssselect("a")]
    assert "lvliang-ybj/2023/budget/index.html" in links
    regions = [th.text_content() for th in grid.cssselect("tr.section th")]
    assert "河北省石家庄市高邑县" in regions


# --- bad input -------------------------------------------------------------------------------

def run(content: Path, tmp_path: Path):
    return CliRunner().invoke(main, ["build", str(content), "--out", str(tmp_path / "out")])


def test_score_above_its_maximum_in_a_scorecard(content_copy, tmp_path):
    csv = content_copy / "departments" / GAOYI / "tables/02.csv"
    lines = csv.read_text(encoding="utf-8").splitlines()
    index = next(i for i, line in enumerate(lines) if line.startswith("投入 (20),绩效目标指标管理(10),绩效指标科学性"))
    lines[index] = lines[index].removesuffix(",3,3") + ",3,4"
    csv.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run(content_copy, tmp_path)
    assert result.exit_code == 1
    assert f"tables/02.csv:{index + 1}:7: “自评得分”4 超过了“分值”3" in result.output


def test_score_above_its_maximum_in_a_form(content_copy, tmp_path):
    path = content_copy / "departments/fenyang-ybj/2024/final-accounts/attachments/05-archives.yaml"
    text = path.read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    assert data["indicators"][0]["score"] == "20"
    lines = text.splitlines()
    index = next(i for i, line in enumerate(lines) if line.strip() == 'score: "20"')
    lines[index] = lines[index].replace('"20"', '"25"')
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run(content_copy, tmp_path)
    assert result.exit_code == 1
    assert f"05-archives.yaml:{index + 1}: “档案资料入库率”的得分 25 超过了分值 20" in result.output


def test_missing_indicator_level(content_copy, tmp_path):
    path = content_copy / "departments/fenyang-ybj/2024/final-accounts/attachments/08-temporary-staff-wages.yaml"
    lines = path.read_text(encoding="utf-8").splitlines()
    index = next(i for i, line in enumerate(lines) if line.strip() == 'level2: "质量指标"')
    del lines[index]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run(content_copy, tmp_path)
    assert result.exit_code == 1
    assert "08-temporary-staff-wages.yaml:" in result.output and "绩效指标缺少“level2”（二级指标）" in result.output


def test_blank_required_level_in_a_scorecard(content_copy, tmp_path):
    csv = content_copy / "departments" / GAOYI / "tables/02.csv"
    csv.write_text(csv.read_text(encoding="utf-8").replace("投入 (20),绩效目标指标管理(10),绩效指标科学性",
                                                           "投入 (20),,绩效指标科学性", 1), encoding="utf-8")
    result = run(content_copy, tmp_path)
    assert result.exit_code == 1
    assert "tables/02.csv:3:2: “二级指标”为空" in result.output


def test_profile_column_the_csv_lacks(tmp_path):
    portal = tmp_path / "portal"
    shutil.copytree(FIXTURE, portal)
    profile = portal / "profiles/budget-mini.yaml"
    profile.write_text(profile.read_text(encoding="utf-8").replace(
        '      - {key: amount, label: "{year}年预算数", type: amount}',
        '      - {key: amount, label: "{year}年预算数", type: amount}\n      - {key: carried, label: 上年结转, type: amount}'),
        encoding="utf-8")
    result = run(portal, tmp_path)
    assert result.exit_code == 1
    assert "budget/tables/01.csv:1: 缺少列：上年结转" in result.output


@pytest.mark.parametrize("rows", [[], [",,,,,,,,,,,"]], ids=["header only", "blank row"])
def test_a_final_account_without_three_public_spending_builds(content_copy, tmp_path, rows):
    """A 决算 whose 公开09表 holds no figure (本表无数据): its 情况说明 says there was no such spending
    instead of the build stopping on the template's first row (``t09.rows[0]``)."""
    path = content_copy / "departments/fenyang-ybj/2024/final-accounts/tables/09.csv"
    header = path.read_text(encoding="utf-8").splitlines()[0]
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    build(content_copy, tmp_path / "out", search=False, allow_errors=True)
    page = lxml.html.parse(str(tmp_path / "out/fenyang-ybj/2024/final-accounts/index.html")).getroot()
    text = reader_text(page.cssselect("article")[0])
    section = text[text.index("九、财政拨款“三公”经费支出决算情况说明"):text.index("十、其他重要事项情况说明")]
    assert "本年度无“三公”经费财政拨款支出。" in section and "全年预算" not in section
