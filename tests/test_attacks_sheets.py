"""Spreadsheets are data (issue 23): the attack corpus of the downloads and of ``import``.

- A text cell that a spreadsheet would run as a formula (=HYPERLINK(…), +1, -1+2, @SUM(A1)) is
  written to the CSV download with a leading apostrophe; amounts stay numbers as published; the
  JSON download keeps the text as typed; the XLSX download holds it as a string cell.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from site_builder.cli import main
from site_builder.downloads import spreadsheet_text

GAOYI = "departments/gaoyi-ybj/2021/performance"
GAOYI_OUT = "gaoyi-ybj/2021/performance"
# Text a spreadsheet runs as a formula (OWASP, "CSV Injection"), and what the CSV download holds
ATTACKS = ["=1+1", "+1", "-1+2", "@SUM(A1)", "\t=1", '=HYPERLINK("http://x","y")']


def _run(*args) -> tuple[int, str]:
    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    return result.exit_code, result.output


def _rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"), newline="")))


def _write_rows(path: Path, rows: list[list[str]]) -> None:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)      # a cell with \r is quoted
    path.write_text(out.getvalue(), encoding="utf-8")


@pytest.mark.parametrize("text, shown", [
    ("=1+1", "'=1+1"), ("+1", "'+1"), ("-1+2", "'-1+2"), ("@SUM(A1)", "'@SUM(A1)"), ("\t=1", "'\t=1"),
    ("\r=1", "'\r=1"), ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
    ("——", "——"), ("目标1：=1", "目标1：=1"), ("", ""), ("合计", "合计"),
])
def test_a_formula_looking_text_gets_an_apostrophe(text, shown):
    assert spreadsheet_text(text) == shown


@pytest.fixture(scope="module")
def attacked_site(tmp_path_factory) -> Path:
    """The example portal with gaoyi's 公开03表 (free text in its last column) carrying one attack
    per row, and two negative amounts (one with a thousands comma) in 结余交回财政数, built."""
    import shutil

    from conftest import EXAMPLE

    root = tmp_path_factory.mktemp("attacked")
    content = root / "content"
    shutil.copytree(EXAMPLE, content)
    table = content / GAOYI / "tables/03.csv"
    rows = _rows(table)
    for row, attack in zip(rows[1:], ATTACKS, strict=False):
        row[-1] = attack
    rows[1][4], rows[2][4] = "-12.50", "-1,234.00"
    _write_rows(table, rows)
    code, output = _run("build", content, "--out", root / "out", "--no-search", "-q")
    assert code == 0, output
    return root / "out" / GAOYI_OUT


def test_the_csv_download_neutralises_formulas_and_keeps_amounts(attacked_site):
    rows = _rows(attacked_site / "tables/03.csv")
    header = rows[0]
    assert header[-1] == "分项项目绩效目标完成情况" and header[4] == "结余交回财政数（万元）"
    # "\t=1": the content loader trims the tab, the download still neutralises what is left
    assert [row[-1] for row in rows[1:7]] == ["'=1+1", "'+1", "'-1+2", "'@SUM(A1)", "'=1",
                                              '\'=HYPERLINK("http://x","y")']
    assert [row[4] for row in rows[1:3]] == ["-12.50", "-1,234.00"]       # amounts: numbers, as published
    assert rows[7][-1] == "完成"


def test_the_json_download_keeps_the_text_as_typed(attacked_site):
    data = json.loads((attacked_site / "tables/03.json").read_text(encoding="utf-8"))
    rows = data["table"]["rows"]
    column = data["table"]["columns"][-1]["key"]
    assert [row["cells"][column] for row in rows[:6]] == ["=1+1", "+1", "-1+2", "@SUM(A1)", "=1",
                                                          '=HYPERLINK("http://x","y")']


def test_the_xlsx_download_holds_formula_looking_text_as_strings(attacked_site):
    """Every cell of the workbook is a value: no <f> in any sheet, and the attacks are string
    cells (openpyxl, reading formulas, gives data_type "s" and the text as typed)."""
    book = attacked_site / "tables.xlsx"
    with zipfile.ZipFile(book) as archive:
        sheets = [name for name in archive.namelist() if name.startswith("xl/worksheets/")]
        assert sheets and not any(b"<f>" in archive.read(name) or b"<f " in archive.read(name) for name in sheets)
    typed = ["=1+1", "+1", "-1+2", "@SUM(A1)", "=1", '=HYPERLINK("http://x","y")']
    wb = openpyxl.load_workbook(book)
    found = {c.value: c.data_type for s in wb.worksheets for row in s.iter_rows() for c in row
             if isinstance(c.value, str) and c.value in typed}
    assert found == dict.fromkeys(typed, "s")
    from python_calamine import CalamineWorkbook                # a second reader: the same text

    calamine = CalamineWorkbook.from_path(str(book))
    values = {v for name in calamine.sheet_names for row in calamine.get_sheet_by_name(name).to_python() for v in row}
    assert set(typed) <= values


def test_a_carriage_return_in_a_cell_is_refused_before_any_download(content_copy, tmp_path):
    table = content_copy / GAOYI / "tables/03.csv"
    rows = _rows(table)
    rows[1][-1] = "\r=1"
    _write_rows(table, rows)
    code, output = _run("build", content_copy, "--out", tmp_path / "out", "--no-search", "-q")
    assert code == 1
    assert "03.csv:2:8: 单元格中有换行" in output
    assert not (tmp_path / "out").exists()


# -- import: hostile workbooks -------------------------------------------------------------
# Each is made here, small and fast: zipfile writes a part in pieces (zf.open(…, "w")), so a
# part of 100 MB of zeros is a 0.1 MB file made in well under a second.

FENYANG = ["--department", "fenyang-ybj", "--year", "2024", "--kind", "final-accounts"]
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml"


def _sheet(rows: str = '<row r="1"><c r="A1" t="inlineStr"><is><t>公开03表</t></is></c></row>', after: str = "",
           before: str = "") -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{_MAIN}" xmlns:r="{_REL}">'
            f'{before}<sheetData>{rows}</sheetData>{after}</worksheet>').encode()


def _xlsx(path: Path, sheets: dict[str, object] | None = None, parts: dict[str, object] | None = None,
          workbook_tail: str = "", relations: str = "") -> Path:
    """A minimal workbook: [Content_Types].xml, the relationships (and ``relations``),
    xl/workbook.xml, one part per sheet (bytes, or a function that writes the part in pieces)
    and ``parts`` (name → bytes or such a function)."""
    sheets = sheets if sheets is not None else {"公开03表": _sheet()}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        overrides = "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{_TYPE}.worksheet+xml"/>'
                            for i in range(1, len(sheets) + 1))
        if parts and "xl/sharedStrings.xml" in parts:
            overrides += f'<Override PartName="/xl/sharedStrings.xml" ContentType="{_TYPE}.sharedStrings+xml"/>'
        if parts and "xl/styles.xml" in parts:
            overrides += f'<Override PartName="/xl/styles.xml" ContentType="{_TYPE}.styles+xml"/>'
        zf.writestr("[Content_Types].xml", '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.'
                    'openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/'
                    'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
                    f'<Override PartName="/xl/workbook.xml" ContentType="{_TYPE}.sheet.main+xml"/>{overrides}</Types>')
        zf.writestr("_rels/.rels", f'<Relationships xmlns="{_PKG}"><Relationship Id="rId1" Type="{_REL}/officeDocument" '
                                   'Target="xl/workbook.xml"/></Relationships>')
        entries = "".join(f'<sheet name="{name}" sheetId="{i}" r:id="rId{i}"/>' for i, name in enumerate(sheets, 1))
        zf.writestr("xl/workbook.xml", f'<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><sheets>{entries}</sheets>'
                                       f'{workbook_tail}</workbook>')
        rels = "".join(f'<Relationship Id="rId{i}" Type="{_REL}/worksheet" Target="worksheets/sheet{i}.xml"/>'
                       for i in range(1, len(sheets) + 1))
        rels += "".join(f'<Relationship Id="rIdp{i}" Type="{_REL}/{kind}" Target="{kind}.xml"/>'
                        for i, kind in enumerate(("sharedStrings", "styles")) if parts and f"xl/{kind}.xml" in parts)
        zf.writestr("xl/_rels/workbook.xml.rels", f'<Relationships xmlns="{_PKG}">{rels}{relations}</Relationships>')
        named = {f"xl/worksheets/sheet{i}.xml": body for i, body in enumerate(sheets.values(), 1)}
        for name, body in {**named, **(parts or {})}.items():
            with zf.open(name, "w", force_zip64=True) as out:
                body(out) if callable(body) else out.write(body)
    return path


def _repeat(piece: bytes, times: int, head: bytes = b"", tail: bytes = b""):
    """A part written in pieces: ``head``, ``piece`` ``times`` times, ``tail``."""
    def write(out) -> None:
        out.write(head)
        block = piece * max(1, (1 << 20) // len(piece))
        whole, rest = divmod(times, block.count(piece) if piece else 1)
        for _ in range(whole):
            out.write(block)
        out.write(piece * rest)
        out.write(tail)
    return write


def _numbered(template: str, count: int, head: bytes = b"", tail: bytes = b""):
    """A part of ``count`` pieces that differ (``template`` formatted with i): compresses as real
    data does, not a thousand times."""
    def write(out) -> None:
        out.write(head)
        for start in range(0, count, 10_000):
            out.write("".join(template.format(i=i) for i in range(start, min(count, start + 10_000))).encode())
        out.write(tail)
    return write


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _import_limited(book: Path, content: Path, *extra: str):
    """``site-builder import`` of ``book`` into ``content`` under the bounds (10 s, 500 MB): it
    must end in exit 1 with nothing in ``content`` changed."""
    from limits import run_limited

    before = _tree(content)
    result = run_limited(["import", book, "--into", content, *FENYANG, "--force", *extra], seconds=10, megabytes=500)
    assert not result.timed_out, f"still running after 10 s: {result.output[-2000:]}"
    assert result.returncode == 1, result.output[-2000:]
    assert "Traceback" not in result.output
    assert result.seconds < 10 and result.peak_mb < 500, (result.seconds, result.peak_mb)
    assert _tree(content) == before
    print(f"{book.name}: {result.seconds:.2f} s, {result.peak_mb:.0f} MB: {result.output.strip()}")
    return result


_BILLION_LAUGHS = (b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
                   + b"".join(f'<!ENTITY lol{n} "{("&lol" + (str(n - 1) if n > 2 else "") + ";") * 10}">'.encode()
                              for n in range(2, 10))
                   + f']>\n<sst xmlns="{_MAIN}" count="1" uniqueCount="1"><si><t>&lol9;</t></si></sst>'.encode())
_SHEET_HEAD, _SHEET_TAIL = _sheet(rows="").split(b"</sheetData>")[0], b"</sheetData></worksheet>"

HOSTILE = {
    # a part of 100 MB of zeros (an image no reader looks at), 0.1 MB in the zip
    "zip-bomb": (lambda p: _xlsx(p, parts={"xl/media/image1.png": _repeat(b"\0", 100 * 1024 * 1024)}),
                 "工作簿中的“xl/media/image1.png”解压后过大（100.0 MB，上限为 64.0 MB）"),
    # 30 MB of one shared string repeated: the shape of the 1.5 MB file that took 1.6 GB
    "compression-ratio": (lambda p: _xlsx(p, parts={"xl/sharedStrings.xml": _repeat(
        b"<si><t>x</t></si>", 2_000_000, f'<sst xmlns="{_MAIN}">'.encode(), b"</sst>")}), "压缩比异常"),
    # 60,000 different shared strings, compressed as text is (9 MB)
    "shared-strings": (lambda p: _xlsx(p, parts={"xl/sharedStrings.xml": _numbered(
        "<si><t>{i}</t></si>", 60_000, f'<sst xmlns="{_MAIN}">'.encode(), b"</sst>")}),
                       "xl/sharedStrings.xml：工作簿中的文字（共享字符串）过多（超过 50,000 条）"),
    "billion-laughs": (lambda p: _xlsx(p, parts={"xl/sharedStrings.xml": _BILLION_LAUGHS}),
                       "工作簿中的“xl/sharedStrings.xml”含有文档类型声明（DTD）"),
    # 100,000 rows of one cell (the 6 million rows that took over 150 s, in small)
    "many-rows": (lambda p: _xlsx(p, {"公开03表": _numbered('<row r="{i}"><c r="A{i}"><v>{i}</v></c></row>', 100_000,
                                                            _SHEET_HEAD, _SHEET_TAIL)}), "公开03表：工作表超过 20,000 行"),
    # one row numbered 1,048,576: the reader would give a million empty rows before it
    "last-row": (lambda p: _xlsx(p, {"公开03表": _sheet('<row r="1048576"><c r="A1048576"><v>1</v></c></row>')}),
                 "公开03表!A20001：工作表超过 20,000 行"),
    # a cell in the last column Excel has (XFD): 16,384 columns
    "last-column": (lambda p: _xlsx(p, {"公开03表": _sheet('<row r="1"><c r="A1"><v>1</v></c><c r="XFD1"><v>2</v></c></row>')}),
                    "公开03表!XFD1：工作表超过 256 列"),
    # 15,000 rows of 21 styled blank cells: 315,000 cells as read
    "many-cells": (lambda p: _xlsx(p, {"公开03表": _numbered(
        '<row r="{i}">' + "".join(f'<c r="{c}{{i}}" s="0"/>' for c in "ABCDEFGHIJKLMNOPQRSTU") + "</row>", 15_000,
        _SHEET_HEAD, _SHEET_TAIL)}), "工作簿中的单元格过多（超过 300,000 个）"),
    # one row of 10,000 cells: read as one element
    "wide-row": (lambda p: _xlsx(p, {"公开03表": _sheet('<row r="1">' + "".join(
        f'<c r="A1" t="inlineStr"><is><t>{i}</t></is></c>' for i in range(10_000)) + "</row>")}),
                 "公开03表：第 1 个行元素中的内容过多（超过 4,096 个 XML 标记）"),
    # a merged range over the whole sheet: every cell of it would be filled in
    "merge-everything": (lambda p: _xlsx(p, {"公开03表": _sheet(after='<mergeCells count="1"><mergeCell ref="A1:XFD1048576"/></mergeCells>')}),
                         "公开03表!A1:XFD1048576：合并单元格超出了 20,000 行、256 列的范围"),
    "merges-over-limit": (lambda p: _xlsx(p, {"公开03表": _sheet(after='<mergeCells count="2"><mergeCell ref="A1:IV300"/>'
                                                                     '<mergeCell ref="A301:IV600"/></mergeCells>')}),
                          "公开03表!A301:IV600：合并单元格过多（合计超过 100,000 个单元格）"),
    # 50,000 cell formats, held in memory whole (290,000 took 620 MB)
    "styles": (lambda p: _xlsx(p, parts={"xl/styles.xml": _numbered(
        '<xf numFmtId="0" applyAlignment="{i}"/>', 50_000, f'<styleSheet xmlns="{_MAIN}"><cellXfs>'.encode(),
        b"</cellXfs></styleSheet>")}), "工作簿中的样式和设置过多（超过 40,000 个 XML 标记，到“xl/styles.xml”为止）"),
    # 300,000 elements a sheet reader does not know (kept in memory) before the rows
    "junk-elements": (lambda p: _xlsx(p, {"公开03表": _numbered('<junk n="{i}"/>', 300_000, f'<worksheet xmlns="{_MAIN}">'.encode(),
                                                               b'<sheetData><row r="1"/></sheetData></worksheet>')}),
                      "公开03表：表格以外的内容过多（300,004 个 XML 标记，上限为 200,000 个）"),
    # 2,100,000 tags in rows of 26 cells: the time to read them
    "many-tags": (lambda p: _xlsx(p, {f"表{s}": _numbered(
        '<row r="{i}">' + "".join(f'<c r="{c}{{i}}"><v>1</v></c>' for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ") + "</row>",
        10_000, _SHEET_HEAD, _SHEET_TAIL) for s in (1, 2)}),
                  "工作簿的内容过多（超过 1,500,000 个 XML 标记"),
    # 210,000 elements a shared-strings reader does not know (kept in memory) between the strings
    "junk-strings": (lambda p: _xlsx(p, parts={"xl/sharedStrings.xml": _numbered(
        '<j n="{i}"/>', 210_000, f'<sst xmlns="{_MAIN}">'.encode(), b"<si><t>x</t></si></sst>")}),
                     "工作簿中的“xl/sharedStrings.xml”内容过多（文字以外有 210,002 个 XML 标记，上限为 200,000 个）"),
    # one shared string of 10,000 runs: read as one element
    "wide-string": (lambda p: _xlsx(p, parts={"xl/sharedStrings.xml": _numbered(
        "<r><t>{i}</t></r>", 10_000, f'<sst xmlns="{_MAIN}"><si>'.encode(), b"</si></sst>")}),
                    "xl/sharedStrings.xml：第 1 条文字中的内容过多（超过 4,096 个 XML 标记）"),
    # a sheet of 100,000 cells that a relationship also names as an external link: openpyxl would
    # parse it whole, as it parses external links (1.5 million tags took lxml alone 650 MB)
    "sheet-read-whole": (lambda p: _xlsx(p, {"公开03表": _numbered(
        '<row r="{i}">' + "".join(f'<c r="{c}{{i}}"><v>1</v></c>' for c in "ABCDEFGHIJ") + "</row>", 10_000,
        _SHEET_HEAD, _SHEET_TAIL)}, relations=f'<Relationship Id="rIdx" Type="{_REL}/externalLink" '
                                             'Target="worksheets/sheet1.xml"/>'),
                         "工作簿中的样式和设置过多（超过 40,000 个 XML 标记，到“xl/worksheets/sheet1.xml”为止）"),
    "utf-16": (lambda p: _xlsx(p, parts={"xl/styles.xml": f'<?xml version="1.0" encoding="UTF-16"?><styleSheet xmlns="{_MAIN}"/>'
                                         .encode("utf-16")}), "不是 UTF-8 编码的 XML"),
}


@pytest.mark.parametrize("name", HOSTILE)
def test_a_hostile_xlsx_ends_in_a_clear_error_within_bounds(name, tmp_path, content_copy):
    make, message = HOSTILE[name]
    book = make(tmp_path / f"{name}.xlsx")
    result = _import_limited(book, content_copy)
    assert f"{name}.xlsx" in result.output and message in result.output


def test_a_workbook_just_under_every_limit_is_read_within_bounds(tmp_path, content_copy):
    """The most a workbook may hold, nearly all at once (styles, shared strings, 228,000 cells,
    elements around the rows): read in full, then refused for holding no table, within bounds."""
    styles = _numbered('<xf numFmtId="0" applyAlignment="{i}"/>', 39_000,
                       f'<styleSheet xmlns="{_MAIN}"><cellXfs>'.encode(), b"</cellXfs></styleSheet>")
    strings = _numbered("<si><t>文字{i}</t></si>", 49_000, f'<sst xmlns="{_MAIN}">'.encode(), b"</sst>")
    cells = _numbered('<row r="{i}">' + "".join(f'<c r="{c}{{i}}" t="s"><v>{{i}}</v></c>' for c in "ABCDEFGHIJKLMNOPQRS")
                      + "</row>", 12_000, _SHEET_HEAD, _SHEET_TAIL)
    junk = _numbered('<junk n="{i}"/>', 199_000, f'<worksheet xmlns="{_MAIN}">'.encode(),
                     b'<sheetData><row r="1"/></sheetData></worksheet>')
    book = _xlsx(tmp_path / "just-under.xlsx", {"数据": cells, "其他": junk},
                 parts={"xl/styles.xml": styles, "xl/sharedStrings.xml": strings})
    result = _import_limited(book, content_copy)
    assert "工作簿中没有找到部门决算公开（十张表）的任何一张表" in result.output


def _raw_zip(path: Path, count: int) -> Path:
    """A zip of ``count`` empty files, written directly (zipfile takes seconds for 100,000), with
    zip64 end records when there are more than 65,535."""
    import struct

    local, central = bytearray(), bytearray()
    for index in range(count):
        name = f"{index:x}".encode()
        central += struct.pack("<4s6H3I5HII", b"PK\x01\x02", 20, 20, 0, 0, 0, 0, 0, 0, 0, len(name), 0, 0, 0, 0, 0,
                               len(local)) + name
        local += struct.pack("<4s5H3I2H", b"PK\x03\x04", 20, 0, 0, 0, 0, 0, 0, 0, len(name), 0) + name
    start = len(local)
    end64 = start + len(central)
    tail = struct.pack("<4sQ2H2I4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, count, count, len(central), start)
    tail += struct.pack("<4sIQI", b"PK\x06\x07", 0, end64, 1)
    tail += struct.pack("<4s4H2IH", b"PK\x05\x06", 0, 0, min(count, 0xFFFF), min(count, 0xFFFF), 0xFFFFFFFF,
                        0xFFFFFFFF, 0)
    path.write_bytes(bytes(local + central + tail))
    return path


def test_a_zip_of_many_files_is_refused_before_its_list_is_read(tmp_path, content_copy):
    """100,000 files (the list alone: 6 MB; 640,000 took zipfile 8.6 s and 340 MB to read)."""
    book = _raw_zip(tmp_path / "many-files.xlsx", 100_000)
    result = _import_limited(book, content_copy)
    assert "工作簿中的部件过多（100,000 个" in result.output and "上限为 1,000 个" in result.output
    assert result.seconds < 3


def test_a_workbook_of_1001_parts_is_refused(tmp_path, content_copy):
    extra = {f"xl/media/image{i}.png": b"\x89PNG" for i in range(1_001)}
    result = _import_limited(_xlsx(tmp_path / "parts.xlsx", parts=extra), content_copy)
    assert "工作簿中的部件过多" in result.output


def test_a_part_larger_than_it_says_is_read_no_further(tmp_path, content_copy):
    """A zip whose list says 1,000 bytes for a part of 200 MB of zeros: zipfile stops at the size
    the list gives, the checksum fails, the import says the file is damaged."""
    import struct

    book = _xlsx(tmp_path / "liar.xlsx")
    with zipfile.ZipFile(book, "a", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        with archive.open("xl/media/image1.png", "w") as out:               # sizes without zip64 fields
            _repeat(b"\0", 200 * 1024 * 1024)(out)
        info = archive.getinfo("xl/media/image1.png")
    data = bytearray(book.read_bytes())
    struct.pack_into("<I", data, info.header_offset + 22, 1000)               # the local header's size
    central = data.rindex(b"xl/media/image1.png") - 46                        # and the list's
    assert data[central:central + 4] == b"PK\x01\x02"
    struct.pack_into("<I", data, central + 24, 1000)
    book.write_bytes(bytes(data))
    result = _import_limited(book, content_copy)
    assert "无法读取这个工作簿" in result.output and "CRC" in result.output


def test_the_unpacked_size_of_all_parts_is_limited(tmp_path):
    """Five parts of 60 MB each (under the limit of one part, over that of all): the check reads
    the sizes from the zip's list, so the list is enough to test it."""
    from site_builder.importer import WorkbookError, _check_zip

    class Listed:
        def infolist(self):
            parts = []
            for index in range(5):
                info = zipfile.ZipInfo(f"xl/media/image{index}.png")
                info.file_size, info.compress_size = 60 * 1024 * 1024, 50 * 1024 * 1024
                parts.append(info)
            return parts

    with pytest.raises(WorkbookError, match=r"工作簿解压后过大（合计 300.0 MB，上限为 256.0 MB）"):
        _check_zip(tmp_path / "five.xlsx", Listed())


