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

__all__ = ["REFERENCE_ROWS", "Reference", "pick_rows", "reference_for", "rows_table", "sample_rows", "sample_seed",
           "store_sample", "store_table_sample"]

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


def pick_rows(obj: Any, seed: int, size: int = REFERENCE_ROWS) -> tuple[Any, int] | None:
    """A uniform sample of ``obj``'s rows, in ``obj``'s own type, and its row count (``None``: not a table).

    The sample is a copy (or immutable), so later changes to ``obj`` do not reach it.
    """
    shape = getattr(obj, "shape", None)
    if shape is None or len(shape) not in (1, 2) or isinstance(obj, (bytes, str)):
        if not isinstance(obj, (pa.Table, pa.RecordBatch)):
            return None
    rows = int(obj.num_rows if isinstance(obj, (pa.Table, pa.RecordBatch)) else shape[0])  # type: ignore[index]
    picks = sample_indices(rows, seed, size)
    module = type(obj).__module__
    if picks is not None:
        if module.startswith("pandas"):
            obj = obj.iloc[picks]
        elif isinstance(obj, (pa.Table, pa.RecordBatch)) or module.startswith("polars"):
            obj = obj.take(pa.array(picks)) if not module.startswith("polars") else obj[picks]
        else:
            obj = np.asarray(obj)[picks]
    elif module.startswith(("pandas", "numpy")) and hasattr(obj, "copy"):
        obj = obj.copy()
    elif module.startswith("polars") and hasattr(obj, "clone"):
        obj = obj.clone()
    return obj, rows


def rows_table(picked: Any) -> pa.Table | None:
    """A picked sample as an Arrow table of its feature columns (``None``: it cannot be one)."""
    if type(picked).__module__.startswith("pandas") and getattr(picked, "ndim", 2) == 1:
        picked = picked.to_frame()
    try:
        table = inference_table(picked, None)
    except MlmError:
        return None
    return table.drop_columns([c for c in table.column_names if c.startswith(RESERVED_PREFIX)])


def sample_rows(obj: Any, seed: int, size: int = REFERENCE_ROWS) -> tuple[pa.Table, int] | None:
    """A uniform sample of ``obj``'s rows as Arrow, and its row count (``None``: not a table)."""
    picked = pick_rows(obj, seed, size)
    if picked is None:
        return None
    table = rows_table(picked[0])
    return None if table is None else (table, picked[1])


def sample_seed(digest: str) -> int:
    """The sample of a dataset is seeded by its digest: the same data always gives the same sample."""
    return int(digest[:15], 16)


def store_table_sample(store: Store, digest: str, table: pa.Table, total: int) -> dict[str, Any]:
    """Store ``table`` (a sample of ``total`` rows) as the row sample of the dataset ``digest``."""
    sha256 = store.put_blob(_parquet_bytes(table))
    record = {"digest": digest, "sha256": sha256, "rows": table.num_rows, "total_rows": total}
    store.write(WriteBatch.of(Op("record_dataset_sample", record)))
    return record


def store_sample(store: Store, digest: str, obj: Any) -> dict[str, Any] | None:
    """Store the reference sample of ``obj`` (whose fingerprint digest is ``digest``); ``None`` if not a table."""
    sampled = sample_rows(obj, sample_seed(digest))
    if sampled is None:
        return None
    return store_table_sample(store, digest, *sampled)


def _from_version(client: MlmClient, version: DatasetVersion, source: str) -> Reference:
    record = client.store.read("dataset_sample", digest=version.digest)
    if record is None:
        import sys

        samples = sys.modules.get("mlm_jupyter.tracking.reference_samples")
        if samples is not None:  # a %%track cell's sample may be on its way: let it land (no-op when none is)
            samples.wait(30.0)
            record = client.store.read("dataset_sample", digest=version.digest)
    if record is None:
        raise NotFoundError(
            f"dataset {version.name} v{version.version} has no stored row sample (it was logged before samples "
            "were kept, it is not a table, or the kernel stopped before its sample was stored); log it again with mlm.log_input(df, name=..., role='train') "
            "or pass reference=<a DataFrame>", dataset=version.name)
    table = pq.read_table(io.BytesIO(client.store.read_blob(str(record["sha256"]))))
    return Reference(table, source, int(record["total_rows"]), version.name, version.version, version.digest,
                     dict(version.fingerprint.schema))


def _training_input(client: MlmClient, model_version: ModelVersion) -> DatasetVersion:
    if not model_version.run_id:
        raise NotFoundError(f"{model_version.uri} was registered without a run, so it has no training data on "
                            "record; pass reference=<a dataset name or a DataFrame>")
    inputs = [i for i in client.store.read("run_inputs", run_id=model_version.run_id)
              if i["direction"] == "input" and i.get("version") is not None]
    chosen = next((i for i in inputs if str(i["role"]).lower() in _TRAIN_ROLES), None)
    if chosen is None and len(inputs) > 1:
        # no input is marked train (say a %%track cell read X_train, y_train and X_test): the one whose
        # columns cover most of the model's signature, with a row sample on record
        wanted = set(model_version.signature.input_names) if model_version.signature is not None else set()
        best = -1
        for item in inputs:
            try:
                version = client.get_dataset_version(str(item["name"]), int(item["version"]))
            except NotFoundError:  # a deleted input cannot be the reference; another may
                continue
            sampled = client.store.read("dataset_sample", digest=version.digest) is not None
            score = (len(wanted & set(version.fingerprint.schema)) * 2 + int(sampled)) if wanted else int(sampled)
            if score > best:
                chosen, best = item, score
    chosen = chosen or (inputs[0] if inputs else None)
    if chosen is None:
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
