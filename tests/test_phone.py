"""Phones (360 px) in headless Chromium: a scorecard (一级/二级/三级指标 … 得分) reads as one block
per indicator and is still the same table for a screen reader; chart text is as large as body
text. The 1280 px layout of the same markup stays a table.

Needs Debian's chromium, pip playwright and npm axe-core, like tests/test_browser.py.
"""

from __future__ import annotations

from pathlib import Path

import lxml.html
import pytest

from conftest import FENYANG
from site_builder.build import build
from test_browser import axe_violations

FORMS = Path(__file__).resolve().parent / "fixtures/portal-forms"
PHONE, DESKTOP = 360, 1280
# (which build, page, the scorecard's table): the 自评表 attachment, the 申报表, a disclosure
# table whose 一级/二级 labels merge (gaoyi's 自评表二) and the 评分表 attachment
SCORECARDS = [
    ("example", f"{FENYANG}/index.html", "#form-01-central-service-capacity table.indicators"),
    ("example", "lvliang-ybj/2023/budget/index.html", "#form-01-office-equipment table.indicators"),
    ("example", "gaoyi-ybj/2021/performance/index.html", "#table-02 table"),
    ("forms", "demo-jt/2023/performance/index.html", "#form-01-road-scores table.indicators"),
]
CHART_PAGES = [f"{FENYANG}/index.html", "lvliang-ybj/2023/budget/index.html", "gaoyi-ybj/2021/performance/index.html"]

# Every cell shown (not hidden from sight: wider than 1 px) whose text's boxes leave the viewport.
CELLS_OUTSIDE = """table => {
    const width = document.documentElement.clientWidth, range = document.createRange();
    return [...table.querySelectorAll('th, td')].filter(cell => cell.getBoundingClientRect().width > 1)
        .filter(cell => { range.selectNodeContents(cell);
                          return [...range.getClientRects()].some(r => r.left < 0 || r.right > width); })
        .map(cell => cell.textContent.trim().slice(0, 20)); }"""
# Per body row: its name cell's and its score's boxes [top, bottom, left, right, width], and the
# text generated before the row (its levels), as drawn.
ROWS = """table => [...table.querySelectorAll(':scope > tbody > tr')].map(tr => {
    const box = el => { if (!el) return null; const r = el.getBoundingClientRect(); return [r.top, r.bottom, r.left, r.right, r.width]; };
    return {name: box(tr.querySelector('th[scope=row]:not(.merged)')), score: box(tr.querySelector('[data-key=score]')),
            scoreText: (tr.querySelector('[data-key=score]') || {textContent: ''}).textContent.trim(),
            levels: getComputedStyle(tr, '::before').content, top: tr.getBoundingClientRect().top}; })"""
TABLE_ROLES = {"table", "rowgroup", "row", "columnheader", "rowheader", "cell"}


