"""The README's runnable parts: its ```python blocks and its ```console samples of the `adc`
command.

Stage: documentation check (tests/e2e/test_readme.py runs it). Invariant: every code block runs
as written, in order, in one namespace; every console sample is what its `$ adc ...` command
prints, up to the numbers in it (timings, errors, speed-ups vary by machine, the labels,
columns and rows do not). Run as a script, it regenerates the console samples in place:

    python tests/e2e/readme_samples.py          # rewrites README.md's console blocks
"""
from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
FENCE = re.compile(r"^```(\w+)\n(.*?)^```\n", re.M | re.S)
# Numbers with their units or signs, and the paths that depend on the machine.
NUMBER = re.compile(r"[-+]?\d+(\.\d+)?(e[-+]?\d+)?(x|%| ?(s|ms|us|µs|ns|MiB|KiB|B))?\b")


def blocks(text: str, language: str) -> list[tuple[int, str]]:
    """(offset, body) of each fenced block in `language`."""
    return [(m.start(2), m.group(2)) for m in FENCE.finditer(text) if m.group(1) == language]


def console_command(body: str) -> list[str]:
    """The `adc` command line of a console sample (its first line, `$ adc ...`)."""
    first = body.splitlines()[0]
    assert first.startswith("$ adc "), f"a console sample must start with '$ adc': {first!r}"
    return shlex.split(first[2:])[1:]


# The samples show a machine without a GPU; the test suite's CUDA simulator is switched off.
NO_GPU = {"NUMBA_ENABLE_CUDASIM": "0", "CUDA_VISIBLE_DEVICES": ""}


def run_console(args: list[str]) -> str:
    """The command's stdout, run as the README shows it (from the repository root)."""
    p = subprocess.run([sys.executable, "-m", "adc", *args], cwd=ROOT, capture_output=True,
                       text=True, timeout=600, env=dict(os.environ, **NO_GPU))
    if p.returncode not in (0, 1):
        raise RuntimeError(f"adc {' '.join(args)} failed ({p.returncode}):\n{p.stderr}")
    return p.stdout


def skeleton(output: str) -> list[str]:
    """The sample's structure: each line with its numbers replaced by '#' and runs of spaces
    collapsed, without the lines whose content is the machine's (paths, peers' availability)."""
    out = []
    for line in output.splitlines():
        if line and set(line) <= set("- "):
            out.append("---")  # a table's rule
            continue
        line = NUMBER.sub("#", line.split(" (/")[0])
        out.append(re.sub(r"\s{2,}", " ", line).strip())
    return out


def regenerate() -> None:
    text = README.read_text()
    for offset, body in reversed(blocks(text, "console")):
        first = body.splitlines()[0]
        fresh = run_console(console_command(body))
        text = text[:offset] + first + "\n" + fresh + text[offset + len(body):]
    README.write_text(text)


if __name__ == "__main__":
    regenerate()
