"""What every benchmark script writes besides its table: the results as JSON, only to the
path given with `--json PATH` (the recorded results are benchmarks/<script>.json, committed;
a run rewrites them only when asked to, with `--json benchmarks/<script>.json`), with the
machine they were measured on."""
from __future__ import annotations

import compileall
import json
import os
import platform


def add_json_option(parser, script: str) -> None:
    parser.add_argument("--json", metavar="PATH", help="write the results as JSON to PATH "
                        f"(default: not written; the recorded ones are benchmarks/{script}.json)")


def machine(**extra) -> dict:
    """The machine and software a run measured, plus the script's own `extra` entries."""
    return {"platform": platform.platform(), "processor": platform.processor(),
            "cpus": os.cpu_count(), "python": platform.python_version(), **extra}


def write_json(path, payload: dict, note: str = "") -> None:
    """Print `note` (how to read the table), then write `payload` to `path` when one was given."""
    if note:
        print(note)
    if path:
        with open(path, "w") as f:
            json.dump(payload, f, indent=2)
        print(f"wrote {path}")


def child_env(**extra) -> dict:
    """The environment of a benchmark's fresh processes: this one's with `extra`, and with
    adc's modules compiled to bytecode and read from it (PYTHONDONTWRITEBYTECODE dropped), as
    in an installed adc, whose modules pip compiles: a fresh process does not recompile them."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    for package in ("adc", "kernels"):
        compileall.compile_dir(os.path.join(root, package), quiet=1)
    env = dict(os.environ, **extra)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env
