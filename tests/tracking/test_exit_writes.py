"""Writes issued just before the interpreter exits reach the store: nothing lost, nothing stored twice, no noise.

A script that never ends its run nor closes its client, a tracking URI replaced without closing the
first client, a daemon thread that logs until the interpreter dies, and more points than a small flush
(an Arrow table) are all stored; DuckDB's own exit hook refuses Python-backed scans on other threads
("the interpreter is shutting down"), so our exit steps must run before it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb

from mlm_jupyter.tracking.client import MlmClient

SCRIPT = r"""
import atexit, sys, threading, time
last = [-1]
atexit.register(lambda: print("LAST", last[0], flush=True))  # registered first: runs after every mlm step
import mlm_jupyter as mlm
import mlm_jupyter.mlflow as mlflow

first, second = sys.argv[1], sys.argv[2]
mlflow.set_tracking_uri(first)
mlflow.set_experiment("exit")
with mlflow.start_run() as run:
    mlflow.log_params({f"p{i}": i for i in range(20)})
    for step in range(3000):  # more than a small flush: stored as an Arrow table
        mlflow.log_metric("loss", 1.0 / (step + 1), step=step)
    mlflow.set_tag("stage", "exit")
print("A", run.info.run_id)
for i in range(3):  # several short runs queued together: the bulk path
    with mlflow.start_run():
        mlflow.log_param("i", i)
        mlflow.log_metric("m", float(i))
mlflow.set_tracking_uri(second)  # the first client is never closed
open_run = mlm.start_run(experiment="exit")  # never ended
mlm.log_param("last", 1)
print("B", open_run.id)

def spin():  # a daemon thread logging until the interpreter dies
    n = 0
    while True:
        mlm.get_client().log_metric(open_run.id, "spin", float(n), step=n)
        last[0] = n
        n += 1
        time.sleep(0.0005)

threading.Thread(target=spin, daemon=True).start()
for step in range(2500):
    mlm.log_metric("tail", float(step), step=step)
time.sleep(0.2)
"""


def test_writes_issued_just_before_exit_are_all_stored_once(tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    env = {**os.environ, "MLM_NO_SERVER": "1"}
    env.pop("MLM_STORE", None)
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(first), str(second)], env=env, capture_output=True,
                          text=True, timeout=180, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stderr == "", done.stderr  # no "could not store", no "shutting down", no "damaged"
    said = done.stdout.split()
    ids = dict(zip(said[::2], said[1::2]))

    # the first store is whole in its file right after the process: its client was stored at exit, no spool left
    assert not list((first / "spool").glob("*.spool"))
    con = duckdb.connect(str(first / "mlm.duckdb"), read_only=True)
    try:
        statuses = con.execute("SELECT status, count(*) FROM runs GROUP BY status").fetchall()
        loss = con.execute("SELECT count(*), count(DISTINCT step) FROM metrics WHERE run_id = ? AND key = 'loss'",
                           [ids["A"]]).fetchall()
        params = con.execute("SELECT count(*) FROM params WHERE run_id = ?", [ids["A"]]).fetchall()
    finally:
        con.close()
    assert statuses == [("finished", 4)] and loss == [(3000, 3000)] and params == [(20,)]

    # the second store: the open run ended at exit, every point the daemon thread logged is there once
    client = MlmClient(second)  # replays what the daemon thread logged after the exit steps, exactly once
    try:
        run = client.get_run(ids["B"])
        tail = client.get_metric_history(ids["B"], "tail")["step"].tolist()
        spin = client.get_metric_history(ids["B"], "spin")["step"].tolist()
    finally:
        client.close()
    assert run.status == "finished" and run.params == {"last": "1"}
    assert tail == list(range(2500))
    assert spin == list(range(len(spin))) and len(spin) > int(ids["LAST"])  # in order, no gap, none twice


STEPS_BEFORE_DUCKDB = r"""
import sys
from mlm_jupyter.tracking.client import MlmClient  # our modules first: DuckDB's exit hook is registered later
client = MlmClient(sys.argv[1])
import threading
from mlm_jupyter.store.contract import Op, WriteBatch
from mlm_jupyter.store.exit_steps import at_exit

def write_from_a_thread():
    from mlm_jupyter.core.arrow_columns import table  # (pyarrow.table(dict) would import pandas at exit)
    from mlm_jupyter.store.domains.runs import METRIC_SCHEMA
    run = client.create_run("exit")
    client.flush()
    points = table({"run_id": [run.id] * 2000, "key": ["x"] * 2000, "step": list(range(2000)),
                    "value": [0.5] * 2000, "time": [1.0] * 2000}, METRIC_SCHEMA)
    failed = []
    def write():
        try:
            client.store.write(WriteBatch.of(Op("log_metrics", {"points": points})))
        except Exception as error:
            failed.append(str(error))
    thread = threading.Thread(target=write)
    thread.start()
    thread.join()
    print("FAILED" if failed else "STORED", *failed)

at_exit(write_from_a_thread, order=15)  # between ending the runs and closing the clients
"""


def test_exit_steps_run_before_duckdbs_exit_hook(tmp_path: Path) -> None:
    # a background flush at exit stores an Arrow table from a thread: DuckDB refuses that once its hook ran
    done = subprocess.run([sys.executable, "-c", STEPS_BEFORE_DUCKDB, str(tmp_path / "store")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "STORED", done.stdout + done.stderr
