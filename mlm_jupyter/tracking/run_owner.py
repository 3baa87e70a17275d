"""Who owns the runs this process starts: ``kernel:<id>`` inside a Jupyter kernel, else ``process``.

The Jupyter server marks a dead kernel's open runs ``killed`` by this owner.
The kernel extension sets it here rather than in ``os.environ``, so loading
the extension changes no environment variable a user (or a subprocess) sees;
``MLM_RUN_OWNER`` is still read for processes that set it themselves.
"""

from __future__ import annotations

import os
from collections.abc import Callable

__all__ = ["run_owner", "set_run_owner"]

_owner: str | Callable[[], str | None] | None = None


def set_run_owner(owner: str | Callable[[], str | None] | None) -> None:
    """Owner of the runs this process starts from now on (``None``: back to the default).

    A callable is asked when a run starts (the kernel extension finds its kernel id only then, to keep
    ``%load_ext`` light); if it returns ``None`` the default applies.
    """
    global _owner
    _owner = owner


def run_owner() -> str:
    """``set_run_owner``'s value, else ``MLM_RUN_OWNER``, else ``"process"``."""
    owner = _owner() if callable(_owner) else _owner
    return owner or os.environ.get("MLM_RUN_OWNER") or "process"
