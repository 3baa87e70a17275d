"""The registry panel takes a version the ways a user writes it: set_alias's order, "3", "v3"; bad ones are messages."""

from __future__ import annotations

import mlm_jupyter as mlm
from tests.widgets.test_registry_panel import _click, model  # noqa: F401 - fixture


def test_promote_in_set_alias_order(client, model):  # noqa: F811
    panel = mlm.registry(model)
    panel.promote("production", 2, reason="set_alias order")
    assert client.get_model_version(model, "production").version == 2
    panel.promote(version="v2", alias="champion", reason="v-prefixed")
    assert client.get_model_version(model, "champion").version == 2
    assert panel.message == {"kind": "ok", "text": f"{model}@champion now points at v2"}


def test_a_version_that_is_no_number_is_shown_not_raised(client, model):  # noqa: F811
    panel = mlm.registry(model)
    _click(panel, action="promote", version="latest-one", alias="production", reason="x")
    assert panel.message["kind"] == "error" and "a model version is a number" in panel.message["text"]
    _click(panel, action="archive", version=None, reason="x")
    assert panel.message["kind"] == "error" and "None" in panel.message["text"]
    _click(panel, action="archive", version="1", reason="old")
    assert panel.message == {"kind": "ok", "text": f"{model} v1 archived"}
    assert client.get_model_version(model, 1).status == "archived"
