"""The attachment kinds of issue #26: a 绩效评价指标体系评分表 (project-evaluation-scores) and a
绩效评价报告 (project-evaluation-report), on tests/fixtures/portal-forms (made-up figures).

Their page (cells where the document prints them, 一级/二级指标 spanning their rows), their
escaping (text everywhere; Markdown, sanitised, only in a report's sections), their search
index, their checker rules beyond the one mutation each has in test_mutations.py, and the
errors a broken file gets (file and line)."""

from __future__ import annotations

import gzip
import json
import shutil
import tempfile
from pathlib import Path
from types import SimpleNamespace

import lxml.html
import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from search_truth import indexed_text
from site_builder.build import build
from site_builder.checks import RULES, CheckConfig, run_checks
from site_builder.cli import main
from site_builder.content import FORM_KEYS, SECTION_KEYS, load_form, load_portal
from site_builder.errors import SiteBuilderError
from site_builder.formview import SCORING_COLUMNS
from site_builder.profiles import load_profiles
from site_builder.render import make_environment, template_loader
from test_attacks_prose import HTML_ATTACKS, unsafe

FIXTURE = Path(__file__).resolve().parent / "fixtures/portal-forms"
DOC = "departments/demo-jt/2023/performance"
SCORES = f"{DOC}/attachments/01-road-scores.yaml"
REPORT = f"{DOC}/attachments/02-road-report.yaml"
PAGE = "demo-jt/2023/performance/index.html"
FORM_RULES = {"form.grade", "form.score-cap", "form.weights", "form.score-total", "form.report-grade",
              "form.report-score"}


@pytest.fixture
def portal(tmp_path) -> Path:
    """A writable copy of the fixture portal."""
    return Path(shutil.copytree(FIXTURE, tmp_path / "content"))


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """The fixture portal built (with its search index), once for the module."""
    out = tmp_path_factory.mktemp("forms") / "output"
    build(FIXTURE, out, base_url="")
    return out


def edit(root: Path, rel: str, old: str, new: str) -> None:
    path = root / rel
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, (rel, old)
    path.write_text(text.replace(old, new), encoding="utf-8")


def line_of(root: Path, rel: str, text: str) -> int:
    lines = (root / rel).read_text(encoding="utf-8").splitlines()
    return next(number for number, line in enumerate(lines, start=1) if text in line)


def run_build(content: Path, out: Path):
    return CliRunner().invoke(main, ["build", str(content), "--out", str(out), "--no-search", "-q"])


def page(out: Path):
    return lxml.html.parse(str(out / PAGE)).getroot()


def grid(table) -> list[list[tuple[str, str]]]:
    """The body of ``table`` as the reader's grid: each row's (data-key, text) per column, a cell
    that spans rows repeated in each of them."""
    rows: list[list[tuple[str, str]]] = []
    pending: dict[int, tuple[int, tuple[str, str]]] = {}       # column → rows left, cell
    for tr in table.cssselect("tbody tr"):
        row: list[tuple[str, str]] = []
        cells = iter(tr)
        while True:
            column = len(row)
            if column in pending:
                left, value = pending[column]
                row.append(value)
                if left == 1:
                    del pending[column]
                else:
                    pending[column] = (left - 1, value)
                continue
            cell = next(cells, None)
            if cell is None:
                break
            value = (cell.get("data-key"), cell.text_content().strip())
            span = int(cell.get("rowspan", "1"))
            if span > 1:
                pending[column] = (span - 1, value)
            row.append(value)
        rows.append(row)
    return rows


# -- the page ----------------------------------------------------------------------------------

def test_the_fixture_builds_with_no_finding(built):
    assert (built / PAGE).is_file()
    assert [f for f in run_checks(load_portal(FIXTURE))] == []


