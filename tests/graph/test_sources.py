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
    want = _adjacent_descents(s, 2)
    assert want <= set(G.edges)  # more where rates tie (s_2 = s_1 − s_3): sums of tied eigenvectors reach {1,2}
    assert all(d["located"] for *_, d in G.edges(data=True))
    for u, v in G.edges:
        assert G.nodes[u]["loss_float"] > G.nodes[v]["loss_float"]
    assert [G.edges["{}", f"{{{j}}}"]["rate"] for j in (1, 2, 3)] == pytest.approx([3, 2, 1], rel=1e-12)


def _adjacent_descents(s, width):
    want = set()
    for k in range(min(len(s), width) + 1):
        for S in itertools.combinations(range(1, len(s) + 1), k):
            for j in set(range(1, len(s) + 1)) - set(S):
                if k < width:
                    want.add((_label(S), _label(set(S) | {j})))
                for i in S:
                    if j < i:
                        want.add((_label(S), _label(set(S) - {i} | {j})))
    return want


def test_rotated_theory_graph_is_exactly_the_adjacent_descents():
    """A rotated target (explore's default model): the edges are exactly the "add a mode" and "swap for a larger
    mode" descents. Slow swaps (rate 0.318 at {3}, against 3 for adding mode 1) are followed in high precision; in
    float64 the swap {3} → {2} was carried on to {1,2} (a wrong edge) and {2} → {1}, {1,3} → {1,2} were missing."""
    m = deep_linear(spectrum=[3, 2, 1], widths=3, rotation_seed=0)
    G = landscape_graph(landscape(m))
    assert set(G.edges) == _adjacent_descents([3, 2, 1], 3)
    assert all(d["located"] for *_, d in G.edges(data=True))
    assert G.edges["{3}", "{2}"]["followed"] == "high precision" and G.graph["unresolved_directions"] == 0


@pytest.mark.slow
def test_rotated_theory_graph_with_a_free_unit_at_width_2():
    """Widths 2, spectrum (4, 2, 1) rotated (distinct rates at every saddle): exactly the adjacent descents."""
    G = landscape_graph(landscape(deep_linear(spectrum=[4, 2, 1], widths=2, rotation_seed=1)))
    assert set(G.edges) == _adjacent_descents([4, 2, 1], 2)


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


def test_canonical_basis_of_a_multiple_rate_depends_on_the_eigenspace_only():
    """eigh's basis of a multiple eigenvalue is arbitrary (it moved with last-bit differences of the Hessian between
    runs, and the theory edges with it): any rotation inside the eigenspace gives the same canonical basis, which
    is orthonormal and spans the same space; simple eigenvectors are kept."""
    import numpy as np

    from symdln.graph.escape import _canonical_basis

    rng = np.random.default_rng(3)
    Q, _ = np.linalg.qr(rng.normal(size=(6, 6)))
    V, rates = Q[:, :4], [3.0, 3.0, 3.0, 1.0]
    B = _canonical_basis(V, rates)
    R, _ = np.linalg.qr(rng.normal(size=(3, 3)))  # a random rotation of the triple eigenspace
    V2 = V.copy()
    V2[:, :3] = V[:, :3] @ R
    B2 = _canonical_basis(V2, rates)
    assert np.abs(B - B2).max() < 1e-12
    assert np.abs(B @ B.T - np.eye(4)).max() < 1e-12
    P = V[:, :3] @ V[:, :3].T
    assert np.abs(P @ B[:3].T - B[:3].T).max() < 1e-12  # inside the eigenspace
    assert np.abs(np.abs(B[3]) - np.abs(V[:, 3])).max() < 1e-15


def test_merged_graph_keeps_the_theory_account():
    """merge_graphs carries a theory graph's ``theory_edges`` and ``unresolved_directions`` (the CLI prints the latter)."""
    import networkx as nx

    from symdln.graph.sources import merge_graphs

    A = nx.DiGraph(sources="theory", theory_edges="how", unresolved_directions=3)
    A.add_edge("{}", "{1}", source="theory", count=1)
    B = nx.DiGraph(sources="limit")
    B.add_edge("{}", "{1}", source="limit", count=1)
    M = merge_graphs(A, B)
    assert M.graph["unresolved_directions"] == 3 and M.graph["theory_edges"] == "how"


_PLATEAU = [  # a plateau point of a depth-3 theory follow (spectrum 3,2,1, widths 2) on which SciPy's MINPACK polish
    # gave other bits on its first call in a process than on later ones (theory graphs then differed between runs)
    "-0x1.335425d8a33b4p-2", "0x1.8f78a461db0cap-2", "-0x1.27acacd546c89p+0", "0x1.59a80a916ae6fp-3",
    "-0x1.a1cb8c87a669ep-3", "0x1.5159d60253fd3p-1", "-0x1.f6f02d8682a81p-1", "0x1.17c85e0d672a8p-1",
    "0x1.90242476bd7cfp-1", "-0x1.d04f5d444783ep-2", "-0x1.7d2dec4fbdeccp-2", "0x1.339d561359d0ep-2",
    "0x1.7e6d3fa0052fdp-1", "-0x1.2f8c55af63447p-1", "-0x1.81a623a326643p-1", "0x1.3958a27459823p-1"]

