"""Progress of long work: one bar for terminals and notebooks, shown only when someone waits.

``with progress(total, "hashing data.parquet", unit="B") as bar: bar.update(n)``
shows nothing for work that ends within ``delay`` seconds (the default, one
second), and nothing at all when nobody can see it: a script whose stderr is
not a terminal (CI, a pipe, a log file), unless ``MLM_PROGRESS=1``.
``MLM_PROGRESS=0`` silences every bar. Once the delay has passed, the bar is
``tqdm.auto``: a text bar on a terminal, a widget bar in a notebook (a text
bar there when ipywidgets is missing). tqdm is imported only then, so short
work and non-interactive scripts never pay for it.

Any module may use it (core, store, tracking, cli); it is the one place that
decides whether a bar is shown.
"""

from __future__ import annotations

import os
import sys
import time
from types import TracebackType
from typing import Any

__all__ = ["Progress", "interactive", "progress"]

DEFAULT_DELAY = 1.0


def interactive() -> bool:
    """Whether a progress bar has someone to show it to.

    ``MLM_PROGRESS`` decides when set (``0``/``false``/``off`` never, anything
    else always); otherwise a running Jupyter kernel or a terminal on stderr.
    """
    setting = os.environ.get("MLM_PROGRESS", "").strip().lower()
    if setting:
        return setting not in ("0", "false", "off", "no")
    if "ipykernel" in sys.modules:  # looked up, never imported: core stays Jupyter-free
        return True
    try:
        return bool(sys.stderr is not None and sys.stderr.isatty())
    except (AttributeError, ValueError):  # a replaced or closed stderr
        return False


class Progress:
    """A progress counter that becomes a visible bar once work has taken ``delay`` seconds.

    Use ``progress()`` to make one. ``update(n)`` costs a clock read until the
    bar appears; after that, tqdm's own rate limiting applies.
    """

    def __init__(self, total: float | None, description: str, *, unit: str = "it",
                 delay: float | None = None, enabled: bool | None = None) -> None:
        self.total = total
        self.description = description
        self.unit = unit
        self.count = 0.0
        self._enabled = interactive() if enabled is None else enabled
        self._show_at = time.monotonic() + (DEFAULT_DELAY if delay is None else delay)
        self._bar: Any = None

    @property
    def shown(self) -> bool:
        """Whether a bar is on screen (the work has outlasted the delay and someone can see it)."""
        return self._bar is not None

    def update(self, n: float = 1) -> None:
        """Count ``n`` more units of work done."""
        self.count += n
        if self._bar is not None:
            self._bar.update(n)
        elif self._enabled and time.monotonic() >= self._show_at:
            self._open()

    def _open(self) -> None:
        try:
            from tqdm.auto import tqdm

            scale = self.unit == "B"
            self._bar = tqdm(total=self.total, desc=self.description, unit=self.unit, unit_scale=scale,
                             unit_divisor=1024 if scale else 1000, initial=self.count, leave=False,
                             dynamic_ncols=True)
        except Exception:  # noqa: BLE001 -- a bar that cannot be drawn must never stop the work
            self._enabled = False
            self._bar = None

    def close(self) -> None:
        """Remove the bar (if one was shown)."""
        if self._bar is not None:
            try:
                self._bar.close()
            except Exception:  # noqa: BLE001, S110 -- closing a display must not fail the work
                pass
            self._bar = None
        self._enabled = False

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def progress(total: float | None, description: str, *, unit: str = "it", delay: float | None = None,
             enabled: bool | None = None) -> Progress:
    """A progress bar for ``total`` units (``None``: unknown), shown after ``delay`` seconds of work.

    Args:
        total: how much work there is (bytes with ``unit="B"``, files, rows), or ``None``.
        description: what is being done, e.g. ``"hashing data.parquet"``.
        unit: ``"B"`` shows bytes scaled (KB, MB, ...); anything else is counted as is.
        delay: seconds of work before the bar appears (``None``: ``DEFAULT_DELAY``, one second).
        enabled: force the bar on or off; ``None`` asks ``interactive()``.
    """
    return Progress(total, description, unit=unit, delay=delay, enabled=enabled)
