"""更正记录: a disclosure changed after publishing shows every changed cell and sentence, for good."""

from __future__ import annotations

import json

import lxml.html
import pytest

from conftest import FENYANG
from site_builder.build import build
from site_builder.corrections import cell_changes, form_changes, sentences
from site_builder.errors import ContentError
from site_builder.publish import publish

CSV = "departments/fenyang-ybj/2024/final-accounts/tables/05.csv"
FORMS = "departments/fenyang-ybj/2024/final-accounts/attachments"
DIALYSIS = f"{FORMS}/07-dialysis-subsidy.yaml"        # a 项目支出绩效自评表
DIALYSIS_TITLE = "肾病透析患者医疗费政府补助资金项目支出绩效自评表"
REASON = "2024年肾病透析患者透析基本医保报销政策调整所致。"
OVERVIEW = "departments/fenyang-ybj/2024/final-accounts/overview.md"
FIRST = "汾阳市医疗保障局成立于2019年3月"


def edit(path, old, new):
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def records_of(out):
    page = lxml.html.parse(str(out / FENYANG / "index.html")).getroot()
    return page, page.cssselect("section.correction-records")


def test_a_corrected_cell_and_sentence_are_recorded_and_kept_in_later_releases(content_copy, tmp_path, monkeypatch):
    out, target = tmp_path / "out", tmp_path / "www"
    build(content_copy, out, search=False)
    assert not records_of(out)[1] and not (out / FENYANG / "corrections.json").exists()
    publish(out, target, now=1_800_000_000)
    edit(content_copy / CSV, "2101506,医疗保障经办事务,69.62", "2101506,医疗保障经办事务,69.63")
    edit(content_copy / OVERVIEW, FIRST, FIRST + "（更正）")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")          # 2026-01-01
    build(content_copy, out, search=False, previous_release=target)
    page, sections = records_of(out)
    assert len(sections) == 1
    cells = [[c.text_content() for c in row] for row in sections[0].cssselect("tbody tr")]
    assert cells == [["公开05表 一般公共预算财政拨款支出决算表", "2101506 医疗保障经办事务", "本年支出/小计", "69.62", "69.63"]]
    changed = sections[0].cssselect(".sentence-changes li")
    assert any("第一部分 概况" in li.text_content() and FIRST + "（更正）" in li.cssselect("ins")[0].text_content()
               and "（更正）" not in li.cssselect("del")[0].text_content() for li in changed)
    assert sections[0].cssselect("h3")[0].text_content() == "2026-01-01 更正"
    assert "2026-01-01 更正过" in page.cssselect("dl.facts")[0].text_content()
    # published: the next release keeps the record, and a later correction adds a second one
    publish(out, target, now=1_800_000_060)
    build(content_copy, out, search=False, previous_release=target)
    assert len(json.loads((out / FENYANG / "corrections.json").read_text(encoding="utf-8"))) == 1
    publish(out, target, now=1_800_000_120)
    edit(content_copy / CSV, "2101506,医疗保障经办事务,69.63", "2101506,医疗保障经办事务,69.62")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1769904000")          # 2026-02-01
    build(content_copy, out, search=False, previous_release=target)
    records = json.loads((out / FENYANG / "corrections.json").read_text(encoding="utf-8"))
    assert [r["date"] for r in records] == ["2026-01-01", "2026-02-01"]
    assert records[1]["cells"][0]["old"] == "69.63" and records[1]["cells"][0]["new"] == "69.62"
    assert [h.text_content() for h in records_of(out)[1][0].cssselect("h3")] == ["2026-02-01 更正", "2026-01-01 更正"]
    # a build that names no published release keeps what the last build recorded
    build(content_copy, out, search=False)
    assert len(json.loads((out / FENYANG / "corrections.json").read_text(encoding="utf-8"))) == 2
    # other disclosures, unchanged, have no record
    assert not (out / "lvliang-ybj/2023/budget/corrections.json").exists()


