"""更正记录: what changed in a disclosure since it was published, shown on its page for good.

Governments do correct published disclosures; silently replacing a number erodes trust. A build
given the last published release (``build --previous-release TARGET``, or ``previous_release``
in site.yaml, which ``serve`` uses too) compares each disclosure's ``data.json`` with the published one: every table cell
whose text changed (table, row, column, old → new) and every sentence of the prose that changed
(part, old → new) becomes one dated record. Records are kept in ``<document>/corrections.json``
and carried from release to release, so a correction stays visible in every later release.
A build without a previous release carries the records of its own last output unchanged.

The record's date is SOURCE_DATE_EPOCH's when set, else the day of the build (China Standard
Time): the day the corrected version was built for publishing.
"""

from __future__ import annotations

import difflib
import json
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from .layout import source_date

CORRECTIONS = "corrections.json"
CHINA = timezone(timedelta(hours=8))
_SENTENCE = re.compile(r"(?<=[。！？；])|\n+")
_MARKUP = re.compile(r"[#>*_`|]+|<[^>]+>|^\s*[-+]\s+|^\s*\d+[.)]\s+", re.M)


def today() -> str:
    fixed = source_date()
    return (fixed or datetime.now(CHINA)).strftime("%Y-%m-%d")


def sentences(text: str) -> list[str]:
    """Plain sentences of a Markdown text (markup, table rules and blank lines dropped)."""
    plain = _MARKUP.sub("", text or "")
    return [s.strip() for s in _SENTENCE.split(plain) if s and s.strip() and s.strip("-: ")]


def _column(table: dict, key: str) -> dict:
    """The column ``key`` of a table of data.json (an empty one when it has none)."""
    return next((c for c in table["columns"] if c["key"] == key), {})


def _row_key(table: dict, index: int, row: dict) -> str:
    """A row's identity that survives edits to its amounts: its code and name, else its labels."""
    if "code" in row:
        return f"{row.get('code', '')} {row.get('name', '')}".strip()
    labels = [str(v) for key, v in row["cells"].items()
              if v and _column(table, key).get("type") in ("label", "line", "text")]
    return " ".join(labels[:2]) or f"第{index + 1}行"


def cell_changes(old: dict, new: dict) -> list[dict[str, str]]:
    """Every table cell whose displayed text differs, matched by table id, row identity, column."""
    changes = []
    old_tables = {t["id"]: t for t in old.get("tables", [])}
    for table in new.get("tables", []):
        before = old_tables.get(table["id"])
        if before is None:
            continue
        labels = {c["key"]: "/".join([*c.get("path", []), c["label"]]) for c in table["columns"]}
        old_rows: dict[str, list[dict]] = {}     # a label can repeat (one per section): matched in order
        for index, row in enumerate(before["rows"]):
            old_rows.setdefault(_row_key(before, index, row), []).append(row)
        seen: dict[str, int] = {}
        for index, row in enumerate(table["rows"]):
            key = _row_key(table, index, row)
            nth = seen[key] = seen.get(key, -1) + 1
            candidates = old_rows.get(key, [])
            if nth >= len(candidates):
                continue
            previous = candidates[nth]
            for column, text in row["cells"].items():
                was = previous["cells"].get(column, "")
                if (was or "") != (text or "") and column in labels:
                    changes.append({"table": f"{table['number']} {table['title']}", "row": key,
                                    "column": labels[column], "old": was or "（空白）", "new": text or "（空白）"})
    return changes


def prose_changes(old: dict, new: dict) -> list[dict[str, str]]:
    """Every sentence of the prose that was replaced, removed or added, by part."""
    changes = []
    for part, text in new.get("prose", {}).items():
        if part not in old.get("prose", {}):
            continue
        a, b = sentences(old["prose"][part]), sentences(text)
        for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
            if tag == "equal":
                continue
            changes.append({"section": part, "old": "".join(a[i1:i2]) or "（无）", "new": "".join(b[j1:j2]) or "（无）"})
    return changes


def _read(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def history(data: dict, url: str, previous: Path | None, out: Path) -> list[dict[str, Any]]:
    """The disclosure's correction records: those of the previous release plus one for what
    changed since it; without a previous release, those of the last build's output."""
    if previous is None:
        return _read(out / url / CORRECTIONS) or []
    records = _read(previous / url / CORRECTIONS) or []
    published = _read(previous / url / "data.json")
    if published:
        changes = cell_changes(published, data) + prose_changes(published, data)
        if changes:
            records = [*records, {"date": today(), "cells": [c for c in changes if "table" in c],
                                  "sentences": [c for c in changes if "section" in c]}]
    return records