def test_scoring_table_cells_are_where_the_document_prints_them(built):
    form = page(built).get_element_by_id("form-01-road-scores")
    table = form.cssselect("table.scores")[0]
    headers = [th.text_content() for th in table.cssselect("thead th")]
    assert headers == ["一级指标", "二级指标", "三级指标", "指标值", "评分标准", "分值", "指标说明", "得分", "实际完成情况"]
    assert all(th.get("scope") == "col" for th in table.cssselect("thead th"))
    assert table.cssselect("caption")[0].text_content() == "评分表"
    rows = grid(table)
    assert len(rows) == 15 and all(len(row) == 9 for row in rows)
    by_level3 = {row[2][1]: dict(row) for row in rows}
    assert by_level3["公路养护里程"] == {
        "level1": "产出", "level2": "产出数量", "level3": "公路养护里程", "value": "≥120公里",
        "criteria": "完成得10分，未完成按比例扣分", "weight": "10", "note": "", "score": "10", "actual": "126公里"}
    assert by_level3["预算执行率"]["actual"] == "95.50%" and by_level3["预算执行率"]["score"] == "4.5"
    # 一级 and 二级指标 printed once per run, spanning it
    spans = [(th.get("data-key"), th.text_content(), th.get("rowspan")) for th in table.cssselect("tbody th[scope=rowgroup]")]
    assert spans[:3] == [("level1", "决策", "4"), ("level2", "项目立项", "2"), ("level2", "绩效目标", None)]
    assert ("level1", "产出", "4") in spans and ("level1", "效益", "3") in spans
    assert [th.text_content() for th in table.cssselect("tbody th[scope=row]")][:2] == ["立项依据充分性", "立项程序规范性"]
    # the 合计 row: the totals under their columns, the grade below
    total = table.cssselect("tfoot tr")[0]
    assert total[0].text_content() == "合计" and total[0].get("colspan") == "5"
    assert {td.get("data-key"): td.text_content() for td in total.cssselect("td")} == \
        {"weight": "100", "note": "", "score": "90", "actual": ""}
    assert table.cssselect("tfoot td.form-grade")[0].text_content() == "优"


def test_a_table_that_prints_fewer_columns_shows_only_those(portal, tmp_path):
    """``columns``: the printed columns in printed order; the 合计 spans the ones before 分值."""
    edit(portal, SCORES, "labels:\n", "columns: [level1, level2, level3, weight, score, value, actual]\nlabels:\n")
    text = (portal / SCORES).read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if not line.lstrip().startswith(("criteria:", "note:"))]
    (portal / SCORES).write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run_build(portal, tmp_path / "out")
    assert result.exit_code == 0, result.output
    table = page(tmp_path / "out").get_element_by_id("form-01-road-scores").cssselect("table.scores")[0]
    assert [th.text_content() for th in table.cssselect("thead th")] == \
        ["一级指标", "二级指标", "三级指标", "分值", "得分", "指标值", "实际完成情况"]
    assert dict(grid(table)[8]) == {"level1": "产出", "level2": "产出数量", "level3": "公路养护里程", "weight": "10",
                                    "score": "10", "value": "≥120公里", "actual": "126公里"}
    total = table.cssselect("tfoot tr")[0]
    assert total[0].get("colspan") == "3"
    assert [td.text_content() for td in total.cssselect("td")] == ["100", "90", "", ""]


def test_report_is_an_article_with_its_numbered_sections(built):
    doc = page(built)
    article = doc.get_element_by_id("form-02-road-report")
    assert article.tag == "article" and article.getparent().get("id") == "part-2"
    assert article.cssselect("h3")[0].text_content() == "示例市农村公路养护项目绩效评价报告"
    facts = {dt.text_content(): dd.text_content() for dt, dd in zip(article.cssselect("dt"), article.cssselect("dd"),
                                                                       strict=True)}
    assert facts == {"项目名称": "示例市农村公路养护项目（虚构）", "主管部门": "901-示例市交通运输局",
                     "实施单位": "901001-示例市公路养护中心", "评价期间": "2023年1月1日至2023年12月31日",
                     "评价得分": "90", "评价等级": "优"}
    headings = [(h.tag, h.text_content()) for h in article.cssselect("h4, h5, h6")]
    assert headings == [("h4", "一、项目基本情况"), ("h5", "（一）项目概况"), ("h5", "（二）项目绩效目标"),
                        ("h4", "二、绩效评价工作开展情况"), ("h4", "三、综合评价情况及评价结论"),
                        ("h4", "四、绩效评价指标分析"), ("h5", "（一）项目产出情况"), ("h6", "1.产出数量"),
                        ("h6", "2.产出质量"), ("h5", "（二）项目效益情况"), ("h4", "五、有关建议")]
    # the text is Markdown: lists and emphasis, in the prose style
    assert [li.text_content() for li in article.cssselect(".prose ul li")] == ["养护农村公路不少于120公里；",
                                                                                "养护验收合格率达到100%。"]
    assert article.cssselect(".prose strong")[0].text_content() == "现场核查"
    assert len(article.cssselect(".prose ol li")) == 2
    toc = [(a.get("href"), a.text_content()) for a in doc.cssselect("nav.toc a") if a.get("href").startswith("#form-")]
    assert toc == [("#form-01-road-scores", "示例市农村公路养护项目绩效评价指标体系评分表"),
                   ("#form-02-road-report", "示例市农村公路养护项目绩效评价报告")]


