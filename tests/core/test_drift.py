"""Drift tests on synthetic data where the truth is known: agreement with scipy, false alarms, power."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.stats as st
from scipy.spatial import distance

from mlm_jupyter.core import drift
from mlm_jupyter.core.drift import DriftThresholds, choose_method
from mlm_jupyter.core.errors import InvalidInputError


@pytest.mark.parametrize(("n", "m", "shift"), [(40, 70, 0.0), (300, 20_000, 0.1), (1000, 1000, 0.3)])
def test_numeric_tests_agree_with_scipy(n: int, m: int, shift: float) -> None:
    rng = np.random.default_rng(n)
    a, b = rng.normal(size=n), rng.normal(shift, 1, size=m)
    d, p = drift.ks_2samp(a, b)
    expected = st.ks_2samp(a, b)
    assert d == pytest.approx(expected.statistic)
    assert p == pytest.approx(expected.pvalue, abs=0.03)  # asymptotic against scipy's exact
    assert drift.wasserstein_normed(a, b) == pytest.approx(st.wasserstein_distance(a, b) / np.std(a))


def test_categorical_tests_agree_with_scipy() -> None:
    ref, cur = np.array([120.0, 60, 20]), np.array([90.0, 80, 30])
    stat, p = drift.chi2_homogeneity(ref, cur)
    expected = st.chi2_contingency(np.vstack([ref, cur]), correction=False)
    assert (stat, p) == pytest.approx((expected[0], expected[1]))
    assert drift.jensen_shannon(ref, cur) == pytest.approx(distance.jensenshannon(ref / ref.sum(), cur / cur.sum()))
    for dof, x in [(1, 3.84), (4, 0.5), (30, 50.0), (200, 150.0)]:
        assert drift.chi2_sf(x, dof) == pytest.approx(st.chi2.sf(x, dof), rel=1e-9)
    z, p = drift.z_test_proportions(np.array([60.0, 40]), np.array([45.0, 55]))
    assert p == pytest.approx(2 * st.norm.sf(abs(z)))


def test_the_test_follows_type_and_size_like_evidently() -> None:
    assert choose_method("numeric", 20_000, 50_000, 900) == ("wasserstein", "numeric")
    assert choose_method("numeric", 20_000, 800, 900) == ("ks", "numeric")  # a small window: a p-value
    assert choose_method("numeric", 20_000, 50_000, 4) == ("jensenshannon", "categorical")
    assert choose_method("categorical", 500, 50_000, 7) == ("chi2", "categorical")
    assert choose_method("bool", 500, 50_000, 2) == ("z", "categorical")
    assert choose_method("numeric", 20_000, 50_000, 900, DriftThresholds(methods={"x": "psi"}), "x") == \
        ("psi", "numeric")


def _dataset_alarm(rng: np.random.Generator, n_ref: int, n_cur: int, shift: float = 0.0) -> bool:
    """Ten features (7 numeric, 3 categorical) through the default rules; True if the dataset drifts."""
    limits = DriftThresholds()
    drifted = 0
    for i in range(10):
        if i < 7:
            ref, cur = rng.normal(size=n_ref), rng.normal(shift, 1, size=n_cur)
            method, _ = choose_method("numeric", n_ref, n_cur, 1000)
            stat, p = drift.numeric_test(method, ref, cur)
        else:
            probs = np.array([0.5, 0.3, 0.2])
            ref = rng.multinomial(n_ref, probs).astype(float)
            cur = rng.multinomial(n_cur, probs).astype(float)
            method, _ = choose_method("categorical", n_ref, n_cur, 3)
            stat, p = drift.categorical_test(method, ref, cur)
        drifted += drift.verdict(method, stat, p, limits.threshold_for(method, f"f{i}"))
    return drifted / 10 >= limits.drift_share


@pytest.mark.parametrize(("n_ref", "n_cur"), [(20_000, 300), (20_000, 5000)])
def test_no_drift_raises_almost_no_alarm_over_100_seeds(n_ref: int, n_cur: int) -> None:
    alarms = sum(_dataset_alarm(np.random.default_rng(seed), n_ref, n_cur) for seed in range(100))
    assert alarms / 100 < 0.05  # measured: 0 of 100 at both sizes


def test_per_feature_false_alarms_stay_near_the_level() -> None:
    rng = np.random.default_rng(7)
    hits = [drift.ks_2samp(rng.normal(size=20_000), rng.normal(size=400))[1] < 0.05 for _ in range(200)]
    assert np.mean(hits) < 0.1  # a 5% test: about 5% of no-drift features flag by chance, never the dataset
    distances = [drift.wasserstein_normed(rng.normal(size=20_000), rng.normal(size=5000)) for _ in range(50)]
    assert max(distances) < 0.1


def test_a_shift_of_half_a_standard_deviation_is_always_found() -> None:
    assert all(_dataset_alarm(np.random.default_rng(seed), 20_000, 5000, shift=0.5) for seed in range(20))
    assert all(_dataset_alarm(np.random.default_rng(seed), 20_000, 300, shift=0.5) for seed in range(20))


def test_a_changed_variance_is_found() -> None:
    rng = np.random.default_rng(3)
    ref, cur = rng.normal(size=20_000), rng.normal(0, 2, size=5000)
    assert drift.wasserstein_normed(ref, cur) >= 0.1
    assert drift.ks_2samp(ref, cur[:500])[1] < 0.05


def test_psi_bands() -> None:
    assert drift.psi(np.array([50.0, 50]), np.array([50.0, 50])) == 0
    assert drift.psi(np.array([50.0, 30, 20]), np.array([20.0, 30, 50])) > 0.2


def test_thresholds_refuse_nonsense() -> None:
    with pytest.raises(InvalidInputError, match="unknown drift threshold"):
        DriftThresholds().updated({"p": 0.1})
    with pytest.raises(InvalidInputError, match="finite number"):
        DriftThresholds().updated({"wasserstein": -1})
    with pytest.raises(InvalidInputError, match="unknown drift method"):
        DriftThresholds().updated({"methods": {"age": "magic"}})
    limits = DriftThresholds().updated({"drift_share": "0.3", "features": {"age": 0.2}})
    assert limits.drift_share == 0.3 and limits.threshold_for("wasserstein", "age") == 0.2
    assert DriftThresholds.from_dict(limits.to_dict()) == limits
