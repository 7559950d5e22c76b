"""Export and import of saddle graphs: GraphML and node-link JSON, both round-tripping the schema."""

from __future__ import annotations

import json
import os
from pathlib import Path

import networkx as nx

from ..errors import OptionError

__all__ = ["write_graph", "read_graph"]

_FORMATS = {".graphml": "graphml", ".json": "json"}
# node-link keys for an edge's endpoints: "tail"/"head", since edges carry a `source` attribute of their own
_NODE_LINK = {"source": "tail", "target": "head", "edges": "edges"}


def _format(path: Path, fmt: str | None) -> str:
    if fmt is None:
        fmt = _FORMATS.get(path.suffix.lower())
        if fmt is None:
            raise OptionError(
                f"`path` = {str(path)!r}: cannot tell the format from the suffix; use .graphml or .json, "
                f"or pass fmt='graphml'|'json'"
            )
    if fmt not in ("graphml", "json"):
        raise OptionError(f"`fmt` must be 'graphml' or 'json', got {fmt!r}")
    return fmt


def write_graph(G: nx.DiGraph, path, *, fmt: str | None = None) -> Path:
    """Write a saddle graph to ``path`` (GraphML or node-link JSON, by suffix or ``fmt``).

    The file is written to a temporary name and moved into place, so a failure leaves any
    existing file as it was.

    >>> import tempfile, os
    >>> G = nx.DiGraph(); G.add_edge("{}", "{1}", count=1)
    >>> p = write_graph(G, os.path.join(tempfile.mkdtemp(), "g.graphml"))
    >>> sorted(read_graph(p).edges)
    [('{}', '{1}')]
    """
    path = Path(path)
    kind = _format(path, fmt)
    tmp = path.with_name(path.name + ".tmp")
    try:
        if kind == "graphml":
            nx.write_graphml(G, tmp)
        else:
            data = nx.node_link_data(G, **_NODE_LINK)
            tmp.write_text(json.dumps(data, indent=1, sort_keys=True))
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def read_graph(path, *, fmt: str | None = None) -> nx.DiGraph:
    """Read a saddle graph written by :func:`write_graph`."""
    path = Path(path)
    kind = _format(path, fmt)
    if kind == "graphml":
        return nx.read_graphml(path)
    return nx.node_link_graph(json.loads(path.read_text()), directed=True, **_NODE_LINK)
