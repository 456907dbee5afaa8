"""The statistics of the campaign reports, on aggregates (counts, sums, sums of squares).

Distributions come from scipy.stats; every function takes plain numbers, so it runs on the
daily rollups without reading a visitor's rows. See docs/measurement.md for the formulas.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

Z95 = float(stats.norm.ppf(0.975))
DRAWS = 20_000  # Monte Carlo draws for the Beta–Binomial probability to beat control


@dataclass(frozen=True)
class Estimate:
    """A difference (or ratio) with its 95 % interval; None where it cannot be computed."""

    value: float | None
    low: float | None
    high: float | None

    @property
    def significant(self) -> bool:
        """The interval leaves out zero."""
        return self.low is not None and self.high is not None and (
            self.low > 0 or self.high < 0)


NONE = Estimate(None, None, None)


def _finite(*values: float) -> bool:
    return all(v is not None and math.isfinite(v) for v in values)


def mean_and_variance(n: int, total: float, squares: float) -> tuple[float, float]:
    """Mean and sample variance of n values from their sum and sum of squares."""
    if n < 2:
        return (total / n if n else 0.0), 0.0
    mean = total / n
    return mean, max((squares - total * total / n) / (n - 1), 0.0)


def difference_of_proportions(x1: int, n1: int, x0: int, n0: int) -> Estimate:
    """p1 − p0 with a Wald interval (the normal approximation)."""
    if n1 <= 0 or n0 <= 0:
        return NONE
    p1, p0 = x1 / n1, x0 / n0
    se = math.sqrt(p1 * (1 - p1) / n1 + p0 * (1 - p0) / n0)
    return Estimate(p1 - p0, p1 - p0 - Z95 * se, p1 - p0 + Z95 * se)


def relative(value1: float, var1: float, value0: float, var0: float) -> Estimate:
    """value1 / value0 − 1 with a delta-method interval; var* are the variances of the two
    estimates (not of single visitors)."""
    if value0 <= 0 or not _finite(value1, var1, value0, var0):
        return NONE
    ratio = value1 / value0
    se = math.sqrt(var1 / value0 ** 2 + value1 ** 2 * var0 / value0 ** 4)
    return Estimate(ratio - 1, ratio - 1 - Z95 * se, ratio - 1 + Z95 * se)


def relative_conversion(x1: int, n1: int, x0: int, n0: int) -> Estimate:
    if n1 <= 0 or n0 <= 0:
        return NONE
    p1, p0 = x1 / n1, x0 / n0
    return relative(p1, p1 * (1 - p1) / n1, p0, p0 * (1 - p0) / n0)


def welch(n1: int, sum1: float, squares1: float, n0: int, sum0: float,
          squares0: float) -> Estimate:
    """mean1 − mean0 (revenue per visitor) with Welch's t interval."""
    if n1 < 2 or n0 < 2:
        return NONE
    return welch_from_moments(n1, *mean_and_variance(n1, sum1, squares1),
                              n0, *mean_and_variance(n0, sum0, squares0))


def welch_from_moments(n1: int, m1: float, v1: float, n0: int, m0: float,
                       v0: float) -> Estimate:
    """m1 − m0 with Welch's t interval, from each group's mean and sample variance."""
    a, b = v1 / n1, v0 / n0
    se = math.sqrt(a + b)
    if se == 0:
        return Estimate(m1 - m0, m1 - m0, m1 - m0)
    df = (a + b) ** 2 / (a * a / (n1 - 1) + b * b / (n0 - 1))
    t = float(stats.t.ppf(0.975, df))
    return Estimate(m1 - m0, m1 - m0 - t * se, m1 - m0 + t * se)


@dataclass(frozen=True)
class Moments:
    """One arm's sums over its visitors: y is the revenue in the run, x the revenue before
    it (the covariate CUPED adjusts for)."""

    n: int
    y: float
    yy: float
    x: float = 0.0
    xx: float = 0.0
    xy: float = 0.0


@dataclass(frozen=True)
class Cuped:
    """The CUPED-adjusted difference in revenue per visitor, θ, and how much narrower its
    interval is than the unadjusted one (0.25: a quarter narrower)."""

    difference: Estimate
    theta: float
    narrower_by: float | None


