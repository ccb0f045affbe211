"""Output properties: deterministic, relative links only, no other host, atomic replacement."""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from urllib.parse import urlsplit

import lxml.html
import pytest
from click.testing import CliRunner

from conftest import EXAMPLE
from synthetic import generate  # tests/synthetic.py: made-up data
from site_builder.build import build
from site_builder.cli import main


def tree_bytes(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_two_builds_are_byte_identical(tmp_path):
    build(EXAMPLE, tmp_path / "a", base_url="https://example.gov.cn/yjsgk/")
    build(EXAMPLE, tmp_path / "b", base_url="https://example.gov.cn/yjsgk/")
    a, b = tree_bytes(tmp_path / "a"), tree_bytes(tmp_path / "b")
    assert a.keys() == b.keys() and len(a) > 5
    assert [name for name in a if a[name] != b[name]] == []


def test_every_link_resolves_inside_the_output(example_out):
    """Served under any sub-path, every href/src must stay inside the output folder."""
    checked = 0
    for page in example_out.rglob("*.html"):
        doc = lxml.html.parse(str(page)).getroot()
        for element, _attribute, link, _ in doc.iterlinks():
            if element.tag == "link" and element.get("rel") == "canonical":
                continue
            parts = urlsplit(link)
            assert not parts.scheme and not parts.netloc, f"{page}: absolute URL {link}"
            assert not link.startswith("/"), f"{page}: root-relative URL {link}"
            if not parts.path:
                target_id = parts.fragment
                assert doc.get_element_by_id(target_id) is not None, f"{page}: missing #{target_id}"
                continue
            target = (page.parent / parts.path).resolve()
            assert target.is_relative_to(example_out.resolve()), f"{page}: {link} leaves the site"
            assert target.exists(), f"{page}: {link} does not exist"
            checked += 1
    assert checked > 20


def test_no_other_host_is_named_in_any_file(example_out):
    """Our own files name no other host (an XML namespace is a name, never fetched). Pagefind's
    bundle is checked where it matters, in the browser: test_search records every request."""
    for path in example_out.rglob("*"):
        if path.suffix == ".xlsx":   # OOXML names its schemas by URL; a link out would be an External target
            with zipfile.ZipFile(path) as book:
                assert not any(b'TargetMode="External"' in book.read(name) for name in book.namelist()), path
        elif path.is_file() and "pagefind" not in path.relative_to(example_out).parts:
            text = path.read_text(encoding="utf-8").replace('xmlns="http://www.w3.org/2000/svg"', "")
            assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", text, re.I), path


def test_base_url_only_feeds_canonical_and_sitemap(tmp_path):
    out = tmp_path / "out"
    build(EXAMPLE, out, base_url="https://example.gov.cn/yjsgk")
    page = lxml.html.parse(str(out / "fenyang-ybj/2024/final-accounts/index.html")).getroot()
    assert page.cssselect('link[rel="canonical"]')[0].get("href") == \
        "https://example.gov.cn/yjsgk/fenyang-ybj/2024/final-accounts/"
    assert "<loc>https://example.gov.cn/yjsgk/fenyang-ybj/2024/final-accounts/</loc>" in \
        (out / "sitemap.xml").read_text(encoding="utf-8")
    for path in out.rglob("*.html"):
        for href in re.findall(r'(?:href|src)="([^"]+)"', path.read_text(encoding="utf-8")):
            assert "example.gov.cn" not in href or 'rel="canonical"' in path.read_text(encoding="utf-8")


def test_failed_build_keeps_the_previous_output(content_copy, tmp_path):
    out = tmp_path / "output"
    build(content_copy, out, base_url="")
    before = tree_bytes(out)
    csv = content_copy / "departments/fenyang-ybj/2024/final-accounts/tables/03.csv"
    csv.write_text(csv.read_text(encoding="utf-8").replace("612.10", "六百"), encoding="utf-8")
    result = CliRunner().invoke(main, ["build", str(content_copy), "--out", str(out)])
    assert result.exit_code == 1
    assert tree_bytes(out) == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".output")] == [".output.cache"]  # no staging left


