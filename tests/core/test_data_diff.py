"""diff_data names what changed between two fingerprints."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from mlm_jupyter.core.data_diff import diff_data
from mlm_jupyter.core.fingerprint import fingerprint


def base_frame() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    return pd.DataFrame({"age": rng.integers(18, 90, 1000), "income": rng.normal(50, 10, 1000),
                         "city": rng.choice(["paris", "lyon", "nice"], 1000)})


def test_identical_data() -> None:
    df = base_frame()
    diff = diff_data(fingerprint(df), fingerprint(df.copy()))
    assert diff.identical and "identical" in diff.text


def test_schema_rows_columns_overlap_and_shifts() -> None:
    a = base_frame()
    b = a.iloc[100:].reset_index(drop=True).copy()
    b["income"] = b["income"] + 20
    b["city"] = b["city"].replace({"nice": "marseille"})
    b = b.drop(columns=["age"]).assign(score=1.0)
    b["flag"] = True
    diff = diff_data(fingerprint(a, rows=True), fingerprint(b, rows=True))
    assert not diff.identical and diff.schema_changed
    assert diff.rows == (1000, 900)
    assert diff.added_columns == ("score", "flag") and diff.removed_columns == ("age",)
    assert set(diff.changed_columns) == {"income", "city"}
    assert diff.row_overlap is not None and diff.row_overlap.shared_rows == 0
    assert diff.profile_shifts["income"]["score"] > 1.5
    assert "marseille" in diff.profile_shifts["city"]["new_top_values"]
    text = str(diff)
    assert "rows: 1000 -> 900 (-100)" in text and "removed columns: age" in text and "shift in income" in text
    assert diff.to_dict()["changed_columns"] == list(diff.changed_columns)


def test_type_change_and_reorder() -> None:
    a = base_frame()
    b = a[["city", "age", "income"]].astype({"age": "float64"})
    diff = diff_data(fingerprint(a), fingerprint(b))
    assert diff.reordered and diff.type_changes == {"age": ("int64", "float64")}
    assert "age" in diff.changed_columns and "income" in diff.unchanged_columns
    assert diff.row_overlap is None


def test_leakage_estimate_between_train_and_test() -> None:
    df = base_frame()
    train, test = df.iloc[:800], df.iloc[700:]
    diff = diff_data(fingerprint(train, rows=True), fingerprint(test, rows=True))
    overlap = diff.row_overlap
    assert overlap is not None and not overlap.exact  # 800 rows: more than the sketch keeps
    assert abs(overlap.shared_rows - 100) < 15 and abs(overlap.b_in_a - 1 / 3) < 0.05


def test_files_are_compared_in_bytes_and_directories_in_files(tmp_path: Path) -> None:
    (tmp_path / "one.csv").write_text("a,b\n1,2\n")
    (tmp_path / "two.csv").write_text("a,b\n1,3\n4,5\n")
    files = diff_data(fingerprint(tmp_path / "one.csv"), fingerprint(tmp_path / "two.csv"))
    assert files.kinds == ("file", "file") and "  bytes: 8 -> 12 (+4)" in files.text and "rows" not in files.text

    for name, files_in in (("old", {"x.csv": "1"}), ("new", {"x.csv": "2", "y.csv": "3"})):
        (tmp_path / name).mkdir()
        for file_name, content in files_in.items():
            (tmp_path / name / file_name).write_text(content)
    folders = diff_data(fingerprint(tmp_path / "old"), fingerprint(tmp_path / "new"))
    assert "  files: 1 -> 2 (+1)" in folders.text
    assert "  added files: y.csv" in folders.text and "  changed files: x.csv" in folders.text
    assert folders.to_dict()["kinds"] == ["directory", "directory"]
