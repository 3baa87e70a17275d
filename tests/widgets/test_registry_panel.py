"""The registry panel's Python side: its buttons call the registry, gates block, the trail is listed."""

from __future__ import annotations

import numpy as np
import pytest

import mlm_jupyter as mlm
from mlm_jupyter.widgets.registry_panel import RegistryPanel


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


def _click(panel, **content):
    """What the front end sends when a button is clicked."""
    panel._dispatch(panel, content, [])


def test_lists_models_versions_lineage_and_rules(client, model):
    panel = mlm.registry()
    assert panel.model_name == model
    assert [v["version"] for v in panel.versions] == [2, 1]
    assert panel.versions[0]["metrics"] == {"val_auc": 0.95}
    assert panel.versions[0]["lineage"]["experiment"] == "reg"
    assert panel.versions[0]["lineage"]["run"] == "auc-0.95"
    assert panel.rules and "val_auc" in panel.rules[0]


def test_promote_button_moves_the_alias_in_the_store(client, model):
    panel = RegistryPanel(model)
    _click(panel, action="promote", version=2, alias="production", reason="best auc")
    assert panel.message["kind"] == "ok"
    assert client.get_model_version(model, alias="production").version == 2
    assert panel.versions[0]["aliases"] == ["production"]
    assert panel.models[0]["aliases"] == {"production": 2}
    assert panel.history[0]["action"] == "alias_set" and panel.history[0]["reason"] == "best auc"


def test_gate_failure_is_shown_and_nothing_moves(client, model):
    panel = RegistryPanel(model)
    _click(panel, action="promote", version=1, alias="production", reason="try")
    assert panel.message["kind"] == "error" and panel.message["code"] == "PROMOTION_BLOCKED"
    assert "val_auc" in panel.message["text"]
    with pytest.raises(mlm.MlmError):
        client.get_model_version(model, alias="production")
    assert panel.history[0]["action"] == "promotion_blocked"


def test_a_reason_is_required(client, model):
    panel = RegistryPanel(model)
    _click(panel, action="promote", version=2, alias="production", reason="  ")
    assert panel.message["kind"] == "error" and "reason" in panel.message["text"]
    with pytest.raises(mlm.MlmError, match="reason"):
        panel.archive(1, reason="")
    assert all(e["action"] != "alias_set" for e in panel.history)


def test_archive_and_restore_are_recorded(client, model):
    panel = RegistryPanel(model)
    _click(panel, action="archive", version=1, reason="superseded")
    assert client.get_model_version(model, 1).status == "archived"
    assert panel.history[0]["action"] == "version_archived" and panel.history[0]["reason"] == "superseded"
    _click(panel, action="restore", version=1, reason="")
    assert client.get_model_version(model, 1).status == "ready"


def test_unknown_model_and_fallback(client, model):
    with pytest.raises(mlm.MlmError, match="no registered model 'nope'"):
        RegistryPanel("nope")
    panel = RegistryPanel(model)
    bundle = panel._repr_mimebundle_()
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    assert "panel-model" in data["text/html"] and "audit trail" in data["text/html"]
    assert "v2" in data["text/plain"]
