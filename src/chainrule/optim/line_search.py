"""Line searches along a direction ``d`` from ``x``: strong Wolfe, and exact minimisation.

Contract: ``obj_func(x, t, d) -> (f, g)`` returns the loss and the flat gradient at
``x + t d`` (leaving the parameters at ``x``). With :math:`\\phi(t) = f(x + t d)`,
:math:`\\phi(0) = f`, :math:`\\phi'(0) = g \\cdot d = gtd < 0`, a search returns
``(f_new, g_new, t, evaluations)`` where ``t`` satisfies the strong Wolfe conditions

.. math::

    \\phi(t) \\le \\phi(0) + c_1 t \\phi'(0), \\qquad |\\phi'(t)| \\le c_2 |\\phi'(0)|

(``0 < c1 < c2 < 1``), or is the best point found within ``max_ls`` evaluations.

``strong_wolfe`` brackets an acceptable step, extrapolating with safeguarded cubic
interpolation, then zooms into the bracket (Nocedal & Wright, *Numerical
Optimization*, 2nd ed., Algorithms 3.5 and 3.6). It is a port of PyTorch's
``_strong_wolfe`` (itself from minFunc / torch7's ``lswolfe.lua``), so that ``LBFGS``
takes the same steps as ``torch.optim.LBFGS``.

``exact`` minimises along the line: it stops only where
:math:`|\\phi'(t)| \\le 10^{-10} |\\phi'(0)|`, by secant steps on the slope. On a
quadratic :math:`\\phi'` is linear, so the first secant step lands on the minimiser:
two evaluations per line. This is the exact line search that gives conjugate
gradients their finite termination on quadratics.
"""
from __future__ import annotations

import math

import numpy as np


def cubic_interpolate(x1, f1, g1, x2, f2, g2, bounds=None) -> float:
    """Minimiser of the cubic through ``(x1, f1, g1)`` and ``(x2, f2, g2)``, kept in bounds.

    With :math:`d_1 = g_1 + g_2 - 3 (f_1 - f_2)/(x_1 - x_2)` and
    :math:`d_2 = \\sqrt{d_1^2 - g_1 g_2}` (``x2`` the farther point),
    :math:`x = x_2 - (x_2 - x_1) (g_2 + d_2 - d_1) / (g_2 - g_1 + 2 d_2)`.
    Without a real minimiser, the middle of the bounds.
    """
    if bounds is not None:
        low, high = bounds
    else:
        low, high = (x1, x2) if x1 <= x2 else (x2, x1)
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1 ** 2 - g1 * g2
    if d2_square >= 0:
        d2 = math.sqrt(d2_square)
        if x1 <= x2:
            position = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
        else:
            position = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
        return min(max(position, low), high)
    return (low + high) / 2.0


