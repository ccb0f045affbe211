"""The stage order of site_builder's modules, and the rule that keeps it: no module imports one of
a later stage.

The order is the pipeline's (README, "Code map"): what is read first comes first, and a stage
may use what the stages before it made, never what comes after it. Modules that are not a step
of the pipeline sit before their first user: ``layout`` and ``jsonfmt`` (the output's names, the
JSON encoding) at the bottom, ``downloads``/``workbook``/``xlsx``/``charts`` with the pages they
belong to, ``corrections``/``datapackage``/``manifest``/``cache`` after ``write``, whose atomic
write they use. Two deliberate departures from the data flow: ``build`` comes after ``search``
because it is the driver that runs every stage, indexing included (and ``serve`` drives
``build``); ``search_bundle`` shares ``search``'s stage, being its second half, which ``search`` calls.

Every import counts, at the top of a module or inside a function (a lazy import couples the
modules all the same), and a new module fails the test until it is given its place.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from conftest import REPO

PACKAGE = REPO / "site_builder"

STAGES: list[tuple[str, ...]] = [
    ("__init__", "errors", "faults", "layout", "jsonfmt", "numbers", "records"),   # version, errors, fault points, names, JSON, records
    ("yaml_errors", "sources"),                               # read files, YAML with line numbers and its errors
    ("profiles",),                                            # table-set definitions
    ("model", "tables", "glossary", "sanitize", "formview", "config", "content"),   # site.yaml; the content folder loaded into the model
    ("checks",),                                              # the checker's rules (the whole package)
    ("draftnotice",),                                         # a draft's errors in the preview, what a save changed
    ("markdown_text", "prose_figures", "explain"),            # 情况说明 figures, the {{ … }} language
    ("headlines",),                                           # headline figures, year tables
    ("tableview", "charts", "assets", "downloads", "xlsx", "workbook", "render"),   # pages and their files
    ("catalog",),                                             # catalog.json
    ("coverage",),                                            # no printed number lost: every table's cells in every output
    ("write",),                                               # staging, atomic writes, refused writes
    ("journal",),                                             # the commit: all or nothing, completed after a crash
    ("corrections", "datapackage", "manifest", "cache", "modelcache", "fsmonitor"),   # beside the pages: records, package, hashes, caches, watchman
    ("pages",),                                               # the one list of each department's files, made
    ("summary",),                                             # what the portal's pages need of a department
    ("workers",),                                             # one department's build, in a worker process
    ("plan",),                                                # what the portal's pages and the output need redone
    ("search", "search_bundle"),                              # Pagefind over the written pages, its bundle made smaller
    ("build",),                                               # the driver: every stage above, per department
    ("publish",),                                             # after the build: releases, atomic switch
    ("serve",),                                               # the live preview, re-running build's stages
    ("scaffold", "importer", "clicktext", "cli"),             # commands: new/add, import, the click layer in Chinese
]

# (importer, imported): why the import stays although it goes up the order
EXCEPTIONS = {
    **{("model", later): "a derived value of the model (Document.headline_figures, .placeholders, "
                         ".prose_sentences; Table.view) is made on first use by the stage that knows how, "
                         "imported inside the cached property, and kept on the object for every stage after"
       for later in ("checks.placeholders", "checks.prose", "headlines", "tableview")},
    ("config", "checks"): "site.yaml's checks: is read once, into the checker's CheckConfig, and the rule names "
                          "it gives are refused at their line of site.yaml when unknown (checks.RULES)",
    ("content", "checks"): "a rule named in site.yaml (checks: disabled/severity) or in known_issues is "
                           "refused when the content is loaded, where the clerk wrote it: content asks "
                           "the checker's registry (checks.RULES) which rules exist",
}


def stage_of(module: str) -> int:
    """The stage of ``module`` (``checks.sums`` is in the stage of ``checks``)."""
    parts = module.split(".")
    while parts:
        for number, stage in enumerate(STAGES):
            if ".".join(parts) in stage:
                return number
        parts.pop()
    raise KeyError(module)


def modules() -> dict[str, Path]:
    """Every module of the package, by name relative to it (``checks.sums``; ``__init__`` for the
    package's own)."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        if parts[-1] == "__init__" and len(parts) > 1:
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The package's modules that ``name`` imports, anywhere in it."""
    package = name.split(".") if path.name == "__init__.py" and name != "__init__" else name.split(".")[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - (node.level - 1)]
                target = [*base, *(node.module.split(".") if node.module else [])]
            elif node.module and node.module.split(".")[0] == "site_builder":
                target = node.module.split(".")[1:]
            else:
                continue
            for alias in node.names:
                submodule = ".".join([*target, alias.name])
                found.add(submodule if submodule in known else ".".join(target) or "__init__")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "site_builder":
                    found.add(".".join(alias.name.split(".")[1:]) or "__init__")
    found.discard(name)
    return found


def upward_imports() -> dict[tuple[str, str], str]:
    """(importer, imported) → the two stages, for every import of a module of a later stage."""
    found = modules()
    upward = {}
    for name, path in found.items():
        for imported in imports(name, path, set(found)):
            if stage_of(imported) > stage_of(name):
                upward[(name, imported)] = f"stage {stage_of(name)} imports stage {stage_of(imported)}"
    return upward


def test_every_module_has_its_place_in_the_order():
    placed = [module for stage in STAGES for module in stage]
    assert len(placed) == len(set(placed)), "a module is in two stages"
    missing = [name for name in modules() if name.split(".")[0] not in placed]
    assert not missing, f"give these modules a stage in STAGES (tests/test_layout.py): {missing}"
    gone = [name for name in placed if name not in modules()]
    assert not gone, f"modules in STAGES that no longer exist: {gone}"


def test_no_module_imports_a_later_stage():
    upward = {pair: why for pair, why in upward_imports().items() if pair not in EXCEPTIONS}
    assert not upward, ("a module imports one of a later stage: move what it needs down (layout.py "
                        f"for a name or a path) or the module up: {upward}")


def test_every_exception_is_still_needed():
    assert set(EXCEPTIONS) <= set(upward_imports()), "an exception in EXCEPTIONS no longer happens: remove it"


@pytest.mark.parametrize("source, expected", [
    ("from .write import stage", {"write"}),
    ("from . import xlsx", {"xlsx"}),
    ("from . import __version__", {"__init__"}),
    ("from .checks.placeholders import placeholders", {"checks.placeholders"}),
    ("def f():\n    from .render import Renderer", {"render"}),
    ("import site_builder.search", {"search"}),
    ("from site_builder.layout import MANIFEST", {"layout"}),
    ("import json\nfrom pathlib import Path", set()),
])
def test_imports_are_read_at_any_depth(tmp_path, source, expected):
    module = tmp_path / "module.py"
    module.write_text(source, encoding="utf-8")
    assert imports("summary", module, set(modules())) == expected


def test_a_rule_module_imports_its_package(tmp_path):
    module = tmp_path / "rule.py"
    module.write_text("from ..model import Document\nfrom . import CheckConfig, rule\n", encoding="utf-8")
    assert imports("checks.new", module, set(modules())) == {"model", "checks"}


def test_one_json_encoding_for_what_the_build_writes():
    """jsonfmt: compact, Chinese as it is, keys in their order unless sorted (the manifests); the
    site's JSON files end with a line break, a digest is of the compact text."""
    import hashlib

    from site_builder.jsonfmt import compact_json, digest, json_text

    value = {"部门": "汾阳市医疗保障局", "b": [1, 2.5, None, True], "a": {"x": "\t"}}
    assert compact_json(value) == '{"部门":"汾阳市医疗保障局","b":[1,2.5,null,true],"a":{"x":"\\t"}}'
    assert compact_json(value, sort_keys=True) == '{"a":{"x":"\\t"},"b":[1,2.5,null,true],"部门":"汾阳市医疗保障局"}'
    assert json_text(value) == compact_json(value) + "\n"
    assert digest(value) == hashlib.blake2b(compact_json(value).encode("utf-8"), digest_size=16).hexdigest()
