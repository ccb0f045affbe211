"""click's own words in Chinese: the help's headings and usage line, and the usage errors.

The commands are for finance staff who read Chinese. Their help texts are written in Chinese
where they are declared (cli.py); what click itself prints (Usage:, Options:, [default: …],
"Error: No such option …") comes from click's English strings. click reads them through
``gettext``, but only from the process's default domain and the user's locale: a catalog would
have to change both for every library in the process, and would not apply on a machine whose
locale is not Chinese. So the words are translated where they are printed instead: a help
formatter (``Context.formatter_class``) and a usage error that shows itself in Chinese, made
from click's, with click's English kept in brackets for an operator searching for it. Nothing
of click is patched; a message this module does not know is shown as click wrote it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import IO, Any

import click

_HEADINGS = {"Options": "选项", "Commands": "命令", "Arguments": "参数"}
# metavars click derives from an option's type (INTEGER RANGE before INTEGER: the longer first)
_METAVARS = (("INTEGER RANGE", "整数"), ("INTEGER", "整数"), ("FLOAT RANGE", "数字"), ("FLOAT", "数字"),
             ("TEXT", "文字"), ("DIRECTORY", "文件夹"), ("FILE", "文件"), ("PATH", "路径"))
_EXTRAS = (("default: ", "默认："), ("env var: ", "环境变量："), ("required", "必填"))
_CJK = re.compile("[\u4e00-\u9fff]")
HELP_OPTION_HELP = "显示本说明并退出（Show this message and exit）。"


class HelpFormatter(click.HelpFormatter):
    """click's help layout with its headings, usage prefix, metavars and [default: …] in Chinese,
    and Chinese text wrapped as Chinese: a character is two columns wide, a line may break
    between any two characters, and the lines of a docstring's paragraph join without a space.
    (click measures a character as one column and breaks lines at spaces only.)"""

    def write_text(self, text: str) -> None:
        indent = " " * self.current_indent
        for number, paragraph in enumerate(_paragraphs(text)):
            if number:
                self.write("\n")
            for line in _wrap(paragraph, max(self.width - self.current_indent, 20)):
                self.write(f"{indent}{line}\n")

    def write_dl(self, rows: Sequence[tuple[str, str]], col_max: int = 30, col_spacing: int = 2) -> None:
        rows = [(_term(term), _extras(text)) for term, text in rows]
        first = min(max((_width(term) for term, _ in rows), default=0), col_max) + col_spacing
        indent = " " * self.current_indent
        for term, text in rows:
            self.write(f"{indent}{term}")
            if not text:
                self.write("\n")
                continue
            if _width(term) + col_spacing <= first:
                self.write(" " * (first - _width(term)))
            else:
                self.write("\n" + indent + " " * first)
            lines = _wrap(text, max(self.width - first - self.current_indent, 20))
            self.write("\n".join([lines[0], *(indent + " " * first + line for line in lines[1:])]) + "\n")

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, args.replace("[OPTIONS]", "[选项]"), "用法：" if prefix is None else prefix)

    def write_heading(self, heading: str) -> None:
        self.write(f"{'':>{self.current_indent}}{_HEADINGS.get(heading, heading)}：\n")



def _width(text: str) -> int:
    """Columns ``text`` takes in a terminal: two for a wide (Chinese) character."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def _paragraphs(text: str) -> list[str]:
    """A docstring's paragraphs (blank-line separated), each one line: a line ending or starting
    with a Chinese character joins the next without a space."""
    paragraphs = []
    for block in re.split(r"\n\s*\n", text.strip()):
        joined = ""
        for line in block.split("\n"):
            line = line.strip()
            wide = joined and (_width(joined[-1]) == 2 or _width(line[:1]) == 2)
            joined += line if not joined or wide else " " + line
        paragraphs.append(joined)
    return paragraphs


# never at the start of a line: closing punctuation; never at its end: opening punctuation
_CLOSING = set("，。、；：？！）》」』”’")
_OPENING = set("（《「『“‘")
_TOKENS = re.compile(r"\s+|[^\s\u2e80-\uffff]+|.")


def _wrap(text: str, width: int) -> list[str]:
    """``text`` in lines of at most ``width`` columns, broken at spaces or between Chinese
    characters (never before closing punctuation); a word longer than a line stays whole."""
    lines: list[str] = []
    line, space = "", ""
    for token in _TOKENS.findall(text):
        if token.isspace():
            space = " " if line else ""
            continue
        if line and _width(line + space + token) > width and token[0] not in _CLOSING and line[-1] not in _OPENING:
            lines.append(line)
            line, space = token, ""
            continue
        line += space + token
        space = ""
    return [*lines, line]


def _term(term: str) -> str:
    """An option's names and metavar ("-j, --jobs INTEGER RANGE"), the metavar in Chinese."""
    for english, chinese in _METAVARS:
        if term.endswith(" " + english):
            return term[:-len(english)] + chinese
    return term


def _extras(text: str) -> str:
    """The bracket click adds to an option's help ("[default: 8000; 0<=x<=65535]"), in Chinese."""
    match = re.search(r"\[([^\[\]]*)\]$", text)
    if not match:
        return text
    inside = match.group(1)
    for english, chinese in _EXTRAS:
        inside = inside.replace(english, chinese)
    return text[:match.start()] + f"[{inside}]"


class Context(click.Context):
    formatter_class = HelpFormatter


