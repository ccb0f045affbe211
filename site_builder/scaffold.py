"""Start a portal and its documents: ``site-builder new`` and ``site-builder add``.

``new`` writes a portal folder (site.yaml with every setting explained, an empty templates
override folder, a README for the clerk); ``add`` writes one document's folder: every table of
its profile as a CSV with the published headers (and, for tables whose rows are the same in
every disclosure, such as the 收支总表, those rows with blank amounts), the prose files with
their section headings, and document.yaml with the figures its 情况说明 needs. Everything the
clerk has to supply is marked 【待填写】, which the checker reports (``content.placeholder``)
until it is replaced, so an unfinished document is never published by accident.

Nothing here overwrites: ``new`` refuses a non-empty folder, ``add`` an existing document.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import yaml

from .content import SLUG_RE, load_site_config
from .errors import ContentError, Location
from .model import KINDS
from .profiles import Profile, load_profiles
from .sources import inside, read_text, refuse_outside_link
from .tables import content_csv
from .write import refused, writing

SKELETONS = resources.files("site_builder") / "skeletons"
DEFAULT_PROFILES = {"final-accounts": "final-accounts-10", "budget": "budget-13", "performance": "performance-overall"}
_CALL = re.compile(r"include\(\s*['\"]([\w-]+)['\"]\s*\)")

# Section headings of the prose files the built-in profiles use (as the seed documents print them).
PROSE_HEADINGS = {
    "overview": ["一、本部门（单位）职责", "二、机构设置情况"],
    "report": ["一、部门基本情况", "二、自评工作开展情况", "三、部门整体支出绩效目标实现情况及指标分析",
               "四、评价结论和评价等级", "五、存在的问题及改进措施", "六、评价工作组人员名单及签字（姓名、工作单位、职务、职称）"],
    "explanation-tail": ["十一、国有资产占有使用情况", "十二、其他说明"],
    "deviation": ["三、绩效目标执行出现的偏差和采取的措施"],
}
PROSE_PROMPTS = {
    "glossary": "名词解释，每条一段，如“一、财政拨款收入：指本级财政当年拨付的资金。”",
    "signoff": "填报人和联系电话，如“填报人：张三”“联系电话：0358-0000000”",
    "performance-report": "项目绩效自评结果（每个项目一段综述）和其他需要说明的事项",
}


def _skeleton(name: str) -> str:
    return (SKELETONS / name).read_text(encoding="utf-8")


def _fill(text: str, **values: object) -> str:
    for key, value in values.items():
        text = text.replace("{" + key + "}", str(value))
    return text


def new_portal(folder: Path, region: str | None = None, profile: str | None = None) -> list[Path]:
    """Write a new portal into ``folder`` (missing or empty); return the files written."""
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise ContentError(folder, "文件夹已存在且不是空的，不能在这里新建门户", "换一个新文件夹名，或先清空这个文件夹")
    profiles = dict(DEFAULT_PROFILES)
    if profile:
        chosen = _builtin_profile(profile)
        profiles[chosen.kind] = chosen.name
    name = f"{region}预决算公开" if region else "【待填写：门户名称】"
    site = _fill(_skeleton("site.yaml"), name=name, region=region or "【待填写：地区，如 山西省吕梁市】",
                 final_accounts=profiles["final-accounts"], budget=profiles["budget"],
                 performance=profiles["performance"]).replace("{{", "{").replace("}}", "}")
    files = {
        folder / "site.yaml": site,
        folder / "README.md": _fill(_skeleton("README.md"), name=region and name or "预决算公开门户"),
        folder / "templates" / "说明.md": _skeleton("templates-README.md"),
        # the built site and the build's cache are made from the rest: not kept in version control
        folder / ".gitignore": "/output/\n/.output.*\n",
    }
    # a full disk, Ctrl-C: no half-made portal (write_files removes what it made)
    write_files({**files, folder / "departments" / ".gitkeep": ""}, folder, outcome="没有留下未写完的门户文件夹")
    return list(files)


def _builtin_profile(name: str, content: Path | None = None) -> Profile:
    profiles = load_profiles(content / "profiles" if content else None)
    if name not in profiles:
        raise ContentError(None, f"未知的表格方案“{name}”", "可用：" + "、".join(sorted(profiles)))
    return profiles[name]


@dataclass
class AddedDocument:
    folder: Path
    profile: Profile
    files: list[Path]
    placeholders: int


def document_profile(content: Path, kind: str, profile: str | None) -> Profile:
    """The profile a new document of ``kind`` uses: ``profile``, or the portal's default."""
    if kind not in KINDS:
        raise ContentError(None, f"未知的公开类型“{kind}”", "可用：" + "、".join(f"{k}（{v}）" for k, v in KINDS.items()))
    config = load_site_config(content)
    name = profile or config.default_profiles.get(kind) or DEFAULT_PROFILES[kind]
    chosen = _builtin_profile(name, content)
    if chosen.kind != kind:
        raise ContentError(None, f"方案“{name}”用于 {chosen.kind}（{KINDS[chosen.kind]}），不能用于 {kind}")
    return chosen


