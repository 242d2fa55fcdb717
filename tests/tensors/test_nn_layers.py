"""adc.nn layers against torch.nn: the same state_dict (copied from torch through numpy) gives
torch's outputs, gradients, running statistics (train and eval) and printed form."""
import re

import numpy as np
import pytest

import adc

torch = pytest.importorskip("torch")

R = np.random.default_rng(5)


def copy_from_torch(ours, theirs):
    missing = ours.load_state_dict({k: adc.tensor(v.detach().numpy())
                                    for k, v in theirs.state_dict().items()})
    assert not missing.missing_keys and not missing.unexpected_keys


def both(make):
    """The layer built by make(adc.nn) and make(torch.nn), adc's loaded with torch's state."""
    theirs = make(torch.nn)
    ours = make(adc.nn)
    copy_from_torch(ours, theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert repr(ours) == repr(theirs)
    return ours, theirs


def check_step(ours, theirs, *inputs, rtol=1e-5, atol=1e-6):
    """One forward and backward: outputs, input gradients, parameter gradients and buffers."""
    ours_in = [adc.tensor(x, requires_grad=x.dtype.kind == "f") for x in inputs]
    theirs_in = [torch.tensor(x, requires_grad=x.dtype.kind == "f") for x in inputs]
    out, t_out = ours(*ours_in), theirs(*theirs_in)
    np.testing.assert_allclose(out.detach().numpy(), t_out.detach().numpy(), rtol=rtol,
                               atol=atol)
    if t_out.requires_grad:
        ct = R.standard_normal(tuple(t_out.shape)).astype(np.float32)
        (out * adc.tensor(ct)).sum().backward()
        (t_out * torch.tensor(ct)).sum().backward()
        for a, t in zip(ours_in, theirs_in):
            if t.grad is not None:
                np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), rtol=rtol * 10,
                                           atol=atol * 10)
        for (name, p), tp in zip(ours.named_parameters(), theirs.parameters()):
            if tp.grad is not None:
                np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), rtol=rtol * 10,
                                           atol=atol * 10, err_msg=name)
    for (name, b), tb in zip(ours.named_buffers(), theirs.buffers()):
        np.testing.assert_allclose(b.numpy(), tb.numpy(), rtol=rtol, atol=atol, err_msg=name)


X = R.standard_normal((6, 4)).astype(np.float32)
X3 = R.standard_normal((6, 4, 3)).astype(np.float32)
X4 = R.standard_normal((5, 4, 3, 3)).astype(np.float32)
XA = R.standard_normal((4, 5)).astype(np.float32)  # test_nn_functional's shape and arguments:
# the activations' backward regions are then cache hits

LAYERS = {
    "linear": (lambda nn: nn.Linear(4, 3), X),
    "linear_nobias": (lambda nn: nn.Linear(3, 2, bias=False), X3),
    "identity": (lambda nn: nn.Identity(), X),
    "flatten": (lambda nn: nn.Flatten(), X4),
    "flatten_dims": (lambda nn: nn.Flatten(0, 2), X4),
    "unflatten": (lambda nn: nn.Unflatten(1, (2, 2)), X),
    "tanh": (lambda nn: nn.Tanh(), XA),
    "sigmoid": (lambda nn: nn.Sigmoid(), XA),
    "relu": (lambda nn: nn.ReLU(), XA),
    "gelu": (lambda nn: nn.GELU(approximate="tanh"), XA),
    "elu": (lambda nn: nn.ELU(0.7), XA),
    "silu": (lambda nn: nn.SiLU(), XA),
    "leaky_relu": (lambda nn: nn.LeakyReLU(0.2), XA),
    "softplus": (lambda nn: nn.Softplus(beta=2.0, threshold=3.0), XA),
    "softmax": (lambda nn: nn.Softmax(dim=1), XA),
    "log_softmax": (lambda nn: nn.LogSoftmax(-1), XA),
    "layer_norm": (lambda nn: nn.LayerNorm((4, 3)), X3),
    "layer_norm_plain": (lambda nn: nn.LayerNorm(3, elementwise_affine=False), X3),
    "group_norm": (lambda nn: nn.GroupNorm(2, 4), X4),
    "sequential": (lambda nn: nn.Sequential(nn.Linear(4, 5), nn.ReLU(), nn.Dropout(0.2),
                                            nn.Linear(5, 2), nn.LogSoftmax(1)), X),
}


