"""Exact non-negative quadratic programs over ℚ: the constrained least-squares step of the limit algorithms.

``min_{z ≥ 0} ½ zᵀKz − cᵀz`` with ``K`` symmetric positive semidefinite (``K = AᵀA``, ``c = Aᵀy``: non-negative
least squares), solved by the Lawson–Hanson active-set method in exact rational arithmetic (python-flint
``fmpq``), and the exact test of whether the minimizer is unique.

The minimizers form ``{z ≥ 0 : Kz = Kz*}`` (``Az`` is unique), so ``z*`` is the only one exactly when no nonzero
``δ ∈ ker K`` keeps ``z* + εδ ≥ 0`` for small ``ε > 0``, i.e. none has ``δ_i ≥ 0`` wherever ``z*_i = 0``.  That
is decided exactly: a kernel basis ``N`` over ℚ, then either ``N_Z`` (rows ``i`` with ``z*_i = 0``) has a
kernel (a free direction), or the linear program ``N_Z γ ≥ 0, 1ᵀN_Zγ = 1`` is feasible (phase one of the simplex
method with Bland's rule, exact).
"""

from __future__ import annotations

import flint

from ..errors import ModelError
from ..symbolic.fields import RationalField
from ..symbolic.inertia import field_nullspace

__all__ = ["nonneg_qp", "ambiguous_coordinates", "feasible_nonneg"]

_Q0 = flint.fmpq(0)


def _solve(K, c, P: list[int]) -> list | None:
    """``K_PP ζ = c_P`` exactly, or ``None`` when ``K_PP`` is singular."""
    k = len(P)
    M = flint.fmpq_mat(k, k, [K[i][j] for i in P for j in P])
    if M.rank() < k:
        return None
    rhs = flint.fmpq_mat(k, 1, [c[i] for i in P])
    sol = M.solve(rhs)
    return [sol[i, 0] for i in range(k)]


def nonneg_qp(K, c) -> list:
    """The exact minimizer of ``½ zᵀKz − cᵀz`` over ``z ≥ 0`` (Lawson–Hanson active set).

    ``K``: rows of ``fmpq`` (symmetric, positive semidefinite); ``c``: ``fmpq`` list.  Each outer step adds the
    coordinate with the largest positive ``(c − Kz)_j``; the inner loop keeps the passive system non-singular and
    the iterate feasible.  With exact arithmetic the method terminates with a KKT point (``z ≥ 0``,
    ``w = c − Kz ≤ 0``, ``w_j = 0`` where ``z_j > 0``), which is a minimizer.

    Examples
    --------
    >>> import flint
    >>> q = flint.fmpq
    >>> nonneg_qp([[q(1), q(0)], [q(0), q(1)]], [q(2), q(-1)])
    [2, 0]
    """
    d = len(c)
    z = [_Q0] * d
    P: list[int] = []
    for _ in range(10 * d + 10):
        w = [c[j] - sum((K[j][i] * z[i] for i in P), _Q0) for j in range(d)]
        cand = [j for j in range(d) if j not in P and w[j] > 0]
        if not cand:
            _check_kkt(K, c, z)
            return z
        j = max(cand, key=lambda i: (w[i], -i))
        P.append(j)
        while True:
            zeta = _solve(K, c, P)
            if zeta is None:
                raise ModelError(f"internal error: singular passive system {sorted(P)} in the exact NNLS step")
            if all(v > 0 for v in zeta):
                for i, v in zip(P, zeta):
                    z[i] = v
                break
            alpha = min(z[i] / (z[i] - v) for i, v in zip(P, zeta) if v <= 0)
            for i, v in zip(P, zeta):
                z[i] = z[i] + alpha * (v - z[i])
            P = [i for i in P if z[i] > 0]
            for i in range(d):
                if i not in P:
                    z[i] = _Q0
    raise ModelError(f"internal error: the exact NNLS step did not terminate in {10 * d + 10} steps")


def _check_kkt(K, c, z) -> None:
    for j in range(len(c)):
        w = c[j] - sum((K[j][i] * z[i] for i in range(len(c))), _Q0)
        if z[j] < 0 or w > 0 or (z[j] > 0 and w != 0):
            raise ModelError(f"internal error: the exact NNLS result violates the KKT conditions at coordinate {j}")


