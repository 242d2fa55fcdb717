"""gather, scatter, scatter_add and take_along_dim follow torch's shape rules side by side with
torch 2.13 (issue #19 item 2): gather and scatter take an index smaller than the input off `dim`
without broadcasting it, and a larger src; take_along_dim broadcasts; bad shapes, dtypes and
indices raise torch's errors."""
from __future__ import annotations

import numpy as np
import pytest
from side_by_side import numpy_backward, raises_like_torch, same_as_torch  # noqa: F401

import adc
import adc.numpy as anp

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.usefixtures("numpy_backward")

X = np.arange(12.0).reshape(3, 4) / 7
S = np.arange(1.0, 25.0).reshape(4, 6) / 5


def _i(lib, rows):
    return lib.tensor(np.array(rows, np.int64))


SAME = {
    "gather_smaller_off_dim": (lambda L, x: x.gather(1, _i(L, [[2]])), [X]),
    "gather_rows_smaller": (lambda L, x: x.gather(1, _i(L, [[2, 1, 0, 3, 1]])), [X]),
    "gather_dim0_smaller": (lambda L, x: L.gather(x, 0, _i(L, [[2, 1], [0, 2]])), [X]),
    "gather_repeats": (lambda L, x: x.gather(1, _i(L, [[2, 2, 0], [1, 1, 1]])), [X]),
    "gather_negative_dim": (lambda L, x: x.gather(-2, _i(L, [[1, 2, 0, 0]])), [X]),
    "gather_empty": (lambda L, x: x.gather(1, L.zeros(2, 0, dtype=L.int64)), [X]),
    "gather_int32_index": (lambda L, x: x.gather(1, _i(L, [[3]]).int()), [X]),
    "gather_0d": (lambda L, x: x.sum().gather(0, _i(L, [0, 0])), [X]),
    "gather_3d": (lambda L, x: x.reshape(2, 3, 2).gather(1, _i(L, [[[2], [0]]])), [X]),
    "scatter_index_smaller": (lambda L, x, s: x.scatter(1, _i(L, [[2, 1], [0, 3]]), s),
                              [X, S[:2, :2]]),
    "scatter_value": (lambda L, x: x.scatter(1, _i(L, [[2], [0]]), 2.5), [X]),
    "scatter_0d_src": (lambda L, x: L.zeros(3, dtype=L.float64).scatter(0, _i(L, [1]), x.sum()),
                       [X]),
    "scatter_add_index_smaller": (lambda L, x, s: x.scatter_add(1, _i(L, [[2, 2], [0, 3]]), s),
                                  [X, S[:2, :2]]),
    "scatter_add_longer_along_dim": (
        lambda L, x, s: x.scatter_add(1, _i(L, [[2, 2, 0, 1, 1, 3]]), s), [X, S[:1]]),
    "scatter_add_inplace": (lambda L, x, s: x.clone().scatter_add_(0, _i(L, [[2, 0, 0]]), s),
                            [X, S[:1, :3]]),
    "take_along_dim_broadcasts": (lambda L, x: L.take_along_dim(x, _i(L, [[2], [1], [0]]), 1),
                                  [X]),
    "take_along_dim_broadcasts_index": (lambda L, x: x.take_along_dim(_i(L, [[2, 0]]), 1), [X]),
    "take_along_dim_negative": (lambda L, x: L.take_along_dim(x, _i(L, [[-1], [0], [-4]]), 1),
                                [X]),
    "take_along_dim_flat": (lambda L, x: L.take_along_dim(x, _i(L, [11, 0, 3])), [X]),
}


@pytest.mark.parametrize("name", sorted(SAME))
def test_same_values_and_gradients_as_torch(name):
    fn, arrays = SAME[name]
    same_as_torch(fn, *arrays)


def test_gather_and_scatter_gradients_cpu_backend():
    same_as_torch(lambda L, x: x.gather(1, _i(L, [[2, 1, 0, 3, 1]])), X)
    same_as_torch(lambda L, x, s: x.scatter_add(1, _i(L, [[2, 2], [0, 3]]), s), X, S[:2, :2])


@pytest.mark.parametrize("name", ["scatter", "scatter_add"])
def test_src_larger_than_index_uses_its_leading_block(name):
    """torch's backward rejects a src larger than the index (ScatterBackward0 "returned an
    invalid gradient"); adc gives the block's gradient and zeros outside it."""
    idx = [[2, 1], [0, 3]]
    same_as_torch(lambda L, x, s: getattr(x, name)(1, _i(L, idx), s), X, S, grad=False)
    x, s = adc.tensor(X, requires_grad=True), adc.tensor(S, requires_grad=True)
    tx, ts = torch.tensor(X, requires_grad=True), torch.tensor(S[:2, :2], requires_grad=True)
    for a, b, lib in ((x, s, adc), (tx, ts, torch)):
        (getattr(a, name)(1, _i(lib, idx), b) ** 2).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())
    expected = np.zeros_like(S)
    expected[:2, :2] = ts.grad.numpy()
    np.testing.assert_allclose(s.grad.numpy(), expected)


