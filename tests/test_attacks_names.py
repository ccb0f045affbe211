"""Attack corpus (issue 23): names and addresses taken from content never become markup, paths
or broken files, and a full disk is a clear error.

Each test tries one attack on a copy of the example content (or a tiny portal made here) and
asserts on what a clerk would see: the exit code, the message (file, and line where there is
one), that nothing was written, and, where the input is legitimate, that the page parses to
the very text the content holds.
"""

from __future__ import annotations

import builtins
import csv
import errno
import io
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import lxml.etree
import lxml.html
import pytest
import yaml
from click.testing import CliRunner

import site_builder
from site_builder.cache import RACY_NS
from site_builder.cli import main

EXAMPLE = Path(__file__).resolve().parent.parent / "content"

F = "departments/fenyang-ybj/2024/final-accounts"


def run(*args: str | Path):
    return CliRunner().invoke(main, [str(a) for a in args])


def refused(result, out: Path, *expected: str) -> None:
    """Exit 1 with a message that holds each of ``expected``, no traceback, no output folder."""
    assert result.exit_code == 1, result.output
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    for text in expected:
        assert text in result.output, result.output
    assert not out.exists()


# -- 1. folders skipped as hidden ------------------------------------------------------------------

def rename(root: Path, old: str, new: str) -> None:
    (root / old).rename(root / new)


@pytest.mark.parametrize("name", [".fenyang", "..fenyang", "_fenyang"])
def test_department_folder_hidden_by_its_name_is_an_error(content_copy, tmp_path, name):
    rename(content_copy, "departments/fenyang-ybj", f"departments/{name}")
    result = run("build", content_copy, "--out", tmp_path / "out", "--no-search")
    refused(result, tmp_path / "out", f"departments/{name}: 部门文件夹“{name}”以“{name[0]}”开头",
            "会被当作隐藏文件夹跳过", "移出内容文件夹")
    # check and the preview's loader say the same
    checked = run("check", content_copy)
    assert checked.exit_code == 1 and f"部门文件夹“{name}”" in checked.output, checked.output


def test_hidden_folder_with_only_a_document_is_an_error(content_copy, tmp_path):
    """No department.yaml, but a year's disclosure: still content that would vanish."""
    rename(content_copy, "departments/fenyang-ybj", "departments/.fenyang")
    (content_copy / "departments/.fenyang/department.yaml").unlink()
    result = run("build", content_copy, "--out", tmp_path / "out", "--no-search")
    refused(result, tmp_path / "out", "部门文件夹“.fenyang”")


def test_version_control_and_draft_folders_are_still_skipped(content_copy, tmp_path):
    for folder in ("departments/.git/objects/ab", "departments/_drafts", "departments/.DS_Store.d",
                   "departments/fenyang-ybj/.svn", "departments/fenyang-ybj/2024/.svn",
                   "departments/fenyang-ybj/2024/final-accounts/.svn"):
        (content_copy / folder).mkdir(parents=True)
        (content_copy / folder / "notes.txt").write_text("不是部门", encoding="utf-8")
    (content_copy / "departments/_drafts/草稿.md").write_text("# 草稿\n", encoding="utf-8")
    result = run("build", content_copy, "--out", tmp_path / "out", "--no-search")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "out").iterdir() if p.name.endswith("-ybj")) == \
        ["fenyang-ybj", "gaoyi-ybj", "lvliang-ybj"]


@pytest.mark.parametrize("folder, expected", [
    ("departments/fenyang-ybj/2024", "年度文件夹“.2024”以“.”开头"),
    (F, "公开类型文件夹“.final-accounts”以“.”开头"),
])
def test_year_or_kind_folder_hidden_by_its_name_is_an_error(content_copy, tmp_path, folder, expected):
    path = content_copy / folder
    path.rename(path.with_name("." + path.name))
    result = run("build", content_copy, "--out", tmp_path / "out", "--no-search")
    refused(result, tmp_path / "out", expected)


def test_department_folder_name_ending_in_a_line_break_is_refused(content_copy, tmp_path):
    rename(content_copy, "departments/fenyang-ybj", "departments/fenyang-ybj\n")
    result = run("build", content_copy, "--out", tmp_path / "out", "--no-search")
    refused(result, tmp_path / "out", "不符合要求")


# -- 2. file names that become ids, fragments and paths ---------------------------------------------

L = "departments/lvliang-ybj/2023/budget"


def page_of(out: Path, url: str):
    return lxml.html.parse(str(out / url / "index.html")).getroot()


def assert_sound_anchors(page) -> None:
    """Every id is one word and unique; every #fragment link and aria reference finds its id."""
    ids = [el.get("id") for el in page.iter() if isinstance(el.tag, str) and el.get("id") is not None]
    assert all(i and not any(c.isspace() for c in i) for i in ids), [i for i in ids if not i or " " in i]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    for el in page.iter():
        if not isinstance(el.tag, str):
            continue
        href = el.get("href") or ""
        if href.startswith("#") and len(href) > 1:
            assert href[1:] in ids, href
        for attribute in ("aria-labelledby", "aria-describedby"):
            for token in (el.get(attribute) or "").split():
                assert token in ids, (attribute, token)


