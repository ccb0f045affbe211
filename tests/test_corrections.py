"""更正记录: a disclosure changed after publishing shows every changed cell and sentence, for good."""

from __future__ import annotations

import json

import lxml.html
import pytest

from conftest import FENYANG
from site_builder.build import build
from site_builder.corrections import cell_changes, sentences
from site_builder.errors import ContentError
from site_builder.publish import publish

CSV = "departments/fenyang-ybj/2024/final-accounts/tables/05.csv"
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
