"""FollowerStore: a store another live Jupyter server owns, served by this server through that one's REST API.

DESIGN.md §3: one writer, and nobody sees a lock error. A second Jupyter
server started on a store that a running server already owns does not fight
for the DuckDB file: its REST API, its kernels and its sidebar go through the
owner. The owner sweeps dead processes and replays the journal; the follower
only marks the runs of its own kernels killed.
"""

from __future__ import annotations

from typing import Any

from mlm_jupyter.store.contract import Op, WriteBatch
from mlm_jupyter.store.rest_store import RestStore

__all__ = ["FollowerStore"]


class FollowerStore(RestStore):
    """A ``RestStore`` with the owner-side calls the server extension makes."""

    def open(self) -> None:
        """Nothing to take: the owning server holds the file."""

    def kill_owned_runs(self, owner: str, reason: str) -> list[str]:
        """Mark every running run of ``owner`` (``kernel:<id>`` of this server) killed, at the owner."""
        result = self.write(WriteBatch.of(Op("kill_runs", {"owner": owner, "reason": reason})))
        return list(result[0] or []) if result else []

    def sweep(self) -> dict[str, int]:
        """The owner sweeps dead processes and replays the journal; nothing to do here."""
        return {"killed": 0, "replayed": 0}

    def describe(self) -> dict[str, Any]:
        described = super().describe()
        described["mode"] = "follower"
        return described