def _cuped_fit(arm: Moments, control: Moments
               ) -> tuple[float, tuple[float, float], tuple[float, float]] | None:
    """θ, and each arm's CUPED-adjusted (mean, variance) of revenue per visitor (see
    :func:`cuped`); None when there is nothing to adjust for."""
    if arm.n < 2 or control.n < 2:
        return None
    n = arm.n + control.n
    sx, sxx = arm.x + control.x, arm.xx + control.xx
    sy, sxy = arm.y + control.y, arm.xy + control.xy
    var_x = (sxx - sx * sx / n) / (n - 1)
    if var_x <= 0:
        return None
    theta = (sxy - sx * sy / n) / (n - 1) / var_x
    mean_x = sx / n

    def adjusted(m: Moments) -> tuple[float, float]:
        vy = max((m.yy - m.y * m.y / m.n) / (m.n - 1), 0.0)
        vx = max((m.xx - m.x * m.x / m.n) / (m.n - 1), 0.0)
        cxy = (m.xy - m.x * m.y / m.n) / (m.n - 1)
        return (m.y / m.n - theta * (m.x / m.n - mean_x),
                max(vy - 2 * theta * cxy + theta * theta * vx, 0.0))

    return theta, adjusted(arm), adjusted(control)


def cuped_moments(arm: Moments, control: Moments
                  ) -> tuple[tuple[float, float], tuple[float, float]] | None:
    """Each arm's CUPED-adjusted (mean, variance) of revenue per visitor; None when there
    is nothing to adjust for."""
    fit = _cuped_fit(arm, control)
    return None if fit is None else (fit[1], fit[2])


def cuped(arm: Moments, control: Moments) -> Cuped | None:
    """Revenue per visitor adjusted for revenue before the run (CUPED, Deng et al. 2013).

    θ = cov(x, y) / var(x) over both arms pooled; each arm's mean becomes
    ȳ − θ (x̄ − x̄_pooled) and its variance var(y) − 2θ cov(x, y) + θ² var(x). None when
    nobody had revenue before the run (nothing to adjust for).
    """
    fit = _cuped_fit(arm, control)
    if fit is None:
        return None
    theta, adjusted_arm, adjusted_control = fit
    difference = welch_from_moments(arm.n, *adjusted_arm, control.n, *adjusted_control)
    plain = welch(arm.n, arm.y, arm.yy, control.n, control.y, control.yy)
    width, plain_width = (difference.high - difference.low), (plain.high - plain.low)
    narrower = 1 - width / plain_width if plain_width > 0 else None
    return Cuped(difference, theta, narrower)


def relative_mean(n1: int, sum1: float, squares1: float, n0: int, sum0: float,
                  squares0: float) -> Estimate:
    if n1 < 2 or n0 < 2:
        return NONE
    m1, v1 = mean_and_variance(n1, sum1, squares1)
    m0, v0 = mean_and_variance(n0, sum0, squares0)
    return relative(m1, v1 / n1, m0, v0 / n0)


def ratio_difference(arm: tuple[int, float, float, float, float, float],
                     control: tuple[int, float, float, float, float, float]) -> Estimate:
    """AOV1 − AOV0, where each AOV is Σrevenue / Σorders over its visitors, with a
    delta-method interval. Each argument: (visitors, Σrevenue, Σrevenue², Σorders,
    Σorders², Σrevenue × orders), all per visitor."""

    def aov_and_variance(n: int, r: float, rr: float, o: float, oo: float,
                         ro: float) -> tuple[float, float] | None:
        if n < 2 or o <= 0:
            return None
        mr, mo = r / n, o / n
        vr, vo = (rr - r * r / n) / (n - 1), (oo - o * o / n) / (n - 1)
        cov = (ro - r * o / n) / (n - 1)
        ratio = mr / mo
        return ratio, max((vr - 2 * ratio * cov + ratio * ratio * vo) / (n * mo * mo), 0.0)

    a, c = aov_and_variance(*arm), aov_and_variance(*control)
    if a is None or c is None:
        return NONE
    diff, se = a[0] - c[0], math.sqrt(a[1] + c[1])
    return Estimate(diff, diff - Z95 * se, diff + Z95 * se)


