"""Following an alias: poll where it points, load a new version in the background, switch between requests.

Each worker process runs one follower thread. A request never waits for a
load: it keeps being served by the old version until the new one is loaded
and verified, then the slot switches in one assignment. A version that fails
to load (tampered, untrusted, unreadable) is reported once and not retried;
the old version keeps serving.
"""

from __future__ import annotations

import logging
import threading
from typing import Callable

from mlm_jupyter.core.errors import MlmError
from mlm_jupyter.serving.served_model import ModelSlot, ServedModel

__all__ = ["AliasFollower"]

log = logging.getLogger("mlm.serve")


class AliasFollower:
    """Keeps ``slot`` on the version ``NAME@ALIAS`` points at.

    Args:
        slot: the slot requests read.
        where: returns the version number the alias points at now (a store read).
        load: loads one exact version (``models:/NAME/VERSION``) as a ``ServedModel``.
        interval: seconds between polls.
    """

    def __init__(self, slot: ModelSlot, where: Callable[[], int], load: Callable[[int], ServedModel],
                 interval: float, *, label: str = "model") -> None:
        self.slot = slot
        self.where = where
        self.load = load
        self.interval = interval
        self.label = label
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._refused: set[int] = set()
        self._store_failing = False

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name=f"mlm-serve-follow-{self.label}", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.check_once()

    def check_once(self) -> bool:
        """Poll once; returns whether the slot switched."""
        try:
            wanted = int(self.where())
        except MlmError as error:  # store busy or unreachable: keep serving what we have
            if not self._store_failing:
                log.warning("%s: cannot read where the alias points (%s); still serving v%s", self.label,
                            error.message, self.slot.current.label)
            self._store_failing = True
            return False
        self._store_failing = False
        if wanted == self.slot.current.version or wanted in self._refused:
            return False
        try:
            served = self.load(wanted)
        except MlmError as error:
            self._refused.add(wanted)
            log.error("%s: refusing to switch to v%s: %s; still serving v%s", self.label, wanted, error.message,
                      self.slot.current.label)
            return False
        except Exception as error:  # noqa: BLE001 -- a broken model must not stop the follower
            self._refused.add(wanted)
            log.error("%s: v%s failed to load (%s: %s); still serving v%s", self.label, wanted,
                      type(error).__name__, error, self.slot.current.label)
            return False
        previous = self.slot.current.label
        self.slot.switch(served)
        log.info("%s: now serving v%s (was v%s)", self.label, served.label, previous)
        return True
