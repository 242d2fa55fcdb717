"""adc.viz: to_dot draws every input, constant, equation and output of an IR Graph with the
printer's names; make_dot draws the tape behind a tensor as torchviz draws torch's (the same
grad_fn names and structure as torch records for the same code); forward_ir turns a model's
forward into a Graph that computes its output; rendering needs graphviz and `dot`, and says so.
"""
from __future__ import annotations

import re
import shutil
import sys
from collections import Counter

import numpy as np
import pytest

import adc
from adc.errors import UnsupportedError
from adc.ir import format_graph
from adc.viz.ir_dot import var_letters

torch = pytest.importorskip("torch")

_STMT = re.compile(r'^\t"((?:[^"\\]|\\.)*)"(?: -> "((?:[^"\\]|\\.)*)")?(?: \[(.*)\])?$')
_ATTR = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def parse(source: str):
    """(nodes: id -> attrs with the label's lines joined by newlines, edges: [(tail, head,
    attrs)]) of the DOT text adc.viz writes; any other statement fails the test."""
    lines = source.splitlines()
    assert lines[0].startswith("digraph ") and lines[0].endswith("{") and lines[-1] == "}"
    nodes, edges = {}, []
    for line in lines[1:-1]:
        if line.startswith(("\tgraph [", "\tnode [")):
            continue
        m = _STMT.match(line)
        assert m, f"unexpected DOT statement: {line!r}"
        attrs = {k: v.replace("\\l", "\n").rstrip("\n").replace('\\"', '"')
                 for k, v in _ATTR.findall(m.group(3) or "")}
        if m.group(2) is None:
            assert m.group(1) not in nodes, f"node {m.group(1)} declared twice"
            nodes[m.group(1)] = attrs
        else:
            edges.append((m.group(1), m.group(2), attrs))
    for tail, head, _ in edges:
        assert tail in nodes and head in nodes, f"edge {tail} -> {head} to an undeclared node"
    return nodes, edges


# ---- to_dot ----

def _net(x, w):
    h = np.tanh(x @ w + 1.5)
    return np.sum(h * h), np.max(h, axis=0)


def test_to_dot_draws_every_input_constant_equation_and_output():
    x, w = np.ones((2, 3), np.float32), np.full((3, 4), 0.5, np.float32)
    ir = adc.make_ir(lambda x, w: _net(x, w))(x, w)
    nodes, edges = parse(adc.viz.to_dot(ir).source)
    assert len(nodes) == len(ir.invars) + len(ir.consts) + len(ir.eqns) + len(ir.outvars)
    assert len(edges) == sum(len(e.ins) for e in ir.eqns) + len(ir.outvars)
    labels = [nodes[f"e{k}"]["label"].splitlines() for k in range(len(ir.eqns))]
    assert [lines[0] for lines in labels] == [e.prim.name for e in ir.eqns]
    printed = format_graph(ir).splitlines()[1:-1]
    for k, eqn in enumerate(ir.eqns):  # outputs named and typed as the printer does
        lhs = printed[len(ir.consts) + k].split(" = ")[0].strip()
        assert labels[k][-1] == "-> " + lhs
        for name in eqn.params:
            assert any(line.startswith(f"{name}=") for line in labels[k])
    assert nodes["in0"]["label"] == "a:f32[2,3]" and nodes["in0"]["fillcolor"] == "lightblue"
    assert [nodes[f"out{k}"]["label"].splitlines()[0] for k in range(2)] == \
        ["output 0", "output 1"]
    producers = Counter(head for _, head, _ in edges)
    assert all(producers[f"e{k}"] == len(e.ins) for k, e in enumerate(ir.eqns))


def test_to_dot_shows_constants_and_input_names_and_gradient_graphs():
    ir = adc.make_ir(adc.grad(lambda x: np.sum(np.sin(x) * np.array([1.0, 2.0, 3.0]))))(
        np.ones(3))
    nodes, _ = parse(adc.viz.to_dot(ir, names=["x"]).source)
    consts = [a["label"] for n, a in nodes.items() if n.startswith("c")]
    assert any("= const" in c and "[1.,2.,3.]" in c for c in consts), consts
    assert nodes["in0"]["label"] == "x\na:f64[3]"
    assert "cos" in {a["label"].splitlines()[0] for a in nodes.values()}


