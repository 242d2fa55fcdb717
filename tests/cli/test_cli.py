"""The `adc` command line, run as users run it: `python -m adc ...` in a subprocess on
examples/cli_functions.py (exit codes, summaries, tables, JSON schema, error cases), plus the
console script when it is installed and a few in-process checks of argument parsing.

The subprocess commands are started together (they are independent and mostly import time)
and each test reads the result of its own command.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch")

import adc  # noqa: E402
from adc.cli import main  # noqa: E402
from adc.cli.specs import CliError, build_inputs, parse_spec  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
EX = "examples/cli_functions.py"
MLP = ["--arg", "W1=f32[8,16]", "--arg", "b1=f32[16]", "--arg", "W2=f32[16,1]",
       "--arg", "X=f32[32,8]", "--arg", "Y=f32[32,1]"]


# The CUDA backend is unavailable in these children (no simulator, devices hidden), so the
# reporting of an unavailable backend is tested wherever the suite runs.
NO_GPU = {"NUMBA_ENABLE_CUDASIM": "0", "CUDA_VISIBLE_DEVICES": ""}
NO_GPU_COMMANDS = {"compile_cuda", "bench"}


def _env(overrides=None):
    env = dict(os.environ, **(overrides or {}))
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT)] + ([env["PYTHONPATH"]]
                                                       if env.get("PYTHONPATH") else []))
    return env


def run_adc(*args, timeout=240, env=None):
    return subprocess.run([sys.executable, "-m", "adc", *args], cwd=ROOT, env=_env(env),
                          capture_output=True, text=True, timeout=timeout)


def commands(tmp: Path) -> dict:
    rng = np.random.default_rng(0)
    np.savez(tmp / "mlp.npz", W1=rng.standard_normal((4, 8)), b1=np.zeros(8),
             W2=rng.standard_normal((8, 1)), X=rng.standard_normal((16, 4)),
             Y=rng.standard_normal((16, 1)))
    np.save(tmp / "W1.npy", np.full((4, 8), 0.25))
    return {
        "compile_numpy": ["compile", f"{EX}:rosenbrock", "--arg", "x=f64[1000]",
                          "--backend", "numpy", "--rng-seed", "0"],
        "compile_default_source": ["compile", f"{EX}:rosenbrock", "--arg", "x=f64[100]",
                                   "--emit", "source,grad-ir", "--out", str(tmp / "out")],
        "compile_emit_stdout": ["compile", f"{EX}:mlp_loss", *MLP, "--wrt", "W1,W2",
                                "--backend", "numpy", "--emit", "grad-ir"],
        "compile_cuda": ["compile", f"{EX}:rosenbrock", "--arg", "x=f64[10]",
                         "--backend", "cuda"],
        "compile_cuda_simulator": ["compile", f"{EX}:rosenbrock", "--arg", "x=f64[10]",
                                   "--backend", "cuda", "--emit", "source"],
        "compile_numpy_source": ["compile", f"{EX}:rosenbrock", "--arg", "x=f64[10]",
                                 "--backend", "numpy", "--emit", "source"],
        "trace_error": ["compile", f"{EX}:data_dependent", "--arg", "x=f64[10]",
                        "--backend", "numpy"],
        "not_scalar": ["compile", f"{EX}:not_scalar", "--arg", "x=f64[10]", "--backend",
                       "numpy", "-q"],
        "shape_mismatch": ["compile", f"{EX}:mlp_loss", "--arg", "W1=f64[8,16]", "--arg",
                           "b1=f64[16]", "--arg", "W2=f64[16,1]", "--arg", "X=f64[32,7]",
                           "--arg", "Y=f64[32,1]", "--backend", "numpy"],
        "bad_spec": ["compile", f"{EX}:rosenbrock", "--arg", "x=f64[10"],
        "missing_file": ["compile", "examples/no_such_file.py:f", "--arg", "x=f64[10]"],
        "missing_function": ["validate", f"{EX}:rosenbrok", "--arg", "x=f64[10]"],
        "arg_mismatch": ["bench", f"{EX}:rosenbrock", "--arg", "y=f64[10]"],
        "validate_ok": ["validate", f"{EX}:log_barrier", "--arg", "x=f64[100]:positive",
                        "--backend", "numpy", "--grad-outputs", "ones"],
        "validate_mismatch": ["validate", f"{EX}:straight_through", "--arg", "x=f64[6]",
                              "--backend", "numpy", "--rng-seed", "1"],
        "validate_data": ["validate", f"{EX}:mlp_loss", "--data", str(tmp / "mlp.npz"),
                          "--arg", f"W1=@{tmp / 'W1.npy'}", "--wrt", "W1,b1,W2",
                          "--backend", "numpy", "-q"],
        "bench": ["bench", f"{EX}:mlp_loss", *MLP, "--wrt", "W1,b1", "--backend",
                  "numpy,cuda", "--vs", "torch,jax", "--repeat", "4", "--rng-seed", "5",
                  "--threads", "1", "--json", str(tmp / "bench.json")],
    }


def run_with_terminal_stderr(*args):
    """Like run_adc, but stderr is a pseudo-terminal (as when a user watches)."""
    import pty

    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "adc", *args], cwd=ROOT, env=_env(),
                            stdout=subprocess.PIPE, stderr=slave)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    out = proc.communicate(timeout=120)[0]
    os.close(master)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out.decode(),
                                       b"".join(chunks).decode())


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cli")
    cmds = commands(tmp)
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = {k: pool.submit(run_adc, *v, env=NO_GPU if k in NO_GPU_COMMANDS else None)
                   for k, v in cmds.items()}
        futures["tty"] = pool.submit(run_with_terminal_stderr, "compile", f"{EX}:rosenbrock",
                                     "--arg", "x=f64[20]", "--backend", "numpy")
        out = {k: f.result() for k, f in futures.items()}
    out["tmp"] = tmp
    return out


def _fail(proc):
    return f"exit {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"


# ---- compile ----

def test_compile_summary_numpy(results):
    p = results["compile_numpy"]
    assert p.returncode == 0, _fail(p)
    out = p.stdout
    assert re.search(r"^backend\s+numpy$", out, re.M)
    m = re.search(r"equations\s+forward (\d+) -> (\d+) after optimization; "
                  r"value\+gradient (\d+) -> (\d+)", out)
    assert m, out
    raw_f, opt_f, raw_g, opt_g = map(int, m.groups())
    assert opt_f <= raw_f and opt_g <= raw_g and opt_g > opt_f
    assert "0 generated (numpy backend: the IR is interpreted)" in out
    assert re.search(r"compile time\s+[\d.]+ (s|ms|us)", out)
    assert "in-process hit" in out
    assert "rng seed      0" in out
    assert "adc: compile rosenbrock for backend numpy" in p.stderr  # plain progress lines


def test_compile_default_backend_emits_source_to_files(results):
    import adc.backends

    p = results["compile_default_source"]
    assert p.returncode == 0, _fail(p)
    best = adc.backends.resolve(None)
    assert re.search(rf"^backend\s+{best}$", p.stdout, re.M)
    out = results["tmp"] / "out"
    assert (out / "rosenbrock.grad-ir.txt").read_text().startswith("{ lambda")
    source = (out / f"rosenbrock.{best}.py").read_text()
    assert "def kernel" in source and "@njit" in source
    assert re.search(r"kernels\s+1 generated", p.stdout)
    assert re.search(r"disk: (hit|miss)", p.stdout)
    assert f"wrote {out / 'rosenbrock.grad-ir.txt'}" in p.stdout


def test_compile_emit_to_stdout_keeps_stdout_clean(results):
    p = results["compile_emit_stdout"]
    assert p.returncode == 0, _fail(p)
    assert p.stdout.startswith("{ lambda")
    assert " matmul " in p.stdout and p.stdout.rstrip().endswith("}")
    assert "equations" in p.stderr  # the summary went to stderr
    assert "wrt           W1, W2" in p.stderr


def test_compile_unavailable_backend_is_reported_not_substituted(results):
    p = results["compile_cuda"]
    assert p.returncode == 2, _fail(p)
    assert re.search(r"^backend\s+cuda: unavailable \(.*no usable GPU", p.stdout, re.M)
    assert "kernels" not in p.stdout


def test_compile_cuda_on_the_simulator(results):
    p = results["compile_cuda_simulator"]
    assert p.returncode == 0, _fail(p)
    assert "@cuda.jit" in p.stdout and "def launch(" in p.stdout


def test_compile_source_needs_a_compiled_backend(results):
    p = results["compile_numpy_source"]
    assert p.returncode == 2, _fail(p)
    assert "generated source exists only for compiled backends" in p.stderr
    assert p.stdout == ""


# ---- errors ----

def test_trace_error_points_at_the_user_line(results):
    p = results["trace_error"]
    assert p.returncode == 2, _fail(p)
    err = p.stderr
    assert "Traceback (your code, most recent call last):" in err
    assert re.search(r'File ".*cli_functions\.py", line \d+, in data_dependent', err)
    assert "adc.TraceError: bool() of a traced array" in err
    assert re.search(r"at cli_functions\.py:\d+: `if anp\.sum\(x\) > 0:`", err)
    # no frames from inside the installed package (the checkout's own folder may be named adc)
    package = os.path.dirname(os.path.abspath(adc.__file__)) + os.sep
    frames = re.findall(r'File "([^"]+)"', err)
    assert frames and not any(os.path.abspath(f).startswith(package) for f in frames), frames


def test_gradient_of_a_vector_output_is_a_clear_error(results):
    p = results["not_scalar"]
    assert p.returncode == 2, _fail(p)
    assert "adc.GradientError" in p.stderr and "not_scalar (cli_functions.py:" in p.stderr
    assert "scalar outputs" in p.stderr


def test_shape_mismatch_names_the_line(results):
    p = results["shape_mismatch"]
    assert p.returncode == 2, _fail(p)
    assert "adc.ShapeError" in p.stderr and "(32,7)" in p.stderr.replace(" ", "")
    assert re.search(r"at cli_functions\.py:\d+: `hidden = anp\.tanh\(X @ W1 \+ b1\)`",
                     p.stderr)


@pytest.mark.parametrize("case, message", [
    ("bad_spec", "adc compile: error: bad argument spec 'x=f64[10': expected name=DTYPE[SHAPE]"),
    ("missing_file", "adc compile: error: no such file: examples/no_such_file.py"),
    ("missing_function", "adc validate: error: examples/cli_functions.py has no function "
                         "'rosenbrok' (functions defined there: rosenbrock, mlp_loss"),
    ("arg_mismatch", "adc bench: error: argument mismatch: --arg gives 'y' but the function "
                     "is rosenbrock(x)"),
])
def test_usage_errors_are_one_line_with_status_2(results, case, message):
    p = results[case]
    assert p.returncode == 2, _fail(p)
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(message), p.stderr
    assert p.stdout == ""


# ---- validate ----

def test_validate_agreement(results):
    p = results["validate_ok"]
    assert p.returncode == 0, _fail(p)
    row = next(line for line in p.stdout.splitlines() if line.startswith("x "))
    assert row.split()[:3] == ["x", "(100,)", "f64"] and row.split()[-1] == "ok"
    assert "all gradients agree with torch.autograd.grad and finite differences" in p.stdout
    assert "grad outputs ones" in p.stdout and "(random positive)" in p.stdout


def test_validate_mismatch_exits_1(results):
    p = results["validate_mismatch"]
    assert p.returncode == 1, _fail(p)
    row = next(line for line in p.stdout.splitlines() if line.startswith("x "))
    cells = row.split()
    assert cells[5] == "ok"  # torch detaches like adc's stop_gradient ...
    assert cells[-2:] == ["MISMATCH", "MISMATCH"]  # ... finite differences do not
    assert "GRADIENTS DISAGREE" in p.stdout


def test_validate_with_npz_data_and_npy_argument(results):
    p = results["validate_data"]
    assert p.returncode == 0, _fail(p)
    names = [line.split()[0] for line in p.stdout.splitlines()
             if re.match(r"^(W1|b1|W2) ", line)]
    assert names == ["W1", "b1", "W2"]
    assert re.search(r"W1: f64\[4,8\] \(from .*W1\.npy\)", p.stdout)  # --arg overrides
    assert "b1: f64[8] (from mlp.npz)" in p.stdout and "rng seed" not in p.stdout
    assert p.stderr == ""  # --quiet


# ---- bench ----

def test_bench_table_and_json(results):
    p = results["bench"]
    assert p.returncode == 0, _fail(p)
    out = p.stdout
    assert re.search(r"^adc\[numpy\]\s+ok\s", out, re.M)
    assert re.search(r"^adc\[cuda\]\s+unavailable: .*no usable GPU", out, re.M)
    assert re.search(r"^torch\s+ok\s", out, re.M)
    try:
        import jax  # noqa: F401
    except ImportError:
        assert re.search(r"^jax\s+skipped: jax is not installed", out, re.M)
    assert "speed-up of adc" in out and re.search(r"^adc\[numpy\]\s+[\d.]+x \([\d.]+x\)",
                                                  out.split("speed-up")[1], re.M)
    assert "adc: adc[numpy] gradient: 4 runs" in p.stderr
    doc = json.loads((results["tmp"] / "bench.json").read_text())
    assert doc["schema"] == "adc-bench/1"
    assert doc["wrt"] == ["W1", "b1"] and doc["repeat"] == 4 and doc["rng_seed"] == 5
    assert doc["threads"] == 1
    assert [a["name"] for a in doc["arguments"]] == ["W1", "b1", "W2", "X", "Y"]
    assert doc["arguments"][0] == {"name": "W1", "dtype": "float32", "shape": [8, 16],
                                   "source": "random real"}
    assert {"platform", "cpu_count", "python", "numpy", "torch"} <= set(doc["machine"])
    by_name = {r["name"]: r for r in doc["results"]}
    assert list(by_name) == ["adc[numpy]", "adc[cuda]", "torch", "jax"]
    keys = {"name", "kind", "status", "reason", "first_call_s", "forward", "gradient",
            "grad_over_forward", "speedup"}
    for r in doc["results"]:
        assert keys <= set(r)
    ok = by_name["adc[numpy]"]
    assert ok["kind"] == "adc" and ok["status"] == "ok" and ok["reason"] is None
    for phase in ("forward", "gradient"):
        s = ok[phase]
        assert len(s["times_s"]) == 4 and s["min_s"] <= s["median_s"] <= s["max_s"]
        assert s["iqr_s"] >= 0
    assert ok["grad_over_forward"] == pytest.approx(
        ok["gradient"]["median_s"] / ok["forward"]["median_s"])
    assert set(ok["speedup"]) == {"torch"} and ok["speedup"]["torch"]["gradient"] > 0
    assert by_name["adc[cuda]"]["status"] == "unavailable" and by_name["adc[cuda]"]["reason"]
    assert by_name["torch"]["kind"] == "peer" and by_name["torch"]["status"] == "ok"
    assert by_name["jax"]["status"] in ("skipped", "ok")


# ---- in-process: help, parsing, progress ----

@pytest.mark.parametrize("command", ["compile", "bench", "validate"])
def test_help_of_every_subcommand_has_an_example(command, capsys):
    with pytest.raises(SystemExit) as exc:
        main([command, "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert f"examples:\n  adc {command} examples/cli_functions.py:" in out
    assert "--arg SPEC" in out


def test_random_arguments_come_from_the_one_domain_sampler():
    """`--arg x=f64[...]:DOMAIN` draws what the primitive test table draws for DOMAIN."""
    from adc import domains
    from adc.cli.specs import sample

    specs = [f"x=f64[1000]:{d}" for d in domains.FLOAT_DOMAINS] + ["x=bool[1000]"]
    for text in specs:
        spec = parse_spec(text)
        rng = np.random.default_rng([3, zlib.crc32(b"x")])
        np.testing.assert_array_equal(sample(spec, 3),
                                      domains.sample(spec.domain, (1000,), spec.dtype, rng))
    real = sample(parse_spec("x=f64[1000]"), 0)
    assert real.min() >= -2 and real.max() < 2


def test_parse_spec_forms():
    s = parse_spec("W=f32[512, 512]")
    assert (s.name, s.dtype, s.shape, s.domain) == ("W", np.float32, (512, 512), "real")
    assert parse_spec("s=f64[]").shape == ()
    assert parse_spec("x=f64[100]:positive").domain == "positive"
    assert parse_spec("x=f64[3]:-1..0.5").domain == "-1..0.5"
    assert parse_spec("i=i64[4]").domain == "0..10"
    assert parse_spec("x=@data/x.npy").file == "data/x.npy"
    for bad in ["x", "x=f64", "x=f99[3]", "x=f64[-1]", "x=f64[a]", "x=f64[3]:wide",
                "x=f64[3]:2..1", "i=i64[3]:positive", "1x=f64[3]"]:
        with pytest.raises(CliError):
            parse_spec(bad)


def _f(x, W, n=3):
    return (x, W, n)


def test_build_inputs_ranges_seed_and_wrt():
    a = build_inputs(_f, ["x=f64[200]:positive", "W=f32[3,4]:-2..-1"], None, 7, None)
    assert a.names == ["x", "W"] and a.wrt == ["x"] and a.argnums == (0,)
    x, W = a.arrays
    assert x.dtype == np.float64 and x.min() >= 0.5 and x.max() < 2.0
    assert W.dtype == np.float32 and W.shape == (3, 4) and W.min() >= -2 and W.max() < -1
    b = build_inputs(_f, ["W=f32[3,4]:-2..-1", "x=f64[200]:positive"], None, 7, "W,x")
    assert np.array_equal(b.arrays[0], x) and b.argnums == (1, 0)  # same seed, same data
    c = build_inputs(_f, ["x=f64[200]:positive", "W=f32[3,4]"], None, 8, None)
    assert not np.array_equal(c.arrays[0], x)
    for args, wrt, msg in [(["x=f64[2]"], None, "no value for parameter 'W'"),
                           (["x=f64[2]", "W=f64[2]", "z=f64[1]"], None, "gives 'z'"),
                           (["x=f64[2]", "x=f64[3]"], None, "given twice"),
                           (["x=f64[2]", "W=f64[2]"], "q", "--wrt q"),
                           (["x=i64[2]", "W=f64[2]"], "x", "floating-point")]:
        with pytest.raises(CliError, match=re.escape(msg)):
            build_inputs(_f, args, None, 0, wrt)


def test_in_process_usage_errors(capsys, monkeypatch):
    monkeypatch.setattr(sys, "path", list(sys.path))
    cases = [(["compile", f"{ROOT / EX}:rosenbrock", "--arg", "x=f64[3]", "--backend", "gpu"],
              "unknown backend 'gpu'"),
             (["bench", f"{ROOT / EX}:rosenbrock", "--arg", "x=f64[3]", "--vs", "tf"],
              "unknown peer 'tf'"),
             (["compile", f"{ROOT / EX}:rosenbrock", "--arg", "x=f64[3]", "--emit", "asm"],
              "--emit asm"),
             (["validate", "rosenbrock", "--arg", "x=f64[3]"], "bad target 'rosenbrock'"),
             (["compile", f"{ROOT / EX}:rosenbrock", "--data", "nope.npz"],
              "no such file: nope.npz")]
    for argv, msg in cases:
        assert main(argv) == 2
        assert msg in capsys.readouterr().err
    assert main([]) == 2  # no command: usage


def test_progress_on_a_terminal_draws_a_live_line(results):
    p = results["tty"]
    assert p.returncode == 0, _fail(p)
    assert "\r" in p.stderr and "adc: compile rosenbrock for backend numpy" in p.stderr
    assert "\r" not in p.stdout and "equations" in p.stdout


@pytest.mark.skipif(shutil.which("adc") is None, reason="the adc console script is not "
                    "installed (pip install -e .)")
def test_console_script():
    start = time.perf_counter()
    p = subprocess.run(["adc", "compile", f"{EX}:rosenbrock", "--arg", "x=f64[10]",
                        "--backend", "numpy", "-q"], cwd=ROOT, capture_output=True, text=True,
                       timeout=120)
    assert p.returncode == 0, _fail(p)
    assert "equations" in p.stdout and time.perf_counter() - start < 120