def test_openpyxl_itself_does_not_expand_entities():
    """Behind the refusal of any DTD, the readers openpyxl uses refuse a billion laughs too:
    expat (the shared strings, the sheets) and lxml (the other parts) stop at their
    amplification limits at once, expanding nothing."""
    import time

    from openpyxl.reader.strings import read_string_table
    from openpyxl.xml.functions import fromstring

    start = time.monotonic()
    with pytest.raises(Exception, match="amplification"):
        read_string_table(io.BytesIO(_BILLION_LAUGHS))
    with pytest.raises(Exception, match="amplification"):
        fromstring(_BILLION_LAUGHS)
    assert time.monotonic() - start < 2


# -- import: formulas ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def fenyang():
    from conftest import EXAMPLE
    from site_builder.content import load_portal

    return next(d for d in load_portal(EXAMPLE).documents if d.department.slug == "fenyang-ybj")


def _cell_of(doc, sheet: str, value: float) -> str:
    """Where the portal's own workbook of ``doc`` holds ``value`` on ``sheet`` (A1)."""
    from site_builder.workbook import document_workbook

    ws = openpyxl.load_workbook(io.BytesIO(document_workbook(doc)))[sheet]
    return next(c.coordinate for row in ws.iter_rows() for c in row if c.value == value)


