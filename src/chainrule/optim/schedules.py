"""Learning-rate schedules: plain functions ``step -> lr``, and schedulers acting on an optimizer.

Two faces of one thing:

* a **schedule function** (JAX style) maps a step count to a learning rate:
  ``schedule = cosine_annealing(0.1, T_max=100); schedule(10) -> 0.0976``;
* a **scheduler** (PyTorch's ``torch.optim.lr_scheduler`` names and semantics) writes
  that rate into every parameter group of an optimizer. Construction sets
  ``last_epoch = 0`` and the rate for epoch 0; each ``step()`` advances one epoch.
  ``get_last_lr()`` returns the rates just set, ``state_dict()`` / ``load_state_dict()``
  save and restore everything but the optimizer.

Invariant: after ``k`` calls of ``step()``, group ``i`` has ``lr = schedule_i(k)`` where
``schedule_i`` is the function built from the group's ``initial_lr``. (These are the
closed forms; PyTorch's recursive forms agree with them up to rounding.)

``OneCycleLR`` (the 1cycle policy) also cycles the momentum, as PyTorch's does.
``ReduceLROnPlateau`` and ``BoldDriver`` react to the loss instead of the epoch count.

Usage::

    scheduler = StepLR(optimizer, step_size=30, gamma=0.1)
    for epoch in range(100):
        train_one_epoch(model, optimizer)
        scheduler.step()
"""
from __future__ import annotations

import bisect
import copy
import math

import numpy as np

from .._validation import check_choice, check_number, invalid

# == schedule functions ===================================================================


def constant(lr: float):
    return lambda step: lr


