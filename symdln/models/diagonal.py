"""Diagonal linear networks (MATH §1.2, Pesme & Flammarion 2023).

``β = u ⊙ v``, ``L(β) = (1/2n)‖Xβ − y‖²`` with ``X ∈ ℚ^{n×d}``; the training loss is
``F(u, v) = L(u ⊙ v)``, whose gradient flow is ``u' = −v ⊙ ∇L(β)``, ``v' = −u ⊙ ∇L(β)``
with ``∇L(β) = Xᵀ(Xβ − y)/n``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import sympy as sp

from ..errors import ModelError
from ..parse import check_magnitudes, exact_matrix, exact_vector

__all__ = ["DiagonalLinearModel", "diagonal_linear"]


@dataclass(frozen=True)
class DiagonalLinearModel:
    """A diagonal linear network ``β = u ⊙ v`` fitted by least squares; build with :func:`diagonal_linear`."""

    X: sp.ImmutableMatrix
    y: sp.ImmutableMatrix

    @property
    def n_samples(self) -> int:
        return self.X.shape[0]

    @property
    def dim(self) -> int:
        return self.X.shape[1]

    @property
    def shapes(self) -> tuple[tuple[int, int], ...]:
        """State layout: ``u`` and ``v`` as ``d × 1`` columns."""
        return ((self.dim, 1), (self.dim, 1))

    @cached_property
    def float64(self) -> tuple[np.ndarray, np.ndarray]:
        """``(X, y)`` as read-only float64 arrays, each entry the correctly rounded value of the exact one (computed
        once per model: float-mode algorithms on large designs); ``X`` in column-major order (those algorithms
        gather columns and multiply by ``Xᵀ``)."""

        def conv(M):
            a = np.array([[int(x.numerator) / int(x.denominator) for x in row] for row in M.to_DM().to_list()],
                         dtype=float, order="F")
            a.flags.writeable = False
            return a

        return conv(self.X), conv(self.y).ravel()

    @cached_property
    def float64_ranges(self) -> tuple[tuple, tuple]:
        """``((min, max), (min, max))``: the smallest and largest absolute nonzero entries of :attr:`float64`'s
        ``X`` and ``y`` (``(None, None)`` when all are zero), computed once per model."""
        out = []
        for a in self.float64:
            nz = np.abs(a[a != 0])
            out.append((float(nz.min()), float(nz.max())) if len(nz) else (None, None))
        return tuple(out)

    def gradient_beta(self, beta: sp.MatrixBase) -> sp.ImmutableMatrix:
        """``∇L(β) = Xᵀ(Xβ − y)/n`` (exact)."""
        return sp.ImmutableMatrix(self.X.T * (self.X * beta - self.y) / self.n_samples)

    def loss_beta(self, beta: sp.MatrixBase) -> sp.Expr:
        """``L(β) = (1/2n)‖Xβ − y‖²`` (exact)."""
        r = self.X * beta - self.y
        return sum(x**2 for x in r) / (2 * self.n_samples)

    def describe(self) -> dict:
        return {
            "kind": "diagonal_linear",
            "X": [[str(x) for x in row] for row in self.X.tolist()],
            "y": [str(x) for x in self.y],
        }


def diagonal_linear(X, y) -> DiagonalLinearModel:
    """Build the diagonal network ``β = u ⊙ v`` with ``L(β) = (1/2n)‖Xβ − y‖²`` (MATH §1.2).

    Parameters
    ----------
    X : 2-D exact array or ``"a,b;c,d"`` text, shape ``(n, d)``
    y : exact vector or ``"1,0"`` text, length ``n``

    Examples
    --------
    >>> m = diagonal_linear("1,1/2;1/2,1", "1,0")
    >>> m.dim, m.n_samples
    (2, 2)
    """
    Xm = exact_matrix(X, name="X")
    yv = exact_vector(y, name="y")
    check_magnitudes(Xm, name="X")
    check_magnitudes(yv, name="y")
    if len(yv) != Xm.shape[0]:
        raise ModelError(f"`y` has {len(yv)} entries but `X` has {Xm.shape[0]} rows (samples); they must match")
    ym = sp.ImmutableMatrix([[sp.Rational(q.numerator, q.denominator)] for q in yv])
    return DiagonalLinearModel(Xm, ym)
