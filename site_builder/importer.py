"""Import an Excel workbook (the finance system's export, or the portal's own XLSX download)
into a document's tables: the ``import`` stage, the reverse of ``workbook.py``.

A workbook holds one sheet per table in the published layout: the table number and title
(often in merged cells), a line with 部门名称, 年度 and 金额单位, one or more header rows with
merged group cells, an optional 栏次 row, then the rows. Each sheet is matched to a table of
the profile by its number (公开01表, 预算公开表1) or title, whatever the sheet is called; its
header cells are matched to the profile's columns (spaces and line breaks inside a header,
full-width forms and merged cells tolerated); its rows become the table's CSV.

Amounts are read as the reader sees them: a number cell is shown with the decimals of its
number format (Excel keeps 15 significant digits, so 2262.4299999999998 is 2262.43), numeric
text is taken as typed (full-width digits and thousands separators folded), blank stays
blank, “——” stays “——”; a sheet in 元 for a table in 万元 (or the reverse) is converted.
Nothing is written by this module: :func:`read_document_workbook` returns the tables as CSV
text, or raises :class:`WorkbookError` naming the sheet and cell.

.xlsx is read with openpyxl and .xls with xlrd: both give values, merged cells and number
formats (python-calamine, faster, gives no formats, and an amount's decimals live there). A
number whose format says nothing (General) is shown with two decimals in a money column, or
more when it has more.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from . import scaffold
from .errors import Location, SiteBuilderError
from .model import label_key
from .numbers import normalize_text, parse_cell, plain_number
from .profiles import Column, Profile, TableSpec
from .tables import table_csv

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls")
UNIT_FACTORS = {("元", "万元"): Decimal("0.0001"), ("万元", "元"): Decimal(10000)}
_META_ROWS = 8   # the number, title and 部门/年度/单位 lines sit in the first rows of a sheet
_UNIT = re.compile(r"单位\s*[:：]\s*(万元|元)")
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d\d)\s*年")
_ENTITY = re.compile(r"(?:部门名称|单位名称|公开部门|编制单位|填报单位|预算单位|部门)\s*[:：]\s*(\S+)")
_DIGITS = re.compile(r"\d+")
_NOTE = re.compile(r"^(注|说明|备注)\s*\d*\s*[:：]")
_SEQ_TOKENS = set("甲乙丙丁戊己庚辛") | {"栏次"}


class WorkbookError(SiteBuilderError):
    """A workbook that cannot be imported; the message names the sheet and cell (公开03表!D12)."""

    def __init__(self, location: Location | Path | str | None, message: str, hint: str | None = None,
                 cell: str | None = None):
        self.cell = cell
        super().__init__(location, f"{cell}：{message}" if cell else message, hint)
        self.problem = message

    def __reduce__(self):
        return self.__class__, (self.location, self.problem, self.hint, self.cell)


@dataclass
class Sheet:
    """One worksheet as read: raw values, number formats (None for .xls) and merged ranges
    (0-based, inclusive: first row, first column, last row, last column)."""

    name: str
    values: list[list[object]]
    formats: list[list[str | None]] | None = None
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)

    def value(self, row: int, column: int) -> object:
        if row < len(self.values) and column < len(self.values[row]):
            return self.values[row][column]
        return None

    def format(self, row: int, column: int) -> str | None:
        if self.formats is None or row >= len(self.formats) or column >= len(self.formats[row]):
            return None
        return self.formats[row][column]

    def text(self, row: int, column: int) -> str:
        return cell_text(self.value(row, column))

    @property
    def width(self) -> int:
        return max((len(r) for r in self.values), default=0)

    def ref(self, row: int, column: int) -> str:
        """``公开03表!D12``: the cell as Excel names it."""
        return f"{self.name}!{column_letter(column)}{row + 1}"


@dataclass
class ImportedTable:
    spec: TableSpec
    sheet: str
    csv: str           # the table's CSV, in the project's format
    rows: int
    unit: str | None   # the unit the sheet declared


@dataclass
class ImportedDocument:
    """What a workbook holds for one document; nothing written yet."""

    path: Path
    tables: list[ImportedTable]
    missing: list[TableSpec]
    notices: list[str]
    department: str | None   # 部门名称 as the sheets print it (the shortest, when they differ)
    years: set[int]          # the years the sheets print


def column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def cell_text(value: object) -> str:
    """A cell as text: numbers as Excel shows them in General format (15 significant digits)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return plain_number(_shown(value))
    if hasattr(value, "isoformat"):
        return value.isoformat()[:10]
    return str(value)