def step_decay(lr: float, step_size: int, gamma: float = 0.1):
    """``lr * gamma ** (step // step_size)``."""
    return lambda step: lr * gamma ** (step // step_size)


def multi_step(lr: float, milestones, gamma: float = 0.1):
    """``lr * gamma ** (number of milestones <= step)``."""
    milestones = sorted(milestones)
    return lambda step: lr * gamma ** bisect.bisect_right(milestones, step)


def exponential(lr: float, gamma: float):
    """``lr * gamma ** step``."""
    return lambda step: lr * gamma ** step


def cosine_annealing(lr: float, T_max: int, eta_min: float = 0.0):
    """``eta_min + (lr - eta_min) * (1 + cos(pi * step / T_max)) / 2``.

    Reference: Loshchilov & Hutter, "SGDR: Stochastic Gradient Descent with Warm
    Restarts", ICLR 2017.
    """
    return lambda step: eta_min + (lr - eta_min) * (1 + math.cos(math.pi * step / T_max)) / 2


def linear(lr: float, start_factor: float = 1.0 / 3, end_factor: float = 1.0, total_iters: int = 5):
    """``lr * (start_factor + (end_factor - start_factor) * min(step, total_iters) / total_iters)``.

    With ``end_factor = 1`` this is a linear warm-up from ``start_factor * lr`` to ``lr``.
    """
    return lambda step: lr * (start_factor + (end_factor - start_factor)
                              * min(step, total_iters) / total_iters)


def warmup_cosine(lr: float, warmup_steps: int, total_steps: int, start_factor: float = 0.0,
                  eta_min: float = 0.0):
    """A linear warm-up from ``start_factor * lr`` to ``lr`` over ``warmup_steps``, then half a
    cosine down to ``eta_min`` at ``total_steps`` (and ``eta_min`` after it)::

        step <  warmup_steps:  lr * (start_factor + (1 - start_factor) * step / warmup_steps)
        step >= warmup_steps:  cosine_annealing(lr, total_steps - warmup_steps, eta_min)
                               (step - warmup_steps)

    Optax's ``warmup_cosine_decay_schedule``; PyTorch builds it from ``LinearLR`` and
    ``CosineAnnealingLR`` in a ``SequentialLR``. Reference: Goyal et al., "Accurate, Large
    Minibatch SGD", 2017 (the warm-up); Loshchilov & Hutter, ICLR 2017 (the cosine).
    """
    owner = "warmup_cosine"
    check_number("lr", lr, owner, low=0.0)
    check_number("warmup_steps", warmup_steps, owner, low=0, integer=True)
    check_number("total_steps", total_steps, owner, low=warmup_steps + 1, integer=True)
    check_number("start_factor", start_factor, owner, low=0.0, high=1.0)
    check_number("eta_min", eta_min, owner, low=0.0)
    warm = linear(lr, start_factor, 1.0, max(warmup_steps, 1))
    decay = cosine_annealing(lr, total_steps - warmup_steps, eta_min)
    return lambda step: (warm(step) if step < warmup_steps
                         else decay(min(step, total_steps) - warmup_steps))


# == schedulers acting on an optimizer ====================================================


class LRScheduler:
    """Base: sets ``lr = schedule(base_lr)(last_epoch)`` in every group on each ``step()``."""

    def __init__(self, optimizer, last_epoch: int = -1):
        self.optimizer = optimizer
        check_number("last_epoch", last_epoch, type(self).__name__, low=-1, integer=True)
        for i, group in enumerate(optimizer.param_groups):
            if last_epoch == -1:
                group.setdefault("initial_lr", group["lr"])
            elif "initial_lr" not in group:
                raise invalid("last_epoch", type(self).__name__, "-1 unless resuming (param "
                              f"group {i} has no 'initial_lr')", last_epoch)
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self.step()

    def schedule(self, base_lr: float):
        """The function ``epoch -> lr`` for one group (subclasses define it)."""
        raise NotImplementedError

    def step(self) -> None:
        self.last_epoch += 1
        self._last_lr = [self.schedule(base)(self.last_epoch) for base in self.base_lrs]
        for group, lr in zip(self.optimizer.param_groups, self._last_lr):
            group["lr"] = lr

    def get_last_lr(self) -> list[float]:
        return list(self._last_lr)

    def state_dict(self) -> dict:
        return {k: copy.deepcopy(v) for k, v in self.__dict__.items() if k != "optimizer"}

    def load_state_dict(self, state_dict: dict) -> None:
        self.__dict__.update(copy.deepcopy(state_dict))


class StepLR(LRScheduler):
    """Multiply the rate by ``gamma`` every ``step_size`` epochs."""

    def __init__(self, optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1):
        self.step_size = check_number("step_size", step_size, "StepLR", low=1, integer=True)
        self.gamma = check_number("gamma", gamma, "StepLR", low=0.0)
        super().__init__(optimizer, last_epoch)

    def schedule(self, base_lr):
        return step_decay(base_lr, self.step_size, self.gamma)


class MultiStepLR(LRScheduler):
    """Multiply the rate by ``gamma`` at each epoch listed in ``milestones``."""

    def __init__(self, optimizer, milestones, gamma: float = 0.1, last_epoch: int = -1):
        self.milestones = sorted(check_number("milestones", m, "MultiStepLR", low=0, integer=True)
                                 for m in milestones)
        self.gamma = check_number("gamma", gamma, "MultiStepLR", low=0.0)
        super().__init__(optimizer, last_epoch)

    def schedule(self, base_lr):
        return multi_step(base_lr, self.milestones, self.gamma)


class ExponentialLR(LRScheduler):
    """Multiply the rate by ``gamma`` every epoch."""

    def __init__(self, optimizer, gamma: float, last_epoch: int = -1):
        self.gamma = check_number("gamma", gamma, "ExponentialLR", low=0.0)
        super().__init__(optimizer, last_epoch)

    def schedule(self, base_lr):
        return exponential(base_lr, self.gamma)


class CosineAnnealingLR(LRScheduler):
    """Half a cosine from the base rate down to ``eta_min`` over ``T_max`` epochs (SGDR)."""

    def __init__(self, optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1):
        self.T_max = check_number("T_max", T_max, "CosineAnnealingLR", low=1, integer=True)
        self.eta_min = check_number("eta_min", eta_min, "CosineAnnealingLR", low=0.0)
        super().__init__(optimizer, last_epoch)

    def schedule(self, base_lr):
        return cosine_annealing(base_lr, self.T_max, self.eta_min)


class LinearLR(LRScheduler):
    """Scale the rate linearly from ``start_factor`` to ``end_factor`` over ``total_iters``."""

    def __init__(self, optimizer, start_factor: float = 1.0 / 3, end_factor: float = 1.0,
                 total_iters: int = 5, last_epoch: int = -1):
        self.start_factor = check_number("start_factor", start_factor, "LinearLR", low=0.0,
                                         high=1.0, low_open=True)
        self.end_factor = check_number("end_factor", end_factor, "LinearLR", low=0.0, high=1.0)
        self.total_iters = check_number("total_iters", total_iters, "LinearLR", low=1,
                                        integer=True)
        super().__init__(optimizer, last_epoch)

    def schedule(self, base_lr):
        return linear(base_lr, self.start_factor, self.end_factor, self.total_iters)


class LinearWarmup(LinearLR):
    """Linear warm-up: from ``start_factor * lr`` to ``lr`` over ``warmup_steps``, then flat."""

    def __init__(self, optimizer, warmup_steps: int, start_factor: float = 1e-3,
                 last_epoch: int = -1):
        super().__init__(optimizer, start_factor, 1.0, warmup_steps, last_epoch)


class OneCycleLR(LRScheduler):
    """The 1cycle policy (Smith & Topor, "Super-Convergence", 2017; https://arxiv.org/abs/1708.07120):
    up from ``max_lr / div_factor`` to ``max_lr``, then down to ``initial_lr / final_div_factor``.

    PyTorch's ``torch.optim.lr_scheduler.OneCycleLR``, stepped once per batch (or per epoch,
    with ``total_steps`` counted in epochs). With ``t`` the step and phases ending at
    ``e_1 = pct_start * total_steps - 1`` and ``e_2 = total_steps - 1``::

        t <= e_1:  lr = anneal(initial_lr, max_lr, t / e_1)
        else:      lr = anneal(max_lr, min_lr, (t - e_1) / (e_2 - e_1))
        anneal(a, b, p) = b + (a - b) (1 + cos(pi p)) / 2      ("cos")
                        = a + (b - a) p                          ("linear")

    ``three_phase=True`` goes back down to ``initial_lr`` by ``2 * pct_start * total_steps -
    2`` and only then to ``min_lr``. With ``cycle_momentum`` (the default, as in PyTorch) the
    momentum (SGD's ``momentum``, Adam's ``beta1``) moves the other way, from
    ``max_momentum`` to ``base_momentum`` and back. ``total_steps`` is given, or ``epochs *
    steps_per_epoch``; stepping past it raises. Each group's ``max_lr`` may differ (a list).
    The optimizer's own ``lr`` is replaced: the schedule starts at ``max_lr / div_factor``.
    """

    def __init__(self, optimizer, max_lr, total_steps: int | None = None,
                 epochs: int | None = None, steps_per_epoch: int | None = None,
                 pct_start: float = 0.3, anneal_strategy: str = "cos",
                 cycle_momentum: bool = True, base_momentum=0.85, max_momentum=0.95,
                 div_factor: float = 25.0, final_div_factor: float = 1e4,
                 three_phase: bool = False, last_epoch: int = -1):
        owner = "OneCycleLR"
        if total_steps is not None:
            self.total_steps = check_number("total_steps", total_steps, owner, low=1,
                                            integer=True)
        elif epochs is not None and steps_per_epoch is not None:
            self.total_steps = (check_number("epochs", epochs, owner, low=1, integer=True)
                                * check_number("steps_per_epoch", steps_per_epoch, owner,
                                               low=1, integer=True))
        else:
            raise invalid("total_steps", owner, "an int >= 1, or epochs and steps_per_epoch "
                          "both given", total_steps)
        self.pct_start = check_number("pct_start", pct_start, owner, low=0.0, high=1.0)
        self.anneal_strategy = check_choice("anneal_strategy", anneal_strategy,
                                            ("cos", "linear"), owner)
        check_number("div_factor", div_factor, owner, low=0.0, low_open=True)
        check_number("final_div_factor", final_div_factor, owner, low=0.0, low_open=True)
        self.three_phase = bool(three_phase)
        groups = optimizer.param_groups
        max_lrs = _per_group("max_lr", max_lr, groups, owner)
        if last_epoch == -1:
            for group, peak in zip(groups, max_lrs):
                group["initial_lr"] = peak / div_factor
                group["max_lr"] = peak
                group["min_lr"] = group["initial_lr"] / final_div_factor
        self.cycle_momentum = bool(cycle_momentum)
        if self.cycle_momentum:
            defaults = getattr(optimizer, "defaults", {})
            if "momentum" not in defaults and "betas" not in defaults:
                raise invalid("cycle_momentum", owner, "False for an optimizer without "
                              "'momentum' or 'betas'", cycle_momentum)
            self.use_beta1 = "betas" in defaults
            highs = _per_group("max_momentum", max_momentum, groups, owner)
            lows = _per_group("base_momentum", base_momentum, groups, owner)
            if last_epoch == -1:
                for group, high, low in zip(groups, highs, lows):
                    self._set_momentum(group, high)
                    group["max_momentum"], group["base_momentum"] = high, low
        total, up = self.total_steps, float(self.pct_start * self.total_steps)
        # (end step, start lr, end lr, start momentum, end momentum), keys of each group
        self.phases = ([(up - 1, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                        (2 * up - 2, "max_lr", "initial_lr", "base_momentum", "max_momentum"),
                        (total - 1, "initial_lr", "min_lr", "max_momentum", "max_momentum")]
                       if self.three_phase else
                       [(up - 1, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                        (total - 1, "max_lr", "min_lr", "base_momentum", "max_momentum")])
        super().__init__(optimizer, last_epoch)

    def _set_momentum(self, group, value: float) -> None:
        if self.use_beta1:
            group["betas"] = (value, *group["betas"][1:])
        else:
            group["momentum"] = value

    def _anneal(self, start: float, end: float, pct: float) -> float:
        if self.anneal_strategy == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def step(self) -> None:
        self.last_epoch += 1
        if self.last_epoch > self.total_steps:
            raise invalid("step", "OneCycleLR", f"called at most total_steps = "
                          f"{self.total_steps} times", self.last_epoch,
                          "Give total_steps (or epochs and steps_per_epoch) for the whole run.")
        self._last_lr = []
        for group in self.optimizer.param_groups:
            start_step = 0.0
            for i, (end_step, lr_a, lr_b, m_a, m_b) in enumerate(self.phases):
                if self.last_epoch <= end_step or i == len(self.phases) - 1:
                    # NOTE: a phase of zero length (pct_start * total_steps = 1) is already
                    # at its end; PyTorch divides by zero there
                    span = end_step - start_step
                    pct = (self.last_epoch - start_step) / span if span else 1.0
                    group["lr"] = self._anneal(group[lr_a], group[lr_b], pct)
                    if self.cycle_momentum:
                        self._set_momentum(group, self._anneal(group[m_a], group[m_b], pct))
                    break
                start_step = end_step
            self._last_lr.append(group["lr"])


def _per_group(name: str, value, groups, owner: str) -> list[float]:
    """One value per parameter group: a number for all, or a list with one per group."""
    values = list(value) if isinstance(value, (list, tuple)) else [value] * len(groups)
    if len(values) != len(groups):
        raise invalid(name, owner, f"a number or a list of {len(groups)} (one per group)", value)
    return [check_number(name, v, owner, low=0.0) for v in values]


# == schedulers driven by the loss ========================================================


class ReduceLROnPlateau:
    """Multiply the rate by ``factor`` when a metric stopped improving for ``patience`` epochs.

    PyTorch's semantics: an epoch improves on the best value when (mode ``"min"``)
    ``metric < best * (1 - threshold)`` (``threshold_mode="rel"``) or
    ``metric < best - threshold`` (``"abs"``); after more than ``patience`` epochs
    without improvement the rate becomes ``max(lr * factor, min_lr)`` (changes smaller
    than ``eps`` are ignored), then ``cooldown`` epochs pass before counting again.
    """

    def __init__(self, optimizer, mode: str = "min", factor: float = 0.1, patience: int = 10,
                 threshold: float = 1e-4, threshold_mode: str = "rel", cooldown: int = 0,
                 min_lr=0.0, eps: float = 1e-8):
        owner = "ReduceLROnPlateau"
        self.optimizer = optimizer
        self.mode = check_choice("mode", mode, ["min", "max"], owner)
        self.factor = check_number("factor", factor, owner, low=0.0, high=1.0, high_open=True)
        self.patience = check_number("patience", patience, owner, low=0, integer=True)
        self.threshold = check_number("threshold", threshold, owner, low=0.0)
        self.threshold_mode = check_choice("threshold_mode", threshold_mode, ["rel", "abs"], owner)
        self.cooldown = check_number("cooldown", cooldown, owner, low=0, integer=True)
        groups = optimizer.param_groups
        self.min_lrs = list(min_lr) if isinstance(min_lr, (list, tuple)) else [min_lr] * len(groups)
        if len(self.min_lrs) != len(groups):
            raise invalid("min_lr", owner, f"a number or one per group ({len(groups)})", min_lr)
        self.eps = check_number("eps", eps, owner, low=0.0)
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs = 0
        self.cooldown_counter = 0
        self.last_epoch = 0
        self._last_lr = [group["lr"] for group in groups]

    def is_better(self, current: float, best: float) -> bool:
        if self.mode == "min":
            return current < (best * (1 - self.threshold) if self.threshold_mode == "rel"
                              else best - self.threshold)
        return current > (best * (1 + self.threshold) if self.threshold_mode == "rel"
                          else best + self.threshold)

    def step(self, metrics) -> None:
        current = float(metrics)
        self.last_epoch += 1
        if self.is_better(current, self.best):
            self.best, self.num_bad_epochs = current, 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            for group, min_lr in zip(self.optimizer.param_groups, self.min_lrs):
                new_lr = max(group["lr"] * self.factor, min_lr)
                if group["lr"] - new_lr > self.eps:
                    group["lr"] = new_lr
            self.cooldown_counter, self.num_bad_epochs = self.cooldown, 0
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    get_last_lr = LRScheduler.get_last_lr
    state_dict = LRScheduler.state_dict
    load_state_dict = LRScheduler.load_state_dict


class BoldDriver:
    """The "bold driver": grow the rate after the loss fell; after it rose, shrink it and undo.

    Call ``step(loss)`` with the loss at the current parameters, after ``backward()`` and
    before ``optimizer.step()``::

        loss < previous loss:  lr = min(lr * increase, max_lr); remember (params, grads)
        loss > previous loss:  lr = max(lr * decrease, min_lr); params, grads = remembered
        equal:                 keep lr; remember (params, grads)

    On an increase the last update is rejected: the parameters *and* their gradients go
    back to the last accepted point, so the ``optimizer.step()`` that follows retries
    from there with the smaller rate, without another evaluation. Returns ``True`` if
    the current point was accepted. The optimizer's own state (momentum buffers) is not
    rolled back: the rule is meant for plain gradient descent.

    In ``fit``, pass it as ``callbacks=[LearningRateScheduler(BoldDriver(optimizer))]``:
    ``before_optimizer_step`` tells the callback to call ``step(loss)`` at that point of
    every batch (full-batch training is the rule's own setting: mini-batch losses differ
    by batch, so it would compare unlike with unlike).

    Reference: Battiti, "Accelerated backpropagation learning: two optimization
    methods", Complex Systems 3, 1989; Vogl et al., Biol. Cybern. 59, 1988.
    """

    before_optimizer_step = True    # step(loss) goes between backward() and optimizer.step()

    def __init__(self, optimizer, increase: float = 1.05, decrease: float = 0.5,
                 min_lr: float = 0.0, max_lr: float = math.inf):
        self.optimizer = optimizer
        self.increase = check_number("increase", increase, "BoldDriver", low=1.0)
        self.decrease = check_number("decrease", decrease, "BoldDriver", low=0.0, high=1.0,
                                     low_open=True, high_open=True)
        self.min_lr = check_number("min_lr", min_lr, "BoldDriver", low=0.0)
        if not (isinstance(max_lr, (int, float)) and max_lr >= min_lr):
            raise invalid("max_lr", "BoldDriver", f"a number >= min_lr = {min_lr}", max_lr)
        self.max_lr = max_lr
        self.previous_loss = None
        self.saved_params: list[np.ndarray] = []
        self.saved_grads: list[np.ndarray | None] = []
        self.rejections = 0
        self._last_lr = [group["lr"] for group in optimizer.param_groups]

    def _params(self):
        return [p for group in self.optimizer.param_groups for p in group["params"]]

    def step(self, loss) -> bool:
        current = float(loss.item() if hasattr(loss, "item") else loss)
        groups = self.optimizer.param_groups
        accepted = self.previous_loss is None or not current > self.previous_loss
        if accepted:
            if self.previous_loss is not None and current < self.previous_loss:
                for group in groups:
                    group["lr"] = min(group["lr"] * self.increase, self.max_lr)
            self.previous_loss = current
            self.saved_params = [p.data.copy() for p in self._params()]
            # a gradient recorded with create_graph=True is a Tensor: keep its values
            self.saved_grads = [None if p.grad is None else np.array(getattr(p.grad, "data", p.grad))
                                for p in self._params()]
        else:
            self.rejections += 1
            for group in groups:
                group["lr"] = max(group["lr"] * self.decrease, self.min_lr)
            for p, data, grad in zip(self._params(), self.saved_params, self.saved_grads):
                p.data[...] = data
                p.grad = None if grad is None else grad.copy()
        self._last_lr = [group["lr"] for group in groups]
        return accepted

    get_last_lr = LRScheduler.get_last_lr
    state_dict = LRScheduler.state_dict
    load_state_dict = LRScheduler.load_state_dict
