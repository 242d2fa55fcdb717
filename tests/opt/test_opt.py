"""Optimization passes (dce, cse, fold_constants, optimize): each is a pure Graph → Graph
function that leaves `eval_graph` results unchanged, on forward graphs and on gradient graphs;
and each does the work it claims (removes duplicated/unused equations, folds constants)."""
from __future__ import annotations

import numpy as np
import pytest

import adc
import adc.numpy as anp
from adc.ad import backward_pass
from adc.ir import Graph, aval_of, eval_graph
from adc.opt import cse, dce, fold_constants, optimize
from adc.prims import lax
from adc.tracer import trace

RNG = np.random.default_rng(0)
A34 = RNG.standard_normal((3, 4))
B4 = RNG.standard_normal(4)
C3 = RNG.uniform(0.5, 2.0, 3)
W = RNG.standard_normal((4, 2))


def _dup(x, y):
    a = anp.sin(x) * 2.0
    b = anp.sin(x) * 2.0  # duplicated work
    unused = anp.exp(x) + y  # noqa: F841  (dead code)
    return anp.sum((a + b) * y)


def _mlp(x, b):
    h = anp.tanh(x @ W + 0.5)
    return anp.sum(anp.log_softmax(h * 1.0 + 0.0, axis=-1)) + anp.sum(b * b)


def _reductions(x):
    m = anp.max(x, axis=1, keepdims=True)
    return anp.sum(anp.mean(anp.exp(x - m), axis=0)) + anp.logsumexp(x, axis=1).sum() + anp.prod(x[0])


def _indexing(x):
    y = x[:, ::2] * x[1:, [0, 3, 3]].sum() + x[np.array([2, 0]), 1:3].mean()
    return anp.sum(anp.concatenate([y, anp.pad(x[0, :2][None], ((0, 0), (1, 0)))[:, :2]]) ** 2)


def _where_and_ints(x, n, mask):
    safe = anp.where(x > 0, x, 1.0)
    z = anp.where(x > 0, anp.log(safe), 0.0) * n + anp.where(mask, x, -x)
    return anp.sum(z * z)


def _consts(x):
    c = np.arange(4.0)
    return anp.sum(x * c + anp.ones_like(x) * 3.0 - 0.0) / 1.0


PROGRAMS = {
    "dup": (_dup, [B4, B4 + 1.0], (0, 1)),
    "mlp": (_mlp, [A34, B4], (0, 1)),
    "reductions": (_reductions, [A34], (0,)),
    "indexing": (_indexing, [A34], (0,)),
    "where_ints": (_where_and_ints, [B4, np.int64(3), np.array([True, False, True, False])],
                   (0,)),
    "consts": (_consts, [B4], (0,)),
    "float32": (lambda x: anp.sum(anp.softplus(x) * anp.sigmoid(x * 2.0)),
                [B4.astype(np.float32)], (0,)),
}


def _forward_graph(name):
    fn, args, _ = PROGRAMS[name]
    return trace(fn, [aval_of(a) for a in args]).graph, args


def _raw_gradient_graph(name):
    """The unoptimized forward+backward graph (values, then gradients) straight from ad.py."""
    fwd, args = _forward_graph(name)
    nums = PROGRAMS[name][2]
    seed = np.ones((), fwd.out_avals[0].dtype)

    def body(*xs):
        outs, grads = backward_pass(fwd, xs, [seed], nums)
        return outs + grads

    return trace(body, fwd.in_avals).graph, args


def _make_ir_gradient_graph(name):
    fn, args, nums = PROGRAMS[name]
    return adc.make_ir(adc.grad(fn, argnums=nums))(*args), args


def _with_constant_inputs(graph, args, which):
    """The graph with inputs `which` turned into constants (so subgraphs become constant)."""
    consts = dict(graph.consts)
    consts.update({graph.invars[i]: np.asarray(args[i]) for i in which})
    keep = [i for i in range(len(graph.invars)) if i not in which]
    return Graph([graph.invars[i] for i in keep], list(graph.outvars), list(graph.eqns),
                 consts), [args[i] for i in keep]


GRAPHS = {
    "forward": _forward_graph,
    "raw_gradient": _raw_gradient_graph,
    "make_ir_gradient": _make_ir_gradient_graph,
}

