"""Tensor autograd semantics against torch: accumulation, retain_graph, hooks, retain_grad,
no_grad/detach, autograd.grad (create_graph, allow_unused), in-place rules, dtypes, views,
errors — and that a repeated step compiles its backward once."""
import re
import warnings

import numpy as np
import pytest

import adc

torch = pytest.importorskip("torch")


def same(a, t, tol=1e-6):
    assert a is not None and t is not None
    np.testing.assert_allclose(a.detach().numpy(), t.detach().numpy(), rtol=tol, atol=tol)


def both(fn):
    """Run fn(lib) for adc and torch; return both results."""
    return fn(adc), fn(torch)


def raises_like(fn):
    """Both libraries raise RuntimeError; adc's message starts with torch's first words."""
    with pytest.raises(RuntimeError) as t_err:
        fn(torch)
    with pytest.raises(RuntimeError) as a_err:
        fn(adc)
    words = " ".join(str(t_err.value).split()[:6])
    assert str(a_err.value).startswith(words), (str(a_err.value), str(t_err.value))


def test_issue_walkthrough_accumulates_like_torch():
    def walk(L):
        x = L.tensor([[2.0, 3.0], [4.0, 5.0]], requires_grad=True)
        y = x + 2
        z = y * y * 3
        out = z.mean()
        out.backward(retain_graph=True)
        first = x.grad.clone()
        z.backward(L.ones_like(z))
        second = x.grad.clone()
        x.grad.zero_()
        return first, second, x.grad, out
    (a1, a2, a3, aout), (t1, t2, t3, tout) = both(walk)
    np.testing.assert_allclose(a1.numpy(), [[6.0, 7.5], [9.0, 10.5]])
    same(a1, t1), same(a2, t2), same(a3, t3), same(aout, tout)
    assert aout.grad_fn.name() == tout.grad_fn.name() == "MeanBackward0"
    assert a1.dtype == np.float32


def test_second_backward_through_freed_graph_raises():
    def fn(L):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        y = (x * x).sum()
        y.backward()
        y.backward()
    raises_like(fn)


def test_freed_graph_without_saved_values_backprops_again_like_torch():
    (a, t) = both(lambda L: _twice_add(L))
    same(a, t)


def _twice_add(L):
    x = L.tensor([1.0, 2.0], requires_grad=True)
    y = (x + 1).sum()
    y.backward()
    y.backward()
    return x.grad


def test_nonscalar_backward_needs_gradient():
    raises_like(lambda L: (L.tensor([1.0, 2.0], requires_grad=True) * 2).backward())


def test_backward_on_tensor_without_grad_raises():
    raises_like(lambda L: L.tensor([1.0]).sum().backward())


def test_gradient_shape_mismatch_raises():
    raises_like(lambda L: (L.tensor([1.0, 2.0], requires_grad=True) * 2).backward(
        L.ones(3)))


def test_inplace_on_leaf_requiring_grad_raises_and_no_grad_allows_it():
    def leaf_add(L):
        with pytest.raises(RuntimeError) as err:
            L.tensor([1.0], requires_grad=True).add_(1)
        return str(err.value)
    a, t = both(leaf_add)
    assert a == t  # torch's message exactly, as tutorials print it

    def fn(L):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        with L.no_grad():
            x.mul_(3)
        return x
    a, t = both(fn)
    same(a, t)
    assert a.requires_grad and a.is_leaf


def test_modified_saved_value_raises_like_torch():
    def fn(L):
        a = L.tensor([1.0, 2.0], requires_grad=True)
        b = a.exp()
        b.add_(1)
        b.sum().backward()
    raises_like(fn)


def test_inplace_on_intermediate_is_differentiated():
    def fn(L):
        x = L.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = x * 2
        y.mul_(3)
        y += x
        z = y * y
        z.sum().backward()
        return x.grad, y
    (ag, ay), (tg, ty) = both(fn)
    same(ag, tg), same(ay, ty)
    assert ay.grad_fn.name() == ty.grad_fn.name() == "AddBackward0"


def test_numpy_refuses_requires_grad_and_item_checks_size():
    raises_like(lambda L: L.tensor([1.0], requires_grad=True).numpy())
    raises_like(lambda L: L.tensor([1.0, 2.0]).item())
    assert adc.tensor([[2.5]]).item() == 2.5


