"""Every tensor operation against torch: values, dtypes, grad_fn names and gradients.

One table drives it: each case is a function of a library namespace (adc or torch) and
tensors; both run on the same data, then backward with the same random seed.
"""
import numpy as np
import pytest

import adc

torch = pytest.importorskip("torch")

R = np.random.default_rng(7)


def pos(*shape):
    return R.uniform(0.5, 2.0, shape)


def any_(*shape):
    return R.standard_normal(shape)


IDX = np.array([[0, 2], [1, 0], [2, 2]])
MASK = np.array([[True, False, True], [False, True, True], [True, True, False]])

# name: (function of (lib, *tensors), input arrays)
CASES = {
    "add": (lambda L, a, b: L.add(a, b, alpha=2), [any_(3, 4), any_(4)]),
    "sub": (lambda L, a, b: a - b, [any_(3, 4), any_(3, 1)]),
    "rsub": (lambda L, a: 2.5 - a, [any_(5)]),
    "mul": (lambda L, a, b: a * b, [any_(2, 3), any_(2, 3)]),
    "div": (lambda L, a, b: a / b, [any_(4), pos(4)]),
    "rdiv": (lambda L, a: 1.0 / a, [pos(4)]),
    "pow": (lambda L, a, b: a ** b, [pos(3), any_(3)]),
    "pow_scalar": (lambda L, a: a ** 3, [any_(3)]),
    "rpow": (lambda L, a: 2.0 ** a, [any_(3)]),
    "neg": (lambda L, a: -a, [any_(3)]),
    "exp": (lambda L, a: a.exp(), [any_(3, 2)]),
    "expm1": (lambda L, a: L.expm1(a), [any_(3)]),
    "log": (lambda L, a: L.log(a), [pos(3)]),
    "log1p": (lambda L, a: a.log1p(), [pos(3)]),
    "sqrt": (lambda L, a: a.sqrt(), [pos(3)]),
    "rsqrt": (lambda L, a: L.rsqrt(a), [pos(3)]),
    "sin": (lambda L, a: L.sin(a), [any_(3)]),
    "cos": (lambda L, a: a.cos(), [any_(3)]),
    "tan": (lambda L, a: a.tan(), [any_(3) * 0.5]),
    "tanh": (lambda L, a: a.tanh(), [any_(3)]),
    "sinh": (lambda L, a: a.sinh(), [any_(3)]),
    "cosh": (lambda L, a: a.cosh(), [any_(3)]),
    "atan": (lambda L, a: L.atan(a), [any_(3)]),
    "sigmoid": (lambda L, a: L.sigmoid(a), [any_(3)]),
    "relu": (lambda L, a: L.relu(a), [np.array([-1.0, 0.0, 2.0])]),
    "abs": (lambda L, a: a.abs(), [np.array([-1.0, 0.0, 2.0])]),
    "sign": (lambda L, a: a.sign() * a, [any_(3)]),
    "square": (lambda L, a: L.square(a), [any_(3)]),
    "reciprocal": (lambda L, a: a.reciprocal(), [pos(3)]),
    "clamp": (lambda L, a: a.clamp(-0.5, 0.5), [np.array([-1.0, -0.5, 0.0, 0.5, 1.0])]),
    "clamp_min": (lambda L, a: L.clamp(a, min=0.0), [np.array([-1.0, 0.0, 1.0])]),
    "maximum": (lambda L, a, b: L.maximum(a, b), [np.array([1.0, 2.0, 3.0]),
                                                   np.array([3.0, 2.0, 1.0])]),
    "minimum": (lambda L, a, b: L.minimum(a, b), [np.array([1.0, 2.0]), np.array([2.0, 2.0])]),
    "where": (lambda L, a, b: L.where(a > 0, a, b), [any_(4), any_(4)]),
    "masked_fill": (lambda L, a: a.masked_fill(a < 0, 0.5), [any_(2, 3)]),
    "addcdiv": (lambda L, a, b, c: L.addcdiv(a, b, c, value=0.5), [any_(3), any_(3), pos(3)]),
    "addcmul": (lambda L, a, b, c: a.addcmul(b, c, value=2), [any_(3), any_(3), any_(3)]),
    "lerp": (lambda L, a, b: L.lerp(a, b, 0.3), [any_(3), any_(3)]),
    "sum": (lambda L, a: a.sum(), [any_(3, 4)]),
    "sum_dim": (lambda L, a: a.sum(1, keepdim=True), [any_(3, 4)]),
    "sum_dims": (lambda L, a: L.sum(a, (0, 2)), [any_(2, 3, 4)]),
    "mean": (lambda L, a: a.mean(), [any_(3, 4)]),
    "mean_dim": (lambda L, a: a.mean(dim=-1), [any_(3, 4)]),
    "prod": (lambda L, a: a.prod(0), [any_(3, 2)]),
    "cumsum": (lambda L, a: L.cumsum(a, 1) * a.cumsum(-1), [any_(3, 4)]),
    "cumsum_0d": (lambda L, a: L.cumsum(a, 0), [np.array(1.5)]),
    "var": (lambda L, a: a.var(1), [any_(3, 4)]),
    "std": (lambda L, a: L.std(a, unbiased=False), [any_(3, 4)]),
    "logsumexp": (lambda L, a: L.logsumexp(a, 1), [any_(3, 4)]),
    "norm": (lambda L, a: a.norm(), [any_(3, 4)]),
    "amax": (lambda L, a: L.amax(a, 1), [np.array([[1.0, 3.0, 3.0], [0.0, -1.0, 2.0]])]),
    "max_all": (lambda L, a: a.max(), [np.array([[1.0, 3.0], [3.0, 2.0]])]),
    "max_dim": (lambda L, a: a.max(1).values, [any_(3, 4)]),
    "min_dim": (lambda L, a: L.min(a, 0, keepdim=True)[0], [any_(3, 4)]),
    "topk": (lambda L, a: a.topk(2, dim=1).values, [any_(3, 5)]),
    "softmax": (lambda L, a: L.softmax(a, 1), [any_(3, 4)]),
    "log_softmax": (lambda L, a: L.log_softmax(a, dim=0), [any_(3, 4)]),
    "matmul": (lambda L, a, b: a @ b, [any_(3, 4), any_(4, 2)]),
    "bmm": (lambda L, a, b: L.bmm(a, b), [any_(2, 3, 4), any_(2, 4, 2)]),
    "mv": (lambda L, a, b: a.mv(b), [any_(3, 4), any_(4)]),
    "dot": (lambda L, a, b: L.dot(a, b), [any_(4), any_(4)]),
    "outer": (lambda L, a, b: L.outer(a, b), [any_(3), any_(2)]),
    "view": (lambda L, a: a.view(4, 3) * 2, [any_(3, 4)]),
    "reshape": (lambda L, a: a.reshape(-1, 2), [any_(3, 4)]),
    "flatten": (lambda L, a: a.flatten(1), [any_(2, 3, 4)]),
    "unsqueeze": (lambda L, a: a.unsqueeze(1), [any_(3, 4)]),
    "squeeze": (lambda L, a: a.squeeze(), [any_(3, 1, 4)]),
    "transpose": (lambda L, a: a.transpose(0, 2), [any_(2, 3, 4)]),
    "permute": (lambda L, a: a.permute(2, 0, 1), [any_(2, 3, 4)]),
    "T": (lambda L, a: a.T, [any_(3, 4)]),
    "t": (lambda L, a: a.t(), [any_(3, 4)]),
    "expand": (lambda L, a: a.expand(3, -1) * 1.5, [any_(1, 4)]),
    "repeat": (lambda L, a: a.repeat(2, 3), [any_(2, 2)]),
    "cat": (lambda L, a, b: L.cat([a, b], dim=1), [any_(2, 3), any_(2, 2)]),
    "stack": (lambda L, a, b: L.stack([a, b], 0), [any_(2, 3), any_(2, 3)]),
    "flip": (lambda L, a: a.flip(0), [any_(3, 2)]),
    "clone": (lambda L, a: a.clone(), [any_(3)]),
    "getitem_basic": (lambda L, a: a[1:, ::2], [any_(3, 4)]),
    "getitem_int": (lambda L, a: a[1], [any_(3, 4)]),
    "getitem_none": (lambda L, a: a[None, ..., 0], [any_(3, 4)]),
    "getitem_array": (lambda L, a: a[L.tensor([2, 0, 2])], [any_(3, 4)]),
    "getitem_mask": (lambda L, a: a[L.tensor(MASK)], [any_(3, 3)]),
    "gather": (lambda L, a: a.gather(1, L.tensor(IDX)), [any_(3, 3)]),
    "scatter": (lambda L, a, b: a.scatter(1, L.tensor(IDX[:, :1]), b), [any_(3, 3), any_(3, 1)]),
    "index_select": (lambda L, a: L.index_select(a, 0, L.tensor([2, 0])), [any_(3, 4)]),
    "masked_select": (lambda L, a: a.masked_select(L.tensor(MASK)), [any_(3, 3)]),
}


