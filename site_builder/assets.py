"""The templates the tool ships, and the assets (stylesheets, scripts, images) copied into every
site, content-hashed so that pages can be cached briefly and assets for ever."""

from __future__ import annotations

import hashlib
from pathlib import Path


def _builtin_templates() -> Path:
    """The templates the tool ships: in an installed wheel inside the package (pyproject.toml maps
    the checkout's templates/ to site_builder/templates), in a source checkout beside it."""
    packaged = Path(__file__).resolve().parent / "templates"
    return packaged if packaged.is_dir() else packaged.parent.parent / "templates"


BUILTIN_TEMPLATES = _builtin_templates()


HASHED_ASSETS = {".css", ".js", ".svg"}


def asset_sources(root: Path) -> dict[str, Path]:
    """Built-in assets, then the portal's own (``templates/assets`` of the content folder ``root``) over them."""
    files: dict[str, Path] = {}
    for folder in (BUILTIN_TEMPLATES / "assets", root / "templates" / "assets"):
        if folder.is_dir():
            for item in sorted(folder.rglob("*")):
                if item.is_file():
                    files[item.relative_to(folder).as_posix()] = item
    return dict(sorted(files.items()))


def hashed_name(name: str, data: bytes) -> str:
    """``site.css`` → ``site.1a2b3c4d.css``: a name that changes with the content, so pages can
    be cached for a short time and assets for ever, and a page of an earlier release still
    finds its own assets (``publish`` keeps them)."""
    stem, dot, suffix = name.rpartition(".")
    return f"{stem}.{hashlib.sha256(data).hexdigest()[:10]}.{suffix}" if dot else name


def asset_files(root: Path) -> list[tuple[str, bytes]]:
    """Every asset under ``assets/``: as named (for a portal's own templates), and stylesheets,
    scripts and images also under their content-hashed name, which the pages use."""
    files = []
    for name, path in asset_sources(root).items():
        data = path.read_bytes()
        files.append((f"assets/{name}", data))
        if Path(name).suffix in HASHED_ASSETS:
            files.append((f"assets/{hashed_name(name, data)}", data))
    return files


def asset_names(root: Path) -> dict[str, str]:
    """Asset name → the name pages link to (content-hashed for stylesheets, scripts, images)."""
    return {name: hashed_name(name, path.read_bytes()) if Path(name).suffix in HASHED_ASSETS else name
            for name, path in asset_sources(root).items()}
