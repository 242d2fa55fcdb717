"""adc.utils.tensorboard.SummaryWriter, checked by reading its event files back (the TFRecord
framing and its CRCs parsed here, the records with tensorboardX's protobufs): adc tensors log
exactly what tensorboardX writes for the same numpy values, and add_graph writes adc's IR of
the model's forward as a GraphDef."""
from __future__ import annotations

import importlib.util
import struct
import sys
from pathlib import Path

import numpy as np
import pytest

import adc
from adc.errors import UnsupportedError
from adc.utils.tensorboard import SummaryWriter  # importable without tensorboardX

needs_tensorboardx = pytest.mark.skipif(importlib.util.find_spec("tensorboardX") is None,
                                        reason="needs the tensorboard extra (tensorboardX)")


def _masked(data: bytes) -> int:
    from tensorboardX.crc32c import crc32c

    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def read_events(logdir) -> list:
    """(directory relative to `logdir`, event) for every event of the event files under
    `logdir`, the file-version record skipped."""
    from tensorboardX.proto import event_pb2

    events = []
    for path in sorted(Path(logdir).rglob("events.out.tfevents.*")):
        data, pos = path.read_bytes(), 0
        while pos < len(data):
            header = data[pos:pos + 8]
            (n,) = struct.unpack("<Q", header)
            assert struct.unpack("<I", data[pos + 8:pos + 12])[0] == _masked(header)
            body = data[pos + 12:pos + 12 + n]
            assert struct.unpack("<I", data[pos + 12 + n:pos + 16 + n])[0] == _masked(body)
            event = event_pb2.Event.FromString(body)
            if not event.file_version:
                events.append((path.parent.relative_to(logdir).as_posix(), event))
            pos += 16 + n
    return events


def _graphs(logdir) -> list:
    from tensorboardX.proto import graph_pb2

    return [graph_pb2.GraphDef.FromString(e.graph_def) for _, e in read_events(logdir)
            if e.graph_def]


def _values(events) -> list:
    return [(d, e.step, v) for d, e in events for v in e.summary.value]


@needs_tensorboardx
def test_scalars_from_tensors_numpy_and_numbers(tmp_path):
    with SummaryWriter(str(tmp_path)) as w:
        assert w.log_dir == w.get_logdir() == str(tmp_path)
        w.add_scalar("loss", adc.tensor(0.5, requires_grad=True) * 2, 0)
        w.add_scalar("loss", np.float32(0.25), 1)
        w.add_scalar("loss", 3, 2)
        w.add_scalar("loss", adc.tensor([7.0]), 3)
        w.add_scalars("run", {"train": adc.tensor(1.5), "test": np.array(2.5)}, 4)
    got = sorted((d, s, v.tag, v.simple_value) for d, s, v in _values(read_events(tmp_path)))
    # add_scalars: one run per tag in <log_dir>/<main_tag>/<tag> (tensorboardX's layout)
    assert got == sorted([(".", 0, "loss", 1.0), (".", 1, "loss", 0.25), (".", 2, "loss", 3.0),
                          (".", 3, "loss", 7.0), ("run/train", 4, "run", 1.5),
                          ("run/test", 4, "run", 2.5)])


@needs_tensorboardx
def test_histogram_image_and_text_match_tensorboardx_on_numpy(tmp_path):
    rng = np.random.default_rng(0)
    values = rng.standard_normal(1000).astype(np.float32)
    img = rng.random((3, 8, 6)).astype(np.float32)
    hwc = (rng.random((5, 4, 3)) * 255).astype(np.uint8)
    batch = rng.random((2, 1, 4, 4)).astype(np.float32)
    import tensorboardX

    logs = {"adc": tmp_path / "adc", "tbx": tmp_path / "tbx"}
    for kind, logdir in logs.items():
        wrap = adc.from_numpy if kind == "adc" else (lambda a: a)
        writer = SummaryWriter(str(logdir)) if kind == "adc" else \
            tensorboardX.SummaryWriter(str(logdir))
        writer.add_histogram("w", wrap(values), 1)
        writer.add_histogram("w", wrap(values), 2, bins="auto")
        writer.add_image("img", wrap(img), 1)
        writer.add_image("hwc", wrap(hwc), 1, dataformats="HWC")
        writer.add_images("batch", wrap(batch), 1)
        writer.add_text("note", "lr=0.1", 1)
        writer.flush()
        writer.close()
    got, want = (_values(read_events(logs[k])) for k in ("adc", "tbx"))
    assert [(s, v) for _, s, v in got] == [(s, v) for _, s, v in want]
    histo = got[0][2].histo
    assert (histo.num, histo.min, histo.max) == (1000, values.min(), values.max())
    np.testing.assert_allclose(histo.sum, values.astype(np.float64).sum(), rtol=1e-5)
    image = got[2][2].image
    assert (image.height, image.width, image.colorspace) == (8, 6, 3)
    assert image.encoded_image_string.startswith(b"\x89PNG")
    assert (got[3][2].image.height, got[3][2].image.width) == (5, 4)
    assert got[5][2].tensor.string_val == [b"lr=0.1"]


