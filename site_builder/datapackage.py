"""The portal as a Frictionless data package: ``datapackage.json`` lists every table's CSV
download as a resource, each with a Table Schema (https://specs.frictionlessdata.io/).

One schema file per profile, year and table (``schemas/<profile>/<year>/<table id>.json``):
all of a year's disclosures of one kind share their tables' columns, and a schema repeated
inline for each of 100,000 tables would make the package file ten times larger. Field names
are the CSV's header cells (``downloads.csv_headers``); amounts are numbers with an optional
thousands comma, rates numbers with a % sign; a blank cell and “——” (not applicable) are
missing values.

Built from what the portal's lists know (identity, profile, year of each disclosure; every
profile table is in every disclosure), so it is rendered with the home page and only when
the list of disclosures changes.
"""

from __future__ import annotations

import re
from json.encoder import encode_basestring as _string   # (C, when json has its accelerator)
from typing import Any, cast

from .downloads import FOLDER, csv_headers
from .jsonfmt import json_text
from .model import Portal
from .profiles import TableSpec, fill_year

PACKAGE = "datapackage.json"
SCHEMAS = "schemas"
MISSING = ["", "——"]
_NAME = re.compile(r"[^a-z0-9._-]+")
# A resource as JSON, written as jsonfmt.compact_json writes that dict, its strings through
# json's own string encoder: a dict and json.dumps per resource were a second of every build that
# changed one at 10,000 disclosures (measured: docs/performance.md#datapackage-resource;
# tests/test_data_files.py compares with json.dumps).
_RESOURCE = ('{{"name":{},"title":{},"path":{},"profile":"tabular-data-resource","format":"csv",'
             '"mediatype":"text/csv","encoding":"utf-8-sig","schema":{}}}')


def schema_path(profile: str, year: int, table_id: str) -> str:
    return f"{SCHEMAS}/{profile}/{year}/{table_id}.json"


def package_paths(keys: list[tuple[str, int, str]]) -> list[str]:
    """The package file and its schema files; ``keys``: (profile, year, table id) of every table
    of every disclosure (``schema_keys``), as a build knows them from the departments' summaries."""
    return [PACKAGE, *(schema_path(*key) for key in sorted(set(keys)))] if keys else []


def schema_keys(portal: Portal) -> list[tuple[str, int, str]]:
    """(profile, year, table id) of every schema the portal's package refers to."""
    return sorted({(doc.profile.name, doc.year, spec.id) for doc in portal.documents for spec in doc.profile.tables})


def table_schema(spec: TableSpec) -> dict[str, Any]:
    fields = []
    for column, name in zip(spec.columns, csv_headers(spec), strict=True):
        field: dict[str, Any] = {"name": name, "title": column.qualified_label}
        if column.type == "amount":
            field.update(type="number", groupChar=",", description=f"单位：{column.unit or spec.unit}")
        elif column.is_rate:
            field.update(type="number", bareNumber=False,
                         description="百分比，照公开表格所印（与本表金额核对）" if column.printed else "百分比，由本表金额计算")
        else:
            field["type"] = "string"
        fields.append(field)
    return {"fields": fields, "missingValues": MISSING}


def _name(text: str) -> str:
    return _NAME.sub("-", text.lower()).strip("-") or "table"


def package_files(portal: Portal) -> list[tuple[str, bytes]]:
    """``datapackage.json`` and the schema files it names (none without the CSV downloads, or
    without a disclosure)."""
    if "csv" not in portal.config.downloads or not portal.documents:
        return []
    config = portal.config
    package = {
        "profile": "tabular-data-package",
        "name": _name(config.site_domain or config.name) if config.site_domain else "budget-disclosures",
        "title": config.name,
        "description": f"{config.region}各部门公开的部门预算、部门决算和绩效自评表格，每张表一个 CSV 文件。",
        "resources": [],
    }
    # written a resource at a time: the resources as dicts and one str would take several times
    # the file; this way the bytes of the file are all that is held (measured:
    # docs/performance.md#datapackage-stream)
    head = json_text(package).encode("utf-8")
    text, separator = bytearray(head[:head.rindex(b"[]")]), b"["
    for doc in portal.documents:
        dept, url, kind_label = doc.department, doc.url, doc.kind_label
        for spec in doc.profile.tables:
            text += separator + _RESOURCE.format(
                _string(_name(f"{dept.slug}-{doc.year}-{doc.kind}-{spec.id}")),
                _string(fill_year(f"{dept.name} {doc.year}年度{kind_label} {spec.number} {spec.title}", doc.year)),
                _string(f"{url}{FOLDER}/{spec.id}.csv"),
                _string(schema_path(doc.profile.name, doc.year, spec.id))).encode("utf-8")
            separator = b","
    text += b"]}\n"
    # not copied into bytes (at 50,000 disclosures, 160 MB more at the peak): what takes the file
    # (compared with the output's, written, served) reads a bytearray as it reads bytes
    files = [(PACKAGE, cast(bytes, text))]
    profiles = {doc.profile.name: doc.profile for doc in portal.documents}
    for profile, year, table_id in schema_keys(portal):
        spec = profiles[profile].table(table_id).for_year(year)
        files.append((schema_path(profile, year, table_id), json_text(table_schema(spec)).encode("utf-8")))
    return files
