"""The CUDA backend (numba's simulator here; NUMBA_ENABLE_CUDASIM=0 on a GPU machine):
numpy in → numpy out, device arrays in → device arrays out without copies, multi-block
reductions and atomics, bounds and singularity errors raised on the host, the in-memory
cache, the error without numba-cuda, and generated kernels that compile for a real GPU."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import adc
import adc.numpy as anp
from adc.lower import cuda as lower_cuda

cuda = pytest.importorskip("numba.cuda")
ROOT = str(Path(__file__).resolve().parents[2])


def loss(x, W):
    return anp.sum(anp.tanh(x @ W) ** 2) + anp.sum(anp.log1p(x * x))


def _inputs(dtype=np.float64):
    rng = np.random.default_rng(0)
    return rng.standard_normal((5, 4)).astype(dtype), rng.standard_normal((4, 3)).astype(dtype)


def test_numpy_in_numpy_out_matches_cpu():
    x, W = _inputs()
    gx, gW = adc.grad(loss, argnums=(0, 1), backend="cuda")(x, W)
    rx, rW = adc.grad(loss, argnums=(0, 1), backend="numpy")(x, W)
    assert type(gx) is np.ndarray and type(gW) is np.ndarray
    np.testing.assert_allclose(gx, rx, rtol=1e-12)
    np.testing.assert_allclose(gW, rW, rtol=1e-12)


def test_device_arrays_in_stay_on_device():
    x, W = _inputs(np.float32)
    value, (gx, gW) = adc.value_and_grad(loss, argnums=(0, 1), backend="cuda")(
        cuda.to_device(x), cuda.to_device(W))
    for out in (value, gx, gW):
        assert not isinstance(out, np.ndarray) and hasattr(out, "copy_to_host")
    assert value.shape == () and gx.shape == x.shape
    rv, (rx, rW) = adc.value_and_grad(loss, argnums=(0, 1), backend="numpy")(x, W)
    np.testing.assert_allclose(value.copy_to_host(), rv, rtol=1e-5)
    np.testing.assert_allclose(gx.copy_to_host(), rx, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(gW.copy_to_host(), rW, rtol=1e-4, atol=1e-5)


def test_other_backends_refuse_device_arrays():
    with pytest.raises(adc.UnsupportedError, match="backend='cuda'"):
        adc.jit(lambda x: x * 2, backend="cpu")(cuda.to_device(np.ones(3)))


@pytest.mark.parametrize("axes", [None, 0, 1, (0, 1)])
@pytest.mark.parametrize("reduce", ["sum", "max", "min", "prod"])
def test_reductions_across_blocks(reduce, axes):
    """Enough rows for several blocks, so partial results meet in atomics (or, for products,
    in the single-block / single-thread fallbacks)."""
    x = np.random.default_rng(1).uniform(0.9, 1.1, (300, 3))
    f = lambda x: getattr(anp, reduce)(x, axis=axes)  # noqa: E731
    np.testing.assert_allclose(adc.jit(f, backend="cuda")(x), getattr(np, reduce)(x, axis=axes),
                               rtol=1e-12)


@pytest.mark.parametrize("axes", [None, 0])
@pytest.mark.parametrize("reduce", ["max", "min"])
def test_float_max_min_across_blocks_propagate_nan(reduce, axes):
    """A NaN in one block survives the combination with the others (numba's float atomic
    max/min would drop it), as numpy's max/min propagate it."""
    x = np.random.default_rng(2).uniform(0.9, 1.1, (300, 3))
    x[200, 1] = np.nan
    f = lambda x: getattr(anp, reduce)(x, axis=axes)  # noqa: E731
    np.testing.assert_array_equal(adc.jit(f, backend="cuda")(x), getattr(np, reduce)(x, axis=axes))


def test_scatter_add_atomics_with_repeated_indices():
    idx = np.array([0, 2, 2, 1, 2, 0] * 20)
    x = np.linspace(-1, 1, 4)
    g = adc.grad(lambda x: anp.sum(anp.sin(x[idx]) * np.arange(idx.size)), backend="cuda")(x)
    np.testing.assert_allclose(g, adc.grad(lambda x: anp.sum(anp.sin(x[idx]) *
                                                             np.arange(idx.size)),
                                           backend="numpy")(x), rtol=1e-12)


