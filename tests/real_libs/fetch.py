"""Pinned distributions from PyPI, downloaded once, verified, cached and extracted once.

The cache is ``$RACELAB_TEST_CACHE`` or else ``~/.cache/racelab/test-libs``::

    files/<filename>            the downloaded sdist or wheel, as PyPI serves it
    trees/<name>-<version>/     an sdist, extracted (the tree its tests run from)
    deps/<key>/                 pure-Python wheels unpacked into one directory (for PYTHONPATH)

Every file is pinned by its sha256 in ``libraries.py`` and checked against that pin and
against the digest PyPI's JSON API lists for it. Nothing is fetched when the cache already
holds the file. A download that cannot reach PyPI raises ``Unreachable`` (the tests skip
then); a file that does not match its pin raises ``Mismatch`` (they fail).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import tarfile
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PYPI = "https://pypi.org/pypi"
TIMEOUT = 60.0


class Unreachable(Exception):
    """PyPI could not be reached (no network, DNS, a timeout)."""


class Mismatch(Exception):
    """A file is not the one pinned (its sha256 differs, or PyPI does not list it)."""


@dataclass(frozen=True)
class Dist:
    """One pinned file of a release on PyPI."""

    name: str
    version: str
    filename: str
    sha256: str

    @property
    def key(self) -> str:
        return f"{self.name}-{self.version}"


def cache_dir() -> Path:
    root = os.environ.get("RACELAB_TEST_CACHE")
    return Path(root) if root else Path.home() / ".cache" / "racelab" / "test-libs"


def _get(url: str) -> bytes:
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT) as response:
            return response.read()
    except urllib.error.HTTPError:
        raise
    except (urllib.error.URLError, socket.timeout, ConnectionError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise Unreachable(f"cannot reach {urllib.parse.urlsplit(url).netloc}: {reason}") from None


def _release_file(dist: Dist) -> tuple[str, str]:
    """The download URL and the sha256 PyPI lists for ``dist.filename``."""
    api, files = _release_files(dist)
    for entry in files:
        if entry["filename"] == dist.filename:
            return urllib.parse.urljoin(api, entry["url"]), entry["digests"]["sha256"]
    raise Mismatch(f"PyPI lists no file {dist.filename} for {dist.name}=={dist.version}")


def _release_files(dist: Dist) -> tuple[str, list[dict[str, Any]]]:
    """The files of the release, from the release's JSON (or the project's, where a mirror
    serves only that one)."""
    api = f"{PYPI}/{dist.name}/{dist.version}/json"
    try:
        return api, json.loads(_get(api))["urls"]
    except urllib.error.HTTPError as exc:
        if exc.code != 404:
            raise Mismatch(f"PyPI answered {exc.code} for {dist.name}=={dist.version}") from None
    api = f"{PYPI}/{dist.name}/json"
    try:
        releases = json.loads(_get(api))["releases"]
    except urllib.error.HTTPError as exc:
        raise Mismatch(f"PyPI has no project {dist.name} ({exc.code})") from None
    if dist.version not in releases:
        raise Mismatch(f"PyPI has no release {dist.name}=={dist.version}")
    return api, releases[dist.version]


def download(dist: Dist) -> Path:
    """The pinned file, from the cache or else from PyPI (verified either way)."""
    path = cache_dir() / "files" / dist.filename
    if path.is_file() and _sha256(path.read_bytes()) == dist.sha256:
        return path
    url, listed = _release_file(dist)
    if listed != dist.sha256:
        raise Mismatch(f"{dist.filename}: PyPI lists sha256 {listed}, pinned {dist.sha256}")
    data = _get(url)
    if _sha256(data) != dist.sha256:
        raise Mismatch(f"{dist.filename}: downloaded sha256 {_sha256(data)}, pinned {dist.sha256}")
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_atomically(path, data)
    return path


def sdist_tree(dist: Dist) -> Path:
    """The root directory of the extracted sdist (extracted once, then reused)."""
    tree = cache_dir() / "trees" / dist.key
    if (tree / ".complete").is_file():
        return tree
    archive = download(dist)
    with tempfile.TemporaryDirectory(dir=_ensure(cache_dir() / "trees")) as scratch:
        _extract(archive, Path(scratch))
        (top,) = [p for p in Path(scratch).iterdir() if p.is_dir()]
        (top / ".complete").write_text(dist.sha256 + "\n")
        _install(top, tree)
    return tree


def wheels_tree(wheels: tuple[Dist, ...]) -> Path:
    """A directory with the pure-Python ``wheels`` unpacked into it (made once per set of pins)."""
    pins = "\n".join(sorted(f"{w.filename} {w.sha256}" for w in wheels))
    tree = cache_dir() / "deps" / _sha256(pins.encode())[:16]
    if (tree / ".complete").is_file():
        return tree
    with tempfile.TemporaryDirectory(dir=_ensure(cache_dir() / "deps")) as scratch:
        top = Path(scratch) / "tree"
        top.mkdir()
        for wheel in wheels:
            with zipfile.ZipFile(download(wheel)) as archive:
                archive.extractall(top)
        (top / ".complete").write_text("\n".join(w.filename for w in wheels) + "\n")
        _install(top, tree)
    return tree


def _extract(archive: Path, into: Path) -> None:
    if archive.name.endswith(".zip"):
        with zipfile.ZipFile(archive) as z:
            z.extractall(into)
        return
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="data")


def _install(built: Path, tree: Path) -> None:
    """Move a finished directory into place; a concurrent run that got there first wins."""
    if (tree / ".complete").is_file():
        return
    if tree.exists():  # left half-made by an interrupted run
        shutil.rmtree(tree)
    try:
        built.rename(tree)
    except OSError:
        if not (tree / ".complete").is_file():
            raise


def _ensure(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def _write_atomically(path: Path, data: bytes) -> None:
    scratch = path.with_name(path.name + f".{os.getpid()}.part")
    scratch.write_bytes(data)
    os.replace(scratch, path)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
