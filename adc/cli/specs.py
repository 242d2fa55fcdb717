"""Command-line inputs: `FILE.py:FUNC` targets and `--arg`/`--data` argument specs.

Stage: CLI front end. Invariant: every mistake in what the user typed (a bad spec, a missing
file or function, arguments that do not match the function's parameters) raises `CliError`
with a one-line message before anything is traced.
"""
from __future__ import annotations

import importlib.util
import inspect
import os
import re
import secrets
import sys
import traceback
import zlib
from dataclasses import dataclass

import numpy as np

from .. import domains


class CliError(Exception):
    """A usage error: printed as one line, exit status 2."""


class UserCodeError(Exception):
    """The user's module or function raised; `report` is a traceback trimmed to user code."""

    def __init__(self, report: str):
        super().__init__(report)
        self.report = report


DTYPES = {"f32": np.float32, "f64": np.float64, "i32": np.int32, "i64": np.int64,
          "bool": np.bool_, "float32": np.float32, "float64": np.float64, "int32": np.int32,
          "int64": np.int64}
# Random data comes from adc.domains (bool, and the floating-point domains as the test
# suite samples them), or from `LO..HI`, a uniform range (integers: LO <= k < HI).
SPEC_HELP = ("name=DTYPE[SHAPE] (e.g. x=f64[1000], W=f32[512,512], s=f64[]), optionally "
             "followed by :DOMAIN (real, positive, unit, nonzero or LO..HI), or name=@file.npy")
_SPEC = re.compile(r"^(?P<name>[A-Za-z_]\w*)=(?:@(?P<file>.+)|(?P<dtype>\w+)\[(?P<shape>[^\]]*)\]"
                   r"(?::(?P<domain>.+))?)$")
_RANGE = re.compile(r"^(?P<lo>[-+]?[\d.eE+-]+)\.\.(?P<hi>[-+]?[\d.eE+-]+)$")


@dataclass
class ArgSpec:
    name: str
    dtype: np.dtype | None = None
    shape: tuple = ()
    domain: str = "real"
    file: str | None = None
    text: str = ""

    def describe(self) -> str:
        if self.file is not None:
            return f"from {self.file}"
        return f"random {self.domain}"


def parse_spec(text: str) -> ArgSpec:
    m = _SPEC.match(text.strip())
    if not m:
        raise CliError(f"bad argument spec {text!r}: expected {SPEC_HELP}")
    name = m["name"]
    if m["file"] is not None:
        return ArgSpec(name, file=m["file"], text=text)
    dtype = DTYPES.get(m["dtype"])
    if dtype is None:
        raise CliError(f"bad argument spec {text!r}: unknown dtype {m['dtype']!r} (use one of "
                       f"f64, f32, i64, i32, bool)")
    shape_text = m["shape"].replace(" ", "")
    try:
        shape = tuple(int(d) for d in shape_text.split(",")) if shape_text else ()
    except ValueError:
        shape = (-1,)
    if any(d < 0 for d in shape):
        raise CliError(f"bad argument spec {text!r}: the shape must be non-negative integers "
                       "separated by commas, e.g. [512,512] (or [] for a scalar)")
    domain = m["domain"] or ("real" if np.dtype(dtype).kind == "f" else
                             "bool" if dtype is np.bool_ else "0..10")
    if domain not in domains.FLOAT_DOMAINS and domain != "bool" and not _parse_range(domain):
        raise CliError(f"bad argument spec {text!r}: unknown value range {domain!r} (use "
                       f"{', '.join(domains.FLOAT_DOMAINS)} or LO..HI, e.g. "
                       "x=f64[100]:positive or :0.1..5)")
    if (domain == "bool") != (dtype is np.bool_):
        raise CliError(f"bad argument spec {text!r}: value range {domain!r} does not fit dtype "
                       f"{m['dtype']}")
    if np.dtype(dtype).kind in "iu" and domain in domains.FLOAT_DOMAINS:
        raise CliError(f"bad argument spec {text!r}: integer arguments take an integer range "
                       "LO..HI (LO <= k < HI), e.g. idx=i64[10]:0..5")
    return ArgSpec(name, np.dtype(dtype), shape, domain, text=text)


