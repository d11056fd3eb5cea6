"""The backward pass itself: accumulation, reuse, release, grad mode, errors, dtypes."""
import numpy as np
import pytest

import chainrule as cr
from chainrule.autodiff.extend import primitive, defvjp


def leaf(values, dtype=np.float64):
    return cr.tensor(values, requires_grad=True, dtype=dtype)


def test_reused_node_receives_the_sum_of_its_uses():
    x = leaf([1.0, -2.0, 3.0])
    (x * x + x).sum().backward()
    np.testing.assert_allclose(x.grad, 2 * x.data + 1)


def test_diamond_graph():
    x = leaf([0.5, 2.0])
    y = x.exp()
    z = (y * y.log() + y).sum()       # y reached by three paths
    z.backward()
    np.testing.assert_allclose(x.grad, np.exp(x.data) * (x.data + 1) + np.exp(x.data))


def test_repeated_backward_accumulates():
    x = leaf([1.0, 2.0])
    for _ in range(3):
        (x ** 2).sum().backward()
    np.testing.assert_allclose(x.grad, 3 * 2 * x.data)


def test_retain_graph_allows_a_second_backward_and_release_forbids_it():
    x = leaf([1.0, 2.0])
    y = (x * 3).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad, [6.0, 6.0])
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()


def test_non_scalar_backward_needs_grad_and_uses_it():
    x = leaf([[1.0, 2.0], [3.0, 4.0]])
    y = x * x
    with pytest.raises(RuntimeError, match=r"scalar output.*\(2, 2\).*grad="):
        y.backward()
    y = x * x
    weights = np.array([[1.0, 0.0], [2.0, -1.0]])
    y.backward(weights)
    np.testing.assert_allclose(x.grad, 2 * x.data * weights)
    with pytest.raises(ValueError, match="'grad' parameter.*shape"):
        (x * 1.0).backward(np.ones(3))


def test_backward_on_a_tensor_without_grad_is_a_clear_error():
    with pytest.raises(RuntimeError, match="does not require grad"):
        cr.tensor([1.0]).sum().backward()


def test_no_grad_as_context_and_decorator():
    x = leaf([1.0])
    with cr.no_grad():
        y = x * 2
        with cr.enable_grad():
            z = x * 2
    assert not y.requires_grad and y.is_leaf
    assert z.requires_grad

    @cr.no_grad()
    def f(t):
        return t * 3
    assert not f(x).requires_grad
    assert cr.is_grad_enabled()


def test_detach_cuts_the_graph_and_shares_memory():
    x = leaf([1.0, 2.0])
    y = (x * 2).detach()
    assert not y.requires_grad
    z = (y * x).sum()
    z.backward()
    np.testing.assert_allclose(x.grad, y.data)          # y was a constant
    assert (x * 1).detach().data.base is None or True
    d = x.detach()
    d.data[0] = 7.0
    assert x.data[0] == 7.0


def test_leaf_gradients_do_not_alias_each_other():
    a, b = leaf([1.0]), leaf([2.0])
    (a + b).sum().backward()
    a.grad *= 10                                         # an optimizer updating in place
    assert b.grad.tolist() == [1.0]


def test_a_chain_of_100000_ops():
    x = leaf(1.0)
    y = x
    for _ in range(100_000):
        y = y * 1.0 + 0.0
    y.backward()
    assert x.grad == pytest.approx(1.0)


def test_retain_grad_on_an_intermediate():
    x = leaf([1.0, 2.0])
    h = (x * 3).retain_grad()
    (h * h).sum().backward()
    np.testing.assert_allclose(h.grad, 2 * h.data)
    np.testing.assert_allclose(x.grad, 18 * x.data)


def test_dtypes_float32_default_float64_on_request_and_numpy_promotion():
    assert cr.tensor([1.0, 2.0]).dtype == np.float32
    assert cr.tensor(np.zeros(2)).dtype == np.float32                      # float64 array -> default
    assert cr.tensor([1.0], dtype=np.float64).dtype == np.float64
    assert cr.tensor([1, 2]).dtype.kind == "i"
    x32, x64 = cr.tensor([1.0], requires_grad=True), cr.tensor([1.0], dtype=np.float64, requires_grad=True)
    assert (x32 * 2.0).dtype == np.float32 and (2 * x32).dtype == np.float32   # Python scalars are weak
    mixed = x32 * x64
    assert mixed.dtype == np.float64                                       # NumPy's promotion
    mixed.sum().backward()
    assert x32.grad.dtype == np.float32 and x64.grad.dtype == np.float64   # each grad in its own dtype


def test_float32_and_float64_agree_within_float32_rounding():
    rng = np.random.default_rng(0)
    values = rng.standard_normal((8, 5))
    out = {}
    for dtype in (np.float32, np.float64):
        x = cr.tensor(values, requires_grad=True, dtype=dtype)
        loss = cr.softmax_cross_entropy(cr.tanh(x) * 2, np.arange(8) % 5)
        loss.backward()
        out[dtype] = (loss.item(), x.grad)
    assert out[np.float32][0] == pytest.approx(out[np.float64][0], rel=1e-6)
    np.testing.assert_allclose(out[np.float32][1], out[np.float64][1], rtol=1e-4, atol=1e-7)


def test_integer_data_cannot_require_grad():
    with pytest.raises(TypeError, match="requires_grad=True needs floating-point data.*int"):
        cr.tensor([1, 2, 3], requires_grad=True)


