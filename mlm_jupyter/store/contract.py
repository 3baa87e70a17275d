"""The Store contract: one batch-write primitive, named reads, blobs and raw SQL.

Every backend (the embedded DuckDB file, the REST API of a Jupyter server)
implements exactly this surface, so the tracking client above it cannot tell
them apart. Writes are batches of operations (``Op``) applied atomically and
exactly once per ``WriteBatch.id``: a batch replayed from the journal after a
crash, or retried after a timeout, is never applied twice. Reads are named
queries whose results are JSON-friendly values or ``pyarrow.Table``s, so the
REST backend can carry them over the wire unchanged (see ``codec``).

Domains (runs, cells, data, registry, ...) register their operations and
reads in ``mlm_jupyter.store.domains``; a new domain adds no method here.
"""

from __future__ import annotations

import uuid
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Mapping, Sequence

if TYPE_CHECKING:  # a script logging a few values never imports pyarrow
    import pyarrow as pa

__all__ = ["Op", "Store", "WriteBatch"]


@dataclass(frozen=True)
class Op:
    """One write operation: ``kind`` names an applier, ``args`` are JSON-friendly."""

    kind: str
    args: Mapping[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "args": dict(self.args)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Op:
        return cls(kind=str(data["kind"]), args=dict(data["args"]))


def _new_batch_id() -> str:
    return uuid.uuid4().hex


@dataclass(frozen=True)
class WriteBatch:
    """Operations applied in one transaction; ``id`` makes the write idempotent."""

    ops: tuple[Op, ...]
    id: str = field(default_factory=_new_batch_id)

    @classmethod
    def of(cls, *ops: Op) -> WriteBatch:
        return cls(ops=tuple(ops))

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "ops": [op.to_dict() for op in self.ops]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> WriteBatch:
        return cls(ops=tuple(Op.from_dict(op) for op in data["ops"]), id=str(data["id"]))


class Store(ABC):
    """What every store backend provides. Subclasses must implement all of it."""

    @abstractmethod
    def write(self, batch: WriteBatch) -> list[Any]:
        """Apply every op of ``batch`` in one transaction, exactly once.

        Returns one result per op (``None`` for ops without a result). A batch
        whose id was applied before returns the stored results and changes
        nothing. Raises ``MlmError`` subclasses for invalid ops; then nothing
        of the batch is applied.
        """

    @abstractmethod
    def read(self, query: str, **args: Any) -> Any:
        """Run the named read ``query`` (registered by a domain) with ``args``.

        Raises ``NotFoundError`` for unknown ids and ``InvalidInputError`` for
        an unknown query name.
        """

    @abstractmethod
    def put_blob(self, data: bytes) -> str:
        """Store bytes content-addressed; return their sha256 (hex)."""

    @abstractmethod
    def put_file(self, path: Path) -> str:
        """Store a file's bytes content-addressed (streamed); return the sha256."""

    @abstractmethod
    def open_blob(self, sha256: str) -> BinaryIO:
        """Open a stored blob for reading. Raises ``NotFoundError`` if absent."""

    @abstractmethod
    def has_blob(self, sha256: str) -> bool:
        """Whether a blob with this sha256 is stored."""

    @abstractmethod
    def sql(self, statement: str, params: Sequence[Any] = (), *, max_rows: int = 10_000,
            timeout_s: float = 30.0) -> pa.Table:
        """Run one read-only SQL statement; writes are refused with ``PermissionDeniedError``."""

    @abstractmethod
    def describe(self) -> dict[str, Any]:
        """Where this store lives and how it is reached (for ``%mlm status``)."""

    @abstractmethod
    def close(self) -> None:
        """Flush and release every resource; the store may not be used after."""

    def read_blob(self, sha256: str) -> bytes:
        """All bytes of a blob, verified against its sha256."""
        import hashlib

        from mlm_jupyter.core.errors import IntegrityError

        with self.open_blob(sha256) as handle:
            data = handle.read()
        actual = hashlib.sha256(data).hexdigest()
        if actual != sha256:
            raise IntegrityError(
                f"blob {sha256} is corrupt: its content hashes to {actual}. "
                "It was modified on disk; restore it from a backup or log it again.",
                expected=sha256, actual=actual)
        return data

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
