"""Start-up cost: a script that logs a metric imports neither pandas nor IPython (issue 16)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

SCRIPT = """
import json, sys
import mlm_jupyter as mlm
with mlm.start_run(experiment="diet") as run:
    mlm.log_param("lr", 0.1)
    mlm.log_metric("loss", 0.5)
mlm.get_client().flush()
heavy = sorted(m for m in ("pandas", "IPython", "ipykernel", "ipywidgets", "jupyter_server", "tornado", "tqdm")
               if m in sys.modules)
print(json.dumps({"run": run.id, "heavy": heavy}))
"""


def _run(code: str, store_dir: Path) -> dict[str, object]:
    env = {**os.environ, "MLM_STORE": str(store_dir)}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_a_script_that_logs_a_metric_imports_neither_pandas_nor_ipython(store_dir: Path) -> None:
    first = _run(SCRIPT, store_dir)  # creates the store (migrations run once)
    assert first["heavy"] == []
    again = _run(SCRIPT, store_dir)  # opens a current store: nothing heavy either
    assert again["heavy"] == []
    from mlm_jupyter.tracking.client import MlmClient

    client = MlmClient(store_dir)
    run = client.get_run(str(again["run"]))
    assert run.status == "finished" and run.metrics == {"loss": 0.5} and run.params == {"lr": "0.1"}
    client.close()


def test_a_killed_scripts_spool_is_replayed_without_pandas(store_dir: Path) -> None:
    _run(SCRIPT, store_dir)
    killed = subprocess.run([sys.executable, "-c", "import os, signal, mlm_jupyter as mlm\n"
                             "mlm.start_run(); mlm.log_metric('x', 1.0)\nos.kill(os.getpid(), signal.SIGKILL)"],
                            env={**os.environ, "MLM_STORE": str(store_dir)}, capture_output=True, timeout=120)
    assert killed.returncode == -9
    assert _run(SCRIPT, store_dir)["heavy"] == []  # this open replayed the spool


def test_the_cli_help_imports_no_store_library() -> None:
    code = ("import sys\nfrom mlm_jupyter.cli.main import cli\ntry:\n    cli(['--help'])\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in ('pandas', 'pyarrow', 'duckdb', 'numpy', 'IPython') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_the_cli_metric_choices_match_the_comparison() -> None:
    from mlm_jupyter.cli.monitor_compare import METRICS as cli_metrics
    from mlm_jupyter.core.paired_comparison import METRICS

    assert cli_metrics == METRICS


EXIT_SCRIPT = """
import mlm_jupyter as mlm
with mlm.start_run(experiment="exit") as run:
    mlm.log_metric("loss", 0.25)
    mlm.log_param("lr", 0.1)
print(run.id)
"""


def test_a_scripts_last_writes_reach_the_store_at_exit_not_only_the_spool(store_dir: Path) -> None:
    # the run is whole in the database file right after the process ends (no spool replay needed, no
    # warning): a flush refused at exit ("the Python interpreter is shutting down") was seen once
    import duckdb

    env = {**os.environ, "MLM_STORE": str(store_dir)}
    for _ in range(2):  # the first process creates the store, the second opens a current one
        done = subprocess.run([sys.executable, "-c", EXIT_SCRIPT], env=env, capture_output=True, text=True,
                              timeout=120)
        assert done.returncode == 0, done.stderr
        assert "could not store" not in done.stderr and "shutting down" not in done.stderr, done.stderr
        run_id = done.stdout.strip().splitlines()[-1]
        assert not [p for p in (store_dir / "spool").glob("*") if p.is_file()]
        con = duckdb.connect(str(store_dir / "mlm.duckdb"), read_only=True)
        try:
            points = con.execute("SELECT value FROM metrics WHERE run_id = ? AND key = 'loss'", [run_id]).fetchall()
            status = con.execute("SELECT status FROM runs WHERE id = ?", [run_id]).fetchall()
        finally:
            con.close()
        assert points == [(0.25,)] and status == [("finished",)]


WHOLE_LIFE = """
import atexit, json, sys
# registered before mlm_jupyter's own exit hooks, so it runs after them (atexit is LIFO): the flush at exit counts
atexit.register(lambda: print(json.dumps(sorted(
    m for m in ("pyarrow", "numpy", "pandas", "psutil", "IPython") if m in sys.modules))))
import mlm_jupyter as mlm
with mlm.start_run(experiment="whole-life") as run:
    mlm.log_param("lr", 0.1)
    mlm.set_tag("stage", "smoke")
    mlm.log_metric("loss", float("nan"))
    mlm.log_metric("loss", 0.5)
print(run.id)
"""


def test_a_short_scripts_whole_life_imports_no_pyarrow_or_numpy(store_dir: Path) -> None:
    # import, a run with a param, a tag and two points, the flush and close at exit: a handful of rows
    # go in through list parameters, so pyarrow (and numpy with it) is never imported
    env = {**os.environ, "MLM_STORE": str(store_dir)}
    for _ in range(2):  # creating the store, then opening a current one
        done = subprocess.run([sys.executable, "-c", WHOLE_LIFE], env=env, capture_output=True, text=True,
                              timeout=120)
        assert done.returncode == 0, done.stderr
        assert done.stderr == "", done.stderr
        run_id, heavy = done.stdout.strip().splitlines()[-2:]
        expected = [] if sys.platform.startswith("linux") else ["psutil"]  # psutil reads /proc elsewhere
        assert json.loads(heavy) == expected
    from mlm_jupyter.tracking.client import MlmClient

    client = MlmClient(store_dir)
    run = client.get_run(run_id)
    history = client.get_metric_history(run_id, "loss")
    client.close()
    assert run.status == "finished" and run.params == {"lr": "0.1"} and run.tags.get("stage") == "smoke"
    assert run.metrics == {"loss": 0.5}
    assert history["step"].tolist() == [0, 1] and history["value"].isna().tolist() == [True, False]
