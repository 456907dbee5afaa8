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


def _moments(y: np.ndarray, x: np.ndarray) -> st.Moments:
    return st.Moments(len(y), y.sum(), (y * y).sum(), x.sum(), (x * x).sum(), (x * y).sum())


def _spenders(rng: np.random.Generator, n: int, effect: float) -> tuple[np.ndarray, np.ndarray]:
    """Revenue before the run (x) and in it (y) of n visitors: big spenders stay big."""
    habit = rng.gamma(0.5, 40.0, n)  # what a visitor usually spends in a period
    before = rng.poisson(habit / 10) * 10.0
    during = rng.poisson(habit / 10) * 10.0 + effect
    return during, before


def test_cuped_narrows_the_interval_and_still_covers_the_true_uplift():
    rng = np.random.default_rng(23)
    covered = narrower = 0
    for _ in range(1000):
        y1, x1 = _spenders(rng, 500, 2.0)
        y0, x0 = _spenders(rng, 500, 0.0)
        adjusted = st.cuped(_moments(y1, x1), _moments(y0, x0))
        plain = st.welch(500, y1.sum(), (y1 * y1).sum(), 500, y0.sum(), (y0 * y0).sum())
        covered += adjusted.difference.low <= 2.0 <= adjusted.difference.high
        narrower += (adjusted.difference.high - adjusted.difference.low
                     < plain.high - plain.low)
        assert adjusted.narrower_by == pytest.approx(
            1 - (adjusted.difference.high - adjusted.difference.low) / (plain.high - plain.low))
    assert 930 <= covered <= 970
    assert narrower >= 990  # the pre-period explains much of the noise: nearly always narrower


def test_cuped_needs_revenue_before_the_run():
    y = np.array([0.0, 10.0, 0.0, 30.0])
    zeros = np.zeros(4)
    assert st.cuped(_moments(y, zeros), _moments(y, zeros)) is None


# Cross-checks against statsmodels on fixed data: the same figures from an independent,
# well-kept implementation.

def test_the_conversion_interval_agrees_with_statsmodels():
    from statsmodels.stats.proportion import confint_proportions_2indep

    est = st.difference_of_proportions(130, 2100, 101, 2050)
    low, high = confint_proportions_2indep(130, 2100, 101, 2050, method="wald", compare="diff")
    assert (est.low, est.high) == pytest.approx((low, high))


def test_the_revenue_per_visitor_interval_agrees_with_statsmodels():
    from statsmodels.stats.weightstats import CompareMeans, DescrStatsW

    rng = np.random.default_rng(29)
    a, b = rng.gamma(0.3, 60, 900), rng.gamma(0.3, 50, 1100)
    est = st.welch(len(a), a.sum(), (a * a).sum(), len(b), b.sum(), (b * b).sum())
    low, high = CompareMeans(DescrStatsW(a), DescrStatsW(b)).tconfint_diff(usevar="unequal")
    assert (est.low, est.high) == pytest.approx((low, high))


def test_cuped_agrees_with_a_regression_on_the_pre_period_revenue():
    import statsmodels.api as sm

    rng = np.random.default_rng(31)
    y1, x1 = _spenders(rng, 3000, 3.0)
    y0, x0 = _spenders(rng, 3000, 0.0)
    adjusted = st.cuped(_moments(y1, x1), _moments(y0, x0))
    y, x = np.concatenate([y1, y0]), np.concatenate([x1, x0])
    treated = np.concatenate([np.ones(3000), np.zeros(3000)])
    fit = sm.OLS(y, sm.add_constant(np.column_stack([treated, x]))).fit(cov_type="HC2")
    # CUPED's pooled θ is the regression's slope up to the arms' difference in means:
    # the two estimates of the uplift agree closely, and so do their standard errors.
    assert adjusted.difference.value == pytest.approx(fit.params[1], abs=0.05)
    se = (adjusted.difference.high - adjusted.difference.low) / (2 * 1.96)
    assert se == pytest.approx(fit.bse[1], rel=0.02)
