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
A block table (公开06表: 科目 side by side in blocks) is read block by block and print column by
print column, every column of the table in each (see ``_block_rows``); a filled cell of its
rows that belongs to no row is an error naming it, never dropped.
Nothing is written by this module: :func:`read_document_workbook` returns the tables as CSV
text, or raises :class:`WorkbookError` naming the sheet and cell.

.xlsx is read with openpyxl and .xls with xlrd: both give values, merged cells and number
formats (python-calamine, faster, gives no formats, and an amount's decimals live there). A
number whose format says nothing (General) is shown with two decimals in a money column, or
more when it has more.
"""

from __future__ import annotations

import html
import io
import math
import posixpath
import re
import struct
import zipfile
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any, NoReturn

from . import scaffold
from .errors import Location, SiteBuilderError
from .model import label_key
from .numbers import OutOfRange, bounded, exponent, normalize_text, parse_cell, plain_number
from .profiles import Block, Column, Profile, TableSpec
from .content import overridden, table_overrides
from .sources import load_mapping
from .tables import content_csv, repeats_header
from .tableview import block_values

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls")
UNIT_FACTORS = {("元", "万元"): Decimal("0.0001"), ("万元", "元"): Decimal(10000)}
_META_ROWS = 8   # the number, title and 部门/年度/单位 lines sit in the first rows of a sheet
# 单位：元, 单位:元, 金额单位：万元 (the colon full- or half-width); not 编制单位：元氏县财政局
_UNIT = re.compile(r"单位\s*[:：]\s*(万元|元)(?![\u4e00-\u9fff])")
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
    formulas: int = 0        # cells holding a formula: their values are the results Excel saved
    empty_results: int = 0   # of those, .xls cells whose saved result is empty text

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
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)          # (inf, nan: a number no spreadsheet program saves, as its text)
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


# -- bounds -------------------------------------------------------------------------------
# A workbook is data from outside (issue 23): whatever it holds, import ends in a clear error
# within 10 s and 500 MB. Before a reader parses it, the file's structure is checked against
# these limits, and the rows are checked as they are read. A real 预决算 workbook has tens of
# sheets of under 2,000 rows and 40 columns, a few MB uncompressed (the example portal's three:
# up to 13 sheets, 51 rows and 12 columns, 0.1 MB, parts compressed at most 8 : 1); each limit is
# many times that, and low enough that a workbook just under all of them is read in a few
# seconds (tests/test_attacks_sheets.py; measured: docs/performance.md#workbook-bounds).
MB = 1024 * 1024
MAX_WORKBOOK_BYTES = 50 * MB       # the file itself
MAX_PARTS = 1_000                  # files in the .xlsx zip: a real one has 2 per sheet and about 15 more
MAX_DIRECTORY_BYTES = 1 * MB       # the zip's list of its files (for 1,000 files: about 0.1 MB)
MAX_PART_BYTES = 64 * MB           # one file in the zip, uncompressed
MAX_UNPACKED_BYTES = 256 * MB      # all of them
MAX_RATIO = 100                    # uncompressed : compressed, of a part over RATIO_FROM: spreadsheet XML
RATIO_FROM = 1 * MB                # compresses 5–20 times, a zip bomb thousands of times
MAX_ROWS = 20_000                  # rows of a sheet, up to its last row
MAX_COLUMNS = 256                  # columns of a sheet, up to its last (IV: all that Excel 97–2003 has)
MAX_CELLS = 300_000                # cells of all sheets as read, each row as long as its last cell (a
                                   # styled blank cell counts): 8 MB or so of sheet XML
MAX_MERGED = 100_000               # cells covered by merged ranges, all sheets
MAX_STRINGS = 50_000               # shared strings (different texts): a real workbook has thousands
MAX_TAGS = 1_500_000               # XML tags (each “<”) of all parts: the time the readers take
MAX_HELD_TAGS = 40_000             # of the parts read whole (all but the sheets and the shared
                                   # strings), together: openpyxl makes an object of each element and
                                   # holds them all (measured: docs/performance.md#workbook-bounds);
                                   # 20,000 cell formats, where a real workbook has hundreds
MAX_AROUND_TAGS = 200_000          # of a sheet outside its rows, of the shared strings outside the
                                   # strings: kept while that part is read
MAX_ROW_TAGS = 16 * MAX_COLUMNS    # of one row of a sheet, held in memory whole
_BOUNDS_HINT = "预决算公开的工作簿远小于这个上限：请确认选对了文件；只保留要公开的表格，在 Excel 中“另存为”后再导入"
_DAMAGED_HINT = "文件可能已损坏；在 Excel 中打开后“另存为 Excel 工作簿（.xlsx）”再导入"
_FORMULA_HINT = "请在 Excel 中打开并保存后再导入（导入读取的是 Excel 保存时算出的数值，不是公式本身）"
# SpreadsheetML as Excel writes it, found with regular expressions over each part's bytes (C
# speed; a parse with a Python call per element took as long as openpyxl's own read). Where a
# pattern could match text that is no element (in a comment), it counts more, never less.
_NAME = rb"<(?:[A-Za-z_][\w.-]*:)?"                       # “<” and a namespace prefix, if any
_END = rb"</(?:[A-Za-z_][\w.-]*:)?"                       # “</” and a namespace prefix, if any
_ROW = re.compile(_NAME + rb"row(?=[\s>/])")
_ROW_END = re.compile(_END + rb"row>")
_STRING = re.compile(_NAME + rb"si(?=[\s>/])")
_STRING_END = re.compile(_END + rb"si>")
_FORMULA_TAG = re.compile(_NAME + rb"f(?=[\s>/])")
_CELL_TAG = re.compile(_NAME + rb"c(?=[\s>/])[^>]*>")
_CELL_END = re.compile(_END + rb"c>")
_VALUE = re.compile(_NAME + rb"v(?:\s[^>]*)?>([^<]*)<")
_MERGE = re.compile(_NAME + rb"mergeCell\s[^>]*?\bref\s*=\s*[\"']([^\"']*)[\"']")
_ATTRIBUTE = re.compile(rb"\b(r|t)\s*=\s*[\"']([^\"']*)[\"']")
_SHEET = re.compile(_NAME + rb"sheet\s[^>]*>")
_RELATIONSHIP = re.compile(_NAME + rb"Relationship\s[^>]*>")
_NAMED = re.compile(rb"(?:^|\s)((?:[\w.-]+:)?(?:name|id|Id|Target|Type|PartName|ContentType))\s*=\s*\"([^\"]*)\"")
_OVERRIDE = re.compile(_NAME + rb"Override\s[^>]*>")
_FULL_CALC = re.compile(_NAME + rb"calcPr\s[^>]*\bfullCalcOnLoad\s*=\s*[\"'](?:1|true)[\"']")
_ENCODING = re.compile(rb"^\s*<\?xml[^>]*\bencoding\s*=\s*[\"']([^\"']*)[\"']")
_XML_START = re.compile(rb"^(?:\xef\xbb\xbf)?\s*<|^(?:\xff\xfe|\xfe\xff|<\x00|\x00<)")   # UTF-8, UTF-16
_REF = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d{1,7})$")


def _megabytes(size: int) -> str:
    return f"{size / MB:.1f} MB"


def _column_number(letters: str) -> int:
    """1 for A, 27 for AA."""
    number = 0
    for letter in letters.upper():
        number = number * 26 + ord(letter) - 64
    return number


def check_file_size(path: Path) -> None:
    size = path.stat().st_size
    if size > MAX_WORKBOOK_BYTES:
        raise WorkbookError(path, f"工作簿过大（{_megabytes(size)}，上限为 {_megabytes(MAX_WORKBOOK_BYTES)}）", _BOUNDS_HINT)


def _zip_directory(path: Path) -> tuple[int, int]:
    """(entries, bytes) of the zip's central directory, from its end record: zipfile.ZipFile
    reads the whole directory into memory (measured: docs/performance.md#workbook-bounds), so
    its size is checked first. A zip64 end record is followed."""
    size = path.stat().st_size
    with path.open("rb") as handle:
        handle.seek(max(0, size - 65_557))               # the end record, and its comment of ≤ 64 KB
        tail = handle.read()
        at = tail.rfind(b"PK\x05\x06")
        if at < 0 or len(tail) - at < 22:
            return 0, 0                                   # zipfile will say what is wrong
        entries, directory = struct.unpack_from("<10xHI", tail, at)
        if (entries == 0xFFFF or directory == 0xFFFFFFFF) and at >= 20 and tail[at - 20:at - 16] == b"PK\x06\x07":
            (end64,) = struct.unpack_from("<8xQ", tail, at - 20)   # where the zip64 end record is
            handle.seek(end64)
            record = handle.read(56)
            if len(record) == 56 and record[:4] == b"PK\x06\x06":
                entries, directory = struct.unpack_from("<32xQQ", record)
    return entries, directory


def _check_zip(path: Path, archive: zipfile.ZipFile) -> None:
    members = archive.infolist()
    if len(members) > MAX_PARTS:
        raise WorkbookError(path, f"工作簿中的部件过多（{len(members):,} 个，上限为 {MAX_PARTS:,} 个）", _BOUNDS_HINT)
    total = 0
    for member in members:
        name, size = member.filename, member.file_size
        if size > MAX_PART_BYTES:
            raise WorkbookError(path, f"工作簿中的“{name}”解压后过大（{_megabytes(size)}，上限为 {_megabytes(MAX_PART_BYTES)}）",
                                _BOUNDS_HINT)
        if size > RATIO_FROM and size > MAX_RATIO * max(member.compress_size, 1):
            raise WorkbookError(path, f"工作簿中的“{name}”压缩比异常（{size // max(member.compress_size, 1):,} : 1，"
                                      f"上限为 {MAX_RATIO} : 1），不像是 Excel 保存的文件", _BOUNDS_HINT)
        total += size
    if total > MAX_UNPACKED_BYTES:
        raise WorkbookError(path, f"工作簿解压后过大（合计 {_megabytes(total)}，上限为 {_megabytes(MAX_UNPACKED_BYTES)}）",
                            _BOUNDS_HINT)


@dataclass
class _SheetScan:
    """What the scan of one worksheet part found."""

    part: str
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)
    formulas: list[str] = field(default_factory=list)      # the cells, as A1
    uncomputed: list[str] = field(default_factory=list)    # of those, the cells without a saved result


# Parts openpyxl reads whole by their names; the others it finds through [Content_Types].xml and
# the relationships (.rels, also read whole).
_READ_WHOLE = {"[Content_Types].xml", "xl/styles.xml", "docProps/core.xml", "docProps/custom.xml"}
# Relationships whose targets openpyxl (read-only) does not parse: the calculation order, the
# theme (kept as bytes), the application's properties
_UNREAD = {"calcChain", "theme", "extended-properties"}


@dataclass
class XlsxScan:
    """What ``scan_xlsx`` found: how each part is read (``role``), each worksheet's merged ranges
    and formulas, the sheets' names, and whether the program that saved the workbook asked Excel
    to calculate every formula on opening (fullCalcOnLoad)."""

    path: Path
    types: dict[str, str] = field(default_factory=dict)            # part → content type
    kinds: dict[str, set[str]] = field(default_factory=dict)       # part → the relationships naming it
    sheets: dict[str, _SheetScan] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)            # sheet part → sheet name
    recalculate: bool = False
    tags: int = 0
    held: int = 0
    merged_cells: int = 0

    @property
    def workbook(self) -> str:
        return next((p for p, t in self.types.items() if t.endswith(".main+xml")), "xl/workbook.xml")

    def role(self, part: str) -> str:
        """How openpyxl in read-only mode reads ``part``: “sheet” (streamed, a row at a time),
        “strings” (streamed, a string at a time), “unread”, or “whole” (parsed into memory at
        once: a part named or typed so, or named by a relationship it reads whole)."""
        kinds, kind = self.kinds.get(part, set()), self.types.get(part, "")
        if part in _READ_WHOLE or part.endswith(".rels") or part == self.workbook:
            return "whole"
        if kind.endswith("sharedStrings+xml"):
            return "strings" if kinds <= {"sharedStrings"} else "whole"
        if kinds and kinds <= {"worksheet"}:
            return "sheet"
        return "unread" if kinds <= _UNREAD else "whole"

    def sheet_name(self, part: str) -> str:
        return self.names.get(part, part)

    def part_of(self, sheet_name: str) -> str | None:
        return next((part for part, name in self.names.items() if name == sheet_name), None)

    def fail(self, message: str, cell: str | None = None, hint: str = _BOUNDS_HINT) -> NoReturn:
        raise WorkbookError(self.path, message, hint, cell=cell)


def scan_xlsx(path: Path, archive: zipfile.ZipFile) -> XlsxScan:
    """Check an .xlsx against the limits before any reader parses it (WorkbookError naming the
    part, the sheet or the cell): sizes and compression of its parts; no DTD in any part (the
    Open Packaging Conventions forbid them, and entity expansion, the “billion laughs”, needs
    one) and no encoding but UTF-8; the tags of all parts, of the parts read whole, of each row
    and around the rows; the shared strings; each sheet's merged ranges; formulas without a
    saved result, or whose results the program that saved them did not calculate."""
    _check_zip(path, archive)
    scan = XlsxScan(path)
    # first what says how the others are read (the content types, then the relationships), then
    # the workbook (the sheets' names, for the messages), then the rest
    members = archive.infolist()
    first = [m for m in members if m.filename == "[Content_Types].xml"] + [m for m in members if m.filename.endswith(".rels")]
    for member in first:
        _read_part(scan, archive, member)
    rest = [m for m in members if m not in first]
    for member in sorted(rest, key=lambda m: m.filename != scan.workbook):
        _read_part(scan, archive, member)
    formulas = [(scan.sheet_name(s.part), s) for s in scan.sheets.values() if s.formulas]
    uncomputed = [(name, s) for name, s in formulas if s.uncomputed]
    if uncomputed:
        name, sheet = uncomputed[0]
        count = sum(len(s.uncomputed) for _, s in uncomputed)
        scan.fail("公式没有计算结果" + (f"（共 {count:,} 个这样的单元格）" if count > 1 else ""),
                  f"{name}!{sheet.uncomputed[0]}", _FORMULA_HINT)
    if formulas and scan.recalculate:
        name, sheet = formulas[0]
        scan.fail("公式的结果不是 Excel 算出的：保存这个工作簿的程序没有计算公式（它要求打开时重新计算）",
                  f"{name}!{sheet.formulas[0]}", _FORMULA_HINT)
    return scan


def _read_part(scan: XlsxScan, archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> None:
    with archive.open(member) as stream:
        data = stream.read(1 << 16)
        if not _XML_START.match(data):        # no part a reader parses as XML (an image)
            return
        data += stream.read()                 # at most the size checked: zipfile stops there
    _scan_part(scan, member.filename, data)


def _scan_part(scan: XlsxScan, part: str, data: bytes) -> None:
    encoding = _ENCODING.match(data[:200])
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data[:200] or \
            (encoding and encoding.group(1).lower() not in (b"utf-8", b"utf8")):
        scan.fail(f"工作簿中的“{part}”不是 UTF-8 编码的 XML，Excel 保存的文件不会这样", hint=_DAMAGED_HINT)
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        scan.fail(f"工作簿中的“{part}”含有文档类型声明（DTD），Excel 保存的文件没有这种内容，可能是恶意构造的文件")
    role = scan.role(part)
    if role == "unread":
        return
    tags = data.count(b"<")
    scan.tags += tags
    if scan.tags > MAX_TAGS:
        scan.fail(f"工作簿的内容过多（超过 {MAX_TAGS:,} 个 XML 标记，到“{part}”为止）")
    if role == "sheet":
        _scan_sheet(scan, part, data)
    elif role == "strings":
        outside = _elements(scan, data, _STRING, _STRING_END, MAX_STRINGS, part,
                            f"工作簿中的文字（共享字符串）过多（超过 {MAX_STRINGS:,} 条）", "第 {} 条文字")
        if outside > MAX_AROUND_TAGS:
            scan.fail(f"工作簿中的“{part}”内容过多（文字以外有 {outside:,} 个 XML 标记，上限为 {MAX_AROUND_TAGS:,} 个）")
    else:
        scan.held += tags
        if scan.held > MAX_HELD_TAGS:
            scan.fail(f"工作簿中的样式和设置过多（超过 {MAX_HELD_TAGS:,} 个 XML 标记，到“{part}”为止）")
        _scan_whole(scan, part, data)


def _scan_sheet(scan: XlsxScan, part: str, data: bytes) -> None:
    """A sheet is read a row at a time: the rows are counted, and the tags around them are held."""
    sheet = scan.sheets[part] = _SheetScan(part)
    name = scan.sheet_name(part)
    outside = _elements(scan, data, _ROW, _ROW_END, MAX_ROWS, name, f"工作表超过 {MAX_ROWS:,} 行", "第 {} 个行元素")
    if outside > MAX_AROUND_TAGS:
        scan.fail(f"表格以外的内容过多（{outside:,} 个 XML 标记，上限为 {MAX_AROUND_TAGS:,} 个）", cell=name)
    _scan_formulas(sheet, data)
    for match in _MERGE.finditer(data):
        _merge(scan, sheet, name, match.group(1).decode("utf-8", "replace"))


def _attributes(tag: bytes) -> dict[str, str]:
    """The attributes of one tag, by local name (r:id → id)."""
    return {k.decode().rpartition(":")[2]: html.unescape(v.decode("utf-8", "replace")) for k, v in _NAMED.findall(tag)}


def _scan_whole(scan: XlsxScan, part: str, data: bytes) -> None:
    """The content types, the relationships (their targets' kinds), the sheets' names, calcPr."""
    if part == "[Content_Types].xml":
        for match in _OVERRIDE.finditer(data):
            attributes = _attributes(match.group())
            scan.types[attributes.get("PartName", "").lstrip("/")] = attributes.get("ContentType", "")
    elif part.endswith(".rels"):
        folder, _, name = part.rpartition("_rels/")                 # xl/_rels/workbook.xml.rels → xl/
        source = folder + name[:-len(".rels")]
        for match in _RELATIONSHIP.finditer(data):
            attributes = _attributes(match.group())
            target = attributes.get("Target", "")
            target = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
            kind = attributes.get("Type", "").rpartition("/")[2]
            scan.kinds.setdefault(target, set()).add(kind)
            if source == scan.workbook and kind == "worksheet":
                scan.names.setdefault(target, attributes.get("Id", ""))   # the id, until the workbook names it
    elif part == scan.workbook:
        ids = {rid: target for target, rid in scan.names.items()}
        for match in _SHEET.finditer(data):
            attributes = _attributes(match.group())
            if attributes.get("id") in ids and "name" in attributes:
                scan.names[ids[attributes["id"]]] = attributes["name"]
        scan.recalculate = bool(_FULL_CALC.search(data))


def _elements(scan: XlsxScan, data: bytes, start: re.Pattern, end: re.Pattern, most: int, cell: str | None,
              too_many: str, each: str) -> int:
    """The elements a reader reads one at a time (a sheet's rows, the shared strings): at most
    ``most`` of them, each of at most MAX_ROW_TAGS tags (it is held whole while it is read);
    returns the tags outside them (which the reader holds). Each element ends at its end tag,
    or where the next begins."""
    spans: list[tuple[int, int]] = []
    for match in start.finditer(data):
        close = data.find(b">", match.end())
        if close > 0 and data[close - 1:close] == b"/":
            spans.append((match.start(), close + 1))
        else:
            found = end.search(data, match.end())
            spans.append((match.start(), found.end() if found else len(data)))
        if len(spans) > most:
            scan.fail(too_many, cell=cell)
    inside = 0
    for index, (begin, finish) in enumerate(spans):
        if index + 1 < len(spans):
            finish = min(finish, spans[index + 1][0])
        tags = data.count(b"<", begin, finish)
        if tags > MAX_ROW_TAGS:
            scan.fail(f"{each.format(index + 1)}中的内容过多（超过 {MAX_ROW_TAGS:,} 个 XML 标记）", cell=cell)
        inside += tags
    return data.count(b"<") - inside


def _scan_formulas(sheet: _SheetScan, data: bytes) -> None:
    """Each <f> and its cell: in SpreadsheetML the formula is the cell's first child, so the tag
    before it is the cell's (else the last cell tag before it); the saved result is the cell's
    <v>, before the cell's end."""
    for match in _FORMULA_TAG.finditer(data):
        at = match.start()
        cell = _CELL_TAG.match(data, max(data.rfind(b"<", 0, at), 0))
        if cell is None:
            cell = _CELL_TAG.match(data, max(data.rfind(b"<c ", 0, at), 0))
        attributes = dict(_ATTRIBUTE.findall(cell.group())) if cell else {}
        ref = attributes.get(b"r", b"?").decode("ascii", "replace")
        sheet.formulas.append(ref)
        end = _CELL_END.search(data, match.end())
        value = _VALUE.search(data, match.end(), end.start() if end else len(data))
        if (value is None or not value.group(1).strip()) and attributes.get(b"t") != b"str":
            sheet.uncomputed.append(ref)


def _merge(scan: XlsxScan, sheet: _SheetScan, name: str, ref: str) -> None:
    first, _, last = ref.partition(":")
    start, end = _REF.match(first), _REF.match(last or first)
    if not start or not end:
        scan.fail(f"合并单元格“{ref}”无效", f"{name}!{ref}", _DAMAGED_HINT)
    r1, c1 = int(start.group(2)), _column_number(start.group(1))
    r2, c2 = int(end.group(2)), _column_number(end.group(1))
    r1, r2, c1, c2 = min(r1, r2), max(r1, r2), min(c1, c2), max(c1, c2)
    if r2 > MAX_ROWS or c2 > MAX_COLUMNS:
        scan.fail(f"合并单元格超出了 {MAX_ROWS:,} 行、{MAX_COLUMNS} 列的范围", f"{name}!{ref}")
    scan.merged_cells += (r2 - r1 + 1) * (c2 - c1 + 1)
    if scan.merged_cells > MAX_MERGED:
        scan.fail(f"合并单元格过多（合计超过 {MAX_MERGED:,} 个单元格）", f"{name}!{ref}")
    sheet.merged.append((r1 - 1, c1 - 1, r2 - 1, c2 - 1))


# .xls (BIFF8 records in an OLE2 compound file): the records are walked once before xlrd reads
# them, as xlrd makes every row as long as its last cell and every sheet as long as its last row
# or merged range (one cell at row 60,000, column 255 would be 15 million).
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
MAX_RECORDS = 1_000_000            # BIFF records of all sheets: a real sheet has about one per cell
_BOF, _EOF, _BOUNDSHEET, _SST, _MERGED = 0x0809, 0x000A, 0x0085, 0x00FC, 0x00E5
_CELL_RECORDS = {0x0201, 0x0203, 0x0204, 0x0205, 0x027E, 0x00FD, 0x00D6, 0x0006}   # one cell: row, column
_MULTI_RECORDS = {0x00BD, 0x00BE}                                                  # MULRK, MULBLANK: a run
_FORMULA = 0x0006


class _TooManyRecords(Exception):
    pass


def _records(stream: bytes, position: int, end: int, budget: list[int]):
    """(type, data) of the records of the substream at ``position`` up to its EOF (nested
    substreams, a chart's, included) or ``end``; ``budget``: the records still allowed, all
    substreams together."""
    view = memoryview(stream)
    depth = 0
    while position + 4 <= end:
        kind, length = struct.unpack_from("<HH", stream, position)
        data = view[position + 4:position + 4 + length]
        position += 4 + length
        budget[0] -= 1
        if budget[0] < 0:
            raise _TooManyRecords
        yield kind, data
        if kind == _BOF:
            depth += 1
        elif kind == _EOF:
            depth -= 1
            if depth <= 0:
                return


def _sheet_name_biff(data: memoryview, biff8: bool) -> str:
    if not biff8:
        return bytes(data[7:7 + data[6]]).decode("latin-1")
    length, wide = data[6], data[7] & 1
    raw = bytes(data[8:8 + length * (2 if wide else 1)])
    return raw.decode("utf-16-le" if wide else "latin-1", "replace")


def scan_xls(path: Path, data: bytes) -> dict[str, tuple[int, int]]:
    """Check an .xls against the limits (WorkbookError naming the sheet and cell); return each
    sheet's (formula cells, formula cells whose saved result is empty text)."""
    from xlrd import compdoc

    if not data.startswith(_OLE2):
        raise WorkbookError(path, "无法读取这个工作簿：文件不是 Excel 97–2003 格式（已损坏，或是改了扩展名的其他文件，如网页表格）",
                            _DAMAGED_HINT)
    document = compdoc.CompDoc(data, logfile=io.StringIO())
    stream, base, length = document.locate_named_stream("Workbook")
    if not stream:
        stream, base, length = document.locate_named_stream("Book")
    if not stream:
        raise WorkbookError(path, "无法读取这个工作簿：其中没有 Excel 工作表数据", _DAMAGED_HINT)
    scan = _XlsScan(path, stream, base + length)
    try:
        return {name: scan.sheet(name, base + offset) for offset, name in scan.sheets(base)}
    except _TooManyRecords:
        raise WorkbookError(path, f"工作簿中的记录过多（超过 {MAX_RECORDS:,} 条）", _BOUNDS_HINT) from None


@dataclass
class _XlsScan:
    """The records of an .xls Workbook stream (``stream`` up to ``end``), walked once."""

    path: Path
    stream: bytes
    end: int
    budget: list[int] = field(default_factory=lambda: [MAX_RECORDS])
    cells: int = 0
    merged: int = 0

    def fail(self, message: str, cell: str | None = None) -> NoReturn:
        raise WorkbookError(self.path, message, _BOUNDS_HINT, cell=cell)

    def sheets(self, start: int) -> list[tuple[int, str]]:
        """(offset, name) of each worksheet, from the workbook's globals; the shared strings counted."""
        sheets, biff8 = [], True
        for kind, record in _records(self.stream, start, self.end, self.budget):
            if kind == _BOF and len(record) >= 2:
                biff8 = struct.unpack_from("<H", record)[0] >= 0x0600
            elif kind == _SST and len(record) >= 8 and struct.unpack_from("<4xI", record)[0] > MAX_STRINGS:
                self.fail(f"工作簿中的文字（共享字符串）过多（超过 {MAX_STRINGS:,} 条）")
            elif kind == _BOUNDSHEET and len(record) >= 8 and record[5] == 0:    # a worksheet (not a chart)
                sheets.append((struct.unpack_from("<I", record)[0], _sheet_name_biff(record, biff8)))
        return sheets

    def sheet(self, name: str, start: int) -> tuple[int, int]:
        """One sheet's rows, columns, cells (each row as long as its last cell) and merged ranges
        checked; its (formula cells, of those with an empty text as the saved result)."""
        widths: dict[int, int] = {}
        formulas = empty = 0
        for kind, record in _records(self.stream, start, self.end, self.budget):
            if (kind in _CELL_RECORDS or kind in _MULTI_RECORDS) and len(record) >= 6:
                row, first = struct.unpack_from("<HH", record)
                last = struct.unpack_from("<H", record, len(record) - 2)[0] if kind in _MULTI_RECORDS else first
                if row >= MAX_ROWS:
                    self.fail(f"工作表超过 {MAX_ROWS:,} 行", f"{name}!{column_letter(first)}{row + 1}")
                if max(first, last) >= MAX_COLUMNS:
                    self.fail(f"工作表超过 {MAX_COLUMNS} 列", f"{name}!{column_letter(max(first, last))}{row + 1}")
                widths[row] = max(widths.get(row, 0), first + 1, last + 1)
                if kind == _FORMULA and len(record) >= 14:
                    formulas += 1
                    empty += record[12] == record[13] == 0xFF and record[6] == 3    # the result: ""
            elif kind == _MERGED and len(record) >= 2:
                for index in range(min(struct.unpack_from("<H", record)[0], (len(record) - 2) // 8)):
                    self._merge(name, *struct.unpack_from("<4H", record, 2 + 8 * index))
        self.cells += sum(widths.values())
        if self.cells > MAX_CELLS:
            self.fail(f"工作簿中的单元格过多（超过 {MAX_CELLS:,} 个）", name)
        return formulas, empty

    def _merge(self, name: str, r1: int, r2: int, c1: int, c2: int) -> None:
        where = f"{name}!{column_letter(c1)}{r1 + 1}:{column_letter(c2)}{r2 + 1}"
        if max(r1, r2) >= MAX_ROWS or max(c1, c2) >= MAX_COLUMNS:
            self.fail(f"合并单元格超出了 {MAX_ROWS:,} 行、{MAX_COLUMNS} 列的范围", where)
        self.merged += (abs(r2 - r1) + 1) * (abs(c2 - c1) + 1)
        if self.merged > MAX_MERGED:
            self.fail(f"合并单元格过多（合计超过 {MAX_MERGED:,} 个单元格）", where)


# -- reading ------------------------------------------------------------------------------

def read_workbook(path: Path) -> list[Sheet]:
    """Every sheet of ``path`` (.xlsx, .xlsm or .xls); WorkbookError when it is no workbook, or
    when it is beyond the limits (see “bounds”) or holds formulas without saved results."""
    suffix = path.suffix.lower()
    if suffix not in WORKBOOK_SUFFIXES:
        raise WorkbookError(path, f"不是 Excel 工作簿（扩展名为“{path.suffix}”）", "可导入 .xlsx 和 .xls 文件")
    if not path.is_file():
        raise WorkbookError(path, "找不到这个文件")
    try:
        check_file_size(path)
        return _read_xls(path) if suffix == ".xls" else _read_xlsx(path)
    except WorkbookError:
        raise
    except Exception as exc:  # noqa: BLE001 - any reader failure means the same to the user
        raise WorkbookError(path, f"无法读取这个工作簿：{exc.__class__.__name__}：{exc}",
                            "文件可能已损坏或不是 Excel 文件；在 Excel 中打开后“另存为 Excel 工作簿（.xlsx）”再导入") from None


def _read_xlsx(path: Path) -> list[Sheet]:
    """Checked by ``scan_xlsx`` first, then read with openpyxl in read-only mode: it streams each
    sheet (half the time and a third of the memory of a full load), rows as long as their last
    cell, which are checked as they come (``_Grid``); the merged ranges, which that mode does not
    read, come from the scan."""
    import openpyxl

    if not zipfile.is_zipfile(path):
        raise WorkbookError(path, "无法读取这个工作簿：文件不是 .xlsx 格式（已损坏，或是改了扩展名的其他文件）",
                            "在 Excel 中打开后“另存为 Excel 工作簿（.xlsx）”再导入")
    entries, directory = _zip_directory(path)
    if entries > MAX_PARTS or directory > MAX_DIRECTORY_BYTES:
        raise WorkbookError(path, f"工作簿中的部件过多（{entries:,} 个，目录 {_megabytes(directory)}；"
                                  f"上限为 {MAX_PARTS:,} 个）", _BOUNDS_HINT)
    with zipfile.ZipFile(path) as archive:
        scan = scan_xlsx(path, archive)
    book = openpyxl.load_workbook(path, read_only=True, data_only=True)   # formulas: the values Excel saved
    try:
        grid = _Grid(path)
        sheets = []
        for ws in book.worksheets:
            ws.reset_dimensions()           # the rows as they are, not as <dimension> says
            values: list[list[object]] = []
            formats: list[list[str | None]] = []
            for row in ws.iter_rows():
                grid.add(ws.title, len(values) + 1, len(row))
                values.append([c.value for c in row])
                formats.append([c.number_format for c in row])
            found = scan.sheets.get(scan.part_of(ws.title) or "")
            sheets.append(Sheet(ws.title, values, formats, found.merged if found else [],
                                len(found.formulas) if found else 0))
    finally:
        book.close()
    return sheets


@dataclass
class _Grid:
    """The rows a reader gives, checked one by one against MAX_ROWS, MAX_COLUMNS and MAX_CELLS."""

    path: Path
    cells: int = 0

    def add(self, sheet: str, row: int, width: int) -> None:
        if row > MAX_ROWS:
            raise WorkbookError(self.path, f"工作表超过 {MAX_ROWS:,} 行", _BOUNDS_HINT, cell=f"{sheet}!A{row}")
        if width > MAX_COLUMNS:
            raise WorkbookError(self.path, f"工作表超过 {MAX_COLUMNS} 列（最后一列为 {column_letter(MAX_COLUMNS - 1)} 列）",
                                _BOUNDS_HINT, cell=f"{sheet}!{column_letter(width - 1)}{row}")
        self.cells += width
        if self.cells > MAX_CELLS:
            raise WorkbookError(self.path, f"工作簿中的单元格过多（超过 {MAX_CELLS:,} 个）", _BOUNDS_HINT,
                                cell=f"{sheet}!A{row}")


def _read_xls(path: Path) -> list[Sheet]:
    """An Excel 97–2003 file, with xlrd: values, merged cells and number formats (python-calamine
    reads .xls values fast but not their formats, and an amount's decimals live in its format).
    Checked by ``scan_xls`` first; each sheet is loaded, read and unloaded in turn."""
    import xlrd

    data = path.read_bytes()
    formulas = scan_xls(path, data)
    book = xlrd.open_workbook(file_contents=data, formatting_info=True, on_demand=True, ragged_rows=True,
                              logfile=io.StringIO())
    sheets = []
    for index in range(book.nsheets):
        ws = book.sheet_by_index(index)
        values: list[list[object]] = []
        formats: list[list[str | None]] = []
        for r in range(ws.nrows):
            row_values: list[object] = []
            row_formats: list[str | None] = []
            for c in range(ws.row_len(r)):
                cell = ws.cell(r, c)
                if cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
                    value = None
                elif cell.ctype == xlrd.XL_CELL_NUMBER:
                    value = cell.value
                elif cell.ctype == xlrd.XL_CELL_BOOLEAN:
                    value = bool(cell.value)
                elif cell.ctype == xlrd.XL_CELL_ERROR:
                    value = xlrd.error_text_from_code.get(int(cell.value), "#ERROR")   # an error cell holds its code
                else:
                    value = cell.value
                row_values.append(value)
                assert cell.xf_index is not None    # formatting_info=True gives every cell its format record
                xf = book.xf_list[cell.xf_index]
                row_formats.append(book.format_map[xf.format_key].format_str if xf.format_key in book.format_map else None)
            values.append(row_values)
            formats.append(row_formats)
        merged = [(r1, c1, r2 - 1, c2 - 1) for r1, r2, c1, c2 in ws.merged_cells]
        count, empty = formulas.get(ws.name, (0, 0))
        sheets.append(Sheet(ws.name, values, formats, merged, count, empty))
        book.unload_sheet(index)
    book.release_resources()
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
    labels = {_key(text) for c in spec.columns for text in c.spellings}

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
    groups = {_key(n["group"]) for n in _walk(spec.tree) if "children" in n} | {_key(b.group) for b in spec.blocks}
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
        candidates = [c for c in remaining if _key(c.label) == _key(col.leaf)] or \
            [c for c in remaining if _key(col.leaf) in {_key(a) for a in c.aliases}]   # 科目编码 for 科目代码
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
    decimals = len(fraction) - len(fraction.lstrip("0#?"))    # the digit placeholders it starts with
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
        try:
            shown = bounded(_shown(value), cell_text(value))
        except OutOfRange as exc:       # 1.5E999 in the XML is an infinite float; 1E+300 no amount
            raise WorkbookError(None, f"“{col.qualified_label}”列：{exc}", "金额栏应为实际的金额", cell=where) from None
        style = _format_decimals(self.sheet.format(row, column))
        if factor is not None:
            return self._convert(shown, factor, bool(style and style[1]), where)
        needed = max(-exponent(shown.normalize()), 0)   # decimals the value has
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
    after_header = False
    for position, row in enumerate(rows):
        printed = [(col, _label_text(sheet.value(row, index))) for index, col in mapping.items() if not col.computed]
        if repeats_header(printed):        # the header printed again after a page break: kept as printed
            result.append({col.key: text for col, text in printed})
            after_header = True
            continue
        if after_header and _is_seq_row(sheet, row):
            continue                       # (and the 栏次 row under it: the page prints one under the header)
        after_header = False
        placeholder = any(col.type == "code" and spec.is_placeholder_code(text) for col, text in printed)
        cells: dict[str, str] = {}
        for index, col in mapping.items():
            if col.computed:
                continue
            raw = sheet.value(row, index)
            if col.type == "amount" and placeholder and isinstance(raw, str) and spec.is_placeholder_code(raw):
                cells[col.key] = raw.strip()             # “无 | 无 | 无”: no amount, as printed
            elif col.type == "amount":
                cells[col.key] = amounts.text(row, index, col)
            else:
                value = filled.get((row, index), sheet.value(row, index)) if index in merge_columns else \
                    sheet.value(row, index)
                cells[col.key] = _label_text(value)
        if spec.layout == "subject":
            code, name = cells.get("code", ""), cells.get("name", "")
            if code and not _key(code).isdigit() and not name and not placeholder:  # 合计 across the code and name columns
                cells["code"], cells["name"] = "", code
        if spec.total and position == len(rows) - 1 and _is_total(cells, spec):
            continue   # the 合计 row the build adds by summing
        result.append(cells)
    return result


def _is_total(cells: dict[str, str], spec: TableSpec) -> bool:
    filled = [v for k, v in cells.items() if v and spec.column(k).type not in ("amount",)]
    return bool(filled) and spec.total is not None and _key(filled[0]) == _key(spec.total.label)


# -- block tables (公开06表) ----------------------------------------------------------------
# A block table prints its 科目 side by side: each block (人员经费, 公用经费) under its heading, cut
# into print columns of 科目代码, 科目名称 and every other column of the table (金额, 其中：基本支出:
# ``tableview.block_values``), filled column by column; then one row with each block's total
# (its label, and its values under the block's last print column), then any line printed after
# the totals (合 计: a label, and its values under the table's last print column). The sheet is
# read in that order, so the CSV comes out as the print lists the rows; every filled cell of the
# table's rows is read into some row, or the import stops naming it (a number is never dropped).


@dataclass
class _PrintColumn:
    """One print column of a block as the sheet has it: the sheet columns of 科目代码 and
    科目名称, and (sheet column, profile column) of each other column, in the print's order."""

    block: Block
    number: int                           # 1, 2 …: which of the block's print columns
    code: int
    name: int
    values: list[tuple[int, Column]]

    @property
    def indexes(self) -> list[int]:
        return [self.code, self.name, *(i for i, _ in self.values)]


def _block_layout(sheet: Sheet, spec: TableSpec, header: list[_HeaderColumn], first: int,
                  notices: list[str]) -> dict[str, list[_PrintColumn]]:
    """Each block's print columns, from the sheet's header: the columns under the block's heading,
    ``2 + len(block_values)`` to a print column. Raises naming the header cell where the count
    or a label is not what the profile prints."""
    values = block_values(spec)
    per = 2 + len(values)
    labels = "、".join(c.label for c in (spec.column("code"), spec.column("name"), *values))
    spans: dict[str, list[_HeaderColumn]] = {b.group: [] for b in spec.blocks}
    for col in header:
        if len(col.path) >= 2:
            group = next((g for g in spans if _key(g) == _key(col.path[0])), None)
            if group is not None:
                spans[group].append(col)
    layout: dict[str, list[_PrintColumn]] = {}
    for block in spec.blocks:
        columns = spans[block.group]
        if len(columns) != per * block.count:
            raise WorkbookError(None, f"“{block.group}”下应有 {block.count} 栏，每栏 {per} 列（{labels}），"
                                      f"共 {per * block.count} 列，实际为 {len(columns)} 列",
                                f"表头应与公开表格一致：每块按栏印出 {labels}",
                                cell=sheet.ref(first + 1, columns[0].index if columns else 0))
        layout[block.group] = [_print_column(sheet, spec, block, k + 1, columns[per * k:per * (k + 1)], notices)
                               for k in range(block.count)]
    return layout


def _spelled(text: str, columns: list[Column]) -> Column | None:
    """The column whose label (or an alias of it) ``text`` is, or None."""
    key = _key(text)
    return next((c for c in columns if key in {_key(s) for s in c.spellings}), None)


def _print_column(sheet: Sheet, spec: TableSpec, block: Block, number: int, chunk: list[_HeaderColumn],
                  notices: list[str]) -> _PrintColumn:
    """One print column: 科目代码 and 科目名称 first, then the other columns matched by their
    labels (in whatever order the print has them). A label the profile does not know is read by
    position only where that leaves no doubt (one such column), and the report says so."""
    values = block_values(spec)
    fixed = [spec.column("code"), spec.column("name")]
    where = f"“{block.group}”第 {number} 栏"
    for col, expected in zip(chunk[:2], fixed, strict=True):
        named = _spelled(col.leaf, fixed + values)
        if named is not None and named is not expected:
            raise WorkbookError(None, f"{where}的这一列应为“{expected.label}”，实际为“{col.leaf}”",
                                "每栏依次印 " + "、".join(c.label for c in fixed + values), cell=sheet.ref(col.row, col.index))
    found: dict[str, int] = {}
    unknown: list[_HeaderColumn] = []
    for col in chunk[2:]:
        named = _spelled(col.leaf, values)
        if named is None and _spelled(col.leaf, fixed) is None:
            unknown.append(col)
        elif named is None or named.key in found:
            raise WorkbookError(None, f"{where}中“{col.leaf}”重复或位置不对",
                                "每栏依次印 " + "、".join(c.label for c in fixed + values), cell=sheet.ref(col.row, col.index))
        else:
            found[named.key] = col.index
    rest = [c for c in values if c.key not in found]
    if len(unknown) > 1:
        col = unknown[0]
        raise WorkbookError(None, f"表头“{col.leaf}”不是{spec.number}的列",
                            f"{where}应印：" + "、".join(c.label for c in rest), cell=sheet.ref(col.row, col.index))
    if unknown:
        col = unknown[0]
        found[rest[0].key] = col.index
        notices.append(f"{sheet.ref(col.row, col.index)} 表头“{col.leaf}”不是{spec.number}的列名，"
                       f"按位置读作“{rest[0].label}”")
    return _PrintColumn(block, number, chunk[0].index, chunk[1].index,
                        sorted(((found[c.key], c) for c in values), key=lambda item: item[0]))


def _cell_value(sheet: Sheet, spec: TableSpec, row: int, index: int, col: Column, amounts: _Amounts,
                placeholder: bool) -> str:
    """A cell of a column that is neither code nor name, as the CSV holds it: an amount in the
    table's unit (a placeholder 无 printed for one kept as printed), anything else as text."""
    raw = sheet.value(row, index)
    if col.type == "amount" and placeholder and isinstance(raw, str) and spec.is_placeholder_code(raw):
        return raw.strip()
    if col.type == "amount":
        return amounts.text(row, index, col)
    return _label_text(raw)


def _letters(column: _PrintColumn) -> str:
    """The letters of a print column's value columns: K、L."""
    return "、".join(column_letter(i) for i, _ in column.values)


def _block_rows(sheet: Sheet, spec: TableSpec, header: list[_HeaderColumn], first: int, start: int,
                amounts: _Amounts) -> list[dict[str, str]]:
    """The rows of a block table, block by block, print column by print column, top to bottom;
    each block's total after its rows; the lines printed after the totals last."""
    layout = _block_layout(sheet, spec, header, first, amounts.notices)
    rows = _data_rows(sheet, start)
    read: set[tuple[int, int]] = set()     # the cells read into some row
    totals = _block_total_rows(sheet, spec, layout, rows)
    last = max(totals.values(), default=None)
    staged = any(c.key == "block_column" for c in spec.columns)
    result: list[dict[str, str]] = []
    for block in spec.blocks:
        end = totals.get(block.group, last)
        for column in layout[block.group]:
            for row in rows:
                if end is not None and row >= end:
                    break
                item = _block_entry(sheet, spec, column, row, amounts, read)
                if item is not None:
                    result.append({**item, **({"block_column": str(column.number)} if staged else {})})
        if block.group in totals:
            total = _total_line(sheet, spec, layout[block.group][-1], totals[block.group],
                                layout[block.group][0].code, amounts, read)
            if any(total[c.key] for _, c in layout[block.group][-1].values if not c.computed):
                result.append({**total, "group": block.group})   # (a label alone: printed for every block)
    if last is not None:
        final = layout[spec.blocks[-1].group][-1]
        for row in (r for r in rows if r > last):
            result.append({**_total_line(sheet, spec, final, row, 0, amounts, read), "group": ""})
    _check_read(sheet, spec, layout, rows, totals, read)
    return result


def _block_total_rows(sheet: Sheet, spec: TableSpec, layout: dict[str, list[_PrintColumn]],
                      rows: list[int]) -> dict[str, int]:
    """The row of each block's total (its ``total_label`` printed under the block), where printed."""
    found: dict[str, int] = {}
    for block in spec.blocks:
        span = [i for column in layout[block.group] for i in column.indexes]
        label = _key(block.total_label)
        row = next((r for r in rows if any(_key(sheet.text(r, c)) == label for c in span)), None)
        if row is not None:
            found[block.group] = row
    return found


def _block_entry(sheet: Sheet, spec: TableSpec, column: _PrintColumn, row: int, amounts: _Amounts,
                 read: set[tuple[int, int]]) -> dict[str, str] | None:
    """The 科目 of one print column on one row, or None where the print column is blank there
    (a filled value under no 科目 is left unread: _check_read names it)."""
    code, name = _label_text(sheet.value(row, column.code)), _label_text(sheet.value(row, column.name))
    if not code and not name:
        return None
    placeholder = spec.is_placeholder_code(code)
    item = {"code": code, "name": name, "group": column.block.group}
    for index, col in column.values:
        if not col.computed:            # (a computed column is the page's to work out)
            item[col.key] = _cell_value(sheet, spec, row, index, col, amounts, placeholder)
    read.update((row, i) for i in column.indexes)
    return item


def _total_line(sheet: Sheet, spec: TableSpec, column: _PrintColumn, row: int, from_column: int,
                amounts: _Amounts, read: set[tuple[int, int]]) -> dict[str, str]:
    """A total line: its label (the first text from ``from_column`` up to the values) and its values
    under ``column``, the last print column of its block or of the table."""
    first_value = min(i for i, _ in column.values)
    label = next(((c, text) for c in range(from_column, first_value)
                  if (text := _label_text(sheet.value(row, c)))), None)
    if label is None:
        raise WorkbookError(None, "这一合计行没有名称（如“合 计”）：它的数字无从归属",
                            "合计行的名称印在它的数字之前", cell=sheet.ref(row, from_column))
    item = {"code": "", "name": label[1]}
    for index, col in column.values:
        if not col.computed:
            item[col.key] = _cell_value(sheet, spec, row, index, col, amounts, False)
    read.add((row, label[0]))
    read.update((row, i) for i, _ in column.values)
    return item


def _check_read(sheet: Sheet, spec: TableSpec, layout: dict[str, list[_PrintColumn]], rows: list[int],
                totals: dict[str, int], read: set[tuple[int, int]]) -> None:
    """Every filled cell of the table's rows was read into a row; else an error naming the first
    that was not, and what the print has in its place."""
    owner = {i: column for columns in layout.values() for column in columns for i in column.indexes}
    last = max(totals.values(), default=None)
    for row in rows:
        for index, value in enumerate(sheet.values[row]):
            text = cell_text(value).strip()
            if not text or (row, index) in read:
                continue
            column = owner.get(index)
            if column is None:
                problem = f"“{text}”不在{spec.number}的任何一块之下"
            elif last is not None and row > last:
                final = layout[spec.blocks[-1].group][-1]
                problem = f"“{_row_label(sheet, row)}”一行的数字应印在表的最后一栏（{_letters(final)} 列）"
            elif totals.get(column.block.group) == row:
                own = layout[column.block.group][-1]
                problem = f"“{_row_label(sheet, row, column.block)}”一行的数字应印在这一块的最后一栏（{_letters(own)} 列）"
            elif column.block.group in totals and row > totals[column.block.group]:
                problem = f"“{column.block.group}”的合计行之下不应再有内容"
            else:
                problem = f"“{column.block.group}”第 {column.number} 栏的这一行有数字，却没有科目代码和科目名称"
            raise WorkbookError(None, f"{problem}：导入会丢掉这个单元格（“{text}”）",
                                "按公开表格的版式改正它（或删去它）后再导入", cell=sheet.ref(row, index))


def _row_label(sheet: Sheet, row: int, block: Block | None = None) -> str:
    """The label of a total line: the block's total label, or the row's first text."""
    if block is not None:
        return block.total_label
    return next((t for c in range(len(sheet.values[row])) if (t := _label_text(sheet.value(row, c)))), "")


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
        return _block_rows(sheet, spec, header, first, start, amounts)
    mapping = _match_columns(sheet, header, spec, first)
    return _grid_rows(sheet, spec, mapping, start, amounts)


def read_document_workbook(path: Path, profile: Profile, year: int,
                           overrides: dict[str, dict[str, Any]] | None = None) -> ImportedDocument:
    """The tables of ``profile`` that the workbook at ``path`` holds, as CSV; raises WorkbookError
    (naming the sheet and cell) on anything that cannot be read. ``overrides``: the document's
    own settings per table (document.yaml ``tables``: a table it prints in 元 is imported in 元)."""
    sheets = read_workbook(path)
    specs = [overridden(spec.for_year(year), overrides or {}) for spec in profile.tables]
    try:
        found, unmatched = match_sheets(sheets, specs)
    except WorkbookError as exc:
        raise WorkbookError(path, exc.problem, exc.hint) from None
    notices: list[str] = [f"工作表“{s.name}”不是{profile.title}中的表，已忽略" for s in unmatched
                          if any(v is not None for row in s.values for v in row)]
    notices += formula_notices(sheets)
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
        if sheet_year and sheet_year != spec.caption_year:   # (a caption the document says prints another year)
            years.add(sheet_year)
        try:
            rows = read_sheet(sheet, spec, unit, notices)
        except WorkbookError as exc:
            raise WorkbookError(path, exc.problem, exc.hint, cell=exc.cell) from None
        tables.append(ImportedTable(spec, sheet.name, content_csv(spec, rows), len(rows), unit))
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


def formula_notices(sheets: list[Sheet]) -> list[str]:
    """What the report says of formula cells: their values are the results Excel saved (a
    formula without one was refused by the scan), never the formula text."""
    count = sum(s.formulas for s in sheets)
    if not count:
        return []
    where = "、".join(f"“{s.name}”{s.formulas:,} 个" for s in sheets if s.formulas)
    notices = [f"工作簿中有 {count:,} 个单元格是公式（{where}）：导入的是 Excel 保存时算出的数值，不是公式"]
    empty = sum(s.empty_results for s in sheets)
    if empty:
        notices.append(f"其中 {empty:,} 个公式保存的结果是空白，已按空白导入；如果它们应有数值，{_FORMULA_HINT}")
    return notices


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
    chosen = scaffold.document_profile(content, kind, profile or (_named_profile(folder / "document.yaml") if existed else None))
    overrides = table_overrides(load_mapping(folder / "document.yaml"), chosen) if existed else {}
    imported = read_document_workbook(workbook, chosen, year, overrides)
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
    scaffold.check_targets(files, content)
    if not dry_run:
        scaffold.write_files(files, content)
    return ImportPlan(imported, folder, existed, files, messages)


def _named_profile(path: Path) -> str | None:
    """The profile an existing document.yaml names, or None when it names none. A value that is
    no text is an error, not a reason to guess: it is never turned into text for the message (a
    list of aliases of aliases is small in memory, its text is not)."""
    data = load_mapping(path)
    value = data.get("profile")
    if value is None or isinstance(value, str):
        return value
    raise WorkbookError(data.where("profile"), "“profile”应为表格方案的名称（文本），如 final-accounts-10",
                        "改正 document.yaml 后再导入；或用 --profile 指定表格方案")


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
