"""``mlm.gather`` / ``mlm.reproduce``: sessions recorded in a real IPython shell, re-run in a fresh kernel.

Each test plays a notebook session the way a user does (out of order, redefining names, seeding in an
earlier cell, reading files, mutating objects through methods, editing and deleting cells), then
reproduces the tracked run with nbclient in a new kernel and checks the verdict and its explanation.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import nbformat
import pytest

import mlm_jupyter as mlm
from mlm_jupyter.kernel import extension
from mlm_jupyter.tracking.client import MlmClient

pytestmark = pytest.mark.slow


def play(ip: Any, *sources: str | tuple[str, str]) -> None:
    """Execute cells in the given order; a ``(cell_id, source)`` pair is sent with a front-end cell id."""
    for item in sources:
        cell_id, source = item if isinstance(item, tuple) else (None, item)
        result = ip.run_cell(source, store_history=True, cell_id=cell_id)
        assert result.success, result.error_in_exec or result.error_before_exec


def tracked_run(client: MlmClient, experiment: str) -> str:
    frame = client.search_runs(experiment=experiment, order_by=["attributes.start_time desc"])
    return str(frame["run_id"][0])


def code_sources(notebook: Any) -> list[str]:
    return [c.source for c in notebook.cells if c.cell_type == "code"]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "project"
    folder.mkdir()
    monkeypatch.chdir(folder)
    return folder


def test_out_of_order_redefined_session_reproduces_exactly(ip: Any, client: MlmClient, project: Path) -> None:
    play(ip, "import numpy as np", "scale = 5", "x = np.arange(10.0)", "noise = 'not needed'", "x = x * 3",
         "scale = 2",
         "%%track -e det -n total\nimport mlm_jupyter as mlm\nlr = 0.5\ntotal = float((x * scale).sum()) * lr\n"
         "mlm.log_metric('total', total)\nprint('total is', total)")
    run_id = tracked_run(client, "det")

    notebook = mlm.gather(run_id)
    sources = code_sources(notebook)
    assert sources[0] == "%load_ext mlm_jupyter"  # the gathered notebook loads the extension itself
    assert sources[1:-1] == ["import numpy as np", "x = np.arange(10.0)", "x = x * 3", "scale = 2"]

    result = mlm.reproduce(run_id, timeout=120)

    assert result.verdict == "reproduced", result.summary()
    assert result.differences == ()
    original = client.get_run(run_id)
    assert original.tags["mlm.reproduced"] == "reproduced"
    record = client.get_run(result.reproduction_run_id)
    assert record.tags["mlm.reproduction_of"] == run_id
    assert record.params["lr"] == "0.5" and record.metrics["total"] == pytest.approx(135.0)
    assert mlm.reproductions(run_id)[0]["verdict"] == "reproduced"


def test_a_seed_set_in_an_earlier_cell_and_the_draws_after_it_are_kept(ip: Any, client: MlmClient,
                                                                        project: Path) -> None:
    play(ip, "import numpy as np", "np.random.seed(7)", "warmup = np.random.rand(3)", "label = 'x'",
         "%%track -e seeded -n draw\nimport mlm_jupyter as mlm\nvalue = float(np.random.rand())\n"
         "mlm.log_metric('value', value)")
    run_id = tracked_run(client, "seeded")

    sources = code_sources(mlm.gather(run_id))
    assert "np.random.seed(7)" in sources and "warmup = np.random.rand(3)" in sources
    assert "label = 'x'" not in sources

    result = mlm.reproduce(run_id, timeout=120)
    assert result.verdict == "reproduced", result.summary()


def test_an_estimator_without_random_state_is_named_as_the_cause(ip: Any, client: MlmClient,
                                                                 project: Path) -> None:
    play(ip, "import numpy as np\nfrom sklearn.ensemble import GradientBoostingRegressor",
         "rng = np.random.default_rng(0)\nX = rng.normal(size=(300, 5))\ny = X[:, 0] * 3 + rng.normal(size=300)",
         "%%track -e gbr -n fit\nimport mlm_jupyter as mlm\n"
         "model = GradientBoostingRegressor(n_estimators=20, subsample=0.5).fit(X, y)\n"
         "mlm.log_metric('train_error', float(((model.predict(X) - y) ** 2).mean()))")
    run_id = tracked_run(client, "gbr")

    result = mlm.reproduce(run_id, timeout=120)

    assert result.verdict == "differs"
    assert result.differences[0].kind == "metric" and result.differences[0].name == "train_error"
    assert any("GradientBoostingRegressor" in reason and "random_state" in reason for reason in result.reasons)
    record = client.get_run(result.reproduction_run_id)
    assert record.tags["mlm.reproduction.verdict"] == "differs"
    assert "train_error" in record.tags["mlm.reproduction.difference"]


def test_a_file_changed_since_the_run_is_named(ip: Any, client: MlmClient, project: Path) -> None:
    (project / "data.csv").write_text("a,b\n1,2\n3,4\n")
    play(ip, "import pandas as pd", "df = pd.read_csv('data.csv')",
         "%%track -e files -n mean\nimport mlm_jupyter as mlm\nmlm.log_metric('mean_a', float(df['a'].mean()))")
    run_id = tracked_run(client, "files")
    assert any(item.name == "file:data.csv" for item in client.get_run(run_id).inputs)

    (project / "data.csv").write_text("a,b\n10,2\n30,4\n")
    notebook = mlm.gather(run_id)
    assert "file `data.csv` changed since the run" in notebook.cells[0].source

    result = mlm.reproduce(run_id, timeout=120)
    assert result.verdict == "differs"
    assert "input data" in result.differences[0].kind or result.differences[0].name == "mean_a"
    assert any("data.csv changed" in reason for reason in result.reasons)


def test_mutations_through_methods_are_replayed(ip: Any, client: MlmClient, project: Path) -> None:
    play(ip, "values = [3, 1, 2]", "values.sort()", "other = []", "values.append(10)",
         "%%track -e mutate -n sum\nimport mlm_jupyter as mlm\nresults = {}\nfor v in values:\n"
         "    results[v] = v * 2\nmlm.log_metric('first', values[0])\nmlm.log_metric('n', len(results))")
    run_id = tracked_run(client, "mutate")
    run = client.get_run(run_id)
    assert "results" not in run.params  # an accumulator filled in the cell is not a hyperparameter

    assert code_sources(mlm.gather(run_id))[1:-1] == ["values = [3, 1, 2]", "values.sort()", "values.append(10)"]
    assert mlm.reproduce(run_id, timeout=120).verdict == "reproduced"


def test_edited_and_deleted_cells_run_from_their_recorded_source(ip: Any, client: MlmClient,
                                                                 project: Path) -> None:
    path = project / "analysis.ipynb"
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell("base = 10"), nbformat.v4.new_code_cell("step = 3"),
                      nbformat.v4.new_code_cell("%%track -e edits -n use\nimport mlm_jupyter as mlm\n"
                                                "mlm.log_metric('value', base + step)")]
    for index, cell in enumerate(notebook.cells):
        cell.id = f"cell-{index}"
    nbformat.write(notebook, path)
    extension._captures[ip].set_notebook(str(path))
    play(ip, ("cell-0", "base = 10"), ("cell-1", "step = 3"), ("cell-2", notebook.cells[2].source))
    run_id = tracked_run(client, "edits")
    document = json.loads(path.read_text())  # then the user edits the first cell and deletes the second
    document["cells"][0]["source"] = "base = 1000"
    del document["cells"][1]
    path.write_text(json.dumps(document))

    gathered = mlm.gather(run_id)

    notes = [c.source for c in gathered.cells if c.cell_type == "markdown"]
    assert any("edited since" in note for note in notes)
    assert any("deleted since" in note for note in notes)
    assert code_sources(gathered)[1:3] == ["base = 10", "step = 3"]
    assert mlm.reproduce(run_id, timeout=120).verdict == "reproduced"


def test_a_file_that_is_gone_makes_the_reproduction_fail_with_the_error(ip: Any, client: MlmClient,
                                                                       project: Path) -> None:
    (project / "rows.txt").write_text("1\n2\n3\n")
    play(ip, "rows = open('rows.txt').read().split()",
         "%%track -e gone -n count\nimport mlm_jupyter as mlm\nmlm.log_metric('rows', len(rows))")
    run_id = tracked_run(client, "gone")
    (project / "rows.txt").unlink()

    result = mlm.reproduce(run_id, timeout=120, record=False)

    assert result.verdict == "failed"
    assert "FileNotFoundError" in (result.error or "")
    assert any("rows.txt no longer exists" in reason for reason in result.reasons)
    assert result.reproduction_run_id is None


def test_the_command_line_prints_the_verdict_and_exits_by_it(ip: Any, client: MlmClient, project: Path) -> None:
    from click.testing import CliRunner

    from mlm_jupyter.cli.main import cli

    play(ip, "k = 4", "%%track -e cli -n square\nimport mlm_jupyter as mlm\nmlm.log_metric('sq', k * k)")
    run_id = tracked_run(client, "cli")
    client.flush()
    result = CliRunner().invoke(cli, ["--store", str(client.store.directory), "reproduce", run_id, "--json",
                                      "--no-record"], obj={})
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["verdict"] == "reproduced"


def test_session_diff_of_two_runs_names_the_edited_added_and_removed_cells(ip: Any, client: MlmClient,
                                                                           project: Path) -> None:
    play(ip, ("c1", "a = 1"), ("c2", "b = 2"), ("c3", "%%track -e diff -n first\nresult = a + b"))
    first = tracked_run(client, "diff")
    play(ip, ("c1", "a = 10"), ("c4", "c = 3"), ("c3", "%%track -e diff -n second\nresult = a + b + c"))
    second = tracked_run(client, "diff")

    diff = mlm.session_diff(first, second)

    assert [(row["change"], row["cell_id"]) for row in diff["cells"]] == [
        ("changed", "c1"), ("added", "c4"), ("changed", "c3")]
    assert diff["counts"] == {"added": 1, "removed": 0, "changed": 2}
    assert "+a = 10" in diff["cells"][0]["diff"]
    whole = mlm.session_diff(first, second, scope="session")  # every cell run before each
    assert whole["counts"]["added"] == 1 and whole["counts"]["changed"] == 2


def test_gather_by_model_uri_finds_the_tracked_cell_that_logged_the_model(ip: Any, client: MlmClient,
                                                                         project: Path) -> None:
    play(ip, "xs = [[0.0], [1.0], [2.0]]\nys = [0.0, 1.0, 2.0]", "unused = 1",
         "%%track -e models -n fit\nimport mlm_jupyter as mlm\nfrom sklearn.linear_model import LinearRegression\n"
         "model = LinearRegression().fit(xs, ys)\nmlm.log_model(model, name='lin')")
    mlm.set_alias("lin", "production", version=1)

    for uri in ("models:/lin/1", "models:/lin@production"):
        sources = code_sources(mlm.gather(uri))
        assert sources[1] == "xs = [[0.0], [1.0], [2.0]]\nys = [0.0, 1.0, 2.0]" and "unused = 1" not in sources


def test_a_cell_that_prints_something_else_differs_on_its_printed_output(ip: Any, client: MlmClient,
                                                                         project: Path) -> None:
    play(ip, "import time", "%%track -e printed -n clock\nvalue = 3\nprint('value', value)\nprint('at', time.time())")
    run_id = tracked_run(client, "printed")

    result = mlm.reproduce(run_id, timeout=120, record=False)

    assert result.verdict == "differs"
    assert [d.kind for d in result.differences] == ["printed output"]
    assert result.differences[0].original.startswith("at ") and result.differences[0].reproduced.startswith("at ")
    assert any("time.time" in reason for reason in result.reasons)
