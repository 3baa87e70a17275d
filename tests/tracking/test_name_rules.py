"""Run and experiment names follow the rules keys do: no control characters, no empty names (issue 11, item 9)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

import mlm_jupyter as mlm
from mlm_jupyter.core.errors import InvalidInputError
from mlm_jupyter.store.contract import Op, WriteBatch
from mlm_jupyter.tracking.client import MlmClient

BAD_RUN_NAMES = ["a\x00b", "\x1b[31mred\x1b[0m", "two\nlines", "tab\there", "", "   ", " padded", "del\x7f",
                 "x" * 251, "rtl\u202eoverride"]


@pytest.mark.parametrize("name", BAD_RUN_NAMES)
def test_a_run_name_with_control_characters_or_empty_is_refused(client: MlmClient, name: str) -> None:
    with pytest.raises(InvalidInputError, match="run name"):
        mlm.start_run(name=name)
    with pytest.raises(InvalidInputError, match="run name"):
        client.create_run("e", name)
    assert mlm.active_run() is None
    assert mlm.search_runs().empty  # nothing was created


@pytest.mark.parametrize("name", ["rf (depth=8), lr=0.1", "über-Modell #3", "a/b:c", "x" * 250])
def test_ordinary_run_names_are_kept(client: MlmClient, name: str) -> None:
    with mlm.start_run(name=name) as run:
        pass
    assert mlm.get_run(run.id).name == name


@pytest.mark.parametrize("experiment", ["", " ", "a\x00b", "bad\nname"])
def test_an_empty_or_control_experiment_name_is_refused_not_made_default(client: MlmClient, experiment: str) -> None:
    with pytest.raises(InvalidInputError, match="experiment"):
        mlm.start_run(experiment=experiment)
    with pytest.raises(InvalidInputError, match="experiment"):
        client.create_run(experiment)
    with pytest.raises(InvalidInputError, match="experiment"):
        mlm.set_experiment(experiment)
    assert mlm.active_run() is None
    assert mlm.search_runs().empty


def test_the_store_refuses_a_bad_run_name_from_any_client(client: MlmClient) -> None:
    """A REST client or a journal line carries its own ops: the store checks the name itself."""
    with pytest.raises(InvalidInputError, match="run name"):
        client.store.write(WriteBatch.of(Op("create_run", {"run_id": "r1", "experiment": "e", "name": "a\x00b",
                                                           "start_time": time.time(), "owner": "test"})))
    with pytest.raises(InvalidInputError, match="experiment"):
        client.store.write(WriteBatch.of(Op("create_run", {"run_id": "r2", "experiment": "", "name": "ok",
                                                           "start_time": time.time(), "owner": "test"})))


def test_the_cli_never_prints_a_raw_control_character(store_dir: Path) -> None:
    """Names stored before this rule (old stores) are shown escaped, not raw, by ``mlm runs ls``."""
    import duckdb

    from mlm_jupyter.store.duckdb_store import DuckDbStore

    store = DuckDbStore(store_dir)
    store.write(WriteBatch.of(Op("create_run", {"run_id": "r-old", "experiment": "e", "name": "plain",
                                                "start_time": time.time(), "owner": "test"})))
    store.close()
    con = duckdb.connect(str(store_dir / "mlm.duckdb"))
    for table in ("runs", "run_summaries"):  # as an older release would have stored it
        con.execute(f"UPDATE {table} SET name = ?", ["old\x00\x1b[2Jname"])
    con.close()
    out = subprocess.run([sys.executable, "-m", "mlm_jupyter.cli.main", "runs", "ls"], capture_output=True,
                         env={"MLM_STORE": str(store_dir), "PATH": "/usr/bin:/bin", "MLM_NO_SERVER": "1"})
    assert b"\x00" not in out.stdout and b"\x1b" not in out.stdout, out.stdout
    assert b"old" in out.stdout, (out.stdout, out.stderr)
