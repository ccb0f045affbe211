"""Search in a real browser: the built portal served from a sub-path, Pagefind's index, our UI.

The truth for each query is computed from the pages themselves (the text Pagefind indexes:
the ``data-pagefind-body`` element minus ``data-pagefind-ignore`` parts); the search must list
every page that contains the term, pages with the exact phrase first.
"""

from __future__ import annotations

import gzip
import json
import re
import shutil
import unicodedata
from pathlib import Path
from urllib.parse import quote, urlencode, urlparse

import lxml.html
import pytest

from conftest import AXE, EXAMPLE, REPO, serve
from search_truth import fragment_urls, indexed_text, indexed_texts, ranking_cases, section_cases, truth
from synthetic import generate  # tests/synthetic.py: made-up data
from site_builder.build import build
from site_builder.search_bundle import (SIGNATURE, PREFIX_LENGTH, CborError, cbor_decode, cbor_encode, read_metadata,
                                  shorten_fragment_names, write_metadata)
from site_builder.search import PAGEFIND_VERSION, index_site


QUERIES = ["公务用车", "医疗救助", "医保", "参保", "三公", "城乡居民",
           "汾阳市医疗保障局", "吕梁市医疗保障局", "高邑县医疗保障局",
           "医保档案规范化整理经费", "人工智能门诊处方审核", "县级财政补助居民医保资金",   # a project of each kind
           "2,262.43", "2262.43", "16,796.36", "16796.36"]


def search_ui(page, base: str, query: str = "", **filters: str) -> tuple[list[str], list[str]]:
    """Search through the search page; return (pages with every word, the others) as site paths."""
    params = {"q": query, **filters}
    page.goto(f"{base}search/index.html?{urlencode({k: v for k, v in params.items() if v}, quote_via=quote)}")
    page.wait_for_selector("#search-results[data-ready]", timeout=20000)
    for more in page.locator("#search-results button.more").all():
        while more.is_visible():
            count = page.locator("#search-results li").count()
            more.click()
            page.wait_for_function(f"document.querySelectorAll('#search-results li').length > {count}")
    root = urlparse(base).path

    def paths(section: str) -> list[str]:
        hrefs = page.eval_on_selector_all(f"#{section} ~ ol a", "links => links.map(a => a.href)")
        return [urlparse(h).path.removeprefix(root) for h in hrefs]

    return paths("results-all"), paths("results-other")


@pytest.fixture(scope="module")
def served(example_out):
    with serve(example_out) as base:
        yield base


@pytest.mark.parametrize("query", QUERIES)
def test_every_page_containing_the_term_is_found_exact_first(browser, example_out, served, query):
    expected = truth(indexed_texts(example_out), query)
    assert expected, f"no example page contains {query}: the test would prove nothing"
    page = browser.new_page()
    exact, other = search_ui(page, served, query)
    assert expected <= set(exact) | set(other)
    assert expected <= set(exact), "pages with the exact phrase have every word: listed first"
    page.close()


def test_fragments_keep_the_excerpt_text_and_only_heading_anchors(example_out, raw_bundle):
    """site_builder.search_bundle.drop_anchors: each page's fragment (fetched for its excerpt) keeps
    the anchors pagefind.js makes sub-results of, its headings with an id (the tables', the forms',
    the prose's: a result opens there), and drops the others (sections, captions, glossary entries),
    which pagefind.js ignores."""
    def anchors(bundle):
        found = {}
        for fragment in sorted(bundle.rglob("fragment/*.pf_fragment")):
            data = gzip.decompress(fragment.read_bytes()).decode("utf-8")
            assert data.startswith("pagefind_dcd")
            record = json.loads(data.removeprefix("pagefind_dcd"))
            assert record["content"] and record["word_count"] > 1000
            assert record["meta"]["title"] and record["filters"]["department"]
            found[record["url"]] = record["anchors"]
        return found
    kept, raw = anchors(example_out / "pagefind"), anchors(raw_bundle)
    assert len(kept) == 3 and kept.keys() == raw.keys()
    for url, listed in kept.items():
        assert listed == [a for a in raw[url] if re.fullmatch(r"h[1-6]", a["element"]) and a["text"].strip()]
        assert {a["element"] for a in raw[url]} - {a["element"] for a in listed} >= {"section", "caption"}
    ids = {a["id"]: a["text"] for a in kept["/fenyang-ybj/2024/final-accounts/"]}
    assert ids["table-09-h"] == "九、财政拨款“三公”经费支出决算表"
    assert ids["part-3-s12"] == "九、财政拨款“三公”经费支出决算情况说明"       # a heading of the prose


