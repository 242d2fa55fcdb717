"""Cold-start benchmark: what a fresh process pays before its first compiled gradient.

    python benchmarks/startup.py [--reps 5] [--json benchmarks/startup.json]

Every number is the median over `--reps` fresh processes. Rows: the interpreter alone,
`import numpy`, `import adc`, `import adc` followed by the first `adc.grad` call on a small
function, and by the first two calls of an `adc.compile`d tensor training step (the MLP of
benchmarks/tensors.py), each once with an empty disk cache (one process) and then with the
cache that run filled.
Each child also reports which heavy modules (sympy, scipy.special, numba, torch) it loaded.
Prints a table (and, with --json PATH, writes JSON).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)

from report import add_json_option, child_env, machine, write_json  # noqa: E402

from adc.progress import fmt_time as fmt  # noqa: E402

HEAVY = ("sympy", "scipy.special", "scipy.linalg", "numba", "torch")

# Each child prints one JSON line: its own seconds and the heavy modules it loaded.
_CHILD = """
import json, sys, time
t0 = time.perf_counter()
{body}
seconds = time.perf_counter() - t0
print(json.dumps({{"s": seconds, "loaded": [m for m in {heavy!r} if m in sys.modules]}}))
"""

STEPS = {
    "python -c pass": "pass",
    "import numpy": "import numpy",
    "import adc": "import adc",
    "import adc + first adc.grad": (
        "import numpy as np\n"
        "import adc\n"
        "import adc.numpy as anp\n"
        "g = adc.grad(lambda x: anp.sum(anp.tanh(x) * anp.sin(x)))\n"
        "g(np.linspace(-1.0, 1.0, 8))"
    ),
    # benchmarks/tensors.py's MLP step (batch 64) compiled by adc.compile: its trace runs
    # backward(), so it differentiates in the process (from cached recipes when warm)
    "import adc + first two adc.compile MLP steps": (
        "import numpy as np\n"
        "sys.path.insert(0, 'benchmarks')\n"
        "import adc\n"
        "from tensors import make_data, tensor_loop\n"
        "step = tensor_loop(adc, adc.optim, *make_data('mlp', 64, np.random.default_rng(0)),\n"
        "                   adc.compile)[0]\n"
        "step()\n"
        "step()"
    ),
}


def run_child(body: str, env: dict) -> tuple:
    """(whole-process wall seconds, the child's own seconds for `body`, modules it loaded)."""
    code = _CHILD.format(body=body, heavy=HEAVY)
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True,
                         text=True, check=True)
    wall = time.perf_counter() - start
    report = json.loads(out.stdout.strip().splitlines()[-1])
    return wall, report["s"], report["loaded"]


def measure(body: str, env: dict, reps: int) -> dict:
    runs = [run_child(body, env) for _ in range(reps)]
    return {"process_s": statistics.median(r[0] for r in runs),
            "in_process_s": statistics.median(r[1] for r in runs),
            "reps": reps, "loaded": runs[-1][2]}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=5)
    add_json_option(parser, "startup")
    opts = parser.parse_args()
    rows = {}
    with tempfile.TemporaryDirectory(prefix="adc-startup-") as cache:
        env = child_env(PYTHONPATH=ROOT, ADC_CACHE_DIR=os.path.join(cache, "adc"),
                        NUMBA_CACHE_DIR=os.path.join(cache, "numba"))
        for name, body in STEPS.items():
            if "first" in name:
                rows[name + " (empty cache)"] = measure(body, env, 1)
                name += " (warm cache)"
            rows[name] = measure(body, env, opts.reps)
            print(f"measured {name}", file=sys.stderr)
    print(f"{'step (fresh process each)':<56}{'in process':>12}{'process':>12}  heavy modules")
    for name, row in rows.items():
        print(f"{name:<56}{fmt(row['in_process_s']):>12}{fmt(row['process_s']):>12}  "
              + (", ".join(row["loaded"]) or "-"))
    write_json(opts.json, {"machine": machine(load_average=os.getloadavg()), "rows": rows},
               "'in process' times the step inside the child, 'process' the whole child "
               "(interpreter start-up included); medians")


if __name__ == "__main__":
    main()
