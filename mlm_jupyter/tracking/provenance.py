"""Provenance of a run: git state of the working tree and the Python environment.

Git facts come from the ``git`` command (no library): commit, branch,
remote URL, whether the tree is dirty, and the dirty diff against ``HEAD``
capped at ``MAX_DIFF_BYTES`` (stored content-addressed by the caller). No git,
or no work tree, gives ``{}``.

The environment is Python version, implementation, platform and every
installed distribution (``importlib.metadata``), identified by a digest of
that content so a store keeps each distinct environment once. Listing
distributions costs tens of milliseconds, so the result is cached until a
``sys.path`` folder changes (``pip install`` touches its folder).
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["MAX_DIFF_BYTES", "GitState", "environment", "git_state"]

MAX_DIFF_BYTES = 1 << 20
_GIT_TIMEOUT = 5.0


@dataclass(frozen=True)
class GitState:
    """What git says about the folder a run started in."""

    root: str
    commit: str | None
    branch: str | None
    remote: str | None
    dirty: bool
    diff: bytes
    diff_size: int
    diff_truncated: bool

    def to_dict(self, diff_sha256: str | None = None) -> dict[str, Any]:
        return {"root": self.root, "commit": self.commit, "branch": self.branch, "remote": self.remote,
                "dirty": self.dirty, "diff_sha256": diff_sha256, "diff_size": self.diff_size,
                "diff_truncated": self.diff_truncated}


def _git(args: list[str], cwd: str, limit: int | None = None) -> bytes | None:
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, timeout=_GIT_TIMEOUT,
                              env={**os.environ, "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"}, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode != 0:
        return None
    return done.stdout if limit is None else done.stdout[:limit + 1]


def _text(data: bytes | None) -> str | None:
    text = data.decode("utf-8", "replace").strip() if data is not None else ""
    return text or None


_GIT_CACHE_SECONDS = 1.0  # a loop of short runs asks git once, not three times a run
_git_cache: dict[tuple[str, int], tuple[float, GitState | None]] = {}


def git_state(directory: str | os.PathLike[str] | None = None, *, max_diff_bytes: int = MAX_DIFF_BYTES
              ) -> GitState | None:
    """Git state of the work tree holding ``directory`` (default: cwd), or ``None`` outside one.

    The answer is reused for ``_GIT_CACHE_SECONDS`` per folder (runs started in a loop share it).
    """
    import time

    cwd = str(directory or os.getcwd())
    key = (cwd, max_diff_bytes)
    cached = _git_cache.get(key)
    if cached is not None and time.monotonic() - cached[0] < _GIT_CACHE_SECONDS:
        return cached[1]
    state = _git_state(cwd, max_diff_bytes)
    if len(_git_cache) > 64:
        _git_cache.clear()
    _git_cache[key] = (time.monotonic(), state)
    return state


def _git_state(cwd: str, max_diff_bytes: int) -> GitState | None:
    root = _text(_git(["rev-parse", "--show-toplevel"], cwd))
    if root is None:
        return None
    # one call gives commit, branch, upstream and the changed tracked files
    status = (_git(["status", "--porcelain=v2", "--branch", "--untracked-files=no"], cwd) or b"").decode(
        "utf-8", "replace")
    headers = {}
    dirty = False
    for line in status.splitlines():
        if line.startswith("# "):
            key, _, value = line[2:].partition(" ")
            headers[key] = value.strip()
        elif line.strip():
            dirty = True
    commit = headers.get("branch.oid")
    commit = None if not commit or commit.startswith("(") else commit
    branch = headers.get("branch.head")
    branch = None if not branch or branch.startswith("(") else branch
    upstream = headers.get("branch.upstream", "")
    remote_name = upstream.split("/", 1)[0] if "/" in upstream else "origin"
    remote = _text(_git(["config", "--get", f"remote.{remote_name}.url"], cwd))
    diff = b""
    if dirty and commit:
        diff = _git(["diff", "--no-color", "--no-ext-diff", "HEAD"], cwd) or b""
    truncated = len(diff) > max_diff_bytes
    return GitState(root=root, commit=commit, branch=branch, remote=remote, dirty=dirty,
                    diff=diff[:max_diff_bytes], diff_size=len(diff), diff_truncated=truncated)


_env_cache: tuple[tuple[tuple[str, float], ...], dict[str, Any]] | None = None


def _path_stamp() -> tuple[tuple[str, float], ...]:
    stamp = []
    for entry in sys.path:
        try:
            stamp.append((entry, Path(entry or ".").stat().st_mtime))
        except OSError:
            continue
    return tuple(stamp)


def environment() -> dict[str, Any]:
    """Python version, implementation, platform and installed distributions, with their ``digest``."""
    global _env_cache
    stamp = _path_stamp()
    if _env_cache is not None and _env_cache[0] == stamp:
        return _env_cache[1]
    packages = _listed_packages()
    if packages is None:  # a zip or egg file on sys.path: importlib.metadata knows how to read those
        packages = _metadata_packages()
    content = {"python": platform.python_version(), "implementation": platform.python_implementation(),
               "platform": platform.platform(), "packages": dict(sorted(packages.items()))}
    digest = hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()
    result = {"digest": digest, **content}
    _env_cache = (stamp, result)
    return result


def _metadata_packages() -> dict[str, str]:
    """Installed distributions through ``importlib.metadata`` (parses every METADATA as an email)."""
    from importlib import metadata

    packages: dict[str, str] = {}
    for dist in metadata.distributions():
        try:  # a finder of the importlib_metadata backport raises on a folder without METADATA
            name = dist.metadata["Name"] if dist.metadata else None
        except Exception:  # noqa: BLE001 -- no metadata: skipped, as the standard library's finder skips it
            continue
        if name:
            packages.setdefault(str(name).lower().replace("_", "-"), str(dist.version))
    return packages


def _listed_packages() -> dict[str, str] | None:
    """The same answer as ``_metadata_packages`` in ~20 ms instead of ~0.7 s: read only the headers.

    ``importlib.metadata`` parses each METADATA file whole with the email parser (276 distributions:
    0.73 s here, paid by every process that starts a run). The name and version are header lines
    at the top of the file, so this reads up to the first blank line of each ``*.dist-info/METADATA``
    and ``*.egg-info/PKG-INFO``, in ``sys.path`` order (the first found wins, as there). ``None``
    when a ``sys.path`` entry is not a plain folder (zip imports, egg files): the caller falls back.
    """
    packages: dict[str, str] = {}
    for entry in sys.path:
        folder = entry or "."
        if not os.path.isdir(folder):
            if os.path.exists(folder):
                return None
            continue
        try:
            names = sorted(os.listdir(folder))
        except OSError:
            continue
        for name in names:
            if name.endswith(".dist-info"):
                header = os.path.join(folder, name, "METADATA")
            elif name.endswith(".egg-info"):
                header = os.path.join(folder, name, "PKG-INFO") if os.path.isdir(os.path.join(folder, name)) \
                    else os.path.join(folder, name)
            else:
                continue
            fields = _header_fields(header)
            if fields is not None and fields[0]:
                packages.setdefault(fields[0].lower().replace("_", "-"), fields[1])
    return packages


def _header_fields(path: str) -> tuple[str, str] | None:
    """``(Name, Version)`` from a core-metadata file's header block, or ``None`` when unreadable."""
    name = version = ""
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            for line in handle:
                if not line.strip():
                    break
                key, _, value = line.partition(":")
                if key == "Name" and not name:
                    name = value.strip()
                elif key == "Version" and not version:
                    version = value.strip()
                if name and version:
                    break
    except OSError:
        return None
    return name, version
