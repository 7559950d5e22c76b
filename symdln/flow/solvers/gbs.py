"""Gragg–Bulirsch–Stoer extrapolation in arb arithmetic.

One step of size ``H`` from ``y0``: for ``j = 1 … k`` run Gragg's modified midpoint rule
with ``n_j = 2j`` substeps (``h = H/n_j``)::

    z_0 = y0,  z_1 = z_0 + h f(z_0),  z_{m+1} = z_{m−1} + 2h f(z_m),   T_{j,1} = z_{n_j}

whose error has an expansion in even powers of ``h`` (Gragg 1965), then extrapolate by
Aitken–Neville with exact rational weights::

    T_{j,i+1} = T_{j,i} + (T_{j,i} − T_{j−1,i}) / ((n_j / n_{j−i})² − 1)

``T_{k,k}`` has order ``2k``; ``T_{k,k} − T_{k,k−1}`` estimates the local error of order
``2k − 1`` (Hairer, Nørsett & Wanner, *Solving ODEs I*, §II.9).  Cost: ``1 + k²``
evaluations of ``f`` per step, the first shared with the caller.  All coefficients are
exact, so the method has its nominal order at every precision.
"""

from __future__ import annotations

from fractions import Fraction
from functools import lru_cache

import flint

from .base import Solver

__all__ = ["GBS", "gbs_step", "order_for_tolerance", "evaluations_per_step"]


def order_for_tolerance(rtol: Fraction) -> int:
    """Number of extrapolation stages ``k`` for a relative tolerance (ODEX's rule, ``0.6·log10(1/rtol) + 1.5``)."""
    import math

    digits = math.log10(rtol.denominator) - math.log10(rtol.numerator)
    return max(3, min(40, int(0.6 * digits + 1.5)))


def evaluations_per_step(k: int) -> int:
    """``1 + k²`` (the first evaluation, at ``y0``, shared with the previous step)."""
    return 1 + k * k


@lru_cache(maxsize=64)
def _weights(k: int, prec: int) -> tuple:
    """Aitken–Neville weights ``(j−i)² / (j² − (j−i)²)`` as arb balls at ``prec`` bits, built once per (k, prec)."""
    with flint.ctx.workprec(prec):
        return tuple(
            tuple(flint.arb(flint.fmpq((j - i) ** 2, j * j - (j - i) ** 2)) for i in range(1, j)) for j in range(1, k + 1)
        )


def _axpy(y, a, x):
    return tuple(yi + xi * a for yi, xi in zip(y, x))


def gbs_step(f, y0, f0, H: flint.arb, k: int):
    """One extrapolated step.  Returns ``(y1, err, nfev)`` with ``y1 = T_{k,k}``, ``err = T_{k,k} − T_{k,k−1}``.

    ``f`` maps a state (tuple of ``arb_mat``) to its derivative, ``f0 = f(y0)``.
    """
    rows = []
    nfev = 0
    weights = _weights(k, flint.ctx.prec)
    for j in range(1, k + 1):
        n = 2 * j
        h = H / n
        h2 = h * 2
        z_prev = y0
        z = _axpy(y0, h, f0)
        for _ in range(1, n):
            fz = f(z)
            nfev += 1
            z_prev, z = z, _axpy(z_prev, h2, fz)
        row = [z]
        for i in range(1, j):
            w = weights[j - 1][i - 1]  # 1 / ((j/(j−i))² − 1)
            prev = rows[-1][i - 1]
            cur = row[i - 1]
            row.append(tuple(c + (c - p) * w for c, p in zip(cur, prev)))
        rows.append(row)
    best = rows[-1][-1]
    lower = rows[-1][-2] if k > 1 else rows[-1][-1]
    err = tuple(b - c for b, c in zip(best, lower))
    return best, err, nfev


class GBS(Solver):
    """Explicit Gragg–Bulirsch–Stoer extrapolation (order ``2k``, error estimate of order ``2k − 1``).

    For non-stiff flows: depth 2, diagonal networks, depth ≥ 3 away from long plateaus.
    """

    name = "gbs"

    @property
    def error_order(self) -> int:
        return 2 * self.k - 1

    def step(self, y, f0, H):
        y1, err, n = gbs_step(self.flow.field, y, f0, H, self.k)
        self.nfev += n
        return tuple(W.mid() for W in y1), err
