"""Tamper evidence (防篡改): the SHA-256 of every published file, signed with Ed25519.

Every build writes, in each department's folder, ``<slug>/manifest.json`` (the hash of each
of that department's files, made by the worker that rendered them, from the bytes in memory)
and, at the top, ``manifest.json``: the hash of every other file (portal pages, assets, the
search index) and of each department's manifest. The top manifest therefore pins every file
of the site, and an incremental build only hashes what it wrote. With a signing key
(``site-builder keygen``) the build also writes ``manifest.json.sig``: the Ed25519 signature
of the manifest's exact bytes, base64. The private key is only read, never copied anywhere.

``verify`` checks the signature with the public key, then every file on disk against the
manifests: it reports each file added, changed or removed. A pre-compressed copy made by
``publish`` (``x.html.gz``, ``x.html.br``) is checked by decompressing it and comparing with
its file's signed hash, so compression needs no new signature. The assets a release keeps from
the one it replaced (for pages served just before the switch) are accepted only as that
release's signed manifest, recorded in the release's ``<id>.json``, lists them: a name that
carries a file's own hash proves nothing, anyone can name a file so. ``publish`` checks each
new release with the same comparison before it lists it.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import os
import re
import stat
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from . import __version__
from .errors import SiteBuilderError
from .jsonfmt import compact_json
from .layout import BUNDLE_DIR, CURRENT, LOCK, MANIFEST, RELEASES, SIGNATURE

FORMAT = "site-builder-manifest/1"


class SigningKeyError(SiteBuilderError):
    """A key file that is missing, unreadable or of the wrong kind."""


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_sha256(path: Path | str) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _json(data: dict) -> bytes:
    return (compact_json(data, sort_keys=True) + "\n").encode("utf-8")


def department_manifest(slug: str, files: list[tuple[str, bytes]]) -> tuple[str, bytes]:
    """``<slug>/manifest.json`` for a department's files (path in the site, bytes)."""
    return f"{slug}/{MANIFEST}", _json({"format": FORMAT, "department": slug,
                                        "files": {path: sha256(data) for path, data in files}})


def site_manifest(paths: list[str], documents: int, previous: dict[str, str], fresh: set[str],
                  source: Callable[[str], Path]) -> bytes:
    """The top manifest of a site: ``paths`` are every file but the departments' own (which
    their manifests cover) and the manifest files; a path not in ``fresh`` keeps its hash from
    ``previous`` (the last manifest) when it has one; the others are read at ``source(path)``."""
    files = {}
    for path in sorted(paths):
        known = previous.get(path)
        files[path] = known if known is not None and path not in fresh else file_sha256(source(path))
    return _json({"format": FORMAT, "generator": f"site-builder {__version__}", "documents": documents,
                  "files": files})


def staged_manifest(out: Path, staging: Path, paths: list[str], slugs: list[str], documents: int, fresh: set[str],
                    index: str, signing_key: Path | None) -> tuple[list[tuple[str, bytes]], list[str]]:
    """The top manifest (and its signature, with a key) of the site as the build's commit will
    leave it: the files in ``fresh`` are read from ``staging``, the others keep their hash in the
    output's manifest (or are read from ``out``). ``paths``: the portal's own files (pages,
    assets); ``index``: the search index is "new" (staged), "kept" (the output's) or "none".
    Returns the files to stage (name, bytes) — none when the output's already say this — and
    those to delete (a signature of an older manifest, with no key to sign the new one)."""
    bundle = staging / BUNDLE_DIR if index == "new" else out / BUNDLE_DIR
    listed = [p.relative_to(bundle.parent).as_posix() for p in sorted(bundle.rglob("*")) if p.is_file()] \
        if index != "none" and bundle.is_dir() else []
    if index == "new":
        fresh = fresh | set(listed)
    target, signature = out / MANIFEST, out / SIGNATURE
    old = target.read_bytes() if target.exists() else None
    previous = parse_manifest(old or b"")
    data = site_manifest([*paths, *(f"{slug}/{MANIFEST}" for slug in slugs), *listed], documents,
                         previous.get("files", {}) if previous.get("format") == FORMAT else {}, fresh,
                         lambda path: (staging if path in fresh else out) / path)
    files = [(MANIFEST, data)] if old != data else []
    if signing_key is not None:
        key = _load(signing_key, True)
        if not (signature.exists() and old == data and _verifies(data, signature.read_bytes(), key.public_key())):
            files.append((SIGNATURE, base64.b64encode(key.sign(data)) + b"\n"))
        return files, []
    return files, [SIGNATURE] if old != data and signature.exists() else []


