"""Exact teacher targets: ``M = U diag(s) Vᵀ`` with rational orthogonal ``U``, ``V``.

Rational orthogonal matrices come from the Cayley transform
``Q = (I − K)(I + K)⁻¹`` of a skew-symmetric rational ``K`` (``I + K`` is always
invertible since the eigenvalues of ``K`` are imaginary), so the singular
value decomposition of the target is known exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
import numpy as np
import sympy as sp

from ..errors import ModelError, describe
from ..parse import exact_number

__all__ = ["ExactSVD", "cayley_orthogonal", "teacher_from_spectrum", "rational_svd"]


@dataclass(frozen=True)
class ExactSVD:
    """An exact singular value decomposition ``M = U diag(s) Vᵀ`` (``U``, ``V`` square orthogonal).

    ``s`` is non-increasing and has ``min(n_out, n_in)`` entries; the pairs
    ``(U[:, i], V[:, i])`` for ``i < len(s)`` are the singular pairs.
    """

    U: sp.ImmutableMatrix
    s: tuple[sp.Rational, ...]
    V: sp.ImmutableMatrix

    def matrix(self) -> sp.ImmutableMatrix:
        """``U diag(s) Vᵀ`` as an exact matrix."""
        m, n = self.U.shape[0], self.V.shape[0]
        S = sp.zeros(m, n)
        for i, x in enumerate(self.s):
            S[i, i] = x
        return sp.ImmutableMatrix(self.U * S * self.V.T)


def cayley_orthogonal(n: int, seed: int | None, *, stream: int = 0) -> sp.ImmutableMatrix:
    """A seeded rational orthogonal ``n × n`` matrix ``(I − K)(I + K)⁻¹``.

    ``K`` is skew-symmetric with entries ``k/4``, ``k`` uniform in ``{−4, …, 4}``, drawn from
    ``numpy.random.default_rng([seed, stream])``.  ``seed=None`` gives the identity.

    >>> Q = cayley_orthogonal(3, 0)
    >>> Q.T * Q == sp.eye(3)
    True
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ModelError(f"`n` must be a positive int, got {describe(n)}")
    if seed is None:
        return sp.ImmutableMatrix(sp.eye(n))
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ModelError(f"`rotation_seed` must be a non-negative int or None, got {describe(seed)}")
    rng = np.random.default_rng([int(seed), int(stream)])
    K = sp.zeros(n, n)
    for i in range(n):
        for j in range(i + 1, n):
            k = sp.Rational(int(rng.integers(-4, 5)), 4)
            K[i, j], K[j, i] = k, -k
    eye = sp.eye(n)
    return sp.ImmutableMatrix((eye - K) * (eye + K).inv())


def teacher_from_spectrum(
    spectrum, shape: tuple[int, int], *, rotation_seed: int | None = 0
) -> ExactSVD:
    """Build ``M = U diag(s) Vᵀ`` of shape ``(n_out, n_in)`` with exact rotations.

    Parameters
    ----------
    spectrum : sequence of exact numbers
        Singular values, nonnegative and in decreasing order, the first positive (equal values allowed: the critical
        families are then orbits, see :mod:`symdln.symbolic.pivots`); fewer than ``min(shape)`` values are padded with
        zeros, and trailing zeros given explicitly are the same (a rank-deficient target).
    shape : (n_out, n_in)
    rotation_seed : int or None
        Seed of the Cayley rotations; ``None`` gives a diagonal target.
    """
    values = [exact_number(x, name=f"spectrum[{i}]") for i, x in enumerate(spectrum)]
    n_out, n_in = shape
    r = min(n_out, n_in)
    if not values:
        raise ModelError("`spectrum` is empty; give at least one singular value")
    if len(values) > r:
        raise ModelError(
            f"`spectrum` has {len(values)} values but the target is {n_out}×{n_in} (at most {r})"
        )
    if any(v < 0 for v in values) or not values[0] > 0:
        raise ModelError(f"`spectrum` must be nonnegative with a positive first value (a rank-deficient target ends "
                         f"in zeros), got {[str(v) for v in values]}")
    if any(a < b for a, b in zip(values, values[1:])):
        raise ModelError(
            f"`spectrum` must be in decreasing order (equal values allowed), got {[str(v) for v in values]}"
        )
    s = tuple(sp.Rational(v.numerator, v.denominator) for v in values) + (sp.Integer(0),) * (r - len(values))
    U = cayley_orthogonal(n_out, rotation_seed, stream=1)
    V = cayley_orthogonal(n_in, rotation_seed, stream=2)
    return ExactSVD(U, s, V)


def rational_svd(M: sp.MatrixBase) -> ExactSVD | None:
    """The exact SVD of ``M`` when it is rational (rational singular values and singular vectors), else ``None``.

    Diagonal targets and targets built from Cayley rotations qualify.  A repeated singular value needs an
    orthonormal rational basis of its right singular space: the eigenvectors of ``MᵀM`` are orthogonalized exactly
    (Gram–Schmidt over ℚ), and each must then have a rational norm.

    >>> rational_svd(sp.Matrix([[0, 2], [3, 0]])).s
    (3, 2)
    >>> rational_svd(sp.Matrix([[2, 0], [0, 2]])).s
    (2, 2)
    >>> rational_svd(sp.Matrix([[1, 1], [0, 1]])) is None
    True
    """
    M = sp.Matrix(M)
    m, n = M.shape
    r = min(m, n)
    vecs = (M.T * M).eigenvects()
    pairs = []
    for val, mult, basis in vecs:
        if val == 0:
            continue
        root = sp.sqrt(val)
        if not root.is_Rational:
            return None
        ortho = []
        for b in basis:  # exact Gram–Schmidt inside the eigenspace
            w = sp.Matrix(b)
            for q in ortho:
                w = w - q * (q.dot(w) / q.dot(q))
            ortho.append(w)
        for v in ortho:
            norm = sp.sqrt(v.dot(v))
            if not norm.is_Rational:
                return None
            v = v / norm
            pairs.append((root, M * v / root, v))
    pairs.sort(key=lambda t: t[0], reverse=True)
    k = len(pairs)
    U = _complete([p[1] for p in pairs], m)
    V = _complete([p[2] for p in pairs], n)
    if U is None or V is None:
        return None
    s = tuple(p[0] for p in pairs) + (sp.Integer(0),) * (r - k)
    svd = ExactSVD(sp.ImmutableMatrix(U), s, sp.ImmutableMatrix(V))
    return svd if svd.matrix() == M else None


def _complete(columns, n):
    """Complete orthonormal rational columns to a rational orthogonal n × n matrix (standard basis, Gram–Schmidt), or None."""
    cols = [sp.Matrix(c) for c in columns]
    for e in range(n):
        if len(cols) == n:
            break
        w = sp.eye(n)[:, e]
        for c in cols:
            w = w - (c.T * w)[0] * c
        if w.is_zero_matrix:
            continue
        norm = sp.sqrt(sum(x**2 for x in w))
        if not norm.is_Rational:
            return None
        cols.append(w / norm)
    return sp.Matrix.hstack(*cols) if cols else sp.zeros(n, 0)
