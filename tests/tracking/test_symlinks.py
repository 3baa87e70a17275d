"""No symlink is followed out of a folder being exported, loaded or logged, nor written through (issue 11, item 2)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from trained_models import pipeline

import mlm_jupyter as mlm
from mlm_jupyter.core.errors import InvalidInputError, MlmError
from mlm_jupyter.tracking.client import MlmClient


@pytest.fixture
def exported(client: MlmClient, tmp_path: Path) -> Path:
    model, _, _ = pipeline()
    mlm.log_model(model, name="m")
    return mlm.export_model("models:/m/1", tmp_path / "export")


def test_export_with_overwrite_does_not_write_through_a_symlink(exported: Path, tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    for name in ("model_card.md", "model.skops", "MLmodel.json"):
        (exported / name).unlink()
        (exported / name).symlink_to(victim)
        mlm.export_model("models:/m/1", exported, overwrite=True)
        assert victim.read_text() == "precious"
        assert not (exported / name).is_symlink() and (exported / name).stat().st_size > 0
    assert mlm.load_model(exported) is not None


def test_loading_a_folder_does_not_follow_a_model_file_linked_out_of_it(exported: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_bytes(b"root:$6$not-a-model")
    (exported / "model.skops").unlink()
    (exported / "model.skops").symlink_to(secret)
    with pytest.raises(InvalidInputError, match="symbolic link") as error:
        mlm.load_model(exported)
    assert hashlib.sha256(secret.read_bytes()).hexdigest() not in str(error.value)  # no hash of the target
    assert hashlib.sha256(secret.read_bytes()).hexdigest() not in repr(error.value.details)


def test_loading_a_folder_whose_manifest_is_a_link_is_refused(exported: Path, tmp_path: Path) -> None:
    moved = tmp_path / "elsewhere.json"
    (exported / "MLmodel.json").rename(moved)
    (exported / "MLmodel.json").symlink_to(moved)
    with pytest.raises(InvalidInputError, match="symbolic link"):
        mlm.load_model(exported)


def test_loading_refuses_a_special_file_as_model(exported: Path) -> None:
    (exported / "model.skops").unlink()
    os.mkfifo(exported / "model.skops")  # reading a FIFO would block forever
    with pytest.raises(InvalidInputError, match="not a regular file"):
        mlm.load_model(exported)


def test_log_artifact_of_a_symlink_is_refused(client: MlmClient, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("token=abc")
    link = tmp_path / "notes.txt"
    link.symlink_to(secret)
    with mlm.start_run() as run:
        with pytest.raises(InvalidInputError, match="symbolic link.*not followed"):
            mlm.log_artifact(link)
    assert mlm.get_run(run.id).artifacts == ()


def test_log_artifact_of_a_folder_holding_a_link_out_of_it_is_refused(client: MlmClient, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("token=abc")
    folder = tmp_path / "outputs"
    (folder / "sub").mkdir(parents=True)
    (folder / "plot.png").write_bytes(b"png")
    (folder / "sub" / "leak.txt").symlink_to(secret)
    (folder / "etc").symlink_to("/etc")
    with mlm.start_run() as run:
        with pytest.raises(InvalidInputError, match="point out of it.*sub/leak.txt"):
            mlm.log_artifact(folder)
    assert mlm.get_run(run.id).artifacts == ()  # nothing half-logged
    assert not client.store.has_blob(hashlib.sha256(b"token=abc").hexdigest())


def test_a_link_that_stays_inside_the_folder_is_logged(client: MlmClient, tmp_path: Path) -> None:
    folder = tmp_path / "outputs"
    folder.mkdir()
    (folder / "model_v3.bin").write_bytes(b"weights")
    (folder / "latest.bin").symlink_to("model_v3.bin")
    with mlm.start_run() as run:
        mlm.log_artifact(folder)
    assert sorted(a.path for a in mlm.get_run(run.id).artifacts) == ["latest.bin", "model_v3.bin"]


@pytest.mark.parametrize("special", ["/proc/self/environ", "/proc/self/cmdline", "/dev/zero", "/sys/kernel/uevent_seqnum"])
def test_log_artifact_refuses_special_files(client: MlmClient, special: str) -> None:
    if not os.path.exists(special):
        pytest.skip(f"{special} does not exist here")
    with mlm.start_run() as run:
        with pytest.raises(InvalidInputError, match="special filesystems|not a regular file"):
            mlm.log_artifact(special)
    assert mlm.get_run(run.id).artifacts == ()


def test_files_on_dev_shm_are_ordinary_files(client: MlmClient) -> None:
    """/dev/shm is a plain tmpfs (scratch folders, CI work dirs): only the device files of /dev are special."""
    if not os.path.isdir("/dev/shm") or not os.access("/dev/shm", os.W_OK):
        pytest.skip("no writable /dev/shm here")
    import tempfile

    with tempfile.TemporaryDirectory(dir="/dev/shm") as scratch:
        folder = Path(scratch) / "outputs"
        folder.mkdir()
        (folder / "metrics.txt").write_text("ok")
        (folder / "zero").symlink_to("/dev/zero")
        with mlm.start_run() as run:
            with pytest.raises(InvalidInputError):
                mlm.log_artifact(folder)  # a link out to a device is still refused
            (folder / "zero").unlink()
            mlm.log_artifact(folder)
        assert [a.path for a in mlm.get_run(run.id).artifacts] == ["metrics.txt"]


def test_errors_are_mlm_errors_in_a_notebook_cell(client: MlmClient, tmp_path: Path) -> None:
    link = tmp_path / "l"
    link.symlink_to(tmp_path / "missing")  # a dangling link is still a link, not "no such file"
    with mlm.start_run():
        with pytest.raises(MlmError, match="symbolic link"):
            mlm.log_artifact(link)
