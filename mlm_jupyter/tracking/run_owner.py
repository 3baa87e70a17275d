"""Who owns the runs this process starts: ``kernel:<id>`` inside a Jupyter kernel, else ``process``.

The Jupyter server marks a dead kernel's open runs ``killed`` by this owner.
The kernel extension sets it here rather than in ``os.environ``, so loading
the extension changes no environment variable a user (or a subprocess) sees;
``MLM_RUN_OWNER`` is still read for processes that set it themselves.
"""

from __future__ import annotations

import os

__all__ = ["run_owner", "set_run_owner"]

_owner: str | None = None


def set_run_owner(owner: str | None) -> None:
    """Owner of the runs this process starts from now on (``None``: back to the default)."""
    global _owner
    _owner = owner


def run_owner() -> str:
    """``set_run_owner``'s value, else ``MLM_RUN_OWNER``, else ``"process"``."""
    return _owner or os.environ.get("MLM_RUN_OWNER") or "process"