def test_captions_left_out_of_the_index_repeat_indexed_text(example_out):
    """A caption part that is data-pagefind-ignore (a table's title, a form's hidden caption)
    repeats a heading, so every word of it is still found on the page."""
    checked = 0
    for page in example_out.rglob("index.html"):
        text = indexed_text(page)
        if text is None:
            continue
        body = lxml.html.parse(str(page)).getroot().cssselect("[data-pagefind-body]")[0]
        for ignored in body.cssselect("caption[data-pagefind-ignore], caption [data-pagefind-ignore]"):
            for piece in re.split(r"[\s：:]+", unicodedata.normalize("NFKC", ignored.text_content())):
                assert piece in text, f"{page}: {piece} is only in an ignored caption"
                checked += 1
    assert checked > 20


def test_department_filter_narrows_and_everything_stays_local(browser, example_out, served):
    page = browser.new_page()
    hosts = set()
    page.on("request", lambda request: hosts.add(urlparse(request.url).netloc))
    exact, other = search_ui(page, served, "医疗")
    assert len(set(exact) | set(other)) == 3
    exact, other = search_ui(page, served, "医疗", department="汾阳市医疗保障局")
    assert set(exact) | set(other) == {"fenyang-ybj/2024/final-accounts/"}
    assert page.locator("#f-department").input_value() == "汾阳市医疗保障局"   # the URL sets the control
    exact, other = search_ui(page, served, "", year="2023")     # a filter alone lists its pages
    assert set(exact) | set(other) == {"lvliang-ybj/2023/budget/"}
    assert hosts == {urlparse(served).netloc}, hosts              # no request to any other host
    page.close()


def test_a_query_that_names_a_glossary_term_shows_its_definition(browser, example_out, served):
    """三公经费 (as readers type it) is the glossary's “三公”经费: its definition above the results,
    linked to its entry on the glossary page; a figure names no term; axe finds nothing."""
    from site_builder.glossary import load_glossary
    from test_browser import axe_violations

    term = next(t for t in load_glossary(EXAMPLE).terms if t.term == "“三公”经费")
    page = browser.new_page()
    exact, other = search_ui(page, served, "三公经费")
    assert exact or other                                         # the results are there too
    box = page.locator("#search-terms .term-answer")
    assert box.locator("h2").inner_text() == "名词解释"
    assert box.locator("dt").all_inner_texts()[0] == "“三公”经费"
    assert box.locator("dd").first.inner_text() == term.definition
    assert axe_violations(page) == []
    href = box.locator("dt a").first.get_attribute("href")
    assert urlparse(href).path == urlparse(served).path + "glossary/index.html" and href.endswith(f"#term-{term.id}")
    search_ui(page, served, "基本支出")
    assert page.locator("#search-terms dt").all_inner_texts()[0] == "基本支出"      # the exact term first
    search_ui(page, served, "2262.43")
    assert page.locator("#search-terms *").count() == 0
    page.goto(href)
    assert page.locator(f"#term-{term.id} dt").inner_text() == "“三公”经费"
    page.close()


def test_sort_by_year_lists_the_same_pages_newest_first(browser, served):
    """No Pagefind sort key (docs/search.md): the search page runs one search per year."""
    page = browser.new_page()
    years = lambda paths: [int(p.split("/")[1]) for p in paths]   # noqa: E731  (dept/2024/kind/)
    for query in ("医疗", "公务用车", ""):
        filters = {} if query else {"kind": "部门决算"}
        relevance = search_ui(page, served, query, **filters)
        by_year = search_ui(page, served, query, sort="year", **filters)
        assert page.locator("#f-sort").input_value() == "year"
        for group, same in zip(by_year, relevance, strict=True):
            assert sorted(group) == sorted(same), query
            assert years(group) == sorted(years(group), reverse=True), query
    exact, other = search_ui(page, served, "医疗", sort="year", year="2023")
    assert exact + other == ["lvliang-ybj/2023/budget/"]
    page.close()