def test_the_previous_release_must_be_a_published_site(content_copy, tmp_path):
    with pytest.raises(ContentError, match="不是已发布的网站"):
        build(content_copy, tmp_path / "out", search=False, previous_release=tmp_path)


def test_the_first_publication_as_documented_builds_and_says_why_no_records(content_copy, tmp_path):
    """README's first publication: ``build --previous-release /srv/www/yjsgk`` before that folder
    exists failed in English (click's "does not exist"); it builds, and says why no record."""
    from click.testing import CliRunner

    from site_builder.cli import main

    target, out = tmp_path / "www", tmp_path / "out"
    result = CliRunner().invoke(main, ["build", str(content_copy), "--out", str(out), "--no-search",
                                       "--previous-release", str(target)])
    assert result.exit_code == 0, result.output
    assert "还不存在：这是第一次发布，本次不生成更正记录" in result.output
    assert (out / FENYANG / "index.html").is_file() and not list(out.rglob("corrections.json"))
    publish(out, target)
    edit(content_copy / CSV, "2101506,医疗保障经办事务,69.62", "2101506,医疗保障经办事务,69.63")
    result = CliRunner().invoke(main, ["build", str(content_copy), "--out", str(out), "--no-search",
                                       "--previous-release", str(target)])
    assert result.exit_code == 0 and "第一次发布" not in result.output, result.output
    assert (out / FENYANG / "corrections.json").is_file()


def test_cells_are_matched_by_row_identity_not_position():
    columns = [{"key": "name", "label": "项目", "path": [], "type": "label"},
               {"key": "amount", "label": "金额", "path": [], "type": "amount"}]
    old = {"tables": [{"id": "1", "number": "表1", "title": "t", "columns": columns,
                       "rows": [{"cells": {"name": "甲", "amount": "1.00"}}, {"cells": {"name": "乙", "amount": "2.00"}}]}]}
    new = {"tables": [{"id": "1", "number": "表1", "title": "t", "columns": columns,
                       "rows": [{"cells": {"name": "乙", "amount": "2.00"}}, {"cells": {"name": "甲", "amount": "1.50"}}]}]}
    assert cell_changes(old, new) == [{"table": "表1 t", "row": "甲", "column": "金额", "old": "1.00", "new": "1.50"}]


def test_a_row_or_a_table_added_or_removed_is_recorded_whole():
    """Everything published is covered: a row only one release prints, a cell only one has, and a
    table added or dropped are records too, never a silent republication (issue 26)."""
    columns = [{"key": "name", "label": "项目", "path": [], "type": "label"},
               {"key": "amount", "label": "金额", "path": [], "type": "amount"},
               {"key": "basic", "label": "其中：基本支出", "path": [], "type": "amount"}]

    def table(table_id, *rows):
        return {"id": table_id, "number": f"表{table_id}", "title": "t", "columns": columns, "rows": list(rows)}
    old = {"tables": [table("1", {"cells": {"name": "甲", "amount": "1.00", "basic": "0.50"}},
                            {"cells": {"name": "乙", "amount": "2.00"}}), table("2")]}
    new = {"tables": [table("1", {"cells": {"name": "甲", "amount": "1.00"}},
                            {"cells": {"name": "丙", "amount": "<script>3</script>"}}), table("3")]}
    assert cell_changes(old, new) == [
        {"table": "表1 t", "row": "甲", "column": "其中：基本支出", "old": "0.50", "new": "（空白）"},
        {"table": "表1 t", "row": "丙", "column": "（整行）", "old": "（无此行）", "new": "项目：丙；金额：<script>3</script>"},
        {"table": "表1 t", "row": "乙", "column": "（整行）", "old": "项目：乙；金额：2.00", "new": "（已删除）"},
        {"table": "表3 t", "row": "（整表）", "column": "", "old": "（无此表）", "new": "新增，0 行"},
        {"table": "表2 t", "row": "（整表）", "column": "", "old": "0 行", "new": "（已删除）"}]


