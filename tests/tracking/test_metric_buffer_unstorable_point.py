"""A point Arrow cannot hold (slipped past validation) is dropped with a warning; the others are stored."""

from __future__ import annotations

import time

import pytest

import mlm_jupyter as mlm
from mlm_jupyter.tracking.client import MlmClient


def test_one_unstorable_point_does_not_keep_the_rest_from_the_store(client: MlmClient,
                                                                    caplog: pytest.LogCaptureFixture) -> None:
    with mlm.start_run() as run:
        mlm.log_metric("loss", 0.5, step=0)
        client.buffer.append(run.id, "loss", 10**20, 0.4, time.time())  # beyond int64: was an OverflowError
        mlm.log_metric("loss", 0.3, step=2)                               # on every flush, end_run and get_run
    assert mlm.get_run(run.id).status == "finished"
    assert mlm.get_metric_history(run.id, "loss")["step"].tolist() == [0, 2]
    assert "dropped metric 'loss'" in caplog.text
