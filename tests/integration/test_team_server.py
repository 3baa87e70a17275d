"""A team on one server: clients that cannot see the store write and read with a URL and a token only.

A real Jupyter server with the extension owns the store, artifacts in S3 (moto's server on localhost).
Each client runs in its own mount namespace where the server's whole folder is an empty tmpfs, so no
file of the store is reachable; it has only ``MLM_SERVER_URL`` and ``MLM_TOKEN``.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from server_process import JupyterServerProcess  # noqa: E402

moto_server = pytest.importorskip("moto.server")
pytest.importorskip("s3fs")
pytestmark = pytest.mark.slow

WRITER = """
import json, os, pathlib, sys
import numpy as np
from sklearn.linear_model import LogisticRegression
import mlm_jupyter.mlflow as mlflow
import mlm_jupyter.mlflow.sklearn
from mlm_jupyter.mlflow import MlflowClient

hidden = pathlib.Path(sys.argv[1])
assert not (hidden / "mlm.duckdb").exists() and list(hidden.parent.iterdir()) == [], "the store is visible"
pathlib.Path("report.txt").write_text("made on a laptop")
mlflow.set_experiment("team")
with mlflow.start_run(run_name="from-laptop") as run:
    mlflow.log_params({"C": 1.0, "solver": "lbfgs"})
    for step in range(5):
        mlflow.log_metric("loss", 1.0 / (step + 1), step=step)
    mlflow.log_artifact("report.txt", "notes")
    X = np.array([[0.0], [1.0], [2.0], [3.0]]); y = np.array([0, 0, 1, 1])
    mlflow.sklearn.log_model(LogisticRegression().fit(X, y), name="model", registered_model_name="team-model")
MlflowClient().set_registered_model_alias("team-model", "champion", 1)
print(json.dumps({"run_id": run.info.run_id, "store": mlflow.get_tracking_uri()}))
"""

READER = """
import json, pathlib, sys
import numpy as np
import mlm_jupyter as mlm
import mlm_jupyter.mlflow as mlflow

hidden = pathlib.Path(sys.argv[1])
assert list(hidden.parent.iterdir()) == [], "the store is visible"
runs = mlm.search_runs("tags.mlflow.runName = 'from-laptop'", experiment="team")
model = mlflow.pyfunc.load_model("models:/team-model@champion")
run = mlm.get_run(runs["run_id"][0])
print(json.dumps({"runs": len(runs), "params": dict(run.params), "user": run.user,
                  "loss": mlm.get_metric_history(run.id, "loss")["value"].tolist(),
                  "artifacts": sorted(a.path for a in run.artifacts),
                  "predictions": model.predict(np.array([[0.0], [3.0]])).tolist()}))
"""


def _can_hide() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", "mount -t tmpfs none /mnt"],
                           capture_output=True)
    return probe.returncode == 0


@pytest.fixture(scope="module")
def s3_endpoint():
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def _client(script: str, hidden_folder: Path, store: Path, env: dict[str, str], cwd: Path) -> dict:
    """Run ``script`` where ``hidden_folder`` (the server's, holding the store) is an empty tmpfs."""
    path = cwd / "client.py"
    path.write_text(textwrap.dedent(script))
    command = (f"mount -t tmpfs none {hidden_folder} && exec {sys.executable} {path} {store}")
    result = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", command], cwd=cwd,
                            env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-4000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.skipif(not _can_hide(), reason="needs mount namespaces (unshare -m) to hide the store from clients")
def test_clients_on_other_machines_write_and_read_with_a_url_and_a_token(tmp_path: Path, s3_endpoint: str) -> None:
    import boto3

    aws = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
           "MLM_S3_ENDPOINT_URL": s3_endpoint}
    boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1", aws_access_key_id="testing",
                 aws_secret_access_key="testing").create_bucket(Bucket="team")
    server_folder = tmp_path / "server"
    store = server_folder / "store"
    server = JupyterServerProcess(server_folder, store, extra_args=("--MlmServer.artifacts=s3://team/artifacts",),
                                  env=aws).start()
    try:
        base = {k: v for k, v in os.environ.items() if not k.startswith(("MLM_", "JPY_", "JUPYTER"))}
        env = {**base, **aws, "MLM_SERVER_URL": server.url, "MLM_TOKEN": server.token, "MLM_USER": "mallory",
               "HOME": str(tmp_path / "laptop"), "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
        laptop = tmp_path / "laptop"
        laptop.mkdir()
        written = _client(WRITER, server_folder, store, env, laptop)
        assert written["store"] == server.url
        assert not (laptop / ".mlm").exists()  # nothing was written beside the client
        other = tmp_path / "desktop"
        other.mkdir()
        read = _client(READER, server_folder, store, {**env, "HOME": str(other)}, other)
    finally:
        server.stop()
    assert read["runs"] == 1 and read["params"] == {"C": "1.0", "solver": "lbfgs"}
    assert read["loss"] == [1.0, 0.5, 1 / 3, 0.25, 0.2]
    assert "notes/report.txt" in read["artifacts"]
    assert read["predictions"] == [0, 1]
    keys = [o["Key"] for o in boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1", aws_access_key_id="testing",
                 aws_secret_access_key="testing")
            .list_objects_v2(Bucket="team").get("Contents", [])]
    assert len(keys) >= 3 and all(k.startswith("artifacts/") for k in keys)  # the files went to the bucket
    if importlib.util.find_spec("mlm_jupyter.store.stamping") is not None:
        assert read["user"] != "mallory"  # the server, not the client, says who wrote the run
