"""numpy's joining, splitting and rearranging functions (adc/numpy/joining.py), called as plain
numpy on traced values: values, shapes and dtypes against numpy itself, gradients against
finite differences, numpy's errors; adc.numpy.r_/c_ on traced values."""
from __future__ import annotations

import numpy as np
import pytest

import adc
import adc.numpy as anp

RNG = np.random.default_rng(5)
A, B = RNG.standard_normal((2, 3)), RNG.standard_normal((2, 3))
V, W = RNG.standard_normal(3), RNG.standard_normal(4)
T = RNG.standard_normal((2, 3, 4))

# name: (function of numpy arrays returning an array or a list of them, its inputs)
CASES = {
    "atleast_1d": (lambda x: np.atleast_1d(x[0, 0]), [A]),
    "atleast_2d": (lambda x, v: np.atleast_2d(v, x)[0], [A, V]),
    "atleast_3d_vector": (np.atleast_3d, [V]),
    "atleast_3d_matrix": (np.atleast_3d, [A]),
    "vstack": (lambda x, v: np.vstack([x, v, v]), [A, V]),
    "row_stack": (lambda x, y: anp.row_stack((x, y)), [A, B]),
    "hstack": (lambda x, y: np.hstack([x, y]), [A, B]),
    "hstack_vectors": (lambda v, w: np.hstack((v, w, v[0])), [V, W]),
    "dstack": (lambda x, y: np.dstack([x, y]), [A, B]),
    "dstack_vectors": (lambda v: np.dstack([v, v]), [V]),
    "column_stack": (lambda x, v, w: np.column_stack([x.T, v[:3], w[:3]]), [A, V, W]),
    "append_flat": (lambda x, v: np.append(x, v), [A, V]),
    "append_axis": (lambda x, y: np.append(x, y, axis=1), [A, B]),
    "split": (lambda t: np.split(t, 2, axis=-1), [T]),
    "split_indices": (lambda t: np.split(t, [1, -1, 10], axis=2), [T]),
    "array_split": (lambda t: np.array_split(t, 3, axis=2), [T]),
    "array_split_flat": (lambda w: np.array_split(w, 3), [W]),
    "hsplit": (lambda t: np.hsplit(t, [1]), [T]),
    "hsplit_vector": (lambda w: np.hsplit(w, 2), [W]),
    "vsplit": (lambda t: np.vsplit(t, 2), [T]),
    "dsplit": (lambda t: np.dsplit(t, [3]), [T]),
    "roll_flat": (lambda x: np.roll(x, 2), [A]),
    "roll_axes": (lambda t: np.roll(t, (1, -5, 2), axis=(0, 2, 2)), [T]),
    "rollaxis": (lambda t: np.rollaxis(t, 2), [T]),
    "rollaxis_start": (lambda t: np.rollaxis(t, 0, 3), [T]),
    "rot90": (np.rot90, [A]),
    "rot90_k3_axes": (lambda t: np.rot90(t, -1, axes=(2, 0)), [T]),
    "rot90_k2": (lambda t: np.rot90(t, 2, axes=(1, 2)), [T]),
    "flipud": (np.flipud, [T]),
    "fliplr": (np.fliplr, [A]),
    "diff": (np.diff, [T]),
    "diff_n2_axis0": (lambda t: np.diff(t, 2, axis=1), [T]),
    "diff_prepend_append": (lambda x, v: np.diff(x, prepend=1.5, append=x[:, :1] * v[0]),
                            [A, V]),
    "kron": (np.kron, [A, B]),
    "kron_ranks": (lambda x, t: np.kron(x, t[0, :2]), [V, T]),
    "cross": (np.cross, [A, B]),
    "cross_axes": (lambda t: np.cross(t[:, :, :3], t[:, :, 1:], axisa=1, axisb=2, axisc=0),
                   [T]),
    "cross_broadcast": (lambda x, v: np.cross(x, v), [A, V]),
    "select": (lambda x, y: np.select([x > 0.5, y > 0, x < y], [x, y * x, 2.0], -1.0),
               [A, B]),
}


def _list(out):
    return list(out) if isinstance(out, (list, tuple)) else [out]


@pytest.mark.parametrize("name", sorted(CASES))
def test_values_shapes_and_dtypes_match_numpy(name):
    fn, args = CASES[name]
    expected = _list(fn(*args))
    got = _list(adc.jit(fn, backend="numpy")(*args))
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        assert g.shape == e.shape and g.dtype == e.dtype
        np.testing.assert_array_equal(g, e)


