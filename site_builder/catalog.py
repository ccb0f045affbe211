"""Machine-readable output: ``catalog.json`` for the portal and ``data.json`` per document.

Later stages (search, downloads, comparisons, the next build's 更正记录) read these instead of
the HTML. Amounts are strings exactly as displayed on the page. The shape of both files:
docs/data-json.md.
"""

from __future__ import annotations

from typing import Any

from .model import Document, Portal
from .numbers import Cell
from .headlines import headline


# What the build adds to a form (content.load_form) that is not the form's: where it was read
# from, and its anchor and position (written as ``anchor`` and ``position``); and how the
# extraction was read (``source_notes``: English notes for the maintainers, not published).
_NOT_PUBLISHED = frozenset({"slug", "location", "lines", "indicator_lines", "position", "source_notes"})


def form_data(form: dict[str, Any]) -> dict[str, Any]:
    """An attachment (附件: a 自评表, a 申报表 …) as data.json holds it: its anchor on the page
    (``#form-<anchor>``, the file name: what the next build matches it by), its position (附表N),
    then its fields as its file gives them (docs/form-schema.md, every value as printed)."""
    data: dict[str, Any] = {"anchor": form["slug"], "position": form["position"]}
    data.update((key, value) for key, value in form.items() if key not in _NOT_PUBLISHED)
    return data


def document_data(doc: Document) -> dict[str, Any]:
    """Every table of ``doc`` as data (number, title, unit, columns and rows) and every form of
    its 附件 (the page's prose is added by pages.document_pages)."""
    tables = []
    for table in doc.tables:
        spec = table.spec
        rows = []
        for row in table.rows:
            cells = {key: (value.text if isinstance(value, Cell) else value) for key, value in row.cells.items()}
            item: dict[str, Any] = {}
            if spec.layout in ("subject", "blocks"):
                # code and name as printed: a row whose 科目代码 prints 无 (no 科目: no level) or a
                # repeated header row keeps its text there
                code, name = str(cells.pop("code", "")), str(cells.pop("name", ""))
                item.update(code=row.code or ("" if row.computed else code), name=row.name or name)
                if row.level:
                    item["level"] = row.level
            elif table.is_section(row):
                item["section"] = True  # a heading row such as 一、政府采购情况: no amounts
            if row.repeats_header:
                item["repeats_header"] = True   # a printed header row repeated inside the table: no data
            item["cells"] = cells
            rows.append(item)
        tables.append({
            "id": spec.id,
            "number": spec.number,
            "title": spec.title,
            "unit": spec.unit,
            **({"year": spec.caption_year} if spec.caption_year else {}),   # its caption's 年度, when not the document's
            "layout": spec.layout,
            "columns": [{"key": c.key, "label": c.label, "path": list(c.path), "type": c.type} for c in spec.columns],
            "rows": rows,
            "empty": table.is_empty,
        })
    return {
        "department": doc.department.name,
        "slug": doc.department.slug,
        "year": doc.year,
        "kind": doc.kind,
        "kind_label": doc.kind_label,
        "title": doc.title,
        "profile": doc.profile.name,
        "tables": tables,
        "forms": [form_data(form) for form in doc.attachments],
    }


def catalog(portal: Portal) -> dict[str, Any]:
    """A small index of every disclosure (one entry per document, no table data)."""
    return {
        "portal": portal.config.name,
        "region": portal.config.region,
        "documents": [catalog_entry(doc) for doc in portal.documents],
    }


def catalog_entry(doc: Document) -> dict[str, Any]:
    """One disclosure in catalog.json: who, when, what, where, and its headline figures."""
    return {
        "department": doc.department.name,
        "slug": doc.department.slug,
        "year": doc.year,
        "kind": doc.kind,
        "title": doc.title,
        "url": doc.url,
        "published": doc.published,     # null: the source gives no date
        "updated": doc.updated,         # the latest correction record's date, or null
        "data": f"{doc.url}data.json",
        "headline": [{"label": label, "amount": amount, "unit": unit} for label, amount, unit in headline(doc)],
    }
