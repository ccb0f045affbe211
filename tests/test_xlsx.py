"""The workbook download's own writer (site_builder/xlsx.py) against xlsxwriter: for the calls
the build makes, the same bytes. The example disclosures, synthetic ones of every profile
(tests/synthetic.py: made-up data), and the awkward text a finance clerk can type."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime
from pathlib import Path

import openxml_audit
import pytest
import xlsxwriter

from conftest import REPO
from synthetic import generate  # tests/synthetic.py: made-up data
from site_builder import xlsx
from site_builder.content import load_department, load_site_config
from site_builder.profiles import load_profiles
from site_builder.workbook import document_workbook, lay_out


CREATED = datetime(2025, 4, 30)


def xlsxwriter_book() -> tuple[xlsxwriter.Workbook, io.BytesIO]:
    out = io.BytesIO()
    return xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_numbers": False,
                                     "strings_to_formulas": False, "strings_to_urls": False}), out


def xlsxwriter_workbook(doc) -> bytes:
    book, out = xlsxwriter_book()
    lay_out(doc, book)
    book.close()
    return out.getvalue()


def documents(root: Path) -> list:
    config, profiles = load_site_config(root), load_profiles(root / "profiles")
    return [doc for folder in sorted((root / "departments").iterdir()) if folder.is_dir()
            for doc in load_department(folder, config, profiles).documents]


def first_difference(ours: bytes, theirs: bytes) -> str:
    """Where two workbooks differ: the first part and the text around its first differing character."""
    a, b = zipfile.ZipFile(io.BytesIO(ours)), zipfile.ZipFile(io.BytesIO(theirs))
    if a.namelist() != b.namelist():
        return f"parts {a.namelist()} != {b.namelist()}"
    for name in a.namelist():
        x, y = a.read(name).decode(), b.read(name).decode()
        if x != y:
            i = next((k for k, (p, q) in enumerate(zip(x, y, strict=False)) if p != q), min(len(x), len(y)))
            return f"{name}: …{x[max(0, i - 80):i + 80]}… != …{y[max(0, i - 80):i + 80]}…"
    return "the zip containers differ"


@pytest.fixture(scope="module")
def synthetic_documents(tmp_path_factory) -> list:
    root = tmp_path_factory.mktemp("synthetic") / "content"
    generate(root, documents=12, seed=3)
    return documents(root)


def test_example_workbooks_are_xlsxwriters_bytes():
    docs = documents(REPO / "content")
    assert len(docs) == 3
    for doc in docs:
        ours = document_workbook(doc)
        theirs = xlsxwriter_workbook(doc)
        assert ours == theirs, f"{doc.url}: {first_difference(ours, theirs)}"


def test_synthetic_workbooks_of_every_profile_are_xlsxwriters_bytes(synthetic_documents):
    assert {doc.profile.name for doc in synthetic_documents} == {"final-accounts-10", "budget-13", "performance-overall"}
    for doc in synthetic_documents:
        ours = document_workbook(doc)
        theirs = xlsxwriter_workbook(doc)
        assert ours == theirs, f"{doc.url}: {first_difference(ours, theirs)}"


def fill(book) -> None:
    """Text and names a clerk can produce, written through the calls the layout code makes."""
    book.set_properties({"title": "标题 & <说明>", "subject": "a \"quoted\" subject", "author": "作者", "created": CREATED})
    plain = book.add_format({"font_name": "宋体", "font_size": 10})
    boxed = book.add_format({"border": 1, "valign": "vcenter", "text_wrap": True, "bold": False})
    money = book.add_format({"border": 1, "align": "right", "num_format": "#,##0.00", "bold": True})
    one = book.add_format({"num_format": "0"})
    for name in ["公开01表", "01", "A1", "r1c1 账", "It's", ".点", "RC", "C12表", "XFE1048577"]:
        sheet = book.add_worksheet(name)
        sheet.write_string(0, 0, "  首尾有空格  ", plain)
        sheet.write_string(0, 1, "\u3000全角空格开头", plain)
        sheet.write_string(1, 0, "控制字符\x01\x1f与制表\t换行\n", boxed)
        sheet.write_string(1, 1, "字面的 _x0041_ 转义", boxed)
        sheet.write_string(1, 2, "a < b & c > d \"q\"", boxed)
        sheet.write_string(2, 0, "长" * (xlsx.MAX_STRING + 5), plain)
        sheet.write_string(2, 3, "𠀀" * (xlsx.MAX_STRING // 2 + 3), plain)   # beyond U+FFFF: two UTF-16 units each
        sheet.write_string(2, 1, "", boxed)
        sheet.write_blank(2, 2, None, None)
        for column, value in enumerate([2262.43, 0.1 + 0.2, 1e20, -0.5, 1234567.891, 3.0]):
            sheet.write_number(3, column, value, money if column % 2 else one)
        sheet.merge_range(4, 0, 5, 2, "合并", boxed)
        sheet.merge_range(6, 0, 6, 3, None, money)
        sheet.write_number(6, 0, 12.5, money)
        sheet.write_string(40, 5, "第三个十六行块", plain)       # spans are per block of 16 rows
        sheet.set_row(4, 28)
        sheet.set_row(6, 15)                                  # the default height: no ht written
        sheet.set_column(0, 0, 34)
        sheet.set_column(1, 2, 10)
        sheet.set_column(3, 3, 0.5)
        sheet.set_column(4, 4, 8.43)                          # the default width: no customWidth
        if name != "01":
            sheet.repeat_rows(3, 5)
            sheet.freeze_panes(6, 0)
        if name != "A1":
            sheet.set_landscape()
            sheet.set_paper(9)
            sheet.fit_to_pages(1, 0)


def test_awkward_text_and_sheet_names_as_xlsxwriter_writes_them():
    theirs_book, out = xlsxwriter_book()
    fill(theirs_book)
    theirs_book.close()
    ours_book = xlsx.Workbook()
    fill(ours_book)
    ours = ours_book.close()
    assert ours == out.getvalue(), first_difference(ours, out.getvalue())
    shared = zipfile.ZipFile(io.BytesIO(ours)).read("xl/sharedStrings.xml").decode()
    assert "_x0001__x001F_" in shared and "_x005F_x0041_" in shared and 'xml:space="preserve"' in shared
    titles = zipfile.ZipFile(io.BytesIO(ours)).read("xl/workbook.xml").decode()
    assert "'It''s'!$4:$6" in titles and "'A1'!$4:$6" in titles and "公开01表!$4:$6" in titles


def test_unsupported_calls_are_refused_not_approximated():
    book = xlsx.Workbook()
    with pytest.raises(AssertionError):
        book.add_format({"italic": True})
    sheet = book.add_worksheet("表")
    with pytest.raises(AssertionError):
        sheet.freeze_panes(2, 1)
    sheet.set_row(3, 20)
    book.set_properties({"created": CREATED})
    with pytest.raises(AssertionError):                     # a height on a row without cells
        book.close()


def test_example_workbooks_pass_an_ooxml_validator_in_strict_mode(tmp_path):
    validator = openxml_audit.OpenXmlValidator(strict=True)
    for doc in documents(REPO / "content"):
        path = tmp_path / f"{doc.department.slug}-{doc.year}-{doc.kind}.xlsx"
        path.write_bytes(document_workbook(doc))
        result = validator.validate(path)
        assert result.is_valid, [str(error) for error in result.errors][:5]