def test_attachment_file_names_with_spaces_and_symbols_become_sound_anchors(content_copy, tmp_path):
    folder = content_copy / L / "attachments"
    (folder / "01-office-equipment.yaml").rename(folder / "01 办公设备　购置.yaml")   # a space, an ideographic space
    (folder / "02-medical-it-services.yaml").rename(folder / '02 "IT" #2 100%.yaml')
    result = run("build", content_copy, "--out", tmp_path / "out", "--no-search")
    assert result.exit_code == 0, result.output
    page = page_of(tmp_path / "out", "lvliang-ybj/2023/budget/")
    assert_sound_anchors(page)
    forms = [el.get("id") for el in page.cssselect("section.form-block")]
    assert forms[:3] == ["form-01-办公设备-购置", "form-02-IT-2-100", "form-03-line-rental"], forms
    toc = [a.get("href") for a in page.cssselect("nav.toc a") if a.get("href", "").startswith("#form-")]
    assert toc[:2] == ["#form-01-办公设备-购置", "#form-02-IT-2-100"]


def test_two_attachment_names_with_one_anchor_are_an_error(content_copy, tmp_path):
    folder = content_copy / L / "attachments"
    shutil.copy(folder / "01-office-equipment.yaml", folder / "01 office equipment.yaml")
    result = run("build", content_copy, "--out", tmp_path / "out", "--no-search")
    refused(result, tmp_path / "out", "01-office-equipment.yaml: 附件“01-office-equipment.yaml”与“01 office equipment.yaml”"
            "在页面上的锚点相同（#form-01-office-equipment）")


def test_attachment_name_of_symbols_only_is_an_error(content_copy, tmp_path):
    folder = content_copy / L / "attachments"
    (folder / "01-office-equipment.yaml").rename(folder / "%%.yaml")
    result = run("build", content_copy, "--out", tmp_path / "out", "--no-search")
    refused(result, tmp_path / "out", "附件文件名“%%.yaml”中没有文字或数字")



# -- 3. profile identifiers and the markup written in Python ----------------------------------------

# Every character that markup gives a meaning to, an attribute that would run script, and
# elements that would be one if they were not escaped.
HOSTILE = '"\' onmouseover="alert(1)" <inj onmouseover="alert(1)">&amp;<script>alert(1)</script>'


def hostile(label: str) -> str:
    return f"{label}{HOSTILE}"