class _Net(adc.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = adc.nn.Linear(3, 4)
        self.head = adc.nn.Sequential(adc.nn.ReLU(), adc.nn.Linear(4, 2))
        self.offset = adc.tensor([0.5, -0.5])  # not a Parameter: a constant in its user's scope

    def forward(self, x):
        return self.head(self.fc1(x)) + self.offset


@needs_tensorboardx
def test_add_graph_writes_the_models_forward_as_a_graphdef(tmp_path, capsys):
    adc.manual_seed(0)
    x = adc.randn(5, 3)
    with SummaryWriter(str(tmp_path)) as w:
        w.add_graph(_Net(), x, verbose=True)
    assert "relu" in capsys.readouterr().out
    (graph,) = _graphs(tmp_path)
    nodes = {n.name: n for n in graph.node}
    assert [n.op for n in graph.node] == ["IO Node"] + ["Parameter"] * 4 + ["Const"] + [
        "transpose", "matmul", "add", "relu", "transpose", "matmul", "add", "add", "IO Node"]
    fc1, lin = "_Net/Linear[fc1]", "_Net/Sequential[head]/Linear[1]"
    assert list(nodes) == [
        "input/input0", f"{fc1}/weight", f"{fc1}/bias", f"{lin}/weight", f"{lin}/bias",
        "_Net/const_0", f"{fc1}/transpose_0", f"{fc1}/matmul_1", f"{fc1}/add_2",
        "_Net/Sequential[head]/ReLU[0]/relu_3", f"{lin}/transpose_4", f"{lin}/matmul_5",
        f"{lin}/add_6", "_Net/add_7", "output/output0"]

    def shape(name):
        (s,) = nodes[name].attr["_output_shapes"].list.shape
        return [d.size for d in s.dim]

    assert shape("input/input0") == [5, 3] and shape(f"{fc1}/weight") == [4, 3]
    assert shape(f"{lin}/matmul_5") == [5, 2] and shape("output/output0") == [5, 2]
    assert list(nodes[f"{fc1}/matmul_1"].input) == ["input/input0", f"{fc1}/transpose_0"]
    assert list(nodes[f"{fc1}/transpose_0"].input) == [f"{fc1}/weight"]
    assert list(nodes["_Net/add_7"].input) == [f"{lin}/add_6", "_Net/const_0"]
    assert nodes[f"{fc1}/transpose_0"].attr["perm"].s == b"(1, 0)"
    assert nodes[f"{fc1}/add_2"].attr["dtypes"].s == b"float32"
    assert nodes["_Net/const_0"].attr["value"].s == b"[ 0.5,-0.5]"
    assert list(nodes["output/output0"].input) == ["_Net/add_7"]
    # every edge names a node of the graph
    assert all(i.split(":")[0] in nodes for n in graph.node for i in n.input)


@needs_tensorboardx
def test_add_graph_with_several_inputs_and_constants(tmp_path):
    adc.manual_seed(0)
    lin = adc.nn.Linear(2, 2)

    def model(a, b):
        return lin(a) * adc.tensor([2.0, 3.0]) + b.sum()

    with SummaryWriter(str(tmp_path)) as w:
        w.add_graph(model, [adc.ones(1, 2), adc.ones(3)])
    (graph,) = _graphs(tmp_path)
    ops = [n.op for n in graph.node]
    assert [n.name for n in graph.node[:2]] == ["input/input0", "input/input1"]
    assert "Const" in ops and "reduce_sum" in ops
    # a plain function has no named parameters: lin's weight and bias enter as constants too
    consts = [n for n in graph.node if n.op == "Const"]
    assert sorted(tuple(d.size for d in n.attr["_output_shapes"].list.shape[0].dim)
                  for n in consts) == [(2,), (2,), (2, 2)]
    assert b"[2.,3.]" in [n.attr["value"].s for n in consts]


def test_without_tensorboardx_the_error_names_the_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorboardX", None)
    with pytest.raises(UnsupportedError, match=r"tensorboardX.*adc-autodiff\[tensorboard\]"):
        SummaryWriter(str(tmp_path))
    assert not list(tmp_path.iterdir())