def test_hook_on_intermediate_replaces_gradient_and_remove():
    def fn(L):
        x = L.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = x * x
        seen = []
        handle = y.register_hook(lambda g: (seen.append(g.clone()), g * 10)[1])
        (y.sin() + y).sum().backward(retain_graph=False)
        first = x.grad.clone()
        handle.remove()
        x.grad = None
        z = x * x
        z.register_hook(lambda g: None)
        (z.sin() + z).sum().backward()
        return first, seen[0], x.grad
    for a, t in zip(*both(fn)):
        same(a, t)


def test_leaf_hook_runs_before_accumulation():
    def fn(L):
        x = L.tensor([1.0, -2.0], requires_grad=True)
        x.register_hook(lambda g: g.clamp(min=0))
        (x * 3).sum().backward()
        return x.grad
    same(*both(fn))


def test_retain_grad_and_nonleaf_grad_warning():
    def fn(L):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        y = x.exp()
        z = x * 3
        y.retain_grad()
        (y * z).sum().backward()
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            missing = z.grad
        return y.grad, missing, len(w), y.retains_grad
    (ay, am, aw, ar), (ty, tm, tw, tr) = both(fn)
    same(ay, ty)
    assert am is None and tm is None and aw == tw == 1 and ar == tr is True


def test_no_grad_detach_and_set_grad_enabled():
    x = adc.tensor([1.0, 2.0], requires_grad=True)
    with adc.no_grad():
        y = x * 2
    assert not y.requires_grad and y.grad_fn is None
    d = x.detach()
    assert not d.requires_grad and d.is_leaf
    d[0] = 5.0  # shares memory with x, as in torch
    assert x.detach().numpy()[0] == 5.0
    with adc.set_grad_enabled(False):
        assert not (x + 1).requires_grad
    assert (x + 1).requires_grad

    @adc.no_grad()
    def f(t):
        return t * 3
    assert not f(x).requires_grad


def test_autograd_grad_create_graph_second_derivative():
    def fn(L):
        x = L.tensor([0.5, 1.0, 2.0], requires_grad=True, dtype=L.float64)
        y = (x.sin() * x ** 3).sum()
        (g,) = L.autograd.grad(y, x, create_graph=True)
        (h,) = L.autograd.grad(g.sum(), x)
        return g, h, x.grad
    (ag, ah, axg), (tg, th, txg) = both(fn)
    same(ag, tg, 1e-12), same(ah, th, 1e-12)
    assert axg is None and txg is None and ag.requires_grad


def test_backward_create_graph_gives_differentiable_grad():
    def fn(L):
        x = L.tensor([1.0, 2.0], requires_grad=True, dtype=L.float64)
        (x ** 3).sum().backward(create_graph=True)
        g = x.grad
        (h,) = L.autograd.grad(g.sum(), x)
        return g, h
    for a, t in zip(*both(fn)):
        same(a, t, 1e-12)


def test_autograd_grad_unused_input():
    def fn(L):
        x = L.tensor([1.0], requires_grad=True)
        u = L.tensor([1.0], requires_grad=True)
        return L.autograd.grad((x * 2).sum(), [x, u])
    raises_like(fn)

    def ok(L):
        x = L.tensor([1.0], requires_grad=True)
        u = L.tensor([1.0], requires_grad=True)
        return L.autograd.grad((x * 2).sum(), [x, u], allow_unused=True)
    (ax, au), (tx, tu) = both(ok)
    same(ax, tx)
    assert au is None and tu is None


def test_autograd_grad_wrt_intermediate_and_seeds():
    def fn(L):
        x = L.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        y = x @ x
        z = y.tanh()
        gy, gx = L.autograd.grad(z, [y, x], grad_outputs=L.ones_like(z) * 0.5)
        return gy, gx
    for a, t in zip(*both(fn)):
        same(a, t)


def test_jacobian_row_by_row_with_retain_graph():
    def fn(L):
        x = L.tensor([0.3, -1.2, 2.0], requires_grad=True, dtype=L.float64)
        y = L.stack([x[0] * x[1], x[1].sin(), x.sum() ** 2])
        rows = []
        for i in range(3):
            seed = L.zeros(3, dtype=L.float64)
            seed[i] = 1.0
            (row,) = L.autograd.grad(y, x, grad_outputs=seed, retain_graph=True)
            rows.append(row)
        return L.stack(rows)
    same(*both(fn), tol=1e-12)


