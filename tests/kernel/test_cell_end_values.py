"""A cell's values are fingerprinted as the cell left them, even when a later cell changes them first
(kernel.cell_end_values): the background thread hashes in a pause, which under Run All comes late."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from mlm_jupyter.core.fingerprint import fingerprint
from mlm_jupyter.kernel.cell_end_values import CHANGED, COPY_LIMIT, at_cell_end, resolve


def digest(value: Any) -> str:
    return str(fingerprint(value, profile=False).digest)


def frame() -> pd.DataFrame:
    return pd.DataFrame({"a": np.arange(100.0), "s": [f"x{i}" for i in range(100)],
                         "c": pd.Categorical(["u", "v"] * 50), "i": pd.array(range(100), dtype="Int64")})


@pytest.mark.parametrize("write", [
    lambda df: df.loc.__setitem__((0, "a"), -1.0),
    lambda df: df.iloc.__setitem__((1, 1), "changed"),
    lambda df: df.__setitem__("new", 1),
    lambda df: df.replace({"a": {5.0: 6.0}}, inplace=True),
    lambda df: df.iloc.__setitem__((2, 3), 7),
    lambda df: setattr(df, "columns", ["w", "x", "y", "z"]),
    lambda df: df.pop("c"),
])
def test_a_frame_written_in_place_later_is_hashed_as_the_cell_left_it(write: Any) -> None:
    df = frame()
    expected = digest(df)
    kept = at_cell_end({"df": df})["df"]
    write(df)  # the next cell, before the pause in which the first one is hashed
    state = resolve(kept)
    assert state is not df
    assert digest(state) == expected != digest(df)


def test_an_unchanged_frame_resolves_to_the_live_object_so_the_identity_cache_still_works() -> None:
    df = frame()
    assert resolve(at_cell_end({"df": df})["df"]) is df
    series = df["a"]
    assert resolve(at_cell_end({"s": series})["s"]) is series


def test_small_arrays_are_copied_at_the_cell_end() -> None:
    x = np.arange(1000.0)
    expected = digest(x)
    kept = at_cell_end({"x": x})["x"]
    x -= x.mean()
    assert digest(resolve(kept)) == expected != digest(x)


def test_a_big_array_changed_later_is_left_alone_rather_than_hashed_in_its_new_state() -> None:
    big = np.zeros(COPY_LIMIT // 8 + 1)
    kept = at_cell_end({"big": big})["big"]
    big[0] = 1.0
    assert resolve(kept) is CHANGED
    unchanged = at_cell_end({"big": big})["big"]
    assert resolve(unchanged) is big


def test_the_copy_budget_per_cell_holds() -> None:
    arrays = {f"a{i}": np.zeros(COPY_LIMIT // 8) for i in range(3)}  # 3 x the limit: one copy, two witnesses
    kinds = sorted(kept.kind for kept in at_cell_end(arrays).values())
    assert kinds == ["numpy-copy", "numpy-witness", "numpy-witness"]


def test_a_file_rewritten_before_it_was_hashed_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    path.write_text("a\n1\n")
    kept = at_cell_end({"path": str(path), "p": path})
    assert resolve(kept["p"]) == path
    again = at_cell_end({"path": str(path)})
    path.write_text("a\n1\n2\n")
    assert resolve(again["path"]) is CHANGED


def test_other_values_stay_live() -> None:
    values = {"n": 3, "text": "not a path", "rows": [1, 2], "objects": np.array([object()], dtype=object)}
    kept = at_cell_end(values)
    assert all(kept[name] is values[name] for name in values)


def test_frames_over_the_limit_keep_no_copy_so_in_place_writes_stay_in_place() -> None:
    df = frame()
    kept = at_cell_end({"df": df}, frame_limit=100)["df"]
    assert kept is df


def test_a_series_keeps_its_name_and_values_as_the_cell_left_them() -> None:
    prices = pd.Series([1.0, 2.0, 3.0], name="price")
    expected = digest(prices)
    kept = at_cell_end({"prices": prices})["prices"]
    prices.iloc[0] = 10.0
    state = resolve(kept)
    assert state.name == "price" and digest(state) == expected != digest(prices)


def test_a_cell_naming_hundreds_of_values_keeps_the_state_of_a_bounded_number() -> None:
    from mlm_jupyter.kernel.cell_end_values import MAX_KEPT_PER_CELL, AtCellEnd

    values = {f"x{i}": np.zeros(4) for i in range(MAX_KEPT_PER_CELL + 50)}
    kept = at_cell_end(values)
    assert sum(isinstance(v, AtCellEnd) for v in kept.values()) == MAX_KEPT_PER_CELL


def test_a_cell_naming_hundreds_of_strings_that_are_not_files_stats_a_bounded_number(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A config cell of URLs and dotted names: every one cost a ``stat`` on the cell's path (5-7 us each, 13 ms
    for 2,000), since only files found counted towards the per-cell bound (found timing such a cell)."""
    from mlm_jupyter.kernel import cell_end_values
    from mlm_jupyter.kernel.cell_end_values import MAX_KEPT_PER_CELL

    stats: list[Any] = []
    real_stat = cell_end_values._stat
    monkeypatch.setattr(cell_end_values, "_stat", lambda value: stats.append(value) or real_stat(value))
    values: dict[str, Any] = {f"url{i}": f"https://example.com/page{i}.html" for i in range(1000)}
    values["prices"] = frame()  # named after them: still kept as the cell left it
    kept = at_cell_end(values)
    assert len(stats) == MAX_KEPT_PER_CELL
    assert all(kept[name] is value for name, value in values.items() if name != "prices")  # no file: as they are
    values["prices"].loc[0, "a"] = -1.0
    assert digest(resolve(kept["prices"])) == digest(frame())


