"""adc.numpy.einsum in every form numpy takes (issue #16): explicit and implicit output,
ellipsis (broadcast between operands), repeated indices (diagonals and traces), size-1
dimensions broadcast, three and more operands (contracted pairwise), empty axes; values
against numpy and gradients against torch, on every backend (all forms in one program per
backend: one compilation), plus the contraction order, the primitives bound and numpy's errors.
"""
from __future__ import annotations

import numpy as np
import pytest

import adc
import adc.numpy as anp

torch = pytest.importorskip("torch")

FORMS = [
    ("ij,ij->ij", [(2, 3), (1, 3)]), ("...i,...i", [(2, 3), (1, 3)]), ("i...->...", [(3, 2, 4)]),
    ("ii", [(3, 3)]), ("ii->i", [(3, 3)]), ("iij->j", [(2, 2, 3)]), ("...ii->...i", [(4, 2, 2)]),
    ("iji->j", [(2, 3, 2)]), ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]),
    ("i,i,i", [(3,), (3,), (3,)]), ("...,...", [(2, 1), (3,)]), ("i,j", [(2,), (3,)]),
    ("ba", [(2, 3)]), ("...ij->...ji", [(2, 3)]),
    ("bij,bjk,bkl->bil", [(2, 2, 3), (2, 3, 4), (1, 4, 2)]),
    ("ij,jk,kl,lm->", [(2, 3), (3, 4), (4, 5), (5, 2)]), ("ijk,jil->kl", [(2, 3, 4), (3, 2, 5)]),
    ("a,b,c->abc", [(2,), (3,), (4,)]), ("ij,j->i", [(0, 3), (3,)]), ("ij,jk", [(2, 1), (1, 3)]),
    ("ij->", [(2, 3)]), ("ij->ij", [(2, 3)]),
]


def _inputs():
    rng = np.random.default_rng(0)
    return [[rng.standard_normal(s) for s in shapes] for _, shapes in FORMS]


@pytest.mark.parametrize("backend", ["numpy", "cpu", "cuda"])
def test_every_form_matches_numpy_and_its_gradient_torch(backend):
    if backend == "cuda":
        pytest.importorskip("numba.cuda")
    arrays = _inputs()
    flat = [x for xs in arrays for x in xs]
    spans = np.cumsum([0] + [len(xs) for xs in arrays])
    weights = [np.linspace(0.5, 1.5, np.einsum(spec, *xs).size).reshape(
        np.einsum(spec, *xs).shape) for (spec, _), xs in zip(FORMS, arrays)]

    def values(*xs):
        return tuple(anp.einsum(spec, *xs[i:j]) for (spec, _), i, j in
                     zip(FORMS, spans, spans[1:]))

    def loss(*xs):
        return sum(anp.sum(v * w) for v, w in zip(values(*xs), weights))

    got = adc.jit(values, backend=backend)(*flat)
    grads = adc.grad(loss, argnums=tuple(range(len(flat))), backend=backend)(*flat)
    for (spec, _), xs, v in zip(FORMS, arrays, got):
        expected = np.einsum(spec, *xs)
        assert np.shape(v) == expected.shape, spec
        np.testing.assert_allclose(v, expected, rtol=1e-12, atol=1e-12, err_msg=spec)
    ts = [torch.tensor(x, requires_grad=True) for x in flat]
    sum((torch.einsum(spec, *ts[i:j]) * torch.tensor(w)).sum() for (spec, _), i, j, w in
        zip(FORMS, spans, spans[1:], weights)).backward()
    for k, (g, t) in enumerate(zip(grads, ts)):
        np.testing.assert_allclose(g, t.grad.numpy(), rtol=1e-10, atol=1e-12, err_msg=str(k))


def _einsum_specs(fn, *args):
    return [e.params["spec"] for e in adc.make_ir(fn)(*args).eqns
            if e.prim.name == "einsum"]


def test_three_operands_contract_the_pair_with_the_smallest_result_first():
    """a (2, 50) b (50, 50) c (50, 1): a @ b first makes 2 x 50, b @ c first 50 x 1; the latter
    is smaller (numpy's greedy order), then a with it."""
    a, b, c = np.ones((2, 50)), np.ones((50, 50)), np.ones((50, 1))
    specs = _einsum_specs(lambda a, b, c: anp.einsum("ij,jk,kl->il", a, b, c), a, b, c)
    assert specs == ["jk,kl->jl", "ij,jl->il"]


def test_a_repeated_index_is_a_diagonal_and_a_broadcast_axis_is_squeezed():
    x, y = np.ones((3, 3)), np.ones((1, 3))
    assert _einsum_specs(lambda x: anp.einsum("ii->i", x), x) == []  # the diagonal alone
    np.testing.assert_array_equal(adc.jit(lambda x: anp.einsum("ii->i", x))(np.diag([1., 2.])),
                                  [1.0, 2.0])
    assert _einsum_specs(lambda x, y: anp.einsum("ij,ij->j", x, y), x, y) == ["ij,j->j"]


@pytest.mark.parametrize("spec,shapes", [
    ("ii", [(2, 3)]), ("ij,ij", [(2, 3), (3, 3)]), ("...i->i", [(2, 3)]), ("ij->k", [(2, 3)]),
    ("i,i->ii", [(2,), (2,)]), ("ij", [(2,)]), ("i.j", [(2, 2)]), ("i,j", [(2,)])])
def test_malformed_subscripts_raise_shape_errors_where_numpy_raises(spec, shapes):
    ops = [np.ones(s) for s in shapes]
    with pytest.raises(ValueError):
        np.einsum(spec, *ops)
    with pytest.raises(adc.ShapeError, match="einsum"):
        adc.jit(lambda *xs: anp.einsum(spec, *xs))(*ops)
