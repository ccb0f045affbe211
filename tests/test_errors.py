"""Bad input: a clear Chinese message naming the file and line (and column), exit code 1."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from site_builder.cli import main

DOC = "departments/fenyang-ybj/2024/final-accounts"


def run_build(content: Path, tmp_path: Path):
    return CliRunner().invoke(main, ["build", str(content), "--out", str(tmp_path / "out")])


def replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_non_number_amount_names_file_row_and_column(content_copy, tmp_path):
    csv = content_copy / DOC / "tables/03.csv"
    replace(csv, "2101506,医疗保障经办事务,69.62,,69.62", "2101506,医疗保障经办事务,69.62,,六十九")
    result = run_build(content_copy, tmp_path)
    assert result.exit_code == 1
    lines = csv.read_text(encoding="utf-8").splitlines()
    row = next(i for i, line in enumerate(lines, start=1) if line.startswith("2101506"))
    assert f"tables/03.csv:{row}:5: “项目支出”列：“六十九”不是金额" in result.output
    assert not (tmp_path / "out").exists()


def test_thousands_separators_and_full_width_digits_are_accepted(content_copy, tmp_path):
    csv = content_copy / DOC / "tables/03.csv"
    replace(csv, ",合计,2262.43,612.10,1650.32", ',合计,"2,262.43",６１２．１０,"1,650.32"')
    result = run_build(content_copy, tmp_path)
    assert result.exit_code == 0, result.output
    page = (tmp_path / "out" / "fenyang-ybj/2024/final-accounts/index.html").read_text(encoding="utf-8")
    assert 'data-key="total">2,262.43</td>' in page and 'data-key="basic">612.10</td>' in page


def test_missing_required_yaml_key(content_copy, tmp_path):
    path = content_copy / "departments/fenyang-ybj/department.yaml"
    replace(path, "name: 汾阳市医疗保障局\n", "")
    result = run_build(content_copy, tmp_path)
    assert result.exit_code == 1
    assert "department.yaml:" in result.output and "缺少必填项“name”（部门全称）" in result.output


def test_invalid_yaml_gives_line_and_column(content_copy, tmp_path):
    path = content_copy / DOC / "document.yaml"
    replace(path, "profile: final-accounts-10", "profile: [final-accounts-10")
    result = run_build(content_copy, tmp_path)
    assert result.exit_code == 1
    assert "document.yaml:" in result.output and "YAML 格式错误" in result.output


def test_unknown_table_in_a_portal_profile(content_copy, tmp_path):
    profiles = content_copy / "profiles"
    profiles.mkdir()
    source = Path(__file__).resolve().parent.parent / "site_builder/profiles/final-accounts-10.yaml"
    text = source.read_text(encoding="utf-8").replace('table: "09", column: actual_total', 'table: "99", column: actual_total')
    (profiles / "final-accounts-10.yaml").write_text(text, encoding="utf-8")
    result = run_build(content_copy, tmp_path)
    assert result.exit_code == 1
    line = next(i for i, ln in enumerate(text.splitlines(), start=1) if '"99"' in ln)
    assert f"profiles/final-accounts-10.yaml:{line}: headline 引用的表“99”不在本方案中" in result.output


def test_table_file_not_in_the_profile(content_copy, tmp_path):
    (content_copy / DOC / "tables/11.csv").write_text("项目\n", encoding="utf-8")
    result = run_build(content_copy, tmp_path)
    assert result.exit_code == 1
    assert "tables/11.csv: 表格文件“11.csv”不在方案“final-accounts-10”中" in result.output


def test_unknown_profile_name(content_copy, tmp_path):
    replace(content_copy / DOC / "document.yaml", "profile: final-accounts-10", "profile: final-accounts-11")
    result = run_build(content_copy, tmp_path)
    assert result.exit_code == 1
    assert "未知的表格方案“final-accounts-11”" in result.output and "final-accounts-10" in result.output


def test_wrong_csv_header_lists_the_expected_columns(content_copy, tmp_path):
    replace(content_copy / DOC / "tables/05.csv", "科目代码,科目名称,小计", "科目代码,科目名称,合计数")
    result = run_build(content_copy, tmp_path)
    assert result.exit_code == 1
    assert "tables/05.csv:1:3: 未知的列标题“合计数”" in result.output
    assert "本年支出/小计" in result.output


def test_bad_subject_code(content_copy, tmp_path):
    replace(content_copy / DOC / "tables/02.csv", "2101506,", "210150,")
    result = run_build(content_copy, tmp_path)
    assert result.exit_code == 1
    assert "科目代码“210150”长度为 6 位，功能分类的代码应为 3、5、7 位" in result.output


def test_missing_input_for_the_explanation(content_copy, tmp_path):
    replace(content_copy / DOC / "document.yaml", "    office_operation: 13.63", "")
    result = run_build(content_copy, tmp_path)
    assert result.exit_code == 1
    assert "document.yaml" in result.output and "inputs.prior_year.office_operation" in result.output


def test_unknown_setting_is_reported_with_the_allowed_ones(content_copy, tmp_path):
    replace(content_copy / "site.yaml", "region: 山西省吕梁市", "region: 山西省吕梁市\nregoin: 吕梁")
    result = run_build(content_copy, tmp_path)
    assert result.exit_code == 1
    assert "site.yaml:" in result.output and "未知的设置项“regoin”" in result.output


def test_gbk_encoded_csv_is_read(content_copy, tmp_path):
    csv = content_copy / DOC / "tables/10.csv"
    csv.write_bytes(csv.read_text(encoding="utf-8").encode("gb18030"))
    result = run_build(content_copy, tmp_path)
    assert result.exit_code == 0, result.output


def test_zero_budget_rate_is_not_printed_as_zero_percent(content_copy, tmp_path):
    """DOMAIN §5: a rate whose denominator is zero is undefined; never 完成年初预算0.00%."""
    replace(content_copy / DOC / "document.yaml", '"221": 50.65', '"221": 0')
    result = run_build(content_copy, tmp_path)
    assert result.exit_code == 0, result.output
    page = (tmp_path / "out" / "fenyang-ybj/2024/final-accounts/index.html").read_text(encoding="utf-8")
    assert "住房保障支出年初预算0.00万元，支出决算43.93万元，用于" in page
    assert not __import__("re").search(r"(?<![\d.])0\.00%", page)


CJK = re.compile("[\u4e00-\u9fff]")


@pytest.mark.parametrize("command", [None, *sorted(main.commands)])
def test_help_is_in_chinese(command):
    """Every command's --help: click's headings, its usage line, the description and every
    option's help in Chinese (finance staff read Chinese); no English of click's left."""
    args = [command, "--help"] if command else ["--help"]
    result = CliRunner().invoke(main, args, prog_name="site-builder")
    assert result.exit_code == 0
    text = result.output
    assert text.startswith(f"用法：site-builder {command + ' ' if command else ''}[选项]") and "\n选项：\n" in text
    for english in ("Usage:", "Options:", "Commands:", "[default:", "[required]", "OPTIONS", "COMMAND"):
        assert english not in text
    description, options = text.split("\n选项：\n")
    assert CJK.search(description.split("\n", 1)[1])
    rows = [line for line in options.splitlines() if line.startswith("  -")]
    assert rows and all(CJK.search(row) or "[" in row for row in rows), rows   # (a row's help may start on its next line)
    if command is None:
        assert "\n命令：\n" in text and "  build     检查内容并生成网站" in text


def usage_error(*args: str):
    result = CliRunner().invoke(main, list(args), prog_name="site-builder")
    assert result.exit_code == 2, result.output
    return result.output


def test_usage_errors_are_in_chinese_with_clicks_english_after():
    unknown = usage_error("build", "--no-such-option")
    assert unknown.startswith("用法：site-builder build [选项] [CONTENT_DIR]\n运行“site-builder build --help”查看说明。")
    assert "错误：没有选项“--no-such-option”（No such option '--no-such-option'.）" in unknown
    assert "错误：没有选项“--ot”；是不是要用 --jobs、--monitor、--out？" in usage_error("build", "--ot", "x")
    assert "错误：缺少参数 PRIVATE_KEY（Missing argument 'PRIVATE_KEY'.）" in usage_error("keygen")
    assert "错误：缺少选项 --department" in usage_error("import", "book.xlsx")
    assert "错误：没有命令“bild”；是不是要用 build？" in usage_error("bild")
    assert "错误：--format 的值不对：“xml”不是可选的值（可选：text、json）" in usage_error("check", "--format", "xml")
    assert "错误：-j / --jobs 的值不对：“x”不是整数" in usage_error("build", "-j", "x")
    assert "错误：-j / --jobs 的值不对：0 超出范围（x>=1）" in usage_error("build", "-j", "0")
    assert "错误：选项 --out 后面缺少值" in usage_error("build", "--out")
    assert "错误：多余的参数：b" in usage_error("build", "a", "b")
    assert "错误：publish 只接受两个文件夹" in usage_error("publish", "a", "b", "c")     # ours: as it was, no English


def test_version_and_content_errors(tmp_path):
    runner = CliRunner()
    from site_builder import __version__
    assert runner.invoke(main, ["--version"], prog_name="site-builder").output == f"site-builder {__version__}\n"
    missing = runner.invoke(main, ["build", str(tmp_path / "nowhere"), "--out", str(tmp_path / "o")])
    assert missing.exit_code == 1 and missing.output.startswith("错误：") and "找不到门户配置文件 site.yaml" in missing.output


def test_check_command(content_copy):
    assert CliRunner().invoke(main, ["check", str(content_copy)]).exit_code == 0
    replace(content_copy / DOC / "tables/09.csv", "4.60,,4.60", "4.60,,x")
    result = CliRunner().invoke(main, ["check", str(content_copy)])
    assert result.exit_code == 1 and "tables/09.csv:2:3" in result.output


def build_quickly(content: Path, tmp_path: Path):
    return CliRunner().invoke(main, ["build", str(content), "--out", str(tmp_path / "out"), "--no-search"])


def add_one_to_every_subtotal(content: Path) -> None:
    """公开05表 with 1.00 added to each row's 小计: 32 errors (each row and its parents)."""
    path = content / DOC / "tables/05.csv"
    header, *rows = path.read_text(encoding="utf-8").split("\n")
    rows = [re.sub(r"^([^,]*,[^,]*,)(\d+\.\d\d)", lambda m: f"{m.group(1)}{float(m.group(2)) + 1:.2f}", row)
            for row in rows]
    path.write_text("\n".join([header, *rows]), encoding="utf-8")


