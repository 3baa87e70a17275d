"""Inputs checked against a version's signature and turned into what its model takes.

A named signature gets a pandas frame with exactly its columns, in its order
(extra columns are dropped, as MLflow's server does); an unnamed one gets a
numpy array of its dtype and shape. Every refusal is a ``BadInput`` that
names the column and the reason: ``missing``, ``wrong_type``, ``non_finite``
(NaN, infinity or null in a numeric column: refused unless the signature's
``extra["allow_non_finite"]`` lists the column, or is ``true``), ``bad_shape``,
``empty``.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from mlm_jupyter.core.signature import ModelSignature, TensorSpec
from mlm_jupyter.serving.errors import BadInput
from mlm_jupyter.serving.payload import Payload

__all__ = ["prepare_input"]

_MAX_SHOWN = 40


def _kind(dtype: str) -> str:
    text = dtype.lower()
    if text.startswith(("int", "uint")):
        return "int"
    if text.startswith(("float", "double", "half")):
        return "float"
    if text in ("bool", "boolean"):
        return "bool"
    if text in ("string", "str", "utf8", "large_string", "large_utf8"):
        return "string"
    return "any"


def _numpy_dtype(dtype: str) -> Any:
    try:
        return np.dtype(dtype.lower())
    except TypeError:
        return np.dtype("float64") if _kind(dtype) == "float" else np.dtype("int64")


def _allows_non_finite(signature: ModelSignature, column: str | None) -> bool:
    allowed = signature.extra.get("allow_non_finite")
    return allowed is True or (isinstance(allowed, list) and column in allowed)


def prepare_input(payload: Payload, signature: ModelSignature | None) -> Any:
    """What to hand the model's ``predict`` for this payload, or a ``BadInput`` naming the problem."""
    if payload.params:
        raise BadInput(f"this model takes no params (got {', '.join(sorted(payload.params))})", reason="bad_format",
                       column=None)
    rows = payload.rows
    frame = payload.frame
    count = len(rows) if rows is not None else len(frame)
    if count == 0:
        raise BadInput("the request has no rows to score", reason="empty")
    named = [spec for spec in signature.inputs if spec.name is not None] if signature is not None else []
    if rows is not None and payload.columns is not None:
        array = _numeric_rows(rows, len(payload.columns))
        if array is not None and named and signature is not None:
            checked = _checked_array(signature, named, array, payload.columns)
            if checked is not None:
                return checked
        import pandas as pd

        frame = pd.DataFrame(array if array is not None else rows, columns=payload.columns)
        rows = None
    if signature is None or not signature.inputs:
        return frame if frame is not None else _plain_array(rows)
    if not named:
        return _tensor(signature, signature.inputs[0], frame, rows)
    if frame is None:
        if rows and isinstance(rows[0], list):  # rows of values in the signature's column order
            array = _numeric_rows(rows, len(named))
            checked = _checked_array(signature, named, array, [str(spec.name) for spec in named]) \
                if array is not None else None
            if checked is not None:
                return checked
        frame = _rows_frame(rows, named)
    return _checked_frame(signature, named, frame)


_NUMBER_TYPES = (int, float)


def _all_numbers(rows: list[Any]) -> bool:
    """Every value is a JSON number (not a bool, text or null, which numpy would quietly convert)."""
    return all(type(value) in _NUMBER_TYPES for row in rows for value in (row if isinstance(row, list) else (row,)))


