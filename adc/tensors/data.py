"""Data utilities with torch.utils.data's names and semantics: Dataset, TensorDataset, Subset,
ConcatDataset, random_split, the samplers, default_collate / default_convert and DataLoader.

Stage: tensor front end. Invariants: batches are what torch's would be (samples stacked by
`stack`, Python ints → int64, floats → float64, numpy values → tensors of their dtype, strings
kept as lists, containers collated per element or key); randomness comes from adc's generator
(`manual_seed`) or a numpy `Generator` passed as `generator=`; loading runs in this process
(`num_workers > 0` raises `UnsupportedError`).
"""
from __future__ import annotations

import bisect
import collections.abc
import copy
import itertools
import math
import re
import types
import warnings

import numpy as np

from ..errors import UnsupportedError
from . import creation
from .ops import stack
from .tensor import Tensor


class Dataset:
    """A map-style dataset: `dataset[i]` is the i-th sample, `len(dataset)` their number."""

    __class_getitem__ = classmethod(types.GenericAlias)  # Dataset[int], as torch's Generic

    def __getitem__(self, index):
        raise NotImplementedError("Subclasses of Dataset should implement __getitem__.")

    def __add__(self, other) -> ConcatDataset:
        return ConcatDataset([self, other])


class TensorDataset(Dataset):
    """Samples are the rows (first axis) of each tensor, as one tuple."""

    def __init__(self, *tensors: Tensor) -> None:
        if any(tensors[0].size(0) != t.size(0) for t in tensors):
            raise AssertionError("Size mismatch between tensors")
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __len__(self) -> int:
        return self.tensors[0].size(0)


class Subset(Dataset):
    """The samples of `dataset` at `indices`, in that order."""

    def __init__(self, dataset, indices) -> None:
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, index):
        if isinstance(index, list):
            return self.dataset[[self.indices[i] for i in index]]
        return self.dataset[self.indices[index]]

    def __getitems__(self, indices):
        if callable(getattr(self.dataset, "__getitems__", None)):
            return self.dataset.__getitems__([self.indices[i] for i in indices])
        return [self.dataset[self.indices[i]] for i in indices]

    def __len__(self) -> int:
        return len(self.indices)


class ConcatDataset(Dataset):
    """The samples of each dataset in turn."""

    def __init__(self, datasets) -> None:
        self.datasets = list(datasets)
        if not self.datasets:
            raise AssertionError("datasets should not be an empty iterable")
        self.cumulative_sizes = list(itertools.accumulate(len(d) for d in self.datasets))

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, index):
        if index < 0:
            if -index > len(self):
                raise ValueError("absolute value of index should not exceed dataset length")
            index += len(self)
        k = bisect.bisect_right(self.cumulative_sizes, index)
        return self.datasets[k][index - (self.cumulative_sizes[k - 1] if k else 0)]


def _generator(generator) -> np.random.Generator:
    if generator is None:
        return creation._rng[0]
    if isinstance(generator, np.random.Generator):
        return generator
    raise UnsupportedError(
        f"generator={type(generator).__name__}: adc draws from its own generator (seed it with "
        "adc.manual_seed) or from a numpy.random.Generator passed as generator=")


def random_split(dataset, lengths, generator=None) -> list[Subset]:
    """Disjoint random Subsets of `dataset` with the given lengths, or fractions summing to 1
    (floors, then one more for each split in turn until every sample is placed)."""
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        sizes = []
        for i, frac in enumerate(lengths):
            if frac < 0 or frac > 1:
                raise ValueError(f"Fraction at index {i} is not between 0 and 1")
            sizes.append(math.floor(len(dataset) * frac))
        for i in range(len(dataset) - sum(sizes)):
            sizes[i % len(sizes)] += 1
        lengths = sizes
        for i, n in enumerate(lengths):
            if n == 0:
                warnings.warn(f"Length of split at index {i} is 0. "
                              "This might result in an empty dataset.", stacklevel=2)
    if sum(lengths) != len(dataset):
        raise ValueError("Sum of input lengths does not equal the length of the input dataset!")
    order = _generator(generator).permutation(sum(lengths)).tolist()
    ends = itertools.accumulate(lengths)
    return [Subset(dataset, order[end - n:end]) for end, n in zip(ends, lengths)]


class Sampler:
    """An iterable of dataset indices (or of lists of them, for batch samplers)."""

    __class_getitem__ = classmethod(types.GenericAlias)

    def __iter__(self):
        raise NotImplementedError


class SequentialSampler(Sampler):
    def __init__(self, data_source) -> None:
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler):
    """Indices in random order: whole permutations (without replacement) or independent
    draws, `num_samples` of them (default: the dataset's length)."""

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None) -> None:
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        if not isinstance(replacement, bool):
            raise TypeError("replacement should be a boolean value, but got "
                            f"replacement={replacement}")
        if not isinstance(self.num_samples, int) or self.num_samples <= 0:
            raise ValueError("num_samples should be a positive integer value, but got "
                             f"num_samples={self.num_samples}")
        _generator(generator)

    @property
    def num_samples(self) -> int:
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self):
        n, rng = len(self.data_source), _generator(self.generator)
        if self.replacement:
            yield from rng.integers(0, n, self.num_samples).tolist()
            return
        for _ in range(self.num_samples // n):
            yield from rng.permutation(n).tolist()
        yield from rng.permutation(n)[:self.num_samples % n].tolist()

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler):
    """Lists of `batch_size` indices from `sampler`; the last may be short unless dropped."""

    def __init__(self, sampler, batch_size, drop_last) -> None:
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size <= 0:
            raise ValueError("batch_size should be a positive integer value, but got "
                             f"batch_size={batch_size}")
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got drop_last={drop_last}")
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def __iter__(self):
        indices = iter(self.sampler)
        while batch := list(itertools.islice(indices, self.batch_size)):
            if len(batch) < self.batch_size and self.drop_last:
                return
            yield batch

    def __len__(self) -> int:
        if self.drop_last:
            return len(self.sampler) // self.batch_size
        return (len(self.sampler) + self.batch_size - 1) // self.batch_size


