"""A 2-layer MLP (relu) trained by SGD with softmax cross-entropy on a small synthetic
3-class dataset; gradients of all four parameters from adc, the same loop in torch.

    python examples/mlp_training.py
"""
import numpy as np

import adc
import adc.numpy as anp

rng = np.random.default_rng(0)
n, d, h, k = 90, 2, 16, 3
centers = np.array([[2.0, 0.0], [-1.0, 1.7], [-1.0, -1.7]])
labels = rng.integers(0, k, n)
X = centers[labels] + 0.6 * rng.standard_normal((n, d))
params = [rng.standard_normal((d, h)) * 0.5, np.zeros(h),
          rng.standard_normal((h, k)) * 0.5, np.zeros(k)]


def logits(W1, b1, W2, b2, X):
    return anp.maximum(X @ W1 + b1, 0) @ W2 + b2


def cross_entropy(W1, b1, W2, b2, X, labels):
    logp = anp.log_softmax(logits(W1, b1, W2, b2, X), axis=1)
    return -anp.mean(anp.take_along_axis(logp, labels[:, None], axis=1))


loss_and_grads = adc.value_and_grad(cross_entropy, argnums=(0, 1, 2, 3))
lr, steps = 0.5, 100
init = [p.copy() for p in params]
history = []
for step in range(steps):
    loss, grads = loss_and_grads(*params, X, labels)
    history.append((float(loss), grads))
    params = [p - lr * g for p, g in zip(params, grads)]
    if step % 20 == 0 or step == steps - 1:
        print(f"step {step:3d}  loss {float(loss):.4f}")
pred = np.argmax(adc.jit(logits)(*params, X), axis=1)
print(f"training accuracy {np.mean(pred == labels):.2f}")
assert history[-1][0] < history[0][0]

try:
    import torch
except ImportError:
    print("torch is not installed: skipped the comparison with torch")
else:
    tp = [torch.tensor(p, requires_grad=True) for p in init]
    Xt, lt = torch.tensor(X), torch.tensor(labels)
    diff = 0.0
    for loss_adc, grads in history:
        out = torch.relu(Xt @ tp[0] + tp[1]) @ tp[2] + tp[3]
        loss_t = torch.nn.functional.cross_entropy(out, lt)
        grads_t = torch.autograd.grad(loss_t, tp)
        diff = max([diff, abs(loss_adc - loss_t.item())] +
                   [np.max(np.abs(g - gt.numpy())) for g, gt in zip(grads, grads_t)])
        with torch.no_grad():
            tp = [(p - lr * g).requires_grad_(True) for p, g in zip(tp, grads_t)]
    diff = max([diff] + [np.max(np.abs(p - pt.detach().numpy())) for p, pt in zip(params, tp)])
    print(f"max abs difference with torch: {diff:.3e}")
    assert diff < 1e-9
