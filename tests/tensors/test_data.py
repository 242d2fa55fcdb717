"""adc.utils.data against torch.utils.data on the same data: batch contents, container types,
shapes, dtypes and lengths; splits and samplers; the errors; and a shuffled training loop."""
import collections
import warnings

import numpy as np
import pytest

import adc
import adc.utils.data as data
from adc.utils.data import DataLoader, TensorDataset

torch = pytest.importorskip("torch")
tdata = torch.utils.data

R = np.random.default_rng(5)
X = R.standard_normal((10, 3)).astype(np.float32)
Y = R.integers(0, 4, 10)
Point = collections.namedtuple("Point", "x y")


def _plain(value):
    """A batch from either library as nested Python/numpy values, container types kept."""
    if isinstance(value, (adc.Tensor, torch.Tensor)):
        return np.asarray(value.detach().numpy())
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return type(value)(*map(_plain, value))
    if isinstance(value, (list, tuple)):
        return type(value)(map(_plain, value))
    return value


def _same(a, b):
    assert type(a) is type(b), (a, b)
    if isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a, b)
    elif isinstance(a, dict):
        assert list(a) == list(b)
        for k in a:
            _same(a[k], b[k])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _same(x, y)
    else:
        assert a == b


def _loaders(make_dataset, **kw):
    return DataLoader(make_dataset(adc), **kw), tdata.DataLoader(make_dataset(torch), **kw)


def _tensors(lib):
    return lib.utils.data.TensorDataset(lib.tensor(X), lib.tensor(Y)) if lib is torch else \
        TensorDataset(adc.tensor(X), adc.tensor(Y))


class _Samples:
    """A map-style dataset of arbitrary Python samples (no base class needed, as in torch)."""

    def __init__(self, samples):
        self.samples = samples

    def __getitem__(self, i):
        return self.samples[i]

    def __len__(self):
        return len(self.samples)


@pytest.mark.parametrize("batch_size,drop_last", [(1, False), (3, False), (3, True), (4, True),
                                                  (10, False), (12, False), (12, True),
                                                  (None, False)])
def test_tensor_dataset_batches_match_torch(batch_size, drop_last):
    ours, theirs = _loaders(_tensors, batch_size=batch_size, drop_last=drop_last)
    assert len(ours) == len(theirs)
    got, want = [_plain(b) for b in ours], [_plain(b) for b in theirs]
    assert len(got) == len(want) == len(theirs)
    for a, b in zip(got, want):
        _same(a, b)


SAMPLES = {
    "ints": [3, -1, 7],
    "floats": [0.5, 1.25, -2.0],
    "bools": [True, False, True],
    "arrays": [R.standard_normal((2, 2)).astype(np.float32) for _ in range(3)],
    "int16 arrays": [np.arange(4, dtype=np.int16) + k for k in range(3)],
    "numpy scalars": [np.float32(1.5), np.float32(2.5), np.float32(-1)],
    "strings": ["a", "bc", "d"],
    "tuples": [(1, 0.5, "x"), (2, 1.5, "y"), (3, 2.5, "z")],
    "lists": [[1, 2.0], [3, 4.0], [5, 6.0]],
    "dicts": [{"a": 1, "b": [np.ones(2), 0.5]}, {"a": 2, "b": [np.zeros(2), 1.5]},
              {"a": 3, "b": [np.ones(2), 2.5]}],
    "namedtuples": [Point(1, 2.0), Point(3, 4.0), Point(5, 6.0)],
}


@pytest.mark.parametrize("kind", SAMPLES)
@pytest.mark.parametrize("batch_size", [2, None])
def test_default_collate_and_convert_match_torch(kind, batch_size):
    samples = SAMPLES[kind]
    ours = DataLoader(_Samples(samples), batch_size=batch_size)
    theirs = tdata.DataLoader(_Samples(samples), batch_size=batch_size)
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs, strict=True):
        _same(_plain(a), _plain(b))


def test_samples_that_are_tensors_stack_and_keep_their_dtype():
    samples = [adc.tensor([1, 2], dtype=adc.int32), adc.tensor([3, 4], dtype=adc.int32)]
    batch = data.default_collate(samples)
    want = tdata.default_collate([torch.tensor([1, 2], dtype=torch.int32),
                                  torch.tensor([3, 4], dtype=torch.int32)])
    _same(_plain(batch), _plain(want))


