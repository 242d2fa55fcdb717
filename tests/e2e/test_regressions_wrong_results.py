"""Regression tests for compiled code that returned wrong numbers (or crashed) without a clear
error: each case runs on the numpy reference, the cpu backend and the cuda simulator and is
compared with plain numpy (and torch where a gradient convention is involved)."""
from __future__ import annotations

import numpy as np
import pytest

import adc
import adc.numpy as anp
from adc.prims.reduce import reduce_max_p, reduce_min_p, reduce_prod_p, reduce_sum_p
from adc.tracer import bind

BACKENDS = ["numpy", "cpu", "cuda"]
REDUCE_PRIMS = {"sum": reduce_sum_p, "prod": reduce_prod_p, "max": reduce_max_p,
                "min": reduce_min_p}
NP_REDUCE = {"sum": np.sum, "prod": np.prod, "max": np.max, "min": np.min}

# (input shape, reduced axes): every axis of length 1 reduced before, between and after
# varying axes, alone and together with others.
SIZE1_REDUCTIONS = [((1, 4), (0,)), ((4, 1), (1,)), ((2, 1, 4), (1,)), ((1, 3, 4), (0,)),
                    ((1, 3, 4), (0, 2)), ((3, 1, 1, 2), (1, 2)), ((1, 1), (0,)), ((1,), (0,)),
                    ((2, 1, 3), (0, 1)), ((1, 2, 1), (0, 2)), ((3, 1), (0,))]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("kind", sorted(REDUCE_PRIMS))
@pytest.mark.parametrize("shape,axes", SIZE1_REDUCTIONS)
def test_reduction_over_length_one_axes(shape, axes, kind, backend):
    x = np.random.default_rng(0).uniform(0.5, 2, shape)
    got = adc.jit(lambda z: bind(REDUCE_PRIMS[kind], z, axes=axes), backend=backend)(x)
    want = NP_REDUCE[kind](x, axis=axes)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-13)


@pytest.mark.parametrize("backend", BACKENDS)
def test_reduction_over_trailing_length_one_axes_consumed_in_the_nest(backend):
    """The reduced value was read before its (absent) loop ran: -inf for logsumexp."""
    x = np.random.default_rng(3).uniform(-2, 2, (4, 2, 1, 1))
    for f in (lambda x: anp.logsumexp(x, axis=2), lambda x: x - anp.max(x, axis=-1, keepdims=True),
              lambda x: anp.softmax(x, axis=3) * anp.sum(x, axis=(2, 3), keepdims=True)):
        np.testing.assert_allclose(adc.jit(f, backend=backend)(x),
                                   adc.jit(f, backend="numpy")(x), rtol=1e-13)


USER_REDUCTIONS = {"sum": anp.sum, "mean": anp.mean, "prod": anp.prod, "max": anp.max,
                   "min": anp.min, "var": anp.var, "std": anp.std}


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", sorted(USER_REDUCTIONS))
def test_user_reductions_over_a_leading_length_one_axis(name, backend):
    z = np.arange(1.0, 5.0).reshape(1, 4)
    got = adc.jit(lambda z: USER_REDUCTIONS[name](z, axis=0), backend=backend)(z)
    np.testing.assert_allclose(got, getattr(np, name)(z, axis=0), rtol=1e-13, atol=1e-300)


@pytest.mark.parametrize("backend", BACKENDS)
def test_gradient_unbroadcasting_against_a_leading_length_one_axis(backend):
    x, y = np.array([1.0, 2.0, 3.0, 4.0]), np.array([[0.5, -1.0, 2.0, 0.25]])
    got = adc.grad(lambda x: anp.sum(anp.sin(x * y)), backend=backend)(x)
    np.testing.assert_allclose(got, np.cos(x * y[0]) * y[0], rtol=1e-13)
    got_y = adc.grad(lambda y: anp.sum(anp.sin(x * y)), backend=backend)(y)
    np.testing.assert_allclose(got_y, np.cos(x * y) * x, rtol=1e-13)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("spec", ["k,k->", "k,k", "ij,ij->", "ij,ij->i", "i,i->i", "ij,j->"])
