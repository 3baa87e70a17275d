"""Real-browser fixtures: one JupyterLab server per test session, headless Chromium via Playwright.

Reusable by every ``tests/ui`` module (widgets, the JupyterLab sidebar):

- ``lab_server`` (session): ``jupyter lab`` on loopback with a token, a temp
  root dir and a temp store (``MLM_STORE``); yields a ``LabServer`` with
  ``url``, ``token``, ``root_dir``, ``store_dir`` and helpers.
- ``browser`` (session) / ``page`` (per test, fresh context): Playwright sync
  API on Debian's ``chromium`` (browser downloads do not work here).
- ``notebook(cells, name)`` fixture / ``open_notebook(page, lab_server, cells, name)``:
  writes a notebook (with ``metadata.kernelspec``), opens it in JupyterLab,
  runs all cells and waits until the kernel is idle; ``run_code(page, code)``
  appends a cell and runs it.
- ``start_lab_server(base)`` / ``stop_lab_server(server)``: the same server
  outside pytest (benchmarks).
- ``artifact_path(name)``: where screenshots go (``test-artifacts/``, gitignored).

Mark browser tests ``@pytest.mark.ui``. The whole ``tests/ui`` directory is
skipped when Chromium or Playwright is missing.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Sequence

import pytest

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
SERVER_START_TIMEOUT = 90.0
CELL_TIMEOUT_MS = 120_000


def chromium_path() -> str | None:
    """Debian's chromium (``MLM_CHROMIUM`` overrides)."""
    return os.environ.get("MLM_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    missing = None
    if chromium_path() is None:
        missing = "chromium is not installed (apt-get install -y chromium)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            missing = "playwright (the Python package) is not installed"
    if missing is None:
        return
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.skip(reason=missing))


def artifact_path(name: str) -> Path:
    """A path under ``test-artifacts/`` (created) for screenshots and logs."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / name


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LabServer:
    """A running ``jupyter lab`` (see the ``lab_server`` fixture)."""

    url: str  # ends with "/"
    token: str
    root_dir: Path
    store_dir: Path
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path
    env: dict[str, str] = field(default_factory=dict)

    def api(self, path: str, method: str = "GET", body: Any = None) -> Any:
        """Call the server's REST API (``path`` like ``api/kernels``) with the token."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path.lstrip("/"), data=data, method=method,
                                         headers={"Authorization": f"token {self.token}",
                                                  "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            text = response.read()
        return json.loads(text) if text else None

    def lab_url(self, path: str = "") -> str:
        """``/lab/tree/<path>`` with a fresh workspace and the token."""
        tree = f"tree/{path}" if path else ""
        return f"{self.url}lab/{tree}?reset&token={self.token}"

    def shutdown_kernels(self) -> None:
        """Stop every kernel (tests call it when done, to spare the 2 cores)."""
        try:
            for kernel in self.api("api/kernels"):
                self.api(f"api/kernels/{kernel['id']}", method="DELETE")
        except (urllib.error.URLError, OSError):
            pass

    def client(self) -> Any:
        """An ``MlmClient`` on this server's store, for seeding and checking data from the test process."""
        from mlm_jupyter.tracking.client import MlmClient

        return MlmClient(self.store_dir)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def _settings_dir(base: Path) -> Path:
    """User settings that keep JupyterLab quiet: no news or update toasts."""
    settings = base / "settings"
    notification = settings / "@jupyterlab" / "apputils-extension"
    notification.mkdir(parents=True, exist_ok=True)
    (notification / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    tracker = settings / "@jupyterlab" / "notebook-extension"
    tracker.mkdir(parents=True, exist_ok=True)
    (tracker / "tracker.jupyterlab-settings").write_text(json.dumps({"autoStartDefaultKernel": True}))
    return settings


def _wait_ready(server: LabServer) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"jupyter lab exited with {server.process.returncode}:\n{server.log()[-4000:]}")
        try:
            server.api("api/status")
            return
        except (urllib.error.URLError, OSError, ValueError):
            time.sleep(0.25)
    raise RuntimeError(f"jupyter lab did not answer /api/status in {SERVER_START_TIMEOUT:.0f}s:\n"
                       f"{server.log()[-4000:]}")


def start_lab_server(base: Path, extra_args: Sequence[str] = (), store: Path | None = None) -> LabServer:
    """Start ``jupyter lab`` on loopback with a token, ``base/root`` as root dir and ``base/store`` as store.

    ``extra_args`` go to the command line (e.g. to switch the server extension off); ``store``
    points the server at an existing store instead of ``base/store`` (benchmarks on large stores).
    Returns once ``/api/status`` answers. Stop it with ``stop_lab_server``.
    (Benchmarks use this too; tests use the ``lab_server`` fixture.)
    """
    root_dir, store_dir = base / "root", store or base / "store"
    root_dir.mkdir(parents=True, exist_ok=True)
    store_dir.mkdir(parents=True, exist_ok=True)
    port, token = _free_port(), secrets.token_hex(16)
    env = dict(os.environ)
    env.update({
        "MLM_STORE": str(store_dir),
        "JUPYTER_CONFIG_DIR": str(base / "config"),
        "JUPYTERLAB_SETTINGS_DIR": str(_settings_dir(base)),
        "JUPYTERLAB_WORKSPACES_DIR": str(base / "workspaces"),
        "JUPYTER_RUNTIME_DIR": str(base / "runtime"),
        "PYTHONUNBUFFERED": "1",
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    })
    log_path = base / "jupyter-lab.log"
    command = [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root",
               "--ServerApp.ip=127.0.0.1", f"--port={port}", "--ServerApp.port_retries=0",
               f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root_dir}",
               "--LabApp.news_url=", "--ServerApp.log_level=WARN", *extra_args]
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, cwd=root_dir, env=env, stdout=log, stderr=subprocess.STDOUT)
    server = LabServer(url=f"http://127.0.0.1:{port}/", token=token, root_dir=root_dir, store_dir=store_dir,
                       port=port, process=process, log_path=log_path, env=env)
    try:
        _wait_ready(server)
    except BaseException:
        stop_lab_server(server)
        raise
    return server


