import json

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from symdln.errors import OptionError
from symdln.flow import integrate_flow
from symdln.graph import read_graph, saddle_graph, write_graph
from symdln.models import deep_linear, gaussian_init
from symdln.saddles import detect_visits
from symdln.symbolic.pivots import pivot_families


@pytest.fixture(scope="module")
def runs():
    m = deep_linear(spectrum=[2, 1], widths=2)
    out = []
    for seed in (0, 1):
        sol = integrate_flow(m, gaussian_init(m, "1e-12", seed), 200, loss_below="1e-12", scale="1e-12", progress=False)
        out.append(detect_visits(sol))
    return m, out


def test_graph_from_runs(runs):
    m, visits = runs
    G = saddle_graph(visits, model=m)
    assert list(nx.topological_sort(G)) == ["{}", "{1}", "{1,2}"]
    assert G.edges["{}", "{1}"]["count"] == 2
    assert G.nodes["{1,2}"]["kind"] == "global minimum"
    assert G.nodes["{1}"]["kind"] == "strict saddle"  # depth 2 (Baldi–Hornik)
    assert G.nodes["{1}"]["loss"] == "1/2" and G.nodes["{1}"]["visits"] == 2
    for u, v in G.edges:
        assert G.nodes[u]["loss_float"] > G.nodes[v]["loss_float"]  # downhill


def test_theory_nodes(runs):
    m, visits = runs
    G = saddle_graph(visits[0], model=m, families=pivot_families(m))
    assert set(G.nodes) == {"{}", "{1}", "{2}", "{1,2}"}
    assert G.nodes["{2}"]["visits"] == 0


@pytest.mark.parametrize("suffix", [".graphml", ".gexf", ".json", ".dot", ".gml"])
def test_export_round_trips(tmp_path, runs, suffix):
    m, visits = runs
    G = saddle_graph(visits, model=m)
    path = write_graph(G, tmp_path / f"g{suffix}")
    H = read_graph(path)
    assert set(H.nodes) == set(G.nodes) and set(H.edges) == set(G.edges) and H.graph == G.graph
    for n in G.nodes:
        assert dict(H.nodes[n]) == dict(G.nodes[n])
    for e in G.edges:
        assert dict(H.edges[e]) == dict(G.edges[e])
    if suffix == ".json":
        json.loads((tmp_path / "g.json").read_text())["edges"][0]["tail"]


@pytest.mark.parametrize("suffix", [".graphml", ".gexf", ".json", ".dot", ".gml"])
def test_user_attributes_with_the_formats_own_names_round_trip(tmp_path, suffix):
    """Attributes a format keeps for itself (GEXF's node id/label/viz and edge type/weight, node-link's id/tail/head,
    GML's id/label/source/target and graph directed/multigraph, GraphML's graph id), GML keys that are not identifiers,
    control characters (XML reads a raw CR back as LF and has no \\x01) and an attribute mixing ints, floats and
    strings: each was lost, renamed, changed or unreadable in some format.  Each comes back as written, with its type."""
    G = nx.DiGraph(id="gid", directed="yes", multigraph=0, name="n")
    G.add_node("a", id="v1", label="L", key="k", viz="v", w=3, s="x\ry\x01", pid="p", start="s")
    G.add_node("b", w=0.5, **{"x y": 1, "a:b": 2.5, "é": "e", "0": True})
    G.add_node("c")
    G.add_edge("a", "b", type="t", key="k", weight="heavy", id="e1", label="el", tail="T", head="H", source="theory",
               target="x")
    G.add_edge("b", "c", weight=2)
    H = read_graph(write_graph(G, tmp_path / ("g" + suffix)))
    assert H.graph == G.graph
    for n in G:
        assert H.nodes[n] == G.nodes[n] and all(type(H.nodes[n][k]) is type(v) for k, v in G.nodes[n].items())
    for e in G.edges:
        assert H.edges[e] == G.edges[e] and all(type(H.edges[e][k]) is type(v) for k, v in G.edges[e].items())


def test_dot_refuses_keyword_node_keys(tmp_path):
    G = nx.DiGraph()
    G.add_edge("graph", "x")
    with pytest.raises(OptionError, match="DOT keyword"):
        write_graph(G, tmp_path / "g.dot")
    assert not list(tmp_path.iterdir())


def test_export_refuses_unknown_format_and_keeps_files(tmp_path):
    G = nx.DiGraph()
    G.add_node("{}", bad=object())
    target = tmp_path / "g.graphml"
    target.write_text("old")
    with pytest.raises(Exception):
        write_graph(G, target)
    assert target.read_text() == "old"
    assert not (tmp_path / "g.graphml.part").exists()
    assert not list(tmp_path.glob("*.part"))
    with pytest.raises(OptionError, match="suffix"):
        write_graph(nx.DiGraph(), tmp_path / "g.txt")


