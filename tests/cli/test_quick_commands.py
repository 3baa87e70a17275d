"""Fast command line (issue 16): lazy sub-commands and the read-only ``mlm runs ls``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from mlm_jupyter.cli.main import _COMMANDS, cli
from mlm_jupyter.store import quick_read
from mlm_jupyter.store.duckdb_store import close_open_stores
from mlm_jupyter.tracking.client import MlmClient


def test_the_lazy_table_shows_each_commands_own_help_line() -> None:
    for name, (_, line) in _COMMANDS.items():
        command = cli.load(name)
        assert command.get_short_help_str(limit=10_000) == line, name
    listed = CliRunner().invoke(cli, ["--help"])
    assert listed.exit_code == 0 and all(name in listed.output for name in _COMMANDS)


def _seed(store_dir: Path, runs: int = 30) -> None:
    client = MlmClient(store_dir)
    client.import_runs([{"run_id": f"r{i:03d}", "experiment": "e1" if i % 2 else "e2", "name": f"run-{i}",
                         "status": "finished", "start_time": 1_700_000_000.0 + i * (1 if i != 7 else -1),
                         "end_time": 1_700_000_100.0 + i, "params": {"p": f"v{i % 3}", "q": str(i)},
                         "tags": {"stage": "final" if i % 4 == 0 else "draft"},
                         "metrics": {"acc": (i * 37 % 100) / 100, "loss": 1 / (i + 1)}} for i in range(runs)])
    client.close()


def _ls(args: list[str], quick: bool, monkeypatch: pytest.MonkeyPatch) -> list[dict[str, object]]:
    if not quick:
        monkeypatch.setattr(quick_read, "_pending_replays", lambda directory: True)
    result = CliRunner().invoke(cli, ["runs", "ls", "--json", *args])
    monkeypatch.undo()
    assert result.exit_code == 0, result.output
    return json.loads(result.output)  # type: ignore[no-any-return]


@pytest.mark.parametrize("args", [
    [], ["--all-columns"], ["-n", "5"], ["-f", "params.p = 'v1' and metrics.acc > 0.3"],
    ["-e", "e1", "-o", "metrics.acc desc", "-n", "7"], ["-f", "tags.stage != 'final'", "-o", "params.q"],
])
def test_the_read_only_page_is_the_ordinary_page(store_dir: Path, monkeypatch: pytest.MonkeyPatch,
                                                 args: list[str]) -> None:
    _seed(store_dir)
    monkeypatch.setenv("MLM_STORE", str(store_dir))
    quick = _ls(args, True, monkeypatch)
    monkeypatch.setenv("MLM_STORE", str(store_dir))
    ordinary = _ls(args, False, monkeypatch)
    assert quick == ordinary and quick


def test_ls_reads_without_arrow_or_pandas_and_without_writing(store_dir: Path) -> None:
    _seed(store_dir)
    before = (store_dir / "mlm.duckdb").stat().st_mtime_ns
    code = ("import sys\nfrom mlm_jupyter.cli.main import cli\ntry:\n    cli(['runs', 'ls', '--json'])\n"
            "except SystemExit:\n    pass\nprint(sorted(m for m in ('pandas', 'pyarrow', 'numpy') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], env={**os.environ, "MLM_STORE": str(store_dir)},
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"
    assert len(json.loads("\n".join(done.stdout.strip().splitlines()[:-1]))) == 30
    assert (store_dir / "mlm.duckdb").stat().st_mtime_ns == before


def test_a_dead_processs_spool_is_replayed_before_listing(store_dir: Path) -> None:
    _seed(store_dir, 3)
    killed = subprocess.run([sys.executable, "-c", "import os, signal, mlm_jupyter as mlm\n"
                             "with mlm.start_run(experiment='late', name='queued'):\n    mlm.log_metric('x', 1.0)\n"
                             "os.kill(os.getpid(), signal.SIGKILL)"],
                            env={**os.environ, "MLM_STORE": str(store_dir)}, capture_output=True, timeout=120)
    assert killed.returncode == -9
    assert quick_read._pending_replays(store_dir)
    with quick_read.quick_connection(store_dir) as con:
        assert con is None  # the ordinary open must replay it first
    result = CliRunner().invoke(cli, ["--store", str(store_dir), "runs", "ls", "--json", "-e", "late"])
    assert result.exit_code == 0, result.output
    assert [row["name"] for row in json.loads(result.output)] == ["queued"]
    close_open_stores()  # the command's client (in this process) releases the file
    assert not quick_read._pending_replays(store_dir)
    with quick_read.quick_connection(store_dir) as con:
        assert con is not None  # replayed: the next listing is quick again


def test_a_store_held_by_a_writer_is_still_listed(store_dir: Path) -> None:
    _seed(store_dir, 4)
    holder = MlmClient(store_dir)
    holder.store.check_usable()  # holds the file read-write for up to its hold time
    try:
        with quick_read.quick_connection(store_dir) as con:
            assert con is None
    finally:
        holder.close()
    result = CliRunner().invoke(cli, ["--store", str(store_dir), "runs", "ls", "--json"])
    assert result.exit_code == 0 and len(json.loads(result.output)) == 4