def _shown(value: int | float) -> Decimal:
    """What Excel stores and shows of a number: 15 significant digits (2262.4299999999998 → 2262.43)."""
    if isinstance(value, int):
        return Decimal(value)
    return Decimal(format(value, ".15g"))


# -- reading ------------------------------------------------------------------------------

def read_workbook(path: Path) -> list[Sheet]:
    """Every sheet of ``path`` (.xlsx, .xlsm or .xls); WorkbookError when it is no workbook."""
    suffix = path.suffix.lower()
    if suffix not in WORKBOOK_SUFFIXES:
        raise WorkbookError(path, f"不是 Excel 工作簿（扩展名为“{path.suffix}”）", "可导入 .xlsx 和 .xls 文件")
    if not path.is_file():
        raise WorkbookError(path, "找不到这个文件")
    try:
        return _read_xls(path) if suffix == ".xls" else _read_xlsx(path)
    except WorkbookError:
        raise
    except Exception as exc:  # noqa: BLE001 - any reader failure means the same to the user
        raise WorkbookError(path, f"无法读取这个工作簿：{exc.__class__.__name__}：{exc}",
                            "文件可能已损坏或不是 Excel 文件；在 Excel 中打开后“另存为 Excel 工作簿（.xlsx）”再导入") from None


def _read_xlsx(path: Path) -> list[Sheet]:
    import openpyxl

    if not zipfile.is_zipfile(path):
        raise WorkbookError(path, "无法读取这个工作簿：文件不是 .xlsx 格式（已损坏，或是改了扩展名的其他文件）",
                            "在 Excel 中打开后“另存为 Excel 工作簿（.xlsx）”再导入")
    book = openpyxl.load_workbook(path, data_only=True)   # formulas: the values Excel last computed
    sheets = []
    for ws in book.worksheets:
        values: list[list[object]] = []
        formats: list[list[str | None]] = []
        for row in ws.iter_rows():
            values.append([c.value for c in row])
            formats.append([c.number_format for c in row])
        merged = [(r.min_row - 1, r.min_col - 1, r.max_row - 1, r.max_col - 1) for r in ws.merged_cells.ranges]
        sheets.append(Sheet(ws.title, values, formats, merged))
    book.close()
    return sheets


def _read_xls(path: Path) -> list[Sheet]:
    """An Excel 97–2003 file, with xlrd: values, merged cells and number formats (python-calamine
    reads .xls values fast but not their formats, and an amount's decimals live in its format)."""
    import xlrd

    book = xlrd.open_workbook(str(path), formatting_info=True)
    sheets = []
    for ws in book.sheets():
        values: list[list[object]] = []
        formats: list[list[str | None]] = []
        for r in range(ws.nrows):
            row_values, row_formats = [], []
            for c in range(ws.ncols):
                cell = ws.cell(r, c)
                if cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
                    value = None
                elif cell.ctype == xlrd.XL_CELL_NUMBER:
                    value = cell.value
                elif cell.ctype == xlrd.XL_CELL_BOOLEAN:
                    value = bool(cell.value)
                elif cell.ctype == xlrd.XL_CELL_ERROR:
                    value = xlrd.error_text_from_code.get(cell.value, "#ERROR")
                else:
                    value = cell.value
                row_values.append(value)
                xf = book.xf_list[cell.xf_index]
                row_formats.append(book.format_map[xf.format_key].format_str if xf.format_key in book.format_map else None)
            values.append(row_values)
            formats.append(row_formats)
        merged = [(r1, c1, r2 - 1, c2 - 1) for r1, r2, c1, c2 in ws.merged_cells]
        sheets.append(Sheet(ws.name, values, formats, merged))
    return sheets


# -- matching sheets to tables --------------------------------------------------------------

def _key(text: str) -> str:
    """A label for comparison: spaces and line breaks dropped, full-width forms folded."""
    return label_key(text) if text else ""


def _number_key(number: str) -> str:
    """公开01表 and 公开1表 are the same table number."""
    return _DIGITS.sub(lambda m: str(int(m.group())), _key(number))


