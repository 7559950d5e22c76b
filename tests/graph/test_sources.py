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

from ..oracles import dln_gradient, fd_hessian


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


def _own_descent(M, shapes, x0, t_end=1e6):
    """Own float64 gradient flow of ½‖W_L⋯W_1 − M‖² (NumPy, SciPy's LSODA; no symdln code) from ``x0`` until the
    gradient is below 1e-10: the end state, its loss and the gradient function."""
    import numpy as np
    from scipy.integrate import solve_ivp

    _, grad, loss = dln_gradient(shapes, M=M)
    done = lambda t, x: np.linalg.norm(grad(x)) - 1e-10  # noqa: E731
    done.terminal = True
    sol = solve_ivp(lambda t, x: -grad(x), (0, t_end), x0, method="LSODA", rtol=1e-11, atol=1e-14, events=done)
    return sol.y[:, -1], loss(sol.y[:, -1]), grad


def test_escapes_past_near_misses_and_to_unbalanced_minima_get_their_edges():
    """An audit (own flows, 50-digit Newton, 2026-12-07) found saddles without out-edges and ``unresolved_directions =
    0``: at depth 3, widths (2, 1), ``Z{2}``'s fastest escape dips to ‖∇ℒ‖ = 0.059 (1 % of its largest value, taken
    for a plateau) and goes on to a global minimum (loss 1/2), but the polish found no critical point there and the
    direction was dropped silently.  Now the flow goes on past such dips, and a direction that ends nowhere is counted
    unresolved.  Oracle: own LSODA flow along the most negative eigenvector of an own finite-difference Hessian."""
    import numpy as np
    import sympy as sp

    m = deep_linear(spectrum=[2, 1], depth=3, widths=[2, 1])
    land = landscape(m)
    st = land["Z{2}"]
    M = np.array(sp.Matrix(m.target).evalf(30).tolist(), dtype=float)
    x0 = np.concatenate([np.array(sp.Matrix(W).evalf(30).tolist(), dtype=float).ravel() for W in st.point])
    _, grad, _ = dln_gradient(m.shapes, M=M)
    w, V = np.linalg.eigh(fd_hessian(grad, x0))
    ends = {round(_own_descent(M, m.shapes, x0 + s * 1e-3 * V[:, 0])[1], 9) for s in (1, -1)}
    assert ends == {0.5}  # both ways to the global minimum ½·1² (rank 1 at the width-1 layer)
    G = landscape_graph(land, progress=False)
    heads = {v for _, v in G.out_edges("Z{2}")}
    assert heads and all(G.nodes[v]["loss"] == "1/2" and G.nodes[v]["kind"] == "global minimum" for v in heads)
    # accounting: every direction followed ends in an edge or in the unresolved count (none dropped silently)
    from symdln.graph.escape import _escape_directions

    followed = 0
    for s in land.saddles:
        x = np.concatenate([np.array(sp.Matrix(W).evalf(30).tolist(), dtype=float).ravel() for W in s.point])
        followed += sum(2 if order % 2 == 0 else 1 for _, _, order, _, _ in _escape_directions(m, s, x, 3e-2))
    assert sum(d["count"] for _, _, d in G.edges(data=True)) + G.graph["unresolved_directions"] == followed


def test_unbalanced_global_minima_at_depth_4_are_polished():
    """Depth 4, widths 2: the fastest escape of ``{} cut 2 (ranks 1,1, middle rank 1)`` ends at a global minimum with
    layer norms ~27, 13, 11, 24, where float64 resolves ‖∇ℒ‖ only to ~1e-10; a fixed 1e-12·scale acceptance never
    admitted it and the saddle had no edge (the audit's own flow reaches loss 0).  The acceptance is now relative to
    the size of the gradient's terms there (own check: the end point's loss, own numpy)."""
    import math

    import numpy as np
    import sympy as sp

    from symdln.graph import escape as S
    from symdln.symbolic.landscape import float_data

    m = deep_linear(spectrum=[2, 1], depth=4, widths=2)
    land = landscape(m)
    st = land["{}", "cut 2 (ranks 1,1, middle rank 1)"]
    data = float_data(m)
    scale = max(1.0, float(np.abs(data[1]).max()))
    x0 = S._flat_state(m, [np.array(sp.Matrix(W).evalf(30).tolist(), dtype=float) for W in st.point])
    d = S._escape_directions(m, st, x0, 3e-2)[0][0]
    end = S._follow(m, data, x0 + 3e-2 * math.sqrt(scale) * d, scale)
    assert end is not None
    M = np.array(sp.Matrix(m.target).evalf(30).tolist(), dtype=float)
    Ws = S._unflat(m, end)
    A = Ws[3] @ Ws[2] @ Ws[1] @ Ws[0]
    assert 0.5 * np.sum((A - M) ** 2) < 1e-18 and max(np.linalg.norm(W) for W in Ws) > 10


