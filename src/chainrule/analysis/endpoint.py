"""Where training ended: a minimum, a saddle point, or a flat region, with the evidence.

Contract
--------
``classify(hessian, k=3, tolerance=1e-3, flat=1e-6, tol=1e-6, seed=0) -> EndPoint``
reads the extreme eigenvalues of the Hessian at the point (Lanczos, ``eigenpairs``; the
smallest ones as the largest of :math:`\\lambda_{max} I - H`, so that they are found to
``tol`` relative to :math:`\\lambda_{max}`, the scale the kinds below compare them with):

* ``"flat"``: no direction curves more than ``flat`` (:math:`\\lambda_{max} \\le`
  ``flat``, in loss units per squared parameter step): a plateau, where the second
  derivatives tell nothing;
* ``"saddle"``: some direction curves down, significantly: :math:`\\lambda_{min} <
  -\\,` ``tolerance`` :math:`\\cdot \\lambda_{max}` (and below ``-flat``); the loss falls
  along its eigenvector;
* ``"minimum"``: otherwise, every curvature is positive, or too small next to the largest
  to be told from zero at this precision (a flat valley floor).

The evidence (``str(endpoint)``) is the loss and gradient norm (whether the point is
stationary at all, ``grad_tol``), the top and bottom eigenvalues with their residuals,
the number of negative ones among the bottom ``k``, and a check that does not trust the
eigensolver: the loss measured at :math:`\\theta \\pm t v` along the bottom eigenvector
``v``, whose average change :math:`\\frac12 (L(\\theta + t v) + L(\\theta - t v)) - L(\\theta)`
is :math:`\\frac12 t^2 \\lambda_{min}` up to :math:`O(t^4)`, whatever the gradient.

Usage::

    endpoint = analysis.classify(analysis.Hessian(model, "cross_entropy", (X, y)))
    print(endpoint.kind); print(endpoint)
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validation import check_number, invalid
from .operators import LossCurvature
from .spectrum import Eigenpairs, eigenpairs


@dataclass
class EndPoint:
    kind: str                    # "minimum", "saddle" or "flat"
    loss: float
    gradient_norm: float
    stationary: bool             # gradient_norm <= grad_tol
    top: Eigenpairs              # the largest eigenvalue(s)
    bottom: Eigenpairs           # the k smallest
    step: float                  # t of the probe along the bottom eigenvector
    probe_change: float          # (L(theta + t v) + L(theta - t v)) / 2 - L(theta), measured
    predicted_change: float      # t^2 lambda_min / 2
    tolerance: float
    flat: float

    def __str__(self) -> str:
        negative = int(np.sum(self.bottom.values < -self.tolerance * max(self.top.values[0], 0)))
        lines = [
            f"end point: {self.kind}",
            f"  loss {self.loss:.6g}, gradient norm {self.gradient_norm:.3g}"
            + ("" if self.stationary else " (not small: the point is not stationary, so this "
                                          "describes the curvature there only)"),
            f"  largest eigenvalue {self.top.values[0]:.6g} (residual {self.top.residuals[0]:.1e})",
            f"  smallest eigenvalues {', '.join(f'{v:.4g}' for v in self.bottom.values)} "
            f"(residuals up to {self.bottom.residuals.max():.1e}); {negative} of "
            f"{len(self.bottom.values)} below -{self.tolerance:g} x the largest",
            f"  along the bottom eigenvector, t = {self.step:.3g}: the loss changes by "
            f"{self.probe_change:.3g} on average of +-t (t^2 lambda_min / 2 = "
            f"{self.predicted_change:.3g})"
            + ("" if self.probe_agrees else ": they disagree, so the quadratic model does not "
                                            "hold that far (a kink, such as a ReLU's, or "
                                            "higher-order terms); the kind rests on the "
                                            "eigenvalues alone"),
        ]
        return "\n".join(lines)

    @property
    def probe_agrees(self) -> bool:
        """Whether the measured change has the predicted sign and is within a factor of 2."""
        ratio = self.probe_change / self.predicted_change if self.predicted_change else np.inf
        return 0.5 <= ratio <= 2.0 or (self.predicted_change == 0 and abs(self.probe_change)
                                        <= 1e-12 * max(abs(self.loss), 1.0))


def classify(hessian: LossCurvature, k: int = 3, tolerance: float = 1e-3, flat: float = 1e-6,
             tol: float = 1e-6, grad_tol: float = 1e-3, seed: int = 0) -> EndPoint:
    """Classify the point of ``hessian`` (an :class:`~chainrule.analysis.Hessian`)."""
    owner = "classify"
    if not isinstance(hessian, LossCurvature):
        raise invalid("hessian", owner, "a chainrule.analysis.Hessian", type(hessian).__name__,
                      "Build one: analysis.Hessian(model, loss, (X, y)).", exc=TypeError)
    check_number("tolerance", tolerance, owner, low=0.0)
    check_number("flat", flat, owner, low=0.0)
    top = eigenpairs(hessian, k=1, which="largest", tol=tol, seed=seed)
    bottom = _bottom(hessian, float(top.values[0]), min(k, hessian.shape[0] - 1), tol, seed)
    largest, smallest = float(top.values[0]), float(bottom.values[0])
    if largest <= flat:
        kind = "flat"
    elif smallest < -max(tolerance * largest, flat):
        kind = "saddle"
    else:
        kind = "minimum"
    loss = hessian.loss
    gradient_norm = float(np.linalg.norm(hessian.gradient))
    # a step whose predicted change is 1e-6 of the loss (or 1e-10 absolute): far above the
    # rounding of a float64 loss, and short, so that it rarely crosses a ReLU's kink
    curvature = max(abs(smallest), flat, 1e-12)
    step = float(np.sqrt(2 * max(1e-6 * abs(loss), 1e-10) / curvature))
    point, direction = hessian.point, bottom.vectors[:, 0]
    probe = 0.5 * (hessian.loss_at(point + step * direction)
                   + hessian.loss_at(point - step * direction)) - loss
    return EndPoint(kind, loss, gradient_norm, gradient_norm <= grad_tol, top, bottom, step,
                    probe, 0.5 * step * step * smallest, tolerance, flat)


def _bottom(hessian: LossCurvature, largest: float, k: int, tol: float, seed: int) -> Eigenpairs:
    """The ``k`` smallest eigenpairs of H, as the largest of ``largest * I - H``.

    NOTE: ARPACK's ``tol`` is relative to each Ritz value. Near a minimum the smallest
    eigenvalues sit close to 0 (1e-5 next to a largest of 1e2 is common), so asking them of
    H directly demands residuals of about tol x 1e-5, which Lanczos may not reach in
    thousands of products. Flipped, they are the largest eigenvalues of ``largest * I - H``
    (about ``largest``), found to ``tol`` relative to the largest eigenvalue: the scale that
    the classification compares them with. Residuals are those of H itself.
    """
    from scipy.sparse.linalg import LinearOperator
    n = hessian.shape[0]
    flipped = LinearOperator((n, n), matvec=lambda v: largest * np.ravel(v) - hessian.matvec(v),
                             dtype=np.float64)
    pairs = eigenpairs(flipped, k=k, which="largest", tol=tol, seed=seed)
    values = largest - pairs.values
    residuals = np.array([np.linalg.norm(hessian.matvec(v) - lam * v)
                          for lam, v in zip(values, pairs.vectors.T)])
    return Eigenpairs(values, pairs.vectors, residuals, "smallest", tol, pairs.matvecs + k)