def test_exact_node_attributes_and_escape_rates(runs):
    """Depth 2: the tail {1..k} of an observed edge escapes at rate s_{k+1} (the unlearned mode's singular value)."""
    from symdln.symbolic.landscape import landscape

    m, visits = runs
    assert "rate" not in saddle_graph(visits, model=m).edges["{}", "{1}"]  # no landscape given: nothing computed
    G = saddle_graph(visits, model=m, landscape=landscape(m))
    assert G.edges["{}", "{1}"]["rate"] == 2.0 and G.edges["{1}", "{1,2}"]["rate"] == 1.0
    assert (G.nodes["{}"]["index"], G.nodes["{}"]["nullity"]) == (4, 0)
    assert (G.nodes["{1}"]["index"], G.nodes["{1}"]["nullity"], G.nodes["{1}"]["order"]) == (1, 3, 2)
    assert "order" not in G.nodes["{1,2}"] and G.nodes["{1,2}"]["index"] == 0


_text = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=12) | st.sampled_from(
    ['{1,2}', 'a "quoted" \\ back', "line\nbreak", "", "5/2 - sqrt(37)/18", "ℒ ≥ σ"])
_value = (st.integers(-10**30, 10**30) | st.floats(allow_nan=False, allow_infinity=False, width=64) | st.booleans()
          | _text | st.lists(st.integers(-5, 5), max_size=3))


@settings(max_examples=25, deadline=None)
@given(nodes=st.dictionaries(_text.filter(bool), st.dictionaries(st.sampled_from(["loss", "rank", "w", "flag", "xs"]),
                                                                 _value, max_size=4), min_size=1, max_size=4),
       fmt=st.sampled_from([".graphml", ".gexf", ".json", ".dot", ".gml"]), data=st.data())
def test_every_format_round_trips_every_attribute(tmp_path_factory, nodes, fmt, data):
    """Random graphs (awkward text, huge ints, floats, bools, lists): every attribute comes back with its type."""
    G = nx.DiGraph(model=data.draw(_text), sources="observed")
    # one type per attribute name (the schema's rule); ints promote to float when mixed
    kinds = {}
    for n, attrs in nodes.items():
        clean = {}
        for k, v in attrs.items():
            key = (type(v) is int and "num") or (type(v) is float and "num") or type(v).__name__
            if kinds.setdefault(k, key) == key:
                clean[k] = v
        G.add_node(n, **clean)
    names = list(G.nodes)
    for u, v in zip(names, names[1:]):
        G.add_edge(u, v, count=data.draw(st.integers(0, 10**20)), rate=data.draw(st.floats(allow_nan=False, width=64)),
                   t_exit=data.draw(_text))
    for k in {k for _, d in G.nodes(data=True) for k in d}:
        vals = [d[k] for _, d in G.nodes(data=True) if k in d]
        if any(isinstance(x, float) for x in vals) and all(type(x) in (int, float) for x in vals):
            for _, d in G.nodes(data=True):
                if k in d:
                    d[k] = float(d[k])
    path = write_graph(G, tmp_path_factory.mktemp("g") / f"g{fmt}")
    H = read_graph(path)
    assert H.graph == G.graph
    assert {n: dict(d) for n, d in H.nodes(data=True)} == {n: dict(d) for n, d in G.nodes(data=True)}
    assert {(u, v): dict(d) for u, v, d in H.edges(data=True)} == {(u, v): dict(d) for u, v, d in G.edges(data=True)}


def test_gml_is_plain_for_other_readers_and_old_files_still_read(tmp_path, runs):
    """GML was written with Python reprs (``label "'{1}'"``): networkx's own reader gave node ids with quotes (an
    independent audit, 2026-12-07).  Plain now; files in the old form still read back."""
    from symdln.graph.io import _clean, _rename

    m, visits = runs
    G = saddle_graph(visits, model=m)
    path = write_graph(G, tmp_path / "g.gml")
    plain = nx.read_gml(path)
    assert set(plain.nodes) == set(G.nodes)
    n = next(iter(G.nodes))
    for k, v in G.nodes[n].items():
        if isinstance(v, str):
            assert plain.nodes[n][k] == v
    H, _ = _clean(G)
    nx.write_gml(_rename(H, "gml", to_file=True), tmp_path / "old.gml", stringizer=repr)  # the old writer
    old = read_graph(tmp_path / "old.gml")
    assert set(old.nodes) == set(G.nodes) and old.graph == G.graph
    assert all(dict(old.nodes[x]) == dict(G.nodes[x]) for x in G.nodes)
