"""Bad input of every kind ends in a clear error (file and line, exit 1), never a traceback."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from site_builder.cli import main
from site_builder.model import Record

REPO = Path(__file__).resolve().parent.parent

F = "departments/fenyang-ybj/2024/final-accounts"
L = "departments/lvliang-ybj/2023/budget"
G = "departments/gaoyi-ybj/2021/performance"


def edit(rel: str, old: str, new: str):
    def apply(root: Path) -> None:
        path = root / rel
        text = path.read_text(encoding="utf-8")
        assert old in text, (rel, old)
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return apply


def write(rel: str, data: bytes | str):
    def apply(root: Path) -> None:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return apply


def remove(rel: str):
    def apply(root: Path) -> None:
        (root / rel).unlink()
    return apply


def symlink(rel: str, target: str):
    """``rel`` becomes a link to ``target`` (relative to the content root; may lead outside it)."""
    def apply(root: Path) -> None:
        path = root / rel
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        elif path.exists() or path.is_symlink():
            path.unlink()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.symlink_to((root / target).resolve(), target_is_directory=(root / target).is_dir())
    return apply


def huge(rel: str, megabytes: int):
    """A sparse file of the given size: st_size says 50 MB without writing 50 MB."""
    def apply(root: Path) -> None:
        with open(root / rel, "r+b") as handle:
            handle.truncate(megabytes * 1024 * 1024)
    return apply


def copy_department(source: str, target: str):
    def apply(root: Path) -> None:
        shutil.copytree(root / "departments" / source, root / "departments" / target)
    return apply


def outside_file(root: Path) -> str:
    """A file next to the content folder (outside it), relative to the content root."""
    secret = root.parent / "secret.csv"
    secret.write_text("科目代码,科目名称\n", encoding="utf-8")
    return "../secret.csv"


def both(*changes):
    def apply(root: Path) -> None:
        for change in changes:
            change(root)
    return apply


CASES = {
    "text in an amount cell": (edit(f"{F}/tables/05.csv", "2101506,医疗保障经办事务,69.62", "2101506,医疗保障经办事务,约70"), "tables/05.csv:20:3"),
    "two decimal points": (edit(f"{F}/tables/05.csv", "2101506,医疗保障经办事务,69.62", "2101506,医疗保障经办事务,69.6.2"), "不是金额"),
    "unit inside the cell": (edit(f"{F}/tables/05.csv", "2101506,医疗保障经办事务,69.62", "2101506,医疗保障经办事务,69.62万元"), "不是金额"),
    "too many cells": (edit(f"{F}/tables/05.csv", "221,住房保障支出,43.93,43.93,", "221,住房保障支出,43.93,43.93,,99"), "本行有 6 列"),
    "empty csv": (write(f"{F}/tables/08.csv", ""), "CSV 文件为空"),
    "header not in the profile": (edit(f"{F}/tables/02.csv", "本年收入合计", "收入合计"), "未知的列标题“收入合计”"),
    "header column missing": (edit(f"{F}/tables/09.csv", "预算数/公务接待费,", ""), "缺少列"),
    "code with letters": (edit(f"{F}/tables/03.csv", "2101550,", "21015A0,"), "应只含数字"),
    "code of the wrong length": (edit(f"{L}/tables/03.csv", "2101505,", "21015050,"), "长度为 8 位"),
    "neither code nor name": (edit(f"{F}/tables/05.csv", "2101506,医疗保障经办事务,", ",,"), "科目代码和科目名称都为空"),
    "unknown block group": (edit(f"{F}/tables/06.csv", "30201,办公费,7.64,公用经费", "30201,办公费,7.64,其他经费"), "分组“其他经费”不是本表的分组"),
    "missing table file": (remove(f"{F}/tables/04.csv"), "缺少公开04表"),
    "table file not in profile": (write(f"{L}/tables/14.csv", "项目\n"), "不在方案“budget-13”中"),
    "undecodable bytes": (write(f"{F}/tables/10.csv", b"\xff\xfe\x00\xd8garbage\x81"), "无法识别文件编码"),
    "invalid yaml": (edit(f"{F}/document.yaml", "title: 汾阳", "title: [汾阳"), "YAML 格式错误"),
    "tab in yaml indentation": (edit("site.yaml", "name: 预决算公开示例门户", "name:\t\t[预决算"), "YAML 格式错误"),
    "duplicate yaml key": (edit(f"{F}/document.yaml", "source: 汾阳市医疗保障局", "source: 汾阳市医疗保障局\nsource: 又一个"), "重复的键“source”"),
    "yaml not a mapping": (write(f"{G}/document.yaml", "- just\n- a list\n"), "顶层应为"),
    "wrong type in yaml": (edit(f"{F}/document.yaml", "profile: final-accounts-10", "profile: [final-accounts-10]"), "“profile”应为文本"),
    "unknown document key": (edit(f"{F}/document.yaml", "source: 汾阳市医疗保障局", "source: 汾阳市医疗保障局\nsorce: x"), "未知的设置项“sorce”"),
    "missing site.yaml key": (edit("site.yaml", "site_id_code: \"0000000000\"\n", ""), "缺少必填项“site_id_code”"),
    "unknown kind folder": (write("departments/fenyang-ybj/2024/final-account/document.yaml", "title: x\n"), "未知的公开类型文件夹“final-account”"),
    "year that is not a year": (write("departments/fenyang-ybj/24/final-accounts/document.yaml", "title: x\n"), "“24”不是年度文件夹"),
    "slug with capitals": (write("departments/Fenyang/department.yaml", "name: x\n"), "不符合要求"),
    "missing department.yaml": (write("departments/newdept/2024/budget/document.yaml", "title: x\n"), "缺少部门信息文件"),
    "missing document.yaml": (remove(f"{G}/document.yaml"), "缺少公开文件信息 document.yaml"),
    "profile of another kind": (edit(f"{L}/document.yaml", "profile: budget-13", "profile: final-accounts-10"), "不能用于 budget"),
    "unknown form kind": (edit(f"{F}/attachments/05-archives.yaml", 'kind: "project-self-evaluation"', 'kind: "project-report"'), "未知的附件表类型"),
    "form without project": (edit(f"{L}/attachments/01-office-equipment.yaml", 'project: "办公设备购置费"', 'project: ""'), "缺少必填项“project”"),
    "missing markdown part": (remove(f"{G}/deviation.md"), "找不到文件“deviation.md”"),
    "bad placeholder in prose": (edit(f"{G}/report.md", "{{ score(T('02').total('score')) }}", "{{ score(T('99').total('score')) }}"), "report.md"),
    "explanation input not a number": (edit(f"{F}/document.yaml", "total_income: 5333.23", "total_income: 很多"), "不是数字"),
    "table_notes for an unknown table": (edit(f"{F}/document.yaml", "title: 汾阳", "table_notes: {'42': x}\ntitle: 汾阳"), "table_notes 中的表“42”"),
    "known issue without reason": (edit(f"{F}/document.yaml", "    reason: 原公开的自评表", "    why: 原公开的自评表"), "未知的设置项“why”"),
    "unknown check rule": (edit("site.yaml", "region: 山西省吕梁市", "region: 山西省吕梁市\nchecks: {disabled: [no.such]}"), "未知的检查规则"),
    "control character in yaml": (edit(f"{F}/document.yaml", "source: 汾阳市医疗保障局", "source: 汾阳市\x07医疗保障局"), "不可见的控制字符"),
    "stray carriage return in a cell": (write(f"{F}/tables/08.csv", "科目代码,科目名称,本年支出/合计,本年支出/基本支出,本年支出/项目支出\n,合\r计,,,\n"), "tables/08.csv"),
    "score above maximum": (edit(f"{G}/tables/02.csv", ",2,2\n", ",2,3\n"), "超过了“分值”"),
    # files that are not what they seem
    "csv is an Excel workbook": (write(f"{F}/tables/05.csv", b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 64), "这是 Excel 工作簿"),
    "csv is an old .xls": (write(f"{F}/tables/05.csv", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64), "这是 Excel 工作簿"),
    "a 50 MB csv": (huge(f"{F}/tables/05.csv", 50), "文件过大（50.0 MB"),
    "a 50 MB prose file": (huge(f"{F}/overview.md", 50), "文件过大"),
    # paths that lead outside the content folder
    "table symlinked outside": (lambda root: symlink(f"{F}/tables/05.csv", outside_file(root))(root), "指向内容文件夹之外的链接"),
    "department symlinked outside": (lambda root: (shutil.copytree(root / "departments/gaoyi-ybj", root.parent / "elsewhere"),
                                                   symlink("departments/gaoyi-ybj", "../elsewhere")(root)), "指向内容文件夹之外的链接"),
    "subjects path with ..": (lambda root: (outside_file(root), edit("site.yaml", "region: 山西省吕梁市", "region: 山西省吕梁市\nchecks: {subjects: ../secret.csv}")(root)),
                              "路径“../secret.csv”指向内容文件夹之外"),
    "subjects file missing": (edit("site.yaml", "region: 山西省吕梁市", "region: 山西省吕梁市\nchecks: {subjects: 科目.yaml}"), "找不到科目名称文件"),
    "subjects file with a bad code": (both(write("科目.yaml", "功能分类:\n  \"21015x\": 名称\n"),
                                           edit("site.yaml", "region: 山西省吕梁市", "region: 山西省吕梁市\nchecks: {subjects: 科目.yaml}")), "“21015x”不是科目代码"),
    # the same disclosure twice
    "department copied under a second slug": (copy_department("gaoyi-ybj", "gaoyi-ybj-copy"), "部门名称“高邑县医疗保障局”与 departments/gaoyi-ybj/ 重复"),
    "department symlinked under a second slug": (symlink("departments/gaoyi", "departments/gaoyi-ybj"), "部门名称“高邑县医疗保障局”与 departments/gaoyi/ 重复"),
    "two departments with one code": (edit("departments/lvliang-ybj/department.yaml", 'code: "056"', 'code: "403"'), "部门代码“403”与"),
    # CSV rows and cells
    "too few cells": (edit(f"{F}/tables/05.csv", "221,住房保障支出,43.93,43.93,", "221,住房保障支出,43.93"), "本行只有 3 列"),
    "unpaired quote": (edit(f"{F}/tables/05.csv", "2101506,医疗保障经办事务", '2101506,"医疗保障经办事务'), "tables/05.csv:20:2: 单元格中有换行"),
    "NUL byte in a cell": (edit(f"{F}/tables/05.csv", "医疗保障经办事务", "医疗保障\x00经办事务"), "不可见的控制字符"),
    "percent in an amount cell": (edit(f"{F}/tables/05.csv", "2101506,医疗保障经办事务,69.62", "2101506,医疗保障经办事务,69.62%"), "不是金额"),
    "a column twice in the header": (edit(f"{F}/tables/05.csv", "科目代码,科目名称,", "科目代码,科目名称,科目名称,"), "未知的列标题“科目名称”"),
    "header row blank": (write(f"{F}/tables/08.csv", "\n"), "缺少列"),
    # YAML and settings
    "unknown profile": (edit(f"{F}/document.yaml", "profile: final-accounts-10", "profile: final-accounts-11"), "未知的表格方案“final-accounts-11”"),
    "profile with an unknown key": (write("profiles/x.yaml", "name: x\nkind: budget\nfoo: 1\ntables: []\n"), "未知的设置项“foo”"),
    "indicators not a list": (edit(f"{F}/attachments/05-archives.yaml", "indicators:", "indicators: 3\nx_indicators:"), "“indicators”应为列表"),
    "rounding not a number": (edit("site.yaml", "region: 山西省吕梁市", "region: 山西省吕梁市\nchecks: {rounding: {万元: abc}}"), "尾数容差“abc”不是数字"),
    "severity not error or warning": (edit("site.yaml", "region: 山西省吕梁市", "region: 山西省吕梁市\nchecks: {severity: {sum.rows: fatal}}"), "应为 error 或 warning"),
    "known issue of an unknown rule": (edit(f"{F}/document.yaml", "  - rule: form.total", "  - rule: form.totl"), "未知的检查规则“form.totl”"),
    "department name not text": (edit("departments/gaoyi-ybj/department.yaml", "name: 高邑县医疗保障局", "name: [高邑县医疗保障局]"), "“name”应为文本"),
    "year before 1950": (write("departments/fenyang-ybj/1899/budget/document.yaml", "title: x\n"), "“1899”不是年度文件夹"),
    "no site.yaml": (remove("site.yaml"), "找不到门户配置文件 site.yaml"),
    "no departments folder": (lambda root: shutil.rmtree(root / "departments"), "找不到 departments 文件夹"),
    "code in prose": (edit(f"{G}/deviation.md", "", "{{ ''.__class__.__mro__[1].__subclasses__() }}\n"), "deviation.md:1: 文中的"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input_is_a_clear_error(content_copy, tmp_path, name):
    change, expected = CASES[name]
    change(content_copy)
    result = CliRunner().invoke(main, ["build", str(content_copy), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1, result.output
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit), result.exception
    assert expected in result.output, result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def test_a_typo_in_a_form_template_fails_the_build(content_copy, tmp_path):
    """A form's field that is not in docs/form-schema.md is no field: StrictUndefined stops the
    build on ``form.projcet`` instead of printing "None" (model.Record)."""
    template = (REPO / "templates/forms/project-performance-target.html").read_text(encoding="utf-8")
    assert "{{ form.project }}" in template
    write("templates/forms/project-performance-target.html",
          template.replace("{{ form.project }}", "{{ form.projcet }}", 1))(content_copy)
    result = CliRunner().invoke(main, ["build", str(content_copy), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1, result.output
    assert "渲染页面 lvliang-ybj/2023/budget/index.html 时出错" in result.output
    assert "has no attribute 'projcet'" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def test_a_form_field_left_out_reads_none_and_any_other_name_is_an_error():
    form = Record.of({"kind": "project-self-evaluation", "goals": {"target": "x"}})
    assert form.kind == "project-self-evaluation" and form.goals.target == "x"
    assert form.period is None and form.goals.actual is None       # declared, left out of the file
    for name in ("projcet", "__html__", "_private"):
        with pytest.raises(AttributeError):
            getattr(form, name)


def test_utf8_bom_full_width_and_spaces_are_accepted(content_copy, tmp_path):
    path = content_copy / F / "tables/05.csv"
    text = path.read_text(encoding="utf-8").replace("2101506,医疗保障经办事务,69.62,,69.62",
                                                    "2101506,医疗保障经办事务, 69.62 ,,６９．６２")
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    result = CliRunner().invoke(main, ["build", str(content_copy), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output


def test_html_in_prose_and_cells_is_escaped(content_copy, tmp_path):
    path = content_copy / F / "tables/10.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("货物,2,4.96", "<script>alert(1)</script>货物,2,4.96"),
                    encoding="utf-8")
    build = CliRunner().invoke(main, ["build", str(content_copy), "--out", str(tmp_path / "out")])
    assert build.exit_code == 0, build.output
    page = (tmp_path / "out/fenyang-ybj/2024/final-accounts/index.html").read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;货物" in page