def test_einsum_with_equal_subscripts(spec, backend):
    rng = np.random.default_rng(1)
    shapes = {"k": (3,), "i": (3,), "ij": (2, 3), "j": (3,)}
    subs = spec.split("->")[0].split(",")
    ops = [rng.standard_normal(shapes[s]) for s in subs]
    got = adc.jit(lambda *xs: anp.einsum(spec, *xs), backend=backend)(*ops)
    np.testing.assert_allclose(got, np.einsum(spec, *ops), rtol=1e-13)
    h, a = np.array([1.0, 2.0, 3.0]), np.array([4.0, 5.0, 6.0])
    assert adc.jit(lambda h, a: anp.einsum("k,k->", h, a), backend=backend)(h, a) == 32.0


@pytest.mark.parametrize("backend", BACKENDS)
def test_einsum_sublist_form(backend):
    a = np.arange(6.0).reshape(2, 3)
    b = np.arange(12.0).reshape(3, 4)
    got = adc.jit(lambda a: anp.einsum(a, [0, 1], [1, 0]), backend=backend)(a)
    np.testing.assert_array_equal(got, np.einsum(a, [0, 1], [1, 0]))
    got = adc.jit(lambda a, b: np.einsum(a, [0, 1], b, [1, 2]), backend=backend)(a, b)
    np.testing.assert_allclose(got, a @ b, rtol=1e-13)
    got = adc.jit(lambda a: anp.einsum(a, [Ellipsis, 1], [Ellipsis]), backend=backend)(a)
    np.testing.assert_allclose(got, a.sum(axis=1), rtol=1e-13)
    with pytest.raises(adc.UnsupportedError, match="sublist"):
        adc.jit(lambda a: anp.einsum(a, [0, "x"]))(a)


INNER_SHAPES = [((2, 3), (2, 3)), ((2, 3), (4, 3)), ((3,), (4, 3)), ((2, 2, 3), (3,)),
                ((3,), (3,)), ((), (2, 3)), ((2, 1, 3), (4, 3))]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("sa,sb", INNER_SHAPES)