_POLISH_TWICE = f"""
import hashlib, numpy as np
from symdln.models import deep_linear
from symdln.symbolic.landscape import float_data
from symdln.graph.escape import _polish
m = deep_linear(spectrum=[3, 2, 1], depth=3, widths=2)
x = np.array([float.fromhex(v) for v in {_PLATEAU!r}])
print(" ".join(hashlib.md5(_polish(m, float_data(m), x.copy(), 3.0).tobytes()).hexdigest() for _ in range(2)))
"""


def test_polish_gives_the_same_bits_in_every_call_and_process():
    """The theory graph's end points are decided on polished points: the polish must be a function of its input
    (first call of a process included), and land on a critical point (checked by the 40-digit compiled field)."""
    import subprocess
    import sys

    import flint
    import numpy as np

    from symdln.graph.escape import _polish, _unflat
    from symdln.precision import Precision
    from symdln.symbolic.compile import compile_flow
    from symdln.symbolic.landscape import float_data

    runs = [subprocess.run([sys.executable, "-c", _POLISH_TWICE], capture_output=True, text=True, check=True).stdout.split()
            for _ in range(2)]
    assert len({h for r in runs for h in r}) == 1, runs
    m = deep_linear(spectrum=[3, 2, 1], depth=3, widths=2)
    x = _polish(m, float_data(m), np.array([float.fromhex(v) for v in _PLATEAU]), 3.0)
    p = Precision(40)
    flow = compile_flow(m, p)
    with p.flint():
        F = flow.field(tuple(flint.arb_mat(W.tolist()) for W in _unflat(m, x)))
        size = max(abs(float(v.mid())) for W in F for v in W.entries())
    assert size <= 1e-12 * 3.0
    assert float(np.abs(x - np.array([float.fromhex(v) for v in _PLATEAU])).max()) < 0.1  # the plateau's point


@pytest.mark.slow
def test_depth3_theory_graph_is_the_same_in_two_processes(tmp_path):
    """``symdln graph --theory`` at depth 3 (about 20 s a run): two processes write the same file."""
    import subprocess
    import sys

    outs = []
    for k in range(2):
        out = tmp_path / f"g{k}.json"
        subprocess.run([sys.executable, "-m", "symdln", "graph", "--theory", "--depth", "3", "--widths", "2",
                        "--out", str(out), "--no-progress"], check=True, capture_output=True)
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]


@pytest.mark.slow  # 33 s; the theory-graph tests at depth 2 and the diagonal network stay in the default run
def test_depth3_slow_directions_within_budget_are_followed_in_high_precision_and_converged():
    """At depth ≥ 3 a slow unstable direction needing at most DEEP_FOLLOW_DIGITS is followed in high precision (the
    float64 runs' noise along the faster direction decided these edges, and they came and went between runs).  Each
    such end stratum must be the one reached again with 15 more digits and a 1e15× tighter tolerance (an independent,
    more accurate second run of the same descent)."""
    import numpy as np
    import sympy as sp

    from symdln.graph import escape as S
    from symdln.symbolic.landscape import float_data, landscape

    m = deep_linear(spectrum=[3, 2], depth=3, widths=2)
    land = landscape(m)
    data = float_data(m)
    scale = max(1.0, float(np.abs(data[1]).max()))
    checked = 0
    for st in land:
        if not st.is_saddle:
            continue
        x0 = S._flat_state(m, [np.array(sp.Matrix(W).evalf(30).tolist(), dtype=float) for W in st.point])
        for d, rate, order, d_hp, fastest in S._escape_directions(m, st, x0, 3e-2):
            if d_hp is None or rate is None or not rate * S.SLOW_RATIO < fastest:
                continue
            # the cheap ones (the test's time): a 38-digit direction took 20 s with 15 more digits, the others ≤ 2 s
            if S.follow_digits(rate, fastest, 3e-2) > 30:
                continue
            ends = [S._follow_precise(m, data, st, d_hp, rate, fastest, 3e-2, scale, extra_digits=extra)
                    for extra in (0, 15)]
            if ends[0] is None:
                continue
            assert ends[1] is not None
            a, b = (land.locate(S._unflat(m, e)).stratum for e in ends)
            assert a is b and a is not None, (st.label, a, b)
            checked += 1
    assert checked >= 3
    G = landscape_graph(land, progress=False)
    assert any(e.get("followed") == "high precision" for _, _, e in G.edges(data=True))