@pytest.mark.parametrize("batch,error", [
    ([[1, 2], [3]], RuntimeError),
    ([np.array(["a", "b"]), np.array(["c", "d"])], TypeError),
    ([object(), object()], TypeError),
])
def test_collate_errors_match_torch(batch, error):
    with pytest.raises(error) as ours:
        data.default_collate(batch)
    with pytest.raises(error) as theirs:
        tdata.default_collate(batch)
    assert str(ours.value).split("found")[0] == str(theirs.value).split("found")[0]


def test_tensor_dataset_size_mismatch_raises_as_torch():
    with pytest.raises(AssertionError, match="Size mismatch"):
        TensorDataset(adc.zeros(3, 2), adc.zeros(4))
    with pytest.raises(AssertionError, match="Size mismatch"):
        tdata.TensorDataset(torch.zeros(3, 2), torch.zeros(4))


def test_subset_concat_and_add_index_as_torch():
    for lib, ns in ((adc, data), (torch, tdata)):
        a = ns.TensorDataset(lib.tensor(X[:4]))
        b = ns.TensorDataset(lib.tensor(X[4:]))
        both = a + b
        assert isinstance(both, ns.ConcatDataset) and len(both) == 10
        sub = ns.Subset(both, [9, 0, 5])
        got = [_plain(sub[i][0]) for i in range(len(sub))] + [_plain(both[-1][0])]
        np.testing.assert_array_equal(np.stack(got), X[[9, 0, 5, 9]])
        with pytest.raises(ValueError, match="absolute value of index"):
            both[-11]
        with pytest.raises(AssertionError, match="empty"):
            ns.ConcatDataset([])
    ours = DataLoader(data.Subset(_tensors(adc), [7, 1, 4]), batch_size=2)
    theirs = tdata.DataLoader(tdata.Subset(_tensors(torch), [7, 1, 4]), batch_size=2)
    for a, b in zip(ours, theirs, strict=True):
        _same(_plain(a), _plain(b))


def test_base_dataset_needs_getitem_and_subscripts_as_a_generic():
    with pytest.raises(NotImplementedError):
        data.Dataset()[0]

    class Squares(data.Dataset[int]):
        def __getitem__(self, i):
            return i * i

        def __len__(self):
            return 5

    assert issubclass(Squares, data.Dataset) and data.Sampler[int] is not None
    _same(_plain(next(iter(DataLoader(Squares(), batch_size=5)))), np.arange(5) ** 2)


@pytest.mark.parametrize("lengths", [[3, 7], [0.3, 0.7], [0.25, 0.25, 0.5], [0.33, 0.33, 0.34],
                                     [1, 0, 9]])
def test_random_split_lengths_and_disjointness_match_torch(lengths):
    with warnings.catch_warnings(record=True) as ours_warned:
        warnings.simplefilter("always")
        ours = data.random_split(range(10), lengths)
    with warnings.catch_warnings(record=True) as theirs_warned:
        warnings.simplefilter("always")
        theirs = tdata.random_split(range(10), lengths)
    assert [len(s) for s in ours] == [len(s) for s in theirs]
    assert len(ours_warned) == len(theirs_warned)
    drawn = [x for s in ours for x in (s[i] for i in range(len(s)))]
    assert sorted(drawn) == list(range(10))


def test_random_split_reproducible_and_errors():
    adc.manual_seed(3)
    first = [list(s.indices) for s in data.random_split(range(10), [4, 6])]
    adc.manual_seed(3)
    assert [list(s.indices) for s in data.random_split(range(10), [4, 6])] == first
    own = [list(s.indices) for s in data.random_split(range(10), [4, 6],
                                                       generator=np.random.default_rng(0))]
    assert own == [list(s.indices) for s in data.random_split(
        range(10), [4, 6], generator=np.random.default_rng(0))]
    for ns in (data, tdata):
        with pytest.raises(ValueError, match="Sum of input lengths"):
            ns.random_split(range(10), [4, 5])
        with pytest.raises(ValueError, match="not between 0 and 1"):
            ns.random_split(range(10), [1.5, -0.5])
    with pytest.raises(adc.UnsupportedError, match="manual_seed"):
        data.random_split(range(10), [4, 6], generator=torch.Generator())


def test_shuffle_draws_permutations_from_adcs_generator():
    loader = DataLoader(TensorDataset(adc.arange(10)), batch_size=3, shuffle=True)
    adc.manual_seed(0)
    epochs = [np.concatenate([b[0].numpy() for b in loader]) for _ in range(3)]
    for e in epochs:
        assert sorted(e) == list(range(10))
    assert any((e != epochs[0]).any() for e in epochs[1:])
    adc.manual_seed(0)
    np.testing.assert_array_equal(np.concatenate([b[0].numpy() for b in loader]), epochs[0])
    assert [len(b[0]) for b in loader] == [3, 3, 3, 1]