def test_inner_matches_numpy_with_its_gradient(sa, sb, backend):
    rng = np.random.default_rng(2)
    a, b = rng.standard_normal(sa), rng.standard_normal(sb)
    got = adc.jit(lambda a, b: np.inner(a, b), backend=backend)(a, b)
    want = np.inner(a, b)
    assert np.shape(got) == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-13)
    seed = rng.standard_normal(want.shape)
    ga, gb = adc.grad(lambda a, b: anp.sum(anp.inner(a, b) * seed), argnums=(0, 1),
                      backend=backend)(a, b)
    torch = pytest.importorskip("torch")
    ta, tb = (torch.tensor(v, requires_grad=True) for v in (a, b))
    (torch.inner(ta, tb) * torch.tensor(seed)).sum().backward()
    np.testing.assert_allclose(ga, ta.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(gb, tb.grad.numpy(), rtol=1e-12)


def test_inner_shape_mismatch_is_a_clear_error():
    with pytest.raises(adc.ShapeError, match=r"inner: shapes \(2, 3\) and \(2, 4\)"):
        adc.jit(lambda a, b: anp.inner(a, b))(np.ones((2, 3)), np.ones((2, 4)))


@pytest.mark.parametrize("backend", BACKENDS)
def test_std_gradient_at_zero_variance_is_zero(backend):
    assert adc.grad(anp.std, backend=backend)(np.array(2.0)) == 0.0
    np.testing.assert_array_equal(adc.grad(anp.std, backend=backend)(np.full(3, 1.5)), 0.0)
    g = adc.grad(lambda x: anp.sum(anp.std(x, axis=1)), backend=backend)(
        np.array([[1.0, 1.0], [1.0, 3.0]]))
    np.testing.assert_allclose(g, [[0.0, 0.0], [-0.5, 0.5]])
    assert np.isnan(adc.jit(anp.std, backend=backend)(np.array([1.0, np.nan])))
    torch = pytest.importorskip("torch")
    t = torch.full((3,), 1.5, dtype=torch.float64, requires_grad=True)
    t.std(correction=0).backward()
    np.testing.assert_array_equal(t.grad.numpy(), 0.0)


@pytest.mark.parametrize("backend", BACKENDS)
def test_second_derivative_of_power_with_zero_base(backend):
    d2 = adc.grad(adc.grad(lambda y: np.power(0.0, y)), backend=backend)
    for y in (0.5, 1.0, 2.0, 3.5):
        assert d2(y) == 0.0
    d1 = adc.grad(lambda y: anp.power(np.float64(2.0), y), backend=backend)
    np.testing.assert_allclose(d1(1.5), 2.0 ** 1.5 * np.log(2.0), rtol=1e-14)
    d2 = adc.grad(adc.grad(lambda y: anp.power(np.float64(2.0), y)), backend=backend)
    np.testing.assert_allclose(d2(1.5), 2.0 ** 1.5 * np.log(2.0) ** 2, rtol=1e-14)


@pytest.mark.parametrize("backend", BACKENDS)
def test_linspace_with_traced_endpoints(backend):
    x = np.array(2.0)
    got = adc.jit(lambda x: np.linspace(0.0, x, 5), backend=backend)(x)
    np.testing.assert_array_equal(got, np.linspace(0.0, 2.0, 5))
    got = adc.jit(lambda x: anp.linspace(x, np.array([1.0, 5.0]), 3, endpoint=False, axis=1),
                  backend=backend)(x)
    np.testing.assert_allclose(got, np.linspace(2.0, np.array([1.0, 5.0]), 3, endpoint=False,
                                                axis=1), rtol=1e-15)
    g = adc.grad(lambda x: anp.sum(np.linspace(x, 3 * x, 4) ** 2), backend=backend)(x)
    np.testing.assert_allclose(g, 2 * 2.0 * np.sum(np.linspace(1, 3, 4) ** 2), rtol=1e-14)
    y, step = adc.jit(lambda x: anp.linspace(0.0, x, 3, retstep=True), backend=backend)(x)
    np.testing.assert_array_equal(y, [0.0, 1.0, 2.0])
    assert step == 1.0


# values with a length-1 axis next to an empty one of the same rank: fused into one nest whose
# empty loop never computed them, the result held uninitialised memory
EMPTY_NEIGHBOURS = {
    "concatenate": lambda x: anp.concatenate([x[:1] * 2, x[2:] - x[:0], x[1:] * 3], axis=0),
    "empty_gather": lambda x: anp.concatenate(
        [anp.take(x, [0], axis=0) - anp.take(x, [1], axis=0),
         anp.take(x, np.arange(2, 2), axis=0), x[1:] * 3], axis=0),
    "gradient_of_two_rows": lambda x: anp.gradient(x, axis=0),
    "empty_inner_axis": lambda x: anp.concatenate([anp.sin(x[:, :1]), x[:, 3:] * 2], axis=1),
}


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", sorted(EMPTY_NEIGHBOURS))
def test_length_one_values_beside_empty_ones(name, backend):
    x = np.arange(1.0, 7.0).reshape(2, 3)
    fn = EMPTY_NEIGHBOURS[name]
    np.testing.assert_array_equal(adc.jit(fn, backend=backend)(x),
                                  adc.jit(fn, backend="numpy")(x))
    np.testing.assert_array_equal(adc.grad(lambda x: anp.sum(fn(x) ** 2), backend=backend)(x),
                                  adc.grad(lambda x: anp.sum(fn(x) ** 2), backend="numpy")(x))


def test_unsupported_dtypes_and_byte_orders_are_clear_errors():
    f = adc.grad(lambda x: anp.sum(x * x))
    with pytest.raises(adc.UnsupportedError, match=r"byte order.*newbyteorder"):
        f(np.ones(3, dtype=">f8"))
    with pytest.raises(adc.UnsupportedError, match=r"float16.*astype\(np.float32\)"):
        f(np.ones(3, dtype=np.float16))
    with pytest.raises(adc.UnsupportedError, match="complex"):
        adc.jit(lambda x: x * 2)(np.ones(3, dtype=np.complex128))
    with pytest.raises(adc.UnsupportedError, match="result of convert_element_type.*float16"):
        adc.jit(lambda x: x.astype(np.float16))(np.ones(3))


def test_item_assignment_on_a_traced_value_is_a_clear_error():
    def f(x):
        x[0] = 1.0
        return anp.sum(x)

    with pytest.raises(adc.TraceError, match=r"item assignment.*where") as info:
        adc.grad(f)(np.ones(3))
    assert "x[0] = 1.0" in str(info.value)


def test_jacobian_of_jacobian_gradient_stays_small_and_correct():
    """The nest emitter recomputed out-of-scope values once per use, recursively: this
    program's module had 5,976 lines (a compile that did not finish); memoised and bounded
    recomputation keeps it near the size of the graph."""
    def f(x):
        return anp.tanh(x) * anp.sum(x * x)

    def g(x):
        return anp.sum(anp.sin(adc.jacobian(adc.jacobian(f))(x)))

    x = np.array([0.3, 0.7])
    source = adc.show_source(adc.grad(g))(x)
    assert len(source.splitlines()) < 1500, len(source.splitlines())
    np.testing.assert_allclose(adc.grad(g)(x), adc.grad(g, backend="numpy")(x), rtol=1e-12)


def test_debug_mode_fills_uninitialised_arrays_with_nan(monkeypatch):
    """ADC_DEBUG=1: an element no loop writes reads as NaN instead of stale memory."""
    z = np.arange(1.0, 5.0).reshape(2, 2)
    plain = adc.show_source(lambda z: anp.sin(z) * 2)(z)
    monkeypatch.setenv("ADC_DEBUG", "1")
    debug = adc.show_source(lambda z: anp.sin(z) * 2)(z)
    assert "np.empty((2, 2), np.float64)" in plain
    assert "np.full((2, 2), np.nan, np.float64)" in debug and "np.empty(" not in debug
    np.testing.assert_allclose(adc.jit(lambda z: anp.sum(z, axis=0))(z), [4.0, 6.0])
    cuda_src = adc.show_source(lambda z: anp.sin(z) * 2, backend="cuda")(z)
    assert "full((2, 2), np.nan, np.float64)" in cuda_src


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_scalar_helpers_at_infinities(backend, dtype):
    x = np.array([-np.inf, -2.0, 0.0, 3.0, np.inf], dtype)
    run = lambda f: adc.jit(f, backend=backend)(x)  # noqa: E731
    relu = run(anp.relu)
    np.testing.assert_array_equal(relu, [0, 0, 0, 3, np.inf])
    assert not np.signbit(relu[1])
    np.testing.assert_array_equal(run(anp.sign), [-1, -1, 0, 1, 1])
    np.testing.assert_allclose(run(anp.softplus), np.logaddexp(0, x.astype(np.float64)),
                               rtol=1e-6)
    np.testing.assert_array_equal(adc.grad(lambda x: anp.sum(anp.abs(x)), backend=backend)(x),
                                  [-1, -1, 0, 1, 1])
    np.testing.assert_array_equal(run(lambda x: anp.maximum(x, 0.0)), [0, 0, 0, 3, np.inf])


@pytest.mark.parametrize("backend", BACKENDS)
def test_closed_over_arrays_are_captured_when_traced(backend):
    """Mutating a closed-over array after the first call changes neither jit's results nor
    value_and_grad's, and value and gradient always come from the same captured array."""
    W = np.ones(3)
    x = np.arange(3.0)
    f = adc.value_and_grad(lambda x: anp.sum(W * x) + anp.sum(W) * anp.sum(x), backend=backend)
    g = adc.jit(lambda x: W * x, backend=backend)
    value, grad = f(x)
    np.testing.assert_array_equal(g(x), [0.0, 1.0, 2.0])
    W[:] = 2.0
    assert f(x)[0] == value == 12.0
    np.testing.assert_array_equal(f(x)[1], grad)
    np.testing.assert_array_equal(g(x), [0.0, 1.0, 2.0])


@pytest.mark.parametrize("backend", BACKENDS)
def test_flattening_an_inverse(backend):
    A = np.array([[2.0, 0.3, 0.1], [0.2, 3.0, 0.4], [0.0, 0.5, 1.5]])
    np.testing.assert_allclose(adc.jit(lambda A: anp.linalg.inv(A).reshape(-1),
                                       backend=backend)(A), np.linalg.inv(A).ravel(), rtol=1e-13)
    f = lambda A: anp.sum(anp.outer(anp.linalg.inv(A), A) ** 2)  # noqa: E731
    np.testing.assert_allclose(adc.grad(f, backend=backend)(A), adc.grad(f, backend="numpy")(A),
                               rtol=1e-12)
    b = np.array([[1.0, 2.0], [0.5, -1.0], [2.0, 0.0]])
    np.testing.assert_allclose(adc.jit(lambda A, b: anp.ravel(anp.linalg.solve(A, b)),
                                       backend=backend)(A, b),
                               np.linalg.solve(A, b).ravel(), rtol=1e-13)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.bool_])
