"""Figures cited in a department's prose: ``{{ score(T('02').total('score')) }}``.

A department's Markdown (report.md, deviation.md, any ``{type: markdown}`` part, a file a
情况说明 template includes) may cite a figure computed from its own tables, so that the
sentence and the table cannot disagree. This is the whole language, and it is data, not code:

    placeholder  {{ expression }}
    expression   call | 'text' | "text" | number | year
    call         function(expression, …)  |  T('id').method(expression, …)

Functions (``FUNCTIONS``) take and return plain values (Decimal, int, str) — never a path, a
model object or anything with methods: ``T('id')`` is not a value but the start of one of three
table look-ups (``TABLE_METHODS``). There are no loops, variables, operators, filters or
attribute access; an expression is at most ``MAX_EXPRESSION`` characters and ``MAX_DEPTH``
calls deep, a file holds at most ``MAX_PLACEHOLDERS`` of them, and each look-up reads one table
once, so filling a file costs time linear in its size. Anything else between ``{{`` and ``}}``
— and any ``{%`` — is an error naming the file, the line and what is allowed.

A figure's text reaches Markdown escaped (:func:`markdown_text.escape`): a grade label from a
profile cannot become markup.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from .errors import ContentError, Location
from .markdown_text import escape
from .model import Document, Table
from .numbers import money, parse_decimal, percent, plain_number

MAX_EXPRESSION = 300      # characters between {{ and }}; the example's longest is 31
MAX_DEPTH = 6             # calls inside calls
MAX_PLACEHOLDERS = 200    # per file; a report cites a handful of figures
MAX_TEXT = 100            # characters of a quoted argument (a table id, a column, a row's label)

Value = Decimal | int | str

_PLACEHOLDER = re.compile(r"\{\{(.*?)\}\}", re.S)
_TOKEN = re.compile(r"""\s*(?:(?P<name>[A-Za-z_][A-Za-z0-9_]*)|(?P<number>-?\d{1,15}(?:\.\d{1,6})?(?![\d.]))
                        |'(?P<single>[^'\n]*)'|"(?P<double>[^"\n]*)"|(?P<punct>[(),.]))""", re.X)


class FigureError(ValueError):
    """What is wrong with one placeholder (in Chinese); the caller adds the file and line."""


@dataclass(frozen=True)
class _Call:
    name: str
    args: tuple
    table: _Call | None = None      # T('id') before .method(…)


Tree = Value | _Call                # a parsed expression: a literal or a call


def _parse(text: str) -> Tree:
    """The expression's tree: a literal, the name ``year``, or a :class:`_Call`."""
    if len(text) > MAX_EXPRESSION:
        raise FigureError(f"表达式过长（{len(text)} 个字符，上限 {MAX_EXPRESSION}）")
    tokens: list[tuple[str, str]] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position or match.lastgroup is None:   # (every token is a named group)
            if not text[position:].strip():
                break
            raise FigureError(f"无法识别“{text[position:].strip()[:20]}”")
        kind = match.lastgroup
        value = match.group(kind)
        tokens.append(("text" if kind in ("single", "double") else kind, value))
        position = match.end()
    stream = _Tokens(tokens)
    tree = stream.expression(0)
    if not stream.done:
        raise FigureError(f"“{stream.peek()[1]}”之前的表达式已结束")
    return tree


