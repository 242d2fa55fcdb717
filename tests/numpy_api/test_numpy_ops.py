"""User-level numpy operations (compositions included) against torch's native functions:
forward values and gradients with random seeds, float64 and float32."""
from __future__ import annotations

import numpy as np
import pytest

import adc
import adc.numpy as anp
from adc.validate import TOLERANCES, compare

torch = pytest.importorskip("torch")

M = np.array([[True, False, True], [False, True, True]])
IDX = np.array([[2, 0, 1], [1, 1, 0]])
IDX_MANY = np.array([[4, 0, 4, -1, 2, 3], [1, 1, 0, 2, -5, 3]])  # > 4 picks: the scatter path
IDX_3D = np.array([[[2, 0, 1, 2]], [[1, -3, 0, 2]]])

# name: (adc function, torch function, input shapes, domain of the inputs)
OPS = {
    "mean_axis": (lambda x: anp.mean(x, axis=1), lambda x: x.mean(1), [(3, 4)], "real"),
    "mean_keepdims": (lambda x: anp.mean(x, axis=(0, 2), keepdims=True),
                      lambda x: x.mean((0, 2), keepdim=True), [(2, 3, 4)], "real"),
    "var": (lambda x: anp.var(x, axis=0), lambda x: x.var(0, unbiased=False), [(4, 3)], "real"),
    "std_ddof1": (lambda x: anp.std(x, ddof=1), lambda x: x.std(), [(5,)], "real"),
    "norm": (lambda x: anp.linalg.norm(x), lambda x: torch.linalg.norm(x), [(3, 4)], "real"),
    "norm_axis": (lambda x: anp.linalg.norm(x, axis=1), lambda x: torch.linalg.norm(x, dim=1),
                  [(3, 4)], "real"),
    "logsumexp": (lambda x: anp.logsumexp(x, axis=-1), lambda x: torch.logsumexp(x, -1),
                  [(3, 4)], "real"),
    "logsumexp_all": (anp.logsumexp, lambda x: torch.logsumexp(x.reshape(-1), 0), [(3, 4)],
                      "real"),
    "softmax": (lambda x: anp.softmax(x, axis=1), lambda x: torch.softmax(x, 1), [(3, 4)], "real"),
    "log_softmax": (lambda x: anp.log_softmax(x, axis=0), lambda x: torch.log_softmax(x, 0),
                    [(3, 4)], "real"),
    "amax_keepdims": (lambda x: anp.max(x, axis=1, keepdims=True),
                      lambda x: x.amax(1, keepdim=True), [(3, 4)], "real"),
    "min_all": (anp.min, lambda x: x.amin(), [(3, 4)], "real"),
    "prod_axis": (lambda x: anp.prod(x, axis=0), lambda x: x.prod(0), [(3, 4)], "real"),
    "cumsum_axis": (lambda x: anp.cumsum(x, axis=-1) * x.cumsum(0),
                    lambda x: x.cumsum(-1) * x.cumsum(0), [(3, 4)], "real"),
    "cumsum_flat": (anp.cumsum, lambda x: x.reshape(-1).cumsum(0), [(2, 3)], "real"),
    "square": (anp.square, torch.square, [(3,)], "real"),
    "reciprocal": (anp.reciprocal, torch.reciprocal, [(3,)], "positive"),
    "power_array": (anp.power, torch.pow, [(3,), (3,)], "positive"),
    "rpow": (lambda x: 2.0 ** x, lambda x: 2.0 ** x, [(3,)], "real"),
    "pow_neg": (lambda x: x ** -2, lambda x: x ** -2, [(3,)], "positive"),
    "clip_scalars": (lambda x: anp.clip(x, -0.5, 0.7), lambda x: x.clamp(-0.5, 0.7), [(10,)],
                     "real"),
    "clip_lower": (lambda x: anp.clip(x, 0.1, None), lambda x: x.clamp(min=0.1), [(10,)], "real"),
    "where": (lambda x, y: anp.where(x > y, x * y, x - y),
              lambda x, y: torch.where(x > y, x * y, x - y), [(2, 3), (3,)], "real"),
    "getitem_basic": (lambda x: x[1:, ::-2], lambda x: x[1:].flip(1)[:, ::2], [(3, 5)], "real"),
    "getitem_int": (lambda x: x[1, 2:4], lambda x: x[1, 2:4], [(3, 5)], "real"),
    "getitem_newaxis": (lambda x: x[None, :, 1], lambda x: x[None, :, 1], [(3, 5)], "real"),
    "getitem_ellipsis": (lambda x: x[..., -1], lambda x: x[..., -1], [(2, 3, 4)], "real"),
    "getitem_array": (lambda x: x[:, [1, 3, 3]], lambda x: x[:, [1, 3, 3]], [(3, 5)], "real"),
    "getitem_two_arrays": (lambda x: x[[0, 2], [1, -1]], lambda x: x[[0, 2], [1, 4]], [(3, 5)],
                           "real"),
    "getitem_split_arrays": (lambda x: x[[0, 1], :, [2, 3]], lambda x: x[[0, 1], :, [2, 3]],
                             [(2, 3, 4)], "real"),
    "getitem_mask": (lambda x: x[M], lambda x: x[torch.from_numpy(M)], [(2, 3)], "real"),
    "take": (lambda x: anp.take(x, [4, 0, 4], axis=1),
             lambda x: x.index_select(1, torch.tensor([4, 0, 4])), [(2, 5)], "real"),
    "take_along_axis": (lambda x: anp.take_along_axis(x, IDX, axis=1),
                        lambda x: torch.gather(x, 1, torch.from_numpy(IDX)), [(2, 3)], "real"),
    "take_along_axis_many": (lambda x: anp.take_along_axis(x, IDX_MANY, axis=1),
                             lambda x: torch.gather(x, 1, torch.from_numpy(IDX_MANY % 5)),
                             [(2, 5)], "real"),
    "take_along_axis_3d": (lambda x: anp.take_along_axis(x, IDX_3D, axis=1),
                           lambda x: torch.gather(x, 1, torch.from_numpy(IDX_3D % 3)),
                           [(2, 3, 4)], "real"),
    "take_along_axis_0": (lambda x: anp.take_along_axis(x, IDX[:1], axis=0),
                          lambda x: torch.gather(x, 0, torch.from_numpy(IDX[:1])), [(3, 3)],
                          "real"),
    "repeat": (lambda x: anp.repeat(x, 2, axis=0), lambda x: x.repeat_interleave(2, 0), [(2, 3)],
               "real"),
    "repeat_array": (lambda x: anp.repeat(x, [1, 0, 2]), lambda x: x.repeat_interleave(
        torch.tensor([1, 0, 2])), [(3,)], "real"),
    "tile": (lambda x: anp.tile(x, (2, 1, 3)), lambda x: x.repeat(2, 1, 3), [(2, 3)], "real"),
    "flip": (lambda x: anp.flip(x, 0), lambda x: x.flip(0), [(3, 2)], "real"),
    "pad": (lambda x: anp.pad(x, ((1, 0), (2, 1))),
            lambda x: torch.nn.functional.pad(x, (2, 1, 1, 0)), [(2, 3)], "real"),
    "concatenate": (lambda x, y: anp.concatenate([x, y, x], axis=1),
                    lambda x, y: torch.cat([x, y, x], 1), [(2, 3), (2, 1)], "real"),
    "stack": (lambda x, y: anp.stack([x, y], axis=-1), lambda x, y: torch.stack([x, y], -1),
              [(2, 3), (2, 3)], "real"),
    "swapaxes": (lambda x: anp.swapaxes(x, 0, 2), lambda x: x.transpose(0, 2), [(2, 3, 4)], "real"),
    "moveaxis": (lambda x: anp.moveaxis(x, 0, -1), lambda x: x.permute(1, 2, 0), [(2, 3, 4)],
                 "real"),
    "expand_squeeze": (lambda x: anp.squeeze(anp.expand_dims(x, 1), 0),
                       lambda x: x.unsqueeze(1).squeeze(0), [(1, 3)], "real"),
    "broadcast_to": (lambda x: anp.broadcast_to(x, (4, 3)), lambda x: x.expand(4, 3), [(3,)],
                     "real"),
    "diag_vector": (lambda x: anp.diag(x, 1), lambda x: torch.diag(x, 1), [(3,)], "real"),
    "diag_matrix": (lambda x: anp.diag(x, -1), lambda x: torch.diag(x, -1), [(3, 4)], "real"),
    "trace": (anp.trace, torch.trace, [(3, 3)], "real"),
    "triu": (lambda x: anp.triu(x, 1), lambda x: torch.triu(x, 1), [(3, 4)], "real"),
    "tril": (anp.tril, torch.tril, [(3, 3)], "real"),
    "dot_vv": (anp.dot, torch.dot, [(3,), (3,)], "real"),
    "dot_mv": (anp.dot, torch.mv, [(2, 3), (3,)], "real"),
    "matmul_vm": (anp.matmul, torch.matmul, [(3,), (3, 2)], "real"),
    "matmul_batched": (anp.matmul, torch.matmul, [(2, 1, 2, 3), (4, 3, 2)], "real"),
    "outer": (anp.outer, torch.outer, [(3,), (2,)], "real"),
    "einsum": (lambda x, y: anp.einsum("ij,kj->ik", x, y), lambda x, y: torch.einsum(
        "ij,kj->ik", x, y), [(2, 3), (4, 3)], "real"),
    "solve_vector": (lambda a, b: anp.linalg.solve(a + 3 * np.eye(3, dtype=a.dtype), b),
                     lambda a, b: torch.linalg.solve(a + 3 * torch.eye(3, dtype=a.dtype), b),
                     [(3, 3), (3,)], "real"),
    "inv": (lambda a: anp.linalg.inv(a + 3 * np.eye(3, dtype=a.dtype)),
            lambda a: torch.linalg.inv(a + 3 * torch.eye(3, dtype=a.dtype)), [(3, 3)], "real"),
    "sigmoid": (anp.sigmoid, torch.sigmoid, [(5,)], "real"),
    "softplus": (anp.softplus, torch.nn.functional.softplus, [(5,)], "real"),
    "relu": (anp.relu, torch.relu, [(5,)], "real"),
    "logaddexp": (anp.logaddexp, torch.logaddexp, [(5,), ()], "real"),
    "numpy_dispatch": (lambda x: np.mean(np.exp(x) * np.sin(x), axis=0) @ np.ones(3, x.dtype),
                       lambda x: (x.exp() * x.sin()).mean(0) @ torch.ones(3, dtype=x.dtype),
                       [(2, 3)], "real"),
    "method_calls": (lambda x: x.T.reshape(-1, 2).sum(axis=1).max(),
                     lambda x: x.T.reshape(-1, 2).sum(1).max(), [(2, 3)], "real"),
}


