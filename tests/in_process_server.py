"""Helpers for tests that drive pytest-jupyter's in-process server from synchronous client code."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from traitlets.config import Config


class LoopDriven:
    """Each call runs in a worker thread while ``loop`` keeps serving the in-process server."""

    def __init__(self, target: Any, loop: asyncio.AbstractEventLoop) -> None:
        self._target, self._loop = target, loop

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._target, name)
        if not callable(value):
            return value

        def call(*args: Any, **kwargs: Any) -> Any:
            return self._loop.run_until_complete(self._loop.run_in_executor(None, lambda: value(*args, **kwargs)))

        return call


def mlm_server_config(store_dir: Path) -> Config:
    """A server with only our extension, authentication required, owning ``store_dir``."""
    return Config({"ServerApp": {"jpserver_extensions": {"mlm_jupyter": True, "jupyter_server_terminals": False},
                                 "allow_unauthenticated_access": False,
                                 "reraise_server_extension_failures": True},
                   "MlmServer": {"store": str(store_dir)}})
