"""adc.nn.Module's machinery against torch.nn.Module: registration rules, traversal orders,
state_dict keys and load errors, buffers, conversion, apply, containers, printing; adc.nn.init
against torch's formulas; adc.save/adc.load round trips."""
import collections
import io
import math
import re

import numpy as np
import pytest

import adc

torch = pytest.importorskip("torch")


def _net(nn):
    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Linear(3, 3)
            self.norm = nn.BatchNorm1d(3)
            self.register_buffer("scale", (torch if nn is torch.nn else adc).ones(3))
            self.register_buffer("cache", (torch if nn is torch.nn else adc).zeros(2),
                                 persistent=False)
            self.extra = nn.Parameter((torch if nn is torch.nn else adc).zeros(1))

        def forward(self, x):
            return self.norm(self.conv(x)) * self.scale + self.extra

    return nn.Sequential(collections.OrderedDict([
        ("stem", nn.Linear(2, 3)),
        ("blocks", nn.ModuleList([Block(), Block()])),
        ("heads", nn.ModuleDict({"a": nn.Linear(3, 1), "b": nn.Tanh()})),
    ]))


def test_traversal_orders_and_state_dict_keys_match_torch():
    ours, theirs = _net(adc.nn), _net(torch.nn)
    assert repr(ours) == repr(theirs)
    for method in ["named_parameters", "named_buffers", "named_modules", "named_children"]:
        assert [n for n, _ in getattr(ours, method)()] == [n for n, _ in getattr(theirs,
                                                                                  method)()]
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [type(m).__name__ for m in ours.modules()] == [type(m).__name__
                                                          for m in theirs.modules()]
    assert [type(m).__name__ for m in ours.children()] == [type(m).__name__
                                                           for m in theirs.children()]
    assert len(list(ours.buffers())) == len(list(theirs.buffers()))
    assert [n for n, _ in ours.named_parameters(recurse=False)] == []
    shared = adc.nn.Linear(2, 2)
    twice = adc.nn.Sequential(shared, shared)
    assert len(list(twice.parameters())) == 2 and len(list(twice.modules())) == 2


def test_state_dict_from_torch_gives_torch_outputs_and_round_trips():
    ours, theirs = _net(adc.nn), _net(torch.nn)
    theirs.eval()
    ours.eval()
    with torch.no_grad():
        for p in theirs.parameters():
            p.normal_()
        for b in theirs.buffers():
            if b.dtype.is_floating_point:
                b.uniform_(0.5, 1.5)
    result = ours.load_state_dict({k: adc.tensor(v.numpy())
                                   for k, v in theirs.state_dict().items()})
    assert repr(result) == "<All keys matched successfully>"
    x = np.random.default_rng(0).standard_normal((4, 2)).astype(np.float32)

    def run(model, lib):
        h = model.stem(lib.tensor(x))
        for block in model.blocks:
            h = block(h)
        return model.heads["b"](model.heads["a"](h)).detach().numpy()
    np.testing.assert_allclose(run(ours, adc), run(theirs, torch), rtol=1e-5, atol=1e-6)
    state = ours.state_dict()
    assert all(not t.requires_grad for t in state.values())
    assert ours.state_dict(keep_vars=True)["stem.weight"] is ours.stem.weight
    buf = io.BytesIO()
    adc.save(state, buf)
    buf.seek(0)
    loaded = adc.load(buf)
    assert isinstance(loaded, collections.OrderedDict) and list(loaded) == list(state)
    fresh = _net(adc.nn)
    fresh.load_state_dict(loaded)
    fresh.eval()
    np.testing.assert_allclose(run(fresh, adc), run(theirs, torch), rtol=1e-5, atol=1e-6)
    assert fresh.blocks[1].norm.num_batches_tracked.dtype == adc.int64


