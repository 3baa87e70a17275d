"""Serving blobs by content address only: no path from a client ever reaches the filesystem."""

from __future__ import annotations

from typing import Any

from mlm_jupyter.core.errors import InvalidInputError

__all__ = ["check_sha256", "stream_blob"]

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
