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
  (:func:`_follow_precise`: errors along the faster direction grow by ``(1/ε)^{fastest/rate − 1}`` relative to
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
from ..symbolic.pointfloat import flat_gradient
from .build import saddle_graph

__all__ = ["landscape_graph", "observed_graph", "limit_graph", "merge_graphs"]

PLATEAU_DROP = 1e-2  # a plateau: the gradient norm below this fraction of its largest value so far


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
def _flat_state(model, mats):
    return np.concatenate([np.asarray(W, dtype=float).ravel() for W in mats])


def _unflat(model, x):
    """The layers of a flat state (views)."""
    out, k = [], 0
    for r, c in model.shapes:
        out.append(x[k:k + r * c].reshape(r, c))
        k += r * c
    return out


def _follow(model, data, x0, scale, max_steps: int = 20_000):
    """Float64 gradient flow from ``x0`` to the first plateau, then Levenberg–Marquardt on ``∇ℒ = 0`` to the
    critical point there: the end point, or ``None`` (no plateau within ``max_steps`` LSODA steps, or the polish
    did not converge).  A plateau: ``‖∇ℒ‖`` below 1% of its largest value so far
    (so a slow start from a non-strict saddle is not one).  Stopping at the first plateau keeps the float64 noise
    in the next saddle's unstable directions (~1e-16, amplified) from carrying the run past it."""
    from scipy.integrate import LSODA

    grad = flat_gradient(model, data)  # built once: a follow calls it ~3,000 times

    def rhs(t, x):
        return -grad(x)

    import warnings

    solver = LSODA(rhs, 0.0, x0, t_bound=np.inf, rtol=1e-10, atol=1e-14 * scale)
    gmax = float(np.linalg.norm(rhs(0.0, x0)))
    for _ in range(max_steps):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # LSODA's convergence chatter: a failed step ends the attempt below
            msg = solver.step()
        if msg is not None or solver.status != "running":
            return None
        g = float(np.linalg.norm(grad(solver.y)))
        gmax = max(gmax, g)
        if g <= PLATEAU_DROP * gmax:
            break
    else:
        return None
    return _polish(model, data, solver.y, scale)


def _polish(model, data, x, scale, max_iter: int = 400):
    """Levenberg–Marquardt on ``∇ℒ = 0`` from a plateau point: the critical point there, or ``None``.

    With ``H = ∇²ℒ(x) = V diag(w) Vᵀ`` (symmetric: the Jacobian of ``∇ℒ``) the step minimizing
    ``‖∇ℒ + Hδ‖² + μ‖δ‖²`` is ``δ = −V diag(w/(w² + μ)) Vᵀ ∇ℒ``: directions along the critical set's tangent
    (``w ≈ 0``) are not moved, so the polish lands near the plateau point on the set.  ``μ`` falls tenfold after a
    step that lowers ``‖∇ℒ‖`` and rises tenfold otherwise; the loop ends when ``‖∇ℒ‖ ≤ 1e-15·scale`` or no step
    lowers it.  Every operation is NumPy's in a fixed order on one BLAS thread: the same plateau point gives the
    same bits (SciPy's MINPACK ``least_squares(method="lm")`` did not: its first call in a process took other
    iterates than the later ones, and theory graphs differed between runs).

    Examples
    --------
    >>> from symdln.models import deep_linear
    >>> from symdln.symbolic.landscape import float_data
    >>> m = deep_linear(spectrum=[2, 1], widths=2, rotation_seed=None)
    >>> x = _polish(m, float_data(m), np.array([1.01, 0, 0, 0.99, 1.02, 0, 0, 0.98]), 2.0)
    >>> bool(np.allclose(_unflat(m, x)[1] @ _unflat(m, x)[0], [[2, 0], [0, 1]], atol=1e-12))
    True
    """
    from ..symbolic.landscape import float_hessian_closed

    grad = flat_gradient(model, data)
    x = np.array(x, dtype=float)
    g = grad(x)
    f = math.fsum(g * g)  # exactly rounded: no summation order to vary
    mu = None
    target = (1e-15 * scale) ** 2
    for _ in range(max_iter):
        if f <= target:
            break
        # the Jacobian of ∇ℒ is the Hessian (closed form): finite differences cost n + 1 gradients an iteration
        w, V = np.linalg.eigh(float_hessian_closed(model, _unflat(model, x), data))
        c = V.T @ g
        top = float(np.max(w * w)) if w.size else 0.0
        if top == 0:
            break
        mu = 1e-3 * top if mu is None else mu
        while mu <= 1e20 * top:
            xn = x - V @ (w * c / (w * w + mu))
            gn = grad(xn)
            fn = math.fsum(gn * gn)
            if fn < f:
                x, g, f = xn, gn, fn
                mu = max(mu / 10, 1e-30 * top)
                break
            mu *= 10
        else:
            break  # no step lowers ‖∇ℒ‖: converged as far as float64 goes
    if not math.sqrt(f) <= 1e-12 * scale:
        return None
    return x


#: a direction is followed in high precision when another unstable rate at the same saddle is this much faster
SLOW_RATIO = 1.5
#: the precision a slow direction needs grows like (fastest/rate − 1)·log10(1/ε); past this it is not followed
MAX_FOLLOW_DIGITS = 160
#: at depth ≥ 3 a slow direction is followed in high precision up to this many digits, in at most DEEP_FOLLOW_STEPS
#: steps (a count, not a time: a theory graph is the same file run to run); past either, or without a plateau by the
#: horizon, the float64 run with its nudged probes decides (the edge's ``followed`` says which).  Measured at depth
#: 3, widths 2, spectrum (3, 2): 22–48 digits took 0.04–1.8 s a direction, 64 digits 10.8 s, 81 digits more than
#: 120 s (Radau IIA at rtol 1e-71, 8,642 steps); following every slow direction made a graph 4× slower and more
DEEP_FOLLOW_DIGITS = 50
DEEP_FOLLOW_STEPS = 80


def follow_digits(rate: float, fastest: float, eps: float) -> int:
    """``D = ⌈(fastest/rate − 1)·log10(1/ε)⌉ + 10``: the digits a slow direction of rate ``rate`` needs beside a faster
    unstable rate ``fastest`` when followed from ``θ + εd`` (:func:`_follow_precise`).

    >>> follow_digits(1.0, 2.0, 1e-2)
    12
    """
    return int(math.ceil((fastest / rate - 1) * math.log10(1 / eps) + 10))


def _exact_eigenpairs(st, digits: int = 60):
    """``[(−λ, eigenvector as mpf list)]`` for the negative eigenvalues of the exact Hessian of a strict saddle with a
    rational representative (mpmath's symmetric eigensolver in its own context at ``digits``), or ``None``."""
    import mpmath

    H = getattr(st.analysis, "hessian", None)
    if H is None or H.nrows() > 60:  # mpmath's eigensolver: 1.3 s at 48 parameters, ~3 s at 60
        return None
    ctx = mpmath.MPContext()
    ctx.dps = digits
    n = H.nrows()
    Hm = ctx.matrix([[ctx.mpf(int(H[i, j].p)) / int(H[i, j].q) for j in range(n)] for i in range(n)])
    w, V = ctx.eigsy(Hm)
    scale = max(1, max(abs(x) for x in w))
    return [(-w[i], [V[k, i] for k in range(n)]) for i in range(n) if w[i] < -ctx.mpf(10) ** (-digits // 2) * scale]


def _follow_precise(model, data, st, d, rate, fastest, eps, scale, max_time: float | None = 120,
                    extra_digits: int = 0, max_steps: int | None = None):
    """Follow the slow unstable direction ``d`` (high-precision unit vector) of ``st`` with symdln's integrator,
    from ``θ + εd`` with ``θ`` exact, to the first plateau; then polish in float64 (Levenberg–Marquardt).

    Rounding and truncation errors along a faster unstable direction (rate ``fastest``) grow by
    ``(1/ε)^{fastest/rate − 1}`` relative to the slow one before the slow escape is over, so the run's tolerance is
    ``10^{−D}`` with ``D = (fastest/rate − 1)·log10(1/ε) + 10`` (ten digits of margin) and it carries ``D + 10``
    digits (``extra_digits`` more: a check of the run's convergence); ``max_steps`` (both horizons together) or
    ``max_time`` (each run) bound the work.  Returns the end point, or ``None`` (needs more than
    :data:`MAX_FOLLOW_DIGITS`, no plateau by the horizon or within the budget, or the polish failed)."""
    from fractions import Fraction

    from ..flow.integrate import integrate_flow
    from ..precision import Precision

    digits = follow_digits(rate, fastest, eps) + extra_digits  # (extra: a check of the run's convergence)
    if digits > MAX_FOLLOW_DIGITS + extra_digits:
        return None
    step = Fraction(eps).limit_denominator(1000) * Fraction(math.sqrt(scale)).limit_denominator(1000)
    dq = [Fraction(str(v)) for v in d]  # the mpf's decimal digits, exactly
    theta, k = [], 0
    for W in st.point:
        W = sp.Matrix(W)
        r, c = W.shape
        theta.append(sp.Matrix(r, c, lambda a, b, W=W, k=k: W[a, b] + sp.Rational(step * dq[k + a * c + b])))
        k += r * c
    stop = None
    grad = flat_gradient(model, data)
    # the plateau comes after ~log(1/ε)/rate (measured: at 21–32 % of the long horizon): the short horizon first
    steps_left = max_steps  # (both horizons together)
    for horizon in (1.2 * math.log(1 / eps) / rate + 6 / rate, 3 * math.log(1 / eps) / rate + 20 / rate):
        if steps_left is not None and steps_left <= 0:
            break
        sol = integrate_flow(model, theta, Fraction(horizon).limit_denominator(1000), precision=Precision(digits + 10),
                             rtol=Fraction(1, 10**digits), throw=False, progress=False, max_time=max_time,
                             **({} if steps_left is None else {"max_steps": steps_left}))
        if steps_left is not None:
            steps_left -= sol.stats.steps + sol.stats.rejected_steps
        gmax = 0.0
        for y in sol.states:
            x = np.concatenate([np.array([[float(W[a, b].mid()) for b in range(W.ncols())]
                                          for a in range(W.nrows())], dtype=float).ravel() for W in y])
            g = float(np.linalg.norm(grad(x)))
            gmax = max(gmax, g)
            if g <= PLATEAU_DROP * gmax:
                stop = x
                break
        if stop is not None:
            break
    return None if stop is None else _polish(model, data, stop, scale)


def _canonical_basis(V, rates, rel: float = 1e-9):
    """The columns of ``V`` (orthonormal eigenvectors for ``rates``) with each cluster of equal rates (within ``rel``)
    replaced by a basis that depends on the cluster's eigenspace only: ``eigh``'s basis of a multiple eigenvalue is
    arbitrary and moved with last-bit differences of the Hessian between runs (so did the edges followed from it).
    Gram–Schmidt on the projections ``P e_k`` of the coordinate vectors, the longest first (the lowest index among
    those within 1e-8 of it)."""
    V = np.array(V, dtype=float)
    out = V.copy()
    done = set()
    for a in range(len(rates)):
        if a in done:
            continue
        group = [b for b in range(len(rates)) if abs(rates[b] - rates[a]) <= rel * max(1.0, abs(rates[a]))]
        done.update(group)
        if len(group) < 2:
            continue
        Q = V[:, group]
        P = Q @ Q.T  # the eigenspace's projector: a stable function of the Hessian when the cluster is separated
        basis = []
        for _ in group:
            R = P - sum((np.outer(b, b) for b in basis), np.zeros_like(P))
            norms = np.linalg.norm(R, axis=0)
            k = int(np.flatnonzero(norms >= (1 - 1e-8) * norms.max())[0])
            basis.append(R[:, k] / norms[k])
        for b, v in zip(group, basis):
            out[:, b] = v
    return out.T


def _escape_directions(model, st, x0, eps: float = 3e-2):
    """``(unit direction, rate or None, order, high-precision direction or None, fastest rate)`` to follow from a
    saddle stratum's representative: every eigenvector of the Hessian with a negative eigenvalue (rate ``−λ``; from
    the exact Hessian at 60 digits when the representative is rational, else float64), and inside an eigenvalue
    cluster (a multiple rate: its eigenvectors are an arbitrary basis) also the normalized sums and differences of
    pairs; for a non-strict saddle, its exact escape directions of order ≥ 3."""
    from ..symbolic.landscape import float_hessian

    out = []
    H = float_hessian(model, _unflat(model, x0))
    w, V = np.linalg.eigh(H)
    tol = 1e-9 * max(1.0, float(np.abs(w).max()) if w.size else 1.0)
    neg = [i for i in range(len(w)) if w[i] < -tol]
    rates = [float(-w[i]) for i in neg]
    vecs = [list(v) for v in _canonical_basis(V[:, neg], rates)]
    pairs = None
    shallow = isinstance(model, DiagonalLinearModel) or model.depth == 2
    deep_ok = any(r * SLOW_RATIO < max(rates) and follow_digits(r, max(rates), eps) <= DEEP_FOLLOW_DIGITS
                  for r in rates)  # depth ≥ 3: some slow direction within DEEP_FOLLOW_DIGITS
    if rates and min(rates) * SLOW_RATIO < max(rates) and st.kind == "strict saddle" and (shallow or deep_ok):
        pairs = _exact_eigenpairs(st)  # slow directions will be followed in high precision: exact eigenvectors
        if pairs is not None:
            rates = [float(r) for r, _ in pairs]
            vecs = [v for _, v in pairs]
    fastest = max(rates, default=0.0)
    for rate, v in zip(rates, vecs):
        out.append((np.array([float(x) for x in v]), rate, 2, v if pairs is not None else None, fastest))
    for a in range(len(rates)):
        for b in range(a + 1, len(rates)):
            if abs(rates[a] - rates[b]) <= 1e-9 * max(1.0, rates[a]):
                for sgn in (1, -1):
                    v = [x + sgn * y for x, y in zip(vecs[a], vecs[b])]
                    norm = math.sqrt(sum(float(x) ** 2 for x in v))
                    v = [x / norm for x in v]
                    out.append((np.array([float(x) for x in v]), rates[a], 2, v if pairs is not None else None,
                                fastest))
    for e in st.escape:
        if e.rate is None and e.order >= 3:
            d = np.array([float(sp.N(v, 20)) for v in e.direction], dtype=float)
            if d.shape == x0.shape and np.linalg.norm(d):
                out.append((d / np.linalg.norm(d), None, e.order, None, None))
    return out


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
                    if end is None:
                        continue
                    loc = loc or landscape.locate(_unflat(model, end))  # the probe located it already
                    if loc.stratum is None or not float(sp.N(loc.stratum.loss, 30)) < loss0:
                        continue
                    tail, head = keyof[id(st)], keyof[id(loc.stratum)]
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
