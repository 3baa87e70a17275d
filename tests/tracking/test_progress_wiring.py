"""Progress on long work (issue 16): logging artifacts, export_model, mlm export and mlm import show a bar
when someone watches (forced here with MLM_PROGRESS=1 and no delay), and nothing when nobody does."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from sklearn.linear_model import LogisticRegression

import mlm_jupyter as mlm
from mlm_jupyter.cli.main import cli
from mlm_jupyter.core import progress as progress_module
from mlm_jupyter.tracking.client import MlmClient


def _watched(monkeypatch: pytest.MonkeyPatch, watched: bool) -> None:
    monkeypatch.setattr(progress_module, "DEFAULT_DELAY", 0.0)
    if watched:
        monkeypatch.setenv("MLM_PROGRESS", "1")
    else:  # a script whose stderr is captured (not a terminal), outside a kernel
        monkeypatch.delenv("MLM_PROGRESS", raising=False)
        monkeypatch.delitem(sys.modules, "ipykernel", raising=False)


def _work(client: MlmClient, tmp_path: Path) -> None:
    folder = tmp_path / "plots"
    folder.mkdir(exist_ok=True)
    (folder / "big.bin").write_bytes(b"x" * (3 << 20))
    (folder / "roc.txt").write_text("roc")
    with mlm.start_run(experiment="bars") as run:
        mlm.log_artifact(folder)
        client.log_model(run.id, LogisticRegression().fit([[0.0], [1.0]], [0, 1]), "bars-model")
    client.export_model("models:/bars-model/1", tmp_path / "exported", overwrite=True)


@pytest.mark.parametrize("watched", [True, False])
def test_long_steps_show_a_bar_only_when_watched(client: MlmClient, tmp_path: Path, watched: bool,
                                                 monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    _watched(monkeypatch, watched)
    _work(client, tmp_path)
    err = capsys.readouterr().err
    expected = ("logging plots", "storing big.bin", "exporting models:/bars-model/1")
    if watched:
        assert all(text in err for text in expected), err
    else:
        assert not any(text in err for text in expected) and "it/s" not in err, err


@pytest.mark.parametrize("watched", [True, False])
def test_mlm_export_shows_a_bar_only_when_watched(client: MlmClient, store_dir: Path, tmp_path: Path,
                                                  watched: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    with mlm.start_run(experiment="bars"):
        mlm.log_metric("loss", 0.5)
    client.close()
    _watched(monkeypatch, watched)
    result = CliRunner().invoke(cli, ["--store", str(store_dir), "export", str(tmp_path / "tables")])
    assert result.exit_code == 0, result.output
    assert ("exporting tables to" in result.stderr) is watched
