"""``mlm export --format mlflow`` and ``mlm import``: a round trip through a real MLflow store loses nothing
MLflow can hold; what it cannot hold is kept as ``mlm.*`` tags or listed."""

from __future__ import annotations

import json
import time
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from sklearn.linear_model import LogisticRegression

from mlm_jupyter.cli.main import cli
from mlm_jupyter.tracking import fluent
from mlm_jupyter.tracking.client import MlmClient
from mlm_jupyter.tracking.mlflow_export import export_to_mlflow, mlflow_client
from mlm_jupyter.tracking.mlflow_import import import_from_mlflow

pytest.importorskip("mlflow")
sys.path.insert(0, str(Path(__file__).parent))
from run_examples import describe_mlm  # noqa: E402

pytestmark = pytest.mark.slow
X = np.array([-2, -1, 0, 1, 2, 1, 3, -3]).reshape(-1, 1)
Y = np.array([0, 0, 1, 1, 1, 0, 1, 0])


@pytest.fixture
def source(tmp_path, monkeypatch) -> MlmClient:
    """A store with what a team's store holds: experiments, nested and failed runs, metric histories,
    artifacts, data inputs, two models with versions, aliases, tags, descriptions and an archived version."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MLM_NO_SERVER", "1")
    client = MlmClient(tmp_path / "source")
    fluent.set_client(client)
    (tmp_path / "plots" / "deep").mkdir(parents=True)
    (tmp_path / "plots" / "roc.txt").write_text("roc")
    (tmp_path / "plots" / "deep" / "pr.txt").write_text("pr")
    model = LogisticRegression().fit(X, Y)
    with fluent.start_run("churn", "parent", tags={"stage": "baseline"}) as parent:
        fluent.log_params({"depth": 3, "criterion": "gini"})
        for step in range(120):
            fluent.log_metric("loss", 1.0 / (step + 1), step=step)
        fluent.log_metric("auc", 0.91)
        fluent.log_artifact(tmp_path / "plots")
        client.log_input(parent.id, pd.DataFrame({"x": X[:, 0], "y": Y}), "train", "train")
        client.log_model(parent.id, model, "churn-rf", description="first")
        with fluent.start_run(name="child", nested=True) as child:
            fluent.log_metric("auc", 0.93)
            client.log_model(child.id, model, "churn-rf")
            client.log_model(child.id, model, "churn-rf")
    with fluent.start_run("other", "broken"):
        fluent.log_param("lr", 0.1)
    fluent.end_run("failed")  # no-op: the with block finished it; make a failed one explicitly
    # MLflow keeps start times in milliseconds and the facts list runs by (start time, id): two runs
    # started within one millisecond (queued writes made that common) would swap places after a round trip
    time.sleep(0.002)
    failed = client.create_run("other", "failed-run")
    client.log_metric(failed.id, "loss", float("nan"), step=0)
    client.end_run(failed.id, "failed", reason="diverged")
    client.set_alias("churn-rf", "production", 2)
    client.set_alias("churn-rf", "champion", 1)
    client.set_model_tag("churn-rf", "team", "growth")
    client.set_model_tag("churn-rf", "validated", "yes", 2)
    client.set_model_description("churn-rf", "the churn model")
    client.archive_model_version("churn-rf", 3)
    client.flush()
    yield client
    fluent.set_client(None)
    client.close()


def _facts(client: MlmClient) -> dict:
    facts = describe_mlm(Path(client.store.describe()["directory"]))
    for run in facts["runs"]:
        run["tags"] = {k: v for k, v in run["tags"].items() if not k.startswith("mlm.")}
    for model in facts["registered"].values():
        model["tags"] = {k: v for k, v in model["tags"].items() if not k.startswith("mlm.")}
    return facts


def _same_facts(ours: dict, theirs: dict) -> None:
    assert len(ours["runs"]) == len(theirs["runs"])
    for i, (a, b) in enumerate(zip(ours["runs"], theirs["runs"])):
        for key in b:
            assert json.dumps(a[key], sort_keys=True) == json.dumps(b[key], sort_keys=True), (i, key)  # NaN too
    assert ours["registered"] == theirs["registered"]


def _describe(client: MlmClient) -> dict:
    """What MLflow can hold beyond the facts: ids, times to the millisecond, user, source, status reason."""
    runs = {}
    for run_id in client.store.sql("SELECT id FROM runs").column("id").to_pylist():
        run = client.get_run(run_id)
        runs[run_id] = (run.name, round(run.start_time.timestamp() * 1000),
                        round(run.end_time.timestamp() * 1000) if run.end_time else None, run.user, run.source,
                        run.parent_run_id)
    return runs


def test_round_trip_through_mlflow_loses_nothing_mlflow_can_hold(source: MlmClient, mlflow_uri: str,
                                                                 tmp_path: Path) -> None:
    before = _facts(source)
    exported = export_to_mlflow(source, mlflow_uri)
    assert (exported.runs, exported.models, exported.versions, exported.aliases) == (4, 1, 3, 2)
    assert exported.metric_points == 123
    listed = "\n".join(exported.not_carried)
    assert "data fingerprints" in listed

    theirs = mlflow_client(mlflow_uri)
    mlflow_run = theirs.get_run(exported.run_ids[source.search_runs("tags.stage = 'baseline'")["run_id"][0]])
    assert mlflow_run.data.params == {"depth": "3", "criterion": "gini"}
    assert len(theirs.get_metric_history(mlflow_run.info.run_id, "loss")) == 120
    assert json.loads(mlflow_run.data.tags["mlm.inputs"])[0]["name"] == "train"
    assert int(theirs.get_model_version_by_alias("churn-rf", "production").version) == 2

    target = MlmClient(tmp_path / "target")
    try:
        imported = import_from_mlflow(target, mlflow_uri)
        assert imported.runs == 4 and imported.versions == 3 and imported.aliases == 2
        _same_facts(_facts(target), before)
        assert _describe(target) == _describe(source)
        assert target.get_run(source.search_runs("status = 'failed'")["run_id"][0]).status_reason == "diverged"
        assert target.get_model_version("churn-rf", 3).status == "archived"
        assert target.get_model("churn-rf").description == "the churn model"
        model = target.load_model("models:/churn-rf@production")
        assert list(model.predict(X)) == list(LogisticRegression().fit(X, Y).predict(X))
        again = import_from_mlflow(target, mlflow_uri)  # importing twice adds nothing
        assert again.runs == 0 and again.skipped_runs == 4
        assert len(target.store.sql("SELECT id FROM runs")) == 4
    finally:
        target.close()


def test_cli_exports_to_a_directory_and_imports_it_back(source: MlmClient, tmp_path: Path) -> None:
    source.close()
    fluent.set_client(None)
    runner = CliRunner()
    result = runner.invoke(cli, ["--store", str(tmp_path / "source"), "export", "--format", "mlflow",
                                 "--to", str(tmp_path / "mlruns"), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["runs"] == 4
    result = runner.invoke(cli, ["--store", str(tmp_path / "back"), "import", "--from", str(tmp_path / "mlruns")])
    assert result.exit_code == 0, result.output
    assert "imported from" in result.output and "4 runs" in result.output
    back, original = MlmClient(tmp_path / "back"), MlmClient(tmp_path / "source")
    try:
        _same_facts(_facts(back), _facts(original))
    finally:
        back.close()
        original.close()


def test_export_needs_a_target(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["--store", str(tmp_path / "s"), "export", "--format", "mlflow"])
    assert result.exit_code == 1 and "--to URI" in result.output


def test_import_of_mlflows_own_models_needs_trust_for_pickles(mlflow_uri: str, tmp_path: Path, monkeypatch) -> None:
    import mlflow
    import mlflow.sklearn

    monkeypatch.chdir(tmp_path)
    model = LogisticRegression().fit(X, Y)
    mlflow.set_tracking_uri(mlflow_uri)
    try:
        with mlflow.start_run(run_name="mlflow-made") as run:
            mlflow.log_param("c", 1.0)
            mlflow.log_metric("acc", 0.75, step=2)
            mlflow.sklearn.log_model(model, name="model", registered_model_name="native",
                                     serialization_format="cloudpickle")
        mlflow.MlflowClient().set_registered_model_alias("native", "champion", "1")
    finally:
        mlflow.set_tracking_uri(None)
    cautious = MlmClient(tmp_path / "cautious")
    try:
        report = import_from_mlflow(cautious, mlflow_uri)
        assert report.runs == 1 and report.versions == 0
        assert any("--trust-pickle" in line for line in report.not_carried)
        imported = cautious.get_run(run.info.run_id)
        assert imported.name == "mlflow-made" and imported.params == {"c": "1.0"}
        assert cautious.get_metric_history(run.info.run_id, "acc")["step"].tolist() == [2]
        assert cautious.models() == []
    finally:
        cautious.close()
    trusting = MlmClient(tmp_path / "trusting")
    try:
        report = import_from_mlflow(trusting, mlflow_uri, trust_pickle=True)
        assert report.versions == 1 and report.aliases == 1
        loaded = trusting.load_model("models:/native@champion")  # now a skops package, sha256-verified
        assert list(loaded.predict(X)) == list(model.predict(X))
    finally:
        trusting.close()


def test_export_lists_what_mlflow_cannot_take_and_writes_the_rest(tmp_path: Path, mlflow_uri: str,
                                                                  monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    client = MlmClient(tmp_path / "odd")
    try:
        run = client.create_run("odd", "odd-keys")
        client.log_params(run.id, {"ns:key": 1, "long": "x" * 7000, "ok": 2})
        client.end_run(run.id)
        report = export_to_mlflow(client, mlflow_uri)
    finally:
        client.close()
    listed = "\n".join(report.not_carried)
    assert "'ns:key'" in listed and "'long' cut from 7,000 to 6,000" in listed
    exported = mlflow_client(mlflow_uri).get_run(report.run_ids[run.id])
    assert exported.data.params == {"ok": "2", "long": "x" * 6000}


@pytest.fixture
def mlflow_server(tmp_path: Path):
    """A real ``mlflow server`` process (SQLite backend, proxied artifacts) on a free local port."""
    import socket
    import subprocess
    import time
    import urllib.request

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    folder = tmp_path / "mlflow-server"
    folder.mkdir()
    log = open(folder / "server.log", "wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "mlflow", "server", "--backend-store-uri", f"sqlite:///{folder}/mlflow.db",
         "--artifacts-destination", str(folder / "artifacts"), "--host", "127.0.0.1", "--port", str(port),
         "--workers", "1"], cwd=folder, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    try:
        while True:
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("mlflow server did not start:\n" + (folder / "server.log").read_text()[-2000:])
            time.sleep(0.5)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def test_export_to_a_running_mlflow_server_and_back(source: MlmClient, mlflow_server: str, tmp_path: Path) -> None:
    """The same round trip over MLflow's REST API: runs, histories, artifacts (uploaded through the server's
    artifact proxy), the registry and its aliases, then imported back from the server's URL."""
    before = _facts(source)
    exported = export_to_mlflow(source, mlflow_server)
    assert (exported.runs, exported.models, exported.versions, exported.aliases) == (4, 1, 3, 2)
    assert exported.metric_points == 123

    theirs = mlflow_client(mlflow_server)
    run_id = exported.run_ids[source.search_runs("tags.stage = 'baseline'")["run_id"][0]]
    assert theirs.get_run(run_id).data.params == {"depth": "3", "criterion": "gini"}
    assert len(theirs.get_metric_history(run_id, "loss")) == 120
    assert {item.path for item in theirs.list_artifacts(run_id)} >= {"roc.txt", "deep"}
    downloaded = Path(theirs.download_artifacts(run_id, "deep/pr.txt", str(tmp_path)))
    assert downloaded.read_text() == "pr"  # uploaded through the server's artifact proxy
    assert int(theirs.get_model_version_by_alias("churn-rf", "production").version) == 2

    target = MlmClient(tmp_path / "target")
    try:
        imported = import_from_mlflow(target, mlflow_server)
        assert imported.runs == 4 and imported.versions == 3 and imported.aliases == 2
        _same_facts(_facts(target), before)
        model = target.load_model("models:/churn-rf@production")
        assert list(model.predict(X)) == list(LogisticRegression().fit(X, Y).predict(X))
    finally:
        target.close()
