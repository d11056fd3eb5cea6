"""Summary statistics over seeds, and the significance tests the reports state.

For ``n`` values ``x_1..x_n`` (one per seed)::

    mean = sum(x) / n            std = sqrt(sum((x - mean)^2) / (n - 1))     (ddof = 1)
    95% CI = mean -/+ t_{0.975, n-1} * std / sqrt(n)        (Student's t, two-sided)

Tests (two-sided, alpha = 0.05 unless told):

* ``paired_t``: the same seeds in both groups (same split and initialisation where the
  design allows), on the differences ``d = a - b``: ``t = mean(d) / (std(d) / sqrt(n))``
  with ``n - 1`` degrees of freedom. Used whenever two cells share their seeds.
* ``welch_t``: independent groups with unequal variances: ``t = (ma - mb) / sqrt(va/na +
  vb/nb)``, degrees of freedom by Welch-Satterthwaite.
* ``holm``: Holm-Bonferroni adjustment of a family of p-values (each study compares every
  level with the best one, so the family is that set of comparisons).

Degenerate cases are decided, not left to NaN: with ``n < 2`` there is no test
(``p = nan``); when every difference is the same number, ``p = 1`` if it is 0, else 0.
NaN or infinite values (a diverged run) are dropped before summarising; ``n`` counts the
finite values kept.

Bounded metrics (accuracy in [0, 1], a loss >= 0): ``summarize(values, bounds=(low, high))``
clips the t-interval to the metric's range, sets ``clipped`` and marks the interval with
``CLIPPED_MARK``; the report says what the mark means (``CLIPPED_NOTE``). With few seeds and
a large spread the t-interval of an accuracy can reach past 1 or below 0, which no mean of
accuracies can.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats as _sp

CONFIDENCE = 0.95
ALPHA = 0.05
CLIPPED_MARK = "†"
CLIPPED_NOTE = (f"{CLIPPED_MARK} The 95% t-interval reached past the metric's range (an accuracy "
                "above 1, a loss below 0) and is clipped to it.")


@dataclass(frozen=True)
class Summary:
    n: int
    mean: float
    std: float
    low: float        # 95% CI (clipped to the metric's range when ``clipped``)
    high: float
    clipped: bool = False

    def show(self, digits: int = 3) -> str:
        """``mean ± std`` for a table cell."""
        if self.n == 0:
            return "n/a"
        if self.n == 1:
            return _fmt(self.mean, digits)
        return f"{_fmt(self.mean, digits)} ± {_fmt(self.std, digits)}"

    def show_ci(self, digits: int = 3) -> str:
        if self.n < 2:
            return "n/a"
        mark = CLIPPED_MARK if self.clipped else ""
        return f"[{_fmt(self.low, digits)}, {_fmt(self.high, digits)}]{mark}"


def finite(values) -> np.ndarray:
    x = np.asarray([v for v in values if v is not None], dtype=np.float64)
    return x[np.isfinite(x)]


def summarize(values, confidence: float = CONFIDENCE,
              bounds: tuple[float | None, float | None] | None = None) -> Summary:
    """Mean, sample std (ddof=1) and the t-based confidence interval of the mean, clipped to
    ``bounds = (low, high)`` (either may be ``None``) where it reaches past them."""
    x = finite(values)
    n = x.size
    if n == 0:
        return Summary(0, math.nan, math.nan, math.nan, math.nan)
    mean = float(x.mean())
    if n == 1:
        return Summary(1, mean, math.nan, math.nan, math.nan)
    std = float(x.std(ddof=1))
    half = float(_sp.t.ppf(0.5 + confidence / 2, n - 1)) * std / math.sqrt(n)
    low, high = mean - half, mean + half
    floor, ceiling = bounds or (None, None)
    clipped = (floor is not None and low < floor) or (ceiling is not None and high > ceiling)
    if floor is not None:
        low = max(low, floor)
    if ceiling is not None:
        high = min(high, ceiling)
    return Summary(n, mean, std, low, high, bool(clipped))


@dataclass(frozen=True)
class Test:
    name: str         # "paired t-test" or "Welch's t-test"
    statistic: float
    df: float
    p: float


def paired_t(a, b) -> Test:
    """Paired t-test on ``a[i] - b[i]`` (pairs where either value is not finite are dropped)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"paired_t needs equal-length samples; got {a.shape} and {b.shape}.")
    keep = np.isfinite(a) & np.isfinite(b)
    d = a[keep] - b[keep]
    n = d.size
    if n < 2:
        return Test("paired t-test", math.nan, math.nan, math.nan)
    sd = d.std(ddof=1)
    if sd == 0:
        return Test("paired t-test", math.copysign(math.inf, d[0]) if d[0] else 0.0, n - 1,
                    1.0 if d[0] == 0 else 0.0)
    t = d.mean() / (sd / math.sqrt(n))
    return Test("paired t-test", float(t), n - 1, float(2 * _sp.t.sf(abs(t), n - 1)))


def welch_t(a, b) -> Test:
    """Welch's unequal-variance t-test on two independent samples."""
    a, b = finite(a), finite(b)
    na, nb = a.size, b.size
    if na < 2 or nb < 2:
        return Test("Welch's t-test", math.nan, math.nan, math.nan)
    va, vb = a.var(ddof=1) / na, b.var(ddof=1) / nb
    diff = a.mean() - b.mean()
    if va + vb == 0:
        return Test("Welch's t-test", math.copysign(math.inf, diff) if diff else 0.0,
                    na + nb - 2, 1.0 if diff == 0 else 0.0)
    t = diff / math.sqrt(va + vb)
    df = (va + vb) ** 2 / (va ** 2 / (na - 1) + vb ** 2 / (nb - 1))
    return Test("Welch's t-test", float(t), float(df), float(2 * _sp.t.sf(abs(t), df)))


def compare(a, b, paired: bool) -> Test:
    return paired_t(a, b) if paired else welch_t(a, b)


def holm(pvalues) -> np.ndarray:
    """Holm-Bonferroni adjusted p-values, in the input order (NaN stays NaN)."""
    p = np.asarray(pvalues, dtype=np.float64)
    out = np.full_like(p, np.nan)
    ok = np.flatnonzero(np.isfinite(p))
    m = ok.size
    if m == 0:
        return out
    order = ok[np.argsort(p[ok], kind="stable")]
    adjusted = np.minimum(1.0, np.maximum.accumulate(p[order] * (m - np.arange(m))))
    out[order] = adjusted
    return out


def geometric_mean(values, axis=0) -> np.ndarray:
    """exp(mean(log x)) along ``axis``, for non-negative values; exactly 0 where any value
    is 0 (a gradient that never reached a layer stays 0, not a tiny number)."""
    x = np.asarray(values, dtype=np.float64)
    with np.errstate(divide="ignore"):
        return np.exp(np.log(x).mean(axis=axis))


def quantiles(values, qs=(0.0, 0.25, 0.5, 0.75, 1.0)) -> list[float]:
    x = finite(values)
    return [float(np.quantile(x, q)) if x.size else math.nan for q in qs]


def _fmt(value: float, digits: int) -> str:
    if not math.isfinite(value):
        return str(value)
    if value != 0 and (abs(value) >= 10 ** 5 or abs(value) < 10 ** -(digits - 1)):
        return f"{value:.{digits - 1}e}"
    if abs(value) >= 100:
        return f"{value:.1f}"
    if abs(value) >= 10:
        return f"{value:.{max(1, digits - 1)}f}"
    return f"{value:.{digits}f}"