def test_header_box_keyboard_and_shareable_url(browser, served):
    page = browser.new_page()
    page.goto(f"{served}fenyang-ybj/2024/final-accounts/index.html")
    page.get_by_label("搜索", exact=True).fill("公务用车")
    page.keyboard.press("Enter")
    page.wait_for_selector("#search-results[data-ready]")
    assert urlparse(page.url).path == urlparse(served).path + "search/index.html"
    assert "q=%E5%85%AC%E5%8A%A1%E7%94%A8%E8%BD%A6" in page.url           # ?q=公务用车: the search can be shared
    page.locator("#q").fill("三公")
    page.keyboard.press("Enter")
    page.wait_for_function("document.querySelector('#search-results').dataset.query === '三公'")
    assert "q=%E4%B8%89%E5%85%AC" in page.url
    page.keyboard.press("Tab")                                               # from the box to the button…
    page.keyboard.press("Tab")                                               # …to the first filter
    assert page.evaluate("document.activeElement.id") == "f-department"
    first = page.locator("#results-all ~ ol a").first
    first.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert re.search(r"/portal/[a-z-]+/\d{4}/[a-z-]+/(#[\w-]+)?$", page.url)  # a result link opens its page (at a section)
    assert "三公" in page.locator("main").inner_text()
    page.go_back()
    page.wait_for_selector("#search-results[data-ready]")
    assert page.locator("#q").input_value() == "三公"
    page.close()


def test_nothing_found_and_no_javascript(browser, served):
    page = browser.new_page()
    exact, other = search_ui(page, served, "魑魅魍魉")
    assert (exact, other) == ([], [])
    assert page.locator("#search-status").inner_text() == "没有找到包含“魑魅魍魉”的公开文件。"
    exact, other = search_ui(page, served, "不存在的词语甲乙丙")     # some of its words are on a page
    assert exact == [] and "没有找到包含“不存在的词语甲乙丙”全部词语的公开文件" in page.locator("#search-status").inner_text()
    page.close()
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{served}search/index.html?q=三公")
    notice = page.locator("noscript p, p.notice").first
    assert "需要浏览器启用 JavaScript" in page.content()
    assert page.get_by_role("link", name="部门索引").get_attribute("href") == "../index.html"
    assert notice is not None
    context.close()


def test_search_page_with_results_has_no_accessibility_violations(browser, served):
    for width in (1280, 360):
        page = browser.new_page(viewport={"width": width, "height": 800})
        search_ui(page, served, "公务用车")
        page.add_script_tag(path=str(AXE))
        violations = page.evaluate("""async () => (await axe.run(document, {
            runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']})).violations
            .map(v => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', ')}`)""")
        assert violations == [], width
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.close()


def test_without_index_the_search_page_says_so(browser, tmp_path):
    out = tmp_path / "out"
    build(Path(__file__).resolve().parent.parent / "content", out, search=False)
    assert not (out / "pagefind").exists()
    with serve(out) as base:
        page = browser.new_page()
        page.goto(f"{base}search/index.html?q=三公")
        page.wait_for_function("document.querySelector('#search-status').textContent.includes('暂未生成搜索索引')")
        page.close()


# ---- recall on a few hundred synthetic pages (tests/synthetic.py: made-up data) ----

SYNTHETIC_QUERIES = ["公务用车运行维护费", "医疗救助资金", "城乡居民基本医疗保险", "参保缴费", "乡村振兴", "审计整改",
                     "三公", "医保", "青川县", "项目支出", "政府采购", "合成"]


@pytest.fixture(scope="module")
def synthetic_site(tmp_path_factory):
    root = tmp_path_factory.mktemp("synthetic")
    generate(root / "content", documents=300, seed=7)
    build(root / "content", root / "out")
    return root / "out"


