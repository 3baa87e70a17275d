"""``%%track`` links the data a cell reads automatically, but not twice when the cell already logged it."""

from __future__ import annotations

from typing import Any

import pandas as pd

from mlm_jupyter.tracking.client import MlmClient


def test_data_the_cell_logs_itself_is_not_linked_again_as_plain_input(ip: Any, client: MlmClient) -> None:
    ip.user_ns["train_df"] = pd.DataFrame({"x": [1.0, 2.0, 3.0], "y": [0, 1, 0]})
    ip.user_ns["other_df"] = pd.DataFrame({"z": [5, 6]})

    result = ip.run_cell("%%track -e inputs -n explicit\nimport mlm_jupyter as mlm\n"
                         "mlm.log_input(train_df, name='train', role='train')\nn = len(train_df) + len(other_df)",
                         store_history=True)

    assert result.success, result.error_in_exec
    run_id = client.search_runs(experiment="inputs")["run_id"].iloc[0]
    linked = sorted((item.name, item.role) for item in client.get_run(run_id).inputs)
    assert linked == [("other_df", "input"), ("train", "train")]
