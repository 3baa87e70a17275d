"""Follow notebook renames: when the contents service renames a notebook (or its folder), the store follows.

JupyterLab's "Rename" (and the name asked for at the first save of an untitled notebook) goes through
the contents API, which emits a ``contents_service`` event with the old and the new API path. The
listener turns both into absolute paths under the server's root and records ``rename_notebook``, so
runs made before the rename, jump-to-cell and staleness use the notebook's current path. Kernels that
still hold the old path look the new one up (``kernel.capture.CellCapture.follow_rename``).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from mlm_jupyter.server.context import MlmContext
from mlm_jupyter.store.contract import Op, WriteBatch

__all__ = ["CONTENTS_SCHEMA", "RenameFollower"]

log = logging.getLogger("mlm_jupyter.server")
CONTENTS_SCHEMA = "https://events.jupyter.org/jupyter_server/contents_service/v1"


class RenameFollower:
    """Listener for ``contents_service`` rename events (jupyter_events signature)."""

    def __init__(self, context: MlmContext, root_dir: str | Path) -> None:
        self.context = context
        self.root = Path(root_dir).expanduser().resolve()

    def absolute(self, api_path: str) -> str:
        return str(self.root / api_path.strip("/"))

    async def on_contents_action(self, logger: Any, schema_id: str, data: dict[str, Any]) -> None:
        if data.get("action") != "rename" or self.context.closed:
            return
        old, new = data.get("source_path"), data.get("path")
        if not old or not new:
            return
        try:
            batch = WriteBatch.of(Op("rename_notebook", {"old": self.absolute(old), "new": self.absolute(new)}))
            await self.context.run(self.context.store.write, batch)
        except Exception:  # a failing listener must never disturb the contents service
            log.exception("mlm-jupyter: could not follow the rename of %s to %s", old, new)