def test_recall_on_synthetic_pages(browser, synthetic_site):
    """300 synthetic documents: every page with the term is found; the exact group holds only pages
    with the phrase. Through the JS API the search page uses (ids mapped to pages from the index)."""
    urls = fragment_urls(synthetic_site / "pagefind")
    texts = indexed_texts(synthetic_site)
    page = browser.new_page()
    with serve(synthetic_site) as base:
        page.goto(f"{base}search/index.html")
        for query in SYNTHETIC_QUERIES + [amount_on_a_page(synthetic_site)]:
            expected = truth(texts, query)
            assert expected, query
            exact_ids, word_ids = page.evaluate("""async (q) => {
                const pf = await import(new URL('../pagefind/pagefind.js', location.href).href);
                const ids = (s) => s.results.map(r => r.id);
                q = q.replace(/(\\d),(?=\\d{3})/g, '$1');                // as the search page does
                return [ids(await pf.search('"' + q + '"')), ids(await pf.search(q))];
            }""", query)
            exact = {urls[i] for i in exact_ids}
            missing = expected - exact - {urls[i] for i in word_ids}
            assert not missing, f"{query}: {len(missing)} of {len(expected)} pages not found"
            # pages with the phrase come first; a few can fall into the second group where Chinese
            # segmentation differs (全县城乡居民 → 县城): docs/search.md
            assert exact <= expected, f"{query}: a page in the exact group lacks the phrase"
    page.close()


# ---- ranking: tests/fixtures/search-ranking.yaml (docs/search.md, "Ranking") ----

def first_results(page, base: str, cases: list[tuple[str, str]]) -> list[tuple[str, str, str]]:
    """(query, the document that must come first, the one that does) for each case."""
    found = []
    for query, first in cases:
        every, some = search_ui(page, base, query)
        found.append((query, first, (every + some + [""])[0]))
    return found


def test_ranking_on_the_example(browser, example_out, served):
    """The right document first for every one of the 30 citizen queries (28 on 91ede0d: 自评得分 put
    the 决算, whose forms each have a 自评得分, before the self-evaluation report whose headline figure
    it is; 上年结转 the 决算 before the 预算 that defines it; 15 of the first 24 on 474fa99), the
    queries the issue names and the glossary terms among them."""
    page = browser.new_page()
    found = first_results(page, served, ranking_cases(example_out, "example"))
    page.close()
    wrong = [(query, got) for query, first, got in found if got != first]
    assert len(found) == 30 and not wrong, wrong


def test_the_first_result_opens_at_its_section(browser, served):
    """Where it matters (``section`` in search-ranking.yaml), the first result links to the heading
    of the section where the query is the subject (三公经费 → the 三公 table, not the page's top),
    says so (位置：…), and following it scrolls the page there."""
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    for query, first, headings in section_cases():
        search_ui(page, served, query)
        link = page.locator("#search-results li h3 a").first
        path, _, anchor = link.get_attribute("href").partition("#")
        assert path.endswith(first) and anchor, (query, path, anchor)
        shown = page.locator("#search-results li").first.locator(".result-section").inner_text()
        with page.expect_navigation():
            link.click()
        target = page.locator(f"[id='{anchor}']")
        assert target.count() == 1 and target.inner_text().strip() in headings, (query, anchor)
        assert shown == f"位置：{target.inner_text().strip()}"
        top = target.evaluate("e => e.getBoundingClientRect().top")
        assert -2 <= top < 800, (query, anchor, top)                # the page opened there (sub-pixel)
    page.close()


def test_ranking_on_a_synthetic_portal(browser, synthetic_site):
    """A department's name and a subject (“白河县（合成42）教育局 三公经费”) or a made-up project:
    23 of the 24 queries get the department's right document first (13 on 91ede0d, where the
    name, in every caption of the 决算 and the 预算, outweighed the subject; 5 on 474fa99), and
    every one of them a document of that department."""
    cases = ranking_cases(synthetic_site, "synthetic")
    page = browser.new_page()
    with serve(synthetic_site) as base:
        found = first_results(page, base, cases)
    page.close()
    right = sum(got == first for _, first, got in found)
    assert right >= len(found) - 2, found
    assert all(got.split("/")[0] == first.split("/")[0] for query, first, got in found if "项目" not in query), found


