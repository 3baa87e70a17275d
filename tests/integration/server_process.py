"""A real Jupyter server subprocess with the mlm-jupyter extension (for integration tests and benchmarks)."""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import requests


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class JupyterServerProcess:
    """``jupyter server`` on ``store`` in a subprocess; ``.url``, ``.token``, ``.get()``, ``.post()``."""

    def __init__(self, workdir: Path, store: Path, *, sweep_interval: float = 0.5,
                 extra_args: tuple[str, ...] = (), env: dict[str, str] | None = None) -> None:
        self.extra_args = tuple(extra_args)
        self.extra_env = dict(env or {})
        self.workdir = workdir
        self.store = store
        self.root = workdir / "root"
        self.runtime = workdir / "runtime"
        self.root.mkdir(parents=True, exist_ok=True)
        self.runtime.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.token = secrets.token_hex(16)
        self.url = f"http://127.0.0.1:{self.port}/"
        self.sweep_interval = sweep_interval
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = workdir / "server.log"

    def start(self, timeout: float = 60.0) -> JupyterServerProcess:
        env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(self.runtime), "MLM_STORE": str(self.store),
               **self.extra_env}
        env.pop("JPY_PARENT_PID", None)
        command = [sys.executable, "-m", "jupyter_server", "--no-browser", "--allow-root",
                   "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={self.port}", "--ServerApp.port_retries=0",
                   f"--IdentityProvider.token={self.token}", f"--ServerApp.root_dir={self.root}",
                   f"--MlmServer.store={self.store}", f"--MlmServer.sweep_interval={self.sweep_interval}",
                   *self.extra_args]
        self.log = open(self.log_path, "wb")
        self.process = subprocess.Popen(command, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"jupyter server exited: {self.log_path.read_text()[-3000:]}")
            try:
                if self.get("api/status").status_code == 200 and (self.store / "server.json").exists():
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise TimeoutError(f"jupyter server did not start: {self.log_path.read_text()[-3000:]}")

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"token {self.token}"}

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return requests.get(self.url + path, headers=self.headers, timeout=60, **kwargs)

    def post(self, path: str, body: Any, **kwargs: Any) -> requests.Response:
        return requests.post(self.url + path, headers=self.headers, data=json.dumps(body), timeout=60, **kwargs)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self.log.close()
