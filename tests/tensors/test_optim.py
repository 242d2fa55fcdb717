"""adc.optim beyond trajectories (tests/tensors/test_tensor_training.py has those), side by side
with torch.optim: repr, state and state_dict, load_state_dict resuming a run, parameter
groups, closures, named parameters, argument errors, and every learning-rate schedule."""
import io
import warnings

import numpy as np
import pytest

import adc

torch = pytest.importorskip("torch")

W0 = np.random.default_rng(3).standard_normal((4, 3)).astype(np.float32)
X = np.random.default_rng(4).standard_normal((8, 4)).astype(np.float32)


def _loss(lib, w):
    return (lib.tanh(lib.tensor(X) @ w) ** 2).mean()


def _steps(lib, opt, w, n):
    for _ in range(n):
        opt.zero_grad()
        _loss(lib, w).backward()
        opt.step()


def _pair(make, n=3):
    """The same optimizer in both libraries after `n` steps: (adc's, w, torch's, tw)."""
    w = adc.tensor(W0, requires_grad=True)
    tw = torch.tensor(W0, requires_grad=True)
    opt, topt = make(adc.optim, [w]), make(torch.optim, [tw])
    _steps(adc, opt, w, n)
    _steps(torch, topt, tw, n)
    return opt, w, topt, tw


MAKERS = {
    "sgd": lambda o, p: o.SGD(p, lr=0.1, momentum=0.9),
    "sgd_plain": lambda o, p: o.SGD(p, lr=0.1),  # torch keeps no state entry at all
    "adam": lambda o, p: o.Adam(p, lr=0.01, amsgrad=True),
    "adamw": lambda o, p: o.AdamW(p),
    "rmsprop": lambda o, p: o.RMSprop(p, momentum=0.1, centered=True),
    "adagrad": lambda o, p: o.Adagrad(p),
}


@pytest.mark.parametrize("name", MAKERS)
def test_repr_and_state_dict_match_torch(name):
    opt, w, topt, tw = _pair(MAKERS[name])
    assert repr(opt) == repr(topt)
    ours, theirs = opt.state_dict(), topt.state_dict()
    assert ours["param_groups"] == theirs["param_groups"]
    assert ours["state"].keys() == theirs["state"].keys()
    for k, state in theirs["state"].items():
        assert ours["state"][k].keys() == state.keys()
        for key, value in state.items():
            if value is None:
                assert ours["state"][k][key] is None
                continue
            mine = ours["state"][k][key]
            assert isinstance(mine, adc.Tensor) and str(mine.dtype) == str(value.dtype)
            np.testing.assert_allclose(mine.numpy(), value.numpy(), rtol=1e-5, atol=1e-7)
    # state is keyed by the parameter, as torch's (and only once there is some)
    assert list(opt.state) == [w] * len(topt.state)


