"""Fixtures of the JupyterLab sidebar's browser tests: seeded runs and models, a lab without the server part."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any, Iterator

import pytest

from tests.ui.conftest import LabServer, start_lab_server, stop_lab_server

SIDEBAR_TAB = ".jp-SideBar.jp-mod-left .lm-TabBar-tab[data-id='mlm-sidebar']"


@dataclass
class SeededRuns:
    """What ``seeded`` wrote through the server: an experiment, its runs, a model with two versions."""

    experiment: str
    run_ids: dict[str, str] = field(default_factory=dict)
    model: str = ""


def seed(client: Any, *, steps: int = 60) -> SeededRuns:
    """Three finished runs and one failed run with params, tags and a loss curve; a model with three versions
    (made by rf-shallow, rf-deep, rf-tuned; @production -> 1)."""
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
    for name in ("rf-shallow", "rf-deep", "rf-tuned"):
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
    server = start_lab_server(tmp_path_factory.mktemp("lab-no-mlm"),
                              ["--ServerApp.jpserver_extensions={'mlm_jupyter': False}"])
    try:
        yield server
    finally:
        stop_lab_server(server)


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
