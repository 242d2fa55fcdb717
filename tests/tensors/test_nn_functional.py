"""adc.nn.functional against torch.nn.functional: values, gradients, grad_fn names, dtypes and
errors, on Tensors; and the same functions on traced values inside adc.grad."""
import re
import warnings

import adc.nn.functional as F
import numpy as np
import pytest

import adc

torch = pytest.importorskip("torch")
TF = torch.nn.functional

R = np.random.default_rng(3)
X = R.standard_normal((4, 5)).astype(np.float32) * 3
X4 = R.standard_normal((3, 4, 2, 2)).astype(np.float32)
P = R.random((4, 5)).astype(np.float32) * 0.98 + 0.01
LABELS = np.array([0, 3, 4, 1])


def _lib_args(lib, args, grads=1):
    """Tensors of `lib` from numpy arrays; the first `grads` require grad when floating."""
    out = []
    for k, a in enumerate(args):
        if isinstance(a, np.ndarray):
            t = lib.tensor(a)
            out.append(t.requires_grad_() if a.dtype.kind == "f" and k < grads else t)
        else:
            out.append(a)
    return out


def compare(call, *args, rtol=1e-5, atol=1e-6, grad_fn=True, grads=1):
    """call(F, *args) in adc and torch: equal values, dtypes, grad_fn names and gradients (of
    the first `grads` arguments) of a random projection of the output."""
    ours_in, theirs_in = _lib_args(adc, args, grads), _lib_args(torch, args, grads)
    ours, theirs = call(F, *ours_in), call(TF, *theirs_in)
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=rtol,
                               atol=atol)
    assert str(ours.dtype) == str(theirs.dtype)
    if theirs.grad_fn is None:
        return
    if grad_fn:
        assert ours.grad_fn.name() == theirs.grad_fn.name()
    ct = R.standard_normal(theirs.shape).astype(np.float32)
    (ours * adc.tensor(ct)).sum().backward()
    (theirs * torch.tensor(ct)).sum().backward()
    for a, t in zip(ours_in, theirs_in):
        if isinstance(t, torch.Tensor) and t.grad is not None:
            np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), rtol=rtol * 10,
                                       atol=atol * 10)


ACTIVATIONS = {
    "relu": lambda f, x: f.relu(x),
    "leaky_relu": lambda f, x: f.leaky_relu(x, 0.2),
    "elu": lambda f, x: f.elu(x, alpha=0.7),
    "gelu_tanh": lambda f, x: f.gelu(x, approximate="tanh"),
    "silu": lambda f, x: f.silu(x),
    "softplus": lambda f, x: f.softplus(x),
    "softplus_beta": lambda f, x: f.softplus(x, beta=2.0, threshold=3.0),
    "tanh": lambda f, x: f.tanh(x),
    "sigmoid": lambda f, x: f.sigmoid(x),
    "softmax": lambda f, x: f.softmax(x, dim=1),
    "log_softmax": lambda f, x: f.log_softmax(x, -1),
    "softmax_dtype": lambda f, x: f.softmax(x, 0, dtype=adc.float64 if f is F else
                                            torch.float64),
}


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_activations_match_torch(name):
    compare(ACTIVATIONS[name], X)


@pytest.mark.skipif(not hasattr(adc.numpy, "erf"), reason="needs adc.numpy.erf (branch tfuncs)")
def test_gelu_exact_matches_torch():
    compare(lambda f, x: f.gelu(x), X)


def test_activation_errors_and_inplace_match_torch():
    ints = adc.tensor([1, -2])
    for fn, kernel in [(F.gelu, "GeluKernelImpl"), (F.elu, "elu_cpu"), (F.silu, "silu_cpu"),
                       (F.leaky_relu, "leaky_relu_cpu"), (F.softplus, "softplus_cpu")]:
        with pytest.raises(NotImplementedError, match=f'"{kernel}" not implemented for '
                                                      "'Long'"):
            fn(ints)
    assert F.relu(ints).tolist() == [1, 0]
    with pytest.raises(RuntimeError, match="approximate argument"):
        F.gelu(adc.tensor([1.0]), approximate="exact")
    x = adc.tensor([-1.0, 2.0])
    assert F.leaky_relu(x, 0.5, inplace=True) is x and x.tolist() == [-0.5, 2.0]
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax") as seen:
        ours = F.softmax(adc.tensor(X))
    with pytest.warns(UserWarning, match="Implicit dimension choice for log_softmax") as seen2:
        adc.nn.LogSoftmax()(adc.tensor(X))
    assert seen[0].filename == seen2[0].filename == __file__  # the caller's line, as torch
    with pytest.warns(UserWarning):
        theirs = TF.softmax(torch.tensor(X))
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


