"""Read the files finance staff edit: text in any encoding Excel produces, YAML with line numbers.

Every mapping loaded from YAML remembers the line of each key, so a later stage can
say *where* a wrong value is (``document.yaml:12``), not only what is wrong.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

from .errors import ContentError, Location


# No content file comes near this: the largest table of a province's document is under 1 MB.
MAX_FILE_BYTES = 10 * 1024 * 1024
# Workbooks saved under a .csv/.yaml name: .xlsx (a zip) and .xls (an OLE2 compound file)
_WORKBOOK_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")


def read_text(path: Path) -> str:
    """Read a text file saved as UTF-8 (with or without BOM) or GB18030/GBK."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ContentError(path, f"文件过大（{size / 1024 / 1024:.1f} MB，上限为 {MAX_FILE_BYTES // 1024 // 1024} MB）",
                               "公开文件中的表格和说明通常不足 1 MB：请检查是否放错了文件")
        data = path.read_bytes()
    except OSError as exc:
        raise ContentError(path, f"无法读取文件：{exc.strerror}", "检查文件是否存在、是否有读取权限") from exc
    if data.startswith(_WORKBOOK_MAGIC):
        raise ContentError(path, "这是 Excel 工作簿，不是文本文件",
                           "在 Excel 中“另存为 CSV UTF-8”，或用 site-builder import 导入整个工作簿")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise ContentError(path, "无法识别文件编码", "请另存为 UTF-8 编码（Excel：另存为“CSV UTF-8”）") from exc


class Mapping(dict):
    """A dict that knows the file and the line of each of its keys."""

    path: Path
    line: int
    key_lines: dict[str, int]

    def where(self, key: str | None = None) -> Location:
        """The location of ``key`` (or of the mapping itself)."""
        line = self.key_lines.get(key, self.line) if key is not None else self.line
        return Location(self.path, line)


# libyaml's parser (C) when PyYAML was built with it: the same safe constructors, ~10× faster.
_BASE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BASE_LOADER):
    pass


# Dates stay text: a disclosure date is shown as written, and the build stays deterministic.
_Loader.add_constructor("tag:yaml.org,2002:timestamp", yaml.SafeLoader.construct_yaml_str)
_STR, _MAP, _SEQ = "tag:yaml.org,2002:str", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"
_MERGE = "tag:yaml.org,2002:merge"


def _construct(loader: yaml.SafeLoader, node: yaml.Node, path: Path, made: dict[int, Any]) -> Any:
    """Python values from the parsed nodes, as SafeLoader makes them, except that mappings are
    :class:`Mapping` (with each key's line) and a repeated key is an error. Written for speed:
    text, the bulk of every file, is returned as it is; other scalars go to PyYAML's own
    constructors; an alias is the object made for its anchor."""
    tag = node.tag
    if tag == _STR and isinstance(node, yaml.ScalarNode):
        return node.value
    if id(node) in made:
        return made[id(node)]
    if isinstance(node, yaml.MappingNode) and tag == _MAP:
        if any(key.tag == _MERGE for key, _ in node.value):
            loader.flatten_mapping(node)
        result = made[id(node)] = Mapping()
        result.path, result.line, result.key_lines = path, node.start_mark.line + 1, {}
        for key_node, value_node in node.value:
            key = _construct(loader, key_node, path, made)
            if key in result:
                raise ContentError(Location(path, key_node.start_mark.line + 1, key_node.start_mark.column + 1),
                                   f"重复的键“{key}”", "同一层级中每个键只能出现一次")
            result[key] = _construct(loader, value_node, path, made)
            result.key_lines[key] = key_node.start_mark.line + 1
        return result
    if isinstance(node, yaml.SequenceNode) and tag == _SEQ:
        result = made[id(node)] = []
        result.extend(_construct(loader, item, path, made) for item in node.value)
        return result
    value = made[id(node)] = loader.construct_object(node, deep=True)   # int, float, bool, null, dates, errors
    return value