def test_a_build_killed_halfway_leaves_the_previous_output_and_no_staging_folder(tmp_path):
    """SIGTERM (``kill``, a scheduler's timeout) ends a build as Ctrl-C does."""
    content, out = tmp_path / "content", tmp_path / "output"
    generate(content, documents=30, seed=2)                 # synthetic: long enough a build to stop
    command = [sys.executable, "-m", "site_builder.cli", "build", str(content), "--out", str(out), "--no-search", "-q"]
    subprocess.run(command, check=True)
    before = tree_bytes(out)
    build_ = subprocess.Popen(command + ["--base-url", "https://example.gov.cn/yjsgk"])   # every page changes
    deadline = time.monotonic() + 60
    while not any(p.is_file() for staging in tmp_path.glob(".output.building-*") for p in staging.rglob("*")):
        assert build_.poll() is None and time.monotonic() < deadline, "the build ended before anything was staged"
        time.sleep(0.02)
    build_.send_signal(signal.SIGTERM)                    # pages are being staged now
    assert build_.wait(timeout=60) == 128 + signal.SIGTERM
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".output")] == [".output.cache"]
    assert tree_bytes(out) == before


def sigterm_in_worker(slug: str) -> tuple[str, object]:
    return slug, signal.getsignal(signal.SIGTERM)


def a_python_handler(signum, frame) -> None:
    pass


def test_build_workers_take_back_the_default_sigterm(monkeypatch, tmp_path):
    """The command's SIGTERM handler is for the main process. Pool.terminate ends the workers with
    SIGTERM while holding its queue's lock; a worker that had inherited the Python handler and
    got the signal just before blocking on that lock never ran it, and a build hung."""
    from site_builder import workers as build_module

    monkeypatch.setattr(build_module, "build_department", sigterm_in_worker)
    job = build_module.Job(tmp_path, tmp_path / "out", tmp_path / "staging", None, {}, "", {"a": None}, 0, False)
    previous = signal.signal(signal.SIGTERM, a_python_handler)     # as the command installs one
    try:
        found = build_module.run_departments(job, ["a", "b", "c", "d"], 2, None)
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert sorted(found) == [(slug, signal.SIG_DFL) for slug in "abcd"]


def test_build_replaces_stale_files(content_copy, tmp_path):
    out = tmp_path / "output"
    out.mkdir()
    (out / "stale.html").write_text("old", encoding="utf-8")
    build(content_copy, out, base_url="")
    assert not (out / "stale.html").exists() and (out / "index.html").exists()


@pytest.mark.parametrize("page", ["index.html", "fenyang-ybj/index.html", "fenyang-ybj/2024/index.html",
                                  "fenyang-ybj/2024/final-accounts/index.html"])
def test_pages_need_no_javascript(example_out, page):
    """The one script, display.js, only adds the display-mode buttons (hidden without it); no
    inline script (a later Content-Security-Policy forbids them)."""
    text = (example_out / page).read_text(encoding="utf-8")
    root = "../" * page.count("/")
    scripts = re.findall(r"<script[^>]*>", text)
    assert len(scripts) == 1 and re.fullmatch(rf'<script src="{re.escape(root)}assets/display\.[0-9a-f]{{10}}\.js">', scripts[0])
    assert '<html lang="zh-CN">' in text


ATOM = "{http://www.w3.org/2005/Atom}"


