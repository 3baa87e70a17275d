"""File and directory fingerprints on real temp files: cache hits, changes, symlinks, permissions."""

from __future__ import annotations

import os
import pathlib

import pytest

from mlm_jupyter.core import filehash
from mlm_jupyter.core.errors import NotFoundError, PermissionDeniedError
from mlm_jupyter.core.fingerprint import fingerprint


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    seen: list[str] = []
    original = filehash._stream_file

    def counting(path: str, size: int) -> bytes:
        seen.append(path)
        return original(path, size)

    monkeypatch.setattr(filehash, "_stream_file", counting)
    return seen


def test_file_digest_is_content_only(tmp_path: pathlib.Path) -> None:
    a, b = tmp_path / "a.csv", tmp_path / "sub" / "b.bin"
    b.parent.mkdir()
    a.write_bytes(b"x,y\n1,2\n")
    b.write_bytes(b"x,y\n1,2\n")
    fa, fb = fingerprint(a), fingerprint(str(b))
    assert fa.kind == "file" and fa.shape == (8,)
    assert fa.digest == fb.digest == fingerprint(b"x,y\n1,2\n").digest
    b.write_bytes(b"x,y\n1,3\n")
    assert fingerprint(b, cache=filehash.NullHashCache()).digest != fa.digest


def test_cache_hit_does_not_read_the_file(tmp_path: pathlib.Path, reads: list[str]) -> None:
    path = tmp_path / "big.bin"
    path.write_bytes(os.urandom(1 << 20))
    cache = filehash.MemoryHashCache()
    first = fingerprint(path, cache=cache).digest
    second = fingerprint(path, cache=cache).digest
    assert first == second and len(reads) == 1


def test_changed_mtime_rereads(tmp_path: pathlib.Path, reads: list[str]) -> None:
    path = tmp_path / "f.txt"
    path.write_text("same")
    cache = filehash.MemoryHashCache()
    first = fingerprint(path, cache=cache).digest
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))
    assert fingerprint(path, cache=cache).digest == first
    assert len(reads) == 2


def test_persistent_cache_survives_a_new_process_object(tmp_path: pathlib.Path, reads: list[str]) -> None:
    path = tmp_path / "data.bin"
    path.write_bytes(b"abc" * 1000)
    cache_file = tmp_path / "store" / "filehash.json"
    digest = fingerprint(path, cache=filehash.JsonHashCache(cache_file)).digest
    assert cache_file.exists()
    assert fingerprint(path, cache=filehash.JsonHashCache(cache_file)).digest == digest
    assert len(reads) == 1


def test_directory_digest_covers_names_contents_and_structure(tmp_path: pathlib.Path) -> None:
    root = tmp_path / "ds"
    (root / "part").mkdir(parents=True)
    (root / "a.txt").write_text("one")
    (root / "part" / "b.txt").write_text("two")
    fp = fingerprint(root)
    assert fp.kind == "directory" and fp.shape == (2,)
    assert set(fp.columns) == {"a.txt", "part/b.txt"}
    assert fp.columns["a.txt"] == fingerprint(b"one").digest
    copy = tmp_path / "copy"
    (copy / "part").mkdir(parents=True)
    (copy / "a.txt").write_text("one")
    (copy / "part" / "b.txt").write_text("two")
    assert fingerprint(copy).digest == fp.digest
    (copy / "part" / "b.txt").rename(copy / "part" / "c.txt")
    assert fingerprint(copy).digest != fp.digest
    (copy / "empty").mkdir()
    before = fingerprint(copy).digest
    (copy / "empty").rmdir()
    assert fingerprint(copy).digest != before


def test_symlinks_inside_a_directory_are_recorded_not_followed(tmp_path: pathlib.Path) -> None:
    root = tmp_path / "ds"
    root.mkdir()
    (root / "real.txt").write_text("data")
    (root / "loop").symlink_to(root)  # following it would never end
    (root / "link.txt").symlink_to("real.txt")
    fp = fingerprint(root)
    assert fp.columns["loop"] == str(root) and fp.columns["link.txt"] == "real.txt"
    (root / "link.txt").unlink()
    (root / "link.txt").symlink_to("elsewhere.txt")
    assert fingerprint(root).digest != fp.digest
    # A symlink given as the path itself is followed.
    assert fingerprint(tmp_path / "ds" / "loop" / "real.txt").digest == fingerprint(b"data").digest


def test_missing_path_and_permission_errors(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(NotFoundError, match="no file or directory"):
        fingerprint(tmp_path / "nope.csv")
    secret = tmp_path / "secret.bin"
    secret.write_bytes(b"x")

    def denied(path: str, size: int) -> bytes:
        raise PermissionError(13, "Permission denied", path)

    monkeypatch.setattr(filehash, "_stream_file", denied)
    with pytest.raises(PermissionDeniedError, match="permissions"):
        fingerprint(secret, cache=filehash.NullHashCache())