def test_a_row_added_to_a_published_table_shows_on_the_page(content_copy, tmp_path):
    out, target = tmp_path / "out", tmp_path / "www"
    build(content_copy, out, search=False)
    publish(out, target, now=1_800_000_000)
    edit(content_copy / CSV, "2101506,医疗保障经办事务,69.62,,69.62\n",
         "2101506,医疗保障经办事务,69.62,,69.62\n2101504,机关服务,,,\n")
    build(content_copy, out, search=False, previous_release=target, allow_errors=True)
    cells = [[c.text_content() for c in row] for row in records_of(out)[1][0].cssselect("tbody tr")]
    assert ["公开05表 一般公共预算财政拨款支出决算表", "2101504 机关服务", "（整行）", "（无此行）",
            "（空白）"] in cells


def test_sentences_split_chinese_prose_and_drop_markup():
    assert sentences("### 一、职责\n\n甲。乙；丙\n\n| a | b |\n|---|---|") == ["一、职责", "甲。", "乙；", "丙", "a  b"]


def test_site_yaml_names_the_published_portal_for_build_and_preview(content_copy, tmp_path, monkeypatch):
    """``previous_release:`` in site.yaml: every build (no option needed) and the preview make the
    records against the published portal; before the first publication the build says why none."""
    target = tmp_path / "www"
    site = content_copy / "site.yaml"
    site.write_text(site.read_text(encoding="utf-8") + "previous_release: ../www\n", encoding="utf-8")
    out = tmp_path / "out"
    result = build(content_copy, out, search=False)
    assert "还没有已发布的网站" in result.note and not (out / FENYANG / "corrections.json").exists()
    publish(out, target, now=1_800_000_000)
    edit(content_copy / CSV, "2101506,医疗保障经办事务,69.62", "2101506,医疗保障经办事务,69.63")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")          # 2026-01-01
    result = build(content_copy, out, search=False)
    assert "previous_release" not in result.note
    assert [h.text_content() for h in records_of(out)[1][0].cssselect("h3")] == ["2026-01-01 更正"]
    # the preview shows the record the next publication will carry, and follows a further save
    from test_serve import Server
    import urllib.request

    server = Server(content_copy, "--no-search")
    try:
        def sections():
            with urllib.request.urlopen(server.url + FENYANG + "/") as response:
                return lxml.html.fromstring(response.read()).cssselect("section.correction-records")

        rows = sections()[0].cssselect("tbody tr")
        assert [c.text_content() for c in rows[0]][-2:] == ["69.62", "69.63"]
        edit(content_copy / CSV, "2101506,医疗保障经办事务,69.63", "2101506,医疗保障经办事务,69.61")  # (within rounding)
        assert "✓" in server.wait_for_line("05.csv")
        rows = sections()[0].cssselect("tbody tr")
        assert [c.text_content() for c in rows[0]][-2:] == ["69.62", "69.61"]
    finally:
        assert server.stop() == 0


def form_rows(section):
    """The rows of a record's table of changed attachment fields, as text (附件, 项目, 栏目, 原文, 更正后)."""
    return [[c.text_content() for c in row] for table in section.cssselect("table.form-changes")
            for row in table.cssselect("tbody tr")]


