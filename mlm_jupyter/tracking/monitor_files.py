"""Where inference logs live on disk: Parquet partitions by model, version and hour.

Layout under the store directory::

    monitoring/inference/model=<name>/version=<v>/hour=<YYYYMMDDHH>/part-<host>-<pid>-<token>-<seq>.parquet
    monitoring/summaries/model=<name>/version=<v>/window=<start>-<seconds>/<host>-<pid>-<token>.json (+ .parquet)
    monitoring/labels/model=<name>/part-<host>-<pid>-<token>-<seq>.parquet

Every file is written under a temporary name and renamed into place, and
every writing process names its files with its host, pid and a random token,
so any number of threads, processes and forked workers log side by side with
no lock and no single writer. DuckDB, Spark and pandas read the folders in
place (``read_parquet('.../model=churn/**/*.parquet', hive_partitioning=true)``).
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import secrets
import socket
import threading
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from mlm_jupyter.core.errors import InvalidInputError
from mlm_jupyter.core.inference_batch import TIME
from mlm_jupyter.core.model_entities import check_model_name

__all__ = ["MONITORING_DIR", "LogLayout", "write_log_parquet", "write_parquet_atomic"]

MONITORING_DIR = "monitoring"


def write_parquet_atomic(table: pa.Table, path: Path) -> None:
    """Write ``table`` to ``path`` so a reader never sees a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        # dictionary pages only for text: on floats they cost most of the write and save nothing
        text = [f.name for f in table.schema if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)
                or pa.types.is_dictionary(f.type) or pa.types.is_boolean(f.type)]
        pq.write_table(table, temp, compression="zstd", compression_level=1, use_dictionary=text or False)
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def write_log_parquet(table: pa.Table, path: Path) -> None:
    """``write_parquet_atomic`` tuned for high-volume logs (measured in benchmarks/bench_monitor.py).

    Floats: plain pages, no compression (measured feature values barely compress, and snappy cost ~30% of
    the write's CPU for nothing); everything else (integers, text, booleans, ids, times): snappy, with
    dictionary pages for text. Column statistics only for ``__time`` (what readers filter on): the min/max
    of every float column cost ~25% of the write and the window summaries already hold them.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    text = [f.name for f in table.schema if not (pa.types.is_integer(f.type) or pa.types.is_floating(f.type))
            and f.name != TIME]
    compression = {f.name: ("none" if pa.types.is_floating(f.type) else "snappy") for f in table.schema}
    try:
        pq.write_table(table, temp, compression=compression, use_dictionary=text or False,
                       write_statistics=[TIME] if TIME in table.column_names else False)
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def hour_key(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).strftime("%Y%m%d%H")


class LogLayout:
    """Paths of one store's inference logs; ``writer_id`` names this process's files."""

    def __init__(self, store_dir: str | os.PathLike[str]) -> None:
        self.root = Path(store_dir) / MONITORING_DIR
        self._seq = itertools.count()
        self._lock = threading.Lock()
        self._pid = -1
        self._token = ""

    @property
    def writer_id(self) -> str:
        """``<host>-<pid>-<token>``: fresh in a forked child (the pid changes)."""
        with self._lock:
            if self._pid != os.getpid():
                self._pid = os.getpid()
                self._token = secrets.token_hex(3)
                self._seq = itertools.count()
            host = "".join(c if c.isalnum() else "_" for c in socket.gethostname())[:40] or "host"
            return f"{host}-{self._pid}-{self._token}"

    def _next(self) -> str:
        writer = self.writer_id
        return f"{writer}-{next(self._seq):06d}"

    def model_dir(self, kind: str, name: str) -> Path:
        check_model_name(name)
        return self.root / kind / f"model={name}"

    def version_dir(self, kind: str, name: str, version: int) -> Path:
        if not isinstance(version, int) or version < 1:
            raise InvalidInputError(f"a model version is a whole number from 1, got {version!r}")
        return self.model_dir(kind, name) / f"version={version}"

    def inference_glob(self, name: str, version: int | None = None) -> str:
        base = self.model_dir("inference", name) / (f"version={version}" if version is not None else "*")
        return str(base / "*" / "*.parquet")

    def labels_glob(self, name: str) -> str:
        return str(self.model_dir("labels", name) / "*.parquet")

    def summaries_dir(self, name: str, version: int) -> Path:
        return self.version_dir("summaries", name, version)

    def write_inference(self, name: str, version: int, table: pa.Table) -> list[Path]:
        """Write rows into their hour partitions (one new file per hour touched); return the files."""
        if table.num_rows == 0:
            return []
        base = self.version_dir("inference", name, version)
        micros = pc.cast(table.column(TIME), pa.int64())
        hours = pc.divide(micros, 3_600_000_000)  # whole hours since the epoch (strftime per row is slow)
        written = []
        unique = pc.unique(hours).to_pylist()
        for hour in unique:
            part = table if len(unique) == 1 else table.filter(pc.equal(hours, hour))
            key = dt.datetime.fromtimestamp(int(hour) * 3600, dt.timezone.utc).strftime("%Y%m%d%H")
            path = base / f"hour={key}" / f"part-{self._next()}.parquet"
            write_log_parquet(part, path)
            written.append(path)
        return written

    def write_labels(self, name: str, table: pa.Table) -> Path:
        path = self.model_dir("labels", name) / f"part-{self._next()}.parquet"
        write_log_parquet(table, path)
        return path

    def monitored_versions(self) -> list[tuple[str, int]]:
        """Every (model, version) with inference logs, sorted."""
        found = []
        base = self.root / "inference"
        if not base.is_dir():
            return []
        for model_dir in base.glob("model=*"):
            for version_dir in model_dir.glob("version=*"):
                number = version_dir.name.partition("=")[2]
                if number.isdigit():
                    found.append((model_dir.name.partition("=")[2], int(number)))
        return sorted(found)
