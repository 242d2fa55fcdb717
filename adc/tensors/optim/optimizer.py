"""The `Optimizer` base class: parameter groups, per-parameter state, `zero_grad`, `step` with
an optional closure, `add_param_group`, `state_dict`/`load_state_dict` and torch's repr.

Stage: tensor front end. Invariant: an optimizer behaves as torch.optim's does from the
outside: the same group keys and defaults (so `print(opt)` and `opt.state_dict()` read as
torch's), state keyed by the parameter tensor and holding tensors (a 0-d float32 `step`), and
updates made in place under no_grad on the parameters' buffers (bumping their versions).
Subclasses write only `_update(p, g, state, group)` on arrays: they read buffers with
`tensor.read` and write them with `tensor.write` (never numpy's in-place operators), and
the step count enters their arithmetic as an array under adc.compile's trace (`_count`), so
the same update runs eagerly and traced into a compiled step.
"""

import copy as _copy

import numpy as _np

from ...errors import UnsupportedError
from ..grad_mode import enable_grad as _enable_grad
from ..grad_mode import no_grad as _no_grad
from ..tensor import Tensor, read, step_trace, write

class Optimizer:
    def __init__(self, params, defaults: dict):
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            f"Tensors or dicts, but got {params.type()}")
        self.defaults = defaults
        self.state: dict = {}
        self.param_groups: list = []
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, param_group: dict) -> None:
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        group = dict(param_group)
        params = group["params"]
        params = [params] if isinstance(params, Tensor) else list(params)
        if params and isinstance(params[0], tuple):
            group["param_names"] = [name for name, _ in params]
            params = [p for _, p in params]
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is "
                                f"{type(p).__name__}")
            if not p.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor")
        group["params"] = params
        for key, default in self.defaults.items():
            group.setdefault(key, default)
        # foreach/fused choose torch's implementation, not the numbers: accepted as they are
        for key in ("differentiable", "capturable"):
            if group.get(key):
                raise UnsupportedError(f"{type(self).__name__}({key}=True): adc's optimizers "
                                       "update parameters outside autograd, on the CPU")
        if any(("param_names" in g) != ("param_names" in group) for g in self.param_groups):
            which = "with names" if "param_names" in group else "without names"
            raise ValueError("all optimizer param groups should be with/without names. cannot "
                             f"add param group {which} to the optimizer")
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        for group in self.param_groups:
            for p in group["params"]:
                if set_to_none:  # unconditionally: a compiled step then needs no guard on
                    p.grad = None  # whether the gradient was there before
                elif p.grad is not None:
                    if p.grad.grad_fn is not None:
                        p.grad.detach_()
                    p.grad.zero_()

    def step(self, closure=None):
        loss = None
        if closure is not None:
            with _enable_grad():
                loss = closure()
        self._opt_called = True  # read by the schedulers' order warning
        trace = step_trace()
        if trace is not None:  # adc.compile's program depends on the hyperparameters
            trace.depends_on_optimizer(self)
        with _no_grad():
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is not None:
                        g = read(p.grad)
                        state = self.state.get(p, {})  # kept only once it holds something,
                        self._update(p, -g if group.get("maximize") else g, state, group)
                        if state and p not in self.state:  # as torch's (plain SGD keeps none)
                            self.state[p] = state
        return loss

    def _update(self, p, g, state, group):  # pragma: no cover - each optimizer defines it
        raise NotImplementedError

    @staticmethod
    def _buffer(p, value=0.0):
        """A state tensor shaped like `p`, filled with `value`."""
        return Tensor._wrap(_np.full_like(p._data, value))

    @staticmethod
    def _zero_step():
        return Tensor._wrap(_np.zeros((), _np.float32))

    @staticmethod
    def _count(state):
        """Advances the 0-d float32 `step` tensor (torch's) and returns the new count: a
        Python float, or under adc.compile's trace a float64 traced value (so the count is
        the program's state, not a constant of it)."""
        step = state["step"]
        write(step, read(step) + _np.float32(1))
        t = step._data
        return float(t) if isinstance(t, _np.ndarray) else t.astype(_np.float64)

    def state_dict(self) -> dict:
        index, groups = {}, []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            ids = []
            for p in group["params"]:
                index.setdefault(id(p), len(index))
                ids.append(index[id(p)])
            packed["params"] = ids
            groups.append(packed)
        state = {index[id(p)]: dict(s) for p, s in self.state.items() if id(p) in index}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        saved = state_dict["param_groups"]
        if len(saved) != len(self.param_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(self.param_groups, saved)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match "
                             "the size of optimizer's group")
        by_index = {i: p for g, s in zip(self.param_groups, saved)
                    for i, p in zip(s["params"], g["params"])}
        self.state = {}
        for i, s in state_dict["state"].items():
            p = by_index[int(i)]
            self.state[p] = {k: _as_state(v, p) for k, v in s.items()}
        for group, s in zip(self.param_groups, saved):
            group.update({k: _copy.deepcopy(v) for k, v in s.items() if k != "params"})

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {group[k]}" for k in sorted(group) if k != "params"]
        return "\n".join(lines + [")"])


def _as_state(value, p):
    """A loaded state entry as a fresh tensor (moments take the parameter's dtype, as torch's
    load_state_dict casts them; `step` stays float32)."""
    if isinstance(value, Tensor):
        data = _np.array(value._data, copy=True)
        if data.ndim and data.dtype.kind == "f":
            data = data.astype(p.dtype)
        return Tensor._wrap(data)
    return _copy.deepcopy(value)