def test_html_in_a_scoring_cell_and_in_the_report_never_runs(portal, tmp_path):
    """A scoring cell is text: its HTML shows as typed. A report's section text is prose: the
    sanitiser drops what could run (every attack of test_attacks_prose), keeps the words."""
    edit(portal, SCORES, "actual: 126公里", "actual: <script>alert(1)</script>126公里")
    edit(portal, SCORES, "level3: 完成及时性", "level3: <img src=x onerror=alert(1)>完成及时性")
    hostile = "\n".join("      " + line for line in "\n\n".join(HTML_ATTACKS).splitlines())
    done = "      评价组采用**现场核查**与问卷调查相结合的方式开展评价。\n"
    edit(portal, REPORT, done, f"{done}\n{hostile}\n")    # (after the words: the last attack may swallow what follows)
    edit(portal, REPORT, "heading: 五、有关建议", "heading: 五、有关建议<script>alert(1)</script>")
    result = run_build(portal, tmp_path / "out")
    assert result.exit_code == 0, result.output
    raw = (tmp_path / "out" / PAGE).read_text(encoding="utf-8")
    doc = page(tmp_path / "out")
    assert unsafe(doc) == []
    assert "&lt;script&gt;alert(1)&lt;/script&gt;126公里" in raw
    assert "&lt;img src=x onerror=alert(1)&gt;完成及时性" in raw
    assert "五、有关建议&lt;script&gt;alert(1)&lt;/script&gt;" in raw
    table = doc.get_element_by_id("form-01-road-scores")
    assert not table.cssselect("script, img")
    report = doc.get_element_by_id("form-02-road-report")
    assert not report.cssselect("script, img, iframe, svg, style, form, meta, base, link, object, embed")
    prose = report.cssselect(".prose")[2].text_content()     # 二、绩效评价工作开展情况
    assert "handlers" in prose and "styled" in prose and "kept link" in prose and "评价组采用" in prose


def test_the_new_kinds_text_is_in_the_search_index(built):
    """Pagefind indexes the page's data-pagefind-body: the scoring cells and the report's text are
    in it (and in the fragment Pagefind wrote for the page)."""
    text = indexed_text(built / PAGE)
    for words in ("126公里", "未完成按比例扣分", "养护验收合格率", "群众满意度88%", "现场核查", "项目产出情况"):
        assert words in text, words
    fragments = list((built / "pagefind").rglob("fragment/*.pf_fragment"))
    contents = [json.loads(gzip.decompress(f.read_bytes()).decode("utf-8").removeprefix("pagefind_dcd"))["content"]
                .replace("\u200b", "") for f in fragments]       # (the word breaks of its Chinese segmentation)
    page_content = [c for c in contents if "评价组采用" in c]
    assert len(page_content) == 1
    assert "126公里" in page_content[0] and "完成得10分" in page_content[0]


@pytest.mark.parametrize("width", [1280, 360])
def test_the_page_has_no_accessibility_violations(browser, built, width):
    """axe-core (WCAG 2.1 AA and best practice) on the page with both kinds, and no text under 16 px."""
    from test_browser import SMALL_TEXT, axe_violations

    tab = browser.new_page(viewport={"width": width, "height": 800})
    tab.goto((built / PAGE).as_uri())
    assert axe_violations(tab) == []
    assert tab.evaluate(SMALL_TEXT) == []
    tab.close()