def _top_texts(sheet: Sheet) -> list[tuple[int, int, str]]:
    return [(r, c, sheet.text(r, c)) for r in range(min(_META_ROWS, len(sheet.values)))
            for c in range(len(sheet.values[r])) if sheet.text(r, c).strip()]


def _match_score(texts: list[str], spec: TableSpec) -> tuple[int, int]:
    """(how surely, title length) a sheet whose name and top cells are ``texts`` (as _key gives
    them) holds ``spec``: 2 for its number or its exact title, 1 for a cell that contains its
    title; 0 for no sign of it."""
    number = _number_key(spec.number) if spec.number else ""
    title = _key(spec.title)
    score = 0
    for text in texts:
        if number and re.search(rf"(?<!\d){re.escape(number)}(?!\d)", _number_key(text)):
            score = max(score, 2)
        if title and text == title:
            score = max(score, 2)
        elif title and title in text:
            score = max(score, 1)
    return score, len(title)


def match_sheets(sheets: list[Sheet], specs: list[TableSpec]) -> tuple[dict[str, Sheet], list[Sheet]]:
    """Each table's sheet (by number or title), and the sheets that hold no table of the profile."""
    found: dict[str, Sheet] = {}
    unmatched: list[Sheet] = []
    for sheet in sheets:
        texts = [_key(sheet.name)] + [_key(t) for _, _, t in _top_texts(sheet)]   # once per sheet
        scored = sorted(((_match_score(texts, spec), index, spec) for index, spec in enumerate(specs)),
                        key=lambda item: (item[0], -item[1]), reverse=True)
        (score, _), _, best = scored[0] if scored else ((0, 0), 0, None)
        if not score or best is None:
            unmatched.append(sheet)
            continue
        if best.id in found:
            raise WorkbookError(None, f"工作表“{found[best.id].name}”和“{sheet.name}”都是{best.number}（{best.title}）",
                                "一张表只保留一个工作表", cell=sheet.name)
        found[best.id] = sheet
    return found, unmatched


def sheet_header_line(sheet: Sheet) -> tuple[str | None, int | None, str | None]:
    """部门名称, 年度 and 金额单位 from the lines above the table (None where not printed)."""
    entity = year = unit = None
    for _, _, text in _top_texts(sheet):
        text = normalize_text(text)
        if unit is None and (m := _UNIT.search(text)):
            unit = m.group(1)
        if entity is None and (m := _ENTITY.search(text)):
            entity = m.group(1)
        if year is None and (m := _YEAR.search(text)):
            year = int(m.group(1))
    return entity, year, unit


# -- one sheet → rows ----------------------------------------------------------------------

def _merged_fill(sheet: Sheet, rows: range) -> dict[tuple[int, int], object]:
    """The value every covered cell of a merged range shows (its top-left cell's), within ``rows``."""
    filled: dict[tuple[int, int], object] = {}
    for r1, c1, r2, c2 in sheet.merged:
        if r2 < rows.start or r1 >= rows.stop:
            continue
        value = sheet.value(r1, c1)
        for r in range(max(r1, rows.start), min(r2, rows.stop - 1) + 1):
            for c in range(c1, c2 + 1):
                filled[(r, c)] = value
    return filled


def _labels(spec: TableSpec) -> set[str]:
    labels = {_key(c.label) for c in spec.columns}

    def groups(nodes: list) -> None:
        for node in nodes:
            if "children" in node:
                labels.add(_key(node["group"]))
                groups(node["children"])

    groups(spec.tree)
    labels.update(_key(b.group) for b in spec.blocks)   # 公开06表: 人员经费 | 公用经费 over the blocks
    return labels


def _find_header(sheet: Sheet, spec: TableSpec) -> int:
    labels = _labels(spec)
    wanted = min(2, len(spec.columns))
    for row in range(min(len(sheet.values), _META_ROWS + 6)):
        hits = sum(1 for c in range(len(sheet.values[row])) if _key(sheet.text(row, c)) in labels)
        if hits >= wanted:
            return row
    raise WorkbookError(None, f"找不到{spec.number}的表头",
                        "表头应有本表的列名：" + "、".join(c.label for c in spec.columns), cell=sheet.name)


@dataclass
class _HeaderColumn:
    index: int
    path: tuple[str, ...]    # the labels above the column, top to bottom (as printed)
    row: int = 0             # the row of its own label (the lowest)

    @property
    def leaf(self) -> str:
        return self.path[-1] if self.path else ""


