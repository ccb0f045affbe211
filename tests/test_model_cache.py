"""The model cache: after a change to what only rendering depends on, every page is rendered
again from the departments as the last build loaded and checked them, and the output is
byte-identical to a clean build's; after a change to what loading or checking depends on,
or to a department's files, that content is read again. Also the split itself: which modules
the model depends on.

The builds run in one process (``jobs=1``) where a test forbids loading or checking: the
departments are built in the test's own process, where the monkeypatch holds.
"""

from __future__ import annotations

import io
import json
import os
import pickle
import shutil
import sys
import zlib
from pathlib import Path

import pytest

from conftest import EXAMPLE, REPO
from site_builder import cache, workbook, workers
from site_builder.build import CheckFailed, build
from site_builder.cache import cache_path
from site_builder.checks import CheckConfig, run_checks
from site_builder.config import load_site_config
from site_builder.content import department_slugs, load_department
from site_builder.model import Portal
from site_builder.modelcache import (MODEL_MODULES, RENDER_MODULES, load_model, model_path, module_group, prose_path,
                                    workbooks_path)
from site_builder.profiles import load_profiles
from test_incremental import age, aged_example, assert_same_as_clean, edit
from test_layout import imports, modules

F = "departments/fenyang-ybj/2024/final-accounts"
PAGE = "fenyang-ybj/2024/final-accounts/index.html"


@pytest.fixture
def portal(tmp_path) -> Path:
    return aged_example(tmp_path)


def forbid_loading(monkeypatch, workbooks: bool = True) -> None:
    """Fail the test if a department is loaded from its files or checked, or (``workbooks``) an
    XLSX workbook is made."""
    def refused(*args, **kwargs):
        pytest.fail("a department was loaded or checked, or a workbook made")
    monkeypatch.setattr(workers, "load_department", refused)
    monkeypatch.setattr(workers, "run_checks", refused)
    if workbooks:
        monkeypatch.setattr(workbook, "document_workbook", refused)


def add_template(portal: Path, name: str, text: str) -> None:
    path = portal / "templates" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    age(portal / "templates")


def changed_digest(monkeypatch, group: str) -> None:
    """The tool's own files of ``group`` ("model" or "render") as if one of them had changed."""
    digests = cache.package_digests

    def changed() -> dict[str, str]:
        found = digests()
        return {**found, group: found[group] + "-changed"}
    monkeypatch.setattr(cache, "package_digests", changed)


def test_a_template_asset_or_rendering_code_change_renders_every_page_from_the_kept_models(portal, tmp_path,
                                                                                            monkeypatch):
    out = tmp_path / "out"
    first = build(portal, out, search=False, jobs=2)
    assert (first.rendered, first.modelled) == (3, 0)
    assert sorted(os.listdir(model_path(out, "x").parent)) == ["fenyang-ybj", "gaoyi-ybj", "lvliang-ybj"]
    with monkeypatch.context() as patch:
        forbid_loading(patch)
        add_template(portal, "document.html", '{% extends "default/document.html" %}'
                                              '{% block main %}<p class="local">本地模板</p>{{ super() }}{% endblock %}\n')
        result = build(portal, out, search=False, jobs=1)
        assert (result.rendered, result.modelled) == (3, 3)
        assert "模板或生成页面的程序已更新" in result.note
        assert 'class="local"' in (out / PAGE).read_text(encoding="utf-8")
        # an asset of the portal's own over the built-in one: every page links to its new name
        add_template(portal, "assets/site.css", (REPO / "templates/assets/site.css").read_text(encoding="utf-8")
                     + "\n.local { color: #000; }\n")
        result = build(portal, out, search=False, jobs=1)
        assert (result.rendered, result.modelled) == (3, 3) and result.written > 3
        # the rendering code changed (its files' digest): the workbooks are made again
        patch.undo()
        forbid_loading(patch, workbooks=False)
        changed_digest(patch, "render")
        result = build(portal, out, search=False, jobs=1)
        assert (result.rendered, result.modelled) == (3, 3)
    assert_same_as_clean(portal, out, tmp_path)


