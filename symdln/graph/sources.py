"""Saddle graphs from theory, from runs and from the limit algorithms, and their union.

* :func:`landscape_graph`: every stratum of a :class:`~symdln.symbolic.landscape.Landscape` is a node; from each
  saddle's exact representative, each escape direction ``d`` (every unstable eigenvector of the Hessian, pair
  combinations inside a multiple eigenvalue, the exact order-≥3 directions of non-strict saddles; both signs
  where the loss decreases along both) is followed downhill from ``θ + εd`` to the first plateau, polished to the
  critical point there (Levenberg–Marquardt on ``∇ℒ = 0``) and located in the landscape: an edge ``"theory"``
  with the escape ``rate`` ``−λ`` (strict saddles; Hessian eigenvalues, unlike the inertia, depend on the point
  of the symmetry orbit: these are the representative's) or ``order`` (non-strict), ``count`` directions,
  ``followed`` and ``located`` (the end point's rank signature and Hessian inertia match the stratum's; if not
  the edge is kept with ``located=False``, the ``distance`` and the ``reason``).  The fastest directions are
  followed by float64 flows; a direction slower than another unstable rate at the same saddle (e.g. swapping a
  learned mode for a larger one while a free hidden unit could add it) in high precision
  (:func:`~.escape._follow_precise`: errors along the faster direction grow by ``(1/ε)^{fastest/rate − 1}`` relative to
  the slow one; in float64 they carried such runs past their end, to an edge to a lower stratum).  Inside a
  multiple eigenvalue other combinations than those followed may reach other strata; the graph attribute
  ``theory_edges`` says so; the list of strata (nodes) is the landscape's, exact.
* :func:`observed_graph`: consecutive visits of one or several runs (:func:`~symdln.graph.build.saddle_graph`).
* :func:`limit_graph`: the saddles of a limit path in order, edges ``"limit"`` carrying the jump time.
* :func:`merge_graphs`: the union; node attributes are merged, ``visits`` and edge ``count`` add up, an edge's
  ``source`` lists every source that has it (``"limit,observed"``).

Node keys: a pivot set ``"{1,2}"`` / support ``"{3,4}"``; a landscape stratum that is not its family's only one
is ``"{1}:generic"`` (the family label, a colon, the stratum).  Schema of the attributes: :mod:`.build`.
"""

from __future__ import annotations

import json
import math

import networkx as nx
import numpy as np
import sympy as sp

from ..errors import ModelError, OptionError, describe
from ..models.diagonal import DiagonalLinearModel
from ..saddles.visits import format_support
from .build import saddle_graph
from .escape import (DEEP_FOLLOW_DIGITS, DEEP_FOLLOW_STEPS, SLOW_RATIO, _escape_directions, _flat_state, _follow,
                     _follow_precise, _unflat, follow_digits)

__all__ = ["landscape_graph", "observed_graph", "limit_graph", "merge_graphs"]


def observed_graph(visits, *, model=None, landscape=None) -> nx.DiGraph:
    """The graph of one run's visits, or several runs' (a list of lists): :func:`~symdln.graph.saddle_graph`."""
    return saddle_graph(visits, model=model, landscape=landscape)


def _key(label_text: str, stratum: str, only: bool) -> str:
    return label_text if only else f"{label_text}:{stratum}"


