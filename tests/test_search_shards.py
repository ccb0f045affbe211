"""Shards searched when needed (docs/search.md, "Shards searched when needed"): a portal indexed in
shards of whole departments grouped by region, each listed in pagefind/shards.json with what it
holds; the search page merges a shard only when a search needs it. In Chromium, with every
request recorded: 30 synthetic documents (tests/synthetic.py: made-up data) in three shards.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote, urlencode, urlparse

import pytest

from conftest import serve
from search_truth import indexed_texts, truth
from synthetic import generate
from test_browser import axe_violations
from test_search import search_ui
from site_builder.build import build
from site_builder.search import plan_shards

SHARD_SIZE = 10     # 30 documents, ten departments of three, each in its own region: three shards


@pytest.fixture(scope="module")
def sharded(tmp_path_factory):
    root = tmp_path_factory.mktemp("sharded")
    generate(root / "content", documents=30, seed=3)
    result = build(root / "content", root / "out", search_shard_size=SHARD_SIZE)
    assert result.search.shards == 3
    return root / "out"


@pytest.fixture(scope="module")
def sharded_base(sharded):
    with serve(sharded) as base:
        yield base


def listed(out: Path) -> list[dict]:
    """What shards.json says each shard holds; its "shards" lists the further shards' folders as before."""
    listing = json.loads((out / "pagefind" / "shards.json").read_text(encoding="utf-8"))
    assert listing["shards"] == [shard["path"] for shard in listing["contents"][1:]]
    return listing["contents"]


def region_pages(out: Path, region: str) -> set[str]:
    """The pages whose region filter is ``region``, read from their heads."""
    tag = f'<meta data-pagefind-filter="region[content]" content="{region}">'
    return {page.parent.relative_to(out).as_posix() + "/" for page in out.glob("*/*/*/index.html")
            if tag in page.read_text(encoding="utf-8")}


class Requests:
    """The index files a page fetched: each shard's metadata, by the shard's folder ("" for pagefind/)."""

    def __init__(self, page, base: str):
        self.paths: list[str] = []
        root = urlparse(base).path
        page.on("request", lambda request: self.paths.append(urlparse(request.url).path.removeprefix(root)))

    def shards(self) -> set[str]:
        return {path.removeprefix("pagefind/").rpartition("pagefind.")[0] for path in self.paths
                if path.endswith(".pf_meta")}


def test_shards_hold_whole_departments_grouped_by_region_and_say_so(sharded):
    shards = listed(sharded)
    assert [s["path"] for s in shards] == ["", "shard-2/", "shard-3/"]
    assert sum(s["pages"] for s in shards) == 30 and all(s["years"] == ["2024", "2023", "2021"] for s in shards)
    regions = [region for s in shards for region in s["regions"]]
    assert len(regions) == len(set(regions)) == 10                  # each region in one shard here
    for shard in shards:
        folder = sharded / "pagefind" / shard["path"]
        pages = sum(len(region_pages(sharded, region)) for region in shard["regions"])
        assert pages == shard["pages"] == len(list(folder.glob("fragment/*.pf_fragment")))


def test_departments_are_grouped_by_region_in_the_portals_order():
    groups = [("a", 2), ("b", 2), ("c", 2), ("d", 2), ("e", 2), ("f", 2)]
    regions = {"a": "甲县", "b": "乙县", "c": "甲县", "d": "丙县", "e": "乙县", "f": "甲县"}
    assert plan_shards(groups, 6, regions) == [["a", "c", "f"], ["b", "e", "d"]]
    assert plan_shards(groups, 6) == [["a", "b", "c"], ["d", "e", "f"]]     # without regions: in order