def test_type_promotion_matches_torch():
    cases = [
        lambda L: L.tensor([1, 2]) * 2.5,
        lambda L: L.tensor([1, 2]) + L.tensor([1.0]),
        lambda L: L.tensor([1.0], dtype=L.float32) + L.tensor(2.0, dtype=L.float64),
        lambda L: L.tensor([1.0], dtype=L.float32) + L.tensor([2.0], dtype=L.float64),
        lambda L: L.tensor([1, 2], dtype=L.int32) + L.tensor(2, dtype=L.int64),
        lambda L: L.tensor([1, 2]) / L.tensor([2, 2]),
        lambda L: L.tensor([True, False]) + 1,
        lambda L: L.tensor([1, 2]).sum(),
        lambda L: L.tensor([1, 2]) > 1.5,
        lambda L: L.exp(L.tensor([1, 2])),
        lambda L: L.arange(5),
        lambda L: L.arange(0, 1, 0.25),
        # numpy scalars count as Python numbers (torch wraps them so), not as 0-d float64
        lambda L: L.tensor([3]) + np.float64(0.5),
        lambda L: np.float64(0.5) * L.tensor([3]),
        lambda L: L.tensor(3.0) - np.float64(0.5),
        lambda L: L.tensor([3], dtype=L.int32) + np.int64(5),
        lambda L: L.tensor([True]) + np.int32(1),
    ]
    for case in cases:
        a, t = both(case)
        assert a.dtype == np.dtype(str(t.dtype).replace("torch.", "")), (a.dtype, t.dtype)
        np.testing.assert_allclose(a.numpy(), t.numpy())


def test_views_share_memory_and_from_numpy():
    base = np.arange(6.0)
    t = adc.from_numpy(base)
    v = t.view(2, 3)
    v[0, 1] = 100.0
    assert base[1] == 100.0
    t.add_(1)
    assert base[0] == 1.0 and v.numpy()[1, 0] == 4.0
    c = adc.tensor(base)
    c.zero_()
    assert base[2] == 3.0
    assert t.numpy() is base


def test_inplace_on_view_of_tensor_requiring_grad_is_refused():
    x = adc.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1
    v = y[0:1]
    with pytest.raises(adc.UnsupportedError, match="clone"):
        v.mul_(2)


def test_setitem_is_differentiable():
    def fn(L):
        a = L.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
        b = L.tensor([5.0, 6.0], requires_grad=True)
        x = a.clone()
        x[1:3] = b * 2
        (x * x).sum().backward()
        return a.grad, b.grad, x
    for a, t in zip(*both(fn)):
        same(a, t)


def test_max_dim_returns_values_and_indices_and_topk():
    def fn(L):
        x = L.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 7.0]], requires_grad=True)
        m = x.max(dim=1)
        k = x.topk(2, dim=1)
        (m.values.sum() + k.values.sum()).backward()
        return m.values, m.indices, k.indices, x.grad, L.argmax(x), x.nonzero()
    for a, t in zip(*both(fn)):
        np.testing.assert_array_equal(a.detach().numpy(), t.detach().numpy())


def test_creation_functions_match_torch():
    for fn in [lambda L: L.zeros(2, 3), lambda L: L.ones((2,), dtype=L.float64),
               lambda L: L.full((2, 2), 7), lambda L: L.eye(3, 2), lambda L: L.linspace(0, 1, 5),
               lambda L: L.zeros_like(L.ones(2, dtype=L.int64)), lambda L: L.arange(2, 9, 3),
               lambda L: L.full_like(L.ones(2), 3.5), lambda L: L.tensor([[1, 2], [3, 4]])]:
        a, t = both(fn)
        assert a.dtype == np.dtype(str(t.dtype).replace("torch.", ""))
        np.testing.assert_array_equal(a.numpy(), t.numpy())
    adc.manual_seed(3)
    r1 = adc.randn(4)
    adc.manual_seed(3)
    assert np.array_equal(r1.numpy(), adc.randn(4).numpy())
    assert sorted(adc.randperm(5).tolist()) == [0, 1, 2, 3, 4]
    assert adc.rand(2, 3).shape == (2, 3) and adc.normal(0.0, 1.0, (3,)).shape == (3,)


def test_tensor_metadata():
    x = adc.zeros(2, 3, 4)
    assert x.size() == (2, 3, 4) and x.size(1) == 3 and x.dim() == 3 and x.numel() == 24
    assert x.device == "cpu" and str(x.device) == "cpu"
    assert x.to(adc.float64).dtype == np.float64 and x.double().dtype == np.float64
    assert x.long().dtype == np.int64
    with pytest.raises(adc.UnsupportedError, match="cuda"):
        x.to("cuda")
    assert "requires_grad=True" in repr(adc.ones(2, requires_grad=True))
    assert re.search(r"grad_fn=<MulBackward0>", repr(adc.ones(2, requires_grad=True) * 2))


