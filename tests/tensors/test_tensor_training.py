"""adc.optim and adc.nn against torch.optim and torch.nn: identical trajectories from the
same initial weights, losses, and parameter registration."""
import numpy as np
import pytest

import adc

torch = pytest.importorskip("torch")

R = np.random.default_rng(11)
X = R.standard_normal((32, 5)).astype(np.float32)
Y = R.standard_normal((32, 2)).astype(np.float32)
LABELS = R.integers(0, 4, 32)
W0 = [R.standard_normal((5, 8)).astype(np.float32) * 0.3,
      R.standard_normal((8, 2)).astype(np.float32) * 0.3]


def _train(lib, optim, make_opt, steps=15):
    ws = [lib.tensor(w, requires_grad=True) for w in W0]
    opt = make_opt(optim, ws)
    x, y = lib.tensor(X), lib.tensor(Y)
    for _ in range(steps):
        opt.zero_grad()
        loss = ((lib.tanh(x @ ws[0]) @ ws[1] - y) ** 2).mean()
        loss.backward()
        opt.step()
    return [w.detach().numpy() for w in ws] + [np.float32(loss.item())]


@pytest.mark.parametrize("make_opt", [
    lambda o, p: o.SGD(p, lr=0.1),
    lambda o, p: o.SGD(p, lr=0.05, momentum=0.9),
    lambda o, p: o.SGD(p, lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01),
    lambda o, p: o.SGD(p, lr=0.05, momentum=0.5, dampening=0.1),
    lambda o, p: o.Adam(p, lr=0.01),
    lambda o, p: o.Adam(p, lr=0.02, betas=(0.8, 0.99), weight_decay=0.1),
    lambda o, p: o.Adam(p, lr=0.02, amsgrad=True, maximize=True),
    lambda o, p: o.AdamW(p, lr=0.02),
    lambda o, p: o.AdamW(p, lr=0.02, weight_decay=0.3, amsgrad=True),
    lambda o, p: o.RMSprop(p, lr=0.01),
    lambda o, p: o.RMSprop(p, lr=0.01, momentum=0.5, centered=True, weight_decay=0.1),
    lambda o, p: o.Adagrad(p, lr=0.1, lr_decay=0.01, initial_accumulator_value=0.1),
    lambda o, p: o.SGD([{"params": p[:1], "lr": 0.2}, {"params": p[1:]}], lr=0.05,
                       momentum=0.9, maximize=True),
], ids=["sgd", "momentum", "nesterov-wd", "dampening", "adam", "adam-wd", "adam-amsgrad-max",
        "adamw", "adamw-amsgrad", "rmsprop", "rmsprop-centered", "adagrad", "sgd-groups"])
def test_optimizer_trajectory_matches_torch(make_opt):
    ours = _train(adc, adc.optim, make_opt)
    theirs = _train(torch, torch.optim, make_opt)
    for a, t in zip(ours, theirs):
        np.testing.assert_allclose(a, t, rtol=1e-5, atol=1e-6)


def test_zero_grad_set_to_none_and_zeroed():
    w = adc.tensor([1.0], requires_grad=True)
    opt = adc.optim.SGD([w], lr=0.1)
    (w * 2).sum().backward()
    opt.zero_grad(set_to_none=False)
    assert w.grad.numpy().tolist() == [0.0]
    opt.zero_grad()
    assert w.grad is None
    with pytest.raises(ValueError):
        adc.optim.SGD([], lr=0.1)


def test_modules_register_parameters_and_losses_match_torch():
    model = adc.nn.Sequential(adc.nn.Linear(5, 4), adc.nn.ReLU(), adc.nn.Linear(4, 4))
    names = [n for n, _ in model.named_parameters()]
    assert names == ["0.weight", "0.bias", "2.weight", "2.bias"]
    w = model._modules["0"].weight.detach().numpy()
    assert w.shape == (4, 5) and np.abs(w).max() <= 1 / np.sqrt(5)
    t_model = torch.nn.Sequential(torch.nn.Linear(5, 4), torch.nn.ReLU(), torch.nn.Linear(4, 4))
    with torch.no_grad():
        for tp, p in zip(t_model.parameters(), model.parameters()):
            tp.copy_(torch.tensor(p.detach().numpy()))
    for loss, t_loss, target, t_target in [
            (adc.nn.CrossEntropyLoss(), torch.nn.CrossEntropyLoss(), adc.tensor(LABELS),
             torch.tensor(LABELS)),
            (adc.nn.MSELoss(reduction="sum"), torch.nn.MSELoss(reduction="sum"),
             adc.tensor(Y[:, :1].repeat(4, 1)), torch.tensor(Y[:, :1].repeat(4, 1)))]:
        model.zero_grad()
        t_model.zero_grad()
        out = loss(model(adc.tensor(X)), target)
        t_out = t_loss(t_model(torch.tensor(X)), t_target)
        out.backward()
        t_out.backward()
        np.testing.assert_allclose(out.item(), t_out.item(), rtol=1e-5)
        for p, tp in zip(model.parameters(), t_model.parameters()):
            np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), rtol=1e-4, atol=1e-6)
    with pytest.raises(RuntimeError, match="expected target dtype to be Long or Byte"):
        adc.nn.CrossEntropyLoss()(model(adc.tensor(X)), adc.tensor(Y[:, 0]))
