"""site.yaml, the portal file: every setting it may hold, declared once.

Each key of site.yaml, and each key of the mappings under it (``profiles:``, ``checks:``,
``prose_html:``), is a :class:`Setting`: its type, its default, its Chinese name (error
messages give it to the clerk) and what it does. :func:`load_site_config` reads site.yaml
through these declarations into :class:`SiteConfig`, and its ``checks:`` straight into the
checker's :class:`~site_builder.checks.CheckConfig`, so that no other module parses site.yaml.
docs/configuration.md lists the same settings (tests/test_docs.py holds the two together);
the skeleton a new portal starts from (``skeletons/site.yaml``) explains them to the clerk.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .checks import RULES, CheckConfig
from .errors import ContentError
from .glossary import load_glossary
from .model import DOWNLOAD_FORMATS, KINDS
from .numbers import NUMBER_HINT, OutOfRange, parse_decimal
from .sanitize import forbidden, widened
from .sources import YamlMapping, check_texts, check_type, inside, load_mapping, optional, reject_unknown, require


@dataclass(frozen=True)
class Setting:
    """One key of site.yaml (or of a mapping in it)."""

    key: str
    type: type | tuple[type, ...]   # what the value must be (sources.check_type; str also takes a number)
    default: Any                    # when the key is left out (or left empty); ignored when required
    label: str                      # its Chinese name, for the clerk (缺少必填项“name”（门户名称）)
    doc: str                        # what it does (docs/configuration.md says the same)
    required: bool = False
    choices: tuple[str, ...] = ()   # the values a list may hold, or a mapping's values (downloads, severity)
    attribute: str = ""             # the SiteConfig attribute it fills (default: the key)

    def __post_init__(self) -> None:
        if not self.attribute:
            object.__setattr__(self, "attribute", self.key)

    def value(self, mapping: YamlMapping) -> Any:
        """The value in ``mapping``, checked against the declared type; the default when absent."""
        if self.required:
            return require(mapping, self.key, self.type, what=self.label)
        return optional(mapping, self.key, self.type, copy.copy(self.default))


def declare(*settings: Setting) -> dict[str, Setting]:
    return {setting.key: setting for setting in settings}


# The keys of site.yaml, in the order they are read (the first mistake is the one reported).
SITE = declare(
    Setting("base_url", str, "", "网站地址",
            "The published site's absolute http(s) address. It only feeds canonical links, sitemap.xml, "
            "feed.xml and robots.txt; every link between pages is relative. `build --base-url` overrides it."),
    Setting("profiles", dict, {}, "默认表格方案",
            "The table-set profile each kind of disclosure uses unless its document.yaml names another "
            "(see PROFILES).", attribute="default_profiles"),
    Setting("name", str, None, "门户名称", "The portal's name: the top of every page and the browser title.",
            required=True),
    Setting("region", str, None, "地区", "The portal's region, for departments whose department.yaml names none.",
            required=True),
    Setting("site_name", str, None, "网站名称 SiteName",
            "The SiteName meta tag of every page (《政府网站发展指引》).", required=True),
    Setting("site_domain", str, None, "网站域名 SiteDomain",
            "The SiteDomain meta tag of every page; also names the data package.", required=True),
    Setting("site_id_code", str, None, "网站标识码 SiteIDCode",
            "The SiteIDCode meta tag of every page (the government website identification code), also shown "
            "in the footer; all zeros (0000000000) marks a portal without one (an example), neither shown nor "
            "requiring the footer settings below.", required=True),
    Setting("host", str, None, "主办单位",
            "The 主办单位 in every page's footer (《政府网站发展指引》); required when site_id_code is a "
            "registered code.", attribute="footer_host"),
    Setting("organizer", str, None, "承办单位",
            "The 承办单位 in the footer, where another body runs the site.", attribute="footer_organizer"),
    Setting("contact", str, None, "联系方式",
            "The 联系方式 (telephone, e-mail or address) in the footer; required with a registered site_id_code.",
            attribute="footer_contact"),
    Setting("icp_record", str, None, "ICP备案号",
            "The ICP 备案号 (晋ICP备12345678号-1) in the footer, linked to the MIIT 备案 site; required with a "
            "registered site_id_code.", attribute="footer_icp"),
    Setting("police_record", str, None, "公安机关备案号",
            "The 公安机关备案号 (晋公网安备 14110202000123号) in the footer, linked to the 公安 备案 site by its "
            "digits; required with a registered site_id_code.", attribute="footer_police"),
    Setting("content_source", str, None, "信息来源",
            "The ContentSource meta tag, for disclosures whose document.yaml names no `source`."),
    Setting("description", str, "", "说明文字", "A paragraph on the home page."),
    Setting("checks", dict, {}, "数据检查",
            "Settings of the checker (see CHECKS and docs/checks.md)."),
    Setting("downloads", list, DOWNLOAD_FORMATS, "表格下载格式",
            "The formats every table is offered in: csv and json (a file per table), xlsx (a workbook "
            "per disclosure). Left out: all three; `[]` (or empty): none.", choices=DOWNLOAD_FORMATS),
    Setting("previous_release", str, None, "已发布的网站",
            "The published portal (publish's target, or a site folder), relative to the content folder: "
            "every build and the preview make correction records (更正记录) against it."),
    Setting("prose_html", dict, None, "说明文字可用的 HTML",
            "Tags, attributes and URL schemes a portal adds to what its prose may contain (see PROSE_HTML; "
            "never what runs code)."),
)

# The keys of ``profiles:``: a kind of disclosure → the name of its default profile.
PROFILES = declare(*(Setting(kind, str, None, f"{label}的默认方案", f"The default profile of every {kind} disclosure.")
                     for kind, label in KINDS.items()))

# The keys of ``checks:`` (docs/checks.md).
CHECKS = declare(
    Setting("rounding", dict, {}, "尾数容差",
            "Per unit, the most one rounded value may be off (万元: 0.005, 元: 0 unless set): a sum of n "
            "rounded values may differ from its rounded total by (n + 1) times this."),
    Setting("disabled", list, [], "关闭的规则", "Rule IDs that are not run."),
    Setting("severity", dict, {}, "规则级别",
            "Rule ID → error or warning: the level its findings are reported at (rounding notes stay notes).",
            choices=("error", "warning")),
    Setting("subjects", str, None, "科目名称文件",
            "A YAML file of standard 科目 names (功能分类/经济分类: code → name or names), relative to the "
            "content folder; it extends and overrides the bundled list."),
)

# The keys of ``prose_html:`` (docs/templates.md, "Prose").
PROSE_HTML = declare(
    Setting("tags", list, [], "增加的标签", "HTML tags prose may contain besides the default list."),
    Setting("attributes", dict, {}, "增加的属性", "Tag → the attributes it may carry besides the default ones."),
    Setting("url_schemes", list, [], "增加的链接协议", "URL schemes links may use besides http, https and mailto."),
)


@dataclass
class SiteConfig:
    """A portal's site.yaml as read (the keys: ``SITE``), with what comes with it."""

    name: str
    region: str
    site_name: str
    site_domain: str
    site_id_code: str
    base_url: str = ""
    footer_host: str | None = None        # 主办单位, 承办单位, 联系方式 and the two 备案号 of the footer
    footer_organizer: str | None = None
    footer_contact: str | None = None
    footer_icp: str | None = None
    footer_police: str | None = None
    default_profiles: dict[str, str] = field(default_factory=dict)
    content_source: str | None = None
    description: str = ""
    checks: CheckConfig = field(default_factory=CheckConfig)
    path: Path | None = None
    glossary: Any = None        # glossary.Glossary: the built-in 名词解释 with the portal's glossary.yaml
    downloads: tuple[str, ...] = DOWNLOAD_FORMATS   # the download formats of every table
    previous_release: Path | None = None            # the published portal that 更正记录 are made against
    prose_html: Any = None      # sanitize.ProsePolicy: what prose may contain (None: the default list)

    @property
    def registered(self) -> bool:
        """A registered 网站标识码: all zeros (0000000000) marks a portal that has none (an example,
        a test), which the footer does not show as one."""
        return not re.fullmatch(r"0*", self.site_id_code.strip())

    @property
    def police_code(self) -> str:
        """The digits of the 公安机关备案号, which the 公安 备案 site looks it up by."""
        return "".join(re.findall(r"\d", self.footer_police or ""))


