"""The registry panel takes a version the ways a user writes it: set_alias's order, "3", "v3"; bad ones are clear."""

from __future__ import annotations

import mlm_jupyter as mlm
import pytest

from tests.widgets.conftest import CallError, call
from tests.widgets.test_registry_panel import model  # noqa: F401 - fixture


def test_promote_in_set_alias_order(client, model):  # noqa: F811
    panel = mlm.registry(model)
    panel.promote("production", 2, reason="set_alias order")
    assert client.get_model_version(model, "production").version == 2
    panel.promote(version="v2", alias="champion", reason="v-prefixed")
    assert client.get_model_version(model, "champion").version == 2


def test_a_version_that_is_no_number_is_a_clear_error(client, model):  # noqa: F811
    panel = mlm.registry(model)
    with pytest.raises(CallError, match="a model version is a number") as error:
        call(panel, "promote", name=model, version="latest-one", alias="production", reason="x")
    assert error.value.error["status"] == 400
    with pytest.raises(mlm.MlmError, match="None"):
        panel.archive(None, reason="x")
    panel.archive("1", reason="old")
    assert client.get_model_version(model, 1).status == "archived"
