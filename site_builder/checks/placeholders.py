"""Unfinished content: the 【待填写】 markers that ``site-builder new`` and ``add`` leave.

A new document starts with every prose file and every number its 情况说明 needs marked
【待填写：…】; until each is replaced, the checker reports it as an error, so an unfinished
document cannot be published by accident (``build`` refuses; ``serve`` shows it as a draft).
"""

from __future__ import annotations

import functools
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


@functools.lru_cache(maxsize=8)
def _shared_text(path: str, mtime_ns: int) -> str | None:
    """site.yaml's text: every document of the portal looks at it, one read per process."""
    try:
        return Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return None


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return None   # the loader has read (or refused) every file already


def _texts(doc: Document) -> Iterator[tuple[Path, str | None]]:
    """The texts that may hold a marker: the portal's and department's files, the document's
    YAML files, and its Markdown (already in memory, as the loader read it)."""
    folder = doc.path
    site = folder.parents[3] / "site.yaml"
    try:
        yield site, _shared_text(str(site), site.stat().st_mtime_ns)
    except OSError:
        pass
    yield folder.parent.parent / "department.yaml", _read(folder.parent.parent / "department.yaml")
    yield folder / "document.yaml", _read(folder / "document.yaml")
    for stem, text in doc.extra_markdown.items():
        yield folder / f"{stem}.md", text
    for path in sorted((folder / "attachments").glob("*.yaml")):
        yield path, _read(path)


def placeholders(doc: Document) -> list[tuple[Location, str]]:
    """Every 【待填写】 left in the document's files (and its department's and portal's), with
    file and line; found once per document (``Document.placeholders`` keeps them)."""
    return doc.placeholders


def find_placeholders(doc: Document) -> list[tuple[Location, str]]:
    found = []
    for path, text in _texts(doc):
        if not text or "【待填写" not in text:
            continue
        for number, line in enumerate(text.splitlines(), start=1):
            if line.lstrip().startswith("#") and path.suffix == ".yaml":
                continue   # a YAML comment explains, it is never published
            for match in PLACEHOLDER.finditer(line):
                found.append((Location(path, number, match.start() + 1), match.group()))
    return found


@rule(PLACEHOLDER_RULE, "content", "A 【待填写】 marker left by `site-builder new`/`add` has been replaced with the real text or figure.")
def placeholder(doc: Document, config: CheckConfig) -> Iterator[Finding]:
    for where, text in placeholders(doc):
        yield Finding(rule=PLACEHOLDER_RULE, family="content", severity="error", location=where, document=doc.url,
                      expected="正式内容", found=text,
                      message=f"还有待填写的内容：{text}（填写后删去【】标记）",
                      message_en=f"placeholder left unfilled: {text}")
