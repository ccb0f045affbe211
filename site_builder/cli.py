"""The ``site-builder`` command: parse options, call one stage function, let errors out."""

from __future__ import annotations

import atexit
import contextlib
import gc
import json
import os
import signal
import sys
import time
from pathlib import Path

import click

from . import __version__
from .build import build
from .fsmonitor import MODES as MONITOR_MODES
from .search import DEFAULT_SHARD_SIZE, PAGEFIND_VERSION
from .checks import run_checks
from .clicktext import Chinese, UsageError, chinese
from .content import load_portal
from .model import KINDS

DEFAULT_CONTENT = Path("content")
DEFAULT_OUTPUT = Path("output")


def _content_dir(path: Path | None) -> Path:
    """The content folder: as given; else the current folder when it holds a portal (site.yaml,
    as ``site-builder new`` makes it), else ./content."""
    if path is not None:
        return path
    return Path(".") if Path("site.yaml").is_file() else DEFAULT_CONTENT


class _Command(Chinese, click.Command):
    """A command whose help and usage errors are in Chinese (clicktext)."""


class _Commands(Chinese, click.Group):
    """The commands; a write the disk refused (full, read-only, over quota, not ours) that no
    stage turned into a clear message still ends as one (exit 1), never as a traceback; Ctrl-C
    says so in Chinese (exit 1). A usage
    error (an unknown option, a missing argument), of the group or of a command, is shown in
    Chinese (exit 2)."""

    command_class = _Command

    def make_context(self, info_name, args, parent=None, **extra) -> click.Context:
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.UsageError as exc:
            raise _usage_error(exc) from exc

    def invoke(self, ctx: click.Context):
        from .write import write_error

        try:
            return super().invoke(ctx)
        except click.UsageError as exc:
            raise _usage_error(exc) from exc
        except KeyboardInterrupt:         # Ctrl-C: in Chinese, not click's “Aborted!” (exit 1 as before)
            click.echo("\n已中断（Ctrl-C）。生成网站和发布中断时不留半成品：输出文件夹和网站仍是上一次完整的版本。", err=True)
            raise click.exceptions.Exit(1) from None
        except OSError as exc:
            error = write_error(exc)
            if error is None:
                raise
            raise error from exc


def _usage_error(error: click.UsageError) -> click.UsageError:
    """``error`` in Chinese, unless it is already, or is the help shown for a bare command."""
    if isinstance(error, (UsageError, getattr(click.exceptions, "NoArgsIsHelpError", UsageError))):
        return error
    return chinese(error)


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]},
             subcommand_metavar="命令 [参数]...")
@click.version_option(__version__, "--version", prog_name="site-builder", message="%(prog)s %(version)s",
                      help="显示版本号并退出（Show the version and exit）。")
def main() -> None:
    """生成预决算公开网站（静态网站）：检查各部门的预算、决算和绩效自评内容，生成可直接发布的网站。

    (Build public budget-disclosure portals as static websites.)"""


def _stop_cleanly_on_sigterm() -> None:
    """``kill`` (a scheduler's timeout, a CI job cancelled) ends the build as Ctrl-C does: the
    staging folder is removed and the output stays as the last build left it. Python's default
    would end the process at once and leave gigabytes of staged pages beside the output."""
    main_pid = os.getpid()

    def stop(signum, _frame):
        if os.getpid() != main_pid:          # a forked build worker, told to end by its pool
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop)


def _note(note: str | None) -> None:
    """A note for the user (what a command found and did before its work), on stderr."""
    if note:
        click.echo(click.style(f"注意：{note}", fg="yellow"), err=True)


def _modelled(count: int) -> str:
    """How many of the departments rendered again were not read again (their content unchanged)."""
    return f"（其中 {count} 个内容未变，未重新读取）" if count else ""


