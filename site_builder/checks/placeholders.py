"""Unfinished content: the 【待填写】 markers that ``site-builder new`` and ``add`` leave.

A new document starts with every prose file and every number its 情况说明 needs marked
【待填写：…】; until each is replaced, the checker reports it as an error, so an unfinished
document cannot be published by accident (``build`` refuses; ``serve`` shows it as a draft).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from ..errors import Location
from ..model import Document
from . import CheckConfig, Finding, rule

PLACEHOLDER_RULE = "content.placeholder"
PLACEHOLDER = re.compile(r"【待填写[^】\n]*】")


def is_placeholder(value: object) -> bool:
    return isinstance(value, str) and PLACEHOLDER.search(value) is not None


def _files(doc: Document) -> list[Path]:
    folder = doc.path
    files = [folder / "document.yaml", *sorted(folder.glob("*.md")), *sorted((folder / "attachments").glob("*.yaml"))]
    return [folder.parents[3] / "site.yaml", folder.parent.parent / "department.yaml", *files]


def placeholders(doc: Document) -> list[tuple[Location, str]]:
    """Every 【待填写】 left in the document's files (and its department's), with file and line;
    read once per document."""
    found = doc.__dict__.get("_placeholders")
    if found is None:
        found = []
        for path in _files(doc):
            try:
                text = path.read_text(encoding="utf-8-sig")
            except (OSError, UnicodeDecodeError):
                continue   # the loader has read (or refused) every file already
            if "【待填写" not in text:
                continue
            for number, line in enumerate(text.splitlines(), start=1):
                if line.lstrip().startswith("#") and path.suffix == ".yaml":
                    continue   # a YAML comment explains, it is never published
                for match in PLACEHOLDER.finditer(line):
                    found.append((Location(path, number, match.start() + 1), match.group()))
        doc.__dict__["_placeholders"] = found
    return found


@rule(PLACEHOLDER_RULE, "content", "A 【待填写】 marker left by `site-builder new`/`add` has been replaced with the real text or figure.")
def placeholder(doc: Document, config: CheckConfig) -> Iterator[Finding]:
    for where, text in placeholders(doc):
        yield Finding(rule=PLACEHOLDER_RULE, family="content", severity="error", location=where, document=doc.url,
                      expected="正式内容", found=text,
                      message=f"还有待填写的内容：{text}（填写后删去【】标记）",
                      message_en=f"placeholder left unfilled: {text}")
