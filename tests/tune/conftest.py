"""A tiny search on iris: a few epochs a trial, three entries; each test edits what it needs
through ``search_file`` instead of pasting its own copy."""
import pytest

TINY_SEARCH = """
name = "tiny_search"
seeds = 2

[dataset]
name = "iris"
test_size = 0.3
val_size = 0.2

[model]
hidden = [8]

[optimizer]
name = "adam"
lr = 0.01

[training]
epochs = {epochs}
batch_size = {batch_size}

[search]
trials = {trials}
"optimizer.lr" = {{log = [1e-4, 0.3]}}
"model.width" = {{int = [2, 16]}}
"model.activation" = {{categorical = ["relu", "tanh"]}}
{search}
"""


@pytest.fixture
def search_file(tmp_path):
    """``search_file(epochs=6, batch_size=16, trials=12, search="", replace={old: new},
    name="search.toml")`` writes the tiny search, edited, and returns its path. Each ``old``
    must be in the text (an edit that matches nothing is a mistake in the test)."""
    def write(*, epochs=6, batch_size=16, trials=12, search="", replace=None,
              name="search.toml"):
        text = TINY_SEARCH.format(epochs=epochs, batch_size=batch_size, trials=trials,
                                  search=search)
        for old, new in (replace or {}).items():
            assert old in text, f"{old!r} is not in the tiny search"
            text = text.replace(old, new)
        path = tmp_path / name
        path.write_text(text)
        return path
    return write
