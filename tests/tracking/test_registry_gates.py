"""Promotion gates: rules per alias block a promotion with a clear message; force overrides and is recorded."""

from __future__ import annotations

import pytest
from trained_models import pipeline

import mlm_jupyter as mlm
from mlm_jupyter.core.errors import (
    InvalidInputError,
    NotFoundError,
    PromotionBlockedError,
)
from mlm_jupyter.tracking.client import MlmClient


def _version_with(metrics: dict[str, float], name: str = "churn", tags: dict[str, str] | None = None) -> int:
    model, _, _ = pipeline()
    with mlm.start_run():
        mlm.log_metrics(metrics)
        if tags:
            mlm.set_tags(tags)
        return mlm.log_model(model, name=name).version


def test_a_metric_threshold_blocks_and_says_by_how_much(client: MlmClient) -> None:
    low = _version_with({"val_auc": 0.85})
    high = _version_with({"val_auc": 0.93})
    rule = mlm.set_promotion_rule("churn", "metric_threshold", metric="val_auc", op=">=", threshold=0.9)
    assert rule == mlm.PromotionRule.metric_threshold("val_auc", ">=", 0.9)

    with pytest.raises(PromotionBlockedError) as blocked:
        mlm.set_alias("churn", "production", version=low)
    message = str(blocked.value)
    assert "val_auc >= 0.9" in message and "val_auc = 0.85" in message and "0.05 short" in message
    assert "force=True" in message
    assert blocked.value.details["failures"][0]["shortfall"] == pytest.approx(0.05)
    with pytest.raises(NotFoundError):
        mlm.get_model_version("churn", alias="production")

    assert mlm.set_alias("churn", "production", version=high).aliases == ("production",)
    # a rule on production does not guard other aliases
    assert mlm.set_alias("churn", "staging", version=low).aliases == ("staging",)


def test_must_beat_the_current_holder(client: MlmClient) -> None:
    first = _version_with({"val_loss": 0.30})
    worse = _version_with({"val_loss": 0.35})
    better = _version_with({"val_loss": 0.20})
    mlm.set_promotion_rule("churn", "beats_current", metric="val_loss", higher_is_better=False)
    mlm.set_alias("churn", "production", version=first)  # nothing to beat yet
    with pytest.raises(PromotionBlockedError, match=r"val_loss = 0.35 but v1 has 0.3"):
        mlm.set_alias("churn", "production", version=worse)
    mlm.set_alias("churn", "production", version=better)
    assert mlm.get_model_version("churn", "production").version == better


def test_a_candidate_without_the_metric_is_blocked(client: MlmClient) -> None:
    version = _version_with({"other": 1.0})
    mlm.set_promotion_rule("churn", mlm.PromotionRule.metric_threshold("val_auc", ">", 0.5))
    with pytest.raises(PromotionBlockedError, match="has no metric 'val_auc'"):
        mlm.set_alias("churn", "production", version=version)


def test_checks_passed_reads_check_results_of_the_run(client: MlmClient) -> None:
    unchecked = _version_with({"val_auc": 0.9})
    failing = _version_with({"val_auc": 0.9}, tags={"checks.leakage": "passed", "checks.bias": "failed"})
    passing = _version_with({"val_auc": 0.9}, tags={"checks.leakage": "passed"})
    mlm.set_promotion_rule("churn", "checks_passed")
    with pytest.raises(PromotionBlockedError, match="no check results"):
        mlm.set_alias("churn", "production", version=unchecked)
    with pytest.raises(PromotionBlockedError, match=r"1 of 2 checks did not pass \(bias\)"):
        mlm.set_alias("churn", "production", version=failing)
    mlm.set_alias("churn", "production", version=passing)


def test_force_needs_a_reason_and_is_recorded(client: MlmClient) -> None:
    low = _version_with({"val_auc": 0.5})
    mlm.set_promotion_rule("churn", "metric_threshold", metric="val_auc", op=">=", threshold=0.9)
    with pytest.raises(InvalidInputError, match="reason"):
        mlm.set_alias("churn", "production", version=low, force=True)
    with pytest.raises(PromotionBlockedError):
        mlm.set_alias("churn", "production", version=low, reason="try")
    promoted = mlm.set_alias("churn", "production", version=low, force=True, reason="hotfix for incident 42")
    assert promoted.aliases == ("production",)

    history = mlm.model_history("churn")
    blocked = history[history["action"] == "promotion_blocked"]
    assert len(blocked) == 1 and blocked.iloc[0]["reason"] == "try" and not blocked.iloc[0]["forced"]
    forced = history[history["action"] == "alias_set"].iloc[-1]
    assert forced["forced"] and forced["reason"] == "hotfix for incident 42"
    assert forced["details"]["failures"][0]["rule"]["metric"] == "val_auc"
    assert "rule_set" in history["action"].tolist()


def test_rules_are_listed_replaced_and_removed(client: MlmClient) -> None:
    _version_with({"val_auc": 0.95})
    mlm.set_promotion_rule("churn", "metric_threshold", metric="val_auc", op=">=", threshold=0.9)
    mlm.set_promotion_rule("churn", "metric_threshold", metric="val_auc", op=">=", threshold=0.97)
    mlm.set_promotion_rule("churn", "checks_passed", alias="champion")
    rules = mlm.promotion_rules("churn", alias="production")
    assert len(rules) == 1 and rules[0].threshold == 0.97
    assert [r.kind for r in mlm.promotion_rules("churn")] == ["checks_passed", "metric_threshold"]
    with pytest.raises(PromotionBlockedError):
        mlm.set_alias("churn", "production", version=1)
    mlm.delete_promotion_rule("churn", "metric_threshold:val_auc")
    mlm.set_alias("churn", "production", version=1)
    assert mlm.promotion_rules("churn", alias="production") == []
