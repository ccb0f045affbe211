"""Search benchmark: Pagefind over synthetic portals (SYNTHETIC DATA, tests/synthetic.py).

For each size (department-year documents) it prints: index time, peak memory of the indexer,
index size on disk, the bytes the browser fetches for the first query (search page, script,
WebAssembly, index chunks, the excerpts of the first results) and for a later query on the
same page (in a portal of several shards, also for the button that searches the shards the
first answer left out), and recall on 30 domain queries (a page counts as found if the search
page lists it in either group; the exact-phrase group is reported separately).

    python benchmarks/search.py [--sizes 100 1000 5000] [--work DIR]

Needs `npm ci` (Pagefind) and Chromium (/usr/bin/chromium) with pip playwright.
"""

from __future__ import annotations

import argparse
import gzip
import os
import re
import shutil
import sys
import time
from pathlib import Path
from urllib.parse import quote

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from conftest import ARGS, CHROMIUM, serve  # noqa: E402
from synthetic import ensure  # noqa: E402
from search_truth import fragment_urls, indexed_texts  # noqa: E402

from site_builder.build import build  # noqa: E402
from site_builder.search import BUNDLE_DIR, DEFAULT_SHARD_SIZE, find_pagefind, index_site  # noqa: E402

QUERIES = ["公务用车运行维护费", "医疗救助资金", "城乡居民基本医疗保险", "参保缴费", "三公经费", "机关运行经费",
           "政府采购", "项目支出绩效自评", "乡村振兴", "义务教育", "养老服务", "困难群众救助", "住房公积金",
           "基本公共卫生服务", "高标准农田建设", "河道治理", "污染防治", "食品安全抽检", "审计整改", "统计调查",
           "公务用车", "医疗救助", "医保", "参保", "三公", "城乡居民", "项目支出", "基本支出", "财政拨款", "2262.43"]


def pressure() -> str:
    try:
        return Path("/proc/pressure/cpu").read_text().splitlines()[0]
    except OSError:
        return "n/a"


def folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def texts(site: Path) -> dict[str, str]:
    """Indexed text per page path (amounts without thousands commas), for the truth of each query."""
    return {path: re.sub(r"(?<=\d),(?=\d{3})", "", text) for path, text in indexed_texts(site).items()}


