"""`site-builder new` and `add`, and the new user's path: new → add → a table filled in Excel →
import → serve shows the draft a moment later; check and build refuse it until every
【待填写】 is filled."""

from __future__ import annotations

import io
import time
import urllib.request

import lxml.html
import openpyxl
import pytest
from click.testing import CliRunner

from conftest import EXAMPLE
from site_builder.cli import main
from site_builder.content import load_portal, load_site_config
from site_builder.profiles import load_profiles
from site_builder.workbook import document_workbook
from test_serve import Server


def _run(*args) -> tuple[int, str]:
    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    return result.exit_code, result.output


def test_new_makes_a_documented_portal_and_refuses_a_non_empty_folder(tmp_path):
    code, output = _run("new", tmp_path / "portal", "--region", "山西省吕梁市", "--profile", "final-accounts-9")
    assert code == 0, output
    portal = tmp_path / "portal"
    site = (portal / "site.yaml").read_text(encoding="utf-8")
    config = load_site_config(portal)
    assert config.region == "山西省吕梁市" and config.name == "山西省吕梁市预决算公开"
    assert config.default_profiles["final-accounts"] == "final-accounts-9"
    for key in ("downloads", "checks", "base_url", "site_id_code", "profiles"):   # every setting explained
        assert f"# {key}" in site or f"{key}:" in site
    assert (portal / "templates").is_dir() and (portal / "departments").is_dir()
    assert "/output/" in (portal / ".gitignore").read_text(encoding="utf-8")   # the built site is made, not kept
    assert "site-builder import" in (portal / "README.md").read_text(encoding="utf-8")
    code, output = _run("new", portal)
    assert code == 1 and "不是空的" in output
    assert (portal / "site.yaml").read_text(encoding="utf-8") == site


def test_add_writes_every_table_with_its_headers_and_placeholders_the_checker_reports(tmp_path):
    portal = tmp_path / "portal"
    _run("new", portal, "--region", "山西省吕梁市")
    code, output = _run("add", "fenyang-ybj", 2024, "final-accounts", "--name", "汾阳市医疗保障局", "--into", portal)
    assert code == 0, output
    folder = portal / "departments/fenyang-ybj/2024/final-accounts"
    profile = load_profiles()["final-accounts-10"]
    doc = load_portal(portal).documents[0]                    # it loads: headers match the profile
    assert [t.spec.id for t in doc.tables] == [s.id for s in profile.tables]
    assert doc.table("03").rows == [] and doc.table("06").rows == []            # 科目 tables: no rows
    assert [r.cells["income_item"] for r in doc.table("01").rows][:2] == ["一、一般公共预算财政拨款收入",
                                                                          "二、政府性基金预算财政拨款收入"]
    assert all(not c.text for r in doc.table("01").rows for c in r.cells.values() if hasattr(c, "text"))
    assert (folder / "overview.md").read_text(encoding="utf-8").startswith("### 一、本部门（单位）职责")
    code, output = _run("check", portal)
    assert code == 1 and "[content.placeholder]" in output and "document.yaml" in output
    code, output = _run("build", portal, "--out", tmp_path / "site", "--no-search")
    assert code == 1 and not (tmp_path / "site").exists()     # nothing unfinished is published
    code, output = _run("add", "fenyang-ybj", 2024, "final-accounts", "--into", portal)
    assert code == 1 and "已存在" in output
    code, output = _run("add", "fenyang-ybj", 2024, "budget", "--profile", "final-accounts-9", "--into", portal)
    assert code == 1 and "不能用于 budget" in output


@pytest.mark.parametrize("kind, profile", [("budget", "budget-13"), ("performance", "performance-overall"),
                                           ("final-accounts", "final-accounts-9")])
def test_add_for_every_kind_loads(tmp_path, kind, profile):
    portal = tmp_path / "portal"
    _run("new", portal)
    code, output = _run("add", "gaoyi-ybj", 2021, kind, "--profile", profile, "--into", portal)
    assert code == 0, output
    doc = load_portal(portal).documents[0]
    assert doc.profile.name == profile and len(doc.tables) == len(load_profiles()[profile].tables)


def test_a_new_user_sees_the_imported_table_in_the_preview(tmp_path):
    """new, add, fill 公开03表 and 公开09表 in Excel, import, serve: the draft page shows the tables
    and what the checker finds so far; a second import while the preview runs shows up a moment
    later."""
    portal = tmp_path / "portal"
    _run("new", portal, "--region", "山西省吕梁市")
    _run("add", "fenyang-ybj", 2024, "final-accounts", "--name", "汾阳市医疗保障局", "--into", portal)
    example = next(d for d in load_portal(EXAMPLE).documents if d.department.slug == "fenyang-ybj")
    wb = openpyxl.load_workbook(io.BytesIO(document_workbook(example)))
    for name in wb.sheetnames:
        if name not in ("公开03表", "公开09表"):
            del wb[name]                                      # the clerk filled two tables
    book = tmp_path / "三公.xlsx"
    wb.save(book)
    args = ("import", book, "--into", portal, "--department", "fenyang-ybj", "--year", 2024, "--kind", "final-accounts")
    code, output = _run(*args)                                # the tables are as `add` left them: no --force
    assert code == 0 and "导入 2 张表" in output, output
    server = Server(portal, "--no-search")
    try:
        def page():
            with urllib.request.urlopen(server.url + "fenyang-ybj/2024/final-accounts/") as response:
                return lxml.html.fromstring(response.read())

        html = page()
        notice = html.xpath("string(//*[@class='draft-notice'])")
        assert "草稿预览" in notice
        # 公开01表 is still empty, so its identities with 公开03表 fail: listed, not refused
        assert "检查还发现 4 个错误" in notice
        assert "公开03表合计与公开01表本年支出合计一致：前者为 2262.43，后者为 空白" in notice   # a blank is named
        assert len(html.xpath("//table[@data-table='03']/tbody/tr")) == 24
        cells = html.xpath("//table[@data-table='09']//td[@data-key='actual_vehicle_operation']")
        assert [c.text_content().strip() for c in cells] == ["4.60"]
        for cell in ("G8", "I8", "K8"):                       # 决算数: 合计, 小计, 公务用车运行维护费, corrected in Excel
            wb["公开09表"][cell] = 4.8
        assert wb["公开09表"]["K7"].value in ("11", 11)        # (the 栏次 above it)
        wb.save(book)
        started = time.monotonic()
        assert "已有表格数据" in _run(*args)[1]               # now it holds data: --force to replace it
        assert _run(*args, "--force")[0] == 0
        deadline = started + 10
        while time.monotonic() < deadline:
            cells = page().xpath("//table[@data-table='09']//td[@data-key='actual_vehicle_operation']")
            if [c.text_content().strip() for c in cells] == ["4.80"]:
                break
            time.sleep(0.1)
        else:
            raise AssertionError("the preview did not show the second import:\n" + "".join(server.lines))
    finally:
        assert server.stop() == 0
