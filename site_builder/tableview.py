"""Turn a model table into what its HTML needs: header rows with spans, the 栏次 row, body cells.

All print-layout decisions (merged 合计 cells, the four-block 公开06 layout, section rows)
are made here, so templates only loop over rows and cells.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from markupsafe import Markup

from .model import Record, Row, Table
from .numbers import Cell
from .profiles import Column, HeaderCell


@dataclass
class CellView:
    text: str = ""
    header: bool = False      # <th scope="row"> instead of <td>
    colspan: int = 1
    rowspan: int = 1
    classes: str = ""
    key: str | None = None    # column key of an amount cell (data-key), for tests and tools
    code: str | None = None   # 科目代码 of an amount cell in a block table (data-code)
    level_name: str = ""      # 类/款/项, read by screen readers after the name


@dataclass
class RowView:
    cells: list[CellView]
    classes: str = ""
    level: int = 0

    @property
    def html(self) -> Markup:
        """The row's ``<tr>``, escaped as the template would: a table has hundreds of cells, and
        writing them here rather than in a Jinja loop halves the time a page takes to render."""
        scope = "rowgroup" if "section" in self.classes else "col" if "repeats-header" in self.classes else "row"
        row_class = f' class="{_escape(self.classes)}"' if self.classes else ""
        return Markup(f"<tr{row_class}>" + "".join(_cell_html(c, scope) for c in self.cells) + "</tr>")


def _escape(text: str) -> str:
    """What Jinja's autoescape (markupsafe) makes of ``text``, without building a Markup object
    per cell (str.replace returns the string itself when there is nothing to replace)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") \
        .replace('"', "&#34;").replace("'", "&#39;")


def _cell_html(cell: CellView, scope: str) -> str:
    spans = (f' colspan="{cell.colspan}"' if cell.colspan > 1 else "") + \
        (f' rowspan="{cell.rowspan}"' if cell.rowspan > 1 else "")
    classes = f' class="{_escape(cell.classes)}"' if cell.classes else ""
    if cell.header:
        level = f'<span class="vh">（{_escape(cell.level_name)}）</span>' if cell.level_name else ""
        return f'<th scope="{scope}"{spans}{classes}>{_escape(str(cell.text))}{level}</th>'
    key = f' data-key="{_escape(cell.key)}"' if cell.key else ""
    code = f' data-code="{_escape(cell.code)}"' if cell.code else ""
    return f"<td{spans}{classes}{key}{code}>{_escape(str(cell.text))}</td>"


@dataclass
class TableView:
    table: Table
    header_rows: list[list[HeaderCell]]
    seq_row: list[HeaderCell] | None
    rows: list[RowView] = field(default_factory=list)

    @property
    def spec(self):
        return self.table.spec

    @property
    def width(self) -> int:
        return sum(c.colspan for c in self.header_rows[0])


def _amount(cell: object, key: str) -> CellView:
    text = cell.text if isinstance(cell, Cell) else ""
    classes = "num" + (" na" if isinstance(cell, Cell) and cell.is_not_applicable else "")
    return CellView(text, classes=classes, key=key)


def _subject_row(row: Row, columns: list[Column]) -> RowView:
    cells: list[CellView] = []
    if row.is_total or not row.code:
        cells.append(CellView(row.name, header=True, colspan=2, classes="total-label"))
    else:
        cells.append(CellView(row.code, classes="code"))
        cells.append(CellView(row.name, header=True, classes=f"name lvl-{row.level}", level_name=row.level_name))
    for col in columns:
        if col.type == "amount":
            cells.append(_amount(row[col.key], col.key))
    classes = "total" if row.is_total else f"lvl-{row.level}"
    return RowView(cells, classes, row.level)


def _printed(value: object) -> str:
    return value.text if isinstance(value, Cell) else str(value or "")


def _is_total_label(text: str) -> bool:
    compact = "".join(text.split())
    return compact.endswith("合计") or compact in ("总计", "小计")


def _grid_row(row: Row, columns: list[Column], width: int) -> RowView:
    if row.repeats_header:   # a printed header row repeated inside the table: header cells, as printed
        return RowView([CellView(_printed(row.cells.get(c.key)), header=True, classes="repeated-header")
                        for c in columns], "repeats-header")
    if row.is_section and row.cells.get(columns[0].key):   # a label in the first column alone: a heading
        label = next(v for v in row.cells.values() if isinstance(v, str) and v)
        return RowView([CellView(label, header=True, colspan=width, classes="section")], "section")
    cells: list[CellView] = []
    emphasis = False
    if row.computed:  # a summed 合计 row: its label spans the text columns before the first amount
        stub = next(i for i, c in enumerate(columns) if c.type in ("amount", "rate", "growth"))
        cells.append(CellView(row.name, header=True, colspan=stub, classes="total-label"))
        columns = columns[stub:]
    for col in columns:
        value = row.cells.get(col.key, "") if col.type not in ("amount", "rate", "growth") else row[col.key]
        if col.type in ("amount", "rate", "growth"):
            cells.append(_amount(value, col.key))
        elif col.type == "line":
            cells.append(CellView(str(value or ""), classes="line"))
        else:
            text = str(value or "")
            emphasis = emphasis or _is_total_label(text)
            cells.append(CellView(text, header=bool(text) and col.type == "label",
                                  classes="label" if col.type == "label" else "text", key=None))
    return RowView(cells, "total" + (" computed" if row.computed else "") if emphasis or row.computed else "")