@pytest.mark.parametrize("name", list(LAYERS))
def test_layers_match_torch(name):
    make, x = LAYERS[name]
    ours, theirs = both(make)
    if name == "sequential":
        ours.eval()
        theirs.eval()
    check_step(ours, theirs, x, rtol=1e-4 if "norm" in name else 1e-5, atol=1e-5)


@pytest.mark.parametrize("make,x", [
    (lambda nn: nn.BatchNorm1d(4), X),
    (lambda nn: nn.BatchNorm1d(4, momentum=None), X3),
    (lambda nn: nn.BatchNorm1d(4, affine=False, momentum=0.3), X),
    (lambda nn: nn.BatchNorm2d(4, eps=1e-3), X4),
    (lambda nn: nn.BatchNorm2d(4, track_running_stats=False), X4),
], ids=["1d", "1d-cumulative", "1d-no-affine", "2d", "2d-untracked"])
def test_batch_norm_train_and_eval_match_torch(make, x):
    ours, theirs = both(make)
    for step in range(3):
        check_step(ours, theirs, x * (step + 1) + step, rtol=1e-4, atol=1e-5)
    ours.eval()
    theirs.eval()
    check_step(ours, theirs, x, rtol=1e-4, atol=1e-5)
    assert ours.training is False


def test_batch_norm_errors_match_torch():
    for make, x in [(lambda nn: nn.BatchNorm1d(4), X4), (lambda nn: nn.BatchNorm2d(4), X)]:
        with pytest.raises(ValueError) as theirs:
            make(torch.nn)(torch.tensor(x))
        with pytest.raises(ValueError, match=re.escape(str(theirs.value))):
            make(adc.nn)(adc.tensor(x))
    with pytest.raises(ValueError, match="Expected more than 1 value per channel"):
        adc.nn.BatchNorm1d(4)(adc.tensor(X[:1]))
    with pytest.raises(ValueError, match="num_channels must be divisible by num_groups"):
        adc.nn.GroupNorm(3, 4)


def test_dropout_layers_follow_train_and_eval():
    ours = adc.nn.Sequential(adc.nn.Dropout(0.5), adc.nn.Dropout2d(0.5))
    assert repr(ours) == repr(torch.nn.Sequential(torch.nn.Dropout(0.5), torch.nn.Dropout2d(0.5)))
    x = adc.ones(4, 3, 2, 2)
    assert (ours(x).numpy() == 0).any()
    ours.eval()
    assert ours(x) is x
    with pytest.raises(ValueError, match="dropout probability"):
        adc.nn.Dropout(2.0)


def test_embedding_matches_torch_and_padding_row_gets_no_gradient():
    ours, theirs = both(lambda nn: nn.Embedding(6, 3, padding_idx=-2))
    idx = np.array([[0, 4, 1], [4, 4, 5]])
    check_step(ours, theirs, idx)
    assert ours.padding_idx == 4 and not ours.weight.grad.numpy()[4].any()
    fresh = adc.nn.Embedding(5, 2, padding_idx=1)
    assert not fresh.weight.detach().numpy()[1].any()
    pre = adc.nn.Embedding.from_pretrained(adc.tensor(X))
    assert pre.weight.requires_grad is False and repr(pre) == "Embedding(6, 4)"


