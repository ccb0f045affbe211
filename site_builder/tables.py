"""Read one standard table from its CSV file, checked against the profile's definition.

The CSV holds the table in its published layout: one header row naming the leaf columns
(the published labels; ``收入/项目`` where a label repeats), then one row per printed row.
Header groups, rowspan/colspan and the 栏次 row come from the profile, never from the file.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
import unicodedata
from collections.abc import Iterable, Iterator
from pathlib import Path

from .errors import ContentError, Location
from .model import TOTAL_LABEL, Row, Table, label_key, same_label
from decimal import Decimal

from .numbers import BLANK, Cell, normalize_text, parse_cell, parse_rate, percent, plain_number
from .profiles import Column, TableSpec, TotalRow
from .sources import CONTROL_CHARACTERS, MAX_CELL_CHARS, MAX_TABLE_COLUMNS, MAX_TABLE_ROWS, read_text

_CODE_RE = re.compile(r"^\d+$")


def _match_header(header: list[str], spec: TableSpec, path: Path) -> list[Column | None]:
    """Map each CSV column to a profile column by label (or group/label), in order; then by
    an alias of the label (科目编码 for 科目代码: the column's ``aliases``, the profile's
    ``header_aliases``), which the profile made sure stands for one column only."""
    remaining = list(spec.input_columns)
    mapping: list[Column | None] = []
    for index, raw in enumerate(header, start=1):
        label = normalize_text(raw)
        if not label:
            mapping.append(None)
            continue
        found = next((c for c in remaining if same_label(label, c.qualified_label)), None)
        found = found or next((c for c in remaining if same_label(label, c.label)), None)
        found = found or next((c for c in remaining for alias in c.aliases
                               if same_label(label, "/".join((*c.path, alias)))), None)
        found = found or next((c for c in remaining if any(same_label(label, a) for a in c.aliases)), None)
        if found is None:
            expected = "，".join(c.qualified_label for c in spec.input_columns)
            raise ContentError(Location(path, 1, index), f"未知的列标题“{raw.strip()}”",
                               f"{spec.number}的列应为：{expected}（部门软件的其他写法，如“科目编码”，"
                               f"可写在表格方案的 header_aliases 中）")
        remaining.remove(found)
        mapping.append(found)
    if remaining:
        missing = "，".join(c.qualified_label for c in remaining)
        raise ContentError(Location(path, 1), f"缺少列：{missing}",
                           "第一行应列出本表全部列标题（与公开表格的表头一致）")
    return mapping


def _code_level(code: str, spec: TableSpec, where: Location) -> int:
    if not _CODE_RE.match(code):
        stand_ins = "、".join(f"“{p}”" for p in spec.placeholder_codes)
        raise ContentError(where, f"科目代码“{code}”应只含数字",
                           "如 2101506；合计行的科目代码留空" + (f"；没有代码、印刷为{stand_ins}的照样填写" if stand_ins else ""))
    level = spec.levels.get(len(code))
    if level is None:
        lengths = "、".join(str(n) for n in spec.levels)
        raise ContentError(where, f"科目代码“{code}”长度为 {len(code)} 位，"
                                  f"{spec.classification}的代码应为 {lengths} 位")
    return level


def read_table(path: Path, spec: TableSpec) -> Table:
    """Load ``path`` as table ``spec``; every problem names the file, row and column."""
    text = read_text(path)
    return _read_rows(_records(csv.reader(io.StringIO(text, newline="")), path), path, spec)


def _records(reader, path: Path) -> Iterator[tuple[int, list[str]]]:
    """Each CSV record with the line it starts on (a quoted cell may span lines). Refused as they
    are read, before any row is built: more than MAX_TABLE_ROWS records after the header, a record
    of more than MAX_TABLE_COLUMNS cells, and a record the csv module cannot read."""
    end = 0
    for count in itertools.count():      # 0: the header
        line = end + 1
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise ContentError(Location(path, line), _csv_problem(exc),
                               "单元格中有逗号、引号或换行时，整个单元格要用英文双引号括起来；检查本行起的引号是否成对") from None
        end = reader.line_num
        if count > MAX_TABLE_ROWS:       # blank lines too: ten million of them take seconds to skip
            raise ContentError(Location(path, line), f"表格超过 {MAX_TABLE_ROWS:,} 行",
                               "一张公开表格通常只有几十到几百行：请检查是否放错了文件、粘贴了重复的内容，"
                               "或表格末尾有大量空行（在 Excel 中删除多余的行后重新另存）")
        if len(record) > MAX_TABLE_COLUMNS:
            raise ContentError(Location(path, line, MAX_TABLE_COLUMNS + 1), f"本行超过 {MAX_TABLE_COLUMNS} 列",
                               "公开表格只有十几列：请检查是否多了逗号，或放错了文件")
        yield line, record


def _csv_problem(exc: csv.Error) -> str:
    if "field larger than field limit" in str(exc):    # the csv module's own bound (131,072 characters)
        return f"单元格过长（超过 {csv.field_size_limit():,} 个字符）：可能是英文双引号没有成对"
    return f"CSV 格式错误：{exc}"


def _read_rows(records: Iterator[tuple[int, list[str]]], path: Path, spec: TableSpec) -> Table:
    try:
        _, header = next(records)
    except StopIteration:
        raise ContentError(Location(path, 1), "CSV 文件为空", "第一行应为列标题") from None
    _check_header(header, path)
    mapping = _match_header(header, spec, path)
    mapped = [(index, column) for index, column in enumerate(mapping) if column is not None]
    code_at = [index for index, column in mapped if column.type == "code"]
    rows: list[Row] = []
    for line, record in records:
        if not any(normalize_text(v) for v in record):
            continue  # blank print rows and trailing Excel lines carry no data
        _check_cells(record, path, line)
        if len(record) > len(mapping) and any(normalize_text(v) for v in record[len(mapping):]):
            raise ContentError(Location(path, line, len(mapping) + 1),
                               f"本行有 {len(record)} 列，但表头只有 {len(mapping)} 列")
        if len(record) < len(mapping):
            raise ContentError(Location(path, line, len(record)),
                               f"本行只有 {len(record)} 列，但表头有 {len(mapping)} 列",
                               "空白单元格也要保留它的逗号，如 221,住房保障支出,43.93,43.93,")
        if repeats_header((column, record[index]) for index, column in mapped):
            rows.append(_header_row(record, mapping, Location(path, line)))
            continue
        placeholder = any(spec.is_placeholder_code(record[index]) for index in code_at)   # 无, ——
        cells: dict[str, object] = {}
        for index, column in enumerate(mapping):
            if column is None:
                continue
            raw = record[index] if index < len(record) else ""
            if column.type == "amount" or column.printed:    # (a printed rate: “27.05%”, checks/rates.py)
                try:
                    cells[column.key] = parse_rate(raw) if column.printed else _amount_cell(raw, placeholder, spec)
                except ValueError as exc:
                    raise ContentError(Location(path, line, index + 1),
                                       f"“{column.qualified_label}”列：{exc}") from None
            elif column.type == "code" and placeholder and spec.is_placeholder_code(raw):
                cells[column.key] = raw.strip()      # 无, ——, －: as printed (no code to fold)
            else:
                cells[column.key] = normalize_text(raw) if column.type in ("code", "line") else raw.strip()
        rows.append(_make_row(cells, spec, Location(path, line)))
    table = Table(spec, rows, path, columns_at={c.key: i for i, c in enumerate(mapping, start=1) if c is not None})
    for row in table.data_rows:
        check_row(row, table)
        fill_computed(row, spec)
    if spec.total:
        rows.append(total_row(table.data_rows, spec.total, Location(path)))
    return table


def repeats_header(cells: Iterable[tuple[Column, str]]) -> bool:
    """A printed header row repeated inside the table (项目 | 统计数 again after a page break, a
    类 款 项 sub-header row under 科目代码): every filled cell holds its column's label, an alias
    of it, a group label above it or its sub-header (``Column.header_texts``). Such a row is no
    data; it is kept as printed (``Row.repeats_header``). The importer asks the same question."""
    seen = False
    for column, text in cells:          # (a row of data fails at its first filled cell: one look per row)
        if _NUMBER_LIKE.fullmatch(text):     # blank, or a code, 行次 or amount: no header prints that
            if text.strip():
                return False
            continue
        if label_key(text) not in column.header_texts:
            return False
        seen = True
    return seen


_NUMBER_LIKE = re.compile(r"[\d.,+\-\s]*")


def _header_row(record: list[str], mapping: list[Column | None], where: Location) -> Row:
    """A repeated header row, as printed: its amount columns hold text (a Cell with no value),
    so that whatever reads amounts finds none, and nothing parses “统计数” as an amount."""
    cells: dict[str, object] = {}
    for column, raw in zip(mapping, record, strict=False):
        if column is not None:
            text = raw.strip()
            cells[column.key] = Cell(text, None) if column.type == "amount" else text
    return Row(cells, where, repeats_header=True)


def _amount_cell(raw: str, placeholder: bool, spec: TableSpec) -> Cell:
    """An amount cell; in a row whose code is a placeholder, an amount cell may print the
    placeholder too (“无 | 无 | 无”): shown as printed, no amount."""
    try:
        return parse_cell(raw)
    except ValueError:
        if placeholder and spec.is_placeholder_code(raw):
            return Cell(raw.strip(), None)
        raise


# line breaks and the other control characters (Unicode category Cc) but the tab
_SUSPECT = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")


def _check_header(header: list[str], path: Path) -> None:
    """A control character or an overlong label in the header (a line break may be Excel's wrapped text)."""
    for index, value in enumerate(header, start=1):
        bad = CONTROL_CHARACTERS.search(value)
        if bad:
            raise ContentError(Location(path, 1, index), f"列标题中有不可见的控制字符（{bad.group()!r}）",
                               "用纯文本编辑器删除该字符，或从 Excel/Word 复制时只粘贴文字")
        if len(value) > MAX_CELL_CHARS:
            raise ContentError(Location(path, 1, index), f"列标题过长（{len(value):,} 个字符）",
                               "第一行应为本表的列标题")


def _check_cells(record: list[str], path: Path, line: int) -> None:
    """A cell with a line break (an unpaired quote swallows the rows after it), a control character,
    or more than MAX_CELL_CHARS characters."""
    joined = "\t".join(record)
    if not _SUSPECT.search(joined) and len(joined) <= MAX_CELL_CHARS:   # the usual row: no loop
        return
    for index, value in enumerate(record, start=1):
        if len(value) > MAX_CELL_CHARS:
            raise ContentError(Location(path, line, index), f"单元格过长（{len(value):,} 个字符，上限为 {MAX_CELL_CHARS:,}）",
                               "公开表格的单元格通常不超过几十个字：请检查是否粘贴错了内容，或本行的英文双引号没有成对")
        if "\n" in value or "\r" in value:
            raise ContentError(Location(path, line, index), "单元格中有换行：可能是英文双引号没有成对",
                               "检查本行的引号；单元格内不要换行")
        bad = next((c for c in value if unicodedata.category(c) == "Cc" and c != "\t"), None)
        if bad is not None:
            raise ContentError(Location(path, line, index), f"单元格中有不可见的控制字符（{bad!r}）",
                               "用纯文本编辑器删除该字符，或从 Excel/Word 复制时只粘贴文字")


def check_row(row: Row, table: Table) -> None:
    """The profile's row rules: required cells filled, a score not above its maximum."""
    spec = table.spec

    def where(key: str) -> Location:
        return table.cell_location(row, key)

    for key in spec.required:
        if not str(row.cells.get(key, "")).strip():
            raise ContentError(where(key), f"“{spec.column(key).label}”为空", "本表每行都要填写这一列")
    for key, limit in spec.not_above:
        value, maximum = row[key], row[limit]
        if value.value is not None and maximum.value is not None and value.value > maximum.value:
            raise ContentError(where(key), f"“{spec.column(key).label}”{value.text} 超过了“{spec.column(limit).label}”{maximum.text}",
                               f"{spec.column(key).label}不能大于{spec.column(limit).label}")


def fill_computed(row: Row, spec: TableSpec) -> None:
    """Rate columns (执行率 = 执行数 / 预算数) and growth columns (增速 = 本年 / 上年 − 1).

    Blank when either amount is blank or the base is 0: an undefined rate is never 0.00%.
    A rate column marked ``printed`` keeps what the CSV gave (the checker compares the two).
    """
    for col in spec.columns:
        if col.computed and col.of:
            part, whole = row[col.of[0]], row[col.of[1]]
            rate = None
            if part.value is not None and whole.value:
                numerator = part.amount - whole.amount if col.type == "growth" else part.amount
                rate = percent(numerator, whole.amount)
            row.cells[col.key] = Cell(rate, Decimal(rate[:-1])) if rate else BLANK


def _places(cells: list[Cell]) -> int:
    return max((len(c.text.split(".")[1]) for c in cells if c.value is not None and "." in c.text), default=0)


def total_row(rows: list[Row], total: TotalRow, where: Location) -> Row:
    """The computed 合计 row: each summed column is the sum of the rows above it."""
    cells: dict[str, object] = {total.label_column: total.label}
    for key in total.sums:
        column = [r[key] for r in rows]
        value = sum((c.amount for c in column), Decimal(0))
        places = _places(column)
        # scores (7, 2.5) sum to “97”; amounts typed with two decimals keep two
        cells[key] = Cell(f"{value:.{places}f}" if places > 1 else plain_number(value), value)
    row = Row(cells, where, name=total.label)
    row.computed = True
    return row


def _make_row(cells: dict[str, object], spec: TableSpec, where: Location) -> Row:
    row = Row(cells, where)
    if spec.layout in ("subject", "blocks"):
        code = str(cells.get("code", ""))
        name = str(cells.get("name", ""))
        if not code and not name:
            raise ContentError(where, "科目代码和科目名称都为空", "每行应有科目代码和科目名称（合计行写“合计”）")
        if same_label(code, TOTAL_LABEL):  # “合计” typed in the code column, as printed
            code, name = "", TOTAL_LABEL
            cells["code"], cells["name"] = "", TOTAL_LABEL
        if spec.is_placeholder_code(code):   # 无, ——: no 科目; the cell keeps what is printed
            code = ""
        row.code, row.name = code, name
        if code:
            row.level = _code_level(code, spec, Location(where.path, where.line, 1))
        row.group = str(cells.get("group", ""))
        if spec.layout == "blocks":
            _place_in_block(row, spec, where)
    return row


def _place_in_block(row: Row, spec: TableSpec, where: Location) -> None:
    """A block table's row: a 科目 row or a block's total line belongs to a block (its 分组);
    a line printed after the blocks' totals (合 计) to none; ``block_column`` (1, 2 …), where
    given, is the block's print column the row is in."""
    groups = [b.group for b in spec.blocks]
    block = next((b for b in spec.blocks if b.group == row.group), None)
    is_block_total = not row.code and spec.block_totalled_by(row.name) is not None
    if row.prints_code or is_block_total:       # (a 科目, or 无 printed for one)
        if block is None:
            raise ContentError(where, f"分组“{row.group}”不是本表的分组", "应为：" + "、".join(groups))
    elif row.group:
        raise ContentError(where, f"“{row.name}”一行没有科目代码，也不是某一块的合计（"
                                  + "、".join(b.total_label for b in spec.blocks) + "），却写了分组“" + row.group + "”",
                           "印在各块合计之后的总合计行（合 计）不属于任何一块：“分组”一列留空")
    column = str(row.cells.get("block_column", "")).strip()
    if column:
        if not row.prints_code or block is None:
            raise ContentError(where, f"“{row.name}”一行没有科目代码，不能指定它在第几栏（{column}）",
                               "合计行印在各块之下，栏号一列留空")
        if not column.isdigit() or not 1 <= int(column) <= block.count:
            raise ContentError(where, f"栏号“{column}”不对：“{block.group}”共印成 {block.count} 栏",
                               f"应为 1 到 {block.count} 之间的整数（本行印在“{block.group}”的第几栏）")


def content_csv(spec: TableSpec, rows: list[dict[str, str]]) -> str:
    """The table's CSV as content holds it: the published leaf labels (group/label where a label
    repeats), then the rows."""
    columns = spec.input_columns
    labels = [c.label for c in columns]
    header = [c.qualified_label if labels.count(c.label) > 1 else c.label for c in columns]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(c.key, "") for c in columns])
    return out.getvalue()
