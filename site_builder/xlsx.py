"""A small XLSX (SpreadsheetML) writer for the workbook download: the few calls of xlsxwriter's
API that ``workbook`` makes, writing the same bytes xlsxwriter writes for them.

Why not xlsxwriter itself: its time on a disclosure's ten sheets (most of it in generic cell
bookkeeping and XML writing) alone made the downloads cost more than issue 9's budget of 30 %
of a full build. This module does the same job in a fraction of the time (measured:
docs/performance.md#xlsx-writer) because it only knows what our sheets use: shared strings,
numbers, blanks, merged ranges, a handful of cell formats (font, bold, border, alignment,
wrap, number format), row heights, column widths, frozen header rows, print titles and an A4
landscape page one page wide.

Compatibility is inherited rather than claimed: every part of the package (content types,
relationships, workbook, sheets, shared strings, styles, theme, document properties) is written
as xlsxwriter 3.3 writes it, in the same order, zipped the same way, so the workbook is
byte-for-byte the one xlsxwriter makes from the same calls. tests/test_xlsx.py drives both
writers with the build's layout code over every example disclosure and synthetic ones of
every profile and compares the files byte for byte (xlsxwriter is a test dependency for that
reason). Anything outside that subset is refused (an AssertionError), not approximated.

The theme part (data/xlsx-theme1.xml) is xlsxwriter's default Office theme, unchanged
(xlsxwriter is BSD-licensed).
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime
from importlib import resources
from typing import Any

HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PACKAGE_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_TYPE = "application/vnd.openxmlformats-officedocument."
_THEME = resources.files("site_builder").joinpath("data/xlsx-theme1.xml").read_text(encoding="utf-8")
MAX_STRING = 32767                      # Excel's limit on a cell's text, in UTF-16 units
_COLUMNS = [chr(65 + i) for i in range(26)] + [chr(65 + i) + chr(65 + j) for i in range(26) for j in range(26)]
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f]")
_CONTROL_ESCAPE = re.compile(r"(_x[0-9a-fA-F]{4}_)")
_EDGE_SPACE = re.compile(r"^\s|\s$")
_PROPERTIES = {"bold", "align", "valign", "font_name", "font_size", "border", "text_wrap", "num_format"}


def _text(value: str) -> str:
    """Character data, escaped as xlsxwriter escapes it (quotes are left as they are)."""
    if "&" in value or "<" in value or ">" in value:
        value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return value


def _attribute(value: str) -> str:
    return value.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;") \
        .replace(">", "&gt;").replace("\n", "&#xA;")


def _cell_text(value: str) -> str:
    """A shared string's text: control characters as Excel's _xHHHH_ escapes (and a literal
    _xHHHH_ with its underscore escaped), then XML-escaped."""
    if "_x" in value:
        value = _CONTROL_ESCAPE.sub(r"_x005F\1", value)
    if _CONTROL.search(value):
        value = _CONTROL.sub(lambda m: f"_x{ord(m.group(0)):04X}_", value)
    return _text(value.replace("\ufffe", "_xFFFE_").replace("\uffff", "_xFFFF_"))


def _truncate(text: str) -> tuple[str, int]:
    """Excel's limit counts UTF-16 units (a character beyond U+FFFF is two): a longer text is
    cut there, as xlsxwriter cuts it, and the call returns -2 as xlsxwriter's does."""
    length = 0
    for index, char in enumerate(text):
        length += 2 if ord(char) > 0xFFFF else 1
        if length > MAX_STRING:
            return text[:index], -2
    return text, 0


def _number(value: float) -> str:
    return f"{value:.16G}"