def load_yaml(path: Path) -> Any:
    """Load one YAML file; syntax errors become a ContentError with line and column."""
    text = read_text(path)
    try:
        loader = _Loader(text)   # a SafeLoader subclass
        try:
            node = loader.get_single_node()
            data = None if node is None else _construct(loader, node, path, {})
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = Location(path, mark.line + 1, mark.column + 1) if mark else Location(path)
        raise ContentError(where, f"YAML 格式错误：{exc.problem or exc.context}",
                           "检查缩进（只用空格）、冒号后的空格和引号是否成对") from exc
    except yaml.reader.ReaderError as exc:  # a control character: PyYAML gives a position, not a mark
        line = text.count("\n", 0, exc.position) + 1
        raise ContentError(Location(path, line), f"文件中有不可见的控制字符（{exc.character!r}）",
                           "用纯文本编辑器删除该字符，或从 Excel/Word 复制时只粘贴文字") from exc
    except yaml.YAMLError as exc:
        raise ContentError(Location(path), f"YAML 格式错误：{exc}") from exc
    return data


def load_mapping(path: Path) -> Mapping:
    """Load a YAML file that must hold a mapping at the top level."""
    data = load_yaml(path)
    if data is None:
        data = Mapping()
        data.path, data.line, data.key_lines = path, 1, {}
    if not isinstance(data, Mapping):
        raise ContentError(Location(path, 1), "文件顶层应为“键: 值”形式的映射")
    return data


def require(mapping: Mapping, key: str, kind: type | tuple[type, ...] = str, what: str | None = None) -> Any:
    """Return ``mapping[key]``, or raise a ContentError naming the file and line."""
    if key not in mapping or mapping[key] in (None, ""):
        raise ContentError(mapping.where(), f"缺少必填项“{key}”" + (f"（{what}）" if what else ""),
                           f"在此文件中添加一行“{key}: …”")
    return check_type(mapping, key, kind)


def optional(mapping: Mapping, key: str, kind: type | tuple[type, ...] = str, default: Any = None) -> Any:
    if key not in mapping or mapping[key] is None:
        return default
    return check_type(mapping, key, kind)


def check_type(mapping: Mapping, key: str, kind: type | tuple[type, ...]) -> Any:
    value = mapping[key]
    if kind is str and isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, kind):
        names = {str: "文本", int: "整数", list: "列表", dict: "映射", bool: "是/否（true/false）"}
        kinds = kind if isinstance(kind, tuple) else (kind,)
        expected = "或".join(names.get(k, k.__name__) for k in kinds)
        raise ContentError(mapping.where(key), f"“{key}”应为{expected}，实际是“{value}”")
    return value


def reject_unknown(mapping: Mapping, allowed: set[str]) -> None:
    """Report a key no one reads: usually a typo of an allowed one."""
    for key in mapping:
        if key not in allowed:
            raise ContentError(mapping.where(key), f"未知的设置项“{key}”",
                               "可用的设置项：" + "、".join(sorted(allowed)))


def refuse_outside_link(link: str | Path, root: Path) -> None:
    """Refuse the symlink ``link`` when it leads outside the content folder ``root`` (a page
    must not publish /etc/passwd)."""
    target, root_text = os.path.realpath(link), str(root)
    if target != root_text and not target.startswith(root_text + os.sep):
        raise ContentError(Path(link), f"“{os.path.basename(link)}”是指向内容文件夹之外的链接（{os.readlink(link)}）",
                           "把文件复制到内容文件夹中，不要用链接")


def inside(root: Path, relative: str, where: Location) -> Path:
    """``root / relative``, refused when it (or a symlink on the way) leads outside ``root``."""
    path = (root / relative).resolve()
    if not path.is_relative_to(root.resolve()):
        raise ContentError(where, f"路径“{relative}”指向内容文件夹之外", "只能引用内容文件夹中的文件（不能用 .. 或指向别处的链接）")
    return path
