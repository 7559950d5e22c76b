"""Extrapolated linearly implicit Euler (Deuflhard's EULSIM / Hairer–Wanner's SEULEX), in arb arithmetic.

For stiff flows (depth ≥ 3: after an escape the learned modes relax at rate ≈ L s^{2−2/L} while the next
plateau lasts ~σ^{−(L−2)}, NUMERICS.md).  One step of size ``H`` from ``y0`` with a fixed matrix ``W``: for
``j = 1 … k`` take ``n_j = j`` substeps of ``h = H/n_j``::

    (I − hW) Δ_m = h f(z_m),   z_{m+1} = z_m + Δ_m,      T_{j,1} = z_{n_j}

then extrapolate in powers of ``h`` (the method has an ``h``-expansion for any fixed ``W``)::

    T_{j,i+1} = T_{j,i} + (T_{j,i} − T_{j−1,i}) / (n_j / n_{j−i} − 1)

``T_{k,k}`` has order ``k``; ``T_{k,k} − T_{k,k−1}`` estimates the local error (order ``k − 1``).

**The matrix.**  The Jacobian of a gradient flow, ``J = −∇²ℒ``, is symmetric with real spectrum; at a saddle
it has positive eigenvalues, and with ``W = J`` the stability function ``(1 − z/n_j)^{−n_j}`` of each
``T_{j,1}`` has poles at ``z = hλ = n_j``: slow growth rates ``λ`` of the escaping modes (all scales down to
``σ^{L−2}``) put some ``hλ`` near a pole at every step size and cap the steps on long plateaus.  So ``W`` is
``−|J|``: with the float64 eigendecomposition ``J ≈ QΛQᵀ``, ``W = −Q|Λ|Q⁻¹`` with ``Q⁻¹`` the exact inverse
(at working precision) of the rounded ``Q`` — a fixed matrix, so the extrapolation keeps its order — whose
``(I − hW)⁻¹ = Q (I + h|Λ|)⁻¹ Q⁻¹`` has no pole for ``h > 0``.  Its stability function is ``(1 + |z|/n_j)^{−n_j}``
in every eigendirection: the fast relaxing modes and the unstable directions the flow does not excite
(balancedness is conserved) are damped at any step size; the physical slow growth is resolved by the
extrapolation and the error control.  Cost per step: one Jacobian (``P`` closed-form JVPs), one float64
``eigh`` and one ``P × P`` inversion, ``k(k+1)/2 − 1`` field evaluations and two matrix–vector products per
substep (Hairer & Wanner, *Solving ODEs II*, §IV.9).
"""

from __future__ import annotations

from functools import lru_cache

import flint
import numpy as np

from ...symbolic.compile import flatten, unflatten
from .base import Solver

__all__ = ["LinearlyImplicitEuler"]


@lru_cache(maxsize=64)
def _weights(k: int, prec: int) -> tuple:
    """``1 / (n_j / n_{j−i} − 1) = (j − i) / i`` for the harmonic sequence ``n_j = j``, exact, at ``prec`` bits."""
    with flint.ctx.workprec(prec):
        return tuple(tuple(flint.arb(flint.fmpq(j - i, i)) for i in range(1, j)) for j in range(1, k + 1))


class LinearlyImplicitEuler(Solver):
    """Order ``k``, damping at infinity, no pole for ``h > 0``; the factorization is reused across rejected attempts."""

    name = "implicit"
    stiff = True

    def __init__(self, flow, k: int) -> None:
        super().__init__(flow, k)
        self._cache = None  # (y, (Q, Q⁻¹, |Λ|))

    @property
    def error_order(self) -> int:
        return self.k - 1

    def _factor(self, y):
        """``(Q, Q⁻¹, |Λ|)`` for ``W = −Q|Λ|Q⁻¹`` at ``y`` (cached for rejected attempts from the same point)."""
        if self._cache is not None and self._cache[0] is y:
            return self._cache[1]
        J = self.flow.jacobian(y)
        self.njev += 1
        P = J.nrows()
        Jf = np.array([[float(J[i, j].mid()) for j in range(P)] for i in range(P)])
        lam, Qf = np.linalg.eigh((Jf + Jf.T) / 2)
        Q = flint.arb_mat(Qf.tolist())
        eye = flint.arb_mat(P, P, [1 if i == j else 0 for i in range(P) for j in range(P)])
        Qinv = Q.solve(eye, algorithm="approx")  # midpoints only: no error bounds needed
        self.nlu += 1
        factor = (Q, Qinv, [flint.arb(abs(float(x))) for x in lam])
        self._cache = (y, factor)
        return factor

    def step(self, y, f0, H):
        shapes = [(W.nrows(), W.ncols()) for W in y]
        Q, Qinv, absl = self._factor(y)
        P = Q.nrows()
        y0 = flatten(y)
        g0 = flatten(f0)
        weights = _weights(self.k, flint.ctx.prec)
        rows = []
        for j in range(1, self.k + 1):
            h = H / j
            scale = [1 / (1 + h * a) for a in absl]

            def solve(v):
                c = Qinv * v
                return Q * flint.arb_mat(P, 1, [c[i, 0] * scale[i] for i in range(P)])

            z = y0 + solve(g0 * h)
            for _ in range(1, j):
                fz = flatten(self.flow.field(unflatten(z, shapes)))
                self.nfev += 1
                z = z + solve(fz * h)
            row = [z]
            for i in range(1, j):
                cur, prev = row[i - 1], rows[-1][i - 1]
                row.append(cur + (cur - prev) * weights[j - 1][i - 1])
            rows.append(row)
        best = rows[-1][-1]
        lower = rows[-1][-2] if self.k > 1 else best
        y1 = unflatten(best, shapes)
        return tuple(W.mid() for W in y1), unflatten(best - lower, shapes)
