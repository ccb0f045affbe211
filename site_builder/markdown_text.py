"""Plain text on its way into Markdown: escaped, so that it reads as it was typed.

The 情况说明 is Markdown made by a template from the tables; a department name, a 科目 name
(a CSV cell, perhaps from an imported workbook) or a reason typed in document.yaml is *text*
there, never markup. :func:`escape` makes it so: HTML's ``& < >`` become entities (a name
ending in ``<script>`` is shown, not run) and Markdown's own punctuation gets a backslash
(``[点我](javascript:…)`` is shown as typed, not made a link; ``*`` is not emphasis), and where
the text starts a line, what would start a block there (``#``, ``>``, ``-``, ``+``, ``=``,
``1.``, indentation) is escaped too. Markdown turns every escape back into the character, so
the page shows the text exactly; a text without any of them — every name and reason of the
example portal — reaches the Markdown byte for byte as it was.

In a template, where a text lands in a line is known only once the whole output is made:
:class:`PlainText` (a ``str`` that an autoescaping Jinja environment escapes through its
``__html__``) escapes what matters anywhere and marks where it starts and ends; :func:`finish`
then escapes the line starts of the marked texts that begin a line and removes the marks.
"""

from __future__ import annotations

import html
import re

from markupsafe import Markup

# Markdown's backslash escapes (Python-Markdown's ESCAPED_CHARS, with | of the tables
# extension) for what starts markup anywhere in a line: code, emphasis, links, images, cells.
_INLINE = re.compile(r"([\\`*_\[\]|])")
# What starts a block only at the beginning of a line: headings, quotes, lists, setext
# underlines and ordered lists (1. or 1)), after any indentation (a code block; dropped).
_LINE_START = re.compile(r"^[ \t]*([#>+=-]|\d+[.)])?", re.M)
_OPEN, _CLOSE = "\ue000", "\ue001"     # private-use characters: the marks of a text's ends
_MARKED = re.compile(f"{_OPEN}(.*?){_CLOSE}", re.S)


def escape(text: object, line_start: bool = True) -> str:
    """``text`` as Markdown that shows exactly these characters; ``line_start``: the text may
    begin a line (every line after its first does)."""
    text = _escape_inline(str(text))
    return _escape_lines(text, line_start)


def _escape_inline(text: str) -> str:
    if not any(c in text for c in "&<>\\`*_[]|"):
        return text
    return _INLINE.sub(r"\\\1", text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))


def _escape_lines(text: str, first: bool) -> str:
    def start(match: re.Match) -> str:
        if match.start() == 0 and not first:
            return match.group(0)
        mark = match.group(1)
        if not mark:
            return ""
        # = has no backslash escape in Markdown: a character reference, which it keeps as it is
        return "&#61;" if mark == "=" else mark[:-1] + "\\" + mark[-1]

    if first or "\n" in text:
        return _LINE_START.sub(start, text)
    return text


class PlainText(str):
    """Text from the content: printed or joined by an autoescaping Jinja environment, it is
    escaped and marked (the marks are resolved by :func:`finish`)."""

    __slots__ = ()

    def __html__(self) -> str:
        text = self.replace(_OPEN, "").replace(_CLOSE, "")
        return _OPEN + _escape_inline(text) + _CLOSE


def finish(markdown: str) -> str:
    """A template's output with its marked texts escaped where they start lines, unmarked."""
    if _OPEN not in markdown:
        return markdown
    pieces: list[str] = []
    position = 0
    line = ""           # what has been written of the current line
    for match in _MARKED.finditer(markdown):
        before = markdown[position:match.start()].replace(_OPEN, "").replace(_CLOSE, "")
        pieces.append(before)
        line = (line + before).rsplit("\n", 1)[-1]
        text = _escape_lines(match.group(1), not line.strip())
        pieces.append(text)
        line = (line + text).rsplit("\n", 1)[-1]
        position = match.end()
    pieces.append(markdown[position:].replace(_OPEN, "").replace(_CLOSE, ""))
    return "".join(pieces)


def text_of(value: object) -> str:
    """The text of a key or path a template built by joining marked texts with ``~``
    (``'categories.' ~ row.code``): escapes and marks undone."""
    text = str(value)
    if not isinstance(value, Markup):
        return text
    text = _MARKED.sub(lambda m: re.sub(r"\\(.)", r"\1", m.group(1)), text)
    return html.unescape(text)
