"""At rest: a run may stop before its horizon once the rest of the flow cannot change what it reports.

Along gradient flow ``θ' = −∇ℒ(θ)`` the loss falls at the rate ``‖θ'‖²``, so by Cauchy–Schwarz the path from
``t_c`` to ``T`` is no longer than::

    D = ∫_{t_c}^{T} ‖θ'‖ dt ≤ √((T − t_c) · (ℒ(θ(t_c)) − ℒ_lb))

for any lower bound ``ℒ_lb`` of the loss (``0``, or the exact global minimum when symdln knows it).  Once

* the loss is settled: ``ℒ(t_c) − ℒ_lb`` is below the run's loss resolution (the loss is then reported as an
  upper bound, which holds at every later time since ``ℒ`` does not increase) or below ``10⁻³·rtol·ℒ(t_c)``, and
* the reported values are settled: ``Lip · D ≤ 10⁻³ · rtol · v_min``, with ``v_min`` the smallest reported value
  (singular values of ``A_θ`` that can be nonzero, or ``|β_i|``) and ``Lip`` a bound of their change per unit
  of ``‖Δθ‖`` on the ball of radius ``D`` (``Σ_l ∏_{k≠l}(‖W_k‖ + D)`` for ``A = W_L⋯W_1`` by Weyl's
  inequality, ``2(‖θ‖ + D)`` for ``β = u ⊙ v``),

every number reported at a time in ``[t_c, T]`` equals its value at ``t_c`` to a thousandth of the run's
tolerance, and the run ends with the state of ``t_c`` at ``T``.  Nothing is assumed about the landscape (no
Łojasiewicz constant): the bound holds for the run's own trajectory.

Why: after convergence the state sits at rest to the arithmetic's resolution, and a run asked to go on to a
horizon far past the last escape (the CLI's default report, at ``10·σ^{−(L−2)}``) integrated a state that does not
move: measured at depth 3 from σ = 1e-30, the strict verification run took 48,539 steps and 400 s from t = 3e30 to
8.8e30 of the horizon 1e31 (its error ratios there were its own rounding, since fixed in
:func:`~symdln.flow.integrate._stepper`; the stop makes such runs end at convergence whatever their steps cost).
"""

from __future__ import annotations

from fractions import Fraction

import flint

from ..errors import ModelError
from ..models.diagonal import DiagonalLinearModel

__all__ = ["RestCheck"]

#: A run checks whether it is at rest every this many accepted steps (the check costs a few field evaluations).
CHECK_EVERY = 8


class RestCheck:
    """Decides, at an accepted step, whether the run is at rest for the rest of its horizon (module docstring).

    Parameters
    ----------
    flow : CompiledFlow
    precision, state : Precision
        The run's, and its state's (:func:`~symdln.flow.integrate.state_precision`).
    rtol : Fraction
    loss_resolution : arb
        Losses below this are below what the run resolves (``100ρ²``).
    coordinates : {"primal", "mirror"}
        Only primal coordinates are checked (the mirror form's values are not its states).
    """

    def __init__(self, flow, precision, state, rtol: Fraction, loss_resolution: flint.arb,
                 coordinates: str = "primal") -> None:
        self.flow = flow
        self.model = flow.model
        self.precision = precision
        self.state_digits = state.digits
        self.rtol = flint.arb(flint.fmpq(rtol.numerator, rtol.denominator))
        self.loss_resolution = loss_resolution
        self.enabled = coordinates == "primal"
        self._lb = None
        self._last = None  # the loss at the previous check

    def lower_bound(self) -> flint.arb:
        """``ℒ_lb``: the exact global minimum rounded down when symdln knows it, else ``0`` (the loss is a sum of
        squares plus ``λ‖θ‖²``)."""
        if self._lb is None:
            self._lb = flint.arb(0)
            try:
                from ..symbolic.analysis import global_minimum_value

                g = global_minimum_value(self.model)
            except (ModelError, ValueError, NotImplementedError):  # no closed form (e.g. tied singular values)
                g = None
            if g is not None:
                import sympy

                digits = self.precision.digits + 10
                v = flint.arb(str(sympy.N(g, digits)))
                lb = v - abs(v) * flint.arb(10) ** (-(digits - 5))  # rounded down: never above ℒ*
                if lb > 0:
                    self._lb = lb.lower()
        return self._lb

    def at_rest(self, t: flint.arb, T: flint.arb, y, loss: flint.arb) -> bool:
        """Whether the run at ``(t, y)`` with loss ``loss`` is at rest until ``T`` (call in the run's precision)."""
        if not self.enabled or not loss.is_finite():
            return False
        tiny = self.rtol * flint.arb("0.001")
        excess = loss.upper()  # first against ℒ_lb = 0 (no closed form needed when the loss itself is resolved away)
        if not excess < self.loss_resolution:
            last, self._last = self._last, loss.mid()
            if last is None or not abs(last - loss.mid()) < tiny * abs(loss.mid()):
                return False  # the loss still moves: not at rest (and no closed-form minimum computed for nothing)
            with flint.ctx.workprec(self.precision.bits):  # the steps' loss may carry fewer bits than the run
                loss = self.flow.loss(y)
            excess = loss.upper() - self.lower_bound()
            if not excess < tiny * loss.lower():
                return False
            if excess < 0:
                excess = flint.arb(0)
        D = ((T - t) * excess).sqrt().upper()
        if not D.is_finite():
            return False
        lip, vmin = self._lipschitz(y, D)
        if vmin is None or not vmin > 0:
            return False
        return bool(lip * D <= tiny * vmin)

    def _lipschitz(self, y, D):
        """``(Lip, v_min)`` of the module docstring at the state ``y``."""
        norms = [sum((x * x for x in W.entries()), flint.arb(0)).sqrt().upper() for W in y]
        if isinstance(self.model, DiagonalLinearModel):
            total = sum((n * n for n in norms), flint.arb(0)).sqrt()
            beta = self.flow.end_to_end(y)
            vals = [abs(beta[i, 0]).lower() for i in range(beta.nrows())]
            return 2 * (total + D), min(vals, key=lambda x: float(x.mid()), default=None)
        from ..spectra import singular_values

        lip = flint.arb(0)
        for i in range(len(norms)):
            prod = flint.arb(1)
            for k, n in enumerate(norms):
                if k != i:
                    prod *= n + D
            lip += prod
        A = self.flow.end_to_end(y)
        p = self.precision
        svals = list(singular_values(A, p))[: self.model.r_max]
        if not svals:
            return lip, None
        # the state carries state_digits (mpmath's SVD more): v_min less that noise of ‖A‖, never more than it is
        noise = flint.arb(p.mp.nstr(svals[0], 20)) * flint.arb(10) ** (-(self.state_digits - 10))
        vmin = flint.arb(p.mp.nstr(svals[-1], p.digits, strip_zeros=False)) - noise
        return lip, vmin
