"""Safe loading in ``mlm serve``: pickle needs --trust-pickle, a tampered file is refused, no Jupyter needed."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path
from typing import Callable

import httpx
import pytest

from tests.serving.serve_process import ServeProcess

pytestmark = pytest.mark.slow


def test_a_pickle_model_is_refused_without_trust_pickle(model_store: Path) -> None:
    refused = ServeProcess(model_store, "models:/pickled/1", "--no-monitor")
    assert refused.wait_exit(60) != 0
    assert "UNTRUSTED_MODEL" in refused.log() and "--trust-pickle" in refused.log(), refused.log()
    assert "Uvicorn running" not in refused.log()


def _tamper(store: Path, sha256: str) -> None:
    blob = next(path for path in (store / "artifacts").rglob(f"{sha256}*") if path.is_file())
    data = bytearray(blob.read_bytes())
    data[len(data) // 2] ^= 0xFF
    blob.chmod(0o644)
    blob.write_bytes(bytes(data))
    assert hashlib.sha256(bytes(data)).hexdigest() != sha256


def _sha256_of(store: Path, name: str, version: int) -> str:
    from mlm_jupyter.tracking.client import MlmClient

    client = MlmClient(store)
    try:
        return client.get_model_version(name, version).sha256
    finally:
        client.close()


def test_a_tampered_artifact_is_refused(store_copy: Callable[[], Path]) -> None:
    store = store_copy()
    _tamper(store, _sha256_of(store, "churn", 1))
    refused = ServeProcess(store, "models:/churn@production", "--no-monitor")
    assert refused.wait_exit(60) != 0
    assert "INTEGRITY_ERROR" in refused.log(), refused.log()


def test_a_trusted_pickle_serves_where_jupyter_cannot_be_imported(model_store: Path, tmp_path: Path) -> None:
    launcher = tmp_path / "mlm_without_jupyter.py"
    launcher.write_text(
        "import runpy, sys\n"
        "for name in ('jupyter_server', 'tornado', 'traitlets', 'IPython', 'ipykernel', 'ipywidgets', 'anywidget',\n"
        "             'jupyter_client', 'nbformat', 'nbclient'):\n"
        "    sys.modules[name] = None  # any import of it raises ImportError\n"
        "runpy.run_module('mlm_jupyter.cli.main', run_name='__main__')\n")
    # the pickle model, trusted: also shows --trust-pickle lets it load
    with ServeProcess(model_store, "models:/pickled/1", "--no-monitor", "--trust-pickle",
                      launcher=(sys.executable, str(launcher))) as server:
        response = httpx.post(f"{server.url}/invocations", json={"instances": [[30, 61.5]]})
        assert response.status_code == 200, response.text
        assert response.json()["predictions"] in ([0], [1])
        assert response.headers["X-Model-Version"] == "1"