def test_matmul_shape_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"\(3, 4\) and \(5, 2\)"):
        cr.tensor(np.ones((3, 4))) @ cr.tensor(np.ones((5, 2)))
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(4, 5\)"):
        cr.linear(cr.tensor(np.ones((2, 3))), cr.tensor(np.ones((4, 5))), cr.tensor(np.ones(4)))


def test_comparisons_return_boolean_tensors_without_graph():
    x = leaf([1.0, -1.0])
    mask = x > 0
    assert mask.dtype == bool and not mask.requires_grad
    assert mask.tolist() == [True, False]


def test_extension_api_user_primitive():
    @primitive
    def cube(x):
        return x ** 3

    defvjp(cube, lambda g, ans, x: g * 3 * x ** 2)
    assert cr.gradcheck(cube, np.linspace(-1, 1, 7))
    x = leaf([2.0])
    cube(x).sum().backward()
    assert x.grad.tolist() == [12.0]


def test_gradcheck_reports_the_worst_element_and_op_chain():
    @primitive
    def wrong_square(x):
        return x ** 2

    defvjp(wrong_square, lambda g, ans, x: g * x)          # missing the factor 2
    with pytest.raises(cr.GradcheckError) as info:
        cr.gradcheck(lambda a: wrong_square(a).exp(), np.array([0.5, 1.5, -1.0]))
    text = str(info.value)
    assert "index" in text and "analytic" in text and "finite differences" in text
    assert "wrong_square -> exp" in text


def test_extension_api_variadic_primitive():
    @primitive
    def weighted_total(*xs, weights):
        return sum(w * x for w, x in zip(weights, xs))

    defvjp(weighted_total, variadic=lambda g, ans, *xs, weights, argnum: g * weights[argnum])
    rng = np.random.default_rng(4)
    assert cr.gradcheck(lambda a, b, c: weighted_total(a, b, c, weights=(2.0, -1.0, 0.5)),
                        *rng.standard_normal((3, 4)))
    with pytest.raises(TypeError, match="variadic="):
        defvjp(weighted_total, lambda g, ans, x: g, variadic=lambda g, ans, *xs, argnum: g)


# -- reading the recorded graph (the public API draw_graph uses) ---------------------------

def test_primitive_inputs_and_constants_describe_each_result():
    x = leaf([[1.0, 2.0], [3.0, 4.0]])
    data = cr.tensor(np.ones((2, 2)))
    y = x * data
    total = cr.sum(y, axis=1)
    assert total.primitive.name == total.op == "sum"
    assert total.inputs == (y,) and y.inputs == (x, data)
    assert dict(total.constants) == {"axis": 1, "keepdims": False}
    assert x.primitive is None and x.inputs == () and not x.constants
    with pytest.raises(TypeError):
        total.constants["axis"] = 0                   # read-only
    with pytest.raises(AttributeError):
        total.inputs = ()


def test_toposort_follows_gradient_inputs_or_all_inputs():
    from chainrule.autodiff.graph import toposort
    x, data = leaf([1.0, 2.0]), cr.tensor([3.0, 4.0])
    y = x * data
    z = (y + y).sum()
    for follow in ("requires_grad", "all"):
        order = toposort(z, follow=follow)
        assert order[-1] is z and len({id(n) for n in order}) == len(order)
        position = {id(n): i for i, n in enumerate(order)}
        assert all(position[id(p)] < position[id(n)] for n in order for p in n.inputs
                   if id(p) in position)                       # inputs before results
    assert all(n is not data for n in toposort(z))             # not needed for gradients
    assert any(n is data for n in toposort(z, follow="all"))
    first, second = toposort(y, follow="all")[:2]
    assert first is x and second is data                       # first input first
    with pytest.raises(ValueError, match="'follow' parameter of toposort"):
        toposort(z, follow="everything")


def test_backward_releases_the_graph_it_walked_unless_retained():
    from chainrule.autodiff.graph import is_released
    x = leaf([1.0, 2.0])
    y = cr.sum(x * 3.0, axis=0)
    y.backward(retain_graph=True)
    assert not is_released(y) and len(y.inputs) == 1
    y.backward()
    assert is_released(y) and y.inputs == () and not y.constants
    assert y.primitive.name == "sum" and not is_released(x)    # the op and the leaves stay


def test_as_tensor_keeps_tensors_and_converts_the_rest():
    x = leaf([1.0, 2.0])
    assert cr.as_tensor(x) is x and cr.as_tensor(x, dtype=np.float64) is x
    cast = cr.as_tensor(x, dtype=np.float32)
    assert cast.dtype == np.float32 and cast.op == "cast"      # differentiable cast
    array = np.arange(3.0, dtype=np.float32)
    converted = cr.as_tensor(array)
    assert converted.data is array and not converted.requires_grad
    assert cr.as_tensor([1.0]).dtype == np.float32 and cr.as_tensor([1, 2]).dtype.kind == "i"


def test_softmax_cross_entropy_checks_its_targets_in_the_common_voice():
    z = cr.tensor(np.zeros((3, 4)))
    with pytest.raises(TypeError, match=r"'targets' parameter of softmax_cross_entropy must be "
                                        r"integer class indices of shape \(3,\).*astype"):
        cr.softmax_cross_entropy(z, np.array([0.0, 1.0, 2.0]))
    with pytest.raises(ValueError, match=r"integer class indices of shape \(3,\)"):
        cr.softmax_cross_entropy(z, np.array([[0, 1, 2]]))
    with pytest.raises(ValueError, match=r"'logits' parameter of softmax_cross_entropy must be a 2-D"):
        cr.softmax_cross_entropy(cr.tensor(np.zeros(3)), np.array([0, 1, 2]))
