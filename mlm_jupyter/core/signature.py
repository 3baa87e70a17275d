"""Model signatures: input/output columns, dtypes and shapes inferred from example data."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

__all__ = ["ModelSignature", "TensorSpec", "example_to_json", "infer_schema", "infer_signature"]


@dataclass(frozen=True)
class TensorSpec:
    """One input or output: a named column, or an unnamed array (``name`` is ``None``).

    ``shape`` uses ``-1`` for the batch dimension (any number of rows).
    """

    dtype: str
    shape: tuple[int, ...] = (-1,)
    name: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "dtype": self.dtype, "shape": list(self.shape)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TensorSpec:
        return cls(dtype=str(data["dtype"]), shape=tuple(int(x) for x in data.get("shape") or (-1,)),
                   name=data.get("name"))


@dataclass(frozen=True)
class ModelSignature:
    """What a model takes and returns: ``inputs`` and ``outputs`` as lists of ``TensorSpec``."""

    inputs: tuple[TensorSpec, ...] = ()
    outputs: tuple[TensorSpec, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def input_names(self) -> list[str]:
        return [spec.name for spec in self.inputs if spec.name is not None]

    def to_dict(self) -> dict[str, Any]:
        return {"inputs": [s.to_dict() for s in self.inputs], "outputs": [s.to_dict() for s in self.outputs],
                **({"extra": dict(self.extra)} if self.extra else {})}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ModelSignature:
        return cls(inputs=tuple(TensorSpec.from_dict(s) for s in data.get("inputs") or ()),
                   outputs=tuple(TensorSpec.from_dict(s) for s in data.get("outputs") or ()),
                   extra=dict(data.get("extra") or {}))

    def describe(self) -> str:
        """One line per side, e.g. ``inputs: age:int64, income:float64 -> outputs: int64[-1]``."""
        def side(specs: Sequence[TensorSpec]) -> str:
            return ", ".join(f"{s.name}:{s.dtype}" if s.name else f"{s.dtype}{list(s.shape)}" for s in specs) or "?"
        return f"inputs: {side(self.inputs)} -> outputs: {side(self.outputs)}"


def _dtype_name(dtype: Any) -> str:
    text = str(dtype)
    return {"object": "object", "str": "string", "<U0": "string"}.get(text, text)


def _arrow_dtype_name(arrow_type: Any) -> str:
    """Numbers and booleans by their numpy name (``float64``, ``int32``, ``bool``), strings as ``string``,
    anything else by Arrow's name (``timestamp[us, tz=UTC]``, ``date32[day]``...)."""
    import numpy as np
    import pyarrow as pa

    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type) or pa.types.is_string_view(arrow_type):
        return "string"
    if pa.types.is_integer(arrow_type) or pa.types.is_floating(arrow_type) or pa.types.is_boolean(arrow_type):
        return str(np.dtype(arrow_type.to_pandas_dtype()).name)
    return str(arrow_type)


def infer_schema(data: Any) -> tuple[TensorSpec, ...]:
    """Specs for ``data``: a pandas/polars DataFrame, Series, pyarrow Table, numpy array, scipy sparse matrix,
    dict of arrays, list of records (dicts), or list."""
    if data is None:
        return ()
    module = type(data).__module__.split(".")[0]
    if module == "pandas" and hasattr(data, "columns"):
        return tuple(TensorSpec(_dtype_name(data[c].dtype), (-1,), str(c)) for c in data.columns)
    if module == "polars" and hasattr(data, "schema"):
        return tuple(TensorSpec(str(dtype).lower(), (-1,), str(name)) for name, dtype in data.schema.items())
    if module == "pandas" and hasattr(data, "dtype"):
        return (TensorSpec(_dtype_name(data.dtype), (-1,), str(data.name) if data.name is not None else None),)
    if module == "pyarrow" and hasattr(data, "schema"):  # Table, RecordBatch
        return tuple(TensorSpec(_arrow_dtype_name(f.type), (-1,), str(f.name)) for f in data.schema)
    if module == "scipy" and hasattr(data, "tocsr"):  # a sparse matrix or array
        return (TensorSpec(_dtype_name(data.dtype), (-1, *data.shape[1:])),)
    if isinstance(data, Mapping):
        return tuple(TensorSpec(spec.dtype, spec.shape, str(key))
                     for key, value in data.items() for spec in infer_schema(value)[:1])
    if isinstance(data, (list, tuple)) and data and all(isinstance(row, Mapping) for row in data):
        keys = list(dict.fromkeys(key for row in data for key in row))  # records: one column per key
        return infer_schema({key: [row.get(key) for row in data] for key in keys})
    import numpy as np

    array = np.asarray(data)
    shape = (-1, *array.shape[1:]) if array.ndim else ()
    if array.dtype.kind == "U":
        return (TensorSpec("string", shape),)
    return (TensorSpec(_dtype_name(array.dtype), shape),)


def infer_signature(input_example: Any, output_example: Any = None) -> ModelSignature:
    """The signature of a model that takes ``input_example`` and returns ``output_example``."""
    return ModelSignature(inputs=infer_schema(input_example), outputs=infer_schema(output_example))


def example_to_json(example: Any, max_rows: int = 5) -> dict[str, Any] | None:
    """A small JSON form of an input example (first ``max_rows`` rows), or ``None`` if not representable."""
    if example is None:
        return None
    try:
        module = type(example).__module__.split(".")[0]
        if module == "pandas" and hasattr(example, "columns"):
            head = example.head(max_rows)
            return {"type": "dataframe", "columns": [str(c) for c in head.columns],
                    "data": head.astype(object).where(head.notna(), None).values.tolist()}
        if module == "polars" and hasattr(example, "schema"):
            head = example.head(max_rows)
            return {"type": "dataframe", "columns": list(head.columns), "data": [list(r) for r in head.rows()]}
        if module == "pyarrow" and hasattr(example, "schema"):
            head = example.slice(0, max_rows)
            return {"type": "dataframe", "columns": list(head.schema.names),
                    "data": [list(row.values()) for row in head.to_pylist()]}
        if module == "scipy" and hasattr(example, "tocsr"):
            example = example.tocsr()[:max_rows].toarray()
        import numpy as np

        array = np.asarray(example)[:max_rows]
        return {"type": "ndarray", "dtype": str(array.dtype), "data": array.tolist()}
    except Exception:  # an example we cannot serialise is simply not kept
        return None