def _run(lib, fn, arrays, dtype):
    ins = [lib.tensor(a.astype(dtype), requires_grad=True) for a in arrays]
    return ins, fn(lib, *ins)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", sorted(CASES))
def test_op_matches_torch(name, dtype):
    fn, arrays = CASES[name]
    ins, out = _run(adc, fn, arrays, dtype)
    t_ins, t_out = _run(torch, fn, arrays, dtype)
    tol = dict(rtol=1e-12, atol=1e-12) if dtype == np.float64 else dict(rtol=2e-5, atol=2e-6)
    assert out.dtype == np.dtype(str(t_out.dtype).replace("torch.", ""))
    assert tuple(out.shape) == tuple(t_out.shape)
    np.testing.assert_allclose(out.detach().numpy(), t_out.detach().numpy(), **tol)
    assert out.grad_fn.name() == t_out.grad_fn.name() or name in _RENAMED, (
        out.grad_fn.name(), t_out.grad_fn.name())
    seed = R.standard_normal(tuple(out.shape)).astype(dtype)
    out.backward(adc.tensor(seed))
    t_out.backward(torch.tensor(seed))
    for x, tx in zip(ins, t_ins):
        np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), **tol)


@pytest.mark.parametrize("ours_dtype,theirs_dtype", [("int32", "int32"), ("bool_", "bool")])
def test_cumsum_of_integers_accumulates_in_int64(ours_dtype, theirs_dtype):
    data = [[1, 0, 1], [1, 1, 0]]
    ours = adc.cumsum(adc.tensor(data, dtype=getattr(adc, ours_dtype)), 1)
    theirs = torch.cumsum(torch.tensor(data, dtype=getattr(torch, theirs_dtype)), 1)
    assert str(ours.dtype) == str(theirs.dtype) == "torch.int64"
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_cumsum_dim_out_of_range_raises_like_torch():
    with pytest.raises(IndexError, match=r"range of \[-2, 1\], but got 2"):
        adc.cumsum(adc.ones(2, 3), 2)
    with pytest.raises(IndexError):
        torch.cumsum(torch.ones(2, 3), 2)


# grad_fn names that differ from torch's (torch routes these through other kernels or
# composite implementations; adc names the operation the user called).
_RENAMED = {"rdiv"}
