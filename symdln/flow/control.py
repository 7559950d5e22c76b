"""Step-size control, separate from the method: a :class:`Stepper` joins a solver (:mod:`.solvers`), an
error norm (:mod:`.norms`) and the controller of Hairer–Wanner's ODEX/SEULEX::

    H_new = H · min(4, max(1/5, 0.94 · (0.65 / ratio)^{1/(q+1)})),     ratio = ‖err‖ / rtol

with ``q`` the solver's error order (a rejected step never grows: factor ≤ 0.9).  The stepper also serves
the dense output (:meth:`Stepper.advance`): from a stored accepted point, error-controlled steps to any
time inside the next accepted step, so a value between steps has the run's accuracy.
"""

from __future__ import annotations

import math
from fractions import Fraction

import flint

from ..errors import FlowError
from .norms import ErrorNorm, FrozenNorm

__all__ = ["Stepper", "SwitchedDense", "locate_crossing"]

_SAFETY = 0.94
_TARGET = 0.65
_MAX_GROW = 4.0
_MIN_SHRINK = 0.2
#: the error ratio given to a step whose loss rose (gradient flow never raises it): rejected, shrunk the most
_LOSS_ROSE = 1e3


def _as_float(x: flint.arb) -> float:
    return float(x.mid())


class Stepper:
    """Attempts steps of one solver and turns error ratios into step-size factors."""

    def __init__(self, solver, norm: ErrorNorm, rtol: Fraction, state_bits: int | None = None) -> None:
        self.solver = solver
        self.state_bits = state_bits  # the steps' arithmetic, when below the run's (time keeps the run's precision)
        self.flow = solver.flow
        self.norm = norm
        self.rtol = flint.arb(flint.fmpq(rtol.numerator, rtol.denominator))
        self.exponent = 1.0 / (solver.error_order + 1)
        self.float_times: list[float] = []
        self.nfev_extra = 0  # evaluations of f at accepted points (f0 of the next step)
        self._last_loss = None  # (state, its loss) of the last step the loss guard measured

    @property
    def nfev(self) -> int:
        return self.solver.nfev + self.nfev_extra

    def field(self, y):
        self.nfev_extra += 1
        if self.state_bits is None:
            return self.flow.field(y)
        with flint.ctx.workprec(self.state_bits):
            return self.flow.field(y)

    def measure(self, y1, err) -> float:
        """``‖err‖ / rtol`` as a float (``inf`` when non-finite)."""
        return self._ratio(self.norm(y1, err))

    def _ratio(self, size) -> float:
        ratio = size / self.rtol
        r = float(ratio.mid()) if ratio.is_finite() else math.inf
        return r if math.isfinite(r) else math.inf

    def frozen_measure(self, y):
        """``measure`` with the norm's layer weights frozen at ``y`` (:class:`~.norms.FrozenNorm`): for Newton iterations."""
        frozen = FrozenNorm(self.norm, y)
        return lambda y1, err: self._ratio(frozen(y1, err))

    def attempt(self, y, f0, H):
        """One step of size ``H``: ``(y1, err/rtol, factor)``, ``factor`` the next step's size over ``H`` (≤ 0.9
        when the step is rejected, ``err/rtol > 1``); an order-adaptive solver proposes its own factor.  The step's
        arithmetic is at ``state_bits`` when set (``H`` itself, a difference of times, keeps its bits)."""
        if self.state_bits is None:
            return self._loss_guard(y, self._attempt(y, f0, H))
        with flint.ctx.workprec(self.state_bits):
            return self._loss_guard(y, self._attempt(y, f0, H))

    def loss_of(self, y) -> flint.arb:
        """``ℒ(y)``, from the loss guard when it measured this very state (the step just accepted), else computed."""
        cached = self._last_loss
        return cached[1] if cached is not None and cached[0] is y else self.flow.loss(y)

    def _loss_guard(self, y, out):
        """Reject a step the error estimate accepted whose loss rose by more than ``10·rtol`` of itself (and a thousand
        roundings): the loss never increases along gradient flow, in the primal and the mirror coordinates alike, so
        such a step is a spurious solution of the stage equations.  Measured (an independent check, 2026-12-07): a
        Radau IIA step of H = 125 in mirror coordinates over an escape (α = 1e-40) with an error ratio of 8e-7 took
        the loss from 2/3 to 1e115, and the run ended non-finite."""
        y1, r, fac = out
        if not r <= 1:
            return out
        lo0 = self.loss_of(y)
        lo1 = self.flow.loss(y1)
        self._last_loss = (y1, lo1)
        ulp = flint.arb(2) ** (-flint.ctx.prec)
        slack = lo0.abs_upper() * (self.rtol * 10 + ulp * 1000) + ulp * 1000
        if ((lo1 - lo0) - slack).mid() > 0:
            return y1, _LOSS_ROSE, self.factor(_LOSS_ROSE)
        return out

    def _attempt(self, y, f0, H):
        if hasattr(self.solver, "adaptive_step"):
            newton = (self.frozen_measure(y),) if getattr(self.solver, "newton_measure", False) else ()
            y1, r, fac = self.solver.adaptive_step(y, f0, H, self.measure, *newton)
            return y1, r, (self.factor(r) if fac is None else fac)
        y1, err = self.solver.step(y, f0, H)
        r = self.measure(y1, err)
        return y1, r, self.factor(r)

    def factor(self, ratio: float) -> float:
        """Step-size factor for an error ratio (never growing after a rejection)."""
        if ratio == 0:
            fac = _MAX_GROW
        elif not math.isfinite(ratio):
            fac = _MIN_SHRINK
        else:
            fac = min(_MAX_GROW, max(_MIN_SHRINK, _SAFETY * (_TARGET / ratio) ** self.exponent))
        return fac if ratio <= 1 else min(fac, 0.9)

    def advance(self, y, t0: flint.arb, t1: flint.arb, max_steps: int = 10_000):
        """``θ(t1)`` from ``θ(t0) = y`` by error-controlled steps, starting with the whole interval and the solver in
        the state of a new run (restored afterwards), so the value depends on the stored point only."""
        saved = self.solver.state()
        self.solver.restore(None)
        try:
            return self._advance(y, t0, t1, max_steps)
        finally:
            self.solver.restore(saved)

    def _advance(self, y, t0, t1, max_steps):
        t, t1 = t0.mid(), t1.mid()
        H = (t1 - t).mid()
        f0 = self.field(y)
        for _ in range(max_steps):
            rest = (t1 - t).mid()
            if not rest > 0:
                return y
            H = min(H, rest, key=_as_float)
            y1, r, fac = self.attempt(y, f0, H)
            if r <= 1:
                y = y1
                t = t1 if H is rest else (t + H).mid()
                if not (t1 - t).mid() > 0:
                    return y
                f0 = self.field(y)
            H = (H * flint.arb(fac)).mid()
        raise FlowError(f"dense output did not converge in {max_steps} steps")


