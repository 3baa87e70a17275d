"""Paired comparison of two models: agreement with a Wilson interval, metric differences with a paired CI."""

from __future__ import annotations

import numpy as np
import pytest

from mlm_jupyter.core.errors import InvalidInputError
from mlm_jupyter.core.paired_comparison import compare_paired, wilson_interval


def test_agreement_counts_equal_predictions() -> None:
    result = compare_paired([0, 1, 1, 0], [0, 1, 0, 0])
    assert result.paired_rows == 4 and result.agreement == 0.75
    assert result.agreement_low is not None and result.agreement_high is not None
    assert 0.0 <= result.agreement_low < 0.75 < result.agreement_high <= 1.0
    assert result.metric is None and "no labels" in result.describe()


def test_wilson_interval_matches_the_formula_and_stays_in_range() -> None:
    low, high = wilson_interval(8, 10, 0.95)
    assert (round(low, 4), round(high, 4)) == (0.4902, 0.9433)
    assert wilson_interval(0, 5)[0] == 0.0 and wilson_interval(5, 5)[1] == 1.0


def test_accuracy_difference_with_labels() -> None:
    labels = np.array([1, 0, 1, 1, 0, 1, 0, 0])
    a = labels.copy()
    b = labels.copy()
    b[:2] = 1 - b[:2]
    result = compare_paired(a, b, labels, a="prod", b="challenger")
    assert result.metric == "accuracy" and result.labelled_rows == 8
    assert (result.metric_a, result.metric_b, result.difference) == (1.0, 0.75, 0.25)
    assert result.difference_low < 0.25 < result.difference_high
    assert "prod - challenger" in result.describe()


def test_rows_without_labels_are_left_out_of_the_metric() -> None:
    result = compare_paired([1.0, 2.0, 3.0], [1.5, 2.0, 2.0], [1.2, None, float("nan")], metric="mae")
    assert result.labelled_rows == 1 and result.metric == "mae"
    assert result.metric_a == pytest.approx(0.2) and result.metric_b == pytest.approx(0.3)


def test_paired_interval_covers_the_true_difference_at_its_level() -> None:
    rng = np.random.default_rng(7)
    covered = 0
    trials = 400
    for _ in range(trials):  # a is right 80% of the time, b 75%: the true difference is 0.05
        labels = rng.integers(0, 2, 500)
        right_a = rng.random(500) < 0.80
        right_b = rng.random(500) < 0.75
        a = np.where(right_a, labels, 1 - labels)
        b = np.where(right_b, labels, 1 - labels)
        result = compare_paired(a, b, labels)
        covered += result.difference_low <= 0.05 <= result.difference_high
    assert 0.92 <= covered / trials <= 0.98


def test_careless_calls() -> None:
    with pytest.raises(InvalidInputError):
        compare_paired([1, 2], [1])
    with pytest.raises(InvalidInputError):
        compare_paired([1], [1], [1], metric="auc")
    with pytest.raises(InvalidInputError):
        compare_paired([1], [1], confidence=95)
    assert compare_paired([], []).paired_rows == 0
