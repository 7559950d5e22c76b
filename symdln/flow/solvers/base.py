"""The contract every flow solver keeps, as numbered rules (after scipy's ``OdeSolver``).

1. A solver is built once per run from a :class:`~symdln.symbolic.compile.CompiledFlow` and a number of
   extrapolation stages ``k``; it works inside the run's ``Precision.flint()`` scope and never changes a
   global precision.
2. ``step(y, f0, H)`` attempts one step of size ``H`` (an arb) from the state ``y`` (a tuple of ``arb_mat``,
   midpoints) with ``f0 = f(y)`` already evaluated.  It returns ``(y1, err)``: the proposed state and an
   estimate of its local error of the same shape.  It never mutates ``y`` and never accepts or rejects:
   the step controller (:mod:`symdln.flow.control`) does, from ``norm(y1, err) / rtol``.
3. ``error_order`` is the order ``q`` of the error estimate (``err = O(H^{q+1})``); the controller scales
   steps by ``(target / ratio)^{1/(q+1)}``.
4. Work is counted on the solver: ``nfev`` (vector-field evaluations, ``f0`` excluded), ``njev``
   (Jacobians), ``nlu`` (matrix factorizations or inversions).
5. Non-finite values are returned, not raised; the controller rejects them and shrinks the step.
6. A solver may keep state between steps (an adaptive order, a factorization reused for a few steps);
   ``state()`` returns it and ``restore(state)`` puts it back, and ``restore(None)`` is the state of a new
   run, so dense output (which restarts from a stored point) is a pure function of the stored data.
"""

from __future__ import annotations

__all__ = ["Solver"]


class Solver:
    """Base class: the counters of rule 4 and the interface of rules 2–3."""

    name = "base"
    stiff = False

    def __init__(self, flow, k: int) -> None:
        self.flow = flow
        self.k = k
        self.nfev = 0
        self.njev = 0
        self.nlu = 0

    @property
    def error_order(self) -> int:  # pragma: no cover - interface
        raise NotImplementedError

    def step(self, y, f0, H):  # pragma: no cover - interface
        raise NotImplementedError

    def state(self):
        """The solver's state between steps (``None`` for stateless solvers)."""
        return None

    def restore(self, state) -> None:
        """Put back a :meth:`state` (``None``: the state of a new run)."""
