"""Exact inertia of a symmetric rational matrix (Sylvester's law of inertia).

A symmetric ``H`` is reduced by congruence to a block-diagonal ``D`` (``H = P L D Lᵀ Pᵀ``)
in exact rational arithmetic: a nonzero diagonal entry is a 1×1 pivot; when every
remaining diagonal entry is zero but an off-diagonal ``h_ij`` is not, the 2×2 pivot
``[[0, h_ij], [h_ij, 0]]`` has one negative and one positive eigenvalue.  Each pivot's
Schur complement is congruent to what remains, so by Sylvester's law the counts of
negative, zero and positive eigenvalues of ``H`` are those of the pivots plus the zero
block left at the end.  No eigenvalue is ever computed or thresholded.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import flint
import sympy as sp

from ..errors import ModelError

__all__ = ["Inertia", "inertia", "nullspace", "field_nullspace", "symmetric_range_split", "to_fmpq_rows"]


@dataclass(frozen=True)
class Inertia:
    """``(negative, zero, positive)`` eigenvalue counts of a symmetric matrix."""

    negative: int
    zero: int
    positive: int

    def as_tuple(self) -> tuple[int, int, int]:
        return (self.negative, self.zero, self.positive)

    def __str__(self) -> str:
        return f"({self.negative}, {self.zero}, {self.positive})"


def to_fmpq_rows(H) -> list[list[flint.fmpq]]:
    """A square matrix (SymPy, ``fmpq_mat``, nested lists of exact numbers) as rows of ``fmpq``."""
    if isinstance(H, flint.fmpq_mat):
        n = H.nrows()
        return [[H[i, j] for j in range(n)] for i in range(n)]
    rows = H.tolist() if isinstance(H, sp.MatrixBase) else [list(r) for r in H]
    out = []
    for r in rows:
        row = []
        for x in r:
            if isinstance(x, flint.fmpq):
                row.append(x)
            elif isinstance(x, flint.fmpz):
                row.append(flint.fmpq(x))
            elif isinstance(x, int):
                row.append(flint.fmpq(x))
            elif isinstance(x, Fraction):
                row.append(flint.fmpq(x.numerator, x.denominator))
            elif isinstance(x, sp.Basic) and x.is_Rational:
                row.append(flint.fmpq(int(x.p), int(x.q)))
            else:
                raise ModelError(f"exact inertia needs rational entries, got {x!r} ({type(x).__name__})")
        out.append(row)
    if any(len(r) != len(out) for r in out):
        raise ModelError("exact inertia needs a square matrix")
    return out


# a prime below 2⁶² for flint's nmod arithmetic: the pivot columns modulo it are a guess that is then checked exactly
_SPLIT_PRIME = 4611686018427387847


def symmetric_range_split(M: flint.fmpq_mat) -> tuple[list[int], flint.fmpq_mat] | None:
    """``(J, X)`` with ``M = M[:, J] · X`` exactly, ``X = M[J, J]⁻¹ M[J, :]`` (``r × n``), for a symmetric rational
    ``M`` of rank ``r = |J|``; ``None`` when the guess below fails (then use an exact echelon form).

    ``J`` is guessed from the pivot columns of ``M`` modulo a large prime (its integer numerator ``N = dM``).  The guess
    is certified exactly: ``M[J, J]`` nonsingular over ℚ (the solve succeeds) gives ``rank M ≥ r``, and the identity
    ``M = M[:, J] X`` gives ``rank M ≤ r``.  Every column of ``M`` is then a combination of the columns ``J``, so
    ``range M = span M[:, J]``, ``ker M = {x : X x = 0}``, and the nonzero eigenvalues of ``M`` are those of the
    ``r × r`` matrix ``X · M[:, J]`` (``M = B A⁻¹ Bᵀ`` with ``B = M[:, J]``, ``A = M[J, J]``: the eigenvalues of
    ``B (A⁻¹Bᵀ)`` and ``(A⁻¹Bᵀ) B`` agree except for zeros).  Much cheaper than a rational echelon form for the large
    kernels of Hessians at critical points of overparametrized networks.
    """
    n = M.nrows()
    N, _d = M.numer_denom()
    R, r = flint.nmod_mat(N, _SPLIT_PRIME).rref()
    J, c = [], 0
    for i in range(r):
        while R[i, c] == 0:
            c += 1
        J.append(c)
        c += 1
    if r == 0:
        return ([], flint.fmpq_mat(0, n)) if N.is_zero() else None
    Nq = flint.fmpq_mat(N)
    A = flint.fmpq_mat(r, r, [Nq[i, j] for i in J for j in J])
    NJ = flint.fmpq_mat(r, n, [Nq[j, k] for j in J for k in range(n)])
    try:
        X = A.solve(NJ)
    except ZeroDivisionError:
        return None
    if NJ.transpose() * X != Nq:  # M[:, J] = M[J, :]ᵀ (symmetric)
        return None
    return J, X


def symmetric_charpoly(M: flint.fmpq_mat) -> flint.fmpq_poly:
    """``det(xI − M)`` of a symmetric rational matrix through its range: ``det(xI − M) = x^{n−r} det(xI − C)`` with
    ``C = X · M[:, J]`` (``r × r``, ``r = rank M``; :func:`symmetric_range_split`), or, when that split is not
    available, ``C = (BᵀB)⁻¹BᵀMB`` for ``B`` the pivot columns of an exact echelon form (``M B = B C``: the range is
    invariant and orthogonal to ``ker M``).  Hessians at critical points of overparametrized networks have large
    kernels, and the small characteristic polynomial is much cheaper.

    Examples
    --------
    >>> import flint
    >>> symmetric_charpoly(flint.fmpq_mat([[1, 1, 0], [1, 1, 0], [0, 0, 0]]))
    x^3 + (-2)*x^2
    """
    n = M.nrows()
    if M != M.transpose():
        raise ModelError("symmetric_charpoly needs a symmetric matrix")
    x = flint.fmpq_poly([0, 1])
    split = symmetric_range_split(M)
    if split is not None:
        J, X = split
        r = len(J)
        if r == 0:
            return x ** n
        C = X * flint.fmpq_mat(n, r, [M[i, j] for i in range(n) for j in J])
        return C.charpoly() * x ** (n - r)
    R, r = M.rref()
    if r == 0:
        return x ** n
    pivots = rref_pivots(R, r)
    B = flint.fmpq_mat(n, r, [M[i, j] for i in range(n) for j in pivots])
    Bt = B.transpose()
    C = (Bt * B).solve(Bt * (M * B))
    return C.charpoly() * x ** (n - r)


def charpoly_inertia(cp: flint.fmpq_poly) -> Inertia:
    """``(neg, zero, pos)`` from the characteristic polynomial of a symmetric matrix: its roots are all real, so
    Descartes' rule of signs is exact (positive roots = sign changes of ``q(x)``, negative ones = those of ``q(−x)``,
    with ``cp = x^z q``, ``q(0) ≠ 0``).  Raises when the two counts do not add up (roots not all real).

    Examples
    --------
    >>> import flint
    >>> charpoly_inertia(flint.fmpq_poly([0, -1, 0, 1]))  # x³ − x: roots −1, 0, 1
    Inertia(negative=1, zero=1, positive=1)
    """
    c = [cp[i] for i in range(cp.degree() + 1)]
    z = next(i for i, v in enumerate(c) if v != 0)
    q = c[z:]

    def changes(seq):
        signs = [(v > 0) - (v < 0) for v in seq if v != 0]
        return sum(1 for a, b in zip(signs, signs[1:]) if a != b)

    pos = changes(q)
    neg = changes([v if i % 2 == 0 else -v for i, v in enumerate(q)])
    if pos + neg != len(q) - 1:
        raise ModelError(f"the characteristic polynomial has non-real roots ({pos} + {neg} sign changes, degree "
                         f"{len(q) - 1}): the matrix is not symmetric")
    return Inertia(neg, z, pos)


def inertia(H, field=None) -> Inertia:
    """``(neg, zero, pos)`` of a symmetric matrix by exact block LDLᵀ.

    ``H`` is rational (SymPy, ``fmpq_mat``, nested lists), or rows of elements of ``field``
    (a :class:`~symdln.symbolic.fields.NumberField`), whose ``sign`` is certified.

    Examples
    --------
    >>> inertia([[0, 1], [1, 0]])
    Inertia(negative=1, zero=0, positive=1)
    >>> inertia(sp.Matrix([[2, 1, 0], [1, 2, 0], [0, 0, 0]]))
    Inertia(negative=0, zero=1, positive=2)
    """
    if field is None:
        A = to_fmpq_rows(H)
        zero = flint.fmpq(0)

        def sign(x):
            return (x > 0) - (x < 0)

    else:
        A = [list(r) for r in H]
        zero = field.zero
        sign = field.sign
    n = len(A)
    for i in range(n):
        for j in range(i):
            if A[i][j] != A[j][i]:
                raise ModelError(f"matrix is not symmetric at ({i}, {j})")
    active = list(range(n))
    neg = pos = 0
    while active:
        piv = next((k for k in active if A[k][k] != zero), None)
        if piv is not None:
            d = A[piv][piv]
            if sign(d) > 0:
                pos += 1
            else:
                neg += 1
            active.remove(piv)
            col = [(j, A[j][piv]) for j in active if A[j][piv] != zero]
            for a, (j, cj) in enumerate(col):
                f = cj / d
                rowj = A[j]
                for k, ck in col[a:]:
                    v = rowj[k] - f * ck
                    rowj[k] = v
                    A[k][j] = v
            continue
        pair = next(((i, j) for i in active for j in active if j > i and A[i][j] != zero), None)
        if pair is None:
            break
        i, j = pair
        b = A[i][j]
        neg += 1
        pos += 1
        active.remove(i)
        active.remove(j)
        # Schur complement of [[0, b], [b, 0]]: A_kl -= (A_ki A_jl + A_kj A_il) / b
        ci = {k: A[k][i] for k in active}
        cj = {k: A[k][j] for k in active}
        for k in active:
            if ci[k] == zero and cj[k] == zero:
                continue
            for l in active:
                if l < k:
                    continue
                delta = (ci[k] * cj[l] + cj[k] * ci[l]) / b
                if delta != zero:
                    v = A[k][l] - delta
                    A[k][l] = v
                    A[l][k] = v
    return Inertia(neg, n - neg - pos, pos)


def field_nullspace(rows, field) -> list[list]:
    """An exact kernel basis of a matrix given as rows of field elements (Gauss–Jordan)."""
    A = [list(r) for r in rows]
    m = len(A)
    n = len(A[0]) if A else 0
    zero, one = field.zero, field.one
    pivots = []
    r = 0
    for c in range(n):
        p = next((i for i in range(r, m) if A[i][c] != zero), None)
        if p is None:
            continue
        A[r], A[p] = A[p], A[r]
        inv = one / A[r][c]
        A[r] = [x * inv for x in A[r]]
        for i in range(m):
            if i != r and A[i][c] != zero:
                f = A[i][c]
                A[i] = [x - f * y for x, y in zip(A[i], A[r])]
        pivots.append(c)
        r += 1
        if r == m:
            break
    basis = []
    for f in (c for c in range(n) if c not in pivots):
        v = [zero] * n
        v[f] = one
        for i, pc in enumerate(pivots):
            v[pc] = -A[i][f]
        basis.append(v)
    return basis


def rref_pivots(R: flint.fmpq_mat, rank: int) -> list[int]:
    """The pivot columns of a reduced row echelon form of the given rank (the first nonzero of each of its rows)."""
    return [next(j for j in range(R.ncols()) if R[i, j] != 0) for i in range(rank)]


def _echelon_basis(X, pivots, n) -> list[list[flint.fmpq]]:
    """``e_f − Σ_i X[i, f] e_{pivots_i}`` for each free column ``f``: the kernel of a matrix whose rows ``X`` are the
    identity on the pivot columns."""
    piv = set(pivots)
    basis = []
    for f in (c for c in range(n) if c not in piv):
        v = [flint.fmpq(0)] * n
        v[f] = flint.fmpq(1)
        for i, pc in enumerate(pivots):
            v[pc] = -X[i, f]
        basis.append(v)
    return basis


def nullspace(H) -> list[list[flint.fmpq]]:
    """An exact basis of the kernel of a rational matrix (from its reduced row echelon form, or for a symmetric one
    from :func:`symmetric_range_split`: ``ker M = {x : X x = 0}`` with ``X`` the identity on the columns ``J``)."""
    rows = to_fmpq_rows(H) if not isinstance(H, flint.fmpq_mat) else None
    M = H if isinstance(H, flint.fmpq_mat) else flint.fmpq_mat(rows)
    n = M.ncols()
    split = symmetric_range_split(M) if M.nrows() == n and M == M.transpose() else None
    if split is not None:
        J, X = split
        return _echelon_basis(X, J, n)
    R, rank = M.rref()
    return _echelon_basis(R, rref_pivots(R, rank), n)
