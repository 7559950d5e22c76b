"""Segmenting a trajectory into saddle visits (plateaus) and snapping each to a critical family.

A time ``t`` is *near* the family ``S`` when ``‖A_θ(t) − A_S‖_F ≤ tol · ‖Σyx‖_F`` (the
nearest family wins; for a diagonal network ``‖β(t) − β_I‖ ≤ tol·‖β*‖`` over the supports ``I``).  A visit is a maximal stretch of accepted steps near one family; its
entry and exit times are refined on the dense output to where the distance crosses the
threshold.  The *arrival* time of a visit is the first time the loss falls below the
midpoint between the previous plateau's loss and this one's (NUMERICS.md's crossing
time, insensitive to ``tol``).

Accelerated time (MATH §3): ``τ = t / log(1/σ)`` at depth ≤ 2 (``1/s_k`` in the limit) and for diagonal
networks (``t / log(1/α)``, Pesme–Flammarion's jump times in the limit), and
``τ = t · σ^{L−2}`` at depth ``L ≥ 3`` (escape times scale as ``σ^{−(L−2)}``), where ``σ`` is
the solution's ``scale``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction

import flint
import sympy as sp

from ..errors import ModelError, OptionError, describe
from ..flow.roots import illinois
from ..flow.solution import FlowSolution
from ..models.diagonal import DiagonalLinearModel
from ..models.dln import DeepLinearModel
from ..parse import exact_number
from ..matops import to_arb_mat
from ..precision import to_arb
from ..symbolic.pivots import format_label, pivot_families

__all__ = ["SaddleVisit", "DiagonalCritical", "detect_visits", "diagonal_critical_points", "format_support",
           "accelerated_time"]


@dataclass(frozen=True)
class SaddleVisit:
    """One plateau of a trajectory near a critical family.

    Times are real flow times (arb balls at the solution's precision); ``tau_*`` are
    accelerated times (see the module docstring).  ``distance`` is the run's smallest distance to the
    critical point relative to the reference norm, ``gradient_norm`` the float64 norm of the flow's vector field
    there in the run's coordinates (``‖∇ℒ(θ)‖``; ``‖∇L(β)‖`` for a mirror-form diagonal run); ``near`` is
    False for a plateau whose closest approach stays above ``tol`` but below ``loose_tol`` (its
    ``t_enter``/``t_exit`` are then sample times).  ``model`` is the run's model (so a comparison can refuse a limit
    path of another one).
    """

    label: frozenset
    loss: sp.Expr
    t_enter: flint.arb
    t_exit: flint.arb
    tau_enter: flint.arb
    tau_exit: flint.arb
    t_arrive: flint.arb | None
    tau_arrive: flint.arb | None
    distance: float
    final: bool
    is_global: bool
    near: bool = True
    key: str | None = None
    gradient_norm: float | None = None
    model: object = field(default=None, repr=False, compare=False)

    @property
    def name(self) -> str:
        """The node key: ``"{1,2}"`` (pivot set) or the signed support ``"{+3,-4}"`` (diagonal networks)."""
        return self.key if self.key is not None else format_label(self.label)

    @property
    def loss_float(self) -> float:
        return float(sp.N(self.loss, 20))

    def as_dict(self, digits: int = 20) -> dict:
        """JSON-ready: times as decimal strings with ``digits`` digits, exact loss as a string."""

        def dec(x):
            return None if x is None else x.mid().str(digits, radius=False)

        return {
            "label": self.name,
            "pivots": sorted(self.label),
            "loss": str(self.loss),
            "loss_float": self.loss_float,
            "t_enter": dec(self.t_enter),
            "t_exit": dec(self.t_exit),
            "tau_enter": dec(self.tau_enter),
            "tau_exit": dec(self.tau_exit),
            "t_arrive": dec(self.t_arrive),
            "tau_arrive": dec(self.tau_arrive),
            "distance": self.distance,
            "final": self.final,
            "global_minimum": self.is_global,
            "near": self.near,
            "gradient_norm": self.gradient_norm,
        }


def accelerated_time(t: flint.arb, scale: Fraction, depth: int) -> flint.arb:
    """``t / log(1/σ)`` for depth ≤ 2, ``t · σ^{L−2}`` for depth ``L ≥ 3`` (call inside ``Precision.flint()``)."""
    s = flint.arb(flint.fmpq(scale.numerator, scale.denominator))
    if depth <= 2:
        return t / (1 / s).log()
    return t * s ** (depth - 2)


@dataclass(frozen=True)
class DiagonalCritical:
    """A critical point of a diagonal network: ``β_I`` minimizes ``L`` on the support ``I`` (``∇L_I = 0``), exact.

    Same interface as :class:`~symdln.symbolic.pivots.PivotFamily` for :func:`detect_visits`: ``label`` is the
    support (1-based), ``loss`` exact, ``is_global`` when ``β_I`` minimizes ``L`` on all of ``ℝ^d``.
    """

    label: frozenset
    beta: tuple
    loss: sp.Expr
    is_global: bool

    @property
    def name(self) -> str:
        """The signed support, as the landscape writes it: ``"{+3,-4}"``."""
        return format_support(self.beta)

    def numeric_end_to_end(self, model, precision) -> flint.arb_mat:
        return to_arb_mat(sp.Matrix([[sp.Rational(b.numerator, b.denominator)] for b in self.beta]), precision.bits)


MAX_SUPPORT_DIM = 12


def format_support(beta) -> str:
    """``β = (0, 0, 10/7, −10/49) → "{+3,-4}"``: the signed support (1-based), as landscape labels write it."""
    return "{" + ",".join(f"{'+' if b > 0 else '-'}{i + 1}" for i, b in enumerate(beta) if b != 0) + "}"


def diagonal_critical_points(model: DiagonalLinearModel) -> list[DiagonalCritical]:
    """Every isolated critical ``β`` of a diagonal network: for each support ``I`` with ``X_I`` of full column
    rank, ``β_I = (X_IᵀX_I)⁻¹X_Iᵀy`` when none of its entries vanishes (exact, ``d ≤ 12``: ``2^d`` supports).

    Examples
    --------
    >>> from symdln.models import diagonal_linear
    >>> [(c.name, c.loss) for c in diagonal_critical_points(diagonal_linear("1,0;0,1", "2,1"))]
    [('{}', 5/4), ('{+1}', 1/4), ('{+2}', 1), ('{+1,+2}', 0)]
    """
    import itertools

    from fractions import Fraction

    n, d = model.n_samples, model.dim
    if d > MAX_SUPPORT_DIM:
        raise ModelError(f"enumerating the 2^{d} supports of a diagonal network is refused beyond d = "
                         f"{MAX_SUPPORT_DIM}; pass `families` (e.g. the limit path's saddles)")
    q = flint.fmpq
    X = [[q(int(x.p), int(x.q)) for x in row] for row in model.X.tolist()]
    y = [q(int(v.p), int(v.q)) for v in model.y]
    K = [[sum((X[r][i] * X[r][j] for r in range(n)), q(0)) for j in range(d)] for i in range(d)]
    b = [sum((X[r][i] * y[r] for r in range(n)), q(0)) for i in range(d)]

    def loss(beta):
        res = [sum((X[r][i] * beta[i] for i in range(d)), q(0)) - y[r] for r in range(n)]
        return sum((v * v for v in res), q(0)) / (2 * n)

    out = []
    for k in range(min(n, d) + 1):
        for I in itertools.combinations(range(d), k):
            beta = [q(0)] * d
            if k:
                M = flint.fmpq_mat(k, k, [K[i][j] for i in I for j in I])
                if M.rank() < k:
                    continue
                sol = M.solve(flint.fmpq_mat(k, 1, [b[i] for i in I]))
                if any(sol[a, 0] == 0 for a in range(k)):
                    continue
                for a, i in enumerate(I):
                    beta[i] = sol[a, 0]
            out.append((frozenset(i + 1 for i in I), tuple(Fraction(int(v.p), int(v.q)) for v in beta), loss(beta)))
    best = min(v for _, _, v in out)
    return [DiagonalCritical(lab, beta, sp.Rational(int(v.p), int(v.q)), v == best) for lab, beta, v in out]


def detect_visits(
    solution: FlowSolution,
    families: list | None = None,
    *,
    tol="1e-3",
    samples: int = 16,
    loose_tol="5e-2",
) -> list[SaddleVisit]:
    """The saddle visits of a trajectory, in order (deep linear and diagonal networks).

    Parameters
    ----------
    solution : FlowSolution
        A run of a :class:`~symdln.models.DeepLinearModel` or :class:`~symdln.models.DiagonalLinearModel`.
    families : list, Landscape or LimitPath, optional
        Candidate critical points (default: :func:`~symdln.symbolic.pivots.pivot_families` for a DLN,
        :func:`diagonal_critical_points` for a diagonal network); a
        :class:`~symdln.symbolic.landscape.Landscape` gives one candidate per family (its strata share the
        end-to-end map), named as the landscape names it; a diagonal network's limit path (or its ``saddles``)
        gives its saddles (the way past ``d = 12``, where the supports are not enumerated).
    tol : exact number
        Relative distance that counts as "near": ``‖A_θ − A_S‖_F ≤ tol·‖Σyx‖_F`` (DLN) or
        ``‖β − β_I‖ ≤ tol·‖β*‖`` with ``β*`` the smallest global minimizer among the candidates (diagonal).
    samples : int
        Between two accepted steps near different candidates (or where one of them is near none) the dense
        output is sampled at this many interior times, so a plateau shorter than a step is still found.
    loose_tol : exact number
        A stretch where no candidate is within ``tol`` but one stays the nearest and within ``loose_tol`` (same
        relative measure) is still a visit, with ``near=False`` and its closest distance, when it comes within
        ``10·tol`` or lasts at least 1% of the run's accelerated span before its final plateau: finite-scale runs
        approach short plateaus only to about ``1/log(1/σ)``.

    Returns
    -------
    list of SaddleVisit
        The first visit is the saddle the run starts at (the origin for a small
        initialization); the last has ``final=True`` when the run ends in it.

    Examples
    --------
    >>> from symdln.models import deep_linear, balanced_init
    >>> from symdln.flow import integrate_flow
    >>> m = deep_linear(spectrum=[2, 1], widths=2)
    >>> sol = integrate_flow(m, balanced_init(m, "1e-12"), 40, scale="1e-6", progress=False)
    >>> [v.name for v in detect_visits(sol)]
    ['{}', '{1}', '{1,2}']
    """
    import numpy as np

    model = solution.model
    tol_q = exact_number(tol, name="tol")
    if not 0 < tol_q < 1:
        raise OptionError(f"`tol` must lie in (0, 1), got {tol_q}")
    if not isinstance(samples, int) or samples < 0:
        raise OptionError(f"`samples` must be a non-negative integer, got {describe(samples)}")
    loose_q = exact_number(loose_tol, name="loose_tol")
    if not tol_q <= loose_q < 1:
        raise OptionError(f"`loose_tol` must lie in [tol, 1), got {loose_q}")
    from ..symbolic.landscape import Landscape, _as_float_matrix

    if isinstance(families, Landscape):
        if families.model != model:
            raise ModelError("`families`: the landscape is of another model than the solution")
        families = _landscape_candidates(families)
    if families is not None and not isinstance(families, (list, tuple, Landscape)):
        # a diagonal network's limit path (symdln.limits sits above this layer: recognized by its fields)
        if not (isinstance(getattr(families, "model", None), DiagonalLinearModel) and hasattr(families, "saddles")):
            raise OptionError(f"`families` must be a list of candidates, a Landscape or a diagonal network's LimitPath, "
                              f"got {describe(families)}")
        families = families.saddles
    if families is not None and not isinstance(families, Landscape):
        families = _limit_candidates(families)
    if isinstance(model, DiagonalLinearModel):
        fams = diagonal_critical_points(model) if families is None else list(families)
    elif isinstance(model, DeepLinearModel):
        fams = pivot_families(model) if families is None else list(families)
    else:
        raise ModelError(f"saddle visits are detected for deep linear or diagonal networks, got {describe(model)}")
    if not fams:
        raise ModelError("`families` is empty: no candidate critical point to locate plateaus at")
    p = solution.precision
    flow = solution.flow
    with p.flint():
        maps = [f.numeric_end_to_end(model, p) for f in fams]
        if isinstance(model, DiagonalLinearModel):
            norms = [_fro(B) for B, f in zip(maps, fams) if f.is_global]
            ref = min(norms, key=lambda x: float(x.mid())) if norms else flint.arb(1)
            if not ref > 0:
                ref = flint.arb(1)
        else:
            ref = _fro(to_arb_mat(model.syx, p.bits))
        # the run is accurate to about rtol: locating crossings far below that buys nothing
        res = to_arb(solution.rtol, p.bits) / 1000
        thr = ref * to_arb(tol_q, p.bits)
        thr_f = float(thr.mid())
        # nearest candidate in float64 (distances of order tol·ref: float is ample to choose), crossings in arb
        cand = np.array([_as_float_matrix(B).ravel() for B in maps])
        orbits = _orbits(model, fams, cand)  # families that are orbits (equal singular values): nearest member

        def member(j, A):
            """The candidate ``j`` as seen from ``A`` (float64, flat): its nearest orbit member, else itself."""
            return cand[j] if j not in orbits else orbits[j](A.reshape(maps[j].nrows(), maps[j].ncols())).ravel()

        def nearest(A):
            a = _as_float_matrix(A).ravel()
            dist = np.sqrt(((cand - a) ** 2).sum(axis=1))
            for j in orbits:
                dist[j] = float(np.linalg.norm(member(j, a) - a))
            j = int(np.argmin(dist))
            return (j if dist[j] <= thr_f else None), j, float(dist[j])

        def sample(t, y):
            return (t, *nearest(flow.end_to_end(y)), float(flow.loss(y).mid()), y)

        ts = solution.ts
        pts = []  # (time, candidate within tol or None, nearest candidate, its distance, loss)
        prev = None
        for i, y in enumerate(solution.states):
            lab = sample(ts[i], y)
            if i and samples and (lab[1] != prev[1] or lab[1] is None):
                a, b = ts[i - 1], ts[i]
                for k in range(1, samples + 1):
                    tk = a + (b - a) * k / (samples + 1)
                    pts.append(sample(tk, solution.evaluate(tk)))
            pts.append(lab)
            prev = lab
        n = len(pts)
        runs = []  # (family index, first sample, last sample, min distance, near)
        i = 0
        while i < n:
            j = pts[i][1]
            if j is None:
                i += 1
                continue
            k, dmin = i, pts[i][3]
            while k + 1 < n and pts[k + 1][1] == j:
                k += 1
                dmin = min(dmin, pts[k][3])
            runs.append((j, i, k, dmin, True))
            i = k + 1
        depth = 2 if isinstance(model, DiagonalLinearModel) else model.depth
        runs += _close_passes(pts, runs, [float(accelerated_time(t, solution.scale, depth).mid()) for t, *_ in pts],
                              float(loose_q) * float(ref.mid()), 10 * float(tol_q) * float(ref.mid()))
        runs.sort(key=lambda r: r[1])
        runs = [r for r in runs if r[4] or _plausible_pass(r, pts, cand, fams, flow,
                                                            isinstance(model, DiagonalLinearModel))]
        runs = _monotone(runs, [f.loss for f in fams])

        def dist_fn(j):
            def g(tt):
                A = flow.end_to_end(solution.evaluate(tt))
                target = maps[j]
                if j in orbits:  # the nearest member, from float64 (the distance is stationary in it)
                    C = member(j, _as_float_matrix(A).ravel())
                    target = flint.arb_mat(A.nrows(), A.ncols(), [flint.arb(float(x)) for x in C])
                return (_fro(A - target) - thr).mid()

            return g

        visits = []
        ref_f = float(ref.mid())
        for j, first, last, dmin, near in runs:
            final = last == n - 1
            if near:
                g = dist_fn(j)
                t_in = pts[0][0] if first == 0 else _crossing(g, pts[first - 1][0], pts[first][0], res)
                t_out = pts[-1][0] if final else _crossing(g, pts[last][0], pts[last + 1][0], res)
            else:  # a plateau by its loss rate: its ends are the samples where the rate crosses the threshold
                t_in, t_out = pts[first][0], pts[last][0]
            t_arr = None
            if visits:
                prev_v = visits[-1]
                mid_loss = to_arb((prev_v.loss + fams[j].loss) / 2, p.bits)
                if fams[j].loss < prev_v.loss:
                    t_arr = _crossing(lambda tt: (solution.loss(tt) - mid_loss).mid(), prev_v.t_exit, t_in, res)
            closest = min(range(first, last + 1), key=lambda x: pts[x][3])
            dmin = _refine_closest(lambda tt: _as_float_matrix(flow.end_to_end(solution.evaluate(tt))).ravel(),
                                   lambda a, j=j: member(j, a), pts, closest, dmin)
            g = flow.field(pts[closest][5])
            gnorm = math.sqrt(sum(float(x.mid()) ** 2 for M in g for x in M.entries()))
            visits.append(
                SaddleVisit(
                    label=fams[j].label,
                    loss=fams[j].loss,
                    t_enter=t_in,
                    t_exit=t_out,
                    tau_enter=accelerated_time(t_in, solution.scale, depth),
                    tau_exit=accelerated_time(t_out, solution.scale, depth),
                    t_arrive=t_arr,
                    tau_arrive=None if t_arr is None else accelerated_time(t_arr, solution.scale, depth),
                    distance=dmin / ref_f,
                    final=final,
                    is_global=fams[j].is_global,
                    near=near,
                    key=getattr(fams[j], "name", None),
                    gradient_norm=gnorm,
                    model=model,
                )
            )
    return visits


def _limit_candidates(families) -> list:
    """Diagonal limit-path saddles (:class:`~symdln.limits.diagonal.LimitSaddle`) as :class:`DiagonalCritical`
    candidates, the others as given: a float-mode saddle is read exactly from its float64 values.  ``is_global``:
    the lowest loss among the limit saddles (the path ends at a global minimizer)."""
    fams = list(families)

    def is_limit(f):  # a LimitSaddle of symdln.limits (a layer above): β, loss, signs and its interval
        return not hasattr(f, "numeric_end_to_end") and all(hasattr(f, a) for a in ("beta", "loss", "signs", "start"))

    lim = [f for f in fams if is_limit(f)]
    if not lim:
        return fams

    def frac(x):
        return x if isinstance(x, Fraction) else Fraction(float(x))

    best = min(frac(f.loss) for f in lim)
    out = []
    for f in fams:
        if is_limit(f):
            beta = tuple(frac(b) for b in f.beta)
            loss = frac(f.loss)
            f = DiagonalCritical(frozenset(i + 1 for i, b in enumerate(beta) if b != 0), beta,
                                 sp.Rational(loss.numerator, loss.denominator), loss == best)
        out.append(f)
    return out


@dataclass(frozen=True)
class _Candidate:
    label: frozenset
    loss: sp.Expr
    is_global: bool
    name: str
    end_to_end: sp.ImmutableMatrix

    def numeric_end_to_end(self, model, precision) -> flint.arb_mat:
        return to_arb_mat(self.end_to_end, precision.bits)


def _landscape_candidates(land) -> list:
    """One candidate per family of a landscape (its strata share ``A_θ``); the exact end-to-end map must be
    known (rational or algebraic: evaluated at the run's precision)."""
    out, seen = [], set()
    best = min((st.loss for st in land), key=lambda x: float(sp.N(x, 30)), default=None)
    for st in land:
        if st.label.text in seen:
            continue
        seen.add(st.label.text)
        members = frozenset(abs(int(m)) for m in st.label.members) if st.label.family == "support" \
            else frozenset(int(m) for m in st.label.members)
        out.append(_Candidate(members, st.loss, st.kind == "global minimum" or st.loss == best, st.label.text,
                              sp.ImmutableMatrix(st.end_to_end)))
    return out


def _close_passes(pts, runs, taus, loose, close):
    """Plateaus where no candidate is within ``tol`` but one stays nearest and within ``loose`` (absolute
    distance), not touching a visit of the same candidate: finite-scale runs approach short plateaus only to about
    ``1/log(1/σ)``.  A stretch counts when it comes within ``close`` (``10·tol``, relative) of its candidate, or
    lasts at least 1% of the run's accelerated span up to its final plateau (the final plateau's length is the
    caller's horizon, so it is left out: a plateau found in a run to ``t`` is still found in a longer run).
    ``near=False``; the distance is the closest approach."""
    n = len(pts)
    final_start = min((r[1] for r in runs if r[2] == n - 1), default=n - 1)
    span = taus[final_start] - taus[0] if final_start > 0 else taus[-1] - taus[0]
    if n < 2 or span <= 0:
        return []
    covered = set()
    for _, a, b, _, _ in runs:
        covered.update(range(a, b + 1))
    out = []
    i = 0
    while i < n:
        j = pts[i][2]
        if pts[i][1] is not None or pts[i][3] > loose:
            i += 1
            continue
        k = i
        while k + 1 < n and pts[k + 1][1] is None and pts[k + 1][2] == j and pts[k + 1][3] <= loose:
            k += 1
        a, b = i, k
        i = k + 1
        if any(x in covered for x in range(a, b + 1)):
            continue
        if taus[b] - taus[a] < 0.01 * span and min(pts[x][3] for x in range(a, b + 1)) > close:
            continue
        if any(r[0] == j and (r[2] == a - 1 or r[1] == b + 1) for r in runs):
            continue  # the approach to (or departure from) a visit of the same candidate
        best = min(range(a, b + 1), key=lambda x: pts[x][3])
        out.append((j, a, b, pts[best][3], False))
    return out



def _orbits(model, fams, cand) -> dict:
    """``{j: nearest}`` for the candidates that stand for an orbit (a DLN family with equal singular values in the
    teacher form, ``orbit_dimension > 0``): ``nearest(A)`` is the member closest to ``A`` (float64;
    :func:`~symdln.symbolic.pivots.orbit_nearest`).  The canonical member alone is one point of the orbit: a run that
    ends elsewhere on it was reported as not visiting it (spectrum (2, 2, 1), width 1)."""
    from ..symbolic.pivots import orbit_nearest

    out = {}
    for j, f in enumerate(fams):
        if getattr(f, "orbit_dimension", 0) and getattr(f, "label", None):
            rows, cols = model.syx.shape
            near = orbit_nearest(model, tuple(f.label), cand[j].reshape(rows, cols))
            if near is not None:
                out[j] = near
    return out


def _plausible_pass(run, pts, cand, fams, flow, diagonal: bool) -> bool:
    """Whether a loose pass (``near=False``) can be a plateau at its candidate, not the flow sweeping by it:
    the loss, which only decreases, must not already be below the candidate's when the pass begins (a plateau is
    approached from above: an independent check found a run reported at ``{+1,+2}``, loss 457/1640 ≈ 0.279, while
    its loss over the pass was 0.243 … 0.236, on its way to ``{+1,+2,+3}``); for a diagonal network, at the closest
    approach every coordinate of the candidate's support must have the candidate's sign and lie within half its
    value (passes reported at ``{-1,+3}`` with ``β_3 ≈ 1e-20`` where the candidate has ``26/349``, and at
    ``{-1,+4}`` with ``β_1 ≈ +7e-62`` against ``−0.004``: within ``10·tol`` of ``‖β*‖`` but not there)."""
    import numpy as np

    from ..symbolic.landscape import _as_float_matrix

    j, first, last = run[0], run[1], run[2]
    lj = float(sp.N(fams[j].loss, 30))
    if pts[first][4] < lj - 1e-9 * max(1.0, abs(lj)):
        return False
    if diagonal:
        best = min(range(first, last + 1), key=lambda x: pts[x][3])
        a = np.asarray(_as_float_matrix(flow.end_to_end(pts[best][5]))).ravel()
        c = cand[j]
        on = c != 0
        if not (np.all(np.sign(a[on]) == np.sign(c[on])) and np.all(np.abs(a[on] - c[on]) <= 0.5 * np.abs(c[on]))):
            return False
    return True


def _monotone(runs, losses) -> list:
    """Drop the loose passes (``near=False``) at a candidate whose exact loss is not below that of the visit before,
    or not above that of the visit after:
    the loss never increases along gradient flow, so after a plateau at loss ``ℒ_k`` the run cannot plateau at a
    critical point of loss ``ℒ_j ≥ ℒ_k``; a loose pass there is the flow sweeping by it during a jump (measured: a
    diagonal run passing 0.1% of ‖β*‖ from the higher-loss ``{+3}`` between ``{-1,+3}`` and ``{+2,+3}``).  Near
    visits are kept as they are (within ``tol`` of the critical point)."""
    out = []
    for r in runs:
        if not r[4] and out and not _below(losses[r[0]], losses[out[-1][0]]):
            continue
        out.append(r)
    # and above that of the visit after: a loose pass at 2925/2792 ≈ 1.048 before a near visit at 585/548 ≈ 1.068
    # (an independent check, 2026-12-07) would have the loss rise
    back = []
    for r in reversed(out):
        if not r[4] and back and not _below(losses[back[-1][0]], losses[r[0]]):
            continue
        back.append(r)
    return back[::-1]


def _below(a, b) -> bool:
    """``a < b`` for exact losses (SymPy numbers, possibly algebraic, or Fractions); undecided signs are read from
    60 digits."""
    def exact(x):  # candidates' losses: SymPy numbers, Fractions, ints or floats (each read exactly), never text
        if isinstance(x, sp.Basic):
            return x
        if isinstance(x, Fraction):
            return sp.Rational(x.numerator, x.denominator)
        if isinstance(x, (int, float)) and not isinstance(x, bool):
            return sp.Rational(x)
        raise ModelError(f"a candidate's loss must be a number, got {describe(x)}")

    d = exact(a) - exact(b)
    neg = d.is_negative
    return bool(neg) if neg is not None else bool(sp.N(d, 60) < 0)


def _refine_closest(end_to_end, target, pts, i: int, dmin: float, iterations: int = 40) -> float:
    """The closest approach to ``target`` (a flat array, or a function of the point giving its nearest member) near
    sample ``i``: golden-section search of ``‖A(t) − target‖`` on the
    dense output between the neighbouring samples (the samples alone overstate it: measured 2.74e-6 against
    2.63e-6 on a data-form plateau).  Returns the smaller of ``dmin`` and the minimum found."""
    import numpy as np

    lo, hi = pts[max(i - 1, 0)][0], pts[min(i + 1, len(pts) - 1)][0]
    if not hi > lo:
        return dmin
    inv_phi = (math.sqrt(5) - 1) / 2

    def f(tt):
        a = end_to_end(tt)
        return float(np.linalg.norm(a - (target(a) if callable(target) else target)))

    a, b = lo, hi
    c, d = b - (b - a) * inv_phi, a + (b - a) * inv_phi
    fc, fd = f(c), f(d)
    best = min(dmin, fc, fd)
    for _ in range(iterations):
        if fc < fd:
            b, d, fd = d, c, fc
            c = b - (b - a) * inv_phi
            fc = f(c)
        else:
            a, c, fc = c, d, fd
            d = a + (b - a) * inv_phi
            fd = f(d)
        best = min(best, fc, fd)
    return best


def _fro(E: flint.arb_mat) -> flint.arb:
    return (E.transpose() * E).trace().sqrt()


def _crossing(g, a: flint.arb, b: flint.arb, resolution: flint.arb) -> flint.arb:
    """Where ``g`` changes sign in ``[a, b]``, to relative ``resolution``."""
    t, _ = illinois(lambda tt: (g(tt), None), a, b, resolution=resolution)
    return t