def feasible_nonneg(A, b) -> bool:
    """Whether ``Ax = b, x ≥ 0`` has a solution (``fmpq`` rows; phase one of the simplex method, Bland's rule)."""
    m = len(A)
    n = len(A[0]) if m else 0
    # tableau rows [A | I | b] with b ≥ 0; artificial basis
    T = []
    for i in range(m):
        sgn = -1 if b[i] < 0 else 1
        T.append([a * sgn for a in A[i]] + [flint.fmpq(1 if k == i else 0) for k in range(m)] + [b[i] * sgn])
    basis = [n + i for i in range(m)]
    ncol = n + m
    for _ in range(10_000):
        # reduced costs of the phase-one objective Σ artificials
        cost = [flint.fmpq(1 if basis[i] >= n else 0) for i in range(m)]
        red = [flint.fmpq(1 if j >= n else 0) - sum((cost[i] * T[i][j] for i in range(m)), _Q0) for j in range(ncol)]
        enter = next((j for j in range(ncol) if red[j] < 0 and j not in basis), None)
        if enter is None:
            break
        rows = [i for i in range(m) if T[i][enter] > 0]
        if not rows:
            break  # cannot happen for a phase-one objective bounded below by 0
        ratio = min(T[i][-1] / T[i][enter] for i in rows)
        leave = min((i for i in rows if T[i][-1] / T[i][enter] == ratio), key=lambda i: basis[i])
        piv = T[leave][enter]
        T[leave] = [x / piv for x in T[leave]]
        for i in range(m):
            if i != leave and T[i][enter] != 0:
                f = T[i][enter]
                T[i] = [x - f * y for x, y in zip(T[i], T[leave])]
        basis[leave] = enter
    else:
        raise ModelError("internal error: the exact simplex did not terminate")
    return sum((T[i][-1] for i in range(m) if basis[i] >= n), _Q0) == 0


def ambiguous_coordinates(K, z) -> list[int]:
    """Coordinates along which the minimizer ``z`` of ``½zᵀKz − cᵀz`` over ``z ≥ 0`` is not unique (empty when
    it is): the support of a nonzero kernel direction ``δ`` with ``δ_i ≥ 0`` wherever ``z_i = 0``.

    Examples
    --------
    >>> import flint
    >>> q = flint.fmpq
    >>> ambiguous_coordinates([[q(1), q(1)], [q(1), q(1)]], [q(1), q(0)])  # z₁ + z₂ = 1 has a segment
    [0, 1]
    >>> ambiguous_coordinates([[q(1), q(-1)], [q(-1), q(1)]], [q(0), q(0)])  # z₁ = z₂ ≥ 0 along the ray
    [0, 1]
    >>> ambiguous_coordinates([[q(1), q(1)], [q(1), q(1)]], [q(0), q(0)])  # δ₁ + δ₂ = 0, δ ≥ 0: only δ = 0
    []
    """
    d = len(z)
    F = RationalField()
    N = field_nullspace([list(r) for r in K], F)  # kernel vectors (length d)
    if not N:
        return []
    Zi = [i for i in range(d) if z[i] == 0]
    # directions that vanish on Z: kernel of N_Z (as a map γ ↦ N_Z γ)
    NZ_rows = [[v[i] for v in N] for i in Zi]
    if not NZ_rows:
        free = N
    else:
        gam = field_nullspace(NZ_rows, F)
        free = [[sum((g[k] * N[k][i] for k in range(len(N))), _Q0) for i in range(d)] for g in gam]
    if free:
        return sorted({i for v in free for i in range(d) if v[i] != 0})
    # LP: N_Z γ = w, w ≥ 0, 1ᵀw = 1, γ = γ⁺ − γ⁻ (variables γ⁺, γ⁻, w ≥ 0)
    m, k = len(Zi), len(N)
    A, b = [], []
    for r, i in enumerate(Zi):
        row = [N[q][i] for q in range(k)] + [-N[q][i] for q in range(k)] + [flint.fmpq(-1 if s == r else 0) for s in range(m)]
        A.append(row)
        b.append(_Q0)
    A.append([_Q0] * (2 * k) + [flint.fmpq(1)] * m)
    b.append(flint.fmpq(1))
    if not feasible_nonneg(A, b):
        return []
    # some direction exists; report every coordinate any kernel vector touches
    return sorted({i for v in N for i in range(d) if v[i] != 0})
