"""User mistakes surface as the right `adc.AdcError` subclass, with a message that names the
operation, the shapes/dtypes involved, the user's own source line and a fix."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import adc
import adc.numpy as anp

ROOT = str(Path(__file__).resolve().parents[2])


def _exception(fn, *args):
    try:
        fn(*args)
    except Exception as e:  # noqa: BLE001 - the caller checks its type
        return e
    raise AssertionError("no exception raised")


def _raises(exc, fn, *args, **kwargs) -> str:
    with pytest.raises(exc) as info:
        fn(*args, **kwargs)
    assert isinstance(info.value, adc.AdcError)
    return str(info.value)


def test_error_hierarchy():
    for cls in (adc.TraceError, adc.ShapeError, adc.UnsupportedError, adc.GradientError,
                adc.ArgumentError):
        assert issubclass(cls, adc.AdcError)
    assert issubclass(adc.AdcError, Exception)


# ---- data-dependent Python control flow ----

def _branchy(x):
    if anp.sum(x) > 0:  # the user's offending line
        return anp.sum(x * x)
    return anp.sum(x)


@pytest.mark.parametrize("transform", [adc.grad, adc.jit, adc.value_and_grad])
def test_python_if_on_traced_value(transform):
    msg = _raises(adc.TraceError, transform(_branchy), np.ones(3))
    assert "if anp.sum(x) > 0:" in msg  # the user's source line text
    assert "test_errors.py" in msg
    assert "where" in msg


def test_python_while_and_conversions_on_traced_value():
    def loop(x):
        while anp.max(x) < 10.0:
            x = x * 2.0
        return anp.sum(x)

    msg = _raises(adc.TraceError, adc.grad(loop), np.ones(2))
    assert "while anp.max(x) < 10.0:" in msg and "where" in msg

    def to_float(x):
        return float(anp.sum(x)) * anp.sum(x)

    msg = _raises(adc.TraceError, adc.grad(to_float), np.ones(2))
    assert "float()" in msg and "return float(anp.sum(x)) * anp.sum(x)" in msg

    def to_numpy(x):
        return np.asarray(x) * 2.0

    msg = _raises(adc.TraceError, adc.jit(to_numpy), np.ones(2))
    assert "np.asarray(x) * 2.0" in msg


def test_traced_value_escaping_its_trace():
    leaked = []

    def f(x):
        leaked.append(x * 2.0)
        return anp.sum(x)

    adc.grad(f)(np.ones(2))
    msg = _raises(adc.TraceError, adc.jit(lambda y: y + leaked[0]), np.ones(2))
    assert "escaped" in msg and "leaked[0]" in msg


# ---- shapes ----

def test_shape_mismatch_names_both_shapes_and_the_op():
    def f(x, y):
        return anp.sum(x + y)

    msg = _raises(adc.ShapeError, adc.grad(f), np.ones(3), np.ones(4))
    assert "(3,)" in msg and "(4,)" in msg
    assert "add" in msg
    assert "return anp.sum(x + y)" in msg
    # plain numpy names the same mistake as a ValueError; so does adc
    with pytest.raises(ValueError):
        adc.jit(f)(np.ones(3), np.ones(4))


def test_shape_mismatch_in_multiply_2d():
    msg = _raises(adc.ShapeError, adc.jit(lambda x, y: x * y), np.ones((2, 3)), np.ones((3, 2)))
    assert "(2, 3)" in msg and "(3, 2)" in msg and "mul" in msg


def test_reshape_to_incompatible_shape():
    def f(x):
        return anp.sum(x.reshape(4, 2))

    msg = _raises(adc.ShapeError, adc.grad(f), np.ones(6))
    assert "reshape" in msg and "(6,)" in msg and "(4, 2)" in msg
    assert "x.reshape(4, 2)" in msg
    msg = _raises(adc.ShapeError, adc.jit(lambda x: anp.reshape(x, (-1, 4))), np.ones(6))
    assert "reshape" in msg and "(6,)" in msg


def test_matmul_misaligned():
    def f(x):
        return anp.sum(x @ np.ones((4, 2)))

    msg = _raises(adc.ShapeError, adc.grad(f), np.ones((2, 3)))
    assert "matmul" in msg and "(2, 3)" in msg and "(4, 2)" in msg
    assert "x @ np.ones((4, 2))" in msg
    msg = _raises(adc.ShapeError, adc.jit(anp.matmul), np.ones(3), np.ones(4))
    assert "matmul" in msg


def test_matmul_misaligned_names_the_users_shapes():
    """A 1-d operand is reported as the user wrote it, not as the (20, 1) matrix it becomes."""
    X = np.ones((100, 21))
    msg = _raises(adc.ShapeError, adc.grad(lambda w: anp.sum(X @ w)), np.ones(20))
    assert "(100, 21) and (20,)" in msg and "(20, 1)" not in msg
    msg = _raises(adc.ShapeError, adc.grad(lambda v: anp.sum(v @ X)), np.ones(20))
    assert "(20,) and (100, 21)" in msg and "(1, 20)" not in msg


def test_matmul_message_names_the_op_once():
    msg = _raises(adc.ShapeError, adc.jit(lambda x: x @ np.ones((4, 2))), np.ones((2, 3)))
    assert "matmul: matmul:" not in msg


def test_index_out_of_bounds():
    msg = _raises(adc.ShapeError, adc.grad(lambda x: x[5]), np.ones(3))
    assert "5" in msg and "out of bounds" in msg and "size 3" in msg and "x[5]" in msg
    msg = _raises(adc.ShapeError, adc.jit(lambda x: x[:, -4]), np.ones((2, 3)))
    assert "-4" in msg and "axis 1" in msg
    msg = _raises(adc.ShapeError, adc.jit(lambda x: x[np.array([0, 7])]), np.ones(3))
    assert "7" in msg and "out of bounds" in msg
    msg = _raises(adc.ShapeError, adc.jit(lambda x: x[0, 0, 0]), np.ones((2, 3)))
    assert "too many indices" in msg


@pytest.mark.parametrize("backend", [
    "numpy",
    "cpu",
])
@pytest.mark.parametrize("i", [3, 7])
def test_traced_index_out_of_bounds_raises(backend, i):
    f = adc.jit(lambda x, i: x[i] * 2.0, backend=backend)
    with pytest.raises((IndexError, adc.AdcError)):
        f(np.ones(3), np.int64(i))


@pytest.mark.parametrize("backend", ["numpy", "cpu"])
def test_traced_negative_index_out_of_bounds_raises(backend):
    f = adc.jit(lambda x, i: x[i] * 2.0, backend=backend)
    with pytest.raises((IndexError, adc.AdcError)):
        f(np.array([1.0, 2.0, 3.0]), np.int64(-4))


def test_axis_out_of_bounds():
    msg = _raises(adc.ShapeError, adc.jit(lambda x: anp.sum(x, axis=2)), np.ones((2, 3)))
    assert "axis 2" in msg and "sum" in msg


def test_vjp_seed_with_wrong_shape():
    out, vjp_fn = adc.vjp(lambda x: x * 2.0, np.ones(3))
    msg = _raises(adc.ShapeError, vjp_fn, np.ones(4))
    assert "(4,)" in msg and "(3,)" in msg and "seed" in msg
    msg = _raises(adc.ShapeError, vjp_fn, (np.ones(3), np.ones(3)))
    assert "structure" in msg


def test_vjp_seed_with_wrong_structure_for_tuple_output():
    out, vjp_fn = adc.vjp(lambda x: (x * 2.0, anp.sum(x)), np.ones(3))
    _raises(adc.ShapeError, vjp_fn, np.ones(3))
    msg = _raises(adc.ShapeError, vjp_fn, (np.ones(3), np.ones(2)))
    assert "(2,)" in msg and "()" in msg


# ---- gradients ----

def test_non_scalar_output_to_grad():
    msg = _raises(adc.GradientError, adc.grad(lambda x: x * 2.0), np.ones(3))
    assert "scalar" in msg and "(3,)" in msg
    assert "vjp" in msg or "sum" in msg


def test_tuple_output_to_grad_without_has_aux():
    msg = _raises(adc.GradientError, adc.grad(lambda x: (anp.sum(x), x)), np.ones(3))
    assert "has_aux" in msg and "scalar" in msg


def test_has_aux_with_wrong_structure():
    msg = _raises(adc.GradientError, adc.grad(lambda x: anp.sum(x), has_aux=True), np.ones(3))
    assert "has_aux" in msg and "aux" in msg


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.bool_])
def test_gradient_of_non_float_argument(dtype):
    msg = _raises(adc.GradientError, adc.grad(lambda x: anp.sum(x * 2.0)),
                  np.ones(3, dtype))
    assert np.dtype(dtype).name in msg
    assert "float" in msg


def test_gradient_of_int_among_argnums():
    f = adc.grad(lambda x, n: anp.sum(x * n), argnums=(0, 1))
    msg = _raises(adc.GradientError, f, np.ones(3), np.arange(3))
    assert "argument 1" in msg and "int64" in msg
    msg = _raises(adc.GradientError, f, np.ones(3), 3)
    assert "argument 1 is an integer scalar (a Python int" in msg and "3.0" in msg
    msg = _raises(adc.GradientError, adc.vjp, lambda n: n * 2, np.arange(3))
    assert "int64" in msg


def test_integer_output_to_grad():
    msg = _raises(adc.GradientError, adc.grad(lambda x: anp.sum(x > 0)), np.ones(3))
    assert "int64" in msg or "dtype" in msg


def test_argnums_out_of_range():
    f = adc.grad(lambda x, y: anp.sum(x * y), argnums=2)
    msg = _raises(adc.ArgumentError, f, np.ones(3), np.ones(3))
    assert "argnums=2" in msg and "2 positional arguments" in msg
    assert not isinstance(_exception(f, np.ones(3), np.ones(3)), adc.ShapeError)
    f = adc.grad(lambda x, y: anp.sum(x * y), argnums=(0, -3))
    msg = _raises(adc.ArgumentError, f, np.ones(3), np.ones(3))
    assert "argnums" in msg


# ---- unsupported operations and options ----

@pytest.mark.parametrize("name,fn", [
    ("fft", lambda x: anp.sum(np.real(np.fft.fft(x)))),
    ("histogram", lambda x: anp.sum(np.histogram(x)[0] * x)),
    ("nonzero", lambda x: anp.sum(x[np.nonzero(x)])),
    ("unique", lambda x: anp.sum(np.unique(x))),
])
def test_unsupported_numpy_function(name, fn):
    msg = _raises(adc.UnsupportedError, adc.grad(fn), np.arange(1.0, 4.0))
    assert name in msg
    assert "not supported" in msg


def test_unsupported_ufunc_method_and_operator():
    msg = _raises(adc.UnsupportedError, adc.jit(lambda x: np.add.reduceat(x, [0, 2])),
                  np.ones(3))
    assert "np.add.reduceat" in msg
    msg = _raises(adc.UnsupportedError, adc.jit(lambda x: x << 2), np.ones(3))
    assert "lshift" in msg
    msg = _raises(adc.UnsupportedError, adc.jit(lambda x: np.spacing(x)), np.ones(3))
    assert "spacing" in msg


@pytest.mark.parametrize("method", ["nonzero", "fill", "tobytes"])
def test_unsupported_array_method(method):
    msg = _raises(adc.UnsupportedError, adc.jit(lambda x: getattr(x, method)()), np.ones(3))
    assert method in msg


def test_non_array_argument():
    msg = _raises(adc.AdcError, adc.jit(lambda x: x * 2.0), "abc")
    assert "str" in msg


def test_traced_boolean_mask_indexing():
    def f(x):
        return anp.sum(x[x > 0])

    msg = _raises(adc.TraceError, adc.grad(f), np.ones(3))
    assert "mask" in msg and "where" in msg and "x[x > 0]" in msg


def test_constant_boolean_mask_is_fine():
    m = np.array([True, False, True])
    g = adc.grad(lambda x: anp.sum(x[m] ** 2), backend="numpy")(np.array([1.0, 2.0, 3.0]))
    np.testing.assert_allclose(g, [2.0, 0.0, 6.0])


@pytest.mark.parametrize("backend", ["tpu", "Numpy"])
def test_bad_backend_name(backend):
    msg = _raises(adc.UnsupportedError, adc.jit(lambda x: x * 2.0, backend=backend), np.ones(3))
    assert repr(backend) in msg
    assert "numpy" in msg


def test_bad_backend_name_in_grad_and_vjp():
    msg = _raises(adc.UnsupportedError, adc.grad(lambda x: anp.sum(x), backend="gpu"),
                  np.ones(3))
    assert "'gpu'" in msg
    msg = _raises(adc.UnsupportedError, adc.vjp, lambda x: x * 2.0, np.ones(3), backend="gpu")
    assert "'gpu'" in msg


def test_one_argument_where():
    msg = _raises(adc.UnsupportedError, adc.jit(lambda x: anp.where(x > 0)), np.ones(3))
    assert "where" in msg


def test_unhashable_keyword_argument():
    msg = _raises(adc.UnsupportedError, adc.jit(lambda x, w=None: x * 2.0), np.ones(3),
                  w=np.ones(3))
    assert "hashable" in msg


# ---- import hygiene ----

def test_import_adc_does_not_import_torch():
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    code = "import adc, sys; assert 'torch' not in sys.modules, 'torch imported'"
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
