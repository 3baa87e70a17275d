"""Inference logging: the Monitor's buffer, background flush, Parquet partitions, threads, forks and exits."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from trained_models import forest

import mlm_jupyter as mlm
from mlm_jupyter.core.errors import InvalidInputError, NotFoundError
from mlm_jupyter.tracking.client import MlmClient
from mlm_jupyter.tracking.monitor_files import LogLayout


def _promoted(client: MlmClient, name: str = "churn") -> tuple[object, pd.DataFrame]:
    model, x, y = forest()
    with mlm.start_run():
        mlm.log_input(x, name="train", role="train")
        mv = mlm.log_model(model, name=name, input_example=x[:5])
    mlm.set_alias(name, "production", mv.version)
    return model, x


def _logged(store_dir: Path, name: str = "churn") -> pd.DataFrame:
    pattern = LogLayout(store_dir).inference_glob(name)
    return duckdb.sql(f"SELECT * FROM read_parquet('{pattern}', hive_partitioning = true, union_by_name = true)").df()


def test_monitor_resolves_the_alias_once_and_logs_to_hourly_parquet(client: MlmClient, store_dir: Path) -> None:
    model, x = _promoted(client)
    mon = mlm.monitor("models:/churn@production")
    assert (mon.model_name, mon.version, mon.alias) == ("churn", 1, "production")
    assert mon.log(x, model.predict(x), ids=[f"r{i}" for i in range(len(x))]) == len(x)
    mon.flush()
    logged = _logged(store_dir)
    assert len(logged) == len(x)
    assert set(x.columns) <= set(logged.columns)
    assert {"__time", "__id", "__prediction", "model", "version", "hour"} <= set(logged.columns)
    np.testing.assert_allclose(np.sort(logged["income"].to_numpy()), np.sort(x["income"].to_numpy()))
    assert (logged["model"] == "churn").all() and (logged["version"].astype(int) == 1).all()
    # a later promotion does not move a monitor already watching v1
    mv2 = mlm.log_model(model, name="churn")
    mlm.set_alias("churn", "production", mv2.version)
    assert mon.version == 1 and mlm.monitor("churn@production").version == 2
    mon.close()


def test_many_threads_log_without_losing_a_row(client: MlmClient, store_dir: Path) -> None:
    model, x = _promoted(client)
    mon = mlm.monitor("models:/churn/1", flush_interval=0.05)
    predictions = model.predict(x)

    def worker() -> None:
        for _ in range(25):
            mon.log(x, predictions)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    mon.close()
    assert len(_logged(store_dir)) == 8 * 25 * len(x) == mon.logged_rows
    assert mon.dropped_rows == 0


def test_a_full_buffer_drops_batches_and_says_so(client: MlmClient, store_dir: Path,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    model, x = _promoted(client)
    mon = mlm.monitor("models:/churn/1", max_buffer_rows=250, flush_interval=60)
    kept = [mon.log(x, model.predict(x)) for _ in range(4)]  # 120 rows each: the third would overflow
    assert kept == [120, 120, 0, 0] and mon.dropped_rows == 240
    assert "buffer" in caplog.text and "full" in caplog.text
    mon.flush()
    assert mon.log(x, model.predict(x)) == 120  # room again after the flush
    mon.close()
    assert len(_logged(store_dir)) == 360


def test_load_model_with_monitor_logs_its_predictions(client: MlmClient, store_dir: Path) -> None:
    model, x = _promoted(client)
    served = mlm.load_model("models:/churn@production", monitor=True)
    np.testing.assert_array_equal(served.predict(x), model.predict(x))
    np.testing.assert_allclose(served.predict_proba(x[:10]), model.predict_proba(x[:10]))
    assert served.classes_.tolist() == model.classes_.tolist()  # the model's own attributes pass through
    served.monitor.flush()
    logged = _logged(store_dir)
    assert len(logged) == len(x) + 10
    assert logged["__proba_1"].notna().sum() == 10


def test_bad_batches_are_refused_clearly_and_nothing_is_queued(client: MlmClient) -> None:
    model, x = _promoted(client)
    mon = mlm.monitor("models:/churn@production")
    with pytest.raises(InvalidInputError, match="y_pred has 3 values but X has 120 rows"):
        mon.log(x, [1, 2, 3])
    with pytest.raises(InvalidInputError, match="reserved"):
        mon.log(x.rename(columns={"age": "__time"}), model.predict(x))
    with pytest.raises(InvalidInputError, match="cannot log X"):
        mon.log(object(), [1])
    assert mon.logged_rows == 0
    with pytest.raises(NotFoundError):
        mlm.monitor("models:/churn@staging")
    with pytest.raises(InvalidInputError, match="registered model"):
        mlm.monitor("runs:/abc/model")
    mon.close()


def test_numpy_rows_take_the_signature_names(client: MlmClient, store_dir: Path) -> None:
    model, x = _promoted(client)
    mon = mlm.monitor("models:/churn@production")
    mon.log(x.to_numpy(), model.predict(x))
    mon.close()
    assert {"age", "income", "tenure"} <= set(_logged(store_dir).columns)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_worker_logs_its_own_files(client: MlmClient, store_dir: Path) -> None:
    model, x = _promoted(client)
    mon = mlm.monitor("models:/churn@production", flush_interval=60)
    mon.log(x, model.predict(x))  # queued in the parent only
    pid = os.fork()
    if pid == 0:  # the child: its buffer starts empty; it logs 7 rows and exits through atexit
        try:
            mon.log(x[:7], model.predict(x[:7]))
            mon.close()
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    mon.close()
    files = list(Path(store_dir, "monitoring", "inference").rglob("*.parquet"))
    writers = {f.name.split("-")[2] for f in files}
    assert len(writers) == 2 and str(pid) in writers
    assert len(_logged(store_dir)) == len(x) + 7


def test_a_plain_python_process_logs_and_flushes_at_exit(client: MlmClient, store_dir: Path) -> None:
    model, x = _promoted(client)
    client.close()  # the store file is free: the script opens it embedded
    script = textwrap.dedent("""
        import sys, numpy as np, pandas as pd, mlm_jupyter as mlm
        assert "IPython" not in sys.modules and "jupyter_server" not in sys.modules
        served = mlm.load_model("models:/churn@production", monitor={"flush_interval": 3600})
        X = pd.DataFrame({"age": np.arange(50), "income": np.linspace(30, 70, 50), "tenure": np.full(50, 0.5)})
        served.predict(X)
        # no flush, no close: the at-exit flush writes the rows
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "MLM_STORE": str(store_dir), "MLM_NO_SERVER": "1"})
    assert done.returncode == 0, done.stderr
    assert "IPython" not in done.stderr
    assert len(_logged(store_dir)) == 50


