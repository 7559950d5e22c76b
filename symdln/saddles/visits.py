"""Segmenting a trajectory into saddle visits (plateaus) and snapping each to a critical family.

A time ``t`` is *near* the family ``S`` when ``‖A_θ(t) − A_S‖_F ≤ tol · ‖Σyx‖_F`` (the
nearest family wins).  A visit is a maximal stretch of accepted steps near one family; its
entry and exit times are refined on the dense output to where the distance crosses the
threshold.  The *arrival* time of a visit is the first time the loss falls below the
midpoint between the previous plateau's loss and this one's (NUMERICS.md's crossing
time, insensitive to ``tol``).

Accelerated time (MATH §3): ``τ = t / log(1/σ)`` at depth ≤ 2 (``1/s_k`` in the limit) and
``τ = t · σ^{L−2}`` at depth ``L ≥ 3`` (escape times scale as ``σ^{−(L−2)}``), where ``σ`` is
the solution's ``scale``.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import flint
import sympy as sp

from ..errors import ModelError, OptionError, describe
from ..flow.roots import illinois
from ..flow.solution import FlowSolution
from ..models.dln import DeepLinearModel
from ..parse import exact_number
from ..matops import to_arb_mat
from ..precision import to_arb
from ..symbolic.pivots import PivotFamily, format_label, pivot_families

__all__ = ["SaddleVisit", "detect_visits", "accelerated_time"]


@dataclass(frozen=True)
class SaddleVisit:
    """One plateau of a trajectory near a critical family.

    Times are real flow times (arb balls at the solution's precision); ``tau_*`` are
    accelerated times (see the module docstring).
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

    @property
    def name(self) -> str:
        return format_label(self.label)

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
        }


def accelerated_time(t: flint.arb, scale: Fraction, depth: int) -> flint.arb:
    """``t / log(1/σ)`` for depth ≤ 2, ``t · σ^{L−2}`` for depth ``L ≥ 3`` (call inside ``Precision.flint()``)."""
    s = flint.arb(flint.fmpq(scale.numerator, scale.denominator))
    if depth <= 2:
        return t / (1 / s).log()
    return t * s ** (depth - 2)


def detect_visits(
    solution: FlowSolution,
    families: list[PivotFamily] | None = None,
    *,
    tol="1e-3",
) -> list[SaddleVisit]:
    """The saddle visits of a DLN trajectory, in order.

    Parameters
    ----------
    solution : FlowSolution
        A run of a :class:`~symdln.models.DeepLinearModel`.
    families : list of PivotFamily, optional
        Candidate critical families (default :func:`~symdln.symbolic.pivots.pivot_families`).
    tol : exact number
        Relative distance that counts as "near" a family.

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
    model = solution.model
    if not isinstance(model, DeepLinearModel):
        raise ModelError(f"saddle visits are detected for deep linear networks, got {describe(model)}")
    tol_q = exact_number(tol, name="tol")
    if not 0 < tol_q < 1:
        raise OptionError(f"`tol` must lie in (0, 1), got {tol_q}")
    fams = pivot_families(model) if families is None else list(families)
    p = solution.precision
    flow = solution.flow
    with p.flint():
        maps = [f.numeric_end_to_end(model, p) for f in fams]
        ref = _fro(to_arb_mat(model.syx, p.bits))
        # the run is accurate to about rtol: locating crossings far below that buys nothing
        res = to_arb(solution.rtol, p.bits) / 1000
        thr = ref * to_arb(tol_q, p.bits)

        def nearest(A):
            ds = [_fro(A - B) for B in maps]
            j = min(range(len(ds)), key=lambda i: float(ds[i].mid()))
            return j, ds[j]

        labels = []
        for y in solution.states:
            j, d = nearest(flow.end_to_end(y))
            labels.append((j if d <= thr else None, d))
        runs = []  # (family index, first step, last step, min distance)
        i = 0
        n = len(labels)
        while i < n:
            j = labels[i][0]
            if j is None:
                i += 1
                continue
            k = i
            dmin = labels[i][1]
            while k + 1 < n and labels[k + 1][0] == j:
                k += 1
                dmin = min(dmin, labels[k][1], key=lambda x: float(x.mid()))
            runs.append((j, i, k, dmin))
            i = k + 1

        def dist_fn(j):
            def g(tt):
                return (_fro(flow.end_to_end(solution.evaluate(tt)) - maps[j]) - thr).mid()

            return g

        visits = []
        ts = solution.ts
        depth = model.depth
        for idx, (j, first, last, dmin) in enumerate(runs):
            g = dist_fn(j)
            t_in = ts[0] if first == 0 else _crossing(g, ts[first - 1], ts[first], res)
            final = last == n - 1
            t_out = ts[-1] if final else _crossing(g, ts[last], ts[last + 1], res)
            t_arr = None
            if visits:
                prev = visits[-1]
                mid_loss = to_arb((prev.loss + fams[j].loss) / 2, p.bits)
                if fams[j].loss < prev.loss:
                    t_arr = _crossing(lambda tt: (solution.loss(tt) - mid_loss).mid(), prev.t_exit, t_in, res)
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
                    distance=float((dmin / ref).mid()),
                    final=final,
                    is_global=fams[j].is_global,
                )
            )
    return visits


def _fro(E: flint.arb_mat) -> flint.arb:
    return (E.transpose() * E).trace().sqrt()


def _crossing(g, a: flint.arb, b: flint.arb, resolution: flint.arb) -> flint.arb:
    """Where ``g`` changes sign in ``[a, b]``, to relative ``resolution``."""
    t, _ = illinois(lambda tt: (g(tt), None), a, b, resolution=resolution)
    return t
