"""Row sketches of numpy-backed pandas columns of every kind, and the hint for numpy scalars."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import mlm_jupyter as mlm
from mlm_jupyter.core.errors import UnsupportedTypeError


def test_a_complex_column_gets_a_row_sketch() -> None:
    frame = pd.DataFrame({"z": np.arange(3) * 1j, "a": [1, 2, 3]})
    changed = frame.assign(z=[0j, 1j, 5j])

    overlap = mlm.fingerprint(frame, rows=True).row_sketch.overlap(mlm.fingerprint(changed, rows=True).row_sketch)

    assert overlap.shared_rows == pytest.approx(2, abs=0.01)


def test_numeric_pandas_rows_hash_like_the_same_arrow_rows() -> None:
    frame = pd.DataFrame({"x": np.arange(500.0), "i": np.arange(500)})
    as_arrow = pa.Table.from_pandas(frame, preserve_index=False)

    overlap = mlm.fingerprint(frame, rows=True).row_sketch.overlap(mlm.fingerprint(as_arrow, rows=True).row_sketch)

    assert overlap.jaccard == 1.0


def test_a_numpy_scalar_is_refused_with_what_to_do() -> None:
    with pytest.raises(UnsupportedTypeError, match=r"np\.asarray"):
        mlm.fingerprint(np.float64(3.0))