def test_load_state_dict_errors_match_torch():
    ours, theirs = adc.nn.Linear(3, 4), torch.nn.Linear(3, 4)
    for strict in (True, False):
        bad = {"weight": np.zeros((4, 4), np.float32), "foo": np.zeros(1, np.float32)}
        with pytest.raises(RuntimeError) as t_err:
            theirs.load_state_dict({k: torch.tensor(v) for k, v in bad.items()}, strict=strict)
        with pytest.raises(RuntimeError, match=re.escape(str(t_err.value))):
            ours.load_state_dict({k: adc.tensor(v) for k, v in bad.items()}, strict=strict)
    partial = {"weight": np.ones((4, 3), np.float32), "foo": np.zeros(1, np.float32)}
    t_keys = theirs.load_state_dict({k: torch.tensor(v) for k, v in partial.items()},
                                    strict=False)
    o_keys = ours.load_state_dict({k: adc.tensor(v) for k, v in partial.items()}, strict=False)
    assert (o_keys.missing_keys, o_keys.unexpected_keys) == (t_keys.missing_keys,
                                                             t_keys.unexpected_keys)
    assert ours.weight.detach().numpy().sum() == 12
    with pytest.raises(RuntimeError) as t_err:
        theirs.load_state_dict({"weight": torch.zeros(4, 3)})
    with pytest.raises(RuntimeError, match=re.escape(str(t_err.value))):
        ours.load_state_dict({"weight": adc.zeros(4, 3)})
    w = ours.weight
    ours.load_state_dict({"weight": adc.full((4, 3), 2.0), "bias": adc.zeros(4)})
    assert ours.weight is w and w.requires_grad and w.detach().numpy().max() == 2.0
    ours.load_state_dict({"weight": adc.zeros(4, 3), "bias": adc.zeros(4)}, assign=True)
    assert ours.weight is not w and isinstance(ours.weight, adc.nn.Parameter)


@pytest.mark.parametrize("action", [
    lambda nn, lib, m: setattr(m, "weight", lib.zeros(3)),
    lambda nn, lib, m: m.register_buffer("weight", lib.zeros(1)),
    lambda nn, lib, m: m.register_buffer("a.b", lib.zeros(1)),
    lambda nn, lib, m: m.register_buffer("c", 3),
    lambda nn, lib, m: m.register_parameter("d", lib.zeros(1)),
    lambda nn, lib, m: m.nothere,
    lambda nn, lib, m: m.to(lib.int64),
], ids=["param-as-tensor", "buffer-exists", "dotted", "buffer-int", "param-tensor", "missing",
        "to-int"])
def test_registration_errors_match_torch(action):
    with pytest.raises(Exception) as theirs:
        action(torch.nn, torch, torch.nn.Linear(2, 3))
    with pytest.raises(type(theirs.value), match=re.escape(str(theirs.value))):
        action(adc.nn, adc, adc.nn.Linear(2, 3))


def test_buffers_conversion_apply_modes_and_grads():
    m = adc.nn.Sequential(adc.nn.Linear(2, 3), adc.nn.BatchNorm1d(3), adc.nn.Dropout())
    weight = m[0].weight
    m(adc.ones(4, 2)).sum().backward()
    assert m.double() is m and m[0].weight is weight
    assert weight.dtype == adc.float64 and weight.grad.dtype == adc.float64
    assert m[1].running_mean.dtype == adc.float64
    assert m[1].num_batches_tracked.dtype == adc.int64
    assert m.float()[0].bias.dtype == adc.float32
    assert m.to("cpu") is m and m.to(adc.float64)[1].weight.dtype == adc.float64
    m.zero_grad()
    assert weight.grad is None
    seen = []
    m.apply(lambda mod: seen.append(type(mod).__name__))
    assert seen == ["Linear", "BatchNorm1d", "Dropout", "Sequential"]
    assert m.eval() is m and not any(x.training for x in m.modules())
    m.train()
    assert all(x.training for x in m.modules())
    m.requires_grad_(False)
    assert not any(p.requires_grad for p in m.parameters())
    m[1].running_mean = adc.ones(3, dtype=adc.float64)
    assert m.state_dict()["1.running_mean"].tolist() == [1.0, 1.0, 1.0]
    m[0].bias = None
    assert "0.bias" not in m.state_dict() and m[0].bias is None
    del m[1].running_var
    assert "1.running_var" not in m.state_dict()
    m.add_module("extra", adc.nn.Tanh())
    assert m.get_submodule("extra") is m.extra


