"""Gragg–Bulirsch–Stoer extrapolation in arb arithmetic.

One step of size ``H`` from ``y0``: for ``j = 1 … k`` run Gragg's modified midpoint rule
with ``n_j = 2j`` substeps (``h = H/n_j``)::

    z_0 = y0,  z_1 = z_0 + h f(z_0),  z_{m+1} = z_{m−1} + 2h f(z_m),   T_{j,1} = z_{n_j}

whose error has an expansion in even powers of ``h`` (Gragg 1965), then extrapolate by
Aitken–Neville with exact rational weights::

    T_{j,i+1} = T_{j,i} + (T_{j,i} − T_{j−1,i}) / ((n_j / n_{j−i})² − 1)

(evaluated as the equivalent linear combination of the ``T_{j,1}``, :func:`_combination`)

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
def _combination(k: int, prec: int) -> tuple:
    """``(γ, δ)``: ``T_{k,k} = Σ_j γ_j T_{j,1}`` and ``T_{k,k} − T_{k,k−1} = Σ_j δ_j T_{j,1}`` as arb balls at ``prec``
    bits, from the exact rationals (below), built once per ``(k, prec)``.

    The Aitken–Neville tableau is linear in its first column: ``T_{k,k}`` is the value at ``h = 0`` of the polynomial in
    ``h²`` through ``(h_j², T_{j,1})``, ``h_j = H/n_j``, so ``γ_j = Π_{i≠j} x_i / (x_i − x_j)`` with ``x_j = 1/n_j²``
    (Lagrange weights at 0), and ``T_{k,k−1}`` uses the nodes ``j = 2 … k``.  ``2k`` products per layer instead of the
    tableau's ``3k(k−1)/2``; the same linear functional, so the same amplification of the stages' rounding errors.
    """
    x = [Fraction(1, (2 * j) ** 2) for j in range(1, k + 1)]

    def lagrange(nodes):
        out = {}
        for j in nodes:
            w = Fraction(1)
            for i in nodes:
                if i != j:
                    w *= x[i] / (x[i] - x[j])
            out[j] = w
        return out

    g = lagrange(range(k))
    lower = lagrange(range(1, k)) if k > 1 else g
    d = [g[j] - lower.get(j, 0) for j in range(k)]
    with flint.ctx.workprec(prec):
        return (tuple(flint.arb(flint.fmpq(g[j].numerator, g[j].denominator)) for j in range(k)),
                tuple(flint.arb(flint.fmpq(q.numerator, q.denominator)) for q in d))


@lru_cache(maxsize=64)
def _estimate_weight(k: int) -> float:
    g, d = _combination(k, 64)
    return float(sum(abs(x) for x in d).mid())


def _axpy(y, a, x):
    return tuple(yi + xi * a for yi, xi in zip(y, x))


def _combine(rows, weights):
    """``Σ_j weights_j · rows_j`` layer by layer."""
    acc = tuple(W * weights[0] for W in rows[0])
    for z, w in zip(rows[1:], weights[1:]):
        acc = _axpy(acc, w, z)
    return acc


def gbs_step(f, y0, f0, H: flint.arb, k: int, scalable: bool = False):
    """One extrapolated step.  Returns ``(y1, err, nfev)`` with ``y1 = T_{k,k}``, ``err = T_{k,k} − T_{k,k−1}``.

    ``f`` maps a state (tuple of ``arb_mat``) to its derivative, ``f0 = f(y0)``; with ``scalable``, ``f(z, c)`` returns
    ``c · f(z)`` (a compiled flow's field: cheaper than scaling every layer of ``f(z)``).
    """
    stages = []
    nfev = 0
    gamma, delta = _combination(k, flint.ctx.prec)
    for j in range(1, k + 1):
        n = 2 * j
        h = H / n
        h2 = h * 2
        z_prev = y0
        z = _axpy(y0, h, f0)
        for _ in range(1, n):
            nfev += 1
            if scalable:
                z_prev, z = z, tuple(a + b for a, b in zip(z_prev, f(z, h2)))
            else:
                z_prev, z = z, _axpy(z_prev, h2, f(z))
        stages.append(z)
    return _combine(stages, gamma), _combine(stages, delta), nfev


class GBS(Solver):
    """Explicit Gragg–Bulirsch–Stoer extrapolation (order ``2k``, error estimate of order ``2k − 1``).

    For non-stiff flows: depth 2, diagonal networks, depth ≥ 3 away from long plateaus.
    """

    name = "gbs"

    @property
    def error_order(self) -> int:
        return 2 * self.k - 1

    def estimate_weight(self) -> float:
        """``Σ|δ_j|``: the error estimate ``Σ δ_j T_{j,1}`` (:func:`_combination`) carries this many roundings of the
        state; it grows as ``10^{0.33k}`` (1e13 at ``k = 39``, the order for rtol = 1e-63)."""
        return _estimate_weight(self.k)

    def step(self, y, f0, H):
        y1, err, n = gbs_step(self.flow.field, y, f0, H, self.k, scalable=True)
        self.nfev += n
        return tuple(W.mid() for W in y1), err