def _base_url(value: str | None) -> str | None:
    """--base-url, refused as a usage error (exit 2) unless it is an address robots.txt, the
    sitemap and the pages can hold as it is."""
    from .config import BASE_URL_HINT, base_url_problem

    if not value:
        return value
    problem = base_url_problem(value)
    if problem:
        raise click.BadParameter((f"“{value}”" if value.isprintable() else "") + f"{problem}；{BASE_URL_HINT}")
    return value


@main.command("build", short_help="检查内容并生成网站")
@click.argument("content_dir", required=False, type=click.Path(path_type=Path, file_okay=False))
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False), default=DEFAULT_OUTPUT,
              show_default=True, help="输出文件夹；只有生成成功时才替换其中的网站。")
@click.option("--base-url", default=None, callback=lambda _ctx, _param, value: _base_url(value),
              help="网站发布后的完整地址（用于规范网址和网站地图），如 https://www.example.gov.cn/yjsgk/。")
@click.option("-q", "--quiet", is_flag=True, help="只显示错误，不显示其他信息。")
@click.option("--allow-errors", is_flag=True, help="检查发现错误时仍然生成（只用于预览，不要发布）。")
@click.option("--no-search", is_flag=True, help="不生成搜索索引（Pagefind）；搜索页会提示暂不可用。")
@click.option("--search-shard-size", type=click.IntRange(min=1), default=DEFAULT_SHARD_SIZE, show_default=True,
              help="Pagefind 每次索引的页面数（每页约需 4 MB 内存）；页面更多时分批建立索引。")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None,
              help="同时工作的进程数  [默认：每个 CPU 一个]")
@click.option("--clean", is_flag=True, help="不使用构建缓存：重新读取并生成每一份公开文件。")
@click.option("--signing-key", type=click.Path(path_type=Path, dir_okay=False), envvar="SITE_BUILDER_SIGNING_KEY",
              default=None, help="给 manifest.json 签名的 Ed25519 私钥（site-builder keygen 生成）；"
                                 "也可设置环境变量 SITE_BUILDER_SIGNING_KEY。")
@click.option("--previous-release", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="已发布的网站（publish 的 TARGET）：发布后改动过的公开文件，页面上生成注明日期的更正记录，"
                   "列出改动的每一格和每一句。")
@click.option("--monitor", type=click.Choice(MONITOR_MODES), default="auto", show_default=True,
              help="用 watchman 得知哪些部门有改动，不再逐个检查文件：auto 仅当 watchman 已在监视内容文件夹时使用；"
                   "watchman 需要时启动它并开始监视；none 不用。")
