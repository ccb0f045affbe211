"""A YAML mistake is named in Chinese, at the line where it is, with what to do (issue #28).

Each case plants one kind of mistake at a known line of the example's real document.yaml (or
site.yaml) and runs ``site-builder check``: exit 1, the file, the line (and column) of the cause,
the Chinese cause, and PyYAML's own words kept in brackets for an operator. Where PyYAML's
position is elsewhere (it reports where its parser gave up), the case names it too: the
message's line is the better one.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from site_builder.cli import main

F = "departments/fenyang-ybj/2024/final-accounts/document.yaml"

# the lines of fenyang's document.yaml that the cases change (asserted as they are)
TITLE = (4, "title: 汾阳市医疗保障局2024年度部门决算公开")
PROFILE = (5, "profile: final-accounts-10")
SOURCE = (6, "source: 汾阳市医疗保障局")
INCOME = (13, "    total_income: 5333.23          # 收入总计：2262.43 + 3070.80")
SPENDING = (14, "    total_expenditure: 5333.23     # 支出总计：2262.43 + 3070.80")

# name: (line changed, new text, expected "line:column", the Chinese cause, PyYAML's position or None)
CASES = {
    "tab indentation": (INCOME, "\ttotal_income: 5333.23", "13:1", "用 Tab 键缩进", None),
    "tab after a list dash": (SOURCE, "source:\n  -\t汾阳市医疗保障局", "7:4", "这里有一个 Tab 字符", None),
    "no space after the colon": (INCOME, INCOME[1].replace(": ", ":", 1), "13:17", "冒号后缺少空格",
                                 "at line 14, column 5"),
    "no space after the colon, no comment": (INCOME, "    total_income:5333.23", "13:17", "冒号后缺少空格",
                                             "at line 14, column 22"),
    "full-width colon": (PROFILE, "profile：final-accounts-10", "5:8", "用了中文冒号“：”", "at line 6, column 1"),
    "full-width colon, a comment with one": (INCOME, INCOME[1].replace(": ", "：", 1), "13:17", "用了中文冒号“：”",
                                             "at line 14, column 5"),
    "no colon at all": (SOURCE, "source 汾阳市医疗保障局", "6:1", "这一行缺少冒号", "at line 7, column 1"),
    "unclosed double quote": (TITLE, 'title: "汾阳市医疗保障局2024年度部门决算公开', "4:8",
                              "引号 \" 没有配对：从这里起的文字被读到了第 19 行的下一个 \"", "at line 19, column 8"),
    "unclosed single quote": (SOURCE, "source: '汾阳市医疗保障局", "6:9",
                              "引号 ' 没有配对：从这里到文件末尾都没有对应的 '", "at line "),
    "quote closed mid-value": (TITLE, 'title: "汾阳市医疗保障局"2024年度部门决算公开', "4:8",
                               "引号 \" 在值的中间就结束了，后面还有文字", None),
    "key indented less than its level": (SPENDING, "   total_expenditure: 5333.23", "14:4",
                                         "缩进不一致：这一行缩进 3 个空格，与同一层的第 12 行（缩进 2 个空格）不对齐", None),
    "key indented more than the key above": (SPENDING, "     total_expenditure: 5333.23", "14:6",
                                             "缩进不一致：这一行缩进 5 个空格，与同一层的第 13 行（缩进 4 个空格）不对齐", None),
    "key indented under a line with a value": (SOURCE, "source: 汾阳市医疗保障局\n  published: 2025-01-01", "7:3",
                                               "缩进不一致：这一行比第 6 行多缩进了 2 个空格，而第 6 行已经有值",
                                               "at line 7, column 12"),
    "list item among keys": (SPENDING, "    - 5333.23", "14:5", "同一层中“键: 值”与列表项“- ”混用", None),
    "unclosed bracket": (PROFILE, "profile: [final-accounts-10", "5:10", "未闭合的括号“[”", "at line 6, column 7"),
    "unclosed brace": (PROFILE, "profile: {final-accounts-10", "5:10", "未闭合的括号“{”", None),
    "text after a bracketed start": (SOURCE, "source: [2024]汾阳市医疗保障局", "6:9", "值以“[”开头，被当作列表读取",
                                     "at line 6, column 15"),
    "comma too many in braces": (SOURCE, "source: {name: 汾阳市医疗保障局,, code: 1}", "6:25",
                                 "方括号或花括号中的内容写错了", None),
    "colon and space inside a value": (TITLE, "title: 汾阳市医疗保障局: 2024年度部门决算公开", "4:16",
                                       "值中有英文冒号加空格“: ”", None),
    "value starting with @": (SOURCE, "source: @汾阳市医疗保障局", "6:9", "值不能以“@”开头", None),
    "value starting with *": (SOURCE, "source: *汾阳市医疗保障局", "6:9", "值不能以“*”开头", None),
    "backslash in double quotes": (SOURCE, 'source: "D:\\汾阳\\公开"', "6:12", "双引号中的反斜杠“\\”被当作转义符", None),
    "second document": (SOURCE, "source: 汾阳市医疗保障局\n---\nother: x", "7:1", "文件中有第二份内容", None),
    "list item on the key's line": (SOURCE, "source: - 汾阳市医疗保障局", "6:9", "列表项“- ”不能写在键的同一行", None),
    "repeated key": (SOURCE, "source: 汾阳市医疗保障局\ntitle: 又一个", "7:1", "重复的键“title”（第 4 行已有）", None),
}


def plant(path: Path, line: tuple[int, str], new: str) -> None:
    lines = path.read_text(encoding="utf-8").split("\n")
    number, old = line
    assert lines[number - 1] == old, (number, lines[number - 1])
    lines[number - 1] = new
    path.write_text("\n".join(lines), encoding="utf-8")


@pytest.mark.parametrize("name", CASES)
def test_each_yaml_mistake_is_named_at_its_line(content_copy, name):
    line, new, where, cause, pyyaml_at = CASES[name]
    plant(content_copy / F, line, new)
    result = CliRunner().invoke(main, ["check", str(content_copy)])
    assert result.exit_code == 1, result.output
    first = result.output.splitlines()[0]
    assert f"{F}:{where}: YAML 格式错误：{cause}" in first, first
    assert "提示：" in result.output                                # what to do
    if name != "repeated key":                                       # (found by us, not by PyYAML)
        assert "（PyYAML：" in first                                 # its words, for an operator
    if pyyaml_at:
        assert pyyaml_at in first                                    # where PyYAML stopped, if elsewhere


def test_an_invisible_control_character_is_named_at_its_line_and_column(content_copy):
    plant(content_copy / F, SOURCE, "source: 汾阳市\x07医疗保障局")
    result = CliRunner().invoke(main, ["check", str(content_copy)])
    assert result.exit_code == 1
    assert f"{F}:6:12: 文件中有不可见的控制字符（'\\x07'）" in result.output


def test_a_quoted_value_over_two_lines_is_not_taken_for_an_unclosed_quote(content_copy):
    """A double-quoted value may go on over lines: the quote search reads past it to the real
    mistake (a missing space after a colon, further down)."""
    plant(content_copy / F, TITLE, 'title: "汾阳市医疗保障局\n  2024年度部门决算公开"')
    plant(content_copy / F, (14, INCOME[1]), "    total_income:5333.23")
    result = CliRunner().invoke(main, ["check", str(content_copy)])
    assert f"{F}:14:17: YAML 格式错误：冒号后缺少空格" in result.output, result.output


@pytest.mark.parametrize("text, where", [("\r'", "x.yaml:2:1"), ("a: 1\u2028b: \"x", "x.yaml:2:4")],
                         ids=["lone CR", "line separator"])
def test_lines_are_counted_as_yaml_counts_them(text, where):
    """PyYAML breaks lines at CR, LF, CRLF, NEL and the Unicode line and paragraph separators: the
    cause is looked for on those lines (a lone CR made the quote search read past the last line —
    tests/test_fuzz.py found it)."""
    import yaml

    from site_builder.yaml_errors import yaml_error

    with pytest.raises(yaml.MarkedYAMLError) as caught:
        yaml.safe_load(text)
    error = yaml_error(Path("x.yaml"), text, caught.value)
    assert str(error).startswith(f"{where}: YAML 格式错误：引号")
