"""``mlm.gather``: the minimal notebook that reproduces a tracked run, from a real IPython session."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import nbformat
import pytest

import mlm_jupyter as mlm
from mlm_jupyter.core.errors import NotFoundError
from mlm_jupyter.core.gather import HistoryCell, slice_history
from mlm_jupyter.tracking.client import MlmClient


def test_slice_keeps_only_the_cells_a_target_depends_on() -> None:
    history = [
        HistoryCell("import math"),
        HistoryCell("data = [1, 2, 3]"),
        HistoryCell("unrelated = 'noise'"),
        HistoryCell("scale = 2"),
        HistoryCell("data = [x * scale for x in data]"),
        HistoryCell("boom = 1 / 0", success=False),
        HistoryCell("print(unrelated)"),
    ]
    assert slice_history(history, "total = math.fsum(data)") == [0, 1, 3, 4]


def test_slice_keeps_unparsable_cells_while_something_is_needed() -> None:
    history = [HistoryCell("x = 1"), HistoryCell("x = = 1")]
    assert slice_history(history, "y = x + 1") == [0, 1]


def test_gather_writes_a_notebook_that_reproduces_the_run(ip: Any, client: MlmClient, tmp_path: Path) -> None:
    for source in ("import statistics", "values = [3, 1, 2]", "noise = 'unused'", "values.sort()",
                   "%%track -e gather -n mean-run\nmean = statistics.mean(values)\nmlm_metric = mean"):
        assert ip.run_cell(source, store_history=True).success
    ip.run_cell("import mlm_jupyter as mlm", store_history=True)
    run_id = client.search_runs(experiment="gather")["run_id"][0]

    notebook = mlm.gather(run_id, tmp_path / "gathered.ipynb")

    sources = [c.source for c in notebook.cells if c.cell_type == "code"]
    assert sources[:-1] == ["%load_ext mlm_jupyter", "import statistics", "values = [3, 1, 2]", "values.sort()"]
    assert sources[-1].startswith("%%track -e gather -n mean-run")
    on_disk = nbformat.read(tmp_path / "gathered.ipynb", as_version=4)
    assert on_disk.metadata["mlm"]["gathered_from"] == run_id


def test_gather_refuses_runs_without_a_tracked_cell(client: MlmClient) -> None:
    with mlm.start_run() as run:
        pass
    with pytest.raises(NotFoundError, match="%%track"):
        mlm.gather(run.id)


def test_gather_from_the_command_line(ip: Any, client: MlmClient, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from mlm_jupyter.cli.main import cli

    for source in ("base = 10", "%%track -e cli-gather\nresult = base * 2"):
        assert ip.run_cell(source, store_history=True).success
    run_id = client.search_runs(experiment="cli-gather")["run_id"][0]
    client.flush_cells()
    target = tmp_path / "out.ipynb"
    result = CliRunner().invoke(cli, ["runs", "gather", run_id, "-o", str(target)], obj={})
    assert result.exit_code == 0, result.output
    sources = [c.source for c in nbformat.read(target, as_version=4).cells if c.cell_type == "code"]
    assert sources[:2] == ["%load_ext mlm_jupyter", "base = 10"]


def test_a_tracked_run_exposes_its_code(ip: Any, client: MlmClient) -> None:
    assert ip.run_cell("%%track -e code\nanswer = 42", store_history=True).success
    run = client.get_run(client.search_runs(experiment="code")["run_id"][0])
    assert run.code is not None and "answer = 42" in run.code


def test_gather_names_what_was_defined_before_capture(ip: Any, client: MlmClient, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from mlm_jupyter.cli.main import cli

    ip.user_ns["X_before_load"] = [1, 2]  # as if set by a cell run before %load_ext mlm_jupyter
    assert ip.run_cell("%%track -e gather-missing\ntotal = sum(X_before_load)", store_history=True).success
    run_id = client.search_runs(experiment="gather-missing")["run_id"][0]
    notebook = mlm.gather(run_id)
    assert notebook.metadata["mlm"]["unresolved_names"] == ["X_before_load"]
    assert "`X_before_load`" in notebook.cells[0].source
    result = CliRunner().invoke(cli, ["runs", "gather", run_id, "-o", str(tmp_path / "g.ipynb")], obj={})
    assert result.exit_code == 0 and "X_before_load" in result.output

