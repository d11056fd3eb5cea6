"""The [search] table: each mistake is one error naming the entry and the fix, before any
trial; a good table gives the entries, the corners and the configs the trials will train."""
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chainrule.cli import main
from chainrule.studies import search as spec_search
from chainrule.studies import spec as S
from chainrule.studies.options import SpecError

LR = '"optimizer.lr" = {log = [1e-4, 0.3]}'
ACTIVATION = '"model.activation" = {categorical = ["relu", "tanh"]}'

# (name, edit of the tiny search: extra [search] lines or {old: new}, words in the error)
BAD = [
    ("unknown option key", '"optimizer.lrr" = {log = [1e-4, 0.1]}',
     ['search."optimizer.lrr"', "Did you mean 'lr'?"]),
    ("unknown section", '"modle.width" = {int = [1, 4]}', ['search."modle.width"', "dotted"]),
    ("unknown option of a section", '"model.widht" = {int = [1, 4]}',
     ['search."model.widht"', "Did you mean 'width'?"]),
    ("unknown setting", "trails = 40", ['search."trails"', "Did you mean 'trials'?"]),
    ("empty choices", {ACTIVATION: '"model.activation" = {categorical = []}'},
     ['search."model.activation".categorical', "non-empty list"]),
    ("low > high", '"model.dropout" = {float = [0.5, 0.1]}',
     ['search."model.dropout".float', "low <= high", "[0.1, 0.5]"]),
    ("log range with 0", '"training.l2" = {log = [0.0, 0.01]}',
     ['search."training.l2".log', "above 0"]),
    ("int log range with 0", '"training.batch_size" = {int = [0, 64], log = true}',
     ['search."training.batch_size".int', "above 0"]),
    ("negative log range", {LR: '"optimizer.lr" = {float = [-1e-3, 0.1], log = true}'},
     ['search."optimizer.lr".float', "above 0"]),
    ("a range over names", {ACTIVATION: '"model.activation" = {float = [0, 1]}'},
     ['search."model.activation"', "categorical", "a name"]),
    ("a float range over integers", '"training.epochs" = {float = [1, 10]}',
     ['search."training.epochs"', "an int range"]),
    ("a choice the option refuses", {ACTIVATION: '"model.activation" = {categorical = '
                                                 '["relu", "rleu"]}'},
     ['search."model.activation"[1]', "Did you mean 'relu'?"]),
    ("a choice given twice", '"training.batch_size" = {categorical = [8, 16, 8]}',
     ['search."training.batch_size"[2]', "each level once"]),
    ("two kinds", '"model.dropout" = {float = [0, 0.5], int = [0, 1]}',
     ['search."model.dropout"', "exactly one of"]),
    ("unknown entry key", '"model.dropout" = {float = [0, 0.5], stpe = 0.1}',
     ['search."model.dropout".stpe', "Did you mean 'step'?"]),
    ("a step on a log scale", '"training.epochs" = {int = [2, 20], log = true, step = 2}',
     ['search."training.epochs".step', "log scale"]),
    ("an end outside the option", '"model.dropout" = {float = [0.0, 1.5]}',
     ['search."model.dropout"[1]', "[0, 1)"]),
    ("bounds that are not numbers", '"model.dropout" = {float = [0.0]}',
     ['search."model.dropout".float', "[low, high]"]),
    ("an option of another optimizer", '"optimizer.name" = {categorical = ["adam", "sgd"]}\n'
                                       '"optimizer.betas" = {categorical = [[0.9, 0.99]]}',
     ['search."optimizer.betas"', "[optimizer] for 'sgd'"]),
    ("no trials", {"trials = 12": "trials = 0"}, ["search.trials", ">= 1"]),
    ("factors beside a search", {"[search]": '[factors]\n"model.dropout" = [0.0, 0.1]\n\n'
                                             '[search]'},
     ["'factors'", "categorical entry"]),
    ("a test metric", {'metrics = ["val_accuracy", "train_loss"]':
                       'metrics = ["val_accuracy", "train_loss"]\nprimary = "test_accuracy"'},
     ["'report.primary'", "validation metric", "Did you mean 'val_accuracy'?"]),
    ("a width beside model.hidden", '"model.hidden" = {categorical = [[4], [8, 8]]}',
     ['search."model.width"', "model.hidden"]),
    ("corners that leave no training rows", '"dataset.val_size" = {float = [0.1, 0.75]}',
     ["dataset.test_size + dataset.val_size", "'dataset.val_size': '0.75'"]),
    ("a depth of 0", '"model.depth" = {int = [0, 2]}', ['search."model.depth"', ">= 1"]),
]


def edited(search_file, edit):
    if isinstance(edit, dict):
        return search_file(replace=edit)
    return search_file(search=edit)


@pytest.mark.parametrize("edit, words", [case[1:] for case in BAD], ids=[c[0] for c in BAD])
def test_a_bad_entry_is_one_error_naming_it(search_file, edit, words):
    with pytest.raises(SpecError) as error:
        S.load(edited(search_file, edit))
    text = str(error.value)
    assert "search.toml" in text and "\n" not in text
    for word in words:
        assert word in text, f"{word!r} not in: {text}"


