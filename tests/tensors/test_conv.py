"""adc.nn.functional's convolution and pooling ops and the adc.nn conv/pool layers against
torch: values, dtypes, gradients, grad_fn names, return_indices, the numpy forms (numpy arrays
and traced values), the layers' parameter shapes, initialization bounds, extra_repr text and
outputs with torch's weights copied in (the tutorial CNN included), and the errors."""
from __future__ import annotations

import math

import numpy as np
import pytest

import adc
import adc.nn.functional as F
from adc import nn

torch = pytest.importorskip("torch")
tnn, TF = torch.nn, torch.nn.functional
RNG = np.random.default_rng(1)


def _pair(*shape, dtype=np.float32):
    a = RNG.standard_normal(shape).astype(dtype)
    return adc.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)


def _close(ours, theirs, tol=1e-5):
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert str(ours.dtype) == str(theirs.dtype)
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=tol,
                               atol=tol)


OPS = [  # name, input shape, extra tensor shapes, keyword arguments, torch's grad_fn name
    ("conv1d", (2, 3, 9), [(4, 3, 3), (4,)], {"stride": 2, "padding": 1},
     "ConvolutionBackward0"),
    ("conv2d", (2, 4, 7, 6), [(6, 2, 3, 2)], {"padding": "same", "groups": 2},
     "ConvolutionBackward0"),
    ("conv3d", (1, 2, 4, 4, 3), [(3, 2, 2, 2, 2), (3,)], {"dilation": (1, 2, 1)},
     "ConvolutionBackward0"),
    ("conv_transpose1d", (2, 3, 5), [(3, 2, 3)], {"stride": 2, "output_padding": 1},
     "ConvolutionBackward0"),
    ("conv_transpose2d", (1, 4, 3, 4), [(4, 3, 2, 2), (3,)], {"stride": 2, "padding": 1},
     "ConvolutionBackward0"),
    ("max_pool1d", (2, 3, 9), [], {"kernel_size": 3, "stride": 2, "padding": 1},
     "SqueezeBackward1"),
    ("max_pool2d", (2, 3, 7, 7), [], {"kernel_size": 2, "ceil_mode": True},
     "MaxPool2DWithIndicesBackward0"),
    ("max_pool3d", (1, 2, 4, 4, 4), [], {"kernel_size": 2}, "MaxPool3DWithIndicesBackward0"),
    ("avg_pool1d", (2, 3, 9), [], {"kernel_size": 3, "padding": 1,
                                   "count_include_pad": False}, "SqueezeBackward1"),
    ("avg_pool2d", (2, 3, 7, 6), [], {"kernel_size": (3, 2), "stride": 2, "padding": 1,
                                      "ceil_mode": True}, "AvgPool2DBackward0"),
    ("avg_pool2d", (1, 2, 4, 4), [], {"kernel_size": 2, "divisor_override": 3},
     "AvgPool2DBackward0"),
    ("adaptive_avg_pool1d", (2, 3, 7), [], {"output_size": 3}, "SqueezeBackward1"),
    ("adaptive_avg_pool2d", (2, 3, 7, 5), [], {"output_size": (3, None)},
     "AdaptiveAvgPool2DBackward0"),
    ("adaptive_avg_pool2d", (2, 3, 4, 4), [], {"output_size": 1}, "MeanBackward1"),
    ("adaptive_max_pool1d", (2, 3, 7), [], {"output_size": 3}, "SqueezeBackward1"),
    ("adaptive_max_pool2d", (2, 3, 7, 5), [], {"output_size": (3, None)},
     "AdaptiveMaxPool2DBackward0"),
    ("adaptive_max_pool2d", (2, 3, 5, 7), [], {"output_size": (4, 3)},
     "AdaptiveMaxPool2DBackward0"),
    ("adaptive_max_pool3d", (1, 2, 3, 4, 5), [], {"output_size": (2, 3, 2)},
     "AdaptiveMaxPool3DBackward0"),
]


@pytest.mark.parametrize("name,shape,extra,kw,grad_fn", OPS,
                         ids=[f"{o[0]}-{i}" for i, o in enumerate(OPS)])
def test_functional_matches_torch(name, shape, extra, kw, grad_fn):
    pairs = [_pair(*shape)] + [_pair(*s) for s in extra]
    ours = getattr(F, name)(*[p[0] for p in pairs], **kw)
    theirs = getattr(TF, name)(*[p[1] for p in pairs], **kw)
    _close(ours, theirs)
    assert ours.grad_fn.name() == theirs.grad_fn.name() == grad_fn
    seed = RNG.standard_normal(tuple(theirs.shape)).astype(np.float32)
    ours.backward(adc.tensor(seed))
    theirs.backward(torch.tensor(seed))
    for a, t in pairs:
        _close(a.grad, t.grad, 1e-4)