def _with_formula(doc, path: Path, sheet: str, cell: str, formula: str, result=None) -> Path:
    """The portal's workbook of ``doc`` as xlsxwriter writes it, ``cell`` a formula with the
    saved ``result`` (xlsxwriter saves 0 when given none, and asks Excel to recalculate)."""
    import xlsxwriter

    from site_builder.workbook import lay_out

    book = xlsxwriter.Workbook(str(path))
    lay_out(doc, book)
    book.get_worksheet_by_name(sheet).write_formula(cell, formula, None, result)
    book.close()
    return path


def _as_excel_saves(path: Path) -> Path:
    """The workbook without fullCalcOnLoad, as Excel saves one after calculating it."""
    with zipfile.ZipFile(path) as archive:
        parts = {info: archive.read(info) for info in archive.infolist()}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, data in parts.items():
            if info.filename == "xl/workbook.xml":
                assert b' fullCalcOnLoad="1"' in data
                data = data.replace(b' fullCalcOnLoad="1"', b"")
            archive.writestr(info, data)
    return path


def _import(book: Path, content: Path, *extra: str) -> tuple[int, str]:
    return _run("import", book, "--into", content, *FENYANG, *extra)


def test_a_formula_without_a_saved_result_is_refused(fenyang, tmp_path, content_copy):
    """openpyxl writes a formula with no result (it does not calculate): the value would be blank."""
    from site_builder.workbook import document_workbook

    cell = _cell_of(fenyang, "公开05表", 82.46)
    wb = openpyxl.load_workbook(io.BytesIO(document_workbook(fenyang)))
    wb["公开05表"][cell] = f"=SUM({cell}:{cell})"
    book = tmp_path / "uncalculated.xlsx"
    wb.save(book)
    before = _tree(content_copy)
    code, output = _import(book, content_copy, "--force")
    assert code == 1
    assert f"uncalculated.xlsx: 公开05表!{cell}：公式没有计算结果" in output
    assert "请在 Excel 中打开并保存后再导入" in output
    assert _tree(content_copy) == before


