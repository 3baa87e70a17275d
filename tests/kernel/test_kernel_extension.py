"""The extension in a real IPython shell: hooks, cell records, %%track, %mlm, fail-safety."""

from __future__ import annotations

import logging
import os
from typing import Any

import pandas as pd
import pytest

import mlm_jupyter as mlm
from mlm_jupyter.core.fingerprint import fingerprint
from mlm_jupyter.kernel import extension
from mlm_jupyter.tracking.client import MlmClient


def run(shell: Any, source: str) -> Any:
    """Run a cell as a front end would (history on, so execution counts advance)."""
    return shell.run_cell(source, store_history=True)


def history(client: MlmClient) -> Any:
    return client.cell_history()


def test_every_cell_is_recorded_with_source_timing_and_outcome(ip: Any, client: MlmClient) -> None:
    run(ip, "a = 1")
    run(ip, "b = a + 1")
    run(ip, "raise ValueError('boom')")
    frame = history(client)
    cells = frame[frame["source"].isin(["a = 1", "b = a + 1", "raise ValueError('boom')"])]
    assert list(cells["source"]) == ["a = 1", "b = a + 1", "raise ValueError('boom')"]
    assert list(cells["success"]) == [True, True, False]
    failed = cells.iloc[2]
    assert failed["error_type"] == "ValueError" and failed["error_message"] == "boom"
    assert (cells["duration"] >= 0).all()
    assert cells["execution_count"].is_monotonic_increasing
    assert list(cells.iloc[1]["names_read"]) == ["a"] and list(cells.iloc[1]["names_written"]) == ["b"]
    assert cells["session_id"].nunique() == 1


def test_a_source_run_many_times_is_stored_once(ip: Any, client: MlmClient) -> None:
    for _ in range(20):
        run(ip, "x = 41 + 1")
    frame = history(client)
    assert (frame["source"] == "x = 41 + 1").sum() == 20
    stored = client.sql("SELECT count(*) AS n FROM cell_sources WHERE source = 'x = 41 + 1'")
    assert int(stored["n"][0]) == 1


def test_syntax_errors_unicode_and_huge_sources_are_recorded(ip: Any, client: MlmClient) -> None:
    bad = run(ip, "x = (")
    assert not bad.success
    assert run(ip, "données = 'héllo ✓ 🚀'\nrésultat = données * 2").success
    huge = "blob = '" + "ab" * 1_000_000 + "'\nsize = len(blob)"
    assert run(ip, huge).success
    frame = history(client).set_index("source")
    assert frame.loc["x = ("]["error_type"] == "SyntaxError"
    assert set(frame.loc["données = 'héllo ✓ 🚀'\nrésultat = données * 2"]["names_written"]) == {"données", "résultat"}
    assert bool(frame.loc[huge]["success"])
    assert ip.user_ns["résultat"] == "héllo ✓ 🚀" * 2


def test_double_load_does_not_double_record_and_unload_removes_everything(ip: Any, client: MlmClient) -> None:
    run(ip, "%load_ext mlm_jupyter")
    import mlm_jupyter

    mlm_jupyter.load_ipython_extension(ip)  # a second direct load is a no-op
    assert ip.events.callbacks["post_run_cell"].count(extension.extension_for(ip)._post) == 1
    run(ip, "once = 1")
    assert (history(client)["source"] == "once = 1").sum() == 1
    run(ip, "%unload_ext mlm_jupyter")
    assert "track" not in ip.magics_manager.magics["cell"]
    assert "mlm" not in ip.magics_manager.magics["line"]
    run(ip, "after_unload = 1")
    assert (history(client)["source"] == "after_unload = 1").sum() == 0
    run(ip, "%load_ext mlm_jupyter")
    run(ip, "reloaded = 1")
    assert (history(client)["source"] == "reloaded = 1").sum() == 1


