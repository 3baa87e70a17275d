"""Request bodies in the formats of MLflow's scoring server, read into a frame or a list of rows.

JSON bodies carry exactly one of ``dataframe_split`` (``{"columns": [...], "data": [[...]]}``),
``dataframe_records`` (``[{"col": value}, ...]``), ``instances`` (rows: lists or records) or
``inputs`` (columns as ``{"col": [values]}``, or rows), plus optional ``params``. ``text/csv``
bodies have a header line. What comes out is checked against the signature by ``input_check``.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from typing import Any, Mapping

from mlm_jupyter.serving.errors import BadInput, UnsupportedMediaType

__all__ = ["INPUT_KEYS", "Payload", "parse_body"]

INPUT_KEYS = ("dataframe_split", "dataframe_records", "instances", "inputs")


@dataclass(frozen=True)
class Payload:
    """A request's input: a pandas ``frame`` (named columns) or ``rows`` (a list, one item per row; named by
    ``columns`` when the request named them, as ``dataframe_split`` does)."""

    frame: Any = None
    rows: list[Any] | None = None
    params: Mapping[str, Any] | None = None
    columns: list[str] | None = None


def _bad(message: str) -> BadInput:
    return BadInput(message, reason="bad_format")


def parse_body(body: bytes, content_type: str | None) -> Payload:
    """Read ``body`` by its content type (``application/json`` or ``text/csv``)."""
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if media == "text/csv":
        return Payload(frame=_read_csv(body))
    if media != "application/json" and not media.endswith("+json"):
        raise UnsupportedMediaType(
            f"content type {media or '(none)'!r} is not supported: send application/json with one of "
            f"{', '.join(INPUT_KEYS)}, or text/csv with a header line")
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise _bad(f"the body is not valid JSON ({error})") from None
    return parse_document(document)


def _read_csv(body: bytes) -> Any:
    import pandas as pd

    if not body.strip():
        raise BadInput("the CSV body is empty: send a header line and at least one row", reason="empty")
    try:
        return pd.read_csv(io.BytesIO(body))
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as error:
        raise _bad(f"the body is not readable CSV ({error})") from None


def parse_document(document: Any) -> Payload:
    """A parsed JSON document in one of the four input formats."""
    if not isinstance(document, dict):
        raise _bad(f"the JSON body must be an object with exactly one of {', '.join(INPUT_KEYS)}")
    keys = [key for key in INPUT_KEYS if key in document]
    unknown = sorted(set(document) - set(INPUT_KEYS) - {"params"})
    if len(keys) != 1 or unknown:
        found = ", ".join(sorted(document)) or "none"
        raise _bad(f"the JSON body must have exactly one of {', '.join(INPUT_KEYS)} (and optionally params); "
                   f"it has: {found}")
    params = document.get("params")
    if params is not None and not isinstance(params, dict):
        raise _bad("params must be a JSON object")
    key = keys[0]
    value = document[key]
    if key == "dataframe_split":
        frame = _split_frame(value)
        if isinstance(frame, Payload):
            return Payload(rows=frame.rows, columns=frame.columns, params=params)
        return Payload(frame=frame, params=params)
    if key == "dataframe_records":
        if not isinstance(value, list) or not all(isinstance(row, dict) for row in value):
            raise _bad("dataframe_records must be a list of objects, one per row: [{\"col\": value, ...}, ...]")
        return Payload(frame=_records_frame(value), params=params)
    if key == "inputs" and isinstance(value, dict):
        return Payload(frame=_columns_frame(value), params=params)
    if not isinstance(value, list):
        raise _bad(f"{key} must be a list of rows" + (" or an object of columns" if key == "inputs" else ""))
    if value and all(isinstance(row, dict) for row in value):
        return Payload(frame=_records_frame(value), params=params)
    return Payload(rows=value, params=params)


def _split_frame(value: Any) -> Any:  # a frame, or a Payload of named rows
    import pandas as pd

    if not isinstance(value, dict) or not isinstance(value.get("data"), list):
        raise _bad("dataframe_split must be {\"columns\": [...], \"data\": [[...], ...]}")
    columns = value.get("columns")
    data = value["data"]
    if columns is not None and (not isinstance(columns, list) or not all(isinstance(c, str) for c in columns)):
        raise _bad("dataframe_split.columns must be a list of column names")
    for number, row in enumerate(data):
        if not isinstance(row, list):
            raise _bad(f"dataframe_split.data row {number} is not a list")
        if columns is not None and len(row) != len(columns):
            raise BadInput(f"dataframe_split.data row {number} has {len(row)} values for {len(columns)} columns",
                           reason="bad_shape")
    if columns is not None and len(set(columns)) != len(columns):
        raise _bad("dataframe_split.columns names a column twice")
    if columns is not None and value.get("index") is None:
        return Payload(rows=data, columns=columns)  # rows stay rows: input_check reads numbers in one go
    return pd.DataFrame(data, columns=columns, index=value.get("index"))


def _records_frame(rows: list[dict[str, Any]]) -> Any:
    import pandas as pd

    return pd.DataFrame.from_records(rows)


def _columns_frame(columns: dict[str, Any]) -> Any:
    import pandas as pd

    lists = {name: values if isinstance(values, list) else [values] for name, values in columns.items()}
    lengths = {len(values) for values in lists.values()}
    if len(lengths) > 1:
        raise BadInput("inputs columns have different lengths: " +
                       ", ".join(f"{name}={len(values)}" for name, values in lists.items()), reason="bad_shape")
    return pd.DataFrame(lists)