def stop_lab_server(server: LabServer) -> None:
    """Stop the kernels and the server (terminate, then kill after 15 s)."""
    if server.process.poll() is None:
        server.shutdown_kernels()
        server.process.terminate()
    try:
        server.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait(timeout=5)


@pytest.fixture(scope="session")
def lab_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    """One JupyterLab server for the whole session, on a temp root dir and a temp store."""
    server = start_lab_server(tmp_path_factory.mktemp("lab"))
    try:
        yield server
    finally:
        stop_lab_server(server)
        try:
            shutil.copy(server.log_path, artifact_path("jupyter-lab.log"))
        except OSError:
            pass


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless Chromium (Debian package) through Playwright's sync API."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Any, lab_server: LabServer, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh browser context and page; a screenshot lands in ``test-artifacts/`` if the test fails."""
    context = browser.new_context(viewport={"width": 1400, "height": 950})
    context.set_default_timeout(60_000)
    tab = context.new_page()
    messages: list[str] = []
    tab.on("console", lambda message: messages.append(f"{message.type}: {message.text}"))
    tab.on("pageerror", lambda error: messages.append(f"pageerror: {error}"))
    tab.console_messages = messages  # type: ignore[attr-defined]
    try:
        yield tab
    finally:
        report = getattr(request.node, "rep_call", None)
        if report is not None and report.failed:
            try:
                tab.screenshot(path=str(artifact_path(f"FAILED-{request.node.name}.png")), full_page=True)
                artifact_path(f"FAILED-{request.node.name}.console.txt").write_text("\n".join(messages))
            except Exception:
                pass
        context.close()
        lab_server.shutdown_kernels()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    setattr(item, f"rep_{report.when}", report)


def write_notebook(directory: Path, name: str, cells: Sequence[str]) -> Path:
    """Write a notebook of code ``cells`` with ``metadata.kernelspec`` (no "Select Kernel" dialog)."""
    import nbformat

    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook.metadata["language_info"] = {"name": "python"}
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, str(path))
    return path


def wait_kernel_idle(page: Any, timeout_ms: int = CELL_TIMEOUT_MS) -> None:
    """Wait until no cell of the current notebook is queued or running and every non-empty cell has run."""
    page.wait_for_function(
        """() => {
            const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
            if (!panel) return false;
            const cells = [...panel.querySelectorAll('.jp-CodeCell')];
            if (!cells.length) return false;
            return cells.every(cell => {
                const prompt = cell.querySelector('.jp-InputArea-prompt');
                const text = prompt ? prompt.textContent : '';
                if (text.includes('*')) return false;
                const source = cell.querySelector('.cm-content');
                const empty = !source || !source.textContent.trim();
                return empty || /\\[\\d+\\]/.test(text);
            });
        }""", timeout=timeout_ms)


