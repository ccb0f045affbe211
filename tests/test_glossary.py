"""名词解释: the glossary data, the portal's glossary.yaml, the glossary page and the term links."""

from __future__ import annotations

import re
from pathlib import Path

import lxml.html
import pytest
import yaml
from click.testing import CliRunner

from conftest import EXAMPLE, FENYANG
from site_builder.build import build
from site_builder.cli import main
from site_builder.errors import ContentError
from site_builder.glossary import BUILTIN, Glossary, Term, load_glossary

BUILTIN_TERMS = yaml.safe_load(BUILTIN.read_text(encoding="utf-8"))["terms"]
PROSE_PARTS = ("part-1", "part-3")        # 概况, 情况说明 (fenyang); part-4 is its own 名词解释


@pytest.fixture(scope="module")
def glossary_page(example_out):
    return lxml.html.parse(str(example_out / "glossary/index.html")).getroot()


def test_builtin_definitions_are_the_published_ones():
    """Every built-in definition is, word for word, an item of a seed document's 名词解释."""
    published = "\n".join(p.read_text(encoding="utf-8") for p in EXAMPLE.rglob("glossary.md")).replace("\n\n", "")
    assert len(BUILTIN_TERMS) == 20
    for item in BUILTIN_TERMS:
        assert item["definition"].removeprefix("是指").removeprefix("是") in published, item["term"]
        assert item["term"].split("（")[0] in published, item["term"]


def test_glossary_page_lists_every_term_with_its_definition(glossary_page):
    entries = {e.get("id"): e for e in glossary_page.cssselect(".glossary-entry")}
    assert len(entries) == len(BUILTIN_TERMS)
    for item in BUILTIN_TERMS:
        entry = entries[f"term-{item['id']}"]
        assert entry.cssselect("dt")[0].text_content().strip() == item["term"]
        assert entry.cssselect("dd p")[0].text_content().strip() == item["definition"]
        aliases = [p.text_content() for p in entry.cssselect("dd p.term-meta") if p.text_content().startswith("也写作")]
        assert aliases == (["也写作：" + "、".join(item["aliases"])] if item.get("aliases") else [])
    index = [a.get("href") for a in glossary_page.cssselect(".term-index a")]
    assert index == [f"#term-{item['id']}" for item in BUILTIN_TERMS]


def test_every_page_links_to_the_glossary(example_out):
    for rel in ["index.html", "404.html", "search/index.html", FENYANG + "/index.html", "years/2024/index.html"]:
        root = lxml.html.parse(str(example_out / rel)).getroot()
        depth = rel.count("/")
        assert root.cssselect(f'footer a[href="{"../" * depth}glossary/index.html"]'), rel
    home = lxml.html.parse(str(example_out / "index.html")).getroot()
    assert home.cssselect('main a[href="glossary/index.html"]')


def test_first_occurrence_of_each_term_links_to_its_definition(fenyang_page):
    """A term the page's own 名词解释 (part-4) defines links to that entry, its tooltip the
    entry's words; any other term links to the portal glossary page, with its definition."""
    links = fenyang_page.cssselect("a.term")
    texts = [a.text_content() for a in links]
    assert len(texts) == len(set(texts)) >= 8                       # once per term
    definitions = {item["id"]: item["definition"] for item in BUILTIN_TERMS}
    own = 0
    for link in links:
        href = link.get("href")
        tip = link.getnext()
        if href.startswith("#doc-term-"):
            term_id = href.removeprefix("#doc-term-")
            entry = fenyang_page.cssselect(href)[0]
            assert entry.xpath("ancestor::section[@class='part']")[0].get("id") == "part-4"
            assert entry.text_content().endswith(tip.text_content()) and tip.text_content()
            own += 1
        else:
            assert href.startswith("../../../glossary/index.html#term-"), href
            term_id = href.split("#term-")[1]
            assert tip.text_content() == definitions[term_id]
            assert not fenyang_page.cssselect(f"#doc-term-{term_id}")     # (not defined by this document)
        assert tip.get("id") == link.get("aria-describedby") == f"tip-{term_id}"
        assert tip.get("role") == "tooltip" and tip.get("data-pagefind-ignore") is not None
        assert link.xpath("ancestor::section[@class='part']")[0].get("id") in PROSE_PARTS
        assert not link.xpath("ancestor::h1|ancestor::h2|ancestor::h3|ancestor::h4|ancestor::table|ancestor::a")
    assert own >= 5 and len(links) - own >= 3