def test_a_table_whose_content_did_not_survive_says_so(portal, tmp_path):
    """``unavailable: true``: the title, the period and the reason, nothing else required."""
    path = portal / SCORES
    path.write_text("kind: project-evaluation-scores\ntitle: 示例市农村公路养护项目绩效评价指标体系评分表\n"
                    "period: （2023年度）\nunavailable: true\nunavailable_reason: 原公开文件中本表为图片，无法识别。\n",
                    encoding="utf-8")
    result = run_build(portal, tmp_path / "out")
    assert result.exit_code == 0, result.output
    form = page(tmp_path / "out").get_element_by_id("form-01-road-scores")
    assert form.cssselect("p.unavailable")[0].text_content() == "原公开文件中本表为图片，无法识别。"
    assert not form.cssselect("table")


def test_a_whole_number_typed_without_quotes_is_its_text(portal, tmp_path):
    """``weight: 4``, ``remarks: 1``, ``text: 2023``: YAML integers, shown as the digits typed (a
    decimal is refused: 4.50 would lose its 0)."""
    edit(portal, SCORES, 'weight: "4"\n    note: 项目立项是否', 'weight: 4\n    note: 项目立项是否')
    edit(portal, SCORES, "remarks: |\n  1.本表数字均为虚构，仅供测试。\n", "remarks: 1\n")
    edit(portal, REPORT, "text: 全年养护农村公路126公里，完成年度目标。", "text: 2023")
    result = run_build(portal, tmp_path / "out")
    assert result.exit_code == 0, result.output
    doc = page(tmp_path / "out")
    assert dict(grid(doc.cssselect("table.scores")[0])[0])["weight"] == "4"
    assert doc.cssselect("#form-01-road-scores .remarks p")[1].text_content() == "1"
    assert "2023" in [p.text_content() for p in doc.cssselect("#form-02-road-report .prose p")]


# -- errors in the files -----------------------------------------------------------------------

def removed(rel: str, line: str):
    """Remove a top-level key: the error names the line where the file's mapping starts."""
    def apply(root: Path) -> int:
        edit(root, rel, line + "\n", "")
        return line_of(root, rel, "kind:")
    return apply


def replaced(rel: str, old: str, new: str, at: str | None = None):
    def apply(root: Path) -> int:
        edit(root, rel, old, new)
        return line_of(root, rel, at or new.strip().splitlines()[0])
    return apply


def emptied(rel: str, key: str, following: str):
    """``key: []`` in place of the list written from ``key`` to ``following``."""
    def apply(root: Path) -> int:
        text = (root / rel).read_text(encoding="utf-8")
        start, end = text.index(key + "\n"), text.index(following)
        (root / rel).write_text(text[:start] + key + " []\n" + text[end:], encoding="utf-8")
        return line_of(root, rel, key + " []")
    return apply