def build_command(content_dir: Path | None, out_dir: Path, base_url: str | None, quiet: bool,
                  allow_errors: bool, no_search: bool, search_shard_size: int, jobs: int | None, clean: bool,
                  signing_key: Path | None, previous_release: Path | None, monitor: str) -> None:
    """检查 CONTENT_DIR（默认 ./content）中的内容，生成网站到 --out 文件夹；发现错误时不生成，原有网站不变。

    (Build the portal in CONTENT_DIR into --out.)"""
    _stop_cleanly_on_sigterm()
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
        result = build(_content_dir(content_dir), out_dir, base_url, progress, allow_errors=allow_errors,
                       search=not no_search, search_shard_size=search_shard_size, jobs=jobs, clean=clean,
                       signing_key=signing_key, previous_release=previous_release, monitor=monitor)
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    if not quiet:
        seconds = time.perf_counter() - started
        by = "，watchman" if result.monitor else ""          # the monitor, not a scan, found what changed
        _note(result.note)
        if result.written == result.files and not result.removed:
            click.echo(f"已生成 {result.documents} 份公开文件、{result.pages} 个页面，共 {result.files} 个文件"
                       f"（{result.bytes / 1024:.0f} KB），用时 {seconds:.2f} 秒 → {out_dir}")
        elif result.written or result.removed:
            removed = f"、删除 {result.removed} 个" if result.removed else ""
            click.echo(f"网站共 {result.documents} 份公开文件、{result.pages} 个页面、{result.files} 个文件；"
                       f"本次重新生成 {result.rendered} 个部门{_modelled(result.modelled)}，写入 {result.written} 个文件（{result.bytes / 1024:.0f} KB）"
                       f"{removed}，其余未变；用时 {seconds:.2f} 秒{by and '（watchman）'} → {out_dir}")
        else:
            click.echo(f"内容没有变化，未写入任何文件（{result.documents} 份公开文件，用时 {seconds:.2f} 秒{by}）→ {out_dir}")
        if result.search and result.search.version != PAGEFIND_VERSION:
            click.echo(click.style(f"注意：使用的 Pagefind 为 {result.search.version or '未知版本'}（{result.search.binary}），"
                                   f"本工具测试的是 {PAGEFIND_VERSION}；中文搜索结果可能不全。运行 npm ci 安装测试过的版本。",
                                   fg="yellow"), err=True)
        if result.search:
            shards = f"，分 {result.search.shards} 个分片" if result.search.shards > 1 else ""
            click.echo(f"搜索索引：{result.search.pages} 个页面、{result.search.words} 个词{shards}，"
                       f"用时 {result.search.seconds:.2f} 秒（Pagefind）")
        elif no_search and (out_dir / "pagefind").is_dir():
            click.echo("未更新搜索索引（--no-search）；页面没有变化，保留原有索引")
        elif no_search:
            click.echo("未生成搜索索引（--no-search）：搜索页将提示暂不可用")
    # At exit, what is still alive is frozen first, so the collector's passes while Python shuts
    # down do not walk it (measured: docs/performance.md#exit-freeze)
    atexit.unregister(gc.freeze)
    atexit.register(gc.freeze)


@main.command("serve", short_help="实时预览：保存后自动刷新页面")
@click.argument("content_dir", required=False, type=click.Path(path_type=Path, file_okay=False))
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="端口；0 表示自动选一个空闲端口。")
@click.option("--host", default="127.0.0.1", show_default=True, help="监听地址（改为其他地址时，别人也能看到预览）。")
@click.option("--base-path", default="/", show_default=True, help="按网站服务器上的子目录预览，如 /yjsgk/。")
@click.option("--open", "open_browser", is_flag=True, help="在默认浏览器中打开预览。")
@click.option("--no-search", is_flag=True, help="预览时不建立搜索索引。")
@click.option("--search-max-pages", default=2000, show_default=True, type=click.IntRange(min=0),
              help="公开文件超过这个数量时，预览不提供搜索（建立索引要几分钟）。")
def serve_command(content_dir: Path | None, port: int, host: str, base_path: str, open_browser: bool,
                  no_search: bool, search_max_pages: int) -> None:
    """预览 CONTENT_DIR（默认 ./content）：每次保存后重新生成改动的部分，并刷新浏览器中的页面。

    (Preview CONTENT_DIR: rebuild on every save and reload the page.)"""
    from .serve import serve

    serve(_content_dir(content_dir), port=port, host=host, base_path=base_path, open_browser=open_browser,
          search=not no_search, search_max_pages=search_max_pages)


@main.command("keygen", short_help="生成签名用的密钥对")
@click.argument("private_key", type=click.Path(path_type=Path, dir_okay=False))
def keygen_command(private_key: Path) -> None:
    """生成 Ed25519 密钥对：私钥 PRIVATE_KEY（给 build --signing-key 用，不要放到网站服务器上）
    和公钥 PRIVATE_KEY.pub（给 verify --public-key 用）。

    (Make an Ed25519 key pair: PRIVATE_KEY and PRIVATE_KEY.pub.)"""
    from .manifest import keygen

    public = keygen(private_key)
    click.echo(f"已生成私钥 {private_key}（只有本账号可读，不要放进网站文件夹）和公钥 {public}（交给网站服务器上的 verify）")


