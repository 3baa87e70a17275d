"""The extension is discoverable, configurable from the command line, and loads on a server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from traitlets.config import Config

import mlm_jupyter
from mlm_jupyter.server import MlmServer


def test_extension_points_name_the_app() -> None:
    assert mlm_jupyter._jupyter_server_extension_points() == [{"module": "mlm_jupyter.server", "app": MlmServer}]
    assert "store" in MlmServer.class_traits(config=True)


@pytest.fixture
def jp_server_config() -> Config:  # the store comes from the command line only
    return Config({"ServerApp": {"jpserver_extensions": {"mlm_jupyter": True, "jupyter_server_terminals": False},
                                 "reraise_server_extension_failures": True}})


@pytest.fixture
def jp_argv(tmp_path: Path) -> list[str]:
    return [f"--MlmServer.store={tmp_path / 'cli-store'}"]


async def test_store_given_on_the_command_line(jp_serverapp: Any, tmp_path: Path, api: Any) -> None:
    app = jp_serverapp.extension_manager.extension_points["mlm_jupyter"].app
    assert app.context.store.directory == tmp_path / "cli-store"
    assert (tmp_path / "cli-store" / "mlm.duckdb").exists()
    status, body = await api("status")
    assert status == 200 and body["store"]["directory"] == str(tmp_path / "cli-store")
