"""Pure registry logic: model URIs, names and aliases, signatures, and promotion rule evaluation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlm_jupyter.core.errors import InvalidInputError
from mlm_jupyter.core.model_entities import ModelUri, check_alias, parse_model_uri
from mlm_jupyter.core.promotion import PromotionRule, evaluate_rules
from mlm_jupyter.core.signature import ModelSignature, example_to_json, infer_signature


@pytest.mark.parametrize("uri, expected", [
    ("models:/churn/3", ModelUri("models", name="churn", version=3)),
    ("models:/churn@production", ModelUri("models", name="churn", alias="production")),
    ("models:/churn@latest", ModelUri("models", name="churn", alias="latest")),
    ("models:/churn", ModelUri("models", name="churn", alias="latest")),
    ("runs:/abc123/model", ModelUri("runs", run_id="abc123", artifact_path="model")),
    ("runs:/abc123", ModelUri("runs", run_id="abc123", artifact_path="model")),
    ("runs:/abc123/nested/model", ModelUri("runs", run_id="abc123", artifact_path="nested/model")),
    ("exports/churn", ModelUri("path", path="exports/churn")),
])
def test_model_uris_parse(uri: str, expected: ModelUri) -> None:
    assert parse_model_uri(uri) == expected


@pytest.mark.parametrize("uri", ["models:/churn/0", "models:/churn/x", "models:/churn@Prod", "runs:/", "s3://b/k",
                                 "models:/a b/1"])
def test_bad_model_uris_are_refused(uri: str) -> None:
    with pytest.raises(InvalidInputError):
        parse_model_uri(uri)


def test_aliases_are_lowercase_and_latest_is_reserved() -> None:
    assert check_alias("champion") == "champion"
    for bad in ("Champion", "9lives", "latest", "a" * 65):
        with pytest.raises(InvalidInputError):
            check_alias(bad)


def test_signature_of_a_dataframe_and_an_array() -> None:
    frame = pd.DataFrame({"age": np.array([1, 2], dtype="int64"), "name": ["a", "b"]})
    signature = infer_signature(frame, np.array([0.5, 0.25]))
    assert signature.input_names == ["age", "name"]
    assert signature.inputs[0].dtype == "int64"
    assert signature.outputs[0].dtype == "float64" and signature.outputs[0].shape == (-1,)
    images = infer_signature(np.zeros((4, 28, 28), dtype="float32"))
    assert images.inputs[0].shape == (-1, 28, 28) and images.outputs == ()
    assert ModelSignature.from_dict(signature.to_dict()) == signature


def test_input_examples_keep_a_few_rows_as_json() -> None:
    frame = pd.DataFrame({"x": range(10), "y": [None] * 10})
    kept = example_to_json(frame, max_rows=3)
    assert kept == {"type": "dataframe", "columns": ["x", "y"], "data": [[0, None], [1, None], [2, None]]}
    assert example_to_json(np.eye(2))["data"] == [[1.0, 0.0], [0.0, 1.0]]


def test_rules_report_every_failure_with_the_gap() -> None:
    rules = [PromotionRule.metric_threshold("auc", ">=", 0.9), PromotionRule.beats_current("loss", higher_is_better=False),
             PromotionRule.checks_passed()]
    failures = evaluate_rules(rules, candidate="m v2", metrics={"auc": 0.8, "loss": 0.4}, holder="v1",
                              holder_metrics={"loss": 0.3}, checks=[{"name": "bias", "status": "passed"}])
    assert [f.rule.kind for f in failures] == ["metric_threshold", "beats_current"]
    assert failures[0].shortfall == pytest.approx(0.1)
    assert "auc = 0.8, 0.1 short" in failures[0].message
    assert failures[1].shortfall == pytest.approx(0.1)
    assert evaluate_rules(rules, candidate="m v2", metrics={"auc": 0.95, "loss": 0.2}, holder="v1",
                          holder_metrics={"loss": 0.3}, checks=[{"name": "bias", "status": "passed"}]) == []


def test_beating_needs_a_strict_gain_or_the_minimum_delta() -> None:
    rule = PromotionRule.beats_current("auc")
    assert evaluate_rules([rule], candidate="c", metrics={"auc": 0.9}, holder="v1", holder_metrics={"auc": 0.9})
    assert not evaluate_rules([rule], candidate="c", metrics={"auc": 0.9}, holder=None)
    delta = PromotionRule.beats_current("auc", min_delta=0.02)
    assert evaluate_rules([delta], candidate="c", metrics={"auc": 0.91}, holder="v1", holder_metrics={"auc": 0.9})
    assert not evaluate_rules([delta], candidate="c", metrics={"auc": 0.93}, holder="v1", holder_metrics={"auc": 0.9})


def test_invalid_rules_are_refused() -> None:
    with pytest.raises(InvalidInputError):
        PromotionRule("metric_threshold", metric="auc", op="==", threshold=1.0)
    with pytest.raises(InvalidInputError):
        PromotionRule("beats_current")
    with pytest.raises(InvalidInputError):
        PromotionRule("vibes")
    rule = PromotionRule.metric_threshold("auc", ">", 0.5, alias="champion")
    assert PromotionRule.from_dict(rule.to_dict()) == rule and rule.rule_id == "metric_threshold:auc"


def test_signature_of_arrow_tables_sparse_matrices_and_records() -> None:
    import pyarrow as pa
    import scipy.sparse as sp

    table = pa.table({"x": [1.5], "n": pa.array([1], pa.int32()), "s": ["a"], "t": pa.array([1], pa.timestamp("us"))})
    assert infer_signature(table).describe() == "inputs: x:float64, n:int32, s:string, t:timestamp[us] -> outputs: ?"
    assert infer_signature(table.to_batches()[0]).input_names == ["x", "n", "s", "t"]
    assert example_to_json(table) == {"type": "dataframe", "columns": ["x", "n", "s", "t"],
                                      "data": [[1.5, 1, "a", table["t"][0].as_py()]]}
    sparse = sp.csr_matrix(np.eye(3))
    assert infer_signature(sparse).inputs[0].to_dict() == {"name": None, "dtype": "float64", "shape": [-1, 3]}
    assert example_to_json(sparse, max_rows=2) == {"type": "ndarray", "dtype": "float64",
                                                   "data": [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]}
    records = [{"age": 31, "city": "paris"}, {"age": 40, "city": "lyon"}]
    assert infer_signature(records).describe() == "inputs: age:int64, city:string -> outputs: ?"
