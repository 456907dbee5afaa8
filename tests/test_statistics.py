"""The report's statistics: worked examples, and simulations with fixed seeds."""

import math

import numpy as np
import pytest
from scipy import stats as scipy_stats

from personalization.measurement import statistics as st


def test_difference_of_proportions_matches_the_textbook_wald_interval():
    # 120/1000 against 100/1000: 0.02 ± 1.96 * sqrt(.12*.88/1000 + .1*.9/1000)
    est = st.difference_of_proportions(120, 1000, 100, 1000)
    se = math.sqrt(0.12 * 0.88 / 1000 + 0.1 * 0.9 / 1000)
    assert est.value == pytest.approx(0.02)
    assert (est.low, est.high) == pytest.approx((0.02 - 1.959964 * se, 0.02 + 1.959964 * se))
    assert not est.significant


def test_welch_from_sums_matches_scipy_on_the_raw_values():
    rng = np.random.default_rng(3)
    a, b = rng.gamma(2, 20, 400), rng.gamma(2, 17, 350)
    est = st.welch(len(a), a.sum(), (a * a).sum(), len(b), b.sum(), (b * b).sum())
    ci = scipy_stats.ttest_ind(a, b, equal_var=False).confidence_interval(0.95)
    assert est.value == pytest.approx(a.mean() - b.mean())
    assert (est.low, est.high) == pytest.approx((ci.low, ci.high))


def test_sample_ratio_mismatch_is_flagged_on_52_48_of_20000():
    assert st.sample_ratio([10_400, 9_600], [50, 50]).mismatch
    assert not st.sample_ratio([10_050, 9_950], [50, 50]).mismatch


def test_nothing_to_compare_gives_no_figure_and_no_error():
    assert st.difference_of_proportions(0, 0, 3, 10) == st.NONE
    assert st.welch(1, 5.0, 25.0, 0, 0.0, 0.0) == st.NONE
    assert st.beta_binomial(0, 0, 0, 0).probability is None
    assert st.relative_conversion(3, 10, 0, 10) == st.NONE  # control converts nobody
    assert st.return_on_investment(st.NONE, 100, 0.3, 50.0, 7).roi == st.NONE


def test_intervals_cover_the_true_uplift_about_95_times_in_100():
    rng = np.random.default_rng(11)
    n, p0, p1 = 4000, 0.05, 0.06
    covered_cr = covered_rpv = 0
    for _ in range(1000):
        x0, x1 = rng.binomial(n, p0), rng.binomial(n, p1)
        est = st.difference_of_proportions(x1, n, x0, n)
        covered_cr += est.low <= p1 - p0 <= est.high
        a, b = rng.exponential(12.0, 300), rng.exponential(10.0, 300)
        rpv = st.welch(300, a.sum(), (a * a).sum(), 300, b.sum(), (b * b).sum())
        covered_rpv += rpv.low <= 2.0 <= rpv.high
    assert 930 <= covered_cr <= 970
    assert 930 <= covered_rpv <= 970


def test_a_and_a_experiments_are_called_significant_about_5_times_in_100():
    rng = np.random.default_rng(5)
    significant = 0
    for _ in range(1000):
        x0, x1 = rng.binomial(3000, 0.08, 2)
        significant += st.difference_of_proportions(x1, 3000, x0, 3000).significant
    assert 30 <= significant <= 70


def test_probability_to_beat_and_expected_loss_follow_the_evidence():
    clear = st.beta_binomial(300, 2000, 200, 2000)
    assert clear.probability > 0.99 and clear.expected_loss < 0.001
    even = st.beta_binomial(200, 2000, 200, 2000)
    assert 0.4 < even.probability < 0.6
    rpv = st.normal_bayes(st.Estimate(1.0, -0.96, 2.96))
    assert rpv.probability == pytest.approx(scipy_stats.norm.cdf(1.0), abs=1e-4)


def test_roi_is_incremental_margin_over_cost():
    result = st.return_on_investment(st.Estimate(0.5, 0.1, 0.9), 10_000, 0.3, 500.0, 14)
    assert result.incremental_revenue.value == pytest.approx(5000)
    assert result.incremental_margin.value == pytest.approx(1500)
    assert result.roi.value == pytest.approx(2.0)  # (1500 - 500) / 500
    assert result.roi.low == pytest.approx((300 - 500) / 500)
    assert result.payback_days == pytest.approx(500 / (1500 / 14))


def test_the_aov_interval_covers_the_true_difference_about_95_times_in_100():
    rng = np.random.default_rng(17)
    covered = 0
    for _ in range(1000):
        sums = []
        for mean_value in (45.0, 40.0):
            orders = rng.poisson(0.3, 2000)
            # k orders of exponential value: a Gamma(k) total (none for no order)
            revenue = np.where(orders > 0, rng.gamma(np.maximum(orders, 1), mean_value), 0.0)
            sums.append((2000, revenue.sum(), (revenue ** 2).sum(), orders.sum(),
                         (orders ** 2).sum(), (revenue * orders).sum()))
        est = st.ratio_difference(sums[0], sums[1])
        covered += est.low <= 5.0 <= est.high
    assert 930 <= covered <= 970
