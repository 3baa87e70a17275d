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
