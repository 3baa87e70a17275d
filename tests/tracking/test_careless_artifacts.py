"""log_artifact with careless paths: a clear MlmError (never a hang or a TypeError), nothing stored half."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import mlm_jupyter as mlm
from mlm_jupyter.core.errors import InvalidInputError
from mlm_jupyter.tracking.client import MlmClient


@pytest.mark.parametrize("path", [None, 5, b"x"[0]])
def test_a_path_that_is_not_a_path(client: MlmClient, path: object) -> None:
    with mlm.start_run(), pytest.raises(InvalidInputError, match="path of a file or folder"):
        mlm.log_artifact(path)  # type: ignore[arg-type]


def test_a_fifo_or_device_is_refused_instead_of_blocking(client: MlmClient, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with mlm.start_run() as run:
        for path in (fifo, Path("/dev/null")):
            with pytest.raises(InvalidInputError, match="not a regular file"):
                mlm.log_artifact(path)
    assert mlm.get_run(run.id).artifacts == ()


def test_artifact_path_cannot_climb_out_and_is_normalised(client: MlmClient, tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("hi")
    with mlm.start_run() as run:
        with pytest.raises(InvalidInputError, match=r"'\.\.'"):
            mlm.log_artifact(tmp_path / "a.txt", artifact_path="../../etc")
        mlm.log_artifact(tmp_path / "a.txt", artifact_path="/plots/./v1/")
        mlm.log_artifact(tmp_path / "a.txt")
    assert sorted(a.path for a in mlm.get_run(run.id).artifacts) == ["a.txt", "plots/v1/a.txt"]


def test_a_file_still_being_written_records_the_size_of_what_was_stored(client: MlmClient, tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    growing = tmp_path / "train.log"
    growing.write_bytes(b"a" * 1000)
    put_file = client.store.put_file

    def put_then_grow(path: Path) -> str:
        sha256 = put_file(path)
        with open(path, "ab") as handle:  # the training loop appends while we log it
            handle.write(b"b" * 500)
        return sha256

    monkeypatch.setattr(client.store, "put_file", put_then_grow)
    with mlm.start_run() as run:
        mlm.log_artifact(growing)
    (artifact,) = mlm.get_run(run.id).artifacts
    assert artifact.size == 1000 == len(client.store.read_blob(artifact.sha256))  # was 1500
