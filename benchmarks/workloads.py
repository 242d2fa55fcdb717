"""The CPU benchmark workloads, each written once for adc (numpy-style), once for torch, and
with a hand-written Numba gradient where one is practical (workloads 1-3)."""
from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

import adc.numpy as anp

# ---- 1. Rosenbrock, 100 variables ----


def rosenbrock(x, xp=anp):
    return xp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def rosenbrock_torch(x):
    return (100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2).sum()


@njit(cache=True)
def rosenbrock_numba(x):
    g = np.zeros_like(x)
    for i in range(x.size - 1):
        t = x[i + 1] - x[i] * x[i]
        g[i] += -400.0 * t * x[i] - 2.0 * (1.0 - x[i])
        g[i + 1] += 200.0 * t
    return g


# ---- 2. transcendental elementwise loss over 10^7 elements ----


def transcendental(x, xp=anp):
    return xp.sum(xp.log(1.0 + xp.exp(xp.sin(x))) + x * xp.cos(x))


def transcendental_torch(x):
    import torch

    return (torch.log(1.0 + torch.exp(torch.sin(x))) + x * torch.cos(x)).sum()


@njit(cache=True, parallel=True)
def transcendental_numba(x):
    g = np.empty_like(x)
    for i in prange(x.size):
        s, c = math.sin(x[i]), math.cos(x[i])
        e = math.exp(s)
        g[i] = e / (1.0 + e) * c + c - x[i] * s
    return g


# ---- 3. pairwise (softened Lennard-Jones style) energy, N points in 3-D ----


def pairwise(x, xp=anp):
    d = x[:, None, :] - x[None, :, :]
    s = 1.0 / (xp.sum(d * d, axis=-1) + 0.1)
    s3 = s * s * s
    return xp.sum(s3 * s3 - s3)


def pairwise_torch(x):
    d = x[:, None, :] - x[None, :, :]
    s = 1.0 / ((d * d).sum(-1) + 0.1)
    s3 = s * s * s
    return (s3 * s3 - s3).sum()


@njit(cache=True, parallel=True)
def pairwise_numba(x):
    n = x.shape[0]
    g = np.zeros_like(x)
    for i in prange(n):
        g0 = g1 = g2 = 0.0
        for j in range(n):
            d0, d1, d2 = x[i, 0] - x[j, 0], x[i, 1] - x[j, 1], x[i, 2] - x[j, 2]
            s = 1.0 / (d0 * d0 + d1 * d1 + d2 * d2 + 0.1)
            s3 = s * s * s
            # dE/dr2 of (s3^2 - s3), counted for (i, j) and (j, i): factor 2, and d(r2)/dx_i = 2 d
            f = 4.0 * (-6.0 * s3 * s3 * s + 3.0 * s3 * s)
            g0 += f * d0
            g1 += f * d1
            g2 += f * d2
        g[i, 0], g[i, 1], g[i, 2] = g0, g1, g2
    return g


# ---- 4. 2-layer MLP, relu, mean squared error ----


def mlp(W1, b1, W2, b2, X, Y, xp=anp):
    h = xp.maximum(X @ W1 + b1, 0.0)
    return xp.mean((h @ W2 + b2 - Y) ** 2)


def mlp_torch(W1, b1, W2, b2, X, Y):
    import torch

    h = torch.relu(X @ W1 + b1)
    return ((h @ W2 + b2 - Y) ** 2).mean()


# ---- 5. softmax cross-entropy classifier ----


def softmax_xent(W, X, labels, xp=anp):
    logits = X @ W
    logp = logits - xp.logsumexp(logits, axis=1, keepdims=True)
    return -xp.mean(xp.take_along_axis(logp, labels[:, None], axis=1))


def softmax_xent_torch(W, X, labels):
    import torch

    return torch.nn.functional.cross_entropy(X @ W, labels)


def jax_namespace():
    """jax.numpy with the few names the workloads use that live elsewhere in jax."""
    import types

    import jax
    import jax.numpy as jnp
    from jax.scipy.special import logsumexp

    ns = types.SimpleNamespace(**{k: getattr(jnp, k) for k in dir(jnp) if not k.startswith("_")})
    ns.logsumexp = logsumexp
    ns.scan = jax.lax.scan
    return ns


def make_inputs(name, rng):
    """(arrays, argnums differentiated) for a workload."""
    if name == "rosenbrock":
        return [rng.uniform(-1, 1, 100)], (0,)
    if name == "transcendental":
        return [rng.uniform(-3, 3, 10 ** 7)], (0,)
    if name == "pairwise":
        return [rng.standard_normal((1000, 3)) * 3], (0,)
    if name == "mlp":
        b, w, o = 4096, 512, 10
        return [rng.standard_normal((w, w)) / math.sqrt(w), np.zeros(w),
                rng.standard_normal((w, o)) / math.sqrt(w), np.zeros(o),
                rng.standard_normal((b, w)), rng.standard_normal((b, o))], (0, 1, 2, 3)
    if name == "softmax_xent":
        b, f, c = 16384, 256, 100
        return [rng.standard_normal((f, c)) * 0.01, rng.standard_normal((b, f)),
                rng.integers(0, c, b)], (0,)
    raise KeyError(name)


WORKLOADS = {
    "rosenbrock": (rosenbrock, rosenbrock_torch, rosenbrock_numba),
    "transcendental": (transcendental, transcendental_torch, transcendental_numba),
    "pairwise": (pairwise, pairwise_torch, pairwise_numba),
    "mlp": (mlp, mlp_torch, None),
    "softmax_xent": (softmax_xent, softmax_xent_torch, None),
}