def test_words_and_quotes_in_the_status_line(browser, served):
    """“完整” no longer means the string with its spaces: a page with all three words is labelled
    so; a query pasted with its quotation marks is shown with inner ones, not doubled."""
    page = browser.new_page()
    every, some = search_ui(page, served, "汾阳 医保 决算")
    assert (every, some) == (["fenyang-ybj/2024/final-accounts/"], [])
    assert page.locator("#results-all").inner_text() == "包含全部词语的页面（1）"
    assert "其中 1 份包含“汾阳 医保 决算”的全部词语" in page.locator("#search-status").inner_text()
    every, some = search_ui(page, served, "“三公”经费")
    assert every[0] == "fenyang-ybj/2024/final-accounts/" and len(every) == 3
    status = page.locator("#search-status").inner_text()
    assert "“‘三公’经费”" in status and "““" not in status, status
    page.close()


def test_excerpts_start_at_a_word(browser, served):
    """Pagefind cuts the excerpt anywhere: never at a comma or a closing mark (“，部门本年度…”)."""
    page = browser.new_page()
    starts = []
    for query in ("三公经费", "结转结余率", "得分", "医疗救助", "政府采购"):
        search_ui(page, served, query)
        starts += [excerpt[:1] for _, excerpt in shown_results(page)]
    page.close()
    assert starts and not [c for c in starts if c in "，。、；：！？,.;:!?）)》」』】”’ "], starts


def amount_on_a_page(out: Path) -> str:
    """A made-up amount written with a thousands comma on one synthetic page."""
    text = indexed_text(next(out.rglob("final-accounts/index.html")))
    return re.search(r"资金(\d{1,3}(?:,\d{3})+\.\d\d)万元", text).group(1)


