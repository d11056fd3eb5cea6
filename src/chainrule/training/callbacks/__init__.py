"""Callbacks for :func:`chainrule.fit`, one per file (see ``base.py`` for the hooks).

The three stopping rules (target loss, gradient tolerance, time limit) share
``stopping_rules.py``.
"""
from .base import Callback, CallbackList
from .csv_logger import CSVLogger
from .early_stopping import EarlyStopping
from .gradient_monitor import GradientMonitor
from .lr_scheduler import LearningRateScheduler
from .model_checkpoint import ModelCheckpoint
from .progress import ProgressBar
from .stopping_rules import GradTol, MaxTime, StoppingRule, TargetLoss
from .tensorboard import TensorBoard
from .terminate_on_nan import TerminateOnNaN

__all__ = ["Callback", "CallbackList", "CSVLogger", "EarlyStopping", "GradientMonitor",
           "GradTol", "LearningRateScheduler", "MaxTime", "ModelCheckpoint", "ProgressBar",
           "StoppingRule", "TargetLoss", "TensorBoard", "TerminateOnNaN"]
