"""The tool as a finance office installs it — from its wheel, not from this checkout — builds the
portal: the templates, profiles and data files all travel inside the wheel."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import lxml.html
import pytest
from conftest import EXAMPLE, FENYANG, cell

REPO = Path(__file__).resolve().parent.parent


def shipped(folder: Path) -> set[str]:
    """Every file under ``folder`` that an installed tool needs (compiled code aside)."""
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel built from a copy of the sources (a build/ folder left in a checkout by an
    earlier build would otherwise slip stale files into it)."""
    work = tmp_path_factory.mktemp("wheel")
    tree = work / "site-builder"
    tree.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, tree / name)
    for name in ("site_builder", "templates"):
        shutil.copytree(REPO / name, tree / name, ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
                    "-q", "-w", str(work / "dist"), str(tree)], check=True, capture_output=True,
                   env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"})
    (found,) = (work / "dist").glob("site_builder-*.whl")
    return found


def test_wheel_carries_every_file(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    package = {f"site_builder/{name}" for name in shipped(REPO / "site_builder")}
    templates = {f"site_builder/templates/{name}" for name in shipped(REPO / "templates")}
    assert len(templates) > 20 and "site_builder/templates/assets/site.css" in templates
    assert package - names == set()
    assert templates - names == set()


def test_installed_wheel_builds_the_example(wheel, tmp_path, example_out):
    """Unpacked and put first on the path, in a folder with no templates/ near it, the wheel's
    own code builds the example portal: the same pages as the checkout builds (``example_out``,
    which has no base URL either)."""
    site = tmp_path / "site-packages"
    zipfile.ZipFile(wheel).extractall(site)
    env = {**os.environ, "PYTHONPATH": str(site)}
    where = subprocess.run([sys.executable, "-c", "import site_builder.assets as a; print(a.__file__); "
                            "print(a.BUILTIN_TEMPLATES)"], cwd=tmp_path, env=env, check=True,
                           capture_output=True, text=True).stdout.split("\n")
    assert where[0] == str(site / "site_builder" / "assets.py")
    assert where[1] == str(site / "site_builder" / "templates")
    out = tmp_path / "output"
    subprocess.run([sys.executable, "-m", "site_builder.cli", "build", str(EXAMPLE), "--out", str(out),
                    "--base-url", "", "--no-search", "-q"], cwd=tmp_path, env=env, check=True, capture_output=True)
    page = lxml.html.parse(str(out / FENYANG / "index.html")).getroot()
    assert cell(page, "03", "合计", "total") == "2262.43"
    pages = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.html"))
    assert len(pages) > 20
    different = [p for p in pages if p != "search.html"
                 and (out / p).read_bytes() != (example_out / p).read_bytes()]
    assert different == []
    for name in ("assets/site.css", "assets/search.js", "favicon.svg"):
        if (example_out / name).exists():
            assert (out / name).read_bytes() == (example_out / name).read_bytes()