def test_a_hook_that_raises_inside_never_breaks_the_cell(ip: Any, client: MlmClient, monkeypatch: pytest.MonkeyPatch,
                                                           caplog: pytest.LogCaptureFixture) -> None:
    capture = extension.extension_for(ip).capture

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("store exploded")

    assert capture.drain(30)  # the %load_ext cell is recorded before the store "explodes"
    monkeypatch.setattr(capture, "record", broken)
    with caplog.at_level(logging.DEBUG, logger="mlm_jupyter.kernel"):
        first = run(ip, "survivor = 1")
        second = run(ip, "survivor += 1")
        assert capture.drain(30)  # records are made on the capture's thread, after the cell
    assert first.success and second.success and ip.user_ns["survivor"] == 2
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING and "store exploded" in r.getMessage()]
    assert len(warnings) == 1  # logged once per kind
    assert extension.extension_for(ip).failsafe.failures["cell record"] == 2


def test_track_makes_a_run_with_literal_params_metrics_and_data(ip: Any, client: MlmClient) -> None:
    run(ip, "import numpy as np\nimport pandas as pd\ntrain = pd.DataFrame({'x': np.arange(100.0)})")
    result = run(ip, "%%track -e churn -n baseline\nlr = 0.01\nlayers = [64, 32]\nimport mlm_jupyter as mlm\n"
                     "mlm.log_param('extra', 'yes')\nmlm.log_metric('auc', 0.91)\nscaled = train * lr\n"
                     "scaled.shape")
    assert result.success and result.result == (100, 1)
    runs = client.search_runs(experiment="churn")
    assert len(runs) == 1
    tracked = client.get_run(runs["run_id"][0])
    assert tracked.name == "baseline" and tracked.status == "finished"
    assert tracked.params == {"lr": "0.01", "layers": "[64, 32]", "extra": "yes"}
    assert tracked.metrics == {"auc": 0.91}
    assert [(i.name, i.role) for i in tracked.inputs] == [("train", "input")]
    assert [(o.name, o.role) for o in tracked.outputs] == [("scaled", "output")]
    assert tracked.inputs[0].fingerprint.digest == mlm.fingerprint(ip.user_ns["train"]).digest
    assert tracked.cell is not None and tracked.cell["source"].startswith("%%track -e churn -n baseline")
    assert tracked.cell["success"] is True and tracked.cell["run_id"] == tracked.id
    assert len(tracked.cell["history"]) >= 1
    assert tracked.provenance["environment_digest"]
    assert tracked.staleness == ()
    assert mlm.active_run() is None


def test_rerunning_a_tracked_cell_links_to_the_previous_run(ip: Any, client: MlmClient) -> None:
    cell = "%%track -e rerun\nk = 3\nimport mlm_jupyter as mlm\nmlm.log_metric('m', k)"
    run(ip, cell)
    run(ip, cell)
    run(ip, cell)
    runs = client.search_runs(experiment="rerun", order_by=["attributes.start_time"])
    assert len(runs) == 3 and set(runs["status"]) == {"finished"}
    first, second, third = (client.get_run(r) for r in runs["run_id"])
    assert first.previous_run_id is None
    assert second.previous_run_id == first.id and third.previous_run_id == second.id


def test_failing_tracked_cell_marks_the_run_failed_and_shows_the_original_error(
        ip: Any, client: MlmClient, capsys: pytest.CaptureFixture[str]) -> None:
    result = run(ip, "%%track -e fails\nalpha = 0.5\nraise KeyError('missing column')")
    assert not result.success
    assert isinstance(result.error_in_exec, KeyError) and result.error_in_exec.args == ("missing column",)
    out = capsys.readouterr().out
    assert "KeyError" in out and "missing column" in out
    runs = client.search_runs(experiment="fails")
    failed = client.get_run(runs["run_id"][0])
    assert failed.status == "failed" and failed.params == {"alpha": "0.5"}
    assert "KeyError: 'missing column'" in failed.cell["traceback"]
    assert "mlm_jupyter" not in failed.cell["traceback"]
    assert failed.cell["success"] is False and failed.cell["error_type"] == "KeyError"
    assert mlm.active_run() is None
    assert run(ip, "%%track -e fails\nbeta = 1").success  # no "run already active" afterwards


