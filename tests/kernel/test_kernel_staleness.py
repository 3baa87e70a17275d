"""The staleness verdict from session history and the notebook (core.staleness)."""

from __future__ import annotations

from mlm_jupyter.core.cell_names import analyze
from mlm_jupyter.core.staleness import ExecutedCell, NotebookCell, verdict

NOTEBOOK = ["import pandas as pd", "df = pd.read_csv(path)", "df = df.dropna()", "model = fit(df)",
            "df = df.head(10)"]


def notebook() -> list[NotebookCell]:
    return [NotebookCell(writes=analyze(s).writes) for s in NOTEBOOK]


def executed(*indexes: int | None, sources: dict[int, str] | None = None, edited: set[int] = frozenset()
             ) -> list[ExecutedCell]:
    out = []
    for n, index in enumerate(indexes):
        source = (sources or {}).get(n) or NOTEBOOK[index]  # type: ignore[index]
        names = analyze(source)
        out.append(ExecutedCell(label=f"[{n + 1}]", notebook_index=index, reads=names.reads, writes=names.writes,
                                edited=n in edited))
    return out


def test_top_to_bottom_is_reproducible() -> None:
    history = executed(0, 1, 2)
    assert verdict(history, executed(3)[0], notebook()) == []


def test_value_redefined_by_a_cell_further_down_is_flagged() -> None:
    history = executed(0, 1, 2, 4)
    reasons = verdict(history, executed(3)[0], notebook())
    assert any("`df` comes from code cell 5, which is below code cell 4" in r for r in reasons), reasons


def test_skipped_cell_is_flagged() -> None:
    history = executed(0, 1)  # cell 3 (dropna) never ran
    reasons = verdict(history, executed(3)[0], notebook())
    assert any("top to bottom code cell 3 redefines it first" in r for r in reasons), reasons


def test_rerun_of_a_cell_building_on_itself_is_flagged() -> None:
    history = executed(0, 1, 2, 2)
    reasons = verdict(history, executed(3)[0], notebook())
    assert any("earlier run of the same cell" in r for r in reasons), reasons


def test_names_from_deleted_cells_are_flagged() -> None:
    history = executed(0, 1, None, sources={2: "df = df[df.x > 0]"})
    reasons = verdict(history, executed(3)[0], notebook())
    assert any("no longer in the notebook" in r for r in reasons), reasons


def test_edited_cells_are_flagged() -> None:
    history = executed(0, 1, 2, edited={2})
    reasons = verdict(history, executed(3)[0], notebook())
    assert reasons == ["`df` comes from code cell 3, which was edited after it ran"]


def test_unknown_notebook_gives_no_verdict() -> None:
    assert verdict(executed(0, 1, 2, 4), executed(3)[0], None) == []