def test_integer_max_min_reductions(backend, dtype):
    x = (np.array([[3, -7, 5], [2, 9, -1]]) > 0 if dtype is np.bool_ else
         np.array([[3, -7, 5], [2, 9, -1]], dtype))
    for name in ("max", "min"):
        for axis in (None, 0, 1):
            got = adc.jit(lambda x: getattr(anp, name)(x, axis=axis), backend=backend)(x)
            want = getattr(np, name)(x, axis=axis)
            assert got.dtype == want.dtype
            np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("sa,sb", [((2, 3), (3, 4)), ((2, 2, 3), (3, 2)), ((3,), (3, 2))])
def test_integer_matmul(backend, sa, sb):
    rng = np.random.default_rng(4)
    a, b = rng.integers(-5, 5, sa), rng.integers(-5, 5, sb)
    got = adc.jit(lambda a, b: a @ b, backend=backend)(a, b)
    assert got.dtype == np.int64
    np.testing.assert_array_equal(got, a @ b)


@pytest.mark.parametrize("backend", BACKENDS)
def test_out_of_range_traced_indices_raise(backend):
    """take_along_axis with few picks selects by comparison: an out-of-range traced index
    picked nothing (a finite cross-entropy, a zero gradient row) instead of raising."""
    x = np.random.default_rng(0).standard_normal((3, 5))

    def ce(x, labels):
        return -anp.sum(anp.take_along_axis(anp.log_softmax(x, axis=1), labels[:, None], axis=1))

    f = adc.value_and_grad(ce, backend=backend)
    np.testing.assert_allclose(f(x, np.array([1, 4, -1]))[0],
                               adc.value_and_grad(ce, backend="numpy")(x, np.array([1, 4, -1]))[0],
                               rtol=1e-13)
    for bad in ([1, 5, 0], [1, -6, 0]):
        with pytest.raises(IndexError):
            f(x, np.array(bad))
    with pytest.raises(IndexError):
        adc.jit(lambda x, i: x[i], backend=backend)(x, np.array([0, 3]))
    with pytest.raises(IndexError, match="index -6"):
        adc.jit(lambda x, i: anp.take(x, i, axis=1), backend="numpy")(x, np.array([-6]))


