"""更正记录: what changed in a disclosure since it was published, shown on its page for good.

Governments do correct published disclosures; silently replacing a number erodes trust. A build
given the last published release (``build --previous-release TARGET``, or ``previous_release``
in site.yaml, which ``serve`` uses too) compares each disclosure's ``data.json`` with the published one: every table cell
whose text changed (table, row, column, old → new), every sentence of the prose that changed
(part, old → new) and every field of an attachment form (附件: a 自评表, a 申报表 …) that changed
(form, item, field, old → new; a form added or removed is one entry) becomes one dated record.
Records are kept in ``<document>/corrections.json`` and carried from release to release, so a
correction stays visible in every later release. A build without a previous release carries the
records of its own last output unchanged. (A release built before data.json held the forms gives
no form entries: there is nothing to compare with.)

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

from .formview import REPORT_KIND, REPORT_LABELS, SCORES_KIND, SCORING_LABELS
from .layout import source_date
from .tableview import FORM_LABELS, form_labels

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
    """Every table cell whose displayed text differs, matched by table id, row identity, column;
    a row or a table only one of the two releases has is one record (what it printed)."""
    changes = []
    old_tables = {t["id"]: t for t in old.get("tables", [])}
    new_ids = {t["id"] for t in new.get("tables", [])}
    for table in new.get("tables", []):
        name = f"{table['number']} {table['title']}"
        before = old_tables.get(table["id"])
        if before is None:
            changes.append({"table": name, "row": "（整表）", "column": "", "old": "（无此表）",
                            "new": f"新增，{len(table['rows'])} 行"})
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
                changes.append({"table": name, "row": key, "column": "（整行）", "old": "（无此行）",
                                "new": _printed(row, labels) or "（空白）"})
                continue
            previous = candidates[nth]
            for column in dict.fromkeys([*row["cells"], *previous["cells"]]):
                text, was = row["cells"].get(column, ""), previous["cells"].get(column, "")
                if (was or "") != (text or "") and column in labels:
                    changes.append({"table": name, "row": key,
                                    "column": labels[column], "old": was or "（空白）", "new": text or "（空白）"})
        for key, rows in old_rows.items():       # rows the new release no longer prints
            for row in rows[seen.get(key, -1) + 1:]:
                changes.append({"table": name, "row": key, "column": "（整行）", "old": _printed(row, labels) or "（空白）",
                                "new": "（已删除）"})
    for table_id, before in old_tables.items():
        if table_id not in new_ids:
            changes.append({"table": f"{before['number']} {before['title']}", "row": "（整表）", "column": "",
                            "old": f"{len(before['rows'])} 行", "new": "（已删除）"})
    return changes


def _printed(row: dict, labels: dict[str, str]) -> str:
    """A whole row as one text: each filled cell with its column's label (金额：612.10；…)."""
    return "；".join(f"{labels[key]}：{text}" for key, text in row["cells"].items() if text and key in labels)


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


# -- attachment forms ----------------------------------------------------------------------------

# The label each form kind prints for its fields, by the field's path in the form (``goals.target``);
# a path not here is looked up by its last key in the 自评表's labels (tableview.FORM_LABELS, with
# the form's own ``labels:``), and a key no table names is shown as the file writes it.
_COMMON_LABELS = {"title": "表名", "period": "年度", "amount_unit": "金额单位", "unavailable": "内容未能获取",
                  "unavailable_reason": "说明", "labels": "表头", "signoff": "填报信息", "label": "名称", "text": "内容"}
