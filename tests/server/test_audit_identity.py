"""Over REST the server stamps who and when into the audit trail; a client cannot forge them (issue 11, item 3)."""

from __future__ import annotations

import getpass
import json
import time
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import pytest
from tornado.httpclient import HTTPClientError

from mlm_jupyter.store.rest_store import RestStore
from mlm_jupyter.tracking.client import MlmClient
from tests.in_process_server import LoopDriven

FORGED = "someone-else@example.com"


@pytest.fixture
def remote(store_dir: Path, jp_serverapp: Any, jp_asyncio_loop: Any, http_server_client: Any) -> Iterator[MlmClient]:
    url = f"http://127.0.0.1:{jp_serverapp.port}{jp_serverapp.base_url}"
    backend = RestStore(url, token=jp_serverapp.identity_provider.token, directory=store_dir)
    client = MlmClient(LoopDriven(backend, jp_asyncio_loop))  # type: ignore[arg-type]
    yield client
    backend.close()


def _model(remote: MlmClient) -> None:
    from sklearn.linear_model import LogisticRegression

    x = np.array([[0.0], [1.0], [2.0], [3.0]])
    run = remote.create_run("audit")
    for _ in range(2):
        remote.log_model(run.id, LogisticRegression().fit(x, [0, 0, 1, 1]), name="churn")
    remote.end_run(run.id)


def _post(jp_fetch: Any, loop: Any, parts: tuple[str, ...], body: dict[str, Any],
          headers: dict[str, str] | None = None) -> tuple[int, Any]:
    try:
        response = loop.run_until_complete(jp_fetch("mlm", "api", *parts, method="POST", body=json.dumps(body),
                                                    headers=headers or {}))
    except HTTPClientError as error:
        response = error.response
    return response.code, json.loads(response.body or b"null")


def test_a_forged_user_in_a_set_alias_op_is_replaced_by_the_server(remote: MlmClient, jp_fetch: Any,
                                                                    jp_asyncio_loop: Any) -> None:
    _model(remote)
    status, _ = _post(jp_fetch, jp_asyncio_loop, ("store", "write"), {"id": "forged-1", "ops": [
        {"kind": "set_alias", "args": {"name": "churn", "alias": "production", "version": 1, "reason": "x",
                                       "user": FORGED}}]})
    assert status == 200
    history = remote.model_history("churn")
    row = history[history["action"] == "alias_set"].iloc[-1]
    assert row["user"] == getpass.getuser() and row["user"] != FORGED
    assert row["identity_provider"] == "jupyter_server:token"


def test_a_forged_model_load_user_and_time_are_replaced(remote: MlmClient, jp_fetch: Any,
                                                        jp_asyncio_loop: Any) -> None:
    _model(remote)
    before = time.time()
    status, _ = _post(jp_fetch, jp_asyncio_loop, ("store", "write"), {"id": "forged-2", "ops": [
        {"kind": "record_model_load", "args": {"time": 0.0, "user": FORGED, "name": "churn", "version": 1,
                                               "sha256": "0" * 64, "uri": "models:/churn/1", "host": "h",
                                               "pid": 1}}]})
    assert status == 200
    loads = remote.model_loads("churn")
    assert loads["user_name"].tolist() == [getpass.getuser()]
    assert loads["time"].iloc[0].timestamp() >= before - 1  # the server's clock, not 1970
    assert loads["identity_provider"].tolist() == ["jupyter_server:token"]


def test_the_kernel_path_records_the_server_identity_too(remote: MlmClient) -> None:
    _model(remote)
    remote.set_alias("churn", "production", 2, reason="better")
    events = remote.model_events("churn")
    assert {e.identity_provider for e in events} == {"jupyter_server:token"}
    assert remote.load_model("models:/churn@production") is not None
    assert remote.model_loads("churn")["identity_provider"].tolist() == ["jupyter_server:token"]


def test_an_embedded_store_keeps_the_os_user(client: MlmClient) -> None:
    _model(client)
    client.set_alias("churn", "production", 1)
    assert {(e.user, e.identity_provider) for e in client.model_events("churn")} == {(getpass.getuser(), "local")}