LOSSES = {
    "mse": lambda f, x, p: f.mse_loss(x, p),
    "mse_sum": lambda f, x, p: f.mse_loss(x, p, reduction="sum"),
    "mse_none": lambda f, x, p: f.mse_loss(x, p, reduction="none"),
    "mse_weight": lambda f, x, p: f.mse_loss(x, p, weight=p * 2),
    "l1": lambda f, x, p: f.l1_loss(x, p),
    "l1_none": lambda f, x, p: f.l1_loss(x, p, reduction="none"),
    "smooth_l1": lambda f, x, p: f.smooth_l1_loss(x, p * 4, beta=0.5),
    "bce": lambda f, x, p: f.binary_cross_entropy(f.sigmoid(x), p),
    "bce_weight_sum": lambda f, x, p: f.binary_cross_entropy(f.sigmoid(x), p, weight=p[0],
                                                             reduction="sum"),
    "bce_logits": lambda f, x, p: f.binary_cross_entropy_with_logits(x, p),
    "bce_logits_pos": lambda f, x, p: f.binary_cross_entropy_with_logits(
        x, p, weight=p, pos_weight=p[0] * 3, reduction="none"),
    "cross_entropy_probs": lambda f, x, p: f.cross_entropy(x, f.softmax(p, 1)),
    "cross_entropy_probs_smooth_weight": lambda f, x, p: f.cross_entropy(
        x, f.softmax(p, 1), weight=p[0], label_smoothing=0.2, reduction="sum"),
}


@pytest.mark.parametrize("name", list(LOSSES))
def test_pointwise_losses_match_torch(name):
    compare(LOSSES[name], X, P, grad_fn=not name.startswith("cross_entropy_probs"))


CLASS_LOSSES = {
    "cross_entropy": {},
    "weight": {"weight": "w"},
    "ignore": {"ignore_index": 3},
    "ignore_weight_sum": {"ignore_index": 3, "weight": "w", "reduction": "sum"},
    "none": {"reduction": "none", "weight": "w"},
    "smoothing": {"label_smoothing": 0.1},
    "smoothing_weight_ignore": {"label_smoothing": 0.3, "weight": "w", "ignore_index": 0},
    "smoothing_none": {"label_smoothing": 0.3, "reduction": "none", "ignore_index": 0},
}


@pytest.mark.parametrize("loss,name", [("cross_entropy", n) for n in CLASS_LOSSES] + [
    ("nll_loss", n) for n, kw in CLASS_LOSSES.items() if "label_smoothing" not in kw])
def test_class_index_losses_match_torch(loss, name):
    kw = dict(CLASS_LOSSES[name])
    w = P[1] + 0.5

    def call(f, x, t, w):
        k = {**kw, **({"weight": w} if "weight" in kw else {})}
        return getattr(f, loss)(x, t, **k)
    compare(call, X, LABELS, w, grad_fn="label_smoothing" not in kw)


def test_class_losses_on_spatial_and_unbatched_inputs():
    t = R.integers(0, 4, (3, 2, 2))
    compare(lambda f, x, t: f.cross_entropy(x, t, label_smoothing=0.1), X4, t)
    compare(lambda f, x, t: f.nll_loss(x, t, reduction="sum"), X4, t)
    compare(lambda f, x, t: f.nll_loss(x, t, reduction="none"), X4[..., 0], t[..., 0],
            grad_fn=False)
    compare(lambda f, x, t: f.cross_entropy(x, t), X[0], np.array(2))


def _raises_like_torch(call, *args):
    """call(F, ...) and call(torch's F, ...) raise the same exception type and message."""
    with pytest.raises(Exception) as theirs:
        call(TF, *_lib_args(torch, args))
    with pytest.raises(type(theirs.value), match=re.escape(str(theirs.value))):
        call(F, *_lib_args(adc, args))


