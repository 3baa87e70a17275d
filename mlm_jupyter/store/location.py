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
        return _directory(Path(explicit).expanduser().resolve(), "the store directory")
    from_env = os.environ.get("MLM_STORE")
    if from_env:
        return _directory(Path(from_env).expanduser().resolve(), "MLM_STORE")
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / STORE_DIRNAME
        if candidate.is_dir():
            return candidate
    return here / STORE_DIRNAME


def _directory(path: Path, what: str) -> Path:
    """``path`` as a store directory: the database file itself means its folder; any other file is refused."""
    if path.is_file():
        if path.name == "mlm.duckdb":
            return path.parent
        from mlm_jupyter.core.errors import StoreError

        raise StoreError(f"{what} {str(path)!r} is a file; it must be a directory (the store keeps mlm.duckdb, "
                         "artifacts/ and journal/ in it). Point it at a folder, e.g. the project's .mlm/.",
                         path=str(path))
    return path
