"""Study statistics against SciPy's reference implementations, and the degenerate cases."""
import math

import numpy as np
import pytest
from scipy import stats as sp

from chainrule.studies import stats

RNG = np.random.default_rng(7)
SAMPLES = [RNG.normal(0.9, 0.02, n) for n in (2, 3, 5, 12)]


@pytest.mark.parametrize("x", SAMPLES)
def test_summary_matches_scipy_t_interval(x):
    s = stats.summarize(x)
    low, high = sp.t.interval(0.95, len(x) - 1, loc=x.mean(), scale=sp.sem(x))
    assert s.n == len(x)
    assert s.mean == pytest.approx(x.mean(), rel=1e-12)
    assert s.std == pytest.approx(x.std(ddof=1), rel=1e-12)
    assert (s.low, s.high) == pytest.approx((low, high), rel=1e-12)


@pytest.mark.parametrize("a, b", [(SAMPLES[2], SAMPLES[2] + RNG.normal(0.01, 0.01, 5)),
                                  (SAMPLES[3], RNG.normal(0.92, 0.03, 12))])
def test_paired_t_matches_scipy(a, b):
    ours, ref = stats.paired_t(a, b), sp.ttest_rel(a, b)
    assert ours.statistic == pytest.approx(ref.statistic, rel=1e-10)
    assert ours.p == pytest.approx(ref.pvalue, rel=1e-10)
    assert ours.df == len(a) - 1


@pytest.mark.parametrize("a, b", [(SAMPLES[1], SAMPLES[3]), (SAMPLES[3], SAMPLES[2] * 1.1)])
def test_welch_t_matches_scipy(a, b):
    ours, ref = stats.welch_t(a, b), sp.ttest_ind(a, b, equal_var=False)
    assert ours.statistic == pytest.approx(ref.statistic, rel=1e-10)
    assert ours.p == pytest.approx(ref.pvalue, rel=1e-10)
    assert ours.df == pytest.approx(ref.df, rel=1e-10)


def test_holm_matches_hand_computation():
    # sorted p: 0.01, 0.02, 0.04 -> 0.03, 0.04, 0.04 (monotone); NaN stays NaN
    adjusted = stats.holm([0.04, 0.01, math.nan, 0.02])
    assert adjusted[[0, 1, 3]] == pytest.approx([0.04, 0.03, 0.04])
    assert math.isnan(adjusted[2])


def test_degenerate_cases_are_decided():
    assert math.isnan(stats.summarize([0.5]).std) and stats.summarize([0.5]).mean == 0.5
    assert stats.summarize([]).n == 0
    assert stats.summarize([1.0, math.nan, 3.0]).n == 2          # diverged runs are dropped
    assert stats.paired_t([1, 2, 3], [1, 2, 3]).p == 1.0          # identical: no difference
    assert stats.paired_t([1, 2, 3], [0, 1, 2]).p == 0.0          # constant non-zero difference
    assert math.isnan(stats.welch_t([1.0], [2.0, 3.0]).p)         # n < 2: no test
    assert stats.summarize([0.91, 0.93]).show() == "0.920 ± 0.014"