def test_track_never_fails_with_run_already_active(ip: Any, client: MlmClient) -> None:
    run(ip, "import mlm_jupyter as mlm\nouter = mlm.start_run(experiment='manual')")
    assert run(ip, "%%track -e nested\nv = 1").success
    leaky = "%%track -e nested\nimport mlm_jupyter as mlm\nmlm.start_run(experiment='leaky', nested=True)\nv = 2"
    assert run(ip, leaky).success  # the child run left active is ended with the tracked run
    assert mlm.active_run() is not None and mlm.active_run().experiment == "manual"
    run(ip, "mlm.end_run()")
    nested = client.search_runs(experiment="nested")
    assert len(nested) == 2 and set(nested["status"]) == {"finished"}


def test_summary_line_shows_run_and_metrics(ip: Any, client: MlmClient, capsys: pytest.CaptureFixture[str]) -> None:
    run(ip, "%%track -e summary -n shown\nimport mlm_jupyter as mlm\nmlm.log_metric('acc', 0.875)")
    out = capsys.readouterr().out
    line = next(line for line in out.splitlines() if "run shown" in line)
    assert "finished" in line and "acc=0.875" in line


def test_track_with_bad_arguments_prints_usage_and_does_not_raise(ip: Any, client: MlmClient,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    assert run(ip, "%%track --bogus\nx = 1").success
    assert "Usage: %%track" in capsys.readouterr().out


def test_mlm_magic_commands(ip: Any, client: MlmClient, capsys: pytest.CaptureFixture[str]) -> None:
    run(ip, "%%track -e magic\nq = 1")
    frame = ip.run_line_magic("mlm", 'sql "SELECT count(*) AS n FROM runs"')
    assert int(frame["n"][0]) == 1
    status = ip.run_line_magic("mlm", "status")
    assert status.loc["backend", "value"] == "duckdb" and int(status.loc["runs", "value"]) == 1
    cells = ip.run_line_magic("mlm", "history --table")
    assert "source" in cells.columns and len(cells) >= 1
    shown = ip.run_line_magic("mlm", "runs magic")  # the runs widget when installed, else a DataFrame
    assert shown is not None
    from mlm_jupyter.kernel import mlm_magic

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(mlm_magic, "_widget", lambda name: None)
        runs = ip.run_line_magic("mlm", "runs magic")
        assert isinstance(runs, pd.DataFrame) and len(runs) == 1
        history_frame = ip.run_line_magic("mlm", "history")
        assert isinstance(history_frame, pd.DataFrame) and "q = 1" in "".join(history_frame["source"])
    assert ip.run_line_magic("mlm", 'sql "DELETE FROM runs"') is None
    assert "read-only" in capsys.readouterr().out
    assert run(ip, "%mlm nonsense").success


def test_kernel_owner_is_set_inside_a_kernel_without_touching_the_environment(
        shell: Any, client: MlmClient, monkeypatch: pytest.MonkeyPatch) -> None:
    from mlm_jupyter.kernel import session
    from mlm_jupyter.tracking import run_owner

    monkeypatch.setattr(session, "kernel_id", lambda: "abc-123")
    monkeypatch.delenv("MLM_RUN_OWNER", raising=False)
    extension.unload(shell)
    extension._captures.pop(shell, None)
    environment = dict(os.environ)
    try:
        extension.load(shell)
        assert run_owner.run_owner() == "kernel:abc-123"
        assert dict(os.environ) == environment  # an invisible extension sets no environment variable
        run = client.create_run("owned")
        assert client.sql("SELECT owner FROM runs WHERE id = ?", run.id)["owner"].tolist() == ["kernel:abc-123"]
    finally:
        extension.unload(shell)
        extension._captures.pop(shell, None)
        run_owner.set_run_owner(None)


def test_notebook_cells_are_matched_by_source(ip: Any, client: MlmClient, tmp_path: Any) -> None:
    import json

    cells = [{"cell_type": "code", "id": "c-first", "source": "first = 1", "metadata": {}, "outputs": [],
              "execution_count": None},
             {"cell_type": "markdown", "id": "m-note", "source": "# note", "metadata": {}},
             {"cell_type": "code", "id": "c-second", "source": ["second = ", "first + 1\n"], "metadata": {},
              "outputs": [], "execution_count": None}]
    path = tmp_path / "matched.ipynb"
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    run(ip, f"%mlm notebook {path}")
    run(ip, "first = 1")
    run(ip, "second = first + 1")
    run(ip, "elsewhere = 3")
    frame = client.cell_history(notebook=str(path)).set_index("source")
    assert frame.loc["first = 1"]["cell_id"] == "c-first"
    assert frame.loc["second = first + 1"]["cell_id"] == "c-second"
    assert frame.loc["second = first + 1"]["notebook_index"] == 1
    assert pd.isna(frame.loc["elsewhere = 3"]["cell_id"])
    os.environ.pop("MLM_NOTEBOOK", None)


def test_cell_ids_sent_by_the_front_end_are_recorded(ip: Any, client: MlmClient) -> None:
    ip.run_cell("from_lab = 1", store_history=True, cell_id="lab-cell-7")
    frame = history(client).set_index("source")
    assert frame.loc["from_lab = 1"]["cell_id"] == "lab-cell-7"
    assert frame.loc["from_lab = 1"]["cell_id_source"] == "frontend"


def test_kernel_id_comes_from_the_connection_file_name(monkeypatch: pytest.MonkeyPatch) -> None:
    import ipykernel.connect

    from mlm_jupyter.kernel.session import kernel_id

    monkeypatch.setattr(ipykernel.connect, "get_connection_file",
                        lambda: "/run/jupyter/kernel-0b8e7d2c-1111-4a4a-9c9c-123456789abc.json")
    assert kernel_id() == "0b8e7d2c-1111-4a4a-9c9c-123456789abc"
    monkeypatch.setattr(ipykernel.connect, "get_connection_file", lambda: "/tmp/tmpsz8g5w62.json")
    assert kernel_id() is None


def test_interrupted_tracked_cell_marks_the_run_killed(ip: Any, client: MlmClient) -> None:
    result = run(ip, "%%track -e interrupted\nsteps = 10\nraise KeyboardInterrupt")
    assert not result.success
    runs = client.search_runs(experiment="interrupted")
    assert list(runs["status"]) == ["killed"]
    assert mlm.active_run() is None


def test_syntax_error_in_a_tracked_body_makes_no_run(ip: Any, client: MlmClient) -> None:
    result = run(ip, "%%track -e syntax\nx = (")
    assert isinstance(result.error_in_exec, SyntaxError)
    assert len(client.search_runs(experiment="syntax")) == 0
    assert mlm.active_run() is None


def test_cells_edited_after_they_ran_make_a_tracked_run_stale(ip: Any, client: MlmClient, tmp_path: Any) -> None:
    import json
    import time

    def save(sources: dict[str, str]) -> None:
        cells = [{"cell_type": "code", "id": cid, "source": src, "metadata": {}, "outputs": [],
                  "execution_count": None} for cid, src in sources.items()]
        path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))

    path = tmp_path / "lab.ipynb"
    tracked = "%%track -e lab\nscore = base * 2"
    save({"c1": "base = 1", "c2": tracked})
    run(ip, f"%mlm notebook {path}")
    ip.run_cell("base = 1", store_history=True, cell_id="c1")
    ip.run_cell(tracked, store_history=True, cell_id="c2")
    time.sleep(0.05)
    save({"c1": "base = 100", "c2": tracked})  # the user edits cell 1 and the notebook is saved
    ip.run_cell(tracked, store_history=True, cell_id="c2")
    runs = client.search_runs(experiment="lab", order_by=["attributes.start_time"])
    first, second = (client.get_run(r) for r in runs["run_id"])
    assert first.staleness == ()
    assert second.staleness == ("`base` comes from code cell 1, which was edited after it ran",)
    assert second.previous_run_id == first.id and second.cell["cell_id"] == "c2"
    os.environ.pop("MLM_NOTEBOOK", None)