def limit_graph(path) -> nx.DiGraph:
    """The limit path as a chain: node per saddle (exact loss, ``rank``, for diagonal networks ``beta`` as exact
    strings), edge per jump with ``tau_jump`` (float) and ``tau_jump_exact`` (text) where the limit has a time.

    Examples
    --------
    >>> from symdln.models import diagonal_linear
    >>> from symdln.limits import limit_path
    >>> G = limit_graph(limit_path(diagonal_linear("1,1/2,7/10,0;1/2,1,1/10,7/10", "1,0")))
    >>> list(G.edges(data="tau_jump_exact"))
    [('{}', '{+1}', '2'), ('{+1}', '{+3}', '8'), ('{+3}', '{+3,-4}', '552/49')]
    """
    if not hasattr(path, "saddles") or not hasattr(path, "model"):
        raise OptionError(f"`path` must be a limit path (symdln.limit_path), got {describe(path)}")
    G = nx.DiGraph(model=json.dumps(path.model.describe()), sources="limit")
    diagonal = isinstance(path.model, DiagonalLinearModel)
    keys = []
    for k, s in enumerate(path.saddles):
        if diagonal:
            key = format_support(s.beta)
            attrs = {"loss": str(s.loss), "loss_float": float(s.loss), "rank": len(s.support),
                     "beta": [str(b) for b in s.beta] if path.trust == "exact" else [float(b) for b in s.beta]}
            last = k == len(path.saddles) - 1
            if last and path.complete:
                attrs["kind"] = "global minimum"
        else:
            key = s.label
            attrs = {"loss": str(s.loss), "loss_float": float(sp.N(s.loss, 20)), "rank": s.rank}
        attrs.update(limit_index=k, visits=0)
        G.add_node(key, **attrs)
        keys.append(key)
    for k, (a, b) in enumerate(zip(keys, keys[1:]), start=1):
        tau = path.jumps[k - 1].time if diagonal else path.saddles[k].arrival
        data = {"source": "limit", "count": 1}
        if tau is not None:
            data["tau_jump"] = float(sp.N(tau, 20)) if isinstance(tau, sp.Basic) else float(tau)
            if not diagonal or path.trust == "exact":  # a float64 path has no exact times
                data["tau_jump_exact"] = str(tau)
        if diagonal and not path.jumps[k - 1].general_position:
            data["general_position"] = False
        G.add_edge(a, b, **data)
    return G


def merge_graphs(*graphs) -> nx.DiGraph:
    """The union of saddle graphs of one model (error when their ``model`` attributes differ).

    Examples
    --------
    >>> A = nx.DiGraph(sources="limit"); A.add_edge("{}", "{1}", source="limit", count=1)
    >>> B = nx.DiGraph(sources="observed"); B.add_edge("{}", "{1}", source="observed", count=2)
    >>> M = merge_graphs(A, B)
    >>> M.edges["{}", "{1}"]["source"], M.edges["{}", "{1}"]["count"], M.graph["sources"]
    ('limit,observed', 3, 'limit,observed')
    """
    if not graphs:
        raise OptionError("merge_graphs needs at least one graph")
    M = nx.DiGraph()
    models = {g.graph["model"] for g in graphs if "model" in g.graph}
    if len(models) > 1:
        raise OptionError("merge_graphs: the graphs describe different models")
    if models:
        M.graph["model"] = models.pop()
    sources = set()
    for g in graphs:
        if not isinstance(g, nx.DiGraph):
            raise OptionError(f"merge_graphs takes networkx DiGraphs, got {describe(g)}")
        sources.update(x for x in g.graph.get("sources", "").split(",") if x)
        for k in ("theory_edges", "unresolved_directions"):  # a theory graph's account of its edges travels along
            if k in g.graph:
                M.graph[k] = M.graph.get(k, 0) + g.graph[k] if k == "unresolved_directions" else g.graph[k]
        for n, data in g.nodes(data=True):
            if n not in M:
                M.add_node(n, **data)
                continue
            cur = M.nodes[n]
            for k, v in data.items():
                if k == "visits":
                    cur[k] = cur.get(k, 0) + v
                elif k not in cur or (cur[k] in ("saddle",) and k == "kind"):
                    cur[k] = v
        for u, v, data in g.edges(data=True):
            if not M.has_edge(u, v):
                M.add_edge(u, v, **data)
                continue
            cur = M.edges[u, v]
            for k, x in data.items():
                if k == "count":
                    cur[k] = cur.get(k, 0) + x
                elif k == "source":
                    cur[k] = ",".join(sorted(set(cur.get(k, "").split(",")) | set(x.split(",")) - {""}))
                elif k not in cur:
                    cur[k] = x
    M.graph["sources"] = ",".join(sorted(sources))
    return M