def write_yaml(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def write_csv(path: Path, rows: list[list[str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")


def hostile_profile() -> dict:
    """One grid table and one 科目 table, a chart of each: every text a profile carries is hostile."""
    return {
        "name": "hostile", "kind": "budget", "title": hostile("方案"), "unit": hostile("单位"),
        "unit_label": hostile("单位标签"), "entity_label": hostile("部门标签"), "empty_note": hostile("无数据"),
        "parts": [{"title": hostile("部分"), "blocks": [{"type": "tables"}]}],
        "headline": [{"label": hostile("头条"), "table": "t1", "column": "amount", "role": "total_expenditure"}],
        "charts": [
            {"id": "by-item", "title": hostile("图题"), "table": "t1", "categories": {"group": "item"},
             "series": [{"label": hostile("系列甲"), "column": "amount"}, {"label": hostile("系列乙"), "column": "other"}],
             "rate": {"label": hostile("比率"), "of": [2, 1]}},
            {"id": "by-class", "title": hostile("类图"), "table": "s2", "categories": "level1",
             "series": [{"label": hostile("支出"), "column": "amount"}]},
            {"id": "listed", "title": hostile("列图"),
             "categories": [{"label": hostile("类别"), "table": "t1", "row": hostile("项目甲")}],
             "series": [{"label": hostile("列系列"), "column": "amount"}]},
        ],
        "tables": [
            {"id": "t1", "number": hostile("表号"), "title": hostile("表题"), "layout": "grid",
             "note": hostile("注"),
             "columns": [{"key": "item", "label": hostile("项目"), "type": "label"},
                         {"group": hostile("分组"), "children": [
                             {"key": "amount", "label": hostile("金额"), "type": "amount"},
                             {"key": "other", "label": hostile("其他"), "type": "amount"}]}]},
            {"id": "s2", "number": "表2", "title": hostile("科目表"), "layout": "subject",
             "columns": [{"key": "code", "label": "科目代码", "type": "code"},
                         {"key": "name", "label": hostile("科目名称"), "type": "name"},
                         {"key": "amount", "label": "金额", "type": "amount"}]},
        ],
    }


def hostile_portal(root: Path, base_url: str = "https://example.gov.cn/yjsgk/") -> Path:
    """A one-disclosure portal whose every text (site, department, document, profile, CSV) is hostile."""
    write_yaml(root / "site.yaml", {
        "name": hostile("门户"), "region": hostile("地区"), "site_name": hostile("网站"), "site_domain": "example.gov.cn",
        "site_id_code": "1234567890", "base_url": base_url, "description": hostile("说明"),
        "host": hostile("主办"), "organizer": hostile("承办"), "contact": hostile("联系"),
        "icp_record": hostile("晋ICP备12345678号"), "police_record": hostile("晋公网安备 14110202000123号"),
        "content_source": hostile("来源"), "downloads": ["csv", "json", "xlsx"],
        "checks": {"disabled": ["code.standard-name", "meta.name"]}})
    write_yaml(root / "profiles/hostile.yaml", hostile_profile())
    dept = root / "departments/demo-ju"
    write_yaml(dept / "department.yaml", {"name": hostile("部门"), "supervisor": hostile("主管")})
    doc = dept / "2023/budget"
    write_yaml(doc / "document.yaml", {"title": hostile("文件"), "profile": "hostile", "published": "2023-02-01",
                                       "source": hostile("信息来源")})
    group = hostile("分组")
    write_csv(doc / "tables/t1.csv", [[hostile("项目"), f"{group}/{hostile('金额')}", f"{group}/{hostile('其他')}"],
                                      [hostile("项目甲"), "10.00", "4.00"], [hostile("项目乙"), "5.00", "5.00"]])
    write_csv(doc / "tables/s2.csv", [["科目代码", hostile("科目名称"), "金额"],
                                      ["201", hostile("一般公共服务支出"), "15.00"],
                                      ["20101", hostile("人大事务"), "15.00"]])
    (doc / "overview.md").write_text("概况。\n", encoding="utf-8")
    return root


# the one inline script of the site, in 404.html (finds the site's top outside its path): its text is fixed
NOT_FOUND_SCRIPT = re.search(r"<script>(.*?)</script>", (Path(__file__).resolve().parent.parent / "templates/404.html").read_text(encoding="utf-8")).group(1)


def no_injection(tree) -> None:
    """Nothing the content said became an element or an attribute: no script but the site's own,
    no <inj>, no on… attribute."""
    for el in tree.iter():
        if not isinstance(el.tag, str):
            continue
        assert el.tag.rpartition("}")[2] != "inj", lxml.etree.tostring(el)
        assert not [name for name in el.attrib if name.lower().startswith("on")], lxml.etree.tostring(el)
        if el.tag == "script":        # the site's own: a file, data (the search page's glossary) or 404.html's one line
            assert el.get("src") or el.get("type") == "application/json" or el.text == NOT_FOUND_SCRIPT, \
                lxml.etree.tostring(el)
            assert "alert(1)" not in (el.text or ""), lxml.etree.tostring(el)


def texts(page, selector: str) -> list[str]:
    return [el.text_content() for el in page.cssselect(selector)]


def test_hostile_text_everywhere_is_shown_as_text(tmp_path):
    content = hostile_portal(tmp_path / "content")
    out = tmp_path / "out"
    result = run("build", content, "--out", out, "--no-search")
    assert result.exit_code == 0, result.output
    for page in [*out.rglob("*.html")]:
        no_injection(lxml.html.parse(str(page)).getroot())
    page = page_of(out, "demo-ju/2023/budget/")
    assert page.cssselect("h1")[0].text_content() == hostile("文件")
    assert page.cssselect("title")[0].text_content().startswith(hostile("部门"))
    # the tables: title, number, header groups and labels, row labels, 科目 names, note, unit
    table = page.cssselect('table[data-table="t1"]')[0]
    assert hostile("表题") in texts(page, "#table-t1-h")[0]
    assert texts(table, ".table-number") == [hostile("表号")]
    assert texts(table, ".table-title") == [hostile("表题")]
    assert hostile("单位") in texts(table, ".table-meta")[0] and hostile("部门标签") in texts(table, ".table-meta")[0]
    assert texts(table, "thead th") == [hostile("项目"), hostile("分组"), hostile("金额"), hostile("其他")]
    assert texts(table, "tbody th")[:2] == [hostile("项目甲"), hostile("项目乙")]
    assert f"注：{hostile('注')}" in texts(page, "#table-t1 p.note")
    subjects = page.cssselect('table[data-table="s2"]')[0]
    assert [t.split("（")[0] for t in texts(subjects, "tbody th")[:2]] == [hostile("一般公共服务支出"), hostile("人大事务")]
    assert texts(page, "#part-1-h") == [hostile("部分")]
    # the charts: caption, SVG title, legend, the data table under each, its unit
    chart = page.cssselect("#chart-by-item")[0]
    assert chart.cssselect("figcaption")[0].text.startswith(hostile("图题"))
    assert texts(chart, "svg title") == [hostile("图题")]
    legend = texts(chart, "svg text")
    assert hostile("系列甲") in legend and hostile("系列乙") in legend
    assert texts(chart, "thead th") == ["项目", hostile("系列甲"), hostile("系列乙"), hostile("比率")]
    assert texts(chart, 'tbody th[scope="row"]') == [hostile("项目甲"), hostile("项目乙")]
    assert hostile("单位") in texts(chart, ".chart-unit")[0]
    assert texts(page, "#chart-by-class tbody th") == [hostile("一般公共服务支出")]
    assert texts(page, "#chart-listed tbody th") == [hostile("类别")]
    for figure in page.cssselect("figure.chart"):       # the SVG's labels name its own title and desc
        svg = figure.cssselect("svg")[0]
        assert [svg.get("aria-labelledby")] == [f'{figure.get("id")}-t {figure.get("id")}-d']
    # the headline figure, the department and home pages
    assert hostile("头条") in page.cssselect("dl.figures")[0].text_content()
    assert texts(page_of(out, "demo-ju/"), "h1") == [hostile("部门")]
    assert hostile("部门") in texts(page_of(out, ""), "table th a")
    # machine-readable files: XML parses, JSON decodes, each with the very text
    feed = lxml.etree.parse(str(out / "feed.xml")).getroot()
    atom = {"a": "http://www.w3.org/2005/Atom"}
    assert feed.findtext("a:title", namespaces=atom) == f"{hostile('门户')}：新发布的公开文件"
    assert feed.findtext("a:entry/a:title", namespaces=atom) == hostile("文件")
    assert hostile("部门") in feed.findtext("a:entry/a:summary", namespaces=atom)
    lxml.etree.parse(str(out / "sitemap.xml"))
    catalog = json.loads((out / "catalog.json").read_text(encoding="utf-8"))
    assert catalog["portal"] == hostile("门户") and catalog["documents"][0]["title"] == hostile("文件")
    data = json.loads((out / "demo-ju/2023/budget/data.json").read_text(encoding="utf-8"))
    assert data["tables"][0]["title"] == hostile("表题")
    package = json.loads((out / "datapackage.json").read_text(encoding="utf-8"))
    assert package["title"] == hostile("门户")
    downloads = (out / "demo-ju/2023/budget/tables/t1.csv").read_text(encoding="utf-8-sig")
    assert next(csv.reader(io.StringIO(downloads)))[0] == hostile("项目")


@pytest.mark.parametrize("change, line, expected", [
    (lambda p: p["charts"][0].update(id='x" onmouseover="alert(1)'), "- id: x\" onmouseover", "图的 id“x\" onmouseover=\"alert(1)”"),
    (lambda p: p["charts"][0].update(id="a b"), "- id: a b", "图的 id“a b”"),
    (lambda p: retable(p, "../../../../../../escape"), "- id: ../../../../../../escape", "表格 id“../../../../../../escape”"),
    (lambda p: retable(p, "t1<x>"), "- id: t1<x>", "表格 id“t1<x>”"),
    (lambda p: rekey(p, "item", 'item"'), "- key: item\"", "列的 key“item\"”"),
    (lambda p: rekey(p, "amount", "amount total"), "- key: amount total", "列的 key“amount total”"),
])
def test_profile_identifier_that_is_no_identifier_is_an_error(tmp_path, change, line, expected):
    """The profile and its CSV agree, so nothing but the identifier rule stops the build."""
    content = hostile_portal(tmp_path / "w/content")
    profile = hostile_profile()
    change(profile)
    path = content / "profiles/hostile.yaml"
    write_yaml(path, profile)
    tables = content / "departments/demo-ju/2023/budget/tables"
    table = profile["tables"][0]
    if table["id"] != "t1":      # the CSV where a build would look for it: ../../../../../../escape.csv is w/escape.csv
        (tables / "t1.csv").rename(tables / f"{table['id']}.csv")
    if table["columns"][0]["key"] != "item" or table["columns"][1]["children"][0]["key"] != "amount":
        header = [hostile("项目"), f"{hostile('分组')}/{hostile('金额')}", f"{hostile('分组')}/{hostile('其他')}"]
        write_csv(tables / "t1.csv", [header, [hostile("项目甲"), "10.00", "4.00"]])
    number = next(n for n, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
                  if text.strip().startswith(line))
    result = run("build", content, "--out", tmp_path / "w/out", "--no-search")
    refused(result, tmp_path / "w/out", f"profiles/hostile.yaml:{number}: {expected}不能用作网页中的标识和文件名",
            "只用英文字母、数字、连字符")
    assert [p.name for p in tmp_path.rglob("escape*")] in ([], ["escape.csv"]), list(tmp_path.rglob("escape*"))
    assert not (tmp_path / "escape.csv").exists() and not (tmp_path / "escape.json").exists()


def test_profile_named_outside_the_identifier_rule_is_an_error(tmp_path):
    content = hostile_portal(tmp_path / "content")
    profile = {**hostile_profile(), "name": "my profile"}
    write_yaml(content / "profiles/my profile.yaml", profile)
    result = run("build", content, "--out", tmp_path / "out", "--no-search")
    refused(result, tmp_path / "out", "profiles/my profile.yaml:1: 方案名称“my profile”不能用作网页中的标识和文件名")


def replace_names(profile: dict, fields: tuple[str, ...], old: str, new: str) -> None:
    """Write ``new`` for ``old`` wherever the profile names it under one of ``fields``."""
    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key in fields and value == old:
                    node[key] = new
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)
    walk(profile)


def rekey(profile: dict, old: str, new: str) -> None:
    """Give column ``old`` the key ``new``, wherever the profile names it."""
    replace_names(profile, ("key", "column", "group"), old, new)


def retable(profile: dict, new: str) -> None:
    """Give table t1 the id ``new``, wherever the profile names it."""
    replace_names(profile, ("id", "table"), "t1", new)


def test_chart_markup_escapes_its_id_too():
    """Defence in depth: a chart id the profile rule would refuse still cannot leave its attribute."""
    from decimal import Decimal

    from site_builder.charts import BarChart, ChartRow, TrendChart

    bad = 'x" onmouseover="alert(1)'
    bars = BarChart(bad, hostile("图"), hostile("单位"), [hostile("甲"), hostile("乙"), hostile("丙")],
                    [ChartRow(hostile("行"), [Decimal(1), Decimal(2), Decimal(3)], rate="50%")], rate_label=hostile("率"))
    trend = TrendChart(bad, hostile("趋势"), "万元", [2022, 2023],
                       [(hostile("线"), {2022: (Decimal(1), "1.00"), 2023: (Decimal(2), "2.00")})])
    for chart in (bars, trend):
        figure = lxml.html.fragment_fromstring(str(chart.html))
        no_injection(figure)
        assert figure.get("id") == f"chart-{bad}" and figure.get("data-chart") == bad
        assert figure.cssselect("svg")[0].get("aria-labelledby") == f"chart-{bad}-t chart-{bad}-d"
        assert figure.cssselect("figcaption")[0].text == chart.title


# -- 4. the site's address and the site's texts in robots.txt, the sitemap, the feed and JSON ------------

BAD_URLS = [
    ("https://example.gov.cn/\nDisallow: /", "其中有换行"),
    ('https://example.gov.cn/"><script>alert(1)</script>', "其中有“\"”"),
    ("https://example.gov.cn/<yjsgk>/", "其中有“<”"),
    ("https://example.gov.cn/ yjsgk/", "其中有空格"),
    ("https：//example.gov.cn/", "其中有“：”（全角或中文字符）"),
    ("example.gov.cn/yjsgk/", "应以 http:// 或 https:// 开头"),
    ("javascript:alert(1)", "应以 http:// 或 https:// 开头"),
    ("https://example.gov.cn/?page=1", "不能含 ? 或 #"),
    ("https://example.gov.cn:port/", "不是有效的网址"),
]


@pytest.mark.parametrize("url, expected", BAD_URLS)
def test_base_url_in_site_yaml_that_is_no_address_is_an_error(content_copy, tmp_path, url, expected):
    site = content_copy / "site.yaml"
    text = site.read_text(encoding="utf-8")
    site.write_text(text.replace("base_url: https://example.gov.cn/yjsgk/", f"base_url: {json.dumps(url)}"), encoding="utf-8")
    line = next(n for n, text in enumerate(site.read_text(encoding="utf-8").splitlines(), start=1) if text.startswith("base_url:"))
    result = run("build", content_copy, "--out", tmp_path / "out", "--no-search")
    refused(result, tmp_path / "out", f"site.yaml:{line}: 网站地址 base_url 有误：{expected}", "https://www.example.gov.cn/yjsgk/")


@pytest.mark.parametrize("url, expected", BAD_URLS)
def test_base_url_option_that_is_no_address_is_a_usage_error(content_copy, tmp_path, url, expected):
    result = run("build", content_copy, "--out", tmp_path / "out", "--no-search", "--base-url", url)
    assert result.exit_code == 2, result.output
    assert "--base-url 的值不对" in result.output and expected in result.output, result.output
    assert "Traceback" not in result.output and not (tmp_path / "out").exists()


def test_base_url_with_an_ampersand_makes_sound_robots_sitemap_feed_and_links(content_copy, tmp_path):
    base = "https://example.gov.cn/a&b/"
    result = run("build", content_copy, "--out", tmp_path / "out", "--no-search", "--base-url", base)
    assert result.exit_code == 0, result.output
    out = tmp_path / "out"
    assert (out / "robots.txt").read_text(encoding="utf-8").splitlines() == \
        ["User-agent: *", "Allow: /", f"Sitemap: {base}sitemap.xml"]
    sitemap = lxml.etree.parse(str(out / "sitemap.xml")).getroot()
    locs = [el.text for el in sitemap.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")]
    assert locs[0] == base and f"{base}fenyang-ybj/2024/final-accounts/" in locs
    feed = lxml.etree.parse(str(out / "feed.xml")).getroot()
    assert feed.find("{http://www.w3.org/2005/Atom}link").get("href") == f"{base}feed.xml"
    page = page_of(out, "fenyang-ybj/2024/final-accounts/")
    assert page.cssselect('link[rel="canonical"]')[0].get("href") == f"{base}fenyang-ybj/2024/final-accounts/"


@pytest.mark.parametrize("rel, old, new, key", [
    ("site.yaml", "name: 预决算公开示例门户", 'name: "预决算\\v公开示例门户"', "name"),
    ("site.yaml", "site_name: 预决算公开示例门户", 'site_name: "预决算\\x01公开"', "site_name"),
    ("departments/gaoyi-ybj/department.yaml", "name: 高邑县医疗保障局", 'name: "高邑县\\x1b医疗保障局"', "name"),
    (f"{F}/document.yaml", "title: 汾阳", 'title: "\\x00汾阳', "title"),
])
def test_control_character_escaped_into_a_text_the_feed_shows_is_an_error(content_copy, tmp_path, rel, old, new, key):
    """YAML's escapes make characters no XML file may hold; feed.xml would not parse."""
    path = content_copy / rel
    text = path.read_text(encoding="utf-8")
    assert old in text
    if new.count('"') == 1:          # (the title's line goes on: close the quotes at its end)
        line = next(t for t in text.splitlines() if t.startswith(old))
        new, old = new + line[len(old):] + '"', line
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    line = next(n for n, t in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1) if t.startswith(f"{key}:"))
    result = run("build", content_copy, "--out", tmp_path / "out", "--no-search")
    refused(result, tmp_path / "out", f"{rel}:{line}: “{key}”中有不可见的控制字符")


# -- 5. a full disk ---------------------------------------------------------------------------------

class DiskFull:
    """Fault injection: the ``at``-th write (a file opened for writing, a folder made) fails with
    ENOSPC, as write() raises it: without a file name. Counts and names every write it sees."""

    def __init__(self, monkeypatch, at: int = 0, code: int = errno.ENOSPC):
        self.at, self.code, self.writes = at, code, []
        real_open, real_mkdir = io.open, os.mkdir

        def fake_open(file, mode="r", *args, **kwargs):
            # (a descriptor opened as a file is a pipe: subprocess's to watchman, not the disk)
            if any(c in mode for c in "wax+") and not isinstance(file, int):
                self.hit(file)
            return real_open(file, mode, *args, **kwargs)

        def fake_mkdir(path, *args, **kwargs):
            if not os.path.isdir(path):
                self.hit(path)
            return real_mkdir(path, *args, **kwargs)

        monkeypatch.setattr(io, "open", fake_open)               # (pathlib's)
        monkeypatch.setattr(builtins, "open", fake_open)         # (shutil's copies)
        monkeypatch.setattr(os, "mkdir", fake_mkdir)

    def hit(self, path) -> None:
        self.writes.append(f"descriptor {path}" if isinstance(path, int) else os.fsdecode(path))
        if len(self.writes) == self.at:
            raise OSError(self.code, os.strerror(self.code))


def files_of(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def beside(out: Path) -> list[str]:
    """What is beside the output folder and in it that a build leaves only when interrupted."""
    strays = [p.name for p in out.parent.iterdir() if p.name not in (out.name, f".{out.name}.cache", "key", "key.pub",
                                                                     "content", "clean", ".clean.cache", "before")]
    strays += [p.relative_to(out.parent).as_posix() for p in out.parent.rglob("*") if ".tmp" in p.name]
    return strays


def test_full_disk_at_each_write_of_a_build_keeps_the_last_good_output(tmp_path, monkeypatch):
    """Fault injection at every write a build makes after an edit (staged pages, the top
    manifest and its signature, the folders they go to, the commit's journal, the build cache),
    one at a time: a clear message and exit 1; before the commit the output exactly as it was,
    after it (only the cache is written then) the complete new site, manifest included; and the
    next build gives a clean build's bytes."""
    content = tmp_path / "content"
    shutil.copytree(EXAMPLE, content)
    key, out = tmp_path / "key", tmp_path / "out"
    assert run("keygen", key).exit_code == 0
    build = ["build", content, "--out", out, "-j", "1", "--no-search", "--signing-key", key]
    assert run(*build).exit_code == 0
    shutil.copytree(out, tmp_path / "before/out")               # the last good output, and its cache
    shutil.copytree(tmp_path / ".out.cache", tmp_path / "before/.out.cache")
    good = files_of(out)
    with open(content / F / "overview.md", "a", encoding="utf-8") as handle:
        handle.write("\n补充说明一段文字。\n")
    content_edited = time.time()
    assert run("build", content, "--out", tmp_path / "clean", "-j", "1", "--no-search", "--signing-key", key).exit_code == 0
    clean = files_of(tmp_path / "clean")
    time.sleep(max(0.0, content_edited + RACY_NS / 1e9 - time.time()))   # every run then keeps the edited
    with pytest.MonkeyPatch.context() as patch:                           # department's model (modelcache)
        writes = DiskFull(patch).writes
        assert run(*build).exit_code == 0
    assert any("building" in w and w.endswith("/manifest.json.sig") for w in writes) \
        and any(".commit.json.tmp" in w for w in writes) and any(".build.json.tmp" in w for w in writes), writes
    outcomes = set()
    for at in range(1, len(writes) + 1):
        for name in ("out", ".out.cache"):
            shutil.rmtree(tmp_path / name)
            shutil.copytree(tmp_path / "before" / name, tmp_path / name)
        with pytest.MonkeyPatch.context() as patch:
            disk = DiskFull(patch, at)
            result = run(*build)
        where = disk.writes[at - 1]          # (the write that failed; a cache's failure lets the build go on)
        if any(f"/.out.cache/{kept}/" in where for kept in ("models", "workbooks", "prose")):
            # a department's kept model, workbooks or prose (modelcache): a cache, so the build goes on
            # and a later template change loads that department from its files
            assert result.exit_code == 0, (at, where, result.output)
            assert files_of(out) == clean and not beside(out), (at, where, beside(out))
            outcomes.add("cache")
            continue
        assert result.exit_code == 1, (at, where, result.output)
        assert "Traceback" not in result.output and not isinstance(result.exception, OSError), (at, result.exception)
        assert "磁盘空间不足：写入 " in result.output and " 时失败" in result.output, result.output
        assert not beside(out), (at, where, beside(out))
        if "原来的网站没有改动" in result.output:
            assert files_of(out) == good, (at, where)
            outcomes.add("kept")
        else:
            assert "网站已完整更新（页面、搜索索引和文件清单一致），只是构建缓存没有写完" in result.output, result.output
            assert ".build.json.tmp" in where and files_of(out) == clean, (at, where)
            outcomes.add("finish")
        again = run(*build)
        assert again.exit_code == 0, (at, where, again.output)
        assert files_of(out) == clean, (at, where)
    assert outcomes == {"kept", "finish", "cache"}


# The real thing: a tmpfs of a few megabytes in a private mount namespace (it disappears with the
# process). The portal is built on it, the content changed, and the build run again on the disk
# filled to leave ``free`` bytes (each time from the first build's output, as it was), then again
# with the space back (in that process, -j 1: no worker to fork).
_ON_A_SMALL_DISK = r"""
import json, os, shutil, subprocess, sys, time
from pathlib import Path
from click.testing import CliRunner
from site_builder.cache import RACY_NS
from site_builder.cli import main

disk, content, keep, report, change = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4]), sys.argv[5]
subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(disk)], check=True)
out = disk / "out"

def build(target):
    return CliRunner().invoke(main, ["build", str(content), "--out", str(target), "-j", "1", "--no-search"])

def files(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}

assert build(out).exit_code == 0
for name in ("out", ".out.cache"):          # the last good output and its cache, kept off the tmpfs
    shutil.copytree(disk / name, keep / name)
if change == "edit":                        # pages replaced: the commit frees the old ones
    with open(content / "departments/fenyang-ybj/2024/final-accounts/overview.md", "a", encoding="utf-8") as handle:
        handle.write("\n补充说明一段文字。\n" * 200)
else:                                       # pages added: the cache and manifest need room after the commit
    shutil.copytree(content / "departments/gaoyi-ybj", content / "departments/gaoyi-two")
    for rel in ("department.yaml", "2021/performance/document.yaml"):
        path = content / "departments/gaoyi-two" / rel
        path.write_text(path.read_text(encoding="utf-8").replace("高邑县医疗保障局", "高邑县第二医疗保障局"), encoding="utf-8")
assert build(keep / "clean").exit_code == 0
time.sleep(2.1)       # the changed files no longer racy: every attempt keeps their model (the same room)
good, want = files(keep / "out"), files(keep / "clean")

def attempt(free):
    for path in disk.iterdir():
        shutil.rmtree(path) if path.is_dir() else path.unlink()
    for name in ("out", ".out.cache"):
        shutil.copytree(keep / name, disk / name)
    stat = os.statvfs(disk)
    with open(disk / "filler", "wb") as handle:
        handle.write(b"\0" * (stat.f_bavail * stat.f_frsize - free))
    result = build(out)
    strays = [p.name for p in disk.iterdir() if p.name not in ("out", ".out.cache", "filler")]
    strays += [p.relative_to(disk).as_posix() for p in disk.rglob("*") if ".tmp" in p.name]
    now = files(out)
    (disk / "filler").unlink()
    again = build(out)
    return {"free": free, "code": result.exit_code, "output": result.output, "error": repr(result.exception),
            "kept": now == good, "strays": strays,
            "complete_new": now == want,
            "again": again.exit_code, "again_clean": files(out) == want}

# the least free space the build needs (tmpfs counts 4 KB pages), then each page's worth below it
low, high = 0, 4 << 20
while high - low > 4096:
    middle = (low + high) // 2 // 4096 * 4096
    low, high = (low, middle) if attempt(middle)["code"] == 0 else (middle, high)
runs = [attempt(free) for free in sorted({0, high // 2 // 4096 * 4096, *range(max(0, high - 40960), high + 1, 4096)})]
report.write_text(json.dumps(runs, ensure_ascii=False), encoding="utf-8")
"""


def _mount_namespace_reason(tmp_path: Path) -> str | None:
    """Why a tmpfs cannot be mounted here (None: it can): the test then skips, saying so."""
    if not shutil.which("unshare") or not shutil.which("mount"):
        return "unshare or mount is not installed"
    if os.geteuid() != 0:
        return "mounting a tmpfs needs root"
    probe = tmp_path / "probe"
    probe.mkdir()
    tried = subprocess.run(["unshare", "-m", "--propagation", "private", "mount", "-t", "tmpfs", "-o", "size=1m",
                            "tmpfs", str(probe)], capture_output=True, text=True)
    return None if tried.returncode == 0 else f"no private mount namespace here: {tried.stderr.strip()}"


@pytest.mark.parametrize("change", ["edit", "new department"])
def test_a_real_full_disk_keeps_the_last_good_output(tmp_path, change):
    """A real ENOSPC at every size of free space around what the build needs: a clear message,
    exit 1, nothing left behind; the last good output as it was, or (when the disk filled after
    the commit, writing the build cache) the complete new site; the next build a clean build's bytes."""
    reason = _mount_namespace_reason(tmp_path)
    if reason:
        pytest.skip(reason)
    content, keep = tmp_path / "content", tmp_path / "keep"
    shutil.copytree(EXAMPLE, content)
    keep.mkdir()
    (tmp_path / "disk").mkdir()
    done = subprocess.run(["unshare", "-m", "--propagation", "private", sys.executable, "-c", _ON_A_SMALL_DISK,
                           tmp_path / "disk", content, keep, tmp_path / "report.json", change],
                          capture_output=True, text=True, timeout=300, env={**os.environ, "PYTHONPATH": str(Path(site_builder.__file__).parent.parent)})
    assert done.returncode == 0, done.stderr
    runs = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    failed = [r for r in runs if r["code"] != 0]
    assert failed and any(r["code"] == 0 for r in runs), runs
    for r in failed:
        assert r["code"] == 1 and "Traceback" not in r["output"], r
        assert "磁盘空间不足：写入 " in r["output"] and " 时失败" in r["output"], r
        assert not r["strays"], r
        if "原来的网站没有改动" in r["output"]:
            assert r["kept"], r
        else:
            assert "网站已完整更新" in r["output"] and r["complete_new"], r
    for r in runs:
        assert r["again"] == 0 and r["again_clean"], r
    # (each failure here comes before the commit: the commit frees the pages it replaces, which
    # is room enough for the cache; the fault injection above fails that write too)


@pytest.mark.parametrize("code, words", [
    (errno.EDQUOT, "磁盘配额已用完：写入 "), (errno.EROFS, "磁盘是只读的：写入 "), (errno.EACCES, "没有写入权限：写入 "),
])
def test_quota_read_only_and_permission_are_clear_errors_too(content_copy, tmp_path, monkeypatch, code, words):
    out = tmp_path / "out"
    assert run("build", content_copy, "--out", out, "-j", "1", "--no-search").exit_code == 0
    good = files_of(out)
    (content_copy / F / "overview.md").write_text("改过的概况。\n", encoding="utf-8")
    DiskFull(monkeypatch, at=2, code=code)          # the first page staged (after the staging folder)
    result = run("build", content_copy, "--out", out, "-j", "1", "--no-search")
    assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    assert words in result.output and "fenyang-ybj/2024/final-accounts/" in result.output, result.output
    assert "原来的网站没有改动" in result.output and files_of(out) == good


def test_a_real_read_only_disk_is_a_clear_error(tmp_path):
    reason = _mount_namespace_reason(tmp_path)
    if reason:
        pytest.skip(reason)
    content = tmp_path / "content"
    shutil.copytree(EXAMPLE, content)
    (tmp_path / "disk").mkdir()
    script = f"""
set -e
mount -t tmpfs -o size=16m tmpfs {tmp_path}/disk
{sys.executable} -m site_builder.cli build {content} --out {tmp_path}/disk/out -q --no-search
cp -a {tmp_path}/disk/out {tmp_path}/before
echo 改过的概况。 > {content}/{F}/overview.md
mount -o remount,ro {tmp_path}/disk
set +e
{sys.executable} -m site_builder.cli build {content} --out {tmp_path}/disk/out -q --no-search
echo "exit $?"
diff -r {tmp_path}/before {tmp_path}/disk/out && echo same
"""
    done = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", script], capture_output=True,
                          text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(Path(site_builder.__file__).parent.parent)})
    assert "exit 1" in done.stdout and "same" in done.stdout, (done.stdout, done.stderr)
    assert "磁盘是只读的：写入 " in done.stderr and "Traceback" not in done.stderr, done.stderr


def each_write(monkeypatch, attempt, reset, most: int = 16, least: int = 3) -> list[tuple[int, str, object]]:
    """Run ``attempt`` once to count its writes, then again failing at each write in turn (after
    ``reset``), or at ``most`` of them: the first three, the last five and others evenly between
    (a publish copies every file, twice more compressed): [(n, the write that failed, result)]."""
    with pytest.MonkeyPatch.context() as patch:
        writes = DiskFull(patch).writes
        attempt()
    count = len(writes)
    chosen = range(1, count + 1) if count <= most else \
        sorted({1, 2, 3, *range(count - 4, count + 1), *(round(1 + i * (count - 1) / (most - 8)) for i in range(most - 8))})
    results = []
    for at in chosen:
        reset()
        with pytest.MonkeyPatch.context() as patch:
            disk = DiskFull(patch, at)
            result = attempt()
            results.append((at, disk.writes[-1] if disk.writes else None, result))
            assert disk.writes, (at, getattr(result, "output", result))
    assert len(results) >= least, writes
    return results


def assert_refused_write(at, where, result) -> None:
    assert result.exit_code == 1, (at, where, result.output)
    assert not isinstance(result.exception, OSError) and "Traceback" not in result.output, (at, where, result.exception)
    assert "磁盘空间不足：写入 " in result.output and " 时失败" in result.output, (at, where, result.output)


def test_full_disk_at_each_write_of_publish_keeps_the_current_release(tmp_path, monkeypatch, example_out):
    target = tmp_path / "www"
    assert run("publish", example_out, target).exit_code == 0
    served = os.readlink(target / "current")
    releases = sorted(p.name for p in (target / "releases").iterdir())
    content, site = tmp_path / "content", tmp_path / "site"
    shutil.copytree(EXAMPLE, content)
    (content / F / "overview.md").write_text("改过的概况。\n", encoding="utf-8")
    assert run("build", content, "--out", site, "--no-search").exit_code == 0

    def reset():
        assert sorted(p.name for p in (target / "releases").iterdir()) == releases

    def publish():
        result = run("publish", site, target)
        if result.exit_code == 0:        # (the run that counts the writes: undone by hand, as a rollback writes too)
            (target / "current").unlink()
            (target / "current").symlink_to(served)
            new = next(p for p in (target / "releases").iterdir() if p.is_dir() and p.name not in releases)
            shutil.rmtree(new)
            new.with_name(new.name + ".json").unlink()
        return result

    for at, where, result in each_write(monkeypatch, publish, reset):
        assert_refused_write(at, where, result)
        assert "当前发布的版本没有改动" in result.output, result.output
        assert os.readlink(target / "current") == served
        assert not [p for p in target.rglob("*") if ".tmp" in p.name or ".partial" in p.name]
    assert run("publish", site, target).exit_code == 0 and os.readlink(target / "current") != served



def folders_and_files(root: Path) -> dict[str, bytes | None]:
    """Every file (its bytes) and folder (None) under ``root``: what a clerk's content holds."""
    return {p.relative_to(root).as_posix(): None if p.is_dir() else p.read_bytes() for p in sorted(root.rglob("*"))}


@pytest.mark.parametrize("command", ["import a new document", "import over a document", "add", "new"])
def test_full_disk_at_each_write_of_import_add_and_new_changes_nothing(tmp_path, monkeypatch, command):
    """``import``, ``add`` and ``new`` write the clerk's own content folder: a write the disk
    refuses, at each of their writes in turn, is a clear message, and the folder is as it was —
    no file half new, no temporary, no empty department or year folder (a department folder
    without department.yaml would stop the next build)."""
    from site_builder.content import load_portal
    from site_builder.workbook import document_workbook

    content = tmp_path / "content"
    shutil.copytree(EXAMPLE, content)
    fenyang = next(d for d in load_portal(content).documents if d.department.slug == "fenyang-ybj")
    book = tmp_path / "book.xlsx"
    book.write_bytes(document_workbook(fenyang))
    args = {"import a new document": ["import", book, "--into", content, "--department", "fenyang-ybj", "--year", "2024",
                                      "--kind", "final-accounts"],
            "import over a document": ["import", book, "--into", content, "--department", "fenyang-ybj", "--year", "2024",
                                       "--kind", "final-accounts", "--force"],
            "add": ["add", "new-dept", "2025", "budget", "--into", content, "--name", "新部门"],
            "new": ["new", tmp_path / "portal", "--region", "山西省吕梁市"]}[command]
    target = tmp_path / "portal" if command == "new" else content

    def reset():      # (after the run that counts the writes)
        shutil.rmtree(target, ignore_errors=True)
        if command != "new":
            shutil.copytree(EXAMPLE, content)
        if command == "import a new document":     # (its year folder made anew)
            shutil.rmtree(content / "departments/fenyang-ybj/2024")

    reset()
    before = folders_and_files(target) if target.exists() else None

    for at, where, result in each_write(monkeypatch, lambda: run(*args), reset):
        assert_refused_write(at, where, result)
        assert ("没有留下未写完的门户文件夹" if command == "new" else "内容文件夹中的文件都没有改动") in result.output
        assert (folders_and_files(target) if target.exists() else None) == before, (at, where)
    reset()
    assert run(*args).exit_code == 0
    assert load_portal(target).documents or command == "new"     # (the 【待填写】 stay: a draft, not built)
