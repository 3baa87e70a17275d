"""The registry through RestStore and a real Jupyter server: same behaviour, same error classes."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import numpy as np
import pytest
from pytest_jupyter.jupyter_server import *  # noqa: F403  (jp_serverapp and friends)
from traitlets.config import Config

from mlm_jupyter.core.errors import IntegrityError, PromotionBlockedError, UntrustedModelError
from mlm_jupyter.store.rest_store import RestStore
from tests.in_process_server import LoopDriven, mlm_server_config
from mlm_jupyter.tracking.client import MlmClient


@pytest.fixture
def jp_server_config(store_dir: Path) -> Config:
    return mlm_server_config(store_dir)


@pytest.fixture
def remote(store_dir: Path, jp_serverapp: Any, jp_asyncio_loop: Any, http_server_client: Any) -> Iterator[MlmClient]:
    url = f"http://127.0.0.1:{jp_serverapp.port}{jp_serverapp.base_url}"
    backend = RestStore(url, token=jp_serverapp.identity_provider.token, directory=store_dir)
    client = MlmClient(LoopDriven(backend, jp_asyncio_loop))  # type: ignore[arg-type]
    yield client
    backend.close()


def test_log_promote_and_load_through_the_server(remote: MlmClient, store_dir: Path) -> None:
    from sklearn.linear_model import LogisticRegression

    x = np.array([[0.0], [1.0], [2.0], [3.0]])
    model = LogisticRegression().fit(x, [0, 0, 1, 1])
    versions = []
    for auc in (0.7, 0.95):
        run = remote.create_run("rest")
        remote.log_metric(run.id, "val_auc", auc)
        versions.append(remote.log_model(run.id, model, "churn", input_example=x[:2]))
        remote.end_run(run.id)
    assert [v.version for v in versions] == [1, 2]

    remote.set_promotion_rule("churn", "metric_threshold", metric="val_auc", op=">=", threshold=0.9)
    with pytest.raises(PromotionBlockedError, match="0.2 short"):
        remote.set_alias("churn", "production", 1)
    remote.set_alias("churn", "production", 2, reason="passes")
    loaded = remote.load_model("models:/churn@production")
    assert loaded.predict(x).tolist() == model.predict(x).tolist()
    assert remote.model_history("churn")["action"].tolist()[-2:] == ["promotion_blocked", "alias_set"]
    assert remote.model_loads("churn")["version"].tolist() == [2]
    assert remote.model_card("churn", "production").startswith("# Model card: churn v2")

    blob = store_dir / "artifacts" / versions[1].sha256[:2] / versions[1].sha256
    blob.write_bytes(blob.read_bytes()[:-1] + b"!")
    with pytest.raises(IntegrityError):
        remote.load_model("models:/churn/2")


def test_pickle_needs_trust_through_the_server(remote: MlmClient) -> None:
    run = remote.create_run("rest")
    remote.log_model(run.id, {"weights": [1, 2]}, "plain", flavor="pickle")
    with pytest.raises(UntrustedModelError):
        remote.load_model("models:/plain/1")
    assert remote.load_model("models:/plain/1", trust_pickle=True) == {"weights": [1, 2]}
