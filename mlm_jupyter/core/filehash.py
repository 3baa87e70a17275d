"""Streamed hashing of files and directories, with a cache keyed by path, inode, size and mtime.

A file's digest is the blob digest of its bytes (equal to ``fingerprint(bytes)``
of the same content, whatever the path). A directory's digest covers its
sorted relative paths and, per entry, the file digest, the symlink target
(links are recorded, never followed inside a directory) or the fact that it is
a sub-directory. Unreadable entries raise ``PermissionDeniedError``: a digest
that silently skipped files would not be exact.

The cache is injected: ``NullHashCache`` (always re-read), ``MemoryHashCache``
(process lifetime, the default) or ``JsonHashCache`` (a file, e.g. under the
store directory). An unchanged 10 GB file is hashed once.
"""

from __future__ import annotations

import json
import os
import stat
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import xxhash

from mlm_jupyter.core.errors import NotFoundError, PermissionDeniedError, UnsupportedTypeError
from mlm_jupyter.core.fingerprint_arrays import ENCODING, blob_header, u64

if TYPE_CHECKING:
    from mlm_jupyter.core.progress import Progress

__all__ = [
    "DEFAULT_CACHE",
    "DirectoryEntry",
    "HashCache",
    "JsonHashCache",
    "MemoryHashCache",
    "NullHashCache",
    "cache_key",
    "hash_directory",
    "hash_file",
]

READ_BYTES = 1 << 22


class HashCache(Protocol):
    """Where file digests are remembered between calls."""

    def get(self, key: str) -> str | None: ...

    def set(self, key: str, digest: str) -> None: ...

    def flush(self) -> None: ...


class NullHashCache:
    """Remembers nothing: every call reads the file."""

    def get(self, key: str) -> str | None:
        return None

    def set(self, key: str, digest: str) -> None:
        pass

    def flush(self) -> None:
        pass


class MemoryHashCache:
    """Remembers digests for the life of the process."""

    def __init__(self) -> None:
        self._data: dict[str, str] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> str | None:
        return self._data.get(key)

    def set(self, key: str, digest: str) -> None:
        with self._lock:
            self._data[key] = digest

    def flush(self) -> None:
        pass

    def __len__(self) -> int:
        return len(self._data)


class JsonHashCache(MemoryHashCache):
    """Remembers digests in a JSON file (versioned; written atomically on ``flush``)."""

    VERSION = 1

    def __init__(self, path: str | os.PathLike[str]) -> None:
        super().__init__()
        self.path = Path(path)
        self._dirty = False
        try:
            data = json.loads(self.path.read_text("utf-8"))
            if data.get("version") == self.VERSION:
                self._data.update(data.get("entries", {}))
        except (OSError, ValueError, AttributeError):
            pass

    def set(self, key: str, digest: str) -> None:
        super().set(key, digest)
        self._dirty = True

    def flush(self) -> None:
        if not self._dirty:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock:
            payload = json.dumps({"version": self.VERSION, "entries": self._data})
            self._dirty = False
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".filehash-")
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(payload)
        os.replace(tmp, self.path)


DEFAULT_CACHE = MemoryHashCache()


def cache_key(path: str, st: os.stat_result) -> str:
    """The cache key of a file: real path, inode, size and mtime (ns)."""
    return f"{path}|{st.st_ino}|{st.st_size}|{st.st_mtime_ns}"


def _denied(path: str | os.PathLike[str], error: OSError) -> PermissionDeniedError:
    return PermissionDeniedError(f"cannot read {os.fspath(path)!s}: {error.strerror}; fix its permissions or "
                                 "fingerprint a readable copy", path=os.fspath(path))


