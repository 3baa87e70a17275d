"""Kernel and process lifecycle: runs of a dead, restarted or shut-down kernel become ``killed``.

Two mechanisms, because either alone misses cases: jupyter_server's
``kernel_actions`` events tell at once when a kernel is shut down or
restarted (including an automatic restart after it died), and a periodic
sweep marks runs whose local process is gone (a kernel killed with
SIGKILL, a script that crashed) and replays the journal.
"""

from __future__ import annotations

import logging
from typing import Any

from mlm_jupyter.server.context import MlmContext

__all__ = ["KERNEL_ACTIONS_SCHEMA", "KernelWatcher"]

log = logging.getLogger("mlm_jupyter.server")
KERNEL_ACTIONS_SCHEMA = "https://events.jupyter.org/jupyter_server/kernel_actions/v1"
_REASONS = {"shutdown": "kernel {kid} was shut down", "restart": "kernel {kid} was restarted"}


class KernelWatcher:
    """Turns kernel events and the periodic sweep into ``kill_runs`` writes."""

    def __init__(self, context: MlmContext) -> None:
        self.context = context

    async def on_kernel_action(self, logger: Any, schema_id: str, data: dict[str, Any]) -> None:
        """Listener for ``kernel_actions`` events (jupyter_events signature)."""
        action, kernel_id = data.get("action"), data.get("kernel_id")
        if action not in _REASONS or not kernel_id or data.get("status") != "success" or self.context.closed:
            return
        try:
            killed = await self.context.run(self.context.store.kill_owned_runs, f"kernel:{kernel_id}",
                                            _REASONS[action].format(kid=kernel_id))
            await self.sweep()
            if killed:
                log.info("mlm-jupyter: %s %s -> %d run(s) killed", action, kernel_id, len(killed))
        except Exception:  # a failing listener must never disturb the kernel manager
            log.exception("mlm-jupyter: could not mark the runs of kernel %s killed", kernel_id)

    async def sweep(self) -> dict[str, int]:
        """Kill runs of dead local processes and replay the journal (never raises)."""
        if self.context.closed:
            return {"killed": 0, "replayed": 0}
        try:
            return await self.context.run(self.context.store.sweep)
        except Exception:
            log.exception("mlm-jupyter: store housekeeping failed; will retry")
            return {"killed": 0, "replayed": 0}
