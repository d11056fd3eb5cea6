"""Higher derivatives: autograd.grad, backward(create_graph=True), their semantics and errors.

The per-primitive second derivatives are in test_vjps.py (gradgradcheck over the table);
here: PyTorch's semantics of the API, closed-form higher derivatives, the errors of the
issue (one voice, naming the fix), and rows that cannot be differentiated twice.
"""
import numpy as np
import pytest

import chainrule as cr
from chainrule import autograd
from chainrule.autodiff.extend import defvjp, primitive
from chainrule.autodiff.namespace import namespace
import chainrule.nn.functional as F


def leaf(values):
    return cr.tensor(values, requires_grad=True, dtype=np.float64)


# -- semantics -------------------------------------------------------------------------------


def test_grad_returns_a_tuple_and_leaves_dot_grad_alone():
    x, w = leaf([1.0, -2.0, 0.5]), leaf([[0.3], [0.1], [-0.4]])
    y = cr.tanh(x @ w).sum()
    gx, gw = autograd.grad(y, (x, w), retain_graph=True)
    assert x.grad is None and w.grad is None
    assert not gx.requires_grad and gx.is_leaf                  # first order: plain values
    y.backward()
    np.testing.assert_allclose(gx.data, x.grad)
    np.testing.assert_allclose(gw.data, w.grad)
    assert isinstance(autograd.grad((x * x).sum(), x), tuple)


def test_third_derivative_of_x_to_the_fourth():
    x = leaf([1.0, 2.0, -0.5])
    (g1,) = autograd.grad((x ** 4).sum(), x, create_graph=True)
    (g2,) = autograd.grad(g1.sum(), x, create_graph=True)
    (g3,) = autograd.grad(g2.sum(), x)
    np.testing.assert_allclose(g1.data, 4 * x.data ** 3)
    np.testing.assert_allclose(g2.data, 12 * x.data ** 2)
    np.testing.assert_allclose(g3.data, 24 * x.data)


def test_hessian_vector_product_of_a_small_network_matches_finite_differences():
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((6, 3)), np.array([0, 1, 2, 1, 0, 2])
    w1, b1 = leaf(rng.standard_normal((4, 3))), leaf(rng.standard_normal(4))
    w2 = leaf(rng.standard_normal((3, 4)))

    def loss_of(w1_, b1_, w2_):
        return cr.softmax_cross_entropy(cr.matmul(cr.tanh(cr.linear(cr.tensor(X, dtype=np.float64), w1_, b1_)),
                                                  w2_.T), y)

    v = [rng.standard_normal(p.shape) for p in (w1, b1, w2)]
    grads = autograd.grad(loss_of(w1, b1, w2), (w1, b1, w2), create_graph=True)
    hv = autograd.grad(sum((g * vi).sum() for g, vi in zip(grads, v)), (w1, b1, w2))
    eps = 1e-5

    def gradient_at(t):
        ps = [leaf(p.data + t * vi) for p, vi in zip((w1, b1, w2), v)]
        return [g.data for g in autograd.grad(loss_of(*ps), ps)]
    numeric = [(a - b) / (2 * eps) for a, b in zip(gradient_at(eps), gradient_at(-eps))]
    for analytic, expected in zip(hv, numeric):
        np.testing.assert_allclose(analytic.data, expected, rtol=1e-6, atol=1e-8)


def test_backward_with_create_graph_makes_dot_grad_a_tensor_on_the_graph():
    x = leaf([1.0, 3.0])
    (x ** 3).sum().backward(create_graph=True)
    assert isinstance(x.grad, cr.Tensor) and x.grad.requires_grad
    np.testing.assert_allclose(x.grad.data, 3 * x.data ** 2)
    (g,) = autograd.grad(x.grad.sum(), x)                          # differentiate the gradient
    np.testing.assert_allclose(g.data, 6 * x.data)
    (x ** 2).sum().backward()                                      # a later backward adds to it
    np.testing.assert_allclose(np.asarray(x.grad), 3 * x.data ** 2 + 2 * x.data)


