"""The model registry through the fluent API: log, register, aliases, history, loading."""

from __future__ import annotations

import numpy as np
import pytest
from trained_models import forest, pipeline

import mlm_jupyter as mlm
from mlm_jupyter.core.errors import InvalidInputError, NotFoundError
from mlm_jupyter.tracking.client import MlmClient


def test_sklearn_pipeline_round_trips_through_the_registry(client: MlmClient) -> None:
    model, x, y = pipeline()
    with mlm.start_run(experiment="churn", name="lr") as run:
        mlm.log_metric("val_auc", 0.91)
        mv = mlm.log_model(model, name="churn-lr", input_example=x[:5])

    assert isinstance(mv, mlm.ModelVersion)
    assert (mv.name, mv.version, mv.run_id, mv.flavor) == ("churn-lr", 1, run.id, "sklearn")
    assert len(mv.sha256) == 64 and mv.aliases == ()
    assert mv.signature is not None
    assert mv.signature.input_names == ["age", "income", "tenure"]
    assert [s.dtype for s in mv.signature.inputs] == ["int64", "float64", "float64"]
    assert mv.signature.outputs[0].dtype == "int64"
    assert any(r.startswith("scikit-learn==") for r in mv.requirements)
    assert any(r.startswith("skops==") for r in mv.requirements)
    assert mv.card_sha256 is not None

    for uri in ("models:/churn-lr/1", "models:/churn-lr@latest", f"runs:/{run.id}/model"):
        loaded = mlm.load_model(uri)
        np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
        np.testing.assert_allclose(loaded.predict_proba(x), model.predict_proba(x))


def test_the_run_keeps_the_model_package_as_artifacts(client: MlmClient) -> None:
    model, x, _ = forest()
    with mlm.start_run() as run:
        mlm.log_model(model, name="rf", input_example=x[:3])
    paths = {a.path for a in mlm.get_run(run.id).artifacts}
    assert {"model/model.skops", "model/MLmodel.json"} <= paths


def test_versions_count_up_per_name(client: MlmClient) -> None:
    model, _, _ = pipeline()
    with mlm.start_run():
        numbers = [mlm.log_model(model, name="a").version for _ in range(3)]
        other = mlm.log_model(model, name="b").version
    assert numbers == [1, 2, 3] and other == 1
    assert [v.version for v in mlm.model_versions("a")] == [1, 2, 3]
    listed = {m.name: m for m in mlm.models()}
    assert listed["a"].latest_version == 3 and listed["a"].versions == 3 and listed["b"].versions == 1


def test_log_model_outside_a_run_makes_a_finished_run(client: MlmClient) -> None:
    model, _, _ = pipeline()
    mv = mlm.log_model(model, name="solo")
    assert mlm.active_run() is None
    assert mlm.get_run(mv.run_id).status == "finished"


def test_register_model_from_a_run_uri_makes_a_new_version(client: MlmClient) -> None:
    model, x, _ = pipeline()
    with mlm.start_run() as run:
        first = mlm.log_model(model, name="candidate")
    registered = mlm.register_model(f"runs:/{run.id}/model", name="churn")
    assert (registered.name, registered.version, registered.run_id) == ("churn", 1, run.id)
    assert registered.sha256 == first.sha256
    np.testing.assert_array_equal(mlm.load_model("models:/churn/1").predict(x), model.predict(x))
    copied = mlm.register_model("models:/churn/1", name="churn-copy")
    assert copied.sha256 == first.sha256 and copied.version == 1