class Format:
    """A cell format. Like xlsxwriter's, it is given its style index (xf) when a cell first
    uses it, so the styles part lists formats in the order the sheets use them."""

    def __init__(self, book: Workbook, properties: dict[str, Any]):
        unknown = set(properties) - _PROPERTIES
        assert not unknown, f"xlsx.Format does not support {sorted(unknown)}"
        self.book = book
        self.bold = bool(properties.get("bold"))
        self._bold_key = str(properties.get("bold", 0))   # xlsxwriter tells bold=False from no bold
        self.align = properties.get("align")
        self.valign = properties.get("valign")
        self.font_name = properties.get("font_name", "Calibri")
        self.font_size = properties.get("font_size", 11)
        self.border = properties.get("border", 0)
        self.text_wrap = bool(properties.get("text_wrap"))
        self.num_format = properties.get("num_format", 0)
        assert self.align in (None, "center", "right", "left") and self.valign in (None, "vcenter")
        assert self.border in (0, 1)
        self._s = ""                     # ' s="N"' once the format has its xf index

    def style(self) -> str:
        """The cell attribute that refers to this format's xf index (assigned at first use)."""
        if not self._s:
            book = self.book
            book.xf_formats.append(self)
            self._s = f' s="{len(book.xf_formats) - 1}"'
        return self._s

    def font_key(self) -> tuple:
        return (self._bold_key, self.font_name, self.font_size)


