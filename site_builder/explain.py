"""情况说明: compute every number of the explanations from the tables and the document's inputs.

The sentence patterns live in a Jinja template named by the profile
(``templates/explanations/<profile>.md.j2``, overridable by a portal's own templates).
The department writes only the reasons (主要原因, 用于…) in ``document.yaml``; the
template receives the tables and these helpers, and produces Markdown, in which every text
from the content is escaped (:class:`ExplanationEnvironment`). A department's own Markdown is
never a template: its {{ … }} figures are filled by prose_figures.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pathlib import Path

import jinja2
from markupsafe import Markup

from .errors import ContentError, Location, TemplateError
from .markdown_text import PlainText, finish, text_of
from .model import Document, strip_numbering
from .prose_figures import fill
from .numbers import money, parse_decimal, percent, plain_number, round2


class BytecodeCache(jinja2.FileSystemBytecodeCache):
    """Compiled templates kept between builds, best effort: one that cannot be written (a full
    disk) is compiled again next time; the pages' own writes say what is wrong with the disk."""

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            super().dump_bytecode(bucket)
        except OSError:
            pass


@dataclass(frozen=True)
class Change:
    """The change of an amount against last year, worded as the documents word it."""

    current: Decimal
    previous: Decimal

    @property
    def diff(self) -> Decimal:
        return round2(self.current) - round2(self.previous)

    @property
    def same(self) -> bool:
        return self.diff == 0

    @property
    def amount_word(self) -> str:
        return "增加" if self.diff > 0 else "减少"

    @property
    def rate_word(self) -> str:
        return "增长" if self.diff > 0 else "下降"

    @property
    def amount(self) -> str:
        return money(abs(self.diff))

    @property
    def rate(self) -> str | None:
        """The rate of change, or None when last year was zero (undefined, never 0.00%)."""
        return percent(abs(self.diff), self.previous)

    def text(self, unit: str) -> str:
        """“减少3,070.80万元，下降57.58%”, “与上年相同”, or without a rate when last year was 0."""
        if self.same:
            return "与上年相同"
        words = f"{self.amount_word}{self.amount}{unit}"
        return f"{words}，{self.rate_word}{self.rate}" if self.rate else words


def sentence(text: str | None) -> str:
    """Reason text as the end of a sentence: add “。” unless it already ends in punctuation."""
    text = (text or "").strip()
    if text and text[-1] not in "。；;！!？?":
        text += "。"
    return text


def _as_decimal(value: Any, where: str) -> Decimal:
    try:
        return parse_decimal(value)
    except ValueError as exc:
        raise ValueError(f"{where}：{exc}") from None


def _plain(value: Any) -> Any:
    """Text read from the model, marked as text (escaped when the template prints or joins it)."""
    return PlainText(value) if type(value) is str else value


