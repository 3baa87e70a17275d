"""Where the store lives: ``MLM_STORE``, else the nearest ``.mlm/`` upward, else ``./.mlm/``."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["STORE_DIRNAME", "resolve_store_dir"]

STORE_DIRNAME = ".mlm"


def resolve_store_dir(explicit: str | os.PathLike[str] | None = None, *, start: Path | None = None) -> Path:
    """Resolve the store directory (not created here: it is created on first write).

    Order: an explicit argument, then ``MLM_STORE``, then the nearest ``.mlm/``
    directory from ``start`` (default: the current directory) upward, then
    ``start/.mlm``.
    """
    if explicit is not None:
        return Path(explicit).expanduser().resolve()
    from_env = os.environ.get("MLM_STORE")
    if from_env:
        return Path(from_env).expanduser().resolve()
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / STORE_DIRNAME
        if candidate.is_dir():
            return candidate
    return here / STORE_DIRNAME
