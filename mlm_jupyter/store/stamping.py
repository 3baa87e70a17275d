"""Who did it and when, as the store's owner says, not as a remote client claims.

A client over REST sends ops that carry ``user`` (and ``record_model_load``
a ``time``); anyone holding the token could write any name there. The
server stamps every op of such a batch with the identity it authenticated
and its own clock (``stamp_batch``); audit rows also record which identity
provider vouched for the user. Writes replayed from the journal carry a
user nobody checked and are marked ``journal``; an embedded store records
the OS user of the process that opened the file, marked ``local``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mlm_jupyter.store.contract import Op, WriteBatch

__all__ = ["JOURNAL", "LOCAL", "Identity", "identity_provider", "stamp_batch", "stamp_provider"]

LOCAL = "local"      # an embedded store: the OS user of the process that opened the file
JOURNAL = "journal"  # replayed from the journal: the user it names was not verified

# ops whose ``user`` lands in the audit trail or a run's owner, and the op whose ``time`` is the client's
_USER_OPS = frozenset({"create_run", "create_model_version", "set_alias", "delete_alias", "set_version_status",
                       "set_description", "set_promotion_rule", "delete_promotion_rule", "record_model_load"})
_TIMED_OPS = frozenset({"record_model_load"})


@dataclass(frozen=True)
class Identity:
    """Who a write is recorded as: ``user``, vouched for by ``provider``."""

    user: str | None
    provider: str


def stamp_batch(batch: WriteBatch, identity: Identity, now: float | None) -> WriteBatch:
    """``batch`` with every op's ``user`` (and ``identity_provider``) replaced by ``identity``, and a
    client-supplied ``time`` replaced by ``now`` (when given). The batch id is kept (exactly-once)."""
    stamped = []
    for op in batch.ops:
        args: dict[str, Any] = dict(op.args)
        if op.kind in _USER_OPS or "user" in args:
            args["user"] = identity.user
            args["identity_provider"] = identity.provider
        if now is not None and op.kind in _TIMED_OPS:
            args["time"] = now
        stamped.append(Op(op.kind, args))
    return WriteBatch(tuple(stamped), batch.id)


def stamp_provider(batch: WriteBatch, provider: str) -> WriteBatch:
    """``batch`` with the provider of every user-carrying op set to ``provider`` (the user is kept)."""
    ops = tuple(Op(op.kind, {**op.args, "identity_provider": provider})
                if op.kind in _USER_OPS or "user" in op.args else op for op in batch.ops)
    return WriteBatch(ops, batch.id)


def identity_provider(args: dict[str, Any]) -> str:
    """The provider an applier records: the stamp's, else ``local`` (an embedded store's own process)."""
    return str(args.get("identity_provider") or LOCAL)
