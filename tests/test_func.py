"""chainrule.func: each transform against closed forms and finite differences, nesting, and
the invariant that a transform changes no global state."""
import numpy as np
import pytest

import chainrule as cr
from chainrule import func, nn


def f64(values):
    return cr.tensor(values, dtype=np.float64)


def cubic(x):
    return (x ** 3).sum() + (x[0] * x[1]) * 2.0


X0 = np.array([0.5, -1.0, 2.0])


def cubic_hessian(x):
    h = np.diag(6 * x)
    h[0, 1] = h[1, 0] = 2.0
    return h


def test_grad_and_value_and_grad():
    x = f64(X0)
    expected = 3 * X0 ** 2 + np.array([2 * X0[1], 2 * X0[0], 0.0])
    np.testing.assert_allclose(func.grad(cubic)(x).data, expected)
    value, g = func.value_and_grad(cubic)(x)
    assert value.item() == pytest.approx(float((X0 ** 3).sum() + 2 * X0[0] * X0[1]))
    np.testing.assert_allclose(g.data, expected)
    assert not g.requires_grad and not value.requires_grad         # outermost: no graph


def test_argnums_has_aux_and_dict_arguments():
    f = lambda a, b: ((a * b).sum(), {"norm": (a * a).sum().item()})   # noqa: E731
    a, b = f64([1.0, 2.0]), f64([3.0, -1.0])
    (ga, gb), aux = func.grad(f, argnums=(0, 1), has_aux=True)(a, b)
    np.testing.assert_allclose(ga.data, b.data)
    np.testing.assert_allclose(gb.data, a.data)
    assert aux == {"norm": 5.0}
    params = {"w": f64([1.0, -2.0]), "c": f64(3.0)}
    grads = func.grad(lambda p: (p["w"] ** 2).sum() * p["c"])(params)
    assert set(grads) == {"w", "c"}
    np.testing.assert_allclose(grads["w"].data, [6.0, -12.0])
    assert grads["c"].item() == pytest.approx(5.0)


def test_hessian_and_hvp_of_a_cubic():
    x, v = f64(X0), np.array([1.0, -0.5, 0.25])
    np.testing.assert_allclose(func.hessian(cubic)(x).data, cubic_hessian(X0))
    value, (hv,) = func.hvp(cubic, (x,), (f64(v),))
    np.testing.assert_allclose(hv.data, cubic_hessian(X0) @ v)
    assert value.item() == pytest.approx(cubic(x).item())


def test_jacobian_jvp_and_vjp_agree_on_a_vector_function():
    g = lambda x: cr.tanh(x) * x.sum() + x[::-1] ** 2    # noqa: E731
    x = f64(X0)
    J = func.jacobian(g)(x).data
    expected = (np.diag(1 - np.tanh(X0) ** 2) * X0.sum() + np.tanh(X0)[:, None]
                + np.diag(2 * X0)[::-1])
    np.testing.assert_allclose(J, expected, rtol=1e-12)
    v, u = np.array([1.0, 2.0, -1.0]), np.array([0.5, 0.0, 3.0])
    out, jv = func.jvp(g, (x,), (f64(v),))
    np.testing.assert_allclose(jv.data, J @ v, rtol=1e-12)
    np.testing.assert_allclose(out.data, g(x).data)
    out, vjp_fn = func.vjp(g, x)
    np.testing.assert_allclose(vjp_fn(u)[0].data, u @ J, rtol=1e-12)
    np.testing.assert_allclose(vjp_fn(2 * u)[0].data, 2 * u @ J, rtol=1e-12)   # reusable
    assert func.jacobian(lambda x: x.sum() * 0 + 1.0)(x).data.tolist() == [0.0, 0.0, 0.0]


def test_transforms_nest_to_third_order():
    x = f64([0.7, -0.2])
    third = func.jacobian(func.hessian(lambda x: (x ** 4).sum()))(x).data
    expected = np.zeros((2, 2, 2))
    expected[0, 0, 0], expected[1, 1, 1] = 24 * 0.7, 24 * -0.2
    np.testing.assert_allclose(third, expected, rtol=1e-12)
    np.testing.assert_allclose(func.grad(lambda x: func.grad(cubic)(x).sum())(f64(X0)).data,
                               cubic_hessian(X0).sum(axis=0))
    # a closure over the outer variable: d/dx of x * (d/dy x y^2 at y = 3) = d/dx 6 x^2 = 12 x
    outer = func.grad(lambda x: (x * func.grad(lambda y: (x * y * y).sum())(f64([3.0]))).sum())
    np.testing.assert_allclose(outer(f64([2.0])).data, [24.0])


