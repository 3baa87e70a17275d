"""The append-only journal: write batches that could not reach the store yet.

Each batch is one JSON file named by its batch id, written atomically
(temp file + rename) so a crash never leaves half a batch. Replay applies
files in the order they were written; the store's ``applied_batches`` table
makes replay exactly-once, and a file is removed only after its batch is
committed.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Callable, Iterator

from mlm_jupyter.store import codec
from mlm_jupyter.store.contract import WriteBatch

__all__ = ["Journal"]


class Journal:
    """A folder of pending write batches."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def append(self, batch: WriteBatch) -> Path:
        """Persist ``batch`` durably; returns the journal file."""
        self.directory.mkdir(parents=True, exist_ok=True)
        name = f"{time.time_ns():020d}-{batch.id}.json"
        final = self.directory / name
        temp = self.directory / f".{name}.tmp"
        with open(temp, "w", encoding="utf-8") as handle:
            handle.write(codec.dumps(batch.to_dict()))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, final)
        return final

    def pending(self) -> Iterator[tuple[Path, WriteBatch]]:
        """Pending batches, oldest first. Unreadable files are skipped, never deleted."""
        if not self.directory.is_dir():
            return
        for path in sorted(self.directory.glob("*.json")):
            try:
                batch = WriteBatch.from_dict(codec.loads(path.read_text(encoding="utf-8")))
            except (OSError, ValueError, KeyError):
                continue
            yield path, batch

    def count(self) -> int:
        if not self.directory.is_dir():
            return 0
        return sum(1 for _ in self.directory.glob("*.json"))

    def replay(self, apply: Callable[[WriteBatch], object]) -> int:
        """Apply every pending batch with ``apply`` and remove it; returns how many."""
        done = 0
        for path, batch in self.pending():
            apply(batch)
            path.unlink(missing_ok=True)
            done += 1
        return done
