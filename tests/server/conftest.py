"""Fixtures for server tests: a pytest-jupyter server with the mlm-jupyter extension on a fresh store.

pytest refuses ``pytest_plugins`` outside the top-level conftest, so the
pytest-jupyter fixtures (and its async-test hooks) are imported here, which
scopes them, and their autouse cleanup, to this folder.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pytest_jupyter.jupyter_server import *  # noqa: F403  (fixtures + async test hooks)
from traitlets.config import Config


def mlm_server_config(store_dir: Path) -> Config:
    """Jupyter server config enabling only our extension, with authentication required."""
    return Config({
        "ServerApp": {"jpserver_extensions": {"mlm_jupyter": True, "jupyter_server_terminals": False},
                      "allow_unauthenticated_access": False, "reraise_server_extension_failures": True},
        "MlmServer": {"store": str(store_dir), "sweep_interval": 0.2},
    })


@pytest.fixture
def jp_server_config(store_dir: Path) -> Config:
    return mlm_server_config(store_dir)


@pytest.fixture
def mlm_app(jp_serverapp: Any) -> Any:
    """The loaded MlmServer extension app."""
    return jp_serverapp.extension_manager.extension_points["mlm_jupyter"].app


@pytest.fixture
def api(jp_fetch: Any) -> Any:
    """``await api("runs", params=...)`` -> (status, JSON body); errors are returned, not raised."""
    from tornado.httpclient import HTTPClientError

    async def call(*parts: str, **kwargs: Any) -> tuple[int, Any]:
        try:
            response = await jp_fetch("mlm", "api", *parts, **kwargs)
        except HTTPClientError as error:
            response = error.response
            assert response is not None, error
        text = response.body or b""
        try:
            return response.code, json.loads(text) if text else None
        except ValueError:
            return response.code, text

    return call