def test_a_formula_the_saving_program_did_not_calculate_is_refused(fenyang, tmp_path, content_copy):
    """xlsxwriter saves 0 as the result of a formula it was given no result for, and asks Excel
    to calculate on opening: 0 would be imported as the amount."""
    cell = _cell_of(fenyang, "公开05表", 82.46)
    book = _with_formula(fenyang, tmp_path / "zero.xlsx", "公开05表", cell, f"=SUM({cell}:{cell})")
    before = _tree(content_copy)
    code, output = _import(book, content_copy, "--force")
    assert code == 1
    assert f"zero.xlsx: 公开05表!{cell}：公式的结果不是 Excel 算出的" in output
    assert _tree(content_copy) == before


def test_a_formula_imports_the_result_excel_saved_and_says_so(fenyang, tmp_path, content_copy):
    cell = _cell_of(fenyang, "公开05表", 82.46)
    book = _as_excel_saves(_with_formula(fenyang, tmp_path / "saved.xlsx", "公开05表", cell, "=80+2.46", 82.46))
    table = content_copy / "departments/fenyang-ybj/2024/final-accounts/tables/05.csv"
    expected = table.read_bytes()
    code, output = _import(book, content_copy, "--force")
    assert code == 0, output
    assert "工作簿中有 1 个单元格是公式（“公开05表”1 个）：导入的是 Excel 保存时算出的数值，不是公式" in output
    assert table.read_bytes() == expected             # 82.46, as before; not "=80+2.46"