def test_a_common_word_searches_the_first_shard_until_asked_for_the_rest(browser, sharded, sharded_base):
    """公务用车 is on every page: the first shard fills the first screen, the status says how much
    was searched, and the button searches the rest (the count grows to every page)."""
    expected = truth(indexed_texts(sharded), "公务用车")
    assert len(expected) == 30
    page = browser.new_page()
    requests = Requests(page, sharded_base)
    page.goto(f"{sharded_base}search/index.html?q={quote('公务用车')}")
    page.wait_for_selector("#search-results[data-ready]")
    assert requests.shards() == {""}
    first = listed(sharded)[0]["pages"]
    assert page.locator("#search-status").inner_text() == (
        f"找到 {first} 份公开文件，其中 {first} 份包含“公务用车”的全部词语。已搜索全站 30 份公开文件中的 {first} 份。")
    button = page.locator("#search-results button.continue")
    assert button.inner_text() == f"继续搜索其余 {30 - first} 份公开文件"
    for width in (1280, 360):                   # the partial state is as accessible as the others
        page.set_viewport_size({"width": width, "height": 800})
        assert axe_violations(page) == [], width
        assert page.evaluate("document.documentElement.scrollWidth") <= width
    button.click()
    page.wait_for_selector("#search-results[data-ready]:not([data-partial])")
    assert requests.shards() == {"", "shard-2/", "shard-3/"}
    assert page.locator("#search-status").inner_text() == "找到 30 份公开文件，其中 30 份包含“公务用车”的全部词语。"
    assert page.evaluate("document.activeElement.id") == "results-all"
    assert page.locator("#search-results button.continue").count() == 0
    requests.paths.clear()
    page.locator("#q").fill("医疗救助资金")                 # merged shards stay merged
    page.keyboard.press("Enter")
    page.wait_for_function("document.querySelector('#search-results').dataset.query === '医疗救助资金'")
    assert not [p for p in requests.paths if p.endswith((".pf_meta", "pagefind-entry.json"))]
    page.close()


def test_a_region_named_in_the_query_searches_its_shard_first(browser, sharded, sharded_base):
    """The last shard's last region, written as a reader would (石门县, not 合成市石门县): that shard
    is searched with the first, the middle one is not, and the region's pages come first."""
    region = listed(sharded)[-1]["regions"][-1]
    place = region.removeprefix("合成市")
    pages = region_pages(sharded, region)
    assert len(pages) == 3
    page = browser.new_page()
    requests = Requests(page, sharded_base)
    every, some = search_ui(page, sharded_base, f"{place} 公务用车")
    assert [path.rpartition("pagefind.")[0] for path in requests.paths if path.endswith(".pf_meta")] == [
        "pagefind/", "pagefind/shard-3/"]
    assert set(every[:3]) == pages
    assert page.get_attribute("#search-results", "data-partial") == "1"
    page.close()


def test_a_region_or_department_chosen_searches_only_the_shards_that_hold_it(browser, sharded, sharded_base):
    region = listed(sharded)[-1]["regions"][0]
    page = browser.new_page()
    requests = Requests(page, sharded_base)
    every, some = search_ui(page, sharded_base, "公务用车", region=region)
    assert requests.shards() == {"", "shard-3/"}
    assert set(every + some) == region_pages(sharded, region)
    assert page.get_attribute("#search-results", "data-partial") is None      # everything it could be in
    page.close()
    # a department (in the middle shard): the shard that holds one of its pages holds them all
    yaml = sharded.parent / "content" / "departments" / "synthetic-00005" / "department.yaml"
    name = yaml.read_text(encoding="utf-8").split("name: ")[1].splitlines()[0]
    page = browser.new_page()
    requests = Requests(page, sharded_base)
    page.goto(f"{sharded_base}search/index.html?{urlencode({'department': name}, quote_via=quote)}")
    page.wait_for_selector("#search-results[data-ready]")
    assert page.locator("#search-results li").count() == 3
    assert page.get_attribute("#search-results", "data-partial") is None
    assert requests.shards() == {"", "shard-2/"}
    page.close()


def test_the_example_in_one_shard_fetches_as_before(browser, example_out):
    """One shard (anything up to --search-shard-size pages): shards.json lists only pagefind/ itself,
    and a search fetches no other index."""
    assert [s["path"] for s in listed(example_out)] == [""]
    with serve(example_out) as base:
        page = browser.new_page()
        requests = Requests(page, base)
        every, some = search_ui(page, base, "公务用车")
        assert len(every) == 3 and requests.shards() == {""}
        assert not [p for p in requests.paths if "shard-" in p]
        assert page.get_attribute("#search-results", "data-partial") is None
        page.close()