def test_a_disclosure_shows_its_own_words_for_a_term(example_out):
    """The built-in definitions are the fenyang 决算's words; lvliang's 预算 defines 基本支出 and
    “三公”经费 in other words (省直部门), and its page shows its own."""
    page = lxml.html.parse(str(example_out / "lvliang-ybj/2023/budget/index.html")).getroot()
    tips = {a.text_content(): (a.get("href"), a.getnext().text_content()) for a in page.cssselect("a.term")}
    assert tips["基本支出"] == ("#doc-term-basic-expenditure", "指为保障机构正常运转、完成日常工作任务而发生的人员支出和公用支出。")
    assert tips["“三公”经费"][1].startswith("指省直部门用财政拨款安排的")
    assert tips["财政专户管理资金"][1].startswith("专指教育收费")        # (its words in the next paragraph)
    assert tips["一般公共预算"][1].startswith("是指以税收为主体的财政收入")


def test_longest_term_wins_and_later_occurrences_stay_text(fenyang_page):
    first = fenyang_page.cssselect("a.term")[0]
    assert first.text_content() == "财政拨款收入"                   # not 财政拨款 + 收入
    explanation = fenyang_page.cssselect("#part-3")[0].text_content()
    assert explanation.count("基本支出") > 1                          # later ones are plain text
    assert not fenyang_page.cssselect("#part-4 a.term")              # the document's own 名词解释


def test_link_skips_headings_tables_links_and_negations():
    glossary = Glossary([Term("basic", "基本支出", "定义甲"), Term("fiscal", "财政拨款", "定义乙"),
                         Term("fiscal-income", "财政拨款收入", "定义丙"),
                         Term("three", "“三公”经费", "定义丁", aliases=("三公经费", '"三公"经费'))])
    html = ('<h3>基本支出</h3><table><tr><td>基本支出</td></tr></table><p><a href="x">基本支出</a>'
            '非财政拨款结余，财政拨款收入，&quot;三公&quot;经费</p><p>基本支出，基本支出</p>')
    seen: set[str] = set()
    out = lxml.html.fragment_fromstring(glossary.link(html, "../", seen), create_parent="div")
    assert [(a.text_content(), a.get("href")) for a in out.cssselect("a.term")] == [
        ("财政拨款收入", "../glossary/index.html#term-fiscal-income"),
        ('"三公"经费', "../glossary/index.html#term-three"),
        ("基本支出", "../glossary/index.html#term-basic")]
    assert seen == {"fiscal-income", "three", "basic"}
    assert glossary.link("<p>基本支出</p>", "", seen) == "<p>基本支出</p>"     # already linked on this page


def write_glossary(content, text: str):
    (content / "glossary.yaml").write_text(text, encoding="utf-8")


def test_portal_glossary_adds_and_replaces_terms(content_copy):
    write_glossary(content_copy, "terms:\n"
                   "  - term: 医疗救助\n    definition: 指对困难群众的医疗费用给予补助。\n    source: 本门户\n"
                   "  - term: 三公经费\n    definition: 本门户的解释。\n")
    glossary = load_glossary(content_copy)
    by_term = {t.term: t for t in glossary.terms}
    assert by_term["医疗救助"].id == "医疗救助" and by_term["医疗救助"].source == "本门户"
    assert by_term["三公经费"].definition == "本门户的解释。"
    assert by_term["三公经费"].id == "three-public-expenses"         # replaced in place, same anchor
    assert "“三公”经费" not in by_term and len(glossary.terms) == len(BUILTIN_TERMS) + 1


@pytest.mark.parametrize("text, line, message", [
    ("terms:\n  - term: 医疗救助\n    source: 本门户\n", 2, "缺少必填项“definition”（名词的解释）"),
    ("terms:\n  - term: 医疗救助\n    definition: [一, 二]\n", 3, "“definition”应为文本"),
    ("terms:\n  - term: 医疗救助\n    defintion: 解释\n", 3, "未知的设置项“defintion”"),
    ("terms:\n  - 医疗救助\n", 1, "“terms”的第 1 项应为“键: 值”形式的名词"),
    ("term:\n  - term: 医疗救助\n", 1, "未知的设置项“term”"),
    ("terms:\n  - term: 医疗救助\n    definition: 甲\n  - term: 医疗救助\n    definition: 乙\n", 4,
     "名词“医疗救助”出现了两次"),
    ("terms:\n  - term: 三公经费\n    definition: 甲\n  - term: “三公”经费\n    definition: 乙\n", 4,
     "替换的是同一个内置名词““三公”经费”"),
])
def test_portal_glossary_errors_name_file_and_line(content_copy, tmp_path, text, line, message):
    write_glossary(content_copy, text)
    with pytest.raises(ContentError) as caught:
        load_glossary(content_copy)
    assert caught.value.location.path.name == "glossary.yaml" and caught.value.location.line == line
    assert message in caught.value.problem
    result = CliRunner().invoke(main, ["check", str(content_copy)])     # the CLI says the same
    assert result.exit_code == 1 and re.search(rf"glossary\.yaml:{line}(:\d+)?: ", result.output), result.output


