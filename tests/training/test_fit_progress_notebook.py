"""fit's progress bar in Jupyter: tqdm.auto's bar, shown in a kernel even though no TTY."""
from __future__ import annotations

import io
import sys
import types

import chainrule as cr
from chainrule import nn, optim
from chainrule.training import ProgressBar
from chainrule.training.callbacks import progress


class Shell:
    def __init__(self, config):
        self.config = config


def fake_ipython(monkeypatch, shell):
    module = types.ModuleType("IPython")
    module.get_ipython = lambda: shell
    monkeypatch.setitem(sys.modules, "IPython", module)


def test_a_jupyter_kernel_is_recognised(monkeypatch):
    monkeypatch.delitem(sys.modules, "IPython", raising=False)
    assert not progress.in_notebook()                        # IPython is never imported here
    fake_ipython(monkeypatch, None)
    assert not progress.in_notebook()                        # IPython loaded, no shell
    fake_ipython(monkeypatch, Shell({"TerminalIPythonApp": {}}))
    assert not progress.in_notebook()                        # the terminal IPython
    fake_ipython(monkeypatch, Shell({"IPKernelApp": {"connection_file": "k.json"}}))
    assert progress.in_notebook()


def test_in_a_notebook_the_bar_comes_from_tqdm_auto(blobs, monkeypatch):
    import tqdm.auto

    made = []

    class Recording(tqdm.auto.tqdm):
        def __init__(self, *args, **kwargs):
            made.append(kwargs["desc"])
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(tqdm.auto, "tqdm", Recording)
    X, y = blobs
    model = nn.MLP([2, 4, 3], rng=0)
    stream = io.StringIO()                                    # not a terminal
    cr.fit(model, "cross_entropy", optim.SGD(model.parameters(), lr=0.1), (X, y), epochs=2,
           callbacks=[ProgressBar(1, file=stream)], verbose=0)
    assert made == [] and stream.getvalue() == ""
    monkeypatch.setattr(progress, "in_notebook", lambda: True)
    cr.fit(model, "cross_entropy", optim.SGD(model.parameters(), lr=0.1), (X, y), epochs=2,
           callbacks=[ProgressBar(1, file=stream)], verbose=0)
    assert made == ["epoch 1/2", "epoch 2/2"] and "loss=" in stream.getvalue()
