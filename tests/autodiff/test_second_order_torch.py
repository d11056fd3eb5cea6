"""Parity with PyTorch's second derivatives on random compositions (skipped without torch).

Each case draws a chain of ops (elementwise, broadcasting, matrix products, reductions,
softmax family, the fused linear and cross-entropy), then compares, in float64:
``autograd.grad(..., create_graph=True)`` and a second ``grad`` through it with
``torch.autograd.grad``; and ``chainrule.func`` (hessian, jvp, hvp, jacobian) with
``torch.func`` (hessian, jvp, jacrev) and ``torch.autograd.functional.hvp``.
"""
import numpy as np
import pytest

import chainrule as cr
from chainrule import autograd, func

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")   # torch.func imports torch.jit

# (name, chainrule op, torch op), each (3, 4) -> (3, 4); ``w`` is a fixed (4, 4) weight
UNARY = [
    ("tanh", cr.tanh, torch.tanh),
    ("sigmoid", cr.sigmoid, torch.sigmoid),
    ("softplus", cr.softplus, torch.nn.functional.softplus),
    ("square", lambda a: a * a, lambda a: a * a),
    ("exp_half", lambda a: cr.exp(a * 0.5), lambda a: torch.exp(a * 0.5)),
    ("log1p_square", lambda a: cr.log(a * a + 1.0), lambda a: torch.log(a * a + 1.0)),
    ("cube_root_ish", lambda a: (a * a + 1.0) ** 0.75, lambda a: (a * a + 1.0) ** 0.75),
    ("softmax", lambda a: cr.softmax(a, axis=1), lambda a: torch.softmax(a, dim=1)),
    ("log_softmax", lambda a: cr.log_softmax(a, axis=0), lambda a: torch.log_softmax(a, dim=0)),
    ("matmul", lambda a: a @ W_CR, lambda a: a @ W_TORCH),
    ("row_scale", lambda a: a * cr.logsumexp(a, axis=1, keepdims=True),
     lambda a: a * torch.logsumexp(a, dim=1, keepdim=True)),
    ("broadcast", lambda a: a + a.sum(axis=0) * 0.3, lambda a: a + a.sum(dim=0) * 0.3),
    ("erf", cr.autodiff.ops.erf, torch.erf),
    ("transpose_mix", lambda a: (a.T @ a)[:3, :] * 0.2, lambda a: (a.T @ a)[:3, :] * 0.2),
    ("divide", lambda a: a / (a * a + 2.0), lambda a: a / (a * a + 2.0)),
    ("where_mix", lambda a: cr.where(MASK, a * a, cr.tanh(a)), lambda a: torch.where(
        torch.from_numpy(MASK), a * a, torch.tanh(a))),
    ("concat", lambda a: cr.concatenate([a[:, :2] * 2.0, cr.sigmoid(a[:, 2:])], axis=1),
     lambda a: torch.cat([a[:, :2] * 2.0, torch.sigmoid(a[:, 2:])], dim=1)),
]
ENDS = [
    ("sum", lambda a: a.sum(), lambda a: a.sum()),
    ("cross_entropy", lambda a: cr.softmax_cross_entropy(a, TARGETS),
     lambda a: torch.nn.functional.cross_entropy(a, torch.from_numpy(TARGETS))),
    ("linear_mse", lambda a: ((cr.linear(a, W_CR[:2], B_CR) - 0.5) ** 2).mean(),
     lambda a: ((torch.nn.functional.linear(a, W_TORCH[:2], B_TORCH) - 0.5) ** 2).mean()),
]

_rng = np.random.default_rng(0)
W = _rng.standard_normal((4, 4)) * 0.5
B = _rng.standard_normal(2)
W_CR, W_TORCH = cr.tensor(W, dtype=np.float64), torch.from_numpy(W)
B_CR, B_TORCH = cr.tensor(B, dtype=np.float64), torch.from_numpy(B)
MASK = _rng.random((3, 4)) > 0.5
TARGETS = np.array([1, 3, 0])


def composition(seed):
    rng = np.random.default_rng(seed)
    chain = [UNARY[i] for i in rng.choice(len(UNARY), size=3, replace=False)]
    end = ENDS[seed % len(ENDS)]

    def cr_fn(x):
        for _, op, _ in chain:
            x = op(x)
        return end[1](x)

    def torch_fn(x):
        for _, _, op in chain:
            x = op(x)
        return end[2](x)
    name = " -> ".join([n for n, _, _ in chain] + [end[0]])
    return name, cr_fn, torch_fn, rng.standard_normal((3, 4))


CASES = [composition(seed) for seed in range(12)]


@pytest.mark.parametrize("name, cr_fn, torch_fn, x", CASES, ids=[c[0] for c in CASES])
def test_double_backward_matches_torch(name, cr_fn, torch_fn, x):
    v = np.random.default_rng(1).standard_normal(x.shape)
    xc = cr.tensor(x, requires_grad=True, dtype=np.float64)
    (g,) = autograd.grad(cr_fn(xc), xc, create_graph=True)
    (hv,) = autograd.grad((g * v).sum(), xc)
    xt = torch.tensor(x, requires_grad=True)
    (gt,) = torch.autograd.grad(torch_fn(xt), xt, create_graph=True)
    (hvt,) = torch.autograd.grad((gt * torch.from_numpy(v)).sum(), xt)
    np.testing.assert_allclose(g.data, gt.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(hv.data, hvt.numpy(), rtol=1e-9, atol=1e-11)


@pytest.mark.parametrize("name, cr_fn, torch_fn, x", CASES[:6], ids=[c[0] for c in CASES[:6]])
def test_func_transforms_match_torch_func(name, cr_fn, torch_fn, x):
    v = np.random.default_rng(2).standard_normal(x.shape)
    xc, vc = cr.tensor(x, dtype=np.float64), cr.tensor(v, dtype=np.float64)
    xt, vt = torch.from_numpy(x), torch.from_numpy(v)
    np.testing.assert_allclose(func.hessian(cr_fn)(xc).data, torch.func.hessian(torch_fn)(xt).numpy(),
                               rtol=1e-9, atol=1e-11)
    np.testing.assert_allclose(func.hvp(cr_fn, (xc,), (vc,))[1][0].data,
                               torch.autograd.functional.hvp(torch_fn, xt, vt)[1].numpy(),
                               rtol=1e-9, atol=1e-11)
    inner = UNARY[int(np.random.default_rng(len(name)).integers(len(UNARY)))]
    np.testing.assert_allclose(func.jvp(inner[1], (xc,), (vc,))[1].data,
                               torch.func.jvp(inner[2], (xt,), (vt,))[1].numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(func.jacobian(inner[1])(xc).data, torch.func.jacrev(inner[2])(xt).numpy(),
                               rtol=1e-10, atol=1e-12)