# name → (edit returning the line the error must name, file, words of the message)
BROKEN = {
    "missing total_weight": (removed(SCORES, 'total_weight: "100"'), SCORES, "缺少必填项“total_weight”"),
    "missing project": (removed(REPORT, "project: 示例市农村公路养护项目（虚构）"), REPORT, "缺少必填项“project”"),
    "missing period": (removed(REPORT, "period: 2023年1月1日至2023年12月31日"), REPORT, "缺少必填项“period”"),
    "section without heading": (replaced(REPORT, "      - heading: （一）项目概况\n        text: |", "      - text: |"),
                                REPORT, "缺少必填项“heading”（章节标题）"),
    "indicator without level3": (replaced(SCORES, "    level3: 立项依据充分性\n", "", at="- level1: 决策"),
                                 SCORES, "绩效指标缺少“level3”"),
    "misspelt key in an indicator": (replaced(SCORES, 'score: "4.5"\n    actual: 个别路段', 'scroe: "4.5"\n    actual: 个别路段'),
                                     SCORES, "未知的设置项“scroe”"),
    "misspelt key in the report": (replaced(REPORT, "grade: 优", "grades: 优"), REPORT, "未知的设置项“grades”"),
    "a cell in a column not printed": (replaced(SCORES, "labels:\n", "columns: [level1, level2, level3, weight, score]\nlabels:\n",
                                                at="    value: 充分"), SCORES, "“value”（标准值）有内容，但 columns 中没有这一列"),
    "columns not led by the levels": (replaced(SCORES, "labels:\n", "columns: [level1, level3, level2, weight, score]\nlabels:\n"),
                                      SCORES, "前三列应为 level1、level2、level3"),
    "columns without score": (replaced(SCORES, "labels:\n", "columns: [level1, level2, level3, weight]\nlabels:\n"),
                              SCORES, "评分表须有“score”列"),
    "unknown column": (replaced(SCORES, "labels:\n", "columns: [level1, level2, level3, weight, score, remark]\nlabels:\n"),
                       SCORES, "columns 中的“remark”不是评分表的列"),
    "a column that is no name": (replaced(SCORES, "labels:\n", "columns: [level1, level2, level3, {weight: 分值}, score]\nlabels:\n"),
                                 SCORES, "不是评分表的列"),
    "empty indicators": (emptied(SCORES, "indicators:", "total_weight:"), SCORES, "indicators 是空的"),
    "unknown label": (replaced(SCORES, "  value: 指标值", "  valeu: 指标值"), SCORES, "labels 中的“valeu”不是本附件表的栏目"),
    "unquoted decimal": (replaced(SCORES, 'weight: "4"\n    note: 项目立项是否', 'weight: 4.50\n    note: 项目立项是否'),
                         SCORES, "“weight”写成了 YAML 的数字（4.5）"),
    "a list in a cell": (replaced(SCORES, "actual: 126公里", "actual: [126公里]"), SCORES, "“actual”应为文字"),
    "too deep": (replaced(REPORT, "            text: 全年养护农村公路126公里，完成年度目标。",
                          "            text: 全年养护农村公路126公里，完成年度目标。\n            sections:\n"
                          "              - heading: （1）乡道", at="            sections:"), REPORT, "章节最多 3 层"),
    "empty sections": (replaced(REPORT, "        text: 群众满意度88%，低于目标值2个百分点。", "        sections: []"),
                       REPORT, "sections 是空的"),
    "score beyond bounds": (replaced(SCORES, 'total_score: "90"', 'total_score: "1e999999999"'), SCORES, "“total_score”："),
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_a_broken_file_is_an_error_naming_file_and_line(portal, tmp_path, name):
    apply, rel, words = BROKEN[name]
    line = apply(portal)
    result = run_build(portal, tmp_path / "out")
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert f"{Path(rel).name}:{line}:" in result.output or f"{Path(rel).name}:{line} " in result.output, result.output
    assert words in result.output, result.output
    assert not (tmp_path / "out").exists()


# Any value where a good file has one: the loader takes it or refuses it with its own error;
# what it takes, the template renders and the rules read without an exception.
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=False, allow_infinity=False),
                    st.text(max_size=6), st.sampled_from(["", "4", "4.5", "100", "90.00", "优", "≥90%", "1e999999999",
                                                          "<b>x</b>", "level1", "weight", "score", "sections"]))
KEYS = sorted((FORM_KEYS["project-evaluation-scores"] | FORM_KEYS["project-evaluation-report"] | set(SCORING_COLUMNS)
               | SECTION_KEYS | {"bogus"}) - {"kind"})
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                       st.dictionaries(st.sampled_from(KEYS), inner, max_size=4)),
                      max_leaves=12)
TEXTS = st.one_of(st.text(max_size=8), st.integers(0, 200).map(str), st.integers(0, 200),
                  st.sampled_from(["", "4.5", "90.00", "100%", "≥90%", "——", "优", "良", "<script>x</script>"]))
EDITS = st.one_of(TEXTS, TEXTS, VALUES)     # mostly what a cell may hold, so that most files still load