class SwitchedDense:
    """The dense output of a run that switched from GBS to Radau IIA at ``t_switch`` (:mod:`.stiffness`): a value
    between stored points is stepped to by the solver that made that step, so it has that step's accuracy and cost.
    Offers what the dense output uses of a :class:`Stepper`: ``flow``, ``float_times`` and :meth:`advance`."""

    def __init__(self, before: Stepper, after: Stepper, t_switch: flint.arb) -> None:
        self.before, self.after, self.t_switch = before, after, t_switch
        self.flow = after.flow
        self.float_times = after.float_times

    def advance(self, y, t0: flint.arb, t1: flint.arb, max_steps: int = 10_000):
        return (self.before if t0 < self.t_switch else self.after).advance(y, t0, t1, max_steps)


def locate_crossing(stepper: Stepper, t0, y0, t1, thr, resolution, quantity=None):
    """A time in ``[t0, t1]`` where ``quantity(flow, θ)`` (default: the loss, which decreases) falls below ``thr``:
    Illinois on its logarithm over the dense output from the stored point ``(t0, y0)``.  Returns ``(t, θ(t))``."""
    from .roots import illinois

    flow = stepper.flow
    lthr = thr.log()
    measure = flow.loss if quantity is None else (lambda yy: quantity(flow, yy))

    def phi(tt):
        yy = stepper.advance(y0, t0, tt) if tt > t0 else y0
        return (measure(yy).log() - lthr).mid(), yy

    return illinois(phi, t0, t1, resolution=resolution * 64)
