"""Export and import of saddle graphs: GraphML, GEXF, node-link JSON, DOT and GML, each round-tripping every
attribute with its type.

Every file carries a graph attribute ``symdln_types``: JSON mapping ``"node:NAME"`` / ``"edge:NAME"`` /
``"graph:NAME"`` to ``"int"``, ``"float"``, ``"bool"``, ``"str"`` or ``"json"`` (lists and dicts, stored as JSON
text).  Formats that keep types (GraphML, GEXF, JSON) are read natively and then checked against it; DOT and GML
values are restored from it.  Floats are written with ``repr`` (shortest round-trip text), exact values are
strings already (schema: :mod:`symdln.graph.build`).  ``None`` means "unknown" in the schema and is not written.
An attribute mixing types, or a string with control characters, is stored as JSON text.  Attribute names a format
keeps for itself (GEXF's ``id``/``label``/``weight``…, node-link's ``id``/``tail``/``head``, GML's ``id``/``label``/
``source``/``target``, GraphML's graph ``id``) and GML keys that are not identifiers are written under the prefix
``symdln_attr_`` and renamed back on reading; DOT keywords as node keys are refused.
Files go to a temporary name and are renamed into place: a failed export leaves no file (and an existing one as
it was).
"""

from __future__ import annotations

import json
import os
import re
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


def _needs_json(value) -> bool:
    """A string XML or DOT would not carry as it is: control characters (``\\r`` reads back as ``\\n``, ``\\x01`` is
    not XML 1.0) are kept by JSON's escapes."""
    return isinstance(value, str) and any((ord(c) < 32 and c not in "\n\t") or 0x7F <= ord(c) < 0xA0 for c in value)


def _clean(G: nx.DiGraph) -> tuple[nx.DiGraph, dict]:
    """A copy with string node keys, no ``None`` attributes, JSON text for lists/dicts; and the type map.

    An attribute whose values mix types, or holds a string with control characters, is stored as JSON text (kind
    ``"json"``), so that ``3`` reads back as ``3`` beside ``0.5``, and ``"a\\rb"`` as itself."""
    types: dict[str, str] = {}

    def record(scope, name, value):
        k = _kind(value)
        if k == "unsupported":
            raise OptionError(f"graph {scope} attribute {name!r} = {value!r} ({type(value).__name__}) cannot be "
                              f"exported; accepted: int, float, bool, str, lists/dicts of those, None")
        if k is None:
            return
        key = f"{scope}:{name}"
        prev = types.get(key)
        if (k == "str" and _needs_json(value)) or (prev is not None and prev != k):
            k = "json"  # JSON text keeps each value's own type (3 beside 0.5, a string beside a number)
        types[key] = k

    for name, value in G.graph.items():
        if name != _TYPES:
            record("graph", name, value)
    for n, data in G.nodes(data=True):
        if not isinstance(n, str):
            raise OptionError(f"node key {n!r} is not a string; saddle-graph nodes are keyed by their labels")
        for name, value in data.items():
            record("node", name, value)
    for *_, data in G.edges(data=True):
        for name, value in data.items():
            record("edge", name, value)
    # a "json" attribute that mixed ints and floats: a list/dict value is JSON text already, a number becomes it
    mixed = {k for k, v in types.items() if v == "json"}

    def conv(scope, name, value):
        if isinstance(value, (list, tuple, dict)) or f"{scope}:{name}" in mixed:
            return json.dumps(value)
        if types.get(f"{scope}:{name}") == "float":
            return float(value)
        return value

    H = nx.DiGraph()
    for name, value in G.graph.items():
        if name != _TYPES and value is not None:
            H.graph[name] = conv("graph", name, value)
    for n, data in G.nodes(data=True):
        H.add_node(n, **{k: conv("node", k, v) for k, v in data.items() if v is not None})
    for u, v, data in G.edges(data=True):
        H.add_edge(u, v, **{k: conv("edge", k, x) for k, x in data.items() if x is not None})
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
    _check_names(G, kind)
    H, _ = _clean(G)
    H = _rename(H, kind, to_file=True)
    tmp = path.with_name(path.name + ".part")
    try:
        if kind == "graphml":
            nx.write_graphml(H, tmp)
        elif kind == "gexf":
            _write_gexf(H, tmp)
        elif kind == "json":
            tmp.write_text(json.dumps(nx.node_link_data(H, **_NODE_LINK), indent=1, sort_keys=True))
        elif kind == "gml":
            H.graph[_GML_MARK] = "plain"
            nx.write_gml(H, tmp)  # plain GML: strings as strings, readable by any GML reader (types: symdln_types)
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
            G = nx.DiGraph(nx.read_gml(path))
            if G.graph.pop(_GML_MARK, None) != "plain":  # written before 2026-12-07: Python reprs
                G = nx.DiGraph(nx.read_gml(path, destringizer=_unrepr))
        else:
            G = _read_dot(path)
    except (ET.ParseError, json.JSONDecodeError, nx.NetworkXError, ValueError, KeyError) as exc:
        raise OptionError(f"`path` = {str(path)!r}: not a readable {kind} file ({exc})") from None
    return _typed(_rename(nx.DiGraph(G), kind, to_file=False))