def signed_by(out: Path, signing_key: Path) -> bool:
    """Whether ``out``'s manifest carries a valid signature by ``signing_key``."""
    try:
        data, signature = (out / MANIFEST).read_bytes(), (out / SIGNATURE).read_bytes()
    except OSError:
        return False
    return _verifies(data, signature, _load(signing_key, True).public_key())


def _verifies(data: bytes, signature: bytes, public_key) -> bool:
    from cryptography.exceptions import InvalidSignature

    try:
        public_key.verify(base64.b64decode(signature.strip(), validate=True), data)
    except (InvalidSignature, ValueError):
        return False
    return True


def site_folder(path: Path) -> Path:
    """The site a path names: a publish target's current release, or the folder itself."""
    return ((path / "current") if (path / "current").is_dir() and not (path / MANIFEST).exists() else path).resolve()


def check_signing_key(key: Path, out_dir: Path) -> None:
    """The private key must never be published: not inside the output folder, nor unreadable."""
    key, out = key.resolve(), out_dir.resolve()
    if key == out or out in key.parents:
        raise SigningKeyError(key, "私钥在输出文件夹中，会被一起发布", "把私钥放在网站文件夹以外，只让生成网站的账号能读")
    if not key.is_file():
        raise SigningKeyError(key, "找不到私钥文件", "用 site-builder keygen 生成密钥对")


def read_manifest(folder: Path) -> dict:
    """``folder``'s manifest.json as a mapping, {} without one of this format."""
    try:
        data = parse_manifest((folder / MANIFEST).read_bytes())
    except OSError:
        return {}
    return data if data.get("format") == FORMAT else {}


# -- keys --------------------------------------------------------------------------------------

