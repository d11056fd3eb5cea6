"""Suite-wide fixtures."""
import os
import shutil

import numpy as np
import pytest
from threadpoolctl import threadpool_limits


@pytest.fixture(scope="session", autouse=True)
def one_blas_thread():
    """Run the suite with one BLAS thread.

    The tests train small networks: their matrix products gain nothing from threads, and on a
    busy 2-core machine OpenBLAS's spinning threads made them 5-30x slower (measured while
    several test runs shared the machine). Results do not depend on it beyond float rounding.
    """
    with threadpool_limits(limits=1, user_api="blas"):
        yield


# A tiny study on iris: 2 cells (ReLU, tanh) x 2 seeds, a few epochs; each test edits what it
# needs through the ``study_file`` fixture instead of pasting its own copy.
TINY_STUDY = """
name = "tiny"
seeds = {seeds}

[dataset]
name = "iris"
test_size = 0.3
val_size = 0.2

[model]
hidden = [8]

[optimizer]
name = "sgd"
lr = 0.1

[training]
epochs = {epochs}
batch_size = 8

[factors]
{factors}

[quick]
seeds = 1
"training.epochs" = 1

[report]
metrics = ["val_accuracy", "train_loss"]
"""


def tiny_study_text(*, seeds=2, epochs=3, factors='"model.activation" = ["relu", "tanh"]',
                    replace=None) -> str:
    """The tiny iris study, edited: each ``old`` text of ``replace`` must be in the study (an
    edit that matches nothing is a mistake in the test, not a pass)."""
    text = TINY_STUDY.format(seeds=seeds, epochs=epochs, factors=factors)
    for old, new in (replace or {}).items():
        assert old in text, f"{old!r} is not in the tiny study"
        text = text.replace(old, new)
    return text


@pytest.fixture(scope="session")
def tiny_study():
    """``tiny_study(seeds=2, epochs=3, factors=..., replace={old: new})``: the text that
    ``study_file`` writes (for fixtures broader than one test)."""
    return tiny_study_text


@pytest.fixture
def study_file(tmp_path):
    """``study_file(seeds=2, epochs=3, factors=..., replace={old: new}, name=...)`` writes the
    tiny iris study, edited (``tiny_study_text``), to ``tmp_path`` and returns its path."""
    def write(*, name="study.toml", **edits):
        path = tmp_path / name
        path.write_text(tiny_study_text(**edits))
        return path
    return write


# Small class data sets split once per session (test rows held out), for the gradient-free,
# unsupervised and RL tests.
@pytest.fixture(scope="session")
def iris_split():
    """Iris standardised on its training rows."""
    from chainrule import data
    split = data.train_val_test_split(data.load("iris"), val=0.0, test=0.25, seed=0)
    mean, std = split.X_train.mean(0), split.X_train.std(0)
    scale = lambda X: ((X - mean) / std).astype(np.float32)   # noqa: E731
    return scale(split.X_train), split.y_train, scale(split.X_test), split.y_test


@pytest.fixture(scope="session")
def digits_split():
    """Digits with pixels scaled to [0, 1]."""
    from chainrule import data
    split = data.train_val_test_split(data.load("digits"), val=0.0, test=0.25, seed=0)
    scale = lambda X: (X / 16.0).astype(np.float32)            # noqa: E731
    return scale(split.X_train), split.y_train, scale(split.X_test), split.y_test


# -- a real browser for the web pages: Playwright driving Debian's chromium ------------------
# One headless Chromium per session. Where none can be had the browser tests skip with the
# reason; CI sets CHAINRULE_REQUIRE_BROWSER=1 (.ci/run), which turns that skip into a failure.
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]


def _no_browser(reason: str):
    if os.environ.get("CHAINRULE_REQUIRE_BROWSER") == "1":
        pytest.fail(f"CHAINRULE_REQUIRE_BROWSER=1 but no browser: {reason}", pytrace=False)
    pytest.skip(f"no browser for the web-page tests: {reason}")


@pytest.fixture(scope="session")
def browser():
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        _no_browser("the Python package playwright is missing (pip install -e '.[test]')")
    executable = (os.environ.get("CHAINRULE_CHROMIUM") or shutil.which("chromium")
                  or shutil.which("chromium-browser"))
    if executable is None:
        _no_browser("no chromium on the PATH (Debian: apt-get install chromium; or set "
                    "CHAINRULE_CHROMIUM to a Chromium or Chrome executable)")
    with sync_playwright() as playwright:
        try:
            chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        except Error as error:
            _no_browser(f"{executable} did not start: {str(error).splitlines()[0]}")
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    """A fresh tab. Console errors, uncaught exceptions and any request that leaves the
    machine (the pages must be self-contained) fail the test when it ends."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    problems = []
    tab.on("console", lambda message: problems.append(f"console.{message.type}: {message.text}")
           if message.type == "error" else None)
    tab.on("pageerror", lambda error: problems.append(f"uncaught exception: {error}"))
    tab.on("request", lambda request: None if request.url.startswith(("file:", "data:", "blob:"))
           else problems.append(f"network request: {request.url}"))
    tab.problems = problems
    yield tab
    context.close()
    assert not problems, "the page reported problems:\n" + "\n".join(problems)
