"""Identities across tables of one document, declared in the profile (``cross_checks``)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from ..errors import Location
from ..model import Document, Row, Table, same_label, strip_numbering
from . import CheckConfig, Finding, rule


def _rows(table: Table, ref: dict) -> tuple[list[Row], list[str]]:
    """The rows a reference names: `row` (label or 行次), `rows` (several), or `level` (all 类
    rows); and why each row it names that the table lacks is missing (never summed without it)."""
    if "level" in ref:
        return table.rows_at_level(int(ref["level"])), []
    if ref.get("rows") == "*":
        return [r for r in table.rows if not r.computed], []
    names = ref["rows"] if "rows" in ref else [ref["row"]]
    rows: list[Row] = []
    missing: list[str] = []
    for name in names:
        row = table.numbered(name) if isinstance(name, int) else table.find(str(name))
        if row is None:
            missing.append(table.missing(name if isinstance(name, int) else str(name)))
        else:
            rows.append(row)
    return rows, missing


def resolve(doc: Document, ref: dict) -> tuple[Decimal, Location, str, str] | None:
    """(value, location, text shown, unit) of a reference; sums when it names several rows.
    None when it names no row at all (a `level` of a table without 类 rows)."""
    table = doc.table(str(ref["table"]))
    rows, _ = _rows(table, ref)
    if not rows:
        return None
    value = sum((r.amount(ref["column"]) for r in rows), Decimal(0))
    first = rows[0]
    text = first[ref["column"]].text if len(rows) == 1 else f"{value:.2f}"
    return value, table.cell_location(first, ref["column"]), text, table.spec.unit


def _unfound(doc: Document, check: dict) -> Finding | None:
    """A warning when a side of ``check`` names a row its table lacks: comparing the sum of
    the rows that are there would be comparing a part with a whole."""
    reasons, tables = [], []
    path = None
    for side in ("a", "b"):
        table = doc.table(str(check[side]["table"]))
        _, missing = _rows(table, check[side])
        if missing:
            path = path or table.path
            reasons.append(f"{table.spec.number}{'；'.join(missing)}")
            tables.append(table.spec.id)
    if path is None:
        return None
    return Finding(rule="cross.equal", family="cross-table", severity="warning", location=Location(path),
                   document=doc.url, expected="", found="",
                   message=f"{check['label']}：无法核对，{'；'.join(reasons)}（检查表中的行名和行次，或表格方案的 cross_checks）",
                   message_en=f"{check['label']}: not checked, a row it names is not in table {', '.join(tables)}")


def _declared(doc: Document, kind: str) -> Iterator[tuple[dict, dict]]:
    """The profile's cross_checks of one kind: "by_code", "by_category", or "equal" (a and b)."""
    for check in doc.profile.cross_checks:
        found = next((k for k in ("by_code", "by_category") if k in check), "equal")
        if found == kind:
            yield check, check.get(kind, check)


@rule("cross.equal", "cross-table", "Two figures of different tables agree (profile: cross_checks with a and b).")
def equal(doc: Document, config: CheckConfig) -> Iterator[Finding]:
    for check, _ in _declared(doc, "equal"):
        unfound = _unfound(doc, check)
        if unfound is not None:
            yield unfound
            continue
        a, b = resolve(doc, check["a"]), resolve(doc, check["b"])
        if a is None or b is None:
            continue
        gap = abs(a[0] - b[0])
        if gap == 0:
            continue
        addends = max(len(_rows(doc.table(str(check[s]["table"])), check[s])[0]) for s in ("a", "b"))
        within = gap <= config.tolerance(a[3], addends)
        severity = "note" if within else check.get("severity", "error")
        yield Finding(rule="cross.equal", family="cross-table", severity=severity, location=a[1], document=doc.url,
                      expected=b[2], found=a[2],
                      message=f"{check['label']}：前者为 {a[2] or '空白'}，后者为 {b[2] or '空白'}，相差 {gap:.2f}"
                              + ("，尾数误差（四舍五入所致，不是错误）" if within else ""),
                      message_en=f"{check['label']}: {a[2]} vs {b[2]} (difference {gap:.2f})")


@rule("cross.categories", "cross-table", "Each 类 line of a summary table equals that 类 row of a 科目 table.")
def categories(doc: Document, config: CheckConfig) -> Iterator[Finding]:
    for check, spec in _declared(doc, "by_category"):
        summary, subject = doc.table(str(spec["summary"])), doc.table(str(spec["subject"]))
        label_key, amount_key, subject_key = spec["label_column"], spec["column"], spec["subject_column"]
        tops = subject.rows_at_level(1)
        for row in summary.rows:
            printed = str(row.cells.get(label_key, ""))
            label = strip_numbering(printed)
            if not label or label == printed.strip():
                continue  # only the numbered 类 lines (九、卫生健康支出), not 合计 or 总计
            match = next((t for t in tops if same_label(label, t.name)), None)
            if match is None and not row[amount_key].value:
                continue
            shown = match[subject_key].amount if match else Decimal(0)
            gap = abs(row[amount_key].amount - shown)
            if gap == 0:
                continue
            where = summary.cell_location(row, amount_key)
            yield Finding(rule="cross.categories", family="cross-table", severity="error", location=where,
                          document=doc.url, expected=f"{shown:.2f}", found=row[amount_key].text,
                          message=f"{check['label']}：{summary.spec.number}“{label}”为 {row[amount_key].text or '空白'}，"
                                  f"{subject.spec.number}同名类科目为 {shown:.2f}",
                          message_en=f"{check['label']}: '{label}' {row[amount_key].text} vs {shown:.2f}")


@rule("cross.codes", "cross-table", "The same 科目 has the same amount in two tables (收入总表 vs 支出总表 per 科目).")
def codes(doc: Document, config: CheckConfig) -> Iterator[Finding]:
    for check, spec in _declared(doc, "by_code"):
        first, second = doc.table(str(spec["a"])), doc.table(str(spec["b"]))
        others = {r.code: r for r in second.rows if r.code}
        for row in first.rows:
            other = others.get(row.code)
            if not row.code:
                continue
            if other is None:
                yield Finding(rule="cross.codes", family="cross-table", severity="error",
                              location=Location(row.location.path, row.location.line, 1), document=doc.url,
                              expected=row.code, found="",
                              message=f"{check['label']}：{first.spec.number}有科目 {row.code} {row.name}，{second.spec.number}没有",
                              message_en=f"{check['label']}: {row.code} is missing from {second.spec.number}")
                continue
            a, b = row[spec["a_column"]], other[spec["b_column"]]
            if a.amount != b.amount:
                where = first.cell_location(row, spec["a_column"])
                yield Finding(rule="cross.codes", family="cross-table", severity="error", location=where,
                              document=doc.url, expected=b.text, found=a.text,
                              message=f"{check['label']}：{row.code} {row.name} 在{first.spec.number}为 {a.text or '空白'}，"
                                      f"在{second.spec.number}为 {b.text or '空白'}",
                              message_en=f"{check['label']}: {row.code} {a.text} vs {b.text}")
