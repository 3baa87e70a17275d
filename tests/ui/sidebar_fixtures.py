"""Fixtures of the JupyterLab sidebar's browser tests: seeded runs and models, a lab without the server part."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import pytest

from tests.ui.conftest import LabServer, _free_port, _settings_dir, _wait_ready

SIDEBAR_TAB = ".jp-SideBar.jp-mod-left .lm-TabBar-tab[data-id='mlm-sidebar']"


@dataclass
class SeededRuns:
    """What ``seeded`` wrote through the server: an experiment, its runs, a model with two versions."""

    experiment: str
    run_ids: dict[str, str] = field(default_factory=dict)
    model: str = ""


def seed(client: Any, *, steps: int = 60) -> SeededRuns:
    """Three finished runs and one failed run with params, tags and a loss curve; a model with two versions."""
    tag = uuid.uuid4().hex[:6]
    seeded = SeededRuns(experiment=f"sidebar-{tag}")
    for name, depth, lr, status in [("rf-shallow", 4, 0.1, "finished"), ("rf-deep", 8, 0.1, "finished"),
                                    ("rf-tuned", 8, 0.01, "finished"), ("rf-broken", 16, 0.5, "failed")]:
        run_id = client.create_run(seeded.experiment, name).id
        client.log_params(run_id, {"max_depth": depth, "lr": lr, "criterion": "gini"})
        client.set_tags(run_id, {"stage": "baseline" if depth == 4 else "candidate"})
        client.log_metric_batch(run_id, "loss", [1.0 / (1 + lr * depth * s) for s in range(steps)])
        client.log_metric(run_id, "val_auc", 0.7 + depth / 100)
        client.end_run(run_id, status=status)
        seeded.run_ids[name] = run_id
    try:
        from sklearn.linear_model import LogisticRegression
    except ImportError:  # pragma: no cover - the test extra installs scikit-learn
        return seeded
    import numpy as np

    x = np.arange(40, dtype=float).reshape(20, 2)
    y = (x[:, 0] > 19).astype(int)
    seeded.model = f"churn-{tag}"
    for name in ("rf-shallow", "rf-deep"):
        client.log_model(seeded.run_ids[name], LogisticRegression().fit(x, y), seeded.model)
    client.set_alias(seeded.model, "production", 1, reason="first model")
    client.flush()
    return seeded


@pytest.fixture(scope="module")
def seeded(lab_server: LabServer) -> SeededRuns:
    """Runs and a model written through the running server (the client discovers it; no lock error)."""
    client = lab_server.client()
    try:
        return seed(client)
    finally:
        client.close()


@pytest.fixture(scope="module")
def lab_without_mlm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    """A second JupyterLab whose server extension is switched off: the sidebar loads, its API does not."""
    base = tmp_path_factory.mktemp("lab-no-mlm")
    root_dir, store_dir = base / "root", base / "store"
    root_dir.mkdir()
    store_dir.mkdir()
    port, token = _free_port(), secrets.token_hex(16)
    env = dict(os.environ)
    env.update({
        "MLM_STORE": str(store_dir),
        "JUPYTER_CONFIG_DIR": str(base / "config"),
        "JUPYTERLAB_SETTINGS_DIR": str(_settings_dir(base)),
        "JUPYTERLAB_WORKSPACES_DIR": str(base / "workspaces"),
        "JUPYTER_RUNTIME_DIR": str(base / "runtime"),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    })
    log_path = base / "jupyter-lab.log"
    with log_path.open("wb") as log:
        command = [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root",
                   "--ServerApp.ip=127.0.0.1", f"--port={port}", "--ServerApp.port_retries=0",
                   f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root_dir}",
                   "--LabApp.news_url=", "--ServerApp.log_level=WARN",
                   "--ServerApp.jpserver_extensions={'mlm_jupyter': False}"]
        process = subprocess.Popen(command, cwd=root_dir, env=env, stdout=log, stderr=subprocess.STDOUT)
        server = LabServer(url=f"http://127.0.0.1:{port}/", token=token, root_dir=root_dir, store_dir=store_dir,
                           port=port, process=process, log_path=log_path, env=env)
        try:
            _wait_ready(server)
            yield server
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)


def open_sidebar(page: Any, server: LabServer) -> None:
    """Load JupyterLab and click the sidebar's icon in the left area."""
    page.goto(server.lab_url())
    page.wait_for_selector(SIDEBAR_TAB, timeout=90_000)
    page.click(SIDEBAR_TAB)
    page.wait_for_selector("#mlm-sidebar:not(.lm-mod-hidden)")


def choose_experiment(page: Any, name: str) -> None:
    page.wait_for_selector(f"#mlm-sidebar select.mlm-experiment option[value='{name}']", state="attached")
    page.select_option("#mlm-sidebar select.mlm-experiment", name)


def run_names(page: Any) -> list[str]:
    return [n.strip() for n in page.locator("#mlm-sidebar .mlm-run .mlm-run-name").all_inner_texts()]
