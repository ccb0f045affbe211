"""Identities across tables of one document, declared in the profile (``cross_checks``).

Two tables may be printed in different units (a document's ``tables: {"06": {unit: 元}}`` in a
万元 set): their figures are then compared in 元 (numbers.MONEY_UNITS), a gap within the
rounding of the coarser unit being a note; figures whose units do not convert (分 and 万元) are
not compared, and a finding says so."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from ..errors import Location
from ..model import Document, Row, Table, same_label, strip_numbering
from ..numbers import MONEY_UNITS
from . import CheckConfig, Finding, rule


def _rows(table: Table, ref: dict) -> tuple[list[Row], list[str]]:
    """The rows a reference names: `row` (label or 行次), `rows` (several), or `level` (all 类
    rows); and why each row it names that the table lacks is missing (never summed without it)."""
    if "level" in ref:
        return table.rows_at_level(int(ref["level"])), []
    if ref.get("rows") == "*":
        return [r for r in table.data_rows if not r.computed], []
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
    return value, table.cell_location(first, ref["column"]), text, unit_of(table, ref["column"])


def unit_of(table: Table, key: str) -> str:
    """The unit a column's figures are printed in: its own (a score: 分) or its table's."""
    return table.spec.column(key).unit or table.spec.unit


class Gap:
    """How far apart two figures are. In one unit: their difference, compared exactly. In two
    units that convert (元 and 万元): their difference in 元, within rounding when the coarser
    figure's rounding explains it (a 万元 figure is 0.01 万元 = 100 元 coarse)."""

    def __init__(self, config: CheckConfig, a: Decimal, unit_a: str, b: Decimal, unit_b: str, addends: int = 1):
        self.units = (unit_a, unit_b)
        self.convertible = self.converts(unit_a, unit_b)
        self.gap = self.tolerance = Decimal(0)
        if unit_a == unit_b:
            self.gap = abs(a - b)
        elif self.convertible:
            factor_a, factor_b = MONEY_UNITS[unit_a], MONEY_UNITS[unit_b]
            self.gap = abs(a * factor_a - b * factor_b)
            self.tolerance = max(config.tolerance(unit_a, addends) * factor_a, config.tolerance(unit_b, addends) * factor_b)

    @staticmethod
    def converts(unit_a: str, unit_b: str) -> bool:
        return unit_a == unit_b or (unit_a in MONEY_UNITS and unit_b in MONEY_UNITS)

    @property
    def within(self) -> bool:
        return self.units[0] != self.units[1] and self.gap <= self.tolerance

    def severity(self, otherwise: str) -> str:
        return "note" if self.within else otherwise

    @property
    def words(self) -> str:
        """What the message adds about units: nothing when both figures are in one unit."""
        if self.units[0] == self.units[1]:
            return ""
        return f"，换算为元相差 {self.gap:.2f}元" + ("，在单位换算的尾数误差之内（不是错误）" if self.within else "")


def _incomparable(doc: Document, rule_id: str, label: str, where: Location, units: tuple[str, str], found: str,
                  expected: str) -> Finding:
    """Two figures in units that do not convert (分 and 万元): not compared, and the checker says so."""
    return Finding(rule=rule_id, family="cross-table", severity="warning", location=where, document=doc.url,
                   expected=expected, found=found,
                   message=f"{label}：两个数的单位不同（{units[0]}、{units[1]}），不能换算，未作比较",
                   message_en=f"{label}: units {units[0]} and {units[1]} do not convert; not compared")


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
        if a[3] != b[3]:
            yield from _equal_across_units(doc, config, check, a, b)
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


