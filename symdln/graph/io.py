"""Export and import of saddle graphs: GraphML, GEXF, node-link JSON, DOT and GML, each round-tripping every
attribute with its type.

Every file carries a graph attribute ``symdln_types``: JSON mapping ``"node:NAME"`` / ``"edge:NAME"`` /
``"graph:NAME"`` to ``"int"``, ``"float"``, ``"bool"``, ``"str"`` or ``"json"`` (lists and dicts, stored as JSON
text).  Formats that keep types (GraphML, GEXF, JSON) are read natively and then checked against it; DOT and GML
values are restored from it.  Floats are written with ``repr`` (shortest round-trip text), exact values are
strings already (schema: :mod:`symdln.graph.build`).  ``None`` means "unknown" in the schema and is not written.
Files go to a temporary name and are renamed into place: a failed export leaves no file (and an existing one as
it was).
"""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from pathlib import Path

import networkx as nx

from ..errors import OptionError

__all__ = ["write_graph", "read_graph", "GRAPH_FORMATS"]

GRAPH_FORMATS = {".graphml": "graphml", ".gexf": "gexf", ".json": "json", ".dot": "dot", ".gml": "gml"}
# node-link keys for an edge's endpoints: "tail"/"head", since edges carry a `source` attribute of their own
_NODE_LINK = {"source": "tail", "target": "head", "edges": "edges"}
_TYPES = "symdln_types"


def _format(path: Path, fmt: str | None) -> str:
    if fmt is None:
        fmt = GRAPH_FORMATS.get(path.suffix.lower())
        if fmt is None:
            raise OptionError(
                f"`path` = {str(path)!r}: cannot tell the format from the suffix; use one of "
                f"{', '.join(GRAPH_FORMATS)}, or pass fmt= one of {sorted(set(GRAPH_FORMATS.values()))}"
            )
    if fmt not in GRAPH_FORMATS.values():
        raise OptionError(f"`fmt` must be one of {sorted(set(GRAPH_FORMATS.values()))}, got {fmt!r}")
    return fmt


