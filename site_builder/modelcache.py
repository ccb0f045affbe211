"""The model cache: each department as loaded and checked, kept so that a change to what only
rendering depends on (templates, assets, the rendering code) renders every page again without
reading, parsing or checking content whose files are unchanged.

**What the model depends on** is split from what only rendering depends on
(:func:`module_group`): the loader and the checks — their modules (``MODEL_MODULES``: every
module that loading and checking import, and, when in doubt, the rest of the package but the
modules that only make pages, ``RENDER_MODULES``), the package's data and profiles, the
portal's files but its templates (site.yaml, profiles, glossary), the tool's version and this
format. Their digest is the *model environment* (:func:`cache.environment`); a model is kept
under a key made of it, the content folder and the department's signature (cache.scan), so
that an edited file reloads its department and a changed loader, check, profile or site.yaml
reloads every one. ``tests/test_model_cache.py`` pins the split: every module is in exactly one
group, and nothing that loading and checking run or import is in the rendering one.

**Format and trust.** One file per department, ``.output.cache/models/<slug>`` beside the
output: a JSON header line (this format, the key) and the department, with its checker's
errors, pickled and compressed (zlib). pickle runs code named in its file, and that is
acceptable here as it is for the compiled templates beside it: the file is written only by
this tool, into its own cache folder beside the output (never content, never published),
by the same user who could change the tool's code. It is read through an unpickler that
admits only the classes a model is made of (``_ALLOWED``), and any fault — a truncated or
corrupted file, one from another version or another folder, a class it does not admit — is
no model: the department is loaded from its files as if there were none, never a crash or a
wrong page. A profile is not stored but named, and taken from this build's profiles (the
model environment pins them). Values derived on first use (a table's indexes and view, a
disclosure's sentences and 【待填写】 places) are left out: the view is the rendering code's,
and the rest costs less to make again than to store.

**Workbooks.** A disclosure's XLSX shows no template's work, and making it is a quarter of
rendering a disclosure: a department's workbooks are kept too (``.output.cache/workbooks/<slug>``:
a header with the key, a checksum and the sizes, then the bytes), under its model's key and
the rendering code's digest, and used as they are when it is rendered from its kept model.

**Prose.** So is a department's prose (``.output.cache/prose/<slug>``, compressed JSON): each
disclosure's 情况说明 and markdown parts as Markdown (data.json shows them) and as the page's
HTML, glossary terms linked and headings given ids (render.KeptProse): Markdown and the
情况说明's templates were a fifth of rendering a disclosure again after a page template
changed, and neither depends on a page template. Kept under the workbooks' key and the versions
of the libraries that make it (Markdown, Jinja, nh3), with the digest of the source of every
情况说明 template the build that made it had loaded (a portal's own, one that a template
includes, and one looked for and not found); used only while each of them still has that
source (render.SourceRecorder), so a change to the 情况说明's templates makes it again and a
change to the pages' templates does not. The page's tables (its ``<tbody>`` rows are made in
Python, tableview.RowView.html, the rest by the ``_table.html`` macro) are made again.

Sizes and costs (docs/performance.md#model-cache, #kept-prose): ≈ 32 KB of model, 21 KB of
workbooks and 11 KB of prose per disclosure on disk; reading a model back takes ≈ 6 ms of CPU
against ≈ 25 ms to load and check the content, keeping the prose 0.4 ms of a cold build and
reading it back 0.26 ms against ≈ 6 ms to make it.
"""

from __future__ import annotations

import contextlib
import copyreg
import functools
import hashlib
import io
import json
import os
import pickle
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .jsonfmt import compact_json, digest
from .layout import cache_path
from .model import Department, Document, Table
from .profiles import Profile
from .write import write_atomic

FORMAT = 1

# Which modules of the package the model depends on, and which only rendering does (by their
# top-level name: ``checks`` is the whole checker). A module in neither is counted with the model.
MODEL_MODULES = frozenset({
    "__init__", "errors", "faults", "layout", "jsonfmt", "numbers", "records",   # version, records, names
    "yaml_errors", "sources", "profiles", "model", "tables", "glossary", "sanitize", "formview",
    "config", "content", "checks", "headlines",             # loading and checking (headlines: checks use them)
    "cache", "modelcache", "fsmonitor", "workers", "build",  # what decides which model is used, and how
})
RENDER_MODULES = frozenset({
    "markdown_text", "prose_figures", "explain", "draftnotice", "tableview", "charts", "assets",
    "downloads", "xlsx", "workbook", "render", "catalog", "coverage", "write", "journal",
    "corrections", "datapackage", "manifest", "pages", "summary", "plan", "search", "search_bundle",
    "publish", "serve", "scaffold", "importer", "clicktext", "cli",
})