def _mlp_loss(model, X, y):
    names = [name for name, _ in model.named_parameters()]
    shapes = [p.shape for _, p in model.named_parameters()]
    sizes = [int(np.prod(s)) for s in shapes]

    def loss(theta):
        parts, start = {}, 0
        for name, shape, size in zip(names, shapes, sizes):
            parts[name] = theta[start:start + size].reshape(shape)
            start += size
        return cr.softmax_cross_entropy(func.functional_call(model, parts, X), y)
    theta = np.concatenate([p.data.reshape(-1) for _, p in model.named_parameters()])
    return loss, theta


def test_hessian_of_a_small_mlp_matches_finite_differences_entrywise():
    rng = np.random.default_rng(0)
    model = nn.MLP([3, 4, 3], activation="tanh", rng=1).to(np.float64)
    X, y = f64(rng.standard_normal((6, 3))), np.array([0, 1, 2, 2, 1, 0])
    loss, theta = _mlp_loss(model, X, y)
    H = func.hessian(loss)(f64(theta)).data
    eps = 1e-5
    numeric = np.stack([(func.grad(loss)(f64(theta + eps * e)).data
                         - func.grad(loss)(f64(theta - eps * e)).data) / (2 * eps)
                        for e in np.eye(theta.size)])
    np.testing.assert_allclose(H, numeric, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(H, H.T, atol=1e-12)


def test_no_global_state_changes():
    model = nn.Linear(2, 1, rng=0)
    weight = model.weight
    x = cr.tensor([1.0, 2.0], requires_grad=True, dtype=np.float64)
    with cr.no_grad():
        g = func.grad(lambda t: (t * t).sum())(x)            # works, and no_grad stays on
        assert not cr.is_grad_enabled()
    np.testing.assert_allclose(g.data, [2.0, 4.0])
    assert cr.is_grad_enabled() and x.grad is None
    with cr.no_grad():
        with pytest.raises(ZeroDivisionError):
            func.grad(lambda w: 1 / 0)(f64(1.0))
        assert not cr.is_grad_enabled()                      # restored after an error too
    with pytest.raises(Exception):
        func.functional_call(model, {"weight": "not a tensor"}, f64([[1.0, 1.0]]))
    assert model.weight is weight and dict(model.named_parameters())["weight"] is weight


def test_an_input_that_requires_grad_keeps_the_result_on_the_graph():
    x = cr.tensor([1.0, 2.0], requires_grad=True, dtype=np.float64)
    g = func.grad(lambda t: (t ** 3).sum())(x)               # 3 x^2, differentiable in x
    assert g.requires_grad
    g.sum().backward()
    np.testing.assert_allclose(x.grad, 6 * x.data)


def test_errors_name_the_transform_and_the_fix():
    x = f64([1.0, 2.0])
    with pytest.raises(ValueError, match=r"'func' parameter of chainrule.func.grad must be a "
                                         r"function returning a scalar.*shape \(2,\).*jacobian"):
        func.grad(lambda t: t * 2)(x)
    with pytest.raises(TypeError, match=r"'func' parameter of chainrule.func.hessian|"
                                        r"'func' parameter of chainrule.func.jacobian"):
        func.hessian(lambda t: 3.0)(x)
    with pytest.raises(ValueError, match=r"'argnums' parameter of chainrule.func.grad"):
        func.grad(lambda t: t.sum(), argnums=2)(x)
    with pytest.raises(TypeError, match=r"'args\[0\]' parameter .* floating-point"):
        func.grad(lambda t: t.sum())(np.array([1, 2]))
    with pytest.raises(ValueError, match=r"'tangents\[0\]' parameter of chainrule.func.hvp"):
        func.hvp(lambda t: t.sum(), (x,), (f64([1.0]),))
