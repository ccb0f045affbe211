"""Rules on the department's own prose (Markdown files and reasons): amounts tied to tables."""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..errors import Location
from ..model import Document
from ..numbers import Cell, normalize_text
from . import CheckConfig, Finding, rule

# an amount followed by 元 but not 万元: “69.62元”, “1,648.71 元”
_YUAN = re.compile(r"(?<![\d.,])(\d[\d,]*\.\d{1,2})\s*(?<!万)元")


def _prose(doc: Document) -> Iterator[tuple[Location, str]]:
    """Each piece of department-written text with where it lives."""
    for name, text in doc.extra_markdown.items():
        yield Location(doc.path / f"{name}.md"), text

    def walk(value: object) -> Iterator[str]:
        if isinstance(value, dict):
            for item in value.values():
                yield from walk(item)
        elif isinstance(value, str):
            yield value

    for text in walk(doc.reasons):
        yield Location(doc.path / "document.yaml"), text


def _wan_amounts(doc: Document) -> dict[str, str]:
    """Every amount of the document's 万元 tables → the table that holds it."""
    found: dict[str, str] = {}
    for table in doc.tables:
        if table.spec.unit != "万元":
            continue
        for row in table.rows:
            for value in row.cells.values():
                if isinstance(value, Cell) and value.value:
                    found.setdefault(f"{value.value:.2f}", table.spec.number)
    return found


@rule("prose.unit", "unit", "An amount written in 元 in the prose that equals a 万元 table value (a unit slip).")
def unit_slip(doc: Document, config: CheckConfig) -> Iterator[Finding]:
    amounts = _wan_amounts(doc)
    if not amounts:
        return
    for where, text in _prose(doc):
        text = normalize_text(text)
        for match in _YUAN.finditer(text):
            value = f"{float(match.group(1).replace(',', '')):.2f}"
            if value in amounts:
                line = text.count("\n", 0, match.start()) + 1 if where.path.suffix == ".md" else None
                yield Finding(rule="prose.unit", family="unit", severity="error",
                              location=Location(where.path, line), document=doc.url,
                              expected=f"{value}万元", found=match.group(0),
                              message=f"文中写“{match.group(0)}”，而{amounts[value]}中为 {value}万元：单位可能写错（元/万元）",
                              message_en=f"prose says {match.group(0)} where {amounts[value]} has {value} 万元 (unit slip?)")