@pytest.mark.parametrize("change", ["site.yaml", "profile", "loader code"])
def test_a_change_to_what_loading_and_checking_depend_on_reads_every_department_again(portal, tmp_path,
                                                                                        monkeypatch, change):
    out = tmp_path / "out"
    build(portal, out, search=False)
    if change == "site.yaml":
        edit(portal / "site.yaml", "name: ", "name: （测试）", when=os.stat(portal / "site.yaml").st_mtime + 1)
    elif change == "profile":
        from site_builder.profiles import BUILTIN_DIR
        (portal / "profiles").mkdir()
        text = (BUILTIN_DIR / "performance-overall.yaml").read_text(encoding="utf-8")
        (portal / "profiles/performance-overall.yaml").write_text(text.replace("部门整体支出绩效", "部门整体支出绩效（本地）", 1),
                                                                  encoding="utf-8")
    else:
        changed_digest(monkeypatch, "model")
    result = build(portal, out, search=False, jobs=1)
    assert (result.rendered, result.modelled) == (3, 0)
    assert_same_as_clean(portal, out, tmp_path)


def test_an_edited_department_is_read_again_and_the_others_rendered_from_their_models(portal, tmp_path):
    out = tmp_path / "out"
    build(portal, out, search=False, allow_errors=True)
    add_template(portal, "document.html", '{% extends "default/document.html" %}\n')
    edit(portal / F / "tables/03.csv", "612.10", "612.11")
    result = build(portal, out, search=False, allow_errors=True, jobs=1)
    assert (result.rendered, result.modelled) == (3, 2)
    assert "612.11" in (out / PAGE).read_text(encoding="utf-8")
    assert_same_as_clean(portal, out, tmp_path, allow_errors=True)


def test_the_checkers_errors_are_kept_with_the_model(portal, tmp_path, monkeypatch):
    """A build with --allow-errors (the preview's way) renders them; a build without is refused."""
    out = tmp_path / "out"
    edit(portal / F / "tables/03.csv", "612.10", "712.10")       # 基本支出 no longer adds up
    with pytest.raises(CheckFailed) as before:
        build(portal, out, search=False)
    build(portal, out, search=False, allow_errors=True)
    with monkeypatch.context() as patch:
        forbid_loading(patch)
        add_template(portal, "base.html", '{% extends "default/base.html" %}\n')
        result = build(portal, out, search=False, allow_errors=True, jobs=1)
        assert (result.rendered, result.modelled) == (3, 3)
        add_template(portal, "base.html", '{% extends "default/base.html" %}{# again #}\n')
        with pytest.raises(CheckFailed) as after:
            build(portal, out, search=False, jobs=1)
    build(portal, out, search=False, allow_errors=True, jobs=1)
    assert_same_as_clean(portal, out, tmp_path, allow_errors=True)
    listed = [[line for line in str(failed.value).splitlines() if line.startswith("  ")] for failed in (before, after)]
    assert listed[0] == listed[1] and "03.csv" in listed[0][0]


def corrupt(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:len(path.read_bytes()) // 2])


def foreign(path: Path) -> None:
    """The header of another version's model (another key)."""
    header, _, body = path.read_bytes().partition(b"\n")
    path.write_bytes(json.dumps({**json.loads(header), "key": "0" * 32}).encode() + b"\n" + body)


def flipped(path: Path) -> None:
    """A byte changed in the middle of the compressed model."""
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


class Planted:
    """What a model file must never run: a class outside the model's, with a side effect."""

    def __init__(self, marker: str):
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (Path(self.marker),))


@pytest.mark.parametrize("damage", [corrupt, foreign, flipped, "planted", "empty"])
def test_a_damaged_foreign_or_planted_model_file_means_the_content_is_read(portal, tmp_path, damage):
    out = tmp_path / "out"
    build(portal, out, search=False)
    path = model_path(out, "fenyang-ybj")
    marker = tmp_path / "ran"
    if damage == "planted":      # the right key, and a pickle that would run code
        header = path.read_bytes().partition(b"\n")[0]
        path.write_bytes(header + b"\n" + zlib.compress(pickle.dumps((Planted(str(marker)), []))))
    elif damage == "empty":
        path.write_bytes(b"")
    else:
        damage(path)
    add_template(portal, "document.html", '{% extends "default/document.html" %}\n')
    result = build(portal, out, search=False, jobs=1)
    assert (result.rendered, result.modelled) == (3, 2)
    assert not marker.exists()
    assert_same_as_clean(portal, out, tmp_path)
    # and the model read from the content replaced it
    add_template(portal, "document.html", '{% extends "default/document.html" %}{# again #}\n')
    assert build(portal, out, search=False, jobs=1).modelled == 3


@pytest.mark.parametrize("damage", [corrupt, flipped])
def test_a_damaged_workbook_file_means_the_workbooks_are_made_again(portal, tmp_path, damage):
    out = tmp_path / "out"
    build(portal, out, search=False)
    damage(workbooks_path(out, "fenyang-ybj"))
    add_template(portal, "document.html", '{% extends "default/document.html" %}\n')
    assert build(portal, out, search=False, jobs=1).modelled == 3
    assert_same_as_clean(portal, out, tmp_path)