def test_print_header_names_the_page_and_its_date(example_out, fenyang_page):
    meta = fenyang_page.cssselect(".print-meta")[0].text_content()
    assert f"本页地址：{FENYANG}/index.html" in meta                   # no base URL: the path in the site
    gaoyi = lxml.html.parse(str(example_out / "gaoyi-ybj/2021/performance/index.html")).getroot()
    assert "发布日期：2022-05-19" in gaoyi.cssselect(".print-meta")[0].text_content()
    assert "发布日期：原文件未注明" in meta                             # fenyang's source gives no date: said, not left out


GLOSSARY_PORTAL = Path(__file__).resolve().parent / "fixtures/portal-glossary"
ALPHA = {"基本支出": "甲局释义，指甲局维持机构运转的支出（虚构）。", "医疗救助": "甲局释义，指甲局对困难群众的医疗补助（虚构）。"}
BETA_BASIC = "是指乙局释义的人员和公用支出（虚构）。"
PORTAL_AID = "门户释义：对困难群众自付医疗费用给予的补助（虚构）。"


@pytest.fixture(scope="module")
def glossary_portal(tmp_path_factory):
    out = tmp_path_factory.mktemp("glossary") / "out"
    build(GLOSSARY_PORTAL, out, base_url="", search=False)
    return out


def term_links(out, slug):
    """A budget page of the fixture, and its term links: text → (href, tooltip)."""
    page = lxml.html.parse(str(out / slug / "2024/budget/index.html")).getroot()
    return page, {a.text_content(): (a.get("href"), a.getnext().text_content()) for a in page.cssselect("a.term")}


def test_each_department_shows_its_own_definition_never_another_s(glossary_portal):
    """Two departments define 基本支出 in different words, one also 医疗救助 (which the portal's
    glossary.yaml defines too), a third defines nothing: each page's links and tooltips are its
    own document's entries, or the portal glossary's; no page holds another department's words."""
    portal = "../../../glossary/index.html#term-"
    builtin = {item["term"]: item["definition"] for item in BUILTIN_TERMS}
    page, links = term_links(glossary_portal, "alpha-ju")
    assert links == {"基本支出": ("#doc-term-basic-expenditure", ALPHA["基本支出"]),
                     "项目支出": (portal + "project-expenditure", builtin["项目支出"]),
                     "医疗救助": ("#doc-term-医疗救助", ALPHA["医疗救助"])}
    for term, href in [("基本支出", "#doc-term-basic-expenditure"), ("医疗救助", "#doc-term-医疗救助")]:
        entry = page.cssselect(href)[0]                              # the link's target: its own entry
        assert entry.xpath("ancestor::section[@class='part']/h2")[0].text_content() == "第三部分 名词解释"
        assert entry.text_content().endswith(ALPHA[term])
    page, links = term_links(glossary_portal, "beta-ju")
    assert links == {"基本支出": ("#doc-term-basic-expenditure", BETA_BASIC),
                     "项目支出": (portal + "project-expenditure", builtin["项目支出"]),
                     "医疗救助": (portal + "医疗救助", PORTAL_AID)}    # beta does not define it: not alpha's words
    assert page.cssselect("#doc-term-basic-expenditure")[0].text_content() == "基本支出" + BETA_BASIC
    page, links = term_links(glossary_portal, "gamma-ju")
    assert links == {"基本支出": (portal + "basic-expenditure", builtin["基本支出"]),
                     "项目支出": (portal + "project-expenditure", builtin["项目支出"]),
                     "医疗救助": (portal + "医疗救助", PORTAL_AID)}
    assert not page.cssselect("[id^=doc-term-]")
    for slug, foreign in [("alpha-ju", "乙局释义"), ("beta-ju", "甲局释义"), ("gamma-ju", "局释义")]:
        assert foreign not in (glossary_portal / slug / "2024/budget/index.html").read_text(encoding="utf-8"), slug
    glossary = (glossary_portal / "glossary/index.html").read_text(encoding="utf-8")
    assert PORTAL_AID in glossary and "局释义" not in glossary


