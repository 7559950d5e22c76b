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
        # an upper bound (arb: may be 1e-10⁹); squares of the entries' bounds, as a ball around 0 squared by arb's
        # product has a negative lower end, and the square root of a sum of them was NaN where the gradient had
        # converged to its rounding (depth 3, weight decay 1/10: every entry [± 5e-48])
        g = sum((u * u for F in flow.field(y) for u in (x.abs_upper() for x in F.entries())), flint.arb(0)).sqrt()
        g = flint.arb(g.upper())
        size = sum((x * x for W in y for x in W.entries()), flint.arb(0)).sqrt().mid()
        J = flow.jacobian(y)
        H = -np.array([[float(J[i, j].mid()) for j in range(J.ncols())] for i in range(J.nrows())])
        if not (np.isfinite(H).all() and g.is_finite()):
            return None
        w, V = np.linalg.eigh((H + H.T) / 2)
        flat = np.abs(w) <= 1e-8 * max(1.0, float(np.abs(w).max()))
        mu = float(w[~flat].min()) if (~flat).any() else 0.0
        if not (mu > 0 and g <= flint.arb(mu) * max(flint.arb(1), size) / 10**10):
            return None
        if flat.any() and not _symmetry_flat(flow.model, y, V[:, flat]):
            return None  # zero eigenvalues not explained by a symmetry: a degenerate point, perhaps a plateau
        gtext = g.str(2, radius=False)
    why = ", the others along the hidden layers' symmetry orbit" if flat.any() else ""
    return (f"the run ends at a local minimum of loss {float(sol.losses[-1].mid()):.6g} (measured there: ‖∇ℒ‖ ≤ {gtext}, "
            f"smallest nonzero Hessian eigenvalue {mu:.3g} > 0{why}): the flow has converged")


def _symmetry_flat(model, y, K) -> bool:
    """Whether the columns of ``K`` (float64 kernel vectors of the Hessian at the state ``y``) lie in the tangent of the
    hidden layers' symmetry orbit (``W_l ↦ G_l W_l G_{l−1}⁻¹``, ``G_l`` orthogonal with weight decay), to 1e-6: then
    the state is a Morse–Bott point, a local minimum when the other eigenvalues are positive (measured: depth 3 with
    weight decay 1/10 from a balanced 1e-3 ends at such a minimum of loss 1.045, and the message said a larger
    ``t_end`` might help, an audit found, 2026-12-07)."""
    import numpy as np

    from ..models.dln import DeepLinearModel

    if not isinstance(model, DeepLinearModel) or len(y) < 2:
        return False
    Ws = [np.array([[float(W[i, j].mid()) for j in range(W.ncols())] for i in range(W.nrows())]) for W in y]
    sizes = [W.size for W in Ws]
    off = np.concatenate([[0], np.cumsum(sizes)])
    skew = model.weight_decay != 0
    cols = []
    for l in range(1, len(Ws)):
        n = Ws[l - 1].shape[0]
        for a in range(n):
            for b in range(n):
                if skew and b <= a:
                    continue
                E = np.zeros((n, n))
                E[a, b] = 1.0
                if skew:
                    E[b, a] = -1.0
                v = np.zeros(off[-1])
                v[off[l - 1]:off[l]] = (E @ Ws[l - 1]).ravel()
                v[off[l]:off[l + 1]] = (-Ws[l] @ E).ravel()
                cols.append(v)
    if not cols:
        return False
    T = np.array(cols).T
    coef, *_ = np.linalg.lstsq(T, K, rcond=None)
    return bool(np.linalg.norm(K - T @ coef) <= 1e-6 * max(1.0, np.linalg.norm(K)))


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