@pytest.fixture(scope="module")
def forms_out(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("forms") / "output"
    build(FORMS, out, base_url="")
    return out


def expected_levels(out: Path, rel: str, selector: str) -> list[str]:
    """Each body row's 一级 › 二级 labels as the printed table gives them: the merged cells of
    the row itself or above it that still span it, by column (read from the HTML, by the
    table's own grid of rowspans, not from the browser)."""
    table = lxml.html.parse(str(out / rel)).getroot().cssselect(selector)[0]
    spanning: dict[int, tuple[str, int]] = {}      # column → (merged cell's text, rows it still covers)
    found = []
    for tr in table.cssselect("tbody > tr"):
        column = 0
        for cell in (c for c in tr if c.tag in ("th", "td")):
            while spanning.get(column, ("", 0))[1] > 0:
                column += 1
            if "merged" in (cell.get("class") or "").split():
                spanning[column] = (cell.text_content().strip(), int(cell.get("rowspan", 1)))
            column += int(cell.get("colspan", 1))
        found.append(" › ".join(text for _, (text, rows) in sorted(spanning.items()) if rows > 0 and text))
        spanning = {c: (text, rows - 1) for c, (text, rows) in spanning.items()}
    return found


def ax_table(page, selector: str) -> list[tuple[str, str]]:
    """The table's accessibility subtree in Chromium, as (role, name) in tree order: only the
    table's own roles (text runs differ with line breaks)."""
    cdp = page.context.new_cdp_session(page)
    root = cdp.send("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
    backend = cdp.send("DOM.describeNode", {"nodeId": node})["node"]["backendNodeId"]
    nodes = {n["nodeId"]: n for n in cdp.send("Accessibility.getFullAXTree")["nodes"]}
    start = next(n for n in nodes.values() if n.get("backendDOMNodeId") == backend)
    found: list[tuple[str, str]] = []

    def walk(n: dict) -> None:
        role = n.get("role", {}).get("value", "")
        if not n.get("ignored") and role in TABLE_ROLES:
            found.append((role, n.get("name", {}).get("value", "")))
        for child in n.get("childIds", []):
            if child in nodes:
                walk(nodes[child])
    walk(start)
    cdp.detach()
    return found


@pytest.mark.parametrize("build_name, rel, selector", SCORECARDS, ids=["self-evaluation", "target", "disclosure", "scores"])
def test_a_scorecard_on_a_phone_is_one_block_per_indicator(browser, example_out, forms_out, build_name, rel, selector):
    """360 px: no cell's text outside the screen and nothing to scroll sideways; each row shows
    its 一级 › 二级 labels (the merged cells' texts) above its name and its score on the name's
    line; the accessibility tree is the 1280 px one, a table with its headers; axe is clean."""
    out = example_out if build_name == "example" else forms_out
    page = browser.new_page(viewport={"width": DESKTOP, "height": 800})
    page.goto((out / rel).as_uri())
    table = page.locator(selector)
    desktop_tree = ax_table(page, selector)
    page.set_viewport_size({"width": PHONE, "height": 740})
    assert table.evaluate(CELLS_OUTSIDE) == []
    assert table.evaluate("t => t.parentElement.scrollWidth <= t.parentElement.clientWidth")
    rows = table.evaluate(ROWS)
    levels = expected_levels(out, rel, selector)
    assert len(rows) == len(levels) >= 11 and any(levels)
    scored = 0
    for row, text in zip(rows, levels, strict=True):
        if text:           # the levels drawn on the block's first line, for the eye only (alt text "")
            assert row["levels"] == f'"{text}" / ""', (row["levels"], text)
            assert row["name"] is None or row["name"][0] - row["top"] > 15
        if row["name"] and row["scoreText"]:      # the score on the name's line, on screen
            name, score = row["name"], row["score"]
            assert score[4] > 1 and abs(score[0] - name[0]) < 3 and name[3] <= score[2] and score[3] <= PHONE
            scored += 1
    assert scored == (0 if "lvliang" in rel else len(rows))
    phone_tree = ax_table(page, selector)
    roles = {role for role, _ in phone_tree}
    assert {"table", "columnheader", "rowheader", "cell"} <= roles
    assert phone_tree == desktop_tree
    assert axe_violations(page) == []
    page.close()


@pytest.mark.parametrize("build_name, rel, selector", SCORECARDS, ids=["self-evaluation", "target", "disclosure", "scores"])
def test_at_1280_a_scorecard_is_still_a_table(browser, example_out, forms_out, build_name, rel, selector):
    """The phone rules do not reach a desktop: the table is laid out as a table, its header row
    shown, nothing generated before a row, every score in one column."""
    out = example_out if build_name == "example" else forms_out
    page = browser.new_page(viewport={"width": DESKTOP, "height": 800})
    page.goto((out / rel).as_uri())
    table = page.locator(selector)
    assert table.evaluate("t => getComputedStyle(t).display") == "table"
    assert table.evaluate("t => t.tHead.getBoundingClientRect().height") > 20
    rows = table.evaluate(ROWS)
    assert {row["levels"] for row in rows} == {"none"}
    lefts = {round(row["score"][2]) for row in rows if row["score"]}
    assert len(lefts) <= 1
    page.close()


@pytest.mark.parametrize("width", [PHONE, DESKTOP])
def test_chart_text_is_as_large_as_body_text(browser, example_out, width):
    """Every text of every chart is drawn at 16 px or more (its font size times the SVG's scale)
    and within the screen, on a phone and on a desktop."""
    page = browser.new_page(viewport={"width": width, "height": 800})
    count = 0
    for rel in CHART_PAGES:
        page.goto((example_out / rel).as_uri())
        texts = page.evaluate("""() => [...document.querySelectorAll('.chart svg text')].map(t => {
            const r = t.getBoundingClientRect();
            return [t.textContent, parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a, r.left, r.right]; })""")
        assert texts, rel
        small = [(text, round(size, 1)) for text, size, _, _ in texts if size < 16]
        assert small == [], rel
        outside = [text for text, _, left, right in texts if left < 0 or right > width]
        assert outside == [], rel
        count += len(texts)
    assert count > 100
    page.close()
