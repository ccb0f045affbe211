"""The ``site-builder`` command: parse options, call one stage function, let errors out."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from . import __version__
from .build import build
from .content import load_portal

DEFAULT_CONTENT = Path("content")
DEFAULT_OUTPUT = Path("output")


def _content_dir(path: Path | None) -> Path:
    return path if path is not None else DEFAULT_CONTENT


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="site-builder")
def main() -> None:
    """Build public budget-disclosure portals (预决算公开) as static websites."""


@main.command("build")
@click.argument("content_dir", required=False, type=click.Path(path_type=Path, file_okay=False))
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False), default=DEFAULT_OUTPUT,
              show_default=True, help="Output folder; replaced only when the build succeeds.")
@click.option("--base-url", default=None, help="Absolute URL of the published site (canonical links, sitemap).")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
def build_command(content_dir: Path | None, out_dir: Path, base_url: str | None, quiet: bool) -> None:
    """Build the portal in CONTENT_DIR (default: ./content) into --out."""
    started = time.perf_counter()
    show_bar = not quiet and sys.stderr.isatty()
    bar = None

    def progress(done: int, total: int) -> None:
        nonlocal bar
        if not show_bar:
            return
        if bar is None:
            bar = click.progressbar(length=total, label="生成页面", file=sys.stderr)
            bar.__enter__()
        bar.update(1)

    try:
        result = build(_content_dir(content_dir), out_dir, base_url, progress)
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    if not quiet:
        seconds = time.perf_counter() - started
        click.echo(f"已生成 {len(result.portal.documents)} 份公开文件、{result.pages} 个页面，"
                   f"共 {result.files} 个文件（{result.bytes / 1024:.0f} KB），用时 {seconds:.2f} 秒 → {out_dir}")


@main.command("check")
@click.argument("content_dir", required=False, type=click.Path(path_type=Path, file_okay=False))
def check_command(content_dir: Path | None) -> None:
    """Read and validate every file in CONTENT_DIR without writing anything."""
    portal = load_portal(_content_dir(content_dir))
    click.echo(f"检查通过：{len(portal.departments)} 个部门，{len(portal.documents)} 份公开文件。")


if __name__ == "__main__":  # pragma: no cover
    main()