def test_tensor_cross_entropy_and_gather_with_out_of_range_labels_raise():
    x = adc.tensor(np.random.default_rng(0).standard_normal((3, 5)), requires_grad=True)
    with pytest.raises(IndexError):
        adc.nn.CrossEntropyLoss()(x, adc.tensor([1, 5, 0]))
    with pytest.raises(IndexError):
        x.gather(1, adc.tensor([[1], [7], [0]]))


def test_none_outputs():
    with pytest.raises(adc.GradientError, match="returned None"):
        adc.grad(lambda x: None)(np.ones(2))
    grads, aux = adc.grad(lambda x: (anp.sum(x * x), None), has_aux=True)(np.ones(2))
    np.testing.assert_array_equal(grads, [2.0, 2.0])
    assert aux is None
    out = adc.jit(lambda x: (x * 2, None))(np.ones(2))
    assert out[1] is None
    np.testing.assert_array_equal(out[0], [2.0, 2.0])


def test_unusable_cache_directory_falls_back_with_one_warning(tmp_path, monkeypatch):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a directory")
    for root in (blocker, blocker / "below"):
        monkeypatch.setenv("ADC_CACHE_DIR", str(root))
        with pytest.warns(RuntimeWarning, match="ADC_CACHE_DIR"):
            g = adc.grad(lambda x: anp.sum(x * x * 3.0))(np.ones(3))
        np.testing.assert_array_equal(g, [6.0, 6.0, 6.0])
        t = adc.tensor([[1.0, 2.0]]) @ adc.tensor([[3.0], [4.0]])
        assert float(t.sum()) == 11.0