@dataclass(frozen=True)
class Bayes:
    """Probability that the variant beats control, and the expected loss of choosing it
    (in the metric's unit: a share of visitors, or euros per visitor)."""

    probability: float | None
    expected_loss: float | None


def beta_binomial(x1: int, n1: int, x0: int, n0: int, seed: int = 7) -> Bayes:
    """Beta(1 + conversions, 1 + non-conversions) posteriors, compared by Monte Carlo with
    a fixed seed (the same figures on every page load)."""
    if n1 <= 0 or n0 <= 0:
        return Bayes(None, None)
    rng = np.random.default_rng(seed)
    p1 = rng.beta(1 + x1, 1 + n1 - x1, DRAWS)
    p0 = rng.beta(1 + x0, 1 + n0 - x0, DRAWS)
    return Bayes(float(np.mean(p1 > p0)), float(np.mean(np.maximum(p0 - p1, 0))))


def normal_bayes(difference: Estimate) -> Bayes:
    """For revenue per visitor: the difference taken as normal around its estimate."""
    if not _finite(difference.value, difference.low, difference.high):
        return Bayes(None, None)
    se = (difference.high - difference.low) / (2 * Z95)
    if se == 0:
        return Bayes(1.0 if difference.value > 0 else 0.0, max(-difference.value, 0.0))
    z = difference.value / se
    loss = se * float(stats.norm.pdf(z)) - difference.value * float(stats.norm.cdf(-z))
    return Bayes(float(stats.norm.cdf(z)), max(loss, 0.0))


@dataclass(frozen=True)
class SampleRatio:
    p_value: float | None
    mismatch: bool


def sample_ratio(observed: list[int], expected_shares: list[float],
                 threshold: float = 0.001) -> SampleRatio:
    """Chi-square goodness of fit of the visitors per arm against the configured split."""
    total = sum(observed)
    shares = [s for s in expected_shares]
    if total == 0 or len(observed) < 2 or any(s <= 0 for s in shares):
        return SampleRatio(None, False)
    scale = sum(shares)
    expected = [total * s / scale for s in shares]
    p = float(stats.chisquare(observed, expected).pvalue)
    return SampleRatio(p, p < threshold)


@dataclass(frozen=True)
class ReturnOnInvestment:
    incremental_revenue: Estimate
    incremental_margin: Estimate
    roi: Estimate  # (incremental margin − cost) / cost
    payback_days: float | None


def return_on_investment(rpv_uplift: Estimate, visitors: int, margin: float, cost: float,
                         days: float) -> ReturnOnInvestment:
    """What the variant earned beyond control: uplift in revenue per visitor × its
    visitors, the margin on that, and the return on the campaign's cost."""
    if not _finite(rpv_uplift.value, rpv_uplift.low, rpv_uplift.high) or visitors <= 0:
        return ReturnOnInvestment(NONE, NONE, NONE, None)
    revenue = Estimate(*(v * visitors for v in (rpv_uplift.value, rpv_uplift.low,
                                                 rpv_uplift.high)))
    earned = Estimate(*(v * margin for v in (revenue.value, revenue.low, revenue.high)))
    if cost <= 0:
        return ReturnOnInvestment(revenue, earned, NONE, None)
    roi = Estimate(*((v - cost) / cost for v in (earned.value, earned.low, earned.high)))
    per_day = earned.value / days if days > 0 else 0
    payback = cost / per_day if per_day > 0 else None
    return ReturnOnInvestment(revenue, earned, roi, payback)


# -- Always-valid inference: asymptotic confidence sequences ------------------------------
#
# Waudby-Smith, Arnold, Wu, Howard, Ramdas, "Time-uniform central limit theory and
# asymptotic confidence sequences", Annals of Statistics (2024), eq. (9) with the mixing
# parameter of its two-sided tuning (eq. 161 of the arXiv version), as used by GrowthBook's
# and Eppo's sequential modes. An interval d ± h(n) around a difference d whose estimate
# has variance se², over n visitors in all, holds the true difference at every n at once
# with probability 1 − α, however often it is read. ρ is chosen so the sequence is tightest
# near ``tuned_for`` visitors (the planned sample).

ALPHA = 0.05