def places(node, path=()) -> list[tuple]:
    """Every place of a parsed file: the path of each value, containers included."""
    found = [path] if path else []
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else []
    for key, value in items:
        found.extend(places(value, (*path, key)))
    return found


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), rel=st.sampled_from([SCORES, REPORT]))
def test_any_value_anywhere_in_a_good_form_loads_or_is_refused(data, rel):
    form = yaml.safe_load((FIXTURE / rel).read_text(encoding="utf-8"))
    for _ in range(data.draw(st.integers(1, 3), label="edits")):
        paths = [path for path in places(form) if path != ("kind",)]
        # a field name first, then one of its places: each field as likely as any other
        name = data.draw(st.sampled_from(sorted({str(path[-1]) for path in paths})), label="field")
        path = data.draw(st.sampled_from([path for path in paths if str(path[-1]) == name]), label="place")
        parent = form
        for key in path[:-1]:
            parent = parent[key]
        key = path[-1]
        if isinstance(parent, dict) and data.draw(st.integers(0, 3)) == 0:
            key = data.draw(st.sampled_from(KEYS), label="new key")
        parent[key] = data.draw(EDITS, label="value")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / Path(rel).name
        path.write_text(yaml.safe_dump(form, allow_unicode=True), encoding="utf-8")
        try:
            loaded = load_form(path)
        except SiteBuilderError:
            return
    env = make_environment(template_loader(None))
    html = env.get_template(f"forms/{loaded['kind']}.html").render(form=loaded)
    assert f'id="form-{loaded["slug"]}"' in html
    doc = SimpleNamespace(attachments=[loaded], url="demo-jt/2023/performance/",
                          profile=load_profiles()["performance-overall"])
    for rule_id in sorted(RULES):
        if rule_id.startswith("form."):
            list(RULES[rule_id].function(doc, CheckConfig()))


# -- the checker -------------------------------------------------------------------------------

def findings(root: Path) -> list[tuple[str, str, str, int | None]]:
    return [(f.rule, f.severity, f.location.path.name, f.location.line) for f in run_checks(load_portal(root))
            if f.rule in FORM_RULES]


def test_the_rules_are_silent_on_the_good_fixture():
    assert findings(FIXTURE) == []


def test_a_score_above_its_weight_is_an_error_at_its_line(portal):
    edit(portal, SCORES, 'weight: "3"\n    note: ""\n    score: "2"', 'weight: "3"\n    note: ""\n    score: "3.5"')
    edit(portal, SCORES, 'total_score: "90"', 'total_score: "91.5"')
    edit(portal, REPORT, 'total_score: "90"', 'total_score: "91.5"')
    assert findings(portal) == [("form.score-cap", "error", "01-road-scores.yaml",
                                 line_of(portal, SCORES, 'score: "3.5"'))]


def test_the_columns_must_add_up_to_the_total_row(portal):
    edit(portal, SCORES, 'total_weight: "100"', 'total_weight: "105"')
    edit(portal, SCORES, 'total_score: "90"', 'total_score: "89"')
    assert sorted(findings(portal)) == [
        ("form.grade", "error", "01-road-scores.yaml", line_of(portal, SCORES, "grade: 优")),    # 89 is 良
        ("form.report-score", "warning", "02-road-report.yaml", line_of(portal, REPORT, "total_score:")),
        ("form.score-total", "error", "01-road-scores.yaml", line_of(portal, SCORES, 'total_score: "89"')),
        ("form.weights", "error", "01-road-scores.yaml", line_of(portal, SCORES, 'total_weight: "105"'))]


def test_a_sum_of_finer_cells_within_the_totals_rounding_is_a_note(portal):
    """得分 printed to two decimals under a 合计 printed whole: 89.95 under “90” is rounding, 89.45 is not."""
    edit(portal, SCORES, 'score: "4.5"\n    actual: 个别路段', 'score: "4.45"\n    actual: 个别路段')
    assert findings(portal) == [("form.score-total", "note", "01-road-scores.yaml",
                                 line_of(portal, SCORES, "total_score:"))]
    edit(portal, SCORES, 'score: "9"\n    actual: 90%', 'score: "8.5"\n    actual: 90%')
    assert [f[:2] for f in findings(portal)] == [("form.score-total", "error")]


def test_a_report_that_quotes_another_score_is_a_warning(portal):
    edit(portal, REPORT, 'total_score: "90"', 'total_score: "92"')
    found = [f for f in run_checks(load_portal(portal)) if f.rule in FORM_RULES]
    assert [(f.rule, f.severity, f.location.line) for f in found] == \
        [("form.report-score", "warning", line_of(portal, REPORT, "total_score:"))]
    assert "01-road-scores.yaml" in found[0].message and "92" in found[0].message
    edit(portal, REPORT, "grade: 优", "grade: 良")
    assert ("form.report-grade", "error", "02-road-report.yaml", line_of(portal, REPORT, "grade:")) in findings(portal)
    # another project's table is not compared
    edit(portal, SCORES, "project: 示例市农村公路养护项目（虚构）", "project: 示例市城市道路照明项目（虚构）")
    assert "form.report-score" not in {f[0] for f in findings(portal)}
