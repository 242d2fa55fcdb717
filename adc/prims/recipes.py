"""Elementwise derivatives as recipes: the traced operations symbolic.to_ops builds for each
`d form / d x_i`, recorded once as plain data and replayed with the real operations.

Stage: differentiate (Elementwise.vjp). Invariant: replaying a recipe makes exactly the
calls to_ops would make, in the same order, with the same constants (cast to the output's
dtype as to_ops casts them), so the traced gradient is the same graph whether the recipe was
just recorded or read back. Recipes are kept per primitive and parameters in memory and in
the disk cache (`adc_<key>.vjp`, the key a digest of the primitive, its parameters, sympy's
version and adc.prims' sources): a process whose cache holds them never imports sympy to
differentiate. A file that does not parse as a recipe of that key is recorded afresh.
"""
from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import json
from pathlib import Path

import numpy as np

from .. import disk
from .base import REGISTRY, Primitive
from .lazy import LazyModule

S = LazyModule(".symbolic", __package__)

ZERO, ONE, MINUS_ONE = "zero", "one", "minus_one"  # derivatives replayed without operations
_MEMORY: dict = {}


class _Ref:
    """A value a recorded operation takes: an input, the output, or an earlier step."""

    def __init__(self, code):
        self.code = code


# the lax operations to_ops calls, with their operand counts (elementwise and pow_scalar,
# which take a primitive or a float, are checked on their own)
_ARITY = {**dict.fromkeys(["neg", "sqrt", "logical_not"], 1), "where": 3,
          **dict.fromkeys(["add", "sub", "mul", "div", "power", "equal", "not_equal", "less",
                           "less_equal", "greater", "greater_equal", "logical_and",
                           "logical_or"], 2)}


class _Recorder:
    """Stands for adc.prims.lax while to_ops runs: each operation becomes a step."""

    def __init__(self):
        self.steps = []

    def __getattr__(self, op: str):
        if op not in _ARITY and op not in ("elementwise", "pow_scalar"):
            raise TypeError(f"recipes: to_ops called lax.{op}, which recipes do not replay "
                            "(add it to _ARITY)")

        def record(*args):
            self.steps.append([op, [_code(a) for a in args]])
            return _Ref(["step", len(self.steps) - 1])
        return record


def _code(arg):
    if isinstance(arg, _Ref):
        return arg.code
    if isinstance(arg, np.ndarray) and arg.shape == ():
        return ["const", float(arg)]  # to_ops' numeric constants: 0-d arrays of the dtype
    if isinstance(arg, float):
        return ["float", arg]
    if isinstance(arg, Primitive):
        return ["prim", arg.name]
    raise TypeError(f"recipes: to_ops passed {arg!r}, which a recipe cannot record")


def _record(prim, params, nin: int) -> list:
    form = prim.form_for(params)
    env = {sym: _Ref(["in", i]) for i, sym in enumerate(S.SYMBOLS[:nin])}
    env[S.OUT] = _Ref(["out"])
    recipe = []
    for d in S.derivatives(form, nin):
        if d == 0 or d == 1 or d == -1:
            recipe.append({0: ZERO, 1: ONE, -1: MINUS_ONE}[int(d)])
            continue
        ops = _Recorder()
        result = S.to_ops(d, env, ops, np.dtype(np.float64))
        recipe.append({"steps": ops.steps, "result": _code(result)})
    return recipe


@functools.lru_cache(maxsize=None)
def _sources_digest() -> str | None:
    """A digest of what decides a recipe; None (recipes kept in memory only) when sympy's
    version cannot be read without importing it."""
    try:
        digest = hashlib.sha256(importlib.metadata.version("sympy").encode())
    except importlib.metadata.PackageNotFoundError:
        return None
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _value_ok(code, k: int, nin: int) -> bool:
    """A value code: an input (< nin), the output, an earlier step (< k) or a float constant."""
    if code == ["out"]:
        return True
    if not isinstance(code, list) or len(code) != 2:
        return False
    kind, x = code
    if kind in ("in", "step"):
        return type(x) is int and 0 <= x < (nin if kind == "in" else k)
    return kind == "const" and type(x) is float


