"""Write the site (stage 5): into a sibling temporary folder, swapped in only on success.

A failed build leaves the previous output exactly as it was; readers of the output folder
never see a half-written site.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from collections.abc import Iterator


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


class SiteWriter:
    """Writes files under a root; paths are site-relative with forward slashes."""

    def __init__(self, root: Path):
        self.root = root
        self.files = 0
        self.bytes = 0

    def write_text(self, path: str, text: str) -> None:
        self.write_bytes(path, text.encode("utf-8"))

    def write_json(self, path: str, data: Any) -> None:
        self.write_text(path, json_text(data))

    def write_bytes(self, path: str, data: bytes) -> None:
        target = self.root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        self.files += 1
        self.bytes += len(data)

    def copy_tree(self, source: Path, prefix: str) -> None:
        for item in sorted(source.rglob("*")):
            if item.is_file():
                self.write_bytes(f"{prefix}/{item.relative_to(source).as_posix()}", item.read_bytes())


@contextmanager
def atomic_output(out_dir: Path) -> Iterator[SiteWriter]:
    """Yield a writer into a temporary sibling of ``out_dir``; replace ``out_dir`` on success."""
    out_dir = out_dir.resolve()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.building-", dir=out_dir.parent))
    try:
        yield SiteWriter(staging)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    os.chmod(staging, 0o755)
    old = out_dir.parent / f".{out_dir.name}.old-{os.getpid()}"
    if out_dir.exists():
        os.rename(out_dir, old)
    os.rename(staging, out_dir)
    if old.exists():
        shutil.rmtree(old, ignore_errors=True)
