"""A YAML syntax error in words a finance clerk can act on: its cause, at the line where it is.

PyYAML (libyaml) says in English where its parser gave up, which is often lines after the mistake:
an unclosed quote on line 4 is noticed at the next quote, on line 19; a key written ``b:2`` on
line 13 is noticed at line 14. Each kind of mistake is recognised here from the parser's message
and the file's text, and reported at the line of its cause with what to do; PyYAML's own words
and position follow in brackets, for an operator.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .errors import ContentError, Location

GENERIC_HINT = "检查缩进（只用空格）、冒号后的空格和引号是否成对"
_QUOTE_HINT = ("引号要成对：值中有双引号时，外面改用单引号（'他说\"好\"'），或改用中文引号“ ”；"
               "不需要引号时把它删掉")
_SPECIAL_HINT = "给整个值加引号，如 note: \"{text}\""


@dataclass(frozen=True)
class Cause:
    """What is wrong (``what``), where (0-based ``line``, ``column`` or None) and what to do."""

    line: int
    column: int | None
    what: str
    hint: str


# the line breaks PyYAML counts lines by (its reader): the marks' line numbers index these lines
_LINE_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")


def yaml_error(path: Path, text: str, exc: yaml.MarkedYAMLError) -> ContentError:
    """The ContentError for ``exc``, raised by PyYAML while reading ``text`` (the file ``path``)."""
    lines = _LINE_BREAK.split(text)
    cause = diagnose(lines, exc)
    where = Location(path, cause.line + 1, None if cause.column is None else cause.column + 1)
    return ContentError(where, f"YAML 格式错误：{cause.what}（PyYAML：{_english(exc)}）", cause.hint)


def _english(exc: yaml.MarkedYAMLError) -> str:
    """PyYAML's message on one line, with the position it gives (line:column, 1-based)."""
    parts = [part for part in (exc.context, exc.problem) if part]
    mark = exc.problem_mark or exc.context_mark
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
    return ", ".join(parts) + where


def diagnose(lines: list[str], exc: yaml.MarkedYAMLError) -> Cause:
    """The first kind of mistake that explains ``exc``; PyYAML's own position when none does."""
    for recognise in (_tab, _quote, _simple_key, _colon_above, _flow, _mapping_value, _mixed_block,
                      _flow_content, _special_start, _at_the_mark):
        cause = recognise(lines, exc)
        if cause is not None:
            return cause
    mark = exc.problem_mark or exc.context_mark
    line, column = (mark.line, mark.column) if mark else (0, None)
    return Cause(line, column, "无法识别的写法", GENERIC_HINT)


def _char(lines: list[str], mark: Any) -> str:
    """The character at ``mark`` ('' past the end of its line or of the file)."""
    if mark is None or mark.line >= len(lines):
        return ""
    return lines[mark.line][mark.column:mark.column + 1]


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


# -- Tab ----------------------------------------------------------------------------------------

def _tab(lines: list[str], exc: yaml.MarkedYAMLError) -> Cause | None:
    """A Tab where YAML wants spaces: libyaml says it "cannot start any token" or "violates
    indentation", at the Tab itself."""
    mark = exc.problem_mark
    if mark is None or (_char(lines, mark) != "\t" and "tab character" not in (exc.problem or "")):
        return None
    leading = not lines[mark.line][:mark.column].strip(" \t")
    what = "用 Tab 键缩进" if leading else "这里有一个 Tab 字符"
    return Cause(mark.line, mark.column, what,
                 "YAML 只能用空格：把 Tab 换成空格（缩进与同一层的其他行对齐，每一层通常两个空格）")


# -- quotes -------------------------------------------------------------------------------------

_KEY_COLON = re.compile(r":(?:[ \t]+|$)")
_COMMENT_OR_END = re.compile(r"[ \t]*(?:#.*)?$")
_BLOCK_SCALAR = re.compile(r"[|>][-+0-9]*[ \t]*(?:#.*)?$")