@pytest.mark.parametrize("name", sorted(CASES))
def test_gradients_match_finite_differences(name):
    fn, args = CASES[name]

    def total(*xs):
        return sum(anp.sum(o * o) for o in _list(fn(*xs)))
    adc.check_grad(total, *args, argnums=tuple(range(len(args))), torch=False,
                   backend="numpy")


def test_integer_and_bool_inputs_keep_numpy_dtypes():
    ints, bools = np.arange(6).reshape(2, 3), np.array([[True, False, False], [True, True, False]])
    for fn, x in [(np.diff, ints), (np.diff, bools), (lambda a: np.hstack([a, a]), bools),
                  (lambda a: np.kron(a, a), ints), (lambda a: np.roll(a, 1, 1), bools),
                  (lambda a: np.cross(a, a[::-1]), ints), (lambda a: np.append(a, 2.5), ints)]:
        expected, got = fn(x), adc.jit(fn, backend="numpy")(x)
        assert got.dtype == expected.dtype
        np.testing.assert_array_equal(got, expected)


def test_compiled_backends_match_numpy():
    def f(t, x):
        parts = np.array_split(t, 3, axis=2)
        return (np.rot90(np.vstack([parts[0][0].T, x]), 1) * 2.0, np.diff(np.roll(t, 2, 1), 1, 0),
                np.kron(x, parts[1][1]), np.cross(x, x[::-1] + 1.0))
    expected = f(T, A)
    for backend in ("cpu", "cuda"):
        for g, e in zip(adc.jit(f, backend=backend)(T, A), expected):
            np.testing.assert_allclose(g, e, rtol=1e-13)


def test_index_tricks_r_and_c_on_traced_values():
    def f(v, w):
        return anp.r_[v, 1.0, w[:2], 0:3], anp.c_[v, w[:3]], anp.c_[v, w[1:]]
    for g, e in zip(adc.jit(f)(V, W), (np.r_[V, 1.0, W[:2], 0:3], np.c_[V, W[:3]],
                                       np.c_[V, W[1:]])):
        np.testing.assert_array_equal(g, e)
    np.testing.assert_array_equal(anp.r_[1:2:3j, V], np.r_[1:2:3j, V])
    with pytest.raises(adc.UnsupportedError, match="string directives"):
        anp.r_["0,2", V]


@pytest.mark.parametrize("call,error,match", [
    (lambda x: np.split(x, 4, axis=1), ValueError, "equal division"),
    (lambda x: np.vsplit(x[0], 2), ValueError, "2 or more dimensions"),
    (lambda x: np.rot90(x, 1, (1, 1)), ValueError, "Axes must be different"),
    (lambda x: np.cross(x[:, :2], x[:, :2]), adc.UnsupportedError, "3-vectors"),
    (lambda x: np.select([x > 0], [x, x]), ValueError, "same length"),
    (lambda x: np.select([x], [x]), TypeError, "boolean"),
    (lambda x: np.diff(x, -1), ValueError, "non-negative"),
])
def test_numpys_errors(call, error, match):
    with pytest.raises(error, match=match):
        adc.jit(call)(A)


@pytest.mark.parametrize("backend", ["numpy", "cpu"])
@pytest.mark.parametrize("mode", ["edge", "wrap", "reflect", "symmetric"])
def test_pad_modes_are_numpys_with_gradients(mode, backend):
    x = np.arange(1.0, 7.0) / 3
    for width in [2, (1, 3), (7, 13), 0, ((0, 5), (2, 0))]:
        for shape in [(6,), (2, 3), (1, 6)]:
            if np.ndim(width) == 2 and len(shape) != 2:
                continue
            fn = lambda x, shape=shape, width=width: np.pad(x.reshape(shape), width, mode=mode)  # noqa: E731
            np.testing.assert_array_equal(adc.jit(fn, backend=backend)(x), fn(x))
    weights = np.arange(90.0).reshape(9, 10)
    adc.check_grad(lambda x: np.sum(np.pad(x.reshape(2, 3), (3, 4), mode=mode) * weights), x,
                   torch=False, backend=backend)


def test_pad_refuses_other_modes_and_empty_axes_as_numpy():
    with pytest.raises(adc.UnsupportedError, match="mode='mean'; adc supports"):
        adc.jit(lambda x: np.pad(x, 1, mode="mean"))(np.ones(3))
    with pytest.raises(ValueError, match="can't extend empty axis"):
        adc.jit(lambda x: np.pad(x[:0], 1, mode="edge"))(np.ones(3))
