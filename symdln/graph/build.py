"""Saddle graphs: ``networkx.DiGraph`` of critical families (nodes) and transitions (edges).

Schema (the one place it is written down)
-----------------------------------------
Graph attributes: ``model`` (JSON text of the model), ``sources`` (comma list).

Node key: the family label, e.g. ``"{1,2}"`` (``"{}"`` is the origin).  Node attributes:

``loss`` (str)        exact loss (SymPy text)
``loss_float`` (float)
``rank`` (int)        rank of the end-to-end map (``|S|``)
``pivots`` (str)      comma list of the pivot indices
``kind`` (str)        ``"global minimum"``, ``"strict saddle"``, ``"non-strict saddle"`` or
                      ``"saddle"`` (not classified here); ``"unlisted"`` in theory graphs: a followed escape's end
                      point at no listed stratum (node ``"{1}:unlisted 1"``, with ``reason``)
``index``, ``nullity`` (int)   negative and zero eigenvalue counts of the Hessian (exact; float64 at the end point
                      for ``"unlisted"`` nodes), when known
``order`` (int)       saddle order (MATH §2), when known
``dimension`` (int)   dimension of the pivot family, when known
``visits`` (int)      how many observed visits (0 for theory-only nodes)

Exact attributes come from a :class:`~symdln.symbolic.landscape.Landscape` passed as ``landscape=``: the
balanced stratum of each pivot family (the one a small balanced-ish initialization passes near).  Nothing here
computes a landscape (the report does, for models small enough).

Edges point downhill (loss decreases).  Edge attributes:

``source`` (str)      ``"observed"``, ``"theory"`` or ``"limit"``
``count`` (int)       observed transitions
``rate`` (float)      largest escape rate ``−λ_min`` of the tail's Hessian, when it is a strict saddle
``t_exit`` / ``t_enter`` (str)   real times leaving the tail / entering the head (last observed)
``tau_exit`` / ``tau_enter`` (float)   the same in accelerated time
``t_arrive`` (str), ``tau_arrive`` (float)   loss midpoint crossing of the head's plateau
"""

from __future__ import annotations

import json
from typing import Iterable

import networkx as nx
import sympy as sp

from ..errors import ModelError
from ..models.dln import DeepLinearModel
from ..saddles.visits import SaddleVisit
from ..symbolic.pivots import PivotFamily, format_label

__all__ = ["saddle_graph", "family_kind"]


def family_kind(model: DeepLinearModel, family: PivotFamily) -> str:
    """What theory says of a pivot family without computing its Hessian.

    Depth 2, λ = 0: every non-global critical point is a strict saddle (Baldi–Hornik 1989,
    Kawaguchi 2016).  Depth ≥ 3, λ = 0: the origin has a zero Hessian and is a non-strict
    saddle of order ``L`` when the target is nonzero.  Otherwise ``"saddle"``.
    """
    if family.is_global:
        return "global minimum"
    if model.weight_decay == 0:
        if model.depth == 2:
            return "strict saddle"
        if model.depth >= 3 and family.rank == 0:
            return "non-strict saddle"
    return "saddle"


def saddle_graph(
    visits: Iterable[SaddleVisit] | Iterable[Iterable[SaddleVisit]] = (),
    *,
    model: DeepLinearModel | None = None,
    families: Iterable[PivotFamily] | None = None,
    landscape=None,
    digits: int = 20,
) -> nx.DiGraph:
    """Build a saddle graph from observed visits (one run or several) and, optionally, theory nodes.

    Parameters
    ----------
    visits : list of SaddleVisit, or list of such lists (several runs)
        Consecutive visits of a run become an ``"observed"`` edge; repeated transitions
        across runs increase ``count``.
    model : DeepLinearModel, optional
        Used for node ``kind`` and recorded as a graph attribute.
    families : iterable of PivotFamily, optional
        Critical families to add as nodes even when not visited.
    landscape : Landscape, optional
        Exact node attributes (kind, index, nullity, order, dimension) and escape rates on edges.

    Examples
    --------
    >>> G = saddle_graph([])
    >>> G.number_of_nodes()
    0
    """
    runs = list(visits)
    if runs and isinstance(runs[0], SaddleVisit):
        runs = [runs]
    G = nx.DiGraph()
    if model is not None:
        G.graph["model"] = json.dumps(model.describe())
    sources = set()
    fam_by_label = {}
    exact = {}
    if isinstance(model, DeepLinearModel):
        from ..symbolic.pivots import pivot_families

        fam_by_label = {f.label: f for f in pivot_families(model)}
    if landscape is not None:
        exact = _exact_nodes(landscape)
    if families is not None:
        for f in families:
            fam_by_label[f.label] = f
            _add_node(G, f.label, f.loss, model, f, None, exact)
    for run in runs:
        run = list(run)
        for v in run:
            if not isinstance(v, SaddleVisit):
                raise ModelError(f"`visits` must hold SaddleVisit records, got {type(v).__name__}")
            key = _add_node(G, v.label, v.loss, model, fam_by_label.get(v.label), v.is_global, exact, key=v.name)
            G.nodes[key]["visits"] = G.nodes[key].get("visits", 0) + 1
        for a, b in zip(run, run[1:]):
            u, w = a.name, b.name
            data = G.get_edge_data(u, w, default={"source": "observed", "count": 0})
            rate = exact.get(u, {}).get("_rate")
            if rate is not None:
                data["rate"] = rate
            data["count"] += 1
            data["t_exit"] = a.t_exit.mid().str(digits, radius=False)
            data["t_enter"] = b.t_enter.mid().str(digits, radius=False)
            data["tau_exit"] = float(a.tau_exit.mid())
            data["tau_enter"] = float(b.tau_enter.mid())
            if b.t_arrive is not None:
                data["t_arrive"] = b.t_arrive.mid().str(digits, radius=False)
                data["tau_arrive"] = float(b.tau_arrive.mid())
            G.add_edge(u, w, **data)
            sources.add("observed")
    if families is not None:
        sources.add("theory")
    G.graph["sources"] = ",".join(sorted(sources))
    return G


def _exact_nodes(landscape) -> dict:
    """Node attributes from a landscape: each pivot family's balanced stratum (or its only one)."""
    out = {}
    for st in landscape:
        if st.label.family != "pivots" or st.label.stratum == "generic":
            continue
        attrs = {"kind": st.kind, "index": st.inertia.negative, "nullity": st.inertia.zero, "dimension": st.dimension}
        if st.order is not None:
            attrs["order"] = st.order
        rates = [float(e.rate) for e in st.escape if e.rate is not None]
        attrs["_rate"] = max(rates) if rates else None
        out[st.label.text] = attrs
    return out


def _add_node(G, label, loss, model, family=None, is_global=None, exact=None, key=None) -> str:
    key = format_label(label) if key is None else key
    if key in G:
        return key
    if family is not None and model is not None:
        kind = family_kind(model, family)
    elif is_global:
        kind = "global minimum"
    else:
        kind = "saddle"
    attrs = {k: v for k, v in (exact or {}).get(key, {}).items() if not k.startswith("_")}
    attrs.setdefault("kind", kind)
    G.add_node(
        key,
        loss=str(loss),
        loss_float=float(sp.N(loss, 20)),
        rank=len(label),
        pivots=",".join(str(i) for i in sorted(label)),
        visits=0,
        **attrs,
    )
    return key