def mixing_parameter(tuned_for: float, alpha: float = ALPHA) -> float:
    """ρ for a confidence sequence tightest at ``tuned_for`` observations."""
    la = math.log(alpha)
    return math.sqrt((-2 * la + math.log(-2 * la + 1)) / max(tuned_for, 1.0))


def sequence_halfwidth(se: float, n: int, tuned_for: float, alpha: float = ALPHA) -> float:
    """Half-width of the two-sided asymptotic confidence sequence at level 1 − ``alpha``
    at n observations in all, for an estimate with standard error ``se`` (per-observation
    variance se² · n). ρ is always tuned at the nominal ALPHA, so a sequence at a corrected
    level (α/k) is the same sequence read at a stricter level, as its p-value assumes."""
    if n <= 0:
        return math.inf
    rho2 = mixing_parameter(tuned_for) ** 2
    s2 = se * se * n
    return math.sqrt(s2) * math.sqrt(
        2 * (n * rho2 + 1) / (n * n * rho2) * math.log(math.sqrt(n * rho2 + 1) / alpha))


def sequence_p_value(difference: float, se: float, n: int, tuned_for: float) -> float:
    """The always-valid p-value: the smallest level whose confidence sequence (ρ tuned at
    the nominal ALPHA) leaves out zero. It can be read any day without inflating false alarms,
    and Holm's correction applies to it as to a fixed-horizon p-value."""
    if n <= 0 or se <= 0:
        return 1.0 if difference == 0 or n <= 0 else 0.0
    rho2 = mixing_parameter(tuned_for) ** 2
    s2 = se * se * n
    exponent = difference * difference * n * n * rho2 / (2 * s2 * (n * rho2 + 1))
    return min(1.0, math.sqrt(n * rho2 + 1) * math.exp(-exponent))


def fixed_p_value(difference: float, se: float) -> float:
    """Two-sided p-value of a normal test (fixed horizon)."""
    if se <= 0:
        return 1.0 if difference == 0 else 0.0
    return float(2 * stats.norm.sf(abs(difference) / se))


def holm(p_values: list[float], alpha: float = ALPHA) -> list[bool]:
    """Holm's step-down correction: which hypotheses are rejected with the family-wise
    error rate at most ``alpha`` (uniformly more powerful than Bonferroni)."""
    order = sorted(range(len(p_values)), key=lambda i: p_values[i])
    rejected = [False] * len(p_values)
    m = len(p_values)
    for rank, i in enumerate(order):
        if p_values[i] > alpha / (m - rank):
            break
        rejected[i] = True
    return rejected


def sample_size_proportions(baseline: float, relative_effect: float, *, power: float = 0.8,
                            alpha: float = ALPHA, comparisons: int = 1) -> int | None:
    """Visitors per arm to find a relative change of a conversion rate with the given power
    in a two-sided test (Bonferroni over ``comparisons``, as Holm is at worst)."""
    p0 = baseline
    p1 = p0 * (1 + relative_effect)
    if not 0 < p0 < 1 or not 0 < p1 < 1 or p1 == p0:
        return None
    z = float(stats.norm.ppf(1 - alpha / (2 * comparisons)) + stats.norm.ppf(power))
    return math.ceil(z * z * (p0 * (1 - p0) + p1 * (1 - p1)) / (p1 - p0) ** 2)


def sample_size_means(sd: float, difference: float, *, power: float = 0.8,
                      alpha: float = ALPHA, comparisons: int = 1) -> int | None:
    """Visitors per arm to find an absolute difference of means (equal spreads)."""
    if sd <= 0 or difference == 0:
        return None
    z = float(stats.norm.ppf(1 - alpha / (2 * comparisons)) + stats.norm.ppf(power))
    return math.ceil(2 * z * z * sd * sd / difference ** 2)


def payback_days(earned: Estimate, cost: float, days: float) -> Estimate:
    """Days until the incremental margin pays the cost back, with an interval from the
    margin's; None where the margin's interval reaches zero (the interval is not finite)."""
    if cost <= 0 or days <= 0 or not _finite(earned.value, earned.low, earned.high) \
            or earned.low <= 0:
        return NONE
    per_day = (earned.value / days, earned.low / days, earned.high / days)
    return Estimate(cost / per_day[0], cost / per_day[2], cost / per_day[1])
