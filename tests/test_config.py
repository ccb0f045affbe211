"""site.yaml: config.py declares every key once, and the portal file is read through it."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from pathlib import Path

import pytest

from site_builder.checks import CheckConfig
from site_builder.config import CHECKS, PROFILES, PROSE_HTML, SITE, SiteConfig, load_site_config
from site_builder.content import load_portal
from site_builder.errors import ContentError
from site_builder.model import DOWNLOAD_FORMATS, KINDS, Portal

REQUIRED = "name: 门户\nregion: 吕梁市\nsite_name: 门户\nsite_domain: example.gov.cn\nsite_id_code: \"0000000000\"\n"


def portal_file(root: Path, text: str) -> Path:
    (root / "site.yaml").write_text(REQUIRED + text, encoding="utf-8")
    return root


def refused(root: Path) -> ContentError:
    with pytest.raises(ContentError) as caught:
        load_site_config(root)
    return caught.value


def test_every_declared_key_fills_a_field_of_site_config():
    fields = {f.name for f in dataclasses.fields(SiteConfig)}
    declared = {setting.attribute for setting in SITE.values()}
    assert declared <= fields
    assert fields - declared == {"path", "glossary"}      # what comes with the file, not from a key
    assert list(PROFILES) == list(KINDS)
    for setting in [*SITE.values(), *PROFILES.values(), *CHECKS.values(), *PROSE_HTML.values()]:
        assert setting.label and setting.doc and not setting.doc.startswith(" "), setting.key


def test_a_portal_file_with_only_the_required_keys_has_the_declared_defaults(tmp_path):
    config = load_site_config(portal_file(tmp_path, ""))
    for setting in SITE.values():
        if not setting.required and setting.key != "checks":
            assert getattr(config, setting.attribute) == setting.default, setting.key
    assert config.downloads == DOWNLOAD_FORMATS and config.path == tmp_path / "site.yaml"
    assert config.checks == CheckConfig()


@pytest.mark.parametrize("key", [key for key, setting in SITE.items() if setting.required])
def test_a_missing_required_key_names_its_label(tmp_path, key):
    text = "".join(line + "\n" for line in REQUIRED.splitlines() if not line.startswith(f"{key}:"))
    (tmp_path / "site.yaml").write_text(text, encoding="utf-8")
    error = refused(tmp_path)
    assert error.problem == f"缺少必填项“{key}”（{SITE[key].label}）"


@pytest.mark.parametrize("text, where, allowed", [
    ("regoin: 吕梁\n", 6, SITE),
    ("checks:\n  roundnig: {万元: 0.01}\n", 7, CHECKS),
    ("prose_html:\n  tag: [span]\n", 7, PROSE_HTML),
])
def test_an_unknown_key_is_refused_with_the_declared_ones(tmp_path, text, where, allowed):
    error = refused(portal_file(tmp_path, text))
    assert error.location.line == where
    assert error.problem.startswith("未知的设置项“")
    assert error.hint == "可用的设置项：" + "、".join(sorted(allowed))


def test_an_unknown_kind_under_profiles_lists_the_kinds(tmp_path):
    error = refused(portal_file(tmp_path, "profiles:\n  final-account: final-accounts-10\n"))
    assert (error.location.line, error.problem) == (7, "未知的公开类型“final-account”")
    assert error.hint == "可用：" + "、".join(PROFILES)


@pytest.mark.parametrize("text, problem", [
    ("downloads: csv\n", "“downloads”应为列表，实际是“csv”"),
    ("checks: [rounding]\n", "“checks”应为映射，实际是“['rounding']”"),
    ("checks: {disabled: sum.children}\n", "“disabled”应为列表，实际是“sum.children”"),
    ("prose_html: {url_schemes: tel}\n", "“url_schemes”应为列表，实际是“tel”"),
])
def test_a_value_of_the_wrong_type_is_refused(tmp_path, text, problem):
    assert refused(portal_file(tmp_path, text)).problem == problem


def test_downloads_left_out_empty_or_listed(tmp_path):
    assert load_site_config(portal_file(tmp_path, "")).downloads == ("csv", "json", "xlsx")
    assert load_site_config(portal_file(tmp_path, "downloads:\n")).downloads == ()
    assert load_site_config(portal_file(tmp_path, "downloads: [xlsx, csv]\n")).downloads == ("csv", "xlsx")
    error = refused(portal_file(tmp_path, "downloads: [pdf]\n"))
    assert (error.problem, error.hint) == ("未知的下载格式“pdf”", "可用：csv、json、xlsx；写 [] 表示不提供下载")


def test_checks_are_read_once_into_the_checkers_settings(tmp_path):
    (tmp_path / "科目.yaml").write_text('功能分类: {"2101506": 医保经办}\n', encoding="utf-8")
    config = load_site_config(portal_file(tmp_path, "checks:\n  rounding: {万元: \"0.01\", 元: 1}\n"
                                                    "  disabled: [code.parent]\n  severity: {cross.equal: warning}\n"
                                                    "  subjects: 科目.yaml\n"))
    checks = config.checks
    assert checks.rounding == {"万元": Decimal("0.01"), "元": Decimal(1)}
    assert checks.disabled == {"code.parent"} and checks.severity == {"cross.equal": "warning"}
    assert checks.portal_subjects == {"功能分类": {"2101506": ("医保经办",)}}
    assert checks.subjects["功能分类"]["2101506"] == ("医保经办",)           # the portal's over the bundled list
    assert len(checks.subjects["功能分类"]) > 1
    assert CheckConfig.from_portal(Portal(config, tmp_path, [])) is checks   # not parsed again


def test_a_severity_other_than_error_or_warning_is_refused(tmp_path):
    error = refused(portal_file(tmp_path, "checks:\n  severity: {sum.rows: fatal}\n"))
    assert (error.location.line, error.problem) == (7, "“sum.rows”的级别应为 error 或 warning")


def test_the_example_portal_reads_as_before():
    config = load_portal(Path(__file__).resolve().parent.parent / "content").config
    assert (config.name, config.region, config.base_url) == ("预决算公开示例门户", "山西省吕梁市", "https://example.gov.cn/yjsgk/")
    assert config.default_profiles == {"final-accounts": "final-accounts-10", "budget": "budget-13",
                                       "performance": "performance-overall"}
    assert config.checks == CheckConfig() and config.prose_html is None and config.previous_release is None


EMPTY_VALUES = ["", "null", "~", "[]", "{}", "0", "''", "[null]", "{a: null}"]


@pytest.mark.parametrize("section", ["site", "profiles", "checks", "prose_html"])
@pytest.mark.parametrize("value", EMPTY_VALUES)
def test_every_key_left_empty_or_of_any_shape_is_read_or_refused_cleanly(tmp_path, section, value):
    """Each declared key, left empty or given a value of another shape: its default, or a
    ContentError at the key's line — never another exception (``checks: {subjects: null}``
    was a TypeError traceback)."""
    declared = {"site": SITE, "profiles": PROFILES, "checks": CHECKS, "prose_html": PROSE_HTML}[section]
    for key in declared:
        line = f"{key}: {value}\n" if section == "site" else f"{section}:\n  {key}: {value}\n"
        text = "".join(k + "\n" for k in REQUIRED.splitlines() if not k.startswith(f"{key}:")) if section == "site" \
            else REQUIRED
        (tmp_path / "site.yaml").write_text(text + line, encoding="utf-8")
        try:
            load_site_config(tmp_path)
        except ContentError as error:
            assert error.location is not None and error.location.path.name == "site.yaml", (key, value, error)


FOOTER = ("host: 吕梁市财政局\norganizer: 吕梁市财政局信息中心\ncontact: 0358-1234567\n"
          "icp_record: 晋ICP备12345678号-1\npolice_record: 晋公网安备 14110202000123号\n")


def test_a_registered_site_id_code_requires_the_footer_the_guideline_asks_for(tmp_path):
    """《政府网站发展指引》: a government website's every page names its 主办单位, 联系方式 and both
    备案号; all zeros marks a portal without a code (the example, tests), which needs none."""
    registered = REQUIRED.replace('"0000000000"', '"1411000001"')
    (tmp_path / "site.yaml").write_text(registered + "host: 吕梁市财政局\n", encoding="utf-8")
    error = refused(tmp_path)
    assert error.location.line == 5                              # the site_id_code line
    assert "联系方式（contact）、ICP备案号（icp_record）、公安机关备案号（police_record）" in error.problem
    assert "主办单位" not in error.problem
    (tmp_path / "site.yaml").write_text(registered + FOOTER, encoding="utf-8")
    config = load_site_config(tmp_path)
    assert config.registered and config.footer_host == "吕梁市财政局" and config.police_code == "14110202000123"
    assert not load_site_config(portal_file(tmp_path, "")).registered     # 0000000000: no footer required
