"""``mlm.search_runs`` under MLflow's spellings: filter_string, experiment_names/ids, one order_by string."""

from __future__ import annotations

import pytest

import mlm_jupyter as mlm
from mlm_jupyter.core.errors import InvalidInputError
from mlm_jupyter.tracking.client import MlmClient
from mlm_jupyter.tracking.search_args import search_arguments


@pytest.fixture
def three_runs(client: MlmClient) -> MlmClient:
    for experiment, name, depth, auc in (("churn", "a", 8, 0.91), ("churn", "b", 4, 0.85), ("other", "c", 10, 0.7)):
        with mlm.start_run(experiment=experiment, name=name, provenance=False):
            mlm.log_param("max_depth", depth)
            mlm.log_metric("val_auc", auc)
    return client


def test_filter_string_and_experiment_names_work_like_mlflow(three_runs: MlmClient) -> None:
    found = mlm.search_runs(filter_string="params.max_depth > 5", experiment_names=["churn"])
    assert found["name"].tolist() == ["a"]
    assert mlm.search_runs(filter_string="").shape[0] == 3  # MLflow's default filter


def test_experiment_ids_take_our_ids_or_names(three_runs: MlmClient) -> None:
    churn = three_runs.get_experiment_by_name("churn")
    assert churn is not None
    assert sorted(mlm.search_runs(experiment_ids=[churn.id])["name"]) == ["a", "b"]
    assert sorted(mlm.search_runs(experiment_ids="other")["name"]) == ["c"]
    assert mlm.search_runs(search_all_experiments=True).shape[0] == 3


def test_one_order_by_string_is_one_clause(three_runs: MlmClient) -> None:
    assert mlm.search_runs(order_by="metrics.val_auc desc")["name"].tolist() == ["a", "b", "c"]


def test_output_format_list_gives_runs(three_runs: MlmClient) -> None:
    runs = mlm.search_runs("params.max_depth = 4", output_format="list")
    assert [r.name for r in runs] == ["b"] and runs[0].data.metrics == {"val_auc": 0.85}
    with pytest.raises(InvalidInputError, match="output_format"):
        mlm.search_runs(output_format="arrow")


def test_two_different_filters_are_refused() -> None:
    with pytest.raises(InvalidInputError, match="filter_string"):
        search_arguments("metrics.a > 1", filter_string="metrics.a > 2")
    assert search_arguments("x", filter_string="x") == ("x", None, [])


def test_a_bad_max_results_is_an_mlm_error(client: MlmClient) -> None:
    for bad in (-1, "x", 2.5):
        with pytest.raises(InvalidInputError, match="max_results"):
            mlm.search_runs(max_results=bad)
        with pytest.raises(InvalidInputError, match="max_results"):
            client.search_runs(max_results=bad)  # the client refuses it too, not only the fluent API


def test_the_client_takes_mlflow_keywords_too(three_runs: MlmClient) -> None:
    churn = three_runs.get_experiment_by_name("churn")
    assert churn is not None
    found = three_runs.search_runs(experiment_ids=[churn.id], filter_string="metrics.val_auc > 0.8",
                                   order_by="metrics.val_auc asc", max_results=10)
    assert found["name"].tolist() == ["b", "a"]
    assert three_runs.search_runs(experiment_names="other")["name"].tolist() == ["c"]
    assert three_runs.search_runs("params.max_depth = 8", "churn")["name"].tolist() == ["a"]  # our own form