def load_site_config(root: Path) -> SiteConfig:
    """Read ``root/site.yaml`` (every key declared in ``SITE``) and the portal's glossary."""
    path = root / "site.yaml"
    if not path.is_file():
        raise ContentError(path, "找不到门户配置文件 site.yaml", f"“{root}”应是内容文件夹（含 site.yaml 和 departments/）")
    data = load_mapping(path)
    reject_unknown(data, set(SITE))
    check_texts(data)
    values = {setting.attribute: _READERS.get(key, Setting.value)(setting, data) for key, setting in SITE.items()}
    config = SiteConfig(**values, path=path, glossary=load_glossary(root))
    _require_footer(config, data)
    return config


# What 《政府网站发展指引》 requires in the footer of a registered government website
FOOTER_REQUIRED = ("host", "contact", "icp_record", "police_record")


def _require_footer(config: SiteConfig, data: YamlMapping) -> None:
    """A registered site_id_code means a government website: its footer must name the 主办单位,
    联系方式 and both 备案号 (a 【待填写】 marker counts as written: content.placeholder reports it)."""
    if not config.registered:
        return
    missing = [key for key in FOOTER_REQUIRED if not getattr(config, SITE[key].attribute)]
    if missing:
        names = "、".join(f"{SITE[key].label}（{key}）" for key in missing)
        raise ContentError(data.where("site_id_code"),
                           f"填写了网站标识码 site_id_code，按《政府网站发展指引》每页页脚须写明{names}，site.yaml 中缺少",
                           "在 site.yaml 中加上：" + "；".join(f"{key}: …" for key in missing)
                           + "。示例门户或测试门户没有网站标识码时写 site_id_code: \"0000000000\"")


