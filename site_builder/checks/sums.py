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


@rule("sum.group-total", "sum", "A block group's total row (人员经费合计) equals the sum of its 类 rows, and a "
                                "合计 line printed after the blocks the sum of their totals, in every amount column.")
def group_total(doc: Document, config: CheckConfig) -> Iterator[Finding]:
    for table in doc.tables:
        columns = table.spec.amount_columns       # (金额 and 其中：基本支出 alike)
        totals = []
        for block in table.spec.blocks:
            total = table.find(block.total_label)
            totals += [total] if total is not None else []
            tops = [r for r in table.rows if r.group == block.group and r.level == 1]
            if total is None or not tops:
                continue
            for col in columns:
                which = _which(col, columns)
                yield from _compare(doc, table, config, "sum.group-total", table.cell_location(total, col.key),
                                    total[col.key], [r[col.key] for r in tops],
                                    f"{block.total_label}{which[0]}与{block.group}各类科目之和",
                                    f"{block.total_label}{which[1]} against its 类 rows")
        if not table.spec.blocks or len(totals) < len(table.spec.blocks):
            continue
        for grand in (r for r in table.rows if table.after_blocks(r)):
            for col in columns:
                which = _which(col, columns)
                yield from _compare(doc, table, config, "sum.group-total", table.cell_location(grand, col.key),
                                    grand[col.key], [t[col.key] for t in totals],
                                    f"“{grand.name}”行{which[0]}与各块合计之和",
                                    f"{grand.name}{which[1]} against the blocks' totals")


def _which(col, columns) -> tuple[str, str]:
    """How a finding names the column (in Chinese, in English) when the table has more than one."""
    return (f"的{col.label}", f" {col.key}") if len(columns) > 1 else ("", "")


def _row(table: Table, name: str | int) -> Row | None:
    return table.numbered(name) if isinstance(name, int) else table.find(str(name))


def _parts(table: Table, names: tuple[str | int | range, ...]) -> tuple[list[Row], list[tuple[str, str]]]:
    """The rows ``names`` name, and (why, in Chinese and in English) for each one the table
    lacks. A range of 行次 is every 行次 in it that the table prints (a print may skip 51–52):
    only a range with none of them is missing; a 行次 or label named singly must be there."""
    rows: list[Row] = []
    seen: set[int] = set()          # (a row of a two-sided table prints two 行次)
    missing: list[tuple[str, str]] = []
    for name in names:
        if isinstance(name, range):
            found = [r for r in (table.numbered(n) for n in name) if r is not None]
            if not found:
                missing.append((f"表中没有行次在 {name.start}–{name.stop - 1} 之间的行",
                                f"no line {name.start}-{name.stop - 1}"))
        else:
            row = _row(table, name)
            found = [row] if row is not None else []
            if row is None:
                missing.append((table.missing(name), f"no line {name}" if isinstance(name, int) else f"no row {name}"))
        for row in found:
            if id(row) not in seen:
                seen.add(id(row))
                rows.append(row)
    return rows, missing


def _english(name: str | int | range) -> str:
    """A part as message_en lists it: 1-26, 27, 'label'."""
    return f"{name.start}-{name.stop - 1}" if isinstance(name, range) else repr(name)


def _what(name: str | int | range) -> str:
    if isinstance(name, range):
        return f"行次 {name.start}-{name.stop - 1}"
    return f"行次 {name}" if isinstance(name, int) else f"“{name}”"


@rule("sum.rows", "sum", "A total row equals the sum of named rows (profile: sum_rows), e.g. 政府采购 合计 = 货物 + 工程 + 服务.")
def named_rows(doc: Document, config: CheckConfig) -> Iterator[Finding]:
    for table in doc.tables:
        for total_name, part_names, keys in table.spec.sum_rows:
            total = _row(table, total_name)
            parts: list[Row]
            missing = [] if total is not None else [(f"合计行：{table.missing(total_name)}", f"no total row {total_name}")]
            if part_names == ("above",):
                parts = [r for r in table.rows[:table.rows.index(total)] if not r.repeats_header] if total else []
            else:
                parts, lacking = _parts(table, part_names)
                missing += lacking
            columns = [c for c in table.spec.amount_columns if not keys or c.key in keys]
            if missing or total is None:
                named = "、".join(_what(n) for n in (total_name, *part_names) if n != "above")
                labels = "、".join(c.qualified_label for c in columns)
                yield Finding(rule="sum.rows", family="sum", severity="warning", location=Location(table.path),
                              document=doc.url, expected=named, found="",
                              message=f"{table.spec.number} 无法核对{_what(total_name)}行（{labels}）与其分项之和："
                                      f"{'；'.join(m for m, _ in missing)}（检查表中的行次和行名，或表格方案的 sum_rows）",
                              message_en=f"{table.spec.number}: cannot check row {total_name} against its parts: "
                                         f"{'; '.join(m for _, m in missing)}")
                continue
            for col in columns:
                yield from _compare(doc, table, config, "sum.rows", table.cell_location(total, col.key),
                                    total[col.key], [p[col.key] for p in parts],
                                    f"{f'行次 {total_name} ' if isinstance(total_name, int) else f'“{total_name}”行'}{col.label}与其分项之和",
                                    f"row {total_name} {col.key} against rows [{', '.join(map(_english, part_names))}]")
