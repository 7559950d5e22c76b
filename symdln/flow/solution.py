"""The record an integration returns: :class:`FlowSolution`, its :class:`Status` and :class:`FlowStats`."""

from __future__ import annotations

import bisect
import enum
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import flint
import numpy as np

from ..errors import FlowError, describe
from ..precision import Precision, to_arb

__all__ = ["Status", "FlowStats", "FlowSolution"]


class Status(enum.Enum):
    """How an integration ended; each member's value is its message."""

    SUCCESS = "The integration reached `t_end`."
    EVENT = "A terminal event occurred: the loss fell below `loss_below`."
    MAX_STEPS = "The maximum number of solver steps was reached. Try increasing `max_steps`."
    STEP_UNDERFLOW = (
        "The step size fell below what time can resolve at this precision, or the error "
        "estimate is dominated by rounding. Try more `digits` or a looser `rtol`."
    )
    NONFINITE = "The state or its error estimate became non-finite. Try a smaller `first_step`."
    MAX_TIME = "The wall-clock limit `max_time` was reached; the solution holds every step completed so far."
    CONVERGED = "The gradient norm fell below `grad_below`: the run stopped at its minimum."
    INTERRUPTED = "The integration was interrupted; the solution holds every step completed so far."

    @property
    def ok(self) -> bool:
        return self in (Status.SUCCESS, Status.EVENT, Status.CONVERGED)


@dataclass(frozen=True)
class FlowStats:
    """Work done: accepted and rejected steps, vector-field evaluations, extrapolation stages, digits,
    the solver, Jacobians and matrix inversions.  ``solver`` and ``stages`` are those at the end of the run;
    ``switch_step`` is the index of the accepted point (in ``ts``) from which a GBS run found itself stiff and went
    on with Radau IIA (:mod:`symdln.flow.stiffness`), ``None`` when it did not."""

    steps: int
    rejected_steps: int
    nfev: int
    stages: int
    digits: int
    seconds: float
    solver: str = "gbs"
    njev: int = 0
    nlu: int = 0
    switch_step: int | None = None
    strict: bool = False  # Radau IIA's estimate held to rtol (no RADAU5 relaxation): the run's dense output too
    rest_step: int | None = None  # from ts[rest_step] on the run is at rest (symdln.flow.rest): θ(t) = states[rest_step]

    def as_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass(frozen=True)
