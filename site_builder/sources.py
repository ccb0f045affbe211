"""Read the files finance staff edit: text in any encoding Excel produces, YAML with line numbers.

Every mapping loaded from YAML remembers the line of each key, so a later stage can
say *where* a wrong value is (``document.yaml:12``), not only what is wrong.
"""

from __future__ import annotations

import math
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import yaml

from .errors import ContentError, Location
from .yaml_errors import GENERIC_HINT, yaml_error


# No content file comes near this: the largest table of a province's document is under 1 MB.
MAX_FILE_BYTES = 10 * 1024 * 1024
# Bounded work (docs/templates.md): what one YAML or Markdown file may make, far above any real
# file and far below what would take the build more than seconds or hundreds of MB.
MAX_DEPTH = 100          # nesting levels (an alias counts as what it repeats); real files: under 10
MAX_NODES = 100_000      # values once every alias is expanded; the largest real file, a table-set
                         # profile, makes about 1,500 ("billion laughs": 9 × 9 aliases, 387 million)
MAX_TEXT_CHARS = 50_000  # characters of text in one file (a Markdown file; a YAML file's values with
                         # aliases expanded): the longest real report is about 7,000. Every character
                         # reaches a page, and Pagefind's Chinese segmentation grows faster than the text
MAX_NUMBER_CHARS = 100   # a number written in YAML (int/float): Python refuses int() beyond 4,300
                         # digits, and 1:1:1:… (base 60) or 0xFFFF… would make a huge int
MAX_TABLE_ROWS = 5_000   # records of a table's CSV after the header: a department's table has at most
                         # a few hundred 科目 rows; the checker's sum.children is quadratic in rows
                         # (measured: docs/performance.md#long-tables)
MAX_TABLE_COLUMNS = 100  # cells in a CSV line: the widest published table has 10 columns
MAX_CELL_CHARS = 2_000   # characters in one CSV cell: the longest real one (a 评价标准) has 178
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


# C0 and C1 control characters but tab and the line ends (\n, \r), and the noncharacters U+FFFE
# and U+FFFF: invisible, they reach the page (a NUL in the HTML) or break an XML file (feed.xml,
# the workbooks); form feed, vertical tab and NEL would start a new line for Python's splitlines
# but not for our line numbers. YAML's reader refuses them in a file, but its escapes ("\x01")
# still make them.
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")


def read_markdown(path: Path) -> str:
    """Read a Markdown file: text without control characters, at most MAX_TEXT_CHARS long."""
    text = read_text(path)
    bad = CONTROL_CHARACTERS.search(text)
    if bad:
        line = text.count("\n", 0, bad.start()) + 1
        column = bad.start() - text.rfind("\n", 0, bad.start())
        raise ContentError(Location(path, line, column), f"文件中有不可见的控制字符（{bad.group()!r}）",
                           "用纯文本编辑器删除该字符，或从 Excel/Word 复制时只粘贴文字")
    if len(text) > MAX_TEXT_CHARS:
        line = text.count("\n", 0, MAX_TEXT_CHARS) + 1
        raise ContentError(Location(path, line), f"文件过长（{len(text):,} 个字符，上限为 {MAX_TEXT_CHARS:,}）",
                           "一份说明通常不超过一万字：请检查是否粘贴了重复的内容")
    return text


class YamlMapping(dict):
    """A dict that knows the file and the line of each of its keys."""

    path: Path
    line: int
    key_lines: dict[str, int]

    def where(self, key: str | None = None) -> Location:
        """The location of ``key`` (or of the mapping itself)."""
        line = self.key_lines.get(key, self.line) if key is not None else self.line
        return Location(self.path, line)


# libyaml's parser (C) when PyYAML was built with it: the same safe constructors, faster
# (measured: docs/performance.md#libyaml). The type checker sees SafeLoader, whose interface
# the C loader shares.
if TYPE_CHECKING:
    _BASE_LOADER = yaml.SafeLoader
else:
    _BASE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BASE_LOADER):
    pass


# Dates stay text: a disclosure date is shown as written, and the build stays deterministic.
_Loader.add_constructor("tag:yaml.org,2002:timestamp",
                        yaml.SafeLoader.construct_yaml_str)  # type: ignore[type-var]  # stubs: a Loader's own method only