_KIND_LABELS = {
    "project-self-evaluation": {"goals.target": "goal_target", "goals.actual": "goal_actual",
                                "analysis": "performance_analysis", "analysis.text": "performance_analysis",
                                "improvement.text": "performance_analysis", "indicators.analysis": "analysis"},
    "project-performance-target": {
        "unit": "实施单位", "attribute": "项目属性", "duration": "项目期", "funding": "项目资金",
        "funding.period_total": "实施期资金", "funding.annual": "年度资金", "overview": "项目概况",
        "basis": "立项依据", "necessity": "项目设立必要性", "safeguards": "保证项目实施的制度、措施",
        "plan": "项目实施计划", "goals": "总体目标", "goals.period": "实施期目标", "goals.annual": "年度目标",
        "indicators.period": "实施期指标", "indicators.annual": "年度指标", "value": "指标值",
        "responsible": "负责人", "handler": "经办人", "phone": "联系电话", "date": "填报日期"},
    SCORES_KIND: {**SCORING_LABELS, "total_weight": "分值合计", "total_score": "得分合计", "columns": "表头"},
    REPORT_KIND: {**REPORT_LABELS, "sections": "正文", "heading": "标题", "text": "内容"},
}
_LEVELS = ("level1", "level2", "level3")


def _labeller(form: dict) -> Any:
    """The printed label of a field of ``form``, by its path (``("funding", "score")``)."""
    own = form_labels(form)
    kind = _KIND_LABELS.get(str(form.get("kind")), {})

    def label(path: tuple[str, ...]) -> str:
        if len(path) == 2 and path[0] == "labels":       # a header the form prints differently
            return FORM_LABELS.get(path[1]) or kind.get(path[1], path[1])
        for start in range(len(path)):
            name = kind.get(".".join(path[start:]))
            if name is not None:
                return own.get(name, name)
        return own.get(path[-1]) or _COMMON_LABELS.get(path[-1], path[-1])
    return label


def form_name(form: dict) -> str:
    """A form as a record names it: its title, and its project where the title does not say it
    (every 申报表 has the same title)."""
    title, project = str(form.get("title") or ""), str(form.get("project") or "")
    return f"{title}：{project}" if project and project not in title else title or str(form.get("anchor", ""))


def _shown(value: Any) -> str:
    """A form's value as its page shows it (a list of texts one a line)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return "\n".join(_shown(item) for item in value)
    return str(value)


def _plain_sentences(text: str) -> list[str]:
    """A form's text as sentences (forms hold plain text: nothing is taken for markup)."""
    return [s.strip() for s in _SENTENCE.split(text) if s and s.strip()]


def _text_changes(old: str, new: str) -> list[tuple[str, str]]:
    """What changed between two texts of a field: the whole value, or for texts of several
    sentences each run of changed sentences (as for the prose)."""
    if old == new:
        return []
    a, b = _plain_sentences(old), _plain_sentences(new)
    if len(a) <= 1 and len(b) <= 1:
        return [(old or "（空白）", new or "（空白）")]
    return [("".join(a[i1:i2]) or "（空白）", "".join(b[j1:j2]) or "（空白）")
            for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes()
            if tag != "equal"]


def _item_name(item: dict, section: str) -> str:
    """A line of a form's list as a record names it: a funding line by its source, an analysis
    item by its label, an indicator by its 一级/二级/三级 labels (a 申报表's two sides' too,
    each once); one with none of them by the section's label."""
    for key in ("source", "label", "heading"):
        if item.get(key):
            return str(item[key])
    names: list[str] = []
    for part in [item, *(value for value in item.values() if isinstance(value, dict))]:
        names += [str(part[key]) for key in _LEVELS if part.get(key) and str(part[key]) not in names]
    return "/".join(names) or section


def _fields(old: dict, new: dict, path: tuple[str, ...], label: Any) -> list[tuple[str, str, str]]:
    """(field label, old, new) for each field of one item that changed; a mapping inside it
    (a 申报表 indicator's 实施期 and 年度 sides) gives its fields as “side/field”."""
    changes = []
    for key in [*new, *(k for k in old if k not in new)]:
        a, b = old.get(key), new.get(key)
        if isinstance(a, dict) or isinstance(b, dict):
            side = label((*path, key))
            changes += [(f"{side}/{name}", was, now) for name, was, now in
                        _fields(a if isinstance(a, dict) else {}, b if isinstance(b, dict) else {}, (*path, key), label)]
            continue
        changes += [(label((*path, key)), was, now) for was, now in _text_changes(_shown(a), _shown(b))]
    return changes