_TEXT_OR_OBJECT = re.compile(r"[SaUO]")  # numpy dtype codes that cannot become tensors


def _rebuild(sample, parts):
    """A container like `sample` holding `parts` (its values, in order); tuples become lists
    and types that cannot be rebuilt become plain dicts or lists, as in torch."""
    if isinstance(sample, collections.abc.Mapping):
        parts = dict(zip(sample, parts))
        try:
            if isinstance(sample, collections.abc.MutableMapping):
                clone = copy.copy(sample)
                clone.update(parts)
                return clone
            return type(sample)(parts)
        except TypeError:
            return parts
    if isinstance(sample, tuple):
        return type(sample)(*parts) if hasattr(sample, "_fields") else list(parts)
    try:
        if isinstance(sample, collections.abc.MutableSequence):
            clone = copy.copy(sample)
            clone[:] = parts
            return clone
        return type(sample)(parts)
    except TypeError:
        return list(parts)


def _is_container(x) -> bool:
    return isinstance(x, (collections.abc.Mapping, collections.abc.Sequence)) and \
        not isinstance(x, (str, bytes))


def default_convert(data):
    """One sample with its numpy arrays and scalars made tensors (used when batching is off)."""
    if isinstance(data, Tensor):
        return data
    if isinstance(data, np.ndarray):
        return data if _TEXT_OR_OBJECT.search(data.dtype.str) else creation.as_tensor(data)
    if isinstance(data, (np.bool_, np.number)):
        return creation.as_tensor(data)
    if _is_container(data):
        values = data.values() if isinstance(data, collections.abc.Mapping) else data
        return _rebuild(data, [default_convert(v) for v in values])
    return data


def default_collate(batch):
    """A list of samples as one batch: tensors stacked on a new first axis, numbers and numpy
    values made tensors, strings kept as a list, containers collated per element or key."""
    elem = batch[0]
    if isinstance(elem, Tensor):
        return stack(batch, 0)
    if isinstance(elem, np.ndarray):
        if _TEXT_OR_OBJECT.search(elem.dtype.str):
            raise TypeError(_collate_error(elem.dtype))
        return stack([creation.as_tensor(b) for b in batch], 0)
    if isinstance(elem, (np.bool_, np.number)):
        return creation.tensor(np.array(batch))
    if isinstance(elem, float):
        return creation.tensor(batch, dtype=np.float64)
    if isinstance(elem, int):  # bools too: a bool tensor, as torch.tensor makes
        return creation.tensor(batch)
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        return _rebuild(elem, [default_collate([d[key] for d in batch]) for key in elem])
    if isinstance(elem, collections.abc.Sequence):
        if any(len(sample) != len(elem) for sample in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        return _rebuild(elem, [default_collate(column) for column in zip(*batch)])
    raise TypeError(_collate_error(type(elem)))


def _collate_error(found) -> str:
    return ("default_collate: batch must contain tensors, numpy arrays, numbers, dicts or "
            f"lists; found {found}")


class DataLoader:
    """Batches of `dataset` in sampler order, collated by `collate_fn`, loaded in this process.

    `batch_size=None` turns batching off (each sample is passed through `default_convert`);
    `batch_sampler` replaces batch_size, shuffle, sampler and drop_last."""

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None,
                 num_workers=0, collate_fn=None, pin_memory=False, drop_last=False, timeout=0,
                 worker_init_fn=None, generator=None, *, prefetch_factor=None,
                 persistent_workers=False) -> None:
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative; "
                             "use num_workers=0 to disable multiprocessing.")
        if num_workers > 0:
            raise UnsupportedError(
                f"DataLoader(num_workers={num_workers}): adc loads data in the calling process "
                "only; use num_workers=0")
        if pin_memory:
            raise UnsupportedError("DataLoader(pin_memory=True): adc tensors live in host memory "
                                   "and have no pinned form; use pin_memory=False")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if timeout != 0:
            raise ValueError("timeout option applies to worker processes only; "
                             "with num_workers=0 it must be 0")
        if prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in "
                             "multiprocessing.let num_workers > 0 to enable multiprocessing, "
                             "otherwise set prefetch_factor to None.")
        if persistent_workers:
            raise ValueError("persistent_workers option needs num_workers > 0")
        shuffle = bool(shuffle)
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, "
                                 "shuffle, sampler, and drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually "
                             "exclusive with drop_last")
        if sampler is None:
            sampler = (RandomSampler(dataset, generator=generator) if shuffle else
                       SequentialSampler(dataset))
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.dataset = dataset
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.num_workers = num_workers
        self.worker_init_fn = worker_init_fn  # called by no worker: there are none, as in torch
        self.collate_fn = collate_fn or (default_collate if batch_sampler is not None else
                                         default_convert)

    def __len__(self) -> int:
        return len(self.batch_sampler if self.batch_sampler is not None else self.sampler)

    def __iter__(self):
        if self.batch_sampler is None:
            for index in self.sampler:
                yield self.collate_fn(self.dataset[index])
            return
        many = getattr(self.dataset, "__getitems__", None)
        for indices in self.batch_sampler:
            samples = many(indices) if callable(many) else [self.dataset[i] for i in indices]
            yield self.collate_fn(samples)


__all__ = ["Dataset", "TensorDataset", "Subset", "ConcatDataset", "random_split", "Sampler",
           "SequentialSampler", "RandomSampler", "BatchSampler", "default_collate",
           "default_convert", "DataLoader"]