def _header_columns(sheet: Sheet, first: int, depth: int, spec: TableSpec) -> list[_HeaderColumn]:
    rows = range(first, first + depth)
    filled = _merged_fill(sheet, rows)
    groups = {_key(n["group"]) for n in _walk(spec.tree) if "children" in n}
    grid = [[cell_text(filled.get((r, c), sheet.value(r, c))) for c in range(sheet.width)] for r in rows]
    # a group label written once over its columns without merging them: carry it right over the
    # blank cells whose column has a label below
    for r in range(depth - 1):
        for c in range(1, sheet.width):
            below = any(grid[x][c].strip() for x in range(r + 1, depth))
            if not grid[r][c].strip() and below and _key(grid[r][c - 1]) in groups and (first + r, c) not in filled:
                grid[r][c] = grid[r][c - 1]
    columns = []
    for c in range(sheet.width):
        path: list[str] = []
        row = first
        for r in range(depth):
            text = grid[r][c].strip()
            if text and (not path or _key(path[-1]) != _key(text)):
                path.append(text)
                row = first + r
        columns.append(_HeaderColumn(c, tuple(path), row))
    return columns


def _walk(nodes: list):
    for node in nodes:
        yield node
        if "children" in node:
            yield from _walk(node["children"])


def _match_columns(sheet: Sheet, header: list[_HeaderColumn], spec: TableSpec,
                   header_row: int) -> dict[int, Column]:
    """Sheet column → profile column, by leaf label and, where a label repeats, its groups."""
    remaining = list(spec.columns)
    mapping: dict[int, Column] = {}
    for col in header:
        if not col.path or _key(col.leaf) in _SEQ_TOKENS:
            continue
        candidates = [c for c in remaining if _key(c.label) == _key(col.leaf)]
        if len(candidates) > 1:
            groups = tuple(_key(p) for p in col.path[:-1])
            exact = [c for c in candidates if tuple(_key(p) for p in c.path) == groups[-len(c.path):] and
                     (len(c.path) <= len(groups))]
            candidates = exact or candidates
        if not candidates:
            expected = "、".join(c.qualified_label for c in spec.columns)
            raise WorkbookError(None, f"表头“{'/'.join(col.path)}”不是{spec.number}的列",
                                f"本表的列：{expected}", cell=sheet.ref(col.row, col.index))
        mapping[col.index] = candidates[0]
        remaining.remove(candidates[0])
    missing = [c for c in remaining if not c.computed]
    if missing:
        raise WorkbookError(None, f"{spec.number}缺少列：" + "、".join(c.qualified_label for c in missing),
                            "表头应与公开表格一致", cell=sheet.ref(header_row, 0))
    return mapping


def _is_seq_row(sheet: Sheet, row: int) -> bool:
    """The 栏次 row under the header: 栏次 (or 甲, 乙 …) over the label columns and the amount
    columns numbered 1, 2, 3 …, or every column numbered."""
    texts = [_key(sheet.text(row, c)) for c in range(len(sheet.values[row]))] if row < len(sheet.values) else []
    texts = [t for t in texts if t]
    numbers = [int(t) for t in texts if t.isdigit()]
    others = [t for t in texts if not t.isdigit()]
    counting = len(numbers) >= 2 and numbers == list(range(numbers[0], numbers[0] + len(numbers)))
    return bool(texts) and all(t in _SEQ_TOKENS for t in others) and (bool(others) or counting)


def _format_decimals(fmt: str | None) -> tuple[int, bool] | None:
    """(decimals, thousands separators) of a number format; None for General or none."""
    if not fmt or fmt == "General":
        return None
    section = re.sub(r'"[^"]*"|\[[^\]]*\]|\\.|_.|\*.', "", fmt.split(";")[0])
    if not re.search(r"[0#]", section):
        return None
    integer, _, fraction = section.partition(".")
    decimals = len(re.match(r"[0#?]*", fraction).group()) if fraction else 0
    return decimals, "," in integer