def test_max_pool_returns_indices_as_torch():
    x, tx = _pair(2, 3, 6, 5)
    values, indices = F.max_pool2d(x, 3, stride=2, padding=1, return_indices=True)
    tvalues, tindices = TF.max_pool2d(tx, 3, stride=2, padding=1, return_indices=True)
    _close(values, tvalues)
    assert indices.dtype == adc.int64
    np.testing.assert_array_equal(indices.numpy(), tindices.numpy())


@pytest.mark.parametrize("name,shape,output_size", [
    ("adaptive_max_pool2d", (2, 3, 6, 5), (4, 3)),
    ("adaptive_max_pool2d", (3, 7, 7), 1),  # an unbatched image
    ("adaptive_max_pool1d", (1, 2, 9), 4)])
def test_adaptive_max_pool_indices_ties_and_nans_as_torch(name, shape, output_size):
    """Overlapping windows of different lengths; ties (zeros) and NaNs pick torch's position,
    the values and their gradient follow it."""
    a = np.round(RNG.standard_normal(shape)).astype(np.float32)
    a.reshape(-1)[::7] = np.nan
    x, tx = adc.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    values, indices = getattr(F, name)(x, output_size, return_indices=True)
    tvalues, tindices = getattr(TF, name)(tx, output_size, return_indices=True)
    np.testing.assert_array_equal(values.detach().numpy(), tvalues.detach().numpy())
    assert indices.dtype == adc.int64
    np.testing.assert_array_equal(indices.numpy(), tindices.numpy())
    values.backward(adc.ones_like(values))
    tvalues.backward(torch.ones_like(tvalues))
    np.testing.assert_array_equal(x.grad.numpy(), tx.grad.numpy())


def test_adaptive_max_pool_inside_adc_grad_matches_torch():
    x = RNG.standard_normal((2, 3, 7, 6))
    g = adc.grad(lambda x: adc.numpy.sum(F.adaptive_max_pool2d(x, (3, 4)) ** 2))(x)
    tx = torch.tensor(x, requires_grad=True)
    (TF.adaptive_max_pool2d(tx, (3, 4)) ** 2).sum().backward()
    np.testing.assert_allclose(g, tx.grad.numpy(), rtol=1e-12)


def test_float64_and_unbatched_inputs():
    x, tx = _pair(3, 6, 6, dtype=np.float64)
    w, tw = _pair(2, 3, 3, 3, dtype=np.float64)
    _close(F.conv2d(x, w, padding=1), TF.conv2d(tx, tw, padding=1), 1e-12)
    _close(F.max_pool2d(x, 2), TF.max_pool2d(tx, 2), 1e-12)


def test_numpy_forms_run_on_arrays_and_inside_adc_grad():
    x = RNG.standard_normal((1, 2, 5, 5))
    w = RNG.standard_normal((3, 2, 3, 3))
    expected = TF.max_pool2d(TF.conv2d(torch.tensor(x), torch.tensor(w)), 2).numpy()
    np.testing.assert_allclose(F.max_pool2d(F.conv2d(x, w), 2), expected, rtol=1e-12)
    g = adc.grad(lambda w: adc.numpy.sum(F.avg_pool2d(F.conv2d(x, w, padding=1), 2)),
                 backend="numpy")(w)
    tw = torch.tensor(w, requires_grad=True)
    TF.avg_pool2d(TF.conv2d(torch.tensor(x), tw, padding=1), 2).sum().backward()
    np.testing.assert_allclose(g, tw.grad.numpy(), rtol=1e-10)


LAYERS = [
    ("Conv1d", (2, 4, 3), {"stride": 2, "padding": 1, "bias": False}),
    ("Conv2d", (4, 6, (3, 2)), {"stride": 2, "padding": 1, "dilation": 2, "groups": 2}),
    ("Conv2d", (3, 4, 3), {"padding": "same"}),
    ("Conv3d", (2, 3, 2), {}),
    ("ConvTranspose1d", (2, 3, 3), {"stride": 2, "output_padding": 1}),
    ("ConvTranspose2d", (4, 2, 3), {"stride": 2, "groups": 2, "bias": False}),
    ("MaxPool1d", (2,), {}),
    ("MaxPool2d", (3, 2, 1), {"ceil_mode": True}),
    ("AvgPool1d", (3, 2), {}),
    ("AvgPool2d", (2,), {"count_include_pad": False}),
    ("AdaptiveAvgPool1d", (3,), {}),
    ("AdaptiveAvgPool2d", ((5, None),), {}),
    ("AdaptiveMaxPool1d", (3,), {}),
    ("AdaptiveMaxPool2d", ((5, 3),), {}),
]


