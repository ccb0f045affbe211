"""Publishing releases to a web server's folder: copy, hard-link, switch, roll back, prune."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil

import pytest
from click.testing import CliRunner

from conftest import FENYANG
from site_builder.build import build
from site_builder.cli import main
from site_builder.publish import PublishError, publish, releases, rollback

T0 = 1_800_000_000          # a fixed clock: release ids differ without waiting a second


@pytest.fixture
def site(example_out, tmp_path):
    """A writable copy of the built example portal."""
    copy = tmp_path / "output"
    shutil.copytree(example_out, copy)
    return copy


def served(target):
    return (target / "current").resolve()


def test_first_release_holds_every_file_and_compressed_copies(site, tmp_path):
    target = tmp_path / "www"
    result = publish(site, target, now=T0)
    current = served(target)
    assert (target / "current").is_symlink() and not os.path.isabs(os.readlink(target / "current"))
    assert current.parent == target / "releases" and current.name == result.release.id
    built = sorted(p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file())
    assert sorted(p.relative_to(current).as_posix() for p in current.rglob("*")
                  if p.is_file() and p.suffix not in (".gz", ".br")) == built
    page = current / FENYANG / "index.html"
    assert gzip.decompress((current / FENYANG / "index.html.gz").read_bytes()) == page.read_bytes()
    import brotli
    assert brotli.decompress((current / FENYANG / "index.html.br").read_bytes()) == page.read_bytes()
    assert not (current / FENYANG / "tables.xlsx.gz").exists()            # already compressed
    assert result.release.documents == 3 and result.copied == len(built) and result.linked == 0


def test_unchanged_files_are_hard_links_to_the_previous_release(site, tmp_path):
    target = tmp_path / "www"
    first = publish(site, target, now=T0).release
    page = site / FENYANG / "index.html"
    page.write_bytes(page.read_bytes().replace(b"</footer>", b"<!-- corrected --></footer>"))
    result = publish(site, target, now=T0 + 60)
    assert result.changed == [f"{FENYANG}/index.html"] and not result.added and not result.removed
    old, new = first.path, result.release.path
    assert (new / "index.html").stat().st_ino == (old / "index.html").stat().st_ino
    assert (new / "index.html.gz").stat().st_ino == (old / "index.html.gz").stat().st_ino
    assert (new / FENYANG / "index.html").stat().st_ino != (old / FENYANG / "index.html").stat().st_ino
    assert b"corrected" in gzip.decompress((new / FENYANG / "index.html.gz").read_bytes())
    assert result.linked == result.release.files - 1 and result.copied == 1
    assert served(target) == new


def test_rollback_switches_back_and_releases_lists_them(site, tmp_path):
    target = tmp_path / "www"
    first = publish(site, target, now=T0).release
    (site / "robots.txt").write_text("User-agent: *\nDisallow: /\n")
    second = publish(site, target, now=T0 + 60).release
    assert [r.id for r in releases(target)] == [first.id, second.id]
    assert [r.current for r in releases(target)] == [False, True]
    assert rollback(target).id == first.id and served(target) == first.path
    assert (served(target) / "robots.txt").read_text() == "User-agent: *\nAllow: /\n"
    assert rollback(target, second.id[:16]).id == second.id and served(target) == second.path
    with pytest.raises(PublishError, match="找不到发布版本"):
        rollback(target, "19990101")


def test_old_releases_beyond_keep_are_deleted_but_never_the_current_one(site, tmp_path):
    target = tmp_path / "www"
    ids = []
    for n in range(4):
        (site / "robots.txt").write_text(f"User-agent: *\nAllow: /\n# {n}\n")
        ids.append(publish(site, target, keep=2, now=T0 + 60 * n).release.id)
    assert [r.id for r in releases(target)] == ids[2:]
    assert not (target / "releases" / f"{ids[0]}.json").exists()
    rollback(target, ids[2])
    (site / "robots.txt").write_text("User-agent: *\nAllow: /\n# 4\n")
    ids.append(publish(site, target, keep=1, now=T0 + 300).release.id)
    assert [r.id for r in releases(target)] == [ids[4]]


def test_a_disappearing_disclosure_needs_allow_removal(content_copy, tmp_path):
    target = tmp_path / "www"
    out = tmp_path / "out"
    build(content_copy, out, search=False)
    publish(out, target, now=T0)
    shutil.rmtree(content_copy / "departments/gaoyi-ybj/2021")
    build(content_copy, out, search=False)
    before = served(target)
    with pytest.raises(PublishError, match="高邑县医疗保障局 2021年度"):
        publish(out, target, now=T0 + 60)
    assert served(target) == before and len(releases(target)) == 1
    result = publish(out, target, allow_removal=True, now=T0 + 60)
    assert result.removed_documents and "gaoyi-ybj/2021/performance/index.html" in result.removed


def test_dry_run_says_what_would_change_and_writes_nothing(site, tmp_path):
    target = tmp_path / "www"
    publish(site, target, now=T0)
    (site / "robots.txt").write_text("changed\n")
    (site / "new.txt").write_text("new\n")
    (site / "404.html").unlink()
    before = sorted(target.rglob("*"))
    result = publish(site, target, dry_run=True)
    assert (result.added, result.changed, result.removed) == (["new.txt"], ["robots.txt"], ["404.html"])
    assert sorted(target.rglob("*")) == before


def test_commands_publish_list_and_roll_back(site, tmp_path, monkeypatch):
    target = tmp_path / "www"
    runner = CliRunner()
    first = runner.invoke(main, ["publish", str(site), str(target)])
    assert first.exit_code == 0 and "已发布" in first.output
    (site / "robots.txt").write_text("changed\n")
    dry = runner.invoke(main, ["publish", str(site), str(target), "--dry-run"])
    assert dry.exit_code == 0 and "修改 robots.txt" in dry.output
    listing = runner.invoke(main, ["releases", str(target)])
    assert listing.exit_code == 0 and listing.output.count("\n") == 1 and listing.output.startswith("*")
    back = runner.invoke(main, ["rollback", str(target)])
    assert back.exit_code == 1 and "没有更早的版本" in back.output
    os.unlink(target / "current")
    (target / "current").mkdir()
    refused = runner.invoke(main, ["publish", str(site), str(target)])
    assert refused.exit_code == 1 and "不是符号链接" in refused.output
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")                              # no ./output here
    default_output = runner.invoke(main, ["publish", str(target)])          # OUTPUT defaults to ./output
    assert default_output.exit_code == 1 and "output" in default_output.output and "不是生成好的网站" in default_output.output
    missing = runner.invoke(main, ["publish", str(tmp_path / "nothing"), str(target)])
    assert missing.exit_code == 1 and "不是生成好的网站" in missing.output


# -- manifest, signature, verify ---------------------------------------------------------------

@pytest.fixture
def keys(tmp_path):
    from site_builder.manifest import keygen

    private = tmp_path / "keys" / "site.key"
    public = keygen(private)
    return private, public


def test_keygen_writes_a_private_key_only_its_owner_reads_and_never_overwrites(keys):
    from site_builder.manifest import SigningKeyError, keygen

    private, public = keys
    assert private.stat().st_mode & 0o777 == 0o600 and b"PRIVATE KEY" in private.read_bytes()
    assert b"PUBLIC KEY" in public.read_bytes()
    with pytest.raises(SigningKeyError, match="已存在"):
        keygen(private)


def test_a_signed_build_verifies_and_verify_names_every_difference(content_copy, tmp_path, keys):
    from site_builder.manifest import MANIFEST, SIGNATURE, verify

    private, public = keys
    out = tmp_path / "out"
    build(content_copy, out, search=False, signing_key=private)
    assert (out / SIGNATURE).is_file() and private.read_bytes() not in b"".join(
        p.read_bytes() for p in out.rglob("*") if p.is_file())
    report = verify(out, public)
    assert report.ok and report.signature == "valid" and report.files > 100
    # a changed byte, an added file, a removed file
    page = out / FENYANG / "index.html"
    page.write_bytes(page.read_bytes().replace(b"2262.43", b"2262.48", 1))
    (out / "fenyang-ybj" / "extra.html").write_text("<p>x</p>")
    (out / "lvliang-ybj/2023/budget/tables/01.csv").unlink()
    report = verify(out, public)
    assert (report.changed, report.added, report.removed) == (
        [f"{FENYANG}/index.html"], ["fenyang-ybj/extra.html"], ["lvliang-ybj/2023/budget/tables/01.csv"])
    assert not report.ok
    # a manifest edited to hide the change fails its signature
    manifest = json.loads((out / MANIFEST).read_bytes())
    department = json.loads((out / "fenyang-ybj" / MANIFEST).read_bytes())
    department["files"][f"{FENYANG}/index.html"] = hashlib.sha256(page.read_bytes()).hexdigest()
    (out / "fenyang-ybj" / MANIFEST).write_bytes(json.dumps(department).encode())
    manifest["files"]["fenyang-ybj/" + MANIFEST] = hashlib.sha256((out / "fenyang-ybj" / MANIFEST).read_bytes()).hexdigest()
    (out / MANIFEST).write_bytes(json.dumps(manifest).encode())
    report = verify(out, public)
    assert report.signature == "invalid" and f"{FENYANG}/index.html" not in report.changed and not report.ok
    # the command exits 1 and names the files
    result = CliRunner().invoke(main, ["verify", str(out), "--public-key", str(public)])
    assert result.exit_code == 1 and "签名无效" in result.output and "新增 fenyang-ybj/extra.html" in result.output


def test_a_published_release_verifies_with_its_compressed_copies(content_copy, tmp_path, keys):
    from site_builder.manifest import verify

    private, public = keys
    out, target = tmp_path / "out", tmp_path / "www"
    build(content_copy, out, search=False, signing_key=private)
    publish(out, target, now=T0)
    assert verify(target, public).ok                       # TARGET means its current release
    served_gz = served(target) / FENYANG / "index.html.gz"
    served_gz.unlink()
    served_gz.write_bytes(gzip.compress(b"<p>tampered</p>"))
    report = verify(target, public)
    assert report.changed == [f"{FENYANG}/index.html.gz"]
    result = CliRunner().invoke(main, ["verify", str(target), "--public-key", str(public)])
    assert result.exit_code == 1 and f"改动 {FENYANG}/index.html.gz" in result.output


def test_an_incremental_build_keeps_the_manifest_true(content_copy, tmp_path, keys):
    from site_builder.manifest import verify

    private, public = keys
    out = tmp_path / "out"
    build(content_copy, out, search=False, signing_key=private)
    csv = content_copy / "departments/fenyang-ybj/2024/final-accounts/tables/05.csv"
    csv.write_text(csv.read_text(encoding="utf-8").replace("69.62", "69.63"), encoding="utf-8")
    result = build(content_copy, out, search=False, signing_key=private)
    assert result.rendered == 1 and verify(out, public).ok
    build(content_copy, out, search=False)                 # no key: an unchanged manifest keeps its signature
    assert verify(out, public).ok


def test_the_signing_key_may_not_sit_in_the_output(content_copy, tmp_path):
    from site_builder.manifest import SigningKeyError, keygen

    out = tmp_path / "out"
    key = out / "site.key"
    keygen(key)
    with pytest.raises(SigningKeyError, match="输出文件夹"):
        build(content_copy, out, search=False, signing_key=key)


def test_an_earlier_releases_assets_stay_for_pages_served_before_the_switch(content_copy, tmp_path, keys):
    import re

    from site_builder.manifest import verify

    private, public = keys
    out, target = tmp_path / "out", tmp_path / "www"
    build(content_copy, out, search=False, signing_key=private)
    publish(out, target, now=T0)
    old_css = re.search(r'assets/(site\.[0-9a-f]{10}\.css)', (out / "index.html").read_text()).group(1)
    (content_copy / "templates/assets").mkdir(parents=True)
    (content_copy / "templates/assets/site.css").write_text("body { color: #000; }\n")
    build(content_copy, out, search=False, signing_key=private)
    new_css = re.search(r'assets/(site\.[0-9a-f]{10}\.css)', (out / "index.html").read_text()).group(1)
    assert new_css != old_css and not (out / "assets" / old_css).exists()
    assert f"assets/{old_css}" not in publish(out, target, dry_run=True).removed
    result = publish(out, target, now=T0 + 60)
    assert result.kept == [f"assets/{old_css}"]
    release = served(target)
    assert (release / "assets" / old_css).is_file() and (release / "assets" / new_css).is_file()
    report = verify(target, public)
    assert report.ok and report.kept == [f"assets/{old_css}", f"assets/{old_css}.br", f"assets/{old_css}.gz"]
    rollback(target)                     # back to the first release: the second's pages still find their assets
    assert (served(target) / "assets" / new_css).is_file() and verify(target, public).ok
    rollback(target, result.release.id)
    (release / "assets" / old_css).write_text("body { display: none; }\n")     # altered: no longer its name
    assert verify(target, public).added == [f"assets/{old_css}", f"assets/{old_css}.br", f"assets/{old_css}.gz"]


@pytest.mark.parametrize("kind", ["file", "folder"])
def test_publish_refuses_an_output_holding_a_symbolic_link(site, tmp_path, kind):
    """``ln -s site.key output/leak.txt`` copied the private key into the release, served at
    0644; a link to a folder would be followed by the web server. Either is refused, named."""
    secret = tmp_path / "secret"
    secret.mkdir()
    (secret / "site.key").write_text("PRIVATE KEY")
    link = site / "fenyang-ybj" / ("leak.txt" if kind == "file" else "sys")
    link.symlink_to(secret / "site.key" if kind == "file" else secret)
    target = tmp_path / "www"
    with pytest.raises(PublishError, match=f"符号链接：fenyang-ybj/{link.name} → "):
        publish(site, target, now=T0)
    assert not (target / "current").exists()
    assert not [p for p in target.rglob("*") if p.is_file() and p.read_bytes() == b"PRIVATE KEY"]


def test_verify_takes_any_symbolic_link_in_a_release_as_tampering(content_copy, tmp_path, keys):
    """os.walk does not enter a linked folder, and a linked file has the bytes it points at:
    ``ln -s /etc www/current/sys`` verified as unchanged while nginx served /sys/passwd."""
    from site_builder.manifest import verify

    private, public = keys
    out, target = tmp_path / "out", tmp_path / "www"
    build(content_copy, out, search=False, signing_key=private)
    publish(out, target, now=T0)
    current = served(target)
    (current / "sys").symlink_to("/etc")
    page = current / FENYANG / "index.html"
    copy = tmp_path / "same.html"
    shutil.copy(page, copy)
    page.unlink()
    page.symlink_to(copy)                                # a link to the very bytes expected
    report = verify(target, public)
    assert report.added == ["sys/"] and report.changed == [f"{FENYANG}/index.html"] and not report.removed
    assert not report.ok


@pytest.mark.parametrize("name", ["", "1", "20"])
def test_rollback_to_a_name_several_releases_share_is_an_error_listing_them(site, tmp_path, name):
    """A prefix two releases share (or an empty name) switched silently to the oldest."""
    target = tmp_path / "www"
    first = publish(site, target, now=T0).release
    (site / "robots.txt").write_text("User-agent: *\nDisallow: /\n")
    second = publish(site, target, now=T0 + 60).release
    assert first.id[:2] == second.id[:2] == "20"
    with pytest.raises(PublishError, match="对应 2 个发布版本|找不到发布版本") as caught:
        rollback(target, name)
    assert served(target) == second.path
    assert first.id in caught.value.hint and second.id in caught.value.hint
