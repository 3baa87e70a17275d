"""Arrow columns built without pyarrow.array (which imports pandas): same arrays, and pandas stays out."""

from __future__ import annotations

import subprocess
import sys

import pyarrow as pa
import pytest

from mlm_jupyter.core.arrow_columns import column, table

CASES = [(["a", None, "é", ""], pa.string()), (["a", None], pa.large_string()), ([1, None, 3], pa.int64()),
         ([1.5, None, float("nan"), float("inf")], pa.float64()), ([True, None, False], pa.bool_()),
         ([["a", "b"], None, [], ["c"]], pa.list_(pa.string())), ([], pa.string()), ([], pa.list_(pa.string())),
         ([3, 4], pa.int32()), ([None, None], pa.int64()),
         # the C-speed paths (plain ASCII str without nulls, plain floats/ints) and their edges
         (["run-1", "", "x" * 300, "a b/c:d"], pa.string()), (["", ""], pa.large_string()), (["a\x00b", "c"], pa.string()),
         (["ascii", "ünï"], pa.string()), ([0.5, 2, -1e300], pa.float64()), ([1, 2**62], pa.int64()),
         ([1.5, True], pa.float64())]


@pytest.mark.parametrize(("values", "kind"), CASES)
def test_columns_equal_what_pyarrow_array_builds(values: list, kind: pa.DataType) -> None:
    built = column(values, kind)
    built.validate(full=True)
    assert built.type == kind
    assert repr(built.to_pylist()) == repr(pa.array(values, kind).to_pylist())


def test_unknown_types_are_refused() -> None:
    with pytest.raises(TypeError):
        column([{"a": 1}], pa.struct([("a", pa.int64())]))


def test_building_a_table_never_imports_pandas() -> None:
    code = ("import sys, pyarrow as pa\nfrom mlm_jupyter.core.arrow_columns import table\n"
            "t = table({'s': ['x', None], 'n': [1, 2], 'l': [['a'], []]}, pa.schema([('s', pa.string()), "
            "('n', pa.int64()), ('l', pa.list_(pa.string()))]))\nassert t.num_rows == 2\n"
            "print('pandas' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
    assert table({"a": []}, pa.schema([("a", pa.string())])).num_rows == 0


def test_the_fast_paths_refuse_what_the_general_path_refuses() -> None:
    with pytest.raises(TypeError):
        column([1.0, "2"], pa.float64())  # text is not a number, even when numpy could parse it
    with pytest.raises(OverflowError):
        column([1, 2**70], pa.int64())
    big = [f"v{i % 7}" for i in range(100_000)]
    built = column(big, pa.string())
    built.validate(full=True)
    assert built.equals(pa.array(big, pa.string()))