@pytest.mark.parametrize("name", MAKERS)
def test_load_state_dict_resumes_the_trajectory(name):
    """Three steps, save (through adc.save), a fresh optimizer loads it, three more steps: the
    same weights as six uninterrupted torch steps."""
    opt, w, _, _ = _pair(MAKERS[name])
    buffer = io.BytesIO()
    adc.save(opt.state_dict(), buffer)
    buffer.seek(0)
    fresh = MAKERS[name](adc.optim, [w])
    fresh.load_state_dict(adc.load(buffer))
    _steps(adc, fresh, w, 3)
    _, _, _, tw = _pair(MAKERS[name], n=6)
    np.testing.assert_allclose(w.detach().numpy(), tw.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_load_state_dict_checks_the_groups():
    w, v = adc.ones(2, requires_grad=True), adc.ones(2, requires_grad=True)
    saved = adc.optim.SGD([w, v], lr=0.1).state_dict()
    for lib, a, b in ((adc, w, v), (torch, torch.ones(2, requires_grad=True),
                                    torch.ones(2, requires_grad=True))):
        two_groups = lib.optim.SGD([{"params": [a]}, {"params": [b]}], lr=0.1)
        with pytest.raises(ValueError, match="different number of parameter groups"):
            two_groups.load_state_dict(saved if lib is adc else
                                       torch.optim.SGD([a, b], lr=0.1).state_dict())
        one = lib.optim.SGD([a], lr=0.1)
        with pytest.raises(ValueError, match="doesn't match the size of optimizer's group"):
            one.load_state_dict(saved if lib is adc else
                                torch.optim.SGD([a, b], lr=0.1).state_dict())


def test_param_groups_add_param_group_and_named_parameters():
    results = []
    for lib in (adc, torch):
        model = lib.nn.Linear(3, 2)
        opt = lib.optim.SGD(model.named_parameters(), lr=0.1)
        extra = lib.ones(2, requires_grad=True)
        with pytest.raises(ValueError, match="cannot add param group without names"):
            opt.add_param_group({"params": extra, "lr": 0.5})
        opt.add_param_group({"params": [("extra", extra)], "lr": 0.5})
        with pytest.raises(ValueError, match="more than one parameter group"):
            opt.add_param_group({"params": [("again", extra)]})
        results.append([{k: v for k, v in g.items() if k != "params"} for g in opt.param_groups])
    assert results[0] == results[1]
    assert results[0][0]["param_names"] == ["weight", "bias"]


def test_closure_is_called_with_grad_enabled_and_its_loss_returned():
    losses = []
    for lib in (adc, torch):
        w = lib.tensor(W0, requires_grad=True)
        opt = lib.optim.SGD([w], lr=0.1)

        def closure():
            opt.zero_grad()
            loss = _loss(lib, w)
            loss.backward()
            return loss

        with lib.no_grad():
            loss = opt.step(closure)
        losses.append((loss.item(), w.detach().numpy()))
    assert losses[0][0] == pytest.approx(losses[1][0], rel=1e-6)
    np.testing.assert_allclose(losses[0][1], losses[1][1], rtol=1e-6)


@pytest.mark.parametrize("call,message", [
    (lambda o, p: o.SGD(p, lr=-1), "Invalid learning rate: -1"),
    (lambda o, p: o.SGD(p, lr=0.1, momentum=-0.5), "Invalid momentum value: -0.5"),
    (lambda o, p: o.SGD(p, lr=0.1, nesterov=True), "Nesterov momentum requires a momentum"),
    (lambda o, p: o.Adam(p, betas=(1.0, 0.9)), "Invalid beta parameter at index 0: 1.0"),
    (lambda o, p: o.Adam(p, eps=-1.0), "Invalid epsilon value: -1.0"),
    (lambda o, p: o.AdamW(p, weight_decay=-1), "Invalid weight_decay value: -1"),
    (lambda o, p: o.RMSprop(p, alpha=-1), "Invalid alpha value: -1"),
    (lambda o, p: o.Adagrad(p, lr_decay=-1), "Invalid lr_decay value: -1"),
    (lambda o, p: o.SGD([], lr=0.1), "optimizer got an empty parameter list"),
])
def test_argument_errors_match_torch(call, message):
    for lib in (adc, torch):
        with pytest.raises(ValueError, match=message.replace("(", r"\(")):
            call(lib.optim, [lib.ones(2, requires_grad=True)])


def test_a_single_tensor_is_refused_as_torch_refuses_it():
    for lib in (adc, torch):
        with pytest.raises(TypeError, match="should be an iterable of Tensors or dicts, but got "
                                            "torch.FloatTensor"):
            lib.optim.SGD(lib.ones(2, requires_grad=True), lr=0.1)


def test_differentiable_optimizer_is_refused_clearly():
    with pytest.raises(adc.UnsupportedError, match="differentiable=True"):
        adc.optim.SGD([adc.ones(2, requires_grad=True)], lr=0.1, differentiable=True)


SCHEDULES = {
    "step": lambda s, o: s.StepLR(o, step_size=3, gamma=0.5),
    "multistep": lambda s, o: s.MultiStepLR(o, milestones=[2, 5, 5], gamma=0.3),
    "exponential": lambda s, o: s.ExponentialLR(o, gamma=0.9),
    "cosine": lambda s, o: s.CosineAnnealingLR(o, T_max=4, eta_min=0.01),
    "linear": lambda s, o: s.LinearLR(o, start_factor=0.25, total_iters=4),
    "lambda": lambda s, o: s.LambdaLR(o, lambda epoch: 0.95 ** epoch),
    "multiplicative": lambda s, o: s.MultiplicativeLR(o, lambda epoch: 0.9),
}


def _schedule(lib, make, n=11, epoch_form=False, chain=None):
    params = [lib.ones(2, requires_grad=True), lib.ones(2, requires_grad=True)]
    opt = lib.optim.SGD([{"params": params[:1]}, {"params": params[1:], "lr": 0.3}], lr=0.1)
    schedules = [make(lib.optim.lr_scheduler, opt)] + \
        ([chain(lib.optim.lr_scheduler, opt)] if chain else [])
    lrs = [schedules[0].get_last_lr()]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the epoch argument's deprecation
        for epoch in range(1, n):
            opt.step()
            for s in schedules:
                s.step(epoch) if epoch_form else s.step()
            lrs.append(schedules[-1].get_last_lr())
    return lrs, schedules[0].state_dict()


@pytest.mark.parametrize("name", SCHEDULES)
def test_schedules_match_torch(name):
    ours, state = _schedule(adc, SCHEDULES[name])
    theirs, t_state = _schedule(torch, SCHEDULES[name])
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)
    assert state["last_epoch"] == t_state["last_epoch"] and \
        state["base_lrs"] == t_state["base_lrs"]
    if name != "multiplicative" and name != "lambda":  # no closed form in torch either
        ours, _ = _schedule(adc, SCHEDULES[name], epoch_form=True)
        theirs, _ = _schedule(torch, SCHEDULES[name], epoch_form=True)
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)


def test_chained_schedules_compose_as_torch():
    warmup = lambda s, o: s.LinearLR(o, start_factor=0.5, total_iters=3)  # noqa: E731
    decay = lambda s, o: s.ExponentialLR(o, gamma=0.8)  # noqa: E731
    np.testing.assert_allclose(_schedule(adc, warmup, chain=decay)[0],
                               _schedule(torch, warmup, chain=decay)[0], rtol=1e-12)


def test_reduce_on_plateau_matches_torch():
    metrics = [1.0, 0.9, 0.95, 0.95, 0.95, 0.8, 0.85, 0.85, 0.85, 0.85, 0.7]
    runs = []
    for lib in (adc, torch):
        opt = lib.optim.SGD([lib.ones(2, requires_grad=True)], lr=0.1)
        s = lib.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=1, cooldown=1,
                                                     min_lr=0.02)
        runs.append([(s.step(m), s.get_last_lr())[1] for m in metrics])
    assert runs[0] == runs[1]


def test_scheduler_step_before_optimizer_step_warns_as_torch():
    for lib in (adc, torch):
        opt = lib.optim.SGD([lib.ones(2, requires_grad=True)], lr=0.1)
        s = lib.optim.lr_scheduler.StepLR(opt, 2)
        with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
            s.step()