def test_feed_robots_and_404_with_a_base_url(tmp_path):
    from lxml import etree

    out = tmp_path / "out"
    build(EXAMPLE, out, base_url="https://example.gov.cn/yjsgk/", search=False)
    feed = etree.parse(str(out / "feed.xml")).getroot()
    assert feed.tag == f"{ATOM}feed" and feed.findtext(f"{ATOM}updated") == "2022-05-19T00:00:00+08:00"
    entries = feed.findall(f"{ATOM}entry")
    # only the disclosure whose document.yaml gives its publication date (gaoyi: 2022-05-19)
    assert [e.findtext(f"{ATOM}id") for e in entries] == ["https://example.gov.cn/yjsgk/gaoyi-ybj/2021/performance/"]
    assert entries[0].findtext(f"{ATOM}title") == "高邑县医疗保障局部门2021年度整体支出绩效自评报告"
    assert entries[0].find(f"{ATOM}link").get("href") == "https://example.gov.cn/yjsgk/gaoyi-ybj/2021/performance/"
    assert (out / "robots.txt").read_text(encoding="utf-8") == \
        "User-agent: *\nAllow: /\nSitemap: https://example.gov.cn/yjsgk/sitemap.xml\n"
    page = lxml.html.parse(str(out / "fenyang-ybj/2024/final-accounts/index.html")).getroot()
    assert page.cssselect('link[rel="alternate"][type="application/atom+xml"]')[0].get("href") == "../../../feed.xml"
    missing = lxml.html.parse(str(out / "404.html")).getroot()
    assert missing.cssselect("base")[0].get("href") == "/yjsgk/"       # before any other address in <head>
    assert missing.cssselect('link[rel="canonical"]') == []            # not a page of its own
    head = [e.tag for e in missing.find("head")]
    assert head.index("base") < head.index("link")
    assert {a.get("href") for a in missing.cssselect("main a")} == {"index.html", "search/index.html"}


def test_without_a_base_url_no_feed_and_a_plain_404(tmp_path):
    out = tmp_path / "out"
    build(EXAMPLE, out, base_url="", search=False)
    assert not (out / "feed.xml").exists() and not (out / "sitemap.xml").exists()
    assert (out / "robots.txt").read_text(encoding="utf-8") == "User-agent: *\nAllow: /\n"
    missing = lxml.html.parse(str(out / "404.html")).getroot()
    assert missing.cssselect("base") == [] and missing.findtext(".//h1") == "页面不存在"
    assert not lxml.html.parse(str(out / "index.html")).getroot().cssselect('link[type="application/atom+xml"]')


def test_the_404_page_works_at_any_depth_under_the_sub_path(browser, tmp_path):
    """A web server shows 404.html for a missing /portal/a/b/c: its styles and links still work."""
    from conftest import serve

    out = tmp_path / "out"
    build(EXAMPLE, out, base_url="https://example.gov.cn/portal/", search=False)
    deep = out / "a/b/c"
    deep.mkdir(parents=True)
    shutil.copy(out / "404.html", deep / "missing.html")        # what the server sends for /portal/a/b/c/missing
    with serve(out, prefix="/portal/") as base:
        page = browser.new_page()
        page.goto(base + "a/b/c/missing.html")
        assert page.evaluate("document.styleSheets.length && document.styleSheets[0].cssRules.length") > 0
        home = page.locator("main a").first
        assert home.evaluate("a => new URL(a.href).pathname") == "/portal/index.html"
        home.click()
        page.wait_for_url("**/portal/index.html")
        assert page.locator("h1").inner_text() == "预决算公开示例门户"
        page.close()