def keygen(private_path: Path) -> Path:
    """Write a new Ed25519 key pair: ``private_path`` (PEM, readable by its owner only) and
    ``private_path`` + ``.pub``; refuses to overwrite either."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    public_path = private_path.with_name(private_path.name + ".pub")
    for path in (private_path, public_path):
        if path.exists():
            raise SigningKeyError(path, "文件已存在，不会覆盖", "换一个文件名，或先移走旧密钥（旧密钥签名的清单要用旧公钥验证）")
    key = Ed25519PrivateKey.generate()
    private_path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    public_path.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                           serialization.PublicFormat.SubjectPublicKeyInfo))
    return public_path


def _load(path: Path, private: bool):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

    kind = "私钥" if private else "公钥"
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SigningKeyError(path, f"无法读取{kind}文件：{exc.strerror or exc}") from exc
    try:
        key = serialization.load_pem_private_key(data, None) if private else serialization.load_pem_public_key(data)
    except (ValueError, TypeError) as exc:
        raise SigningKeyError(path, f"不是 PEM 格式的{kind}", "用 site-builder keygen 生成密钥对") from exc
    if not isinstance(key, Ed25519PrivateKey if private else Ed25519PublicKey):
        raise SigningKeyError(path, f"不是 Ed25519 {kind}", "用 site-builder keygen 生成密钥对")
    return key


def check_signature(manifest: bytes, signature: bytes, public_key: Path) -> bool:
    return _verifies(manifest, signature, _load(public_key, False))


# -- verification ------------------------------------------------------------------------------

@dataclass
class Verification:
    folder: Path
    signature: str = ""           # "valid", "invalid", "missing"
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)   # the outgoing release's assets, listed by its signed manifest
    rejected: list[str] = field(default_factory=list)   # releases whose recorded manifest fails its signature
    files: int = 0

    @property
    def ok(self) -> bool:
        return self.signature == "valid" and not (self.added or self.changed or self.removed)


def expected_files(folder: Path, manifest: dict) -> dict[str, str]:
    """Every file the manifests name, with its hash; a department manifest whose bytes differ
    from its signed hash is itself reported changed and its list is not trusted."""
    expected = dict(manifest.get("files", {}))
    for path, digest in list(expected.items()):
        if path.endswith("/" + MANIFEST):
            try:
                data = (folder / path).read_bytes()
            except OSError:
                continue                        # reported as removed below
            if sha256(data) != digest:
                continue                        # reported as changed below
            try:
                listed = json.loads(data).get("files", {})
            except (ValueError, AttributeError):
                continue                        # (its hash matched: only a manifest made so could be)
            expected.update(listed)
    return expected


def read_record(folder: Path) -> dict | None:
    """The record of the release in ``folder`` (``releases/<id>.json`` beside it, naming it), or
    None: a folder without one is no release (a publish that died before writing it, or a prune
    that had delisted it), whatever it holds."""
    try:
        record = json.loads(folder.with_name(folder.name + ".json").read_bytes())
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) and record.get("id") == folder.name else None


def in_target(folder: Path) -> bool:
    """Whether ``folder`` is a release folder of a publish target (``TARGET/releases/<id>``),
    as opposed to a site folder of its own."""
    target = folder.parent.parent
    return folder.parent.name == RELEASES and ((target / CURRENT).is_symlink() or (target / LOCK).exists())


def release_record(folder: Path) -> dict | None:
    """The record of a release of a publish target; None for a plain site folder. A folder of a
    target that has no record is refused: it is not (or no longer) a complete release."""
    if not in_target(folder):
        return None
    record = read_record(folder)
    if record is None:
        raise SiteBuilderError(folder, f"不是完整的发布版本：没有记录文件 {folder.name}.json（发布被中断，或正在发布、正在删除）",
                               "用 site-builder releases 查看完整的版本；下一次 publish 或 rollback 会清理未完成的版本")
    return record


def earlier_manifests(record: dict) -> list[tuple[str, bytes, bytes]]:
    """The outgoing release's manifest that a release's record carries, with its signature:
    [(release id, manifest bytes, signature)] (none for a record that holds none or a broken one)."""
    found = []
    for entry in record.get("kept_from", []) if isinstance(record.get("kept_from"), list) else []:
        try:
            found.append((str(entry["release"]), base64.b64decode(entry["manifest"], validate=True),
                          str(entry.get("signature", "")).encode("ascii")))
        except (KeyError, TypeError, ValueError):
            continue
    return found


def verify(folder: Path, public_key: Path) -> Verification:
    """Compare ``folder`` (a published site, a publish target's ``current``, or one of its
    releases) with its signed manifest. A file no manifest of the site lists is accepted only as
    a kept asset: a content-named asset that the manifest of the release it was kept from, as
    recorded in this release's ``<id>.json``, lists with that very hash, that manifest's
    signature being valid by ``public_key``. A plain site folder keeps nothing."""
    folder = site_folder(folder)
    record = release_record(folder)
    try:
        manifest_bytes = (folder / MANIFEST).read_bytes()
    except OSError as exc:
        raise SiteBuilderError(folder / MANIFEST, "找不到文件清单", "这个文件夹不是 site-builder 生成的网站，或清单被删除") from exc
    signature = folder / SIGNATURE
    if not signature.exists():
        state = "missing"
    else:
        state = "valid" if check_signature(manifest_bytes, signature.read_bytes(), public_key) else "invalid"
    earlier, rejected = [], []
    for release, data, signed in earlier_manifests(record or {}):
        if signed and check_signature(data, signed, public_key):
            earlier.append(parse_manifest(data))
        else:
            rejected.append(release)
    report = compare(folder, manifest_bytes, earlier)
    report.signature, report.rejected = state, rejected
    return report


def parse_manifest(data: bytes) -> dict:
    """A manifest's bytes as a mapping ({} for bytes that are not a JSON object)."""
    try:
        manifest = json.loads(data)
    except ValueError:
        return {}
    return manifest if isinstance(manifest, dict) else {}


