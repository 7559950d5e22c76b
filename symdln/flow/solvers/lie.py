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

import math
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

    k_min = 3
    k_max = 13
    target = 0.1  # error ratio aimed at: the stiff modes make the estimate jumpy, so aim low (few rejections)
    reuse = 20  # accepted steps one factorization serves (a rejection renews it)

    def __init__(self, flow, k: int) -> None:
        super().__init__(flow, k)
        self.k0 = self.k = max(self.k_min, min(self.k_max - 1, k))
        self._cache = None  # (y, (Q, Q⁻¹, |Λ|))
        self._age = 0
        self._stale = False

    @property
    def error_order(self) -> int:
        return self.k - 1

    def state(self):
        return (self.k, self._cache, self._age, self._stale)

    def restore(self, state) -> None:
        if state is None:
            self.k, self._cache, self._age, self._stale = self.k0, None, 0, False
        else:
            self.k, self._cache, self._age, self._stale = state

    def _factor(self, y):
        """``(Q, Q⁻¹, |Λ|)`` for ``W = −Q|Λ|Q⁻¹`` at ``y``, kept for rejected attempts from the same point and for
        up to ``reuse`` accepted steps (any fixed ``W`` keeps the extrapolation's order; only stability needs
        ``W ≈ J``, and ``J`` changes slowly on the plateaus where steps are long)."""
        if self._cache is not None and (self._cache[0] is y or self._age < self.reuse) and not self._stale:
            if self._cache[0] is not y:
                self._age += 1
                self._cache = (y, self._cache[1])
            return self._cache[1]
        self._age = 1
        self._stale = False
        J = self.flow.jacobian(y)
        self.njev += 1
        P = J.nrows()
        Jf = np.array([[float(J[i, j].mid()) for j in range(P)] for i in range(P)])
        lam, Qf = np.linalg.eigh((Jf + Jf.T) / 2)
        Q = flint.arb_mat(Qf.tolist())
        eye = flint.arb_mat(P, P, [1 if i == j else 0 for i in range(P) for j in range(P)])
        Qinv = Q.solve(eye, algorithm="approx")  # midpoints only: no error bounds needed
        self.nlu += 1
        # float64 resolves eigenvalues only to ~1e-16·max|λ|: below that they are rounding noise, and a noise
        # eigenvalue of 1e-15 would damp the slow (escape) directions by (1 + 1e-15·H)^{−j} once plateau steps
        # reach H ~ 1e16 — an error floor that stalled deep runs from σ ≤ 1e-20.  There W is 0 (explicit).
        noise = 1e-12 * max(1.0, float(np.max(np.abs(lam))))
        factor = (Q, Qinv, [flint.arb(abs(float(x))) if abs(x) > noise else flint.arb(0) for x in lam])
        self._cache = (y, factor)
        return factor

    def _rows(self, y, f0, H, kmax):
        """Yield the extrapolation tableau row by row (``j = 1 … kmax``) as flat columns."""
        shapes = [(W.nrows(), W.ncols()) for W in y]
        Q, Qinv, absl = self._factor(y)
        P = Q.nrows()
        y0 = flatten(y)
        g0 = flatten(f0)
        weights = _weights(kmax, flint.ctx.prec)
        prev_row = None
        for j in range(1, kmax + 1):
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
                cur, prev = row[i - 1], prev_row[i - 1]
                row.append(cur + (cur - prev) * weights[j - 1][i - 1])
            prev_row = row
            yield j, row, shapes

    def step(self, y, f0, H):
        for j, row, shapes in self._rows(y, f0, H, self.k):
            pass
        best, lower = row[-1], (row[-2] if self.k > 1 else row[-1])
        return tuple(W.mid() for W in unflatten(best, shapes)), unflatten(best - lower, shapes)

    def adaptive_step(self, y, f0, H, measure):
        """One step with order control (after Hairer & Wanner's SEULEX strategy).

        With the target ``k``: build the tableau to ``k`` stages and measure ``T_{kk} − T_{k,k−1}`` and
        ``T_{k−1,k−1} − T_{k−1,k−2}`` by ``measure(y1, err) -> err/rtol``; accept at ``k`` if its ratio is ≤ 1,
        otherwise try ``k + 1``.  Work per unit time ``W_j / H_j`` (``W_j = j(j+1)/2 + 2`` field evaluations,
        ``H_j = H·0.94·(target/ratio_j)^{1/j}``, target 0.1) decides the next ``k``: one lower when cheaper, one higher when
        order ``k`` beat ``k − 1`` clearly.  When a higher stage's estimate is *larger* than a lower one's, the
        extrapolation of the damped stiff modes is unstable at that step: the lower stage is used and the order
        drops.  Stiff plateaus settle at few stages and long steps, escapes at more.
        Returns ``(y1, ratio, factor)``.
        """
        kt = self.k
        ratios, facs, outs = {}, {}, {}

        def work(j):
            return j * (j + 1) / 2 + 2

        for j, row, shapes in self._rows(y, f0, H, min(self.k_max, kt + 1)):
            if j < kt - 1:
                continue
            y1 = tuple(W.mid() for W in unflatten(row[-1], shapes))
            r = measure(y1, unflatten(row[-1] - row[-2], shapes))
            ratios[j], outs[j] = r, y1
            facs[j] = 4.0 if r == 0 else (0.2 if not math.isfinite(r) else min(4.0, max(0.2, 0.94 * (self.target / r) ** (1.0 / j))))
            if j == kt and r <= 1:
                break
        ok = [j for j in sorted(ratios) if ratios[j] <= 1]
        if kt in ok:
            use = kt
        elif kt + 1 in ok:
            use = kt + 1
        elif ok:  # a higher stage diverged where a lower one converged: the extrapolation is unstable here
            use = ok[0]
        else:
            use = min(ratios, key=lambda j: (ratios[j], j))
        r = ratios[use]
        cost = {j: work(j) / facs[j] for j in facs}
        nxt = use
        higher_worse = any(ratios[j] > ratios[use] for j in ratios if j > use)
        if higher_worse or (use - 1 in cost and cost[use - 1] < 0.8 * cost[use]):
            nxt = use - 1 if higher_worse or use - 1 in cost else use
        elif use - 1 in cost and cost[use] < 0.9 * cost[use - 1]:
            nxt = use + 1
        self.k = max(self.k_min, min(self.k_max - 1, nxt))
        fac = facs[use] if nxt <= use else facs[use] * work(use + 1) / work(use)
        fac = min(4.0, fac)
        if r > 1 and self._age > 1:
            self._stale = True  # rejected with a factorization from an earlier point: renew it at this one
        return outs[use], r, (fac if r <= 1 else min(fac, 0.9))
