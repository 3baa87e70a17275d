"""The Jupyter server extension: owns the store and serves the REST API (see ``app.MlmServer``).

``routes`` is the URL table; ``errors`` maps ``MlmError`` codes to HTTP;
``lifecycle`` kills runs of dead kernels; ``owner`` is the server's store.
"""

from __future__ import annotations

from typing import Any

from mlm_jupyter.server.app import MlmServer

__all__ = ["MlmServer"]


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    return [{"module": "mlm_jupyter.server", "app": MlmServer}]


def _load_jupyter_server_extension(serverapp: Any) -> MlmServer:
    """Load the extension into ``serverapp`` (also works when enabled as ``mlm_jupyter.server``)."""
    return MlmServer._load_jupyter_server_extension(serverapp)  # type: ignore[no-any-return,no-untyped-call]
