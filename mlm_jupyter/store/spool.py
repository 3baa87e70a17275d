"""The spool: a process's not-yet-stored writes in an append-only memory-mapped file.

``log_metric`` must return in microseconds and still survive a SIGKILL of
the process the moment it has returned. Each queued write is also appended
to this process's spool file through a shared memory map: the bytes are in
the kernel's page cache once the call returns, so they outlive the process
(not a power cut; the store's own commits are what survive that). The
background flush writes the queue to the store in one transaction whose
batch id names the spool file and the offset it covers
(``spool:<file>:<offset>``), so the store itself records how far the file
was applied, in the same transaction as the data.

Whoever opens the store next replays the spools of dead processes (a live
process holds an exclusive ``flock`` on its file): the records past the
applied offset, exactly once, then deletes the file.

Record layout after a 16-byte header: ``length u32 | crc32 u32 | payload``.
The length is written last, so a record cut short by a kill reads as the end
of the file. Payloads: ``N`` (a name: run id or metric key, numbered in
order of first use), ``M`` (a metric point: run number, key number, step,
value, time) and ``O`` (a write batch as the codec's JSON).
"""

from __future__ import annotations

import fcntl
import logging
import mmap
import os
import struct
import uuid
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from mlm_jupyter.store import codec
from mlm_jupyter.store.contract import Op, WriteBatch

__all__ = ["SPOOL_SUFFIX", "SpoolFile", "SpoolRecords", "batch_id", "read_spool", "replayable_spools"]

log = logging.getLogger("mlm_jupyter")

SPOOL_SUFFIX = ".spool"
_MAGIC = b"MLMSPOOL"
_VERSION = 1
_HEADER = struct.Struct("<8sII")  # magic, version, reserved
_RECORD = struct.Struct("<II")  # payload length, crc32 of the payload
_METRIC = struct.Struct("<cIIqdd")  # b"M", run number, key number, step, value, time
_NAME = struct.Struct("<cI")  # b"N", number (the text follows)
DEFAULT_SIZE = 64 << 20  # sparse: only written pages take disk space


def batch_id(stem: str, offset: int) -> str:
    """The id of the write batch that stores a spool up to ``offset``."""
    return f"spool:{stem}:{offset:012d}"


class SpoolFull(Exception):
    """The file has no room for the record: flush the queue and start a new file."""


class SpoolFile:
    """This process's spool: append records, know the offset, delete once stored."""

    def __init__(self, directory: Path, size: int = DEFAULT_SIZE) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.stem = f"{os.getpid()}-{uuid.uuid4().hex[:12]}"
        self.path = directory / f"{self.stem}{SPOOL_SUFFIX}"
        self.size = size
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # "alive": the next open leaves it alone
            os.ftruncate(self._fd, size)
            self._map = mmap.mmap(self._fd, size, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
        except BaseException:
            os.close(self._fd)
            self.path.unlink(missing_ok=True)
            raise
        _HEADER.pack_into(self._map, 0, _MAGIC, _VERSION, 0)
        self.offset = _HEADER.size
        self._names: dict[str, int] = {}
        self.closed = False

    def _put(self, payload: bytes) -> None:
        end = self.offset + _RECORD.size + len(payload)
        if end + _RECORD.size > self.size:  # keep a zero length after the last record
            raise SpoolFull(self.path)
        start = self.offset + _RECORD.size
        self._map[start:end] = payload
        struct.pack_into("<I", self._map, self.offset + 4, zlib.crc32(payload))
        struct.pack_into("<I", self._map, self.offset, len(payload))  # last: the record now exists
        self.offset = end

    def _number(self, name: str) -> int:
        number = self._names.get(name)
        if number is None:
            number = len(self._names)
            self._put(_NAME.pack(b"N", number) + name.encode("utf-8"))
            self._names[name] = number
        return number

    def metric(self, run_id: str, key: str, step: int, value: float, time: float) -> None:
        """Append one metric point (a few hundred nanoseconds: no system call)."""
        self._put(_METRIC.pack(b"M", self._number(run_id), self._number(key), step, value, time))

    def ops(self, ops: tuple[Op, ...]) -> None:
        """Append write operations (run lifecycle, params, tags) as one record."""
        self._put(b"O" + codec.dumps(WriteBatch(ops, id="-").to_dict()).encode("utf-8"))

    def delete(self) -> None:
        """Close and remove the file (everything in it is stored)."""
        if self.closed:
            return
        self.closed = True
        try:
            self._map.close()
        finally:
            self.path.unlink(missing_ok=True)
            os.close(self._fd)

    def abandon(self) -> None:
        """Close without deleting (a forked child must not touch its parent's file)."""
        if not self.closed:
            self.closed = True
            try:
                self._map.close()
            finally:
                os.close(self._fd)


@dataclass
class SpoolRecords:
    """What a spool file holds past a given offset, in order, ready to apply."""

    stem: str
    end: int
    ops: list[Op] = field(default_factory=list)
    points: int = 0


def read_spool(path: Path, start: int = 0) -> SpoolRecords:
    """Parse ``path``: every complete record, with metric points from ``start`` on grouped in order.

    Names are defined before ``start`` too, so the whole file is read; records
    before ``start`` are skipped. A torn or corrupt record ends the file.
    """
    from mlm_jupyter.core.arrow_columns import table
    from mlm_jupyter.store.domains.runs import METRIC_SCHEMA

    stem = path.name[:-len(SPOOL_SUFFIX)]
    data = path.read_bytes()
    records = SpoolRecords(stem=stem, end=_HEADER.size)
    if len(data) < _HEADER.size or _HEADER.unpack_from(data, 0)[:2] != (_MAGIC, _VERSION):
        return records
    names: dict[int, str] = {}
    columns: dict[str, list[Any]] = {"run_id": [], "key": [], "step": [], "value": [], "time": []}

    def seal() -> None:
        if columns["run_id"]:
            points = table(columns, METRIC_SCHEMA)
            records.ops.append(Op("log_metrics", {"points": points}))
            records.points += points.num_rows
            for column in columns.values():
                column.clear()

    offset = _HEADER.size
    while offset + _RECORD.size <= len(data):
        length, crc = _RECORD.unpack_from(data, offset)
        payload_start = offset + _RECORD.size
        if length == 0 or payload_start + length > len(data):
            break
        payload = data[payload_start:payload_start + length]
        if zlib.crc32(payload) != crc:
            log.warning("mlm-jupyter: %s has a damaged record at byte %d; the rest is ignored", path, offset)
            break
        kind = payload[:1]
        if kind == b"N":
            names[_NAME.unpack_from(payload)[1]] = payload[_NAME.size:].decode("utf-8")
        elif offset >= start and kind == b"M":
            _, run, key, step, value, time = _METRIC.unpack(payload)
            columns["run_id"].append(names[run])
            columns["key"].append(names[key])
            columns["step"].append(step)
            columns["value"].append(value)
            columns["time"].append(time)
        elif offset >= start and kind == b"O":
            seal()
            records.ops.extend(WriteBatch.from_dict(codec.loads(payload[1:].decode("utf-8"))).ops)
        offset = payload_start + length
    seal()
    records.end = offset
    return records


def replayable_spools(directory: Path) -> Iterator[tuple[Path, int]]:
    """Spool files of dead processes, each with an open fd holding its lock (the caller closes it)."""
    if not directory.is_dir():
        return
    for path in sorted(directory.glob(f"*{SPOOL_SUFFIX}")):
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # its process is alive (or another open is replaying it)
            os.close(fd)
            continue
        yield path, fd
