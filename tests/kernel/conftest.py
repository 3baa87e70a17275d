"""A real IPython shell with the extension loaded on the test's store."""

from __future__ import annotations

from typing import Any, Iterator

import pytest

from mlm_jupyter.kernel import extension
from mlm_jupyter.tracking.client import MlmClient


@pytest.fixture(scope="session")
def shell() -> Any:
    from IPython.testing.globalipapp import start_ipython

    return start_ipython()


@pytest.fixture
def ip(shell: Any, client: MlmClient) -> Iterator[Any]:
    """The shell with ``%load_ext mlm_jupyter`` done; a fresh capture session per test."""
    extension.unload(shell)
    extension._captures.pop(shell, None)
    shell.user_ns.pop("__session__", None)
    result = shell.run_cell("%load_ext mlm_jupyter", store_history=True)
    assert result.success
    yield shell
    shell.run_cell("%unload_ext mlm_jupyter", store_history=True)
    extension.unload(shell)
    extension._captures.pop(shell, None)

