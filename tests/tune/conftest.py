"""A tiny search: the suite's tiny iris study with a ``[search]`` table of three entries
instead of its factors; each test edits what it needs through ``search_file`` (or
``search_text``) instead of pasting its own copy."""
import pytest

SEARCH = """[search]
trials = {trials}
"optimizer.lr" = {{log = [1e-4, 0.3]}}
"model.width" = {{int = [2, 16]}}
"model.activation" = {{categorical = ["relu", "tanh"]}}
{search}
"""


@pytest.fixture(scope="session")
def search_text(tiny_study):
    """``search_text(epochs=6, batch_size=16, trials=12, search="", replace={old: new})``: the
    tiny search's text: Adam at 0.01, a hidden layer of 8, ``search`` added to its entries.
    Each ``old`` must be in the text."""
    def text(*, epochs=6, batch_size=16, trials=12, search="", replace=None) -> str:
        edits = {'name = "tiny"': 'name = "tiny_search"',
                 'name = "sgd"\nlr = 0.1': 'name = "adam"\nlr = 0.01',
                 "batch_size = 8": f"batch_size = {batch_size}",
                 "[factors]\n": SEARCH.format(trials=trials, search=search)}
        return tiny_study(seeds=2, epochs=epochs, factors="", replace={**edits,
                                                                       **(replace or {})})
    return text


@pytest.fixture
def search_file(tmp_path, search_text):
    """``search_file(..., name="search.toml")``: ``search_text(...)`` written to ``tmp_path``;
    its path."""
    def write(*, name="search.toml", **edits):
        path = tmp_path / name
        path.write_text(search_text(**edits))
        return path
    return write
