"""adc.save / adc.load: state dicts and nested dicts/lists/tuples of tensors on disk.

Stage: tensor front end. Invariant: a file is a numpy .npz archive holding each tensor's array
and a JSON description of the nesting (no pickle anywhere), so loading cannot run code: it is
always what torch's `weights_only=True` guarantees. What can be saved is what that format
describes — Tensors (and Parameters), numpy arrays, None, bools, ints, floats, strings, and
dicts (OrderedDicts kept as such), lists and tuples of them; anything else (a whole Module, an
arbitrary object) raises TypeError naming it. Tensors that shared memory when saved are loaded
as separate tensors (torch keeps the sharing).
"""
from __future__ import annotations

import collections
import json
import os

import numpy as np

from .nn.module import Parameter
from .tensor import Tensor, _check_device

_STRUCTURE = "__adc_structure__"


def save(obj, f) -> None:
    """Write `obj` to `f` (a path or a binary file object)."""
    arrays: dict = {}
    structure = json.dumps(_encode(obj, arrays, "obj"))
    arrays[_STRUCTURE] = np.frombuffer(structure.encode(), np.uint8)
    if isinstance(f, (str, os.PathLike)):
        with open(f, "wb") as out:
            np.savez(out, **arrays)
    else:
        np.savez(f, **arrays)


def load(f, map_location=None, *, weights_only: bool = True):
    """Read what `save` wrote; tensors come back on the CPU, Parameters as Parameters. The
    format holds no code, so `weights_only` (torch's safe mode) holds either way."""
    if map_location is not None:
        _check_device(map_location)
    with np.load(f, allow_pickle=False) as archive:
        arrays = {k: archive[k] for k in archive.files}
    if _STRUCTURE not in arrays:
        raise RuntimeError("adc.load: not a file written by adc.save (no structure record); "
                           "torch's own file format is not read")
    structure = json.loads(arrays.pop(_STRUCTURE).tobytes().decode())
    return _decode(structure, arrays)


def _encode(obj, arrays, where):
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, Tensor):
        key = f"a{len(arrays)}"
        arrays[key] = obj._data
        return {"tensor": key, "requires_grad": obj.requires_grad,
                "parameter": isinstance(obj, Parameter)}
    if isinstance(obj, np.ndarray):
        key = f"a{len(arrays)}"
        arrays[key] = obj
        return {"ndarray": key}
    if isinstance(obj, np.generic):
        return _encode(obj.item(), arrays, where)
    if isinstance(obj, dict):
        for k in obj:
            if not isinstance(k, (str, int)) or isinstance(k, bool):
                raise TypeError(f"adc.save: {where} has a key {k!r} of type "
                                f"{type(k).__name__}; keys must be strings or ints")
        kind = "odict" if isinstance(obj, collections.OrderedDict) else "dict"
        return {kind: [[k, _encode(v, arrays, f"{where}[{k!r}]")] for k, v in obj.items()]}
    if isinstance(obj, (list, tuple)):
        return {"list" if isinstance(obj, list) else "tuple":
                [_encode(v, arrays, f"{where}[{i}]") for i, v in enumerate(obj)]}
    raise TypeError(f"adc.save cannot store {where} of type {type(obj).__name__}: it stores "
                    "tensors, numpy arrays, numbers, strings, None and dicts/lists/tuples of "
                    "them (for a model, save model.state_dict())")


def _decode(s, arrays):
    if not isinstance(s, dict):
        return s
    if "tensor" in s:
        t = Tensor._wrap(arrays[s["tensor"]])
        if s["parameter"]:
            return Parameter(t, s["requires_grad"])
        return t.requires_grad_() if s["requires_grad"] else t
    if "ndarray" in s:
        return arrays[s["ndarray"]]
    if "list" in s:
        return [_decode(v, arrays) for v in s["list"]]
    if "tuple" in s:
        return tuple(_decode(v, arrays) for v in s["tuple"])
    make = collections.OrderedDict if "odict" in s else dict
    return make((k, _decode(v, arrays)) for k, v in s.get("odict", s.get("dict")))
