"""Dataset versions, run inputs, lineage and data diffs through the client and the fluent API."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import mlm_jupyter as mlm
from mlm_jupyter.core.errors import NoActiveRunError, NotFoundError
from mlm_jupyter.tracking.client import MlmClient


def frame(n: int = 200, shift: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    return pd.DataFrame({"id": np.arange(n), "x": rng.normal(shift, 1, n), "city": rng.choice(["a", "b"], n)})


def test_log_input_versions_data_by_digest(client: MlmClient) -> None:
    df = frame()
    with mlm.start_run(experiment="data", name="first") as run:
        v1 = mlm.log_input(df, name="train", role="train")
        again = mlm.log_input(df.copy(), name="train", role="train")
    assert v1.version == 1 and again.version == 1 and v1.digest == again.digest
    with mlm.start_run(experiment="data", name="second"):
        v2 = mlm.log_input(frame(shift=1.0), name="train", role="train")
        test = mlm.log_input(df.iloc[:50], name="test", role="test")
    assert v2.version == 2 and test.version == 1
    sets = {d.name: d for d in mlm.datasets()}
    assert set(sets) == {"train", "test"}
    assert [v.version for v in sets["train"].versions] == [1, 2] and sets["train"].runs == 2
    assert sets["train"].latest.digest == v2.digest
    versions = mlm.dataset_versions("train")
    assert versions[0].run_id == run.id and versions[0].schema["x"] == "float64"
    assert versions[0].profile["x"]["count"] == 200 and versions[0].fingerprint.row_sketch is not None


def test_get_run_lists_inputs_with_fingerprints(client: MlmClient) -> None:
    df = frame()
    with mlm.start_run(experiment="data") as run:
        mlm.log_input(df, name="train", role="train")
        mlm.log_input(df.iloc[:20], name="holdout", role="test")
    inputs = mlm.get_run(run.id).inputs
    assert [(i.name, i.role) for i in inputs] == [("train", "train"), ("holdout", "test")]
    name, role, fp = inputs[0]
    assert isinstance(fp, mlm.Fingerprint) and fp == mlm.fingerprint(df)


def test_search_runs_by_dataset(client: MlmClient) -> None:
    df = frame()
    with mlm.start_run(experiment="search") as used:
        fp = mlm.log_input(df, name="train", role="train").fingerprint
    with mlm.start_run(experiment="search"):
        mlm.log_input(frame(shift=3.0), name="other", role="test")
    found = mlm.search_runs(f"datasets.digest = '{fp.digest}'", experiment="search")
    assert list(found["run_id"]) == [used.id]
    assert list(mlm.search_runs("datasets.name = 'train' and datasets.role = 'train'",
                                experiment="search")["run_id"]) == [used.id]


def test_log_input_needs_an_active_run_and_a_name(client: MlmClient) -> None:
    with pytest.raises(NoActiveRunError):
        mlm.log_input(frame(), name="train")
    with mlm.start_run(), pytest.raises(mlm.MlmError, match="name"):
        mlm.log_input(frame())


def test_files_take_their_name_and_use_the_store_cache(client: MlmClient, tmp_path: Path, store_dir: Path) -> None:
    path = tmp_path / "customers.csv"
    frame().to_csv(path, index=False)
    with mlm.start_run():
        version = mlm.log_input(path, role="raw")
    assert version.name == "customers.csv" and version.kind == "file" and version.source == str(path)
    cache = json.loads((store_dir / "filehash.json").read_text())
    assert any(key.startswith(str(path)) for key in cache["entries"])


def test_lineage_links_cells_data_runs_and_models(client: MlmClient) -> None:
    raw = frame()
    with mlm.start_run(experiment="lineage", name="prepare") as prepare:
        mlm.log_input(raw, name="raw", role="input")
        features = raw.assign(x2=raw["x"] ** 2)
        mlm.log_output(features, name="features")
    with mlm.start_run(experiment="lineage", name="train") as train:
        mlm.log_input(features, name="features", role="train")
    graph = mlm.lineage(train.id)
    kinds = {n.type for n in graph.nodes}
    assert kinds >= {"run", "data"}
    edges = {(graph.node(e.source).label.split(" (")[0], e.label, graph.node(e.target).label) for e in graph.edges}
    assert ("data features v1", "train", "run train") in edges
    assert ("run prepare", "wrote", "data features v1 (" + mlm.fingerprint(features).digest[:12] + ")") in {
        (graph.node(e.source).label, e.label, graph.node(e.target).label) for e in graph.edges}
    assert ("data raw v1", "input", "run prepare") in edges
    assert graph.root == f"run:{train.id}"
    payload = json.loads(json.dumps(graph.to_dict()))
    assert payload["root"] == graph.root and len(payload["nodes"]) == len(graph.nodes)
    text = str(graph)
    assert text.startswith("lineage of run train") and "--train--> run train" in text
    assert mlm.lineage(f"runs:/{prepare.id}").root == f"run:{prepare.id}"


def test_lineage_of_unknown_run_is_not_found(client: MlmClient) -> None:
    with pytest.raises(NotFoundError):
        mlm.lineage("nope")


def test_diff_data_accepts_versions_uris_digests_and_objects(client: MlmClient) -> None:
    a, b = frame(), frame(shift=2.0)
    with mlm.start_run():
        va = mlm.log_input(a, name="train")
        vb = mlm.log_input(b, name="train")
    by_uri = mlm.diff_data("data:/train/1", "data:/train/2")
    assert by_uri.changed_columns == ("x",) and by_uri.profile_shifts["x"]["score"] > 1
    assert by_uri.row_overlap is not None and by_uri.row_overlap.shared_rows == 0
    assert mlm.diff_data(va.digest[:10], vb).changed_columns == ("x",)
    assert mlm.diff_data(a, a.copy()).identical
    assert mlm.diff_data(a, a.iloc[:150]).row_overlap.b_in_a == 1.0


def test_lineage_includes_registered_models(client: MlmClient) -> None:
    sklearn = pytest.importorskip("sklearn.linear_model")
    df = frame()
    with mlm.start_run(experiment="models", name="fit") as run:
        mlm.log_input(df, name="train", role="train")
        model = sklearn.LogisticRegression().fit(df[["x"]], df["city"])
        mv = mlm.log_model(model, name="city-model")
    graph = mlm.lineage(run.id)
    assert any(n.type == "model" and n.details["name"] == "city-model" for n in graph.nodes)
    by_model = mlm.lineage(f"models:/city-model/{mv.version}")
    assert by_model.root == f"model:city-model/{mv.version}"
    assert {n.type for n in by_model.nodes} >= {"model", "run", "data"}


def test_lineage_of_models_latest_and_aliases_follows_the_registry(client: MlmClient) -> None:
    from sklearn.linear_model import LogisticRegression

    df = frame()
    model = LogisticRegression().fit(df[["x"]], df["city"])
    versions = []
    for name in ("first", "second"):
        with mlm.start_run(experiment="lineage", name=name):
            mlm.log_input(df, name="train", role="train")
            versions.append(mlm.log_model(model, name="city-model"))
    mlm.archive_model_version("city-model", 2, reason="bad")
    mlm.set_alias("city-model", "champion", version=1)

    for uri in ("models:/city-model@latest", "models:/city-model", "models:/city-model@champion"):
        assert mlm.lineage(uri).root == "model:city-model/1", uri
    with pytest.raises(NotFoundError, match="no alias 'production'.*champion"):
        mlm.lineage("models:/city-model@production")


def test_lineage_accepts_the_run_and_model_version_objects_themselves(client: MlmClient) -> None:
    from sklearn.linear_model import LogisticRegression

    df = frame()
    with mlm.start_run(experiment="lineage", name="fit") as run:
        mlm.log_input(df, name="train", role="train")
        version = mlm.log_model(LogisticRegression().fit(df[["x"]], df["city"]), name="city-model")
    assert mlm.lineage(run).root == mlm.lineage(run.id).root == f"run:{run.id}"
    assert mlm.lineage(version).root == "model:city-model/1"
    assert type(mlm.load_model(version)).__name__ == "LogisticRegression"
