"""名词解释: the glossary data, the portal's glossary.yaml, the glossary page and the term links."""

from __future__ import annotations

import re

import lxml.html
import pytest
import yaml
from click.testing import CliRunner

from conftest import EXAMPLE, FENYANG
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
    links = fenyang_page.cssselect("a.term")
    texts = [a.text_content() for a in links]
    assert len(texts) == len(set(texts)) >= 8                       # once per term
    definitions = {item["id"]: item["definition"] for item in BUILTIN_TERMS}
    for link in links:
        href = link.get("href")
        assert href.startswith("../../../glossary/index.html#term-"), href
        term_id = href.split("#term-")[1]
        tip = link.getnext()
        assert tip.get("id") == link.get("aria-describedby") == f"tip-{term_id}"
        assert tip.get("role") == "tooltip" and tip.get("data-pagefind-ignore") is not None
        assert tip.text_content() == definitions[term_id]
        assert link.xpath("ancestor::section[@class='part']")[0].get("id") in PROSE_PARTS
        assert not link.xpath("ancestor::h1|ancestor::h2|ancestor::h3|ancestor::h4|ancestor::table|ancestor::a")


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
    assert "发布日期" not in meta                                       # fenyang's source gives no date
