"""With %load_ext mlm_jupyter, a store that breaks never fails a plain cell's mlm.start_run/log_*/end_run."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

import mlm_jupyter as mlm
from mlm_jupyter.core.errors import CorruptStoreError
from mlm_jupyter.tracking import fluent
from mlm_jupyter.tracking.client import MlmClient


def _break(client: MlmClient, store_dir: Path) -> Path:
    """Damage the store file (kept aside as .good); returns the file."""
    client.flush_cells()  # the cells that ran are recorded (in the background) before the damage
    for worker in list(fluent._provenance_workers.values()):  # nor may a run's provenance write reopen it
        worker.join(30)
    client.flush()
    client.store._release()  # type: ignore[attr-defined]
    # the store skips its open check for a few seconds after one succeeded (issue 16's short runs): the
    # damage here stands for one found later than that
    store = getattr(client.store, "inner", client.store)
    if hasattr(store, "_usable_at"):
        store._usable_at = -1e9
    path = store_dir / "mlm.duckdb"
    shutil.copy(path, path.with_suffix(".good"))
    with open(path, "r+b") as handle:
        handle.seek(4096)
        handle.write(os.urandom(20000))
    return path


def _repair(client: MlmClient, path: Path) -> None:
    client.store._release()  # type: ignore[attr-defined]
    shutil.copy(path.with_suffix(".good"), path)


def test_a_run_block_runs_untracked_when_the_store_is_broken(ip: Any, client: MlmClient, store_dir: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    ip.run_cell("import mlm_jupyter as mlm\nwith mlm.start_run(experiment='k'):\n    mlm.log_param('a', 1)")
    path = _break(client, store_dir)
    result = ip.run_cell("with mlm.start_run(experiment='k') as r:\n    w = 7\n    mlm.log_param('p', 1)\n"
                         "    mlm.set_tag('t', 'x')\n    mlm.log_metric('m', 2.0)\nafter = mlm.active_run()")
    assert result.success, result.error_in_exec  # was CorruptStoreError from start_run
    assert ip.user_ns["w"] == 7 and ip.user_ns["after"] is None
    assert "the code runs untracked" in capsys.readouterr().err
    _repair(client, path)
    assert len(mlm.search_runs(experiment="k")) == 1  # nothing stored for the untracked block, nothing lost


def test_logging_into_a_run_whose_store_breaks_reports_once_and_carries_on(
        ip: Any, client: MlmClient, store_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ip.run_cell("import mlm_jupyter as mlm\nrun = mlm.start_run(experiment='k')\nmlm.log_param('before', 1)")
    run_id = ip.user_ns["run"].id
    path = _break(client, store_dir)
    result = ip.run_cell("for i in range(3):\n    mlm.log_param(f'p{i}', i)\nmlm.set_tag('t', 'x')\nmlm.end_run()")
    assert result.success, result.error_in_exec  # was CorruptStoreError
    err = capsys.readouterr().err
    assert err.count("log_param was not recorded") == 1 and "set_tag was not recorded" in err
    assert "move the file aside" in err and fluent.active_run() is None
    _repair(client, path)
    assert mlm.get_run(run_id).params == {"before": "1"}


def test_without_the_extension_the_store_error_still_reaches_a_script(client: MlmClient, store_dir: Path) -> None:
    with mlm.start_run():
        pass
    path = _break(client, store_dir)
    with pytest.raises(CorruptStoreError, match="move the file aside"):
        mlm.start_run()
    _repair(client, path)