def test_requires_grad_rules():
    raises_like(lambda L: L.tensor([1, 2]).requires_grad_())
    raises_like(lambda L: (L.ones(2, requires_grad=True) * 2).requires_grad_(False))


def test_training_step_compiles_backward_once():
    from adc.tensors.engine import region_count

    w = adc.randn(8, 4, requires_grad=True)
    x = adc.randn(16, 8)

    def step():
        loss = adc.relu(x @ w).pow(2).mean()
        loss.backward()
        with adc.no_grad():
            w.sub_(0.01 * w.grad)
        w.grad = None

    step()
    compiled = region_count()
    for _ in range(5):
        step()
    assert region_count() == compiled


def test_autograd_argument_errors_in_torch_words():
    def messages(L):
        w, x = L.tensor([1.0, 2.0], requires_grad=True), L.tensor([1.0, 2.0])
        found = []
        for call in (lambda: L.autograd.grad((w * 2).sum(), x),
                     lambda: L.autograd.grad((x * 2).sum(), [w, x]),
                     lambda: (w * 2).backward(L.ones(1, 2)),
                     lambda: L.autograd.grad((w * 2).sum(), w, allow_unused=False,
                                             materialize_grads=True)):
            with pytest.raises((RuntimeError, ValueError)) as err:
                call()
            found.append((err.type.__name__, str(err.value)))
        for value in (L.ones(3), 5):
            with pytest.raises((RuntimeError, TypeError)) as err:
                w.grad = value
            found.append((err.type.__name__, str(err.value)))
        with pytest.raises(RuntimeError) as err:
            w.grad = L.ones(2, dtype=L.float64)
        return found + [str(err.value).split(" (defaults")[0]]
    assert messages(adc) == messages(torch)


def test_materialize_grads_gives_zeros_for_unused_inputs():
    def fn(L):
        x, z = L.tensor([1.0, 2.0], requires_grad=True), L.tensor([3.0], requires_grad=True)
        return L.autograd.grad((x * 2).sum(), [x, z], materialize_grads=True)
    (ax, az), (tx, tz) = both(fn)
    same(ax, tx)
    same(az, tz)


def test_t_of_a_vector_records_t_backward():
    for lib in (adc, torch):
        assert lib.ones(2, requires_grad=True).t().grad_fn.name() == "TBackward0"


def _functional_results(L):
    """torch.autograd.functional.jacobian/hessian over single and tuple inputs and outputs,
    constant outputs, create_graph, scalar outputs; every block as a numpy array."""
    x = L.tensor([1.0, 2.0, 3.0], dtype=L.float64)
    y = L.tensor([0.5, -1.0], dtype=L.float64)
    F = L.autograd.functional
    pair = F.jacobian(lambda a, b: (a.sum() * b, a * 2), (x, y))
    mixed = F.hessian(lambda a, b: (a ** 2).sum() * b.sum(), (x, y))
    graph = F.jacobian(lambda a: a ** 2, x, create_graph=True)
    blocks = [F.jacobian(lambda a: a ** 2, x), *pair[0], *pair[1],
              F.jacobian(lambda a: a * 0 + 3.0, x), F.hessian(lambda a: (a ** 3).sum(), x),
              *mixed[0], *mixed[1], F.jacobian(lambda a: a ** 2, (x,))[0], graph,
              F.jacobian(lambda a: a.sum(), x), F.hessian(lambda a: a.sum(), x)]
    structure = (type(pair).__name__, len(pair), len(pair[0]), len(mixed), len(mixed[0]),
                 type(F.jacobian(lambda a: a, (x,))).__name__, graph.requires_grad,
                 blocks[0].requires_grad)
    return structure, [b.detach().numpy() for b in blocks]


def test_autograd_functional_jacobian_and_hessian_match_torch():
    (ours, got), (theirs, expected) = _functional_results(adc), _functional_results(torch)
    assert ours == theirs
    for a, b in zip(got, expected):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=1e-12)
    for lib in (adc, torch):
        with pytest.raises(RuntimeError, match="should contain a single element"):
            lib.autograd.functional.hessian(lambda a: a ** 3, lib.ones(2))
