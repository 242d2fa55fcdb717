"""`adc compile`: trace, differentiate, optimize and compile; print a summary and optionally
the IR or the gradient IR (as text or as Graphviz DOT) or the generated source.

Stage: CLI. Invariant: the numbers printed are measured in this process (equation counts of
the graphs adc builds, the first and second call of adc.value_and_grad, whether the second
call traced again, Numba's own cache hit/miss counters for the generated modules), never
assumed.
"""
from __future__ import annotations

import os
import re
import sys
import time
from contextlib import contextmanager

import adc

from .common import Counting, build_graphs, describe_inputs, fn_label, guarded, resolve_backend
from ..progress import fmt_time
from .specs import CliError, build_inputs, load_function

EMITS = ("ir", "grad-ir", "dot", "grad-dot", "source")
_EXTENSIONS = {"dot": "gv", "grad-dot": "gv", "source": "py"}
_KERNEL_DEF = re.compile(r"^@(?:numba\.)?(?:njit|jit|cuda\.jit)\b", re.M)


@contextmanager
def _recording_modules():
    """Record the generated modules adc loads meanwhile (wraps adc.lower.cache.load_module
    in this process only), so the summary reports on exactly what the call compiled."""
    from ..lower import cache

    loaded, original = [], cache.load_module

    def load_module(source):
        path = cache.cache_dir() / f"adc_{cache.source_key(source)}.py"
        existed = path.is_file() and path.read_text() == source
        module = original(source)
        loaded.append((source, path, existed, module))
        return module

    cache.load_module = load_module
    try:
        yield loaded
    finally:
        cache.load_module = original


def _disk_report(loaded) -> str:
    """Numba's own counters: machine code loaded from its cache (hit) or compiled (miss)."""
    hits = misses = 0
    for _, _, _, module in loaded:
        for obj in vars(module).values():
            st = getattr(obj, "stats", None)
            if st is not None and hasattr(st, "cache_hits"):
                hits += sum(st.cache_hits.values())
                misses += sum(st.cache_misses.values())
    new = sum(not existed for _, _, existed, _ in loaded)
    where = os.path.dirname(str(loaded[0][1])) if loaded else "?"
    verdict = "hit" if misses == 0 and hits else "miss" if misses else "not used"
    return (f"disk: {verdict}: {len(loaded)} generated module(s), {new} newly written; numba "
            f"loaded {hits} compiled kernel(s) from its cache and compiled {misses} ({where})")


def run(opts, progress) -> int:
    emits = [e.strip() for e in (opts.emit or "").split(",") if e.strip()]
    for e in emits:
        if e not in EMITS:
            raise CliError(f"--emit {e}: choose from {', '.join(EMITS)}")
    name, reason = resolve_backend(opts.backend)
    if "source" in emits and name == "numpy":
        raise CliError("--emit source: generated source exists only for compiled backends "
                       "(cpu, cuda); the numpy backend interprets the IR (use --emit grad-ir)")
    fn = load_function(opts.target)
    inputs = build_inputs(fn, opts.arg, opts.data, opts.rng_seed, opts.wrt)
    label = fn_label(fn)

    info = {"first": None, "second": None, "retraced": None, "disk": None, "source": None}
    if reason is None:
        # The real API path first, so its first call pays every cost a user's first call does.
        counted = Counting(fn)
        vg = adc.value_and_grad(counted, argnums=inputs.argnums, backend=name)
        with progress.step(f"compile {fn.__name__} for backend {name} (first call)"), \
                _recording_modules() as loaded:
            t = time.perf_counter()
            try:
                guarded(lambda: vg(*inputs.arrays),
                        f"tracing and compiling {label} for backend {name}")
            except NotImplementedError as err:  # a primitive this backend cannot lower
                reason = f"cannot compile {fn.__name__}: {err}"
            info["first"] = time.perf_counter() - t
    if reason is None:
        traces = counted.calls
        t = time.perf_counter()
        vg(*inputs.arrays)
        info["second"] = time.perf_counter() - t
        info["retraced"] = counted.calls > traces
        if name != "numpy":
            info["disk"] = _disk_report(loaded)
            info["source"] = "\n\n".join(src for src, *_ in loaded) or None
    with progress.step(f"trace, differentiate and optimize {fn.__name__} (IR statistics)"):
        graphs = build_graphs(fn, inputs.arrays, inputs.argnums, label)

    lines = _summary(fn, label, inputs, name, reason, graphs, info)
    given = inputs.names[:len(inputs.arrays)]
    emitters = {"ir": lambda: str(graphs.fwd), "grad-ir": lambda: str(graphs.grad),
                "dot": lambda: _dot(graphs.fwd, given),
                "grad-dot": lambda: _dot(graphs.grad, given),
                "source": lambda: info["source"] or "# (no generated module was loaded)"}
    outputs = {e: emitters[e]() for e in emits}
    summary_stream = sys.stderr if emits and not opts.out else sys.stdout
    print("\n".join(lines), file=summary_stream, flush=True)
    if reason is not None:
        print(f"adc compile: error: backend {name} is unavailable (see above)", file=sys.stderr)
        return 2
    if opts.out and emits:
        os.makedirs(opts.out, exist_ok=True)
        for e in emits:
            ext = _EXTENSIONS.get(e, "txt")
            path = os.path.join(opts.out, f"{fn.__name__}.{e if e != 'source' else name}.{ext}")
            with open(path, "w") as f:
                f.write(outputs[e].rstrip("\n") + "\n")
            print(f"wrote {path}")
    else:
        for k, e in enumerate(emits):
            if len(emits) > 1:
                print(("\n" if k else "") + f"# --- {e} ---")
            print(outputs[e].rstrip("\n"))
    return 0


