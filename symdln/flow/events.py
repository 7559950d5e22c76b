"""Events of a flow: the times a function of the state crosses zero, located on the dense output.

An :class:`Event` is ``g(flow, θ) -> arb`` with a direction (``−1``: ``g`` falls through 0, ``+1``: rises, ``0``:
both).  :func:`event_times` finds every crossing of a finished run: a sign change of ``g`` between stored steps
is bracketed and located by Illinois' method on the dense output (:mod:`.roots`) to a bracket of
``64·2^{−20}·rtol = 2^{−14}·rtol`` relative (:func:`~.roots.time_resolution`), far inside the run's own error, so an
event time has the run's accuracy; :func:`symdln.flow.verify.verified_flow` verifies it by its second run like
every other number.  Two crossings inside one accepted step are not seen (as in SciPy's
``solve_ivp``): events that can recur quickly should be monotone quantities or be checked on a finer run.

Built-in events: the loss falling below a level, and plateaus — the gradient norm ``‖∇ℒ(θ)‖_F`` falling below
a level (entry) and rising above it (exit).  Both are located on the logarithm of the quantity, which spans
hundreds of decades on deep plateaus.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import flint

from ..errors import OptionError, describe
from ..parse import format_number, positive_number
from .roots import illinois, time_resolution

__all__ = ["Event", "event_times", "plateau_events"]


@dataclass(frozen=True)
class Event:
    """``g(flow, θ)`` crossing zero.

    Attributes
    ----------
    name : str
    function : callable
        ``g(flow, state) -> flint.arb`` (``flow`` a :class:`~symdln.symbolic.compile.CompiledFlow`, ``state`` a
        tuple of ``arb_mat``; called inside the run's precision scope).
    direction : {-1, 0, 1}
        ``−1``: only crossings from ``g > 0`` to ``g < 0``; ``+1``: the reverse; ``0``: both.

    Examples
    --------
    >>> e = Event.loss_below("0.25")
    >>> e.name, e.direction
    ('loss < 0.25', -1)
    """

    name: str
    function: Callable
    direction: int = 0

    def __post_init__(self):
        if not callable(self.function):
            raise OptionError(f"`function` of event {self.name!r} must be callable, got {describe(self.function)}")
        if self.direction not in (-1, 0, 1):
            raise OptionError(f"`direction` must be -1, 0 or 1, got {describe(self.direction)}")

    @classmethod
    def loss_below(cls, level) -> "Event":
        """``log ℒ − log(level)`` falling through 0."""
        q = positive_number(level, name="level")
        return cls(f"loss < {format_number(q)}", _log_ratio(lambda flow, y: flow.loss(y), q), -1)

    @classmethod
    def gradient_below(cls, level) -> "Event":
        """Plateau entry: ``‖∇ℒ‖_F`` falling below ``level``."""
        q = positive_number(level, name="level")
        return cls(f"plateau entry (|grad| < {format_number(q)})", _log_ratio(_grad_norm, q), -1)

    @classmethod
    def gradient_above(cls, level) -> "Event":
        """Plateau exit: ``‖∇ℒ‖_F`` rising above ``level``."""
        q = positive_number(level, name="level")
        return cls(f"plateau exit (|grad| > {format_number(q)})", _log_ratio(_grad_norm, q), 1)


def plateau_events(level) -> tuple[Event, Event]:
    """Entry and exit of every plateau where ``‖∇ℒ‖_F < level``."""
    return Event.gradient_below(level), Event.gradient_above(level)


def _grad_norm(flow, y) -> flint.arb:
    from .norms import frobenius
    from ..symbolic.compile import flatten

    return frobenius(flatten(flow.field(y)))


def _log_ratio(quantity, level):
    def g(flow, y):
        v = quantity(flow, y)
        thr = flint.arb(flint.fmpq(level.numerator, level.denominator))
        if not v > 0:
            return flint.arb(-10**6)  # exactly zero: far below any level
        return (v.log() - thr.log()).mid()

    return g


def event_times(sol, event: Event) -> tuple:
    """Every time ``event`` occurs in the stored run ``sol`` (a :class:`~symdln.flow.solution.FlowSolution`), in
    order, as arb values at the run's precision."""
    if not isinstance(event, Event):
        raise OptionError(f"`event` must be an Event, got {describe(event)}")
    p = sol.precision
    flow = sol.flow
    out = []
    with p.flint():
        resolution = time_resolution(p.bits, p.guard_bits, sol.rtol)
        vals = [event.function(flow, y) for y in sol.states]
        for i in range(1, len(vals)):
            a, b = vals[i - 1], vals[i]
            falling, rising = a > 0 and not b > 0, not a > 0 and b > 0
            if (falling and event.direction <= 0) or (rising and event.direction >= 0):
                t0, y0 = sol.ts[i - 1], sol.states[i - 1]

                def phi(tt, t0=t0, y0=y0):
                    yy = sol.dense.advance(y0, t0, tt) if tt > t0 else y0
                    return event.function(flow, yy), yy

                t, _ = illinois(phi, t0, sol.ts[i], resolution=resolution * 64)
                out.append(t)
    return tuple(out)
