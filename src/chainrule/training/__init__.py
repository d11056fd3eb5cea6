"""``chainrule.training``: ``fit``, ``evaluate``, ``predict``, History, callbacks, checkpoints.

=====================  ==================================================================
``loop.py``            ``fit`` / ``evaluate`` / ``predict``: the training procedure
``settings.py``        ``FitSettings``: fit's plain settings, checked; its shortcuts
``inputs.py``          data, loss, metrics and optimizer checked and converted before
                       training (also used by the gradient-free trainer)
``state.py``           ``Trainer``: one run's state, shared with the callbacks
``history.py``         ``History``: per-epoch logs, stop reason, table, CSV/JSON
``callbacks/``         one callback per file: early stopping, checkpoints, LR schedules,
                       TerminateOnNaN, CSV logging, gradient diagnostics, progress bar,
                       TensorBoard;
                       the stopping rules (target loss, gradient tolerance, time limit)
``checkpoint.py``      atomic safetensors checkpoints (never pickle), resume state
``restarts.py``        k independently initialised runs; the best and the spread
=====================  ==================================================================
"""
from . import inputs
from .callbacks import (Callback, CSVLogger, EarlyStopping, GradientMonitor, GradTol,
                        LearningRateScheduler, MaxTime, ModelCheckpoint, ProgressBar,
                        StoppingRule, TargetLoss, TensorBoard, TerminateOnNaN)
from .checkpoint import latest_checkpoint, load_checkpoint, save_checkpoint
from .history import History
from .loop import evaluate, fit, predict
from .restarts import RestartsResult, restarts
from .settings import FitSettings
from .state import Trainer

__all__ = ["fit", "evaluate", "predict", "History", "restarts", "RestartsResult", "Trainer",
           "FitSettings", "inputs", "Callback", "CSVLogger", "EarlyStopping", "GradientMonitor",
           "GradTol", "LearningRateScheduler", "MaxTime", "ModelCheckpoint", "ProgressBar",
           "StoppingRule", "TargetLoss", "TensorBoard", "TerminateOnNaN", "save_checkpoint",
           "load_checkpoint", "latest_checkpoint"]