class Worksheet:
    def __init__(self, book: Workbook, name: str, index: int):
        self.book, self.name, self.index = book, name, index
        self.rows: dict[int, dict[int, str]] = {}      # row → column → the cell's XML
        self.merges: list[tuple[int, int, int, int]] = []
        self.merged: set[tuple[int, int]] = set()
        self.heights: dict[int, int] = {}             # row → height in pixels
        self.widths: dict[int, int] = {}              # column → width in pixels
        self.print_rows: tuple[int, int] | None = None
        self.frozen = 0
        self.landscape = False
        self.paper = 0
        self.fit: tuple[int, int] | None = None

    def _put(self, row: int, column: int, xml: str) -> None:
        cells = self.rows.get(row)
        if cells is None:
            cells = self.rows[row] = {}
        cells[column] = xml

    def write_string(self, row: int, column: int, text: str, fmt: Format | None = None) -> int:
        status = 0                                        # (an empty text is an empty string cell)
        if len(text) > MAX_STRING // 2:
            text, status = _truncate(text)
        style = fmt.style() if fmt is not None else ""
        self._put(row, column, f'<c r="{_COLUMNS[column]}{row + 1}"{style} t="s"><v>{self.book.string(text)}</v></c>')
        return status

    def write_number(self, row: int, column: int, number: float, fmt: Format | None = None) -> int:
        style = fmt.style() if fmt is not None else ""
        self._put(row, column, f'<c r="{_COLUMNS[column]}{row + 1}"{style}><v>{_number(number)}</v></c>')
        return 0

    def write_blank(self, row: int, column: int, _blank: Any, fmt: Format | None = None) -> int:
        if fmt is not None:                               # a blank without a format is no cell
            self._put(row, column, f'<c r="{_COLUMNS[column]}{row + 1}"{fmt.style()}/>')
        return 0

    def merge_range(self, first_row: int, first_column: int, last_row: int, last_column: int,
                    data: str | None, fmt: Format) -> int:
        assert (first_row, first_column) != (last_row, last_column), "a merged range of one cell"
        assert first_row <= last_row and first_column <= last_column
        merged = self.merged
        for row in range(first_row, last_row + 1):
            for column in range(first_column, last_column + 1):
                assert (row, column) not in merged, "merged ranges overlap"
                merged.add((row, column))
        self.merges.append((first_row, first_column, last_row, last_column))
        if data is None or data == "":
            self.write_blank(first_row, first_column, None, fmt)
        else:
            self.write_string(first_row, first_column, data, fmt)
        style = fmt.style()
        for row in range(first_row, last_row + 1):
            for column in range(first_column, last_column + 1):
                if row != first_row or column != first_column:
                    self._put(row, column, f'<c r="{_COLUMNS[column]}{row + 1}"{style}/>')
        return 0

    def set_row(self, row: int, height: float) -> None:
        self.heights[row] = int(height * 4.0 / 3.0 + 0.5)             # whole pixels, as Excel stores it

    def set_column(self, first: int, last: int, width: float) -> None:
        pixels = int(width * 12 + 0.5) if width < 1 else int(width * 7 + 0.5) + 5
        for column in range(first, last + 1):
            self.widths[column] = pixels

    def repeat_rows(self, first: int, last: int) -> None:
        self.print_rows = (first, last)

    def freeze_panes(self, row: int, column: int) -> None:
        assert column == 0 and row > 0, "only frozen header rows are supported"
        self.frozen = row

    def set_landscape(self) -> None:
        self.landscape = True

    def set_paper(self, paper: int) -> None:
        self.paper = paper

    def fit_to_pages(self, wide: int, tall: int) -> None:
        self.fit = (wide, tall)

    # -- the sheet part -----------------------------------------------------------------------

    def xml(self, selected: bool) -> str:
        rows = self.rows
        assert set(self.heights) <= set(rows), "a row height on a row without cells"
        out = [HEAD, f'<worksheet xmlns="{_MAIN}" xmlns:r="{_REL}">']
        if self.fit:
            out.append('<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>')
        if rows:
            first_row, last_row = min(rows), max(rows)
            first_column = min(min(cells) for cells in rows.values())
            last_column = max(max(cells) for cells in rows.values())
            start, end = f"{_COLUMNS[first_column]}{first_row + 1}", f"{_COLUMNS[last_column]}{last_row + 1}"
            out.append(f'<dimension ref="{start}"/>' if start == end else f'<dimension ref="{start}:{end}"/>')
        else:
            out.append('<dimension ref="A1"/>')
        out.append('<sheetViews><sheetView tabSelected="1" workbookViewId="0">' if selected
                   else '<sheetViews><sheetView workbookViewId="0">')
        if self.frozen:
            out.append(f'<pane ySplit="{self.frozen}" topLeftCell="A{self.frozen + 1}" activePane="bottomLeft"'
                       ' state="frozen"/><selection pane="bottomLeft"/></sheetView></sheetViews>')
        else:
            out[-1] = out[-1][:-1] + "/></sheetViews>"
        out.append('<sheetFormatPr defaultRowHeight="15"/>')
        if self.widths:
            out.append("<cols>")
            runs: list[list[int]] = []             # adjacent columns of one width: one <col>
            for column in sorted(self.widths):
                pixels = self.widths[column]
                if runs and runs[-1][1] == column - 1 and runs[-1][2] == pixels:
                    runs[-1][1] = column
                else:
                    runs.append([column, column, pixels])
            for first, last, pixels in runs:
                custom = ' customWidth="1"' if pixels != 64 else ""
                out.append(f'<col min="{first + 1}" max="{last + 1}" width="{(pixels * 256 // 7) / 256.0:.16g}"{custom}/>')
            out.append("</cols>")
        if rows:
            out.append("<sheetData>")
            spans = self._spans()
            heights = self.heights
            for row in sorted(rows):
                cells = rows[row]
                pixels = heights.get(row, 20)
                custom = f' ht="{pixels * 0.75:.16g}" customHeight="1"' if pixels != 20 else ""
                out.append(f'<row r="{row + 1}" spans="{spans[row // 16]}"{custom}>')
                out.extend(cells[column] for column in sorted(cells))
                out.append("</row>")
            out.append("</sheetData>")
        else:
            out.append("<sheetData/>")
        if self.merges:
            out.append(f'<mergeCells count="{len(self.merges)}">')
            out.extend(f'<mergeCell ref="{_COLUMNS[c1]}{r1 + 1}:{_COLUMNS[c2]}{r2 + 1}"/>'
                       for r1, c1, r2, c2 in self.merges)
            out.append("</mergeCells>")
        out.append('<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>')
        setup = (f' paperSize="{self.paper}"' if self.paper else "") \
            + (f' fitToHeight="{self.fit[1]}"' if self.fit and self.fit[1] != 1 else "") \
            + (' orientation="landscape"' if self.landscape else "")
        assert not self.fit or self.fit[0] == 1
        if setup:
            out.append(f"<pageSetup{setup}/>")
        out.append("</worksheet>")
        return "".join(out)

    def _spans(self) -> dict[int, str]:
        """The spans attribute of each block of 16 rows: first:last column used in the block."""
        blocks: dict[int, tuple[int, int]] = {}
        for row, cells in self.rows.items():
            low, high = min(cells), max(cells)
            block = row // 16
            if block in blocks:
                old_low, old_high = blocks[block]
                low, high = min(low, old_low), max(high, old_high)
            blocks[block] = (low, high)
        return {block: f"{low + 1}:{high + 1}" for block, (low, high) in blocks.items()}


