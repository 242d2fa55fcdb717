"""Functions to try the `adc` command line on (written once, numpy style; the CLI traces them,
differentiates, compiles, benchmarks them against torch and validates the gradients).

    adc compile examples/cli_functions.py:rosenbrock --arg x=f64[1000]
    adc compile examples/cli_functions.py:rosenbrock --arg x=f64[1000] --emit grad-ir
    adc bench examples/cli_functions.py:rosenbrock --arg x=f64[100000] --backend cpu,numpy
    adc validate examples/cli_functions.py:log_barrier --arg x=f64[100]:positive
    adc validate examples/cli_functions.py:mlp_loss --arg W1=f32[8,16] --arg b1=f32[16] \\
        --arg W2=f32[16,1] --arg X=f32[32,8] --arg Y=f32[32,1] --wrt W1,b1,W2

(`python -m adc ...` works too.) Run as a script, this file checks each function's gradient
against torch.autograd.grad:

    python examples/cli_functions.py
"""
import numpy as np

import adc
import adc.numpy as anp


def rosenbrock(x):
    """The Rosenbrock function summed over consecutive pairs of x."""
    return anp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def mlp_loss(W1, b1, W2, X, Y):
    """Mean squared error of a one-hidden-layer tanh network."""
    hidden = anp.tanh(X @ W1 + b1)
    return anp.mean((hidden @ W2 - Y) ** 2)


def log_barrier(x):
    """A log barrier: defined only for x > 0 (use --arg x=f64[N]:positive)."""
    return -anp.sum(anp.log(x)) + 0.5 * anp.sum(x * x)


def softmax_xent(logits, labels):
    """Cross-entropy of integer labels (--arg labels=i64[N]:0..K; differentiate logits)."""
    logp = anp.log_softmax(logits, axis=1)
    return -anp.mean(anp.take_along_axis(logp, labels[:, None], axis=1))


def straight_through(x):
    """sum(x * stop_gradient(x)): its gradient is x, not the derivative 2x, by design; torch
    (detach) agrees with adc but finite differences do not, so `adc validate` exits with 1."""
    return anp.sum(x * adc.stop_gradient(x))


def not_scalar(x):
    """Returns a vector: `adc compile` reports that gradients need a scalar output."""
    return anp.sin(x)


def data_dependent(x):
    """A Python `if` on a traced value: fails while tracing, pointing at the line."""
    if anp.sum(x) > 0:
        return anp.sum(x)
    return -anp.sum(x)


if __name__ == "__main__":
    from adc.validate import torch_vjp

    rng = np.random.default_rng(0)
    cases = [
        (rosenbrock, [rng.standard_normal(50)], (0,)),
        (mlp_loss, [rng.standard_normal(s) for s in [(8, 16), (16,), (16, 1), (32, 8), (32, 1)]],
         (0, 1, 2)),
        (log_barrier, [rng.uniform(0.5, 2.0, 40)], (0,)),
        (softmax_xent, [rng.standard_normal((6, 4)), rng.integers(0, 4, 6)], (0,)),
    ]
    worst = 0.0
    for f, args, nums in cases:
        # The numpy reference backend keeps this script fast (no Numba compilation).
        grads = adc.grad(f, argnums=nums, backend="numpy")(*args)
        _, t_grads = torch_vjp(f, args, [np.ones(())], nums)
        diff = max(float(np.max(np.abs(g - t))) for g, t in zip(grads, t_grads))
        print(f"{f.__name__:<14} max |adc - torch| = {diff:.2e}")
        worst = max(worst, diff)
    print(f"max abs difference with torch: {worst:.3e}")
