"""EXPERIMENT ONLY, not used by the build: a minimal hand-written SpreadsheetML (XLSX) writer, to
measure what the workbook download would cost without xlsxwriter (benchmarks/xlsx_cost.py
times it as ``handwritten``).

It offers the few xlsxwriter calls that ``site_builder.workbook`` makes (add_format,
add_worksheet, write_string/number/blank, merge_range, set_row, set_column, repeat_rows,
freeze_panes, landscape A4 fit-to-width), so the build's own layout code (``_Styles``,
``_write_sheet``) drives it unchanged and both writers lay out the same cells. Parts written:
[Content_Types].xml, the package and workbook relationships, docProps/core.xml, workbook.xml
(sheets, print titles), styles.xml (fonts, borders, number formats, one xf per format),
sharedStrings.xml and a sheetN.xml per table (cols, rows, mergeCells, page setup). No theme,
no docProps/app.xml, no validation of Excel's limits (sheet names, 32,767 characters a cell,
control characters), which xlsxwriter does check.
"""

from __future__ import annotations

import io
import zipfile
from datetime import datetime

from site_builder import workbook as W
from site_builder.model import Document
from site_builder.tableview import table_view

NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
NS_R = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
COLUMNS = [chr(65 + i) for i in range(26)] + [chr(65 + i) + chr(65 + j) for i in range(26) for j in range(26)]
BUILTIN_FORMATS = {"0": 1, "0.00": 2, "#,##0": 3, "#,##0.00": 4}


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _escape_attribute(text: str) -> str:
    return _escape(text).replace('"', "&quot;")


class Format:
    def __init__(self, index: int, properties: dict):
        self.index, self.properties = index, properties
        self.s = f' s="{index}"'


class Sheet:
    def __init__(self, book: Book, name: str):
        self.book, self.name = book, name
        self.rows: dict[int, dict[int, str]] = {}
        self.merges: list[str] = []
        self.heights: dict[int, float] = {}
        self.widths: dict[int, float] = {}
        self.print_rows: tuple[int, int] | None = None
        self.frozen = 0

    def _put(self, row: int, column: int, xml: str) -> None:
        cells = self.rows.get(row)
        if cells is None:
            cells = self.rows[row] = {}
        cells[column] = xml

    def write_string(self, row: int, column: int, text: str, fmt: Format) -> None:
        self._put(row, column, f'<c r="{COLUMNS[column]}{row + 1}"{fmt.s} t="s"><v>{self.book.string(text)}</v></c>')

    def write_number(self, row: int, column: int, number: float, fmt: Format) -> None:
        self._put(row, column, f'<c r="{COLUMNS[column]}{row + 1}"{fmt.s}><v>{number:.16G}</v></c>')

    def write_blank(self, row: int, column: int, _value, fmt: Format) -> None:
        self._put(row, column, f'<c r="{COLUMNS[column]}{row + 1}"{fmt.s}/>')

    def merge_range(self, first_row, first_column, last_row, last_column, text, fmt) -> None:
        for row in range(first_row, last_row + 1):
            for column in range(first_column, last_column + 1):
                self.write_blank(row, column, None, fmt)
        if text:
            self.write_string(first_row, first_column, text, fmt)
        self.merges.append(f'<mergeCell ref="{COLUMNS[first_column]}{first_row + 1}:'
                           f'{COLUMNS[last_column]}{last_row + 1}"/>')

    def set_row(self, row: int, height: float) -> None:
        self.heights[row] = int(height * 4 / 3) * 0.75

    def set_column(self, first: int, last: int, width: float) -> None:
        pixels = int(width * 7 + 0.5) + 5 if width >= 1 else int(width * 12 + 0.5)
        for column in range(first, last + 1):
            self.widths[column] = int(pixels / 7 * 256) / 256

    def repeat_rows(self, first: int, last: int) -> None:
        self.print_rows = (first, last)

    def freeze_panes(self, row: int, _column: int) -> None:
        self.frozen = row

    def set_landscape(self) -> None:
        pass                                # always: landscape A4, as wide as one page

    def set_paper(self, _paper: int) -> None:
        pass

    def fit_to_pages(self, _wide: int, _tall: int) -> None:
        pass

    def xml(self, selected: bool) -> str:
        rows, last_column = self.rows, max((max(c) for c in self.rows.values() if c), default=0)
        last_row = max(rows, default=0)
        out = [HEAD, f"<worksheet {NS} {NS_R}><sheetPr><pageSetUpPr fitToPage=\"1\"/></sheetPr>",
               f'<dimension ref="A1:{COLUMNS[last_column]}{last_row + 1}"/><sheetViews><sheetView',
               ' tabSelected="1"' if selected else "", ' workbookViewId="0">']
        if self.frozen:
            out.append(f'<pane ySplit="{self.frozen}" topLeftCell="A{self.frozen + 1}" activePane="bottomLeft"'
                       ' state="frozen"/><selection pane="bottomLeft"/>')
        out.append('</sheetView></sheetViews><sheetFormatPr defaultRowHeight="15"/>')
        if self.widths:
            out.append("<cols>")
            runs: list[list] = []                    # adjacent columns of one width: one <col>
            for column, width in sorted(self.widths.items()):
                if runs and runs[-1][1] == column - 1 and runs[-1][2] == width:
                    runs[-1][1] = column
                else:
                    runs.append([column, column, width])
            out.extend(f'<col min="{a + 1}" max="{b + 1}" width="{w}" customWidth="1"/>' for a, b, w in runs)
            out.append("</cols>")
        out.append("<sheetData>")
        spans = f"1:{last_column + 1}"
        heights = self.heights
        for row in sorted(rows):
            cells = rows[row]
            height = heights.get(row)
            custom = f' ht="{height}" customHeight="1"' if height else ""
            out.append(f'<row r="{row + 1}" spans="{spans}"{custom}>')
            out.extend(cells[c] for c in sorted(cells))
            out.append("</row>")
        out.append("</sheetData>")
        if self.merges:
            out.append(f'<mergeCells count="{len(self.merges)}">{"".join(self.merges)}</mergeCells>')
        out.append('<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
                   '<pageSetup paperSize="9" fitToHeight="0" orientation="landscape"/></worksheet>')
        return "".join(out)