def test_paths_to_files_are_fingerprinted_per_cell(ip: Any, client: MlmClient, tmp_path: Any) -> None:
    data = tmp_path / "train.csv"
    data.write_text("a,b\n1,2\n")
    ip.user_ns["data_path"] = data
    run(ip, "first_look = data_path")
    assert extension.extension_for(ip).capture.drain(30)  # hashed after the cell, before the file changes
    data.write_text("a,b\n1,2\n3,4\n")
    run(ip, "second_look = data_path")
    frame = history(client).set_index("source")
    first = {d["name"]: d for d in client.cell_data(frame.loc["first_look = data_path"]["record_id"])}
    second = {d["name"]: d for d in client.cell_data(frame.loc["second_look = data_path"]["record_id"])}
    assert first["data_path"]["kind"] == "file" and first["data_path"]["role"] == "read"
    assert first["first_look"]["role"] == "write"
    assert second["data_path"]["digest"] != first["data_path"]["digest"] and second["data_path"]["changed"] is True


def test_values_are_recorded_as_their_cell_left_them_when_the_next_cell_changes_them_first(
        ip: Any, client: MlmClient, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run All: no pause between the cells, so both are hashed later, after the second changed the data."""
    monkeypatch.setattr(extension.extension_for(ip).capture, "IDLE_GAP", 60.0)  # no pause until history is read
    data = tmp_path / "rows.csv"
    data.write_text("a\n1\n")
    ip.user_ns["data"] = str(data)
    first_cell = "import numpy as np, pandas as pd\ndf = pd.DataFrame({'a': [1.0, 2.0]})\nx = np.arange(3.0)\nsrc = data"
    second_cell = "df.loc[0, 'a'] = 99.0\nx += 1\nsrc = data"
    run(ip, first_cell)
    run(ip, second_cell)
    data.write_text("a\n1\n2\n")
    assert extension.extension_for(ip).capture.worker.pending >= 2  # neither cell hashed yet
    frame = history(client).set_index("source")
    first = {d["name"]: d for d in client.cell_data(frame.loc[first_cell]["record_id"])}
    second = {d["name"]: d for d in client.cell_data(frame.loc[second_cell]["record_id"])}
    for name in ("df", "x"):
        assert second[name]["digest"] != first[name]["digest"] and second[name]["changed"] is True, name
    assert first["df"]["digest"] == fingerprint(pd.DataFrame({"a": [1.0, 2.0]}), profile=False).digest
    # the file was rewritten before either cell was hashed: left alone rather than recorded in its new state
    assert "data" not in first and "data" not in second


def test_literals_that_cannot_be_params_are_skipped(ip: Any, client: MlmClient) -> None:
    result = run(ip, "%%track -e literals\nsmall = 3\nhuge = " + repr(list(range(20_000))))
    assert result.success
    tracked = client.get_run(client.search_runs(experiment="literals")["run_id"][0])
    assert tracked.params == {"small": "3"}


def test_big_uncacheable_arrays_are_not_rehashed_by_plain_cells_but_tracked_runs_keep_them(
        ip: Any, client: MlmClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLM_CELL_REHASH_LIMIT", "10000")  # bytes
    run(ip, "import numpy as np\nsmall = np.arange(10.0)\nbig = np.arange(100_000.0)")
    run(ip, "total = small.sum() + big.sum()")
    frame = history(client).set_index("source")
    touched = {d["name"] for d in client.cell_data(frame.loc["total = small.sum() + big.sum()"]["record_id"])}
    assert "small" in touched and "big" not in touched
    run(ip, "%%track -e big-arrays\nmean = big.mean()")
    tracked = client.get_run(client.search_runs(experiment="big-arrays")["run_id"][0])
    assert "big" in {i.name for i in tracked.inputs}
