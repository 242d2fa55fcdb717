"""adc.viz: graphs drawn as DOT — any IR Graph (`to_dot`), the backward graph recorded behind a
tensor (`make_dot`, like torchviz) and a model's forward as an IR Graph (`forward_ir`).

Stage: visualization (tensor front end's layer: make_dot and forward_ir read the tape).
Invariant: DOT text (`.source`) needs no optional package; rendering needs the `viz` extra
(the graphviz package) and Graphviz's `dot` program.
"""
from .backward import make_dot
from .dot import Dot
from .forward import ForwardIR, forward_ir
from .ir_dot import to_dot

__all__ = ["Dot", "ForwardIR", "forward_ir", "make_dot", "to_dot"]
