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
its file's signed hash, so compression needs no new signature.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from . import __version__
from .errors import SiteBuilderError
from .jsonfmt import compact_json
from .layout import BUNDLE_DIR, MANIFEST, SIGNATURE

FORMAT = "site-builder-manifest/1"


class SigningKeyError(SiteBuilderError):
    """A key file that is missing, unreadable or of the wrong kind."""


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_sha256(path: Path) -> str:
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
    data = site_manifest([*paths, *(f"{slug}/{MANIFEST}" for slug in slugs), *listed], documents,
                         read_manifest(out).get("files", {}), fresh,
                         lambda path: (staging if path in fresh else out) / path)
    target, signature = out / MANIFEST, out / SIGNATURE
    old = target.read_bytes() if target.exists() else None
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
    try:
        data = json.loads((folder / MANIFEST).read_bytes())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) and data.get("format") == FORMAT else {}


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
    kept: list[str] = field(default_factory=list)   # earlier releases' assets, named by their content
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
            expected.update(json.loads(data).get("files", {}))
    return expected


def verify(folder: Path, public_key: Path) -> Verification:
    """Compare ``folder`` (a published site, or a publish target's ``current``) with its signed manifest."""
    folder = site_folder(folder)
    report = Verification(folder)
    try:
        manifest_bytes = (folder / MANIFEST).read_bytes()
    except OSError as exc:
        raise SiteBuilderError(folder / MANIFEST, "找不到文件清单", "这个文件夹不是 site-builder 生成的网站，或清单被删除") from exc
    signature = folder / SIGNATURE
    if not signature.exists():
        report.signature = "missing"
    else:
        report.signature = "valid" if check_signature(manifest_bytes, signature.read_bytes(), public_key) else "invalid"
    try:
        manifest = json.loads(manifest_bytes)
    except ValueError:
        manifest = {}
    expected = expected_files(folder, manifest)
    seen = set()
    for root, dirs, names in os.walk(folder):
        dirs.sort()
        for name in [d for d in dirs if Path(root, d).is_symlink()]:
            # a link to a folder (os.walk does not enter it; the web server follows it): what it
            # serves is no file of the manifest, whatever it points at
            report.added.append((Path(root) / name).relative_to(folder).as_posix() + "/")
        for name in sorted(names):
            path = (Path(root) / name).relative_to(folder).as_posix()
            if (Path(root) / name).is_symlink():      # a link, even to the very bytes expected
                seen.add(path)
                (report.changed if path in expected else report.added).append(path)
                continue
            if path in (MANIFEST, SIGNATURE):
                continue
            if path in (MANIFEST + ".gz", MANIFEST + ".br"):           # publish compresses the manifest too
                if _decompressed_sha256(folder / path) != sha256(manifest_bytes):
                    report.changed.append(path)
                continue
            report.files += 1
            if path in expected:
                seen.add(path)
                if file_sha256(folder / path) != expected[path]:
                    report.changed.append(path)
            elif path.endswith((".gz", ".br")) and path[:-3] in expected:
                if _decompressed_sha256(folder / path) != expected[path[:-3]]:
                    report.changed.append(path)
            elif path.endswith((".gz", ".br")) and (folder / path[:-3]).is_file() \
                    and content_named(folder / path[:-3], path[:-3]):      # a kept asset's compressed copy
                if _decompressed_sha256(folder / path) != file_sha256(folder / path[:-3]):
                    report.changed.append(path)
                else:
                    report.kept.append(path)
            elif content_named(folder / path, path):
                report.kept.append(path)                # an earlier release's asset, kept by publish
            else:
                report.added.append(path)
    report.removed = sorted(set(expected) - seen)
    report.changed.sort()
    report.added.sort()
    return report


_HASHED = re.compile(r"^assets/(?:.+/)?[^/]+\.([0-9a-f]{10})\.[A-Za-z0-9]+$")


def content_named(path: Path, name: str) -> bool:
    """An asset whose name carries the start of its own SHA-256 (``assets/site.1a2b3c4d5e.css``)
    and whose bytes match it: ``publish`` keeps earlier releases' assets so that a page served
    just before a switch still finds them; such a file cannot be altered without renaming it."""
    match = _HASHED.match(name)
    return match is not None and file_sha256(path)[:10] == match.group(1)


def _decompressed_sha256(path: Path) -> str | None:
    try:
        data = path.read_bytes()
        if path.suffix == ".gz":
            return sha256(gzip.decompress(data))
        import brotli
        return sha256(brotli.decompress(data))
    except Exception:               # corrupt, or no brotli module: cannot be shown to match
        return None