def test_year_pages_compare_every_department_and_sort_without_javascript(example_out):
    home = lxml.html.parse(str(example_out / "index.html")).getroot()
    assert [a.get("href") for a in home.cssselect(".years-nav a")] == \
        ["years/2024/index.html", "years/2023/index.html", "years/2021/index.html"]
    page = lxml.html.parse(str(example_out / "years/2024/index.html")).getroot()
    row = page.cssselect("tbody tr")[0]
    assert row.cssselect("th a")[0].text_content() == "汾阳市医疗保障局"
    final = row.cssselect('td[data-key="final"]')[0]
    assert final.text_content() == "2,262.43 万元"
    assert final.cssselect("a")[0].get("href") == "../../fenyang-ybj/2024/final-accounts/index.html"
    assert row.cssselect('td[data-key="three"]')[0].text_content() == "4.60 万元"
    assert row.cssselect('td[data-key="budget"]')[0].text_content() == "—"
    budget = lxml.html.parse(str(example_out / "years/2023/index.html")).getroot()
    assert budget.cssselect('tbody td[data-key="budget"]')[0].text_content() == "16,796.36 万元"
    scored = lxml.html.parse(str(example_out / "years/2021/by-score/index.html")).getroot()
    assert scored.cssselect('tbody td[data-key="score"]')[0].text_content() == "97 分"
    assert scored.cssselect('th[aria-sort="descending"]')[0].text_content() == "绩效自评得分 ▼"
    assert scored.cssselect("thead a")[0].get("href") == "../index.html"          # back to department order


def test_year_rows_sort_largest_first_with_blanks_last():
    from decimal import Decimal

    from site_builder.model import Portal
    from site_builder.profiles import load_profiles
    from site_builder.headlines import year_rows
    from site_builder.records import DocumentSummary, Figure, Summary
    from site_builder.summary import department_from_summary

    profiles = load_profiles()

    def dept(slug, budget, final):
        documents = []
        for kind, profile, value in (("budget", "budget-13", budget), ("final-accounts", "final-accounts-10", final)):
            if value is not None:
                figure = Figure("总计", value, "万元", "total_expenditure", Decimal(value.replace(",", "")))
                documents.append(DocumentSummary(2024, kind, profile, slug, None, (), (figure,)))
        return department_from_summary(Summary(slug, slug, None, None, None, (), tuple(documents)),
                                       EXAMPLE / "departments", profiles)

    portal = Portal(None, EXAMPLE, [dept("a", "100.00", "90.00"), dept("b", "1,000.00", "999.00"),
                                    dept("c", None, "5.00"), dept("d", "50.00", "60.00")])
    order = lambda sort: [r["dept"].slug for r in year_rows(portal, 2024, sort)]  # noqa: E731
    assert order(None) == ["a", "b", "c", "d"]
    assert order("final") == ["b", "a", "d", "c"]
    assert order("budget") == ["b", "a", "d", "c"]                    # c has no budget: last
    assert order("rate") == ["d", "b", "a", "c"]                      # 120%, 99.9%, 90%, none
    assert [r["cells"]["rate"]["text"] for r in year_rows(portal, 2024, "rate")[:3]] == ["120.00%", "99.90%", "90.00%"]


def test_source_date_epoch_is_the_date_written_where_the_content_gives_none(content_copy, tmp_path, monkeypatch):
    """Reproducible builds: the only dates a build writes come from the content (published) or
    from SOURCE_DATE_EPOCH; two builds a second apart, from different folders, are identical."""
    import openpyxl

    from site_builder.errors import SiteBuilderError

    for yaml_path in content_copy.glob("departments/*/*/*/document.yaml"):
        text = yaml_path.read_text(encoding="utf-8")
        yaml_path.write_text(re.sub(r"(?m)^published:.*\n", "", text), encoding="utf-8")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1735689600")            # 2025-01-01T00:00:00Z
    build(content_copy, tmp_path / "a", base_url="https://example.gov.cn/yjsgk/", search=False)
    book = openpyxl.load_workbook(tmp_path / "a/fenyang-ybj/2024/final-accounts/tables.xlsx")
    assert book.properties.created.strftime("%Y-%m-%d") == "2025-01-01"
    assert "<updated>2025-01-01T00:00:00+08:00</updated>" in (tmp_path / "a/feed.xml").read_text(encoding="utf-8")
    time.sleep(1.1)
    copy = tmp_path / "elsewhere"
    shutil.copytree(content_copy, copy)
    build(copy, tmp_path / "b", base_url="https://example.gov.cn/yjsgk/", search=False)
    assert tree_bytes(tmp_path / "a") == tree_bytes(tmp_path / "b")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    with pytest.raises(SiteBuilderError, match="SOURCE_DATE_EPOCH"):
        build(content_copy, tmp_path / "c", base_url="https://example.gov.cn/yjsgk/", search=False)


