"""The generic, table-driven checker: every registered primitive × its shape cases ×
float64/float32 — forward vs torch, VJP vs torch.autograd.grad with random seeds, VJP vs
central finite differences (float64), second order (Hessian-vector products) vs torch, and
inputs in non-contiguous layouts vs the numpy reference. The cases (each primitive's own
`cases`) put length-1 axes in every position and reduce over each of them."""
from __future__ import annotations

import numpy as np
import pytest

import adc
from adc.lower.cuda.rules import CPU_ONLY
from adc.prims import REGISTRY, Primitive, check_registry
from adc.prims.batching import leading
from adc.prims.cases import case
from adc.tracer import bind
from adc.validate import TOLERANCES, compare, run_torch, to_torch

from prim_cases import (CASES, SECOND_ORDER, case_ids, compiled_case_ids, compiled_dtypes,
                        make_inputs, second_order_backend)

torch = pytest.importorskip("torch")
DTYPES = [np.float64, np.float32]
BACKENDS = ["numpy", "cpu", "cuda"]  # cuda: numba's simulator unless a GPU run says otherwise
IDS = [f"{n}-{k}" for n, k in case_ids()]
COMPILED = compiled_case_ids()


def _per_backend():
    """(name, k, dtype, backend): every case in every dtype on numpy, the compiled cases in
    the dtypes of `compiled_dtypes` elsewhere."""
    return [pytest.param(name, k, dtype, backend,
                         id=f"{name}-{k}-{np.dtype(dtype).name}-{backend}")
            for name, k in case_ids() for dtype in DTYPES for backend in BACKENDS
            if backend == "numpy" or (
                (name, k) in COMPILED and dtype in compiled_dtypes(name, k, DTYPES))]


def _fn(prim, params):
    def f(*xs):
        return bind(prim, *xs, **params)
    return f


def _setup(name, k, dtype):
    prim, spec = REGISTRY[name], CASES[name][k]
    params = dict(spec["params"])
    if name == "convert_element_type":
        params["dtype"] = np.dtype(np.float32 if dtype == np.float64 else np.float64)
    args = make_inputs(prim, spec, dtype)
    float_args = tuple(i for i, a in enumerate(args) if np.asarray(a).dtype.kind == "f")
    return prim, params, args, float_args


def _refused_on_cuda(prim, params, args, backend) -> bool:
    """A primitive lowered on the cpu only raises, on cuda, an UnsupportedError naming it."""
    if backend != "cuda" or prim not in CPU_ONLY:
        return False
    with pytest.raises(adc.UnsupportedError, match=f"'{prim.name}'.*cpu backend only"):
        adc.jit(_fn(prim, params), backend="cuda")(*args)
    return True


def _record(record_property, check, dtype, abs_err, rel_err):
    """Reported at the end of the run by conftest.py (largest disagreement with torch)."""
    record_property("disagreement", (check, np.dtype(dtype).name, float(abs_err),
                                     float(rel_err) if np.isfinite(rel_err) else 0.0))


def test_registry_is_complete():
    check_registry()
    assert all(CASES[name] for name in REGISTRY)


def _incomplete(**overrides):
    rules = dict(shape_rule=lambda x: x, impl=lambda x: x, torch_impl=lambda t, x: x,
                 vjp=lambda cts, ins, outs, needed: (cts[0],), domains=("real",),
                 batch=leading, cases=[case(((3,),))])
    rules.update(overrides)
    return Primitive("incomplete_for_test", **rules)


@pytest.mark.parametrize("overrides,fact", [
    ({"cases": []}, "test cases"), ({"vjp": None}, "vjp"), ({"domains": ("reals",)}, "domains"),
    ({"torch_impl": None}, "torch_impl"), ({"reduction": "mean"}, "reduction kind"),
    ({"batch": None}, "batching rule")])