def _equal_across_units(doc: Document, config: CheckConfig, check: dict, a: tuple, b: tuple) -> Iterator[Finding]:
    """cross.equal for two figures printed in different units (元 and 万元): compared in 元."""
    addends = max(len(_rows(doc.table(str(check[s]["table"])), check[s])) for s in ("a", "b"))
    gap = Gap(config, a[0], a[3], b[0], b[3], addends)
    if not gap.convertible:
        yield _incomparable(doc, "cross.equal", check["label"], a[1], gap.units, a[2], b[2])
        return
    if gap.gap == 0:
        return
    yield Finding(rule="cross.equal", family="cross-table", severity=gap.severity(check.get("severity", "error")),
                  location=a[1], document=doc.url, expected=f"{b[2]}{b[3]}", found=f"{a[2]}{a[3]}",
                  message=f"{check['label']}：前者为 {a[2] or '空白'}{a[3]}，后者为 {b[2] or '空白'}{b[3]}{gap.words}",
                  message_en=f"{check['label']}: {a[2]} {a[3]} vs {b[2]} {b[3]} (difference {gap.gap:.2f} 元)")


@rule("cross.categories", "cross-table", "Each 类 line of a summary table equals that 类 row of a 科目 table.")
def categories(doc: Document, config: CheckConfig) -> Iterator[Finding]:
    for check, spec in _declared(doc, "by_category"):
        summary, subject = doc.table(str(spec["summary"])), doc.table(str(spec["subject"]))
        label_key, amount_key, subject_key = spec["label_column"], spec["column"], spec["subject_column"]
        units = unit_of(summary, amount_key), unit_of(subject, subject_key)
        if not Gap.converts(*units):
            yield _incomparable(doc, "cross.categories", check["label"], Location(summary.path), units, "", "")
            continue
        tops = subject.rows_at_level(1)
        for row in summary.data_rows:
            printed = str(row.cells.get(label_key, ""))
            label = strip_numbering(printed)
            if not label or label == printed.strip():
                continue  # only the numbered 类 lines (九、卫生健康支出), not 合计 or 总计
            match = next((t for t in tops if same_label(label, t.name)), None)
            if match is None and not row[amount_key].value:
                continue
            shown = match[subject_key].amount if match else Decimal(0)
            gap = Gap(config, row[amount_key].amount, units[0], shown, units[1])
            if gap.gap == 0:
                continue
            where = summary.cell_location(row, amount_key)
            unit_a, unit_b = ("", "") if units[0] == units[1] else units
            yield Finding(rule="cross.categories", family="cross-table", severity=gap.severity("error"), location=where,
                          document=doc.url, expected=f"{shown:.2f}{unit_b}", found=row[amount_key].text + unit_a,
                          message=f"{check['label']}：{summary.spec.number}“{label}”为 {row[amount_key].text or '空白'}{unit_a}，"
                                  f"{subject.spec.number}同名类科目为 {shown:.2f}{unit_b}{gap.words}",
                          message_en=f"{check['label']}: '{label}' {row[amount_key].text} vs {shown:.2f}")


@rule("cross.codes", "cross-table", "The same 科目 has the same amount in two tables (收入总表 vs 支出总表 per 科目).")
def codes(doc: Document, config: CheckConfig) -> Iterator[Finding]:
    for check, spec in _declared(doc, "by_code"):
        first, second = doc.table(str(spec["a"])), doc.table(str(spec["b"]))
        units = unit_of(first, spec["a_column"]), unit_of(second, spec["b_column"])
        if not Gap.converts(*units):
            yield _incomparable(doc, "cross.codes", check["label"], Location(first.path), units, "", "")
            continue
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
            gap = Gap(config, a.amount, units[0], b.amount, units[1])
            if gap.gap:
                where = first.cell_location(row, spec["a_column"])
                unit_a, unit_b = ("", "") if units[0] == units[1] else units
                yield Finding(rule="cross.codes", family="cross-table", severity=gap.severity("error"), location=where,
                              document=doc.url, expected=b.text + unit_b, found=a.text + unit_a,
                              message=f"{check['label']}：{row.code} {row.name} 在{first.spec.number}为 {a.text or '空白'}{unit_a}，"
                                      f"在{second.spec.number}为 {b.text or '空白'}{unit_b}{gap.words}",
                              message_en=f"{check['label']}: {row.code} {a.text} vs {b.text}")