def test_a_directory_in_place_of_a_generated_module_is_replaced(tmp_path, monkeypatch):
    from adc.lower import cache

    monkeypatch.setenv("ADC_CACHE_DIR", str(tmp_path))
    f = lambda x: anp.sum(anp.cos(x) * 1.25)  # noqa: E731
    source = adc.show_source(adc.grad(f))(np.ones(2))
    module = tmp_path / f"adc_{cache.source_key(source)}.py"
    if module.exists():
        module.unlink()
    module.mkdir()
    np.testing.assert_allclose(adc.grad(f)(np.ones(2)), -1.25 * np.sin(np.ones(2)))
    assert module.is_file()


def test_parallel_max_over_axis_0_read_in_the_same_nest():
    """cpu's parallel path combined per-thread maxima after the whole nest, so a consumer in
    the nest read the result before it existed (softmax(x, axis=0) did not compile)."""
    x = np.random.default_rng(5).standard_normal((40000, 1))
    for f in (lambda x: anp.softmax(x, axis=0), lambda x: x - anp.max(x, axis=0),
              lambda x: x * anp.min(x) + anp.max(x, axis=(0, 1), keepdims=True)):
        np.testing.assert_allclose(adc.jit(f)(x), adc.jit(f, backend="numpy")(x), rtol=1e-12)
    g = adc.grad(lambda x: anp.sum(anp.softmax(x, axis=0) ** 2))
    np.testing.assert_allclose(g(x), adc.grad(lambda x: anp.sum(anp.softmax(x, axis=0) ** 2),
                                              backend="numpy")(x), rtol=1e-9, atol=1e-15)


def test_seeds_and_inputs_that_would_be_silently_altered_raise():
    out, vjp_fn = adc.vjp(lambda x: anp.reshape(x, (1, 2)) * 2, np.ones(2))
    np.testing.assert_array_equal(vjp_fn([[1.0, 0.5]])[0], [2.0, 1.0])  # a nested-list seed
    with pytest.raises(adc.UnsupportedError, match="complex"):
        vjp_fn(np.array([[1 + 2j, 0]]))
    with pytest.raises(adc.UnsupportedError, match="masked"):
        adc.grad(lambda x: anp.sum(x))(np.ma.array([1.0, 2.0], mask=[0, 1]))
    _, vjp2 = adc.vjp(lambda x: (x * 2, x * 3), np.ones(2))
    np.testing.assert_array_equal(vjp2((np.ones(2), [1.0, 2.0]))[0], [5.0, 8.0])
    with pytest.raises(adc.ShapeError, match="structure"):
        vjp2(np.ones(2))


@pytest.mark.parametrize("backend", ["cpu", "cuda"])
def test_a_long_chain_read_out_of_its_scope_is_stored_not_recomputed(backend):
    def f(x):
        h = x
        for _ in range(12):
            h = anp.sin(h) * 1.1 + 0.1
        return h * anp.sum(h, axis=1, keepdims=True)

    x = np.random.default_rng(0).standard_normal((3, 4))
    source = adc.show_source(f, backend=backend)(x)
    assert source.count("sin(") == 12, source  # each sin once: the chain is not recomputed
    np.testing.assert_allclose(adc.jit(f, backend=backend)(x), adc.jit(f, backend="numpy")(x),
                               rtol=1e-13)


@pytest.mark.parametrize("axes", [None, (0, 2, 3), (2, 3)])
def test_float32_sums_keep_float32_accuracy(axes):
    """A batch norm's mean over 64x16x32 float32 values summed one by one in float32 was off
    by 1e-5 relative (torch and numpy: 1e-7); float32 sums accumulate in float64 on the cpu."""
    x = (np.random.default_rng(0).normal(size=(64, 16, 32, 32)) + 3).astype(np.float32)
    got = adc.jit(lambda z: anp.mean(z, axis=axes), backend="cpu")(x)
    want = x.astype(np.float64).mean(axis=axes)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, want, rtol=2e-7)


@pytest.mark.parametrize("backend", ["numpy", "cpu"])
def test_a_value_returned_twice_comes_back_as_two_arrays(backend):
    """Outputs never share memory with each other (nor with inputs): x * 2 computed twice is one
    value after CSE, and numpy would give two arrays."""
    x = np.ones(4)
    outs = adc.jit(lambda x: (x * 2, x * 2, x, anp.sum(x), anp.sum(x), x), backend=backend)(x)
    for i, a in enumerate(outs):
        assert not np.shares_memory(a, x)
        for b in outs[:i]:
            assert not np.shares_memory(a, b)