def test_registry_names_the_primitive_and_the_missing_fact(overrides, fact):
    try:
        _incomplete(**overrides)
        with pytest.raises(TypeError, match=f"'incomplete_for_test' lacks .*{fact}"):
            check_registry()
    finally:
        REGISTRY.pop("incomplete_for_test", None)


def test_unknown_trait_is_refused():
    with pytest.raises(TypeError, match="unknown traits"):
        _incomplete(fusible=True)
    assert "incomplete_for_test" not in REGISTRY


@pytest.mark.parametrize("name,k,dtype,backend", _per_backend())
def test_forward_matches_torch(name, k, dtype, backend, record_property):
    prim, params, args, _ = _setup(name, k, dtype)
    if _refused_on_cuda(prim, params, args, backend):
        return
    ours = adc.jit(_fn(prim, params), backend=backend)(*args)
    graph = adc.make_ir(_fn(prim, params))(*args)
    theirs = run_torch(graph, *[to_torch(a) for a in args])[0].detach().numpy()
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
    rtol, atol = TOLERANCES[np.dtype(dtype)]
    abs_err, rel_err, ok = compare(ours, theirs, rtol, atol)
    _record(record_property, "forward", dtype, abs_err, rel_err)
    assert ok, (abs_err, rel_err)
    reference = np.asarray(adc.eval_graph(graph, *args)[0])
    if backend == "numpy" or (dtype == np.float64 and backend == "cpu"):
        np.testing.assert_allclose(ours, reference, rtol=1e-13, atol=1e-300)
    elif dtype == np.float64:  # a GPU's libdevice math may differ from libm by an ulp or two
        np.testing.assert_allclose(ours, reference, rtol=1e-12, atol=1e-15)
    else:  # compiled float32 code may keep intermediates in float64 (more accurate)
        np.testing.assert_allclose(ours, reference, rtol=1e-5, atol=1e-6)


def _differentiable(name, float_args):
    return REGISTRY[name].differentiable and float_args


@pytest.mark.parametrize("name,k,dtype,backend", _per_backend())
def test_vjp_matches_torch(name, k, dtype, backend, record_property):
    prim, params, args, float_args = _setup(name, k, dtype)
    if not _differentiable(name, float_args):
        pytest.skip("not differentiable")
    if _refused_on_cuda(prim, params, args, backend):
        return
    for rng_seed in (0, 1):
        report = adc.validate(_fn(prim, params), *args, argnums=float_args, rng_seed=rng_seed,
                              backend=backend)
        for row in report.rows:
            _record(record_property, "vjp", dtype, row.max_abs_err, row.max_rel_err)
        assert report.ok, str(report)


@pytest.mark.parametrize("name,k", case_ids(), ids=IDS)
def test_vjp_matches_finite_differences(name, k):
    prim, params, args, float_args = _setup(name, k, np.float64)
    if not _differentiable(name, float_args):
        pytest.skip("not differentiable")
    if name == "stop_gradient":
        pytest.skip("its gradient is zero by definition, not the function's derivative")
    # A conversion to float32 is linear but rounds: a wide step keeps rounding out of the quotient.
    wide = {"eps": 1e-2, "rtol": 1e-4} if name == "convert_element_type" else {}
    # The numpy backend: this checks each VJP rule's math; test_vjp_matches_torch checks that
    # every backend computes the rule as numpy does.
    adc.check_grad(_fn(prim, params), *args, argnums=float_args, torch=False, backend="numpy",
                   **wide)


def _hvp_adc(f, args, nums, seed, dirs, backend):
    def inner(*xs):
        _, vjp_fn = adc.vjp(lambda *ys: f(*_merge(xs, nums, ys)), *[xs[i] for i in nums])
        cts = vjp_fn(seed)
        return sum(adc.numpy.sum(c * d) for c, d in zip(cts, dirs))

    return adc.grad(inner, argnums=nums, backend=backend)(*args)