def test_out_of_bounds_traced_index_raises_on_host():
    f = adc.jit(lambda x, i: anp.take(x, i), backend="cuda")
    np.testing.assert_array_equal(f(np.arange(4.0), np.array([3, 0])), [3.0, 0.0])
    with pytest.raises(IndexError):
        f(np.arange(4.0), np.array([1, 7]))


def test_singular_matrix_raises():
    with pytest.raises(np.linalg.LinAlgError):
        adc.jit(anp.linalg.inv, backend="cuda")(np.ones((3, 3)))


def test_results_never_alias_inputs():
    x = np.arange(6.0)
    y = adc.jit(lambda x: x.reshape(2, 3), backend="cuda")(x)
    y[0, 0] = 100.0
    assert x[0] == 0.0
    d = cuda.to_device(x)
    yd = adc.jit(lambda x: x.reshape(2, 3), backend="cuda")(d)
    yd[0, 0] = 100.0
    assert d.copy_to_host()[0] == 0.0


def test_compiled_once_per_signature(monkeypatch):
    calls = []
    original = lower_cuda.compile_cuda
    monkeypatch.setattr(lower_cuda, "compile_cuda",
                        lambda *a, **k: calls.append(1) or original(*a, **k))
    g = adc.grad(lambda x: anp.sum(anp.exp(x)), backend="cuda")
    g(np.ones(3))
    g(np.zeros(3))
    assert len(calls) == 1
    g(np.ones(4))
    assert len(calls) == 2


def test_fastmath_reaches_the_kernels():
    f = lambda x: anp.sum(anp.exp(x))  # noqa: E731
    assert "fastmath=False" in adc.show_source(adc.grad(f), backend="cuda")(np.ones(3))
    assert "fastmath=True" in adc.show_source(adc.grad(f), backend="cuda",
                                              fastmath=True)(np.ones(3))


def test_fused_gradient_is_one_kernel_with_one_atomic_per_block():
    source = adc.show_source(lambda x: anp.sum(anp.sin(x) * anp.exp(x)), backend="cuda")(
        np.ones(100))
    assert source.count("@cuda.jit") == 1 and "block_reduce(" in source
    assert "cuda.gridsize(1)" in source and source.count("cuda.atomic.add") == 1


def test_missing_numba_cuda_names_the_install_command(monkeypatch):
    monkeypatch.setitem(sys.modules, "numba_cuda", None)  # makes `import numba_cuda` fail
    with pytest.raises(adc.UnsupportedError, match=r"pip install 'adc-autodiff\[cuda\]'"):
        adc.grad(lambda x: anp.sum(x), backend="cuda")(np.ones(3))


def test_default_backend_stays_cpu():
    assert adc.backends.resolve(None) == "cpu"