def add_cell(page: Any, code: str) -> int:
    """Append a code cell holding ``code`` to the open notebook (not run); returns its index."""
    cells = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell")
    count = cells.count()
    cells.nth(count - 1).locator(".jp-InputPrompt").click()
    page.keyboard.press("Escape")
    page.keyboard.press("b")
    page.wait_for_function(
        "n => document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell').length > n", arg=count)
    cells.nth(count).locator(".cm-content").click()
    page.keyboard.insert_text(code)
    return count


def execute_cell(page: Any, index: int, timeout_ms: int = CELL_TIMEOUT_MS) -> Any:
    """Run the selected cell ``index`` (Ctrl+Enter), wait for its execution count; returns its output area."""
    page.keyboard.press("Control+Enter")
    page.wait_for_function(
        """n => {
            const cell = document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell')[n];
            const prompt = cell && cell.querySelector('.jp-InputArea-prompt');
            return prompt && /\\[\\d+\\]/.test(prompt.textContent);
        }""", arg=index, timeout=timeout_ms)
    return page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell").nth(index).locator(".jp-OutputArea")


def run_code(page: Any, code: str, timeout_ms: int = CELL_TIMEOUT_MS) -> Any:
    """Append a code cell to the open notebook, run it and return its output area locator."""
    return execute_cell(page, add_cell(page, code), timeout_ms)


def run_all_cells(page: Any, timeout_ms: int = CELL_TIMEOUT_MS) -> None:
    """Run > Run All Cells in the current notebook, then wait for the kernel to finish."""
    page.locator(".lm-MenuBar-item", has_text="Run").first.click()
    page.locator(".lm-Menu-content .lm-Menu-itemLabel").get_by_text("Run All Cells", exact=True).click()
    wait_kernel_idle(page, timeout_ms)


def open_notebook(page: Any, lab_server: LabServer, cells: Sequence[str], name: str, *,
                  run: bool = True, timeout_ms: int = CELL_TIMEOUT_MS) -> Path:
    """Write ``cells`` as ``name`` in the server's root, open it in JupyterLab and (by default) run all.

    Returns the notebook's path. The kernel is ready before cells run, so the
    first cell never races the kernel start.
    """
    path = write_notebook(lab_server.root_dir, name, cells)
    page.goto(lab_server.lab_url(name))
    page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=timeout_ms)
    # the toolbar's kernel status says "Idle" once the kernel has started
    page.wait_for_function(
        """() => {
            const status = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook-ExecutionIndicator');
            const label = status && (status.getAttribute('data-status') || status.title || '');
            return label && /idle/i.test(label);
        }""", timeout=timeout_ms)
    accept_kernel_dialog(page)
    if run:
        run_all_cells(page, timeout_ms)
    return path


def accept_kernel_dialog(page: Any) -> None:
    """Accept a "Select Kernel" dialog if JupyterLab shows one anyway."""
    dialog = page.locator(".jp-Dialog", has_text="Select Kernel")
    try:
        dialog.wait_for(state="visible", timeout=1500)
    except Exception:
        return
    dialog.locator(".jp-mod-accept").click()
    dialog.wait_for(state="hidden")


def cell_outputs_text(page: Any) -> str:
    """The text of every output area of the current notebook (for error messages)."""
    return str(page.evaluate(
        "() => [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-OutputArea-output')]"
        ".map(o => o.innerText).join('\\n---\\n')"))


def assert_no_cell_errors(page: Any) -> None:
    """Fail with the traceback text when any cell shows an error output."""
    errors = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-OutputArea-output[data-mime-type="
                          "'application/vnd.jupyter.stderr']")
    if errors.count():
        raise AssertionError("a cell raised:\n" + "\n".join(errors.all_inner_texts()))


@pytest.fixture
def notebook(page: Any, lab_server: LabServer) -> Any:
    """``notebook(cells, name, run=True)``: ``open_notebook`` bound to this test's page and server."""

    def open_and_run(cells: Sequence[str], name: str, *, run: bool = True,
                     timeout_ms: int = CELL_TIMEOUT_MS) -> Path:
        return open_notebook(page, lab_server, cells, name, run=run, timeout_ms=timeout_ms)

    return open_and_run