def test_clean_reads_the_content_and_a_removed_department_takes_its_model_along(portal, tmp_path):
    out = tmp_path / "out"
    build(portal, out, search=False)
    assert build(portal, out, search=False, clean=True).modelled == 0
    shutil.rmtree(portal / "departments/gaoyi-ybj")
    build(portal, out, search=False)
    assert sorted(os.listdir(model_path(out, "x").parent)) == ["fenyang-ybj", "lvliang-ybj"]
    assert sorted(os.listdir(workbooks_path(out, "x").parent)) == ["fenyang-ybj", "lvliang-ybj"]
    assert sorted(os.listdir(prose_path(out, "x").parent)) == ["fenyang-ybj", "lvliang-ybj"]
    assert cache_path(out).is_file()          # (the build cache beside them stays)


def test_a_file_saved_just_now_is_not_kept_as_a_model(portal, tmp_path):
    """A department with a file saved within two seconds (racy: a second save in the same clock
    tick could keep its time) is read again next time whatever its signature says."""
    out = tmp_path / "out"
    (portal / F / "overview.md").touch()
    build(portal, out, search=False)
    assert not model_path(out, "fenyang-ybj").exists() and model_path(out, "gaoyi-ybj").exists()


# -- the split ----------------------------------------------------------------------------------

def test_every_module_is_in_one_group():
    """A new module fails this test until it is given a side: does the model depend on it?"""
    names = {name.split(".")[0] for name in modules()}
    assert names == MODEL_MODULES | RENDER_MODULES
    assert not MODEL_MODULES & RENDER_MODULES


def test_what_loading_and_checking_import_is_the_models():
    """Every module that ``content`` and the checker import, at any depth (a lazy import too),
    but the table view the model makes for the pages (``Table.view``, never stored)."""
    found = modules()
    graph = {name: imports(name, path, set(found)) for name, path in found.items()}
    reached, pending = set(), ["content", *(name for name in found if name.split(".")[0] == "checks")]
    while pending:
        name = pending.pop()
        if name not in reached:
            reached.add(name)
            pending += [other for other in graph[name] if (name, other) != ("model", "tableview")]
    assert {name.split(".")[0] for name in reached} - MODEL_MODULES == set()


def test_what_loading_and_checking_run_is_the_models():
    """Every function of the package that runs while the example portal is loaded and checked
    is in a file of the model's group (a call through an object, which no import shows)."""
    root = EXAMPLE
    config, profiles = load_site_config(root), load_profiles(root / "profiles")
    ran: set[str] = set()
    package = str(REPO / "site_builder") + os.sep

    def note(frame, event, arg):
        if event == "call" and frame.f_code.co_filename.startswith(package):
            ran.add(frame.f_code.co_filename[len(package):].replace(os.sep, "/"))
    departments = []
    sys.setprofile(note)
    try:
        for slug in department_slugs(root / "departments"):
            dept = load_department(root / "departments" / slug, config, profiles)
            run_checks(Portal(config, root, [dept]), CheckConfig.from_portal(Portal(config, root, [])))
            departments.append(dept)
    finally:
        sys.setprofile(None)
    assert len(departments) == 3 and "checks/sums.py" in ran
    assert {path for path in ran if module_group(path) != "model"} == set()


def test_a_model_is_read_back_whole_and_names_no_class_of_the_rendering_code(portal, tmp_path):
    out = tmp_path / "out"
    build(portal, out, search=False)
    profiles = load_profiles(portal / "profiles")
    named: set[str] = set()
    for slug in ("fenyang-ybj", "gaoyi-ybj", "lvliang-ybj"):
        path = model_path(out, slug)
        header = json.loads(path.read_bytes().partition(b"\n")[0])
        model = load_model(path, header["key"], profiles)
        assert model is not None
        dept, errors = model
        assert dept.slug == slug and errors == [] and dept.documents[0].tables
        assert dept.documents[0].profile is profiles[dept.documents[0].profile.name]   # named, not stored

        class Names(pickle.Unpickler):
            def find_class(self, module, name):
                named.add(module)
                if name == "_named_profile":        # (a profile is stored by its name)
                    return profiles.__getitem__
                return super().find_class(module, name)
        Names(io.BytesIO(zlib.decompress(path.read_bytes().partition(b"\n")[2]))).load()
    own = {module.split(".")[1] for module in named if module.startswith("site_builder.")}
    assert own and own <= MODEL_MODULES
