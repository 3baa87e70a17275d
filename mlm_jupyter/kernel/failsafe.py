"""The fail-safe wrapper: a failure inside a hook or magic is logged once per kind and never reaches the cell."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["FailSafe"]

log = logging.getLogger("mlm_jupyter.kernel")
F = TypeVar("F", bound=Callable[..., Any])


class FailSafe:
    """Runs capture code so that it can never break the user's cell.

    The first failure of each ``kind`` is logged with its traceback to the
    kernel log (the ``mlm_jupyter.kernel`` logger); later ones of the same
    kind are only counted (``failures``), so a broken store does not flood
    the log once per cell.
    """

    def __init__(self, logger: logging.Logger = log) -> None:
        self.logger = logger
        self.failures: dict[str, int] = {}

    def call(self, kind: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """``fn(*args, **kwargs)``, or ``None`` if it raised (logged once per ``kind``)."""
        try:
            return fn(*args, **kwargs)
        except Exception as error:  # noqa: BLE001 -- the whole point: nothing escapes into the cell
            self.report(kind, error)
            return None

    def report(self, kind: str, error: BaseException) -> None:
        count = self.failures.get(kind, 0) + 1
        self.failures[kind] = count
        if count == 1:
            self.logger.warning("mlm-jupyter: %s failed; the cell carries on (logged once per kind): %s: %s",
                                kind, type(error).__name__, error, exc_info=error)
        else:
            self.logger.debug("mlm-jupyter: %s failed again (%d times): %r", kind, count, error)

    def guard(self, kind: str) -> Callable[[F], F]:
        """Decorator form of ``call``."""
        def wrap(fn: F) -> F:
            @functools.wraps(fn)
            def guarded(*args: Any, **kwargs: Any) -> Any:
                return self.call(kind, fn, *args, **kwargs)
            return guarded  # type: ignore[return-value]
        return wrap
