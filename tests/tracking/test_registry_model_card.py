"""Model cards render whatever the run knows: cell, git, data fingerprints, metrics, checks."""

from __future__ import annotations

from datetime import datetime, timezone

from mlm_jupyter.core.entities import Run, RunInput
from mlm_jupyter.core.model_entities import ModelVersion
from mlm_jupyter.core.signature import infer_signature
from mlm_jupyter.tracking.model_card import render_model_card

VERSION = ModelVersion(name="churn", version=3, run_id="r1", sha256="f" * 64, flavor="sklearn",
                       aliases=("production",), signature=infer_signature([[1.0, 2.0]], [0]),
                       requirements=("scikit-learn==1.5.0",), size=2048)


def test_a_card_shows_cell_git_data_metrics_and_checks() -> None:
    run = Run(
        id="r1", name="rf", experiment="churn", status="finished",
        start_time=datetime(2026, 1, 1, tzinfo=timezone.utc), end_time=datetime(2026, 1, 1, 0, 1, tzinfo=timezone.utc),
        metrics={"val_auc": 0.91}, params={"max_depth": "8"},
        inputs=(RunInput("train", "train", {"digest": "ab" * 16, "kind": "pandas.DataFrame", "shape": [1000, 4],
                                            "profile": {"a": {}, "b": {}}}),),
        cell={"notebook": "churn.ipynb", "execution_count": 7, "cell_id": "c-1", "source_sha256": "9" * 64,
              "source": "model.fit(X, y)"},
        provenance={"git_commit": "abc123", "git_branch": "main", "git_dirty": True, "environment_digest": "env9"},
        staleness=("cell 3 was edited after the run",))
    card = render_model_card(VERSION, run, {"python_version": "3.11.7"},
                             [{"name": "leakage", "status": "passed"}, {"name": "bias", "status": "failed"}])
    assert card.startswith("# Model card: churn v3")
    assert "`churn.ipynb`, execution [7], cell id `c-1`" in card
    assert f"**Code hash**: `{'9' * 64}`" in card and "model.fit(X, y)" in card
    assert "**Git commit**: `abc123` on `main` (uncommitted changes)" in card
    assert "**Environment digest**: `env9`" in card
    assert "| train | train | pandas.DataFrame | 1000x4 | `abababababababab` | a; b |" in card
    assert "| val_auc | 0.91 |" in card and "| max_depth | 8 |" in card
    assert "| leakage | passed |" in card and "| bias | failed |" in card
    assert "cell 3 was edited after the run" in card
    assert "| aliases | production |" in card and "scikit-learn==1.5.0" in card


def test_a_card_says_what_is_missing_instead_of_failing() -> None:
    run = Run(id="r1", name="rf", experiment="e", status="running", start_time=None)
    card = render_model_card(VERSION, run)
    assert "**Cell**: not recorded" in card and "**Git commit**: not recorded" in card
    assert "No datasets were logged" in card and "No metrics were logged" in card
    assert "No check results recorded." in card
    assert "registered from a file" in render_model_card(VERSION, None)


def test_the_data_table_summarises_each_profiled_column() -> None:
    import pandas as pd

    from mlm_jupyter.core.fingerprint import fingerprint

    frame = pd.DataFrame({"age": [20, 30, 40, None], "city": ["paris", "paris", "lyon", "nice"]})
    columns = {f"c{i}": [i] for i in range(8)}
    run = Run(id="r1", name="rf", experiment="e", status="finished", start_time=None,
              inputs=(RunInput("train", "train", fingerprint(frame)),
                      RunInput("wide", "test", fingerprint(pd.DataFrame(columns)))))
    card = render_model_card(VERSION, run)
    assert "age: 20..40, mean 30, 25% null; city: top paris (50%), ~3 distinct |" in card
    assert "c0: 0..0, mean 0; c1: 1..1, mean 1;" in card and "; ... (+2 columns) |" in card


def test_the_diff_digest_is_shown_once_under_both_of_its_names() -> None:
    run = Run(id="r1", name="rf", experiment="e", status="finished", start_time=None,
              provenance={"git_commit": "abc", "git_diff_sha256": "d1", "diff_digest": "d1"})
    card = render_model_card(VERSION, run)
    assert card.count("`d1`") == 1 and "**Uncommitted diff sha256**: `d1`" in card


def test_a_cell_without_a_notebook_path_says_so() -> None:
    run = Run(id="r1", name="rf", experiment="e", status="finished", start_time=None,
              cell={"execution_count": 4, "source": "fit()"})
    assert "- **Cell**: notebook path not known, execution [4]" in render_model_card(VERSION, run)
