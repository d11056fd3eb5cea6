"""OpenAI's evolution strategy: a gradient estimated from antithetic Gaussian perturbations.

Salimans, Ho, Chen, Sidor & Sutskever, *Evolution Strategies as a Scalable Alternative to
Reinforcement Learning* (2017), https://arxiv.org/abs/1703.03864. The search distribution
is N(theta, sigma^2 I); each generation draws eps_1 .. eps_m ~ N(0, I) (m =
population_size / 2) and evaluates the mirrored pairs theta + sigma eps_i and
theta - sigma eps_i (plus theta itself when ``evaluate_center``). With the losses turned
into centred ranks u in [-1/2, 1/2] (robust to the losses' scale and outliers)::

    g     = 1 / (n sigma) * sum_i (u_i+ - u_i-) eps_i     (n = 2m)
          ~ grad_theta E[L(theta + sigma eps)]
    g     = g + weight_decay * theta
    theta = theta - lr * Adam(g)                       (bias-corrected moments, as in optim.Adam)

The method needs only losses, scales to thousands of parameters (its cost per generation
is O(n dim)), and its evaluations are independent, which is why it parallelises.
"""
from __future__ import annotations

import numpy as np

from .._validation import check_number, invalid
from .strategy import Strategy, check_positive, check_size


def centered_ranks(losses: np.ndarray) -> np.ndarray:
    """Ranks scaled to [-1/2, 1/2]: the lowest loss gets -1/2, the highest +1/2 (ties by order)."""
    n = len(losses)
    ranks = np.empty(n, dtype=np.float64)
    ranks[np.argsort(losses, kind="stable")] = np.arange(n)
    return ranks / max(n - 1, 1) - 0.5


def gradient_estimate(noise: np.ndarray, losses: np.ndarray, sigma: float) -> np.ndarray:
    """g = 1/(n sigma) sum_i (u_i+ - u_i-) eps_i, with u the centred ranks of all n losses.

    ``noise`` is (m, dim); ``losses`` holds the m losses at theta + sigma eps_i, then the
    m at theta - sigma eps_i.
    """
    m = len(noise)
    u = centered_ranks(losses)
    return (u[:m] - u[m:]) @ noise / (2 * m * sigma)


class OpenAIES(Strategy):
    """OpenAI-ES with mirrored sampling, rank shaping and an Adam update of the mean.

    Args:
        x0: the starting mean theta, a ``Module`` or its ``parameters()``.
        population_size: perturbed candidates per generation (even: mirrored pairs).
        sigma: standard deviation of the perturbations.
        lr, betas, eps: Adam's step size and moment settings for theta.
        weight_decay: L2 pull of theta towards 0 (added to g).
        evaluate_center: also evaluate theta each generation (one more evaluation; the
            mean is then a candidate for ``best_x`` and shows in the logs).
        rng: seed or ``numpy.random.Generator``.

    Example::

        es = OpenAIES(model.parameters(), population_size=50, sigma=0.1, lr=0.05, rng=0)
        history = gradient_free.fit(model, "cross_entropy", es, (X, y), max_time=5)
    """

    def __init__(self, x0, population_size: int = 50, sigma: float = 0.1, lr: float = 0.03,
                 betas=(0.9, 0.999), eps: float = 1e-8, weight_decay: float = 0.0,
                 evaluate_center: bool = True, rng=None):
        owner = "OpenAIES"
        super().__init__(x0, rng)
        self.population_size = check_size("population_size", population_size, owner, low=2)
        if self.population_size % 2:
            raise invalid("population_size", owner, "an even number (mirrored pairs)",
                          population_size, f"Use {self.population_size + 1}.")
        self.sigma = check_positive("sigma", sigma, owner)
        self.lr = check_positive("lr", lr, owner)
        if not (isinstance(betas, (tuple, list)) and len(betas) == 2):
            raise invalid("betas", owner, "a pair (beta1, beta2)", betas)
        self.betas = tuple(float(check_number("betas", b, owner, low=0.0, high=1.0,
                                              high_open=True)) for b in betas)
        self.eps = check_positive("eps", eps, owner)
        self.weight_decay = float(check_number("weight_decay", weight_decay, owner, low=0.0))
        self.evaluate_center = bool(evaluate_center)
        self.mean = self.x0.copy()                 # theta
        self.exp_avg = np.zeros(self.dim)          # Adam's first moment of g
        self.exp_avg_sq = np.zeros(self.dim)       # Adam's second moment of g
        self.center_loss = float("nan")
        self._noise: np.ndarray | None = None      # eps of the pending generation, (m, dim)

    def _ask(self) -> np.ndarray:
        self._noise = self.rng.standard_normal((self.population_size // 2, self.dim))
        step = self.sigma * self._noise
        rows = [self.mean[None]] if self.evaluate_center else []
        return np.vstack(rows + [self.mean + step, self.mean - step])

    def _tell(self, X: np.ndarray, losses: np.ndarray) -> None:
        if self.evaluate_center:
            self.center_loss, losses = float(losses[0]), losses[1:]
        grad = gradient_estimate(self._noise, losses, self.sigma) + self.weight_decay * self.mean
        beta1, beta2 = self.betas
        t = self.generation + 1
        self.exp_avg = beta1 * self.exp_avg + (1 - beta1) * grad
        self.exp_avg_sq = beta2 * self.exp_avg_sq + (1 - beta2) * grad * grad
        step = (self.exp_avg / (1 - beta1 ** t)) / (np.sqrt(self.exp_avg_sq / (1 - beta2 ** t))
                                                    + self.eps)
        self.mean = self.mean - self.lr * step
        self._noise = None

    def summary(self) -> dict:
        return {"center_loss": self.center_loss, "sigma": self.sigma,
                "mean_norm": float(np.linalg.norm(self.mean))}