def _step_ok(op, args, k: int, nin: int) -> bool:
    if not isinstance(args, list):
        return False
    if op == "elementwise":  # [prim, its operands]
        if not args or not isinstance(args[0], list) or len(args[0]) != 2 \
                or args[0][0] != "prim":
            return False
        prim = REGISTRY.get(args[0][1]) if isinstance(args[0][1], str) else None
        if prim is None or not prim.elementwise or len(args) - 1 != len(prim.domains):
            return False
        values = args[1:]
    elif op == "pow_scalar":  # [base, ["float", exponent]]
        if len(args) != 2 or not isinstance(args[1], list) or len(args[1]) != 2 \
                or args[1][0] != "float" or type(args[1][1]) is not float:
            return False
        values = args[:1]
    elif _ARITY.get(op) == len(args):
        values = args
    else:
        return False
    return all(_value_ok(v, k, nin) for v in values)


def _valid(recipe, nin: int) -> bool:
    """Whether data read from disk is a recipe the recorder could have made (operations it
    emits, with their operand counts, reading inputs, the output and earlier steps only);
    anything else is recorded afresh."""
    if not isinstance(recipe, list) or len(recipe) != nin:
        return False
    for d in recipe:
        if d in (ZERO, ONE, MINUS_ONE):
            continue
        if not isinstance(d, dict) or set(d) != {"steps", "result"} \
                or not isinstance(d["steps"], list):
            return False
        for k, step in enumerate(d["steps"]):
            if not (isinstance(step, list) and len(step) == 2 and isinstance(step[0], str)
                    and _step_ok(step[0], step[1], k, nin)):
                return False
        if not _value_ok(d["result"], len(d["steps"]), nin):
            return False
    return True


def derivatives(prim, params: dict, nin: int) -> list:
    """The recipe of each input's derivative of `prim` with `params`: ZERO, ONE, MINUS_ONE or
    {"steps": [[op, [arg codes]], ...], "result": arg code}."""
    key = (prim.name, tuple(sorted(params.items())), nin)
    recipe = _MEMORY.get(key)
    if recipe is not None:
        return recipe
    text = repr(key)
    # parameters whose repr names an address, or an unknown sympy version: memory only
    stable = " at 0x" not in text and _sources_digest() is not None
    if stable:
        digest = hashlib.sha256(f"{_sources_digest()}\n{text}".encode()).hexdigest()[:32]
        name = f"adc_{digest}.vjp"
        payload = disk.load_entry(name, digest)
        try:
            recipe = json.loads(payload) if payload is not None else None
        except (ValueError, RecursionError):
            recipe = None
        if recipe is not None and not _valid(recipe, nin):
            recipe = None
    if recipe is None:
        recipe = _record(prim, params, nin)
        if stable:
            try:
                disk.store_entry(name, digest, json.dumps(recipe).encode())
            except OSError:  # a cache that cannot be written: the recipe stays in memory
                pass
    _MEMORY[key] = recipe
    return recipe


def replay(recipe: dict, ins, out, ops):
    """The derivative `recipe` (neither ZERO, ONE nor MINUS_ONE) built from `ins` and `out`
    with the operations `ops` (adc.prims.lax)."""
    dtype = out.dtype
    values = []

    def value(code):
        kind = code[0]
        if kind == "in":
            return ins[code[1]]
        if kind == "out":
            return out
        if kind == "step":
            return values[code[1]]
        if kind == "const":
            return np.asarray(code[1], dtype)
        if kind == "float":
            return code[1]
        return REGISTRY[code[1]]

    for op, args in recipe["steps"]:
        values.append(getattr(ops, op)(*[value(a) for a in args]))
    return value(recipe["result"])