def test_retain_graph_defaults_to_create_graph():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    autograd.grad(y, x, create_graph=True)
    autograd.grad(y, x)                        # still there: create_graph retained it
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        autograd.grad(y, x)                    # the previous call freed it


def test_optimizers_and_clipping_read_a_recorded_grad():
    p = cr.nn.Parameter(np.array([1.0, -2.0]), dtype=np.float64)
    (p ** 2).sum().backward(create_graph=True)
    cr.optim.clip_grad_norm_([p], max_norm=1.0)
    np.testing.assert_allclose(np.linalg.norm(np.asarray(p.grad)), 1.0, rtol=1e-5)
    opt = cr.optim.SGD([p], lr=0.5)
    opt.step()
    np.testing.assert_allclose(p.data, [1.0, -2.0] - 0.5 * np.array([2.0, -4.0]) / np.sqrt(20), rtol=1e-5)
    opt.zero_grad(set_to_none=False)
    assert np.array_equal(np.asarray(p.grad), [0.0, 0.0])


def test_grad_with_respect_to_an_intermediate_and_several_outputs():
    x = leaf([0.5, -1.0])
    h = x * 3
    y1, y2 = (h ** 2).sum(), h.sum()
    gh, gx = autograd.grad([y1, y2], [h, x], retain_graph=True)
    np.testing.assert_allclose(gh.data, 2 * h.data + 1)
    np.testing.assert_allclose(gx.data, 3 * (2 * h.data + 1))
    (gy,) = autograd.grad(h, x, grad_outputs=np.array([1.0, 2.0]))
    np.testing.assert_allclose(gy.data, [3.0, 6.0])


def test_returned_gradients_do_not_alias_each_other():
    a, b = leaf([1.0]), leaf([2.0])
    ga, gb = autograd.grad((a + b).sum(), (a, b))
    ga.data *= 10
    assert gb.data.tolist() == [1.0]


def test_a_gradient_that_depends_on_grad_outputs_gives_the_jvp():
    """The double-VJP trick: (J^T u) is linear in u; its VJP with v is J v."""
    x = leaf([0.3, -0.7, 1.1])
    y = cr.tanh(x) * x.sum()
    u = cr.tensor(np.zeros(3), requires_grad=True, dtype=np.float64)
    (jtu,) = autograd.grad(y, x, grad_outputs=u, create_graph=True)
    v = np.array([1.0, 0.5, -2.0])
    (jv,) = autograd.grad(jtu, u, grad_outputs=v)
    jacobian = np.diag(1 - np.tanh(x.data) ** 2) * x.data.sum() + np.tanh(x.data)[:, None]
    np.testing.assert_allclose(jv.data, jacobian @ v)


# -- the errors of the issue -------------------------------------------------------------------


def test_create_graph_inside_no_grad_is_an_error_naming_the_fix():
    x = leaf([1.0])
    y = (x * x).sum()
    with cr.no_grad():
        with pytest.raises(ValueError, match=r"'create_graph' parameter of chainrule.autograd.grad "
                                             r"must be False inside no_grad\(\).*enable_grad"):
            autograd.grad(y, x, create_graph=True)
        with pytest.raises(ValueError, match=r"'create_graph' parameter of backward\(\)"):
            y.backward(create_graph=True)


def test_an_input_that_does_not_require_grad_is_an_error():
    x, c = leaf([1.0]), cr.tensor([2.0], dtype=np.float64)
    with pytest.raises(ValueError, match=r"'inputs\[1\]' parameter .* must be a tensor that "
                                         r"requires grad.*requires_grad=True"):
        autograd.grad((x * c).sum(), (x, c))


def test_an_unused_input_is_an_error_unless_allow_unused():
    x, unused = leaf([1.0]), leaf([2.0])
    with pytest.raises(ValueError, match=r"'inputs\[1\]'.*the outputs depend on.*allow_unused=True"):
        autograd.grad((x * 2).sum(), (x, unused))
    gx, gu = autograd.grad((x * 2).sum(), (x, unused), allow_unused=True)
    assert gu is None and gx.data.tolist() == [2.0]


