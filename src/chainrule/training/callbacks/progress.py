"""``ProgressBar``: what :func:`chainrule.fit` shows while it trains.

* ``verbose=0``: nothing.
* ``verbose=1``: a tqdm bar per epoch (batches done, running loss; the epoch's loss,
  validation loss and metrics when it ends), only when ``file`` is a terminal or the code
  runs in a Jupyter kernel -- logs and CI output stay clean. The bar is ``tqdm.auto``'s:
  a widget in Jupyter (with ipywidgets installed), text in a terminal.
* ``verbose=2``: one table row per epoch (epoch, training loss, validation loss, the
  metrics, the seconds it took), printed whether or not the output is a terminal.
"""
from __future__ import annotations

import sys

from .base import Callback

_SHOWN = ("loss", "val_loss")
_HIDDEN = {"epoch", "lr", "time", "grad_norm", "evaluations"}


class ProgressBar(Callback):
    order = 200

    def __init__(self, verbose: int = 1, file=None):
        super().__init__()
        self.verbose = verbose
        self.file = file
        self._bar = None
        self._columns: list[str] | None = None
        self._loss_sum, self._seen = 0.0, 0

    @property
    def _out(self):
        """The bar goes to stderr and the epoch rows to stdout, unless ``file`` is given."""
        if self.file is not None:
            return self.file
        return sys.stderr if self.verbose == 1 else sys.stdout

    def _is_terminal(self) -> bool:
        isatty = getattr(self._out, "isatty", None)
        return bool(isatty and isatty())

    def on_epoch_begin(self, epoch, logs=None):
        self._loss_sum, self._seen = 0.0, 0
        if self.verbose == 1 and (self._is_terminal() or in_notebook()):
            from tqdm.auto import tqdm
            total = self.trainer.params.get("epochs")
            self._bar = tqdm(total=self.trainer.params.get("steps"), file=self._out,
                             desc=f"epoch {epoch}/{total}", unit="batch", leave=True)

    def on_batch_end(self, batch, logs=None):
        if self._bar is None or not logs:
            return
        self._loss_sum += logs["loss"] * logs["size"]
        self._seen += logs["size"]
        self._bar.update(1)
        self._bar.set_postfix(loss=f"{self._loss_sum / max(self._seen, 1):.4f}", refresh=False)

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self._bar is not None:
            shown = {k: _fmt(v) for k, v in logs.items() if k not in _HIDDEN and "/" not in k}
            self._bar.set_postfix(shown)
            self._bar.close()
            self._bar = None
        if self.verbose == 2:
            self._print_row(logs)

    def on_train_end(self, logs=None):
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def _print_row(self, logs: dict) -> None:
        if self._columns is None:
            extra = [k for k in logs if k not in _HIDDEN and k not in _SHOWN and "/" not in k]
            self._columns = [k for k in _SHOWN if k in logs] + extra
            titles = {"loss": "training loss", "val_loss": "validation loss"}
            head = [f"{'epoch':>5}"] + [f"{titles.get(c, c):>{_width(c)}}" for c in self._columns]
            print("  ".join(head + [f"{'time':>7}"]), file=self._out, flush=True)
        cells = [f"{logs.get('epoch', ''):>5}"]
        cells += [f"{_fmt(logs.get(c)):>{_width(c)}}" for c in self._columns]
        cells.append(f"{logs.get('time', 0.0):>6.2f}s")
        print("  ".join(cells), file=self._out, flush=True)


def in_notebook() -> bool:
    """Whether this runs in a Jupyter kernel (the test ``tqdm.auto`` makes to pick a widget)."""
    ipython = sys.modules.get("IPython")        # never imported here: only if already loaded
    try:
        shell = ipython.get_ipython() if ipython is not None else None
    except Exception:                            # an IPython without a shell
        return False
    return shell is not None and "IPKernelApp" in getattr(shell, "config", {})


def _width(column: str) -> int:
    return max(len({"loss": "training loss", "val_loss": "validation loss"}.get(column, column)), 10)


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:.4f}"
    return "-" if value is None else str(value)