def test_to_dot_names_variables_as_the_printer_does_past_z():
    def chain(x):
        for _ in range(30):
            x = np.sin(x)
        return x
    ir = adc.make_ir(chain)(np.ones(2))
    assert [var_letters(k) for k in (0, 25, 26, 27, 51, 52, 701, 702)] == \
        ["a", "z", "aa", "ab", "az", "ba", "zz", "aaa"]
    text = adc.viz.to_dot(ir).source
    for line in format_graph(ir).splitlines()[1:-1]:
        assert "-> " + line.split(" = ")[0].strip() in text.replace("\\l", "\n")


def test_to_dot_errors():
    with pytest.raises(UnsupportedError, match="adc.viz.to_dot expects an adc Graph"):
        adc.viz.to_dot(lambda x: x)
    ir = adc.make_ir(np.sin)(np.ones(2))
    with pytest.raises(UnsupportedError, match="2 names for 1 graph inputs"):
        adc.viz.to_dot(ir, names=["x", "y"])


def test_dot_quotes_labels():
    ir = adc.make_ir(lambda x: x + 1.0)(np.ones(2))
    nodes, _ = parse(adc.viz.to_dot(ir, names=['say "hi"\\ there']).source)
    assert nodes["in0"]["label"].splitlines()[0] == 'say "hi"\\\\ there'


# ---- make_dot ----

def _torch_names(fn) -> Counter:
    seen, stack, names = set(), [fn], Counter()
    while stack:
        f = stack.pop()
        if f is None or f in seen:
            continue
        seen.add(f)
        names[f.name().rpartition("::")[2]] += 1
        stack += [u for u, _ in f.next_functions]
    return names


def _labels(nodes) -> Counter:
    return Counter(a["label"].splitlines()[0] for a in nodes.values()
                   if a.get("fillcolor", "white") == "white")


def test_make_dot_draws_the_same_graph_torch_records():
    rng = np.random.default_rng(0)
    xs, ws = rng.standard_normal((2, 3)), rng.standard_normal((3,))
    out = {}
    for lib in (adc, torch):
        x = lib.tensor(xs, requires_grad=True)
        w = lib.tensor(ws, requires_grad=True)
        out[lib.__name__] = ((x * w).exp().sum(), {"x": x, "w": w})
    y, params = out["adc"]
    nodes, edges = parse(adc.viz.make_dot(y, params=params).source)
    assert _labels(nodes) == _torch_names(out["torch"][0].grad_fn) == Counter(
        {"SumBackward0": 1, "ExpBackward0": 1, "MulBackward0": 1, "AccumulateGrad": 2})
    leaves = {a["label"] for a in nodes.values() if a.get("fillcolor") == "lightblue"}
    assert leaves == {"x\n (2, 3)", "w\n (3)"}
    (root,) = [a for a in nodes.values() if a.get("fillcolor") == "darkolivegreen1"]
    assert root["label"] == "\n ()"
    # edges run towards the output: leaf -> AccumulateGrad -> Mul -> Exp -> Sum -> output
    by_id = {n: a["label"].splitlines()[0] for n, a in nodes.items()}
    named = Counter((by_id[t], by_id[h]) for t, h, _ in edges)
    assert named == Counter({("x", "AccumulateGrad"): 1, ("w", "AccumulateGrad"): 1,
                             ("AccumulateGrad", "MulBackward0"): 2,
                             ("MulBackward0", "ExpBackward0"): 1,
                             ("ExpBackward0", "SumBackward0"): 1, ("SumBackward0", ""): 1})


def test_make_dot_names_a_models_parameters_and_shares_reused_nodes():
    adc.manual_seed(0)
    model = adc.nn.Sequential(adc.nn.Linear(3, 4), adc.nn.ReLU(), adc.nn.Linear(4, 2))
    h = model(adc.randn(5, 3))
    nodes, edges = parse(adc.viz.make_dot((h.sum(), h.mean()),
                                          params=dict(model.named_parameters())).source)
    leaves = {a["label"] for a in nodes.values() if a.get("fillcolor") == "lightblue"}
    assert leaves == {"0.weight\n (4, 3)", "0.bias\n (4)", "2.weight\n (2, 4)", "2.bias\n (2)"}
    assert _labels(nodes)["AccumulateGrad"] == 4
    assert sum(a.get("fillcolor") == "darkolivegreen1" for a in nodes.values()) == 2
    add = {n for n, a in nodes.items() if a["label"] == "AddBackward0"}
    assert sum(t in add for t, _, _ in edges) == 3  # the last Add feeds Sum and Mean