# What a model file may name besides the model's own classes (the unpickler refuses the rest)
_ALLOWED = {("decimal", "Decimal"), ("pathlib", "PosixPath"), ("pathlib", "WindowsPath"),
            ("builtins", "range"), ("builtins", "set"), ("builtins", "frozenset")}

# Values derived on first use, not stored (headline figures are: the checks made them, the pages show them)
_TABLE_DERIVED = tuple(name for name, value in vars(Table).items() if isinstance(value, functools.cached_property))
_DOCUMENT_DERIVED = tuple(name for name, value in vars(Document).items()
                          if isinstance(value, functools.cached_property) and name != "headline_figures")


def module_group(path: str) -> str:
    """"model" or "render": the group of a file of the package (``checks/sums.py``, a path
    relative to it). The built-in templates render; data, profiles and any other file are the
    model's (the safe side: a change to them reloads content)."""
    parts = path.split("/")
    if parts[0] == "templates":
        return "render"
    module = parts[0].removesuffix(".py")
    return "render" if path.endswith(".py") and module in RENDER_MODULES else "model"


def model_key(model_environment: str, root: Path, signature: str) -> str:
    """The key a department's model is kept under: the model environment, the content folder
    (the model holds absolute paths) and the department's files (cache.scan)."""
    return digest([FORMAT, model_environment, str(root), signature])


def models_folder(out: Path) -> Path:
    """Where the models of the departments built into ``out`` are kept (beside the build cache)."""
    return cache_path(out).parent / "models"


def model_path(out: Path, slug: str) -> Path:
    return models_folder(out) / slug


def save_model(path: Path, key: str, dept: Department, errors: list[str]) -> None:
    """Keep ``dept`` (loaded and checked, not yet rendered) and its checker's ``errors``. A
    write the disk refuses only costs the next build a load."""
    buffer = io.BytesIO()
    with _underived(dept):
        _Pickler(buffer).dump((dept, errors))
    header = json.dumps({"format": FORMAT, "key": key}).encode("utf-8")
    with contextlib.suppress(Exception):
        write_atomic(path, header + b"\n" + zlib.compress(buffer.getvalue(), 1))


def load_model(path: Path, key: str, profiles: dict[str, Profile]) -> tuple[Department, list[str]] | None:
    """The department and its errors kept under ``key``, or None: no such file, another key,
    or a file that cannot be read whole (then the department is loaded from its files)."""
    try:
        with open(path, "rb") as file:
            header = json.loads(file.readline())
            if header.get("format") != FORMAT or header.get("key") != key:
                return None
            data = zlib.decompress(file.read())
        dept, errors = _Unpickler(io.BytesIO(data), profiles).load()
    except Exception:        # (any fault of a cache file, however it shows: the content is read instead)
        return None
    if not (isinstance(dept, Department) and isinstance(errors, list) and all(isinstance(e, str) for e in errors)):
        return None
    return dept, errors


def workbooks_path(out: Path, slug: str) -> Path:
    """Where the XLSX workbooks of a department's disclosures are kept (beside the models)."""
    return cache_path(out).parent / "workbooks" / slug


def save_workbooks(path: Path, key: str, workbooks: dict[str, bytes]) -> None:
    """Keep a department's XLSX workbooks (by path in the site) under ``key`` (its model's key
    and what else makes them: the rendering code, the options): the workbook is a fifth of a
    page's rendering, and no template changes it."""
    _save_kept(path, key, {"files": [[name, len(data)] for name, data in workbooks.items()]},
               b"\n".join(workbooks.values()))


def load_workbooks(path: Path, key: str) -> dict[str, bytes]:
    """The workbooks kept under ``key``; none on any fault (they are made again)."""
    try:
        header, data = _load_kept(path, key)
        found, at = {}, 0
        for name, size in header["files"]:
            found[str(name)] = data[at:at + size]
            at += size + 1
        if at != len(data) + 1:          # (every byte accounted for: a truncated or longer file is refused)
            return {}
        return found
    except Exception:        # (any fault of a cache file: the workbooks are made again)
        return {}


def prose_path(out: Path, slug: str) -> Path:
    """Where the prose of a department's disclosures is kept (beside the models)."""
    return cache_path(out).parent / "prose" / slug