_PTX_CHILD = textwrap.dedent("""
    import sys
    import numpy as np
    try:
        from numba import cuda, types
        import numba.cuda.dispatcher as dispatcher
        cuda.compile_ptx(lambda a: None, (types.float32[:],), cc=(8, 0))
    except Exception as e:  # no NVVM/NVRTC libraries on this machine
        print("no-nvvm", e)
        sys.exit(3)

    class Device:  # no driver: device functions ask for the current device's capability
        compute_capability = (8, 0)

    dispatcher.get_current_device = Device
    from numba.np.numpy_support import from_dtype
    import adc, adc.numpy as anp
    from adc.lower import cache
    from adc.lower.cuda import CudaCodegen
    from adc.lower.nest import storage
    from adc.opt import prepare

    def mlp(W1, W2, X, y):
        h = anp.tanh(X @ W1)
        z = h @ W2
        m = anp.max(z, axis=1, keepdims=True)
        lse = anp.log(anp.sum(anp.exp(z - m), axis=1)) + m[:, 0]
        return anp.mean(lse - anp.take_along_axis(z, y[:, None], axis=1)[:, 0])

    def pairwise(x):
        d = x[:, None, :] - x[None, :, :]
        s = 1.0 / (anp.sum(d * d, axis=-1) + 0.1)
        return anp.sum(s * s * s)

    rng = np.random.default_rng(0)
    count = 0
    for dtype in (np.float32, np.float64):
        cases = [(adc.grad(mlp, argnums=(0, 1)), (rng.standard_normal((4, 8)),
                  rng.standard_normal((8, 3)), rng.standard_normal((6, 4)), np.arange(6) % 3)),
                 (adc.grad(pairwise), (rng.standard_normal((7, 3)),)),
                 (adc.grad(lambda a, b: anp.sum(anp.linalg.solve(a, b) ** 2)),
                  (np.eye(3) * 3 + 0.1, np.ones((3, 2))))]
        for f, args in cases:
            args = [a.astype(dtype) if a.dtype.kind == "f" else a for a in args]
            gen = CudaCodegen(prepare(adc.make_ir(f)(*args), "cuda"), False)
            module = cache.load_module(gen.generate())
            for name, avals in gen.signatures.items():
                sig = tuple(types.Array(from_dtype(a.dtype), len(storage(a.shape)), "C")
                            for a in avals)
                cuda.compile_ptx(getattr(module, name).py_func, sig, cc=(8, 0))
                count += 1
    print("compiled", count)
""")


def test_generated_kernels_compile_for_a_real_gpu(tmp_path):
    """The simulator runs kernels as Python; this compiles them to PTX with NVVM as a real GPU
    would (no GPU needed, but NVVM/NVRTC libraries are: skipped where they are missing)."""
    env = dict(os.environ, NUMBA_ENABLE_CUDASIM="0", PYTHONPATH=ROOT, ADC_CACHE_DIR=str(tmp_path))
    out = subprocess.run([sys.executable, "-c", _PTX_CHILD], env=env, capture_output=True,
                         text=True, timeout=600)
    if out.returncode == 3:
        pytest.skip("NVVM/NVRTC libraries not found: " + out.stdout.strip()[:200])
    assert out.returncode == 0, out.stderr[-3000:]
    assert int(out.stdout.split()[-1]) > 10


@pytest.mark.gpu
def test_torch_cuda_tensors_are_used_in_place():
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("torch has no CUDA")
    x = torch.linspace(-1, 1, 1000, device="cuda", dtype=torch.float32)
    g = adc.grad(lambda x: anp.sum(anp.sin(x) * x), backend="cuda")(x)
    assert hasattr(g, "__cuda_array_interface__")
    expected = (torch.cos(x) * x + torch.sin(x)).cpu().numpy()
    np.testing.assert_allclose(g.copy_to_host(), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.gpu
def test_real_gpu_matches_cpu_in_float32():
    x = np.random.default_rng(0).standard_normal((4096, 3)).astype(np.float32)

    def pairwise(x):
        d = x[:, None, :] - x[None, :, :]
        return anp.sum(1.0 / (anp.sum(d * d, axis=-1) + 0.1))

    np.testing.assert_allclose(adc.grad(pairwise, backend="cuda")(x), adc.grad(pairwise)(x),
                               rtol=1e-3, atol=1e-3)


def test_gpu_benchmark_script_smoke_and_no_gpu_message():
    """The GPU benchmark checks its workloads against torch on the simulator (`--smoke`);
    without a GPU a plain run says so and exits cleanly."""
    script = os.path.join(ROOT, "benchmarks", "gpu.py")
    env = dict(os.environ, PYTHONPATH=ROOT, NUMBA_ENABLE_CUDASIM="1")
    out = subprocess.run([sys.executable, script, "--smoke"], env=env, capture_output=True,
                         text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "agree with torch for transcendental, pairwise, mlp" in out.stdout
    out = subprocess.run([sys.executable, script], env=env, capture_output=True, text=True,
                         timeout=600)
    assert out.returncode == 0 and "no CUDA GPU available" in out.stdout, out.stderr[-3000:]