@dataclass
class _Amounts:
    """Turns amount cells into the text the CSV holds, in the table's unit."""

    sheet: Sheet
    spec: TableSpec
    unit: str | None
    notices: list[str]

    def text(self, row: int, column: int, col: Column) -> str:
        value = self.sheet.value(row, column)
        where = self.sheet.ref(row, column)
        money = col.unit is None
        factor = UNIT_FACTORS.get((self.unit, self.spec.unit)) if money and self.unit else None
        if value is None or (isinstance(value, str) and not value.strip()):
            return ""
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise WorkbookError(None, f"“{col.qualified_label}”列的“{cell_text(value)}”不是金额",
                                "金额栏应为数字、空白或 ——", cell=where)
        if isinstance(value, str):
            try:
                cell = parse_cell(value)
            except ValueError as exc:
                raise WorkbookError(None, f"“{col.qualified_label}”列：{exc}", cell=where) from None
            if cell.value is None or factor is None:
                return cell.text
            return self._convert(cell.value, factor, "," in cell.text, where)
        shown = _shown(value)
        style = _format_decimals(self.sheet.format(row, column))
        if factor is not None:
            return self._convert(shown, factor, bool(style and style[1]), where)
        needed = max(-shown.normalize().as_tuple().exponent, 0)   # decimals the value has
        if style is None:
            places, commas = max(2 if money else 0, needed), False
        else:
            places, commas = style
            if needed > places:    # the format hides digits the cell holds: keep them
                self.notices.append(f"{where} 显示为 {_format(shown, places, commas)}，实际为 {plain_number(shown)}，"
                                    f"已按实际值导入")
                places = needed
        return _format(shown, places, commas)

    def _convert(self, value: Decimal, factor: Decimal, commas: bool, where: str) -> str:
        converted = value * factor
        rounded = converted.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        if rounded != converted:
            self.notices.append(f"{where} {plain_number(value)}{self.unit} 换算为 {plain_number(converted)}{self.spec.unit}，"
                                f"已四舍五入为 {rounded}")
        return _format(rounded, 2, commas)


def _format(value: Decimal, places: int, commas: bool) -> str:
    value = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP) if places else \
        value.quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return f"{value:,.{places}f}" if commas else f"{value:.{places}f}"


def _label_text(value: object) -> str:
    return normalize_text(cell_text(value)) if isinstance(value, (int, float)) else cell_text(value).strip()


def _data_rows(sheet: Sheet, start: int) -> list[int]:
    """The rows of the table: every row after the header that has something in it, up to a note
    under the table (注：…)."""
    rows = []
    for row in range(start, len(sheet.values)):
        texts = [sheet.text(row, c).strip() for c in range(len(sheet.values[row]))]
        filled = [t for t in texts if t]
        if not filled:
            continue
        if len(filled) == 1 and _NOTE.match(normalize_text(filled[0])):
            break
        rows.append(row)
    return rows


def _grid_rows(sheet: Sheet, spec: TableSpec, mapping: dict[int, Column], start: int,
               amounts: _Amounts) -> list[dict[str, str]]:
    merge_columns = {i for i, c in mapping.items() if c.key in spec.merge}
    rows = _data_rows(sheet, start)
    filled = _merged_fill(sheet, range(start, len(sheet.values))) if merge_columns else {}
    result: list[dict[str, str]] = []
    for position, row in enumerate(rows):
        cells: dict[str, str] = {}
        for index, col in mapping.items():
            if col.computed:
                continue
            if col.type == "amount":
                cells[col.key] = amounts.text(row, index, col)
            else:
                value = filled.get((row, index), sheet.value(row, index)) if index in merge_columns else \
                    sheet.value(row, index)
                cells[col.key] = _label_text(value)
        if spec.layout == "subject":
            code, name = cells.get("code", ""), cells.get("name", "")
            if code and not _key(code).isdigit() and not name:   # 合计 across the code and name columns
                cells["code"], cells["name"] = "", code
        if spec.total and position == len(rows) - 1 and _is_total(cells, spec):
            continue   # the 合计 row the build adds by summing
        result.append(cells)
    return result


def _is_total(cells: dict[str, str], spec: TableSpec) -> bool:
    filled = [v for k, v in cells.items() if v and spec.column(k).type not in ("amount",)]
    return bool(filled) and _key(filled[0]) == _key(spec.total.label)