def _numeric_rows(rows: list[Any], width: int) -> Any:
    """Rows of numbers as one float array (a single conversion), or ``None`` if any value is not a number."""
    if not _all_numbers(rows):
        return None
    try:
        array = np.array(rows, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    return array if array.ndim == 2 and array.shape[1] == width else None


def _checked_array(signature: ModelSignature, named: Sequence[TensorSpec], array: Any, columns: list[str]) -> Any:
    """The model's frame from a float array of named columns, checked column by column without pandas;
    ``None`` when the signature has non-numeric columns (the frame path checks those)."""
    import pandas as pd

    if not all(_kind(spec.dtype) in ("int", "float") for spec in named):
        return None
    position = {name: index for index, name in enumerate(columns)}
    out = {}
    for spec in named:
        name = str(spec.name)
        if name not in position:
            raise BadInput(f"column {name!r} is missing: the signature needs "
                           f"{', '.join(str(s.name) for s in named)[:300]}", reason="missing", column=name)
        values = array[:, position[name]]
        finite = np.isfinite(values)
        kind = _kind(spec.dtype)
        if not finite.all() and (kind == "int" or not _allows_non_finite(signature, name)):
            row = int(np.flatnonzero(~finite)[0])
            raise BadInput(f"column {name!r} ({spec.dtype}) does not take non-finite values; row {row} is "
                           f"{_show(values[row])}", reason="non_finite", column=name, row=row)
        if kind == "int":
            fractional = values != np.round(values)
            if fractional.any():
                row = int(np.flatnonzero(fractional)[0])
                raise BadInput(f"column {name!r} takes whole numbers ({spec.dtype}); row {row} is "
                               f"{_show(values[row])}", reason="wrong_type", column=name, row=row)
        out[name] = values.astype(_numpy_dtype(spec.dtype))
    return pd.DataFrame(out, copy=False)


def _plain_array(rows: Any) -> Any:
    try:
        return np.asarray(rows)
    except ValueError as error:  # ragged rows
        raise BadInput(f"the rows do not form an array ({error})", reason="bad_shape") from None


def _rows_frame(rows: Any, named: Sequence[TensorSpec]) -> Any:
    import pandas as pd

    names = [str(spec.name) for spec in named]
    if len(named) == 1 and rows and not isinstance(rows[0], list):
        return pd.DataFrame({names[0]: rows})
    for number, row in enumerate(rows):
        if not isinstance(row, list) or len(row) != len(names):
            size = len(row) if isinstance(row, list) else 1
            raise BadInput(f"row {number} has {size} values, but the signature has {len(names)} columns "
                           f"({', '.join(names)[:200]}); send dataframe_split or records to name them",
                           reason="bad_shape")
    if all(_kind(spec.dtype) in ("int", "float") for spec in named) and _all_numbers(rows):
        try:  # fast path: one numeric array for the whole request
            array = np.array(rows, dtype=np.float64)
        except (TypeError, ValueError):
            pass
        else:
            return pd.DataFrame(array, columns=names)
    return pd.DataFrame(rows, columns=names)


def _checked_frame(signature: ModelSignature, named: Sequence[TensorSpec], frame: Any) -> Any:
    import pandas as pd

    present = set(map(str, frame.columns))
    for spec in named:
        if spec.name not in present:
            raise BadInput(f"column {spec.name!r} is missing: the signature needs "
                           f"{', '.join(str(s.name) for s in named)[:300]}", reason="missing", column=spec.name)
    frame = frame.rename(columns=str)
    columns = {str(spec.name): _checked_column(signature, spec, frame[str(spec.name)]) for spec in named}
    return pd.DataFrame(columns, index=frame.index)


def _first_bad(values: Any, bad: Any) -> tuple[int, Any]:
    position = int(np.flatnonzero(np.asarray(bad))[0])
    return position, values.iloc[position] if hasattr(values, "iloc") else values[position]


def _show(value: Any) -> str:
    if isinstance(value, np.generic):
        value = value.item()
    return repr(value)[:_MAX_SHOWN]


def _checked_column(signature: ModelSignature, spec: TensorSpec, values: Any) -> Any:
    import pandas as pd

    name = str(spec.name)
    kind = _kind(spec.dtype)
    if kind in ("int", "float"):
        numeric = values
        if values.dtype.kind not in "iuf":
            if values.dtype.kind == "b":
                raise BadInput(f"column {name!r} takes {spec.dtype} numbers, got booleans", reason="wrong_type",
                               column=name)
            numeric = pd.to_numeric(values, errors="coerce")
            not_number = numeric.isna().to_numpy() & values.notna().to_numpy()
            not_number |= values.map(lambda v: isinstance(v, (bool, np.bool_, str, bytes))).to_numpy(dtype=bool)
            if not_number.any():
                row, value = _first_bad(values, not_number)
                raise BadInput(f"column {name!r} takes {spec.dtype} numbers; row {row} has {_show(value)}",
                               reason="wrong_type", column=name, row=row)
        array = numeric.to_numpy(dtype=np.float64, na_value=np.nan)
        finite = np.isfinite(array)
        if not finite.all() and (kind == "int" or not _allows_non_finite(signature, name)):
            row, value = _first_bad(array, ~finite)
            shown = "null" if values.iloc[row] is None else _show(value)
            raise BadInput(f"column {name!r} ({spec.dtype}) does not take non-finite values; row {row} is {shown}",
                           reason="non_finite", column=name, row=row)
        if kind == "int":
            fractional = array != np.round(array)
            if fractional.any():
                row, value = _first_bad(array, fractional)
                raise BadInput(f"column {name!r} takes whole numbers ({spec.dtype}); row {row} is {_show(value)}",
                               reason="wrong_type", column=name, row=row)
            return array.astype(_numpy_dtype(spec.dtype))
        return array.astype(_numpy_dtype(spec.dtype), copy=False)
    if kind == "bool":
        if values.dtype.kind == "b":
            return values.to_numpy()
        is_bool = values.map(lambda v: isinstance(v, (bool, np.bool_))).to_numpy(dtype=bool)
        if not is_bool.all():
            row, value = _first_bad(values, ~is_bool)
            raise BadInput(f"column {name!r} takes true/false; row {row} has {_show(value)}", reason="wrong_type",
                           column=name, row=row)
        return values.astype(bool).to_numpy()
    if kind == "string":
        is_text = values.map(lambda v: isinstance(v, str)).to_numpy(dtype=bool)
        if not is_text.all():
            row, value = _first_bad(values, ~is_text)
            reason = "non_finite" if value is None or (isinstance(value, float) and not np.isfinite(value)) \
                else "wrong_type"
            raise BadInput(f"column {name!r} takes text; row {row} has {_show(value)}", reason=reason, column=name,
                           row=row)
        return values.astype(object).to_numpy()
    return values.to_numpy()


def _tensor(signature: ModelSignature, spec: TensorSpec, frame: Any, rows: Any) -> Any:
    label = "input"
    kind = _kind(spec.dtype)
    source = frame.to_numpy() if frame is not None else rows
    numeric = kind in ("int", "float")
    try:
        array = np.asarray(source, dtype=np.float64 if numeric else None)
    except (TypeError, ValueError) as error:
        raise BadInput(f"the input does not fit the signature's {spec.dtype} array ({error})", reason="wrong_type",
                       column=label) from None
    expected = tuple(spec.shape)
    if len(expected) != array.ndim or any(e not in (-1, a) for e, a in zip(expected[1:], array.shape[1:])):
        raise BadInput(f"the input has shape {list(array.shape)}; the signature takes {list(expected)} "
                       "(-1: any number of rows)", reason="bad_shape", column=label)
    if not numeric:
        return array
    finite = np.isfinite(array)
    if not finite.all() and (kind == "int" or not _allows_non_finite(signature, None)):
        row = int(np.argwhere(~finite)[0][0])
        raise BadInput(f"the input does not take non-finite values; row {row} has one", reason="non_finite",
                       column=label, row=row)
    if kind == "int":
        fractional = array != np.round(array)
        if fractional.any():
            row = int(np.argwhere(fractional)[0][0])
            raise BadInput(f"the input takes whole numbers ({spec.dtype}); row {row} has a fraction",
                           reason="wrong_type", column=label, row=row)
    return array.astype(_numpy_dtype(spec.dtype), copy=False)