def _inputs(shapes, domain, dtype, seed=0):
    rng = np.random.default_rng(seed)
    lo, hi = (0.5, 2.0) if domain == "positive" else (-2.0, 2.0)
    return [rng.uniform(lo, hi, s).astype(dtype) for s in shapes]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", sorted(OPS))
def test_op_matches_torch(name, dtype):
    ours_fn, torch_fn, shapes, domain = OPS[name]
    args = _inputs(shapes, domain, dtype)
    tensors = [torch.from_numpy(a.copy()).requires_grad_() for a in args]
    expected = torch_fn(*tensors)
    rng = np.random.default_rng(1)
    seed = rng.standard_normal(tuple(expected.shape)).astype(dtype)
    t_grads = torch.autograd.grad(expected, tensors, torch.from_numpy(seed), allow_unused=True)

    out, vjp_fn = adc.vjp(ours_fn, *args)
    rtol, atol = TOLERANCES[np.dtype(dtype)]
    assert out.shape == tuple(expected.shape) and out.dtype == np.dtype(dtype)
    assert compare(out, expected.detach().numpy(), rtol, atol)[2]
    for g, t in zip(vjp_fn(seed), t_grads):
        t = np.zeros_like(g) if t is None else t.numpy()
        abs_err, rel_err, ok = compare(g, t, rtol, atol)
        assert ok, (abs_err, rel_err)


@pytest.mark.parametrize("name", sorted(OPS))
def test_op_gradient_finite_differences(name):
    ours_fn, _, shapes, domain = OPS[name]
    args = _inputs(shapes, domain, np.float64)
    adc.check_grad(ours_fn, *args, argnums=tuple(range(len(args))), torch=False,
                   backend="numpy")


@pytest.mark.parametrize("x", [np.arange(6, dtype=np.int32).reshape(2, 3), np.array([True, False]),
                               np.arange(3, dtype=np.uint8), np.float32(2.5), [[1.5, 2], [3, 4]]])
def test_cumsum_follows_numpy_values_and_dtypes(x):
    for kw in ({}, {"axis": 0}, {"axis": -1}, {"dtype": np.float64}):
        expected = np.cumsum(x, **kw)
        for got in (anp.cumsum(x, **kw), adc.jit(lambda a: anp.cumsum(a, **kw))(np.asarray(x))):
            assert got.shape == expected.shape and got.dtype == expected.dtype
            np.testing.assert_array_equal(got, expected)
