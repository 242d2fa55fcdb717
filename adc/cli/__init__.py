"""The `adc` command: compile, bench and validate a function written in a Python file.

Stage: CLI (on top of the public API). Invariant: exit status 0 on success, 1 when
`validate` finds a gradient mismatch, 2 for a usage error (bad argument spec, missing file or
function, arguments that do not match the function, a backend that cannot run, the user's
function failing while traced), 3 for an internal error in adc. Progress goes to stderr,
results to stdout.
"""
from __future__ import annotations

import argparse
import sys
import traceback

from .specs import SPEC_HELP, CliError, UserCodeError

EXAMPLE = "examples/cli_functions.py"

COMMANDS = {
    "compile": (
        "trace, differentiate, optimize and compile a function; print a summary",
        f"""examples:
  adc compile {EXAMPLE}:rosenbrock --arg x=f64[1000]
  adc compile {EXAMPLE}:mlp_loss --arg W1=f32[64,32] --arg b1=f32[32] \\
      --arg W2=f32[32,1] --arg X=f32[128,64] --arg Y=f32[128,1] --wrt W1,W2 --emit grad-ir
  adc compile {EXAMPLE}:rosenbrock --arg x=f64[100] --backend cpu --emit source --out build/
  adc compile {EXAMPLE}:rosenbrock --arg x=f64[100] --backend numpy --emit dot | dot -Tsvg >g.svg

The summary gives the equation counts before and after optimization, the kernels generated,
the compile time (first call) and whether the in-process and disk caches were hit. With
--emit and no --out, stdout holds only the emitted text (the summary goes to stderr)."""),
    "bench": (
        "time forward and gradient on adc backends and on peer frameworks",
        f"""examples:
  adc bench {EXAMPLE}:rosenbrock --arg x=f64[100000]
  adc bench {EXAMPLE}:mlp_loss --arg W1=f32[256,128] --arg b1=f32[128] --arg W2=f32[128,1] \\
      --arg X=f32[512,256] --arg Y=f32[512,1] --wrt W1,b1,W2 --backend cpu,numpy \\
      --vs torch,torch.compile --repeat 50 --threads 1 --json bench.json

Peers run the same optimized forward IR through their own interpreter (torch eager, the
same under torch.compile; jax when installed), so the function is written once. Peers that
are not installed are listed as skipped. torch.compile is opt-in: its first call compiles for
tens of seconds."""),
    "validate": (
        "check the gradient against torch.autograd.grad and finite differences",
        f"""examples:
  adc validate {EXAMPLE}:rosenbrock --arg x=f64[50]
  adc validate {EXAMPLE}:log_barrier --arg x=f64[100]:positive --backend numpy
  adc validate {EXAMPLE}:mlp_loss --data inputs.npz --wrt W1,b1,W2 --grad-outputs ones

Exit status 1 when any argument's gradient disagrees, 0 when all agree. Finite differences
are a dot-product test along random directions in float64 on the numpy reference."""),
}


CACHE_HELP = (
    "show or empty the disk cache of generated modules and their machine code",
    """examples:
  adc cache info
  adc cache clear

The cache is the directory ADC_CACHE_DIR (default ~/.cache/adc). It grows by a few hundred
KiB per distinct compiled program and is never trimmed by adc itself; clearing it is safe at
any time, also while adc programs run (they write again what they need).""")