def _block_rows(sheet: Sheet, spec: TableSpec, header: list[_HeaderColumn], start: int,
                amounts: _Amounts) -> list[dict[str, str]]:
    """公开06表: (科目代码, 科目名称, 决算数) printed side by side in blocks, filled column by column."""
    amount = spec.column("amount")
    spans: dict[str, list[int]] = {b.group: [] for b in spec.blocks}
    for col in header:
        if len(col.path) >= 2 and _key(col.path[0]) in {_key(g) for g in spans}:
            group = next(g for g in spans if _key(g) == _key(col.path[0]))
            spans[group].append(col.index)
    rows = _data_rows(sheet, start)
    totals = {}
    for row in rows:
        for c in range(len(sheet.values[row])):
            for block in spec.blocks:
                if _key(sheet.text(row, c)) == _key(block.total_label):
                    totals[block.group] = row
    result: list[dict[str, str]] = []
    for block in spec.blocks:
        columns = spans[block.group]
        if len(columns) != 3 * block.count:
            raise WorkbookError(None, f"“{block.group}”下应有 {block.count} 组（科目代码、科目名称、{amount.label}）列，"
                                      f"实际为 {len(columns)} 列", cell=sheet.ref(start - 1, columns[0] if columns else 0))
        end = totals.get(block.group)
        for k in range(block.count):
            c_code, c_name, c_amount = columns[3 * k:3 * k + 3]
            for row in rows:
                if end is not None and row >= end:
                    break
                item = {"code": _label_text(sheet.value(row, c_code)), "name": _label_text(sheet.value(row, c_name))}
                if not item["code"] and not item["name"]:
                    continue
                item["amount"] = amounts.text(row, c_amount, amount)
                item["group"] = block.group
                result.append(item)
        if end is not None:
            result.append({"code": "", "name": block.total_label,
                           "amount": amounts.text(end, columns[-1], amount), "group": block.group})
    return result


def read_sheet(sheet: Sheet, spec: TableSpec, unit: str | None, notices: list[str]) -> list[dict[str, str]]:
    """The rows of ``spec`` that ``sheet`` holds (column key → CSV text); ``unit``: the one its
    header line declares (sheet_header_line)."""
    first = _find_header(sheet, spec)
    depth = len(spec.header_rows) if spec.layout != "blocks" else 2
    header = _header_columns(sheet, first, depth, spec)
    start = first + depth
    if start < len(sheet.values) and _is_seq_row(sheet, start):
        start += 1
    amounts = _Amounts(sheet, spec, unit, notices)
    if unit and unit != spec.unit and (unit, spec.unit) in UNIT_FACTORS:
        notices.append(f"{sheet.name}：金额单位为{unit}，已换算为本表的{spec.unit}")
    if spec.layout == "blocks":
        return _block_rows(sheet, spec, header, start, amounts)
    mapping = _match_columns(sheet, header, spec, first)
    return _grid_rows(sheet, spec, mapping, start, amounts)


def read_document_workbook(path: Path, profile: Profile, year: int) -> ImportedDocument:
    """The tables of ``profile`` that the workbook at ``path`` holds, as CSV; raises WorkbookError
    (naming the sheet and cell) on anything that cannot be read."""
    sheets = read_workbook(path)
    specs = [spec.for_year(year) for spec in profile.tables]
    try:
        found, unmatched = match_sheets(sheets, specs)
    except WorkbookError as exc:
        raise WorkbookError(path, exc.problem, exc.hint) from None
    notices: list[str] = [f"工作表“{s.name}”不是{profile.title}中的表，已忽略" for s in unmatched
                          if any(v is not None for row in s.values for v in row)]
    tables: list[ImportedTable] = []
    entities: set[str] = set()
    years: set[int] = set()
    for spec in specs:
        sheet = found.get(spec.id)
        if sheet is None:
            continue
        entity, sheet_year, unit = sheet_header_line(sheet)
        if entity:
            entities.add(entity)
        if sheet_year:
            years.add(sheet_year)
        try:
            rows = read_sheet(sheet, spec, unit, notices)
        except WorkbookError as exc:
            raise WorkbookError(path, exc.problem, exc.hint, cell=exc.cell) from None
        tables.append(ImportedTable(spec, sheet.name, table_csv(spec, rows), len(rows), unit))
    missing = [spec for spec in specs if spec.id not in found]
    if not tables:
        raise WorkbookError(path, f"工作簿中没有找到{profile.title}的任何一张表",
                            "工作表的名称、表号（如" + specs[0].number + "）或标题应与公开表格一致；"
                            "也请确认 --kind 和 --profile 是否选对")
    names = sorted(entities, key=lambda name: (len(name), name))
    if any(not same_department(names[0], other) for other in names[1:]):
        raise WorkbookError(path, "各工作表的部门名称不一致：" + "、".join(names), "一个工作簿只放一个部门一个年度的表格")
    department = names[0] if names else None
    return ImportedDocument(path, tables, missing, notices, department, years)


