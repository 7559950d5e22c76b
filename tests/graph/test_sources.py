"""Graphs from theory (escape directions followed and located), from the limit path, and their union."""

import itertools

import networkx as nx
import pytest

from symdln.errors import OptionError
from symdln.graph import merge_graphs
from symdln.graph.sources import landscape_graph, limit_graph, observed_graph
from symdln.limits import limit_path
from symdln.models import deep_linear, diagonal_linear
from symdln.symbolic.landscape import landscape


def _label(S):
    return "{" + ",".join(map(str, sorted(S))) + "}"


def test_depth2_theory_graph_has_every_adjacent_descent():
    """Depth 2 (Baldi–Hornik): from S, adding an unlearned mode j (|S| < width) and swapping i ∈ S for j ∉ S with
    s_j > s_i lower the loss along escape directions; each such edge is found and located, leaving the origin
    at rate s_j exactly, and every edge found goes downhill."""
    s = [3, 2, 1]
    m = deep_linear(spectrum=s, widths=2, rotation_seed=None)
    G = landscape_graph(landscape(m))
    want = set()
    for k in range(3):
        for S in itertools.combinations([1, 2, 3], k):
            for j in {1, 2, 3} - set(S):
                if k < 2:
                    want.add((_label(S), _label(set(S) | {j})))
                for i in S:
                    if j < i:
                        want.add((_label(S), _label(set(S) - {i} | {j})))
    assert want <= set(G.edges)
    assert all(d["located"] for *_, d in G.edges(data=True))
    for u, v in G.edges:
        assert G.nodes[u]["loss_float"] > G.nodes[v]["loss_float"]
    assert [G.edges["{}", f"{{{j}}}"]["rate"] for j in (1, 2, 3)] == pytest.approx([3, 2, 1], rel=1e-12)


def test_diagonal_theory_graph_and_limit_path_agree_on_the_first_jumps():
    m = diagonal_linear("1,1/2,7/10,0;1/2,1,1/10,7/10", "1,0")
    T = landscape_graph(landscape(m))
    P = limit_graph(limit_path(m))
    assert list(P.edges) == [("{}", "{+1}"), ("{+1}", "{+3}"), ("{+3}", "{+3,-4}")]
    assert set(P.nodes) <= set(T.nodes)
    assert ("{}", "{+1}") in T.edges and T.edges["{}", "{+1}"]["rate"] == pytest.approx(0.5)  # |∇L(0)_1|
    M = merge_graphs(T, P)
    assert M.edges["{}", "{+1}"]["source"] == "limit,theory" and M.graph["sources"] == "limit,theory"
    assert M.nodes["{+3,-4}"]["kind"] == "global minimum"


def test_merge_refuses_different_models_and_observed_graph_is_saddle_graph():
    a = limit_graph(limit_path(deep_linear(spectrum=[2, 1], widths=2)))
    b = limit_graph(limit_path(deep_linear(spectrum=[3, 1], widths=2)))
    with pytest.raises(OptionError, match="different models"):
        merge_graphs(a, b)
    with pytest.raises(OptionError):
        merge_graphs()
    assert nx.utils.graphs_equal(observed_graph([]), nx.DiGraph(sources=""))
    with pytest.raises(OptionError, match="Landscape"):
        landscape_graph("not a landscape")