def _merge_runs(view: TableView, columns: list[Column]) -> None:
    """Print repeated 一级/二级 labels once, spanning their rows (``merge`` in the profile)."""
    rows = view.rows
    positions = [i for i, c in enumerate(columns) if c.key in view.spec.merge]
    mergeable = [not ({"section", "total"} & set(r.classes.split())) for r in rows]
    spans: dict[tuple[int, int], int] = {}
    for depth, position in enumerate(positions):
        # a run continues while this label and the labels it nests in stay the same
        keys = [tuple(r.cells[p].text for p in positions[:depth + 1]) if ok else None
                for r, ok in zip(rows, mergeable, strict=True)]
        start = 0
        for index in range(1, len(rows) + 1):
            if index == len(rows) or keys[index] is None or keys[index] != keys[start]:
                if keys[start] is not None:
                    spans[(start, position)] = index - start
                    spans.update({(later, position): 0 for later in range(start + 1, index)})
                start = index
    for index, row in enumerate(rows):
        if mergeable[index]:
            kept = []
            for position, cell in enumerate(row.cells):
                cell.rowspan = spans.get((index, position), 1)
                if cell.rowspan:
                    kept.append(cell)
            row.cells = kept


def _blocks(table: Table) -> TableView:
    spec = table.spec
    header = [
        [HeaderCell(b.group, colspan=3 * b.count, is_group=True) for b in spec.blocks],
        [HeaderCell(spec.column(key).label)
         for block in spec.blocks for _ in range(block.count) for key in ("code", "name", "amount")],
    ]
    view = TableView(table, header, None)
    entries = {b.group: [r for r in table.rows if r.group == b.group and r.code] for b in spec.blocks}
    height = max(math.ceil(len(entries[b.group]) / b.count) for b in spec.blocks) if table.rows else 0
    for index in range(height):
        cells: list[CellView] = []
        for block in spec.blocks:
            for column in range(block.count):
                position = column * height + index
                items = entries[block.group]
                if position < len(items):
                    row = items[position]
                    cells.append(CellView(row.code, classes="code"))
                    cells.append(CellView(row.name, header=True, classes=f"name lvl-{row.level}",
                                          level_name=row.level_name))
                    amount = _amount(row["amount"], "amount")
                    amount.code = row.code
                    cells.append(amount)
                else:
                    cells.extend([CellView(classes="code"), CellView(), CellView(classes="num")])
        view.rows.append(RowView(cells))
    totals: list[CellView] = []
    for block in spec.blocks:
        total = table.find(block.total_label)
        totals.append(CellView(block.total_label, header=True, colspan=3 * block.count - 1, classes="total-label"))
        totals.append(_amount(total["amount"] if total else None, "amount"))
    view.rows.append(RowView(totals, "total"))
    return view


def document_view(doc, table: Table) -> TableView:
    """The view of one of ``doc``'s tables, made once: its page and its workbook (XLSX) draw the
    same cells. Kept on the table (``Table.view``), so it goes when the table goes."""
    return table.view


def table_view(table: Table) -> TableView:
    spec = table.spec
    if spec.layout == "blocks":
        return _blocks(table)
    view = TableView(table, spec.header_rows, spec.seq_cells() if spec.seq_row else None)
    if spec.layout == "subject":
        view.rows.extend(_subject_row(row, spec.columns) for row in table.rows)
    else:
        width = view.width                   # a sum over the header: once per table, not per row
        view.rows.extend(_grid_row(row, spec.columns, width) for row in table.rows)
    if spec.merge:
        _merge_runs(view, spec.columns)
    return view


FORM_LABELS = {
    "project": "项目名称", "department": "主管部门及代码", "unit": "预算单位",
    "funding": "项目资金预算安排及执行进度", "source": "资金来源",
    "initial_budget": "年初预算数", "target": "目标申报数", "budgeted": "预算编制数",
    "full_year": "全年预算数", "executed": "全年执行数", "balance": "资金结(转)余",
    "rate": "执行率", "score": "得分", "reason": "偏差原因",
    "goals": "项目年度绩效目标", "goal_target": "年度目标", "goal_actual": "实际完成情况",
    "indicators": "绩效指标", "level1": "一级指标", "level2": "二级指标", "level3": "三级指标",
    "initial": "年初指标值", "adjusted": "调整后指标值", "actual": "实际完成值",
    "note": "定性指标情况说明", "weight": "分值", "analysis": "偏差原因分析及改进措施",
    "total_score": "总分", "grade": "等级", "performance_analysis": "项目绩效分析", "remarks": "备注",
}


def form_labels(form: dict) -> dict[str, str]:
    """Standard 自评表 labels, with the ones this form prints differently."""
    return {**FORM_LABELS, **(form.get("labels") or {})}


def _spans(form: dict, levels: list[str]) -> list[Record]:
    """Indicator rows with ``<level>_span`` set: the rowspan of each run of the same label
    (a run of a deeper level also ends where the levels above it change), 0 inside a run."""
    items = [Record(item) for item in form.get("indicators") or []]
    for depth, level in enumerate(levels):
        def key(item: Record, upto: int = depth) -> tuple:
            return tuple(item.get(name, "") for name in levels[:upto + 1])
        start = 0
        for index in range(1, len(items) + 1):
            if index == len(items) or key(items[index]) != key(items[start]):
                items[start][f"{level}_span"] = index - start
                for later in items[start + 1:index]:
                    later[f"{level}_span"] = 0
                start = index
    return items


def target_rows(form: dict) -> list[Record]:
    """申报表 indicator rows: the 一级指标 spans its run of rows."""
    return _spans(form, ["level1"])


def indicator_rows(form: dict) -> list[Record]:
    """自评表 indicator rows: 一级 and 二级指标 span their runs of rows, as printed."""
    return _spans(form, ["level1", "level2"])
