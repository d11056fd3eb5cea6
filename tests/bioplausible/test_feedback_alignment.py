"""Feedback alignment and DFA: the updates by hand, unlike backprop's, learning, alignment, fit."""
import numpy as np
import pytest

import chainrule as cr
from chainrule import bioplausible, nn, optim

rng = np.random.default_rng(0)
X = rng.standard_normal((6, 4))
Y = np.array([0, 1, 2, 0, 1, 2])


def _grads(network, model, X, y):
    model.zero_grad()
    nn.CrossEntropyLoss()(network(cr.tensor(X, dtype=np.float64)), y).backward()
    return {name: p.grad.copy() for name, p in model.named_parameters()}


def _output_error(logits, y):
    """dL/dlogits for the mean cross-entropy: (softmax - one_hot) / n."""
    p = np.exp(logits - logits.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    return (p - np.eye(p.shape[1])[y]) / len(y)


def _forward(model, X):
    """Pre-activations and activations of a tanh MLP, by hand."""
    linears = [m for m in model if isinstance(m, nn.Linear)]
    hs, a = [X], None
    for i, linear in enumerate(linears):
        a = hs[-1] @ linear.weight.data.T + linear.bias.data
        if i < len(linears) - 1:
            hs.append(np.tanh(a))
    return hs, a


def test_feedback_alignment_sends_the_error_back_through_B_not_W():
    model = nn.MLP([4, 5, 3], activation="tanh", rng=0).double()
    rule = bioplausible.FeedbackAlignment(model, rng=1)
    (x, h), logits = _forward(model, X)
    e = _output_error(logits, Y)
    delta = (e @ rule.feedback_1) * (1 - h ** 2)             # B in place of W_2
    grads = _grads(rule, model, X, Y)
    np.testing.assert_allclose(grads["2.weight"], e.T @ h, rtol=1e-10)       # local, exact
    np.testing.assert_allclose(grads["0.weight"], delta.T @ x, rtol=1e-10)
    np.testing.assert_allclose(grads["0.bias"], delta.sum(0), rtol=1e-10)
    backprop = _grads(model, model, X, Y)
    np.testing.assert_allclose(backprop["2.weight"], grads["2.weight"], rtol=1e-12)
    assert not np.allclose(backprop["0.weight"], grads["0.weight"], rtol=0.1)


def test_direct_feedback_alignment_sends_the_output_error_to_every_hidden_layer():
    model = nn.MLP([4, 5, 6, 3], activation="tanh", rng=0).double()
    rule = bioplausible.DirectFeedbackAlignment(model, rng=1)
    (x, h1, h2), logits = _forward(model, X)
    e = _output_error(logits, Y)
    delta2 = (e @ rule.feedback_2) * (1 - h2 ** 2)           # straight from the output
    delta1 = (e @ rule.feedback_1) * (1 - h1 ** 2)           # not through W_2 or W_3
    grads = _grads(rule, model, X, Y)
    np.testing.assert_allclose(grads["4.weight"], e.T @ h2, rtol=1e-10)
    np.testing.assert_allclose(grads["2.weight"], delta2.T @ h1, rtol=1e-10)
    np.testing.assert_allclose(grads["0.weight"], delta1.T @ x, rtol=1e-10)
    assert rule.feedback_1.shape == (3, 5) and rule.feedback_2.shape == (3, 6)
    backprop = _grads(model, model, X, Y)
    assert not np.allclose(backprop["0.weight"], grads["0.weight"], rtol=0.1)


@pytest.mark.parametrize("name", ["fa", "dfa"])
def test_the_forward_pass_is_the_model_and_the_hooks_leave_with_it(name):
    model = nn.MLP([4, 8, 8, 3], activation="relu", rng=0)
    rule = bioplausible.RULES[name](model, rng=0)
    x = cr.tensor(X.astype(np.float32))
    assert rule(x).data.tobytes() == model(x).data.tobytes()
    assert all(not m._forward_hooks for m in model.modules())
    assert list(rule.parameters()) == list(model.parameters())    # trained in place, B is not
    assert [k for k in rule.state_dict() if k.startswith("feedback")] == [
        "feedback_0", "feedback_1", "feedback_2"]


XOR = (np.array([[0, 0], [0, 1], [1, 0], [1, 1]] * 4, dtype=np.float32) - 0.5,
       np.array([0, 1, 1, 0] * 4))


@pytest.mark.parametrize("name", ["fa", "dfa"])
def test_it_still_learns_xor(name):
    model = nn.MLP([2, 16, 16, 2], activation="tanh", rng=0)
    rule = bioplausible.RULES[name](model, rng=0)
    cr.fit(rule, "cross_entropy", optim.Adam(model.parameters(), lr=0.05), XOR, epochs=150,
           verbose=0)
    assert cr.evaluate(model, XOR)["accuracy"] == 1.0


@pytest.mark.parametrize("name", ["fa", "dfa"])
def test_digits_and_the_forward_weights_come_to_align_with_the_feedback(name, digits_split):
    X_train, y_train, X_test, y_test = digits_split
    model = nn.MLP([64, 32, 10], activation="tanh", rng=0)
    rule = bioplausible.RULES[name](model, rng=0)
    before = bioplausible.alignment_angles(rule, "cross_entropy", X_train, y_train)
    cr.fit(rule, "cross_entropy", optim.SGD(model.parameters(), lr=0.05, momentum=0.9),
           (X_train, y_train), epochs=10, batch_size=32, verbose=0)
    after = bioplausible.alignment_angles(rule, "cross_entropy", X_train, y_train)
    assert cr.evaluate(model, (X_test, y_test))["accuracy"] > 0.93
    assert before["0.weight"] > 75 and after["0.weight"] < 45, (before, after)
    assert after["2.weight"] == pytest.approx(0.0, abs=1e-3)     # the output layer is exact
    assert 0 < after["all"] < 60


@pytest.mark.parametrize("name", ["fa", "dfa"])
def test_the_hidden_angle_leaves_out_the_output_layer_whose_update_is_backprops(name):
    model = nn.MLP([4, 5, 5, 3], activation="tanh", rng=1).to(np.float64)
    rule = bioplausible.RULES[name](model, rng=2)
    used, true = _grads(rule, model, X, Y), _grads(model, model, X, Y)
    hidden = ["0.weight", "0.bias", "2.weight", "2.bias"]
    a = np.concatenate([used[k].ravel() for k in hidden])
    b = np.concatenate([true[k].ravel() for k in hidden])
    expected = np.degrees(np.arccos(a @ b / np.linalg.norm(a) / np.linalg.norm(b)))
    angles = bioplausible.alignment_angles(rule, "cross_entropy", X, Y)
    assert angles["hidden"] == pytest.approx(expected, rel=1e-9)
    assert angles["4.weight"] == pytest.approx(0.0, abs=1e-5)
    assert angles["hidden"] > angles["all"] > 0          # the exact output layer pulls "all" in


def test_fit_is_reproducible_and_resumes_bitwise(tmp_path):
    def train(epochs, init=0, **kwargs):
        model = nn.MLP([2, 8, 8, 2], activation="tanh", rng=init)
        rule = bioplausible.DirectFeedbackAlignment(model, rng=init)
        cr.fit(rule, "cross_entropy", optim.Adam(model.parameters(), lr=0.01), XOR, epochs=epochs,
               batch_size=4, verbose=0, **kwargs)
        return b"".join(p.data.tobytes() for p in model.parameters())

    whole = train(4)
    assert train(4) == whole
    train(2, checkpoint_dir=tmp_path)
    assert train(4, init=5, resume_from=tmp_path) == whole      # B comes from the checkpoint


def test_bad_input_is_refused_in_the_one_voice():
    with pytest.raises(TypeError, match="'model' parameter of FeedbackAlignment must be a "
                                        "chainrule.nn.Module"):
        bioplausible.FeedbackAlignment(lambda x: x)
    with pytest.raises(ValueError, match="at least one nn.Linear"):
        bioplausible.DirectFeedbackAlignment(nn.Tanh())
    with pytest.raises(ValueError, match="'n_outputs' parameter of DirectFeedbackAlignment "
                                         "must be the size of the model's output, 3"):
        bioplausible.DirectFeedbackAlignment(nn.MLP([4, 5, 3], rng=0), n_outputs=7)(
            cr.tensor(X.astype(np.float32)))
    with pytest.raises(TypeError, match="'rule' parameter of alignment_angles"):
        bioplausible.alignment_angles(nn.MLP([4, 3], rng=0), "cross_entropy", X, Y)