def test_make_dot_show_attrs_and_saved():
    x = adc.ones(2, 3, requires_grad=True)
    y = x.sum(dim=1, keepdim=True)
    nodes, edges = parse(adc.viz.make_dot(y, show_attrs=True, show_saved=True).source)
    (sum_node,) = [a["label"].splitlines() for a in nodes.values()
                   if a["label"].startswith("SumBackward1")]
    assert sum_node[1] == "-" * max(map(len, sum_node))
    assert sum_node[2:] == ["reduce_sum axes=(1,)", "reshape shape=(2, 1)"]
    saved = sorted(a["label"] for a in nodes.values() if a.get("fillcolor") == "orange")
    assert saved == ["input0\n (2, 3)", "result0\n (2, 1)"]
    assert all(a == {"dir": "none"} for t, h, a in edges if h in
               {n for n, a in nodes.items() if a.get("fillcolor") == "orange"})
    short = parse(adc.viz.make_dot(y, show_attrs=True, max_attr_chars=10).source)[0]
    assert "reduce_... " not in str(short) and any(
        "reduce_..." in a["label"].splitlines() for a in short.values())
    y.backward(adc.ones(2, 1))  # frees the saved values: none left to draw
    freed, _ = parse(adc.viz.make_dot(y, show_saved=True).source)
    assert not [a for a in freed.values() if a.get("fillcolor") == "orange"]


def test_make_dot_draws_a_views_base_dotted():
    x = adc.ones(3, 2, requires_grad=True)
    base = x * 2
    v = base[0]
    nodes, edges = parse(adc.viz.make_dot(v).source)
    colors = {a.get("fillcolor") for a in nodes.values()}
    assert {"darkolivegreen1", "darkolivegreen3"} <= colors
    assert [a for _, _, a in edges if a] == [{"style": "dotted"}]


def test_make_dot_errors():
    with pytest.raises(UnsupportedError, match="expects an adc Tensor.*got ndarray"):
        adc.viz.make_dot(np.ones(2))
    with pytest.raises(UnsupportedError, match=r"params\['w'\] is a ndarray"):
        adc.viz.make_dot(adc.ones(2), params={"w": np.ones(2)})


# ---- forward_ir ----

class _Scaled(adc.nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = adc.nn.Linear(3, 2)
        self.scale = adc.tensor([2.0, -1.0])  # not a Parameter: enters as a constant

    def forward(self, x, k):
        return self.lin(x) * self.scale, self.lin(x)[k]


def test_forward_ir_computes_the_models_outputs():
    adc.manual_seed(1)
    model = _Scaled().train()
    x, k = adc.randn(4, 3), adc.tensor([2, 0])
    ir = adc.viz.forward_ir(model, x, k)
    assert ir.names == ["input0", "input1", "lin.weight", "lin.bias"]
    assert [v.aval.shape for v in ir.graph.invars] == [(4, 3), (2,), (2, 3), (2,)]
    got = adc.eval_graph(ir.graph, x.numpy(), k.numpy(), *[p.detach().numpy()
                                                           for p in model.parameters()])
    want = model(x, k)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w.detach().numpy(), rtol=1e-6)
    assert model.training and model.lin.training  # eval while recording, then restored
    assert "forward" not in vars(model) and "forward" not in vars(model.lin)
    consts = ir.graph.consts.values()
    assert any(np.array_equal(c, [2.0, -1.0]) for c in consts)
    # the index key k is copied to int64 before indexing, so its value enters as a constant
    assert ir.graph.invars[1] not in {v for e in ir.graph.eqns for v in e.ins}
    assert any(np.array_equal(c, [2, 0]) for c in consts)
    nodes, _ = parse(adc.viz.to_dot(ir.graph, ir.names).source)
    assert nodes["in2"]["label"] == "lin.weight\nc:f32[2,3]"