def _base_url(setting: Setting, data: YamlMapping) -> str:
    url = setting.value(data)
    problem = base_url_problem(url) if url else None
    if problem:
        raise ContentError(data.where("base_url"), f"{setting.label} base_url 有误：{problem}", BASE_URL_HINT)
    return url


def _profiles(setting: Setting, data: YamlMapping) -> dict[str, str]:
    profiles = setting.value(data)
    for kind in profiles:
        if kind not in PROFILES:
            raise ContentError(profiles.where(kind), f"未知的公开类型“{kind}”", "可用：" + "、".join(PROFILES))
    return dict(profiles)


def _checks(setting: Setting, data: YamlMapping) -> CheckConfig:
    """``checks:`` (docs/checks.md), checked and read into the checker's settings."""
    settings = setting.value(data)
    reject_unknown(settings, set(CHECKS))
    config = CheckConfig()
    rounding = CHECKS["rounding"].value(settings)
    for unit, value in rounding.items():   # as Decimal: Decimal(str(value)) cannot read "1,000"
        try:
            config.rounding[unit] = parse_decimal(value)
        except OutOfRange as exc:
            raise ContentError(rounding.where(unit), f"“{unit}”的尾数容差{exc}", NUMBER_HINT) from None
        except ValueError:
            raise ContentError(rounding.where(unit), f"“{unit}”的尾数容差“{value}”不是数字") from None
    disabled, severity = CHECKS["disabled"].value(settings), CHECKS["severity"].value(settings)
    for rule_id in [*disabled, *severity]:
        if rule_id not in RULES:
            raise ContentError(settings.where(), f"未知的检查规则“{rule_id}”", "规则列表见 docs/checks.md")
    levels = CHECKS["severity"].choices
    for rule_id, level in severity.items():
        if level not in levels:
            raise ContentError(severity.where(rule_id), f"“{rule_id}”的级别应为 {' 或 '.join(levels)}")
    config.disabled, config.severity = set(disabled), dict(severity)
    subjects = CHECKS["subjects"].value(settings)
    if subjects is not None:         # (left empty: the bundled list alone, as when left out)
        where = settings.where("subjects")
        path = inside(data.path.parent, subjects, where)
        if not path.is_file():
            raise ContentError(where, f"找不到科目名称文件“{settings['subjects']}”", "路径相对于内容文件夹（site.yaml 所在文件夹）")
        config.portal_subjects = load_subject_names(path)
    return config


def load_subject_names(path: Path) -> dict[str, dict[str, tuple[str, ...]]]:
    """A list of standard 科目 names: ``功能分类: {"2101506": 医疗保障经办事务}`` (a name or a list)."""
    data = load_mapping(path)
    reject_unknown(data, {"功能分类", "经济分类"})
    names: dict[str, dict[str, tuple[str, ...]]] = {}
    for classification in data:
        codes = check_type(data, classification, dict)
        names[classification] = {}
        for code in codes:
            if not re.fullmatch(r"\d{3,7}", str(code)):
                raise ContentError(codes.where(code), f"“{code}”不是科目代码", "科目代码为 3、5 或 7 位数字，写在引号中，如 \"2101506\"")
            value = check_type(codes, code, (str, list))
            names[classification][str(code)] = tuple(str(v) for v in value) if isinstance(value, list) else (value,)
    return names


