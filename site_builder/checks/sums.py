"""Sum rules inside one table: row totals, parent 科目 = children, 合计 = 类 rows, group totals."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from ..errors import Location
from ..model import Document, Row, Table
from ..numbers import Cell
from . import CheckConfig, Finding, rule


def _compare(doc: Document, table: Table, config: CheckConfig, rule_id: str, where: Location,
             total: Cell, parts: list[Cell], what: str, what_en: str) -> Iterator[Finding]:
    """One identity: ``total`` against the sum of ``parts``; rounding-size gaps are notes."""
    if total.value is None and all(p.value is None for p in parts):
        return
    expected = sum((p.amount for p in parts), Decimal(0))
    gap = abs(total.amount - expected)
    if gap == 0:
        return
    unit = table.spec.unit
    within = gap <= config.tolerance(unit, len(parts))
    severity = "note" if within else "error"
    shown = total.text or "空白"
    kind = "尾数误差（四舍五入所致，不是错误）" if within else "不相等"
    yield Finding(
        rule=rule_id, family="sum", severity=severity, location=where, document=doc.url,
        expected=f"{expected:.2f}", found=shown,
        message=f"{table.spec.number} {what}：各项之和为 {expected:.2f}{unit}，表中为 {shown}，相差 {gap:.2f}，{kind}",
        message_en=f"{table.spec.number} {what_en}: parts sum to {expected:.2f}, table shows {shown} "
                   f"(difference {gap:.2f}{', within rounding' if within else ''})",
    )


def _label(row: Row) -> str:
    return f"{row.code} {row.name}".strip() or next((v for v in row.cells.values() if isinstance(v, str) and v), "")


@rule("sum.row-parts", "sum", "A row's total column equals the sum of its part columns (profile: row_sums).")
def row_parts(doc: Document, config: CheckConfig) -> Iterator[Finding]:
    for table in doc.tables:
        for total_key, part_keys in table.spec.row_sums:
            for row in table.data_rows:
                if row.computed:
                    continue
                yield from _compare(doc, table, config, "sum.row-parts", table.cell_location(row, total_key),
                                    row[total_key], [row[k] for k in part_keys],
                                    f"“{_label(row)}”行 {table.spec.column(total_key).label}",
                                    f"row '{_label(row)}' column {total_key}")


def _children(table: Table, parent: Row) -> list[Row]:
    return [r for r in table.rows if r.level == parent.level + 1 and r.code.startswith(parent.code)
            and (not table.spec.blocks or r.group == parent.group)]


@rule("sum.children", "sum", "A parent 科目 (类/款) equals the sum of its children, in every amount column.")
def parent_children(doc: Document, config: CheckConfig) -> Iterator[Finding]:
    for table in doc.tables:
        if table.spec.layout not in ("subject", "blocks"):
            continue
        for parent in table.rows:
            children = _children(table, parent) if parent.code else []
            if not children:
                continue
            for col in table.spec.amount_columns:
                yield from _compare(doc, table, config, "sum.children", table.cell_location(parent, col.key),
                                    parent[col.key], [c[col.key] for c in children],
                                    f"{parent.code} {parent.name}（{parent.level_name}）的{col.label}与其下级科目之和",
                                    f"{parent.code} {col.key} against its children")


@rule("sum.total-row", "sum", "The 合计 row equals the sum of the 类 rows, in every amount column.")
def total_row(doc: Document, config: CheckConfig) -> Iterator[Finding]:
    for table in doc.tables:
        if table.spec.layout != "subject":
            continue
        total = table.total_row
        tops = table.rows_at_level(1)
        if total is None or not tops:
            continue
        for col in table.spec.amount_columns:
            yield from _compare(doc, table, config, "sum.total-row", table.cell_location(total, col.key),
                                total[col.key], [r[col.key] for r in tops],
                                f"合计行{col.label}与各类科目之和", f"合计 {col.key} against the 类 rows")


@rule("sum.group-total", "sum", "A block group's total row (人员经费合计) equals the sum of its 类 rows.")
def group_total(doc: Document, config: CheckConfig) -> Iterator[Finding]:
    for table in doc.tables:
        for block in table.spec.blocks:
            total = table.find(block.total_label)
            tops = [r for r in table.rows if r.group == block.group and r.level == 1]
            if total is None or not tops:
                continue
            yield from _compare(doc, table, config, "sum.group-total", table.cell_location(total, "amount"),
                                total["amount"], [r["amount"] for r in tops],
                                f"{block.total_label}与{block.group}各类科目之和", f"{block.total_label} against its 类 rows")


def _row(table: Table, name: str | int) -> Row | None:
    return table.numbered(name) if isinstance(name, int) else table.find(str(name))


@rule("sum.rows", "sum", "A total row equals the sum of named rows (profile: sum_rows), e.g. 政府采购 合计 = 货物 + 工程 + 服务.")
def named_rows(doc: Document, config: CheckConfig) -> Iterator[Finding]:
    for table in doc.tables:
        for total_name, part_names, keys in table.spec.sum_rows:
            total = _row(table, total_name)
            parts: list[Row | None]
            if part_names == ("above",):
                above = [i for i in range(table.rows.index(total) if total else 0) if not table.rows[i].repeats_header]
                part_names = tuple(above)
                parts = [table.rows[i] for i in above]
            else:
                parts = [_row(table, name) for name in part_names]
            found = [p for p in parts if p is not None]
            if total is None or len(found) < len(parts):
                missing = [str(n) for n, p in zip((total_name, *part_names), (total, *parts), strict=True) if p is None]
                yield Finding(rule="sum.rows", family="sum", severity="warning", location=Location(table.path),
                              document=doc.url, expected="、".join(missing), found="",
                              message=f"{table.spec.number} 找不到行：{'、'.join(missing)}，无法核对合计",
                              message_en=f"{table.spec.number}: rows not found: {', '.join(missing)}")
                continue
            for col in [c for c in table.spec.amount_columns if not keys or c.key in keys]:
                yield from _compare(doc, table, config, "sum.rows", table.cell_location(total, col.key),
                                    total[col.key], [p[col.key] for p in found],
                                    f"{f'行次 {total_name} ' if isinstance(total_name, int) else f'“{total_name}”行'}{col.label}与其分项之和",
                                    f"row {total_name} {col.key} against rows {list(part_names)}")