def test_a_failed_first_build_says_no_site_was_made_and_how_many_errors_are_not_listed(content_copy, tmp_path):
    add_one_to_every_subtotal(content_copy)
    result = build_quickly(content_copy, tmp_path)
    assert result.exit_code == 1
    first, *rest = result.output.splitlines()
    assert first.endswith("检查发现 32 个错误，未生成网站：") and "保持不变" not in result.output
    listed = [line for line in rest if re.match(r"  \S.*:\d+(:\d+)?: \[[a-z.-]+\] ", line)]
    assert len(listed) == 20
    assert f"  另有 12 个错误未列出，完整列表：site-builder check {content_copy} --format json" in rest
    full = CliRunner().invoke(main, ["check", str(content_copy), "--format", "json"])
    assert json.loads(full.stdout)["summary"]["error"] == 32                       # the command it names lists them all


def test_a_failed_build_over_a_site_says_that_site_stays(content_copy, tmp_path):
    assert build_quickly(content_copy, tmp_path).exit_code == 0
    before = (tmp_path / "out/index.html").read_bytes()
    add_one_to_every_subtotal(content_copy)
    result = build_quickly(content_copy, tmp_path)
    assert result.exit_code == 1
    assert f"检查发现 32 个错误，未生成新网站（{tmp_path / 'out'} 中原有的网站保持不变）：" in result.output.splitlines()[0]
    assert (tmp_path / "out/index.html").read_bytes() == before


def test_ctrl_c_is_said_in_chinese(monkeypatch, tmp_path):
    """Ctrl-C during a command: a Chinese line (the output stays the last whole site), exit 1 —
    not click's English “Aborted!”."""
    import site_builder.cli as cli

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "build", interrupted)
    result = CliRunner().invoke(cli.main, ["build", str(tmp_path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert "已中断（Ctrl-C）" in result.output and "Aborted" not in result.output