def test_forward_ir_scopes_follow_the_modules_that_ran_each_equation():
    class Block(adc.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = adc.nn.Linear(2, 2)
            self.act = adc.nn.ReLU()

        def forward(self, x):
            return self.act(self.fc(x)) * 2.0

    shared = Block()
    model = adc.nn.Sequential(shared, adc.nn.ReLU(), shared)  # a module used twice
    ir = adc.viz.forward_ir(model, adc.ones(1, 2))
    assert ir.names == ["input0", "0.fc.weight", "0.fc.bias"]  # shared: listed once
    assert ir.input_scopes == ["", "Sequential/Block[0]/Linear[fc]",
                               "Sequential/Block[0]/Linear[fc]"]
    fc, act = "Sequential/Block[0]/Linear[fc]", "Sequential/Block[0]/ReLU[act]"
    block = ["transpose", "matmul", "add", "relu", "mul"]
    assert [e.prim.name for e in ir.graph.eqns] == block + ["relu"] + block
    block_scopes = [fc, fc, fc, act, "Sequential/Block[0]"]  # its second call: the same names
    assert ir.eqn_scopes == block_scopes + ["Sequential/ReLU[1]"] + block_scopes
    assert "forward" not in vars(shared)


def test_forward_ir_restores_the_model_when_its_forward_raises():
    class Broken(adc.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = adc.nn.Linear(2, 3)

        def forward(self, x):
            return self.fc(x) @ self.fc(x)  # (1, 3) @ (1, 3)

    model = Broken()
    with pytest.raises(adc.ShapeError, match=r"matmul: shapes \(1, 3\) and \(1, 3\)"):
        adc.viz.forward_ir(model, adc.ones(1, 2))
    assert model.training and model.fc.training
    assert "forward" not in vars(model) and "forward" not in vars(model.fc)


def test_forward_ir_of_a_plain_function_and_errors():
    ir = adc.viz.forward_ir(lambda a, b: (a * b).sum(), np.ones(3), 2.0)
    assert ir.names == ["input0", "input1"] and ir.eqn_scopes == [""] * len(ir.graph.eqns)
    assert adc.eval_graph(ir.graph, np.full(3, 2.0), np.float32(3))[0] == 18.0
    with pytest.raises(UnsupportedError, match="output 0 of the model is a float"):
        adc.viz.forward_ir(lambda a: 1.0, np.ones(2))


# ---- rendering ----

def test_save_writes_the_dot_text(tmp_path):
    dot = adc.viz.to_dot(adc.make_ir(np.sin)(np.ones(2)))
    path = dot.save(str(tmp_path / "g.gv"))
    with open(path) as f:
        assert f.read() == dot.source == str(dot)


def test_render_without_the_graphviz_package_names_the_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "graphviz", None)
    dot = adc.viz.to_dot(adc.make_ir(np.sin)(np.ones(2)))
    with pytest.raises(UnsupportedError, match=r"render\(format='png'\) needs the graphviz "
                       r"Python package.*adc-autodiff\[viz\]"):
        dot.render(str(tmp_path / "g"), format="png")
    with pytest.raises(UnsupportedError, match=r"pipe\(format='svg'\) needs the graphviz"):
        dot._repr_svg_()
    assert not list(tmp_path.iterdir())


def test_render_draws_with_dot_or_says_it_is_missing(tmp_path):
    pytest.importorskip("graphviz")
    x = adc.ones(2, requires_grad=True)
    dot = adc.viz.make_dot((x * x).sum(), params={"x": x})
    if shutil.which("dot") is None:
        with pytest.raises(UnsupportedError, match="render.*needs Graphviz's `dot` program"):
            dot.render(str(tmp_path / "g"), format="svg")
        with pytest.raises(UnsupportedError, match="pipe.*needs Graphviz's `dot` program"):
            dot.pipe("png")
    else:
        path = dot.render(str(tmp_path / "g"), format="svg")
        with open(path) as f:
            svg = f.read()
        assert path.endswith("g.svg") and "<svg" in svg and "MulBackward0" in svg
        assert dot.pipe("png").startswith(b"\x89PNG")
        assert "MulBackward0" in dot._repr_svg_()