class Workbook:
    """A workbook in memory; ``close()`` returns the .xlsx file's bytes."""

    def __init__(self) -> None:
        self.sheets: list[Worksheet] = []
        self.strings: dict[str, int] = {}
        self.string_count = 0
        self.properties: dict[str, Any] = {}
        self.default = Format(self, {})
        self.xf_formats: list[Format] = [self.default]        # xf 0: the default format
        self.default._s = ' s="0"'

    def string(self, text: str) -> int:
        self.string_count += 1
        index = self.strings.get(text)
        if index is None:
            index = self.strings[text] = len(self.strings)
        return index

    def set_properties(self, properties: dict[str, Any]) -> None:
        assert set(properties) <= {"title", "subject", "author", "created"}
        self.properties = properties

    def add_format(self, properties: dict[str, Any]) -> Format:
        return Format(self, properties)

    def add_worksheet(self, name: str) -> Worksheet:
        assert name and len(name) <= 31 and name.lower() not in {s.name.lower() for s in self.sheets}
        sheet = Worksheet(self, name, len(self.sheets))
        self.sheets.append(sheet)
        return sheet

    def close(self) -> bytes:
        sheets = self.sheets
        assert sheets, "a workbook needs a sheet"
        parts = [("[Content_Types].xml", self._content_types()), ("_rels/.rels", _ROOT_RELS),
                 ("xl/_rels/workbook.xml.rels", self._workbook_rels())]
        parts += [(f"xl/worksheets/sheet{i}.xml", sheet.xml(i == 1)) for i, sheet in enumerate(sheets, 1)]
        parts += [("xl/workbook.xml", self._workbook()), ("xl/sharedStrings.xml", self._shared_strings()),
                  ("xl/styles.xml", self._styles()), ("xl/theme/theme1.xml", _THEME),
                  ("docProps/core.xml", self._core()), ("docProps/app.xml", self._app())]
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name, text in parts:
                info = zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, text.encode("utf-8"))
        return out.getvalue()

    # -- the parts ------------------------------------------------------------------------------

    def _content_types(self) -> str:
        overrides = [("/docProps/app.xml", "application/vnd.openxmlformats-officedocument.extended-properties+xml"),
                     ("/docProps/core.xml", "application/vnd.openxmlformats-package.core-properties+xml"),
                     ("/xl/styles.xml", _TYPE + "spreadsheetml.styles+xml"),
                     ("/xl/theme/theme1.xml", _TYPE + "theme+xml"),
                     ("/xl/workbook.xml", _TYPE + "spreadsheetml.sheet.main+xml")]
        overrides += [(f"/xl/worksheets/sheet{i}.xml", _TYPE + "spreadsheetml.worksheet+xml")
                      for i in range(1, len(self.sheets) + 1)]
        overrides.append(("/xl/sharedStrings.xml", _TYPE + "spreadsheetml.sharedStrings+xml"))
        return (f'{HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                '<Default Extension="xml" ContentType="application/xml"/>'
                + "".join(f'<Override PartName="{name}" ContentType="{kind}"/>' for name, kind in overrides)
                + "</Types>")

    def _workbook_rels(self) -> str:
        n = len(self.sheets)
        rels = [(f"{_REL}/worksheet", f"worksheets/sheet{i}.xml") for i in range(1, n + 1)]
        rels += [(f"{_REL}/theme", "theme/theme1.xml"), (f"{_REL}/styles", "styles.xml"),
                 (f"{_REL}/sharedStrings", "sharedStrings.xml")]
        return (f'{HEAD}<Relationships xmlns="{_PACKAGE_REL}">'
                + "".join(f'<Relationship Id="rId{i}" Type="{kind}" Target="{target}"/>'
                          for i, (kind, target) in enumerate(rels, 1))
                + "</Relationships>")

    def _print_titles(self) -> list[tuple[Worksheet, str]]:
        """(sheet, reference) of each sheet's print titles, in xlsxwriter's order (by sheet name)."""
        titles = [(sheet, f"{_quote_sheet(sheet.name)}!${sheet.print_rows[0] + 1}:${sheet.print_rows[1] + 1}")
                  for sheet in self.sheets if sheet.print_rows]
        return sorted(titles, key=lambda item: item[1].lstrip("'").lower())

    def _workbook(self) -> str:
        sheets = "".join(f'<sheet name="{_attribute(s.name)}" sheetId="{i}" r:id="rId{i}"/>'
                         for i, s in enumerate(self.sheets, 1))
        titles = "".join(f'<definedName name="_xlnm.Print_Titles" localSheetId="{sheet.index}">{_text(ref)}</definedName>'
                         for sheet, ref in self._print_titles())
        return (f'{HEAD}<workbook xmlns="{_MAIN}" xmlns:r="{_REL}">'
                '<fileVersion appName="xl" lastEdited="4" lowestEdited="4" rupBuild="4505"/>'
                '<workbookPr defaultThemeVersion="124226"/><bookViews>'
                '<workbookView xWindow="240" yWindow="15" windowWidth="16095" windowHeight="9660"/></bookViews>'
                f"<sheets>{sheets}</sheets>" + (f"<definedNames>{titles}</definedNames>" if titles else "")
                + '<calcPr calcId="124519" fullCalcOnLoad="1"/></workbook>')

    def _shared_strings(self) -> str:
        items = []
        for text in self.strings:
            text = _cell_text(text)
            space = ' xml:space="preserve"' if _EDGE_SPACE.search(text) else ""
            items.append(f"<si><t{space}>{text}</t></si>")
        return (f'{HEAD}<sst xmlns="{_MAIN}" count="{self.string_count}" uniqueCount="{len(self.strings)}">'
                + "".join(items) + "</sst>")

    def _styles(self) -> str:
        fonts: dict[tuple, int] = {}
        border_ids: dict[int, int] = {}
        numbers: dict[str, int] = {}
        font_xml, xfs = [], []
        for fmt in self.xf_formats:
            key = fmt.font_key()
            if key not in fonts:
                fonts[key] = len(fonts)
                scheme = '<scheme val="minor"/>' if fmt.font_name == "Calibri" else ""   # the theme's font
                font_xml.append(f'<font>{"<b/>" if fmt.bold else ""}<sz val="{fmt.font_size}"/><color theme="1"/>'
                                f'<name val="{_attribute(fmt.font_name)}"/><family val="2"/>{scheme}</font>')
            font = fonts[key]
            border = border_ids.setdefault(fmt.border, len(border_ids))
            pattern = fmt.num_format
            if not pattern or pattern == "General":
                number = 0
            elif pattern == "0":
                number = 1
            else:
                number = numbers.setdefault(pattern, 164 + len(numbers))
            align = "".join(f' {name}="{value}"' for name, value in (
                ("horizontal", fmt.align), ("vertical", "center" if fmt.valign == "vcenter" else None),
                ("wrapText", "1" if fmt.text_wrap else None)) if value)
            applied = (' applyNumberFormat="1"' if number else "") + (' applyFont="1"' if font else "") \
                + (' applyBorder="1"' if border else "")
            head = f'<xf numFmtId="{number}" fontId="{font}" fillId="0" borderId="{border}" xfId="0"{applied}'
            xfs.append(f'{head} applyAlignment="1"><alignment{align}/></xf>' if align else f"{head}/>")
        borders = ['<border><left/><right/><top/><bottom/><diagonal/></border>' if style == 0 else
                   '<border>' + "".join(f'<{side} style="thin"><color auto="1"/></{side}>'
                                        for side in ("left", "right", "top", "bottom")) + "<diagonal/></border>"
                   for style in border_ids]
        formats = "".join(f'<numFmt numFmtId="{i}" formatCode="{_attribute(code)}"/>' for code, i in numbers.items())
        return (f'{HEAD}<styleSheet xmlns="{_MAIN}">'
                + (f'<numFmts count="{len(numbers)}">{formats}</numFmts>' if numbers else "")
                + f'<fonts count="{len(fonts)}">{"".join(font_xml)}</fonts>'
                '<fills count="2"><fill><patternFill patternType="none"/></fill>'
                '<fill><patternFill patternType="gray125"/></fill></fills>'
                f'<borders count="{len(borders)}">{"".join(borders)}</borders>'
                '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
                f'<cellXfs count="{len(xfs)}">{"".join(xfs)}</cellXfs>'
                '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
                '<dxfs count="0"/><tableStyles count="0" defaultTableStyle="TableStyleMedium9" '
                'defaultPivotStyle="PivotStyleLight16"/></styleSheet>')

    def _core(self) -> str:
        p = self.properties
        created = p.get("created")
        assert isinstance(created, datetime), "a workbook's date is given, never the clock's"
        when = created.strftime("%Y-%m-%dT%H:%M:%SZ")
        fields = "".join(f"<{tag}>{_text(p[key])}</{tag}>" for key, tag in
                         (("title", "dc:title"), ("subject", "dc:subject"), ("author", "dc:creator")) if p.get(key))
        author = f"<cp:lastModifiedBy>{_text(p['author'])}</cp:lastModifiedBy>" if p.get("author") else ""
        return (f'{HEAD}<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties"'
                ' xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/"'
                ' xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
                f'{fields}{author}<dcterms:created xsi:type="dcterms:W3CDTF">{when}</dcterms:created>'
                f'<dcterms:modified xsi:type="dcterms:W3CDTF">{when}</dcterms:modified></cp:coreProperties>')

    def _app(self) -> str:
        titles = self._print_titles()
        pairs = '<vt:variant><vt:lpstr>Worksheets</vt:lpstr></vt:variant>' \
            f'<vt:variant><vt:i4>{len(self.sheets)}</vt:i4></vt:variant>'
        if titles:
            pairs += '<vt:variant><vt:lpstr>Named Ranges</vt:lpstr></vt:variant>' \
                f'<vt:variant><vt:i4>{len(titles)}</vt:i4></vt:variant>'
        parts = [_text(s.name) for s in self.sheets] + [f"{_text(_quote_sheet(s.name))}!Print_Titles" for s, _ in titles]
        return (f'{HEAD}<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"'
                ' xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
                '<Application>Microsoft Excel</Application><DocSecurity>0</DocSecurity><ScaleCrop>false</ScaleCrop>'
                f'<HeadingPairs><vt:vector size="{4 if titles else 2}" baseType="variant">{pairs}</vt:vector></HeadingPairs>'
                f'<TitlesOfParts><vt:vector size="{len(parts)}" baseType="lpstr">'
                + "".join(f"<vt:lpstr>{part}</vt:lpstr>" for part in parts)
                + "</vt:vector></TitlesOfParts><Company></Company><LinksUpToDate>false</LinksUpToDate>"
                "<SharedDoc>false</SharedDoc><HyperlinksChanged>false</HyperlinksChanged>"
                "<AppVersion>12.0000</AppVersion></Properties>")