def test_text_that_looks_like_a_formula_is_imported_as_text(tmp_path):
    """A text cell “=HYPERLINK(…)” (typed with an apostrophe in Excel) is imported as the text it
    is, into the content CSV; the CSV download then neutralises it."""
    import shutil

    from conftest import EXAMPLE
    from site_builder.content import load_portal
    from site_builder.workbook import document_workbook

    content = tmp_path / "content"
    shutil.copytree(EXAMPLE, content)
    doc = next(d for d in load_portal(content).documents if d.department.slug == "gaoyi-ybj")
    wb = openpyxl.load_workbook(io.BytesIO(document_workbook(doc)))
    ws = next(ws for ws in wb.worksheets if any(c.value == "已完成" for row in ws.iter_rows() for c in row))
    target = next(c for row in ws.iter_rows() for c in row if c.value == "已完成")
    target.value = '=HYPERLINK("http://x","y")'
    assert target.data_type == "f"
    target.data_type = "s"                            # a string cell, as Excel saves '=… typed as text
    book = tmp_path / "text.xlsx"
    wb.save(book)
    with zipfile.ZipFile(book) as archive:             # a string cell indeed: no <f> anywhere
        assert not any(b"<f>" in archive.read(n) for n in archive.namelist() if n.startswith("xl/worksheets/"))
    code, output = _run("import", book, "--into", content, "--department", "gaoyi-ybj", "--year", "2021",
                        "--kind", "performance", "--force")
    assert code == 0, output
    assert "公式" not in output
    assert '"=HYPERLINK(""http://x"",""y"")"' in (content / GAOYI / "tables/03.csv").read_text(encoding="utf-8")
    code, output = _run("build", content, "--out", tmp_path / "out", "--no-search", "-q")
    assert code == 0, output
    rows = _rows(tmp_path / "out" / GAOYI_OUT / "tables/03.csv")
    assert '\'=HYPERLINK("http://x","y")' in [row[-1] for row in rows]