PASSES = {
    "dce": dce,
    "cse": cse,
    "fold_constants": fold_constants,
    "optimize": optimize,
    "cse_then_dce": lambda g: dce(cse(g)),
    "optimize_twice": lambda g: optimize(optimize(g)),
}


def _assert_same_results(before, after, args):
    expected = eval_graph(before, *args)
    got = eval_graph(after, *args)
    assert len(got) == len(expected)
    for e, o in zip(expected, got):
        o, e = np.asarray(o), np.asarray(e)
        assert o.shape == e.shape and o.dtype == e.dtype
        np.testing.assert_array_equal(o, e)  # the passes promise bit-for-bit equality


def _snapshot(graph):
    return (str(graph), list(graph.eqns), list(graph.invars), list(graph.outvars),
            dict(graph.consts))


@pytest.mark.parametrize("pass_name", sorted(PASSES))
@pytest.mark.parametrize("kind", sorted(GRAPHS))
@pytest.mark.parametrize("program", sorted(PROGRAMS))
def test_pass_preserves_eval_graph(program, kind, pass_name):
    graph, args = GRAPHS[kind](program)
    before = _snapshot(graph)
    out = PASSES[pass_name](graph)
    assert _snapshot(graph) == before  # pure: the input graph is not modified
    assert [v.aval for v in out.invars] == [v.aval for v in graph.invars]
    assert [v.aval for v in out.outvars] == [v.aval for v in graph.outvars]
    _assert_same_results(graph, out, args)


@pytest.mark.parametrize("pass_name", sorted(PASSES))
@pytest.mark.parametrize("program", ["dup", "mlp", "where_ints"])
def test_pass_preserves_eval_graph_with_constant_inputs(program, pass_name):
    graph, args = _raw_gradient_graph(program)
    graph, args = _with_constant_inputs(graph, args, [len(args) - 1])
    _assert_same_results(graph, PASSES[pass_name](graph), args)


def test_gradient_graph_values_match_grad():
    for name, (fn, args, nums) in PROGRAMS.items():
        graph, _ = _make_ir_gradient_graph(name)
        raw, _ = _raw_gradient_graph(name)
        expected = adc.grad(fn, argnums=nums, backend="numpy")(*args)
        # make_ir(grad(f)) outputs the gradients only; the raw graph outputs the value first
        for got in (eval_graph(graph, *args), eval_graph(raw, *args)[1:]):
            assert len(got) == len(expected)
            for g, e in zip(got, expected):
                np.testing.assert_allclose(g, e, rtol=1e-6 if g.dtype == np.float32 else 1e-12)


# ---- each pass does its job ----

def _count(graph, prim_name=None):
    return sum(1 for e in graph.eqns if prim_name is None or e.prim.name == prim_name)


def test_cse_removes_duplicated_work():
    graph, args = _forward_graph("dup")
    assert _count(graph, "sin") == 2 and _count(graph, "mul") == 3
    out = cse(graph)
    assert _count(out, "sin") == 1
    assert _count(out, "mul") == 2  # sin(x) * 2.0 once (its duplicate constants merged too)
    assert _count(out) == _count(graph) - 2
    _assert_same_results(graph, out, args)


def test_cse_merges_gradient_duplicates():
    raw, args = _raw_gradient_graph("dup")
    n_cos = _count(raw, "cos")
    assert n_cos == 2  # one per sin(x) in the forward pass
    out = cse(raw)
    assert _count(out, "cos") == 1 and _count(out) < _count(raw)
    _assert_same_results(raw, out, args)


def test_cse_merges_large_constants_by_their_bytes():
    """Equal data captured twice (a view made per trace, a value computed per trace) is one
    constant, however large; constants that differ in a bit (-0.0, one element) stay apart."""
    data = np.random.default_rng(0).standard_normal((16, 300))
    other, negzero = data.copy(), np.zeros((16, 300))
    other[3, 7] += 1e-12
    negzero[0, 0] = -0.0

    def f(x):
        return (x @ data.T + x @ np.ascontiguousarray(data).T  # two objects, equal bytes
                + x @ other.T + x @ np.zeros((16, 300)).T + x @ negzero.T)

    graph = trace(f, [aval_of(np.ones((2, 300)))]).graph
    assert len(graph.consts) == 5 and _count(graph, "matmul") == 5
    out = cse(graph)
    assert len(out.consts) == 4 and _count(out, "matmul") == 4
    _assert_same_results(graph, out, [np.ones((2, 300))])