def check_document_target(content: Path, department: str, year: int) -> None:
    if not SLUG_RE.match(department):
        raise ContentError(None, f"部门标识“{department}”不符合要求",
                           "只用小写英文字母、数字和连字符，如 fenyang-ybj（它会成为网址的一部分，确定后不要再改）")
    if not 1949 < year < 2100:
        raise ContentError(None, f"“{year}”不是年度", "年度用四位数字，如 2024")


def department_file(content: Path, department: str, name: str | None) -> tuple[Path, str | None]:
    """The department's department.yaml, and its text when it has to be written (a new department)."""
    path = content / "departments" / department / "department.yaml"
    if path.is_file():
        return path, None
    shown = name or "【待填写：部门全称】"
    text = (f"# 部门信息。文件夹名 {department} 是部门在网址中的固定标识，确定后不要更改。\n"
            f"name: {shown}\n"
            "# 部门代码和主管部门（可不填）\n# code: \"000\"\n# supervisor: 主管部门名称\n"
            "# 地区：与 site.yaml 中的地区不同时填写\n# region: 某某省某某市\n")
    return path, text


def document_files(content: Path, department: str, year: int, kind: str, profile: Profile,
                   department_name: str) -> dict[Path, str]:
    """Every file of a new document (path → text), nothing written."""
    folder = content / "departments" / department / str(year) / kind
    files: dict[Path, str] = {}
    template = f"{profile.name}.yaml"
    text = _skeleton(template) if (SKELETONS / template).is_file() else _skeleton("default.yaml")
    if profile.name != DEFAULT_PROFILES.get(kind):
        text = text.replace(f"profile: {DEFAULT_PROFILES.get(kind)}", f"profile: {profile.name}")
    files[folder / "document.yaml"] = _fill(text, dept=department_name, year=year, prev_year=year - 1,
                                            next_year=year + 1, kind_label=KINDS[kind], profile=profile.name)
    for spec in profile.tables:
        rows_file = SKELETONS / profile.name / f"{spec.id}.csv"
        files[folder / "tables" / f"{spec.id}.csv"] = _fill(rows_file.read_text(encoding="utf-8"), year=year) \
            if rows_file.is_file() else content_csv(spec.for_year(year), [])
    for name in prose_files(profile):
        files[folder / f"{name}.md"] = _prose(name)
    return files


def prose_files(profile: Profile) -> list[str]:
    """The Markdown files a document of ``profile`` shows: its parts' overview, glossary and
    markdown blocks, and what its 情况说明 template includes."""
    names: list[str] = []
    for part in profile.parts:
        for block in part.blocks:
            name = {"overview": "overview", "glossary": "glossary"}.get(block["type"]) or block.get("file")
            if name and name not in names:
                names.append(name)
    if profile.explanation_template:
        from .assets import BUILTIN_TEMPLATES
        path = BUILTIN_TEMPLATES / profile.explanation_template
        if path.is_file():
            names += [n for n in _CALL.findall(path.read_text(encoding="utf-8")) if n not in names]
    return names