def test_a_non_scalar_output_needs_grad_outputs():
    x = leaf([1.0, 2.0])
    with pytest.raises(ValueError, match=r"'grad_outputs' parameter .* must be given for the "
                                         r"non-scalar output 0 of shape \(2,\).*y.sum\(\)"):
        autograd.grad(x * 2, x)
    with pytest.raises(ValueError, match=r"'grad_outputs' .* shape \(2,\)"):
        autograd.grad(x * 2, x, grad_outputs=np.ones(3))


def test_an_output_without_grad_and_bad_arguments():
    with pytest.raises(ValueError, match=r"'outputs\[0\]' parameter .* computed from inputs that "
                                         r"require grad"):
        autograd.grad(cr.tensor([1.0]).sum(), leaf([1.0]))
    with pytest.raises(TypeError, match=r"'inputs' parameter .* a tensor or a non-empty sequence"):
        autograd.grad(leaf([1.0]).sum(), [])


# -- rows that cannot be differentiated twice ------------------------------------------------------


@primitive
def numpy_exp(x):
    return np.exp(x)


defvjp(numpy_exp, lambda g, ans, x: g * np.exp(x))            # NumPy on the input: first order only


@primitive
def namespace_exp(x):
    return np.exp(x)


defvjp(namespace_exp, lambda g, ans, x: g * namespace(g).exp(x))     # differentiable


@primitive
def declared_exp(x):
    return np.exp(x)


defvjp(declared_exp, lambda g, ans, x: g * np.exp(x), once_differentiable=True)


@primitive
def cube(x):
    return x ** 3


# right first derivative, but the tensor path drops x's graph: a wrong second derivative
defvjp(cube, lambda g, ans, x: g * 3 * (x * x if isinstance(x, np.ndarray) else (x * x).detach()))


def test_a_user_row_on_numpy_works_once_and_refuses_a_second_derivative():
    x = np.array([0.2, -0.4])
    assert cr.gradcheck(numpy_exp, x)
    with pytest.raises(RuntimeError, match=r"The VJP of 'numpy_exp' is not differentiable: a second "
                                           r"derivative through it is not supported \(it calls "
                                           r"NumPy on a tensor\).*namespace"):
        cr.gradgradcheck(numpy_exp, x)
    assert cr.gradgradcheck(namespace_exp, x)


def test_a_once_differentiable_row_gives_gradients_but_refuses_to_be_differentiated():
    x = leaf([0.2, -0.4])
    (g,) = autograd.grad(declared_exp(x).sum(), x, create_graph=True)   # the value is fine
    np.testing.assert_allclose(g.data, np.exp(x.data))
    with pytest.raises(RuntimeError, match=r"The VJP of 'declared_exp' is not differentiable.*"
                                           r"once_differentiable"):
        autograd.grad(g.sum(), x)


def test_gradgradcheck_catches_a_wrong_second_derivative():
    x = np.array([0.5, -1.5, 2.0])
    assert cr.gradcheck(cube, x)
    with pytest.raises(cr.GradcheckError, match="gradgradcheck"):
        cr.gradgradcheck(cube, x)


def test_a_convolutional_network_has_second_derivatives():
    """The convolution and pooling families are closed under differentiation (their VJP rows
    call each other through the namespace): a CNN's gradient can be differentiated again."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 2, 6, 6))
    w1, b1 = rng.standard_normal((3, 2, 3, 3)) * 0.5, rng.standard_normal(3)
    w2 = rng.standard_normal((3, 2, 2, 2)) * 0.5

    def net(x, w1, b1, w2):
        h = cr.tanh(F.conv2d(x, w1, b1, padding=1, groups=1))
        h = F.max_pool2d(h, 2) + F.avg_pool2d(h, 2)
        return cr.tanh(F.conv_transpose2d(h, w2, stride=2))

    assert cr.gradgradcheck(net, x, w1, b1, w2, atol=1e-5, rtol=1e-3)