# -- import: .xls --------------------------------------------------------------------------
# The committed .xls (tests/fixtures/make_xls.py) changed in place: its Workbook stream is one
# run of the file, so a record is changed where it lies, the length of everything unchanged.

XLS = Path(__file__).parent / "fixtures" / "fenyang-2024-final-accounts.xls"


def _xls_records(data: bytes):
    """(file offset, type, length) of every record of the Workbook stream, with the number of the
    substream it is in (0: the workbook's globals, 1…: the sheets in order)."""
    import struct

    from xlrd import compdoc

    mem, base, length = compdoc.CompDoc(data, logfile=io.StringIO()).locate_named_stream("Workbook")
    assert mem is data, "the stream is no longer one run of the file"
    position, substream = base, -1
    while position < base + length:
        kind, size = struct.unpack_from("<HH", data, position)
        if kind == 0x0809:
            substream += 1
        yield position, kind, size, substream
        position += 4 + size


def _patched_xls(path: Path, change) -> Path:
    """The fixture with ``change(data, records)`` applied to its bytes (a bytearray)."""
    data = bytearray(XLS.read_bytes())
    change(data, list(_xls_records(bytes(data))))
    path.write_bytes(bytes(data))
    return path


def _formula_over_mulrk(result: bytes):
    """公开05表's first run of three amounts (MULRK, 24 bytes) becomes one formula cell (FORMULA,
    24 bytes: =TRUE) whose saved result is ``result``."""
    import struct

    def change(data: bytearray, records) -> None:
        at = next(p for p, kind, size, sheet in records if sheet == 5 and kind == 0x00BD and size == 24)
        row, column, xf = struct.unpack_from("<3H", data, at + 4)
        data[at:at + 28] = struct.pack("<HH3H8sHIH2s", 0x0006, 24, row, column, xf, result, 0, 0, 2, b"\x1d\x01")
    return change