# -- theory: follow escape directions ------------------------------------------------------------------------
def _unlisted_node(G, model, loc, end, unlisted: dict) -> str:
    """The node of a followed end point at no listed stratum (``loc.unlisted``): one per nearest family, rank signature
    and float64 inertia there, named ``"{1}:unlisted 1"`` (``"unlisted 1"`` at another loss than the nearest
    family's), with kind ``"unlisted"``, the float64 index and nullity at the end point, and the reason.  Before, such
    edges went to the nearest listed node: an audit found 16 edges into ``{1}:balanced`` (a non-strict saddle) whose
    end points are strict saddles of index 1 (data form, depth 3, 2026-12-07)."""
    from ..symbolic.pointfloat import _float_inertia

    near = loc.stratum
    exact = float(sp.N(near.loss, 30))
    same = abs(loc.loss - exact) <= 1e-9 * max(1.0, abs(exact))
    neg, zero = _float_inertia(model, _unflat(model, end), 1e-8)
    key = (near.label.text if same else None, loc.signature, neg, zero)
    if key not in unlisted:
        prefix = f"{near.label.text}:unlisted" if same else "unlisted"
        unlisted[key] = f"{prefix} {1 + sum(1 for k in unlisted if k[0] == key[0])}"
        attrs = {"loss": str(near.loss) if same else f"{loc.loss:.12g}", "loss_float": exact if same else loc.loss,
                 "kind": "unlisted", "index": neg, "nullity": zero, "family": near.label.family if same else "unlisted",
                 "stratum": "unlisted", "visits": 0, "reason": f"float64 inertia at a followed end point; {loc.reason}"}
        if same:
            attrs.update(rank=len(near.label.members), pivots=",".join(str(i) for i in near.label.members))
        G.add_node(unlisted[key], **attrs)
    return unlisted[key]