@pytest.mark.parametrize("call,args", [
    (lambda f, x, t: f.nll_loss(x, t), (X, np.array([0, 5, 1, 1]))),
    (lambda f, x, t: f.cross_entropy(x, t), (X, np.array([0, 1]))),
    (lambda f, x, t: f.cross_entropy(x, t), (X4, np.array([0, 1, 2]))),
    (lambda f, x, t: f.cross_entropy(x, t), (X4, np.zeros((3, 1, 2), np.int64))),
    (lambda f, x, t: f.nll_loss(x, t), (X4[..., 0], np.zeros((3, 1), np.int64))),
    (lambda f, x, t: f.cross_entropy(x, t), (X, LABELS.astype(np.float32))),
    (lambda f, x, t: f.cross_entropy(x, t), (X, LABELS.astype(np.int32))),
    (lambda f, x, t: f.cross_entropy(x, t, weight=x[0, :3].detach()), (X, LABELS)),
    (lambda f, x, t: f.cross_entropy(x, t, label_smoothing=1.5), (X, LABELS)),
    (lambda f, x, t: f.nll_loss(x, t, reduction="bad"), (X, LABELS)),
    (lambda f, x, t: f.mse_loss(x, t, weight=t[0]), (X, P)),
    (lambda f, x, t: f.binary_cross_entropy(x, t), (X, P)),
    (lambda f, x, t: f.binary_cross_entropy(x, t), (P, P[:2])),
    (lambda f, x, t: f.binary_cross_entropy_with_logits(x, t), (X, P[:2])),
    (lambda f, x, t: f.mse_loss(x, t), (LABELS, LABELS)),
])
def test_loss_errors_match_torch(call, args):
    _raises_like_torch(call, *args)


def test_mse_broadcast_warns_and_legacy_reduction():
    with pytest.warns(UserWarning, match="different to the input size"):
        ours = F.mse_loss(adc.tensor(X), adc.tensor(P[:1]))
    with pytest.warns(UserWarning):
        theirs = TF.mse_loss(torch.tensor(X), torch.tensor(P[:1]))
    np.testing.assert_allclose(ours.item(), theirs.item(), rtol=1e-6)
    with pytest.warns(UserWarning, match="size_average and reduce"):
        assert F.l1_loss(adc.tensor(X), adc.tensor(P), size_average=False).shape == ()


NORMS = {  # name: (call, shape of weight and bias)
    "layer_norm": (lambda f, x, w, b: f.layer_norm(x, (2, 2), w, b, eps=1e-3), (2, 2)),
    "layer_norm_plain": (lambda f, x, w, b: f.layer_norm(x, [2]), (2,)),
    "group_norm": (lambda f, x, w, b: f.group_norm(x, 2, w, b), (4,)),
    "batch_norm_batch": (lambda f, x, w, b: f.batch_norm(x, None, None, w, b, training=True),
                         (4,)),
}


@pytest.mark.parametrize("name", list(NORMS))
def test_norms_match_torch(name):
    call, shape = NORMS[name]
    w = R.standard_normal(shape).astype(np.float32)
    compare(call, X4, w + 1, w * 0.5, rtol=1e-4, atol=1e-5, grads=3)


def test_batch_norm_running_statistics_match_torch():
    def run(lib, f, x):
        mean, var = lib.zeros(4), lib.ones(4)
        outs = [f.batch_norm(x, mean, var, training=True, momentum=0.3),
                f.batch_norm(x * 2, mean, var, training=True, momentum=0.3),
                f.batch_norm(x, mean, var, training=False)]
        return [o.detach().numpy() for o in outs] + [mean.numpy(), var.numpy()]
    x = R.standard_normal((5, 4, 3)).astype(np.float32)
    for a, t in zip(run(adc, F, adc.tensor(x)), run(torch, TF, torch.tensor(x))):
        np.testing.assert_allclose(a, t, rtol=1e-5, atol=1e-6)
    _raises_like_torch(lambda f, x: f.batch_norm(x, None, None), X)
    _raises_like_torch(lambda f, x: f.batch_norm(x[:1], None, None, training=True), X)
    _raises_like_torch(lambda f, x: f.batch_norm(x, x[0, :3], x[0, :3], training=True), X)
    _raises_like_torch(lambda f, x: f.layer_norm(x, (4,)), X)
    _raises_like_torch(lambda f, x: f.group_norm(x, 3), X4)


