"""Careless values (broken __str__, huge steps, lone surrogates, lists for dicts) get an MlmError and lose nothing."""

from __future__ import annotations

import pytest

import mlm_jupyter as mlm
from mlm_jupyter.core.errors import (
    InvalidInputError,
    InvalidKeyError,
    InvalidMetricError,
    UnsupportedTypeError,
)
from mlm_jupyter.tracking.client import MlmClient


class _Broken:
    def __repr__(self) -> str:
        raise RuntimeError("repr is broken")

    def __str__(self) -> str:
        raise RuntimeError("str is broken")


def test_a_step_beyond_int64_is_refused_and_earlier_points_survive(client: MlmClient) -> None:
    with mlm.start_run() as run:
        mlm.log_metric("loss", 0.5, step=1)
        with pytest.raises(InvalidInputError, match="64-bit"):
            mlm.log_metric("loss", 0.4, step=10**20)
        with pytest.raises(InvalidInputError, match="integer"):
            mlm.log_metric("loss", 0.4, step=float("inf"))
        mlm.log_metric("loss", 0.3, step=2)
    # the refused point did not poison the buffer: the run ended and both good points are stored
    history = mlm.get_metric_history(run.id, "loss")
    assert history["step"].tolist() == [1, 2]
    assert mlm.get_run(run.id).status == "finished"


def test_an_integer_too_large_for_a_float_is_an_invalid_metric(client: MlmClient) -> None:
    with mlm.start_run(), pytest.raises(InvalidMetricError, match="too large"):
        mlm.log_metric("big", 10**400)


@pytest.mark.parametrize("value", [_Broken(), {"a": _Broken()}])
def test_values_whose_str_raises_are_unsupported(client: MlmClient, value: object) -> None:
    with mlm.start_run() as run:
        with pytest.raises(UnsupportedTypeError, match="str, number, list or dict"):
            mlm.log_param("p", value)
        with pytest.raises(UnsupportedTypeError):
            mlm.set_tag("t", value)
        mlm.log_param("p", 1)
    assert mlm.get_run(run.id).params["p"] == "1"


def test_keys_that_are_unhashable_or_unprintable_are_invalid_keys(client: MlmClient) -> None:
    with mlm.start_run():
        for key in ({"a": 1}, [1], _Broken()):
            with pytest.raises(InvalidKeyError, match="must be strings"):
                mlm.set_tag(key, "x")  # type: ignore[arg-type]
            with pytest.raises(InvalidKeyError, match="must be strings"):
                mlm.log_param(key, "x")  # type: ignore[arg-type]


def test_a_lone_surrogate_value_is_invalid_input(client: MlmClient) -> None:
    with mlm.start_run():
        with pytest.raises(InvalidInputError, match="surrogate"):
            mlm.log_param("p", "bad \ud800 text")
        with pytest.raises(InvalidInputError, match="surrogate"):
            mlm.set_tag("t", "\udcff")


def test_lists_where_dicts_belong_say_so(client: MlmClient) -> None:
    with mlm.start_run():
        with pytest.raises(InvalidInputError, match=r"dict\(pairs\)"):
            mlm.log_params([("a", 1)])  # type: ignore[arg-type]
        with pytest.raises(InvalidInputError, match="log_metrics takes a dict"):
            mlm.log_metrics([("a", 1.0)])  # type: ignore[arg-type]
        with pytest.raises(InvalidInputError, match="set_tags takes a dict"):
            mlm.set_tags(["a"])  # type: ignore[arg-type]


def test_a_filter_that_is_not_a_string(client: MlmClient) -> None:
    with pytest.raises(InvalidInputError, match="run filter is a string"):
        mlm.search_runs(5)  # type: ignore[arg-type]