def _stream_file(path: str, size: int) -> bytes:
    """Read the file once, in fixed-size blocks, into an xxh3-128 state."""
    from mlm_jupyter.core.progress import progress

    hasher = xxhash.xxh3_128(blob_header(size))
    buffer = bytearray(min(READ_BYTES, max(size, 1)))
    view = memoryview(buffer)
    total = 0
    with open(path, "rb", buffering=0) as handle, \
            progress(size, f"hashing {os.path.basename(path)}", unit="B") as bar:  # shown after 1 s
        while True:
            count = handle.readinto(buffer)
            if not count:
                break
            hasher.update(view[:count])
            total += count
            bar.update(count)
    if total != size:
        raise OSError(f"{path} changed size while being read ({size} -> {total} bytes)")
    return hasher.digest()


def hash_file(path: str | os.PathLike[str], cache: HashCache = DEFAULT_CACHE) -> str:
    """Hex digest of a file's content (follows a symlink given as ``path``).

    Raises:
        NotFoundError: nothing at ``path``.
        PermissionDeniedError: the file cannot be read.
    """
    real = os.path.realpath(os.fspath(path))
    try:
        st = os.stat(real)
    except FileNotFoundError:
        raise NotFoundError(f"no file at {os.fspath(path)!s}; check the path", path=os.fspath(path)) from None
    except PermissionError as error:
        raise _denied(path, error) from None
    if not stat.S_ISREG(st.st_mode):
        raise UnsupportedTypeError(f"{os.fspath(path)!s} is not a regular file", path=os.fspath(path))
    key = cache_key(real, st)
    cached = cache.get(key)
    if cached is not None:
        return cached
    try:
        try:
            digest = _stream_file(real, st.st_size)
        except OSError as error:
            if isinstance(error, PermissionError):
                raise
            st = os.stat(real)  # written while we read: read the settled file once more
            key = cache_key(real, st)
            digest = _stream_file(real, st.st_size)
    except PermissionError as error:
        raise _denied(path, error) from None
    hexdigest = digest.hex()
    cache.set(key, hexdigest)
    return hexdigest


@dataclass(frozen=True)
class DirectoryEntry:
    """One entry of a directory fingerprint: ``kind`` is file, dir, symlink or other."""

    path: str
    kind: str
    digest: str = ""
    size: int = 0


def _walk(root: str, relative: str, out: list[DirectoryEntry], cache: HashCache, bar: Progress) -> None:
    folder = os.path.join(root, relative) if relative else root
    try:
        with os.scandir(folder) as iterator:
            entries = sorted(iterator, key=lambda e: os.fsencode(e.name))
    except PermissionError as error:
        raise _denied(folder, error) from None
    for entry in entries:
        rel = f"{relative}/{entry.name}" if relative else entry.name
        if entry.is_symlink():
            out.append(DirectoryEntry(rel, "symlink", os.readlink(entry.path)))
        elif entry.is_dir(follow_symlinks=False):
            out.append(DirectoryEntry(rel, "dir"))
            _walk(root, rel, out, cache, bar)
        elif entry.is_file(follow_symlinks=False):
            size = entry.stat(follow_symlinks=False).st_size
            out.append(DirectoryEntry(rel, "file", hash_file(entry.path, cache), size))
            bar.update(1)
        else:
            out.append(DirectoryEntry(rel, "other"))


def hash_directory(path: str | os.PathLike[str], cache: HashCache = DEFAULT_CACHE) -> tuple[str, list[DirectoryEntry]]:
    """Hex digest of a directory tree plus its entries (sorted by relative path bytes)."""
    root = os.path.realpath(os.fspath(path))
    if not os.path.isdir(root):
        raise NotFoundError(f"no directory at {os.fspath(path)!s}; check the path", path=os.fspath(path))
    from mlm_jupyter.core.progress import progress

    entries: list[DirectoryEntry] = []
    with progress(None, f"hashing {os.path.basename(root)}/", unit="file") as bar:  # shown after 1 s
        _walk(root, "", entries, cache, bar)
    cache.flush()
    hasher = xxhash.xxh3_128(ENCODING + b"directory\x00" + u64(len(entries)))
    for entry in entries:
        name = os.fsencode(entry.path)
        value = entry.digest.encode("utf-8", "surrogateescape")
        hasher.update(entry.kind[0].encode() + u64(len(name)) + name + u64(len(value)) + value)
    return hasher.hexdigest(), entries
