"""``%%track`` with what users bring to it: their own start_run, a typo in the options, a broken finish."""

from __future__ import annotations

from typing import Any

import mlm_jupyter as mlm
from mlm_jupyter.kernel import extension
from mlm_jupyter.tracking import fluent
from mlm_jupyter.tracking.client import MlmClient


def run(shell: Any, source: str) -> Any:
    return shell.run_cell(source, store_history=True)


def _runs(client: MlmClient) -> Any:
    return client.sql("SELECT r.name, r.status, p.name AS parent FROM runs r "
                      "LEFT JOIN runs p ON p.id = r.parent_run_id ORDER BY r.start_time")


def test_start_run_inside_a_tracked_cell_makes_a_child_run(ip: Any, client: MlmClient) -> None:
    for _ in range(2):  # and re-running it never says "already active"
        result = run(ip, "%%track -e habits -n outer\nimport mlm_jupyter as mlm\n"
                         "with mlm.start_run(name='inner'):\n    mlm.log_metric('loss', 0.5)")
        assert result.success, result.error_in_exec
    assert mlm.active_run() is None
    rows = _runs(client)
    assert rows["name"].tolist() == ["outer", "inner", "outer", "inner"]
    assert set(rows["status"]) == {"finished"}
    assert rows["parent"].tolist()[1::2] == ["outer", "outer"]


def test_a_plain_start_run_still_refuses_to_nest_silently(client: MlmClient) -> None:
    import pytest

    from mlm_jupyter.core.errors import RunAlreadyActiveError

    with mlm.start_run(provenance=False), pytest.raises(RunAlreadyActiveError):
        mlm.start_run()


def test_bad_track_options_run_the_cell_untracked_with_a_message(ip: Any, client: MlmClient, capsys: Any) -> None:
    result = run(ip, "%%track -x\ntyped_wrong = 2")
    assert result.success
    assert ip.user_ns["typed_wrong"] == 2
    assert "the cell runs untracked" in capsys.readouterr().out
    assert _runs(client).empty


def test_the_run_ends_even_when_finishing_it_breaks(ip: Any, client: MlmClient, monkeypatch: Any) -> None:
    capture = extension.extension_for(ip).capture

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("internal")

    monkeypatch.setattr(capture, "match", broken)  # used by _finish outside its per-step guards
    result = run(ip, "%%track -e habits -n fragile\nvalue = 1")
    assert result.success and ip.user_ns["value"] == 1
    assert fluent.active_run() is None
    assert _runs(client)["status"].tolist() == ["finished"]
    failing = run(ip, "%%track -e habits -n fragile-fail\nraise KeyError('k')")
    assert isinstance(failing.error_in_exec, KeyError)
    assert fluent.active_run() is None
    assert _runs(client)["status"].tolist() == ["finished", "failed"]


def test_log_calls_in_a_cell_that_runs_untracked_do_not_fail_it(ip: Any, client: MlmClient, monkeypatch: Any,
                                                                 capsys: Any) -> None:
    from mlm_jupyter.core.errors import CorruptStoreError

    def unusable(*args: Any, **kwargs: Any) -> Any:
        raise CorruptStoreError("mlm.duckdb is not a readable DuckDB store")

    monkeypatch.setattr(fluent, "start_run", unusable)
    result = run(ip, "%%track -e habits\nimport mlm_jupyter as mlm\nafter = 5\nmlm.log_param('p', 1)\n"
                     "mlm.log_metric('m', 1.0)\nmlm.log_metrics({'a': 1})\nmlm.set_tag('t', 'v')")
    assert result.success, result.error_in_exec
    assert ip.user_ns["after"] == 5
    assert "the cell runs untracked" in capsys.readouterr().out
    result = run(ip, "%%track -x\nmlm.log_metric('m', 2.0)")  # bad options: untracked too
    assert result.success, result.error_in_exec
    monkeypatch.undo()
    import pytest

    from mlm_jupyter.core.errors import NoActiveRunError

    with pytest.raises(NoActiveRunError):  # outside such a cell, logging without a run still says so
        mlm.log_metric("m", 1.0)


def test_tracking_warnings_go_to_the_kernel_log_not_the_cell_output(capsys: Any) -> None:
    import logging

    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    kernel_log = logging.getLogger("IPKernelApp.mlm_jupyter")
    kernel_log.addHandler(Keep())
    kernel_log.propagate = False
    handler = extension._route_package_log(kernel_log)
    try:
        logging.getLogger("mlm_jupyter").warning("could not store cell records yet")
    finally:
        extension._unroute_package_log(handler)
    assert [r.getMessage() for r in records] == ["could not store cell records yet"]
    assert "could not store" not in capsys.readouterr().err
    assert logging.getLogger("mlm_jupyter").propagate
    assert extension._route_package_log(logging.getLogger("mlm_jupyter.kernel")) is None  # plain IPython


def test_top_level_await_in_a_tracked_cell_says_what_to_do(ip: Any, client: MlmClient) -> None:
    run(ip, "async def three():\n    return 3")
    result = run(ip, "%%track -e habits\nanswer = await three()")
    assert isinstance(result.error_in_exec, SyntaxError)
    assert "with mlm.start_run(" in str(result.error_in_exec)
    assert _runs(client).empty and fluent.active_run() is None