def test_cells_naming_an_unchanged_frame_share_one_copy_and_a_write_makes_a_new_one() -> None:
    """Under Run All most cells name the same frames: each copy is ~15 objects towards the next garbage
    collection, so an unchanged frame shares the copy kept for an earlier cell (same state)."""
    df = frame()
    recent: dict[int, Any] = {}
    first = at_cell_end({"df": df}, recent=recent)["df"]
    second = at_cell_end({"df": df}, recent=recent)["df"]
    assert second.kept is first.kept  # nothing written in between: the same state, one copy
    before = digest(df)
    df.loc[0, "a"] = -1.0  # a later cell writes in place (Copy-on-Write gives df new blocks)
    third = at_cell_end({"df": df}, recent=recent)["df"]
    assert third.kept is not first.kept
    after = digest(df)
    assert digest(resolve(first)) == digest(resolve(second)) == before != after
    assert digest(resolve(third)) == after
    other = frame()  # another frame (even if an id were reused, it is not the one remembered)
    assert at_cell_end({"df": other}, recent=recent)["df"].kept is not first.kept


class Measurements(pd.DataFrame):
    """A DataFrame subclass, as geopandas' GeoDataFrame or a user's own frame class."""

    @property
    def _constructor(self) -> type[Measurements]:
        return Measurements


class Labels(pd.Series):
    @property
    def _constructor(self) -> type[Labels]:
        return Labels


def test_a_subclassed_frame_or_array_written_in_place_later_is_hashed_as_the_cell_left_it(tmp_path: Path) -> None:
    """Found by naming a DataFrame subclass in one cell and writing to it in the next before the pause: the type
    check went by the exact class name and module, so subclasses (and numpy memmaps) were kept live and hashed in
    their later state."""
    values = {"df": Measurements({"a": np.arange(10.0)}), "labels": Labels(["x", "y", "z"], name="label"),
              "mapped": np.memmap(tmp_path / "x.bin", dtype="float64", mode="w+", shape=(10,))}
    expected = {name: digest(value) for name, value in values.items()}
    kept = at_cell_end(values)
    values["df"].loc[0, "a"] = -1.0
    values["labels"].iloc[0] = "changed"
    values["mapped"][0] = 99.0
    states = {name: resolve(value) for name, value in kept.items()}
    for name, state in states.items():
        assert digest(state) == expected[name] != digest(values[name]), name
    assert type(states["df"]) is Measurements and states["labels"].name == "label"
