"""The pages in a real headless Chromium: accessibility (axe-core), phone width, print.

Needs Debian's chromium (/usr/bin/chromium), pip playwright and npm axe-core (`npm ci`);
.ci/run installs all three. Outside CI the tests skip when one is missing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import AXE

PAGES = ["index.html", "fenyang-ybj/index.html", "fenyang-ybj/2024/index.html",
         "fenyang-ybj/2024/final-accounts/index.html"]


def all_pages(out: Path) -> list[str]:
    """Every HTML page of the built example portal."""
    return sorted(p.relative_to(out).as_posix() for p in out.rglob("*.html"))


@pytest.mark.parametrize("width", [1280, 360])
def test_no_accessibility_violations(browser, example_out, width):
    page = browser.new_page(viewport={"width": width, "height": 800})
    pages = all_pages(example_out)
    assert len(pages) >= 10
    for rel in pages:
        page.goto((example_out / rel).as_uri())
        page.add_script_tag(path=str(AXE))
        violations = page.evaluate("""async () => (await axe.run(document, {
            runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']})).violations
            .map(v => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', ')}`)""")
        assert violations == [], rel
    page.close()


def test_phone_width_scrolls_tables_not_the_page(browser, example_out):
    page = browser.new_page(viewport={"width": 360, "height": 740})
    for rel in all_pages(example_out):
        page.goto((example_out / rel).as_uri())
        assert page.evaluate("document.documentElement.scrollWidth") <= 360, rel
    page.goto((example_out / PAGES[3]).as_uri())
    box = page.locator("#table-06 .table-scroll")
    assert box.evaluate("el => el.scrollWidth > el.clientWidth")  # the wide table scrolls inside its box
    assert box.evaluate("el => getComputedStyle(el).overflowX") == "auto"
    page.close()


def test_print_hides_navigation_and_keeps_tables(browser, example_out):
    page = browser.new_page(viewport={"width": 1024, "height": 800})
    page.goto((example_out / PAGES[3]).as_uri())
    page.emulate_media(media="print")
    assert page.locator(".site-header").evaluate("el => getComputedStyle(el).display") == "none"
    assert page.locator(".toc").evaluate("el => getComputedStyle(el).display") == "none"
    assert page.locator("#table-03 table").is_visible()
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF") and len(pdf) > 10_000
    page.close()
