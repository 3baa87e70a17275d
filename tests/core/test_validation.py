"""Validation messages name what was wrong (param or tag) and end statuses accept MLflow's case."""

from __future__ import annotations

import pytest

from mlm_jupyter.core.errors import InvalidInputError, MlmError, ParamTooLargeError
from mlm_jupyter.core.validation import MAX_PARAM_BYTES, param_text, run_status


def test_end_status_accepts_any_case_and_refuses_others_with_advice() -> None:
    assert run_status("FINISHED") == "finished" and run_status("Killed") == "killed"
    with pytest.raises(InvalidInputError, match="finished, failed or killed.*nothing was changed") as caught:
        run_status("weird")
    assert isinstance(caught.value, MlmError)


def test_too_large_tag_is_called_a_tag() -> None:
    with pytest.raises(ParamTooLargeError, match=r"^tag 'note' is .* tags hold at most"):
        param_text("x" * (MAX_PARAM_BYTES + 1), "note", "tag")
    with pytest.raises(ParamTooLargeError, match=r"^param 'p' is"):
        param_text("x" * (MAX_PARAM_BYTES + 1), "p")
