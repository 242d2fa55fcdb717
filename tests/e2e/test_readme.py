"""The README's code blocks run as written, and its console samples have the structure that
their commands print today (tests/e2e/readme_samples.py; `python tests/e2e/readme_samples.py`
regenerates the samples)."""
from __future__ import annotations

import importlib.util

import pytest

from readme_samples import README, blocks, console_command, run_console, skeleton

TEXT = README.read_text()


def test_python_blocks_run_in_order(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # blocks may write files (the viz example saves a .gv)
    namespace: dict = {"__name__": "readme"}
    ran = 0
    for offset, body in blocks(TEXT, "python"):
        if "tensorboard" in body and importlib.util.find_spec("tensorboardX") is None:
            continue  # the optional `tensorboard` extra
        code = compile(body, f"README.md@{TEXT.count(chr(10), 0, offset) + 1}", "exec")
        exec(code, namespace)
        ran += 1
    assert ran >= 4
    assert namespace["gW"].shape == namespace["W"].shape  # the first block's gradient


def _labels(lines):
    """Row labels (first words) and table headers (the line above each row of dashes)."""
    headers = [lines[i - 1] for i, line in enumerate(lines) if i and line == "---"]
    return [line.split(" ")[0] for line in lines], headers


@pytest.mark.parametrize("k", range(len(blocks(TEXT, "console"))))
def test_console_sample_has_the_commands_structure(k):
    body = blocks(TEXT, "console")[k][1]
    sample = skeleton("\n".join(body.splitlines()[1:]))
    args = console_command(body)
    if args[0] == "bench":
        args += ["--repeat", "2"]  # the structure does not depend on the number of runs
    fresh = skeleton(run_console(args))
    assert _labels(fresh) == _labels(sample), (
        "README console sample out of date; run `python tests/e2e/readme_samples.py`\n"
        + "\n".join(fresh))