@pytest.mark.parametrize("case", [BAD[0], BAD[4], BAD[5], BAD[6]], ids=lambda c: c[0])
def test_the_command_line_says_it_in_one_line_with_exit_2_before_any_trial(
        search_file, tmp_path, capsys, case):
    out = tmp_path / "out"
    code = main(["tune", str(edited(search_file, case[1])), "--out", str(out), "--no-progress"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("chainrule tune: error:")
    assert case[2][0] in err
    assert not out.exists()                                  # nothing was started


def test_a_network_too_large_for_memory_is_refused_before_any_trial(search_file, tmp_path,
                                                                     capsys):
    path = search_file(replace={'"model.width" = {int = [2, 16]}':
                                '"model.width" = {int = [2, 90000]}\n'
                                '"model.depth" = {int = [1, 3]}'})
    S.load(path)                              # the spec alone is fine: the data decides
    out = tmp_path / "out"
    code = main(["tune", str(path), "--out", str(out), "--no-progress"])
    err = capsys.readouterr().err
    assert code == 2 and "model.hidden" in err and "weights" in err
    assert not out.exists()


def test_a_good_search_gives_its_entries_corners_and_configs(search_file):
    path = search_file(search='"model.depth" = {int = [1, 3]}\n'
                              '[search.training]\n'
                              'batch_size = {categorical = [8, 32]}\n'
                              'l2 = {float = [0.0, 1e-3], step = 1e-4}')
    spec = S.load(path)
    entries = {e.key: e for e in spec.search.entries}
    assert list(entries) == ["optimizer.lr", "model.width", "model.activation", "model.depth",
                             "training.batch_size", "training.l2"]
    assert entries["optimizer.lr"] == spec_search.Entry("optimizer.lr", "float", 1e-4, 0.3,
                                                        log=True)
    assert entries["training.l2"].step == 1e-4 and entries["model.depth"].kind == "int"
    assert spec.search.trials == 12 and spec.search.metric == "val_accuracy"
    assert spec.search.direction == "maximize"
    # the corners: every end and choice, widths and depths as hidden layers
    (probe,) = spec.probes()
    assert len(probe.cells()) == 2 * 2 * 2 * 2 * (2 * 2)
    hidden = {json.dumps(config["model"]["hidden"]) for _, config in probe.cells()}
    assert hidden == {"[2]", "[16]", "[2, 2, 2]", "[16, 16, 16]"}
    config = spec_search.configure(spec.base, {"model.depth": 2, "model.width": 5,
                                               "training.batch_size": 32, "optimizer.lr": 0.05})
    assert config["model"]["hidden"] == [5, 5]
    assert config["training"]["batch_size"] == 32 and config["optimizer"]["lr"] == 0.05
    assert spec.base["model"]["hidden"] == [8]                 # the base is left alone
    # a study spec reads the same file: [search] is the only addition
    assert spec.factors == [] and spec.n_cells == 1


def test_width_or_depth_alone_keeps_the_other_from_the_model(search_file):
    spec = S.load(search_file(replace={"hidden = [8]": "hidden = [8, 8]"}))
    assert spec_search.configure(spec.base, {"model.width": 3})["model"]["hidden"] == [3, 3]
    assert spec_search.configure(spec.base, {"model.depth": 3})["model"]["hidden"] == [8] * 3


def test_past_the_corner_limit_each_entry_is_checked_on_its_own(search_file, monkeypatch):
    monkeypatch.setattr(spec_search, "MAX_PROBE_CELLS", 4)
    spec = S.load(search_file())
    assert [len(p.cells()) for p in spec.probes()] == [2, 2, 2]


# Any [search] table is a search or a SpecError in the one voice: never another exception.
ENTRY_KEYS = ["optimizer.lr", "optimizer.name", "optimizer.momentum", "optimizer.betas",
              "model.width", "model.depth", "model.hidden", "model.dropout",
              "model.activation", "training.epochs", "training.batch_size", "training.l2",
              "dataset.val_size", "dataset.preprocessing", "trials", "nonsense", "model"]
BOUNDS = st.one_of(st.integers(-3, 300), st.floats(allow_nan=True, allow_infinity=True),
                   st.booleans(), st.sampled_from(["relu", "adam", "sgd", "x"]))
NUMBER = st.one_of(st.integers(-2, 300), st.floats(-1, 300, allow_nan=False))
FORMED = st.one_of(                      # well-formed entries with any bounds or choices
    st.builds(lambda kind, low, high: {kind: [low, high]},
              st.sampled_from(["float", "log", "int"]), NUMBER, NUMBER),
    st.builds(lambda low, high, log: {"int": [low, high], "log": log},
              st.integers(-2, 300), st.integers(-2, 300), st.booleans()),
    st.builds(lambda choices: {"categorical": choices},
              st.lists(st.sampled_from(["relu", "tanh", "adam", "sgd", 4, 16, 0.1, [8],
                                        [4, 4], True]), max_size=3)))
ENTRIES = st.one_of(
    FORMED, FORMED, BOUNDS, st.lists(BOUNDS, max_size=3),
    st.dictionaries(st.sampled_from(["float", "log", "int", "categorical", "step", "stpe"]),
                    st.one_of(BOUNDS, st.lists(st.one_of(BOUNDS, st.lists(BOUNDS, max_size=2)),
                                               max_size=3)), max_size=3))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(table=st.dictionaries(st.sampled_from(ENTRY_KEYS), ENTRIES, max_size=4))
def test_any_search_table_gives_a_search_or_a_spec_error(table):
    raw = {"name": "prop", "dataset": {"name": "iris"}, "model": {"hidden": [4]},
           "optimizer": {"name": "adam"}, "training": {"epochs": 2}, "search": table}
    try:
        spec = S.parse(raw, source="prop.toml")
    except SpecError as error:
        assert "prop.toml" in str(error) and "\n" not in str(error)
        return
    assert spec.search.entries and spec.search.trials >= 1
    for entry in spec.search.entries:
        assert entry.kind in ("float", "int", "categorical")
        if entry.kind != "categorical":
            assert entry.low <= entry.high and (not entry.log or entry.low > 0)
