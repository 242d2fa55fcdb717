"""adc.numpy.nn against torch.nn.functional: convolution (1-3 d, stride, padding incl. 'same'
and 'valid', dilation, groups, bias, unbatched inputs, integers), transposed convolution,
max pooling (torch's arg-max: first maximum, last NaN; indices; ceil_mode; dilation), average
pooling (count_include_pad, divisor_override, ceil_mode) and adaptive average pooling: values
on numpy arrays and compiled (cpu, and the cuda simulator at tiny sizes), gradients of every
input, second derivatives, the compiled graph's BLAS/linear-time structure, and the errors."""
from __future__ import annotations

import numpy as np
import pytest

import adc
import adc.numpy as anp
from adc.numpy import nn
from adc.opt import optimize, prepare

torch = pytest.importorskip("torch")
F = torch.nn.functional
RNG = np.random.default_rng(0)


def _backend(kw, cases):
    """Compiled (cpu) for the case table's second case, the numpy reference for the others."""
    return "cpu" if kw is cases[1][-1] else "numpy"


def _r(*shape):
    return RNG.standard_normal(shape)


def _close(ours, theirs, tol=1e-10):
    theirs = theirs.detach().numpy() if hasattr(theirs, "detach") else theirs
    assert np.shape(ours) == theirs.shape
    np.testing.assert_allclose(ours, theirs, rtol=tol, atol=tol)


def _check(adc_fn, torch_fn, arrays, backend="numpy", tol=1e-10):
    """Value on numpy arrays and on `backend`, and the gradient of sum(out**2) for every input
    (the numpy reference by default: the compiled kernels are checked against it by the
    primitive checker, and here on one case per function)."""
    _close(adc_fn(*arrays), torch_fn(*map(torch.tensor, arrays)), tol)
    _close(adc.jit(adc_fn, backend=backend)(*arrays), torch_fn(*map(torch.tensor, arrays)), tol)
    nums = tuple(range(len(arrays)))
    ours = adc.grad(lambda *xs: anp.sum(adc_fn(*xs) ** 2), argnums=nums, backend=backend)(
        *arrays)
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    theirs = torch.autograd.grad((torch_fn(*ts) ** 2).sum(), ts)
    for a, t in zip(ours, theirs):
        _close(a, t, tol)


CONVS = [  # input shape, weight shape, keyword arguments
    ((2, 3, 9), (4, 3, 3), {}),
    ((2, 4, 9), (6, 2, 2), {"stride": 2, "padding": 1, "dilation": 2, "groups": 2}),
    ((1, 2, 6), (3, 2, 4), {"padding": "same"}),
    ((2, 3, 7, 6), (4, 3, 3, 2), {"stride": (2, 1), "padding": (1, 0)}),
    ((1, 4, 6, 6), (4, 1, 3, 3), {"padding": "same", "dilation": 2, "groups": 4}),
    ((2, 2, 5, 5), (3, 2, 2, 2), {"padding": "valid"}),
    ((3, 5, 5), (2, 3, 3, 3), {"padding": 1}),  # unbatched
    ((1, 2, 4, 3, 4), (2, 2, 2, 2, 3), {"stride": (1, 2, 1), "padding": (0, 1, 1)}),
]


@pytest.mark.parametrize("x,w,kw", CONVS, ids=[str(i) for i in range(len(CONVS))])
def test_conv_matches_torch(x, w, kw):
    nd = len(w) - 2
    conv = getattr(F, f"conv{nd}d")
    _check(lambda x, w, b: nn.conv(x, w, b, **kw), lambda x, w, b: conv(x, w, b, **kw),
           [_r(*x), _r(*w), _r(w[0])], backend=_backend(kw, CONVS))


def test_conv_without_bias_on_cuda_simulator():
    _check(lambda x, w: nn.conv(x, w, stride=2, padding=1),
           lambda x, w: F.conv2d(x, w, stride=2, padding=1), [_r(1, 2, 4, 4), _r(2, 2, 2, 2)],
           backend="cuda")


def test_conv_float32_stays_float32_and_integers_stay_exact():
    x, w = _r(2, 3, 6, 6).astype(np.float32), _r(4, 3, 3, 3).astype(np.float32)
    ours = adc.jit(lambda x, w: nn.conv(x, w, padding=1))(x, w)
    assert ours.dtype == np.float32
    _close(ours, F.conv2d(torch.tensor(x), torch.tensor(w), padding=1), 1e-5)
    xi, wi = RNG.integers(-5, 5, (1, 2, 5, 5)), RNG.integers(-3, 3, (3, 2, 2, 2))
    ours = adc.jit(lambda x, w: nn.conv(x, w, stride=2), backend="numpy")(xi, wi)
    assert ours.dtype == np.int64
    np.testing.assert_array_equal(ours, F.conv2d(torch.tensor(xi), torch.tensor(wi),
                                                 stride=2).numpy())


