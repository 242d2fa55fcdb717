"""adc.utils.tensorboard: torch.utils.tensorboard's SummaryWriter for adc values, written with
tensorboardX (the `tensorboard` extra) as the event-file writer.

Stage: tensor front end (layer 8), training-time logging. Invariants: every value reaches
tensorboardX as a numpy array or a Python number (tensorboardX rejects objects that are not
torch tensors), so adc tensors, numpy values and numbers log the same; `add_graph` writes adc's
own IR of the model's forward (adc.viz.forward_ir) as a TensorBoard GraphDef: one node per
model input, parameter, constant, equation and output, with the shapes of what each produces,
inside the scope of the module that owns or ran it.
"""
from __future__ import annotations

from ..errors import UnsupportedError
from ..ir import _format_param
from ..tensors.tensor import Tensor
from ..viz import forward_ir
from ..viz.ir_dot import const_text


def _tensorboardx():
    try:
        import tensorboardX
    except ImportError:
        raise UnsupportedError(
            "adc.utils.tensorboard.SummaryWriter needs the tensorboardX package: pip install "
            "'adc-autodiff[tensorboard]' (or pip install tensorboardX)") from None
    return tensorboardX


def _value(x):
    """An adc tensor as a numpy array; anything else unchanged."""
    return x.detach().cpu().numpy() if isinstance(x, Tensor) else x


class SummaryWriter:
    """Writes scalars, histograms, images, text and adc graphs to an event file in `log_dir`
    (default `runs/<date>_<host><comment>`) for TensorBoard, as torch's SummaryWriter does."""

    def __init__(self, log_dir=None, comment: str = "", purge_step=None, max_queue: int = 10,
                 flush_secs: int = 120, filename_suffix: str = ""):
        self._writer = _tensorboardx().SummaryWriter(
            logdir=log_dir, comment=comment, purge_step=purge_step, max_queue=max_queue,
            flush_secs=flush_secs, filename_suffix=filename_suffix)

    @property
    def log_dir(self) -> str:
        return self._writer.logdir

    def get_logdir(self) -> str:
        return self._writer.logdir

    def add_scalar(self, tag: str, scalar_value, global_step=None, walltime=None) -> None:
        self._writer.add_scalar(tag, _value(scalar_value), global_step, walltime)

    def add_scalars(self, main_tag: str, tag_scalar_dict: dict, global_step=None,
                    walltime=None) -> None:
        self._writer.add_scalars(main_tag, {k: _value(v) for k, v in tag_scalar_dict.items()},
                                 global_step, walltime)

    def add_histogram(self, tag: str, values, global_step=None, bins="tensorflow",
                      walltime=None, max_bins=None) -> None:
        self._writer.add_histogram(tag, _value(values), global_step, bins, walltime, max_bins)

    def add_image(self, tag: str, img_tensor, global_step=None, walltime=None,
                  dataformats: str = "CHW") -> None:
        self._writer.add_image(tag, _value(img_tensor), global_step, walltime, dataformats)

    def add_images(self, tag: str, img_tensor, global_step=None, walltime=None,
                   dataformats: str = "NCHW") -> None:
        self._writer.add_images(tag, _value(img_tensor), global_step, walltime, dataformats)

    def add_text(self, tag: str, text_string: str, global_step=None, walltime=None) -> None:
        self._writer.add_text(tag, text_string, global_step, walltime)

    def add_graph(self, model, input_to_model=None, verbose: bool = False) -> None:
        """The forward of `model` on `input_to_model` (a tensor, or a tuple/list of them) as
        adc traces it: `tensorboard --logdir` shows it under Graphs. `verbose` prints the IR."""
        from tensorboardX.proto import event_pb2

        inputs = () if input_to_model is None else tuple(input_to_model) \
            if isinstance(input_to_model, (tuple, list)) else (input_to_model,)
        ir = forward_ir(model, *inputs)
        if verbose:
            print(ir.graph)
        self._writer._get_file_writer().add_event(
            event_pb2.Event(graph_def=graph_def_of(ir, len(inputs)).SerializeToString()))

    def flush(self) -> None:
        self._writer.flush()

    def close(self) -> None:
        self._writer.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def graph_def_of(ir, n_inputs: int):
    """A model's forward (`ir`: an adc.viz.ForwardIR whose first `n_inputs` inputs are the
    model's) as a TensorBoard GraphDef: model inputs (`input/<name>`) and outputs
    (`output/output<k>`) as "IO Node"s; parameters (op "Parameter"), equations (op: the
    primitive, its parameters as attributes, named `<primitive>_<k>`) and constants ("Const",
    their value shown; in their first user's scope) inside the scope of the module that owns
    or ran them (`Net/Linear[fc1]/weight`); every node has `_output_shapes` and `dtypes` (of
    what it produces)."""
    _tensorboardx()
    from tensorboardX.proto import graph_pb2, node_def_pb2, versions_pb2
    from tensorboardX.proto.attr_value_pb2 import AttrValue
    from tensorboardX.proto.tensor_shape_pb2 import TensorShapeProto

    graph = ir.graph
    source: dict = {}  # Var -> the name edges from its producer use ("node" or "node:k")
    nodes = []

    def add(name: str, op: str, ins, outs, attrs: dict) -> None:
        shapes = [TensorShapeProto(dim=[TensorShapeProto.Dim(size=int(d)) for d in v.aval.shape])
                  for v in outs]
        attr = {"_output_shapes": AttrValue(list=AttrValue.ListValue(shape=shapes)),
                "dtypes": AttrValue(s=" ".join(v.aval.dtype.name for v in outs).encode())}
        attr.update((k, AttrValue(s=text.encode())) for k, text in attrs.items())
        nodes.append(node_def_pb2.NodeDef(name=name, op=op, input=[source[v] for v in ins],
                                          attr=attr))
        source.update((v, name if k == 0 else f"{name}:{k}") for k, v in enumerate(outs))

    def scoped(scope: str, name: str) -> str:
        return f"{scope}/{name}" if scope else name

    for k, (v, name, scope) in enumerate(zip(graph.invars, ir.names, ir.input_scopes)):
        if k < n_inputs:
            add(f"input/{name}", "IO Node", [], [v], {})
        else:
            add(scoped(scope, name.rpartition(".")[2] if scope else name), "Parameter", [],
                [v], {})
    first_user = {}
    for e, scope in zip(graph.eqns, ir.eqn_scopes):
        first_user.update((v, scope) for v in e.ins if v not in first_user)
    for k, (v, value) in enumerate(graph.consts.items()):
        add(scoped(first_user.get(v, ""), f"const_{k}"), "Const", [], [v],
            {"value": const_text(value)})
    for k, (eqn, scope) in enumerate(zip(graph.eqns, ir.eqn_scopes)):
        add(scoped(scope, f"{eqn.prim.name}_{k}"), eqn.prim.name, eqn.ins, eqn.outs,
            {p: _format_param(value) for p, value in eqn.params.items()})
    for k, v in enumerate(graph.outvars):
        add(f"output/output{k}", "IO Node", [v], [v], {})
    return graph_pb2.GraphDef(node=nodes, versions=versions_pb2.VersionDef(producer=22))