def _plain_all(value: Any) -> Any:
    """``value`` from document.yaml with every text in it marked as text."""
    if isinstance(value, dict):
        return {k: _plain_all(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain_all(v) for v in value]
    return _plain(value)


class ExplanationEnvironment(jinja2.Environment):
    """The 情况说明 templates' environment. Its output is Markdown, so autoescaping is on and
    every text a template reads from the model (``row.name``, ``col.label``, ``dept.name``, a
    document.yaml value) is :class:`PlainText`: printed, concatenated with ``~`` or joined, it
    is Markdown-escaped, while the template's own words and the figures it computes (``money``,
    ``pct``, ``change(…).text``) go through as they are. A text that loses the mark on the way
    (a filter that returns a new ``str``) is still HTML-escaped by autoescaping, and the
    Markdown's HTML is sanitised after (render.render_markdown)."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        value = super().getattr(obj, attribute)
        return value if isinstance(obj, Change) else _plain(value)   # a Change's words are computed

    def getitem(self, obj: Any, argument: Any) -> Any:
        return _plain(super().getitem(obj, argument))


def explanation_context(doc: Document) -> dict[str, Any]:
    """Everything a 情况说明 template may use."""

    def table(table_id: str):
        return doc.table(text_of(table_id))

    def value(path: str, default: Any = None) -> Any:
        """An input by dotted path (``prior_year.total_income``); missing → default."""
        path = text_of(path)
        node: Any = doc.inputs
        for part in path.split("."):
            if not isinstance(node, dict) or part not in node:
                if default is not None:
                    return _plain_all(default)
                raise ContentError(doc.path / "document.yaml", f"情况说明需要的数据“inputs.{path}”未填写",
                                   "在 document.yaml 的 inputs 下补上这一项（不在任何表中的数字，如上年决算数）")
            node = node[part]
        return _plain_all(node)

    def number(path: str, default: Any = None) -> Decimal:
        return _as_decimal(value(path, default), f"inputs.{text_of(path)}")

    def reason(path: str, default: str = "") -> str:
        path = text_of(path)
        node: Any = doc.reasons
        for part in path.split("."):
            if not isinstance(node, dict) or part not in node:
                return PlainText(default)
            node = node[part]
        return PlainText(str(node).strip() if node is not None else default)

    def change(current: Decimal, previous: Decimal) -> Change:
        return Change(Decimal(current), Decimal(previous))

    def include(name: str) -> Markup:
        """A Markdown file of the document, its {{ … }} figures filled (prose_figures.py); it is
        the department's Markdown, inserted as Markdown (sanitised with the rest)."""
        return Markup(render_markdown_file(doc, name))

    def grade(score: Decimal) -> str:
        return PlainText(doc.profile.grade(Decimal(score)))

    context = {
        "doc": doc,
        "year": doc.year,
        "dept": doc.department,
        "T": table,
        "value": value,
        "number": number,
        "reason": reason,
        "change": change,
        "include": include,
        "money": money,
        "pct": percent,
        "sentence": lambda text: PlainText(sentence(text)),
        "strip_numbering": lambda label: PlainText(strip_numbering(label)),
        "D": Decimal,
        "grade": grade,
        "score": plain_number,
    }
    return context


def make_explanation_environment(loader: jinja2.BaseLoader, bytecode_dir: Path | None = None) -> jinja2.Environment:
    """The environment of the 情况说明 templates (the portal's own first, as for pages)."""
    return ExplanationEnvironment(
        loader=loader,
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        # a folder of its own: the compiled code differs from the pages' (autoescaping)
        bytecode_cache=BytecodeCache(str(bytecode_dir)) if bytecode_dir else None,
    )


def render_markdown_file(doc: Document, name: str) -> str:
    """The document's ``<name>.md``, with its {{ … }} figures filled (prose_figures.py)."""
    if name not in doc.extra_markdown:
        raise ContentError(doc.path / f"{name}.md", f"找不到文件“{name}.md”", "表格方案的页面结构（parts）或情况说明模板引用了它")
    return fill(doc.extra_markdown[name], doc, Location(doc.path / f"{name}.md", 1)).strip()


def render_explanation(doc: Document, env: jinja2.Environment) -> str:
    """Render the document's 情况说明 as Markdown ('' when the profile has none); ``env`` is
    :func:`make_explanation_environment`'s."""
    name = doc.profile.explanation_template
    if not name:
        return ""
    try:
        template = env.get_template(name)
        return finish(template.render(**explanation_context(doc)))
    except ContentError:
        raise
    except jinja2.TemplateNotFound as exc:
        raise TemplateError(doc.profile.path, f"找不到情况说明模板“{exc.name}”") from None
    except (jinja2.TemplateError, ValueError, KeyError, TypeError, AttributeError) as exc:
        lineno = getattr(exc, "lineno", None)
        where = f"{name}:{lineno}" if lineno else name
        raise TemplateError(doc.path / "document.yaml",
                            f"生成情况说明时出错（模板 {where}）：{exc}") from exc
