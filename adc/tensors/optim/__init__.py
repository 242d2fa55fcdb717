"""`adc.optim`: torch.optim's optimizers and learning-rate schedules for adc tensors.

Stage: tensor front end. Invariant: names, defaults, argument checks, state and update
equations are torch.optim's (tests compare trajectories, state_dicts and schedules with
torch's); `optimizer.py` holds the base class, `algorithms.py` the update rules,
`lr_scheduler.py` the schedules.
"""
from . import lr_scheduler
from .algorithms import SGD, Adagrad, Adam, AdamW, RMSprop
from .optimizer import Optimizer

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "lr_scheduler"]
