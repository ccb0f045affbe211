"""`serve` on a draft (a disclosure with 【待填写】 left): a save that brings a checker error shows
it first and marked, on the page and where the clerk is scrolled to; one that mends errors says
so; the error box names no option `serve` lacks. A draft's headline figures say 待填写 for a
blank, and a finished document's genuinely empty table keeps its real zero.
"""

from __future__ import annotations

from pathlib import Path

import lxml.html

from site_builder.build import build
from site_builder.serve import Preview
from test_serve import FENYANG, Server, before_save, edit, wait_for_reload

PAGE = FENYANG.removeprefix("departments/")           # its folder in the output

SOURCE = "source: 汾阳市医疗保障局"
UNFILLED = "source: 【待填写：信息来源】"          # one 【待填写】 left: the disclosure is a draft
MISMATCH = ("2101506,医疗保障经办事务,69.62,,69.62", "2101506,医疗保障经办事务,69.62,,96.62")    # 小计 ≠ its parts
DUPLICATE = ("2101102,事业单位医疗", "2101101,事业单位医疗")                                 # a 科目 code typed wrong
NOTICE_ITEMS = "[...document.querySelectorAll('.draft-notice li')].map(li => [li.className, li.textContent])"


def test_a_save_that_brings_an_error_to_a_draft_shows_it_first_and_marked(browser, content_copy):
    folder = content_copy / FENYANG
    edit(folder / "document.yaml", SOURCE, UNFILLED)
    csv = folder / "tables/05.csv"
    edit(csv, *MISMATCH)                                     # an error there before the preview starts
    server = Server(content_copy, "--base-path", "/portal/", "--no-search")
    try:
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.goto(f"{server.url}fenyang-ybj/2024/final-accounts/index.html")
        page.wait_for_function("window.LiveReload !== undefined")
        items = page.evaluate(NOTICE_ITEMS)
        assert len(items) == 2 and not any(cls for cls, _ in items)        # nothing to compare with yet
        page.locator("table[data-table='05']").scroll_into_view_if_needed()    # where the clerk is typing
        before_save(page)

        edit(csv, *DUPLICATE)                                # the save: two new errors on line 13
        wait_for_reload(page, "document.getElementById('site-builder-draft-changes') !== null")
        items = page.evaluate(NOTICE_ITEMS)
        assert [cls for cls, _ in items] == ["draft-new", "draft-new", "", ""]
        assert all("05.csv 第 13 行" in text and text.startswith("本次保存新出现") for _, text in items[:2])
        assert "2101101 重复出现" in items[0][1] + items[1][1]
        assert "96.62" in items[2][1] + items[3][1]           # the older errors after them
        notice = page.locator("#draft-notice").inner_text()
        assert "检查还发现 4 个错误" in notice and "最新的在前；本次保存新出现 2 个" in notice
        # seen where the clerk is: a panel at the bottom of the window, over the table
        changes = page.locator("#site-builder-draft-changes")
        box = changes.bounding_box()
        assert box and box["y"] + box["height"] <= 800 and box["y"] > 400
        assert "本次保存：新出现 2 个错误" in changes.inner_text() and "2101101" in changes.inner_text()
        assert page.evaluate("document.getElementById('draft-notice').getBoundingClientRect().bottom") < 0
        page.screenshot(path=str(content_copy.parent / "draft-new-error.png"))
        assert "本次保存新出现" in server.wait_for_line("草稿 fenyang-ybj/2024/final-accounts/")

        edit(csv, *reversed(DUPLICATE))                      # mended: said, and the rest keep their order
        wait_for_reload(page, "!document.querySelector('#draft-notice li.draft-new')")
        notice = page.locator("#draft-notice").inner_text()
        assert "检查还发现 2 个错误" in notice and "本次保存已改正 2 个" in notice
        assert "已改正 2 个错误" in page.locator("#site-builder-draft-changes").inner_text()

        edit(folder / "document.yaml", UNFILLED, SOURCE)     # finished: its errors stop it, in the error box
        wait_for_reload(page, "document.getElementById('site-builder-overlay') !== null")
        overlay = page.locator("#site-builder-overlay").inner_text()
        assert "sum.row-parts" in overlay and "检查发现 2 个错误" in overlay
        assert "--allow-errors" not in overlay and "保持不变" not in overlay       # build's words, not serve's
        page.close()
    finally:
        assert server.stop() == 0