def test_an_xls_formula_imports_its_saved_result_and_says_so(fenyang, tmp_path):
    import struct

    from site_builder.importer import read_document_workbook

    book = _patched_xls(tmp_path / "formula.xls", _formula_over_mulrk(struct.pack("<d", 2262.43)))
    imported = read_document_workbook(book, fenyang.profile, 2024)
    assert "工作簿中有 1 个单元格是公式（“Sheet5”1 个）：导入的是 Excel 保存时算出的数值，不是公式" in imported.notices
    csv_text = next(t for t in imported.tables if t.spec.id == "05").csv
    assert ",合计,2262.43,," in csv_text


def test_an_xls_formula_saved_without_a_result_is_reported(fenyang, tmp_path):
    """xlwt saves every formula with an empty text as its result: imported blank, and said so
    (an .xls says nothing else of it: Excel's own =IF(…,"",…) saves the same)."""
    from site_builder.importer import read_document_workbook

    book = _patched_xls(tmp_path / "empty.xls", _formula_over_mulrk(b"\x03\0\0\0\0\0\xff\xff"))
    imported = read_document_workbook(book, fenyang.profile, 2024)
    assert any(n.startswith("其中 1 个公式保存的结果是空白，已按空白导入；如果它们应有数值，请在 Excel 中打开并保存后再导入")
               for n in imported.notices)


def _cell_at(row: int, column: int):
    """The first RK cell of 公开05表 moved to ``row``, ``column`` (0-based)."""
    import struct

    def change(data: bytearray, records) -> None:
        at = next(p for p, kind, size, sheet in records if sheet == 5 and kind == 0x027E)
        struct.pack_into("<HH", data, at + 4, row, column)
    return change


def _merged_to(row: int):
    import struct

    def change(data: bytearray, records) -> None:
        at = next(p for p, kind, size, sheet in records if sheet == 1 and kind == 0x00E5)
        struct.pack_into("<H", data, at + 4 + 2 + 2, row)           # the first range's last row
    return change


def _strings(count: int):
    import struct

    def change(data: bytearray, records) -> None:
        at = next(p for p, kind, size, sheet in records if sheet == 0 and kind == 0x00FC)
        struct.pack_into("<I", data, at + 4 + 4, count)             # the number of different strings
    return change


HOSTILE_XLS = {
    # xlrd makes every row as long as the longest and the sheet as long as its last row: one
    # cell at row 65,536, column 256 would be 16.7 million cells
    "last-cell": (_cell_at(65_535, 255), "Sheet5!IV65536：工作表超过 20,000 行"),
    "last-column": (_cell_at(10, 300), "Sheet5!KO11：工作表超过 256 列"),
    "merge": (_merged_to(65_535), "合并单元格超出了 20,000 行、256 列的范围"),
    "strings": (_strings(10_000_000), "工作簿中的文字（共享字符串）过多（超过 50,000 条）"),
}


@pytest.mark.parametrize("name", HOSTILE_XLS)
def test_a_hostile_xls_ends_in_a_clear_error_within_bounds(name, tmp_path, content_copy):
    change, message = HOSTILE_XLS[name]
    result = _import_limited(_patched_xls(tmp_path / f"{name}.xls", change), content_copy)
    assert f"{name}.xls" in result.output and message in result.output


def test_an_xls_too_large_or_no_xls_at_all(tmp_path, content_copy):
    big = tmp_path / "big.xls"
    with big.open("wb") as handle:                    # sparse: 60 MB without writing them
        handle.truncate(60 * 1024 * 1024)
    result = _import_limited(big, content_copy)
    assert "工作簿过大（60.0 MB，上限为 50.0 MB）" in result.output
    page = tmp_path / "page.xls"                      # a web page saved as .xls, as finance systems do
    page.write_text("<html><table><tr><td>公开03表</td></tr></table></html>", encoding="utf-8")
    result = _import_limited(page, content_copy)
    assert "无法读取这个工作簿：文件不是 Excel 97–2003 格式" in result.output


@pytest.mark.parametrize("limit, value, message", [
    ("MAX_RECORDS", 1_000, "工作簿中的记录过多（超过 1,000 条）"),
    ("MAX_CELLS", 500, "：工作簿中的单元格过多（超过 500 个）"),
    ("MAX_MERGED", 10, "：合并单元格过多（合计超过 10 个单元格）"),
])
def test_the_xls_limits_that_take_a_large_file_to_reach(limit, value, message, monkeypatch, fenyang):
    """Reached here with the limit lowered, to keep the test small: the same code refuses a
    workbook over the real limit."""
    from site_builder import importer

    monkeypatch.setattr(importer, limit, value)
    with pytest.raises(importer.WorkbookError, match=message):
        importer.read_document_workbook(XLS, fenyang.profile, 2024)


# -- writing into the content folder -------------------------------------------------------

F_FOLDER = "departments/fenyang-ybj/2024/final-accounts"


def _link(path: Path, target: Path) -> None:
    """``path`` (a folder of the content) becomes a link to ``target``, a folder outside it."""
    import shutil

    if path.is_dir():
        shutil.rmtree(path)
    target.mkdir(parents=True, exist_ok=True)
    path.symlink_to(target, target_is_directory=True)


