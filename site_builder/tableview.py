"""Turn a model table into what its HTML needs: header rows with spans, the 栏次 row, body cells.

All print-layout decisions (merged 合计 cells, the four-block 公开06 layout, section rows)
are made here, so templates only loop over rows and cells.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from markupsafe import Markup

from .model import Record, Row, Table, same_label
from .numbers import Cell, cell_text
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
    label: str = ""           # a stacked table's column name, shown before the value on a phone (data-label)
    # the model cells it shows, as (row index, column key): the build checks that every filled
    # cell of the table is shown by some drawn cell (coverage.py)
    sources: tuple[tuple[int, str], ...] = ()


@dataclass
class RowView:
    cells: list[CellView]
    classes: str = ""
    level: int = 0
    # a stacked table's row (see _stack): the labels its merged cells print, for a phone; None
    # in a table that is not stacked
    levels: str | None = None

    @property
    def html(self) -> Markup:
        """The row's ``<tr>``, escaped as the template would: a table has hundreds of cells, and
        writing them here rather than in a Jinja loop halves the time a page takes to render."""
        scope = "rowgroup" if "section" in self.classes else "col" if "repeats-header" in self.classes else "row"
        row_class = f' class="{_escape(self.classes)}"' if self.classes else ""
        if self.levels is None:
            return Markup(f"<tr{row_class}>" + "".join(_cell_html(c, scope) for c in self.cells) + "</tr>")
        return Markup(f'<tr role="row"{row_class} data-levels="{_escape(self.levels)}">'
                      + "".join(_cell_html(c, scope, stacked=True) for c in self.cells) + "</tr>")


def _escape(text: str) -> str:
    """What Jinja's autoescape (markupsafe) makes of ``text``, without building a Markup object
    per cell (str.replace returns the string itself when there is nothing to replace)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") \
        .replace('"', "&#34;").replace("'", "&#39;")


def _cell_html(cell: CellView, scope: str, stacked: bool = False) -> str:
    """One cell; in a stacked table with its explicit role (a browser that shows a table's cells
    as blocks may drop their implicit one) and its column's name."""
    spans = (f' colspan="{cell.colspan}"' if cell.colspan > 1 else "") + \
        (f' rowspan="{cell.rowspan}"' if cell.rowspan > 1 else "")
    classes = f' class="{_escape(cell.classes)}"' if cell.classes else ""
    if stacked:
        role = ' role="columnheader"' if cell.header and scope == "col" else ' role="rowheader"' if cell.header else ' role="cell"'
        spans = role + spans + (f' data-label="{_escape(cell.label)}"' if cell.label else "")
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
    # model cells shown by where their row is drawn rather than in a cell of it: a block table's
    # 分组 (the heading above the row) and ``block_column`` (the print column it is in)
    placed: dict[tuple[int, str], str] = field(default_factory=dict)

    @property
    def spec(self):
        return self.table.spec

    @property
    def width(self) -> int:
        return sum(c.colspan for c in self.header_rows[0])


VALUE_TYPES = ("amount", "rate", "growth")   # drawn right-aligned, as numbers (class "num")


def _amount(cell: object, key: str, source: tuple[int, str] | None = None) -> CellView:
    text = cell.text if isinstance(cell, Cell) else ""
    classes = "num" + (" na" if isinstance(cell, Cell) and cell.is_not_applicable else "")
    return CellView(text, classes=classes, key=key, sources=(source,) if source and text else ())


def _value(row: Row, index: int, col: Column) -> CellView:
    """The cell of a column that is neither code nor name: an amount or a rate right-aligned,
    a 行次 centred, a text as typed."""
    if col.type in VALUE_TYPES:
        return _amount(row[col.key], col.key, (index, col.key))
    text = str(row.cells.get(col.key) or "")
    sources = ((index, col.key),) if text else ()
    if col.type == "line":
        return CellView(text, classes="line", sources=sources)
    return CellView(text, header=bool(text) and col.type == "label",
                    classes="label" if col.type == "label" else "text", sources=sources)


