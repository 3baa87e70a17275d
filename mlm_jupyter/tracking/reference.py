"""Drift references: the row sample kept with a logged dataset, and the one a model version is judged against.

Logging a table (``log_input``) also stores a bounded uniform sample of its
rows (at most ``REFERENCE_ROWS``, Parquet, content-addressed in the store's
blobs, seeded by the data's digest so the same data always gives the same
sample). A model version's reference is then found through lineage: the
dataset its run read with role ``train`` (else the first input it read). A
caller may name another: a dataset name (``"valid"``), ``data:/name/version``,
a dataset version, or any table.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Mapping

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from mlm_jupyter.core.dataset_entities import DatasetVersion
from mlm_jupyter.core.errors import MlmError, NotFoundError
from mlm_jupyter.core.inference_batch import RESERVED_PREFIX, inference_table
from mlm_jupyter.core.profile import sample_indices
from mlm_jupyter.store.contract import Op, Store, WriteBatch

if TYPE_CHECKING:
    from mlm_jupyter.core.model_entities import ModelVersion
    from mlm_jupyter.tracking.client import MlmClient

__all__ = ["REFERENCE_ROWS", "Reference", "reference_for", "sample_rows", "store_sample"]

REFERENCE_ROWS = 20_000
_DATA_URI = re.compile(r"^data:/(?P<name>.+?)(?:/(?P<version>\d+))?$")
_TRAIN_ROLES = ("train", "training")


@dataclass(frozen=True)
class Reference:
    """The rows a serving window is compared with, and where they came from."""

    table: pa.Table
    source: str
    total_rows: int
    dataset: str | None = None
    version: int | None = None
    digest: str | None = None
    schema: Mapping[str, str] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """Identifies the reference (its digest, else a hash of its rows)."""
        if self.digest:
            return self.digest
        import hashlib

        return hashlib.sha256(_parquet_bytes(self.table)).hexdigest()[:32]

    def describe(self) -> dict[str, Any]:
        return {"source": self.source, "dataset": self.dataset, "version": self.version, "digest": self.digest,
                "rows": self.table.num_rows, "total_rows": self.total_rows}


def _parquet_bytes(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="zstd")
    return sink.getvalue()


def sample_rows(obj: Any, seed: int, size: int = REFERENCE_ROWS) -> tuple[pa.Table, int] | None:
    """A uniform sample of ``obj``'s rows as Arrow, and its row count (``None``: not a table)."""
    shape = getattr(obj, "shape", None)
    if shape is None or len(shape) not in (1, 2) or isinstance(obj, (bytes, str)):
        if not isinstance(obj, (pa.Table, pa.RecordBatch)):
            return None
    rows = int(obj.num_rows if isinstance(obj, (pa.Table, pa.RecordBatch)) else shape[0])  # type: ignore[index]
    picks = sample_indices(rows, seed, size)
    if picks is not None:
        module = type(obj).__module__
        if module.startswith("pandas"):
            obj = obj.iloc[picks]
        elif isinstance(obj, (pa.Table, pa.RecordBatch)) or module.startswith("polars"):
            obj = obj.take(pa.array(picks)) if not module.startswith("polars") else obj[picks]
        else:
            obj = np.asarray(obj)[picks]
    if type(obj).__module__.startswith("pandas") and getattr(obj, "ndim", 2) == 1:
        obj = obj.to_frame()
    try:
        table = inference_table(obj, None)
    except MlmError:
        return None
    return table.drop_columns([c for c in table.column_names if c.startswith(RESERVED_PREFIX)]), rows


def store_sample(store: Store, digest: str, obj: Any) -> dict[str, Any] | None:
    """Store the reference sample of ``obj`` (whose fingerprint digest is ``digest``); ``None`` if not a table."""
    sampled = sample_rows(obj, int(digest[:15], 16))
    if sampled is None:
        return None
    table, total = sampled
    sha256 = store.put_blob(_parquet_bytes(table))
    record = {"digest": digest, "sha256": sha256, "rows": table.num_rows, "total_rows": total}
    store.write(WriteBatch.of(Op("record_dataset_sample", record)))
    return record


def _from_version(client: MlmClient, version: DatasetVersion, source: str) -> Reference:
    record = client.store.read("dataset_sample", digest=version.digest)
    if record is None:
        raise NotFoundError(
            f"dataset {version.name} v{version.version} has no stored row sample (it was logged before samples "
            "were kept, or it is not a table); log it again with mlm.log_input(df, name=..., role='train') "
            "or pass reference=<a DataFrame>", dataset=version.name)
    table = pq.read_table(io.BytesIO(client.store.read_blob(str(record["sha256"]))))
    return Reference(table, source, int(record["total_rows"]), version.name, version.version, version.digest,
                     dict(version.fingerprint.schema))


def _training_input(client: MlmClient, model_version: ModelVersion) -> DatasetVersion:
    if not model_version.run_id:
        raise NotFoundError(f"{model_version.uri} was registered without a run, so it has no training data on "
                            "record; pass reference=<a dataset name or a DataFrame>")
    inputs = [i for i in client.store.read("run_inputs", run_id=model_version.run_id) if i["direction"] == "input"]
    chosen = next((i for i in inputs if str(i["role"]).lower() in _TRAIN_ROLES), inputs[0] if inputs else None)
    if chosen is None or chosen.get("version") is None:
        raise NotFoundError(
            f"the run of {model_version.uri} recorded no training data; inside the run call "
            "mlm.log_input(X_train, name='train', role='train'), or pass reference=<a dataset name or a DataFrame>",
            run_id=model_version.run_id)
    return client.get_dataset_version(str(chosen["name"]), int(chosen["version"]))


def reference_for(client: MlmClient, model_version: ModelVersion, reference: Any = None) -> Reference:
    """The reference of ``model_version``: its training data from lineage, or the one named.

    Raises:
        NotFoundError: no training data on record (or the named dataset is unknown).
    """
    if reference is None:
        version = _training_input(client, model_version)
        return _from_version(client, version, f"training data of {model_version.uri}")
    if isinstance(reference, DatasetVersion):
        return _from_version(client, reference, f"data:/{reference.name}/{reference.version}")
    if isinstance(reference, str):
        match = _DATA_URI.match(reference)
        name, number = (match["name"], int(match["version"]) if match["version"] else None) if match else \
            (reference, None)
        version = client.get_dataset_version(name, number)
        return _from_version(client, version, f"data:/{version.name}/{version.version}")
    sampled = sample_rows(reference, 0)
    if sampled is None:
        raise NotFoundError(f"cannot use a {type(reference).__name__} as a reference: give a DataFrame, an Arrow "
                            "table, a numpy array or a dataset name")
    table, total = sampled
    return Reference(table, "the reference passed in", total)
