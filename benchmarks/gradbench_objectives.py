"""GradBench's objectives (https://github.com/gradbench/gradbench, evals/*/README.md and the
C++ reference evals), written once in numpy style over a namespace `xp`: adc.numpy, jax.numpy
(through `workloads.jax_namespace`) or torch (through `torch_namespace`), with the inputs
GradBench's generators make, and hand-written Numba gradients where they are practical.

Each objective is a scalar function of the differentiated arrays; everything else (sizes,
GradBench's constants, as numpy arrays that each objective takes in with `xp.asarray`) is bound
by `make`, so every library runs the same formulation.
"""
from __future__ import annotations

import math
import types

import numpy as np
from numba import njit, prange
from scipy.special import multigammaln


# ---- lse: log-sum-exp with the max trick ----

def lse(x, xp):
    a = xp.max(x)
    return a + xp.log(xp.sum(xp.exp(x - a)))


@njit(cache=True, parallel=True)
def lse_numba(x):
    a = x.max()
    e = np.empty_like(x)
    for i in prange(x.size):
        e[i] = math.exp(x[i] - a)
    return e / e.sum()


# ---- llsq: 0.5 * sum_i (s_i - sum_j x_j t_i^j)^2, t_i = -1 + 2i/(n-1), s_i = sign(t_i) ----

def llsq(x, n, xp):
    t = xp.linspace(-1.0, 1.0, n, dtype=x.dtype)
    r = xp.sign(t) - (t[:, None] ** xp.arange(x.shape[0])) @ x
    return 0.5 * xp.sum(r * r)


@njit(cache=True, parallel=True)
def llsq_numba(x, n):
    m = x.size
    g = np.zeros((n, m))
    for i in prange(n):
        t = -1.0 + i * 2.0 / (n - 1)
        p, r = 1.0, (1.0 if t > 0 else (-1.0 if t < 0 else 0.0))
        for j in range(m):
            r -= x[j] * p
            p *= t
        p = 1.0
        for j in range(m):
            g[i, j] = -r * p
            p *= t
    return g.sum(axis=0)


# ---- ode: s Runge-Kutta (RK4) steps over [0, 2] of y0' = x0, yi' = xi * y(i-1); y(0) = 0;
# the gradient of the last element of y(2) ----

def ode(x, s, xp):
    h = 2.0 / s

    def f(y):
        return xp.concatenate([x[:1], x[1:] * y[:-1]])

    y = xp.zeros_like(x)
    for _ in range(s):
        k1 = f(y)
        k2 = f(y + h * k1 / 2)
        k3 = f(y + h * k2 / 2)
        k4 = f(y + h * k3)
        y = y + h * (k1 + 2 * k2 + 2 * k3 + k4) / 6
    return y[-1]


# ---- kmeans: cost sum_i min_j |C_j - P_i|^2; "dir" = J / diag(H) with respect to C ----

def kmeans(C, P, xp):
    P = xp.asarray(P)
    dists = xp.sum(P * P, axis=1)[None, :] + xp.sum(C * C, axis=1)[:, None] - 2 * (C @ P.T)
    return xp.sum(xp.amin(dists, axis=0))


@njit(cache=True)
def kmeans_dir_numba(C, P):
    k, d = C.shape
    g, count = np.zeros((k, d)), np.zeros(k)
    for i in range(P.shape[0]):
        best, jbest = np.inf, 0
        for j in range(k):
            dist = 0.0
            for a in range(d):
                dist += (P[i, a] - C[j, a]) ** 2
            if dist < best:
                best, jbest = dist, j
        count[jbest] += 1
        for a in range(d):
            g[jbest, a] += 2.0 * (C[jbest, a] - P[i, a])
    return g / (2.0 * count[:, None])


# ---- gmm: Gaussian mixture log-likelihood with a Wishart prior, over alpha, mu, q, l ----

def tril_index(d):
    """(d, d) positions in [0, l...]: Ls[:, r, c] = l[:, p] below the diagonal (GradBench's
    order: column by column), the prepended zero elsewhere."""
    idx, p = np.zeros((d, d), np.int64), 1
    for c in range(d - 1):
        for r in range(c + 1, d):
            idx[r, c], p = p, p + 1
    return idx


def gmm(alpha, mu, q, l, x, m, gamma, xp):
    n, d = x.shape
    k = alpha.shape[0]
    x = xp.asarray(x)
    qdiags = xp.exp(q)
    sum_qs = xp.sum(q, axis=1)
    Ls = xp.concatenate([xp.zeros_like(l[:, :1]), l], axis=1)[:, xp.asarray(tril_index(d))]
    xc = x[:, None, :] - mu[None, :, :]
    Lxc = qdiags * xc + xp.einsum("ijk,mik->mij", Ls, xc)
    inner = alpha + sum_qs - 0.5 * xp.sum(Lxc ** 2, axis=2)
    slse = xp.sum(xp.logsumexp(inner, axis=1))
    wishart_n = d + m + 1
    out = xp.sum(0.5 * gamma * gamma * (xp.sum(qdiags ** 2, axis=1) + xp.sum(l ** 2, axis=1))
                 - m * sum_qs)
    prior_const = wishart_n * d * math.log(gamma / math.sqrt(2)) - multigammaln(0.5 * wishart_n, d)
    return (-n * d * 0.5 * math.log(2 * math.pi) + slse - n * xp.logsumexp(alpha, axis=0)
            - out + k * prior_const)