def test_the_first_preview_of_a_finished_document_with_errors_names_no_build_option(content_copy, tmp_path):
    """The first build of the preview goes through build(): its CheckFailed is the preview's."""
    edit(content_copy / FENYANG / "tables/05.csv", *MISMATCH)
    preview = Preview(content_copy, tmp_path / "out", search=False, log=lambda text: None)
    preview.rebuild([])
    assert preview.status.error and "sum.row-parts" in preview.status.error
    assert "--allow-errors" not in preview.status.error and "网站" not in preview.status.error


def _figures(page: Path) -> list[tuple[str, str]]:
    html = lxml.html.parse(str(page)).getroot()
    return [(div.findtext("dt"), div.find("dd").text_content().strip())
            for div in html.cssselect("dl.figures")[0].findall("div")]


LVLIANG = "lvliang-ybj/2023/budget"           # (in the output; under departments/ in the content)


def test_a_genuinely_empty_table_keeps_its_real_zero_on_the_built_site(content_copy, tmp_path):
    """吕梁's 2023 预算 with no “三公” budget: its table 10 blank (本表无数据) passes the checker,
    and the built page's figure is the real zero."""
    edit(content_copy / "departments" / LVLIANG / "tables/10.csv", "4.30,4.30", ",")    # 公务用车购置及运行费
    edit(content_copy / "departments" / LVLIANG / "tables/10.csv", "4.30,4.30", ",")    # ②公务用车运行维护费
    edit(content_copy / "departments" / LVLIANG / "tables/10.csv", "合计,4.30,4.30", "合计,,")
    build(content_copy, tmp_path / "site", base_url="", search=False)
    page = tmp_path / "site" / LVLIANG / "index.html"
    assert ("“三公”经费预算数", "0.00 万元") in _figures(page)
    block = lxml.html.parse(str(page)).getroot().cssselect("#table-10")[0]
    assert block.cssselect("p.note.empty")[0].text_content() == "注：本表无数据"


def test_a_drafts_blank_figures_say_pending_not_zero(content_copy, tmp_path):
    """In a draft a blank table is not yet a statement: 待填写, and no value the year and
    department pages would compare or divide by."""
    folder = content_copy / FENYANG
    edit(folder / "document.yaml", SOURCE, UNFILLED)
    for table in ("03", "09"):                               # 公开03表 and 公开09表 not filled in yet
        path = folder / f"tables/{table}.csv"
        path.write_text(path.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    out = tmp_path / "out"
    preview = Preview(content_copy, out, search=False, log=lambda text: None)
    preview.rebuild([])
    assert preview.status.error is None
    figures = _figures(out / PAGE / "index.html")
    assert figures == [("本年收入合计", "2,262.43 万元"), ("本年支出合计", "2,262.43 万元"), ("基本支出", "待填写"),
                       ("项目支出", "待填写"), ("“三公”经费决算数", "待填写")]
    department = lxml.html.parse(str(out / "fenyang-ybj/index.html")).getroot()
    assert "待填写" in department.text_content()
    year = lxml.html.parse(str(out / "years/2024/index.html")).getroot()
    row = next(tr for tr in year.cssselect("tbody tr") if "汾阳" in tr.text_content())
    assert "0.00" not in row.text_content()                 # 三公 blank: “—”, not a zero
    # a save (the preview's own rendering, not build's workers) says the same
    overview = folder / "overview.md"
    overview.write_text(overview.read_text(encoding="utf-8") + "\n\n补充一句。\n", encoding="utf-8")
    preview.rebuild([overview])
    assert preview.status.error is None
    assert ("“三公”经费决算数", "待填写") in _figures(out / PAGE / "index.html")