def _downloads(setting: Setting, data: YamlMapping) -> tuple[str, ...]:
    """Left out: every format; written, even empty (``downloads:``), only the ones listed."""
    if setting.key not in data:
        return setting.default
    chosen = optional(data, setting.key, setting.type, [])
    for value in chosen:
        if value not in setting.choices:
            raise ContentError(data.where(setting.key), f"未知的下载格式“{value}”",
                               "可用：" + "、".join(setting.choices) + "；写 [] 表示不提供下载")
    return tuple(f for f in setting.choices if f in chosen)


def _previous_release(setting: Setting, data: YamlMapping) -> Path | None:
    """The published portal, relative to the content folder (an absolute path stays as it is)."""
    value = setting.value(data)
    if not value:
        return None
    return (data.path.parent / value).resolve()


def _prose_html(setting: Setting, data: YamlMapping):
    """``prose_html:``: the portal's additions to what prose may contain (sanitize.py). Never
    what runs code."""
    settings = setting.value(data)
    if settings is None:
        return None
    reject_unknown(settings, set(PROSE_HTML))
    tags = [str(t) for t in PROSE_HTML["tags"].value(settings)]
    attributes = PROSE_HTML["attributes"].value(settings)
    schemes = [str(s).lower() for s in PROSE_HTML["url_schemes"].value(settings)]
    names = {tag: [str(a) for a in check_type(attributes, tag, list)] for tag in attributes}
    for key, values in (("tags", tags), *((f"attributes.{t}", [t, *a]) for t, a in names.items())):
        bad = next((v for v in values if forbidden(v) or not re.fullmatch(r"[A-Za-z*][-A-Za-z0-9:]*", v)), None)
        if bad is not None:
            where = settings.where(key.split(".")[0]) if "." not in key else attributes.where(key.split(".", 1)[1])
            raise ContentError(where, f"prose_html 不能允许“{bad}”：它会在读者的浏览器中执行代码、加载别处的内容或改变链接去向",
                               "说明文字只能包含文字、表格和链接；需要的表格请放在 tables/ 中")
    bad_scheme = next((s for s in schemes if s in ("javascript", "vbscript", "data", "file") or not re.fullmatch(r"[a-z][a-z0-9+.-]*", s)), None)
    if bad_scheme is not None:
        raise ContentError(settings.where("url_schemes"), f"prose_html 不能允许“{bad_scheme}:”开头的链接")
    return widened(tags, names, schemes)


# How a key whose value needs more than its declared type is read (the others: Setting.value)
_READERS: dict[str, Callable[[Setting, YamlMapping], Any]] = {
    "base_url": _base_url, "profiles": _profiles, "checks": _checks, "downloads": _downloads,
    "previous_release": _previous_release, "prose_html": _prose_html,
}


# What an address may not hold: whitespace and control characters (robots.txt and the sitemap are
# written line by line), quotes, angle brackets and the other ASCII characters a URL must
# percent-encode (they would end an attribute or an XML element)
_NOT_IN_URL = re.compile(r"""[\s\x00-\x1f\x7f"'<>\\^`{|}]""")
BASE_URL_HINT = "写完整的网站地址，如 https://www.example.gov.cn/yjsgk/（英文半角字符，中文域名写成 xn-- 开头的形式）"


def base_url_problem(url: str) -> str | None:
    """What is wrong with ``url`` as the published site's address (site.yaml ``base_url``,
    ``build --base-url``), in words for the clerk; None when it is an absolute http(s) address
    that can go into robots.txt, the sitemap, the feed and every page's canonical link as it is."""
    bad = _NOT_IN_URL.search(url) or re.search(r"[^\x00-\x7f]", url)
    if bad:
        char = bad.group()
        named = {" ": "空格", "\n": "换行", "\t": "制表符", "\u3000": "全角空格"}.get(char) \
            or (f"不可见字符 U+{ord(char):04X}" if not char.isprintable() else f"“{char}”")
        return f"其中有{named}" + ("（全角或中文字符）" if ord(char) > 0x7f and char.isprintable() else "")
    try:
        parts = urlsplit(url)
        if parts.port == 0:        # (port raises on one that is no number, or too large)
            return "不是有效的网址（端口为 0）"
    except ValueError:
        return "不是有效的网址"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "应以 http:// 或 https:// 开头，后接域名"
    if "?" in url or "#" in url:
        return "不能含 ? 或 #（只写网站的根地址）"
    if re.search(r"%(?![0-9A-Fa-f]{2})", url):
        return "“%”后应是两位十六进制数字"
    return None