def test_dropout_masks_from_adc_generator():
    x = adc.ones(200, 10, requires_grad=True)
    adc.manual_seed(0)
    y = F.dropout(x, 0.25)
    adc.manual_seed(0)
    assert np.array_equal(F.dropout(x, 0.25).detach().numpy(), y.detach().numpy())
    kept = y.detach().numpy() != 0
    assert set(np.unique(y.detach().numpy())) == {0.0, np.float32(1 / 0.75)}
    assert 0.65 < kept.mean() < 0.85
    assert y.grad_fn.name() == "MulBackward0"
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), y.detach().numpy())
    assert not np.array_equal(F.dropout(x, 0.25).detach().numpy(), y.detach().numpy())
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 1.0).detach().numpy().sum() == 0
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1"):
        F.dropout(x, 1.5)
    z = F.dropout2d(adc.ones(8, 6, 3, 3), 0.5).numpy()
    assert all(len(np.unique(z[n, c])) == 1 for n in range(8) for c in range(6))
    with pytest.warns(UserWarning, match="Received a 3D input"):
        F.dropout2d(adc.ones(2, 3, 4))


def test_dropout_on_traced_values_takes_explicit_randomness():
    x = np.ones((3, 4))

    def loss(x, u):
        return adc.numpy.sum(F.dropout(x, 0.5, uniform=u) * 3.0)
    u = np.array([[0.1, 0.7, 0.2, 0.9]] * 3)
    g = adc.grad(loss)(x, u)
    np.testing.assert_allclose(g, np.where(u < 0.5, 6.0, 0.0))
    g2 = adc.grad(loss)(x, 1 - u)  # the same compiled function, a different mask
    np.testing.assert_allclose(g2, np.where(1 - u < 0.5, 6.0, 0.0))
    with pytest.raises(adc.UnsupportedError, match="uniform="):
        adc.grad(lambda x: adc.numpy.sum(F.dropout(x, 0.5)))(x)
    with pytest.raises(adc.ShapeError, match="uniform has shape"):
        F.dropout(adc.tensor(x), 0.5, uniform=u[:1])


def test_functional_on_traced_values_matches_tensors():
    t = LABELS

    def f(x):
        h = F.layer_norm(F.gelu(x, approximate="tanh"), (5,))
        return F.cross_entropy(F.leaky_relu(h, 0.1), t, label_smoothing=0.1) + F.mse_loss(
            F.silu(x), np.asarray(P, np.float64))
    x64 = X.astype(np.float64)
    g = adc.grad(f)(x64)
    xt = adc.tensor(x64, requires_grad=True)
    hh = F.layer_norm(F.gelu(xt, approximate="tanh"), (5,))
    loss = F.cross_entropy(F.leaky_relu(hh, 0.1), adc.tensor(t), label_smoothing=0.1) + \
        F.mse_loss(F.silu(xt), adc.tensor(P.astype(np.float64)))
    loss.backward()
    np.testing.assert_allclose(g, xt.grad.numpy(), rtol=1e-10)
    with pytest.raises(adc.UnsupportedError, match="running_mean"):
        adc.grad(lambda x: adc.numpy.sum(F.batch_norm(x, np.zeros(5), np.ones(5),
                                                      training=True)))(x64)


PADS = {
    "constant": lambda f, x: f.pad(x, (1, 2, 0, 1), value=0.5),
    "constant_crop": lambda f, x: f.pad(x, (-1, 2)),
    "reflect": lambda f, x: f.pad(x, (1, 1, 1, 0), mode="reflect"),
    "replicate": lambda f, x: f.pad(x[0], (2, 1), mode="replicate"),
    "circular": lambda f, x: f.pad(x, (1, 2, 2, 1), mode="circular"),
}


@pytest.mark.parametrize("name", list(PADS))
def test_pad_matches_torch(name):
    compare(PADS[name], X4, grad_fn=name != "circular")  # torch's circular: CopySlices