def _quote(lines: list[str], exc: yaml.MarkedYAMLError) -> Cause | None:
    """A quote that opens a value and does not close where the value ends: reported at the line
    where it opens, however far below the parser noticed."""
    if isinstance(exc, (yaml.composer.ComposerError, yaml.constructor.ConstructorError)):
        return None
    mark = exc.problem_mark or exc.context_mark
    if mark is None:
        return None
    broken = _broken_quote(lines, mark.line)
    if broken is None and exc.context == "while scanning a quoted scalar" and exc.context_mark:
        broken = (exc.context_mark.line, exc.context_mark.column, None)    # it opens where libyaml says
    if broken is None:
        return None
    line, column, closed_at = broken
    quote = lines[line][column]
    if closed_at == line:
        what = f"引号 {quote} 在值的中间就结束了，后面还有文字"
    elif closed_at is None:
        what = f"引号 {quote} 没有配对：从这里到文件末尾都没有对应的 {quote}"
    else:
        what = f"引号 {quote} 没有配对：从这里起的文字被读到了第 {closed_at + 1} 行的下一个 {quote}"
    return Cause(line, column, what, _QUOTE_HINT)


def _broken_quote(lines: list[str], upto: int) -> tuple[int, int, int | None] | None:
    """The first quoted value, on a line up to ``upto`` (0-based), that is followed by more text
    where it closes, or never closes: its line, its column and the line where it closes (None:
    never), when that spans ``upto``. A quoted value that spans lines and ends its line is
    valid YAML, and read past. Lines of a block scalar (after ``|`` or ``>``) and comments are
    not read."""
    index, block = 0, None          # block: the indentation of the line that opened a | or > block
    while index <= upto and index < len(lines):
        line = lines[index]
        if block is not None and (not line.strip() or _indent(line) > block):
            index += 1
            continue
        block = None
        found = _open_quote(line)
        if found is None:
            if _BLOCK_SCALAR.search(line) and not line.lstrip().startswith("#"):
                block = _indent(line)
            index += 1
            continue
        start, end_line, end = found, index, _closing(line, found)
        while end is None and end_line + 1 < len(lines):
            end_line += 1
            end = _closing(lines[end_line], -1, line[start])
        if end is None:
            return (index, start, None) if index <= upto else None
        if not _COMMENT_OR_END.match(lines[end_line], end + 1):
            return (index, start, end_line) if end_line >= upto else None
        index = end_line + 1
    return None


def _open_quote(line: str) -> int | None:
    """The column where a quoted value (or quoted key and its value) starts on ``line``; None when
    the line holds no quoted scalar at the start of a value. A quoted key followed by ``:`` is
    read past to its value."""
    position = len(line) - len(line.lstrip(" "))
    while line.startswith("- ", position) or line[position:] == "-":
        position = len(line) - len(line[position + 1:].lstrip(" "))
    if position >= len(line) or line[position] == "#":
        return None
    if line[position] in "\"'":
        end = _closing(line, position)
        if end is None:
            return position
        after = _KEY_COLON.match(line, end + 1)
        if not after:
            return position        # a quoted value (whole or followed by more text: _broken_quote says)
        position = after.end()
    else:
        colon = _KEY_COLON.search(line, position)
        if colon is None or any(c in line[position:colon.start()] for c in "\"'#[{"):
            return None
        position = colon.end()
    if position < len(line) and line[position] in "\"'":
        return position
    return None


def _closing(line: str, start: int, quote: str | None = None) -> int | None:
    """The column of the quote that closes the one at ``start`` (or, with ``quote``, the first
    closing ``quote`` on a continuation line): a double quote not escaped by a backslash, a
    single quote not doubled."""
    quote = quote or line[start]
    position = start + 1
    while True:
        found = line.find(quote, position)
        if found < 0:
            return None
        if quote == '"':
            backslashes = len(line[:found]) - len(line[:found].rstrip("\\"))
            if backslashes % 2 == 0:
                return found
        elif not line.startswith("''", found):
            return found
        position = found + (1 if quote == '"' else 2)


# -- colons ---------------------------------------------------------------------------------------

def _simple_key(lines: list[str], exc: yaml.MarkedYAMLError) -> Cause | None:
    """A line that is neither "key: value" nor a list item. libyaml notices it at the next line
    but marks the line itself as its context: a full-width colon, a colon without the space
    after it, or no colon at all."""
    mark = exc.context_mark
    if exc.context != "while scanning a simple key" or mark is None or mark.line >= len(lines):
        return None
    colon = _colon_problem(lines[mark.line], mark.column)
    if colon is not None:
        return Cause(mark.line, *colon)
    return Cause(mark.line, mark.column, "这一行缺少冒号（既不是“键: 值”，也不是列表项“- ”）",
                 "写成“键: 值”；如果这一行是上一行文字的延续，把它接到上一行，或给整段文字加引号")


_TIGHT_COLON = re.compile(r":(?=[^\s/])")