def _copy_parameters(ours, theirs):
    for name, p in theirs.named_parameters():
        setattr(ours, name, nn.Parameter(adc.tensor(p.detach().numpy())))


@pytest.mark.parametrize("name,args,kw", LAYERS, ids=[f"{o[0]}-{i}" for i, o in enumerate(LAYERS)])
def test_layers_match_torch_with_its_weights(name, args, kw):
    ours, theirs = getattr(nn, name)(*args, **kw), getattr(tnn, name)(*args, **kw)
    assert ours.extra_repr() == theirs.extra_repr()
    assert [(n, tuple(p.shape)) for n, p in ours.named_parameters()] == \
        [(n, tuple(p.shape)) for n, p in theirs.named_parameters()]
    _copy_parameters(ours, theirs)
    nd = int(name[-2])
    channels = args[0] if name.startswith("Conv") else 2
    x, tx = _pair(*(2, channels) + (7,) * nd)
    _close(ours(x), theirs(tx))


def test_conv_init_is_torch_kaiming_uniform():
    adc.manual_seed(0)
    for layer in (nn.Conv2d(8, 16, 3, groups=2), nn.ConvTranspose2d(8, 16, 3, groups=2)):
        fan_in = layer.weight.shape[1] * 9
        bound = 1 / math.sqrt(fan_in)
        for p in (layer.weight, layer.bias):
            a = p.detach().numpy()
            assert a.dtype == np.float32 and np.abs(a).max() <= bound
        w = layer.weight.detach().numpy()
        assert abs(w.std() - bound / math.sqrt(3)) < 0.1 * bound / math.sqrt(3)


class _Net:
    """The PyTorch tutorial's CNN, written once for either library."""

    def __init__(self, lib):
        self.conv1, self.conv2 = lib.nn.Conv2d(1, 10, 5), lib.nn.Conv2d(10, 20, 5)
        self.fc1, self.fc2 = lib.nn.Linear(320, 50), lib.nn.Linear(50, 10)
        self.F = lib.nn.functional

    def __call__(self, x):
        F = self.F
        x = F.relu(F.max_pool2d(self.conv1(x), 2))
        x = F.relu(F.max_pool2d(self.conv2(x), 2))
        x = F.relu(self.fc1(x.view(-1, 320)))
        return F.log_softmax(self.fc2(x), dim=1)


def test_tutorial_cnn_matches_torch():
    ours, theirs = _Net(adc), _Net(torch)
    for layer in ("conv1", "conv2", "fc1", "fc2"):
        _copy_parameters(getattr(ours, layer), getattr(theirs, layer))
    x, tx = _pair(3, 1, 28, 28)
    out, tout = ours(x), theirs(tx)
    _close(out, tout)
    out.sum().backward()
    tout.sum().backward()
    for layer in ("conv1", "conv2", "fc1"):
        _close(getattr(ours, layer).weight.grad, getattr(theirs, layer).weight.grad, 1e-4)
    _close(x.grad, tx.grad, 1e-4)


@pytest.mark.parametrize("call,error,match", [
    (lambda: F.conv2d(adc.ones(1, 2, 5, 5), adc.ones(3, 3, 3, 3)), RuntimeError,
     r"conv2d: .*expects 3 input channels.*\(1, 2, 5, 5\)"),
    (lambda: F.conv2d(adc.ones(2, 5, 5), adc.ones(3, 1, 3)), RuntimeError,
     r"conv2d: weight must be"),
    (lambda: F.conv2d(adc.ones(1, 1, 5, 5), adc.ones(1, 1, 3, 3, dtype=adc.float64)),
     RuntimeError, r"expected scalar type"),
    (lambda: F.max_pool2d(adc.ones(1, 1, 2, 2), 3), RuntimeError, r"max_pool2d"),
    (lambda: nn.Conv2d(3, 4, 3, groups=2), ValueError, r"in_channels must be divisible"),
    (lambda: nn.Conv2d(2, 2, 3, padding="same", stride=2), ValueError, r"strided"),
    (lambda: nn.Conv2d(2, 2, 3, padding_mode="reflect"), adc.errors.UnsupportedError,
     r"padding_mode='zeros' only"),
])
def test_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()