def test_containers_behave_like_torch():
    layers = [adc.nn.Linear(2, 2), adc.nn.ReLU(), adc.nn.Linear(2, 1)]
    seq = adc.nn.Sequential(*layers)
    assert len(seq) == 3 and seq[-1] is layers[2] and list(seq) == layers
    assert isinstance(seq[1:], adc.nn.Sequential) and list(seq[1:]) == layers[1:]
    assert [n for n, _ in seq[1:].named_children()] == ["1", "2"]
    seq.append(adc.nn.Sigmoid())
    del seq[0]
    assert [type(m).__name__ for m in seq] == ["ReLU", "Linear", "Sigmoid"]
    assert [n for n, _ in seq.named_children()] == ["0", "1", "2"]
    with pytest.raises(IndexError, match="index 5 is out of range"):
        seq[5]
    ml = adc.nn.ModuleList([adc.nn.ReLU()])
    ml += [adc.nn.Tanh()]
    ml.insert(0, adc.nn.Identity())
    assert [type(m).__name__ for m in ml] == ["Identity", "ReLU", "Tanh"]
    assert type(ml.pop(1)).__name__ == "ReLU" and len(ml) == 2
    md = adc.nn.ModuleDict({"b": adc.nn.ReLU()})
    md.update([("a", adc.nn.Tanh())])
    md["c"] = adc.nn.Identity()
    assert list(md) == ["b", "a", "c"] and "a" in md and type(md.pop("b")).__name__ == "ReLU"
    for build in [lambda nn: nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 2), nn.ReLU()]),
                  lambda nn: nn.ModuleList(), lambda nn: nn.ModuleDict({"x": nn.ReLU()})]:
        assert repr(build(adc.nn)) == repr(build(torch.nn))


def test_reprs_match_torch():
    def build(nn):
        return nn.Sequential(
            nn.Linear(3, 4, bias=False), nn.ReLU(inplace=True), nn.LeakyReLU(0.2),
            nn.ELU(alpha=0.5, inplace=True), nn.GELU(approximate="tanh"), nn.SiLU(),
            nn.Softplus(beta=2), nn.Softmax(dim=-1), nn.LogSoftmax(), nn.Flatten(0, 1),
            nn.Unflatten(1, (2, 2)), nn.Dropout(p=0.1), nn.Dropout2d(), nn.AlphaDropout(0.2),
            nn.Identity(),
            nn.Embedding(10, 3, padding_idx=0), nn.BatchNorm2d(5, momentum=None, affine=False),
            nn.LayerNorm([2, 3], elementwise_affine=False), nn.GroupNorm(2, 4, bias=False),
            nn.CrossEntropyLoss(label_smoothing=0.1), nn.NLLLoss(), nn.BCELoss(),
            nn.BCEWithLogitsLoss(), nn.MSELoss(), nn.L1Loss(), nn.SmoothL1Loss(),
            nn.Sequential(), nn.Tanh(), nn.Sigmoid())
    assert repr(build(adc.nn)) == repr(build(torch.nn))