def test_a_plateau_is_not_polished_uphill():
    """Depth 3, widths 2, spectrum (3, 2, 1): from ``Z{2}:generic (ranks 1,2)`` along its rate-22.37 eigenvector the
    gradient dips to 1 % at loss 2.456, 2 away (9 %) from a critical point of loss 5/2 in ``{1}:cut 2``, and the edge
    went there; a gradient flow only loses loss, and its own continuation (LSODA, own numpy gradient) reaches loss 1/2.
    The followed end must be where the own flow goes."""
    import math

    import numpy as np
    import sympy as sp

    from symdln.graph import escape as S
    from symdln.symbolic.landscape import float_data

    m = deep_linear(spectrum=[3, 2, 1], depth=3, widths=2)
    land = landscape(m)
    st = land["Z{2}", "generic (ranks 1,2)"]
    data = float_data(m)
    scale = max(1.0, float(np.abs(data[1]).max()))
    x0 = S._flat_state(m, [np.array(sp.Matrix(W).evalf(30).tolist(), dtype=float) for W in st.point])
    M = np.array(sp.Matrix(m.target).evalf(30).tolist(), dtype=float)
    (d,) = [t[0] for t in S._escape_directions(m, st, x0, 3e-2) if abs(t[1] - 22.37) < 0.01]
    start = x0 + 3e-2 * math.sqrt(scale) * d
    _, own_loss, _ = _own_descent(M, m.shapes, start)
    end = S._follow(m, data, start, scale)
    assert end is not None
    loc = land.locate(S._unflat(m, end))
    assert abs(float(sp.N(loc.stratum.loss)) - own_loss) < 1e-8 and own_loss < 2.4, (loc.label, own_loss)


@pytest.mark.slow  # 17 s (measured 2026-12-08): the default run stays under 10 minutes
def test_end_points_at_no_listed_stratum_get_their_own_nodes():
    """Data form, depth 3, widths 2: escapes from ``Z{1}`` (and four other saddles) end at points of the ``{1}`` loss
    level whose rank signature no listed stratum has; their edges went to the nearest listed node, ``{1}:balanced``,
    a non-strict saddle, while the points are strict saddles of index 1 (an audit, own flows, 2026-12-07).  Now they
    go to ``{1}:unlisted k`` nodes with kind "unlisted" and the float64 index there.  Oracle: own LSODA flow of the
    data loss from ``Z{1}`` along its rate-4.243 eigenvector (own numpy gradient and finite-difference Hessian)."""
    import math

    import numpy as np
    import sympy as sp
    from scipy.integrate import solve_ivp

    from symdln.graph import escape as S
    from symdln.symbolic.landscape import float_data

    m = deep_linear(X="2,1,0;0,1,1", Y="1,0,2;1,1,0", depth=3, widths=2)
    land = landscape(m)
    G = landscape_graph(land, progress=False)
    for u, v, d in G.edges(data=True):
        if not d["located"] and "no listed stratum" in d.get("reason", ""):
            assert G.nodes[v]["kind"] == "unlisted", (u, v)
    heads = [v for _, v in G.out_edges("Z{1}")]
    assert any(G.nodes[v]["kind"] == "unlisted" and G.nodes[v]["index"] == 1 for v in heads), heads
    assert "{1}:balanced" not in heads
    # own flow along Z{1}'s rate-4.243 direction: its first plateau, with one negative Hessian eigenvalue
    X = np.array([[2.0, 1, 0], [0, 1, 1]])
    Y = np.array([[1.0, 0, 2], [1, 1, 0]])
    _, grad, own_loss = dln_gradient(m.shapes, X=X, Y=Y)
    st = land["Z{1}"]
    data = float_data(m)
    x0 = S._flat_state(m, [np.array(sp.Matrix(W).evalf(30).tolist(), dtype=float) for W in st.point])
    (d,) = [t[0] for t in S._escape_directions(m, st, x0, 3e-2) if abs(t[1] - 4.243) < 0.01]
    scale = max(1.0, float(np.abs(data[1]).max()))
    sol = solve_ivp(lambda t, x: -grad(x), (0, 400), x0 + 3e-2 * math.sqrt(scale) * d, method="LSODA", rtol=1e-11,
                    atol=1e-14, dense_output=True)
    # the first plateau: the gradient's first deep dip (a strict saddle is passed near, not converged to)
    ts = np.linspace(0, sol.t[-1], 8001)
    gs = np.array([np.linalg.norm(grad(sol.sol(t))) for t in ts])
    first = next(k for k in range(1, len(ts) - 1) if gs[k] < 1e-4 * gs[:k].max() and gs[k] <= gs[k + 1])
    x = sol.sol(ts[first])
    ev = np.linalg.eigvalsh(fd_hessian(grad, x))
    loss = own_loss(x)
    node = next(v for v in heads if G.nodes[v]["kind"] == "unlisted")
    assert abs(loss - G.nodes[node]["loss_float"]) < 1e-6 and int((ev < -0.1).sum()) == 1, (loss, ev)