def _colon_problem(line: str, start: int) -> tuple[int, str, str] | None:
    """A key from ``start`` written with a full-width colon or with no space after its colon:
    the column, the cause and the hint."""
    code = line.split(" #")[0]                       # (a comment may hold colons of its own)
    text = code[start:].rstrip()
    wide = code.find("：", start)
    tight = _TIGHT_COLON.search(code, start)
    if tight and (wide < 0 or tight.start() < wide):
        return (tight.start(), "冒号后缺少空格", f"在冒号后加一个空格：“{text.replace(':', ': ', 1)}”")
    if wide >= 0:
        return (wide, "用了中文冒号“：”",
                f"键和值之间用英文半角冒号加一个空格：“{text.replace('：', ': ', 1)}”")
    return None


def _colon_above(lines: list[str], exc: yaml.MarkedYAMLError) -> Cause | None:
    """A key with a bad colon ("total_income:5333.23") on the line above where the parser gave
    up: read as a text (the value of the key above it, or continued by the next line), it makes
    the next line an error of indentation or of a colon inside a value."""
    mark = exc.problem_mark
    if mark is None or mark.line >= len(lines) or exc.problem not in (
            "did not find expected key", "did not find expected '-' indicator",
            "mapping values are not allowed in this context"):
        return None
    above = _previous_content(lines, mark.line)
    if above is None:
        return None
    line = lines[above]
    start = len(line) - len(line.lstrip(" -"))
    if _KEY_COLON.search(line.split(" #")[0], start):
        return None
    colon = _colon_problem(line, start)
    return None if colon is None else Cause(above, *colon)


def _mapping_value(lines: list[str], exc: yaml.MarkedYAMLError) -> Cause | None:
    """"mapping values are not allowed here": a colon and a space inside a value (Chinese text
    with an English colon), or a "key: value" line indented under a line that already has its
    value."""
    mark = exc.problem_mark
    if exc.problem != "mapping values are not allowed in this context" or mark is None:
        return None
    line = lines[mark.line]
    before = line[:mark.column]
    if _KEY_COLON.search(before):
        return Cause(mark.line, mark.column, "值中有英文冒号加空格“: ”",
                     "给整个值加引号，如 title: \"说明: 见附件\"，或改用中文冒号“：”")
    above = _previous_content(lines, mark.line)
    if above is not None and _indent(line) > _indent(lines[above]):
        return Cause(mark.line, _indent(line), f"缩进不一致：这一行比第 {above + 1} 行多缩进了 "
                     f"{_indent(line) - _indent(lines[above])} 个空格，而第 {above + 1} 行已经有值",
                     "同一层的键对齐；要作为下一级，上一行冒号后不能再写值")
    return None


def _previous_content(lines: list[str], index: int) -> int | None:
    """The nearest line above ``index`` that is neither blank nor a comment."""
    for above in range(index - 1, -1, -1):
        if lines[above].strip() and not lines[above].lstrip().startswith("#"):
            return above
    return None


# -- indentation and structure -------------------------------------------------------------------

def _mixed_block(lines: list[str], exc: yaml.MarkedYAMLError) -> Cause | None:
    """A key or list item where the parser wanted the other, or at an indentation that matches
    no level above: libyaml's "did not find expected key / '-' indicator"."""
    mark, context = exc.problem_mark, exc.context_mark
    if mark is None or context is None or exc.problem not in ("did not find expected key",
                                                              "did not find expected '-' indicator"):
        return None
    if mark.line >= len(lines) or not lines[mark.line][:mark.column].strip(" ") == "":
        return None                             # not at the start of a line: text after a value
    line = lines[mark.line]
    column = _indent(line)
    if column != context.column:
        return Cause(mark.line, column, f"缩进不一致：这一行缩进 {column} 个空格，与同一层的第 {context.line + 1} 行"
                     f"（缩进 {context.column} 个空格）不对齐", "同一层的键或列表项左端对齐，只用空格缩进")
    if exc.problem == "did not find expected key":
        return Cause(mark.line, column, f"同一层中“键: 值”与列表项“- ”混用（第 {context.line + 1} 行起是“键: 值”）",
                     "列表项要比它所属的键多缩进；或把这一行也写成“键: 值”")
    return Cause(mark.line, column, f"同一层中列表项“- ”与“键: 值”混用（第 {context.line + 1} 行起是列表）",
                 "这一行如果属于上一级，少缩进到与上一级的键对齐；如果是列表项，在前面加“- ”")