@main.command("verify", short_help="核对已发布的网站是否被改动")
@click.argument("target", type=click.Path(path_type=Path, file_okay=False, exists=True))
@click.option("--public-key", type=click.Path(path_type=Path, dir_okay=False, exists=True), required=True,
              help="公钥（site-builder keygen 生成的 PRIVATE_KEY.pub）。")
def verify_command(target: Path, public_key: Path) -> None:
    """按签名的文件清单核对 TARGET（已发布的网站，或发布目标的当前版本）：列出新增、改动和缺失的
    每个文件；有任何差异时退出码为 1。

    (Check TARGET against its signed manifest; exit 1 on any difference.)"""
    from .journal import output_lock, pending, recover
    from .manifest import verify

    if pending(target):         # a build into this folder died: complete (or clean up) first
        with output_lock(target, "检查"):
            _note(recover(target))
    report = verify(target, public_key)
    messages = {"valid": "签名有效", "invalid": "签名无效：清单被改动过，或不是用这把密钥签的",
                "missing": "清单没有签名（生成时未加 --signing-key）"}
    click.echo(f"{report.folder}：{messages[report.signature]}；检查了 {report.files} 个文件")
    for label, paths in (("新增", report.added), ("改动", report.changed), ("缺失", report.removed)):
        for path in paths:
            click.echo(f"  {label} {path}")
    for release in report.rejected:     # (a record edited to pass off a file as a kept asset, or unsigned)
        click.echo(f"  发布记录中较早版本 {release} 的清单签名无效，没有据它认可任何文件")
    if report.ok:
        click.echo("与发布时一致，没有发现改动")
    else:
        click.echo(f"发现差异：新增 {len(report.added)} 个、改动 {len(report.changed)} 个、缺失 {len(report.removed)} 个文件",
                   err=True)
        sys.exit(1)


@main.command("publish", short_help="把生成的网站发布为新版本")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path, file_okay=False),
                metavar="[OUTPUT] TARGET")
@click.option("--keep", default=5, show_default=True, type=click.IntRange(min=1), help="保留的版本数。")
@click.option("--dry-run", is_flag=True, help="试运行：只列出将要改动的文件，不写入。")
@click.option("--allow-removal", is_flag=True, help="已公开的文件在新版本中消失时，仍然发布（确认要撤下时用）。")
@click.option("--checksum", is_flag=True, help="逐字节比较每个文件（而不是只比大小和时间），"
              "不沿用当前版本中被改动过的文件。")
def publish_command(paths: tuple[Path, ...], keep: int, dry_run: bool, allow_removal: bool,
                    checksum: bool) -> None:
    """把生成的网站 OUTPUT（默认 ./output）发布到 TARGET，作为一个新版本，一次切换完成
    （同一时间只能有一个发布或回退：另一个正在进行时，说明是哪个进程并拒绝本次操作）。

    (Publish OUTPUT to TARGET as a new release, switched atomically.)"""
    from .journal import output_lock, recover
    from .publish import publish

    if len(paths) > 2:
        raise click.UsageError("publish 只接受两个文件夹：[OUTPUT] TARGET")
    output, target = (None, paths[0]) if len(paths) == 1 else paths

    output = output or DEFAULT_OUTPUT
    with output_lock(output, "发布") if output.is_dir() else contextlib.nullcontext():
        _note(recover(output) if output.is_dir() else None)      # (no build changes the output while it is copied)
        result = publish(output, target, keep=keep, dry_run=dry_run, allow_removal=allow_removal, checksum=checksum)
    for note in result.notes:
        click.echo(click.style(note, fg="yellow"), err=True)
    if result.removed_documents:
        click.echo(click.style("本次发布撤下了已公开的文件：" + "；".join(result.removed_documents), fg="yellow"), err=True)
    if dry_run:
        click.echo(f"试运行（未写入）：新增 {len(result.added)} 个文件，修改 {len(result.changed)} 个，"
                   f"删除 {len(result.removed)} 个")
        for label, names in (("新增", result.added), ("修改", result.changed), ("删除", result.removed)):
            for name in names:
                click.echo(f"  {label} {name}")
        return
    release = result.release
    assert release is not None      # publish makes one unless it is a dry run
    click.echo(f"已发布 {release.id}：{release.documents} 份公开文件、{release.files} 个文件；"
               f"新增 {len(result.added)}、修改 {len(result.changed)}、删除 {len(result.removed)} 个文件"
               f"（{result.linked} 个未变文件以硬链接沿用上一版本），用时 {result.seconds:.2f} 秒 → {target}/current")
    if result.deleted_releases:
        click.echo("已删除较早的版本：" + "、".join(result.deleted_releases))