@pytest.mark.parametrize("linked", ["tables", "document", "department"])
def test_import_writes_nothing_through_a_link_out_of_the_content_folder(linked, fenyang, tmp_path, content_copy):
    """``import --force`` through a tables/ folder (or the document's, or the department's) that
    is a link to a folder outside the content: refused before anything is written, there or in
    the content folder."""
    from site_builder.workbook import document_workbook

    book = tmp_path / "book.xlsx"
    book.write_bytes(document_workbook(fenyang))
    outside = tmp_path / "outside"
    folder = {"tables": f"{F_FOLDER}/tables", "document": F_FOLDER, "department": "departments/fenyang-ybj"}[linked]
    _link(content_copy / folder, outside)
    before = _tree(content_copy)
    code, output = _import(book, content_copy, "--force")
    assert code == 1, output
    assert f"“{Path(folder).name}”是指向内容文件夹之外的链接" in output
    assert not any(outside.rglob("*")), sorted(outside.rglob("*"))
    assert _tree(content_copy) == before
    code, output = _import(book, content_copy, "--force", "--dry-run")     # said before a dry run too
    assert code == 1 and "是指向内容文件夹之外的链接" in output


def test_add_writes_nothing_through_a_link_out_of_the_content_folder(tmp_path, content_copy):
    outside = tmp_path / "outside"
    _link(content_copy / "departments/new-dept", outside)
    code, output = _run("add", "new-dept", "2024", "final-accounts", "--into", content_copy)
    assert code == 1, output
    assert "“new-dept”是指向内容文件夹之外的链接" in output
    assert not any(outside.rglob("*"))


LAUGHS = "x: &a [l, l, l, l, l, l, l, l, l, l]\n" + "".join(
    f"{b}: &{b} [{', '.join(['*' + a] * 10)}]\n" for a, b in zip("abcdefgh", "bcdefghi", strict=True))


@pytest.mark.parametrize("head, profile, expected", [
    # a list of aliases of aliases (small in memory, a billion items as text): refused as the file
    # is read, before any value is built (it took over 20 s and all the memory it was given)
    (LAUGHS, "*i", "document.yaml:5:20: 展开别名“*d”后文字超过 50,000 个字符"),
    ("", "[final-accounts-10, final-accounts-9]", "“profile”应为表格方案的名称（文本）"),
    ("", "{name: final-accounts-10}", "“profile”应为表格方案的名称（文本）"),
], ids=["billion laughs", "a list", "a mapping"])
def test_a_document_yaml_naming_no_profile_is_refused_not_guessed(fenyang, tmp_path, content_copy, head, profile,
                                                                   expected):
    """import reads the existing document's profile: a value that is no text is an error at its
    line, never turned into text to guess a name from."""
    from site_builder.workbook import document_workbook

    document = content_copy / F_FOLDER / "document.yaml"
    text = document.read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if not line.startswith("profile:")]
    document.write_text(head + "\n".join(lines) + f"\nprofile: {profile}\n", encoding="utf-8")
    book = tmp_path / "book.xlsx"
    book.write_bytes(document_workbook(fenyang))
    result = _import_limited(book, content_copy)
    assert "document.yaml:" in result.output and expected in result.output, result.output


def test_the_calculation_chain_of_many_formulas_is_no_setting(fenyang, tmp_path, content_copy):
    """xl/calcChain.xml lists every formula cell (the order Excel calculates them in); openpyxl
    does not read it, so 100,000 entries in it do not count against the settings read whole."""
    from site_builder.workbook import document_workbook

    book = tmp_path / "chain.xlsx"
    book.write_bytes(document_workbook(fenyang))
    with zipfile.ZipFile(book) as archive:
        parts = {info.filename: archive.read(info) for info in archive.infolist()}
    parts["xl/calcChain.xml"] = (f'<calcChain xmlns="{_MAIN}">'
                                 + "".join(f'<c r="A{i}" i="1"/>' for i in range(1, 100_001)) + "</calcChain>").encode()
    parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(
        b"</Relationships>", f'<Relationship Id="rIdc" Type="{_REL}/calcChain" Target="calcChain.xml"/>'
                              "</Relationships>".encode())
    with zipfile.ZipFile(book, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    code, output = _import(book, content_copy, "--force")
    assert code == 0, output


@pytest.mark.parametrize("saved, expected", [
    (b"1.5E999", "!C7：“收入/金额”列：“inf”不是具体的数字"),
    (b"-1.5E999", "!C7：“收入/金额”列：“-inf”不是具体的数字"),
    (b"1E+300", "!C7：“收入/金额”列：“10000000000000000000…（共 301 个字符）”过大"),
    (b"1234567890123456", "!C7：“收入/金额”列：“1234567890123456”过大"),
    (b"NaN", "无法读取这个工作簿"),      # (openpyxl's own reading refuses it: the file is damaged)
], ids=["infinite", "minus infinite", "1E+300", "16 digits", "NaN"])
def test_a_number_no_amount_in_an_amount_cell_is_a_clear_error(fenyang, tmp_path, content_copy, saved, expected):
    """A numeric cell whose saved value is infinite (1.5E999 overflows a float), not a number,
    or beyond the bounds of an amount (docs/templates.md, "Bounded work"): an error naming the
    sheet and cell (1.5E999 was an OverflowError traceback)."""
    from site_builder.workbook import document_workbook

    source = zipfile.ZipFile(io.BytesIO(document_workbook(fenyang)))
    book = tmp_path / "book.xlsx"
    with zipfile.ZipFile(book, "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b'<c r="C7" s="8"><v>2262.43</v>', b'<c r="C7" s="8"><v>' + saved + b"</v>", 1)
            out.writestr(info, data)
    result = _import_limited(book, content_copy)
    assert expected in result.output, result.output