def measure_browser(site: Path, pages: dict[str, str]) -> dict[str, object]:
    from playwright.sync_api import sync_playwright

    results: dict[str, object] = {"recall": {}, "exact": {}}
    urls = fragment_urls(site / BUNDLE_DIR)
    with serve(site) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page()
        fetched: list[int] = []
        wire: list[int] = []

        def on_response(response):
            try:
                body = response.body()
            except Exception:  # redirects and aborted requests carry no body
                return
            fetched.append(len(body))
            # what a server with gzip on for text (nginx gzip / gzip_static) sends; index chunks are gzip already
            text = re.search(r"\.(html|js|css|json|pf_meta)$", response.url.split("?")[0])
            wire.append(len(gzip.compress(body, 9)) if text else len(body))

        page.on("response", on_response)
        page.goto(f"{base}search/index.html?q={quote('公务用车')}")
        page.wait_for_selector("#search-results[data-ready]", timeout=120000)
        results["first_query_bytes"] = sum(fetched)
        results["first_query_wire"] = sum(wire)
        results["first_status"] = page.locator("#search-status").inner_text()
        fetched.clear()
        wire.clear()
        page.locator("#q").fill("医疗救助资金")
        page.keyboard.press("Enter")
        page.wait_for_function("document.querySelector('#search-results').dataset.query === '医疗救助资金'"
                               " && document.querySelector('#search-results').dataset.ready", timeout=120000)
        results["later_query_bytes"] = sum(fetched)
        results["later_query_wire"] = sum(wire)
        results["later_partial"] = page.get_attribute("#search-results", "data-partial") == "1"
        fetched.clear()
        wire.clear()
        # a portal in shards answers from part of them: the button searches the rest (and merges
        # them for the recall below, which searches through the same pagefind.js)
        if page.locator("#search-results button.continue").count():
            page.locator("#search-results button.continue").click()
            page.wait_for_selector("#search-results[data-ready]:not([data-partial])", timeout=120000)
        results["rest_wire"] = sum(wire)
        page.remove_listener("response", on_response)
        for query in QUERIES:
            truth = {path for path, text in pages.items() if query in text}
            found = page.evaluate("""async (q) => {
                const pf = await import(new URL('../pagefind/pagefind.js', location.href).href);
                const ids = (s) => s.results.map(r => r.id);   // fragment ids: no fragment is fetched
                return [ids(await pf.search('"' + q + '"')), ids(await pf.search(q))];
            }""", query)
            exact = {urls[i] for i in found[0]}
            union = exact | {urls[i] for i in found[1]}
            results["recall"][query] = (len(truth & union), len(truth))
            results["exact"][query] = (len(truth & exact), len(truth))
        browser.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 5000])
    parser.add_argument("--work", type=Path, default=Path("/tmp/site-builder-search-bench"))
    parser.add_argument("--shard-size", type=int, default=DEFAULT_SHARD_SIZE)
    args = parser.parse_args()
    print(f"cpu pressure at start: {pressure()}; cpus: {os.cpu_count()}; pagefind: {find_pagefind()}")
    for size in args.sizes:
        content, out = args.work / f"content-{size}", args.work / f"out-{size}"
        ensure(content, size, seed=size)          # (a run again reuses the content and the pages)
        started = time.perf_counter()
        build(content, out, search=False)
        build_seconds = time.perf_counter() - started
        shutil.rmtree(out / BUNDLE_DIR, ignore_errors=True)     # (no shard of a run with another size left)
        html = [p for p in out.rglob("index.html") if "/search/" not in p.as_posix()]
        index = index_site(out, [(d.name, sum(1 for _ in d.glob("*/*/index.html"))) for d in sorted(out.iterdir())
                                  if d.is_dir() and d.name.startswith("synthetic-")], args.shard_size)
        seconds, peak = index.seconds, index.peak_memory
        index_bytes = folder_size(out / BUNDLE_DIR)
        pages = texts(out)
        measured = measure_browser(out, pages)
        recall = measured["recall"]
        worst = min(recall.items(), key=lambda kv: kv[1][0] / kv[1][1] if kv[1][1] else 1)
        exact = measured["exact"]
        exact_worst = min(exact.items(), key=lambda kv: kv[1][0] / kv[1][1] if kv[1][1] else 1)
        mean_page = sum(p.stat().st_size for p in html) / len(html)
        print(f"\n== {size} documents ({len(pages)} indexed pages, {len(html)} HTML files, mean {mean_page / 1024:.0f} KB;"
              f" pages built in {build_seconds:.1f} s, not part of the index figures)")
        print(f"index time           {seconds:.1f} s ({index.shards} Pagefind run(s) of at most {args.shard_size} pages)")
        print(f"indexer peak memory  {peak / 2**20:.0f} MB (the largest run)")
        print(f"index size on disk   {index_bytes / 2**20:.1f} MB")
        print(f"first query fetched  {measured['first_query_wire'] / 1024:.0f} KB with gzip on text files, "
              f"{measured['first_query_bytes'] / 1024:.0f} KB without (公务用车: page, script, wasm, index, 5 excerpts)")
        print(f"first query status   {measured['first_status']}")
        print(f"later query fetched  {measured['later_query_wire'] / 1024:.0f} KB with gzip, "
              f"{measured['later_query_bytes'] / 1024:.0f} KB without (医疗救助资金 on the same page"
              f"{', part of the shards' if measured['later_partial'] else ''})")
        print(f"the rest (button)    {measured['rest_wire'] / 1024:.0f} KB with gzip (every other shard searched)")
        full = sum(1 for found, total in recall.values() if found == total)
        print(f"recall               {full}/{len(recall)} queries at 100%; lowest {worst[0]} {worst[1][0]}/{worst[1][1]}")
        print(f"exact-phrase group   lowest {exact_worst[0]} {exact_worst[1][0]}/{exact_worst[1][1]} "
              f"(pages with the phrase listed first; the rest are in the second group)")
        print(f"cpu pressure now: {pressure()}")


if __name__ == "__main__":
    main()
