"""A run made by ``mlm.start_run()`` in a plain cell is tied to that cell: code, history's "runs created", compare."""

from __future__ import annotations

from typing import Any

from mlm_jupyter.tracking.client import MlmClient

CELL = """import mlm_jupyter as mlm
with mlm.start_run(experiment="plain-cells", name="{name}") as run_{name}:
    lr = {lr}
    mlm.log_metric("loss", lr)
"""


def run_cell(shell: Any, source: str) -> None:
    result = shell.run_cell(source, store_history=True)
    assert result.success, result.error_in_exec


def test_runs_started_in_plain_cells_know_their_cell(ip: Any, client: MlmClient) -> None:
    run_cell(ip, CELL.format(name="a", lr=0.1))
    run_cell(ip, "x = 1")
    run_cell(ip, CELL.format(name="b", lr=0.2))
    a, b = ip.user_ns["run_a"].id, ip.user_ns["run_b"].id
    client.flush_cells()
    run = client.get_run(a)
    assert run.cell is not None and "lr = 0.1" in run.code
    assert run.cell["session_id"]
    history = client.cell_history()
    made = dict(zip(history["run_id"], history["source"]))
    assert "lr = 0.1" in made[a] and "lr = 0.2" in made[b]
    assert history[history["source"] == "x = 1"]["run_id"].isna().all()

    from mlm_jupyter.widgets.comparison import code_diff

    diff = code_diff([client.get_run(a), client.get_run(b)])
    assert "-    lr = 0.1" in diff and "+    lr = 0.2" in diff


def test_a_run_left_open_is_tied_to_the_cell_that_started_it(ip: Any, client: MlmClient) -> None:
    run_cell(ip, "import mlm_jupyter as mlm\nopen_run = mlm.start_run(experiment='plain-cells', name='open')")
    run_cell(ip, "mlm.log_metric('loss', 0.5)\nmlm.end_run()")
    run = client.get_run(ip.user_ns["open_run"].id)
    assert "name='open'" in (run.code or "")


def test_runs_made_before_the_extension_loaded_are_not_tied_to_the_loading_cell(
        shell: Any, client: MlmClient) -> None:
    from mlm_jupyter.kernel import extension

    extension.unload(shell)
    extension._captures.pop(shell, None)
    run_cell(shell, CELL.format(name="before", lr=0.3))  # no capture yet
    try:
        run_cell(shell, "%load_ext mlm_jupyter\nwith mlm.start_run(experiment='plain-cells') as run_after:\n"
                        "    pass")
        client.flush_cells()
        assert client.get_run(shell.user_ns["run_before"].id).cell is None
        assert "run_after" in (client.get_run(shell.user_ns["run_after"].id).code or "")
    finally:
        shell.run_cell("%unload_ext mlm_jupyter", store_history=True)
        extension.unload(shell)
        extension._captures.pop(shell, None)