def test_init_follows_torch_formulas():
    init, t_init = adc.nn.init, torch.nn.init
    for args in [("linear",), ("tanh",), ("relu",), ("leaky_relu",), ("leaky_relu", 0.2),
                 ("selu",), ("conv2d",), ("sigmoid",)]:
        assert init.calculate_gain(*args) == t_init.calculate_gain(*args)
    for args in [("leaky_relu", True), ("swish",)]:
        with pytest.raises(ValueError) as theirs:
            t_init.calculate_gain(*args)
        with pytest.raises(ValueError, match=re.escape(str(theirs.value))):
            init.calculate_gain(*args)
    w = adc.empty(400, 300)
    adc.manual_seed(1)
    init.kaiming_uniform_(w, a=math.sqrt(5))
    bound = 1 / math.sqrt(300)
    assert w.numpy().max() <= bound and w.numpy().min() >= -bound
    assert abs(w.numpy().max() - bound) < 1e-3
    init.xavier_normal_(w, gain=2.0)
    assert abs(w.numpy().std() - 2.0 * math.sqrt(2 / 700)) < 2e-3
    init.kaiming_normal_(w, mode="fan_out", nonlinearity="relu")
    assert abs(w.numpy().std() - math.sqrt(2 / 400)) < 2e-3
    init.xavier_uniform_(w)
    assert abs(w.numpy().max() - math.sqrt(6 / 700)) < 1e-3
    init.normal_(w, 3.0, 0.5)
    assert abs(w.numpy().mean() - 3.0) < 0.01 and abs(w.numpy().std() - 0.5) < 0.01
    init.uniform_(w, -2, -1)
    assert -2 <= w.numpy().min() and w.numpy().max() < -1
    assert init.constant_(w, 0.25) is w and set(w.numpy().flat) == {0.25}
    assert init.zeros_(w).numpy().sum() == 0 and init.ones_(w).numpy().sum() == w.numel()
    p = adc.nn.Linear(3, 2).weight
    init.uniform_(p)  # leaves that require grad are written outside autograd
    assert p.requires_grad and p.is_leaf
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init.xavier_uniform_(adc.empty(3))
    with pytest.raises(ValueError, match="Mode fan_avg not supported"):
        init.kaiming_uniform_(w, mode="fan_avg")
    with pytest.warns(UserWarning, match="zero-element"):
        init.kaiming_normal_(adc.empty(0, 3))
    adc.manual_seed(7)
    a = adc.nn.Linear(4, 4).weight.detach().numpy().copy()
    adc.manual_seed(7)
    np.testing.assert_array_equal(adc.nn.Linear(4, 4).weight.detach().numpy(), a)


def test_save_load_nested_values(tmp_path):
    p = adc.nn.Parameter(adc.tensor([1.0, 2.0]))
    obj = {"epoch": 3, "lr": 0.1, "name": "run", "none": None, "flag": True,
           "tensors": [adc.tensor([[1, 2]]), (adc.tensor(2.5, dtype=adc.float64), p)],
           "array": np.arange(3), 7: "int key", "grad": adc.tensor([1.0], requires_grad=True)}
    path = tmp_path / "ckpt.pt"
    adc.save(obj, path)
    back = adc.load(path)
    assert set(back) == set(obj) and back["epoch"] == 3 and back[7] == "int key"
    assert back["tensors"][0].dtype == adc.int64 and back["tensors"][0].tolist() == [[1, 2]]
    assert isinstance(back["tensors"][1], tuple)
    assert back["tensors"][1][0].dtype == adc.float64
    assert isinstance(back["tensors"][1][1], adc.nn.Parameter)
    assert back["grad"].requires_grad and back["grad"].is_leaf
    np.testing.assert_array_equal(back["array"], np.arange(3))
    adc.save(adc.tensor([1.0]), str(tmp_path / "plain"))
    assert adc.load(str(tmp_path / "plain")).tolist() == [1.0]  # no suffix added
    with pytest.raises(TypeError, match=r"cannot store obj\['model'\] of type Linear"):
        adc.save({"model": adc.nn.Linear(1, 1)}, tmp_path / "bad.pt")
    with pytest.raises(TypeError, match="keys must be strings or ints"):
        adc.save({(1, 2): 3}, tmp_path / "bad.pt")
    np.savez(tmp_path / "other.npz", x=np.zeros(1))
    with pytest.raises(RuntimeError, match="not a file written by adc.save"):
        adc.load(tmp_path / "other.npz")
    with pytest.raises(adc.UnsupportedError):
        adc.load(path, map_location="cuda")