class _Tokens:
    def __init__(self, tokens: list[tuple[str, str]]):
        self.tokens, self.at = tokens, 0

    @property
    def done(self) -> bool:
        return self.at >= len(self.tokens)

    def peek(self) -> tuple[str, str]:
        return self.tokens[self.at] if not self.done else ("end", "")

    def take(self, kind: str, value: str | None = None) -> str:
        got_kind, got = self.peek()
        if got_kind != kind or (value is not None and got != value):
            expected = value or {"name": "函数名", "text": "带引号的文字"}.get(kind, kind)
            raise FigureError(f"此处应为“{expected}”，实际是“{got or '结尾'}”")
        self.at += 1
        return got

    def expression(self, depth: int) -> Tree:
        if depth > MAX_DEPTH:
            raise FigureError(f"函数嵌套过深（上限 {MAX_DEPTH} 层）")
        kind, value = self.peek()
        if kind == "text":
            self.at += 1
            if len(value) > MAX_TEXT:
                raise FigureError(f"引号中的文字过长（上限 {MAX_TEXT} 个字符）")
            return value
        if kind == "number":
            self.at += 1
            return Decimal(value)
        if kind != "name":
            raise FigureError(f"此处应为函数、数字或带引号的文字，实际是“{value or '结尾'}”")
        self.at += 1
        if value == "year":
            return _Call("year", ())
        if value not in FUNCTIONS and value != "T":
            raise FigureError(f"未知的名称“{value}”（文中不能使用变量、属性或其他函数）")
        if self.peek() != ("punct", "("):
            raise FigureError(f"“{value}”后面应为“(”：文中只能调用函数，不能访问属性或做运算")
        call = _Call(value, self.arguments(depth))
        if self.peek() == ("punct", "."):
            if value != "T":
                raise FigureError(f"只有 T('表号') 后面可以接 .total(…) 等取数方法，“{value}(…)”后面不行")
            self.at += 1
            method = self.take("name")
            return _Call(method, self.arguments(depth), table=call)
        return call

    def arguments(self, depth: int) -> tuple:
        self.take("punct", "(")
        args = []
        if self.peek() != ("punct", ")"):
            args.append(self.expression(depth + 1))
            while self.peek() == ("punct", ","):
                self.at += 1
                args.append(self.expression(depth + 1))
        self.take("punct", ")")
        return tuple(args)


def _number(value: Value, what: str) -> Decimal:
    if isinstance(value, str):
        raise FigureError(f"{what}需要数字，实际是文字“{value}”")
    return Decimal(value)


def _text(value: Value, what: str) -> str:
    if not isinstance(value, str):
        raise FigureError(f"{what}需要带引号的文字，实际是数字 {value}")
    return value


class _Figures:
    """The functions of one document."""

    def __init__(self, doc: Document):
        self.doc = doc

    def table(self, args: tuple) -> Table:
        (table_id,) = _arity("T", args, 1)
        table_id = _text(table_id, "T(…)")
        for table in self.doc.tables:
            if table.spec.id == table_id:
                return table
        raise FigureError(f"没有表“{table_id}”；本文件的表：" + "、".join(t.spec.id for t in self.doc.tables))

    def column(self, table: Table, key: Value) -> str:
        key = _text(key, "列名")
        keys = [c.key for c in table.spec.columns if c.type == "amount"]
        if key not in keys:
            raise FigureError(f"表“{table.spec.id}”没有金额列“{key}”；可用：" + "、".join(keys))
        return key

    def total(self, table: Table, column: Value) -> Decimal:
        key = self.column(table, column)
        if table.total_row is None:
            raise FigureError(f"表“{table.spec.id}”没有合计行")
        return table.total(key)

    def value(self, table: Table, label: Value, column: Value) -> Decimal:
        key = self.column(table, column)
        row = table.find(_text(label, "行名"))
        if row is None:
            raise FigureError(f"表“{table.spec.id}”中没有“{label}”这一行")
        return row.amount(key)

    def line_value(self, table: Table, line: Value, column: Value) -> Decimal:
        key = self.column(table, column)
        row = table.at_line(plain_number(_number(line, "行次")) if not isinstance(line, str) else line)
        if row is None:
            raise FigureError(f"表“{table.spec.id}”中没有行次 {line}")
        return row.amount(key)

    def number(self, path: Value) -> Decimal:
        node: object = self.doc.inputs
        for part in _text(path, "number(…)").split("."):
            if not isinstance(node, dict) or part not in node:
                raise FigureError(f"document.yaml 的 inputs 中没有“{path}”")
            node = node[part]
        try:
            return parse_decimal(node)
        except ValueError as exc:
            raise FigureError(f"inputs.{path}：{exc}") from None

    def grade(self, score: Value) -> str:
        if not self.doc.profile.grades:
            raise FigureError("本文件的表格方案没有评价等级（grades）")
        return self.doc.profile.grade(_number(score, "grade(…)"))


