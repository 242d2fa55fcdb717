"""The tensor op table and what adc's tensor functions do on inputs that are not Tensors:
traced arrays inside adc.grad and numpy arrays get adc.numpy's semantics, ops without a
numpy form and Tensors mixed with traced arrays raise adc errors; nn and optim live in
adc.tensors and stay importable as adc.nn / adc.optim."""
import inspect
import subprocess
import sys

import numpy as np
import pytest

import adc
import adc.numpy as anp
from adc.tensors import Tensor
from adc.tensors.dispatch import OPS

X = np.linspace(0.2, 1.4, 12).reshape(3, 4)

# (adc tensor op applied to x, the same computation written with adc.numpy)
PAIRS = {
    "exp": (lambda x: adc.exp(x), lambda x: anp.exp(x)),
    "log": (lambda x: adc.log(x), lambda x: anp.log(x)),
    "tanh": (lambda x: adc.tanh(x), lambda x: anp.tanh(x)),
    "sigmoid": (lambda x: adc.sigmoid(x), lambda x: anp.sigmoid(x)),
    "rsqrt": (lambda x: adc.rsqrt(x), lambda x: 1 / anp.sqrt(x)),
    "square": (lambda x: adc.square(x), lambda x: x * x),
    "add_alpha": (lambda x: adc.add(x, x * x, alpha=2.0), lambda x: x + 2.0 * x * x),
    "sub": (lambda x: adc.sub(x, 1.5), lambda x: x - 1.5),
    "mul": (lambda x: adc.mul(x, x), lambda x: x * x),
    "div": (lambda x: adc.div(1.0, x), lambda x: 1.0 / x),
    "pow": (lambda x: adc.pow(x, 3), lambda x: x ** 3),
    "clamp": (lambda x: adc.clamp(x, 0.5, 1.0), lambda x: anp.clip(x, 0.5, 1.0)),
    "where": (lambda x: adc.where(x > 0.7, x, -x), lambda x: anp.where(x > 0.7, x, -x)),
    "lerp": (lambda x: adc.lerp(x, x * x, 0.25), lambda x: x + 0.25 * (x * x - x)),
    "sum_dim": (lambda x: adc.sum(x, 1), lambda x: anp.sum(x, axis=1)),
    "mean_keepdim": (lambda x: adc.mean(x, 0, keepdim=True),
                     lambda x: anp.mean(x, axis=0, keepdims=True)),
    "prod": (lambda x: adc.prod(x, 1), lambda x: anp.prod(x, axis=1)),
    "var": (lambda x: adc.var(x, 1), lambda x: anp.var(x, axis=1, ddof=1)),
    "std_biased": (lambda x: adc.std(x, unbiased=False), lambda x: anp.std(x)),
    "logsumexp": (lambda x: adc.logsumexp(x, 1), lambda x: anp.logsumexp(x, axis=1)),
    "norm": (lambda x: adc.norm(x, dim=0), lambda x: anp.sqrt(anp.sum(x * x, axis=0))),
    "amax": (lambda x: adc.amax(x, 1), lambda x: anp.max(x, axis=1)),
    "max": (lambda x: adc.max(x), lambda x: anp.max(x)),
    "softmax": (lambda x: adc.softmax(x, 1), lambda x: anp.softmax(x, axis=1)),
    "log_softmax": (lambda x: adc.log_softmax(x, 0), lambda x: anp.log_softmax(x, axis=0)),
    "matmul": (lambda x: adc.matmul(x, adc.t(x)), lambda x: x @ x.T),
    "mm": (lambda x: adc.mm(x, adc.transpose(x, 0, 1)), lambda x: x @ x.T),
    "outer": (lambda x: adc.outer(x[0], x[1]), lambda x: anp.outer(x[0], x[1])),
    "reshape": (lambda x: adc.reshape(x, 2, 6) * anp.arange(6.0),
                lambda x: anp.reshape(x, (2, 6)) * anp.arange(6.0)),
    "flatten_unsqueeze": (lambda x: adc.unsqueeze(adc.flatten(x), 0) * anp.arange(12.0),
                          lambda x: anp.reshape(x, (1, 12)) * anp.arange(12.0)),
    "squeeze": (lambda x: adc.squeeze(adc.reshape(x, 3, 1, 4), 1) * X,
                lambda x: x * X),
    "permute": (lambda x: adc.permute(x, 1, 0) * X.T, lambda x: x.T * X.T),
    "cat": (lambda x: adc.cat([x, adc.exp(x)], 1),
            lambda x: anp.concatenate([x, anp.exp(x)], 1)),
    "stack": (lambda x: adc.stack([x, x * x]), lambda x: anp.stack([x, x * x])),
    "flip": (lambda x: adc.flip(x, [1]) * X, lambda x: anp.flip(x, 1) * X),
    "gather": (lambda x: adc.gather(x, 1, np.array([[0], [3], [1]])),
               lambda x: anp.take_along_axis(x, np.array([[0], [3], [1]]), 1)),
    "index_select": (lambda x: adc.index_select(x, 1, np.array([2, 0, 2])),
                     lambda x: anp.take(x, np.array([2, 0, 2]), axis=1)),
}