def compare(folder: Path, manifest_bytes: bytes, earlier: list[dict]) -> Verification:
    """Every file under ``folder`` against the manifest ``manifest_bytes`` (and the department
    manifests it pins): each added, changed or removed. ``earlier``: manifests already known to
    be genuine (signed, for verify; the outgoing release's own, for publish's check of a new
    release) whose content-named assets the folder may keep, with the hash they list.

    Anything but a regular file or folder (a symbolic link, even to the very bytes expected; a
    pipe; a device) is added or changed: the web server would follow or open it, and what it
    then serves is no file of the manifest. A pre-compressed copy (``x.html.gz``, ``x.html.br``)
    is checked by decompressing it against its file's hash; a kept asset's copy only when the
    asset itself was accepted."""
    report = Verification(folder)
    expected = expected_files(folder, parse_manifest(manifest_bytes))
    keepable: dict[str, set[str]] = {}
    for manifest in earlier:
        for path, digest in manifest.get("files", {}).items():
            if isinstance(digest, str) and path not in expected and content_named(path, digest):
                keepable.setdefault(path, set()).add(digest)
    seen: set[str] = set()
    plain: list[str] = []
    compressed: list[str] = []
    top = os.fspath(folder)
    cut = len(os.path.join(top, ""))             # (strings, not Paths: a release has tens of thousands of files)
    for root, dirs, names in os.walk(top):
        dirs.sort()
        for name in dirs:
            if os.path.islink(os.path.join(root, name)):     # (os.walk does not enter it; the web server would)
                report.added.append(os.path.join(root, name)[cut:] + "/")
        for name in sorted(names):
            full = os.path.join(root, name)
            path = full[cut:]
            if not stat.S_ISREG(os.lstat(full).st_mode):
                seen.add(path)
                (report.changed if path in expected else report.added).append(path)
            elif path not in (MANIFEST, SIGNATURE):
                (compressed if path.endswith((".gz", ".br")) and path not in expected else plain).append(path)
    kept: dict[str, str] = {}
    for path, digest in zip(plain, _each(_readable_sha256, top, plain), strict=True):
        report.files += 1
        if path in expected:
            seen.add(path)
            if digest != expected[path]:
                report.changed.append(path)
        elif digest is not None and digest in keepable.get(path, ()):
            kept[path] = digest
            report.kept.append(path)
        else:
            report.added.append(path)
    copies = {path: expected.get(path[:-3]) or kept.get(path[:-3]) for path in compressed}
    copies[MANIFEST + ".gz"] = copies[MANIFEST + ".br"] = sha256(manifest_bytes)   # publish compresses it too
    report.files += sum(path[:-3] != MANIFEST for path in compressed)
    report.added += [path for path in compressed if copies[path] is None]          # a copy of no file accepted
    checked = [path for path in compressed if copies[path] is not None]
    for path, found in zip(checked, _each(decompressed_sha256, top, checked), strict=True):
        if found != copies[path]:
            report.changed.append(path)
        elif path[:-3] in kept:
            report.kept.append(path)
    report.removed = sorted(set(expected) - seen)
    for paths in (report.changed, report.added, report.kept):
        paths.sort()
    return report


def _readable_sha256(path: str) -> str | None:
    try:
        return file_sha256(path)
    except OSError:                 # gone or unreadable since the walk: not the file the manifest lists
        return None


def _each(digest: Callable[[str], str | None], top: str, paths: list[str]) -> list[str | None]:
    """``digest`` of each file ``top/path``, on a few threads (reading, hashing and decompressing
    release the GIL): a release of 22,000 files with their .gz and .br is 59,000 of them."""
    workers = min(4, os.cpu_count() or 1)
    if workers == 1 or len(paths) < 512:
        return [digest(os.path.join(top, path)) for path in paths]
    with ThreadPoolExecutor(workers) as pool:
        parts = list(pool.map(lambda part: [digest(os.path.join(top, path)) for path in part],
                              [paths[n::workers] for n in range(workers)]))
    found: list[str | None] = [None] * len(paths)
    for n, part in enumerate(parts):
        found[n::workers] = part
    return found


_HASHED = re.compile(r"^assets/(?:.+/)?[^/]+\.([0-9a-f]{10})\.[A-Za-z0-9]+$")


def content_named(name: str, digest: str | None = None) -> bool:
    """Whether ``name`` is a content-named asset (``assets/site.1a2b3c4d5e.css``: its name
    carries the start of its SHA-256), and, given its ``digest``, of those bytes. Such a file is
    never rewritten under its name, so ``publish`` can keep the outgoing release's ones for pages
    served just before a switch. The name alone proves nothing (anyone can name a file after its
    own hash): what may be kept is what a signed manifest lists."""
    match = _HASHED.match(name)
    return match is not None and (digest is None or digest.startswith(match.group(1)))


def decompressed_sha256(path: Path | str) -> str | None:
    """The SHA-256 of what a ``.gz`` or ``.br`` file decompresses to; None when it cannot be
    decompressed (corrupt, or no brotli module): it cannot then be shown to match."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
        if os.fspath(path).endswith(".gz"):
            return sha256(gzip.decompress(data))
        import brotli
        return sha256(brotli.decompress(data))
    except Exception:
        return None
