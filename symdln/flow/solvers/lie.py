"""Extrapolated linearly implicit Euler (Deuflhard's EULSIM / Hairer–Wanner's SEULEX), in arb arithmetic.

For stiff flows (depth ≥ 3: after an escape the learned modes relax at rate ≈ L s^{2−2/L} while the next
plateau lasts ~σ^{−(L−2)}, NUMERICS.md).  One step of size ``H`` from ``y0`` with the exact Jacobian
``J = J(y0)`` (:meth:`~symdln.symbolic.compile.CompiledFlow.jacobian`, ``J = −∇²ℒ``): for
``j = 1 … k`` take ``n_j = j`` substeps of ``h = H/n_j``::

    (I − hJ) Δ_m = h f(z_m),   z_{m+1} = z_m + Δ_m,      T_{j,1} = z_{n_j}

then extrapolate in powers of ``h`` (the method has an ``h``-expansion for any fixed ``J``)::

    T_{j,i+1} = T_{j,i} + (T_{j,i} − T_{j−1,i}) / (n_j / n_{j−i} − 1)

``T_{k,k}`` has order ``k``; ``T_{k,k} − T_{k,k−1}`` estimates the local error (order ``k − 1``).  The
stability function of each ``T_{j,1}`` is ``(1 − z/n_j)^{−n_j}``: it vanishes at ``z → −∞``, so steps
are not limited by the fast relaxing modes (the Jacobian of a gradient flow is symmetric: its spectrum
is real).  Cost per step: one Jacobian (``P`` closed-form JVPs), ``k`` inversions of ``P × P`` matrices,
``k(k+1)/2 − 1`` field evaluations (Hairer & Wanner, *Solving ODEs II*, §IV.9).
"""

from __future__ import annotations

from functools import lru_cache

import flint

from ...symbolic.compile import flatten, unflatten
from .base import Solver

__all__ = ["LinearlyImplicitEuler"]


@lru_cache(maxsize=64)
def _weights(k: int, prec: int) -> tuple:
    """``1 / (n_j / n_{j−i} − 1) = (j − i) / i`` for the harmonic sequence ``n_j = j``, exact, at ``prec`` bits."""
    with flint.ctx.workprec(prec):
        return tuple(tuple(flint.arb(flint.fmpq(j - i, i)) for i in range(1, j)) for j in range(1, k + 1))


class LinearlyImplicitEuler(Solver):
    """L-stable at infinity, order ``k``; the Jacobian is reused across rejected attempts from the same point."""

    name = "implicit"
    stiff = True

    def __init__(self, flow, k: int) -> None:
        super().__init__(flow, k)
        self._cache = None  # (y, J)

    @property
    def error_order(self) -> int:
        return self.k - 1

    def _jacobian(self, y):
        if self._cache is not None and self._cache[0] is y:
            return self._cache[1]
        J = self.flow.jacobian(y)
        self.njev += 1
        self._cache = (y, J)
        return J

    def step(self, y, f0, H):
        shapes = [(W.nrows(), W.ncols()) for W in y]
        J = self._jacobian(y)
        P = J.nrows()
        eye = flint.arb_mat(P, P, [1 if i == j else 0 for i in range(P) for j in range(P)])
        y0 = flatten(y)
        g0 = flatten(f0)
        weights = _weights(self.k, flint.ctx.prec)
        rows = []
        for j in range(1, self.k + 1):
            h = H / j
            inv = (eye - J * h).solve(eye, algorithm="approx")  # midpoints only: no error bounds needed
            self.nlu += 1
            z = y0 + inv * (g0 * h)
            for _ in range(1, j):
                fz = flatten(self.flow.field(unflatten(z, shapes)))
                self.nfev += 1
                z = z + inv * (fz * h)
            row = [z]
            for i in range(1, j):
                cur, prev = row[i - 1], rows[-1][i - 1]
                row.append(cur + (cur - prev) * weights[j - 1][i - 1])
            rows.append(row)
        best = rows[-1][-1]
        lower = rows[-1][-2] if self.k > 1 else best
        y1 = unflatten(best, shapes)
        return tuple(W.mid() for W in y1), unflatten(best - lower, shapes)