def test_an_alias_moves_atomically_and_the_history_says_so(client: MlmClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLM_USER", "ada")
    model, _, _ = pipeline()
    with mlm.start_run():
        for _ in range(3):
            mlm.log_model(model, name="churn")
    mlm.set_alias("churn", "production", version=1, reason="first")
    mlm.set_alias("churn", "staging", version=2)
    moved = mlm.set_alias("churn", "production", version=3, reason="beats v1")

    assert moved.aliases == ("production",)
    assert mlm.get_model_version("churn", alias="production").version == 3
    assert mlm.get_model_version("churn", "production").version == 3
    assert mlm.get_model_version("churn", 1).aliases == ()
    assert {m.name: dict(m.aliases) for m in mlm.models()}["churn"] == {"production": 3, "staging": 2}

    mlm.delete_alias("churn", "staging", reason="done testing")
    with pytest.raises(NotFoundError, match="no alias 'staging'"):
        mlm.get_model_version("churn", alias="staging")

    history = mlm.model_history("churn")
    assert list(history.columns[:8]) == ["time", "user", "action", "version", "alias", "from", "to", "reason"]
    shown = history[["action", "alias", "from", "to", "reason"]].astype(object)
    rows = shown.where(shown.notna(), None).values.tolist()
    assert rows[:3] == [["version_created", None, None, "1", None], ["version_created", None, None, "2", None],
                        ["version_created", None, None, "3", None]]
    assert rows[3:] == [["alias_set", "production", None, "1", "first"], ["alias_set", "staging", None, "2", None],
                        ["alias_moved", "production", "1", "3", "beats v1"],
                        ["alias_removed", "staging", "2", None, "done testing"]]
    assert set(history["user"]) == {"ada"}
    assert history["time"].is_monotonic_increasing and str(history["time"].dt.tz) == "UTC"


def test_aliases_are_lowercase_names_and_latest_is_reserved(client: MlmClient) -> None:
    model, _, _ = pipeline()
    mlm.log_model(model, name="m")
    for bad in ("Production", "has space", "latest", ""):
        with pytest.raises(InvalidInputError):
            mlm.set_alias("m", bad, version=1)
    with pytest.raises(NotFoundError, match="no version 7"):
        mlm.set_alias("m", "production", version=7)


def test_archived_versions_leave_latest_and_cannot_hold_an_alias(client: MlmClient) -> None:
    model, _, _ = pipeline()
    with mlm.start_run():
        mlm.log_model(model, name="m")
        mlm.log_model(model, name="m")
    mlm.set_alias("m", "production", version=2)
    with pytest.raises(InvalidInputError, match="move or delete"):
        mlm.archive_model_version("m", 2)
    archived = mlm.archive_model_version("m", 1, reason="superseded")
    assert archived.status == "archived"
    assert mlm.get_model_version("m").version == 2
    with pytest.raises(InvalidInputError, match="archived"):
        mlm.set_alias("m", "staging", version=1)
    assert [v.version for v in mlm.model_versions("m", include_archived=False)] == [2]
    mlm.restore_model_version("m", 1)
    mlm.set_model_description("m", "churn classifier")
    actions = mlm.model_history("m")["action"].tolist()
    assert actions[-3:] == ["version_archived", "version_restored", "description_changed"]


def test_loading_records_which_version_was_loaded(client: MlmClient) -> None:
    model, _, _ = pipeline()
    with mlm.start_run() as run:
        mlm.log_model(model, name="m")
        mlm.log_model(model, name="m")
    mlm.set_alias("m", "production", version=2)
    mlm.load_model("models:/m@production")
    mlm.load_model(f"runs:/{run.id}/model")
    loads = mlm.model_loads()
    assert len(loads) == 2
    by_uri = {row["uri"]: row for row in loads.to_dict(orient="records")}
    assert by_uri["models:/m@production"]["model"] == "m" and by_uri["models:/m@production"]["version"] == 2
    assert by_uri[f"runs:/{run.id}/model"]["run_id"] == run.id
    assert len(mlm.model_loads("m")) == 1


def test_model_card_says_what_made_the_model(client: MlmClient) -> None:
    model, x, _ = forest()
    with mlm.start_run(experiment="cards", name="rf-card") as run:
        mlm.log_params({"n_estimators": 4, "max_depth": 3})
        mlm.log_metrics({"val_auc": 0.875, "val_acc": 0.8})
        mlm.set_tag("checks.leakage", "passed")
        mlm.log_model(model, name="rf", input_example=x[:5], description="random forest baseline")
    card = mlm.model_card("rf", 1)
    assert card.startswith("# Model card: rf v1")
    assert "random forest baseline" in card
    assert f"`rf-card` (`{run.id}`), experiment `cards`" in card
    assert "| val_auc | 0.875 |" in card and "| max_depth | 3 |" in card
    assert "| leakage | passed |" in card
    assert "inputs: age:int64, income:float64, tenure:float64" in card
    assert "scikit-learn==" in card
    stored = client.store.read_blob(mlm.get_model_version("rf", 1).card_sha256 or "").decode()
    assert stored.startswith("# Model card: rf v1")


def test_unknown_models_and_uris_fail_with_guidance(client: MlmClient) -> None:
    with pytest.raises(NotFoundError, match="mlm.models"):
        mlm.get_model_version("nope", 1)
    with pytest.raises(InvalidInputError, match="models:/NAME/VERSION"):
        mlm.load_model("models:/x/abc")
    with pytest.raises(InvalidInputError, match="unknown model URI"):
        mlm.load_model("s3://bucket/model")
    with pytest.raises(InvalidInputError, match="model name"):
        mlm.log_model(pipeline()[0], name="bad/name")


def test_signature_can_be_given_explicitly(client: MlmClient) -> None:
    model, x, _ = pipeline()
    signature = mlm.infer_signature(x.to_numpy(), np.zeros(3, dtype="int64"))
    mv = mlm.log_model(model, name="m", signature=signature)
    assert mv.signature == signature
    assert mv.signature.inputs[0].shape == (-1, 3)


def test_a_second_model_in_one_run_does_not_repoint_the_first(client: MlmClient) -> None:
    from sklearn.linear_model import LinearRegression, LogisticRegression

    x = np.array([[0.0], [1.0], [2.0], [3.0]])
    with mlm.start_run() as run:
        first = mlm.log_model(LogisticRegression().fit(x, [0, 0, 1, 1]), name="clf")
        second = mlm.log_model(LinearRegression().fit(x, [0, 1, 2, 3]), name="reg")
        third = mlm.log_model(LinearRegression().fit(x, [0, 1, 2, 3]), name="reg")
    assert first.source == f"runs:/{run.id}/model"
    assert (second.source, third.source) == (f"runs:/{run.id}/reg", f"runs:/{run.id}/reg-2")
    assert type(mlm.load_model(f"runs:/{run.id}/model")).__name__ == "LogisticRegression"
    assert type(mlm.load_model(first.source)).__name__ == "LogisticRegression"
    assert type(mlm.load_model(second.source)).__name__ == "LinearRegression"
    assert mlm.register_model(first.source, "clf-copy").sha256 == first.sha256


def test_log_model_outside_a_run_checks_name_and_flavor_before_making_a_run(client: MlmClient) -> None:
    from sklearn.linear_model import LinearRegression

    with pytest.raises(InvalidInputError, match="invalid model name"):
        mlm.log_model(LinearRegression(), name="bad name")
    with pytest.raises(InvalidInputError, match="unknown model flavor"):
        mlm.log_model(LinearRegression(), name="ok", flavor="nope")
    assert mlm.search_runs().empty
