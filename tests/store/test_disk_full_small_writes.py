"""Small artifacts and log_text on a full disk: the same StoreError and clean-up as large ones (issue 11, item 7).

Buffered writes of a few KiB only reach the disk when the file is flushed or
closed, so that is where a full disk answers ENOSPC. Two ways to get a real
ENOSPC from the kernel: every temporary file the store makes has its
descriptor pointed at ``/dev/full``; or (when this process may mount) a
tiny tmpfs that is really full.
"""

from __future__ import annotations

import errno
import os
import subprocess
import tempfile
from pathlib import Path
from typing import Any, Iterator

import pytest

from mlm_jupyter.core.errors import StoreError
from mlm_jupyter.store import duckdb_store
from mlm_jupyter.tracking.client import MlmClient

_REAL = tempfile.NamedTemporaryFile


def _on_dev_full(**kwargs: Any) -> Any:
    """A real temporary file whose writes go to /dev/full (ENOSPC at flush or close, as on a full disk)."""
    handle = _REAL(**kwargs)
    full = os.open("/dev/full", os.O_WRONLY)
    os.dup2(full, handle.fileno())
    os.close(full)
    return handle


def _orphans(store_dir: Path) -> list[Path]:
    return [p for p in (store_dir / "artifacts").rglob("*") if p.is_file()] if (store_dir / "artifacts").exists() \
        else []


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize("size", [10, 5000, 8191])
def test_small_writes_on_a_full_disk_raise_store_error_and_leave_nothing(
        client: MlmClient, store_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, size: int) -> None:
    source = tmp_path / "small.txt"
    source.write_bytes(b"x" * size)
    run = client.create_run("e")
    monkeypatch.setattr(duckdb_store.tempfile, "NamedTemporaryFile", _on_dev_full)
    with pytest.raises(StoreError, match="no space left.*nothing was stored"):
        client.log_text(run.id, "y" * size, "notes.txt")
    with pytest.raises(StoreError, match="no space left.*nothing was stored"):
        client.log_artifact(run.id, source)
    assert _orphans(store_dir) == []
    monkeypatch.undo()  # space freed: the same calls work
    client.log_text(run.id, "y" * size, "notes.txt")
    client.log_artifact(run.id, source)
    assert sorted(a.path for a in client.get_run(run.id).artifacts) == ["notes.txt", "small.txt"]


@pytest.fixture
def full_tmpfs(tmp_path: Path) -> Iterator[Path]:
    mount_point = tmp_path / "full"
    mount_point.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount_point)],
                                           capture_output=True).returncode != 0:
        pytest.skip("cannot mount a tmpfs here (needs root in a container that allows it)")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], capture_output=True)


def test_a_really_full_filesystem(full_tmpfs: Path, tmp_path: Path) -> None:
    store_dir = full_tmpfs / "store"
    client = MlmClient(store_dir)
    run = client.create_run("e")
    (store_dir / "artifacts").mkdir(exist_ok=True)
    filler = full_tmpfs / "filler"
    with open(filler, "wb", buffering=0) as handle:  # fill what is left
        try:
            while True:
                handle.write(b"\0" * 4096)
                handle.flush()
        except OSError as error:
            assert error.errno == errno.ENOSPC
    source = tmp_path / "small.txt"
    source.write_bytes(b"z" * 3000)
    with pytest.raises(StoreError, match="no space left"):
        client.log_text(run.id, "w" * 3000, "notes.txt")
    with pytest.raises(StoreError, match="no space left"):
        client.log_artifact(run.id, source)
    assert [p.name for p in (store_dir / "artifacts").rglob("*") if p.is_file()] == []
    filler.unlink()
    client.log_artifact(run.id, source)
    client.close()