def _summary(item: dict, path: tuple[str, ...], label: Any) -> str:
    """An added or removed line, field by field (“得分：10；偏差原因：…”)."""
    return "；".join(f"{name}：{now}" for name, _, now in _fields({}, item, path, label)) or "（空白）"


def _form_fields(old: dict, new: dict, label: Any) -> list[dict[str, str]]:
    """Each changed field of a form that both releases have: (item, field, old → new). Lines of a
    list are matched by their names in order; a renamed line (one name replaced by one) is the
    same line, its name a changed field; a line only one release has is one entry."""
    def own(form: dict) -> dict:            # the form's own fields (项目名称, 总分 …), not its lists
        return {k: v for k, v in form.items() if k not in _FORM_META and not _items(v)}

    changes = [{"item": "", "field": field, "old": a, "new": b} for field, a, b in _fields(own(old), own(new), (), label)]
    for key in [*new, *(k for k in old if k not in new)]:
        if key in _FORM_META or not (_items(old.get(key)) or _items(new.get(key))):
            continue
        section = label((key,))
        before, after = _items(old.get(key)), _items(new.get(key))
        a_names = [_item_name(item, section) for item in before]
        b_names = [_item_name(item, section) for item in after]
        for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a_names, b=b_names, autojunk=False).get_opcodes():
            if tag == "equal" or tag == "replace" and i2 - i1 == j2 - j1:
                for a_item, b_item, name in zip(before[i1:i2], after[j1:j2], b_names[j1:j2], strict=True):
                    changes += [{"item": name, "field": field, "old": x, "new": y}
                                for field, x, y in _fields(a_item, b_item, (key,), label)]
                continue
            changes += [{"item": name, "change": "removed", "old": _summary(item, (key,), label), "new": "（无）"}
                        for item, name in zip(before[i1:i2], a_names[i1:i2], strict=True)]
            changes += [{"item": name, "change": "added", "old": "（无）", "new": _summary(item, (key,), label)}
                        for item, name in zip(after[j1:j2], b_names[j1:j2], strict=True)]
    return changes


_FORM_META = {"anchor", "position", "kind"}    # (the form's identity and place, not what it prints)


def _items(value: Any) -> list[dict]:
    """A form's list of lines, or one mapping (goals, improvement) as a list of one."""
    if isinstance(value, dict):
        return [value]
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def form_changes(old: dict, new: dict) -> list[dict[str, str]]:
    """Every changed field of the attachment forms (matched by anchor, the form's file name), and
    each form added or removed (one entry each). None against a release whose data.json has no
    forms (built before it held them)."""
    if "forms" not in old:
        return []
    before = {form.get("anchor"): form for form in old["forms"]}
    after = {form.get("anchor"): form for form in new.get("forms", [])}
    changes: list[dict[str, str]] = []
    for anchor, form in after.items():
        previous = before.get(anchor)
        if previous == form:                    # (most forms, most builds: nothing to walk)
            continue
        if previous is not None and previous.get("kind") == form.get("kind"):
            head = {"form": form_name(form), "anchor": str(anchor)}
            changes += [{**head, **change} for change in _form_fields(previous, form, _labeller(form))]
            continue
        if previous is not None:
            changes.append({"form": form_name(previous), "anchor": str(anchor), "change": "removed"})
        changes.append({"form": form_name(form), "anchor": str(anchor), "change": "added"})
    changes += [{"form": form_name(form), "anchor": str(anchor), "change": "removed"}
                for anchor, form in before.items() if anchor not in after]
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
        cells, sentences, forms = cell_changes(published, data), prose_changes(published, data), \
            form_changes(published, data)
        if cells or sentences or forms:
            records = [*records, {"date": today(), "cells": cells, "sentences": sentences, "forms": forms}]
    return records