TRANSPOSED = [
    ((2, 3, 5), (3, 2, 3), {"stride": 2, "padding": 1, "output_padding": 1}),
    ((2, 4, 4, 3), (4, 3, 3, 2), {}),
    ((1, 4, 3, 4), (4, 2, 2, 3), {"stride": (2, 1), "groups": 2, "dilation": (1, 2)}),
    ((1, 2, 3, 3), (2, 2, 3, 3), {"stride": 3, "padding": 1, "output_padding": 2}),
]


@pytest.mark.parametrize("x,w,kw", TRANSPOSED, ids=[str(i) for i in range(len(TRANSPOSED))])
def test_conv_transpose_matches_torch(x, w, kw):
    nd = len(w) - 2
    conv_t = getattr(F, f"conv_transpose{nd}d")
    out_channels = w[1] * kw.get("groups", 1)
    _check(lambda x, w, b: nn.conv_transpose(x, w, b, **kw),
           lambda x, w, b: conv_t(x, w, b, **kw), [_r(*x), _r(*w), _r(out_channels)],
           backend=_backend(kw, TRANSPOSED))


MAX_POOLS = [
    ((2, 3, 8), {"kernel_size": (3,), "stride": 2, "padding": 1}),
    ((2, 3, 7, 6), {"kernel_size": (2, 2)}),
    ((1, 2, 7, 7), {"kernel_size": (3, 3), "stride": 2, "padding": 1, "ceil_mode": True}),
    ((1, 2, 6, 7), {"kernel_size": (2, 3), "stride": (1, 2), "dilation": (2, 1)}),
    ((2, 5, 5), {"kernel_size": (2, 2), "ceil_mode": True}),  # unbatched
    ((1, 1, 4, 4, 4), {"kernel_size": (2, 2, 2)}),
]


@pytest.mark.parametrize("x,kw", MAX_POOLS, ids=[str(i) for i in range(len(MAX_POOLS))])
def test_max_pool_values_indices_and_gradient_match_torch(x, kw):
    nd = len(kw["kernel_size"])
    pool = getattr(F, f"max_pool{nd}d")
    x = _r(*x)
    _check(lambda x: nn.max_pool(x, **kw), lambda x: pool(x, **kw), [x],
           backend=_backend(kw, MAX_POOLS))
    _, ours = adc.jit(lambda x: nn.max_pool(x, return_indices=True, **kw),
                      backend=_backend(kw, MAX_POOLS))(x)
    _, theirs = pool(torch.tensor(x), return_indices=True, **kw)
    assert ours.dtype == np.int64
    np.testing.assert_array_equal(ours, theirs.numpy())


@pytest.mark.parametrize("backend", ["numpy", "cpu", "cuda"])
def test_max_pool_gradient_goes_to_torch_choice_among_ties_and_nans(backend):
    nan = np.nan
    x = np.array([[[[1.0, 3.0, 3.0, 0.0], [3.0, 2.0, 1.0, 3.0]],
                   [[nan, 1.0, 2.0, nan], [nan, 0.0, 5.0, 5.0]]]])
    ours = adc.grad(lambda x: anp.sum(nn.max_pool(x, (2, 2), stride=(1, 2))), backend=backend)(x)
    t = torch.tensor(x, requires_grad=True)
    F.max_pool2d(t, 2, stride=(1, 2)).sum().backward()
    np.testing.assert_array_equal(ours, t.grad.numpy())
    values = adc.jit(lambda x: nn.max_pool(x, (2, 2)), backend=backend)(x)
    np.testing.assert_array_equal(values, F.max_pool2d(torch.tensor(x), 2).numpy())


def test_max_pool_of_integers_matches_torch():
    x = RNG.integers(-9, 9, (1, 2, 5, 4))
    ours = adc.jit(lambda x: nn.max_pool(x, (2, 2), padding=1))(x)
    assert ours.dtype == np.int64
    np.testing.assert_array_equal(ours, F.max_pool2d(torch.tensor(x), 2, padding=1).numpy())


AVG_POOLS = [
    ((2, 3, 8), {"kernel_size": (3,), "stride": 2, "padding": 1}),
    ((2, 3, 7, 6), {"kernel_size": (2, 2)}),
    ((1, 2, 7, 7), {"kernel_size": (3, 3), "stride": 2, "padding": 1, "ceil_mode": True}),
    ((1, 2, 7, 6), {"kernel_size": (3, 2), "stride": 2, "padding": 1, "ceil_mode": True,
                    "count_include_pad": False}),
    ((1, 2, 5, 6), {"kernel_size": (2, 3), "divisor_override": 4, "padding": (1, 0)}),
    ((1, 1, 4, 4, 4), {"kernel_size": (2, 2, 2), "stride": 1}),
]