class Chinese:
    """For a click command or group: its context lays help out in Chinese, its help option
    (-h/--help) is described in Chinese."""

    context_class: type[click.Context] = Context

    def get_help_option(self, ctx: click.Context) -> click.Option | None:
        option = super().get_help_option(ctx)          # type: ignore[misc]
        if option is not None:
            option.help = HELP_OPTION_HELP
        return option


# -- usage errors -------------------------------------------------------------------------------

class UsageError(click.UsageError):
    """A usage error (exit 2) that shows itself in Chinese: the usage line, where help is, and the
    message."""

    def show(self, file: IO[Any] | None = None) -> None:
        if file is None:
            file = click.get_text_stream("stderr")
        if self.ctx is not None:
            click.echo(f"{self.ctx.get_usage()}\n运行“{self.ctx.command_path} --help”查看说明。\n", file=file,
                       color=self.ctx.color)
        click.echo(f"错误：{self.format_message()}", file=file, color=self.ctx.color if self.ctx else None)


def chinese(error: click.UsageError) -> click.UsageError:
    """``error`` in Chinese, click's English after it in brackets; an error whose text this
    module does not know (or that is Chinese already) keeps its text."""
    english = error.format_message()
    text = _translated(error)
    if text is not None and not _CJK.search(error.message):      # (a message of ours is Chinese already)
        text = f"{text}（{english}）"
    translated = UsageError(text or english, error.ctx)
    translated.exit_code = error.exit_code
    return translated


def _quoted(names: Sequence[str] | None) -> str:
    return "、".join(sorted(names or ()))


def _translated(error: click.UsageError) -> str | None:
    """The Chinese for one of click's usage errors, from what it holds; None when not known."""
    if isinstance(error, click.NoSuchOption):
        maybe = f"；是不是要用 {_quoted(error.possibilities)}？" if error.possibilities else ""
        return f"没有选项“{error.option_name}”{maybe}"
    no_such_command = getattr(click.exceptions, "NoSuchCommand", None)
    if no_such_command is not None and isinstance(error, no_such_command):
        maybe = f"；是不是要用 {_quoted(error.possibilities)}？" if error.possibilities else ""
        return f"没有命令“{error.command_name}”{maybe}"
    if isinstance(error, click.MissingParameter):
        what = "参数" if (error.param_type or getattr(error.param, "param_type_name", "")) == "argument" else "选项"
        return f"缺少{what} {_names(error)}".rstrip()
    if isinstance(error, click.BadParameter):
        return f"{_names(error)} 的值不对：{_value_problem(error.message)}"
    for pattern, chinese_text in _MESSAGES:
        match = pattern.fullmatch(error.message)
        if match:
            return match.expand(chinese_text)
    return None


def _names(error: click.BadParameter) -> str:
    """The parameter's names as click gives them ("'-j' / '--jobs'"), without the quotes."""
    if isinstance(error.param_hint, str):
        hint = error.param_hint
    elif error.param_hint:
        hint = " / ".join(error.param_hint)
    elif error.param is not None:
        hint = error.param.get_error_hint(error.ctx)
    else:
        hint = ""
    return hint.replace("'", "")


_MESSAGES = [(re.compile(pattern), text) for pattern, text in (
    (r"Option '(.+)' requires an argument\.", r"选项 \1 后面缺少值"),
    (r"Option '(.+)' requires (\d+) arguments\.", r"选项 \1 后面要写 \2 个值"),
    (r"Option '(.+)' does not take a value\.", r"选项 \1 后面不能写值"),
    (r"Got unexpected extra arguments? \((.+)\)", r"多余的参数：\1"),
    (r"Missing command\.", "缺少命令（site-builder --help 列出全部命令）"),
    (r"No such command '(.+)'\.", r"没有命令“\1”"),
)]

_TYPES = {"integer range": "整数", "integer": "整数", "float range": "数字", "float": "数字",
          "boolean": "是或否（true/false）", "UUID": "UUID"}
_PATHS = {"File": "文件", "Directory": "文件夹", "Path": "路径"}
_VALUE_PROBLEMS = [(re.compile(pattern), text) for pattern, text in (
    (r"'(.*)' is not one of (.+)\.", "“{0}”不是可选的值（可选：{1}）"),
    (r"'(.*)' is not a valid (.+)\.", "“{0}”不是{1}"),
    (r"(.+) is not in the range (.+)\.", "{0} 超出范围（{1}）"),
    (r"(File|Directory|Path) '(.*)' does not exist\.", "{0}“{1}”不存在"),
    (r"(File|Directory|Path) '(.*)' is a file\.", "“{1}”是文件，这里要的是文件夹"),
    (r"(File|Directory|Path) '(.*)' is a directory\.", "“{1}”是文件夹，这里要的是文件"),
    (r"(File|Directory|Path) '(.*)' is not readable\.", "没有读取{0}“{1}”的权限"),
    (r"(File|Directory|Path) '(.*)' is not writable\.", "没有写入{0}“{1}”的权限"),
)]


def _value_problem(message: str) -> str:
    """What a parameter type found wrong with a value ("'x' is not a valid integer."), in Chinese."""
    for pattern, text in _VALUE_PROBLEMS:
        match = pattern.fullmatch(message)
        if match:
            groups = [_PATHS.get(group, _TYPES.get(group, group)) for group in match.groups()]
            if "is not one of" in pattern.pattern:
                groups[1] = groups[1].replace("'", "").replace(", ", "、")
            return text.format(*groups)
    return message
