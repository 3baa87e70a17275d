"""Careless calls around the run API (log_batch, log_text, log_input, set_experiment, search, load_model,
set_alias): an MlmError that says what to do, never an AttributeError/TypeError/ValueError or a store error."""

from __future__ import annotations

import pandas as pd
import pytest

import mlm_jupyter as mlm
from mlm_jupyter.core.errors import InvalidInputError, InvalidKeyError
from mlm_jupyter.tracking import fluent
from mlm_jupyter.tracking.client import MlmClient


def test_log_batch_items_without_key_and_value(client: MlmClient) -> None:
    with mlm.start_run() as run:
        with pytest.raises(InvalidInputError, match=r"\.key and \.value"):
            client.log_batch(run.id, params=[5])
        with pytest.raises(InvalidInputError, match=r"\.key and \.value"):
            client.log_batch(run.id, metrics=[("loss", 1.0)])


def test_log_text_needs_a_str_and_a_file_name_inside_the_run(client: MlmClient) -> None:
    with mlm.start_run() as run:
        with pytest.raises(InvalidInputError, match="log_text stores a str"):
            mlm.log_text(b"abc", "x.txt")  # type: ignore[arg-type]
        with pytest.raises(InvalidInputError, match="needs a file name"):
            mlm.log_text("abc", None)  # type: ignore[arg-type]  (was a NOT NULL constraint StoreError)
        with pytest.raises(InvalidInputError, match="artifact_file '../x.txt' climbs out"):
            mlm.log_text("abc", "../x.txt")
        mlm.log_text("abc", "/notes/./x.txt")
    assert [a.path for a in mlm.get_run(run.id).artifacts] == ["notes/x.txt"]


@pytest.mark.parametrize("name", [5, "a\nb", " "])
def test_dataset_names_must_be_printable_text(client: MlmClient, name: object) -> None:
    with mlm.start_run(), pytest.raises(InvalidInputError, match="dataset names"):
        mlm.log_input(pd.DataFrame({"a": [1]}), name=name)  # type: ignore[arg-type]


def test_set_experiment_checks_the_name_at_once(client: MlmClient) -> None:
    with pytest.raises(InvalidKeyError, match="experiment name"):
        mlm.set_experiment("a\nb")
    mlm.set_experiment(None)  # back to the default; the next run starts fine
    try:
        with mlm.start_run() as run:
            pass
        assert mlm.get_run(run.id).experiment == "Default"
    finally:
        fluent.set_experiment(None)


def test_search_arguments_of_the_wrong_type(client: MlmClient) -> None:
    with pytest.raises(InvalidInputError, match="order_by is a string"):
        mlm.search_runs(order_by=5)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="experiments are given by name"):
        mlm.search_runs(experiment=5)  # type: ignore[arg-type]


def test_load_model_and_set_alias_with_wrong_types(client: MlmClient) -> None:
    with pytest.raises(InvalidInputError, match="load_model takes a model URI"):
        mlm.load_model(None)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="whole number"):
        mlm.set_alias("churn", "production", version="abc")  # type: ignore[arg-type]
