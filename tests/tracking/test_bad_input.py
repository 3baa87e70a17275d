"""Bad input gets a clear MlmError and loses nothing already stored."""

from __future__ import annotations

import pytest

import mlm_jupyter as mlm
from mlm_jupyter.core.errors import (
    InvalidKeyError,
    InvalidMetricError,
    NoActiveRunError,
    ParamConflictError,
    ParamTooLargeError,
    QuerySyntaxError,
)
from mlm_jupyter.tracking.client import MlmClient


def test_logging_outside_a_run(client: MlmClient) -> None:
    for call in (lambda: mlm.log_metric("a", 1), lambda: mlm.log_param("a", 1), lambda: mlm.set_tag("a", 1)):
        with pytest.raises(NoActiveRunError, match="start_run"):
            call()


@pytest.mark.parametrize("value", ["0.5", None, b"1", object(), [1, 2]])
def test_non_numeric_metric_values(client: MlmClient, value: object) -> None:
    with mlm.start_run():
        with pytest.raises(InvalidMetricError, match="number|metrics are numbers"):
            mlm.log_metric("acc", value)


@pytest.mark.parametrize("key", ["", "bad'quote", "new\nline", " padded", "a" * 300, 42])
def test_bad_keys(client: MlmClient, key: object) -> None:
    with mlm.start_run():
        with pytest.raises(InvalidKeyError):
            mlm.log_metric(key, 1.0)  # type: ignore[arg-type]


def test_params_over_64_kb(client: MlmClient) -> None:
    with mlm.start_run() as run:
        mlm.log_param("ok", "kept")
        with pytest.raises(ParamTooLargeError, match="artifact"):
            mlm.log_param("huge", "x" * 70_000)
    assert mlm.get_run(run.id).params == {"ok": "kept"}


def test_changing_a_param_is_refused_and_the_first_value_kept(client: MlmClient) -> None:
    with mlm.start_run() as run:
        mlm.log_param("lr", 0.1)
        mlm.log_param("lr", 0.1)  # same value again is fine
        with pytest.raises(ParamConflictError):
            mlm.log_param("lr", 0.2)
    assert mlm.get_run(run.id).params == {"lr": "0.1"}


def test_bad_filter_points_at_the_column(client: MlmClient) -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        mlm.search_runs("metrics.acc >> 3")
    assert caught.value.column == 14


def test_unserialisable_param_values_are_stored_as_text(client: MlmClient) -> None:
    class Model:
        def __repr__(self) -> str:
            return "Model()"

    with mlm.start_run() as run:
        mlm.log_param("model", Model())
        mlm.log_param("mixed", [1, Model()])
    assert mlm.get_run(run.id).params == {"model": "Model()", "mixed": "[1, \"Model()\"]"}


def test_every_error_is_an_mlm_error_exported_at_the_top() -> None:
    from mlm_jupyter.core import errors

    assert mlm.MlmError is errors.MlmError
    for name in errors.__all__:
        value = getattr(errors, name)
        if isinstance(value, type):
            assert issubclass(value, errors.MlmError)