@main.command("rollback", short_help="退回到较早的发布版本")
@click.argument("target", type=click.Path(path_type=Path, file_okay=False, exists=True))
@click.argument("release", required=False)
def rollback_command(target: Path, release: str | None) -> None:
    """把 TARGET 切换回 RELEASE 版本（默认：当前版本的上一个），一次切换完成。

    (Switch TARGET back to RELEASE, atomically.)"""
    from .publish import rollback

    notes: list[str] = []
    try:
        chosen = rollback(target, release, notes)
    finally:
        for note in notes:
            click.echo(click.style(note, fg="yellow"), err=True)
    click.echo(f"已切换到 {chosen.id}（{chosen.published}，{chosen.documents} 份公开文件）")


@main.command("releases", short_help="列出已发布的版本")
@click.argument("target", type=click.Path(path_type=Path, file_okay=False, exists=True))
def releases_command(target: Path) -> None:
    """列出 TARGET 的发布版本，从早到晚；* 标出正在使用的版本。

    (List TARGET's releases, oldest first; * marks the one being served.)"""
    from .publish import leftovers, releases

    known = releases(target)
    if not known:
        click.echo(f"{target} 中还没有发布版本")
    left = leftovers(target)
    if left:
        click.echo(click.style(f"另有 {len(left)} 项不是完整的发布版本（正在进行或被中断的发布、回退、删除留下的），不会列出；"
                               "被中断的由下一次 publish 或 rollback 清理：" + "、".join(p.name for p in left), fg="yellow"),
                   err=True)
    for release in known:
        mark = "*" if release.current else " "
        click.echo(f"{mark} {release.id}  {release.published}  {release.documents} 份公开文件  "
                   f"{release.files} 个文件  内容 {release.content_hash[:16]}")


SEVERITY_LABELS = {"error": "错误", "warning": "警告", "note": "提示"}


@main.command("new", short_help="新建一个门户")
@click.argument("folder", type=click.Path(path_type=Path, file_okay=False))
@click.option("--region", default=None, help="门户所属地区，如 山西省吕梁市。")
@click.option("--profile", default=None, help="该类公开文件默认的表格方案（profile），如 final-accounts-9。")
def new_command(folder: Path, region: str | None, profile: str | None) -> None:
    """在 FOLDER（不存在或为空）中新建门户：site.yaml、departments/、templates/ 和给经办人看的 README。

    (Create a new portal in FOLDER.)"""
    from .scaffold import new_portal

    files = new_portal(folder, region, profile)
    click.echo(f"已新建门户 {folder}：" + "、".join(str(f.relative_to(folder)) for f in files) + "、departments/")
    click.echo(f"下一步：打开 {folder / 'site.yaml'} 填写【待填写】处；"
               f"然后 cd {folder} 并运行 site-builder add 部门标识 年度 类型 新建公开文件（见 {folder / 'README.md'}）")


