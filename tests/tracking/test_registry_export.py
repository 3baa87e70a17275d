"""An exported model is a self-contained directory that loads without any store."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
from trained_models import pipeline

import mlm_jupyter as mlm
from mlm_jupyter.tracking.client import MlmClient


def test_export_writes_model_manifest_card_requirements_and_signature(client: MlmClient, tmp_path: Path) -> None:
    model, x, _ = pipeline()
    with mlm.start_run(experiment="exp"):
        mlm.log_metric("val_auc", 0.9)
        mlm.log_model(model, name="churn", input_example=x[:5])
    mlm.set_alias("churn", "production", version=1)
    folder = mlm.export_model("models:/churn@production", tmp_path / "churn")

    assert sorted(p.name for p in folder.iterdir()) == [
        "MLmodel.json", "input_example.json", "model.skops", "model_card.md", "requirements.txt", "signature.json"]
    manifest = json.loads((folder / "MLmodel.json").read_text())
    assert manifest["flavor"] == "sklearn" and manifest["model_file"] == "model.skops"
    assert manifest["model"] == {"name": "churn", "version": 1, "aliases": ["production"], "uri": "models:/churn/1"}
    assert manifest["sha256"] == mlm.get_model_version("churn", 1).sha256
    assert "scikit-learn==" in (folder / "requirements.txt").read_text()
    assert [s["name"] for s in json.loads((folder / "signature.json").read_text())["inputs"]] == [
        "age", "income", "tenure"]
    assert (folder / "model_card.md").read_text().startswith("# Model card: churn v1")
    assert len(json.loads((folder / "input_example.json").read_text())["data"]) == 5


def test_an_export_loads_in_a_fresh_process_with_no_store(client: MlmClient, store_dir: Path, tmp_path: Path) -> None:
    model, x, _ = pipeline()
    mlm.log_model(model, name="churn")
    folder = mlm.export_model("models:/churn/1", tmp_path / "shipped")
    np.save(tmp_path / "x.npy", x.to_numpy())
    np.save(tmp_path / "expected.npy", model.predict_proba(x))
    client.close()
    shutil.rmtree(store_dir)  # the store is gone: the export must not need it

    empty = tmp_path / "elsewhere"
    empty.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "MLM_STORE"}
    code = textwrap.dedent(f"""
        import numpy as np, pandas as pd
        import mlm_jupyter as mlm
        model = mlm.load_model({str(folder)!r})
        x = pd.DataFrame(np.load({str(tmp_path / 'x.npy')!r}), columns=["age", "income", "tenure"])
        np.testing.assert_allclose(model.predict_proba(x), np.load({str(tmp_path / 'expected.npy')!r}))
        print("ok")
    """)
    done = subprocess.run([sys.executable, "-c", code], cwd=empty, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
    assert not (empty / ".mlm").exists() and not store_dir.exists()


def test_an_export_can_be_registered_again(client: MlmClient, tmp_path: Path) -> None:
    model, x, _ = pipeline()
    mlm.log_model(model, name="churn")
    folder = mlm.export_model("models:/churn/1", tmp_path / "out")
    imported = mlm.register_model(str(folder), name="imported")
    assert imported.version == 1 and imported.run_id is None
    assert imported.sha256 == mlm.get_model_version("churn", 1).sha256
    np.testing.assert_array_equal(mlm.load_model("models:/imported/1").predict(x), model.predict(x))


def test_a_run_model_exports_without_being_registered(client: MlmClient, tmp_path: Path) -> None:
    model, x, _ = pipeline()
    with mlm.start_run() as run:
        mlm.log_metric("val_auc", 0.9)
        mlm.log_model(model, name="churn")
    folder = mlm.export_model(f"runs:/{run.id}/model", tmp_path / "from-run")
    card = (folder / "model_card.md").read_text()
    assert card.startswith(f"# Model card: runs:/{run.id}/model (not registered)") and "| val_auc | 0.9 |" in card
    assert "model" not in json.loads((folder / "MLmodel.json").read_text())
    np.testing.assert_array_equal(mlm.load_model(folder).predict(x), model.predict(x))