# ---- ba: bundle adjustment (ADBench): each observation's reprojection error of one point
# in one camera (11 parameters: Rodrigues rotation, centre, focal length, principal point, two
# radial distortion coefficients), weighted, and the weight's error 1 - w^2; the objective is
# half the sum of their squares (its gradient gathers and scatters through the observations'
# camera and point indices), and ADBench's derivative is the residuals' sparse Jacobian ----

def ba_residuals(cams, X, w, feats, cam_idx, pt_idx, xp):
    """(reprojection errors (p, 2), weight errors (p,)) of the p observations. ADBench's
    rotations are never zero, so Rodrigues' formula needs no small-angle branch."""
    cam, pt = cams[xp.asarray(cam_idx)], X[xp.asarray(pt_idx)]
    rot = cam[:, 0:3]
    theta = xp.sqrt(xp.sum(rot * rot, axis=1))[:, None]
    axis = rot / theta
    Xc = pt - cam[:, 3:6]
    cos, sin = xp.cos(theta), xp.sin(theta)
    Xr = (Xc * cos + xp.cross(axis, Xc) * sin
          + axis * (xp.sum(axis * Xc, axis=1)[:, None] * (1.0 - cos)))
    proj = Xr[:, 0:2] / Xr[:, 2:3]
    rsq = xp.sum(proj * proj, axis=1)[:, None]
    distorted = proj * (1.0 + cam[:, 9:10] * rsq + cam[:, 10:11] * rsq * rsq)
    reproj = (distorted * cam[:, 6:7] + cam[:, 7:9] - xp.asarray(feats)) * w[:, None]
    return reproj, 1.0 - w * w


def ba(cams, X, w, feats, cam_idx, pt_idx, xp):
    reproj, werr = ba_residuals(cams, X, w, feats, cam_idx, pt_idx, xp)
    return 0.5 * (xp.sum(reproj * reproj) + xp.sum(werr * werr))


def ba_seeds(cams, X, w):
    """The 15 compressed tangents, stacked along a leading axis (15, *cams.shape), (15,
    *X.shape), (15, *w.shape): one per camera parameter, point coordinate and the weight,
    seeded in every camera (point, observation) at once."""
    seeds = tuple(np.zeros((15,) + a.shape) for a in (cams, X, w))
    for s in range(11):
        seeds[0][s, :, s] = 1.0  # a column of the cameras' matrix
    for s in range(3):
        seeds[1][11 + s, :, s] = 1.0  # a column of the points' matrix
    seeds[2][14] = 1.0  # every weight
    return seeds


def ba_sparse_jacobian(jvps, residuals, primals, seeds, xp):
    """ADBench's sparse BA Jacobian from the 15 JVPs at once, `jvps(f, primals, tangents)` ->
    J·tangents for tangents stacked along a leading axis (a vmap of the JVP): each
    observation's residuals read one camera, one point and one weight, so the JVP along a seed
    (one parameter slot of every camera, say) is that slot's column of every row at once.
    Returns the (p, 2, 15) reprojection rows (camera 11 | point 3 | weight) and the weight
    errors' derivatives (p,)."""
    reproj, werr = jvps(residuals, primals, seeds)
    return xp.moveaxis(reproj, 0, -1), werr[-1]


# ---- lstm: ADBench's diagonal LSTM (l layers of b-wide cells) predicting each character of
# a c-step sequence from the one before; gradient over the main and extra parameters ----

def scan_of(xp):
    """The namespace's compiled loop: adc.scan, jax.lax.scan, or a Python loop (torch)."""
    if getattr(xp, "__name__", "") == "adc.numpy":
        import adc

        return adc.scan
    return xp.scan


def python_scan(f, init, xs):
    """lax.scan's semantics as a Python loop, for libraries without a compiled one (ys: None)."""
    carry = init
    for i in range(xs[0].shape[0]):
        carry, _ = f(carry, tuple(x[i] for x in xs))
    return carry, None


def lstm(main_params, extra_params, state, sequence, xp):
    layers, b = main_params.shape[0] // 2, sequence.shape[1]
    seq = xp.asarray(sequence)

    def sigmoid(x):
        return 1.0 / (1.0 + xp.exp(-x))

    def cell(weight, bias, hidden, memory, x):
        gates = xp.concatenate([x, hidden, x, hidden]) * weight + bias
        memory = (memory * sigmoid(gates[:b]) + sigmoid(gates[b:2 * b])
                  * xp.tanh(gates[3 * b:]))
        return sigmoid(gates[2 * b:3 * b]) * xp.tanh(memory), memory

    def step(carry, xs):
        s, total = carry
        x, gold = xs
        x = x * extra_params[0]
        new = []
        for i in range(layers):
            x, memory = cell(main_params[2 * i], main_params[2 * i + 1], s[2 * i], s[2 * i + 1],
                             x)
            new += [x, memory]
        ypred = x * extra_params[1] + extra_params[2]
        ynorm = ypred - xp.log(xp.sum(xp.exp(ypred)) + 2.0)  # ADBench's "+ 2", kept
        return (xp.stack(new), total + xp.sum(gold * ynorm)), None

    (_, total), _ = scan_of(xp)(step, (xp.asarray(state), xp.asarray(np.zeros(()))),
                                (seq[:-1], seq[1:]))
    return -total / ((sequence.shape[0] - 1) * b)