LOSSES = {
    "mse": (lambda nn, w: nn.MSELoss(), "same"),
    "l1_sum": (lambda nn, w: nn.L1Loss(reduction="sum"), "same"),
    "smooth_l1": (lambda nn, w: nn.SmoothL1Loss(beta=0.5), "same"),
    "bce": (lambda nn, w: nn.Sequential(nn.Sigmoid()), "bce"),
    "bce_logits": (lambda nn, w: nn.BCEWithLogitsLoss(pos_weight=w(4)), "probs"),
    "nll": (lambda nn, w: nn.NLLLoss(weight=w(4), ignore_index=1), "labels"),
    "cross_entropy": (lambda nn, w: nn.CrossEntropyLoss(weight=w(4), label_smoothing=0.1,
                                                        ignore_index=2), "labels"),
    "cross_entropy_probs": (lambda nn, w: nn.CrossEntropyLoss(label_smoothing=0.2), "probs"),
}


@pytest.mark.parametrize("name", list(LOSSES))
def test_loss_modules_match_torch(name):
    make, kind = LOSSES[name]
    wv = R.random(4).astype(np.float32) + 0.5

    def weight(lib):
        return lambda n: lib.tensor(wv[:n])
    theirs, ours = make(torch.nn, weight(torch)), make(adc.nn, weight(adc))
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    target = {"same": R.standard_normal((6, 4)).astype(np.float32),
              "probs": R.random((6, 4)).astype(np.float32),
              "bce": R.random((6, 4)).astype(np.float32),
              "labels": R.integers(0, 4, 6)}[kind]
    if kind == "bce":
        ours = adc.nn.Sequential(ours, _Bce(adc.nn.BCELoss()))
        theirs = torch.nn.Sequential(theirs, _Bce(torch.nn.BCELoss(), torch))
        check_step(ours, theirs, X)
        return
    check_step(_WithTarget(ours, target, adc), _WithTarget(theirs, target, torch), X)


class _WithTarget:
    """A loss as a one-input callable (so check_step can drive it), with no parameters."""

    def __init__(self, loss, target, lib):
        self.loss, self.target = loss, lib.tensor(target)

    def __call__(self, x):
        return self.loss(x, self.target)

    def named_parameters(self):
        return iter(())

    def parameters(self):
        return iter(())

    def named_buffers(self):
        return self.loss.named_buffers()

    def buffers(self):
        return self.loss.buffers()


def _Bce(loss, lib=adc):
    target = lib.tensor(np.linspace(0.1, 0.9, 24, dtype=np.float32).reshape(6, 4))
    base = torch.nn.Module if lib is torch else adc.nn.Module

    class Bce(base):
        def __init__(self):
            super().__init__()
            self.loss = loss

        def forward(self, p):
            return self.loss(p, target)
    return Bce()


def test_tutorial_net_with_torch_weights_gives_torch_outputs():
    def make(nn):
        return nn.Sequential(nn.Flatten(), nn.Linear(9, 8), nn.BatchNorm1d(8), nn.ReLU(),
                             nn.Dropout(0.3), nn.Linear(8, 3), nn.LogSoftmax(dim=1))
    ours, theirs = both(make)
    x = R.standard_normal((7, 1, 3, 3)).astype(np.float32)
    ours.eval()
    theirs.eval()
    check_step(ours, theirs, x)
    ours.train()
    theirs.train()
    ours[4].p = theirs[4].p = 0.0
    check_step(ours, theirs, x, rtol=1e-4, atol=1e-5)


def test_training_with_batch_norm_and_losses_follows_torch_trajectory():
    def make(nn):
        return nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8, momentum=None), nn.GELU("tanh"),
                             nn.LayerNorm(8), nn.Linear(8, 3))
    ours, theirs = both(make)
    x = R.standard_normal((16, 4)).astype(np.float32)
    y = R.integers(0, 3, 16)
    for lib, model in ((adc, ours), (torch, theirs)):
        opt = lib.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        loss_fn = lib.nn.CrossEntropyLoss(label_smoothing=0.1)
        for step in range(4):
            opt.zero_grad()
            loss = loss_fn(model(lib.tensor(x * (1 + step / 4))), lib.tensor(y))
            loss.backward()
            opt.step()
    for (name, a), t in zip(ours.state_dict().items(), theirs.state_dict().values()):
        np.testing.assert_allclose(a.numpy(), t.numpy(), rtol=2e-4, atol=2e-5, err_msg=name)
    assert ours[1].num_batches_tracked.item() == 4