def _common(p: argparse.ArgumentParser, *, wrt_default: str):
    p.add_argument("target", metavar="FILE.py:FUNC", help="the function to differentiate")
    p.add_argument("--arg", action="append", metavar="SPEC", help=SPEC_HELP + "; repeatable")
    p.add_argument("--data", metavar="FILE.npz", help="arrays for all arguments, by name "
                   "(--arg overrides)")
    p.add_argument("--rng-seed", type=int, metavar="N", help="seed for random argument data "
                   "(default: a fresh one, printed so the run can be reproduced)")
    p.add_argument("--wrt", metavar="NAMES", help=f"comma-separated arguments to differentiate "
                   f"with respect to (default: {wrt_default})")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress display")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="adc", description="adc: reverse-mode autodiff compiler for numpy-style code",
        epilog="run `adc COMMAND --help` for a command's options and an example; exit status: "
               "0 ok, 1 gradient mismatch (validate), 2 usage error, 3 internal error",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    from .. import __version__

    parser.add_argument("--version", action="version", version=f"adc {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    subs = {}
    for name, (summary, epilog) in COMMANDS.items():
        subs[name] = sub.add_parser(name, help=summary, description=summary, epilog=epilog,
                                    formatter_class=argparse.RawDescriptionHelpFormatter)
        _common(subs[name], wrt_default="the first argument")
    backend_help = "cpu, cuda or numpy (default: the best available)"
    p = subs["compile"]
    p.add_argument("--backend", metavar="NAME", help=backend_help)
    p.add_argument("--emit", metavar="WHAT", help="ir (optimized forward IR), grad-ir "
                   "(optimized value-and-gradient IR), dot / grad-dot (the same graphs as "
                   "Graphviz DOT: `dot -Tsvg`) or source (generated code); comma-separated for "
                   "several")
    p.add_argument("--out", metavar="DIR", help="write emitted text to files in DIR")
    p = subs["bench"]
    p.add_argument("--backend", metavar="NAMES", help="comma-separated adc backends "
                   "(cpu, cuda, numpy; default: the best available)")
    p.add_argument("--vs", metavar="PEERS", default="torch,jax", help="comma-separated peers: "
                   "torch, torch.compile, jax (default: torch,jax); '' for none")
    p.add_argument("--repeat", type=int, default=20, metavar="N", help="timed runs (default 20)")
    p.add_argument("--warmup", type=int, default=1, metavar="N", help="untimed runs after the "
                   "first call (default 1)")
    p.add_argument("--threads", type=int, metavar="N", help="threads for every framework "
                   "(numba and torch; default: each framework's own default)")
    p.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    p = sub.add_parser("cache", help=CACHE_HELP[0], description=CACHE_HELP[0],
                       epilog=CACHE_HELP[1], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("action", choices=("info", "clear"), help="info: what the cache holds; "
                   "clear: delete it (compiled code is written again when next needed)")
    p.set_defaults(quiet=True)
    p = subs["validate"]
    p.add_argument("--backend", metavar="NAME", help=backend_help)
    p.add_argument("--grad-outputs", choices=("random", "ones"), default="random",
                   help="the output gradient seeds (torch.autograd.grad's grad_outputs): "
                   "random (ones for a scalar output) or ones (default: random)")
    p.add_argument("--rtol", type=float, help="relative tolerance vs torch (default per dtype: "
                   "f64 1e-7, f32 1e-4)")
    p.add_argument("--atol", type=float, help="absolute tolerance vs torch (default per dtype: "
                   "f64 1e-9, f32 1e-5)")
    p.add_argument("--fd-rtol", type=float, help="tolerance of finite differences, relative to "
                   "|gradient|*|direction| (default f64 1e-5, f32 1e-3)")
    p.add_argument("--eps", type=float, default=1e-6, help="finite-difference step, scaled by "
                   "max(1, max|x|) (default 1e-6)")
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    opts = parser.parse_args(argv)
    if opts.command is None:
        parser.print_help()
        return 2
    from ..progress import Progress

    progress = Progress(quiet=opts.quiet)
    if opts.command == "compile":
        from .cmd_compile import run
    elif opts.command == "bench":
        from .cmd_bench import run
    elif opts.command == "cache":
        from .cmd_cache import run
    else:
        from .cmd_validate import run
    try:
        return run(opts, progress)
    except CliError as err:
        print(f"adc {opts.command}: error: {err}", file=sys.stderr)
        return 2
    except UserCodeError as err:
        print(err.report, file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"adc {opts.command}: interrupted", file=sys.stderr)
        return 130
    except Exception:
        traceback.print_exc()
        print(f"adc {opts.command}: internal error (a bug in adc; please report it with the "
              "command line above)", file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
