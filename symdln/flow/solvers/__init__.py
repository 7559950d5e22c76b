"""Flow solvers behind one contract (:mod:`.base`): explicit extrapolation and linearly implicit extrapolation."""

from __future__ import annotations

from .base import Solver
from .gbs import GBS
from .lie import LinearlyImplicitEuler
from .radau import RadauIIA

__all__ = ["Solver", "GBS", "LinearlyImplicitEuler", "RadauIIA", "SOLVERS"]

#: Solvers by name (the ``solver=`` option of :func:`symdln.flow.integrate_flow`).
SOLVERS = {"gbs": GBS, "implicit": LinearlyImplicitEuler, "radau": RadauIIA}
