"""Write the site (stage 5): new and changed files are staged beside the output, then moved in.

``build`` stages every file whose bytes differ from the output's (:func:`stage`), and only when
every department has loaded, passed the checker and rendered does it move them into place and
delete what the build no longer makes (:func:`commit`). A failed build leaves the previous
output exactly as it was; an unchanged file is never rewritten (rsync copies only what changed).
"""

from __future__ import annotations

import json
import os
from datetime import datetime, UTC
from pathlib import Path
from typing import Any

from .errors import SiteBuilderError
from .search import BUNDLE_DIR

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


def json_text(data: Any) -> str:
    """JSON as the site publishes it: UTF-8 text, Chinese unescaped, compact (the C encoder:
    indenting switches json to its pure-Python encoder, five times slower on a large portal)."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n"


def replace_file(target: Path, data: bytes) -> bool:
    """Write ``target`` atomically (temp file + rename) unless it already holds ``data``."""
    try:
        if target.stat().st_size == len(data) and target.read_bytes() == data:
            return False
    except OSError:
        pass
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    temp.write_bytes(data)
    os.replace(temp, target)
    return True


def stage(out: Path, staging: Path, path: str, data: bytes) -> bool:
    """Put ``data`` for ``out/path`` into the staging folder unless the output already holds it."""
    target = out / path
    try:
        if target.stat().st_size == len(data) and target.read_bytes() == data:
            return False
    except OSError:
        pass
    staged = staging / path
    staged.parent.mkdir(parents=True, exist_ok=True)
    staged.write_bytes(data)
    return True


def commit(staging: Path, out: Path, written: list[str], removed: list[str]) -> None:
    """Move the staged files into the output and delete the removed ones (a new output folder
    is the staging folder itself, renamed)."""
    if not out.exists():
        os.chmod(staging, 0o755)
        os.rename(staging, out)
        return
    for path in written:
        target = out / path
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staging / path, target)
    for path in removed:
        target = out / path
        target.unlink(missing_ok=True)
        for parent in target.parents:           # folders left empty go too
            if parent == out or any(parent.iterdir()):
                break
            parent.rmdir()


def site_files(out: Path, under: str = "") -> list[str]:
    """The files of a built site (or of its folder ``under``), without its search index."""
    top = out / under if under else out
    if not top.is_dir():
        return []
    found = []
    for folder, dirs, files in os.walk(top):
        if Path(folder) == out and BUNDLE_DIR in dirs:
            dirs.remove(BUNDLE_DIR)
        found.extend(Path(folder, name).relative_to(out).as_posix() for name in files)
    return found