def _subject_row(row: Row, index: int, columns: list[Column]) -> RowView:
    """A 科目 row: every column in the profile's order. A row without a code (合计, 本年支出合计)
    prints its name across the code and name columns; a printed placeholder code (无) is shown."""
    if row.repeats_header:
        return _header_again(row, index, columns)
    cells: list[CellView] = []
    printed_code = str(row.cells.get("code") or "")
    skip_name = False
    for position, col in enumerate(columns):
        if col.key == "code":
            after = columns[position + 1].key if position + 1 < len(columns) else None
            if not printed_code and after == "name":
                cells.append(CellView(row.name, header=True, colspan=2, classes="total-label",
                                      sources=_sources(row, index, "name")))
                skip_name = True
            else:
                cells.append(CellView(printed_code, classes="code", sources=_sources(row, index, "code")))
        elif col.key == "name":
            if skip_name:
                continue
            cells.append(CellView(row.name, header=True, classes=f"name lvl-{row.level}",
                                  level_name=row.level_name, sources=_sources(row, index, "name")))
        else:
            cells.append(_value(row, index, col))
    classes = "total" if row.is_total else f"lvl-{row.level}"
    return RowView(cells, classes, row.level)


def _sources(row: Row, index: int, *keys: str) -> tuple[tuple[int, str], ...]:
    """The model cells (row index, column key) a drawn cell shows: those of ``keys`` not blank."""
    return tuple((index, key) for key in keys if str(row.cells.get(key) or ""))


def _header_again(row: Row, index: int, columns: list[Column]) -> RowView:
    """A printed header row repeated inside the table (项目 / 统计数 after a page break, 类 款 项
    under 科目代码): header cells, as printed."""
    return RowView([CellView(text, header=True, classes="repeated-header", sources=((index, c.key),) if text else ())
                    for c in columns for text in [cell_text(row.cells.get(c.key))]], "repeats-header")


def _is_total_label(text: str) -> bool:
    compact = "".join(text.split())
    return compact.endswith("合计") or compact in ("总计", "小计")


def _grid_row(row: Row, index: int, columns: list[Column], width: int) -> RowView:
    if row.repeats_header:   # a printed header row repeated inside the table: header cells, as printed
        return _header_again(row, index, columns)
    if row.is_section and row.cells.get(columns[0].key):   # a label in the first column alone: a heading
        key, label = next((k, v) for k, v in row.cells.items() if isinstance(v, str) and v)
        return RowView([CellView(label, header=True, colspan=width, classes="section",
                                 sources=((index, key),))], "section")
    cells: list[CellView] = []
    emphasis = False
    if row.computed:  # a summed 合计 row: its label spans the text columns before the first amount
        stub = next(i for i, c in enumerate(columns) if c.type in VALUE_TYPES)
        label_keys = [c.key for c in columns[:stub]]
        cells.append(CellView(row.name, header=True, colspan=stub, classes="total-label",
                              sources=_sources(row, index, *label_keys)))
        columns = columns[stub:]
    for col in columns:
        cell = _value(row, index, col)
        if col.type not in VALUE_TYPES and col.type != "line":
            emphasis = emphasis or _is_total_label(cell.text)
        cells.append(cell)
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
    owners: dict[int, CellView] = {}        # position → the cell printing the current run's label
    for index, row in enumerate(rows):
        if mergeable[index]:
            kept = []
            for position, cell in enumerate(row.cells):
                cell.rowspan = spans.get((index, position), 1)
                if cell.rowspan:
                    kept.append(cell)
                    owners[position] = cell
                else:       # the label is printed once, above: that cell shows this row's too
                    owners[position].sources += cell.sources
            row.cells = kept


def block_values(spec) -> list[Column]:
    """The columns each block prints after 科目代码 and 科目名称: every column that is not the
    code, the name, the group (the blocks' headings) or where a block's print column breaks."""
    return [c for c in spec.columns if c.key not in BLOCK_KEYS]


BLOCK_KEYS = ("code", "name", "group", "block_column")


def _block_entries(table: Table) -> dict[str, list[list[tuple[int, Row]]]]:
    """Each block's 科目 rows, cut into its printed columns: where ``block_column`` says (the
    print decides), else filled evenly, column by column."""
    spec = table.spec
    placed: dict[str, list[list[tuple[int, Row]]]] = {}
    for block in spec.blocks:
        items = [(i, r) for i, r in enumerate(table.rows) if r.group == block.group and _is_entry(r)]
        if any(r.cells.get("block_column") for _, r in items):
            columns: list[list[tuple[int, Row]]] = [[] for _ in range(block.count)]
            for i, r in items:
                columns[int(r.cells["block_column"]) - 1].append((i, r))
        else:
            height = math.ceil(len(items) / block.count) if items else 0
            columns = [items[n * height:(n + 1) * height] for n in range(block.count)]
        placed[block.group] = columns
    return placed


