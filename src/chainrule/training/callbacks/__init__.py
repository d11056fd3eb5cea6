"""Callbacks for :func:`chainrule.fit`, one per file (see ``base.py`` for the hooks)."""
from .base import Callback, CallbackList
from .csv_logger import CSVLogger
from .early_stopping import EarlyStopping
from .gradient_monitor import GradientMonitor
from .lr_scheduler import LearningRateScheduler
from .model_checkpoint import ModelCheckpoint
from .progress import ProgressBar
from .terminate_on_nan import TerminateOnNaN

__all__ = ["Callback", "CallbackList", "CSVLogger", "EarlyStopping", "GradientMonitor",
           "LearningRateScheduler", "ModelCheckpoint", "ProgressBar", "TerminateOnNaN"]
