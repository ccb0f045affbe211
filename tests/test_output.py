"""Output properties: deterministic, relative links only, no other host, atomic replacement."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import lxml.html
import pytest
from click.testing import CliRunner

from conftest import EXAMPLE
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
        if path.is_file() and "pagefind" not in path.relative_to(example_out).parts:
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


def test_build_replaces_stale_files(content_copy, tmp_path):
    out = tmp_path / "output"
    out.mkdir()
    (out / "stale.html").write_text("old", encoding="utf-8")
    build(content_copy, out, base_url="")
    assert not (out / "stale.html").exists() and (out / "index.html").exists()


@pytest.mark.parametrize("page", ["index.html", "fenyang-ybj/index.html", "fenyang-ybj/2024/index.html",
                                  "fenyang-ybj/2024/final-accounts/index.html"])
def test_pages_need_no_javascript(example_out, page):
    text = (example_out / page).read_text(encoding="utf-8")
    assert "<script" not in text
    assert '<html lang="zh-CN">' in text