_STR, _MAP, _SEQ = "tag:yaml.org,2002:str", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"
_MERGE = "tag:yaml.org,2002:merge"
_INT, _FLOAT = "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"
# The other scalars a content file may hold (text, lists and mappings aside); !!binary, !!set,
# !!omap and !!pairs make values no page shows, and PyYAML builds them recursively.
_SCALARS = {"tag:yaml.org,2002:null", "tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp", _INT, _FLOAT}
# libyaml's composer recurses in C and crashes the process (segmentation fault) past about
# 25,000 nesting levels. Each level, and each value but the first, needs one of these characters,
# so a file with no more of them than this is handed to it at once; any other file, and any file
# with an anchor or alias, is measured first (_measure).
_STRUCTURE = "-?:[{,"
_DIRECT = 2_000


def _at(path: Path, mark: Any) -> Location:
    return Location(path, mark.line + 1, mark.column + 1)


def _construct(loader: yaml.SafeLoader, node: yaml.Node, path: Path, made: dict[int, Any], depth: int = 1) -> Any:
    """Python values from the parsed nodes, as SafeLoader makes them, except that mappings are
    :class:`YamlMapping` (with each key's line) and a repeated key is an error. Written for speed:
    text, the bulk of every file, is returned as it is; other scalars go to PyYAML's own
    constructors; an alias is the object made for its anchor. ``depth`` counts the nesting, as
    _measure does for a file that is not built at once."""
    tag = node.tag
    if tag == _STR and isinstance(node, yaml.ScalarNode):
        return node.value
    if id(node) in made:
        return made[id(node)]
    if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)) and depth > MAX_DEPTH:
        raise ContentError(_at(path, node.start_mark), f"嵌套超过 {MAX_DEPTH} 层", _DEPTH_HINT)
    if isinstance(node, yaml.MappingNode) and tag == _MAP:
        merged = 0      # pairs brought in by ``<<: *anchor`` (first): a key written here replaces theirs
        if any(key.tag == _MERGE for key, _ in node.value):
            written = sum(key.tag != _MERGE for key, _ in node.value)
            loader.flatten_mapping(node)
            merged = len(node.value) - written
        result = made[id(node)] = YamlMapping()
        result.path, result.line, result.key_lines = path, node.start_mark.line + 1, {}
        written_keys: dict[Any, int] = {}     # key → its line
        for index, (key_node, value_node) in enumerate(node.value):
            if not isinstance(key_node, yaml.ScalarNode):
                raise ContentError(_at(path, key_node.start_mark), "键（冒号前）应为文字，这里是列表或映射",
                                   "键写成了 [ ] 或 { }：文字中有方括号或花括号时，请给整个键加引号")
            key = _construct(loader, key_node, path, made, depth + 1)
            if index >= merged:
                if key in written_keys:
                    raise ContentError(_at(path, key_node.start_mark), f"YAML 格式错误：重复的键“{key}”（第 {written_keys[key]} 行已有）",
                                       "同一层级中每个键只能出现一次：删除其中一行，或合并两处的内容")
                written_keys[key] = key_node.start_mark.line + 1
            result[key] = _construct(loader, value_node, path, made, depth + 1)
            result.key_lines[key] = key_node.start_mark.line + 1
        return result
    if isinstance(node, yaml.SequenceNode) and tag == _SEQ:
        items: list[Any] = []
        made[id(node)] = items
        items.extend(_construct(loader, item, path, made, depth + 1) for item in node.value)
        return items
    value = made[id(node)] = _scalar(loader, node, path)
    return value


def _scalar(loader: yaml.SafeLoader, node: yaml.Node, path: Path) -> Any:
    """int, float, bool, null or a date (kept as text), by PyYAML's constructors; a number must be
    finite and short enough to convert."""
    if node.tag not in _SCALARS or not isinstance(node, yaml.ScalarNode):
        raise ContentError(_at(path, node.start_mark), f"不支持的 YAML 类型标记“{node.tag.replace('tag:yaml.org,2002:', '!!')}”",
                           "去掉以 ! 开头的标记，直接写文字、数字、列表或映射")
    if node.tag in (_INT, _FLOAT) and len(node.value) > MAX_NUMBER_CHARS:
        raise ContentError(_at(path, node.start_mark), f"数字过长（{len(node.value):,} 个字符）",
                           "金额和数量不会这么长；如果这是编号或文字，请加引号")
    value = loader.construct_object(node, deep=True)
    if isinstance(value, float) and not math.isfinite(value):
        raise ContentError(_at(path, node.start_mark), f"“{node.value}”不是具体的数字（无穷大或非数字）",
                           "填写实际的数字，如 2262.43；没有数字时留空")
    return value