def landscape_graph(landscape, *, eps: float = 3e-2, progress: bool | None = None) -> nx.DiGraph:
    """Every stratum of ``landscape`` a node; an edge from each saddle to each stratum reached by following one
    of its escape directions downhill (module docstring).

    Examples
    --------
    >>> from symdln.models import deep_linear
    >>> from symdln.symbolic.landscape import landscape
    >>> G = landscape_graph(landscape(deep_linear(spectrum=[2, 1], widths=2)))
    >>> sorted((u, v, d["rate"]) for u, v, d in G.edges(data=True))
    [('{1}', '{1,2}', 1.0), ('{2}', '{1,2}', 2.0), ('{2}', '{1}', 1.0), ('{}', '{1}', 2.0), ('{}', '{2}', 1.0)]
    """
    import sys

    from tqdm.auto import tqdm

    from ..symbolic.landscape import Landscape

    if not isinstance(landscape, Landscape):
        raise OptionError(f"`landscape` must be a Landscape (symdln.landscape(model)), got {describe(landscape)}")
    if not isinstance(eps, (int, float)) or not 0 < eps < 1:
        raise OptionError(f"`eps` must be a number in (0, 1), got {describe(eps)}")
    model = landscape.model
    if not isinstance(model, DiagonalLinearModel) and model.weight_decay != 0:
        raise ModelError("landscape_graph follows escape directions of the unregularized loss (weight_decay = 0)")
    counts = {}
    for st in landscape:
        counts[st.label.text] = counts.get(st.label.text, 0) + 1
    keyof = {id(st): _key(st.label.text, st.label.stratum, counts[st.label.text] == 1) for st in landscape}
    G = nx.DiGraph(model=json.dumps(model.describe()), sources="theory",
                   theory_edges="reached by gradient flows along unstable eigenvectors (and exact order>=3 directions): "
                                "in float64, or in high precision (symdln's integrator, digits growing with the "
                                "ratio to the fastest rate) when a faster unstable rate exists at the same saddle "
                                "and the representative is rational; edge attribute 'followed'")
    for st in landscape:
        attrs = {"loss": str(st.loss), "loss_float": float(sp.N(st.loss, 20)), "kind": st.kind,
                 "index": st.inertia.negative, "nullity": st.inertia.zero, "family": st.label.family,
                 "stratum": st.label.stratum, "rank": len(st.label.members), "visits": 0,
                 "pivots": ",".join(str(i) for i in st.label.members)}
        if st.order is not None:
            attrs["order"] = st.order
        if st.dimension is not None:
            attrs["dimension"] = st.dimension
        if st.dimension_bounds is not None:
            attrs["dimension_min"], attrs["dimension_max"] = st.dimension_bounds
        G.add_node(keyof[id(st)], **attrs)
    from ..symbolic.landscape import float_data

    data = float_data(model)
    scale = max(1.0, float(np.abs(data[1]).max()))
    show = sys.stderr.isatty() if progress is None else bool(progress)
    saddles = [st for st in landscape if st.is_saddle]
    shallow = isinstance(model, DiagonalLinearModel) or model.depth == 2
    unresolved = 0
    unlisted = {}  # (family, signature, float inertia) of end points at no listed stratum → their node
    from .._threads import single_blas_thread

    blas = single_blas_thread()
    blas.__enter__()  # small float64 Hessians and LM polishes: one BLAS thread (restored below)
    try:
        for st in tqdm(saddles, desc="escape directions", unit="saddle", disable=not show, leave=False):
            x0 = _flat_state(model, [np.array(sp.Matrix(W).evalf(30).tolist(), dtype=float) for W in st.point])
            loss0 = float(sp.N(st.loss, 30))
            directions = _escape_directions(model, st, x0, eps)
            fast = max((t for t in directions if t[1] is not None), key=lambda t: t[1], default=None)
            for d, rate, order, d_hp, fastest in directions:
                signs = (1, -1) if order % 2 == 0 else (1,)
                slow = d_hp is not None and rate is not None and rate * SLOW_RATIO < fastest
                precise = slow and (shallow or follow_digits(rate, fastest, eps) <= DEEP_FOLLOW_DIGITS)
                # a slow direction followed in float64: rounding and LSODA's errors along the faster unstable direction
                # grow faster than the followed one and can decide where the run goes (measured: edges that came
                # and went between runs at depth 3).  It is followed again with a perturbation of 1e-6·ε along the
                # fastest direction, each way; the edge stands only when all three runs end in the same stratum
                probe = rate is not None and fast is not None and rate * SLOW_RATIO < fastest  # (float64 runs only)
                for sgn in signs:
                    loc, end, how = None, None, precise
                    if precise:  # a faster unstable rate at this saddle: float64 noise along it would take over
                        end = _follow_precise(model, data, st, [sgn * x for x in d_hp], rate, fastest, eps, scale,
                                              **({} if shallow else {"max_steps": DEEP_FOLLOW_STEPS, "max_time": None}))
                        if end is None and shallow:
                            unresolved += 1
                            continue
                        how = end is not None  # deep: not followed in its budget, the float64 run and probes decide
                    if not how:
                        start = x0 + sgn * eps * math.sqrt(scale) * d
                        end = _follow(model, data, start, scale)
                        if end is not None and probe:
                            loc = landscape.locate(_unflat(model, end))
                            here = loc.stratum
                            kick = 1e-6 * eps * math.sqrt(scale) * fast[0]
                            others = [_follow(model, data, start + k, scale) for k in (kick, -kick)]
                            if any(e is None or landscape.locate(_unflat(model, e)).stratum is not here for e in others):
                                unresolved += 1
                                continue
                    if end is None:  # no critical point reached: counted, not dropped silently (an audit found
                        unresolved += 1  # saddles with no edge and 0 unresolved directions, 2026-12-07)
                        continue
                    loc = loc or landscape.locate(_unflat(model, end))  # the probe located it already
                    if loc.stratum is None or not (loc.loss if loc.unlisted else float(sp.N(loc.stratum.loss, 30))) \
                            < loss0:
                        unresolved += 1
                        continue
                    tail = keyof[id(st)]
                    head = _unlisted_node(G, model, loc, end, unlisted) if loc.unlisted else keyof[id(loc.stratum)]
                    edge = G.get_edge_data(tail, head, default={"source": "theory", "count": 0})
                    edge["count"] += 1
                    if rate is not None:
                        edge["rate"] = max(edge.get("rate", 0.0), rate)
                    else:
                        edge["order"] = order
                    edge["located"] = bool(edge.get("located", True) and loc.exact_match)
                    edge["followed"] = ("high precision" if how or edge.get("followed") == "high precision"
                                        else "float64")
                    if not loc.exact_match:
                        edge["distance"] = float(loc.distance)
                        edge["reason"] = loc.reason
                    G.add_edge(tail, head, **edge)
    except KeyboardInterrupt:
        G.graph["complete"] = False
    finally:
        blas.__exit__(None, None, None)
    # slow directions not followed (too many digits, no plateau), or whose float64 runs went to different strata
    # under a 1e-6·ε perturbation along the fastest direction
    G.graph["unresolved_directions"] = unresolved
    return G
