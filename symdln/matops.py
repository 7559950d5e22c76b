"""Arithmetic that works alike on SymPy matrices, flint ``fmpq_mat``/``arb_mat`` and NumPy arrays.

The closed-form matrix calculus of :mod:`symdln.symbolic.calculus` is written once over
these few operations, so the same formula yields SymPy expressions (checked against
``sympy.diff``), exact rationals (``fmpq_mat``) and high-precision balls (``arb_mat``).
"""

from __future__ import annotations

import flint
import sympy as sp

__all__ = ["transpose", "frobenius_sq", "to_fmpq_mat", "to_arb_mat", "from_arb_mat"]


def transpose(x):
    """``xᵀ`` for any supported matrix type."""
    t = getattr(x, "T", None)
    if t is not None and not callable(t):
        return t
    return x.transpose()


def frobenius_sq(x):
    """``‖x‖_F² = tr(xᵀx)``."""
    if isinstance(x, sp.MatrixBase):
        return sum(e**2 for e in x)
    if isinstance(x, (flint.arb_mat, flint.fmpq_mat)):
        return (transpose(x) * x).trace()
    return (x * x).sum()


def to_fmpq_mat(M: sp.MatrixBase) -> flint.fmpq_mat:
    """An exact rational SymPy matrix as ``fmpq_mat``."""
    r, c = M.shape
    return flint.fmpq_mat(r, c, [flint.fmpq(int(sp.Rational(x).p), int(sp.Rational(x).q)) for x in M])


def to_arb_mat(M: sp.MatrixBase, bits: int) -> flint.arb_mat:
    """Round an exact SymPy matrix entrywise once into an ``arb_mat`` (call inside ``Precision.flint()``)."""
    from .precision import to_arb

    r, c = M.shape
    return flint.arb_mat(r, c, [to_arb(x, bits) for x in M])


def from_arb_mat(M: flint.arb_mat) -> sp.ImmutableMatrix:
    """Midpoints of an ``arb_mat`` as an exact (binary-rational) SymPy matrix."""
    from .precision import arb_to_fraction

    rows = []
    for i in range(M.nrows()):
        rows.append([sp.Rational(*_pq(arb_to_fraction(M[i, j]))) for j in range(M.ncols())])
    return sp.ImmutableMatrix(rows)


def _pq(q):
    return q.numerator, q.denominator