RAISES = {
    "gather_ndim": (lambda L, x: x.gather(1, _i(L, [2])), "same number of dimensions as input"),
    "gather_larger_off_dim": (lambda L, x: x.gather(1, _i(L, [[2]] * 4)),
                              ("Size does not match at dimension 0 expected index [4, 1] to be no "
                              "larger than self [3, 4] apart from dimension 1")),
    "gather_out_of_range": (lambda L, x: x.gather(1, _i(L, [[4]])),
                            "index 4 is out of bounds for dimension 1 with size 4"),
    "gather_negative_index": (lambda L, x: x.gather(1, _i(L, [[-1]])),
                              "index -1 is out of bounds for dimension 1 with size 4"),
    "gather_float_index": (lambda L, x: x.gather(1, L.tensor([[1.0]])),
                           "gather(): Expected dtype int32/int64 for index"),
    "gather_dim": (lambda L, x: x.gather(2, _i(L, [[1]])), "Dimension out of range"),
    "scatter_ndim_self": (lambda L, x: x.scatter(1, _i(L, [1]), 1.0),
                          "same number of dimensions as self tensor"),
    "scatter_ndim_src": (lambda L, x: x.scatter(1, _i(L, [[1]]), x.reshape(1, 3, 4)),
                         "same number of dimensions as src tensor"),
    "scatter_larger_than_src": (lambda L, x: x.scatter(1, _i(L, [[2, 1]]), x[:1, :1]),
                                ("Expected index [1, 2] to be no larger than self [3, 4] apart "
                                "from dimension 1 and to be no larger size than src [1, 1]")),
    "scatter_larger_than_self": (lambda L, x: x.scatter(1, _i(L, [[2]] * 5), 1.0),
                                 ("Expected index [5, 1] to be no larger than self [3, 4] apart "
                                 "from dimension 1")),
    "scatter_out_of_range": (lambda L, x: x.scatter(1, _i(L, [[5]]), 1.0),
                             "index 5 is out of bounds for dimension 1 with size 4"),
    "scatter_negative_index": (lambda L, x: x.scatter(1, _i(L, [[-1]]), x),
                               "index -1 is out of bounds for dimension 1 with size 4"),
    "scatter_dtype": (lambda L, x: x.scatter(1, _i(L, [[1]]), x.double()),
                      "scatter(): Expected self.dtype to be equal to src.dtype"),
    "scatter_add_out_of_range": (lambda L, x: x.scatter_add(0, _i(L, [[3]]), x),
                                 "index 3 is out of bounds for dimension 0 with size 3"),
    "scatter_add_larger_than_self": (lambda L, x: x.scatter_add(1, _i(L, [[2]] * 5), x[:, :1]),
                                     "Expected index [5, 1] to be no larger than self [3, 4]"),
    "take_along_dim_ndim": (lambda L, x: L.take_along_dim(x, _i(L, [[[2]]]), 1),
                            ("input and indices should have the same number of dimensions, but "
                            "got 2 dimensions for input, and 3 dimensions for indices")),
    "take_along_dim_int32": (lambda L, x: L.take_along_dim(x, _i(L, [[2]]).int(), 1),
                             "dtype of indices should be Long but got Int"),
    "take_along_dim_flat_negative": (lambda L, x: L.take_along_dim(x, _i(L, [-1])),
                                     "index -1 is out of bounds for dimension 0 with size 12"),
    "take_along_dim_broadcast": (lambda L, x: L.take_along_dim(x, _i(L, [[2]] * 5), 1),
                                 ("The size of tensor a (3) must match the size of tensor b (5) at "
                                 "non-singleton dimension 0")),
}


@pytest.mark.parametrize("name", sorted(RAISES))
def test_raises_like_torch(name):
    fn, match = RAISES[name]
    raises_like_torch(fn, X.astype(np.float32), match=match)


def test_out_of_range_index_is_also_an_index_error():
    with pytest.raises(IndexError, match="index 7 is out of bounds for dimension 1"):
        adc.tensor(X).gather(1, adc.tensor([[7]]))
    with pytest.raises(IndexError, match="index 12 is out of bounds for dimension 0"):
        adc.take_along_dim(adc.tensor(X), adc.tensor([12, 0]))


@pytest.mark.parametrize("backend", ["numpy", "cpu"])
def test_gather_on_traced_arrays_has_torch_semantics(backend):
    idx = np.array([[2, 0, 3]])
    f = adc.value_and_grad(lambda x: anp.sum(adc.gather(x, 1, idx) ** 2), backend=backend)
    value, grad = f(X)
    t = torch.tensor(X, requires_grad=True)
    (t.gather(1, torch.tensor(idx)) ** 2).sum().backward()
    np.testing.assert_allclose(value, (t.gather(1, torch.tensor(idx)) ** 2).sum().item())
    np.testing.assert_allclose(grad, t.grad.numpy())
    with pytest.raises(RuntimeError, match="Size does not match at dimension 0"):
        adc.gather(X, 1, np.zeros((4, 1), np.int64))