def test_without_pagefind_the_build_says_how_to_get_it(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from site_builder.cli import main

    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("last good site", encoding="utf-8")
    monkeypatch.setenv("PAGEFIND_BINARY_PATH", str(tmp_path / "no-such-pagefind"))
    result = CliRunner().invoke(main, ["build", str(REPO / "content"), "--out", str(out)])
    assert result.exit_code == 1
    assert "找不到 Pagefind" in result.output and "npm ci" in result.output and "--no-search" in result.output
    assert (out / "keep.txt").read_text(encoding="utf-8") == "last good site"     # the old output stays
    assert CliRunner().invoke(main, ["build", str(REPO / "content"), "--out", str(out), "--no-search"]).exit_code == 0


def test_a_portal_indexed_in_shards_is_searched_as_one(browser, tmp_path):
    """--search-shard-size 1: each department its own Pagefind run, merged by the search page;
    each run's fragments renamed short, no name twice across the shards."""
    out = tmp_path / "out"
    result = build(Path(__file__).resolve().parent.parent / "content", out, search_shard_size=1)
    assert result.search.shards == 3 and result.search.pages == 3
    assert sorted(p.name for p in (out / "pagefind").glob("shard-*")) == ["shard-2", "shard-3"]
    names = [name for bundle in [out / "pagefind", *sorted((out / "pagefind").glob("shard-*"))]
             for name in bundle_fragment_names(bundle)]
    assert len(names) == 3 and len(set(names)) == 3, names
    assert len({name[:PREFIX_LENGTH] for name in names}) == 3                  # a prefix per shard
    assert all(re.fullmatch(rf"[0-9a-z]{{{PREFIX_LENGTH}}}0", name) for name in names), names
    with serve(out) as base:
        page = browser.new_page()
        for query in ("公务用车", "16796.36", "医保档案规范化整理经费"):
            exact, other = search_ui(page, base, query)
            assert truth(indexed_texts(out), query) <= set(exact) | set(other), query
            assert all(excerpt for _, excerpt in shown_results(page)), query
        exact, other = search_ui(page, base, "医疗", department="高邑县医疗保障局")
        assert set(exact) | set(other) == {"gaoyi-ybj/2021/performance/"}
        page.close()


def test_shards_are_as_few_as_the_size_allows_and_about_equal():
    from site_builder.search import plan_shards

    departments = [(f"d{i:04d}", 3) for i in range(1667)]          # 5,001 pages
    shards = plan_shards(departments, 2500)
    assert len(shards) == 3                                          # 2,500 + 2,500 would leave one page over
    assert [3 * len(s) for s in shards] == [1668, 1665, 1668]       # not 2,500 + 2,500 + 1
    assert sum(shards, []) == [name for name, _ in departments]     # every department once, in order
    assert len(plan_shards(departments[:-1], 2500)) == 2             # 4,998 pages: two runs
    assert plan_shards([("a", 1), ("b", 1), ("c", 1)], 1) == [["a"], ["b"], ["c"]]
    assert plan_shards([("a", 7)], 2) == [["a"]]                     # a department is never split


def test_hundreds_of_departments_get_a_suggestion_box_not_a_huge_list():
    import dataclasses

    import lxml.html

    from site_builder.content import load_portal
    from site_builder.render import Renderer

    portal = load_portal(REPO / "content")
    template = portal.departments[0]
    portal.departments += [dataclasses.replace(template, slug=f"dept-{i}", name=f"部门{i}", documents=[])
                           for i in range(100)]
    page = lxml.html.fromstring(Renderer(portal, "").search())
    box = page.get_element_by_id("f-department")
    assert box.tag == "input" and box.get("list") == "department-names"
    assert page.cssselect('label[for="f-department"]')[0].text_content() == "部门"
    # the page stays small; the glossary it carries for the 名词解释 box (8.9 KB here) is counted apart
    html = Renderer(load_portal(REPO / "content"), "").search()
    glossary = re.search(r'<script type="application/json" id="glossary-terms">(.*?)</script>', html, re.S).group(1)
    assert len(html) - len(glossary) < 10_000 and len(glossary.encode("utf-8")) < 12_000


def test_another_pagefind_version_is_named_in_a_warning(tmp_path, monkeypatch):
    """A Pagefind other than the measured 1.6.0 (say, an older one on PATH) still builds, with a warning."""
    from click.testing import CliRunner

    from site_builder.cli import main
    from site_builder.search import find_pagefind

    real = find_pagefind()
    fake = tmp_path / "pagefind_extended"
    fake.write_text(f'#!/bin/sh\nif [ "$1" = "--version" ]; then echo "pagefind 1.5.2"; exit 0; fi\nexec "{real}" "$@"\n')
    fake.chmod(0o755)
    monkeypatch.setenv("PAGEFIND_BINARY_PATH", str(fake))
    result = CliRunner().invoke(main, ["build", str(REPO / "content"), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "Pagefind 为 1.5.2" in result.output and "1.6.0" in result.output


# ---- short fragment names (site_builder.search_bundle.shorten_fragment_names) ----

def shown_results(page) -> list[tuple[str, str]]:
    """(link, excerpt text) of every result on the search page, in order."""
    return [tuple(pair) for pair in page.eval_on_selector_all("#search-results li", """items => items.map(li =>
        [li.querySelector('a').getAttribute('href'), li.querySelector('.excerpt').textContent])""")]


def bundle_fragment_names(bundle: Path) -> list[str]:
    """The fragment names a bundle's metadata lists, found as pagefind.js finds them (entry → meta),
    checked against the fragment files on disk."""
    entry = json.loads((bundle / "pagefind-entry.json").read_text(encoding="utf-8"))
    assert entry["version"] == PAGEFIND_VERSION
    metas = [bundle / f"pagefind.{language['hash']}.pf_meta" for language in entry["languages"].values()]
    assert sorted(metas) == sorted(bundle.glob("*.pf_meta"))           # no metadata left behind
    names = [page[0] for meta in metas for page in read_metadata(meta.read_bytes())[1]]
    assert sorted(names) == sorted(f.stem for f in bundle.glob("fragment/*.pf_fragment"))
    return names


@pytest.fixture(scope="module")
def raw_bundle(example_out, tmp_path_factory):
    """The example's index as Pagefind writes it (compact=False: no anchors dropped, no renaming)."""
    bundle = tmp_path_factory.mktemp("raw") / "pagefind"
    index_site(example_out, bundle=bundle, compact=False)
    return bundle


def test_cbor_codec_matches_the_standard_and_refuses_what_pagefind_does_not_write():
    examples = {  # RFC 8949, appendix A
        "00": 0, "17": 23, "1818": 24, "1864": 100, "1903e8": 1000, "1a000f4240": 1000000,
        "1b000000e8d4a51000": 1000000000000, "20": -1, "3863": -100, "3903e7": -1000, "40": b"",
        "4401020304": b"\x01\x02\x03\x04", "60": "", "6161": "a", "6449455446": "IETF", "63e6b0b4": "水",
        "80": [], "83010203": [1, 2, 3], "8301820203820405": [1, [2, 3], [4, 5]], "a0": {},
        "a201020304": {1: 2, 3: 4}, "a26161016162820203": {"a": 1, "b": [2, 3]},
        "98190102030405060708090a0b0c0d0e0f101112131415161718181819": list(range(1, 26)),
    }
    for hexadecimal, value in examples.items():
        assert cbor_decode(bytes.fromhex(hexadecimal)) == value, hexadecimal
        assert cbor_encode(value).hex() == hexadecimal, hexadecimal
    for hexadecimal in ("f97e00", "f5", "f6", "c074323031332d30332d32315432303a30343a30305a", "9f01ff",
                        "7f6161ff", "1c", "0000", "18", "62e6", "8201", "62c328"):
        with pytest.raises(CborError):
            cbor_decode(bytes.fromhex(hexadecimal))


def test_metadata_codec_round_trips_pagefinds_bytes(raw_bundle, synthetic_site):
    """Decoding then encoding gives Pagefind's metadata back byte for byte: the example's as
    Pagefind wrote it, and a renamed one of 300 synthetic pages (word counts, index chunks,
    filters of every size)."""
    for packed in (next(raw_bundle.glob("*.pf_meta")).read_bytes(),
                   next((synthetic_site / "pagefind").glob("*.pf_meta")).read_bytes()):
        meta = read_metadata(packed)
        assert SIGNATURE + cbor_encode(meta) == gzip.decompress(packed)
        assert gzip.decompress(write_metadata(meta)) == gzip.decompress(packed)
        assert meta[0] == PAGEFIND_VERSION
    assert len(bundle_fragment_names(synthetic_site / "pagefind")) == 300


def test_fragments_renamed_and_nothing_else_changed(raw_bundle, tmp_path):
    bundle = tmp_path / "pagefind"
    shutil.copytree(raw_bundle, bundle)
    old_meta = read_metadata(next(bundle.glob("*.pf_meta")).read_bytes())
    contents = {f.stem: f.read_bytes() for f in bundle.glob("fragment/*.pf_fragment")}
    others = snapshot(bundle, lambda p: "fragment" not in p.parts and p.suffix not in (".pf_meta", ".json"))
    taken = {"zzz"}
    assert shorten_fragment_names(bundle, taken) is True
    names = bundle_fragment_names(bundle)
    assert len(taken) == 2 and names[0][:PREFIX_LENGTH] in taken and "zzz" not in names[0]
    new_meta = read_metadata(next(bundle.glob("*.pf_meta")).read_bytes())
    assert [page[1:] for page in new_meta[1]] == [page[1:] for page in old_meta[1]]
    assert new_meta[0] == old_meta[0] and new_meta[2:] == old_meta[2:]
    assert [contents[old[0]] for old in old_meta[1]] == [
        (bundle / "fragment" / f"{name}.pf_fragment").read_bytes() for name in names]
    assert snapshot(bundle, lambda p: "fragment" not in p.parts and p.suffix not in (".pf_meta", ".json")) == others
    again = tmp_path / "again"
    shutil.copytree(raw_bundle, again)
    shorten_fragment_names(again, {"zzz"})
    assert snapshot(again) == snapshot(bundle)        # the same pages get the same names and bytes


def snapshot(folder: Path, keep=lambda path: True) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file() and keep(p)}


def _spoil(bundle: Path, how: str) -> None:
    meta_path = next(bundle.glob("*.pf_meta"))
    data = gzip.decompress(meta_path.read_bytes())
    meta = read_metadata(meta_path.read_bytes())
    if how == "signature":
        meta_path.write_bytes(gzip.compress(b"pagefind_xyz" + data[len(SIGNATURE):]))
    elif how == "longer CBOR head":     # the same values, but it would not re-encode to these bytes
        assert data[len(SIGNATURE)] == 0x80 | len(meta)
        meta_path.write_bytes(gzip.compress(SIGNATURE + bytes([0x98, len(meta)]) + data[len(SIGNATURE) + 1:]))
    elif how == "not gzip":
        meta_path.write_bytes(data)
    elif how in ("meta version", "fragment group", "page shape"):
        if how == "meta version":
            meta[0] = "1.7.0"
        elif how == "fragment group":
            meta[1][0][2] = meta[1][0][0]
        else:
            meta[1][0].append(0)
        meta_path.write_bytes(write_metadata(meta))
    elif how == "entry version":
        entry = bundle / "pagefind-entry.json"
        entry.write_text(entry.read_text(encoding="utf-8").replace(PAGEFIND_VERSION, "1.5.2"), encoding="utf-8")
    elif how == "fragment not listed":
        shutil.copy(next(bundle.glob("fragment/*")), bundle / "fragment" / "zh-cn_0000000.pf_fragment")
    elif how == "fragment missing":
        next(bundle.glob("fragment/*")).unlink()
    elif how == "no entry":
        (bundle / "pagefind-entry.json").unlink()


@pytest.mark.parametrize("how", ["signature", "longer CBOR head", "not gzip", "meta version", "fragment group",
                                 "page shape", "entry version", "fragment not listed", "fragment missing", "no entry"])
def test_a_bundle_not_as_pagefind_writes_it_is_left_alone(raw_bundle, tmp_path, how):
    bundle = tmp_path / "pagefind"
    shutil.copytree(raw_bundle, bundle)
    _spoil(bundle, how)
    before = snapshot(bundle)
    assert shorten_fragment_names(bundle) is False
    assert snapshot(bundle) == before


def test_a_failed_rename_is_put_back(raw_bundle, tmp_path, monkeypatch):
    import site_builder.search as search

    bundle = tmp_path / "pagefind"
    shutil.copytree(raw_bundle, bundle)
    before = snapshot(bundle)
    real = search.os.replace

    def failing_replace(source, target):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(search.os, "replace", failing_replace)
    assert shorten_fragment_names(bundle) is False
    monkeypatch.setattr(search.os, "replace", real)
    assert snapshot(bundle) == before


def test_renamed_fragments_find_what_pagefinds_names_found(browser, tmp_path, monkeypatch):
    """The example in three shards, built with and without the renaming: every query lists the
    same pages in the same order with the same excerpts."""
    import site_builder.search as search

    renamed, plain = tmp_path / "renamed", tmp_path / "plain"
    build(REPO / "content", renamed, search_shard_size=1)
    monkeypatch.setattr(search, "shorten_fragment_names", lambda bundle, taken=None: False)
    build(REPO / "content", plain, search_shard_size=1)
    assert all("_" not in name for name in bundle_fragment_names(renamed / "pagefind"))
    assert all(name.startswith("zh-cn_") for name in bundle_fragment_names(plain / "pagefind"))
    page = browser.new_page()
    with serve(renamed) as renamed_base, serve(plain) as plain_base:
        for query in ("公务用车", "医疗", "三公", "16796.36", "医保档案规范化整理经费", "不存在的词语甲乙丙"):
            found = search_ui(page, renamed_base, query), shown_results(page)
            assert found == (search_ui(page, plain_base, query), shown_results(page)), query
            assert all(excerpt for _, excerpt in found[1]), query
        search_ui(page, renamed_base, "医疗")
        assert len(shown_results(page)) == 3
        assert page.locator("#search-results li .excerpt mark").count() >= 3     # the matched words highlighted
    page.close()