def test_a_changed_form_is_recorded_like_a_table_cell(content_copy, tmp_path, monkeypatch):
    """A 自评表's score and text changed after publishing: one entry per field (form, item, printed
    label, old → new) on the page and in corrections.json, kept in later releases; a published
    ``<script>`` shows as text; a build that changes nothing records nothing."""
    out, target = tmp_path / "out", tmp_path / "www"
    edit(content_copy / DIALYSIS, REASON, "<script>alert(1)</script>" + REASON)       # as once published
    build(content_copy, out, search=False)
    publish(out, target, now=1_800_000_000)
    build(content_copy, out, search=False, previous_release=target)                     # nothing changed
    assert not records_of(out)[1] and not (out / FENYANG / "corrections.json").exists()
    edit(content_copy / DIALYSIS, 'rate: "100.00"\n    score: "10.00"', 'rate: "100.00"\n    score: "9.00"')
    edit(content_copy / DIALYSIS, "<script>alert(1)</script>" + REASON, REASON)
    edit(content_copy / DIALYSIS, 'actual: "=28人"', 'actual: "=29人"')
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")          # 2026-01-01
    build(content_copy, out, search=False, previous_release=target)
    page, sections = records_of(out)
    assert len(sections) == 1 and sections[0].cssselect("h3")[0].text_content() == "2026-01-01 更正"
    assert form_rows(sections[0]) == [
        [DIALYSIS_TITLE, "市基层财政补助", "得分", "10.00", "9.00"],
        [DIALYSIS_TITLE, "市基层财政补助", "偏差原因", "<script>alert(1)</script>" + REASON, REASON],
        [DIALYSIS_TITLE, "产出指标/数量指标/肾病透析职工", "实际完成值", "=28人", "=29人"]]
    assert not sections[0].cssselect("script")                      # the old text is text, not a script
    assert sections[0].cssselect("table.form-changes a")[0].get("href") == "#form-07-dialysis-subsidy"
    assert page.cssselect("#form-07-dialysis-subsidy")
    records = json.loads((out / FENYANG / "corrections.json").read_text(encoding="utf-8"))
    assert [(r["date"], r["cells"], r["sentences"]) for r in records] == [("2026-01-01", [], [])]
    assert records[0]["forms"][0] == {"form": DIALYSIS_TITLE, "anchor": "07-dialysis-subsidy",
                                      "item": "市基层财政补助", "field": "得分", "old": "10.00", "new": "9.00"}
    # published, the record stays in the next releases, with no new one while nothing changes
    publish(out, target, now=1_800_000_060)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1769904000")          # 2026-02-01
    build(content_copy, out, search=False, previous_release=target)
    assert json.loads((out / FENYANG / "corrections.json").read_text(encoding="utf-8")) == records
    publish(out, target, now=1_800_000_120)
    build(content_copy, out, search=False, previous_release=target)
    assert form_rows(records_of(out)[1][0])[0] == [DIALYSIS_TITLE, "市基层财政补助", "得分", "10.00", "9.00"]


def test_a_form_added_or_removed_is_one_entry(content_copy, tmp_path, monkeypatch):
    out, target = tmp_path / "out", tmp_path / "www"
    build(content_copy, out, search=False)
    publish(out, target, now=1_800_000_000)
    forms = content_copy / FORMS
    (forms / "05-archives.yaml").unlink()
    (forms / "09-dialysis-copy.yaml").write_text((content_copy / DIALYSIS).read_text(encoding="utf-8")
                                                 .replace('project: "肾病透析', 'project: "另一个肾病透析'), encoding="utf-8")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    build(content_copy, out, search=False, previous_release=target)
    records = json.loads((out / FENYANG / "corrections.json").read_text(encoding="utf-8"))
    assert records[0]["forms"] == [
        {"form": DIALYSIS_TITLE + "：另一个肾病透析患者医疗费政府补助资金", "anchor": "09-dialysis-copy", "change": "added"},
        {"form": "医保档案规范化整理经费项目支出绩效自评表", "anchor": "05-archives", "change": "removed"}]
    rows = form_rows(records_of(out)[1][0])
    assert rows == [[DIALYSIS_TITLE + "：另一个肾病透析患者医疗费政府补助资金", "新增附件"],
                    ["医保档案规范化整理经费项目支出绩效自评表", "删除附件"]]