def _prose(name: str) -> str:
    headings = PROSE_HEADINGS.get(name)
    if headings:
        return "\n\n".join(f"### {h}\n\n【待填写：{h.split('、', 1)[-1]}】" for h in headings) + "\n"
    return f"【待填写：{PROSE_PROMPTS.get(name, name + ' 的内容')}】\n"


def add_document(content: Path, department: str, year: int, kind: str, profile: str | None = None,
                 name: str | None = None) -> AddedDocument:
    """Write a new document's folder (and its department's file when the department is new)."""
    check_document_target(content, department, year)
    chosen = document_profile(content, kind, profile)
    folder = content / "departments" / department / str(year) / kind
    if folder.exists():
        raise ContentError(folder, "这份公开文件已存在，没有改动任何文件",
                           "要从 Excel 更新它的表格，用 site-builder import … --force")
    dept_path, dept_text = department_file(content, department, name)
    department_name = name or yaml_value(dept_path, "name") or "【待填写：部门全称】"
    files = document_files(content, department, year, kind, chosen, department_name)
    if dept_text is not None:
        files = {dept_path: dept_text, **files}
    write_files(files, content)
    marks = sum(text.count("【待填写") for text in files.values())
    return AddedDocument(folder, chosen, list(files), marks)


def yaml_value(path: Path, key: str) -> str | None:
    """A top-level value of a content YAML file (department.yaml's name, document.yaml's
    profile), or None when the file or the value is missing, unreadable or no text: a list
    made of aliases of aliases (“billion laughs”) is small in memory, but its text is not."""
    if not path.is_file():
        return None
    try:
        data = yaml.safe_load(read_text(path))
    except (yaml.YAMLError, RecursionError, ValueError):   # ValueError: a date like 2024-13-45
        return None
    value = data.get(key) if isinstance(data, dict) else None
    return str(value) if isinstance(value, (str, int, float)) and value else None


def check_targets(files: dict[Path, str] | list[Path], content: Path) -> None:
    """Refuse, before anything is written, a file that is (or whose folder, or a folder on the
    way, is) a link that leads out of the content folder: ``import --force`` through a tables/
    that links to another folder wrote there."""
    root = content.resolve()
    for path in files:
        current = content
        for part in path.relative_to(content).parts:
            current = current / part
            if current.is_symlink():
                refuse_outside_link(current, root)
        inside(content, str(path.relative_to(content)), Location(path))


def write_files(files: dict[Path, str], content: Path, outcome: str = "内容文件夹中的文件都没有改动") -> None:
    """Write every file to a temporary file beside it, then rename them all: a write the disk
    refuses (full, read-only) leaves every file as it was and no temporary behind; only a kill
    between the renames could leave some files new and others old, each complete. Every file must
    lie in the content folder (``check_targets``). ``outcome``: what a refused write left, for
    its message."""
    check_targets(files, content)
    written: list[tuple[Path, Path]] = []
    made: list[Path] = []          # folders this call made, outermost first
    try:
        for path, text in files.items():
            missing = [p for p in (path.parent, *path.parent.parents) if not p.exists()]
            made += reversed(missing)
            with writing(path.parent):
                path.parent.mkdir(parents=True, exist_ok=True)
            temporary = path.with_name(f".{path.name}.writing")
            written.append((temporary, path))
            with writing(path):
                temporary.write_text(text, encoding="utf-8")
    except BaseException as exc:
        for temporary, _ in written:
            temporary.unlink(missing_ok=True)
        for folder in reversed(made):      # empty again: a department folder without department.yaml
            with contextlib.suppress(OSError):     # would stop the next build
                folder.rmdir()
        raise refused(exc, outcome) from None
    for temporary, path in written:
        temporary.replace(path)
