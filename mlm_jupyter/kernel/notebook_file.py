"""The notebook file on disk: its bytes and its code cells, re-read only when the file changes."""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported when the file is first parsed (on the capture's thread), not at %load_ext
    from mlm_jupyter.core.notebook_cells import NotebookIndex

__all__ = ["NotebookFile"]


class NotebookFile:
    """A ``.ipynb`` file, parsed once per (mtime, size) so a per-cell lookup costs one ``stat``."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._stamp: tuple[int, int] | None = None
        self._index: NotebookIndex | None = None
        self._bytes: bytes | None = None

    def _stat(self) -> tuple[int, int] | None:
        try:
            info = os.stat(self.path)
        except OSError:
            return None
        return (info.st_mtime_ns, info.st_size)

    @property
    def mtime(self) -> float | None:
        stamp = self._stat()
        return stamp[0] / 1e9 if stamp else None

    def _load(self) -> None:
        stamp = self._stat()
        if stamp is None:
            self._stamp, self._index, self._bytes = None, None, None
            return
        if stamp == self._stamp:
            return
        try:
            with open(self.path, "rb") as handle:
                data = handle.read()
            notebook: Any = json.loads(data)
        except (OSError, ValueError):
            self._stamp, self._index, self._bytes = stamp, None, None
            return
        from mlm_jupyter.core.notebook_cells import NotebookIndex

        self._stamp, self._bytes = stamp, data
        self._index = NotebookIndex.from_notebook(notebook) if isinstance(notebook, dict) else None

    def index(self) -> NotebookIndex | None:
        """The notebook's code cells, or ``None`` if the file is missing or not a notebook."""
        self._load()
        return self._index

    def read_bytes(self) -> bytes | None:
        """The file's bytes as last parsed (a snapshot consistent with ``index()``)."""
        self._load()
        return self._bytes