class FlowSolution:
    """A gradient-flow trajectory ``θ(t)`` with dense output.

    Attributes
    ----------
    ts : tuple of flint.arb
        Accepted step times (``ts[0] = t0``); real time ``t`` of ``θ' = −∇ℒ(θ)``.
    states : tuple of state
        ``θ(ts[i])`` as tuples of ``arb_mat`` (midpoints) at :attr:`precision`.
    losses : tuple of flint.arb
        ``ℒ(θ(ts[i]))``.
    status : Status
    stats : FlowStats
    precision : Precision
    rtol : Fraction
        Relative local accuracy asked for, per singular direction (see :mod:`symdln.flow.norms`).
    scale : Fraction
        Size of the initialization (``σ`` or ``α``); accelerated times divide by ``log(1/scale)``.
    seed : int or None
        Seed of the initialization, when known.
    t_event : flint.arb or None
        Time of the terminal event, when one occurred (then ``ts[-1] == t_event``).
    coordinates : {"primal", "mirror"}
        The states' coordinates: the parameters, or the dual ``(r,)`` of a diagonal network (``alpha2 = α²``).
    """

    model: Any
    ts: tuple
    states: tuple
    losses: tuple
    status: Status
    stats: FlowStats
    precision: Precision
    rtol: Fraction
    scale: Fraction
    seed: int | None = None
    t_event: Any = None
    floor: Fraction | None = None
    init: dict | None = None
    coordinates: str = "primal"
    alpha2: Fraction | None = None
    _dense: Any = field(default=None, repr=False, compare=False)

    # -- travelling: pickle and JSON carry exact decimal strings, never arb objects or the stepper --
    def __reduce__(self):
        from .store import solution_from_dict, solution_to_dict

        return (solution_from_dict, (solution_to_dict(self),))

    def save(self, path):
        """Write the solution to ``path`` as JSON (:mod:`symdln.flow.store`); :func:`symdln.load_solution` reads it."""
        from .store import save_solution

        return save_solution(self, path)

    @property
    def dense(self):
        """The stepper serving the dense output (rebuilt from the recorded plan after loading)."""
        if self._dense is None:
            from .integrate import make_stepper, stages_for

            def build(solver, stages):
                return make_stepper(self.model, self.precision, solver, stages, self.rtol, self.floor or self.scale / 1024,
                                    self.coordinates, self.alpha2, scale=self.scale, strict=self.stats.strict)

            dense = build(self.stats.solver, self.stats.stages)
            if self.stats.switch_step is not None:  # GBS before the switch (module stiffness), Radau after
                from .control import SwitchedDense

                dense = SwitchedDense(build("gbs", stages_for("gbs", self.rtol)), dense, self.ts[self.stats.switch_step])
            object.__setattr__(self, "_dense", dense)
        return self._dense

    @property
    def message(self) -> str:
        return self.status.value

    @property
    def success(self) -> bool:
        return self.status.ok

    @property
    def flow(self):
        """The :class:`~symdln.symbolic.compile.CompiledFlow` of the run (loss, end-to-end map, field at its precision)."""
        return self.dense.flow

    @property
    def t_final(self) -> flint.arb:
        return self.ts[-1]

    # -- float views for plots and tables -------------------------------------------------------
    def times(self) -> np.ndarray:
        """Step times as float64 (for plotting only)."""
        return np.array([float(t.mid()) for t in self.ts])

    def loss_values(self) -> np.ndarray:
        """Losses at the step times as float64 (for plotting only; tiny values may underflow to 0)."""
        return np.array([float(x.mid()) for x in self.losses])

    # -- dense output ---------------------------------------------------------------------------
    def evaluate(self, t) -> tuple:
        """``θ(t)`` for ``ts[0] ≤ t ≤ ts[-1]``, by an extrapolated step from the last stored point.

        ``t`` is an exact number, a decimal string or an arb.  The local step is no longer than
        the accepted step it lies in and is error-controlled like it, so the value has the
        solution's accuracy.
        """
        with self.precision.flint():
            tt = self._time(t)
            i = self._index(tt)
            if tt == self.ts[i]:
                return self.states[i]
            rest = self.stats.rest_step
            if rest is not None and i >= rest:  # at rest (symdln.flow.rest): the state of ts[rest] to 1e-3·rtol
                return self.states[rest]
            return self.dense.advance(self.states[i], self.ts[i], tt)

    def loss(self, t) -> flint.arb:
        """``ℒ(θ(t))``."""
        y = self.evaluate(t)
        with self.precision.flint():
            return self.dense.flow.loss(y)

    def end_to_end(self, t) -> flint.arb_mat:
        """``A_θ(t)`` (or ``β(t)`` for a diagonal network)."""
        y = self.evaluate(t)
        with self.precision.flint():
            return self.dense.flow.end_to_end(y)

    def _time(self, t) -> flint.arb:
        if isinstance(t, float):
            raise FlowError(f"`t` = {describe(t)} is a binary float; pass an exact number or a decimal string")
        tt = t if isinstance(t, flint.arb) else to_arb(t, self.precision.bits)
        lo, hi = self.ts[0], self.ts[-1]
        if tt < lo or tt > hi:
            raise FlowError(
                f"`t` = {tt.mid().str(12, radius=False)} lies outside the solution's range "
                f"[{lo.mid().str(12, radius=False)}, {hi.mid().str(12, radius=False)}]"
            )
        return tt

    def _index(self, tt: flint.arb) -> int:
        floats = [float(t.mid()) for t in self.ts] if self._dense is None else self.dense.float_times
        i = max(0, bisect.bisect_right(floats, float(tt.mid())) - 1)
        while i > 0 and self.ts[i] > tt:
            i -= 1
        while i + 1 < len(self.ts) and self.ts[i + 1] <= tt:
            i += 1
        return i
