"""科目 code rules: one name per code in a document, parents present and first, no duplicates."""

from __future__ import annotations

from collections.abc import Iterator

from ..errors import Location
from ..model import Document, Row, Table, same_label
from . import CheckConfig, Finding, rule


def _subject_tables(doc: Document) -> list[Table]:
    return [t for t in doc.tables if t.spec.layout in ("subject", "blocks")]


def _at(row: Row, column: int) -> Location:
    return Location(row.location.path, row.location.line, column)


def _finding(doc: Document, rule_id: str, severity: str, row: Row, column: int, expected: str, found: str,
             message: str, message_en: str) -> Finding:
    return Finding(rule=rule_id, family="code-name", severity=severity, location=_at(row, column),
                   document=doc.url, expected=expected, found=found, message=message, message_en=message_en)


@rule("code.name", "code-name", "A 科目 code has one name throughout the document.")
def one_name(doc: Document, config: CheckConfig) -> Iterator[Finding]:
    first: dict[tuple[str, str], tuple[str, Table]] = {}
    for table in _subject_tables(doc):
        for row in table.rows:
            if not row.code:
                continue
            key = (table.spec.classification or "", row.code)
            if key not in first:
                first[key] = (row.name, table)
            elif not same_label(first[key][0], row.name):
                name, where = first[key]
                yield _finding(doc, "code.name", "error", row, 2, name, row.name,
                               f"{table.spec.number}科目 {row.code} 名为“{row.name}”，{where.spec.number}中同一代码名为“{name}”",
                               f"{row.code} is named '{row.name}' here and '{name}' in {where.spec.number}")


@rule("code.duplicate", "code-name", "A 科目 code appears once per table (per group in block tables).")
def duplicates(doc: Document, config: CheckConfig) -> Iterator[Finding]:
    for table in _subject_tables(doc):
        seen: dict[tuple[str, str], Row] = {}
        for row in table.rows:
            if not row.code:
                continue
            key = (row.group, row.code)
            if key in seen:
                yield _finding(doc, "code.duplicate", "error", row, 1, "", row.code,
                               f"{table.spec.number}科目代码 {row.code} 重复出现（第 {seen[key].location.line} 行已有）",
                               f"{table.spec.number}: code {row.code} repeats line {seen[key].location.line}")
            else:
                seen[key] = row


@rule("code.parent", "code-name", "A 款/项 row has its parent in the table, printed before it (not for leaves_only tables).")
def parents(doc: Document, config: CheckConfig) -> Iterator[Finding]:
    for table in _subject_tables(doc):
        if table.spec.leaves_only:
            continue
        lengths = sorted(table.spec.levels)
        position = {(r.group, r.code): i for i, r in enumerate(table.rows) if r.code}
        for index, row in enumerate(table.rows):
            if row.level <= 1:
                continue
            parent_code = row.code[:lengths[row.level - 2]]
            at = position.get((row.group, parent_code))
            if at is None:
                yield _finding(doc, "code.parent", "error", row, 1, parent_code, "",
                               f"{table.spec.number}科目 {row.code} {row.name} 缺少上级科目 {parent_code}",
                               f"{row.code} has no parent {parent_code} in {table.spec.number}")
            elif at > index:
                yield _finding(doc, "code.parent", "warning", row, 1, parent_code, row.code,
                               f"{table.spec.number}科目 {row.code} 排在其上级科目 {parent_code} 之前（应先列上级）",
                               f"{row.code} comes before its parent {parent_code}")


@rule("code.standard-name", "code-name", "A 科目 code carries its standard name (bundled list from the seeds, or the portal's own).")
def standard_name(doc: Document, config: CheckConfig) -> Iterator[Finding]:
    for table in _subject_tables(doc):
        names = config.subjects.get(table.spec.classification or "", {})
        for row in table.rows:
            standard = names.get(row.code or "")
            if standard and not any(same_label(row.name, name) for name in standard):
                yield _finding(doc, "code.standard-name", "warning", row, 2, standard[0], row.name,
                               f"{table.spec.number}科目 {row.code} 名为“{row.name}”，标准名称为“{'”或“'.join(standard)}”",
                               f"{row.code} is named '{row.name}', the standard name is '{standard[0]}'")