def _dot(graph, names) -> str:
    """The graph as DOT, its inputs named after the function's arguments."""
    from ..viz import to_dot

    return to_dot(graph, names if len(names) == len(graph.invars) else None).source


def _summary(fn, label, inputs, name, reason, graphs, info) -> list:
    rows = [("function", label)]
    for n, aval, origin in describe_inputs(inputs):
        rows.append(("argument", f"{n}: {aval} ({origin})"))
    if any(o.startswith("random") for o in inputs.origins):
        rows.append(("rng seed", f"{inputs.rng_seed} (--rng-seed {inputs.rng_seed} reproduces "
                                 "the data)"))
    rows.append(("wrt", ", ".join(inputs.wrt)))
    rows.append(("backend", name if reason is None else f"{name}: unavailable ({reason})"))
    rows.append(("equations", f"forward {len(graphs.raw_fwd.eqns)} -> {len(graphs.fwd.eqns)} "
                              f"after optimization; value+gradient {len(graphs.raw_grad.eqns)} "
                              f"-> {len(graphs.grad.eqns)}"))
    s = graphs.seconds
    stages = (f"trace {fmt_time(s['trace'])}, optimize forward {fmt_time(s['optimize'])}, "
              f"differentiate+optimize {fmt_time(s['differentiate+optimize'])}")
    if reason is not None:
        rows.append(("stages", stages))
        return _align(rows)
    if name == "numpy":
        rows.append(("kernels", "0 generated (numpy backend: the IR is interpreted)"))
    else:
        src = info["source"] or ""
        k = len(_KERNEL_DEF.findall(src))
        rows.append(("kernels", f"{k} generated ({src.count(chr(10)) + 1} lines of source; "
                                "--emit source shows it)"))
    rows.append(("compile time", f"{fmt_time(info['first'])} (first call of "
                                 "adc.value_and_grad, including one run)"))
    rows.append(("stages", f"{stages} (measured again after the first call)"))
    rows.append(("steady call", fmt_time(info["second"])))
    hit = "miss: the second call traced again" if info["retraced"] else \
        "hit: the second call reused the compiled graph (no re-trace)"
    rows.append(("cache", f"in-process {hit}"))
    rows.append(("", info["disk"] or "disk: not used (the numpy backend compiles nothing)"))
    return _align(rows)


def _align(rows) -> list:
    width = max(len(k) for k, _ in rows)
    return [f"{k:<{width}}  {v}" for k, v in rows]