_DEPTH_HINT = "内容文件的层级通常不超过 10 层：检查是否多写了方括号 [ ] 或花括号 { }"
_ALIAS_HINT = "别名（*名称）重复锚点（&名称）处的全部内容：请直接写出需要的内容，不要层层引用"


def _measure(text: str, path: Path) -> None:
    """Refuse, before anything is built, a file that nests deeper than MAX_DEPTH, makes more than
    MAX_NODES values or MAX_TEXT_CHARS characters of text once its aliases are expanded
    ("billion laughs"), or has an alias inside its own anchor (a loop), an anchor defined twice or
    an alias with no anchor; each at the line of the event that crossed the line. Reads libyaml's
    events (its parser keeps its own stack: no recursion) and keeps, for each anchor, what it expands
    to: nodes, characters and nesting levels."""
    loader = _Loader(text)
    try:
        anchors: dict[str, tuple[int, int, int]] = {}      # anchor → nodes, characters, levels
        first: dict[str, int] = {}                          # anchor → the line it is defined on
        open_: list[list] = []                              # collections being read: anchor, nodes and
        nodes = chars = 0                                   # characters before it, deepest level below
        while loader.check_event():
            event = loader.get_event()
            kind = type(event)
            anchor = getattr(event, "anchor", None)
            if kind is yaml.DocumentStartEvent:       # anchors belong to one document
                anchors.clear()
                first.clear()
                continue
            if kind is yaml.AliasEvent:
                if anchor is None or anchor not in anchors:
                    _refuse_alias(path, event, any(frame[0] == anchor for frame in open_))
                size, length, levels = anchors[anchor]
                where = f"展开别名“*{anchor}”后"
            elif kind in (yaml.ScalarEvent, yaml.MappingStartEvent, yaml.SequenceStartEvent):
                if anchor is not None and anchor in first:
                    raise ContentError(_at(path, event.start_mark), f"锚点“&{anchor}”重复（第 {first[anchor]} 行已有）",
                                       "每个锚点名称只能用一次")
                if anchor is not None:
                    first[anchor] = event.start_mark.line + 1
                size, length, levels, where = 1, len(event.value) if kind is yaml.ScalarEvent else 0, 0, ""
                if kind is not yaml.ScalarEvent:
                    open_.append([anchor, nodes, chars, 0])   # its size is known when it ends
                elif anchor is not None:
                    anchors[anchor] = (1, length, 0)
            elif kind in (yaml.MappingEndEvent, yaml.SequenceEndEvent):
                frame = open_.pop()
                if frame[0] is not None:
                    anchors[frame[0]] = (nodes - frame[1], chars - frame[2], frame[3] + 1)
                if open_:
                    open_[-1][3] = max(open_[-1][3], frame[3] + 1)
                continue
            else:
                continue
            nodes, chars = nodes + size, chars + length
            depth = len(open_) + levels
            if kind is yaml.AliasEvent and open_:
                open_[-1][3] = max(open_[-1][3], levels)
            if depth > MAX_DEPTH:
                raise ContentError(_at(path, event.start_mark), f"{where}嵌套超过 {MAX_DEPTH} 层",
                                   _ALIAS_HINT if where else _DEPTH_HINT)
            if nodes > MAX_NODES:
                raise ContentError(_at(path, event.start_mark), f"{where}内容超过 {MAX_NODES:,} 项",
                                   _ALIAS_HINT if where else "内容文件通常只有几百项：请检查是否放错了文件")
            if chars > MAX_TEXT_CHARS:
                raise ContentError(_at(path, event.start_mark), f"{where}文字超过 {MAX_TEXT_CHARS:,} 个字符",
                                   _ALIAS_HINT if where else "一个文件中的文字通常不超过一万字：请检查是否粘贴了重复内容")
    finally:
        loader.dispose()


