"""In a kernel, ``%load_ext`` registers light hooks that note the first cells; the capture starts in the first
pause between cells (or when something needs it) and records those cells first, in order, with the values
they left behind.

These tests drive a real IPython shell on an asyncio loop, as ipykernel does (``run_cell_async``), with a
``kernel`` attribute so the extension takes the kernel path; ``test_load_ext_footprint`` does the same in a
real kernel process.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from mlm_jupyter.core.fingerprint import fingerprint
from mlm_jupyter.kernel import extension
from mlm_jupyter.kernel.early_cells import EarlyCells
from mlm_jupyter.tracking.client import MlmClient


class _Kernel:
    """Stands for ipykernel's kernel on the shell (no ``do_shutdown``: nothing to wrap)."""


@pytest.fixture
def kernel_shell(shell: Any, client: MlmClient, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    extension.unload(shell)
    extension._captures.pop(shell, None)
    shell.extension_manager.loaded.discard("mlm_jupyter")  # IPython's own note that it is loaded
    monkeypatch.setattr(shell, "kernel", _Kernel(), raising=False)
    yield shell
    extension.unload(shell)
    extension._captures.pop(shell, None)
    shell.extension_manager.loaded.discard("mlm_jupyter")


def run_cells(shell: Any, sources: list[str], pause: float = 0.0) -> list[Any]:
    """Run the cells back to back on one event loop, as a kernel does for "Run All", then idle ``pause`` s.

    As ipykernel does: ``run_cell_async`` fires ``pre_run_cell``, the kernel fires ``post_run_cell`` after it."""
    async def run() -> list[Any]:
        results = []
        for source in sources:
            result = await shell.run_cell_async(source, store_history=True,
                                                transformed_cell=shell.transform_cell(source))
            shell.events.trigger("post_execute")
            shell.events.trigger("post_run_cell", result)
            results.append(result)
        if pause:
            await asyncio.sleep(pause)
        return results

    return asyncio.run(run())


def loaded(shell: Any) -> extension.Extension:
    found = extension.extension_for(shell)
    assert found is not None
    return found


def test_cells_before_the_first_pause_wait_in_the_hooks_and_are_recorded_in_order_once_it_comes(
        kernel_shell: Any) -> None:
    sources = ["%load_ext mlm_jupyter", "a = 1", "b = a + 1", "c = b * 2"]
    run_cells(kernel_shell, sources)
    ext = loaded(kernel_shell)
    assert not ext.started  # no pause yet: nothing but the early hooks
    assert ext._early is not None and [e.pending.source for e in ext._early.events] == sources
    run_cells(kernel_shell, ["d = c"], pause=start_gap() * 3)
    assert ext.started  # the pause after "d = c" started it
    capture = ext.capture
    assert capture.drain(60)
    assert [h.source for h in capture.history] == [*sources, "d = c"]
    assert [h.seq for h in capture.history] == list(range(5))


def start_gap() -> float:
    return extension.Extension.START_GAP


def test_needing_the_capture_inside_a_cell_starts_it_and_that_cell_is_recorded_after_the_earlier_ones(
        kernel_shell: Any) -> None:
    reader = "from mlm_jupyter.kernel.extension import extension_for\nstarted_inside = extension_for(get_ipython()).capture"
    run_cells(kernel_shell, ["%load_ext mlm_jupyter", "x = 1", reader, "y = 2"])
    ext = loaded(kernel_shell)
    assert ext.started and kernel_shell.user_ns["started_inside"] is ext.capture
    assert ext.capture.drain(60)
    history = ext.capture.history
    assert [h.source for h in history] == ["%load_ext mlm_jupyter", "x = 1", reader, "y = 2"]
    assert all(h.success for h in history)


def test_values_are_hashed_as_the_cell_left_them_even_if_a_later_cell_changes_them_before_the_pause(
        kernel_shell: Any) -> None:
    run_cells(kernel_shell, ["%load_ext mlm_jupyter", "import numpy as np\nx = np.zeros(3)", "x += 1"],
              pause=start_gap() * 3)
    capture = loaded(kernel_shell).capture
    assert capture.drain(60)
    first, second = capture.history[1].digests["x"], capture.history[2].digests["x"]
    assert first == fingerprint(np.zeros(3), profile=False).digest
    assert second == fingerprint(np.ones(3), profile=False).digest


def test_past_64_waiting_cells_new_ones_keep_no_values_but_every_cell_is_recorded(kernel_shell: Any) -> None:
    cells = [f"v{i} = [{i}]" for i in range(EarlyCells.MAX_DATA_EVENTS + 6)]
    run_cells(kernel_shell, ["%load_ext mlm_jupyter", *cells])
    ext = loaded(kernel_shell)
    assert ext._early is not None
    assert len(ext._early.events) == len(cells) + 1  # and the load cell
    assert [e.values is None for e in ext._early.events] == [False] * 64 + [True] * 7
    assert ext._early.dropped_data == 7
    assert ext.capture.drain(60)
    assert ext.capture.recorded == len(cells) + 1
    assert ext.capture.worker.dropped_data == 7  # counted where %mlm status reads it


def test_unloading_before_any_pause_stores_the_early_cells(kernel_shell: Any, client: MlmClient) -> None:
    run_cells(kernel_shell, ["%load_ext mlm_jupyter", "p = 3", "q = p ** 2"])
    assert not loaded(kernel_shell).started
    extension.unload(kernel_shell)
    assert list(client.cell_history()["source"]) == ["%load_ext mlm_jupyter", "p = 3", "q = p ** 2"]


def test_a_history_read_before_any_pause_sees_the_cells_that_finished(kernel_shell: Any) -> None:
    read = "import mlm_jupyter as mlm\nseen = list(mlm.get_client().cell_history()['source'])"
    run_cells(kernel_shell, ["%load_ext mlm_jupyter", "m = 5", read])
    assert kernel_shell.user_ns["seen"] == ["%load_ext mlm_jupyter", "m = 5"]


def test_a_failing_early_hook_never_fails_the_cell_and_is_reported_once(kernel_shell: Any,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    run_cells(kernel_shell, ["%load_ext mlm_jupyter"])

    def broken(self: EarlyCells, result: Any) -> bool:
        raise RuntimeError("broken hook")

    monkeypatch.setattr(EarlyCells, "_note_end", broken)
    results = run_cells(kernel_shell, ["z = 1", "z = 2"])
    assert all(result.success for result in results)
    assert kernel_shell.user_ns["z"] == 2
    assert loaded(kernel_shell).failsafe.failures == {"post_run_cell hook": 2}


def test_a_long_cell_does_not_hold_back_the_earlier_cells_records(kernel_shell: Any,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """No pause comes while a long cell runs (the event loop is blocked); START_MAX_DELAY after the load the
    capture starts anyway, so a kernel killed in that cell has the earlier cells recorded."""
    monkeypatch.setattr(extension.Extension, "START_MAX_DELAY", 0.5)
    long_cell = ("import time\nfrom mlm_jupyter.kernel.extension import extension_for\n_ext = extension_for(get_ipython())\n"
                 "_deadline = time.monotonic() + 20\nwhile not _ext.started and time.monotonic() < _deadline:\n"
                 "    time.sleep(0.05)\nstarted_during = _ext.started\n"
                 "recorded_during = [h.source for h in _ext.capture.history] if _ext.capture.drain(30) else None")
    run_cells(kernel_shell, ["%load_ext mlm_jupyter", "early = 1", long_cell])
    assert kernel_shell.user_ns["started_during"]
    assert kernel_shell.user_ns["recorded_during"] == ["%load_ext mlm_jupyter", "early = 1"]
    capture = loaded(kernel_shell).capture
    assert capture.drain(60)
    assert [h.source for h in capture.history] == ["%load_ext mlm_jupyter", "early = 1", long_cell]


def test_a_capture_started_during_a_long_cell_records_the_earlier_cells_as_soon_as_one_made_at_the_load_would(
        kernel_shell: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The earlier cells have waited since the load: once the watchdog starts the capture, their records are made
    at once, not SHIP_MAX_AGE later (they then reached the store ~30 s after the load instead of ~20 s: a kernel
    killed between the two lost them; found by killing a real kernel 23 s into a long cell)."""
    from mlm_jupyter.kernel.capture import CellCapture

    monkeypatch.setattr(extension.Extension, "START_MAX_DELAY", 1.0)
    monkeypatch.setattr(CellCapture, "SHIP_MAX_AGE", 1.0)  # as in a kernel: both 10 s
    long_cell = ("import time\nfrom mlm_jupyter.kernel.extension import extension_for\n_ext = extension_for(get_ipython())\n"
                 "_deadline = time.monotonic() + 20\n"
                 "while not (_ext.started and _ext.capture.recorded >= 2) and time.monotonic() < _deadline:\n"
                 "    time.sleep(0.02)\nrecorded_after = _ext._early.waited()")
    run_cells(kernel_shell, ["%load_ext mlm_jupyter", "early = 1", long_cell])
    # made at the start, 1 s after the load (a capture made at the load would have too); not 1 s after the start
    assert kernel_shell.user_ns["recorded_after"] < 1.7


def test_a_forked_worker_records_nothing_of_the_cells_it_inherited(kernel_shell: Any, client: MlmClient) -> None:
    """multiprocessing's "fork" workers run the interpreter's thread exit hooks as they end, the extension's
    flush among them: each child started its own capture and stored the parent's early cells under a session of
    its own pid (and took ~1 s to exit instead of ~10 ms). Found with a fork Process in a real kernel."""
    fork = ("import multiprocessing\ndef work():\n    pass\n"
            "worker = multiprocessing.get_context('fork').Process(target=work)\nworker.start()\nworker.join()")
    run_cells(kernel_shell, ["%load_ext mlm_jupyter", "a = 1", fork, "b = 2"], pause=start_gap() * 3)
    assert kernel_shell.user_ns["worker"].exitcode == 0
    session = loaded(kernel_shell).capture.session.id
    extension.unload(kernel_shell)  # stores what is queued
    history = client.cell_history()
    assert list(history["source"]) == ["%load_ext mlm_jupyter", "a = 1", fork, "b = 2"]
    assert set(history["session_id"]) == {session}


def test_the_session_starts_when_the_extension_was_loaded_not_when_the_capture_started(kernel_shell: Any,
                                                                                       client: MlmClient) -> None:
    """Found reading kernel_sessions after a late start: the session began after its own first cells."""
    run_cells(kernel_shell, ["%load_ext mlm_jupyter", "import time\ntime.sleep(0.2)", "a = 1"],
              pause=start_gap() * 3)
    extension.unload(kernel_shell)
    history = client.cell_history()
    started_at = client.sql("SELECT started_at FROM kernel_sessions")["started_at"]
    assert len(started_at) == 1 and pd.Timestamp(started_at[0], unit="s", tz="UTC") <= history["start_time"].min()


@pytest.mark.parametrize("pause_first", [False, True], ids=["early", "captured"])
def test_an_empty_cell_is_not_recorded_and_leaves_the_cells_around_it_as_they_ran(kernel_shell: Any, client: MlmClient,
                                                                                  pause_first: bool) -> None:
    """IPython runs no empty cell but ipykernel still fires its post hook: it was recorded as a phantom cell that
    began at the load (found by sending an empty execute request to a real kernel); inside a cell, an empty
    ``run_cell`` ended the outer cell early, which was then recorded as starting at the load."""
    nested = "get_ipython().run_cell('')\nc = 3"
    cells = ["%load_ext mlm_jupyter", "a = 1", "", "   \n", nested, "b = 2"]
    if pause_first:
        run_cells(kernel_shell, cells[:2], pause=start_gap() * 3)
        assert loaded(kernel_shell).started
        run_cells(kernel_shell, cells[2:], pause=start_gap() * 3)
    else:
        run_cells(kernel_shell, cells, pause=start_gap() * 3)
    extension.unload(kernel_shell)
    history = client.cell_history()
    assert list(history["source"]) == ["%load_ext mlm_jupyter", "a = 1", nested, "b = 2"]
    assert list(history["execution_count"].diff().dropna()) == [1, 1, 1]  # an empty cell takes no count
    assert history["start_time"].is_monotonic_increasing


def test_a_history_read_through_another_client_sees_the_cells_that_finished(kernel_shell: Any, client: MlmClient,
                                                                           store_dir: Path) -> None:
    """``MlmClient(store).cell_history()`` in a notebook (the documented way to read the records back): the read
    made the capture hand its records to the default client but not write them, so a client of its own read none
    (found reading the history from a user's thread in a real kernel: 0 rows)."""
    run_cells(kernel_shell, ["%load_ext mlm_jupyter", "a = 1", "b = 2"])
    reader = MlmClient(store_dir)
    try:
        assert list(reader.cell_history()["source"]) == ["%load_ext mlm_jupyter", "a = 1", "b = 2"]
    finally:
        reader.close()


def test_a_relative_notebook_path_is_found_from_where_the_extension_was_loaded(kernel_shell: Any, tmp_path: Path,
                                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """A notebook run by papermill or nbclient names itself with a relative MLM_NOTEBOOK; many change directory in
    their first cells. The capture, started in the first pause, looked the path up from the new directory and
    recorded the whole session without its notebook (the capture made at the load found it)."""
    import nbformat

    project, elsewhere = tmp_path / "project", tmp_path / "data"
    project.mkdir()
    elsewhere.mkdir()
    notebook = project / "analysis.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("a = 1")]), notebook)
    monkeypatch.chdir(project)
    monkeypatch.setenv("MLM_NOTEBOOK", "analysis.ipynb")
    run_cells(kernel_shell, ["%load_ext mlm_jupyter", f"import os\nos.chdir({str(elsewhere)!r})", "a = 1"],
              pause=start_gap() * 3)
    capture = loaded(kernel_shell).capture
    assert capture.notebook_path == str(notebook)
    assert capture.drain(60)
    assert capture.history[-1].source == "a = 1"


def test_unloading_and_loading_again_before_any_pause_keeps_one_session_in_order(kernel_shell: Any,
                                                                                  client: MlmClient) -> None:
    run_cells(kernel_shell, ["%load_ext mlm_jupyter", "one = 1", "%unload_ext mlm_jupyter", "unseen = 0",
                             "%load_ext mlm_jupyter", "two = 2"], pause=start_gap() * 3)
    capture = loaded(kernel_shell).capture
    assert capture.drain(60)
    # the unload cell ends after its hooks are gone, and the cell run while unloaded has none: neither is recorded,
    # and the second load cell is recorded as itself (it was once recorded as the unload cell)
    assert [h.source for h in capture.history] == ["%load_ext mlm_jupyter", "one = 1", "%load_ext mlm_jupyter",
                                                    "two = 2"]
    extension.unload(kernel_shell)
    history = client.cell_history()  # the store's order: by start time
    assert len(set(history["session_id"])) == 1
    assert list(history["source"]) == ["%load_ext mlm_jupyter", "one = 1", "%load_ext mlm_jupyter", "two = 2"]
    # the second load cell starts when it loads, not at the first load (it spanned both, recorded second)
    assert history["start_time"].is_monotonic_increasing


def test_a_reload_cell_is_recorded_once_in_its_place(kernel_shell: Any, client: MlmClient) -> None:
    run_cells(kernel_shell, ["%load_ext mlm_jupyter", "one = 1", "%reload_ext mlm_jupyter", "two = 2"],
              pause=start_gap() * 3)
    capture = loaded(kernel_shell).capture
    assert capture.drain(60)
    extension.unload(kernel_shell)
    history = client.cell_history()
    assert list(history["source"]) == ["%load_ext mlm_jupyter", "one = 1", "%reload_ext mlm_jupyter", "two = 2"]
    assert history["start_time"].is_monotonic_increasing


def test_a_capture_that_cannot_start_fails_no_cell_and_is_reported(kernel_shell: Any,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from mlm_jupyter.kernel.capture import CellCapture

    def broken(self: CellCapture, *args: Any, **kwargs: Any) -> None:
        raise RuntimeError("no capture today")

    monkeypatch.setattr(CellCapture, "__init__", broken)
    read = "import mlm_jupyter as mlm\nseen = len(mlm.get_client().cell_history())"
    results = run_cells(kernel_shell, ["%load_ext mlm_jupyter", "a = 1", read], pause=start_gap() * 3)
    ext = loaded(kernel_shell)
    results += run_cells(kernel_shell, ["%unload_ext mlm_jupyter"])
    assert all(result.success for result in results)  # the history read and the unload included
    assert kernel_shell.user_ns["seen"] == 0
    assert not ext.started
    failures = ext.failsafe.failures
    assert failures["recording the finished cells before a read"] == 1
    assert failures["capture start"] >= 2  # the pause after the read, and the unload


def test_a_track_cell_still_runs_its_code_when_the_capture_cannot_start(kernel_shell: Any,
                                                                        monkeypatch: pytest.MonkeyPatch,
                                                                        capsys: pytest.CaptureFixture[str]) -> None:
    """The load no longer builds the capture, so a capture that cannot start no longer fails the load cell: it
    failed the first ``%%track`` cell instead, whose code never ran (found by breaking the capture's start)."""
    from mlm_jupyter.kernel.capture import CellCapture

    def broken(self: CellCapture, *args: Any, **kwargs: Any) -> None:
        raise RuntimeError("no capture today")

    monkeypatch.setattr(CellCapture, "__init__", broken)
    results = run_cells(kernel_shell, ["%load_ext mlm_jupyter", "%%track\nx = 41\nx + 1", "%mlm status"])
    assert all(result.success for result in results)
    assert kernel_shell.user_ns["x"] == 41 and results[1].result == 42
    assert "the cell runs untracked" in capsys.readouterr().out
    assert loaded(kernel_shell).failsafe.failures["capture start"] >= 2