def _merge(args, nums, xs):
    full = list(args)
    for i, x in zip(nums, xs):
        full[i] = x
    return full


@pytest.mark.parametrize("name,k", [c for c in case_ids() if c[0] in SECOND_ORDER],
                         ids=[f"{n}-{k}" for n, k in case_ids() if n in SECOND_ORDER])
def test_second_order_matches_torch(name, k, record_property):
    prim, params, args, nums = _setup(name, k, np.float64)
    f = _fn(prim, params)
    rng = np.random.default_rng(7)
    out_shape = adc.jit(f, backend="numpy")(*args).shape
    seed = rng.standard_normal(out_shape)
    dirs = [rng.standard_normal(np.shape(args[i])) for i in nums]
    ours = _hvp_adc(f, args, nums, seed, dirs, second_order_backend(name, k))

    graph = adc.make_ir(f)(*args)
    inputs = [to_torch(a).requires_grad_(i in nums) for i, a in enumerate(args)]
    out = run_torch(graph, *inputs)[0]
    wrt = [inputs[i] for i in nums]
    first = torch.autograd.grad(out, wrt, torch.from_numpy(seed), create_graph=True)
    dot = sum((g * torch.from_numpy(d)).sum() for g, d in zip(first, dirs))
    theirs = torch.autograd.grad(dot, wrt, allow_unused=True) if dot.requires_grad else \
        [None] * len(wrt)
    for a, t, w in zip(ours, theirs, wrt):
        t = np.zeros(w.shape) if t is None else t.numpy()
        abs_err, rel_err, ok = compare(a, t, 1e-7, 1e-9)
        _record(record_property, "second order", np.float64, abs_err, rel_err)
        assert ok, (abs_err, rel_err)


def _strided(a, j):
    """The same values in another memory layout: Fortran order, a transposed view, negative
    strides or a step-2 view, chosen by the input's position `j`."""
    a = np.asarray(a)
    if a.ndim == 0 or a.size == 0:
        return a
    kind = (j + a.ndim) % 4
    if kind == 0 and a.ndim >= 2:
        return np.asfortranarray(a)
    if kind == 1 and a.ndim >= 2:
        return np.ascontiguousarray(np.swapaxes(a, 0, -1)).swapaxes(0, -1)
    if kind == 2:
        return np.flip(np.ascontiguousarray(np.flip(a)))
    return np.repeat(a, 2, axis=-1)[..., ::2]


@pytest.mark.parametrize("backend", ["cpu"])  # cuda copies numpy inputs to contiguous ones
@pytest.mark.parametrize("name,k", COMPILED, ids=[f"{n}-{k}" for n, k in COMPILED])
def test_strided_inputs_match_the_reference(name, k, backend):
    """Non-contiguous, transposed, reversed and Fortran-ordered inputs: forward and VJP equal
    eval_graph's (numpy) results on the contiguous inputs."""
    prim, params, args, float_args = _setup(name, k, np.float64)
    strided = [_strided(a, j) for j, a in enumerate(args)]
    f = _fn(prim, params)
    reference = np.asarray(adc.eval_graph(adc.make_ir(f)(*args), *args)[0])
    ours = adc.jit(f, backend=backend)(*strided)
    assert ours.shape == reference.shape and ours.dtype == reference.dtype
    np.testing.assert_allclose(ours, reference, rtol=1e-12, atol=1e-300)
    if not _differentiable(name, float_args):
        return
    seed = np.random.default_rng(3).standard_normal(reference.shape)
    wrt = lambda *xs: f(*_merge(args, float_args, xs))  # noqa: E731
    _, vjp_ref = adc.vjp(wrt, *[args[i] for i in float_args], backend="numpy")
    _, vjp_ours = adc.vjp(lambda *xs: f(*_merge(strided, float_args, xs)),
                          *[strided[i] for i in float_args], backend=backend)
    for a, b in zip(vjp_ours(seed), vjp_ref(seed)):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-300)