@pytest.mark.parametrize("call", [
    lambda f, x: f.pad(x, (1, 1, 1)), lambda f, x: f.pad(x, (1,) * 10),
    lambda f, x: f.pad(x, (1, 1), mode="bad"), lambda f, x: f.pad(x[0, 0, 0], (1, 1), "reflect"),
    lambda f, x: f.pad(x, (2, 2), mode="reflect"), lambda f, x: f.pad(x, (3, 3), "circular"),
])
def test_pad_errors_match_torch(call):
    _raises_like_torch(call, X4)


def test_linear_embedding_one_hot_match_torch():
    w, b = R.standard_normal((3, 5)).astype(np.float32), R.standard_normal(3).astype(np.float32)
    compare(lambda f, x, w, b: f.linear(x, w, b), X, w, b, grad_fn=False, grads=3)
    compare(lambda f, x, w: f.linear(x, w), X4[..., :1, :], w[:, :2], grad_fn=False, grads=2)
    idx = np.array([[0, 2], [2, 3]])
    compare(lambda f, w, i: f.embedding(i, w), X, idx)
    compare(lambda f, w, i: f.embedding(i, w, padding_idx=2), X, idx)
    ours = F.one_hot(adc.tensor([0, 3, 1]))
    assert ours.dtype == adc.int64 and ours.tolist() == TF.one_hot(torch.tensor([0, 3, 1])).tolist()
    assert F.one_hot(adc.tensor([1]), 4).tolist() == [[0, 1, 0, 0]]
    for args in [(np.array([1.0]),), (np.array([1, -1]),), (np.array([1, 3]), 2),
                 (np.array([], np.int64),)]:
        _raises_like_torch(lambda f, *a: f.one_hot(*a), *args)
    for i in [np.array([0.0]), np.array([5])]:
        _raises_like_torch(lambda f, i, w: f.embedding(i, w), i, X)
    np.testing.assert_array_equal(adc.jit(lambda t: F.one_hot(t, 4))(np.array([2, 0])),
                                  [[0, 0, 1, 0], [1, 0, 0, 0]])


def test_binary_cross_entropy_clamps_log_at_minus_100_as_torch():
    x, t = np.array([0.0, 1.0, 0.5], np.float32), np.array([1.0, 0.0, 1.0], np.float32)
    xt = adc.tensor(x, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no log(0) on the way
        ours = F.binary_cross_entropy(xt, adc.tensor(t), reduction="none")
        ours.sum().backward()
    theirs = TF.binary_cross_entropy(torch.tensor(x), torch.tensor(t), reduction="none")
    np.testing.assert_allclose(ours.detach().numpy(), theirs.numpy(), rtol=1e-6)
    assert ours.detach().numpy()[0] == 100.0
    # where the log is clamped the gradient is 0 (torch: (x - t) / 1e-12, its clamped
    # denominator); elsewhere torch's -1 / x
    np.testing.assert_allclose(xt.grad.numpy(), [0.0, 0.0, -2.0])


def test_alpha_dropout_matches_torch_on_torch_mask():
    x = np.random.default_rng(2).standard_normal((50, 40)).astype(np.float32)
    theirs = TF.alpha_dropout(torch.tensor(x), 0.3, training=True).numpy()
    alpha = 1.7580993408473766
    a = 1 / np.sqrt((alpha ** 2 * 0.3 + 1) * 0.7)
    dropped = np.isclose(theirs, -alpha * a + alpha * a * 0.3)
    u = np.where(dropped, 0.99, 0.0)
    xt = adc.tensor(x, requires_grad=True)
    ours = F.alpha_dropout(xt, 0.3, training=True, uniform=u)
    np.testing.assert_allclose(ours.detach().numpy(), theirs, rtol=1e-5, atol=1e-6)
    assert ours.grad_fn.name() == "AddBackward0"
    ours.sum().backward()
    np.testing.assert_allclose(xt.grad.numpy(), np.where(dropped, 0, a), rtol=1e-6)
    assert F.alpha_dropout(xt, 0.3) is xt  # training=False by default, as torch
    assert not F.alpha_dropout(xt, 1.0, training=True).detach().numpy().any()
    big = F.alpha_dropout(adc.randn(400, 400), 0.2, training=True).numpy()
    assert abs(big.mean()) < 0.02 and abs(big.std() - 1) < 0.02
