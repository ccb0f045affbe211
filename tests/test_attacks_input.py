"""Hostile content (issue #23, "Content is data"): each attack ends in a clear Chinese error naming
the file and line, exit 1 and no output, within the bounds of docs/templates.md ("Bounded work"):
10 s and 500 MB, measured on a real build by tests/limits.py.

The attacks: YAML that expands (aliases of aliases), loops (an alias inside its own anchor) or nests
past libyaml's stack; numbers that are not finite, or too long to convert or print; CSV files of a
million rows, one enormous cell or millions of columns; control characters in Markdown. The largest
inputs still accepted are built too, within the same bounds.
"""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from limits import MEGABYTES, SECONDS, run_limited
from test_bad_input import F, G, L, edit

from site_builder import numbers
from site_builder.sources import MAX_TABLE_ROWS, MAX_TEXT_CHARS

BUILTIN_PROFILES = Path(__file__).resolve().parent.parent / "site_builder/profiles"
FORM = f"{L}/attachments/01-office-equipment.yaml"     # a 项目支出绩效目标申报表
SELF_EVALUATION = f"{F}/attachments/05-archives.yaml"  # a 项目支出绩效自评表


def laughs(indent: str = "", leaf: str = "x", levels: int = 9) -> str:
    """The "billion laughs": nine leaves, then each level a list of nine aliases of the level
    before (9^9, 387 million leaves once expanded)."""
    lines = [f"{indent}l0: &l0 [{', '.join([leaf] * 9)}]"]
    lines += [f"{indent}l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


def inputs(text: str):
    """``text`` as the first lines under ``inputs:`` of the Fenyang document.yaml (its line 11)."""
    return edit(f"{F}/document.yaml", "inputs:\n", "inputs:\n" + text)


def total_income(value: str):
    return edit(f"{F}/document.yaml", "total_income: 5333.23", f"total_income: {value}")


def profile(old: str, new: str):
    """The built-in final-accounts-10 profile, copied into the content folder and changed."""
    def apply(root: Path) -> None:
        (root / "profiles").mkdir(exist_ok=True)
        shutil.copy(BUILTIN_PROFILES / "final-accounts-10.yaml", root / "profiles")
        edit("profiles/final-accounts-10.yaml", old, new)(root)
    return apply


def profile_line(text: str) -> str:
    """“profiles/final-accounts-10.yaml:N:”, N the line of ``text`` in the built-in profile
    (computed: the comment at its top, which documents the keys, grows)."""
    lines = (BUILTIN_PROFILES / "final-accounts-10.yaml").read_text(encoding="utf-8").splitlines()
    return f"profiles/final-accounts-10.yaml:{next(n for n, line in enumerate(lines, start=1) if text in line)}:"


def csv_rows(rel: str, row: str, count: int):
    """The table's header, then ``row`` ``count`` times."""
    def apply(root: Path) -> None:
        path = root / rel
        header = path.read_text(encoding="utf-8").splitlines()[0]
        path.write_text(header + "\n" + (row + "\n") * count, encoding="utf-8")
    return apply


DIGITS = "9" * 5000

# attack → (change, where the error must point, what it must say)
CASES = {
    # YAML that expands, loops or nests
    "billion laughs in document.yaml inputs": (inputs(laughs("  ")), f"{F}/document.yaml:15:42:", "展开别名“*l3”后文字超过 50,000 个字符"),
    "billion laughs of empty lists in an attachment": (edit(FORM, "overview:", laughs(leaf="[]") + "overview:"),
                                                       "01-office-equipment.yaml:34:", "展开别名“*l4”后内容超过 100,000 项"),
    "alias inside its own list": (inputs("  a: &a [*a]\n"), f"{F}/document.yaml:11:10:", "循环引用"),
    "mapping that contains itself": (inputs("  a: &a {b: *a}\n"), f"{F}/document.yaml:11:13:", "循环引用"),
    "mapping that merges itself": (inputs("  a: &a {<<: *a}\n"), f"{F}/document.yaml:11:14:", "循环引用"),
    # (the file's mapping and inputs: are levels 1 and 2; the 99th bracket opens level 101)
    "list nested 10,000 deep": (inputs("  d: " + "[" * 10_000 + "]" * 10_000 + "\n"), f"{F}/document.yaml:11:104:", "嵌套超过 100 层"),
    "list nested 200,000 deep (libyaml crashed)": (inputs("  d: " + "[" * 200_000 + "]" * 200_000 + "\n"),
                                                   f"{F}/document.yaml:11:104:", "嵌套超过 100 层"),
    "mapping nested 10,000 deep": (inputs("  d: " + "{a: " * 10_000 + "1" + "}" * 10_000 + "\n"),
                                   f"{F}/document.yaml:11:398:", "嵌套超过 100 层"),
    "block mappings nested 150 deep": (inputs("".join(" " * (2 + i) + f"k{i}:\n" for i in range(150)) + " " * 152 + "x: 1\n"),
                                       f"{F}/document.yaml:110:", "嵌套超过 100 层"),
    "alias that nests past the limit": (inputs("  a: &a " + "[" * 60 + "]" * 60 + "\n  b: " + "[" * 50 + "*a" + "]" * 50 + "\n"),
                                        f"{F}/document.yaml:12:56:", "展开别名“*a”后嵌套超过 100 层"),
    "anchor defined twice": (inputs("  a: &a 1\n  b: &a 2\n"), f"{F}/document.yaml:12:6:", "锚点“&a”重复（第 11 行已有）"),
    "alias without an anchor": (inputs("  a: *nope\n"), f"{F}/document.yaml:11:6:", "别名“*nope”没有对应的锚点"),
    "list as a key": (inputs("  [a, b]: 1\n"), f"{F}/document.yaml:11:3:", "键（冒号前）应为文字"),
    "mapping as a key": (inputs("  ? {a: 1}\n  : 2\n"), f"{F}/document.yaml:11:5:", "键（冒号前）应为文字"),
    "a 9 MB title": (edit(f"{F}/document.yaml", "title: ", "title: " + "长" * 3_000_000 + " "), f"{F}/document.yaml:4:8:",
                     "文字超过 50,000 个字符"),
    "a million short values": (inputs("  a: [" + "1," * 1_000_000 + "1]\n"), f"{F}/document.yaml:11:", "文字超过 50,000 个字符"),
    "a million empty lists": (inputs("  a: [" + "[]," * 1_000_000 + "[]]\n"), f"{F}/document.yaml:11:", "内容超过 100,000 项"),
    "!!binary value": (inputs("  a: !!binary aGVsbG8=\n"), f"{F}/document.yaml:11:6:", "不支持的 YAML 类型标记“!!binary”"),
    "!!set value": (inputs("  a: !!set {x, y}\n"), f"{F}/document.yaml:11:6:", "不支持的 YAML 类型标记“!!set”"),
    # numbers typed in YAML: document.yaml inputs, forms, profiles, site.yaml
    "input .nan": (total_income(".nan"), f"{F}/document.yaml:13:19:", "“.nan”不是具体的数字"),
    "input .inf": (total_income(".inf"), f"{F}/document.yaml:13:19:", "“.inf”不是具体的数字"),
    "input -.inf": (total_income("-.inf"), f"{F}/document.yaml:13:19:", "“-.inf”不是具体的数字"),
    "input 1.0e+400 (a float: infinite)": (total_income("1.0e+400"), f"{F}/document.yaml:13:19:", "不是具体的数字"),
    "input 1e400 (text)": (total_income("1e400"), f"{F}/document.yaml:13:", "“1e400”过大：整数部分超过 15 位"),
    "input 1e-400": (total_income("1e-400"), f"{F}/document.yaml:13:", "“1e-400”的小数超过 6 位"),
    "input 1e999999999": (total_income('"1e999999999"'), f"{F}/document.yaml:13:", "“1e999999999”过大"),
    "input of 16 digits": (total_income("1234567890123456"), f"{F}/document.yaml:13:", "过大：整数部分超过 15 位"),
    "input of 5,000 digits": (total_income(DIGITS), f"{F}/document.yaml:13:19:", "数字过长（5,000 个字符）"),
    "input of 5,000 digits as text": (total_income(f'"{DIGITS}"'), f"{F}/document.yaml:13:", "“99999999999999999999…（共 5,000 个字符）”过大"),
    "input of 5,000 decimals": (total_income("0." + "1" * 5000), f"{F}/document.yaml:13:19:", "数字过长"),
    "input of 5,000 decimals as text": (total_income('"0.' + "1" * 5000 + '"'), f"{F}/document.yaml:13:", "的小数超过 6 位"),
    "input of base-60 digits": (total_income("1" + ":1" * 60), f"{F}/document.yaml:13:19:", "数字过长"),
    "form funding .nan": (edit(FORM, 'annual: "37,000"', "annual: .nan"), "01-office-equipment.yaml:13:13:", "“.nan”不是具体的数字"),
    "form funding 1e999999999": (edit(FORM, 'annual: "37,000"', 'annual: "1e999999999"'), "01-office-equipment.yaml:13:",
                                 "“annual”：“1e999999999”过大"),
    "form score NaN": (edit(SELF_EVALUATION, 'score: "20"', 'score: "NaN"'), "05-archives.yaml:39:", "“score”：“NaN”不是具体的数字"),
    "form weight of 5,000 digits": (edit(SELF_EVALUATION, 'weight: "20"', f'weight: "{DIGITS}"'), "05-archives.yaml:38:", "“weight”：“9999"),
    "form rate of 7 decimals": (edit(SELF_EVALUATION, 'score: "10.00"', 'score: "10.0000001%"'), "05-archives.yaml:26:", "的小数超过 6 位"),
    "profile grade of 21 digits": (profile("{min: 90, label: 优}", "{min: 100000000000000000000, label: 优}"),
                                   profile_line("{min: 90, label: 优}"), "“min”：“100000000000000000000”过大"),
    "profile grade .inf": (profile("{min: 90, label: 优}", "{min: .inf, label: 优}"), profile_line("{min: 90, label: 优}"),
                           "“.inf”不是具体的数字"),
    "profile row range of 100 billion rows": (profile('parts: ["1-26"]', 'parts: ["1-99999999999"]'), profile_line('parts: ["1-26"]'),
                                              "行次范围“1-99999999999”超出表格的行数"),
    "profile block count of a billion": (profile("count: 1,", "count: 1000000000,"), "profiles/final-accounts-10.yaml:", "“count”应为 1 到 33 之间的整数"),
    "profile block count of 0": (profile("count: 1,", "count: 0,"), "profiles/final-accounts-10.yaml:", "“count”应为 1 到 33 之间的整数"),
    "rounding tolerance 1e999999999": (edit("site.yaml", "region: 山西省吕梁市", 'region: 山西省吕梁市\nchecks: {rounding: {万元: "1e999999999"}}'),
                                       "site.yaml:", "“万元”的尾数容差“1e999999999”过大"),
    # amounts in CSV cells
    "CSV amount of 16 digits": (edit(f"{F}/tables/01.csv", "2262.43", "1234567890123456"), f"{F}/tables/01.csv:2:3:", "过大：整数部分超过 15 位"),
    "CSV amount of 1,000 digits": (edit(f"{F}/tables/01.csv", "2262.43", "9" * 1000), f"{F}/tables/01.csv:2:3:", "“99999999999999999999…（共 1,000 个字符）”过大"),
    "CSV amount with separators, 19 digits": (edit(f"{F}/tables/01.csv", "2262.43", '"1,234,567,890,123,456,789"'), f"{F}/tables/01.csv:2:3:", "过大"),
    "CSV amount of 7 decimals": (edit(f"{F}/tables/01.csv", "2262.43", "2262.4300001"), f"{F}/tables/01.csv:2:3:", "的小数超过 6 位"),
    # CSV files that are long, wide or one cell
    "CSV of a million rows": (csv_rows(f"{F}/tables/08.csv", "208,a,,,", 1_000_000), f"{F}/tables/08.csv:5002:", "表格超过 5,000 行"),
    "CSV of ten million blank lines": (edit(f"{F}/tables/03.csv", "\n", "\n" + "\n" * 9_000_000), f"{F}/tables/03.csv:5002:", "表格超过 5,000 行"),
    "CSV cell quoted to the end of the file": (edit(f"{F}/tables/01.csv", "2262.43", '"' + "x" * 9_000_000), f"{F}/tables/01.csv:2:",
                                               "单元格过长（超过 131,072 个字符）"),
    "CSV row of 9 million cells": (edit(f"{F}/tables/01.csv", "2262.43", "2262.43" + "," * 9_000_000), f"{F}/tables/01.csv:2:101:", "本行超过 100 列"),
    "CSV header of 9 million cells": (edit(f"{F}/tables/01.csv", "\n", "," * 9_000_000 + "\n"), f"{F}/tables/01.csv:1:101:", "本行超过 100 列"),
    "CSV cell of 3,000 characters": (edit(f"{F}/tables/03.csv", "社会保障和就业支出", "长" * 3000), f"{F}/tables/03.csv:3:2:", "单元格过长（3,000 个字符"),
    "NUL in a CSV header": (edit(f"{F}/tables/01.csv", "收入/项目", "收入/\x00项目"), f"{F}/tables/01.csv:1:1:", "列标题中有不可见的控制字符（'\\x00'）"),
    "NUL in a CSV cell": (edit(f"{F}/tables/03.csv", "社会保障和就业支出", "社会保障\x00和就业支出"), f"{F}/tables/03.csv:3:2:", "单元格中有不可见的控制字符（'\\x00'）"),
    # control characters and length in Markdown
    "NUL in overview.md": (edit(f"{F}/overview.md", "。", "。\x00", ), f"{F}/overview.md:3:", "文件中有不可见的控制字符（'\\x00'）"),
    "start-of-heading in a report": (edit(f"{G}/report.md", "。", "。\x01"), f"{G}/report.md:", "不可见的控制字符（'\\x01'）"),
    "form feed in overview.md": (edit(f"{F}/overview.md", "。", "。\x0c"), f"{F}/overview.md:3:", "不可见的控制字符（'\\x0c'）"),
    "NUL in glossary.md": (edit(f"{L}/glossary.md", "。", "。\x00"), f"{L}/glossary.md:1:41:", "不可见的控制字符（'\\x00'）"),
    "a 9 MB Markdown file": (edit(f"{F}/overview.md", "。", "。" + "长" * 3_000_000), f"{F}/overview.md:3:", "文件过长（3,000,"),
}


def build_limited(content: Path, out: Path, *options: str):
    result = run_limited(["build", content, "--out", out, *options], seconds=SECONDS, megabytes=MEGABYTES)
    assert not result.timed_out, f"still running after {SECONDS} s"
    assert result.peak_mb < MEGABYTES, result.peak_mb
    return result


@pytest.mark.parametrize("name", sorted(CASES))
def test_attack_is_a_clear_error_in_bounded_work(content_copy, tmp_path, name):
    change, where, message = CASES[name]
    change(content_copy)
    result = build_limited(content_copy, tmp_path / "out")
    assert result.returncode == 1, result.output[-2000:]
    assert "Traceback" not in result.output, result.output[-2000:]
    assert f"{where}" in result.output and message in result.output, result.output[-2000:]
    assert result.output.count("\n") < 10, "the error is one message, not a dump of the input"
    assert not (tmp_path / "out").exists()


def test_modest_anchors_and_aliases_still_work(content_copy, tmp_path):
    """A block written once and repeated (as budget-13.yaml does with its columns) is plain YAML."""
    edit(f"{F}/document.yaml", "domestic_reception: {amount: 0, batches: 0, people: 0}\n"
                               "    foreign_affairs_reception: {amount: 0, batches: 0, people: 0}\n"
                               "    overseas_reception: {amount: 0, batches: 0, people: 0}",
         "domestic_reception: &none {amount: 0, batches: 0, people: 0}\n"
         "    foreign_affairs_reception: *none\n"
         "    overseas_reception: {<<: *none, batches: 0}")(content_copy)
    result = build_limited(content_copy, tmp_path / "out")
    assert result.returncode == 0, result.output[-2000:]


def test_crlf_tabs_and_a_bom_in_markdown_are_accepted(content_copy, tmp_path):
    """Only invisible control characters are refused: Windows line ends and tabs are text."""
    path = content_copy / F / "overview.md"
    text = path.read_text(encoding="utf-8").replace("\n", "\r\n").replace("。", "。\t", 1)
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    result = build_limited(content_copy, tmp_path / "out")
    assert result.returncode == 0, result.output[-2000:]


def test_a_table_at_the_row_limit_builds_in_bounded_work(content_copy, tmp_path):
    """MAX_TABLE_ROWS rows of distinct 科目 (a 类, its 款, their 项), blank amounts: every check
    passes, so every page, download and the search index are made."""
    path = content_copy / F / "tables/03.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    rows = ["201,一般公共服务支出,,,,,,"]
    for k in range(1, 99):
        rows += [f"201{k:02d},款{k},,,,,,"] + [f"201{k:02d}{j:02d},项{k}-{j},,,,,," for j in range(1, 100)]
    rows = rows[:MAX_TABLE_ROWS - (len(lines) - 1)]
    path.write_text("\n".join([*lines[:2], *rows, *lines[2:]]) + "\n", encoding="utf-8")
    assert len(path.read_text(encoding="utf-8").splitlines()) == 1 + MAX_TABLE_ROWS
    result = build_limited(content_copy, tmp_path / "out")
    assert result.returncode == 0, result.output[-2000:]
    rows.append("20199,款99,,,,,,")      # one more is refused
    path.write_text("\n".join([*lines[:2], *rows, *lines[2:]]) + "\n", encoding="utf-8")
    result = build_limited(content_copy, tmp_path / "out2")
    assert result.returncode == 1 and "表格超过 5,000 行" in result.output, result.output[-2000:]


def test_markdown_at_the_text_limit_builds_in_bounded_work(content_copy, tmp_path):
    """A report of MAX_TEXT_CHARS characters, one character repeated (the worst case for the
    Chinese segmentation of the search index)."""
    path = content_copy / F / "overview.md"
    text = path.read_text(encoding="utf-8")
    path.write_text(text + "长" * (MAX_TEXT_CHARS - len(text)), encoding="utf-8")
    result = build_limited(content_copy, tmp_path / "out")
    assert result.returncode == 0, result.output[-2000:]


def test_amounts_at_the_bounds_are_accepted(content_copy, tmp_path):
    edit(f"{F}/document.yaml", "total_income: 5333.23", 'total_income: "999,999,999,999,999.999999"')(content_copy)
    edit(f"{F}/document.yaml", "fiscal_income: 5333.23", "fiscal_income: 999999999999999")(content_copy)
    edit(f"{F}/document.yaml", "sme_contracts: 0", "sme_contracts: 0.000001")(content_copy)
    edit(FORM, 'annual: "37,000"', 'annual: "999,999,999,999,999.99"')(content_copy)
    result = build_limited(content_copy, tmp_path / "out")
    assert result.returncode == 0, result.output[-2000:]


def test_arithmetic_on_the_bounds_never_raises():
    """Sums, rates, rounding and printing of the largest and finest amounts accepted, in
    Decimal's default context (28 digits, InvalidOperation and Overflow trapped)."""
    largest = numbers.parse_cell("999,999,999,999,999.999999").value
    finest = numbers.parse_decimal("0.000001")
    assert numbers.parse_decimal("-999999999999999.999999") == -largest
    total = sum([largest] * MAX_TABLE_ROWS, Decimal(0))
    assert total == largest * MAX_TABLE_ROWS                  # exact: 25 digits
    for part, whole in ((total, finest), (-total, finest), (finest, total), (largest, -finest)):
        rate = numbers.percent(part, whole)
        assert rate and Decimal(rate[:-1]) == numbers.round2(part * 100 / whole)
        numbers.money(Decimal(rate[:-1]))
    for value in (total, -total, finest, largest - finest):
        assert numbers.money(value) and numbers.money(value, separators=False)
        assert numbers.plain_number(value)


@pytest.mark.parametrize("text", ["NaN", "-Infinity", "sNaN", "1e16", "1E+999999999", "0.0000001", "1e-400", "0E+999999999"])
def test_numbers_beyond_the_bounds_are_refused(text):
    with pytest.raises(numbers.OutOfRange):
        numbers.parse_decimal(text)
