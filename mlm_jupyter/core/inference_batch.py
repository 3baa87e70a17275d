"""One logged inference batch as an Arrow table: features, prediction, probabilities, ids, time.

``inference_table`` turns what a serving process has at hand (a pandas or
polars frame, a numpy array, an Arrow table, a list of dicts; predictions as
arrays or lists) into one Arrow table with the features under their own names
and the bookkeeping columns under reserved ``__`` names. It validates shapes
and says what is wrong; it never touches a store.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Sequence

import numpy as np
import pyarrow as pa

from mlm_jupyter.core.errors import InvalidInputError

__all__ = ["ID", "PREDICTION", "PROBA_PREFIX", "RESERVED_PREFIX", "TIME", "check_batch", "feature_columns",
           "inference_table", "label_table", "snapshot", "LABEL"]

RESERVED_PREFIX = "__"
TIME = "__time"
ID = "__id"
PREDICTION = "__prediction"
PROBA_PREFIX = "__proba_"
LABEL = "__label"
_TIME_TYPE = pa.timestamp("us", tz="UTC")


def feature_columns(table: pa.Table) -> list[str]:
    """The feature columns of a logged table (every column not named ``__...``)."""
    return [name for name in table.column_names if not name.startswith(RESERVED_PREFIX)]


def _rows(obj: Any) -> int:
    shape = getattr(obj, "shape", None)
    if shape is not None and len(shape):
        return int(shape[0])
    if isinstance(obj, (pa.Table, pa.RecordBatch)):
        return int(obj.num_rows)
    return len(obj)


def _features(X: Any, feature_names: Sequence[str] | None) -> pa.Table:
    """``X`` as an Arrow table with string column names."""
    if isinstance(X, pa.RecordBatch):
        X = pa.Table.from_batches([X])
    if isinstance(X, pa.Table):
        table = X
    elif hasattr(X, "to_arrow") and type(X).__module__.startswith("polars"):
        table = X.to_arrow()
    elif hasattr(X, "columns") and hasattr(X, "dtypes") and type(X).__module__.startswith("pandas"):
        import pandas as pd

        frame = X if all(isinstance(c, str) for c in X.columns) else X.rename(columns=str)
        if all(dtype.kind in "fiub" for dtype in frame.dtypes) and frame.columns.is_unique:
            # plain numbers: one numpy view per column is several times cheaper than from_pandas
            table = pa.table({name: frame[name].to_numpy() for name in frame.columns})
        elif isinstance(frame.index, pd.RangeIndex):
            table = pa.Table.from_pandas(frame, preserve_index=False)
        else:
            table = pa.Table.from_pandas(frame.reset_index(drop=True), preserve_index=False)
    elif isinstance(X, np.ndarray) or (isinstance(X, (list, tuple)) and X and not isinstance(X[0], dict)):
        array = np.asarray(X)
        if array.ndim == 1:
            array = array.reshape(-1, 1)
        if array.ndim != 2:
            raise InvalidInputError(f"X must be a table or a 2-D array (rows x features), got shape {array.shape}")
        names = list(feature_names) if feature_names and len(feature_names) == array.shape[1] else \
            [f"f{i}" for i in range(array.shape[1])]
        table = pa.table({name: np.ascontiguousarray(array[:, i]) for i, name in enumerate(names)})
    elif isinstance(X, (list, tuple)):
        table = pa.Table.from_pylist(list(X))
    elif isinstance(X, dict):
        table = pa.table({str(k): np.asarray(v) if not isinstance(v, (list, tuple)) else v for k, v in X.items()})
    else:
        raise InvalidInputError(f"cannot log X of type {type(X).__name__}: give a pandas/polars DataFrame, a numpy "
                                "array, an Arrow table or a list of dicts")
    table = table.replace_schema_metadata(None)
    bad = [name for name in table.column_names if not isinstance(name, str) or name.startswith(RESERVED_PREFIX)]
    if bad:
        raise InvalidInputError(f"feature names starting with '__' are reserved for the monitor: {bad[:5]}")
    return table


def _vector(values: Any, rows: int, what: str) -> pa.Array | list[pa.Array]:
    if isinstance(values, (pa.Array, pa.ChunkedArray)):
        array: Any = values
    else:
        if hasattr(values, "to_numpy"):
            values = values.to_numpy()
        array = np.asarray(values)
        if array.dtype == object:
            array = pa.array(list(array), from_pandas=True)
        elif array.ndim == 2 and array.shape[1] == 1:
            array = array[:, 0]
        elif array.ndim == 2:
            if array.shape[0] != rows:
                raise InvalidInputError(f"{what} has {array.shape[0]} rows but X has {rows}")
            return [pa.array(np.ascontiguousarray(array[:, i])) for i in range(array.shape[1])]
        elif array.ndim != 1:
            raise InvalidInputError(f"{what} must be 1-D (one value per row), got shape {array.shape}")
    if len(array) != rows:
        raise InvalidInputError(f"{what} has {len(array)} values but X has {rows} rows; log one per row")
    return pa.array(array) if isinstance(array, np.ndarray) else array


def _length(values: Any) -> int | None:
    shape = getattr(values, "shape", None)
    if shape is not None:
        return int(shape[0]) if len(shape) else None
    try:
        return len(values)
    except TypeError:
        return None


def check_batch(X: Any, y_pred: Any = None, ids: Any = None, proba: Any = None) -> int:
    """Cheap checks of a batch before it is queued (types, lengths, reserved names); returns its rows.

    Raises:
        InvalidInputError: what ``inference_table`` would refuse later, said now to the caller.
    """
    module = type(X).__module__
    if not (module.startswith(("pandas", "polars", "pyarrow", "numpy")) or isinstance(X, (list, tuple, dict))):
        raise InvalidInputError(f"cannot log X of type {type(X).__name__}: give a pandas/polars DataFrame, a numpy "
                                "array, an Arrow table or a list of dicts")
    rows = _length(next(iter(X.values())) if isinstance(X, dict) and X else X) if not isinstance(
        X, (pa.Table, pa.RecordBatch)) else X.num_rows
    if rows is None:
        raise InvalidInputError(f"cannot tell how many rows X has ({type(X).__name__})")
    columns = getattr(X, "columns", None) if not isinstance(X, dict) else list(X)
    if columns is not None:
        bad = [c for c in list(columns) if isinstance(c, str) and c.startswith(RESERVED_PREFIX)]
        if bad:
            raise InvalidInputError(f"feature names starting with '__' are reserved for the monitor: {bad[:5]}")
    for values, what in ((y_pred, "y_pred"), (ids, "ids"), (proba, "proba")):
        if values is not None:
            count = _length(values)
            if count != rows:
                raise InvalidInputError(f"{what} has {count} values but X has {rows} rows; log one per row")
    return int(rows)


def snapshot(value: Any) -> Any:
    """A copy the caller may change afterwards without changing what was logged (pandas copies lazily)."""
    if value is None or isinstance(value, (pa.Table, pa.RecordBatch, pa.Array, pa.ChunkedArray, tuple)):
        return value  # immutable
    module = type(value).__module__
    if module.startswith("pandas") and hasattr(value, "copy"):
        import pandas as pd

        # pandas 3 is copy-on-write: a shallow copy already keeps the logged values from later edits
        return value.copy(deep=int(pd.__version__.split(".")[0]) < 3)
    if module.startswith("numpy") and hasattr(value, "copy"):
        return value.copy()
    if type(value).__module__.startswith("polars"):
        return value.clone()
    if isinstance(value, list):
        return list(value)
    if isinstance(value, dict):
        return {k: (v.copy() if hasattr(v, "copy") else v) for k, v in value.items()}
    return value


def inference_table(X: Any, y_pred: Any, *, ids: Any = None, proba: Any = None,
                    feature_names: Sequence[str] | None = None, now: dt.datetime | None = None) -> pa.Table:
    """Build the logged table of one batch.

    Args:
        X: the model's input rows.
        y_pred: one prediction per row (a 2-D array becomes ``__prediction_0``, ``__prediction_1``, ...).
        ids: optional row ids (anything with a string form) so labels can join later.
        proba: optional class probabilities, one row per input row (columns ``__proba_0`` ...).
        feature_names: names for the columns of a bare numpy array (e.g. the model signature's inputs).
        now: the batch time (default: now, UTC).

    Raises:
        InvalidInputError: lengths disagree or a type cannot be logged.
    """
    table = _features(X, feature_names)
    rows = table.num_rows
    if y_pred is not None:
        prediction = _vector(y_pred, rows, "y_pred")
        if isinstance(prediction, list):
            for i, column in enumerate(prediction):
                table = table.append_column(f"{PREDICTION}_{i}", column)
        else:
            table = table.append_column(PREDICTION, prediction)
    if proba is not None:
        probabilities = _vector(proba, rows, "proba")
        for i, column in enumerate(probabilities if isinstance(probabilities, list) else [probabilities]):
            table = table.append_column(f"{PROBA_PREFIX}{i}", pa.array(column, pa.float64())
                                        if not isinstance(column, pa.Array) else column.cast(pa.float64()))
    if ids is not None:
        id_values = _vector(ids, rows, "ids")
        if isinstance(id_values, list):
            raise InvalidInputError("ids must be one value per row")
        table = table.append_column(ID, id_values.cast(pa.string()) if not pa.types.is_string(id_values.type)
                                    else id_values)
    stamp = now or dt.datetime.now(dt.timezone.utc)
    table = table.append_column(TIME, pa.array(np.full(rows, int(stamp.timestamp() * 1e6), dtype=np.int64),
                                               pa.int64()).cast(_TIME_TYPE))
    return table


def label_table(ids: Any, y_true: Any, *, now: dt.datetime | None = None) -> pa.Table:
    """The logged table of late labels: ``__id``, ``__label``, ``__time``."""
    id_values = _vector(ids, _rows(ids), "ids")
    if isinstance(id_values, list):
        raise InvalidInputError("ids must be one value per row")
    labels = _vector(y_true, len(id_values), "y_true")
    if isinstance(labels, list):
        raise InvalidInputError("y_true must be one value per id")
    stamp = now or dt.datetime.now(dt.timezone.utc)
    return pa.table({ID: id_values.cast(pa.string()), LABEL: labels,
                     TIME: pa.array(np.full(len(id_values), int(stamp.timestamp() * 1e6), dtype=np.int64),
                                    pa.int64()).cast(_TIME_TYPE)})
