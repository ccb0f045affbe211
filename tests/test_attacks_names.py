"""Attack corpus (issue 23): names and addresses taken from content never become markup, paths
or broken files, and a full disk is a clear error.

Each test tries one attack on a copy of the example content (or a tiny portal made here) and
asserts on what a clerk would see: the exit code, the message (file, and line where there is
one), that nothing was written, and, where the input is legitimate, that the page parses to
the very text the content holds.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import lxml.html
import pytest
from click.testing import CliRunner

from site_builder.cli import main

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