@pytest.mark.parametrize("x,kw", AVG_POOLS, ids=[str(i) for i in range(len(AVG_POOLS))])
def test_avg_pool_matches_torch(x, kw):
    nd = len(kw["kernel_size"])
    pool = getattr(F, f"avg_pool{nd}d")
    _check(lambda x: nn.avg_pool(x, **kw), lambda x: pool(x, **kw), [_r(*x)],
           backend=_backend(kw, AVG_POOLS))


@pytest.mark.parametrize("x,size", [((2, 3, 7), 3), ((2, 3, 7, 5), (3, 2)), ((1, 2, 6, 6), 1),
                                    ((1, 2, 5, 7), (None, 4)), ((2, 4, 5), (1, 5)),
                                    ((1, 1, 3, 4, 5), (2, 3, 2))])
def test_adaptive_avg_pool_matches_torch(x, size):
    nd = len(x) - 2 if isinstance(size, int) else len(size)
    pool = getattr(F, f"adaptive_avg_pool{nd}d")
    _check(lambda x: nn.adaptive_avg_pool(x, size), lambda x: pool(x, size), [_r(*x)])


def test_second_derivatives_of_conv_and_pooling_match_torch():
    x, w = _r(1, 2, 6, 6), _r(3, 2, 3, 3)

    def f(x, w):
        y = nn.conv(x, w, padding=1)
        return anp.sum(nn.avg_pool(nn.max_pool(anp.tanh(y), (2, 2)), (2, 2)) ** 2)

    ours = adc.hessian(f, argnums=1, backend="numpy")(x, w)
    tx = torch.tensor(x)
    theirs = torch.autograd.functional.hessian(
        lambda w: (F.avg_pool2d(F.max_pool2d(torch.tanh(F.conv2d(tx, w, padding=1)), 2), 2)
                   ** 2).sum(), torch.tensor(w))
    _close(ours, theirs, 1e-9)


def _prims(fn, *args):
    graph = prepare(optimize(adc.make_ir(fn)(*args)), "cpu")
    return [e.prim.name for e in graph.eqns]


def test_conv_gradient_is_gemms_and_window_kernels():
    """Forward and backward of conv and max_pool: matrix products, the window kernels and
    fused elementwise work — no gathers, scatters or einsum left for the backend."""
    x, w = _r(2, 3, 8, 8), _r(4, 3, 3, 3)

    def loss(x, w):
        return anp.sum(nn.max_pool(nn.conv(x, w, padding=1), (2, 2)) ** 2)

    names = _prims(lambda x, w: adc.value_and_grad(loss, argnums=(0, 1))(x, w), x, w)
    assert names.count("matmul") == 3  # forward, input gradient, weight gradient
    assert names.count("patches") == 2 and names.count("patches_transpose") == 2
    assert not {"take", "scatter_add", "einsum"} & set(names)


@pytest.mark.parametrize("call,match", [
    (lambda: nn.conv(_r(2, 3, 5), _r(4, 3, 3, 3)), r"conv2d: expected a 3-D .* got shape"),
    (lambda: nn.conv(_r(1, 2, 5, 5), _r(4, 3, 3, 3)), r"expects 3 input channels.*has 2"),
    (lambda: nn.conv(_r(1, 2, 3, 3), _r(1, 2, 5, 5)), r"padded input size \(3, 3\).*kernel"),
    (lambda: nn.conv(_r(1, 4, 5, 5), _r(3, 2, 3, 3), groups=2), r"groups=2 does not divide"),
    (lambda: nn.conv(_r(1, 2, 5, 5), _r(3, 2, 3, 3), stride=2, padding="same"),
     r"'same' is not supported for strided"),
    (lambda: nn.conv(_r(1, 2, 5, 5), _r(3, 2, 3, 3), _r(2)), r"bias of shape \(2,\)"),
    (lambda: nn.max_pool(_r(1, 1, 3, 3), (2, 2), padding=2), r"at most half"),
    (lambda: nn.max_pool(_r(1, 1, 1, 1), (2, 2)), r"padded input|too small"),
    (lambda: nn.avg_pool(_r(1, 1, 3, 3), (2, 2), stride=(1, 1, 1)), r"stride must be"),
    (lambda: nn.adaptive_avg_pool(_r(1, 1, 3, 3), (0, 2)), r"output_size must be positive"),
    (lambda: nn.conv_transpose(_r(1, 2, 3, 3), _r(3, 2, 2, 2)), r"expects 3 input channels"),
])
def test_bad_geometry_raises_naming_the_function_and_shapes(call, match):
    with pytest.raises(nn.WindowShapeError, match=match) as info:
        call()
    assert isinstance(info.value, (adc.errors.ShapeError, RuntimeError))


def test_integer_average_pooling_is_refused():
    with pytest.raises(adc.errors.UnsupportedError, match="avg_pool2d: integer"):
        nn.avg_pool(np.ones((1, 1, 4, 4), np.int64), (2, 2))