@main.command("add", short_help="新建一份公开文件（表格和说明的空白模板）")
@click.argument("department")
@click.argument("year", type=int)
@click.argument("kind", type=click.Choice(list(KINDS)))
@click.option("--profile", default=None, help="表格方案（profile）；默认用 site.yaml 中该类型的方案。")
@click.option("--name", default=None, help="部门全称（新部门时填写）。")
@click.option("--into", "content_dir", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="内容文件夹  [默认：当前文件夹有 site.yaml 时为当前文件夹，否则为 ./content]")
def add_command(department: str, year: int, kind: str, profile: str | None, name: str | None,
                content_dir: Path | None) -> None:
    """新建部门 DEPARTMENT 的 YEAR 年度 KIND 类公开文件：每张表一个带表头的 CSV、带标题的说明文件和
    document.yaml；要填写的地方标着【待填写】。

    (Create DEPARTMENT's YEAR document of KIND, to be filled in.)"""
    from .scaffold import add_document

    content = _content_dir(content_dir)
    added = add_document(content, department, year, kind, profile, name)
    click.echo(f"已新建 {added.folder}（{added.profile.title}）：{len(added.profile.tables)} 张表的 CSV、"
               f"{len(added.files) - len(added.profile.tables)} 个说明和设置文件")
    click.echo(f"其中有 {added.placeholders} 处【待填写】；全部填写前 site-builder check 会报错，build 不会生成网站。"
               f"表格可以在 Excel 中填写后用 site-builder import 导入。")


