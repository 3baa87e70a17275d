"""The MLflow layer and the native fixes of issue 17, on a real DuckDB store."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

import mlm_jupyter as mlm
import mlm_jupyter.mlflow as mlflow
import mlm_jupyter.mlflow.sklearn  # noqa: F401 -- mlflow.sklearn
from mlm_jupyter.core.errors import InvalidInputError, MlmError, NotFoundError
from mlm_jupyter.mlflow import MlflowClient, NoEquivalentError
from mlm_jupyter.tracking import fluent
from mlm_jupyter.tracking.client import MlmClient

X = np.array([-2, -1, 0, 1, 2, 1]).reshape(-1, 1)
Y = np.array([0, 0, 1, 1, 1, 0])


def test_entities_have_mlflows_shapes(store: MlmClient) -> None:
    experiment = mlflow.set_experiment("churn")
    assert experiment.name == "churn" and experiment.experiment_id
    with mlflow.start_run(run_name="rf") as run:
        mlflow.log_param("depth", 3)
        mlflow.log_metric("auc", 0.9)
        run_id = run.info.run_id
    got = mlflow.get_run(run_id)
    assert got.info.status == "FINISHED"
    assert isinstance(got.info.start_time, int) and got.info.start_time > 1_600_000_000_000  # milliseconds
    assert got.info.end_time >= got.info.start_time
    assert got.info.experiment_id == experiment.experiment_id
    assert got.info.artifact_uri == f"runs:/{run_id}"
    assert got.info.run_name == "rf" and got.data.tags["mlflow.runName"] == "rf"
    assert got.data.params == {"depth": "3"} and got.data.metrics == {"auc": 0.9}


def test_start_run_resumes_a_run_by_id(store: MlmClient) -> None:
    with mlflow.start_run() as run:
        mlflow.log_metric("loss", 1.0, step=0)
    with mlflow.start_run(run_id=run.info.run_id) as again:
        assert again.info.run_id == run.info.run_id and again.info.status == "RUNNING"
        mlflow.log_metric("loss", 0.5, step=1)
    history = MlflowClient().get_metric_history(run.info.run_id, "loss")
    assert [(m.step, m.value) for m in history] == [(0, 1.0), (1, 0.5)]
    assert mlflow.get_run(run.info.run_id).info.status == "FINISHED"
    with pytest.raises(NotFoundError):
        mlflow.start_run(run_id="0" * 32)
    assert fluent.active_run() is None


def test_start_run_by_experiment_id_and_default_id_zero(store: MlmClient) -> None:
    experiment_id = mlflow.create_experiment("by-id")
    with mlflow.start_run(experiment_id=experiment_id) as run:
        pass
    assert store.get_run(run.info.run_id).experiment == "by-id"
    created = MlflowClient().create_run("0")
    assert store.get_run(created.info.run_id).experiment == "Default"


def test_search_runs_searches_the_active_experiment_like_mlflow(store: MlmClient) -> None:
    for experiment in ("a", "b"):
        mlflow.set_experiment(experiment)
        with mlflow.start_run(run_name=f"in-{experiment}"):
            pass
    assert list(mlflow.search_runs()["tags.mlflow.runName"]) == ["in-b"]
    assert len(mlflow.search_runs(search_all_experiments=True)) == 2
    # the native API keeps searching every experiment (documented in mlm.search_runs)
    assert len(mlm.search_runs()) == 2


@pytest.mark.parametrize("query", ["tags.mlflow.runName = 'in-a'", "attributes.run_name = 'in-a'",
                                   "run_name = 'in-a'"])
def test_run_name_filters_match_in_the_native_api_too(store: MlmClient, query: str) -> None:
    for name in ("in-a", "in-b"):
        with mlm.start_run(name=name):
            pass
    assert list(mlm.search_runs(query)["name"]) == ["in-a"]
    assert list(mlflow.search_runs(filter_string=query, search_all_experiments=True)["tags.mlflow.runName"]) == ["in-a"]


def test_start_time_filter_takes_mlflows_milliseconds(store: MlmClient) -> None:
    with mlflow.start_run() as run:
        pass
    start = mlflow.get_run(run.info.run_id).info.start_time
    assert len(mlflow.search_runs(filter_string=f"attributes.start_time >= {start - 1}")) == 1
    assert len(mlflow.search_runs(filter_string=f"attributes.start_time > {start + 1000}")) == 0


def test_native_log_model_name_is_the_registry_name_and_takes_registered_model_name(store: MlmClient) -> None:
    model = LogisticRegression().fit(X, Y)
    with mlm.start_run():
        assert mlm.log_model(model, name="churn").name == "churn"
        version = mlm.log_model(model, name="model", registered_model_name="churn")
    assert version.name == "churn" and version.version == 2
    assert version.source.endswith("/model")  # name is the artifact folder when both are given
    assert [m.name for m in mlm.models()] == ["churn"]  # nothing piled up under "model"
    with pytest.raises(InvalidInputError):
        mlm.log_model(model)


def test_sklearn_log_model_registers_only_with_registered_model_name(store: MlmClient) -> None:
    model = LogisticRegression().fit(X, Y)
    with mlflow.start_run() as run:
        info = mlflow.sklearn.log_model(model, name="model")
        assert info.registered_model_version is None
        assert store.models() == []
        registered = mlflow.sklearn.log_model(model, name="second", registered_model_name="lr")
    assert registered.registered_model_version == 1
    loaded = mlflow.sklearn.load_model(f"runs:/{run.info.run_id}/model")
    assert list(loaded.predict(X)) == list(model.predict(X))
    assert list(mlflow.pyfunc.load_model("models:/lr/latest").predict(X)) == list(model.predict(X))
    version = mlflow.register_model(info.model_uri, "lr")
    assert version.version == "2" and version.run_id == run.info.run_id


def test_client_registry_aliases_versions_and_tags(store: MlmClient) -> None:
    model = LogisticRegression().fit(X, Y)
    client = MlflowClient()
    client.create_registered_model("m", tags={"team": "a"}, description="d")
    with mlflow.start_run():
        mlflow.sklearn.log_model(model, name="model", registered_model_name="m")
        mlflow.sklearn.log_model(model, name="model2", registered_model_name="m")
    client.set_registered_model_alias("m", "champion", 2)
    assert client.get_model_version_by_alias("m", "champion").version == "2"
    client.set_model_version_tag("m", "2", "approved", "yes")
    assert client.get_model_version("m", 2).tags == {"approved": "yes"}
    client.delete_model_version_tag("m", "2", "approved")
    assert client.get_model_version("m", 2).tags == {}
    registered = client.get_registered_model("m")
    assert registered.aliases == {"champion": "2"} and registered.tags == {"team": "a"}
    assert registered.description == "d" and registered.latest_versions[0].version == "2"
    assert [v.version for v in client.search_model_versions("name = 'm'")] == ["2", "1"]
    client.transition_model_version_stage("m", 1, "Production")
    assert client.get_model_version("m", 1).current_stage == "Production"
    assert mlm.get_model_version("m", alias="production").version == 1
    client.delete_registered_model_alias("m", "champion")
    with pytest.raises(NotFoundError):
        client.get_model_version_by_alias("m", "champion")


def test_logging_helpers_store_mlflows_files(store: MlmClient, tmp_path) -> None:
    import json

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.plot([0, 1], [2, 3])
    with mlflow.start_run() as run:
        mlflow.log_dict({"k": "v"}, "cfg/data.json")
        mlflow.log_dict({"k": "v"}, "cfg/data.yaml")
        mlflow.log_figure(fig, "plots/line.png")
        mlflow.log_table({"a": [1, 2], "b": ["x", "y"]}, "table.json")
        mlflow.log_image(np.zeros((4, 4, 3), dtype="uint8"), "img.png")
        mlflow.log_input(mlflow.data.from_pandas(__import__("pandas").DataFrame({"x": [1, 2]}), name="train"),
                         context="training")
    client = MlflowClient()
    paths = [a.path for a in client.list_artifacts(run.info.run_id)]
    assert paths == ["cfg", "img.png", "plots", "table.json"]
    local = client.download_artifacts(run.info.run_id, "cfg", str(tmp_path / "out"))
    assert json.loads((tmp_path / "out" / "cfg" / "data.json").read_text()) == {"k": "v"}
    assert (tmp_path / "out" / "cfg" / "data.yaml").read_text().strip() == "k: v"
    assert local.endswith("cfg")
    table = json.loads(mlflow.artifacts.load_text(f"runs:/{run.info.run_id}/table.json"))
    assert table["columns"] == ["a", "b"] and table["data"] == [[1, "x"], [2, "y"]]
    assert open(client.download_artifacts(run.info.run_id, "plots/line.png", str(tmp_path)), "rb").read(4) == \
        b"\x89PNG"
    inputs = mlflow.get_run(run.info.run_id).inputs.dataset_inputs
    assert [(i.dataset.name, i.tags[0].value) for i in inputs] == [("train", "training")]


def test_log_calls_outside_a_run_start_one_like_mlflow(store: MlmClient) -> None:
    mlflow.log_param("p", 1)
    run = mlflow.active_run()
    assert run is not None
    mlflow.end_run()
    assert mlflow.last_active_run().data.params == {"p": "1"}


def test_calls_without_an_equivalent_name_the_mlm_way(store: MlmClient) -> None:
    with pytest.raises(NoEquivalentError, match="%%track"):
        mlflow.autolog()
    with pytest.raises(NoEquivalentError, match="mlm import --from"):
        mlflow.set_tracking_uri("sqlite:///mlflow.db")
    with pytest.raises(NoEquivalentError, match="archive_model_version"):
        MlflowClient().delete_model_version("m", 1)
    with pytest.raises(NoEquivalentError):
        mlflow.start_span  # noqa: B018
    assert not hasattr(mlflow, "log_model_checkpoint")  # still an AttributeError for hasattr
    assert issubclass(NoEquivalentError, MlmError) and mlflow.MlflowException is MlmError


def test_set_tracking_uri_takes_a_store_path(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("MLM_NO_SERVER", "1")
    try:
        mlflow.set_tracking_uri(str(tmp_path / "other"))
        assert mlflow.get_tracking_uri() == str(tmp_path / "other")
        with mlflow.start_run():
            mlflow.log_metric("x", 1)
        assert (tmp_path / "other" / "mlm.duckdb").exists()
        mlflow.set_tracking_uri(f"file://{tmp_path / 'third'}")
        assert mlflow.get_tracking_uri() == str(tmp_path / "third")
    finally:
        fluent.get_client().close()
        mlflow.set_tracking_uri(None)


def test_mlflow3_logged_models_are_found_by_id_search_and_last(store: MlmClient) -> None:
    """MLflow 3's quickstart reads back what it logged: ``get_logged_model(info.model_id)``,
    ``search_logged_models`` with a metric filter and ordering, ``last_logged_model``, metrics by model id."""
    mlflow.set_experiment("logged")
    model = LogisticRegression().fit(X, Y)
    infos = []
    for c in (0.1, 1.0, 10.0):
        with mlflow.start_run():
            mlflow.log_param("C", c)
            info = mlflow.sklearn.log_model(LogisticRegression(C=c).fit(X, Y), name="clf")
            infos.append(info)
        mlflow.log_metric("accuracy", c / 10, model_id=info.model_id)  # no active run: the model's run
    registered = None
    with mlflow.start_run():
        registered = mlflow.sklearn.log_model(model, name="reg", registered_model_name="lr")

    found = mlflow.get_logged_model(infos[1].model_id)
    assert (found.source_run_id, found.name, found.params["C"]) == (infos[1].run_id, "clf", "1.0")
    assert {m.key: m.value for m in found.metrics} == {"accuracy": 0.1}
    assert found.flavor == "sklearn" and found.status == "READY"
    assert list(mlflow.pyfunc.load_model(found.model_uri).predict(X)) == list(
        LogisticRegression(C=1.0).fit(X, Y).predict(X))
    assert mlflow.last_logged_model().model_id == registered.model_id

    listed = mlflow.search_logged_models(filter_string="metrics.accuracy >= 0.1 AND name = 'clf'",
                                         order_by=[{"field_name": "metrics.accuracy", "ascending": False}],
                                         output_format="list")
    assert [m.model_id for m in listed] == [infos[2].model_id, infos[1].model_id]
    frame = mlflow.search_logged_models(max_results=2)
    assert len(frame) == 2 and set(frame.columns) >= {"model_id", "source_run_id", "metrics"}
    assert len(mlflow.search_logged_models(output_format="list")) == 4

    with pytest.raises(InvalidInputError, match="m-"):
        mlflow.get_logged_model("m-8e76cd2ca2474b539d514e6096e8eeda")
    with pytest.raises(NotFoundError):
        mlflow.get_logged_model(f"runs:/{infos[0].run_id}/nothing-here")
    with pytest.raises(InvalidInputError, match="cannot"):
        mlflow.search_logged_models(filter_string="metrics.accuracy >> 1")
    with pytest.raises(InvalidInputError, match="number"):
        mlflow.search_logged_models(filter_string="metrics.accuracy > 1e")