def test_jvp_of_grad_computes_the_forward_once():
    """adc.jvp of an adc.grad traces the function twice; its constant data merges, so the
    optimized program has one forward matrix product, not two (GradBench's kmeans)."""
    P = np.random.default_rng(1).random((200, 4))

    def cost(C):
        d = anp.sum(P * P, axis=1)[None, :] + anp.sum(C * C, axis=1)[:, None] - 2 * (C @ P.T)
        return anp.sum(anp.amin(d, axis=0))

    C = P[:5].copy()
    graph = optimize(adc.make_ir(lambda C: adc.jvp(adc.grad(cost), (C,),
                                                    (np.ones_like(C),)))(C))
    assert _count(graph, "matmul") == 2  # C @ P.T, and the gradient's product with P
    gradient, tangent = adc.jvp(adc.grad(cost, backend="numpy"), (C,), (np.ones_like(C),))
    np.testing.assert_allclose(gradient, adc.grad(cost, backend="numpy")(C), rtol=1e-12)


def test_cse_respects_parameters():
    def f(x):
        return anp.sum(x, axis=0) + anp.sum(x, axis=1)[:1] + anp.sum(x, axis=0)

    graph = trace(f, [aval_of(np.ones((3, 3)))]).graph
    out = cse(graph)
    assert _count(out, "reduce_sum") == 2  # axis=0 twice merged; axis=1 kept
    _assert_same_results(graph, out, [A34[:, :3]])


def test_cse_is_idempotent():
    graph, args = _raw_gradient_graph("mlp")
    once = cse(graph)
    twice = cse(once)
    assert _count(twice) == _count(once)


def test_dce_removes_unused_equations():
    graph, args = _forward_graph("dup")
    assert _count(graph, "exp") == 1
    out = dce(graph)
    assert _count(out, "exp") == 0
    assert _count(out) == _count(graph) - 2  # exp and the add that used it
    assert len(out.invars) == len(graph.invars)  # the signature does not change
    _assert_same_results(graph, out, args)


def test_dce_drops_unused_constants_and_keeps_order():
    def f(x):
        dead = x * np.arange(4.0)  # noqa: F841
        return anp.cos(anp.sin(x))

    graph = trace(f, [aval_of(B4)]).graph
    out = dce(graph)
    assert [e.prim.name for e in out.eqns] == ["sin", "cos"]
    assert not out.consts


def test_dce_keeps_everything_live():
    graph, args = _make_ir_gradient_graph("mlp")  # already optimized: nothing is dead
    assert _count(dce(graph)) == _count(graph)


def test_fold_constants_folds_constant_only_subgraphs():
    def f(x, c):
        k = anp.exp(c) * 3.0 + 1.0  # depends only on c
        return anp.sum(anp.sin(x) * k)

    graph = trace(f, [aval_of(B4), aval_of(B4)]).graph
    assert _count(graph, "exp") == 1
    const_graph, args = _with_constant_inputs(graph, [B4, B4], [1])
    out = fold_constants(const_graph)
    assert _count(out, "exp") == 0 and _count(out, "add") == 0
    assert [e.prim.name for e in out.eqns] == ["sin", "mul", "reduce_sum"]
    folded = [v for v in out.consts.values() if np.shape(v) == (4,)]
    assert any(np.allclose(v, np.exp(B4) * 3.0 + 1.0) for v in folded)
    _assert_same_results(const_graph, out, args)


def test_fold_constants_whole_graph_constant():
    def f(x, c):
        return anp.sum(anp.exp(c) * 2.0)

    graph = trace(f, [aval_of(B4), aval_of(B4)]).graph
    const_graph, args = _with_constant_inputs(graph, [B4, C3[:1].repeat(4)], [1])
    out = fold_constants(const_graph)
    assert _count(out) == 0
    np.testing.assert_array_equal(eval_graph(out, *args)[0], eval_graph(const_graph, *args)[0])


def test_fold_constants_removes_identities():
    def f(x, one, negative_zero, zero):
        return ((x * one + negative_zero) - zero) / one

    graph = trace(f, [aval_of(B4)] * 4).graph
    const_graph, args = _with_constant_inputs(
        graph, [B4, np.ones(4), np.full(4, -0.0), np.zeros(4)], [1, 2, 3])
    out = fold_constants(const_graph)
    assert _count(out) == 0
    assert out.outvars[0] is out.invars[0]
    _assert_same_results(const_graph, out, args)


