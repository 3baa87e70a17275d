"""How the CLI prints a table for people: missing values are blank, whatever pandas holds them as."""

from __future__ import annotations

import pandas as pd
import pytest

from mlm_jupyter.cli.output import echo_frame


def test_missing_values_print_blank_not_none(capsys: pytest.CaptureFixture[str]) -> None:
    frame = pd.DataFrame({"action": ["version_created", "alias_set"], "from": [None, "1"],
                          "version": [1.0, float("nan")]})
    echo_frame(frame, as_json=False)
    out = capsys.readouterr().out
    assert "None" not in out and "NaN" not in out and "nan" not in out
    assert "version_created" in out and "alias_set" in out