def test_a_release_without_forms_in_its_data_gives_no_form_entries(content_copy, tmp_path):
    """A release published before data.json held the forms: nothing to compare them with, so no
    entry (not every form "added"); its table cells are still compared."""
    out, target = tmp_path / "out", tmp_path / "www"
    build(content_copy, out, search=False)
    publish(out, target, now=1_800_000_000)
    data = target / "current" / FENYANG / "data.json"
    old = json.loads(data.read_text(encoding="utf-8"))
    del old["forms"]
    data.unlink()                                 # (a hard link shared with other releases: not written in place)
    data.write_text(json.dumps(old, ensure_ascii=False), encoding="utf-8")
    edit(content_copy / DIALYSIS, 'actual: "=28人"', 'actual: "=29人"')
    build(content_copy, out, search=False, previous_release=target)
    assert not (out / FENYANG / "corrections.json").exists()
    edit(content_copy / CSV, "2101506,医疗保障经办事务,69.62", "2101506,医疗保障经办事务,69.63")
    build(content_copy, out, search=False, previous_release=target)
    records = json.loads((out / FENYANG / "corrections.json").read_text(encoding="utf-8"))
    assert len(records[0]["cells"]) == 1 and records[0]["forms"] == []


def test_form_lines_are_matched_by_name_and_fields_named_as_printed():
    """A 申报表: an indicator is named by its levels, a side's field as “年度指标/指标值”; a renamed
    line is the same line; a line only one release has is one entry; labels a form overrides are
    the ones its page prints."""
    def target(indicators, funding):
        return {"forms": [{"anchor": "01-a", "position": 1, "kind": "project-performance-target",
                           "title": "申报表", "project": "办公设备", "funding": funding, "indicators": indicators}]}
    side = {"level2": "数量指标", "level3": "台式电脑", "value": "5台"}
    old = target([{"level1": "产出指标", "period": side, "annual": side}],
                 [{"source": "资金总额", "period_total": "1", "annual": "1"}, {"source": "单位自筹", "annual": "0"},
                  {"source": "其他资金", "annual": "1"}])
    new = target([{"level1": "产出指标", "period": side, "annual": {**side, "value": "6台"}}],
                 [{"source": "资金总额（元）", "period_total": "1", "annual": "2"}, {"source": "单位自筹", "annual": "0"}])
    head = {"form": "申报表：办公设备", "anchor": "01-a"}
    assert form_changes(old, new) == [
        {**head, "item": "资金总额（元）", "field": "资金来源", "old": "资金总额", "new": "资金总额（元）"},
        {**head, "item": "资金总额（元）", "field": "年度资金", "old": "1", "new": "2"},
        {**head, "item": "其他资金", "change": "removed", "old": "资金来源：其他资金；年度资金：1", "new": "（无）"},
        {**head, "item": "产出指标/数量指标/台式电脑", "field": "年度指标/指标值", "old": "5台", "new": "6台"}]
    assert form_changes(old, old) == [] and form_changes({"tables": []}, new) == []
    evaluation = {"forms": [{"anchor": "02-b", "kind": "project-self-evaluation", "title": "自评表",
                             "labels": {"reason": "绩效原因"}, "total_score": "90",
                             "funding": [{"source": "资金总额", "reason": "甲。乙。丙。"}],
                             "analysis": [{"label": "产出情况", "text": "一。二。"}]}]}
    changed = {"forms": [{**evaluation["forms"][0], "total_score": "91",
                          "funding": [{"source": "资金总额", "reason": "甲。乙改。丙。"}],
                          "analysis": [{"label": "产出情况", "text": "一。二。三。"}]}]}
    assert [(c["item"], c["field"], c["old"], c["new"]) for c in form_changes(evaluation, changed)] == [
        ("", "总分", "90", "91"),
        ("资金总额", "绩效原因", "乙。", "乙改。"),                   # only the changed sentence of a text
        ("产出情况", "项目绩效分析", "（空白）", "三。")]


def every_form_file():
    """Every attachment of the example and of the test fixtures (every kind a portal can have)."""
    from conftest import EXAMPLE, REPO

    return sorted([*EXAMPLE.rglob("attachments/*.yaml"), *(REPO / "tests/fixtures").rglob("attachments/*.yaml")])