@pytest.mark.parametrize("name", sorted(PAIRS))
def test_tensor_ops_on_traced_arrays_match_adc_numpy(name):
    ours, reference = PAIRS[name]
    g = adc.grad(lambda x: adc.sum(ours(x) * ours(x)), backend="numpy")(X)
    expected = adc.grad(lambda x: anp.sum(reference(x) * reference(x)), backend="numpy")(X)
    np.testing.assert_allclose(g, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", sorted(PAIRS))
def test_tensor_ops_on_numpy_arrays_have_numpy_semantics(name):
    ours, reference = PAIRS[name]
    out = ours(X)
    assert isinstance(out, (np.ndarray, np.generic))
    np.testing.assert_allclose(out, reference(X), rtol=1e-12)


@pytest.mark.parametrize("call", [lambda x: adc.topk(x, 2), lambda x: adc.kthvalue(x, 1),
                                  lambda x: adc.nonzero(x), lambda x: adc.max(x, 1)])
def test_op_without_numpy_form_names_it(call):
    with pytest.raises(adc.UnsupportedError, match=r"adc\.(topk|kthvalue|nonzero|max)\b.*adc\.numpy"):
        adc.grad(lambda x: anp.sum(call(x)[0]), backend="numpy")(X)
    with pytest.raises(adc.UnsupportedError):
        call(X)


@pytest.mark.parametrize("mix", [lambda t, x: adc.add(t, x), lambda t, x: adc.cat([t, x]),
                                 lambda t, x: t * x, lambda t, x: t @ x,
                                 lambda t, x: t.gather(0, x), lambda t, x: adc.where(x > 0, t, 0)])
def test_tensor_mixed_with_traced_array_is_a_trace_error(mix):
    t = adc.tensor([1.0, 2.0, 3.0], dtype=adc.float64)
    with pytest.raises(adc.TraceError, match="Tensor and a traced array"):
        adc.grad(lambda x: anp.sum(mix(t, x)), backend="numpy")(np.ones(3))


def test_tensor_inputs_keep_torch_semantics():
    t = adc.tensor([1.0, 2.0], requires_grad=True)
    y = adc.exp(t)
    assert isinstance(y, Tensor) and y.dtype == adc.float32
    assert y.grad_fn.name() == "ExpBackward0"
    assert isinstance(adc.sum(adc.tensor([1, 2])), Tensor)


def test_the_op_table_is_the_only_name_list():
    for o in OPS.values():
        assert (o.name in adc.__all__) == (o.function is True)
        if o.function is True:
            assert getattr(adc, o.name) is o.public is getattr(adc.tensors.ops, o.name)
            assert inspect.signature(o.public) == inspect.signature(o.impl)
        assert (inspect.getattr_static(Tensor, o.name, None) is o.impl) == o.method
        # bernoulli_ is an initializer (p=0.5 by default), like uniform_, not bernoulli in place
        assert hasattr(Tensor, o.name + "_") == (o.inplace or o.name == "bernoulli")
    assert adc.tensors.ops.__all__ == [o.name for o in OPS.values() if o.function is True]
    # aliases share one implementation; method-only and function-only names stay so
    assert Tensor.divide is Tensor.div and adc.true_divide is adc.div
    assert not hasattr(adc, "view") and not hasattr(Tensor, "cat")
    assert Tensor.__iadd__ is not None and not hasattr(Tensor, "__imatmul__")


def test_nn_and_optim_live_in_tensors():
    assert adc.nn is adc.tensors.nn and adc.optim is adc.tensors.optim
    code = ("import adc.nn as nn, adc.optim; from adc.nn import Linear; from adc import optim; "
            "import adc.tensors as T; "
            "assert nn is T.nn and optim is T.optim is adc.optim and Linear is T.nn.Linear")
    subprocess.run([sys.executable, "-c", code], check=True)
