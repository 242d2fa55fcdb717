"""The benchmark scripts' JSON output (benchmarks/report.py): written only to a path given
with --json, so a run never overwrites the committed results; one helper for every script."""
from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

import report  # noqa: E402


def test_nothing_is_written_without_a_path(tmp_path, capsys, monkeypatch):
    parser = argparse.ArgumentParser()
    report.add_json_option(parser, "cpu")
    assert parser.parse_args([]).json is None
    monkeypatch.chdir(tmp_path)
    report.write_json(None, {"rows": []}, "how to read the table")
    assert capsys.readouterr().out == "how to read the table\n" and not list(tmp_path.iterdir())
    path = tmp_path / "out.json"
    report.write_json(str(parser.parse_args(["--json", str(path)]).json),
                      {"machine": report.machine(torch="x"), "rows": [1]})
    written = json.loads(path.read_text())
    assert written["rows"] == [1] and written["machine"]["torch"] == "x"
    assert written["machine"]["cpus"] >= 1 and f"wrote {path}" in capsys.readouterr().out


def test_every_script_writes_json_through_the_helper():
    scripts = sorted(p for p in BENCHMARKS.glob("*.py") if "__main__" in p.read_text())
    assert len(scripts) >= 7
    for script in scripts:
        text = script.read_text()
        assert "add_json_option(parser" in text and "write_json(opts.json" in text, script
        assert not re.search(r'"--json"|open\(opts\.json|json\.dump\(', text), script


def test_fresh_processes_read_bytecode_as_an_installed_adc_does(monkeypatch):
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    env = report.child_env(ADC_CACHE_DIR="/somewhere")
    assert "PYTHONDONTWRITEBYTECODE" not in env and env["ADC_CACHE_DIR"] == "/somewhere"
    assert list((BENCHMARKS.parent / "adc" / "__pycache__").glob("api.*.pyc"))
