"""chainrule.compile: a captured step replays the same NumPy calls, so its results are bitwise equal."""
import warnings

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn, optim
from chainrule.autodiff import kernels


def _batches(rows=150, features=12, classes=4, batch=32, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((rows, features)).astype(np.float32)
    y = rng.integers(0, classes, rows)
    return [(X[i:i + batch], y[i:i + batch]) for i in range(0, rows, batch)]   # last one: 22 rows


def _mlp(seed=0):
    return nn.MLP([12, 16, 16, 4], activation="tanh", rng=seed)


OPTIMIZERS = {
    "sgd": lambda ps: optim.SGD(ps, lr=0.1),
    "sgd_momentum_decay": lambda ps: optim.SGD(ps, lr=0.05, momentum=0.9, weight_decay=1e-3),
    "adam": lambda ps: optim.Adam(ps, lr=1e-2),
    "rmsprop": lambda ps: optim.RMSprop(ps, lr=1e-3),
}


def _train(model, opt, batches, epochs, compiled):
    losses = []
    step = cr.compile(lambda x, y: cr.softmax_cross_entropy(model(x), y), optimizer=opt)
    for _ in range(epochs):
        for x, y in batches:
            if compiled:
                loss = step(cr.tensor(x), y)
            else:
                opt.zero_grad()
                loss = cr.softmax_cross_entropy(model(cr.tensor(x)), y)
                loss.backward()
                opt.step()
            losses.append(loss.data.tobytes())
    return losses, step


def _same_parameters(a, b):
    return all(p.data.tobytes() == q.data.tobytes() and p.data.dtype == q.data.dtype
               for p, q in zip(a.parameters(), b.parameters()))


@pytest.mark.parametrize("backend", ["numpy", "numba"])
@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_a_compiled_step_is_bitwise_equal_to_the_plain_step(name, backend):
    if backend == "numba":
        pytest.importorskip("numba")
    previous = kernels.set_backend(backend)
    try:
        batches = _batches()
        plain, compiled = _mlp(), _mlp()
        losses, _ = _train(plain, OPTIMIZERS[name](plain.parameters()), batches, 3, False)
        replayed, step = _train(compiled, OPTIMIZERS[name](compiled.parameters()), batches, 3, True)
    finally:
        kernels.set_backend(previous)
    assert replayed == losses
    assert _same_parameters(plain, compiled)
    # one recording per batch shape (32 and the last 22 rows), replayed ever after
    assert step.recordings == 2 and len(step.programs) == 2 and step.fallback is None


def test_a_convolutional_network_in_float64_is_bitwise_equal():
    rng = np.random.default_rng(3)
    x, y = rng.standard_normal((8, 1, 10, 10)), rng.integers(0, 3, 8)

    def net():
        cr.manual_seed(0)
        return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Flatten(), nn.Linear(100, 3)).double()
    plain, compiled = net(), net()
    opt_a, opt_b = optim.Adam(plain.parameters(), lr=1e-2), optim.Adam(compiled.parameters(), lr=1e-2)
    step = cr.compile(lambda x, y: cr.softmax_cross_entropy(compiled(x), y), optimizer=opt_b)
    for _ in range(4):
        opt_a.zero_grad()
        loss = cr.softmax_cross_entropy(plain(cr.tensor(x, dtype=np.float64)), y)
        loss.backward()
        opt_a.step()
        replayed = step(cr.tensor(x, dtype=np.float64), y)
        assert replayed.data.tobytes() == loss.data.tobytes()
    assert _same_parameters(plain, compiled) and step.recordings == 1


def test_without_an_optimizer_gradients_accumulate_as_backward_does():
    (x, y), *_ = _batches()
    plain, compiled = _mlp(), _mlp()
    step = cr.compile(lambda x, y: cr.softmax_cross_entropy(compiled(x), y) * 0.5)
    for _ in range(2):                              # no zero_grad: the second call adds
        (cr.softmax_cross_entropy(plain(cr.tensor(x)), y) * 0.5).backward()
        step(cr.tensor(x), y)
    for p, q in zip(plain.parameters(), compiled.parameters()):
        assert p.grad.tobytes() == q.grad.tobytes()


def test_other_outputs_come_back_detached_and_equal():
    (x, y), *_ = _batches()
    model = _mlp()
    step = cr.compile(lambda x, y: (cr.softmax_cross_entropy(o := model(x), y), o))
    for _ in range(2):                              # the recording, then a replay
        loss, output = step(cr.tensor(x), y)
        assert not loss.requires_grad and not output.requires_grad
        with cr.no_grad():
            expected = model(cr.tensor(x))
        assert output.data.tobytes() == expected.data.tobytes()


def test_the_program_is_straight_line_code_over_the_steps_arrays():
    (x, y), *_ = _batches()
    model = _mlp()
    step = cr.compile(lambda x, y: cr.softmax_cross_entropy(model(x), y))
    step(cr.tensor(x), y)
    (program,) = step.programs.values()
    source = program.source
    assert source.startswith("def replay(args):")
    assert "for " not in source and "while " not in source
    # 3 linear + 2 tanh + the loss forward; their VJPs backward (inputs never need grad)
    assert len(program.forward) == 6 and len(program.backward) == 6