# ---- the inputs, as GradBench's generators make them (seed 31337) ----

def make(name, size):
    """(objective(*wrt, xp), wrt arrays, hand-written Numba gradient or None) at one size."""
    rng = np.random.default_rng(31337)
    if name == "lse":
        x = rng.random(size["n"])
        return lse, [x], lse_numba
    if name == "llsq":
        n = size["n"]
        return (lambda x, xp: llsq(x, n, xp)), [rng.random(size["m"])], \
            (lambda x: llsq_numba(x, n))
    if name == "ode":
        s = size["s"]
        return (lambda x, xp: ode(x, s, xp)), [rng.random(size["n"])], None
    if name == "kmeans":
        P = rng.random((size["n"], size["d"]))
        C = P[-size["k"]:].copy()  # each cluster non-empty, as GradBench's generator ensures
        return (lambda C, xp: kmeans(C, P, xp)), [C], (lambda C: kmeans_dir_numba(C, P))
    if name == "gmm":
        d, k, n = size["d"], size["k"], size["n"]
        x = rng.normal(size=(n, d))
        wrt = [rng.normal(size=k), rng.uniform(size=(k, d)), rng.normal(size=(k, d)),
               rng.normal(size=(k, d * (d - 1) // 2))]
        return (lambda a, mu, q, l, xp: gmm(a, mu, q, l, x, 0, 1.0, xp)), wrt, None
    if name in ("ba", "ba_jac"):  # ADBench's layout: observation i sees camera i % n, point i % m
        n, m, p = size["n"], size["m"], size["p"]
        cams = np.concatenate([rng.normal(0, 0.3, (n, 3)), rng.normal(0, 1, (n, 3)),
                               rng.uniform(400, 600, (n, 1)), rng.normal(0, 5, (n, 2)),
                               rng.normal(0, 1e-3, (n, 2))], axis=1)
        X = rng.normal(0, 1, (m, 3)) + np.array([0.0, 0.0, 10.0])  # in front of the cameras
        w, feats = rng.uniform(0.5, 1.5, p), rng.normal(0, 100, (p, 2))
        cam_idx, pt_idx = np.arange(p) % n, np.arange(p) % m
        if name == "ba_jac":  # the residuals, a tuple; gradbench.py takes their Jacobian
            return (lambda cams, X, w, xp: ba_residuals(cams, X, w, feats, cam_idx, pt_idx,
                                                        xp)), [cams, X, w], None
        return (lambda cams, X, w, xp: ba(cams, X, w, feats, cam_idx, pt_idx, xp)), \
            [cams, X, w], None
    if name == "lstm":  # ADBench's shapes; uniform values in [-1, 1) stand in for its files
        layers, c, b = size["l"], size["c"], size["b"]
        state = rng.uniform(-1, 1, (2 * layers, b))
        sequence = rng.uniform(-1, 1, (c, b))
        wrt = [rng.uniform(-1, 1, (2 * layers, 4 * b)), rng.uniform(-1, 1, (3, b))]
        return (lambda main, extra, xp: lstm(main, extra, state, sequence, xp)), wrt, None
    raise KeyError(name)


def torch_namespace():
    """torch under numpy's names for the few calls above whose torch spelling differs."""
    import torch

    ns = types.SimpleNamespace(**{k: getattr(torch, k) for k in dir(torch)
                                  if not k.startswith("_")})
    ns.sum = lambda x, axis=None: x.sum() if axis is None else x.sum(dim=axis)
    ns.amin = lambda x, axis: torch.amin(x, dim=axis)
    ns.logsumexp = lambda x, axis: torch.logsumexp(x, dim=axis)
    ns.concatenate = lambda xs, axis=0: torch.cat(xs, dim=axis)
    ns.arange = lambda n: torch.arange(n, dtype=torch.float64)
    ns.scan = python_scan
    ns.cross = lambda a, b: torch.linalg.cross(a, b)
    ns.stack = lambda xs, axis=0: torch.stack(xs, dim=axis)
    tensors = {}  # each numpy constant becomes one tensor, made on the first (eager) call

    def asarray(a):
        if isinstance(a, np.ndarray):
            if id(a) not in tensors:
                tensors[id(a)] = (a, torch.from_numpy(a).clone())
            return tensors[id(a)][1]
        return torch.as_tensor(a)

    ns.asarray = asarray
    return ns