def strong_wolfe(obj_func, x, t, d, f, g, gtd, c1=1e-4, c2=0.9, tolerance_change=1e-9,
                 max_ls=25):
    """Find a step ``t`` along ``d`` satisfying the strong Wolfe conditions (see module)."""
    d_norm = float(np.abs(d).max())
    g = g.copy()
    f_new, g_new = obj_func(x, t, d)
    evaluations = 1
    gtd_new = float(g_new.dot(d))

    # bracketing phase: find an interval that contains an acceptable step
    t_prev, f_prev, g_prev, gtd_prev = 0.0, f, g, gtd
    done = False
    ls_iter = 0
    while ls_iter < max_ls:
        if f_new > (f + c1 * t * gtd) or (ls_iter > 1 and f_new >= f_prev):
            bracket = [t_prev, t], [f_prev, f_new], [g_prev, g_new.copy()], [gtd_prev, gtd_new]
            break
        if abs(gtd_new) <= -c2 * gtd:
            bracket = [t], [f_new], [g_new], [gtd_new]
            done = True
            break
        if gtd_new >= 0:
            bracket = [t_prev, t], [f_prev, f_new], [g_prev, g_new.copy()], [gtd_prev, gtd_new]
            break
        # still descending: extrapolate, at least 1% further and at most 10 times as far
        min_step, max_step = t + 0.01 * (t - t_prev), t * 10
        t_prev, t = t, cubic_interpolate(t_prev, f_prev, gtd_prev, t, f_new, gtd_new,
                                         bounds=(min_step, max_step))
        f_prev, g_prev, gtd_prev = f_new, g_new.copy(), gtd_new
        f_new, g_new = obj_func(x, t, d)
        evaluations += 1
        gtd_new = float(g_new.dot(d))
        ls_iter += 1
    if ls_iter == max_ls:
        # NOTE: PyTorch leaves the slopes undefined here; we keep them, for the zoom below.
        bracket = [0.0, t], [f, f_new], [g, g_new], [gtd, gtd_new]
    steps, values, grads, slopes = (list(b) for b in bracket)

    # zoom phase: shrink the bracket until a point satisfies the conditions
    insufficient_progress = False
    low, high = (0, 1) if values[0] <= values[-1] else (1, 0)
    while not done and ls_iter < max_ls:
        if abs(steps[1] - steps[0]) * d_norm < tolerance_change:
            break
        t = cubic_interpolate(steps[0], values[0], slopes[0], steps[1], values[1], slopes[1])
        # NOTE: a trial point at (or twice in a row near) an end of the bracket barely
        # shrinks it; move it to 10% of the bracket's width inside.
        eps = 0.1 * (max(steps) - min(steps))
        if min(max(steps) - t, t - min(steps)) < eps:
            if insufficient_progress or t >= max(steps) or t <= min(steps):
                t = max(steps) - eps if abs(t - max(steps)) < abs(t - min(steps)) \
                    else min(steps) + eps
                insufficient_progress = False
            else:
                insufficient_progress = True
        else:
            insufficient_progress = False
        f_new, g_new = obj_func(x, t, d)
        evaluations += 1
        gtd_new = float(g_new.dot(d))
        ls_iter += 1
        if f_new > (f + c1 * t * gtd) or f_new >= values[low]:
            # no sufficient decrease, or not below the low end: t becomes the high end
            steps[high], values[high], grads[high], slopes[high] = t, f_new, g_new.copy(), gtd_new
            low, high = (0, 1) if values[0] <= values[1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True
            elif gtd_new * (steps[high] - steps[low]) >= 0:
                # the minimiser lies between t and the old low end: old low becomes high
                steps[high], values[high] = steps[low], values[low]
                grads[high], slopes[high] = grads[low], slopes[low]
            steps[low], values[low], grads[low], slopes[low] = t, f_new, g_new.copy(), gtd_new
    return values[low], grads[low], steps[low], evaluations


def exact(obj_func, x, t, d, f, g, gtd, tolerance=1e-10, max_ls=50):
    """Minimise along the line: a zero of :math:`\\phi'` by safeguarded secant steps.

    Only slopes are used: near a minimiser, differences of loss values cancel to
    rounding noise long before differences of slopes do. Until a positive slope is
    seen, secant extrapolation (at most ten times further); then regula falsi inside
    the bracket ``[lo, hi]`` with :math:`\\phi'(lo) < 0 < \\phi'(hi)`, which contains
    a minimiser, with the Illinois rule (halve a stale end's slope) against
    stagnation. Stops when :math:`|\\phi'(t)| \\le` ``tolerance`` :math:`|\\phi'(0)|`;
    when the bracket has shrunk to rounding or after ``max_ls`` evaluations, returns,
    of the points no higher than :math:`\\phi(0)`, the one with the smallest slope.
    """
    lo, slope_lo = 0.0, gtd
    hi = slope_hi = None
    previous, slope_previous = 0.0, gtd
    stale = 0                           # +n: lo kept n times in a row; -n: hi kept n times
    best = (abs(gtd), f, g, 0.0)
    evaluations = 0
    while evaluations < max_ls:
        evaluations += 1
        f_new, g_new = obj_func(x, t, d)
        slope = float(g_new.dot(d))
        if f_new <= f and abs(slope) < best[0]:
            best = (abs(slope), f_new, g_new, t)
        if abs(slope) <= tolerance * abs(gtd):
            return f_new, g_new, t, evaluations
        if slope < 0:
            lo, slope_lo = t, slope
            stale = stale - 1 if stale < 0 else -1          # hi was kept
        else:
            hi, slope_hi = t, slope
            stale = stale + 1 if stale > 0 else 1           # lo was kept
        if hi is None:                         # still descending: extrapolate
            growth = slope - slope_previous
            guess = t - slope * (t - previous) / growth if growth > 0 else 10 * t
            previous, slope_previous = t, slope
            t = min(max(guess, 1.01 * t), 10 * t)
        else:                                  # regula falsi in the bracket, Illinois rule
            if stale >= 2:
                slope_lo /= 2
            elif stale <= -2:
                slope_hi /= 2
            if hi - lo <= 1e-12 * hi:          # the bracket is down to rounding: stop
                break
            t = lo - slope_lo * (hi - lo) / (slope_hi - slope_lo)
            if not lo < t < hi:
                t = (lo + hi) / 2
    _, f_best, g_best, t_best = best
    return f_best, g_best, t_best, evaluations


LINE_SEARCHES = {"strong_wolfe": strong_wolfe, "exact": exact}