@pytest.mark.parametrize("path", every_form_file(), ids=lambda path: f"{path.parent.parent.parent.parent.name}/{path.name}")
def test_every_field_of_a_form_has_its_printed_label(path):
    """A record names each field by the label the form prints (得分, 偏差原因), never by its key in
    the file (score): each field of every form, compared with an empty form of its kind. (A new
    form kind: give its labels to corrections._KIND_LABELS.)"""
    import re

    from site_builder.catalog import form_data
    from site_builder.content import load_form

    form = load_form(path)
    form["position"] = 1
    data = form_data(form)
    changes = form_changes({"forms": [{"anchor": data["anchor"], "kind": data["kind"]}]}, {"forms": [data]})
    assert changes
    labels = []
    for change in changes:
        if "field" in change:
            labels += change["field"].split("/")
        else:                                   # a line: “得分：10；偏差原因：…”
            labels += [name for name in re.findall(r"(?:^|；)([^：；]*)：", change["new"]) for name in name.split("/")]
    assert labels and not [label for label in labels if re.fullmatch(r"[a-z_][a-z_0-9]*", label)], changes


def dates_shown(out, slug_year_kind):
    """(the page's 发布日期 and 更新日期 facts, the department page's card line, the department-year
    card line, catalog.json's published and updated) of one disclosure."""
    slug, year, kind = slug_year_kind.strip("/").split("/")
    page = lxml.html.parse(str(out / slug_year_kind / "index.html")).getroot()
    facts = {div.cssselect("dt")[0].text_content(): div.cssselect("dd")[0].text_content()
             for div in page.cssselect("dl.facts > div")}
    cards = [lxml.html.parse(str(path)).getroot().cssselect(f'.doc-card:has(a[href$="{kind}/index.html"]) .doc-dates')
             for path in (out / slug / "index.html", out / slug / year / "index.html")]
    entry = next(d for d in json.loads((out / "catalog.json").read_text(encoding="utf-8"))["documents"]
                 if d["url"] == slug_year_kind)
    return (facts.get("发布日期"), facts.get("更新日期"), *(c[0].text_content() for c in cards),
            entry["published"], entry["updated"])


def test_publication_and_update_dates_on_the_page_the_cards_and_the_catalog(content_copy, tmp_path, monkeypatch):
    """发布日期 on every disclosure (原文件未注明 where the source gives none, never left out), and
    更新日期 once a correction record exists — on its page, its department's cards and catalog.json,
    also when a later build takes the department from the cache."""
    out, target = tmp_path / "out", tmp_path / "www"
    build(content_copy, out, search=False)
    assert dates_shown(out, "gaoyi-ybj/2021/performance/") == \
        ("2022-05-19", None, "发布日期：2022-05-19", "发布日期：2022-05-19", "2022-05-19", None)
    assert dates_shown(out, FENYANG + "/") == \
        ("原文件未注明", None, "发布日期：原文件未注明", "发布日期：原文件未注明", None, None)
    publish(out, target, now=1_800_000_000)
    edit(content_copy / CSV, "2101506,医疗保障经办事务,69.62", "2101506,医疗保障经办事务,69.63")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")          # 2026-01-01
    build(content_copy, out, search=False, previous_release=target)
    updated = ("原文件未注明", "2026-01-01（2026-01-01 更正过，见更正记录）",
               "发布日期：原文件未注明；更新日期：2026-01-01（更正过）",
               "发布日期：原文件未注明；更新日期：2026-01-01（更正过）", None, "2026-01-01")
    assert dates_shown(out, FENYANG + "/") == updated
    print_meta = lxml.html.parse(str(out / FENYANG / "index.html")).getroot().cssselect("p.print-meta")[0]
    assert "发布日期：原文件未注明" in print_meta.text_content() and "更新日期：2026-01-01" in print_meta.text_content()
    edit(content_copy / "departments/gaoyi-ybj/2021/performance/report.md", "贯彻落实", "认真贯彻落实")
    build(content_copy, out, search=False, previous_release=target)      # fenyang from the cache
    assert dates_shown(out, FENYANG + "/") == updated
    assert dates_shown(out, "lvliang-ybj/2023/budget/")[4:] == (None, None)
