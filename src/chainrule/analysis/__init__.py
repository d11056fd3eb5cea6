"""``chainrule.analysis``: the curvature of a trained network's loss, matrix-free.

PyHessian and hessian-eigenthings measure this for PyTorch models; here it is built on the
engine's second derivatives (Hessian-vector products, never the Hessian itself) and on
SciPy's linear algebra.

=====================================  ===================================================
``Hessian(model, loss, data)``         :math:`\\nabla^2 L` as a SciPy ``LinearOperator``
``GaussNewton(model, loss, data)``     :math:`J^\\top H_L J`, the same way
``eigenpairs(op, k, which, tol)``      top / bottom eigenpairs (ARPACK Lanczos), residuals
``trace(op, matvecs, method)``         Hutch++ or Hutchinson estimate, standard error
``spectral_density(op, steps, runs)``  stochastic Lanczos quadrature, ``.plot()``
``classify(hessian)``                  minimum / saddle / flat, with the evidence
``linear_path(loss_at, a, b)``         the loss on the segment between two solutions
``filter_normalized_direction(model)`` a random direction scaled filter by filter (Li 2018)
``surface(loss_at, center, d1, d2)``   a 2-D slice of the loss along two directions
=====================================  ===================================================

The analysis runs in float64 by default, a float32 model included (its parameters and
data are copied), at the parameters the operator was made with; the model is never
changed. See ``operators.py``, ``spectrum.py`` and ``endpoint.py`` for the contracts.

Usage::

    from chainrule import analysis
    H = analysis.Hessian(model, "cross_entropy", (X, y))
    print(H.eigenpairs(k=1))                  # the top eigenvalue, with its residual
    print(H.trace())                          # Hutch++
    H.density().plot("spectrum.png")
    print(analysis.classify(H))               # minimum, saddle or flat, and why
"""
from .operators import GaussNewton, Hessian, LossCurvature
from .spectrum import (Eigenpairs, SpectralDensity, TraceEstimate, eigenpairs, spectral_density,
                       trace)
from .endpoint import EndPoint, classify
from .landscape import LinearPath, Surface, filter_normalized_direction, linear_path, surface

__all__ = ["Hessian", "GaussNewton", "LossCurvature", "eigenpairs", "trace", "spectral_density",
           "classify", "Eigenpairs", "TraceEstimate", "SpectralDensity", "EndPoint",
           "linear_path", "filter_normalized_direction", "surface", "LinearPath", "Surface"]