def test_a_replayed_step_still_checks_the_class_targets():
    (x, y), *_ = _batches()
    model = _mlp()
    step = cr.compile(lambda x, y: cr.softmax_cross_entropy(model(x), y))
    step(cr.tensor(x), y)
    for bad in (4, -1):
        wrong = y.copy()
        wrong[3] = bad
        with pytest.raises(ValueError, match="'targets' parameter of softmax_cross_entropy"):
            step(cr.tensor(x), wrong)


@pytest.mark.parametrize("layer, reason", [(lambda: nn.Dropout(0.5, rng=0), "dropout"),
                                           (lambda: nn.BatchNorm1d(16), "batch norm")])
def test_steps_a_replay_could_not_repeat_run_uncaptured_with_equal_results(layer, reason):
    batches = _batches()

    def net():
        return nn.Sequential(nn.Linear(12, 16, rng=0), layer(), nn.Tanh(), nn.Linear(16, 4, rng=1))
    plain, compiled = net(), net()
    losses, _ = _train(plain, optim.SGD(plain.parameters(), lr=0.1), batches, 2, False)
    with pytest.warns(RuntimeWarning, match=f"runs uncaptured.*{reason}"):
        replayed, step = _train(compiled, optim.SGD(compiled.parameters(), lr=0.1), batches, 2, True)
    assert replayed == losses and _same_parameters(plain, compiled)
    assert reason in step.fallback
    assert all(isinstance(p, str) for p in step.programs.values())


def test_an_array_made_inside_the_function_is_not_frozen_into_the_program():
    (x, y), *_ = _batches()
    model = _mlp()
    rng = np.random.default_rng(0)
    step = cr.compile(lambda x, y: cr.softmax_cross_entropy(
        model(x * rng.random(x.shape).astype(np.float32)), y))
    with pytest.warns(RuntimeWarning, match="neither an argument nor a parameter"):
        step(cr.tensor(x), y)
    assert isinstance(next(iter(step.programs.values())), str)


def test_an_argument_that_is_not_an_array_or_a_plain_value_is_not_captured():
    (x, y), *_ = _batches()
    model = _mlp()
    step = cr.compile(lambda x, y, extra: cr.softmax_cross_entropy(model(x), y))
    with pytest.warns(RuntimeWarning, match="neither an array nor a plain value"):
        step(cr.tensor(x), y, object())
    assert step.recordings == 0 and not step.programs


def test_a_function_that_calls_backward_itself_is_refused():
    (x, y), *_ = _batches()
    model = _mlp()

    def wrong(x, y):
        loss = cr.softmax_cross_entropy(model(x), y)
        loss.backward()
        return loss
    with pytest.raises(RuntimeError, match="called backward\\(\\) itself"):
        cr.compile(wrong)(cr.tensor(x), y)


def test_bad_arguments_and_return_values_are_named():
    model = _mlp()
    with pytest.raises(ValueError, match="'loss_fn' parameter of compile"):
        cr.compile(3)
    with pytest.raises(ValueError, match="'optimizer' parameter of compile"):
        cr.compile(lambda: None, optimizer=optim.LBFGS(model.parameters()))
    (x, y), *_ = _batches()
    with pytest.raises(ValueError, match="'return value' parameter of compile.*scalar"):
        cr.compile(lambda x: model(x).sum(axis=1))(cr.tensor(x))
    with pytest.raises(ValueError, match="'return value' parameter of compile"):
        cr.compile(lambda x: 3.0)(cr.tensor(x))


def test_under_no_grad_the_function_is_just_called():
    (x, y), *_ = _batches()
    model = _mlp()
    step = cr.compile(lambda x, y: cr.softmax_cross_entropy(model(x), y))
    with cr.no_grad():
        loss = step(cr.tensor(x), y)
    assert not loss.requires_grad and step.recordings == 0
    assert all(p.grad is None for p in model.parameters())


def test_fit_with_compile_is_bitwise_equal_to_fit():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((300, 12)).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.int64) + (X[:, 1] > 0)
    results = []
    for compiled in (False, True):
        model = _mlp()
        history = cr.fit(model, "cross_entropy", optim.Adam(model.parameters(), lr=1e-2), (X, y),
                         epochs=3, batch_size=64, metrics=["accuracy"], verbose=0,
                         validation_split=0.2, compile=compiled)
        results.append(([history[k] for k in ("loss", "accuracy", "val_loss", "grad_norm")],
                        [p.data.tobytes() for p in model.parameters()]))
    assert results[0] == results[1]


def test_fit_refuses_compile_with_a_closure_optimizer():
    model = _mlp()
    X, y = np.zeros((10, 12), np.float32), np.zeros(10, np.int64)
    with pytest.raises(ValueError, match="'compile' parameter of fit"):
        cr.fit(model, "cross_entropy", optim.LBFGS(model.parameters()), (X, y), compile=True,
               verbose=0)
    with pytest.raises(TypeError, match="'compile' parameter of fit"):
        cr.fit(model, "cross_entropy", optim.SGD(model.parameters()), (X, y), compile="yes",
               verbose=0)


def test_fit_with_compile_and_class_weights_trains_uncaptured_with_a_warning():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((100, 12)).astype(np.float32)
    y = (X[:, 0] > 1).astype(np.int64)
    model = _mlp()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cr.fit(model, "cross_entropy", optim.SGD(model.parameters(), lr=0.1), (X, y), epochs=2,
               batch_size=50, class_weight="balanced", verbose=0, compile=True)
    assert any("runs uncaptured" in str(w.message) for w in caught)