def _refuse_alias(path: Path, event: Any, inside: bool) -> NoReturn:
    if inside:
        raise ContentError(_at(path, event.start_mark), f"别名“*{event.anchor}”写在它引用的锚点“&{event.anchor}”之内（循环引用）",
                           "别名只能引用在它之前已经写完的内容")
    raise ContentError(_at(path, event.start_mark), f"别名“*{event.anchor}”没有对应的锚点“&{event.anchor}”",
                       "先用 &名称 定义锚点，再用 *名称 引用；如果 * 是文字的一部分，请给整个值加引号")


def load_yaml(path: Path) -> Any:
    """Load one YAML file; syntax errors become a ContentError with line and column, and a file
    that would make unbounded work (see _measure) is refused before it is built."""
    text = read_text(path)
    try:
        if "&" in text or "*" in text or len(text) > MAX_TEXT_CHARS or \
                sum(map(text.count, _STRUCTURE)) > _DIRECT:
            _measure(text, path)
        loader = _Loader(text)   # a SafeLoader subclass
        try:
            node = loader.get_single_node()
            data = None if node is None else _construct(loader, node, path, {})
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        raise yaml_error(path, text, exc) from exc
    except yaml.reader.ReaderError as exc:  # a control character: PyYAML gives a position, not a mark
        # libyaml gives the character as a code point and its position in UTF-8 bytes: the first
        # occurrence of the character is the one it stopped at
        character = chr(exc.character) if isinstance(exc.character, int) else exc.character
        position = text.find(character)
        position = exc.position if position < 0 else position
        line = text.count("\n", 0, position) + 1
        column = position - text.rfind("\n", 0, position)
        raise ContentError(Location(path, line, column), f"文件中有不可见的控制字符（{character!r}）",
                           "用纯文本编辑器删除该字符，或从 Excel/Word 复制时只粘贴文字") from exc
    except yaml.YAMLError as exc:
        raise ContentError(Location(path), f"YAML 格式错误：{exc}（无法确定位置）", GENERIC_HINT) from exc
    return data


def load_mapping(path: Path) -> YamlMapping:
    """Load a YAML file that must hold a mapping at the top level."""
    data = load_yaml(path)
    if data is None:
        data = YamlMapping()
        data.path, data.line, data.key_lines = path, 1, {}
    if not isinstance(data, YamlMapping):
        raise ContentError(Location(path, 1), "文件顶层应为“键: 值”形式的映射")
    return data


def require(mapping: YamlMapping, key: str, kind: type | tuple[type, ...] = str, what: str | None = None) -> Any:
    """Return ``mapping[key]``, or raise a ContentError naming the file and line."""
    if key not in mapping or mapping[key] in (None, ""):
        raise ContentError(mapping.where(), f"缺少必填项“{key}”" + (f"（{what}）" if what else ""),
                           f"在此文件中添加一行“{key}: …”")
    return check_type(mapping, key, kind)


def optional(mapping: YamlMapping, key: str, kind: type | tuple[type, ...] = str, default: Any = None) -> Any:
    if key not in mapping or mapping[key] is None:
        return default
    return check_type(mapping, key, kind)


def check_type(mapping: YamlMapping, key: str, kind: type | tuple[type, ...]) -> Any:
    value = mapping[key]
    if kind is str and isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, kind):
        names = {str: "文本", int: "整数", list: "列表", dict: "映射", bool: "是/否（true/false）"}
        kinds = kind if isinstance(kind, tuple) else (kind,)
        expected = "或".join(names.get(k, k.__name__) for k in kinds)
        raise ContentError(mapping.where(key), f"“{key}”应为{expected}，实际是“{value}”")
    return value


def check_texts(mapping: YamlMapping, keys: Any = None) -> None:
    """Refuse an invisible control character in the text values of ``mapping`` (``keys``: all)."""
    for key in mapping if keys is None else keys:
        value = mapping.get(key)
        bad = CONTROL_CHARACTERS.search(value) if isinstance(value, str) else None
        if bad:
            raise ContentError(mapping.where(key), f"“{key}”中有不可见的控制字符（U+{ord(bad.group()):04X}）",
                               "删除该字符（多由 \\x、\\u 转义或从其他软件复制时带入）")


def reject_unknown(mapping: YamlMapping, allowed: set[str]) -> None:
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
