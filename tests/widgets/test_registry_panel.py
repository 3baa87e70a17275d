"""The registry panel's Python side: the view's calls reach the registry, gates block, the trail is listed."""

from __future__ import annotations

import numpy as np
import pytest

import mlm_jupyter as mlm
from mlm_jupyter.widgets.registry_panel import RegistryPanel
from tests.widgets.conftest import CallError, call


@pytest.fixture
def model(client):
    from sklearn.linear_model import LogisticRegression

    x = np.random.default_rng(0).random((30, 2))
    y = (x[:, 0] > 0.5).astype(int)
    for auc in (0.8, 0.95):
        run = client.create_run("reg", f"auc-{auc}")
        client.log_metric(run.id, "val_auc", auc)
        client.log_model(run.id, LogisticRegression().fit(x, y), "panel-model")
        client.end_run(run.id)
    client.set_promotion_rule("panel-model", "metric_threshold", metric="val_auc", op=">=", threshold=0.9)
    return "panel-model"


def test_lists_models_versions_lineage_and_rules(client, model):
    panel = mlm.registry()
    assert panel.model_name == model
    assert [v["version"] for v in panel.versions] == [2, 1]
    assert panel.versions[0]["metrics"] == {"val_auc": 0.95}
    assert panel.versions[0]["lineage"]["experiment"] == "reg"
    assert panel.versions[0]["lineage"]["run"] == "auc-0.95"
    assert panel.rules and "val_auc" in panel.rules[0]


def test_the_view_reads_models_detail_and_history_oldest_first(client, model):
    panel = RegistryPanel(model)
    assert [m["name"] for m in call(panel, "models")] == [model]
    detail = call(panel, "model", name=model)
    assert [v["version"] for v in detail["versions"]] == [2, 1] and detail["rules"]
    client.set_alias(model, "staging", 1, reason="first")
    history = call(panel, "history", name=model)
    assert history[-1]["action"] == "alias_set" and history[-1]["reason"] == "first"


def test_promote_from_the_view_moves_the_alias_in_the_store(client, model):
    panel = RegistryPanel(model)
    revision = panel.revision
    call(panel, "promote", name=model, alias="production", version=2, reason="best auc")
    assert panel.revision > revision  # the view re-reads
    assert client.get_model_version(model, alias="production").version == 2
    assert panel.versions[0]["aliases"] == ["production"]
    assert panel.models[0]["aliases"] == {"production": 2}
    assert panel.history[0]["action"] == "alias_set" and panel.history[0]["reason"] == "best auc"


def test_gate_failure_is_shown_and_nothing_moves(client, model):
    panel = RegistryPanel(model)
    with pytest.raises(CallError, match="val_auc") as refused:
        call(panel, "promote", name=model, alias="production", version=1, reason="try")
    assert refused.value.error["code"] == "PROMOTION_BLOCKED"
    with pytest.raises(mlm.MlmError):
        client.get_model_version(model, alias="production")
    assert panel.history[0]["action"] == "promotion_blocked"


def test_a_reason_is_required(client, model):
    panel = RegistryPanel(model)
    with pytest.raises(CallError, match="reason"):
        call(panel, "promote", name=model, alias="production", version=2, reason="  ")
    with pytest.raises(mlm.MlmError, match="reason"):
        panel.archive(1, reason="")
    assert all(e["action"] != "alias_set" for e in panel.history)


def test_archive_and_restore_are_recorded(client, model):
    panel = RegistryPanel(model)
    panel.archive(1, reason="superseded")
    assert panel.message == {"kind": "ok", "text": f"{model} v1 archived"}
    assert client.get_model_version(model, 1).status == "archived"
    assert panel.history[0]["action"] == "version_archived" and panel.history[0]["reason"] == "superseded"
    panel.restore("v1")
    assert client.get_model_version(model, 1).status == "ready"


def test_unknown_model_and_fallback(client, model):
    with pytest.raises(mlm.MlmError, match="no registered model 'nope'"):
        RegistryPanel("nope")
    panel = RegistryPanel(model)
    bundle = panel._repr_mimebundle_()
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    assert "panel-model" in data["text/html"] and "audit trail" in data["text/html"]
    assert "v2" in data["text/plain"]
