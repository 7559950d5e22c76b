"""What a run's arithmetic resolves, the working digits a reported loss or a crossing level needs, and why a run
ended where it did (the messages of :func:`~symdln.flow.verify.verified_flow`).

Deep in convergence the loss is ``½‖G‖²`` with ``G = A − M`` tiny; a run resolves ``G`` only down to
``ρ = 100·max(1, ‖G(0)‖)·ulp/rtol`` (:func:`~symdln.flow.integrate.residual_floor`), so losses below ``100ρ²``
(:func:`loss_floor`) are bounds, and a level ``ℓ`` is seen only with about ``log10(1/ℓ)/2 + log10(1/rtol)``
working digits beyond the entries' size.
"""

from __future__ import annotations

import math
from fractions import Fraction

import flint

from ..parse import format_number
from .solution import FlowSolution

__all__ = ["loss_floor", "levels_below_floor", "floor_text", "at_local_minimum", "digits_for_level",
           "digits_for_residual"]


def loss_floor(sol: FlowSolution) -> flint.arb:
    """``100·ρ²``: losses below this are below what the run's arithmetic and tolerance resolve."""
    from .integrate import loss_resolution

    with sol.precision.flint():
        return loss_resolution(sol.flow, sol.model, sol.precision, sol.scale, sol.rtol)


def levels_below_floor(sol: FlowSolution, levels) -> list:
    """The ``levels`` at or below :func:`loss_floor` of ``sol``: losses its arithmetic does not resolve."""
    with sol.precision.flint():
        floor = loss_floor(sol)
        return [lv for lv in levels if flint.arb(flint.fmpq(Fraction(lv).numerator, Fraction(lv).denominator)) <= floor]


def floor_text(sol: FlowSolution) -> str:
    """``"losses below about 1e-NNN with D working digits and rtol R"`` for ``sol`` (messages)."""
    with sol.precision.flint():
        floor = loss_floor(sol)
        exp = math.floor(float((floor.log() / flint.arb(10).log()).mid()))
    return (f"losses below about 1e{exp} with {sol.precision.digits} working digits and rtol "
            f"{format_number(sol.rtol)}")


def at_local_minimum(sol: FlowSolution) -> str | None:
    """A sentence when the run's last state sits at a local minimum (measured, not certified): the Hessian's smallest
    eigenvalue ``μ > 0`` (float64 from the closed-form Jacobian at the run's precision) and the gradient so small
    that the critical point it points to, ``‖∇ℒ‖/μ`` away, is within ``1e-10`` of the state's size.  E.g. depth 3
    with weight decay from a tiny initialization: the origin is a strict local minimum (Hessian ``λI``) and the
    flow decays into it, so a larger horizon changes nothing.  ``None`` otherwise (or for the mirror form)."""
    import numpy as np

    if sol.coordinates != "primal" or not sol.states:
        return None
    flow = sol.dense.flow
    y = sol.states[-1]
    with sol.precision.flint():
        g = sum((x * x for F in flow.field(y) for x in F.entries()), flint.arb(0)).sqrt().mid()  # arb: may be 1e-10⁹
        size = sum((x * x for W in y for x in W.entries()), flint.arb(0)).sqrt().mid()
        J = flow.jacobian(y)
        H = -np.array([[float(J[i, j].mid()) for j in range(J.ncols())] for i in range(J.nrows())])
        if not (np.isfinite(H).all() and g.is_finite()):
            return None
        mu = float(np.linalg.eigvalsh((H + H.T) / 2).min())
        if not (mu > 0 and g <= flint.arb(mu) * max(flint.arb(1), size) / 10**10):
            return None
        gtext = g.str(2, radius=False)
    return (f"the run ends at a local minimum of loss {float(sol.losses[-1].mid()):.6g} (measured there: ‖∇ℒ‖ = {gtext}, "
            f"smallest Hessian eigenvalue {mu:.3g} > 0): the flow has converged")


def digits_for_level(level, rtol: Fraction) -> int:
    """``⌈log10(1/level)/2 + log10(1/rtol)⌉ + 10``: working digits that resolve a loss ``level`` (``½‖G‖²``).

    >>> digits_for_level(Fraction(1, 10**300), Fraction(1, 10**27))
    187
    """
    lv = Fraction(level)
    return math.ceil((math.log10(lv.denominator) - math.log10(lv.numerator)) / 2
                     + math.log10(rtol.denominator) - math.log10(rtol.numerator)) + 10


def digits_for_residual(measure, rtol: Fraction, floor) -> int:
    """Working digits that resolve the smallest reported loss ``½‖G‖²`` to ``rtol`` (0 when none is tiny; losses
    below the run's resolution ``floor`` are reported as bounds, not chased)."""
    need = 0
    for q in measure[0]:
        if q is not None and q[0] > floor:
            log_loss = float(q[0].mid().log().mid()) / math.log(10)
            need = max(need, math.ceil(-log_loss / 2 + math.log10(rtol.denominator) - math.log10(rtol.numerator) + 6))
    return need
