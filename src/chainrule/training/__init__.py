"""``chainrule.training``: ``fit``, ``evaluate``, ``predict``, History, callbacks, checkpoints.

=====================  ==================================================================
``loop.py``            ``fit`` / ``evaluate`` / ``predict``: the training procedure
``history.py``         ``History``: per-epoch logs, stop reason, table, CSV/JSON
``callbacks/``         one callback per file: early stopping, checkpoints, LR schedules,
                       TerminateOnNaN, CSV logging, gradient diagnostics, progress bar
``checkpoint.py``      atomic safetensors checkpoints (never pickle), resume state
``restarts.py``        k independently initialised runs; the best and the spread
=====================  ==================================================================
"""
from .callbacks import (Callback, CSVLogger, EarlyStopping, GradientMonitor,
                        LearningRateScheduler, ModelCheckpoint, ProgressBar, TerminateOnNaN)
from .checkpoint import latest_checkpoint, load_checkpoint, save_checkpoint
from .history import History
from .loop import evaluate, fit, predict
from .restarts import RestartsResult, restarts
from .state import Trainer

__all__ = ["fit", "evaluate", "predict", "History", "restarts", "RestartsResult", "Trainer",
           "Callback", "CSVLogger", "EarlyStopping", "GradientMonitor", "LearningRateScheduler",
           "ModelCheckpoint", "ProgressBar", "TerminateOnNaN", "save_checkpoint",
           "load_checkpoint", "latest_checkpoint"]