def test_own_definitions_reads_the_entries_of_a_glossary_md():
    """Numbered paragraphs (一、 1.), list items, emphasis, headings, 是指, a bracket after the
    term, a definition in the next paragraph; the longest spelling wins; a term with more after
    it (财政拨款（补助）收入) is not defined; a term defined twice: its first entry."""
    from site_builder.glossary import own_definitions
    from site_builder.render import render_markdown

    glossary = Glossary([Term("fiscal", "财政拨款", "定义"), Term("fiscal-income", "财政拨款收入", "定义"),
                         Term("balance", "使用非财政拨款结余", "定义"), Term("basic", "基本支出", "定义"),
                         Term("three", "“三公”经费", "定义", aliases=("三公经费",)), Term("budget", "一般公共预算", "定义"),
                         Term("fund", "财政专户管理资金", "定义"), Term("project", "项目支出", "定义")])
    text = ("一、财政拨款收入：指甲。\n\n二、财政拨款（补助）收入：指乙。\n\n"
            "三、使用非财政拨款结余（含专用结余）：指丙。\n\n"
            "- **三公经费**，指丁。\n- 一般公共预算是指戊。\n\n"
            "### 六、财政专户管理资金\n\n专指己，\n续行。\n\n另一段<script>x</script>。\n\n"
            "七、基本支出：指庚。\n\n八、基本支出：指辛。")
    marked, entries = own_definitions(render_markdown(text), glossary)
    assert [(e.term_id, e.definition) for e in entries] == [
        ("fiscal-income", "指甲。"), ("balance", "指丙。"), ("three", "指丁。"), ("budget", "是指戊。"),
        ("fund", "专指己， 续行。另一段。"), ("basic", "指庚。")]
    page = lxml.html.fragment_fromstring(marked, create_parent="div")
    assert [(e.tag, e.get("id")) for e in page.cssselect("[id]")] == [
        ("p", "doc-term-fiscal-income"), ("p", "doc-term-balance"), ("li", "doc-term-three"), ("li", "doc-term-budget"),
        ("h3", "doc-term-fund"), ("p", "doc-term-basic")]
    assert not page.cssselect("script")


def test_an_entry_marks_the_term_it_defines_for_the_search_index():
    """The term an entry of a disclosure's 名词解释 defines is its <dfn>, weighed by the search
    index above prose (docs/search.md, "Ranking"); its numbering, a bracket after it and its
    definition stay outside; an entry whose term is in other markup, or is the whole heading, is
    left as it is. The page shows the same words."""
    from site_builder.glossary import TERM_WEIGHT, own_definitions
    from site_builder.render import render_markdown

    glossary = Glossary([Term("income", "财政拨款收入", "定义"), Term("three", "“三公”经费", "定义", aliases=("三公经费",)),
                         Term("budget", "一般公共预算", "定义"), Term("fund", "财政专户管理资金", "定义"),
                         Term("balance", "使用非财政拨款结余", "定义")])
    text = ("一、财政拨款收入：指甲。\n\n- **三公经费**，指丁。\n- 一般公共预算是指戊。\n\n"
            "### 六、财政专户管理资金\n\n专指己。\n\n三、使用非财政拨款结余（含专用结余）：指丙。")
    marked, _ = own_definitions(render_markdown(text), glossary)
    page = lxml.html.fragment_fromstring(marked, create_parent="div")
    terms = [(e.getparent().get("id"), e.text_content(), e.get("data-pagefind-weight")) for e in page.cssselect("dfn")]
    assert terms == [("doc-term-income", "财政拨款收入", str(TERM_WEIGHT)), ("doc-term-budget", "一般公共预算", str(TERM_WEIGHT)),
                     ("doc-term-balance", "使用非财政拨款结余", str(TERM_WEIGHT))]
    assert page.cssselect("#doc-term-income")[0].text_content() == "一、财政拨款收入：指甲。"
    assert page.cssselect("#doc-term-balance")[0].text_content() == "三、使用非财政拨款结余（含专用结余）：指丙。"
    assert 1 < TERM_WEIGHT < 5           # above prose; below a heading's weight (docs/search.md)