def _kind(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "str"
    if isinstance(value, (list, tuple, dict)):
        return "json"
    return "unsupported"


def _clean(G: nx.DiGraph) -> tuple[nx.DiGraph, dict]:
    """A copy with string node keys, no ``None`` attributes, JSON text for lists/dicts; and the type map."""
    types: dict[str, str] = {}

    def record(scope, name, value):
        k = _kind(value)
        if k == "unsupported":
            raise OptionError(f"graph {scope} attribute {name!r} = {value!r} ({type(value).__name__}) cannot be "
                              f"exported; accepted: int, float, bool, str, lists/dicts of those, None")
        prev = types.get(f"{scope}:{name}")
        if k is not None and prev is not None and prev != k:
            if {prev, k} == {"int", "float"}:
                k = "float"
            else:
                raise OptionError(f"graph {scope} attribute {name!r} has values of types {prev} and {k}")
        if k is not None:
            types[f"{scope}:{name}"] = k

    def conv(value):
        return json.dumps(value) if isinstance(value, (list, tuple, dict)) else value

    H = nx.DiGraph()
    for name, value in G.graph.items():
        if name == _TYPES:
            continue
        record("graph", name, value)
        if value is not None:
            H.graph[name] = conv(value)
    keys = {}
    for n, data in G.nodes(data=True):
        if not isinstance(n, str):
            raise OptionError(f"node key {n!r} is not a string; saddle-graph nodes are keyed by their labels")
        keys[n] = n
        for name, value in data.items():
            record("node", name, value)
        H.add_node(n, **{k: conv(v) for k, v in data.items() if v is not None})
    for u, v, data in G.edges(data=True):
        for name, value in data.items():
            record("edge", name, value)
        H.add_edge(u, v, **{k: conv(x) for k, x in data.items() if x is not None})
    for scope, items in (("node", H.nodes(data=True)), ("edge", H.edges(data=True))):
        for *_, data in items:
            for name in list(data):
                if types.get(f"{scope}:{name}") == "float":
                    data[name] = float(data[name])
    H.graph[_TYPES] = json.dumps(types, sort_keys=True)
    return H, types


def _restore(value, kind):
    if kind == "int":
        return int(value)
    if kind == "float":
        return float(value)
    if kind == "bool":
        if isinstance(value, str):
            if value.lower() in ("true", "1"):
                return True
            if value.lower() in ("false", "0"):
                return False
            raise OptionError(f"expected a boolean, read {value!r}")
        return bool(value)
    if kind == "json":
        return json.loads(value) if isinstance(value, str) else value
    return str(value)


def _typed(G: nx.DiGraph) -> nx.DiGraph:
    """Apply the file's ``symdln_types`` map (absent in files from elsewhere: values stay as read)."""
    raw = G.graph.pop(_TYPES, None)
    if raw is None:
        return G
    types = json.loads(raw)
    for name in ("node_default", "edge_default"):  # added by networkx's GraphML reader
        if f"graph:{name}" not in types:
            G.graph.pop(name, None)
    for name in list(G.graph):
        kind = types.get(f"graph:{name}")
        if kind:
            G.graph[name] = _restore(G.graph[name], kind)
    for scope, items in (("node", G.nodes(data=True)), ("edge", G.edges(data=True))):
        for *_, data in items:
            for name in list(data):
                kind = types.get(f"{scope}:{name}")
                if kind:
                    data[name] = _restore(data[name], kind)
    return G


def write_graph(G: nx.DiGraph, path, *, fmt: str | None = None) -> Path:
    """Write a saddle graph to ``path``: GraphML, GEXF, node-link JSON, DOT or GML (by suffix or ``fmt``).

    Examples
    --------
    >>> import tempfile, os
    >>> G = nx.DiGraph(model="{}"); G.add_edge("{}", "{1}", count=1, rate=0.5, located=True)
    >>> d = tempfile.mkdtemp()
    >>> all(read_graph(write_graph(G, os.path.join(d, "g" + s))).edges["{}", "{1}"] ==
    ...     {"count": 1, "rate": 0.5, "located": True} for s in (".graphml", ".gexf", ".json", ".dot", ".gml"))
    True
    """
    path = Path(path)
    kind = _format(path, fmt)
    if not path.parent.is_dir():
        raise OptionError(f"`path` = {str(path)!r}: the folder {str(path.parent)!r} does not exist")
    H, _ = _clean(G)
    tmp = path.with_name(path.name + ".part")
    try:
        if kind == "graphml":
            nx.write_graphml(H, tmp)
        elif kind == "gexf":
            _write_gexf(H, tmp)
        elif kind == "json":
            tmp.write_text(json.dumps(nx.node_link_data(H, **_NODE_LINK), indent=1, sort_keys=True))
        elif kind == "gml":
            nx.write_gml(_gml_rename(H, to_file=True), tmp, stringizer=repr)
        else:
            tmp.write_text(_dot_text(H))
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def read_graph(path, *, fmt: str | None = None) -> nx.DiGraph:
    """Read a saddle graph written by :func:`write_graph` (any of its formats), attributes with their types."""
    path = Path(path)
    kind = _format(path, fmt)
    if not path.is_file():
        raise OptionError(f"`path` = {str(path)!r}: no such file")
    try:
        if kind == "graphml":
            G = nx.DiGraph(nx.read_graphml(path))
        elif kind == "gexf":
            G = _read_gexf(path)
        elif kind == "json":
            G = nx.node_link_graph(json.loads(path.read_text()), directed=True, **_NODE_LINK)
        elif kind == "gml":
            import ast

            # safe: ast.literal_eval reads literals only (numbers, strings), never code
            G = _gml_rename(nx.DiGraph(nx.read_gml(path, destringizer=ast.literal_eval)), to_file=False)
        else:
            G = _read_dot(path)
    except (ET.ParseError, json.JSONDecodeError, nx.NetworkXError, ValueError, KeyError) as exc:
        raise OptionError(f"`path` = {str(path)!r}: not a readable {kind} file ({exc})") from None
    return _typed(nx.DiGraph(G))


# -- GML: `id`, `label` (nodes) and `source`, `target` (edges) are the format's own keys ------------------------
_GML_RESERVED = {"node": ("id", "label"), "edge": ("source", "target", "id", "label")}
_GML_PREFIX = "symdln_attr_"


def _gml_rename(G: nx.DiGraph, *, to_file: bool) -> nx.DiGraph:
    H = G.copy()
    for scope, items in (("node", H.nodes(data=True)), ("edge", H.edges(data=True))):
        for *_, data in items:
            for name in _GML_RESERVED[scope]:
                a, b = (name, _GML_PREFIX + name) if to_file else (_GML_PREFIX + name, name)
                if a in data:
                    data[b] = data.pop(a)
    return H


# -- GEXF: networkx keeps node/edge attributes; graph attributes go in <meta><description> as JSON ------------
def _write_gexf(H: nx.DiGraph, path: Path) -> None:
    graph_attrs = dict(H.graph)
    K = nx.DiGraph(H)
    K.graph.clear()
    nx.write_gexf(K, path)
    tree = ET.parse(path)
    root = tree.getroot()
    ns = root.tag.split("}")[0] + "}" if root.tag.startswith("{") else ""
    meta = root.find(f"{ns}meta")
    if meta is None:
        meta = ET.SubElement(root, f"{ns}meta")
        root.remove(meta)
        root.insert(0, meta)
    desc = ET.SubElement(meta, f"{ns}description")
    desc.text = json.dumps(graph_attrs, sort_keys=True)
    ET.register_namespace("", ns.strip("{}"))
    tree.write(path, encoding="utf-8", xml_declaration=True)


def _read_gexf(path: Path) -> nx.DiGraph:
    G = nx.DiGraph(nx.read_gexf(path))
    G.graph.clear()
    root = ET.parse(path).getroot()
    ns = root.tag.split("}")[0] + "}" if root.tag.startswith("{") else ""
    desc = root.find(f"{ns}meta/{ns}description")
    if desc is not None and desc.text:
        G.graph.update(json.loads(desc.text))
    # networkx stores the GEXF node label as an attribute: drop it when it is just the key
    for n, data in G.nodes(data=True):
        if data.get("label") == n and "node:label" not in json.loads(G.graph.get(_TYPES, "{}")):
            del data["label"]
    for *_, data in G.edges(data=True):
        data.pop("id", None)
    return G


# -- DOT: written here (every value a quoted, escaped string), read with pydot, types from symdln_types ------
def _q(text) -> str:
    s = repr(text) if isinstance(text, float) else str(text)
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _dot_text(H: nx.DiGraph) -> str:
    lines = ["digraph saddle_graph {"]
    for k, v in H.graph.items():
        lines.append(f"  graph [{_q(k)}={_q(v)}];")
    for n, data in H.nodes(data=True):
        attrs = ", ".join(f"{_q(k)}={_q(v)}" for k, v in data.items())
        lines.append(f"  {_q(n)}" + (f" [{attrs}]" if attrs else "") + ";")
    for u, v, data in H.edges(data=True):
        attrs = ", ".join(f"{_q(k)}={_q(x)}" for k, x in data.items())
        lines.append(f"  {_q(u)} -> {_q(v)}" + (f" [{attrs}]" if attrs else "") + ";")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _unq(s: str) -> str:
    if len(s) >= 2 and s[0] == s[-1] == '"':
        body, out, i = s[1:-1], [], 0
        while i < len(body):
            c = body[i]
            if c == "\\" and i + 1 < len(body):
                nxt = body[i + 1]
                out.append({"n": "\n", '"': '"', "\\": "\\"}.get(nxt, "\\" + nxt))
                i += 2
                continue
            out.append(c)
            i += 1
        return "".join(out)
    return s


def _read_dot(path: Path) -> nx.DiGraph:
    import pydot

    graphs = pydot.graph_from_dot_data(path.read_text())
    if not graphs:
        raise ValueError("no graph in the file")
    P = graphs[0]
    G = nx.DiGraph()
    for k, v in P.get_attributes().items():
        G.graph[_unq(k)] = _unq(v)
    for sub in [P, *P.get_subgraphs()]:
        for node in sub.get_nodes():
            name = _unq(node.get_name())
            if name in ("graph", "node", "edge"):
                for k, v in node.get_attributes().items():
                    if name == "graph":
                        G.graph[_unq(k)] = _unq(v)
                continue
            G.add_node(name, **{_unq(k): _unq(v) for k, v in node.get_attributes().items()})
        for edge in sub.get_edges():
            u, v = _unq(str(edge.get_source())), _unq(str(edge.get_destination()))
            G.add_edge(u, v, **{_unq(k): _unq(x) for k, x in edge.get_attributes().items()})
    return G
