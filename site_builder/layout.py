"""The output's names and places: what the stages agree on about where things are written.

A name that more than one stage needs lives here, not in the stage that writes the file, so that
no stage imports a later one for a constant (``write`` skips the search index that ``search``
writes; ``summary`` lists the manifest and the workbook a department's build writes; the cache
sits beside the output). The stages run in the order tests/test_layout.py writes down, and that
test fails when a module imports one later in it. Nothing here imports more than ``errors``.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from .errors import SiteBuilderError

BUNDLE_DIR = "pagefind"                 # the search index folder inside the output, next to index.html
MANIFEST = "manifest.json"              # the SHA-256 of every file: at the top, and in each department's folder
SIGNATURE = "manifest.json.sig"         # the top manifest's Ed25519 signature (with a signing key)
WORKBOOK = "tables.xlsx"                # every table of a disclosure, in its folder


def cache_path(out_dir: Path) -> Path:
    """The build cache of the output folder ``out_dir``: beside it, never inside it (it is not
    published): ``.output.cache/build.json`` for ``output/``."""
    out_dir = out_dir.resolve()
    return out_dir.parent / f".{out_dir.name}.cache" / "build.json"


def source_date() -> datetime | None:
    """The date to write where the content gives none (reproducible builds: SOURCE_DATE_EPOCH,
    seconds since 1970, https://reproducible-builds.org/specs/source-date-epoch/); None without it.
    A build never writes its own clock, so the same content gives the same bytes."""
    value = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not value:
        return None
    if not value.isdigit():
        raise SiteBuilderError(None, f"环境变量 SOURCE_DATE_EPOCH 应为自 1970 年起的秒数（整数），实际是“{value}”")
    return datetime.fromtimestamp(int(value), tz=UTC).replace(tzinfo=None)

# A publish target (``site-builder publish``): what nginx serves is TARGET/current, a symlink to
# one of TARGET/releases/<id>/, each listed by TARGET/releases/<id>.json; publishing takes the lock.
RELEASES = "releases"
CURRENT = "current"
LOCK = ".site-builder.lock"