class Book:
    def __init__(self):
        self.formats: list[Format] = []
        self.sheets: list[Sheet] = []
        self.strings: dict[str, int] = {}
        self.properties: dict = {}

    def string(self, text: str) -> int:
        index = self.strings.get(text)
        if index is None:
            index = self.strings[text] = len(self.strings)
        return index

    def set_properties(self, properties: dict) -> None:
        self.properties = properties

    def add_format(self, properties: dict) -> Format:
        fmt = Format(len(self.formats) + 1, properties)      # xf 0 is the default
        self.formats.append(fmt)
        return fmt

    def add_worksheet(self, name: str) -> Sheet:
        sheet = Sheet(self, name)
        self.sheets.append(sheet)
        return sheet

    def styles_xml(self) -> str:
        fonts: dict[str, int] = {'<font><sz val="11"/><name val="Calibri"/><family val="2"/></font>': 0}
        custom: dict[str, int] = {}
        xfs = ['<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>']
        for fmt in self.formats:
            p = fmt.properties
            font = (f'<font>{"<b/>" if p.get("bold") else ""}<sz val="{p.get("font_size", 11)}"/>'
                    f'<name val="{_escape_attribute(p.get("font_name", "Calibri"))}"/><family val="2"/></font>')
            font_id = fonts.setdefault(font, len(fonts))
            pattern = p.get("num_format")
            number = 0 if not pattern else BUILTIN_FORMATS.get(pattern) or custom.setdefault(pattern, 164 + len(custom))
            border = 1 if p.get("border") else 0
            align = "".join(f' {k}="{v}"' for k, v in (("horizontal", p.get("align")), ("vertical", {"vcenter": "center"}.get(p.get("valign"))),
                                                     ("wrapText", "1" if p.get("text_wrap") else None)) if v)
            xfs.append(f'<xf numFmtId="{number}" fontId="{font_id}" fillId="0" borderId="{border}" xfId="0"'
                       + (' applyNumberFormat="1"' if number else "") + ' applyFont="1"'
                       + (' applyBorder="1"' if border else "")
                       + (f' applyAlignment="1"><alignment{align}/></xf>' if align else "/>"))
        numbers = "".join(f'<numFmt numFmtId="{i}" formatCode="{_escape_attribute(c)}"/>' for c, i in custom.items())
        side = '<color auto="1"/>'
        return (f'{HEAD}<styleSheet {NS}>'
                + (f'<numFmts count="{len(custom)}">{numbers}</numFmts>' if custom else "")
                + f'<fonts count="{len(fonts)}">{"".join(fonts)}</fonts>'
                '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>'
                '<borders count="2"><border><left/><right/><top/><bottom/><diagonal/></border>'
                f'<border><left style="thin">{side}</left><right style="thin">{side}</right><top style="thin">{side}</top>'
                f'<bottom style="thin">{side}</bottom><diagonal/></border></borders>'
                '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
                f'<cellXfs count="{len(xfs)}">{"".join(xfs)}</cellXfs>'
                '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>')

    def close(self) -> bytes:
        n = len(self.sheets)
        parts = {"[Content_Types].xml": (
            f'{HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            + "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/vnd.openxmlformats-'
                      'officedocument.spreadsheetml.worksheet+xml"/>' for i in range(1, n + 1))
            + '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
            '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
            '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
            '</Types>'),
            "_rels/.rels": (
            f'{HEAD}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
            '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/>'
            '</Relationships>'),
            "docProps/core.xml": self.core_xml()}
        names = "".join(f'<sheet name="{_escape_attribute(s.name)}" sheetId="{i}" r:id="rId{i}"/>'
                        for i, s in enumerate(self.sheets, 1))
        titles = "".join(f'<definedName name="_xlnm.Print_Titles" localSheetId="{i}">'
                         f"{_escape(s.name)}!${s.print_rows[0] + 1}:${s.print_rows[1] + 1}</definedName>"
                         for i, s in enumerate(self.sheets) if s.print_rows)
        parts["xl/workbook.xml"] = (f'{HEAD}<workbook {NS} {NS_R}><bookViews><workbookView/></bookViews>'
                                    f'<sheets>{names}</sheets>'
                                    + (f"<definedNames>{titles}</definedNames>" if titles else "")
                                    + '<calcPr calcId="124519" fullCalcOnLoad="1"/></workbook>')
        parts["xl/_rels/workbook.xml.rels"] = (
            f'{HEAD}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            + "".join(f'<Relationship Id="rId{i}" Type="{REL}/worksheet" Target="worksheets/sheet{i}.xml"/>'
                      for i in range(1, n + 1))
            + f'<Relationship Id="rId{n + 1}" Type="{REL}/styles" Target="styles.xml"/>'
            f'<Relationship Id="rId{n + 2}" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/></Relationships>')
        parts["xl/styles.xml"] = self.styles_xml()
        for i, sheet in enumerate(self.sheets, 1):
            parts[f"xl/worksheets/sheet{i}.xml"] = sheet.xml(i == 1)
        strings = "".join(f'<si><t xml:space="preserve">{_escape(s)}</t></si>' if s != s.strip()
                          else f"<si><t>{_escape(s)}</t></si>" for s in self.strings)
        parts["xl/sharedStrings.xml"] = (f'{HEAD}<sst {NS} count="{len(self.strings)}" '
                                         f'uniqueCount="{len(self.strings)}">{strings}</sst>')
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, text in parts.items():
                info = zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, text.encode("utf-8"))
        return out.getvalue()

    def core_xml(self) -> str:
        p = self.properties
        created = p["created"].strftime("%Y-%m-%dT%H:%M:%SZ") if isinstance(p.get("created"), datetime) else ""
        return (f'{HEAD}<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties"'
                ' xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/"'
                ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
                f'<dc:title>{_escape(p.get("title", ""))}</dc:title><dc:subject>{_escape(p.get("subject", ""))}</dc:subject>'
                f'<dc:creator>{_escape(p.get("author", ""))}</dc:creator>'
                f'<dcterms:created xsi:type="dcterms:W3CDTF">{created}</dcterms:created>'
                f'<dcterms:modified xsi:type="dcterms:W3CDTF">{created}</dcterms:modified></cp:coreProperties>')


def handwritten_workbook(doc: Document) -> bytes:
    """The disclosure's workbook as W.document_workbook lays it out, written by this module."""
    book = Book()
    book.set_properties({"title": doc.title, "subject": f"{doc.department.name} {doc.year}年度 {doc.kind_label}",
                         "author": doc.source or doc.department.name, "created": W._created(doc.published)})
    styles = W._Styles(book)
    names: set[str] = set()
    for table in doc.tables:
        sheet = book.add_worksheet(W._sheet_name(table.spec.number or table.spec.id, table.spec.id, names))
        W._write_sheet(sheet, table_view(table), doc, styles)
    return book.close()