def _is_entry(row: Row) -> bool:
    """A row a block lists: a 科目, or a row printing a placeholder (无) for its code."""
    return row.prints_code and not row.repeats_header


def _blocks(table: Table) -> TableView:
    spec = table.spec
    values = block_values(spec)
    per = 2 + len(values)                       # code, name and the values: one print column of a block
    header = [
        [HeaderCell(b.group, colspan=per * b.count, is_group=True) for b in spec.blocks],
        [HeaderCell(col.label)
         for block in spec.blocks for _ in range(block.count)
         for col in (spec.column("code"), spec.column("name"), *values)],
    ]
    view = TableView(table, header, None)
    placed = _block_entries(table)
    height = max((len(c) for columns in placed.values() for c in columns), default=0)
    for line in range(height):
        cells: list[CellView] = []
        for block in spec.blocks:
            for column in placed[block.group]:
                if line < len(column):
                    index, row = column[line]
                    cells.append(CellView(str(row.cells.get("code") or ""), classes="code", sources=((index, "code"),)))
                    cells.append(CellView(row.name, header=True, classes=f"name lvl-{row.level}",
                                          level_name=row.level_name, sources=_sources(row, index, "name")))
                    view.placed.update({(index, key): str(row.cells[key]) for key in ("group", "block_column")
                                        if row.cells.get(key)})
                    for col in values:
                        cell = _value(row, index, col)
                        if col.type in VALUE_TYPES:
                            cell.code = row.code
                        cells.append(cell)
                else:
                    cells.extend([CellView(classes="code"), CellView(),
                                  *(CellView(classes="num" if c.type in VALUE_TYPES else "") for c in values)])
        view.rows.append(RowView(cells))
    totals: list[CellView] = []
    for block in spec.blocks:
        found = _block_total(table, block)
        totals.append(CellView(found[1].name if found else block.total_label, header=True, colspan=per * block.count - len(values),
                               classes="total-label", sources=_sources(found[1], found[0], "name") if found else ()))
        if found and found[1].cells.get("group"):          # printed under its block's heading
            view.placed[(found[0], "group")] = str(found[1].cells["group"])
        totals.extend(_value(found[1], found[0], col) if found else _amount(None, col.key) for col in values)
    view.rows.append(RowView(totals, "total"))
    width = sum(per * b.count for b in spec.blocks)
    for index, row in enumerate(table.rows):    # lines printed after the blocks' totals (合 计)
        if row.repeats_header:
            view.rows.append(_header_again(row, index, [spec.column("code"), spec.column("name"), *values]))
        elif table.after_blocks(row):
            cells = [CellView(row.name, header=True, colspan=width - len(values), classes="total-label",
                              sources=_sources(row, index, "name"))]
            cells.extend(_value(row, index, col) for col in values)
            view.rows.append(RowView(cells, "total"))
    return view


def _block_total(table: Table, block) -> tuple[int, Row] | None:
    return next(((i, r) for i, r in enumerate(table.rows)
                 if not r.code and same_label(r.name, block.total_label)), None)


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
        view.rows.extend(_subject_row(row, index, spec.columns) for index, row in enumerate(table.rows))
    else:
        width = view.width                   # a sum over the header: once per table, not per row
        view.rows.extend(_grid_row(row, index, spec.columns, width) for index, row in enumerate(table.rows))
    if spec.merge:
        _stack(view, spec.columns)
        _merge_runs(view, spec.columns)
    return view


def _stack(view: TableView, columns: list[Column]) -> None:
    """A table whose 一级/二级 labels merge is a scorecard: on a phone it reads as one block per row
    (site.css “phones”, ``table.stack``). Each row keeps the labels of its merged columns, which
    it no longer prints once they span rows, and each value cell its column's name; the merged
    cells are marked, to be hidden from sight there. Called before the runs are merged, while
    every row still has a cell per column."""
    for row in view.rows:
        texts = []
        position = 0
        for cell in row.cells:
            col = columns[position] if position < len(columns) else None
            if col is not None and cell.colspan == 1:
                if col.key in view.spec.merge:
                    cell.classes = f"{cell.classes} merged".strip()
                    texts.append(cell.text)
                elif not cell.header:
                    cell.label = col.label
            position += cell.colspan
        row.levels = " › ".join(t for t in texts if t) if "section" not in row.classes else ""


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