def _parse_range(domain: str):
    m = _RANGE.match(domain)
    if not m:
        return None
    try:
        lo, hi = float(m["lo"]), float(m["hi"])
    except ValueError:
        return None
    return (lo, hi) if lo < hi else None


def sample(spec: ArgSpec, seed: int) -> np.ndarray:
    """Random data for a spec; an argument's values depend only on (seed, its name)."""
    rng = np.random.default_rng([seed, zlib.crc32(spec.name.encode())])
    bounds = _parse_range(spec.domain)
    if bounds is None:
        return domains.sample(spec.domain, spec.shape, spec.dtype, rng)
    lo, hi = bounds
    if spec.dtype.kind in "iu":
        return np.asarray(rng.integers(int(np.ceil(lo)), int(np.ceil(hi)), spec.shape),
                          spec.dtype)
    return np.asarray(rng.uniform(lo, hi, spec.shape), spec.dtype)


# ---- the target function ----

def split_target(target: str) -> tuple:
    path, sep, func = target.rpartition(":")
    if not sep or not path or not func:
        raise CliError(f"bad target {target!r}: expected FILE.py:FUNC, e.g. "
                       "examples/cli_functions.py:rosenbrock")
    return path, func


def load_function(target: str):
    """Import FILE.py (not as __main__) and return its function FUNC."""
    path, func = split_target(target)
    if not os.path.isfile(path):
        raise CliError(f"no such file: {path}")
    module_dir = os.path.dirname(os.path.abspath(path))
    if module_dir not in sys.path:
        sys.path.insert(0, module_dir)
    stem = re.sub(r"\W", "_", os.path.splitext(os.path.basename(path))[0])
    spec = importlib.util.spec_from_file_location(f"adc_cli_user_{stem}", path)
    if spec is None:
        raise CliError(f"cannot import {path}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as err:  # the user's module-level code failed
        raise UserCodeError(user_traceback(err, f"error: importing {path} failed:")) from None
    fn = getattr(module, func, None)
    if fn is None:
        names = [n for n, v in vars(module).items() if inspect.isfunction(v) and
                 v.__module__ == module.__name__ and not n.startswith("_")]
        raise CliError(f"{path} has no function {func!r} (functions defined there: "
                       f"{', '.join(names) or 'none'})")
    if not callable(fn):
        raise CliError(f"{path}:{func} is a {type(fn).__name__}, not a function")
    return fn


def parameters(fn) -> list:
    """(name, has_default) of fn's positional parameters; *args/**kwargs are refused."""
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        raise CliError(f"cannot read the parameters of {fn!r}") from None
    out = []
    for p in sig.parameters.values():
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        if p.kind is p.KEYWORD_ONLY:
            if p.default is p.empty:
                raise CliError(f"{fn.__name__} has a keyword-only parameter {p.name!r} without "
                               "a default; the CLI passes arrays positionally")
            continue
        out.append((p.name, p.default is not p.empty))
    return out


@dataclass
class Inputs:
    names: list      # parameter names, in call order
    arrays: list     # the arrays, same order
    origins: list    # how each was obtained (for display)
    rng_seed: int
    wrt: list        # names to differentiate with respect to
    argnums: tuple   # their positions


def build_inputs(fn, arg_texts, data_path, rng_seed, wrt_text, *, all_float_wrt=False):
    """The positional arguments for fn from `--arg` specs and a `--data` .npz file."""
    params = parameters(fn)
    names = [n for n, _ in params]
    fname = f"{fn.__name__}({', '.join(names)})"
    specs = {}
    for text in arg_texts or []:
        spec = parse_spec(text)
        if spec.name in specs:
            raise CliError(f"argument {spec.name!r} is given twice")
        specs[spec.name] = spec
    data = {}
    if data_path:
        if not os.path.isfile(data_path):
            raise CliError(f"no such file: {data_path}")
        try:
            with np.load(data_path, allow_pickle=False) as npz:
                data = {k: npz[k] for k in npz.files}
        except Exception as err:
            raise CliError(f"cannot read {data_path} as an .npz file: {err}") from None
    for name in list(specs) + [k for k in data if k not in specs]:
        if name not in names:
            where = "--arg" if name in specs else data_path
            raise CliError(f"argument mismatch: {where} gives {name!r} but the function is "
                           f"{fname}")
    if rng_seed is None:
        rng_seed = secrets.randbelow(2**31)
    arrays, origins, used = [], [], []
    for name, has_default in params:
        if name in specs:
            spec = specs[name]
            if spec.file is not None:
                arrays.append(_load_npy(spec))
            else:
                arrays.append(sample(spec, rng_seed))
            origins.append(spec.describe())
        elif name in data:
            arrays.append(np.asarray(data[name]))
            origins.append(f"from {os.path.basename(data_path)}")
        elif has_default:
            used.append(name)
            continue
        else:
            raise CliError(f"argument mismatch: no value for parameter {name!r} of {fname} "
                           f"(give --arg {name}=f64[...] or --data FILE.npz)")
        if used:
            raise CliError(f"argument mismatch: {name!r} is given but the earlier parameter "
                           f"{used[0]!r} is not (the CLI passes arguments by position)")
    given = names[:len(arrays)]
    if wrt_text:
        wrt = [w.strip() for w in wrt_text.split(",") if w.strip()]
        for w in wrt:
            if w not in given:
                raise CliError(f"--wrt {w}: not an argument of {fname}"
                               + ("" if w not in names else " that was given a value"))
        if len(set(wrt)) != len(wrt):
            raise CliError(f"--wrt {wrt_text}: a name is repeated")
    elif all_float_wrt:
        wrt = [n for n, a in zip(given, arrays) if a.dtype.kind == "f"]
    else:
        wrt = given[:1]
    if not wrt:
        raise CliError(f"{fname}: there is no argument to differentiate with respect to")
    for w in wrt:
        arr = arrays[given.index(w)]
        if arr.dtype.kind != "f":
            raise CliError(f"--wrt {w}: argument {w!r} has dtype {arr.dtype}; gradients are "
                           "defined only for floating-point arguments")
    return Inputs(given, arrays, origins, rng_seed, wrt, tuple(given.index(w) for w in wrt))


def _load_npy(spec: ArgSpec) -> np.ndarray:
    if not os.path.isfile(spec.file):
        raise CliError(f"no such file: {spec.file} (in --arg {spec.text})")
    try:
        arr = np.load(spec.file, allow_pickle=False)
    except Exception as err:
        raise CliError(f"cannot read {spec.file} as an .npy file: {err}") from None
    if not isinstance(arr, np.ndarray):
        raise CliError(f"{spec.file} holds several arrays; use --data for .npz files")
    return arr


# ---- errors raised by user code ----

_ADC_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_STDLIB_DIR = os.path.dirname(os.path.abspath(os.__file__))


def _is_user_frame(filename: str) -> bool:
    path = os.path.abspath(filename)
    if path.startswith((_ADC_DIR + os.sep, _STDLIB_DIR + os.sep)) or filename.startswith("<"):
        return False
    return "site-packages" not in path and "dist-packages" not in path


def has_user_frame(err: BaseException) -> bool:
    return any(_is_user_frame(f.filename) for f in traceback.extract_tb(err.__traceback__))


def user_traceback(err: BaseException, headline: str) -> str:
    """`headline`, the traceback's frames in user code, and the exception's own message."""
    frames = [f for f in traceback.extract_tb(err.__traceback__) if _is_user_frame(f.filename)]
    lines = [headline]
    if frames:
        lines.append("Traceback (your code, most recent call last):")
        lines += [s.rstrip("\n") for s in traceback.format_list(frames)]
    cls = type(err)
    module = "adc" if cls.__module__.startswith("adc") else cls.__module__
    name = cls.__name__ if module == "builtins" else f"{module}.{cls.__name__}"
    lines.append(f"{name}: {err}")
    return "\n".join(lines)