def test_a_killed_serving_process_loses_at_most_its_last_second(client: MlmClient, store_dir: Path) -> None:
    import signal
    import time

    _promoted(client)
    client.close()
    script = textwrap.dedent("""
        import sys, time, numpy as np, pandas as pd, mlm_jupyter as mlm
        mon = mlm.monitor("churn@production")  # flush_interval: 1 s by default
        X = pd.DataFrame({"age": np.arange(20), "income": np.linspace(30, 70, 20), "tenure": np.full(20, 0.5)})
        while True:
            mon.log(X, np.zeros(20, dtype=int))
            print(time.time(), mon.logged_rows, flush=True)
            time.sleep(0.02)
    """)
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True,
                               env={**os.environ, "MLM_STORE": str(store_dir), "MLM_NO_SERVER": "1"})
    assert process.stdout is not None
    lines: list[list[str]] = []
    started = time.monotonic()
    while time.monotonic() - started < 60:  # until it has logged for 3 s (its start-up is slow under load)
        lines.append(process.stdout.readline().split())
        if len(lines[-1]) != 2:
            lines.pop()
        elif time.time() - float(lines[0][0]) > 3:
            break
    killed_at = time.time()
    process.send_signal(signal.SIGKILL)
    process.wait(10)
    # rows logged more than a second (plus the time one flush takes on this loaded machine) before the kill
    settled = max(int(rows) for stamp, rows in lines if float(stamp) <= killed_at - 1.5)
    on_disk = len(_logged(store_dir))
    assert settled <= on_disk <= int(lines[-1][1])


def test_changing_a_frame_after_logging_it_changes_nothing_logged(client: MlmClient, store_dir: Path) -> None:
    model, x = _promoted(client)
    mon = mlm.monitor("models:/churn@production", flush_interval=3600)
    frame, array = x.copy(), x.to_numpy().copy()
    mon.log(frame, model.predict(x))
    mon.log(array, model.predict(x))
    frame.loc[:, "income"] = -1.0  # the caller reuses its buffers before the flush
    array[:, 1] = -1.0
    mon.close()
    assert (_logged(store_dir)["income"] > 0).all()
