"""情况说明: compute every number of the explanations from the tables and the document's inputs.

The sentence patterns live in a Jinja template named by the profile
(``templates/explanations/<profile>.md.j2``, overridable by a portal's own templates).
The department writes only the reasons (主要原因, 用于…) in ``document.yaml``; the
template receives the tables and these helpers, and produces Markdown.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from .errors import ContentError, Location, TemplateError
from .model import Document, strip_numbering
from .numbers import money, parse_decimal, percent, plain_number, round2


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


def explanation_context(doc: Document) -> dict[str, Any]:
    """Everything a 情况说明 template may use."""

    def table(table_id: str):
        return doc.table(str(table_id))

    def value(path: str, default: Any = None) -> Any:
        """An input by dotted path (``prior_year.total_income``); missing → default."""
        node: Any = doc.inputs
        for part in path.split("."):
            if not isinstance(node, dict) or part not in node:
                if default is not None:
                    return default
                raise ContentError(doc.path / "document.yaml", f"情况说明需要的数据“inputs.{path}”未填写",
                                   "在 document.yaml 的 inputs 下补上这一项（不在任何表中的数字，如上年决算数）")
            node = node[part]
        return node

    def number(path: str, default: Any = None) -> Decimal:
        return _as_decimal(value(path, default), f"inputs.{path}")

    def reason(path: str, default: str = "") -> str:
        node: Any = doc.reasons
        for part in path.split("."):
            if not isinstance(node, dict) or part not in node:
                return default
            node = node[part]
        return str(node).strip() if node is not None else default

    def change(current: Decimal, previous: Decimal) -> Change:
        return Change(Decimal(current), Decimal(previous))

    def include(name: str) -> str:
        """A Markdown file of the document; it may cite computed figures ({{ score(...) }})."""
        return render_markdown_file(doc, name, context)

    def grade(score: Decimal) -> str:
        return doc.profile.grade(Decimal(score))

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
        "sentence": sentence,
        "strip_numbering": strip_numbering,
        "D": Decimal,
        "grade": grade,
        "score": plain_number,
    }
    return context


_SANDBOX = SandboxedEnvironment(undefined=jinja2.StrictUndefined, autoescape=False)


def render_markdown_file(doc: Document, name: str, context: dict[str, Any] | None = None) -> str:
    """The document's ``<name>.md``, with any {{ … }} in it filled from the tables (sandboxed)."""
    if name not in doc.extra_markdown:
        raise ContentError(doc.path / f"{name}.md", f"找不到文件“{name}.md”", "表格方案的页面结构（parts）或情况说明模板引用了它")
    text = doc.extra_markdown[name]
    if "{{" not in text and "{%" not in text:
        return text.strip()
    try:
        return _SANDBOX.from_string(text).render(**(context or explanation_context(doc))).strip()
    except ContentError:
        raise
    except (jinja2.TemplateError, KeyError, ValueError, TypeError, AttributeError, ArithmeticError) as exc:
        line = getattr(exc, "lineno", None)
        raise ContentError(Location(doc.path / f"{name}.md", line), f"文中的 {{{{ … }}}} 计算出错：{exc}") from exc


def render_explanation(doc: Document, env: jinja2.Environment) -> str:
    """Render the document's 情况说明 as Markdown ('' when the profile has none)."""
    name = doc.profile.explanation_template
    if not name:
        return ""
    try:
        template = env.get_template(name)
        return template.render(**explanation_context(doc))
    except ContentError:
        raise
    except jinja2.TemplateNotFound as exc:
        raise TemplateError(doc.profile.path, f"找不到情况说明模板“{exc.name}”") from None
    except (jinja2.TemplateError, ValueError, KeyError, TypeError, AttributeError) as exc:
        lineno = getattr(exc, "lineno", None)
        where = f"{name}:{lineno}" if lineno else name
        raise TemplateError(doc.path / "document.yaml",
                            f"生成情况说明时出错（模板 {where}）：{exc}") from exc
