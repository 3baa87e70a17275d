"""Serving blobs by content address only: no path from a client ever reaches the filesystem."""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path
from typing import Any

from mlm_jupyter.core.errors import InvalidInputError

__all__ = ["BlobSpool", "check_sha256", "stream_blob"]

_HEX = frozenset("0123456789abcdef")
_CHUNK = 1 << 20


def check_sha256(text: str) -> str:
    """``text`` if it is a sha256 address (64 lowercase hex digits), else ``InvalidInputError``."""
    if len(text) != 64 or not set(text) <= _HEX:
        raise InvalidInputError(f"{text[:80]!r} is not a sha256 content address (64 lowercase hex digits)")
    return text


async def stream_blob(handler: Any, sha256: str) -> None:
    """Send the blob ``sha256`` in chunks (``NotFoundError`` if the store has none)."""
    store = handler.mlm.store
    handle = await handler.mlm.run(store.open_blob, sha256)
    try:
        handler.set_header("Content-Type", "application/octet-stream")
        handler.set_header("Content-Disposition", f'attachment; filename="{sha256}"')
        handler.set_header("X-Content-Type-Options", "nosniff")
        handler.set_header("ETag", f'"{sha256}"')
        handler.set_header("Cache-Control", "private, max-age=31536000, immutable")
        while True:
            chunk = await handler.mlm.run(handle.read, _CHUNK)
            if not chunk:
                break
            handler.write(chunk)
            await handler.flush()
    finally:
        handle.close()
    handler.finish()


class BlobSpool:
    """An upload on its way into the store: written to a temporary file beside the store's artifacts
    (same filesystem, so taking it in is a rename) and hashed as the chunks arrive."""

    def __init__(self, store: Any) -> None:
        directory = getattr(store, "artifacts_dir", None)
        if directory is not None:
            Path(directory).mkdir(parents=True, exist_ok=True)
        self._file = tempfile.NamedTemporaryFile(dir=directory, prefix=".upload-", delete=False)
        self.path = Path(self._file.name)
        self._digest = hashlib.sha256()
        self.size = 0
        self._store = store

    def write(self, chunk: bytes) -> None:
        self._digest.update(chunk)
        self._file.write(chunk)
        self.size += len(chunk)

    def finish(self) -> str:
        """Close the file; returns the sha256 of what was written."""
        self._file.close()
        return self._digest.hexdigest()

    def store_into(self, sha256: str) -> None:
        """Hand the file to the store (moved in when the store can take a verified file, else copied)."""
        adopt = getattr(self._store, "adopt_file", None)
        if adopt is not None:
            adopt(self.path, sha256)
        else:
            self._store.put_file(self.path)

    def discard(self) -> None:
        try:
            self._file.close()
        except OSError:
            pass
        self.path.unlink(missing_ok=True)
