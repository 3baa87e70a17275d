"""A store on another machine: the REST API of a shared server, reached with a URL and a token only.

``MLM_SERVER_URL`` (plus ``MLM_TOKEN``) points a script or kernel at a team's
server; nothing is assumed about a shared filesystem (no journal, no server
record), so every write goes over HTTP and the server stamps who made it.
"""

from __future__ import annotations

import os

from mlm_jupyter.core.errors import InvalidInputError
from mlm_jupyter.store.contract import Store

__all__ = ["open_remote_store", "remote_from_environment"]


def open_remote_store(url: str, token: str | None = None) -> Store:
    """A ``RestStore`` on the server at ``url`` (its base URL included), authenticated with ``token``."""
    from urllib.parse import urlparse

    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise InvalidInputError(f"the server URL must look like https://host:port/base/, not {url!r}")
    from mlm_jupyter.store.rest_store import RestStore

    return RestStore(url, token=token or "", directory=None)


def remote_from_environment() -> Store | None:
    """The shared server named by ``MLM_SERVER_URL`` when this process was not started by that server."""
    url = os.environ.get("MLM_SERVER_URL")
    if not url or os.environ.get("MLM_SERVER_PID"):  # a kernel of the server: discovery handles it
        return None
    return open_remote_store(url, os.environ.get("MLM_TOKEN") or os.environ.get("MLM_SERVER_TOKEN"))
