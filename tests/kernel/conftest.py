"""A real IPython shell with the extension loaded on the test's store."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from mlm_jupyter.kernel import extension
from mlm_jupyter.tracking.client import MlmClient


@pytest.fixture(scope="session")
def shell() -> Any:
    """IPython's global test shell (one per test process, shared with other test packages)."""
    from IPython.testing import globalipapp

    ip = globalipapp.start_ipython() or globalipapp.get_ipython()
    # start_ipython() returns None when called again; other test modules call it expecting the shell,
    # so let a later call set up the same singleton shell again instead of returning None.
    if hasattr(globalipapp.start_ipython, "already_called"):
        del globalipapp.start_ipython.already_called
    return ip


@pytest.fixture
def ip(shell: Any, client: MlmClient) -> Iterator[Any]:
    """The shell with ``%load_ext mlm_jupyter`` done; a fresh capture session per test."""
    extension.unload(shell)
    extension._captures.pop(shell, None)
    shell.user_ns.pop("__session__", None)
    result = shell.run_cell("%load_ext mlm_jupyter", store_history=True)
    assert result.success
    # the heavy parts load on the capture's thread; tests that break the store right away need them in
    assert extension.extension_for(shell).capture.worker.wait_ready(60)
    yield shell
    shell.run_cell("%unload_ext mlm_jupyter", store_history=True)
    extension.unload(shell)
    extension._captures.pop(shell, None)