# name → (number of arguments, function of (figures, *arguments))
FUNCTIONS: dict[str, tuple[int, Callable[..., Value]]] = {
    "number": (1, lambda f, path: f.number(path)),
    "money": (1, lambda f, x: money(_number(x, "money(…)"))),
    "score": (1, lambda f, x: plain_number(_number(x, "score(…)"))),
    "pct": (2, lambda f, part, whole: percent(_number(part, "pct(…)"), _number(whole, "pct(…)")) or ""),
    "grade": (1, lambda f, x: f.grade(x)),
}
TABLE_METHODS: dict[str, tuple[int, Callable[..., Value]]] = {
    "total": (1, lambda f, table, column: f.total(table, column)),
    "value": (2, lambda f, table, label, column: f.value(table, label, column)),
    "line_value": (2, lambda f, table, line, column: f.line_value(table, line, column)),
}
ALLOWED = ("T('表号').total('列') · T('表号').value('行名', '列') · T('表号').line_value(行次, '列') · "
           "number('inputs 中的路径') · money(x) · pct(部分, 整体) · score(x) · grade(x) · year")


def _arity(name: str, args: tuple, count: int) -> tuple:
    if len(args) != count:
        raise FigureError(f"{name}(…) 需要 {count} 个参数，实际有 {len(args)} 个")
    return args


def _evaluate(tree: Tree, figures: _Figures) -> Value:
    if not isinstance(tree, _Call):
        return tree    # a literal
    if tree.name == "year":
        return figures.doc.year
    if tree.table is not None:
        if tree.name not in TABLE_METHODS:
            raise FigureError(f"表没有“.{tree.name}(…)”；可用：" + "、".join(f".{m}(…)" for m in TABLE_METHODS))
        count, method = TABLE_METHODS[tree.name]
        table = figures.table(tuple(_evaluate(a, figures) for a in tree.table.args))
        return method(figures, table, *_arity(tree.name, tuple(_evaluate(a, figures) for a in tree.args), count))
    if tree.name == "T":
        raise FigureError("T('表号') 是一张表，不是一个数：要取其中的数，写 T('表号').total('列') 等")
    count, function = FUNCTIONS[tree.name]
    return function(figures, *_arity(tree.name, tuple(_evaluate(a, figures) for a in tree.args), count))


def fill(text: str, doc: Document, where: Location) -> str:
    """``text`` with each {{ … }} replaced by its figure; an error names the line and the problem."""
    if "{{" not in text and "{%" not in text:
        return text
    figures = _Figures(doc)
    pieces: list[str] = []
    position = count = 0

    def line_at(offset: int) -> int:
        return (where.line or 1) + text.count("\n", 0, offset)

    block = text.find("{%")
    if block >= 0:
        raise ContentError(Location(where.path, line_at(block)), "文中不能使用 {% … %}（说明文字不是模板）",
                           "文中只能用 {{ … }} 引用表中的数字：" + ALLOWED)
    for match in _PLACEHOLDER.finditer(text):
        count += 1
        if count > MAX_PLACEHOLDERS:
            raise ContentError(Location(where.path, line_at(match.start())),
                               f"文中的 {{{{ … }}}} 过多（上限 {MAX_PLACEHOLDERS} 处）")
        try:
            value = _evaluate(_parse(match.group(1)), figures)
        except FigureError as exc:
            raise ContentError(Location(where.path, line_at(match.start())),
                               f"文中的 {{{{{match.group(1)[:60]}}}}} 无法计算：{exc}", "可用：" + ALLOWED) from None
        line_start = not text[:match.start()].rsplit("\n", 1)[-1].strip()
        pieces += [text[position:match.start()], escape(value, line_start) if isinstance(value, str) else str(value)]
        position = match.end()
    rest = text[position:]
    if "{{" in rest:
        raise ContentError(Location(where.path, line_at(position + rest.index("{{"))), "“{{”没有对应的“}}”",
                           "引用数字写成 {{ … }}，两端的括号成对；正文中不能单独出现“{{”")
    return "".join(pieces) + rest
