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
# One page of each type, for the checks that run in every display mode.
PAGE_TYPES = {"home": "index.html", "department": "fenyang-ybj/index.html",
              "department-year": "fenyang-ybj/2024/index.html",
              "final-accounts": "fenyang-ybj/2024/final-accounts/index.html",
              "budget": "lvliang-ybj/2023/budget/index.html", "performance": "gaoyi-ybj/2021/performance/index.html",
              "year": "years/2024/index.html", "year-sorted": "years/2024/by-budget/index.html",
              "glossary": "glossary/index.html", "search": "search/index.html", "404": "404.html"}
AXE_RULES = "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']"
# Every element with text of its own that is displayed, and its font size in px when below 16.
SMALL_TEXT = """() => [...document.querySelectorAll('body *')].filter(el =>
    [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim()) && el.getClientRects().length
    && !el.closest('.vh') && parseFloat(getComputedStyle(el).fontSize) < 16)
  .map(el => `${el.tagName}.${el.className} ${getComputedStyle(el).fontSize} ${el.textContent.trim().slice(0, 20)}`)"""


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
        assert axe_violations(page) == [], rel
        assert page.evaluate(SMALL_TEXT) == [], rel          # 16 px minimum, phones included
    page.close()


def axe_violations(page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    return page.evaluate(f"""async () => (await axe.run(document, {{runOnly: {AXE_RULES}}})).violations
        .map(v => `${{v.id}} (${{v.impact}}): ${{v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', ')}}`)""")


@pytest.mark.parametrize("mode", ["large", "contrast"])
def test_display_mode_persists_across_pages_without_violations(browser, example_out, mode):
    """A reader switches the mode on the home page; every later page opens in it, with no axe
    violation and no text under 16 px, on a desktop and on a phone."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})   # its own localStorage
    page = context.new_page()
    page.goto((example_out / "index.html").as_uri())
    button = page.locator(f'.display-modes button[data-mode="{mode}"]')
    assert button.get_attribute("aria-pressed") == "false"
    button.click()
    assert button.get_attribute("aria-pressed") == "true"
    assert page.evaluate(f"document.documentElement.classList.contains('mode-{mode}')")
    for width in (1280, 360):
        page.set_viewport_size({"width": width, "height": 800})
        for kind, rel in PAGE_TYPES.items():
            page.goto((example_out / rel).as_uri())
            assert page.evaluate(f"document.documentElement.classList.contains('mode-{mode}')"), rel
            assert page.locator(f'.display-modes button[data-mode="{mode}"]').get_attribute("aria-pressed") == "true"
            assert page.evaluate("document.documentElement.scrollWidth") <= width, (width, rel)
            if width == 1280 or kind in ("final-accounts", "home", "glossary"):
                assert axe_violations(page) == [], (width, rel)
            assert page.evaluate(SMALL_TEXT) == [], (width, rel)
    page.goto((example_out / "index.html").as_uri())
    page.locator(f'.display-modes button[data-mode="{mode}"]').click()       # and off again
    page.goto((example_out / PAGE_TYPES["glossary"]).as_uri())
    assert page.evaluate("document.documentElement.className") == ""
    context.close()


def test_mode_sizes_and_colours(browser, example_out):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.goto((example_out / PAGE_TYPES["final-accounts"]).as_uri())
    size = "parseFloat(getComputedStyle(document.querySelector('#part-3 .prose p')).fontSize)"
    normal = page.evaluate(size)
    page.click('.display-modes button[data-mode="large"]')
    assert page.evaluate(size) >= 20 > normal
    page.click('.display-modes button[data-mode="contrast"]')
    styles = page.evaluate("""() => { const s = getComputedStyle(document.querySelector('#part-3 .prose p'));
        const a = getComputedStyle(document.querySelector('a.term'));
        return [s.color, s.backgroundColor, a.color, a.textDecorationLine]; }""")
    assert styles == ["rgb(255, 255, 255)", "rgb(0, 0, 0)", "rgb(255, 255, 0)", "underline"]
    page.emulate_media(media="print")                  # the modes are for the screen only
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") in ("rgb(255, 255, 255)", "rgba(0, 0, 0, 0)")
    context.close()


def test_without_javascript_no_mode_buttons_and_200_percent_zoom_fits(browser, example_out):
    """No dead controls without JavaScript; at 200 % zoom of a 1280-px window (640 CSS px) no page
    scrolls sideways (wide tables scroll in their own box)."""
    context = browser.new_context(viewport={"width": 640, "height": 800}, device_scale_factor=2,
                                  java_script_enabled=False)
    page = context.new_page()
    for rel in all_pages(example_out):
        page.goto((example_out / rel).as_uri())
        assert page.locator(".display-modes").evaluate("el => getComputedStyle(el).display") == "none", rel
        assert page.evaluate("document.documentElement.scrollWidth") <= 640, rel
    context.close()


def test_keyboard_skip_link_first_then_header_search_with_visible_focus(browser, example_out):
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto((example_out / PAGE_TYPES["final-accounts"]).as_uri())
    ring = """() => { const s = getComputedStyle(document.activeElement);
        return (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2) || s.boxShadow !== 'none'; }"""
    order = []
    for _ in range(4):
        page.keyboard.press("Tab")
        order.append(page.evaluate("document.activeElement.className || document.activeElement.id"))
        assert page.evaluate(ring), order
    assert order == ["skip-link", "site-name", "header-q", ""]                 # "": the search button
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")                                               # the skip link
    page.keyboard.press("Tab")
    assert page.evaluate("!!document.activeElement.closest('main')")
    page.close()


def test_term_tooltip_on_hover_and_focus(browser, example_out):
    page = browser.new_page(viewport={"width": 360, "height": 740})
    page.goto((example_out / PAGE_TYPES["final-accounts"]).as_uri())
    link = page.locator("a.term").first
    tip = page.locator("#" + link.get_attribute("aria-describedby"))
    assert not tip.is_visible()
    link.focus()
    assert tip.is_visible() and tip.inner_text() == "指单位从同级财政部门取得的财政预算资金。"
    box, width = tip.bounding_box(), 360
    assert box["x"] >= 0 and box["x"] + box["width"] <= width
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.keyboard.press("Escape")                                             # dismissable (WCAG 1.4.13)
    assert not tip.is_visible()
    page.locator("a.term").nth(1).hover()
    assert page.locator("#" + page.locator("a.term").nth(1).get_attribute("aria-describedby")).is_visible()
    link.click()                          # defined in the page's own 名词解释: its entry there
    assert page.url.endswith("final-accounts/index.html#doc-term-fiscal-appropriation-income")
    assert page.locator("#doc-term-fiscal-appropriation-income").evaluate("el => el.matches(':target')")
    page.locator('a.term[href$="#term-fiscal-appropriation"]').click()     # not: the portal's glossary
    assert page.url.endswith("glossary/index.html#term-fiscal-appropriation")
    assert page.locator("#term-fiscal-appropriation").evaluate("el => el.matches(':target')")
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
    meta = page.locator(".print-meta")
    assert meta.is_visible() and "本页地址：fenyang-ybj/2024/final-accounts/index.html" in meta.inner_text()
    assert page.locator("thead").first.evaluate("el => getComputedStyle(el).display") == "table-header-group"
    assert page.locator("#part-3 h3").first.evaluate("el => getComputedStyle(el).breakAfter") == "avoid"
    assert not page.locator(".display-modes").is_visible()
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF") and len(pdf) > 10_000
    page.close()


def test_a_lone_card_lays_its_figures_out_in_a_row(browser, example_out):
    """A department-year page with one disclosure: its five figures in one row at 1280 px, not
    stacked in a full-width box (cards side by side stack theirs: they are narrow)."""
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto((example_out / "fenyang-ybj/2024/index.html").as_uri())
    tops = page.eval_on_selector_all(".doc-card dl.figures > div", "els => els.map(el => el.getBoundingClientRect().top)")
    assert len(tops) == 5 and len(set(tops)) == 1, tops
    page.close()


def test_the_table_of_contents_numbers_each_entry_once(browser, example_out):
    """Parts and tables print their own numbers (第一部分, 一、): the list adds no “1.” before them;
    图表 is an entry of the same list; the forms, which have no number of their own, are numbered."""
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto((example_out / PAGES[3]).as_uri())
    marker = "el => getComputedStyle(el).listStyleType"
    outer = page.locator("nav.toc > ol > li")
    assert outer.first.inner_text() == "图表" and outer.nth(1).locator("> a").inner_text() == "第一部分 概况"
    assert {li.evaluate(marker) for li in outer.all()} == {"none"}
    tables = page.locator("nav.toc > ol > li > ol.numbered-titles > li")
    assert tables.first.inner_text() == "一、收入支出决算总表" and {li.evaluate(marker) for li in tables.all()} == {"none"}
    forms = page.locator("nav.toc > ol > li > ol:not(.numbered-titles) > li")
    assert forms.count() == 8 and {li.evaluate(marker) for li in forms.all()} == {"decimal"}
    page.close()


@pytest.mark.parametrize("rel, table", [(PAGES[3], "04"), (PAGES[3], "05"), ("lvliang-ybj/2023/budget/index.html", "06")])
def test_on_a_phone_a_wide_tables_caption_and_unit_stay_in_view(browser, example_out, rel, table):
    """360 px: the table scrolls inside its box; its caption (表号, title, 金额单位) stays within the
    screen however far it is scrolled, and a shadow on the side with more shows that it scrolls."""
    page = browser.new_page(viewport={"width": 360, "height": 740})
    page.goto((example_out / rel).as_uri())
    box = page.locator(f"#table-{table} .table-scroll")
    assert box.evaluate("el => el.scrollWidth > el.clientWidth + 50")            # a wide table
    assert "radial-gradient" in box.evaluate("el => getComputedStyle(el).backgroundImage")
    unit = page.locator(f"#table-{table} caption .table-meta > span").last
    assert "单位" in unit.inner_text()
    for position in ("0", "el.scrollWidth"):
        box.evaluate(f"el => {{ el.scrollLeft = {position}; }}")
        page.wait_for_timeout(50)
        left, right = unit.evaluate("el => [el.getBoundingClientRect().left, el.getBoundingClientRect().right]")
        assert 0 <= left and right <= 360, (position, left, right)
    page.close()