@main.command("import", short_help="从 Excel 工作簿导入表格")
@click.argument("workbook", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--into", "content_dir", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="内容文件夹  [默认：当前文件夹有 site.yaml 时为当前文件夹，否则为 ./content]")
@click.option("--department", required=True, help="部门文件夹名，如 fenyang-ybj。")
@click.option("--year", required=True, type=int, help="年度，如 2024。")
@click.option("--kind", required=True, type=click.Choice(list(KINDS)),
              help="类型：final-accounts（决算）、budget（预算）或 performance（绩效）。")
@click.option("--profile", default=None, help="表格方案（profile）；默认用该文件原有的，或 site.yaml 中该类型的方案。")
@click.option("--dry-run", is_flag=True, help="试运行：读取工作簿，列出将要写入的文件，不写入。")
@click.option("--force", is_flag=True, help="替换已有公开文件的表格（工作簿读取成功后才替换）。")
def import_command(workbook: Path, content_dir: Path | None, department: str, year: int, kind: str,
                   profile: str | None, dry_run: bool, force: bool) -> None:
    """把 Excel 工作簿 WORKBOOK（.xlsx 或 .xls，每张表一个工作表，按公开的格式）导入为一份公开文件的
    表格，然后检查这份文件。

    (Import WORKBOOK as a document's tables, then check the document.)"""
    from .importer import import_workbook

    content = _content_dir(content_dir)
    plan = import_workbook(workbook, content, department, year, kind, profile, force=force, dry_run=dry_run)
    for table in plan.imported.tables:
        unit = f"，单位{table.unit}" if table.unit else ""
        click.echo(f"  {table.spec.number} {table.spec.title} ← 工作表“{table.sheet}”：{table.rows} 行{unit}")
    for notice in plan.imported.notices:
        click.echo(click.style(f"  注意：{notice}", fg="yellow"))
    for spec in plan.imported.missing:
        kept = f"，保留原有的 tables/{spec.id}.csv" if plan.existed else "，写入的是空表（只有表头），请补充"
        click.echo(click.style(f"  缺少：工作簿中没有{spec.number}（{spec.title}）{kept}", fg="yellow"))
    for line in plan.messages:
        click.echo(line)
    if dry_run:
        click.echo(f"试运行（未写入）：将写入 {len(plan.files)} 个文件 → {plan.folder}")
        for path in plan.files:
            click.echo(f"  {path}")
        return
    click.echo(f"已从 {workbook} 导入 {len(plan.imported.tables)} 张表，写入 {len(plan.files)} 个文件 → {plan.folder}")
    _report_document(content, plan.folder)


def _report_document(content: Path, folder: Path) -> None:
    """Check the imported document and print what the checker finds (【待填写】 summed up)."""
    from .checks.placeholders import PLACEHOLDER_RULE
    from .errors import SiteBuilderError

    try:
        portal = load_portal(content)
    except SiteBuilderError as exc:
        click.echo(click.style(f"检查前读取内容时出错：{exc.format_message()}", fg="red"), err=True)
        return
    doc = next((d for d in portal.documents if d.path.resolve() == folder.resolve()), None)
    findings = run_checks(portal, documents=[doc]) if doc else []
    marks = [f for f in findings if f.rule == PLACEHOLDER_RULE]
    # errors and warnings line by line; notes (rounding) summed up, as `check` does without --notes
    _print_findings([f for f in findings if f.rule != PLACEHOLDER_RULE and f.severity != "note"], "text")
    if marks:
        by_file: dict[str, int] = {}
        for f in marks:
            by_file[f.location.path.name] = by_file.get(f.location.path.name, 0) + 1
        click.echo(f"还有 {len(marks)} 处【待填写】（" + "、".join(f"{k} {v} 处" for k, v in by_file.items()) +
                   "）：填写完成前 site-builder build 不会生成网站，site-builder serve 可以预览")
    counts = {s: sum(f.severity == s for f in findings) for s in SEVERITY_LABELS}
    click.echo(f"检查结果：错误 {counts['error']} 个（其中待填写 {len(marks)} 处），警告 {counts['warning']} 个，"
               f"提示 {counts['note']} 个" + ("（舍入差异等，用 site-builder check --notes 查看）" if counts["note"] else ""))


def _print_findings(findings: list, fmt: str) -> None:
    if fmt == "json":
        click.echo(json.dumps({"findings": [f.as_dict() for f in findings],
                               "summary": {s: sum(f.severity == s for f in findings) for s in SEVERITY_LABELS}},
                              ensure_ascii=False, indent=1))
        return
    for f in findings:
        click.echo(f"{f.location}: {SEVERITY_LABELS[f.severity]} [{f.rule}] {f.message}")


@main.command("check", short_help="只检查内容，不生成网站")
@click.argument("content_dir", required=False, type=click.Path(path_type=Path, file_okay=False))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="输出格式：text（逐行文字）或 json（全部结果，含提示）。")
@click.option("--strict", is_flag=True, help="有警告时也以退出码 1 结束。")
@click.option("--only", default=None, metavar="DEPT/YEAR/KIND", help="只检查一个部门、年度或一份文件，如 fenyang-ybj/2024。")
@click.option("--notes", "show_notes", is_flag=True, help="也逐条列出提示（JSON 格式总是包含提示）。")
def check_command(content_dir: Path | None, fmt: str, strict: bool, only: str | None, show_notes: bool) -> None:
    """检查 CONTENT_DIR（默认 ./content）中每份公开文件的格式和数字；有错误时退出码为 1。

    (Validate CONTENT_DIR and check every disclosure's figures; exit 1 on errors.)"""
    portal = load_portal(_content_dir(content_dir))
    findings = [f for f in run_checks(portal) if not only or f.document.startswith(only.strip("/"))]
    notes = sum(f.severity == "note" for f in findings)
    # Notes are no mistakes (rounding, known issues): listed, they bury the few lines a clerk must
    # act on, so the text lists them on request only
    shown = findings if fmt == "json" or show_notes else [f for f in findings if f.severity != "note"]
    _print_findings(shown, fmt)
    if fmt == "text" and notes and not show_notes:
        click.echo(f"另有 {notes} 条提示（舍入差异等），用 --notes 查看")
    errors = sum(f.severity == "error" or (strict and f.severity == "warning") for f in findings)
    if fmt == "text":
        counts = {s: sum(f.severity == s for f in findings) for s in SEVERITY_LABELS}
        click.echo(f"检查了 {len(portal.documents)} 份公开文件：错误 {counts['error']} 个，警告 {counts['warning']} 个，"
                   f"提示 {counts['note']} 个（提示不是错误：四舍五入的尾数差，或已在 known_issues 中注明的原文问题）。", err=True)
    if errors:
        sys.exit(1)


if __name__ == "__main__":  # pragma: no cover
    main()