def save_prose(path: Path, key: str, sources: dict[str, str | None], prose: dict[str, Any]) -> None:
    """Keep a department's prose (render.KeptProse in its JSON form, by document URL) under
    ``key`` (its model's key, the rendering code and the prose libraries), with ``sources``:
    the 情况说明 templates it may have used, name → digest of the source (None: not found).
    Compressed (zlib level 1): 47 → 11 KB a disclosure, for 0.4 ms of a cold build's ≈ 60."""
    _save_kept(path, key, {"sources": sources}, zlib.compress(compact_json(prose).encode("utf-8"), 1))


def load_prose(path: Path, key: str) -> tuple[dict[str, str | None], dict[str, Any]]:
    """The templates' sources and the prose kept under ``key``; none on any fault (the prose is
    made again). The caller checks the sources, and each disclosure's prose's shape."""
    try:
        header, data = _load_kept(path, key)
        sources, prose = header["sources"], json.loads(zlib.decompress(data))
        if isinstance(sources, dict) and all(isinstance(name, str) and (value is None or isinstance(value, str))
                                             for name, value in sources.items()) and isinstance(prose, dict):
            return sources, prose
    except Exception:        # (any fault of a cache file: the prose is made again)
        pass
    return {}, {}


def _save_kept(path: Path, key: str, header: dict[str, Any], body: bytes) -> None:
    """A kept file: a JSON header line (this format, the key, the body's checksum, ``header``)
    and the body. Written whole or not at all; a write the disk refuses only costs a remake."""
    line = json.dumps({"format": FORMAT, "key": key, "checksum": hashlib.blake2b(body).hexdigest(), **header},
                      ensure_ascii=False)
    with contextlib.suppress(Exception):
        write_atomic(path, line.encode("utf-8") + b"\n" + body)


def _load_kept(path: Path, key: str) -> tuple[dict[str, Any], bytes]:
    """A kept file's header and body; raises on any fault (no file, another format or key, a
    body whose checksum fails)."""
    with open(path, "rb") as file:
        header = json.loads(file.readline())
        if header.get("format") != FORMAT or header.get("key") != key:
            raise ValueError("another key")
        data = file.read()
    if hashlib.blake2b(data).hexdigest() != header["checksum"]:
        raise ValueError("checksum")
    return header, data


def prune_models(out: Path, slugs: set[str]) -> None:
    """Remove the models (and workbooks, prose) of departments no longer in the portal."""
    for folder in (models_folder(out), workbooks_path(out, "x").parent, prose_path(out, "x").parent):
        with contextlib.suppress(OSError):
            for name in os.listdir(folder):
                if name not in slugs:
                    with contextlib.suppress(OSError):
                        os.unlink(folder / name)


@contextlib.contextmanager
def _underived(dept: Department) -> Iterator[None]:
    """Its derived values set aside while it is pickled, then put back (rendering uses them)."""
    kept: list[tuple[dict[str, Any], str, Any]] = []
    objects: list[tuple[Document | Table, tuple[str, ...]]] = []
    for doc in dept.documents:
        objects.append((doc, _DOCUMENT_DERIVED))
        objects += [(table, _TABLE_DERIVED) for table in doc.tables]
    for obj, names in objects:
        values = vars(obj)
        kept += [(values, name, values.pop(name)) for name in names if name in values]
    try:
        yield
    finally:
        for values, name, value in kept:
            values[name] = value


def _named_profile(name: str) -> Profile:
    """What a pickled profile is made by: its name. Only the unpickler, which knows the build's
    profiles, may make one (_Unpickler.find_class puts its own look-up in this one's place)."""
    raise pickle.UnpicklingError(f"profile {name}")


class _Pickler(pickle.Pickler):
    """A profile is named, not stored: the build's own is put back on load. (A reduction in the
    pickler's own dispatch table, not ``persistent_id``: that hook is called for each of the
    20,000 objects of a department, and took 43 % of pickling it.)"""

    def __init__(self, file: io.BytesIO):
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self.dispatch_table = {**copyreg.dispatch_table, Profile: lambda profile: (_named_profile, (profile.name,))}


class _Unpickler(pickle.Unpickler):
    """Admits only the model's classes (those of the model's modules) and a few of Python's."""

    def __init__(self, file: io.BytesIO, profiles: dict[str, Profile]):
        super().__init__(file)
        self.profiles = profiles

    def find_class(self, module: str, name: str) -> Any:   # noqa: D102 - pickle's hook
        if (module, name) == (__name__, _named_profile.__name__):
            return self.profiles.__getitem__
        package, _, own = module.partition(".")
        if (module, name) in _ALLOWED or (package == "site_builder" and own.split(".")[0] in MODEL_MODULES):
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"{module}.{name}")