def test_every_page_shows_the_government_website_footer(content_copy, tmp_path):
    """《政府网站发展指引》: 主办单位, 承办单位, 联系方式, 网站标识码, ICP备案号 (linked to the MIIT
    备案 site) and 公安机关备案号 (linked by its digits) in every page's footer; the example,
    whose code is 0000000000 (none), shows no record line at all."""
    site = content_copy / "site.yaml"
    site.write_text(site.read_text(encoding="utf-8").replace('site_id_code: "0000000000"', 'site_id_code: "1411000001"')
                    + "host: 吕梁市财政局\norganizer: 吕梁市财政局信息中心\ncontact: 0358-1234567\n"
                      "icp_record: 晋ICP备12345678号-1\npolice_record: 晋公网安备 14110202000123号\n", encoding="utf-8")
    out = tmp_path / "out"
    build(content_copy, out, search=False)
    pages = sorted(out.rglob("*.html"))
    assert len(pages) > 10
    for path in pages:
        footer = lxml.html.parse(str(path)).getroot().cssselect("footer.site-footer")[0]
        owner = [span.text_content() for span in footer.cssselect(".site-owner span")]
        assert owner == ["主办单位：吕梁市财政局", "承办单位：吕梁市财政局信息中心", "联系方式：0358-1234567"], path
        records = footer.cssselect(".site-records span")
        assert [span.text_content() for span in records] == \
            ["网站标识码：1411000001", "晋ICP备12345678号-1", "晋公网安备 14110202000123号"], path
        assert [a.get("href") for a in footer.cssselect(".site-records a")] == \
            ["https://beian.miit.gov.cn/", "https://beian.mps.gov.cn/#/query/webSearch?code=14110202000123"]
        assert not footer.cssselect("img, script"), path             # links only: nothing fetched from those hosts


def test_the_example_footer_claims_no_registration(example_out):
    footer = lxml.html.parse(str(example_out / "index.html")).getroot().cssselect("footer.site-footer")[0]
    assert not footer.cssselect(".site-records, .site-owner") and "网站标识码" not in footer.text_content()


def _not_found_script(out: Path) -> str:
    page = lxml.html.parse(str(out / "404.html")).getroot()
    return page.cssselect("head script:not([src])")[0].text


@pytest.mark.parametrize("prefix", ["/", "/portal/"])
def test_the_404_page_is_styled_where_the_site_is_not_at_its_path(browser, tmp_path, prefix):
    """Built for https://example.gov.cn/yjsgk/ (its <base> is /yjsgk/) but served at the top, as
    `python -m http.server -d output` does: /404.html still has its styles and its links lead home.
    The one inline script is allowed by its hash in the nginx sample's Content-Security-Policy."""
    import base64
    import hashlib

    from conftest import serve

    out = tmp_path / "out"
    build(EXAMPLE, out, base_url="https://example.gov.cn/yjsgk/", search=False)
    digest = base64.b64encode(hashlib.sha256(_not_found_script(out).encode("utf-8")).digest()).decode()
    sample = (Path(__file__).resolve().parent.parent / "docs/publishing.md").read_text(encoding="utf-8")
    assert f"script-src 'self' 'wasm-unsafe-eval' 'sha256-{digest}';" in sample
    with serve(out, prefix=prefix) as base:
        page = browser.new_page()
        page.goto(base + "404.html")
        assert page.evaluate("document.styleSheets.length && document.styleSheets[0].cssRules.length") > 0
        home = page.locator("main a").first
        assert home.evaluate("a => new URL(a.href).pathname") == f"{prefix}index.html"
        home.click()
        page.wait_for_url(f"**{prefix}index.html")
        assert page.locator("h1").inner_text() == "预决算公开示例门户"
        page.close()