_ROOT_RELS = (f'{HEAD}<Relationships xmlns="{_PACKAGE_REL}">'
              f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
              f'<Relationship Id="rId2" Type="{_PACKAGE_REL}/metadata/core-properties" Target="docProps/core.xml"/>'
              f'<Relationship Id="rId3" Type="{_REL}/extended-properties" Target="docProps/app.xml"/>'
              "</Relationships>")

_QUOTE_CHARACTER = re.compile(r"[^\w.]")
_QUOTE_START = re.compile(r"^[\d.]")
_A1 = re.compile(r"^([A-Z]{1,3})(\d+)$")
_R1 = re.compile(r"^R(\d+)")
_C1 = re.compile(r"^R?C(\d+)")


def _quote_sheet(name: str) -> str:
    """A sheet name as a reference writes it (xlsxwriter's quote_sheetname): in quotes, inner
    quotes doubled, when it holds other than word characters and dots, starts with a digit or
    a dot, or could be read as an A1 or R1C1 cell reference."""
    upper = name.upper()
    if _QUOTE_CHARACTER.search(name) or _QUOTE_START.search(name):
        quote = True
    elif match := _A1.match(upper):
        column = 0
        for letter in match.group(1):
            column = column * 26 + ord(letter) - 64
        quote = column - 1 < 16384 and 0 <= int(match.group(2)) - 1 < 1048576
    elif match := _R1.match(upper):
        quote = 0 < int(match.group(1)) <= 1048576
    elif match := _C1.match(upper):
        quote = 0 < int(match.group(1)) <= 16384
    else:
        quote = upper in ("R", "C", "RC")
    return "'" + name.replace("'", "''") + "'" if quote else name
