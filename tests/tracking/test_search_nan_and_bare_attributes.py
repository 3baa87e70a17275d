"""Run search with NaN metrics and MLflow's bare attribute names (``status``, ``start_time``)."""

from __future__ import annotations

import pytest

import mlm_jupyter as mlm
from mlm_jupyter.core.errors import QuerySyntaxError
from mlm_jupyter.tracking.client import MlmClient


@pytest.fixture
def diverged_and_healthy(client: MlmClient) -> None:
    with mlm.start_run(experiment="nan", name="diverged", provenance=False):
        mlm.log_metric("loss", float("nan"))
        mlm.log_param("lr", "nan")
    with mlm.start_run(experiment="nan", name="healthy", provenance=False):
        mlm.log_metric("loss", 0.25)
        mlm.log_param("lr", "0.01")


def names(filter: str | None = None, **kwargs: object) -> list[str]:
    return sorted(mlm.search_runs(filter, experiment="nan", **kwargs)["name"])  # type: ignore[arg-type]


@pytest.mark.usefixtures("diverged_and_healthy")
def test_a_nan_metric_is_neither_above_nor_below_a_number() -> None:
    assert names("metrics.loss > 0") == ["healthy"]
    assert names("metrics.loss < 1") == ["healthy"]
    assert names("metrics.loss >= 0 or metrics.loss <= 0") == ["healthy"]
    assert names("not metrics.loss > 0") == ["diverged"]
    assert names("params.lr > 0") == ["healthy"]


@pytest.mark.usefixtures("diverged_and_healthy")
def test_the_nan_value_still_comes_back_in_the_results() -> None:
    frame = mlm.search_runs("attributes.name = 'diverged'", experiment="nan")
    assert frame["metrics.loss"].isna().all() and len(frame) == 1


@pytest.mark.usefixtures("diverged_and_healthy")
def test_bare_attribute_names_work_in_filters_and_order_by() -> None:
    assert names("status = 'FINISHED' and name LIKE 'heal%'") == ["healthy"]
    newest_first = mlm.search_runs(experiment="nan", order_by=["start_time DESC"])["name"].tolist()
    assert newest_first == ["healthy", "diverged"]
    assert mlm.search_runs(experiment="nan", order_by="name")["name"].tolist() == ["diverged", "healthy"]


def test_an_unknown_bare_word_is_still_a_syntax_error_at_its_column(client: MlmClient) -> None:
    with pytest.raises(QuerySyntaxError) as error:
        mlm.search_runs("metrics.loss > 0 and bogus = 1")
    assert error.value.column == 22
