"""Property: whatever a spec file holds, reading and checking it gives a Spec or chainrule's
own SpecError -- never a traceback from NumPy, scikit-learn or TOML, never a hang, never a
study too large for memory."""
import copy
import math
import tomllib

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chainrule.studies import spec as S
from chainrule.studies.options import MAX_TRIALS
from chainrule.studies.trial import check_data

VALID = tomllib.loads("""
name = "prop"
seeds = 2
[dataset]
name = "iris"
test_size = 0.3
val_size = 0.2
[model]
hidden = [4]
[optimizer]
name = "sgd"
lr = 0.1
[training]
epochs = 2
[factors]
"optimizer.lr" = [0.01, 0.1]
[report]
metrics = ["val_accuracy"]
""")

KEYS = ["name", "seeds", "min_seeds", "max_jobs", "kind", "title",
        "dataset.name", "dataset.test_size", "dataset.val_size", "dataset.train_size",
        "dataset.classes", "dataset.imbalance", "dataset.options", "dataset.preprocessing",
        "dataset.resample", "model.hidden", "model.activation", "model.dropout",
        "optimizer.name", "optimizer.lr", "optimizer.momentum", "optimizer.betas",
        "optimizer.line_search_fn", "training.loss", "training.epochs", "training.batch_size",
        "training.l1", "training.l2", "training.class_weight", "training.target_loss",
        "factors.optimizer.lr", "factors.model.activation", "factors.training.l2",
        "factors.dataset.train_size", "factors.optimizer", "report.layout", "report.metrics",
        "report.primary", "report.goal", "report.labels"]
SCALARS = st.one_of(
    st.integers(-5, 5), st.sampled_from([0, 1, 10 ** 9, -1, 2 ** 63 - 1, 5000]),
    st.floats(allow_nan=True, allow_infinity=True), st.booleans(),
    st.sampled_from(["", "iris", "diabetes", "digits", "sgd", "adam", "lbfgs", "relu",
                     "mse", "cross_entropy", "per_class", "convergence", "levels", "none",
                     "balanced", "strong_wolfe", "val_accuracy", "x" * 50]))
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(["label", "name", "lr",
                                                                  "levels", "labels", "x"]),
                                                 inner, max_size=3)), max_leaves=8)


def put(raw: dict, dotted: str, value) -> None:
    if dotted.startswith("factors."):
        raw.setdefault("factors", {})[dotted[len("factors."):]] = value
        return
    *path, last = dotted.split(".")
    target = raw
    for part in path:
        if not isinstance(target.get(part), dict):
            target[part] = {}
        target = target[part]
    target[last] = value


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edits=st.lists(st.tuples(st.sampled_from(KEYS), VALUES), min_size=1, max_size=3))
def test_any_spec_gives_a_spec_or_a_spec_error(edits):
    raw = copy.deepcopy(VALID)
    for key, value in edits:
        put(raw, key, value)
    try:
        spec = S.parse(raw, source="prop.toml")
        check_data(spec)
    except S.SpecError as error:
        assert "prop.toml" in str(error)
        return
    assert spec.n_cells * spec.seeds <= MAX_TRIALS
    for _, config in spec.cells():
        dataset = config["dataset"]
        assert dataset["test_size"] + dataset["val_size"] < 1
        assert all(math.isfinite(v) for v in (config["training"]["l1"], config["training"]["l2"]))
