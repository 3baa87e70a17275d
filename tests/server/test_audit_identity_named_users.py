"""A server whose identity provider names its users records those names, whatever a client claims (item 3)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from jupyter_server.auth.identity import IdentityProvider, User
from traitlets.config import Config

from mlm_jupyter.tracking.client import MlmClient
from tests.server.conftest import mlm_server_config


class HeaderIdentityProvider(IdentityProvider):
    """Authenticates a named user from a header, as a multi-user provider (JupyterHub's) would."""

    def get_user(self, handler: Any) -> Any:
        name = handler.request.headers.get("X-Test-User")
        return User(username=name, name=name) if name else super().get_user(handler)


@pytest.fixture
def jp_server_config(store_dir: Path) -> Config:
    from sklearn.linear_model import LogisticRegression

    seed = MlmClient(store_dir)  # before the server owns the store
    x = np.array([[0.0], [1.0], [2.0], [3.0]])
    run = seed.create_run("audit")
    for _ in range(2):
        seed.log_model(run.id, LogisticRegression().fit(x, [0, 0, 1, 1]), name="churn")
    seed.end_run(run.id)
    seed.close()
    config = mlm_server_config(store_dir)
    config.ServerApp.identity_provider_class = HeaderIdentityProvider
    return config


async def test_each_named_user_is_recorded_with_the_provider_that_vouched(jp_fetch: Any, mlm_app: Any) -> None:
    async def post(parts: tuple[str, ...], body: dict[str, Any], user: str) -> int:
        response = await jp_fetch("mlm", "api", *parts, method="POST", body=json.dumps(body),
                                  headers={"X-Test-User": user, "Authorization": "", "Cookie": "_xsrf=a1b2",
                                           "X-XSRFToken": "a1b2"})
        return int(response.code)

    assert await post(("models", "churn", "aliases"), {"alias": "staging", "version": 1, "reason": "try"},
                      "alice") == 200
    assert await post(("store", "write"), {"id": "b1", "ops": [{"kind": "set_alias", "args": {
        "name": "churn", "alias": "production", "version": 2, "user": "someone-else@example.com"}}]}, "bob") == 200
    events = [e for e in mlm_app.context.client.model_events("churn") if e.action == "alias_set"]
    assert [(e.alias, e.user, e.identity_provider) for e in events] == [
        ("staging", "alice", "jupyter_server:HeaderIdentityProvider"),
        ("production", "bob", "jupyter_server:HeaderIdentityProvider")]
