"""``attributes.status`` compares in any case: MLflow users write ``'FINISHED'``, the store keeps ``finished``."""

from __future__ import annotations

import mlm_jupyter as mlm
from mlm_jupyter.tracking.client import MlmClient


def test_status_matches_in_any_case(client: MlmClient) -> None:
    with mlm.start_run(name="done", provenance=False):
        pass
    failed = mlm.start_run(name="broke", provenance=False)
    mlm.end_run("failed")
    assert mlm.search_runs("attributes.status = 'FINISHED'")["name"].tolist() == ["done"]
    assert mlm.search_runs("attributes.status IN ('FAILED')")["run_id"].tolist() == [failed.id]
    assert mlm.search_runs("attributes.status != 'Finished'")["name"].tolist() == ["broke"]
