"""DOT text and its rendering: the one builder `to_dot` and `make_dot` write their graphs with,
and the object both return.

Stage: visualization (reads graphs, changes nothing). Invariants: `.source` is always valid DOT
text built here without any optional package; drawing (`.render`, `.pipe`) needs the `graphviz`
Python package and Graphviz's `dot` program, and without either raises UnsupportedError saying
what to install.
"""
from __future__ import annotations

import os

from ..errors import UnsupportedError

NODE_STYLE = {"shape": "box", "style": "filled", "fillcolor": "white", "align": "left",
              "fontsize": "10", "height": "0.2", "fontname": "monospace"}


def quote(text) -> str:
    """A DOT double-quoted string; newlines become DOT's left-justified line breaks."""
    body = str(text).replace("\\", "\\\\").replace('"', '\\"')
    return '"' + body.replace("\n", "\\l") + ('\\l"' if "\n" in body else '"')


def _attrs(attrs: dict) -> str:
    return " ".join(f"{k}={quote(v)}" for k, v in attrs.items())


def _given(attrs: dict) -> dict:
    return {k: v for k, v in attrs.items() if v is not None}


class DotBuilder:
    """Collects node and edge statements; a node added twice keeps its first attributes."""

    def __init__(self, name: str, graph_attrs: dict | None = None):
        self.name = name
        self.graph_attrs = graph_attrs or {}
        self._nodes: dict = {}
        self._edges: list = []

    def __contains__(self, node_id: str) -> bool:
        return node_id in self._nodes

    def node(self, node_id: str, label: str, **attrs) -> None:
        self._nodes.setdefault(node_id, {"label": label, **_given(attrs)})

    def edge(self, tail: str, head: str, **attrs) -> None:
        self._edges.append((tail, head, _given(attrs)))

    def build(self) -> Dot:
        lines = [f"digraph {quote(self.name)} {{"]
        if self.graph_attrs:
            lines.append(f"\tgraph [{_attrs(self.graph_attrs)}]")
        lines.append(f"\tnode [{_attrs(NODE_STYLE)}]")
        lines += [f"\t{quote(n)} [{_attrs(a)}]" for n, a in self._nodes.items()]
        lines += [f"\t{quote(t)} -> {quote(h)}" + (f" [{_attrs(a)}]" if a else "")
                  for t, h, a in self._edges]
        lines.append("}")
        return Dot("\n".join(lines) + "\n")


class Dot:
    """A graph as DOT text (`.source`); `.save` writes the text, `.render` and `.pipe` draw it
    (and a notebook shows the drawing, through `_repr_svg_`)."""

    def __init__(self, source: str):
        self.source = source

    def __str__(self) -> str:
        return self.source

    def __repr__(self) -> str:
        return f"<adc.viz.Dot: {self.source.count(chr(10))} lines of DOT; .source has the text>"

    def save(self, filename: str) -> str:
        """Write the DOT text to `filename` (no optional package needed); returns the path."""
        with open(filename, "w") as f:
            f.write(self.source)
        return filename

    def render(self, filename: str, format: str = "svg", cleanup: bool = False) -> str:
        """Write the DOT text to `filename` and draw it into `filename.<format>` (e.g. "svg",
        "png", "pdf") with Graphviz; returns the drawing's path. `cleanup=True` removes the
        DOT file afterwards."""
        directory, name = os.path.split(os.path.abspath(filename))
        return _graphviz(f"render(format={format!r})", lambda graphviz: graphviz.Source(
            self.source, filename=name, directory=directory).render(format=format,
                                                                    cleanup=cleanup))

    def pipe(self, format: str = "svg") -> bytes:
        """The drawing in `format` (e.g. "svg", "png"), drawn by Graphviz, as bytes."""
        return _graphviz(f"pipe(format={format!r})",
                         lambda graphviz: graphviz.Source(self.source).pipe(format=format))

    def _repr_svg_(self) -> str:
        return self.pipe("svg").decode("utf-8")


def _graphviz(what: str, draw):
    """`draw(graphviz)`, with UnsupportedError saying what to install when the graphviz package
    or Graphviz's `dot` program is missing."""
    try:
        import graphviz
    except ImportError:
        raise UnsupportedError(
            f"adc.viz: {what} needs the graphviz Python package: pip install "
            "'adc-autodiff[viz]' (or pip install graphviz), plus Graphviz's `dot` program; "
            ".source and .save(filename) give the DOT text without them") from None
    try:
        return draw(graphviz)
    except graphviz.ExecutableNotFound:
        raise UnsupportedError(
            f"adc.viz: {what} needs Graphviz's `dot` program, which is not on PATH: install "
            "Graphviz (apt-get install graphviz, brew install graphviz or conda install "
            "graphviz); .source and .save(filename) give the DOT text without it") from None