def same_department(a: str, b: str) -> bool:
    """The workbook's 部门名称 names the department: equal, or one contains the other
    (“403-汾阳市医疗保障局”, “汾阳市医疗保障局（本级）”)."""
    a, b = _key(a), _key(b)
    return bool(a and b) and (a == b or a in b or b in a)



# -- into the content folder -------------------------------------------------------------

@dataclass
class ImportPlan:
    """What an import writes (path → text), decided after the whole workbook was read."""

    imported: ImportedDocument
    folder: Path
    existed: bool
    files: dict[Path, str]
    messages: list[str] = field(default_factory=list)


def import_workbook(workbook: Path, content: Path, department: str, year: int, kind: str,
                    profile: str | None = None, force: bool = False, dry_run: bool = False) -> ImportPlan:
    """Read ``workbook`` as the tables of ``department``'s ``year`` ``kind`` document and write
    them (unless ``dry_run``); a new document gets the rest of its files as ``add`` makes them.
    Raises (writing nothing) when the workbook cannot be read, names another department or year,
    or would replace tables that hold data (anything but what ``add`` wrote) without ``force``."""
    scaffold.check_document_target(content, department, year)
    folder = content / "departments" / department / str(year) / kind
    existed = (folder / "document.yaml").is_file()
    chosen = scaffold.document_profile(content, kind,
                                       profile or (scaffold.yaml_value(folder / "document.yaml", "profile") if existed else None))
    imported = read_document_workbook(workbook, chosen, year)
    if existed and not force and not _as_added(content, department, year, kind, chosen, imported):
        raise WorkbookError(folder, "这份公开文件已有表格数据，没有改动任何文件",
                            "要用工作簿中的表格替换它现有的表格，加 --force（只在工作簿读取成功后替换；"
                            "document.yaml 和说明文字不变）；先看会写什么，加 --dry-run")
    other_years = sorted(y for y in imported.years if y != year)
    if other_years:
        raise WorkbookError(workbook, f"工作簿中的年度为 {'、'.join(map(str, sorted(imported.years)))} 年，"
                                      f"命令中为 {year} 年", "检查 --year，或是否选错了工作簿")
    dept_path, dept_text = scaffold.department_file(content, department, imported.department)
    known = scaffold.yaml_value(dept_path, "name") if dept_text is None else imported.department
    messages: list[str] = []
    files: dict[Path, str] = {}
    if dept_text is not None:
        files[dept_path] = dept_text
        messages.append(f"新部门 {department}：部门名称取自工作簿“{imported.department}”" if imported.department
                        else f"新部门 {department}：工作簿中没有部门名称，请在 {dept_path} 中填写")
    elif known and "【待填写" in known and imported.department:
        files[dept_path] = dept_path.read_text(encoding="utf-8-sig").replace(known, imported.department, 1)
        messages.append(f"部门名称按工作簿填写为“{imported.department}”")
    elif known and imported.department and not same_department(known, imported.department):
        raise WorkbookError(workbook, f"工作簿中的部门名称为“{imported.department}”，而 {department} 是“{known}”",
                            "检查 --department，或是否选错了工作簿")
    if not existed:
        files.update(scaffold.document_files(content, department, year, kind, chosen,
                                             known or imported.department or "【待填写：部门全称】"))
    for table in imported.tables:
        files[folder / "tables" / f"{table.spec.id}.csv"] = table.csv
    if not dry_run:
        scaffold.write_files(files)
    return ImportPlan(imported, folder, existed, files, messages)


def _as_added(content: Path, department: str, year: int, kind: str, profile: Profile,
              imported: ImportedDocument) -> bool:
    """Every table the workbook replaces is still as ``site-builder add`` wrote it (no data to lose)."""
    empty = scaffold.document_files(content, department, year, kind, profile, "")
    for table in imported.tables:
        path = content / "departments" / department / str(year) / kind / "tables" / f"{table.spec.id}.csv"
        try:
            if path.read_text(encoding="utf-8") != empty[path]:
                return False
        except (OSError, UnicodeDecodeError):
            return False
    return True