def test_samplers_match_torch():
    seq = list(data.BatchSampler(data.SequentialSampler(range(10)), 3, False))
    assert seq == list(tdata.BatchSampler(tdata.SequentialSampler(range(10)), 3, False))
    for drop in (False, True):
        ours = data.BatchSampler(range(10), 4, drop)
        theirs = tdata.BatchSampler(range(10), 4, drop)
        assert list(ours) == list(theirs) and len(ours) == len(theirs)
    for kw in ({}, {"num_samples": 25}, {"replacement": True, "num_samples": 7}):
        ours = data.RandomSampler(range(10), **kw)
        drawn = list(ours)
        assert len(ours) == len(drawn) == len(tdata.RandomSampler(range(10), **kw))
        assert set(drawn) <= set(range(10))
        if not kw.get("replacement"):
            assert sorted(drawn[:10]) == list(range(10))
    loader = DataLoader(_tensors(adc), batch_sampler=data.BatchSampler(range(10), 4, True))
    reference = tdata.DataLoader(_tensors(torch), batch_sampler=tdata.BatchSampler(range(10), 4,
                                                                                 True))
    assert len(loader) == len(reference) == 2
    for a, b in zip(loader, reference, strict=True):
        _same(_plain(a), _plain(b))
    for ns in (data, tdata):
        with pytest.raises(ValueError, match="batch_size should be a positive integer"):
            ns.BatchSampler(range(3), 0, False)
        with pytest.raises(ValueError, match="num_samples should be a positive integer"):
            ns.RandomSampler(range(3), num_samples=0)


def test_custom_collate_fn_and_sampler():
    ours = DataLoader(_Samples([1, 2, 3, 4]), batch_size=2, collate_fn=sum,
                      sampler=[3, 2, 1, 0])
    theirs = tdata.DataLoader(_Samples([1, 2, 3, 4]), batch_size=2, collate_fn=sum,
                              sampler=[3, 2, 1, 0])
    assert list(ours) == list(theirs) == [7, 3]


@pytest.mark.parametrize("kw,match", [
    ({"shuffle": True, "sampler": [0, 1]}, "mutually exclusive with shuffle"),
    ({"batch_size": 2, "batch_sampler": [[0, 1]]}, "batch_sampler option is mutually exclusive"),
    ({"batch_size": None, "drop_last": True}, "disables auto-batching"),
    ({"num_workers": -1}, "num_workers option should be non-negative"),
    ({"persistent_workers": True}, "persistent_workers option needs num_workers > 0"),
])
def test_loader_argument_errors_match_torch(kw, match):
    for ns in (data, tdata):
        with pytest.raises(ValueError, match=match):
            ns.DataLoader(_Samples([1, 2]), **kw)


@pytest.mark.parametrize("kw", [{"num_workers": 2}, {"pin_memory": True}])
def test_what_adc_cannot_do_raises_instead_of_being_ignored(kw):
    with pytest.raises(adc.UnsupportedError, match=next(iter(kw))):
        DataLoader(_Samples([1, 2]), **kw)
    with pytest.raises(adc.UnsupportedError, match="generator"):
        DataLoader(_Samples([1, 2]), shuffle=True, generator=torch.Generator())


def test_import_forms():
    import adc.utils
    from adc.utils.data import DataLoader as Loader
    assert adc.utils.data is adc.tensors.data and Loader is DataLoader


def test_training_loop_over_a_shuffled_loader():
    adc.manual_seed(0)
    rng = np.random.default_rng(1)
    xs = rng.standard_normal((64, 4)).astype(np.float32)
    ys = xs @ np.array([[1.0], [-2.0], [0.5], [3.0]], np.float32) + 0.1
    model = adc.nn.Linear(4, 1)
    opt = adc.optim.SGD(model.parameters(), lr=0.1)
    loss_fn = adc.nn.MSELoss()
    losses = []
    for _ in range(15):
        total = 0.0
        for x, y in DataLoader(TensorDataset(adc.tensor(xs), adc.tensor(ys)), batch_size=8,
                               shuffle=True):
            assert x.shape == (8, 4) and y.shape == (8, 1)
            opt.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            opt.step()
            total += loss.item()
        losses.append(total / 8)
    assert losses[-1] < 1e-2 < losses[0]