def _flow(lines: list[str], exc: yaml.MarkedYAMLError) -> Cause | None:
    """A value that starts with [ or {: YAML reads it as a list or mapping, which then does not
    close (reported at its opening bracket), or closes before the text ends ("[2024]5号")."""
    context = exc.context_mark
    if exc.context in ("while parsing a flow sequence", "while parsing a flow mapping") and context:
        bracket = "[" if "sequence" in exc.context else "{"
        line = lines[context.line] if context.line < len(lines) else ""
        column = line.find(bracket, context.column)
        column = column if column >= 0 else line.find(bracket)
        return Cause(context.line, None if column < 0 else column,
                     f"未闭合的括号“{bracket}”：以 {bracket} 开头的值被当作{'列表' if bracket == '[' else '映射'}读取",
                     "如果这是文字（如“[2024]5号”），给整个值加引号；否则补上对应的 " + ("]" if bracket == "[" else "}"))
    mark = exc.problem_mark
    if exc.problem != "did not find expected key" or mark is None or mark.line >= len(lines):
        return None
    line = lines[mark.line]
    colon = _KEY_COLON.search(line)
    start = colon.end() if colon else 0
    bracket = line[start:start + 1]
    if colon is None or bracket not in ("[", "{") or mark.column <= start:
        return None
    return Cause(mark.line, start, f"值以“{bracket}”开头，被当作{'列表' if bracket == '[' else '映射'}读取，括号后面还有文字",
                 f"给整个值加引号，如 \"{line[start:].strip()}\"")


def _flow_content(lines: list[str], exc: yaml.MarkedYAMLError) -> Cause | None:
    """Inside [ ] or { }: a comma or colon too many, a value missing."""
    mark = exc.problem_mark
    if mark is None or not (exc.context == "while parsing a flow node" or exc.problem == "found unexpected ':'"):
        return None
    return Cause(mark.line, mark.column, "方括号或花括号中的内容写错了（多了逗号或冒号，或缺少值）",
                 "检查括号中每一项是否写成“键: 值”并用一个逗号分隔；如果这是文字，给整个值加引号")


def _special_start(lines: list[str], exc: yaml.MarkedYAMLError) -> Cause | None:
    """A value starting with a character YAML reserves: @ ` % (cannot start a value), * & !
    (an alias, an anchor or a tag), | > followed by text."""
    mark = exc.context_mark if exc.context in ("while scanning an alias", "while scanning an anchor",
                                               "while scanning a tag", "while scanning a block scalar",
                                               "while scanning a directive") else None
    if mark is None and exc.problem == "found character that cannot start any token" or \
            exc.problem == "did not find expected node content" and _char(lines, exc.problem_mark) in tuple(",]}"):
        mark = exc.problem_mark
    if mark is None or mark.line >= len(lines):
        return None
    line = lines[mark.line]
    char = line[mark.column:mark.column + 1]
    text = line[mark.column:].split(" #")[0].strip()
    return Cause(mark.line, mark.column, f"值不能以“{char}”开头（YAML 的特殊字符）",
                 _SPECIAL_HINT.format(text=text.replace('"', '\\"')))


# Problems PyYAML names at the very place of the mistake: its words → (the cause, what to do)
_AT_THE_MARK = {
    # a backslash in double quotes that is no escape (a Windows path)
    **dict.fromkeys(("found unknown escape character", "did not find expected hexdecimal number"),
                    ("双引号中的反斜杠“\\”被当作转义符", "改用单引号（'C:\\资料'），或把每个 \\ 写成 \\\\")),
    # a second document in the file (a line ``---`` after content, two files pasted together)
    "but found another document": ("文件中有第二份内容（以 --- 分隔）",
                                   "一个文件只能有一份内容：删除这一行的 ---，或把后面的内容移到别的文件"),
    # a list item "- " on the line of its key
    "block sequence entries are not allowed in this context": (
        "列表项“- ”不能写在键的同一行", "把列表项换到下一行并多缩进两个空格；如果这是文字（如“- 5%”），给整个值加引号"),
}


def _at_the_mark(lines: list[str], exc: yaml.MarkedYAMLError) -> Cause | None:
    """A problem whose cause PyYAML's words name and whose place its mark gives (``_AT_THE_MARK``)."""
    mark = exc.problem_mark
    known = _AT_THE_MARK.get(exc.problem or "")
    if known is None or mark is None:
        return None
    return Cause(mark.line, mark.column, *known)
