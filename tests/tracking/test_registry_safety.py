"""Loading is safe: sha256 verified before deserialising, pickle and untrusted types refused by default."""

from __future__ import annotations

import operator
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from trained_models import pipeline

import mlm_jupyter as mlm
from mlm_jupyter.core.errors import (
    IntegrityError,
    InvalidInputError,
    UnsupportedTypeError,
    UntrustedModelError,
)
from mlm_jupyter.tracking.client import MlmClient


class Plain:
    """Not a model any safe flavor knows: only pickle can store it."""

    def __init__(self, weight: float) -> None:
        self.weight = weight

    def predict(self, x: object) -> object:
        return np.asarray(x) * self.weight


def _blob_file(store_dir: Path, sha256: str) -> Path:
    return store_dir / "artifacts" / sha256[:2] / sha256


def test_a_tampered_model_file_is_refused_before_deserialising(client: MlmClient, store_dir: Path) -> None:
    model, _, _ = pipeline()
    with mlm.start_run() as run:
        mv = mlm.log_model(model, name="m")
    blob = _blob_file(store_dir, mv.sha256)
    data = bytearray(blob.read_bytes())
    data[len(data) // 2] ^= 0xFF
    blob.write_bytes(bytes(data))
    for uri in ("models:/m/1", "models:/m@latest", f"runs:/{run.id}/model"):
        with pytest.raises(IntegrityError, match=mv.sha256):
            mlm.load_model(uri)
    assert mlm.model_loads().empty  # nothing was loaded, so nothing was recorded


def test_a_model_replaced_by_another_valid_model_is_refused(client: MlmClient, store_dir: Path) -> None:
    model, _, _ = pipeline()
    other, _, _ = pipeline(seed=1)
    mv = mlm.log_model(model, name="m")
    impostor = mlm.log_model(other, name="other")
    _blob_file(store_dir, mv.sha256).write_bytes(_blob_file(store_dir, impostor.sha256).read_bytes())
    with pytest.raises(IntegrityError):
        mlm.load_model("models:/m/1")


def test_pickle_is_only_used_when_asked_for(client: MlmClient) -> None:
    with pytest.raises(UnsupportedTypeError, match="flavor='pickle'"):
        mlm.log_model(Plain(2.0), name="plain")
    mv = mlm.log_model(Plain(2.0), name="plain", flavor="pickle")
    assert mv.flavor == "pickle"


def test_loading_a_pickle_needs_trust_pickle(client: MlmClient, tmp_path: Path) -> None:
    mlm.log_model(Plain(3.0), name="plain", flavor="pickle")
    with pytest.raises(UntrustedModelError, match="trust_pickle=True"):
        mlm.load_model("models:/plain/1")
    loaded = mlm.load_model("models:/plain/1", trust_pickle=True)
    assert loaded.weight == 3.0
    exported = mlm.export_model("models:/plain/1", tmp_path / "plain")
    with pytest.raises(UntrustedModelError):
        mlm.load_model(exported)
    assert mlm.load_model(exported, trust_pickle=True).weight == 3.0


def test_skops_types_outside_scikit_learn_must_be_trusted_by_name(client: MlmClient) -> None:
    from sklearn.preprocessing import FunctionTransformer

    model = FunctionTransformer(operator.neg).fit(np.ones((3, 2)))
    mlm.log_model(model, name="neg")
    with pytest.raises(UntrustedModelError, match="_operator.neg"):
        mlm.load_model("models:/neg/1")
    loaded = mlm.load_model("models:/neg/1", trusted_types=["_operator.neg"])
    np.testing.assert_array_equal(loaded.transform(np.ones((2, 2))), -np.ones((2, 2)))


def test_a_tampered_export_is_refused(client: MlmClient, tmp_path: Path) -> None:
    model, _, _ = pipeline()
    mlm.log_model(model, name="m")
    folder = mlm.export_model("models:/m/1", tmp_path / "export")
    model_file = folder / "model.skops"
    model_file.write_bytes(model_file.read_bytes() + b"\0")
    with pytest.raises(IntegrityError, match="modified or corrupted"):
        mlm.load_model(folder)


def _has_module(name: str) -> bool:
    return subprocess.run([sys.executable, "-c", f"import {name}"], capture_output=True).returncode == 0


@pytest.mark.skipif(not _has_module("torch"),
                    reason="torch is not installed in the test environment (a multi-GB install, deliberately not "
                           "added to the test extras); the torch flavor saves state_dict via safetensors plus the "
                           "class path and is untested here")
def test_torch_round_trip(client: MlmClient) -> None:
    import torch

    model = torch.nn.Linear(3, 1)
    mlm.log_model(model, name="torch-linear")
    loaded = mlm.load_model("models:/torch-linear/1")
    x = torch.ones(2, 3)
    assert torch.equal(loaded(x), model.eval()(x))


@pytest.mark.skipif(not _has_module("xgboost"), reason="xgboost is not installed in the test environment")
def test_xgboost_round_trip(client: MlmClient) -> None:
    import xgboost

    _, x, y = pipeline()
    model = xgboost.XGBClassifier(n_estimators=3, max_depth=2).fit(x, y)
    mv = mlm.log_model(model, name="xgb")
    assert mv.flavor == "xgboost"
    np.testing.assert_allclose(mlm.load_model("models:/xgb/1").predict_proba(x), model.predict_proba(x))


@pytest.mark.skipif(not _has_module("lightgbm"), reason="lightgbm is not installed in the test environment")
def test_lightgbm_round_trip(client: MlmClient) -> None:
    import lightgbm

    _, x, y = pipeline()
    model = lightgbm.LGBMClassifier(n_estimators=3, verbose=-1).fit(x, y)
    mv = mlm.log_model(model, name="lgb")
    assert mv.flavor == "lightgbm"
    np.testing.assert_allclose(mlm.load_model("models:/lgb/1").predict(x), model.predict_proba(x)[:, 1])


def test_scikit_learn_functions_are_not_trusted_by_default_only_its_classes(client: MlmClient) -> None:
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.preprocessing import FunctionTransformer
    from sklearn.utils.validation import check_array

    mlm.log_model(FunctionTransformer(check_array).fit(np.ones((3, 2))), name="fn")
    with pytest.raises(UntrustedModelError, match="sklearn.utils.validation.check_array"):
        mlm.load_model("models:/fn/1")
    forest = RandomForestClassifier(n_estimators=2).fit(np.eye(4), [0, 1, 0, 1])  # holds sklearn.tree._tree.Tree
    mlm.log_model(forest, name="forest")
    assert mlm.load_model("models:/forest/1").predict(np.eye(4)).tolist() == forest.predict(np.eye(4)).tolist()


def test_an_export_whose_manifest_claims_pickle_still_needs_trust(client: MlmClient, tmp_path: Path) -> None:
    import json

    mlm.log_model(Plain(1.0), name="plain", flavor="pickle")
    folder = mlm.export_model("models:/plain/1", tmp_path / "p")
    manifest = json.loads((folder / "MLmodel.json").read_text())
    manifest["flavor"] = "sklearn"  # a tampered manifest cannot turn a pickle into a "safe" model
    (folder / "MLmodel.json").write_text(json.dumps(manifest))
    with pytest.raises(InvalidInputError, match="not a readable sklearn model"):
        mlm.load_model(folder)


def test_a_pipeline_with_a_simple_imputer_loads_without_trusted_types(client: MlmClient) -> None:
    import pandas as pd
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    x = pd.DataFrame({"a": [0.0, np.nan, 2.0, 3.0], "b": [1.0, 0.0, 1.0, 0.0]})
    model = make_pipeline(SimpleImputer(), LogisticRegression()).fit(x, [0, 0, 1, 1])  # keeps a numpy.dtype
    mlm.log_model(model, name="imputed", input_example=x[:2])
    assert mlm.load_model("models:/imputed/1").predict(x).tolist() == model.predict(x).tolist()


def test_a_model_holding_a_lambda_is_refused_when_logged_not_when_loaded(client: MlmClient) -> None:
    from sklearn.preprocessing import FunctionTransformer

    def double(x: object) -> object:
        return np.asarray(x) * 2

    for func in (lambda x: x, double):
        model = FunctionTransformer(func).fit(np.ones((3, 2)))
        with pytest.raises(UnsupportedTypeError, match="no process can import back"):
            mlm.log_model(model, name="fn")
        with pytest.raises(InvalidInputError, match="cannot save .* with the pickle flavor: .*pickle"):
            mlm.log_model(model, name="fn", flavor="pickle")
    assert mlm.models() == []