def test_fold_constants_keeps_the_sign_of_zero():
    """-0.0 + 0.0 is +0.0 and -0.0 - -0.0 is +0.0: neither is an identity at x = -0.0."""
    def f(x, zero, negative_zero):
        return x + zero, zero + x, x - negative_zero

    x = np.array([-0.0, 0.0, 1.5, -2.0])
    graph = trace(f, [aval_of(x)] * 3).graph
    const_graph, args = _with_constant_inputs(graph, [x, np.zeros(4), np.full(4, -0.0)], [1, 2])
    out = fold_constants(const_graph)
    assert _count(out) == 3
    for got in eval_graph(out, *args):
        np.testing.assert_array_equal(np.signbit(got), [False, False, False, True])
    assert not np.signbit(adc.jit(lambda x: x + 0.0)(np.array([-0.0])))[0]


def test_fold_constants_keeps_broadcasting_identities():
    """x * ones((2, 4)) with x of shape (4,) changes the shape: it must stay an equation."""
    def f(x, ones):
        return x * ones

    graph = trace(f, [aval_of(B4), aval_of(np.ones((2, 4)))]).graph
    const_graph, args = _with_constant_inputs(graph, [B4, np.ones((2, 4))], [1])
    out = fold_constants(const_graph)
    assert out.out_avals[0].shape == (2, 4)
    _assert_same_results(const_graph, out, args)


def test_fold_constants_sees_neutral_constants_through_broadcasts():
    """x * broadcast(1.0) and x + reshape(broadcast(-0.0)) are x; a broadcast that changes x's
    shape stays an equation."""
    def f(x, one, zero):
        y = x * lax.broadcast_to(one, (3, 4)) + lax.reshape(lax.broadcast_to(zero, (12,)), (3, 4))
        return y, lax.broadcast_to(one, (2, 3, 4)) * y

    graph = trace(f, [aval_of(A34), aval_of(np.ones(())), aval_of(np.zeros((1,)))]).graph
    const_graph, args = _with_constant_inputs(graph, [A34, np.ones(()), np.full((1,), -0.0)],
                                              [1, 2])
    assert _count(const_graph) == 7
    out = dce(fold_constants(const_graph))
    assert out.outvars[0] is out.invars[0]
    assert [e.prim.name for e in out.eqns] == ["broadcast_to", "mul"]
    assert out.out_avals[1].shape == (2, 3, 4)
    _assert_same_results(const_graph, out, args)


def test_fold_constants_does_not_fold_non_identity_multiplier():
    def f(x, two):
        return x * two

    graph = trace(f, [aval_of(B4)] * 2).graph
    const_graph, args = _with_constant_inputs(graph, [B4, np.full(4, 2.0)], [1])
    out = fold_constants(const_graph)
    assert _count(out, "mul") == 1
    _assert_same_results(const_graph, out, args)


def test_fold_constants_double_negation():
    graph = trace(lambda x: -(-x), [aval_of(B4)]).graph
    out = dce(fold_constants(graph))
    assert _count(out) == 0
    _assert_same_results(graph, out, [B4])


def test_fold_constants_collapses_reshape_chains_and_drops_no_op_reshapes():
    def f(x):
        chain = lax.reshape(lax.reshape(lax.reshape(x, (4, 3)), (2, 6)), (12,))
        back = lax.reshape(lax.reshape(x, (12,)), (3, 4))  # x's own shape: no reshape at all
        return anp.sin(chain), back * 2.0
    graph = trace(f, [aval_of(A34)]).graph
    out = dce(fold_constants(graph))
    reshapes = [e for e in out.eqns if e.prim.name == "reshape"]
    assert len(reshapes) == 1 and reshapes[0].ins[0] is out.invars[0], out
    assert reshapes[0].params["shape"] == (12,)
    _assert_same_results(graph, out, [A34])


def test_optimize_shrinks_gradient_graphs():
    for name in PROGRAMS:
        raw, args = _raw_gradient_graph(name)
        out = optimize(raw)
        assert _count(out) <= _count(raw)
        _assert_same_results(raw, out, args)
    raw, _ = _raw_gradient_graph("dup")
    assert _count(optimize(raw)) < _count(raw)