#: a graph attribute of the GML files written since 2026-12-07 (plain strings); files without it hold Python reprs
_GML_MARK = "symdln_gml"


def _unrepr(text: str):
    """A string of a GML file symdln wrote before 2026-12-07 (Python reprs, ``'{1}'`` with its quotes, which other
    GML readers kept): its value by ``ast.literal_eval`` (literals only, never code)."""
    import ast

    return ast.literal_eval(text)


# -- names a format keeps for itself: such attributes are written under a prefix and renamed back on reading ------
_RESERVED = {
    "gml": {"node": {"id", "label"}, "edge": {"source", "target", "id", "label"}, "graph": {"directed", "multigraph"}},
    "gexf": {"node": {"id", "label", "viz", "pid", "start", "end", "key", "parents"},
             "edge": {"id", "type", "key", "label", "weight", "viz", "start", "end"}, "graph": set()},
    "json": {"node": {"id"}, "edge": {"tail", "head", "key"}, "graph": set()},
    "graphml": {"node": {"id"}, "edge": {"id"}, "graph": {"id"}},
    "dot": {"node": set(), "edge": set(), "graph": set()},
}
_PREFIX = "symdln_attr_"
_GML_KEY = re.compile(r"^[A-Za-z][0-9A-Za-z_]*$")  # networkx's GML writer accepts these keys only


def _file_name(fmt: str, scope: str, name: str) -> str:
    if name in _RESERVED[fmt][scope]:
        return _PREFIX + name
    if fmt == "gml" and not _GML_KEY.match(name):
        return _PREFIX + "x" + name.encode("utf-8").hex()  # reversible: any text as a GML key
    return name


def _user_name(name: str) -> str:
    if not name.startswith(_PREFIX):
        return name
    rest = name[len(_PREFIX):]
    if rest.startswith("x") and len(rest) > 1:
        try:
            return bytes.fromhex(rest[1:]).decode("utf-8")
        except ValueError:
            pass
    return rest


def _rename(H: nx.DiGraph, fmt: str, *, to_file: bool) -> nx.DiGraph:
    """Attribute names as written to a ``fmt`` file (``to_file``), or back as the user gave them."""
    K = H.copy()

    def fix(scope, data):
        for name in list(data):
            new = _file_name(fmt, scope, name) if to_file else _user_name(name)
            if new != name:
                data[new] = data.pop(name)

    fix("graph", K.graph)
    for _, data in K.nodes(data=True):
        fix("node", data)
    for *_, data in K.edges(data=True):
        fix("edge", data)
    return K


def _check_names(G: nx.DiGraph, fmt: str) -> None:
    """Refuse what a format cannot hold, before anything is written."""
    for scope, items in (("graph", [G.graph]), ("node", [d for _, d in G.nodes(data=True)]),
                         ("edge", [d for *_, d in G.edges(data=True)])):
        for data in items:
            for name in data:
                if isinstance(name, str) and name.startswith(_PREFIX):
                    raise OptionError(f"graph {scope} attribute {name!r}: names starting with {_PREFIX!r} are "
                                      f"reserved for the export's renaming")
    if fmt == "dot":
        bad = [n for n in G.nodes if isinstance(n, str) and n.lower() in ("graph", "node", "edge", "digraph",
                                                                          "subgraph", "strict")]
        if bad:
            raise OptionError(f"node key {bad[0]!r} is a DOT keyword: DOT cannot hold it as a node; export to "
                              f"GraphML, GEXF, JSON or GML")


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
    # networkx stores the GEXF node label (the key, as written) as an attribute: a user's `label` is written renamed
    for n, data in G.nodes(data=True):
        data.pop("label", None)
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
